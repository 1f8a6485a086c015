/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * create-image (docs/create-image.md): the request checks, the new image's JSON, and the
 * snapshot chains it makes (docs/store.md "Snapshot chains").  core/capture.c is pure;
 * host/capture.c copies the layers, seals them and runs the detached worker.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/store.h"

G_BEGIN_DECLS

/* --- core/capture.c (pure) ---------------------------------------------------------- */

/**
 * ami_capture_name_check() - EC2's rule for an AMI Name: 3-128 characters, each a letter,
 * digit, space or one of ( ) [ ] . / - ' @ _.  FALSE with AMI_ERROR_INVALID naming the
 * first offending character.
 */
gboolean ami_capture_name_check(const char *name, GError **error);

/**
 * ami_capture_tags_check() - TagSpecifications of CreateImage: each {ResourceType image|
 * snapshot, Tags [{Key, Value}]}; anything else is AMI_ERROR_INVALID (EC2 fails the
 * request for other resource types).
 */
gboolean ami_capture_tags_check(json_t *tag_specs, GError **error);

/**
 * ami_capture_tags_for() - the Tags of every specification for @resource_type, in order
 * (a later Key replaces an earlier one).  New list.
 */
json_t *ami_capture_tags_for(json_t *tag_specs, const char *resource_type);

/**
 * ami_capture_volumes() - what the new image maps, from the instance record and the
 * request's BlockDeviceMappings (may be NULL): one object per mapping, root first,
 *   {"DeviceName", "Capture": {"VolumeId", "Path", "Parent" (snapshot or absent),
 *    "SizeGiB"}, "Ebs"/"VirtualName"} for a volume to capture, or the mapping as it will
 *   be stored (new blank volume, existing snapshot, instance store).
 * Follows EC2 (docs/image-lifecycle.md §1.1): NoDevice drops a mapping (never the root),
 * only DeleteOnTermination may change on an instance volume, a new EBS mapping needs a
 * VolumeSize or SnapshotId, Encrypted is refused.  @source_image (may be NULL: the image
 * was deregistered) gives VolumeType and instance-store names.  New list or NULL.
 */
json_t *ami_capture_volumes(json_t *instance, json_t *source_image, json_t *request_bdms,
                            GError **error);

typedef struct {
    json_t *instance;     /* the instance record */
    json_t *source_image; /* the image it was launched from, or NULL */
    json_t *volumes;      /* ami_capture_volumes(), each to-capture entry with "SnapshotId" */
    const char *image_id;
    const char *name;
    const char *description; /* NULL: none */
    json_t *tag_specs;    /* TagSpecifications, or NULL */
    const char *now;      /* CreationDate */
    const char *region;
} AmiCaptureSpec;

/**
 * ami_capture_image_json() - the new image, State pending, as describe-images shows it,
 * with what EC2 carries from the instance and its source image (§1.5).  New reference.
 */
json_t *ami_capture_image_json(const AmiCaptureSpec *spec);

/**
 * ami_snapshot_chain() - the layers below @snapshot_id, nearest first, from the records in
 * @snapshots (describe-snapshots objects): its AmiRun.Chain [{SnapshotId, Sha256}], which
 * every layer record carries whole so that a chain survives the deletion of a parent's
 * record.  Empty for a full disk.  New list, or NULL with AMI_ERROR_CORRUPT for a record
 * whose Parent is not the head of its Chain.
 */
json_t *ami_snapshot_chain(json_t *record, GError **error);

/**
 * ami_snapshot_files_unreferenced() - of the layer files of @deleting (snapshot records
 * about to go) and of their chains, those no record of @remaining (the records that stay)
 * names as its own or in its chain: the files that may be removed.  New array of new
 * strings (snapshot ids, i.e. file names under snapshots/).
 */
GPtrArray *ami_snapshot_files_unreferenced(GPtrArray *remaining, GPtrArray *deleting);

/* --- host/capture.c ----------------------------------------------------------------- */

/**
 * ami_snapshot_chain_paths() - the files of the layers below the snapshot of @record,
 * nearest first (for the plan), or NULL for a full disk (or a malformed chain, which the
 * launch's verification reports).  New GStrv.
 */
char **ami_snapshot_chain_paths(AmiStore *store, json_t *record);

/**
 * ami_snapshot_delete_stage() - stage in @txn the deletion of the snapshot records
 * @ids and of every layer file no other record still needs (reference counting over the
 * chains: a later layer keeps its parent's file).  The store must be locked.
 */
gboolean ami_snapshot_delete_stage(AmiStore *store, AmiTxn *txn, char **ids, GError **error);

/**
 * ami_capture_copy_layer() - copy @src (a qcow2 file) to the new file @dst keeping its
 * holes, so that a layer costs what the instance wrote.
 */
gboolean ami_capture_copy_layer(const char *src, const char *dst, GError **error);

/** ami_capture_worker_json() - {"Pid", "Start"} of process @pid, to tell it from a reused pid. */
json_t *ami_capture_worker_json(int pid);

/**
 * ami_capture_reap_stale() - images left pending by a create-image worker that is gone:
 * failed, with StateReason.  Takes the store lock when there is one to mark.
 */
gboolean ami_capture_reap_stale(AmiStore *store, GError **error);

/**
 * ami_capture_run() - the detached worker (`ami-run __capture ami-…`): stop or pause the
 * instance, copy its volumes into layers, seal them, make the image available (or failed).
 * @self_exe starts the instance again.
 */
gboolean ami_capture_run(AmiStore *store, const char *image_id, const char *self_exe,
                         GError **error);

/**
 * ami_capture_serve_pause() - in the supervisor, on SIGURG: read the instance's
 * capture-request.json, pause the guest with @pause, copy the volumes it names, resume
 * with @resume, answer in capture-reply.json with the measured pause.
 */
void ami_capture_serve_pause(const char *instance_dir, gboolean (*pause)(void *, GError **),
                             gboolean (*resume)(void *, GError **), void *data);

G_END_DECLS
