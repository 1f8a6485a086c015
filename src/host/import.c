/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"

static const char *const supported_formats[] = {"raw", "qcow2", "vmdk", "vhdx", "vpc", NULL};

gboolean
ami_disk_format_is_supported(const char *format)
{
    return format && g_strv_contains(supported_formats, format);
}

void
ami_prepared_disk_free(AmiPreparedDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->source);
    g_free(disk->source_format);
    g_free(disk->source_sha256);
    g_free(disk->description);
    g_free(disk->snapshot_id);
    g_free(disk->staged);
    g_free(disk->sha256);
    g_free(disk);
}

char *
ami_now_iso8601(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.000Z");
}

gint64
ami_snapshot_size_gib(json_t *record)
{
    json_t *v = json_object_get(record, "VolumeSize");

    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* A local source: an absolute path (so qemu never parses "proto:" or "json:" prefixes). */
static char *
local_source(const char *source, GError **error)
{
    g_autofree char *path = g_canonicalize_filename(source, NULL);
    struct stat st;

    if (stat(path, &st) < 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "Disk image '%s': %s", source,
                    g_strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk image '%s' is not a regular file or block device", source);
        return NULL;
    }
    return g_steal_pointer(&path);
}

/* The safety checks on the probed image, before qemu-img reads any of its data. */
static gboolean
check_format(const char *source, const AmiDiskInfo *info, const char *declared,
             GError **error)
{
    if (!ami_disk_format_is_supported(info->format)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk image '%s' is %s, which ami-run does not import (raw, qcow2, vmdk, "
                    "vhdx or vpc)", source, info->format);
        return FALSE;
    }
    if (declared && strcmp(declared, info->format) != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk image '%s' was declared %s but its content is %s; refusing it",
                    source, declared, info->format);
        return FALSE;
    }
    if (info->backing_file) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk image '%s' has a backing file ('%s'); import a self-contained image "
                    "(qemu-img convert -O qcow2 IN OUT)", source, info->backing_file);
        return FALSE;
    }
    if (info->has_data_file || info->foreign_extents) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk image '%s' keeps its data in other files; import a self-contained "
                    "image", source);
        return FALSE;
    }
    if (info->virtual_size == 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "Disk image '%s' is empty", source);
        return FALSE;
    }
    return TRUE;
}

/*
 * Start writing the converted image back to disk now, so the kernel does it while we
 * hash the file (page cache reads); the fsync at commit then finds little left to do.
 * Best effort: a file system without sync_file_range() just does it all at the fsync.
 */
static void
start_writeback(const char *path)
{
    g_auto(AmiFd) fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd >= 0)
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

static gboolean
verify_sha256(const char *source, const char *expected, const char *actual, GError **error)
{
    if (g_ascii_strcasecmp(expected, actual) == 0)
        return TRUE;
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                "Disk image '%s': sha256 mismatch, expected %s but got %s", source, expected,
                actual);
    return FALSE;
}

AmiPreparedDisk *
ami_import_prepare(AmiTxn *txn, const AmiImportSpec *spec, GError **error)
{
    g_autoptr(AmiPreparedDisk) disk = g_new0(AmiPreparedDisk, 1);
    g_autoptr(AmiDiskInfo) info = NULL;
    g_autoptr(AmiDiskInfo) out = NULL;
    g_autofree char *input = NULL;

    if (spec->format && !ami_disk_format_is_supported(spec->format)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--format '%s' is not one of raw, qcow2, vmdk, vhdx, vpc", spec->format);
        return NULL;
    }
    if (spec->sha256 && !ami_sha256_hex_is_valid(spec->sha256)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--sha256 must be 64 hex digits");
        return NULL;
    }
    disk->source = g_strdup(spec->source);
    disk->description = g_strdup(spec->description);
    disk->snapshot_id = g_strdup(spec->snapshot_id);

    if (ami_url_is_remote(spec->source)) {
        input = ami_txn_stage_path(txn);
        if (!ami_http_download(spec->source, input, spec->progress, &disk->source_sha256,
                               error))
            return NULL;
    } else {
        if (!(input = local_source(spec->source, error)))
            return NULL;
        if (spec->sha256 && !(disk->source_sha256 = ami_sha256_file(input, error)))
            return NULL;
    }
    if (spec->sha256 && !verify_sha256(spec->source, spec->sha256, disk->source_sha256, error))
        return NULL;

    /* The one probe; from here on the format is pinned. */
    if (!(info = ami_qemu_img_info(input, NULL, error)) ||
        !check_format(spec->source, info, spec->format, error))
        return NULL;
    disk->source_format = g_strdup(info->format);
    disk->staged = ami_txn_stage_path(txn);
    if (!ami_qemu_img_convert(input, info->format, disk->staged, spec->progress, error))
        return NULL;
    if (ami_url_is_remote(spec->source))
        unlink(input); /* the download is converted; free its space now */
    if (!(out = ami_qemu_img_info(disk->staged, "qcow2", error)))
        return NULL;
    disk->virtual_size = out->virtual_size;
    if (chmod(disk->staged, 0400) < 0) {
        ami_error_set_errno(error, errno, disk->staged);
        return NULL;
    }
    start_writeback(disk->staged);
    if (!(disk->sha256 = ami_sha256_file(disk->staged, error)))
        return NULL;
    return g_steal_pointer(&disk);
}

/*
 * A stored snapshot with the same content, or NULL: one of the store's region first (its
 * id is the answer, *ret_here), else one of another region (its file is shared, the id
 * is not: snapshots are regional).
 */
static char *
find_identical(AmiStore *store, const char *sha256, gboolean *ret_here, GError **error)
{
    g_autoptr(GPtrArray) all = ami_store_list_snapshots(store, error);
    const char *elsewhere = NULL;

    *ret_here = FALSE;
    if (!all)
        return NULL;
    for (guint i = 0; i < all->len; i++) {
        json_t *amirun = json_object_get(all->pdata[i], "AmiRun");
        const char *s = json_string_value(json_object_get(amirun, "Sha256"));
        const char *id = json_string_value(json_object_get(all->pdata[i], "SnapshotId"));

        if (!s || strcmp(s, sha256) != 0 || !id)
            continue;
        if (strcmp(ami_record_region(all->pdata[i]), ami_store_region(store)) == 0) {
            *ret_here = TRUE;
            return g_strdup(id);
        }
        elsewhere = elsewhere ? elsewhere : id;
    }
    return g_strdup(elsewhere);
}

static json_t *
snapshot_record(const AmiPreparedDisk *disk, const char *id, const char *now)
{
    gint64 gib = (gint64)((disk->virtual_size + (G_GUINT64_CONSTANT(1) << 30) - 1) >> 30);
    json_t *amirun = json_pack("{s:s, s:s, s:I, s:s, s:s}", "Format", "qcow2", "Sha256",
                               disk->sha256, "VirtualSize", (json_int_t)disk->virtual_size,
                               "SourceFormat", disk->source_format, "Source", disk->source);

    if (disk->source_sha256)
        json_object_set_new(amirun, "SourceSha256", json_string(disk->source_sha256));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:[], s:o}",
                     "SnapshotId", id, "VolumeId", "vol-ffffffff", "State", "completed",
                     "StartTime", now, "Progress", "100%", "OwnerId", AMI_STORE_OWNER_ID,
                     "Description", disk->description ? disk->description : "",
                     "VolumeSize", (json_int_t)MAX(gib, 1), "Encrypted", 0,
                     "StorageTier", "standard", "Tags", "AmiRun", amirun);
}

/* The data of an identical disk, hard-linked into the work directory: stored once. */
static char *
link_staged(AmiTxn *txn, const char *from, GError **error)
{
    g_autofree char *to = ami_txn_stage_path(txn);

    if (link(from, to) < 0) {
        ami_error_set_errno(error, errno, from);
        return NULL;
    }
    return g_steal_pointer(&to);
}

static const AmiPreparedDisk *
find_in_batch(GPtrArray *batch, const AmiPreparedDisk *disk)
{
    for (guint i = 0; batch && i < batch->len; i++) {
        const AmiPreparedDisk *other = batch->pdata[i];

        if (other != disk && other->snapshot_id && strcmp(other->sha256, disk->sha256) == 0)
            return other;
    }
    return NULL;
}

gboolean
ami_import_stage(AmiStore *store, AmiTxn *txn, AmiPreparedDisk *disk, GPtrArray *batch,
                 const char *now, char **ret_snapshot_id, char **ret_duplicate_of,
                 GError **error)
{
    g_autofree char *identical = NULL;
    g_autofree char *id = NULL;
    g_autofree char *rel = NULL;
    g_autofree char *rec_rel = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(json_t) existing = NULL;
    g_autoptr(GError) local = NULL;
    const AmiPreparedDisk *twin;

    gboolean here = FALSE;

    if (!(identical = find_identical(store, disk->sha256, &here, &local)) && local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (disk->snapshot_id) {
        existing = ami_store_load_snapshot(store, disk->snapshot_id, NULL);
        if (existing) {
            if (identical && here && strcmp(identical, disk->snapshot_id) == 0) {
                *ret_snapshot_id = g_strdup(identical);
                *ret_duplicate_of = g_strdup(identical);
                return TRUE;
            }
            if (strcmp(ami_record_region(existing), ami_store_region(store)) != 0)
                g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                            "Snapshot '%s' already exists in region '%s' (ids are unique in the store)",
                            disk->snapshot_id, ami_record_region(existing));
            else
                g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                            "Snapshot '%s' already exists in the store with different content",
                            disk->snapshot_id);
            return FALSE;
        }
        id = g_strdup(disk->snapshot_id);
    } else if (identical && here) {
        *ret_snapshot_id = g_strdup(identical);
        *ret_duplicate_of = g_steal_pointer(&identical);
        return TRUE;
    } else {
        id = ami_id_new(AMI_ID_SNAPSHOT);
    }

    /* An explicit id for content we hold already: share the bytes, keep both ids. */
    twin = find_in_batch(batch, disk);
    if (identical || twin) {
        g_autofree char *from = identical ? ami_store_snapshot_path(store, identical)
                                          : g_strdup(twin->staged);
        g_autofree char *linked = link_staged(txn, from, error);

        if (!linked)
            return FALSE;
        unlink(disk->staged);
        g_free(disk->staged);
        disk->staged = g_steal_pointer(&linked);
        *ret_duplicate_of = g_strdup(identical ? identical : twin->snapshot_id);
    }
    rel = ami_store_snapshot_rel(id);
    rec_rel = ami_store_snapshot_record_rel(id);
    record = snapshot_record(disk, id, now);
    ami_record_set_region(record, ami_store_region(store));
    if (!ami_txn_put_file(txn, rel, disk->staged, error) ||
        !ami_txn_put_json(txn, rec_rel, record, error))
        return FALSE;
    g_free(disk->snapshot_id);
    disk->snapshot_id = g_strdup(id);
    *ret_snapshot_id = g_steal_pointer(&id);
    return TRUE;
}
