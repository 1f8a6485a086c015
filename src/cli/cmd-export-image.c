/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run export-image: `aws ec2 export-image`, written to a local file instead of S3
 * (docs/export.md): the AMI's root volume as stream-optimized VMDK, RAW or dynamic VHD,
 * what VM Import/Export takes.  Prints EC2's ExportImageResult.
 */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/export.h"
#include "cli.h"

typedef struct {
    char *image_id, *disk_image_format, *s3_export_location, *description, *client_token;
    char *role_name, *output_file, *cli_input_json;
    char **tag_specifications;
    int dry_run, overwrite;
} Opts;

/* The ExportImage request: --cli-input-json, with the flags merged over it. */
static json_t *
build_request(const Opts *o, GError **error)
{
    const struct {
        const char *member;
        const char *value;
    } strings[] = {
        {"ImageId", o->image_id},       {"DiskImageFormat", o->disk_image_format},
        {"Description", o->description}, {"ClientToken", o->client_token},
        {"RoleName", o->role_name},
    };
    g_autoptr(json_t) request = o->cli_input_json
                                    ? cli_json_arg(o->cli_input_json, "cli-input-json", error)
                                    : json_object();

    if (!request)
        return NULL;
    if (!json_is_object(request))
        return (ami_error_invalid(error, "--cli-input-json must be a JSON object"), NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
        if (strings[i].value)
            json_object_set_new(request, strings[i].member, json_string(strings[i].value));
    }
    if (o->s3_export_location) {
        json_t *v = cli_struct_arg(o->s3_export_location, "s3-export-location", error);

        if (!v)
            return NULL;
        json_object_set_new(request, "S3ExportLocation", v);
    }
    if (o->tag_specifications) {
        json_t *v = cli_struct_list(o->tag_specifications, "tag-specifications", error);

        if (!v)
            return NULL;
        json_object_set_new(request, "TagSpecifications", v);
    }
    if (o->dry_run >= 0)
        json_object_set_new(request, "DryRun", json_boolean(o->dry_run));
    return g_steal_pointer(&request);
}

static void
report(const Cli *cli, const AmiExportOutcome *o, json_t *result)
{
    for (guint i = 0; i < o->skipped->len; i++)
        cli_notice(cli, "%s not exported: export-image writes the root volume only",
                   (const char *)o->skipped->pdata[i]);
    if (o->dry_run)
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set; "
                   "nothing was written ('%s')", o->path);
    else if (o->repeated)
        cli_notice(cli, "the ClientToken was used by %s ('%s'): nothing exported again",
                   json_string_value(json_object_get(result, "ExportImageTaskId")), o->path);
    else
        cli_notice(cli, "wrote '%s'", o->path);
}

gboolean
cmd_export_image(Cli *cli, int argc, char **argv, GError **error)
{
    Opts o = {.dry_run = -1, .overwrite = -1};
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &o.image_id, "ami-…", "the image to export", TRUE},
        {"disk-image-format", ARG_STRING, &o.disk_image_format, "VMDK|RAW|VHD", "VMDK (stream-optimized), RAW or VHD (dynamic)"},
        {"output-file", ARG_STRING, &o.output_file, "PATH", "the file (or a directory for it); default BUCKET/PREFIXexport-ami-….EXT"},
        {"overwrite", ARG_BOOL, &o.overwrite, NULL, "replace an existing file"},
        {"s3-export-location", ARG_STRING, &o.s3_export_location, "S3Bucket=B,S3Prefix=P", "a local directory B (must exist) and key prefix P"},
        {"description", ARG_STRING, &o.description, "TEXT", "description of the export (255 characters)"},
        {"client-token", ARG_STRING, &o.client_token, "TOKEN", "idempotency: the same token returns the same task"},
        {"role-name", ARG_STRING, &o.role_name, "NAME", "recorded only (no S3, no IAM here)"},
        {"tag-specifications", ARG_LIST, &o.tag_specifications, "ResourceType=export-image-task,Tags=[…]", "tags of the export task"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "check everything, write nothing"},
        {"cli-input-json", ARG_STRING, &o.cli_input_json, "JSON|file://F", "the whole ExportImage request"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) request = NULL;
    g_autoptr(json_t) result = NULL;
    g_autoptr(AmiStore) store = NULL;
    g_auto(AmiExportOutcome) outcome = {0};
    gboolean help = FALSE, ok = FALSE;
    AmiExportOptions opts;

    if (!cli_args_parse(cli, "Export an AMI's root volume to a local VMDK, RAW or VHD file, as "
                        "VM Import/Export takes it.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(request = build_request(&o, error)))
        goto out;
    opts = (AmiExportOptions){.output_file = o.output_file, .overwrite = o.overwrite > 0,
                              .progress = cli->progress, .region = cli_region(cli, error)};
    if (!opts.region)
        goto out;
    /* A missing store has no images, and is not made (NULL without an error). */
    if (!(store = cli_open_store(cli, FALSE, error)) && *error)
        goto out;
    result = ami_export_image(store, request, &opts, &outcome, error);
    if (!result && !outcome.dry_run)
        goto out;
    report(cli, &outcome, result);
    if (result)
        cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
