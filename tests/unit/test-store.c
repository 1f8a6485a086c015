/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store's transactions and crash recovery.  A crash is simulated by leaving a work
 * directory exactly as a killed command would: before or after its journal is written.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/store.h"
#include "test-util.h"

#define IMAGE_REL "images/ami-0123456789abcdef0.json"

typedef struct {
    char *root;
    AmiStore *store;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->root = g_dir_make_tmp("ami-run-store-XXXXXX", NULL);
    f->store = ami_store_open(f->root, TRUE, NULL);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    const char *argv[] = {"rm", "-rf", f->root, NULL};

    ami_store_free(f->store);
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(f->root);
    g_free(f);
    return 0;
}

static gboolean
exists(Fixture *f, const char *rel)
{
    g_autofree char *p = g_build_filename(f->root, rel, NULL);
    return g_file_test(p, G_FILE_TEST_EXISTS);
}

static guint
tmp_entries(Fixture *f)
{
    g_autofree char *p = g_build_filename(f->root, "tmp", NULL);
    g_autoptr(GDir) d = g_dir_open(p, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

/* A work directory as a killed command leaves it; @journal NULL: killed before commit. */
static char *
fake_workdir(Fixture *f, const char *journal, gboolean with_owner)
{
    g_autofree char *work = g_build_filename(f->root, "tmp", "work-dead01", NULL);
    g_autofree char *staged = g_build_filename(work, "0", NULL);

    assert_int_equal(g_mkdir_with_parents(work, 0700), 0);
    assert_true(g_file_set_contents(staged, "{\"ImageId\": \"ami-0123456789abcdef0\"}", -1, NULL));
    if (with_owner) {
        g_autofree char *owner = g_build_filename(work, "owner", NULL);
        assert_true(g_file_set_contents(owner, "", 0, NULL));
    }
    if (journal) {
        g_autofree char *j = g_build_filename(work, "journal.json", NULL);
        assert_true(g_file_set_contents(j, journal, -1, NULL));
    }
    return g_steal_pointer(&work);
}

static void
test_store_commit_makes_files_and_cleans_up(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiTxn) txn = ami_store_txn_new(f->store, &error);
    g_autoptr(json_t) v = parse_json("{\"ImageId\": \"ami-0123456789abcdef0\"}");
    g_autoptr(json_t) back = NULL;

    assert_non_null(txn);
    assert_true(ami_txn_put_json(txn, IMAGE_REL, v, &error));
    assert_false(exists(f, IMAGE_REL));
    assert_true(ami_store_lock(f->store, &error));
    assert_true(ami_txn_commit(txn, &error));
    g_clear_pointer(&txn, ami_txn_free);
    assert_true(exists(f, IMAGE_REL));
    back = ami_store_load_image(f->store, "ami-0123456789abcdef0", &error);
    assert_true(json_equal(back, v));
    assert_int_equal(tmp_entries(f), 0);
}

static void
test_store_uncommitted_txn_leaves_nothing(void **state)
{
    Fixture *f = *state;
    g_autoptr(json_t) v = parse_json("{}");
    AmiTxn *txn = ami_store_txn_new(f->store, NULL);

    assert_true(ami_txn_put_json(txn, IMAGE_REL, v, NULL));
    ami_txn_free(txn);
    assert_false(exists(f, IMAGE_REL));
    assert_int_equal(tmp_entries(f), 0);
}

static void
test_store_recovery_finishes_committed_journal(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autofree char *work = fake_workdir(
        f, "[{\"src\": \"0\", \"dst\": \"" IMAGE_REL "\"}, {\"dst\": \"images/ami-00000000000000001.json\"}]",
        TRUE);

    g_autofree char *old = g_build_filename(f->root, "images", "ami-00000000000000001.json", NULL);

    assert_true(g_file_set_contents(old, "{}", -1, NULL));
    assert_true(ami_store_lock(f->store, &error));
    assert_true(exists(f, IMAGE_REL));
    assert_false(exists(f, "images/ami-00000000000000001.json"));
    assert_false(g_file_test(work, G_FILE_TEST_EXISTS));
}

static void
test_store_recovery_discards_uncommitted_work(void **state)
{
    Fixture *f = *state;
    g_autofree char *work = fake_workdir(f, NULL, TRUE);

    assert_true(ami_store_lock(f->store, NULL));
    assert_false(exists(f, IMAGE_REL));
    assert_false(g_file_test(work, G_FILE_TEST_EXISTS));
}

static void
test_store_recovery_leaves_live_commands_alone(void **state)
{
    Fixture *f = *state;
    g_autofree char *work = fake_workdir(f, NULL, TRUE);
    g_autofree char *owner = g_build_filename(work, "owner", NULL);
    g_auto(AmiFd) fd = open(owner, O_RDWR);

    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0); /* "another command" holds it */
    assert_true(ami_store_lock(f->store, NULL));
    assert_true(g_file_test(work, G_FILE_TEST_EXISTS));
}

static void
test_store_recovery_waits_for_a_new_workdir_without_owner(void **state)
{
    Fixture *f = *state;
    g_autofree char *work = fake_workdir(f, NULL, FALSE);

    /* Between mkdtemp() and creating its owner file: younger than a minute, kept. */
    assert_true(ami_store_lock(f->store, NULL));
    assert_true(g_file_test(work, G_FILE_TEST_EXISTS));
}

static void
test_store_recovery_refuses_escaping_journal(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autofree char *work = fake_workdir(f, "[{\"src\": \"0\", \"dst\": \"../../escape\"}]", TRUE);

    assert_false(ami_store_lock(f->store, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
    assert_error_contains(error, "store is corrupted");
    /* Left for a person to look at, not half-applied. */
    assert_true(g_file_test(work, G_FILE_TEST_IS_DIR));
}

/* A planted journal whose src leaves its work directory must not pull a file in. */
static void
test_store_recovery_refuses_journal_src_outside_workdir(void **state)
{
    Fixture *f = *state;
    g_autofree char *parent = g_path_get_dirname(f->root);
    g_autofree char *base = g_path_get_basename(f->root);
    g_autofree char *outside_name = g_strdup_printf("%s-outside", base);
    g_autofree char *outside = g_build_filename(parent, outside_name, NULL);
    g_autofree char *up = g_strdup_printf("../../../%s", outside_name);
    const char *const srcs[] = {up, outside, "..", ""};

    assert_true(g_file_set_contents(outside, "{}", -1, NULL));
    for (guint i = 0; i < G_N_ELEMENTS(srcs); i++) {
        const char *src = srcs[i];
        g_autofree char *journal = g_strdup_printf("[{\"src\": \"%s\", \"dst\": \"" IMAGE_REL "\"}]",
                                                   src);
        g_autofree char *work = fake_workdir(f, journal, TRUE);
        g_autoptr(GError) error = NULL;

        assert_false(ami_store_lock(f->store, &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
        assert_error_contains(error, "store is corrupted");
        assert_false(exists(f, IMAGE_REL));
        assert_true(g_file_test(outside, G_FILE_TEST_IS_REGULAR));
        assert_true(g_file_test(work, G_FILE_TEST_IS_DIR));
        ami_store_unlock(f->store);
    }
    assert_int_equal(unlink(outside), 0);
}

/* ENOENT on the rename is "done" only when the destination is there. */
static void
test_store_recovery_refuses_journal_source_never_staged(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    /* Staged file "7" never existed; the first entry would apply if entries were not checked first. */
    g_autofree char *work = fake_workdir(
        f, "[{\"src\": \"0\", \"dst\": \"images/ami-00000000000000002.json\"}, "
           "{\"src\": \"7\", \"dst\": \"" IMAGE_REL "\"}]", TRUE);

    assert_false(ami_store_lock(f->store, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
    assert_error_contains(error, "'7', which was never staged");
    assert_false(exists(f, IMAGE_REL));
    assert_false(exists(f, "images/ami-00000000000000002.json"));
    assert_true(g_file_test(work, G_FILE_TEST_IS_DIR));
}

/* A replay after a crash between two renames finishes the rest and skips what is done. */
static void
test_store_recovery_replay_skips_applied_rename(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autofree char *work = fake_workdir(
        f, "[{\"src\": \"1\", \"dst\": \"images/ami-00000000000000002.json\"}, "
           "{\"src\": \"0\", \"dst\": \"" IMAGE_REL "\"}]", TRUE);
    g_autofree char *done = g_build_filename(f->root, "images", "ami-00000000000000002.json", NULL);
    g_autofree char *text = NULL;

    /* "1" was renamed before the crash: gone from the work dir, in the store. */
    assert_true(g_file_set_contents(done, "{\"done\": true}", -1, NULL));
    assert_true(ami_store_lock(f->store, &error));
    assert_true(exists(f, IMAGE_REL));
    assert_true(g_file_get_contents(done, &text, NULL, NULL));
    assert_string_equal(text, "{\"done\": true}");
    assert_false(g_file_test(work, G_FILE_TEST_EXISTS));
}

static void
test_store_missing_and_corrupt_records(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autofree char *bad = g_build_filename(f->root, IMAGE_REL, NULL);

    assert_null(ami_store_load_image(f->store, "ami-0123456789abcdef0", &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_NOT_FOUND));
    g_clear_error(&error);
    assert_null(ami_store_load_image(f->store, "../etc/passwd", &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    g_clear_error(&error);
    assert_true(g_file_set_contents(bad, "{not json", -1, NULL));
    assert_null(ami_store_load_image(f->store, "ami-0123456789abcdef0", &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
}

/* Key pairs: stored and listed by id; a missing one is InvalidKeyPair.NotFound. */
static void
test_store_key_pairs_load_and_list(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiTxn) txn = ami_store_txn_new(f->store, &error);
    g_autoptr(json_t) v = parse_json("{\"KeyPairId\": \"key-0123456789abcdef0\", \"KeyName\": \"k\"}");
    g_autofree char *rel = ami_store_key_pair_rel("key-0123456789abcdef0");
    g_autoptr(json_t) back = NULL;
    g_autoptr(GPtrArray) all = NULL;

    assert_string_equal(rel, "key-pairs/key-0123456789abcdef0.json");
    assert_null(ami_store_load_key_pair(f->store, "key-0123456789abcdef0", &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_NOT_FOUND));
    assert_error_contains(error, "InvalidKeyPair.NotFound");
    g_clear_error(&error);
    assert_true(ami_txn_put_json(txn, rel, v, &error));
    assert_true(ami_store_lock(f->store, &error));
    assert_true(ami_txn_commit(txn, &error));
    back = ami_store_load_key_pair(f->store, "key-0123456789abcdef0", &error);
    assert_true(json_equal(back, v));
    all = ami_store_list_key_pairs(f->store, &error);
    assert_int_equal(all->len, 1);
}

/* A store made before key-pairs/ existed still commits (the directory is not fsync()ed). */
static void
test_store_without_key_pairs_dir_commits(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_build_filename(f->root, "key-pairs", NULL);
    g_autoptr(AmiStore) old = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(json_t) v = parse_json("{\"ImageId\": \"ami-0123456789abcdef0\"}");
    g_autoptr(GPtrArray) all = NULL;

    assert_int_equal(rmdir(dir), 0);
    old = ami_store_open(f->root, FALSE, &error);
    assert_non_null(old);
    txn = ami_store_txn_new(old, &error);
    assert_true(ami_txn_put_json(txn, IMAGE_REL, v, &error));
    assert_true(ami_store_lock(old, &error));
    if (!ami_txn_commit(txn, &error))
        fail_msg("commit without key-pairs/: %s", error->message);
    all = ami_store_list_key_pairs(old, &error);
    assert_non_null(all);
    assert_int_equal(all->len, 0);
}

static void
test_store_resolve_path_precedence(void **state)
{
    g_autofree char *flag = NULL;
    g_autofree char *env = NULL;

    (void)state;
    g_setenv("AMI_RUN_STORE", "/tmp/from-env", TRUE);
    flag = ami_store_resolve_path("/tmp/from-flag");
    env = ami_store_resolve_path(NULL);
    assert_string_equal(flag, "/tmp/from-flag");
    assert_string_equal(env, "/tmp/from-env");
    g_unsetenv("AMI_RUN_STORE");

    /* Without either: root's is /var/lib/ami-run (QEMU's user cannot enter /root),
     * anyone else's, and root's with XDG_DATA_HOME, is $XDG_DATA_HOME/ami-run. */
    {
        g_autofree char *saved = g_strdup(g_getenv("XDG_DATA_HOME"));
        g_autofree char *dflt = NULL, *xdg = NULL;

        g_unsetenv("XDG_DATA_HOME");
        dflt = ami_store_resolve_path(NULL);
        if (geteuid() == 0)
            assert_string_equal(dflt, "/var/lib/ami-run");
        else
            assert_true(g_str_has_suffix(dflt, "/.local/share/ami-run"));
        g_setenv("XDG_DATA_HOME", "/tmp/xdg", TRUE);
        xdg = ami_store_resolve_path(NULL);
        if (geteuid() == 0) /* GLib caches the user data dir: root's case reads the variable */
            assert_string_equal(xdg, "/tmp/xdg/ami-run");
        if (saved)
            g_setenv("XDG_DATA_HOME", saved, TRUE);
        else
            g_unsetenv("XDG_DATA_HOME");
    }
}

/* Write @json at @rel through a committed transaction. */
static void
put(Fixture *f, const char *rel, const char *json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiTxn) txn = ami_store_txn_new(f->store, &error);
    g_autoptr(json_t) v = parse_json(json);

    assert_true(ami_txn_put_json(txn, rel, v, &error));
    assert_true(ami_store_lock(f->store, &error));
    assert_true(ami_txn_commit(txn, &error));
    ami_store_unlock(f->store);
}

static void
test_store_regions_scope_lookups_and_lists(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) img = NULL;
    g_autoptr(json_t) raw = NULL;
    g_autoptr(GPtrArray) all = NULL;

    put(f, "images/ami-0123456789abcdef0.json", "{\"ImageId\":\"ami-0123456789abcdef0\"}");
    put(f, "images/ami-0fedcba9876543210.json",
        "{\"ImageId\":\"ami-0fedcba9876543210\",\"AmiRun\":{\"Region\":\"eu-west-1\"}}");
    /* No region is us-east-1, the default of a handle too. */
    assert_string_equal(ami_store_region(f->store), "us-east-1");
    img = ami_store_find_image(f->store, "ami-0123456789abcdef0", &error);
    assert_non_null(img);
    assert_string_equal(ami_record_region(img), "us-east-1");
    assert_null(ami_store_find_image(f->store, "ami-0fedcba9876543210", &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_NOT_FOUND));
    assert_non_null(strstr(error->message, "InvalidAMIID.NotFound: Image 'ami-0fedcba9876543210' "
                                           "does not exist in region 'us-east-1'"));
    g_clear_error(&error);
    /* The raw loader sees every region (chains, reference counts). */
    raw = ami_store_load_image(f->store, "ami-0fedcba9876543210", &error);
    assert_non_null(raw);
    ami_store_set_region(f->store, "eu-west-1");
    all = ami_store_in_region(f->store, ami_store_list_images(f->store, &error));
    assert_int_equal(all->len, 1);
    assert_string_equal(json_string_value(json_object_get(all->pdata[0], "ImageId")),
                        "ami-0fedcba9876543210");
    ami_record_set_region(img, "ap-south-1");
    assert_string_equal(ami_record_region(img), "ap-south-1");
}

static void
test_store_image_launched_sets_last_launched_time(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) img = NULL;

    put(f, "images/ami-0123456789abcdef0.json", "{\"ImageId\":\"ami-0123456789abcdef0\"}");
    assert_true(ami_store_image_launched(f->store, "ami-0123456789abcdef0",
                                         "2026-12-02T01:00:00.000Z", &error));
    /* Under a lock the caller holds, too. */
    assert_true(ami_store_lock(f->store, &error));
    assert_true(ami_store_image_launched(f->store, "ami-0123456789abcdef0",
                                         "2026-12-02T02:00:00.000Z", &error));
    ami_store_unlock(f->store);
    img = ami_store_load_image(f->store, "ami-0123456789abcdef0", &error);
    assert_string_equal(json_string_value(json_object_get(img, "LastLaunchedTime")),
                        "2026-12-02T02:00:00.000Z");
    assert_false(ami_store_image_launched(f->store, "ami-00000000000000bad", "x", &error));
    assert_int_equal(tmp_entries(f), 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_store_commit_makes_files_and_cleans_up),
        T(test_store_uncommitted_txn_leaves_nothing),
        T(test_store_recovery_finishes_committed_journal),
        T(test_store_recovery_discards_uncommitted_work),
        T(test_store_recovery_leaves_live_commands_alone),
        T(test_store_recovery_waits_for_a_new_workdir_without_owner),
        T(test_store_recovery_refuses_escaping_journal),
        T(test_store_recovery_refuses_journal_src_outside_workdir),
        T(test_store_recovery_refuses_journal_source_never_staged),
        T(test_store_recovery_replay_skips_applied_rename),
        T(test_store_missing_and_corrupt_records),
        T(test_store_key_pairs_load_and_list),
        T(test_store_without_key_pairs_dir_commits),
        T(test_store_regions_scope_lookups_and_lists),
        T(test_store_image_launched_sets_last_launched_time),
        cmocka_unit_test(test_store_resolve_path_precedence),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
