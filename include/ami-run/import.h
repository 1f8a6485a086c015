/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Disk import: a file or URL becomes a snapshot.  Two steps so the slow one holds no
 * lock: ami_import_prepare() downloads, checks and converts into the transaction's work
 * directory; ami_import_stage(), under the store lock, deduplicates and stages the
 * snapshot and its record in the transaction.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/store.h"

G_BEGIN_DECLS

typedef struct {
    const char *source;      /* a path, or an http(s):// or file:// URL */
    const char *format;      /* raw, qcow2, vmdk, vhdx or vpc; NULL: detect */
    const char *sha256;      /* expected SHA-256 of the source bytes; NULL: none */
    const char *description;
    const char *snapshot_id; /* the id to use; NULL: a new one */
    gboolean progress;       /* progress bars on stderr */
} AmiImportSpec;

typedef struct {
    char *source;
    char *source_format;
    char *source_sha256;  /* when computed (URL, or --sha256 given) */
    char *description;
    char *snapshot_id;    /* requested id, or NULL */
    char *staged;         /* the converted qcow2 in the work directory */
    char *sha256;         /* of @staged: what the store verifies later */
    guint64 virtual_size; /* bytes */
} AmiPreparedDisk;

void ami_prepared_disk_free(AmiPreparedDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiPreparedDisk, ami_prepared_disk_free)

/** ami_disk_format_is_supported() - raw, qcow2, vmdk, vhdx or vpc. */
gboolean ami_disk_format_is_supported(const char *format);

/**
 * ami_import_prepare() - fetch @spec's source if it is a URL, check its format (probed
 * once, must match @spec->format when given; no backing file, data file or foreign
 * extents), verify --sha256, convert it to a sparse qcow2 in @txn's work directory and
 * hash it.  Takes no lock.  Returns a new AmiPreparedDisk.
 */
AmiPreparedDisk *ami_import_prepare(AmiTxn *txn, const AmiImportSpec *spec, GError **error);

/**
 * ami_import_stage() - under the store lock: stage @disk as a snapshot in @txn.  A disk
 * identical (same SHA-256) to a stored one, or to an earlier one in @batch, is not stored
 * twice: without a requested id the existing id is returned and *ret_duplicate_of set;
 * with one, the new id shares the existing data (a hard link).  @now is ISO-8601.
 * Returns the snapshot id in *ret_snapshot_id (new string).
 */
gboolean ami_import_stage(AmiStore *store, AmiTxn *txn, AmiPreparedDisk *disk, GPtrArray *batch,
                          const char *now, char **ret_snapshot_id, char **ret_duplicate_of,
                          GError **error);

/** ami_snapshot_size_gib() - VolumeSize of a snapshot record, or -1. */
gint64 ami_snapshot_size_gib(json_t *record);

/** ami_now_iso8601() - the current UTC time as EC2 prints it (new string). */
char *ami_now_iso8601(void);

G_END_DECLS
