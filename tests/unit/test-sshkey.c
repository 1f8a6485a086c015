/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/sshkey.c: every format ImportKeyPair takes gives the same key; fingerprints equal
 * the goldens in tests/data/sshkey/fingerprints.txt (made with ssh-keygen and openssl when
 * the fixtures were) and, at run time, what the installed ssh-keygen prints; the ed25519
 * private key file is byte-stable and ssh-keygen reads it back; bad keys are refused.
 */
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ami-run/error.h"
#include "ami-run/sshkey.h"
#include "test-util.h"

#define DATA AMI_RUN_TEST_DATA "/sshkey/"

typedef struct {
    char *name, *md5, *sha256, *imported;
} Golden;

static GPtrArray *
load_goldens(char **ret_sha1)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    GPtrArray *out = g_ptr_array_new();

    assert_true(g_file_get_contents(DATA "fingerprints.txt", &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", -1);

        if (!**l || **l == '#')
            continue;
        if (strcmp(f[0], "sha1") == 0) {
            *ret_sha1 = g_strdup(f[1]);
            continue;
        }
        assert_int_equal(g_strv_length(f), 4);
        Golden *g = g_new0(Golden, 1);
        g->name = g_strdup(f[0]);
        g->md5 = g_strdup(f[1]);
        g->sha256 = g_strdup(f[2]);
        g->imported = g_strdup(f[3]);
        g_ptr_array_add(out, g);
    }
    return out;
}

static void
goldens_free(GPtrArray *goldens)
{
    for (guint i = 0; i < goldens->len; i++) {
        Golden *g = goldens->pdata[i];

        g_free(g->name), g_free(g->md5), g_free(g->sha256), g_free(g->imported), g_free(g);
    }
    g_ptr_array_free(goldens, TRUE);
}

static AmiSshKey *
parse_file(const char *name, GError **error)
{
    g_autofree char *path = g_strconcat(DATA, name, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL))
        fail_msg("fixture %s is missing", path);
    return ami_ssh_key_parse((const guint8 *)data, len, error);
}

static void
assert_fingerprints(const AmiSshKey *key, const Golden *g)
{
    g_autofree char *md5 = ami_ssh_key_fingerprint_md5(key);
    g_autofree char *sha = ami_ssh_key_fingerprint_sha256(key);
    g_autofree char *imp = ami_ssh_key_fingerprint_imported(key);

    assert_string_equal(md5, g->md5);
    assert_string_equal(sha, g->sha256);
    assert_string_equal(imp, g->imported);
}

/* Each format of each fixture parses to the same blob and the golden fingerprints. */
static void
test_sshkey_every_format_gives_the_golden_fingerprints(void **state)
{
    static const char *const suffixes[] = {".pub", ".rfc4716", ".spki.pem", ".spki.der"};
    g_autofree char *sha1 = NULL;
    GPtrArray *goldens = load_goldens(&sha1);

    (void)state;
    assert_int_equal(goldens->len, 3);
    for (guint i = 0; i < goldens->len; i++) {
        const Golden *g = goldens->pdata[i];
        g_autoptr(AmiSshKey) first = NULL;

        for (size_t s = 0; s < G_N_ELEMENTS(suffixes); s++) {
            g_autofree char *name = g_strconcat(g->name, suffixes[s], NULL);
            g_autofree char *path = g_strconcat(DATA, name, NULL);
            g_autoptr(GError) error = NULL;
            g_autoptr(AmiSshKey) key = NULL;

            if (!g_file_test(path, G_FILE_TEST_EXISTS))
                continue; /* ed25519 has no SPKI fixture */
            key = parse_file(name, &error);
            if (!key)
                fail_msg("%s: %s", name, error->message);
            assert_fingerprints(key, g);
            if (!first)
                first = g_steal_pointer(&key);
            else
                assert_true(g_bytes_equal(first->blob, key->blob));
        }
        assert_non_null(first);
    }
    goldens_free(goldens);
}

/* The OpenSSH line round-trips; its comment survives; the key type is EC2's KeyType. */
static void
test_sshkey_openssh_line_round_trips(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSshKey) key = parse_file("rsa3072.pub", &error);
    g_autofree char *text = NULL;
    g_autofree char *line = NULL;
    g_autofree char *bare = NULL;

    (void)state;
    assert_non_null(key);
    assert_int_equal(key->type, AMI_KEY_TYPE_RSA);
    assert_int_equal(key->bits, 3072);
    assert_string_equal(key->comment, "rsa3072 with spaces");
    assert_true(g_file_get_contents(DATA "rsa3072.pub", &text, NULL, NULL));
    line = ami_ssh_key_to_openssh(key, key->comment);
    assert_string_equal(line, g_strstrip(text));
    bare = ami_ssh_key_to_openssh(key, NULL);
    assert_true(g_str_has_prefix(line, bare));
    assert_string_equal(ami_key_type_to_string(key->type), "rsa");
}

/* RFC 4716: CRLF, quoted and continued Comment header, other headers, a blank line after. */
static void
test_sshkey_rfc4716_headers(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSshKey) key = parse_file("rsa2048-headers.rfc4716", &error);
    g_autoptr(AmiSshKey) pub = parse_file("rsa2048.pub", &error);

    (void)state;
    assert_non_null(key);
    assert_non_null(pub);
    assert_string_equal(key->comment, "a comment that goes on and on");
    assert_true(g_bytes_equal(key->blob, pub->blob));
}

/* What CreateKeyPair's RSA fingerprint hashes: colon-hex SHA-1 of the given bytes. */
static void
test_sshkey_created_rsa_fingerprint_is_sha1_colon_hex(void **state)
{
    g_autofree char *sha1 = NULL;
    GPtrArray *goldens = load_goldens(&sha1);
    g_autofree char *der = NULL;
    g_autofree char *fp = NULL;
    gsize len = 0;

    (void)state;
    assert_true(g_file_get_contents(DATA "rsa2048.spki.der", &der, &len, NULL));
    fp = ami_ssh_key_fingerprint_created_rsa((const guint8 *)der, len);
    assert_non_null(sha1);
    assert_string_equal(fp, sha1);
    goldens_free(goldens);
}

/* A fixed seed gives a byte-stable "BEGIN OPENSSH PRIVATE KEY" file (golden). */
static void
test_sshkey_ed25519_private_file_is_golden(void **state)
{
    guint8 seed[32], pub[32];
    size_t pub_len = sizeof(pub);
    EVP_PKEY *pkey;
    g_autofree char *text = NULL;
    g_autofree char *golden = NULL;

    (void)state;
    for (int i = 0; i < 32; i++)
        seed[i] = (guint8)i;
    pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
    assert_non_null(pkey);
    assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len), 1);
    EVP_PKEY_free(pkey);
    text = ami_ssh_ed25519_private_openssh(seed, pub, 0x01020304, "golden");
    if (g_getenv("AMI_RUN_TEST_REGENERATE"))
        assert_true(g_file_set_contents(DATA "ed25519-private.golden", text, -1, NULL));
    assert_true(g_file_get_contents(DATA "ed25519-private.golden", &golden, NULL, NULL));
    assert_string_equal(text, golden);
    assert_true(g_str_has_prefix(text, "-----BEGIN OPENSSH PRIVATE KEY-----\n"));
}

/* Run ssh-keygen with @argv; its stdout, or NULL when it is not installed. */
static char *
ssh_keygen(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    char *out = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &out, NULL, &status, &error))
        return NULL;
    if (!g_spawn_check_wait_status(status, NULL))
        fail_msg("%s %s %s failed: %s", argv[0], argv[1], argv[2], out);
    return out;
}

/* The field after "MD5:" or "SHA256:" in `ssh-keygen -l` output. */
static char *
keygen_fingerprint(const char *path, const char *hash)
{
    const char *argv[] = {"ssh-keygen", "-l", "-E", hash, "-f", path, NULL};
    g_autofree char *out = ssh_keygen(argv);
    g_auto(GStrv) f = NULL;
    const char *colon;

    if (!out)
        return NULL;
    f = g_strsplit(out, " ", -1);
    assert_true(g_strv_length(f) >= 2);
    colon = strchr(f[1], ':');
    assert_non_null(colon);
    return g_strdup(colon + 1);
}

/* At run time, the installed ssh-keygen agrees (MD5 as is, SHA-256 plus EC2's padding). */
static void
test_sshkey_matches_ssh_keygen_now(void **state)
{
    static const char *const names[] = {"rsa2048", "rsa3072", "ed25519"};

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *path = g_strconcat(DATA, names[i], ".pub", NULL);
        g_autofree char *md5 = keygen_fingerprint(path, "md5");
        g_autofree char *sha = keygen_fingerprint(path, "sha256");
        g_autofree char *padded = NULL;
        g_autofree char *ours_md5 = NULL;
        g_autofree char *ours_sha = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiSshKey) key = NULL;

        if (!md5) {
            test_skip_part("test-sshkey", "ssh-keygen is not installed (openssh-client)");
            return;
        }
        key = parse_file(strrchr(path, '/') + 1, &error);
        assert_non_null(key);
        ours_md5 = ami_ssh_key_fingerprint_md5(key);
        ours_sha = ami_ssh_key_fingerprint_sha256(key);
        padded = g_strconcat(sha, "=", NULL);
        assert_string_equal(ours_md5, md5);
        assert_string_equal(ours_sha, padded);
    }
}

/* ssh-keygen reads the golden private key and derives the same public key from it. */
static void
test_sshkey_ed25519_private_file_reads_back(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("test-sshkey-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "key", NULL);
    g_autofree char *golden = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = {"ssh-keygen", "-y", "-f", path, NULL};

    (void)state;
    assert_true(g_file_get_contents(DATA "ed25519-private.golden", &golden, NULL, NULL));
    assert_true(g_file_set_contents_full(path, golden, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    out = ssh_keygen(argv);
    unlink(path);
    rmdir(dir);
    if (!out) {
        test_skip_part("test-sshkey", "ssh-keygen is not installed (openssh-client)");
        return;
    }
    /* The public key of seed 00 01 … 1f (RFC 8032 arithmetic, via OpenSSL above). */
    assert_string_equal(g_strchomp(out), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdL"
                                         "wJln5NYwm6UNXx3chmQSVTG4 golden");
}

/* An RSA blob with a modulus of @n_bytes 0x7f bytes, as a one-line key. */
static char *
rsa_line(gsize n_bytes, const char *extra, gsize extra_len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    guint8 len4[4];
    g_autofree char *b64 = NULL;

    g_byte_array_append(b, (const guint8 *)"\0\0\0\7ssh-rsa\0\0\0\1\3", 16);
    len4[0] = 0, len4[1] = 0, len4[2] = (guint8)(n_bytes >> 8), len4[3] = (guint8)n_bytes;
    g_byte_array_append(b, len4, 4);
    for (gsize i = 0; i < n_bytes; i++)
        g_byte_array_append(b, (const guint8 *)"\x7f", 1);
    g_byte_array_append(b, (const guint8 *)extra, (guint)extra_len);
    b64 = g_base64_encode(b->data, b->len);
    return g_strdup_printf("ssh-rsa %s x", b64);
}

static void
test_sshkey_refuses_bad_keys(void **state)
{
    g_autofree char *small = rsa_line(64, "", 0);        /* 511 bits */
    g_autofree char *good = rsa_line(256, "", 0);        /* 2047 bits: accepted */
    g_autofree char *trailing = rsa_line(256, "\1", 1);  /* a byte after the modulus */
    g_autofree char *two = g_strdup_printf("%s\n%s", good, good);
    g_autofree char *wrong_type = g_strdup(good);
    const struct {
        const char *text;
        const char *why;
    } bad[] = {
        {"", "empty"},
        {"ssh-rsa", "not in valid OpenSSH"},
        {"ssh-rsa !!!! x", "not in valid OpenSSH"},
        {"ssh-rsa AAAA", "truncated"},
        {"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA== x",
         "only rsa and ed25519"},
        {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOYMwTGlqqxa8YroIzUp", "ED25519 key data is malformed"},
        {small, "511 bits"},
        {trailing, "malformed"},
        {two, "one line"},
        {wrong_type, "does not match"},
        {"---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n", "RFC 4716"},
        {"---- BEGIN SSH2 PUBLIC KEY ----\n---- END SSH2 PUBLIC KEY ----\nmore\n", "RFC 4716"},
        {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "PEM"},
        {"MIIBCgKCAQEA", "SubjectPublicKeyInfo"},
        {"hello world", "not in valid"},
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSshKey) ok = NULL;

    (void)state;
    memcpy(wrong_type, "ssh-dss", 7);
    ok = ami_ssh_key_parse((const guint8 *)good, strlen(good), &error);
    assert_non_null(ok);
    assert_int_equal(ok->bits, 2047);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(AmiSshKey) k = ami_ssh_key_parse((const guint8 *)bad[i].text,
                                                   strlen(bad[i].text), &e);

        if (k)
            fail_msg("bad key %zu accepted: '%.60s'", i, bad[i].text);
        assert_true(g_error_matches(e, AMI_ERROR, AMI_ERROR_INVALID));
        assert_error_contains(e, "InvalidKey.Format");
        assert_error_contains(e, bad[i].why);
    }
    {
        g_autoptr(GError) e = NULL;
        g_autoptr(AmiSshKey) k = ami_ssh_key_parse((const guint8 *)"ssh-rsa \0AAA", 12, &e);

        assert_null(k);
        assert_error_contains(e, "neither text nor DER");
    }
}

/* DER with a byte after the SubjectPublicKeyInfo is refused. */
static void
test_sshkey_refuses_der_with_trailing_bytes(void **state)
{
    g_autofree char *der = NULL;
    g_autofree char *longer = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSshKey) key = NULL;
    gsize len = 0;

    (void)state;
    assert_true(g_file_get_contents(DATA "rsa2048.spki.der", &der, &len, NULL));
    longer = g_malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    key = ami_ssh_key_parse((const guint8 *)longer, len + 1, &error);
    assert_null(key);
    assert_error_contains(error, "not one SubjectPublicKeyInfo");
}

static void
test_sshkey_key_type_table_both_ways(void **state)
{
    (void)state;
    for (int i = 0; i < AMI_KEY_TYPE_LAST; i++) {
        AmiKeyType t;

        assert_true(ami_key_type_from_string(ami_key_type_to_string((AmiKeyType)i), &t));
        assert_int_equal(t, i);
    }
    {
        AmiKeyType t;

        assert_false(ami_key_type_from_string("dsa", &t));
        assert_false(ami_key_type_from_string(NULL, &t));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sshkey_every_format_gives_the_golden_fingerprints),
        cmocka_unit_test(test_sshkey_openssh_line_round_trips),
        cmocka_unit_test(test_sshkey_rfc4716_headers),
        cmocka_unit_test(test_sshkey_created_rsa_fingerprint_is_sha1_colon_hex),
        cmocka_unit_test(test_sshkey_ed25519_private_file_is_golden),
        cmocka_unit_test(test_sshkey_matches_ssh_keygen_now),
        cmocka_unit_test(test_sshkey_ed25519_private_file_reads_back),
        cmocka_unit_test(test_sshkey_refuses_bad_keys),
        cmocka_unit_test(test_sshkey_refuses_der_with_trailing_bytes),
        cmocka_unit_test(test_sshkey_key_type_table_both_ways),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
