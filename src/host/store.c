/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store on disk (docs/store.md).  Layout:
 *   lock                       flock()ed exclusively by every command that changes it
 *   images/ami-….json          the image as describe-images shows it
 *   snapshots/snap-…           the disk (qcow2, 0400)
 *   snapshots/snap-….json      its record: format, sha256, size
 *   nvram/ami-….fd             the UEFI variable store create-image captured (0400)
 *   key-pairs/key-….json       a key pair as describe-key-pairs shows it, PublicKey
 *                              included; never a private key (docs/key-pairs.md)
 *   export-image-tasks/export-ami-….json   an export-image task (docs/export.md)
 *   tmp/<work>/                one per running command: owner (flock()ed for life),
 *                              staged files 0,1,2…, and journal.json once committed
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/netinfo.h"
#include "ami-run/store.h"

struct AmiStore {
    char *path;
    int lock_fd;
    char *region; /* NULL: us-east-1 */
};

struct AmiTxn {
    AmiStore *store;
    char *workdir;
    int owner_fd;
    guint next;
    json_t *ops; /* [{"src": "3", "dst": "images/…"}, {"dst": "…"} (delete)] */
    gboolean committed; /* journal.json is on disk */
    gboolean applied;   /* and every operation in it is done */
};

static const char *const store_dirs[] = {"images", "snapshots", "key-pairs", "nvram",
                                         "export-image-tasks", "tmp", NULL};

char *
ami_store_resolve_path(const char *flag)
{
    const char *env = g_getenv("AMI_RUN_STORE");
    const char *base = flag && *flag ? flag : env && *env ? env : NULL;

    if (base)
        return g_canonicalize_filename(base, NULL);
    /*
     * As root QEMU runs as ami-run-qemu, which must reach the store: root's home is 0700,
     * so root's default store is the system's data directory (docs/store.md).
     */
    if (geteuid() == 0 && !g_getenv("XDG_DATA_HOME"))
        return g_strdup(AMI_STORE_ROOT_DEFAULT);
    return g_build_filename(g_get_user_data_dir(), "ami-run", NULL);
}

const char *
ami_store_path(const AmiStore *store)
{
    return store->path;
}

void
ami_store_free(AmiStore *store)
{
    if (!store)
        return;
    if (store->lock_fd >= 0)
        close(store->lock_fd);
    g_free(store->path);
    g_free(store->region);
    g_free(store);
}

static gboolean
mkdir_0700(const char *path, GError **error)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return ami_error_set_errno(error, errno, path);
    return TRUE;
}

AmiStore *
ami_store_open(const char *path, gboolean create, GError **error)
{
    g_autoptr(AmiStore) store = g_new0(AmiStore, 1);

    store->path = g_canonicalize_filename(path, NULL);
    store->lock_fd = -1;
    if (!g_file_test(store->path, G_FILE_TEST_IS_DIR)) {
        if (!create) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Store '%s' does not exist",
                        store->path);
            return NULL;
        }
        if (g_mkdir_with_parents(store->path, 0700) < 0) {
            ami_error_set_errno(error, errno, store->path);
            return NULL;
        }
    }
    for (const char *const *d = store_dirs; *d && create; d++) {
        g_autofree char *sub = g_build_filename(store->path, *d, NULL);

        if (!mkdir_0700(sub, error))
            return NULL;
    }
    return g_steal_pointer(&store);
}

static gboolean
fsync_dir(const char *path, GError **error)
{
    g_auto(AmiFd) fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0)
        return ami_error_set_errno(error, errno, path);
    return TRUE;
}

/* Remove a work directory: it is flat by construction. */
static void
remove_workdir(const char *workdir)
{
    g_autoptr(GDir) dir = g_dir_open(workdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename(workdir, name, NULL);

        if (unlink(p) < 0)
            g_debug("unlink %s: %s, ignoring", p, g_strerror(errno));
    }
    if (rmdir(workdir) < 0 && errno != ENOENT)
        g_debug("rmdir %s: %s, ignoring", workdir, g_strerror(errno));
}

/*
 * An entry names a staged file of its own work directory (one path component, as
 * ami_txn_stage_path() makes them) and a path inside the store: nothing a planted
 * journal writes can move a file in from elsewhere or out of the store.
 */
static gboolean
journal_entry_is_safe(json_t *op)
{
    json_t *src = json_object_get(op, "src");
    const char *dst = json_string_value(json_object_get(op, "dst"));
    const char *s = json_string_value(src);

    if (!dst || !dst[0] || strstr(dst, "..") || dst[0] == '/')
        return FALSE;
    if (!src)
        return TRUE; /* a deletion */
    return s && s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/*
 * Every entry safe, and every rename's file somewhere: staged (to do) or at its
 * destination with the staged copy gone (done before a crash).  ENOENT alone cannot
 * tell "done" from "never staged".  Checked before anything moves, so a bad journal is
 * left whole for a person to look at.
 */
static gboolean
check_journal(const char *store_path, const char *workdir, json_t *ops, GError **error)
{
    size_t i;
    json_t *op;

    json_array_foreach(ops, i, op) {
        const char *src = json_string_value(json_object_get(op, "src"));
        g_autofree char *from = NULL;
        g_autofree char *to = NULL;
        struct stat st;

        if (!journal_entry_is_safe(op)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                        "Journal in '%s' has a bad entry, the store is corrupted", workdir);
            return FALSE;
        }
        if (!src)
            continue;
        from = g_build_filename(workdir, src, NULL);
        to = g_build_filename(store_path, json_string_value(json_object_get(op, "dst")), NULL);
        if (lstat(from, &st) < 0 && lstat(to, &st) < 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                        "Journal in '%s' moves '%s', which was never staged, the store is corrupted",
                        workdir, src);
            return FALSE;
        }
    }
    return TRUE;
}

/* Apply a committed journal.  Idempotent: a replay after a crash skips what is done. */
static gboolean
apply_journal(const char *store_path, const char *workdir, json_t *ops, GError **error)
{
    size_t i;
    json_t *op;

    if (!check_journal(store_path, workdir, ops, error))
        return FALSE;
    json_array_foreach(ops, i, op) {
        const char *src = json_string_value(json_object_get(op, "src"));
        g_autofree char *to = g_build_filename(store_path,
                                               json_string_value(json_object_get(op, "dst")), NULL);

        if (src) {
            g_autofree char *from = g_build_filename(workdir, src, NULL);
            struct stat st;
            int errsv;

            if (rename(from, to) == 0)
                continue;
            errsv = errno;
            /* ENOENT with the staged file gone: this rename was done before a crash. */
            if (errsv != ENOENT || lstat(from, &st) == 0)
                return ami_error_set_errno(error, errsv, to);
        } else if (unlink(to) < 0 && errno != ENOENT) {
            return ami_error_set_errno(error, errno, to);
        }
    }
    for (const char *const *d = store_dirs; *d; d++) {
        g_autofree char *sub = g_build_filename(store_path, *d, NULL);

        /* A store made before key-pairs/ existed has none (nothing went there). */
        if (g_file_test(sub, G_FILE_TEST_IS_DIR) && !fsync_dir(sub, error))
            return FALSE;
    }
    return TRUE;
}

/* Finish or discard the work directories of commands that are gone. */
static gboolean
recover(AmiStore *store, GError **error)
{
    g_autofree char *tmp = g_build_filename(store->path, "tmp", NULL);
    g_autoptr(GDir) dir = g_dir_open(tmp, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *work = g_build_filename(tmp, name, NULL);
        g_autofree char *owner = g_build_filename(work, "owner", NULL);
        g_autofree char *journal = g_build_filename(work, "journal.json", NULL);
        g_auto(AmiFd) fd = open(owner, O_RDWR | O_CLOEXEC);

        struct stat st;

        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
            continue; /* its command is still running */
        /* No owner file yet: a command between mkdtemp() and open(), or one that died there. */
        if (fd < 0 && stat(work, &st) == 0 && st.st_mtime > g_get_real_time() / G_USEC_PER_SEC - 60)
            continue;
        if (g_file_test(journal, G_FILE_TEST_EXISTS)) {
            g_autoptr(json_t) ops = json_load_file(journal, 0, NULL);

            if (!json_is_array(ops)) {
                g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                            "Journal '%s' is unreadable, the store is corrupted", journal);
                return FALSE;
            }
            g_debug("finishing the committed transaction in %s", work);
            if (!apply_journal(store->path, work, ops, error))
                return FALSE;
        } else {
            g_debug("removing the work of a command that died: %s", work);
        }
        remove_workdir(work);
    }
    return TRUE;
}

gboolean
ami_store_lock(AmiStore *store, GError **error)
{
    g_autofree char *path = g_build_filename(store->path, "lock", NULL);

    g_return_val_if_fail(store->lock_fd < 0, FALSE);
    store->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (store->lock_fd < 0)
        return ami_error_set_errno(error, errno, path);
    while (flock(store->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return ami_error_set_errno(error, errno, path);
    }
    return recover(store, error);
}

void
ami_store_unlock(AmiStore *store)
{
    if (store->lock_fd >= 0) {
        close(store->lock_fd);
        store->lock_fd = -1;
    }
}

char *
ami_store_image_rel(const char *image_id)
{
    g_return_val_if_fail(ami_id_is_valid(AMI_ID_IMAGE, image_id), NULL);
    return g_strdup_printf("images/%s.json", image_id);
}

char *
ami_store_snapshot_rel(const char *snapshot_id)
{
    g_return_val_if_fail(ami_id_is_valid(AMI_ID_SNAPSHOT, snapshot_id), NULL);
    return g_strdup_printf("snapshots/%s", snapshot_id);
}

char *
ami_store_snapshot_record_rel(const char *snapshot_id)
{
    g_return_val_if_fail(ami_id_is_valid(AMI_ID_SNAPSHOT, snapshot_id), NULL);
    return g_strdup_printf("snapshots/%s.json", snapshot_id);
}

char *
ami_store_snapshot_path(const AmiStore *store, const char *snapshot_id)
{
    g_autofree char *rel = ami_store_snapshot_rel(snapshot_id);

    return rel ? g_build_filename(store->path, rel, NULL) : NULL;
}

char *
ami_store_key_pair_rel(const char *key_pair_id)
{
    g_return_val_if_fail(ami_id_is_valid(AMI_ID_KEY_PAIR, key_pair_id), NULL);
    return g_strdup_printf("key-pairs/%s.json", key_pair_id);
}

char *
ami_store_export_task_rel(const char *task_id)
{
    g_return_val_if_fail(ami_id_is_valid(AMI_ID_EXPORT_IMAGE_TASK, task_id), NULL);
    return g_strdup_printf("export-image-tasks/%s.json", task_id);
}

/* Where records of @kind live, and what errors call them. */
static const char *
record_dir(AmiIdKind kind)
{
    if (kind == AMI_ID_EXPORT_IMAGE_TASK)
        return "export-image-tasks";
    return kind == AMI_ID_IMAGE ? "images" : kind == AMI_ID_KEY_PAIR ? "key-pairs" : "snapshots";
}

static const char *
record_noun(AmiIdKind kind)
{
    if (kind == AMI_ID_EXPORT_IMAGE_TASK)
        return "Export image task";
    return kind == AMI_ID_IMAGE ? "Image" : kind == AMI_ID_KEY_PAIR ? "Key pair" : "Snapshot";
}

static json_t *
load_record(AmiStore *store, AmiIdKind kind, const char *id, const char *what, GError **error)
{
    g_autofree char *rel = NULL;
    g_autofree char *path = NULL;
    json_error_t jerr;
    json_t *v;

    if (!ami_id_is_valid(kind, id)) {
        g_autofree char *shown = g_strescape(id, NULL);
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "'%.80s' is not a valid %s id", shown,
                    what);
        return NULL;
    }
    rel = kind == AMI_ID_IMAGE      ? ami_store_image_rel(id)
          : kind == AMI_ID_KEY_PAIR ? ami_store_key_pair_rel(id)
          : kind == AMI_ID_EXPORT_IMAGE_TASK ? ami_store_export_task_rel(id)
                                    : ami_store_snapshot_record_rel(id);
    path = g_build_filename(store->path, rel, NULL);
    v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!v && json_error_code(&jerr) == json_error_cannot_open_file && errno == ENOENT) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "%s%s '%s' does not exist in the store",
                    kind == AMI_ID_KEY_PAIR ? "InvalidKeyPair.NotFound: " : "", record_noun(kind),
                    id);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "'%s' is unreadable (%s), the store is corrupted", path, jerr.text);
        return NULL;
    }
    return v;
}

json_t *
ami_store_load_image(AmiStore *store, const char *image_id, GError **error)
{
    return load_record(store, AMI_ID_IMAGE, image_id, "image", error);
}

json_t *
ami_store_load_snapshot(AmiStore *store, const char *snapshot_id, GError **error)
{
    return load_record(store, AMI_ID_SNAPSHOT, snapshot_id, "snapshot", error);
}

const char *
ami_record_region(json_t *record)
{
    const char *r = json_string_value(json_object_get(json_object_get(record, "AmiRun"), "Region"));

    /* Records made before regions existed were all made in the default region. */
    return r && *r ? r : AMI_REGION_DEFAULT;
}

void
ami_record_set_region(json_t *record, const char *region)
{
    json_t *amirun = json_object_get(record, "AmiRun");

    if (!json_is_object(amirun)) {
        amirun = json_object();
        json_object_set_new(record, "AmiRun", amirun);
    }
    json_object_set_new(amirun, "Region", json_string(region ? region : AMI_REGION_DEFAULT));
}

const char *
ami_record_owner(json_t *record)
{
    const char *owner = json_string_value(json_object_get(record, "OwnerId"));

    return owner && *owner ? owner : AMI_STORE_OWNER_ID;
}

void
ami_store_set_region(AmiStore *store, const char *region)
{
    g_free(store->region);
    store->region = g_strdup(region);
}

const char *
ami_store_region(const AmiStore *store)
{
    return store->region ? store->region : AMI_REGION_DEFAULT;
}

gboolean
ami_store_check_region(const AmiStore *store, AmiIdKind kind, const char *id, json_t *record,
                       GError **error)
{
    const char *here = ami_store_region(store);
    const char *there = ami_record_region(record);

    if (strcmp(here, there) == 0)
        return TRUE;
    /* EC2 answers an id of another region as one that does not exist: the same codes. */
    g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                "%s: %s '%s' does not exist in region '%s' (it is in '%s'; use --region)",
                kind == AMI_ID_IMAGE      ? "InvalidAMIID.NotFound"
                : kind == AMI_ID_INSTANCE ? "InvalidInstanceID.NotFound"
                                          : "InvalidSnapshot.NotFound",
                kind == AMI_ID_IMAGE ? "Image" : kind == AMI_ID_INSTANCE ? "Instance" : "Snapshot",
                id, here, there);
    return FALSE;
}

GPtrArray *
ami_store_in_region(const AmiStore *store, GPtrArray *records)
{
    const char *here = ami_store_region(store);

    for (guint i = records->len; i > 0; i--) {
        if (strcmp(ami_record_region(records->pdata[i - 1]), here) != 0)
            g_ptr_array_remove_index(records, i - 1);
    }
    return records;
}

static json_t *
find_record(AmiStore *store, AmiIdKind kind, const char *id, GError **error)
{
    g_autoptr(json_t) v = load_record(store, kind, id, kind == AMI_ID_IMAGE ? "image" : "snapshot",
                                      error);

    if (!v || !ami_store_check_region(store, kind, id, v, error))
        return NULL;
    return g_steal_pointer(&v);
}

json_t *
ami_store_find_image(AmiStore *store, const char *image_id, GError **error)
{
    return find_record(store, AMI_ID_IMAGE, image_id, error);
}

json_t *
ami_store_find_snapshot(AmiStore *store, const char *snapshot_id, GError **error)
{
    return find_record(store, AMI_ID_SNAPSHOT, snapshot_id, error);
}

gboolean
ami_store_image_launched(AmiStore *store, const char *image_id, const char *when,
                         GError **error)
{
    gboolean lock_here = store->lock_fd < 0;
    g_autoptr(json_t) image = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autofree char *rel = NULL;
    gboolean ok;

    if (lock_here && !ami_store_lock(store, error))
        return FALSE;
    ok = (image = ami_store_load_image(store, image_id, error)) &&
         (txn = ami_store_txn_new(store, error)) && (rel = ami_store_image_rel(image_id));
    if (ok) {
        json_object_set_new(image, "LastLaunchedTime", json_string(when));
        ok = ami_txn_put_json(txn, rel, image, error) && ami_txn_commit(txn, error);
    }
    if (lock_here)
        ami_store_unlock(store);
    return ok;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *
list_records(AmiStore *store, AmiIdKind kind, GError **error)
{
    g_autofree char *dirpath = g_build_filename(store->path, record_dir(kind), NULL);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (!g_file_test(dirpath, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&out);
    dir = g_dir_open(dirpath, 0, error);
    if (!dir)
        return NULL;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *id = NULL;

        if (!g_str_has_suffix(name, ".json"))
            continue;
        id = g_strndup(name, strlen(name) - 5);
        if (ami_id_is_valid(kind, id))
            g_ptr_array_add(ids, g_steal_pointer(&id));
    }
    g_ptr_array_sort(ids, compare_strings);
    for (guint i = 0; i < ids->len; i++) {
        json_t *v = load_record(store, kind, ids->pdata[i], "", error);

        if (!v)
            return NULL;
        g_ptr_array_add(out, v);
    }
    return g_steal_pointer(&out);
}

GPtrArray *
ami_store_list_images(AmiStore *store, GError **error)
{
    return list_records(store, AMI_ID_IMAGE, error);
}

GPtrArray *
ami_store_list_snapshots(AmiStore *store, GError **error)
{
    return list_records(store, AMI_ID_SNAPSHOT, error);
}

json_t *
ami_store_load_key_pair(AmiStore *store, const char *key_pair_id, GError **error)
{
    return load_record(store, AMI_ID_KEY_PAIR, key_pair_id, "key pair", error);
}

GPtrArray *
ami_store_list_key_pairs(AmiStore *store, GError **error)
{
    return list_records(store, AMI_ID_KEY_PAIR, error);
}

GPtrArray *
ami_store_list_export_tasks(AmiStore *store, GError **error)
{
    return list_records(store, AMI_ID_EXPORT_IMAGE_TASK, error);
}

GPtrArray *
ami_store_images_using(AmiStore *store, const char *snapshot_id, const char *except,
                       GError **error)
{
    g_autoptr(GPtrArray) images = ami_store_list_images(store, error);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    if (!images)
        return NULL;
    for (guint i = 0; i < images->len; i++) {
        const char *id = json_string_value(json_object_get(images->pdata[i], "ImageId"));
        json_t *bdms = json_object_get(images->pdata[i], "BlockDeviceMappings");
        size_t j;
        json_t *m;

        if (!id || (except && strcmp(id, except) == 0))
            continue;
        json_array_foreach(bdms, j, m) {
            const char *s = json_string_value(json_object_get(json_object_get(m, "Ebs"),
                                                              "SnapshotId"));
            if (s && strcmp(s, snapshot_id) == 0) {
                g_ptr_array_add(out, g_strdup(id));
                break;
            }
        }
    }
    return g_steal_pointer(&out);
}

static gboolean
write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return FALSE;
        buf += n;
        len -= (size_t)n;
    }
    return TRUE;
}

/* Write @value to @path (a new file) and fsync it. */
static gboolean
write_json_synced(const char *path, json_t *value, int mode, GError **error)
{
    g_autofree char *text = json_dumps(value, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    g_auto(AmiFd) fd = -1;

    if (!text) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot serialise JSON for '%s'", path);
        return FALSE;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 || !write_all(fd, text, strlen(text)) || !write_all(fd, "\n", 1) ||
        fsync(fd) < 0) {
        int errsv = errno;

        unlink(path);
        return ami_error_set_errno(error, errsv, path);
    }
    return TRUE;
}

gboolean
ami_json_write_file_atomic(const char *path, json_t *value, int mode, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", path, (int)getpid());
    g_autofree char *dir = g_path_get_dirname(path);

    unlink(tmp);
    if (!write_json_synced(tmp, value, mode, error))
        return FALSE;
    if (rename(tmp, path) < 0) {
        int errsv = errno;

        unlink(tmp);
        return ami_error_set_errno(error, errsv, path);
    }
    return fsync_dir(dir, error);
}

AmiTxn *
ami_store_txn_new(AmiStore *store, GError **error)
{
    g_autofree char *tmpl = g_build_filename(store->path, "tmp", "work-XXXXXX", NULL);
    g_autofree char *owner = NULL;
    AmiTxn *txn;

    if (!g_mkdtemp_full(tmpl, 0700)) {
        ami_error_set_errno(error, errno, tmpl);
        return NULL;
    }
    txn = g_new0(AmiTxn, 1);
    txn->store = store;
    txn->workdir = g_steal_pointer(&tmpl);
    txn->ops = json_array();
    owner = g_build_filename(txn->workdir, "owner", NULL);
    /* Held for the life of this process: recover() leaves a locked work dir alone. */
    txn->owner_fd = open(owner, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (txn->owner_fd < 0 || flock(txn->owner_fd, LOCK_EX | LOCK_NB) < 0) {
        ami_error_set_errno(error, errno, owner);
        ami_txn_free(txn);
        return NULL;
    }
    return txn;
}

void
ami_txn_free(AmiTxn *txn)
{
    if (!txn)
        return;
    /* Committed but not fully applied: leave the journal for recover() to finish. */
    if (!txn->committed || txn->applied)
        remove_workdir(txn->workdir);
    if (txn->owner_fd >= 0)
        close(txn->owner_fd);
    json_decref(txn->ops);
    g_free(txn->workdir);
    g_free(txn);
}

const char *
ami_txn_workdir(const AmiTxn *txn)
{
    return txn->workdir;
}

char *
ami_txn_stage_path(AmiTxn *txn)
{
    return g_strdup_printf("%s/%u", txn->workdir, txn->next++);
}

gboolean
ami_txn_put_file(AmiTxn *txn, const char *rel, const char *staged, GError **error)
{
    g_autofree char *base = g_path_get_basename(staged);
    g_auto(AmiFd) fd = open(staged, O_RDONLY | O_CLOEXEC);

    g_return_val_if_fail(rel && !strstr(rel, ".."), FALSE);
    if (fd < 0 || fsync(fd) < 0)
        return ami_error_set_errno(error, errno, staged);
    json_array_append_new(txn->ops, json_pack("{s:s, s:s}", "src", base, "dst", rel));
    return TRUE;
}

gboolean
ami_txn_put_json(AmiTxn *txn, const char *rel, json_t *value, GError **error)
{
    g_autofree char *staged = ami_txn_stage_path(txn);

    return write_json_synced(staged, value, 0600, error) &&
           ami_txn_put_file(txn, rel, staged, error);
}

void
ami_txn_delete(AmiTxn *txn, const char *rel)
{
    g_return_if_fail(rel && !strstr(rel, ".."));
    json_array_append_new(txn->ops, json_pack("{s:s}", "dst", rel));
}

gboolean
ami_txn_commit(AmiTxn *txn, GError **error)
{
    g_autofree char *journal = g_build_filename(txn->workdir, "journal.json", NULL);
    g_autofree char *tmp = g_build_filename(txn->workdir, "journal.tmp", NULL);

    g_return_val_if_fail(txn->store->lock_fd >= 0, FALSE);
    g_return_val_if_fail(!txn->committed, FALSE);

    /* The commit point: journal.json exists, complete and synced. */
    if (!write_json_synced(tmp, txn->ops, 0600, error))
        return FALSE;
    if (rename(tmp, journal) < 0)
        return ami_error_set_errno(error, errno, journal);
    if (!fsync_dir(txn->workdir, error))
        return FALSE;
    txn->committed = TRUE;
    if (!apply_journal(txn->store->path, txn->workdir, txn->ops, error))
        return FALSE;
    txn->applied = TRUE;
    return TRUE;
}
