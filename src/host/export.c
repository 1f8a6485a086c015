/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * export-image: the root volume of an AMI becomes a VMDK, RAW or VHD file (docs/export.md).
 * The conversion holds no store lock and writes nothing into the store; the file is
 * made under a temporary name next to its target and renamed into place when complete,
 * so a partial file never stays behind (Ctrl-C removes it; only SIGKILL can leave the
 * hidden ".export-ami-….part" file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/export.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"

/* The file being written: where it goes, its temporary name, the directories made. */
typedef struct {
    char *path;        /* absolute target */
    char *dir;         /* its directory */
    char *tmp;         /* the temporary file, once made */
    GPtrArray *made;   /* directories this export created, outermost first */
} Target;

static void
target_clear(Target *t)
{
    g_free(t->path);
    g_free(t->dir);
    g_free(t->tmp);
    if (t->made)
        g_ptr_array_unref(t->made);
}

/* On failure: the temporary file and the directories made for it go. */
static void
target_discard(Target *t)
{
    if (t->tmp && g_unlink(t->tmp) < 0 && errno != ENOENT)
        g_debug("removing '%s': %s, ignoring", t->tmp, g_strerror(errno));
    g_clear_pointer(&t->tmp, g_free);
    for (guint i = t->made ? t->made->len : 0; i-- > 0;)
        (void)g_rmdir(t->made->pdata[i]);
}

/* The location a task was asked for, as its request gave it (NULL without one). */
static json_t *
location_of(const AmiExportRequest *r)
{
    json_t *loc;

    if (!r->s3_bucket)
        return NULL;
    loc = json_pack("{s:s}", "S3Bucket", r->s3_bucket);
    if (r->s3_prefix)
        json_object_set_new(loc, "S3Prefix", json_string(r->s3_prefix));
    return loc;
}

/*
 * EC2 idempotency (ClientToken): the task an earlier request with the same token made in
 * this region, or NULL; the same token with other parameters is IdempotentParameterMismatch.
 */
static gboolean
find_token(AmiStore *store, const AmiExportRequest *r, const char *region, json_t **ret_task,
           GError **error)
{
    g_autoptr(GPtrArray) tasks = NULL;
    g_autoptr(json_t) loc = location_of(r);

    *ret_task = NULL;
    if (!r->client_token || !(tasks = ami_store_list_export_tasks(store, error)))
        return r->client_token == NULL;
    for (guint i = 0; i < tasks->len; i++) {
        json_t *t = tasks->pdata[i], *own = json_object_get(t, "AmiRun");
        json_t *tloc = json_object_get(t, "S3ExportLocation");

        if (g_strcmp0(json_string_value(json_object_get(own, "ClientToken")), r->client_token) != 0 ||
            g_strcmp0(json_string_value(json_object_get(own, "Region")), region) != 0)
            continue;
        if (g_strcmp0(json_string_value(json_object_get(t, "ImageId")), r->image_id) != 0 ||
            g_strcmp0(json_string_value(json_object_get(own, "DiskImageFormat")),
                      ami_export_format_to_string(r->format)) != 0 ||
            (loc || tloc ? !loc || !tloc || !json_equal(loc, tloc) : FALSE))
            return ami_error_invalid(error, "IdempotentParameterMismatch: ClientToken '%.64s' "
                                     "was used by %s with other parameters", r->client_token,
                                     json_string_value(json_object_get(t, "ExportImageTaskId")));
        *ret_task = json_incref(t);
        return TRUE;
    }
    return TRUE;
}

/*
 * The image's root snapshot (its file path) and the device names of the other EBS
 * volumes with snapshots, which are not exported.  Reads the records under the lock.
 */
static gboolean
find_root(AmiStore *store, const char *image_id, char **ret_snapshot_path, GPtrArray *skipped,
          GError **error)
{
    g_autoptr(json_t) json = NULL;
    g_autoptr(json_t) snap = NULL;
    g_autoptr(AmiImage) image = NULL;
    g_autofree char *root = NULL;
    const char *snapshot_id = NULL;

    if (!ami_store_lock(store, error) || !(json = ami_store_find_image(store, image_id, error)) ||
        !(image = ami_image_parse(json, error)))
        return FALSE;
    if (image->root_device_name && !(root = ami_device_normalise(image->root_device_name, error)))
        return FALSE;
    for (guint i = 0; i < image->bdms->len; i++) {
        AmiBdm *bdm = image->bdms->pdata[i];

        if (bdm->kind != AMI_BDM_EBS || !bdm->snapshot_id)
            continue;
        if (root && strcmp(bdm->device, root) == 0)
            snapshot_id = bdm->snapshot_id;
        else
            g_ptr_array_add(skipped, g_strdup(bdm->device_name));
    }
    if (!snapshot_id)
        return ami_error_invalid(error, "Image '%s' has no EBS root volume with a snapshot to "
                                 "export", image_id);
    if (!(snap = ami_store_load_snapshot(store, snapshot_id, error)))
        return FALSE;
    *ret_snapshot_path = ami_store_snapshot_path(store, snapshot_id);
    return TRUE;
}

/* The records: the root snapshot, and the task of an earlier request with this token. */
static gboolean
read_records(AmiStore *store, const AmiExportRequest *r, const AmiExportOptions *opts,
             char **ret_snapshot_path, GPtrArray *skipped, json_t **ret_task, GError **error)
{
    gboolean ok = find_root(store, r->image_id, ret_snapshot_path, skipped, error) &&
                  find_token(store, r, opts->region, ret_task, error);

    ami_store_unlock(store);
    return ok;
}

/* The task's record, committed to the store (the only thing export-image writes there). */
static gboolean
record_task(AmiStore *store, const AmiExportRequest *r, const char *task_id,
            const AmiExportOptions *opts, const char *path, GError **error)
{
    g_autoptr(json_t) record = ami_export_task_record(r, task_id, opts->region, path);
    g_autofree char *rel = ami_store_export_task_rel(task_id);
    g_autofree char *dir = g_build_filename(ami_store_path(store), "export-image-tasks", NULL);
    g_autoptr(AmiTxn) txn = NULL;
    gboolean ok;

    /* A store made before export-image-tasks/ existed has none. */
    if (g_mkdir(dir, 0700) < 0 && errno != EEXIST)
        return ami_error_set_errno(error, errno, dir);
    if (!(txn = ami_store_txn_new(store, error)) || !ami_txn_put_json(txn, rel, record, error) ||
        !ami_store_lock(store, error))
        return FALSE;
    ok = ami_txn_commit(txn, error);
    ami_store_unlock(store);
    return ok;
}

/* The directories of @rel (relative to @base, which exists) that do not exist yet. */
static gboolean
plan_directories(const char *base, const char *rel_dir, Target *t, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(rel_dir, "/", -1);
    g_autofree char *at = g_strdup(base);

    for (char **p = parts; *p; p++) {
        char *next;

        if (!**p)
            continue;
        next = g_build_filename(at, *p, NULL);
        g_free(at);
        at = next;
        if (g_file_test(at, G_FILE_TEST_IS_DIR))
            continue;
        if (g_file_test(at, G_FILE_TEST_EXISTS))
            return ami_error_invalid(error, "'%s' is not a directory", at);
        g_ptr_array_add(t->made, g_strdup(at));
    }
    return TRUE;
}

/* Where the file goes: --output-file (a file, or a directory to put the default name
 * in), else BUCKET/PREFIX… below the working directory, whose bucket must exist. */
static gboolean
resolve_target(const AmiExportRequest *r, const AmiExportOptions *opts, const char *task_id,
               Target *t, GError **error)
{
    g_autofree char *def = ami_export_default_path(r, task_id);
    g_autofree char *base = g_path_get_basename(def);
    GStatBuf st;

    t->made = g_ptr_array_new_with_free_func(g_free);
    if (opts->output_file) {
        if (!*opts->output_file)
            return ami_error_invalid(error, "--output-file is empty");
        t->path = g_canonicalize_filename(opts->output_file, NULL);
        if (g_file_test(t->path, G_FILE_TEST_IS_DIR)) {
            char *in = g_build_filename(t->path, base, NULL);

            g_free(t->path);
            t->path = in;
        }
        t->dir = g_path_get_dirname(t->path);
        if (!g_file_test(t->dir, G_FILE_TEST_IS_DIR))
            return ami_error_invalid(error, "--output-file '%s': directory '%s' does not exist",
                                     opts->output_file, t->dir);
    } else {
        g_autofree char *rel_dir = g_path_get_dirname(def);

        t->path = g_canonicalize_filename(def, NULL);
        t->dir = g_path_get_dirname(t->path);
        if (r->s3_bucket && !g_file_test(r->s3_bucket, G_FILE_TEST_IS_DIR))
            return ami_error_invalid(error, "S3Bucket '%s': there is no directory '%s' here (EC2 "
                                     "needs the bucket to exist; make it, or give --output-file)",
                                     r->s3_bucket, r->s3_bucket);
        if (r->s3_bucket) {
            g_autofree char *cwd = g_get_current_dir();

            if (!plan_directories(cwd, rel_dir, t, error))
                return FALSE;
        }
    }
    if (g_lstat(t->path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return ami_error_invalid(error, "'%s' exists and is not a regular file", t->path);
        if (!opts->overwrite)
            return (g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                                "'%s' exists (--overwrite replaces it)", t->path), FALSE);
    }
    if (t->made->len == 0 && access(t->dir, W_OK | X_OK) < 0) {
        int errsv = errno;
        g_autofree char *what = g_strdup_printf("cannot write in '%s'", t->dir);

        return ami_error_set_errno(error, errsv, what);
    }
    return TRUE;
}

/*
 * The file must not land in the store: with --overwrite a rename would replace a
 * read-only snapshot (its directory is writable), and the store is ours alone.
 */
static gboolean
check_outside_store(AmiStore *store, const Target *t, GError **error)
{
    g_autofree char *store_real = realpath(ami_store_path(store), NULL);
    g_autofree char *dir = g_strdup(t->dir);
    g_autofree char *dir_real = NULL;

    /* The nearest existing ancestor: the prefix's directories are made later. */
    while (!(dir_real = realpath(dir, NULL)) && strcmp(dir, "/") != 0) {
        char *up = g_path_get_dirname(dir);

        g_free(dir);
        dir = up;
    }
    if (store_real && dir_real &&
        (strcmp(dir_real, store_real) == 0 ||
         (g_str_has_prefix(dir_real, store_real) && dir_real[strlen(store_real)] == '/')))
        return ami_error_invalid(error, "'%s' is inside the store '%s': export somewhere else",
                                 t->path, ami_store_path(store));
    return TRUE;
}

/* Make the directories of the prefix, then the temporary file next to the target. */
static gboolean
target_open(Target *t, GError **error)
{
    g_autofree char *base = g_path_get_basename(t->path);
    g_autofree char *tmpl = NULL;
    g_auto(AmiFd) fd = -1;

    for (guint i = 0; i < t->made->len; i++) {
        if (g_mkdir(t->made->pdata[i], 0777) < 0) {
            int errsv = errno;
            g_autofree char *failed = g_strdup(t->made->pdata[i]);

            g_ptr_array_set_size(t->made, i); /* only remove what this export made */
            return ami_error_set_errno(error, errsv, failed);
        }
    }
    tmpl = g_strdup_printf("%s/.%s.XXXXXX.part", t->dir, base);
    fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        int errsv = errno;
        g_autofree char *what = g_strdup_printf("cannot create a file in '%s'", t->dir);

        return ami_error_set_errno(error, errsv, what);
    }
    t->tmp = g_steal_pointer(&tmpl);
    return TRUE;
}

/* Synced, given the mode a new file gets (the umask's), renamed into place. */
static gboolean
target_commit(Target *t, gboolean overwrite, GError **error)
{
    g_auto(AmiFd) fd = -1;
    g_auto(AmiFd) dfd = -1;
    mode_t mask = umask(0);

    umask(mask);
    g_return_val_if_fail(t->tmp != NULL, FALSE);
    fd = open(t->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0)
        return ami_error_set_errno(error, errno, t->tmp);
    if (!ami_signals_check(error))
        return FALSE;
    if (overwrite ? rename(t->tmp, t->path) < 0
                  : renameat2(AT_FDCWD, t->tmp, AT_FDCWD, t->path, RENAME_NOREPLACE) < 0) {
        if (errno == EEXIST)
            return (g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                                "'%s' appeared while exporting (--overwrite replaces it)",
                                t->path), FALSE);
        return ami_error_set_errno(error, errno, t->path);
    }
    g_clear_pointer(&t->tmp, g_free);
    dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0 && fsync(dfd) < 0)
        g_debug("fsync of '%s': %s, ignoring", t->dir, g_strerror(errno));
    return TRUE;
}

void
ami_export_outcome_clear(AmiExportOutcome *o)
{
    g_clear_pointer(&o->path, g_free);
    g_clear_pointer(&o->skipped, g_ptr_array_unref);
}

json_t *
ami_export_image(AmiStore *store, json_t *request, const AmiExportOptions *opts,
                 AmiExportOutcome *ret, GError **error)
{
    g_autoptr(AmiExportRequest) r = NULL;
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *task_id = ami_id_new(AMI_ID_EXPORT_IMAGE_TASK);
    g_autofree char *source = NULL;
    g_autoptr(json_t) earlier = NULL;
    g_autoptr(json_t) result = NULL;
    Target t = {0};
    gboolean ok = FALSE;

    if (!(r = ami_export_request_parse(request, error)))
        goto out;
    if (!store) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                    "Image '%s' does not exist in the store", r->image_id);
        goto out;
    }
    if (!read_records(store, r, opts, &source, skipped, &earlier, error))
        goto out;
    if (earlier && !r->dry_run) {
        result = ami_export_task_result(earlier);
        t.path = g_strdup(json_string_value(
            json_object_get(json_object_get(earlier, "AmiRun"), "OutputFile")));
        ret->repeated = ok = TRUE;
        goto out;
    }
    if (!resolve_target(r, opts, task_id, &t, error) || !check_outside_store(store, &t, error))
        goto out;
    if (r->dry_run) {
        ret->dry_run = ok = TRUE;
        goto out;
    }
    if (!target_open(&t, error) ||
        !ami_qemu_img_export(source, t.tmp, ami_export_format_qemu(r->format),
                             ami_export_format_qemu_options(r->format), opts->progress, error) ||
        !target_commit(&t, opts->overwrite, error)) {
        target_discard(&t);
        goto out;
    }
    /* Without its record the task did not happen: the file goes too. */
    if (!record_task(store, r, task_id, opts, t.path, error)) {
        (void)g_unlink(t.path);
        target_discard(&t);
        goto out;
    }
    result = ami_export_result(r, task_id);
    ok = TRUE;
out:
    if (ok) {
        ret->path = g_steal_pointer(&t.path);
        ret->skipped = g_steal_pointer(&skipped);
    }
    target_clear(&t);
    return ok ? g_steal_pointer(&result) : NULL;
}
