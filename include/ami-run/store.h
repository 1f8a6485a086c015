/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The snapshot store (docs/store.md).  Every change goes through a transaction: files
 * are staged in a private work directory, a journal is written and synced (the commit
 * point), then the files are renamed into place.  A command killed at any point leaves
 * the old or the new state; the next command that locks the store finishes or discards
 * what a dead one left behind.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/ids.h"

G_BEGIN_DECLS

/* The store of root when neither --store, AMI_RUN_STORE nor XDG_DATA_HOME says. */
#define AMI_STORE_ROOT_DEFAULT "/var/lib/ami-run"

/* OwnerId of everything registered locally; `--owners self` selects it. */
#define AMI_STORE_OWNER_ID "000000000000"

typedef struct AmiStore AmiStore;
typedef struct AmiTxn AmiTxn;

/**
 * ami_store_resolve_path() - the store directory: @flag (--store) if set, else
 * $AMI_RUN_STORE, else $XDG_DATA_HOME/ami-run (~/.local/share/ami-run).
 * Returns a newly allocated absolute path.
 */
char *ami_store_resolve_path(const char *flag);

/**
 * ami_store_open() - open the store at @path.  With @create, make it (directories 0700)
 * when missing; without, a missing store is AMI_ERROR_NOT_FOUND.  Takes no lock.
 */
AmiStore *ami_store_open(const char *path, gboolean create, GError **error);

/** ami_store_free() - release @store and its lock. Accepts NULL. */
void ami_store_free(AmiStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiStore, ami_store_free)

/** ami_store_path() - the store's root directory (borrowed). */
const char *ami_store_path(const AmiStore *store);

/**
 * ami_store_lock() - take the store's exclusive lock (waiting for other commands) and
 * recover what dead commands left: finish committed transactions, remove the rest.
 */
gboolean ami_store_lock(AmiStore *store, GError **error);

/** ami_store_unlock() - drop the lock taken by ami_store_lock(). */
void ami_store_unlock(AmiStore *store);

/*
 * Regions (docs/store.md "Regions").  AMIs, snapshots and instances are regional: every
 * record carries AmiRun.Region (one without it belongs to us-east-1), and a verb sees only
 * the records of its own region.  The raw loaders below (ami_store_load_*) see every
 * region: internal walks (snapshot chains, reference counts, id collisions) need them.
 * Ids a user names go through the ami_store_find_*() / ami_instance_find() loaders, which
 * check the region in one place, ami_store_check_region().
 */

/** ami_record_region() - AmiRun.Region of @record, or "us-east-1" without one (borrowed). */
const char *ami_record_region(json_t *record);

/** ami_record_set_region() - set AmiRun.Region of @record (AmiRun made if missing). */
void ami_record_set_region(json_t *record, const char *region);

/** ami_store_set_region() - the region this store handle works in (copied; NULL: us-east-1). */
void ami_store_set_region(AmiStore *store, const char *region);

/** ami_store_region() - the handle's region, "us-east-1" by default (borrowed). */
const char *ami_store_region(const AmiStore *store);

/**
 * ami_store_check_region() - TRUE when @record (of @kind, id @id) is in the handle's
 * region; else AMI_ERROR_NOT_FOUND with EC2's code (InvalidAMIID.NotFound,
 * InvalidSnapshot.NotFound, InvalidInstanceID.NotFound) naming both regions.
 */
gboolean ami_store_check_region(const AmiStore *store, AmiIdKind kind, const char *id,
                                json_t *record, GError **error);

/**
 * ami_store_in_region() - drop from @records (owned json_t references) those of other
 * regions than the handle's.  Returns @records.
 */
GPtrArray *ami_store_in_region(const AmiStore *store, GPtrArray *records);

/**
 * ami_record_owner() - OwnerId of an image or snapshot record; one registered without
 * one belongs to this store's account, AMI_STORE_OWNER_ID (borrowed).
 */
const char *ami_record_owner(json_t *record);

/**
 * ami_store_image_launched() - set the image's LastLaunchedTime to @when (ISO 8601), as
 * each launch does in EC2.  Takes the store lock unless this handle holds it already.
 */
gboolean ami_store_image_launched(AmiStore *store, const char *image_id, const char *when,
                                  GError **error);

/** ami_store_find_image() - ami_store_load_image(), only in the handle's region. */
json_t *ami_store_find_image(AmiStore *store, const char *image_id, GError **error);

/** ami_store_find_snapshot() - ami_store_load_snapshot(), only in the handle's region. */
json_t *ami_store_find_snapshot(AmiStore *store, const char *snapshot_id, GError **error);

/**
 * ami_store_load_image() - the stored describe-images object of @image_id (new
 * reference), or NULL with AMI_ERROR_NOT_FOUND (or AMI_ERROR_CORRUPT).
 */
json_t *ami_store_load_image(AmiStore *store, const char *image_id, GError **error);

/** ami_store_load_snapshot() - the same for a snapshot's record. */
json_t *ami_store_load_snapshot(AmiStore *store, const char *snapshot_id, GError **error);

/**
 * ami_store_list_images() - every stored image object, sorted by ImageId.
 * Returns a new array of owned json_t references.
 */
GPtrArray *ami_store_list_images(AmiStore *store, GError **error);

/** ami_store_list_snapshots() - every snapshot record, sorted by SnapshotId. */
GPtrArray *ami_store_list_snapshots(AmiStore *store, GError **error);

/**
 * ami_store_load_key_pair() - the stored key pair @key_pair_id (describe-key-pairs shape,
 * PublicKey included; new reference), or NULL with AMI_ERROR_NOT_FOUND whose message
 * starts "InvalidKeyPair.NotFound".
 */
json_t *ami_store_load_key_pair(AmiStore *store, const char *key_pair_id, GError **error);

/** ami_store_list_key_pairs() - every stored key pair, sorted by KeyPairId. */
GPtrArray *ami_store_list_key_pairs(AmiStore *store, GError **error);

/** ami_store_key_pair_rel() - "key-pairs/key-….json" (new string; the id must be valid). */
char *ami_store_key_pair_rel(const char *key_pair_id);

/** ami_store_export_task_rel() - "export-image-tasks/export-ami-….json" (new string). */
char *ami_store_export_task_rel(const char *task_id);

/**
 * ami_store_list_export_tasks() - every export-image task record (ExportImageTask shape
 * plus "AmiRun"), sorted by ExportImageTaskId; none in a store made before they were.
 */
GPtrArray *ami_store_list_export_tasks(AmiStore *store, GError **error);

/**
 * ami_store_images_using() - ids of the stored images whose mappings refer to
 * @snapshot_id, other than @except (may be NULL).  New array of new strings.
 */
GPtrArray *ami_store_images_using(AmiStore *store, const char *snapshot_id, const char *except,
                                  GError **error);

/** ami_store_snapshot_path() - path of a snapshot's disk file (new string). */
char *ami_store_snapshot_path(const AmiStore *store, const char *snapshot_id);

/** ami_store_image_rel(), ami_store_snapshot_rel(), ami_store_snapshot_record_rel() -
 * store-relative paths for transactions (new strings; ids must be valid). */
char *ami_store_image_rel(const char *image_id);
char *ami_store_snapshot_rel(const char *snapshot_id);
char *ami_store_snapshot_record_rel(const char *snapshot_id);

/**
 * ami_store_txn_new() - start a transaction: a private work directory inside the store
 * (same file system, so renames are atomic) that is removed when the transaction is
 * freed uncommitted.  Needs no lock; ami_txn_commit() does.
 */
AmiTxn *ami_store_txn_new(AmiStore *store, GError **error);

/** ami_txn_free() - discard an uncommitted transaction and its staged files. */
void ami_txn_free(AmiTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiTxn, ami_txn_free)

/** ami_txn_workdir() - the work directory for staging large files (borrowed). */
const char *ami_txn_workdir(const AmiTxn *txn);

/** ami_txn_stage_path() - a fresh file name inside the work directory (new string). */
char *ami_txn_stage_path(AmiTxn *txn);

/** ami_txn_put_json() - stage @value to be written at store-relative @rel. */
gboolean ami_txn_put_json(AmiTxn *txn, const char *rel, json_t *value, GError **error);

/** ami_txn_put_file() - stage @staged (from ami_txn_stage_path()) to land at @rel. */
gboolean ami_txn_put_file(AmiTxn *txn, const char *rel, const char *staged, GError **error);

/** ami_txn_delete() - delete @rel (store-relative) when the transaction commits. */
void ami_txn_delete(AmiTxn *txn, const char *rel);

/** ami_txn_commit() - make every staged change at once.  The store must be locked. */
gboolean ami_txn_commit(AmiTxn *txn, GError **error);

/**
 * ami_json_write_file_atomic() - write @value to @path via a temporary file, fsync and
 * rename, with mode @mode.
 */
gboolean ami_json_write_file_atomic(const char *path, json_t *value, int mode, GError **error);

G_END_DECLS
