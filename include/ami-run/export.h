/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * export-image: an AMI's root volume written to a local file in a form VM Import/Export
 * takes (docs/export.md).  core/export.c checks the ExportImage request and builds the
 * response (pure); host/export.c converts with qemu-img and puts the file in place.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/store.h"

G_BEGIN_DECLS

/* botocore ec2 DiskImageFormat. */
typedef enum {
    AMI_EXPORT_VMDK, /* stream-optimized, as VM Import/Export writes and reads it */
    AMI_EXPORT_RAW,
    AMI_EXPORT_VHD,  /* dynamic (qemu's vpc), the size kept exactly */
    AMI_EXPORT_LAST
} AmiExportFormat;

/** ami_export_format_to_string() - "VMDK", "RAW" or "VHD"; NULL for others. Static. */
const char *ami_export_format_to_string(AmiExportFormat v);

/** ami_export_format_from_string() - the format named @s (as EC2 spells it). */
gboolean ami_export_format_from_string(const char *s, AmiExportFormat *ret);

/** ami_export_format_extension() - "vmdk", "raw" or "vhd": EC2's S3 key suffix. Static. */
const char *ami_export_format_extension(AmiExportFormat v);

/** ami_export_format_qemu() - qemu-img's -O name: "vmdk", "raw" or "vpc". Static. */
const char *ami_export_format_qemu(AmiExportFormat v);

/**
 * ami_export_format_qemu_options() - qemu-img's -o for @v, or NULL: VMDK is
 * subformat=streamOptimized, VHD subformat=dynamic,force_size=on (without force_size
 * qemu rounds the size up to a CHS geometry, and the disk grows).  Static.
 */
const char *ami_export_format_qemu_options(AmiExportFormat v);

/* An ExportImage request (botocore ec2 ExportImageRequest), checked. */
typedef struct {
    char *image_id;
    AmiExportFormat format;
    char *s3_bucket;   /* NULL without S3ExportLocation */
    char *s3_prefix;   /* NULL without S3Prefix */
    char *description; /* NULL when not given */
    char *role_name;   /* recorded only */
    char *client_token; /* idempotency: the same token returns the same task */
    json_t *tags;      /* Tags of the export-image-task TagSpecifications (a list) */
    gboolean dry_run;
} AmiExportRequest;

void ami_export_request_free(AmiExportRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiExportRequest, ami_export_request_free)

/**
 * ami_export_request_parse() - check @request, ExportImageRequest's JSON: ImageId and
 * DiskImageFormat required; S3ExportLocation optional here (it names a local directory,
 * so its S3Bucket must follow S3's bucket naming rules and its S3Prefix must not climb
 * out with "..", start with "/" or hold control characters); Description ≤ 255
 * characters; TagSpecifications only for export-image-task.  Unknown members are
 * AMI_ERROR_INVALID.  Returns a new request.
 */
AmiExportRequest *ami_export_request_parse(json_t *request, GError **error);

/**
 * ami_export_default_path() - where the file goes without --output-file: the S3 key EC2
 * would write, `PREFIX` + `export-ami-….EXT`, under a directory named after the bucket
 * (`BUCKET/PREFIXexport-ami-….vmdk`), or `export-ami-….EXT` without S3ExportLocation.
 * Relative to the working directory.  New string.
 */
char *ami_export_default_path(const AmiExportRequest *r, const char *task_id);

/**
 * ami_export_result() - the ExportImageResult (and ExportImageTask) for a finished
 * export of @r as task @task_id: Status "completed", Progress "100".  New object.
 */
json_t *ami_export_result(const AmiExportRequest *r, const char *task_id);

/**
 * ami_export_task_record() - the stored record of a finished task: the ExportImageTask
 * shape (describe-export-image-tasks) and, under "AmiRun", what EC2 does not show there:
 * Region, OutputFile (@path), DiskImageFormat, RoleName, ClientToken.  New object.
 */
json_t *ami_export_task_record(const AmiExportRequest *r, const char *task_id,
                               const char *region, const char *path);

/**
 * ami_export_task_view() - @record as describe-export-image-tasks shows it (without
 * "AmiRun").  New object.
 */
json_t *ami_export_task_view(json_t *record);

/**
 * ami_export_task_result() - the ExportImageResult of the stored task @record (a repeated
 * request with the same ClientToken gets it again).  New object.
 */
json_t *ami_export_task_result(json_t *record);

/* What export-image does beyond the request (ami-run's own options). */
typedef struct {
    const char *output_file; /* a file or an existing directory; NULL: the default path */
    gboolean overwrite;      /* replace an existing file */
    gboolean progress;       /* qemu-img's progress on stderr */
    const char *region;      /* recorded in the task (cli_region()) */
} AmiExportOptions;

/* What an export did, beside its result. */
typedef struct {
    char *path;         /* the file written (or, dry run, that would be; repeated: the earlier) */
    GPtrArray *skipped; /* char *: device names of the EBS volumes not exported */
    gboolean dry_run;   /* DryRun: everything checked, nothing written, no result */
    gboolean repeated;  /* a ClientToken used before: that task's result, nothing written */
} AmiExportOutcome;

/** ami_export_outcome_clear() - free the members of @o. */
void ami_export_outcome_clear(AmiExportOutcome *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AmiExportOutcome, ami_export_outcome_clear)

/**
 * ami_export_image() - export @request's image: its root volume converted (source
 * format qcow2 pinned; a backing chain inside the store is followed) to a temporary
 * file next to the target, synced, then renamed into place, never over an existing
 * file unless @opts->overwrite.  On any failure or signal the temporary file and the
 * directories made for it are removed.  Other EBS volumes of the image are not written
 * (ret->skipped names them).  Takes the store lock only to read the records and to
 * commit the task's record (export-image-tasks/); @store may be NULL (no store: no
 * image).  A ClientToken used before in the region returns that task's result and
 * exports nothing (ret->repeated), or AMI_ERROR_INVALID "IdempotentParameterMismatch"
 * when the image, format or location differ.  Returns the ExportImageResult (new
 * object); with DryRun, NULL and ret->dry_run, nothing written.  *ret is filled on
 * success only.
 */
json_t *ami_export_image(AmiStore *store, json_t *request, const AmiExportOptions *opts,
                         AmiExportOutcome *ret, GError **error);

G_END_DECLS
