/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run register-image: from `aws ec2 register-image` flags or --cli-input-json, or
 * from saved describe-images JSON (--from-json), keeping its ids.  Everything is
 * checked before anything is written; a file with several images registers all or none.
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "ami-run/register.h"
#include "cli.h"
#include "register-common.h"

typedef struct {
    char *name, *description, *architecture, *root_device_name, *boot_mode;
    char *virtualization_type, *tpm_support, *imds_support, *sriov_net_support;
    char *block_device_mappings, *tag_specifications, *cli_input_json, *from_json;
    char **snapshots;
    int ena_support;
} Opts;

/* Flags that become request members, in the order `aws ec2 register-image` lists them. */
static gboolean
request_from_flags(const Opts *o, json_t *request, GError **error)
{
    const struct {
        const char *member;
        const char *value;
    } strings[] = {
        {"Name", o->name},
        {"Description", o->description},
        {"Architecture", o->architecture},
        {"RootDeviceName", o->root_device_name},
        {"VirtualizationType", o->virtualization_type},
        {"BootMode", o->boot_mode},
        {"TpmSupport", o->tpm_support},
        {"ImdsSupport", o->imds_support},
        {"SriovNetSupport", o->sriov_net_support},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
        if (strings[i].value)
            json_object_set_new(request, strings[i].member, json_string(strings[i].value));
    }
    if (o->ena_support >= 0)
        json_object_set_new(request, "EnaSupport", json_boolean(o->ena_support));
    if (o->block_device_mappings) {
        json_t *v = cli_json_arg(o->block_device_mappings, "block-device-mappings", error);

        if (!v)
            return FALSE;
        json_object_set_new(request, "BlockDeviceMappings", v);
    }
    if (o->tag_specifications) {
        json_t *v = cli_json_arg(o->tag_specifications, "tag-specifications", error);

        if (!v)
            return FALSE;
        json_object_set_new(request, "TagSpecifications", v);
    }
    return TRUE;
}

static gboolean
any_flag(const Opts *o)
{
    return o->name || o->description || o->architecture || o->root_device_name ||
           o->boot_mode || o->virtualization_type || o->tpm_support || o->imds_support ||
           o->sriov_net_support || o->block_device_mappings || o->tag_specifications ||
           o->cli_input_json || o->ena_support >= 0;
}

/* The image objects to register, as describe-images will show them. */
static json_t *
collect_images(const Opts *o, GError **error)
{
    g_autoptr(json_t) images = json_array();

    if (o->from_json) {
        g_autoptr(json_t) doc = ami_json_load_file(o->from_json, error);
        g_autoptr(GPtrArray) found = NULL;

        if (any_flag(o)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--from-json takes the images as they are; other image flags do not "
                        "apply");
            return NULL;
        }
        if (!doc)
            return NULL;
        if (!(found = ami_images_from_document(doc, error))) {
            g_prefix_error(error, "%s: ", o->from_json);
            return NULL;
        }
        for (guint i = 0; i < found->len; i++)
            json_array_append_new(images, json_deep_copy(found->pdata[i]));
    } else {
        g_autoptr(json_t) request = o->cli_input_json
                                        ? cli_json_arg(o->cli_input_json, "cli-input-json", error)
                                        : json_object();
        g_autofree char *id = ami_id_new(AMI_ID_IMAGE);
        g_autofree char *now = ami_now_iso8601();
        json_t *image;

        if (!request || !request_from_flags(o, request, error))
            return NULL;
        if (!(image = ami_register_request_to_image(request, id, AMI_STORE_OWNER_ID, now, error)))
            return NULL;
        json_array_append_new(images, image);
    }
    return g_steal_pointer(&images);
}

gboolean
cmd_register_image(Cli *cli, int argc, char **argv, GError **error)
{
    Opts o = {.ena_support = -1};
    const ArgSpec specs[] = {
        {"name", ARG_STRING, &o.name, "NAME", "AMI name (3-128 characters)"},
        {"description", ARG_STRING, &o.description, "TEXT", "description"},
        {"architecture", ARG_STRING, &o.architecture, "ARCH", "i386, x86_64 (default) or arm64"},
        {"root-device-name", ARG_STRING, &o.root_device_name, "DEV", "e.g. /dev/xvda"},
        {"block-device-mappings", ARG_STRING, &o.block_device_mappings, "JSON|file://F", "BlockDeviceMappings list"},
        {"boot-mode", ARG_STRING, &o.boot_mode, "MODE", "legacy-bios, uefi or uefi-preferred"},
        {"virtualization-type", ARG_STRING, &o.virtualization_type, "hvm", "hvm (default) or paravirtual"},
        {"tpm-support", ARG_STRING, &o.tpm_support, "v2.0", "attach a TPM 2.0"},
        {"imds-support", ARG_STRING, &o.imds_support, "v2.0", "IMDSv2 required"},
        {"sriov-net-support", ARG_STRING, &o.sriov_net_support, "simple", "recorded only"},
        {"ena-support", ARG_BOOL, &o.ena_support, NULL, "recorded only"},
        {"tag-specifications", ARG_STRING, &o.tag_specifications, "JSON|file://F", "TagSpecifications list"},
        {"cli-input-json", ARG_STRING, &o.cli_input_json, "JSON|file://F", "the whole request as JSON"},
        {"from-json", ARG_STRING, &o.from_json, "FILE", "register images saved from describe-images, keeping ids"},
        {"snapshot", ARG_LIST, &o.snapshots, "snap-…=FILE|URL", "import a disk for a snapshot id the images name"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) images = NULL;
    g_autoptr(json_t) result = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Register AMIs: from register-image flags, --cli-input-json, or "
                        "describe-images JSON (--from-json).", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(images = collect_images(&o, error)))
        goto out;
    ids = cli_register_images(cli, images, (const char *const *)o.snapshots, !o.from_json, error);
    if (!ids)
        goto out;
    if (ids->len == 1)
        result = json_pack("{s:s}", "ImageId", (const char *)ids->pdata[0]);
    else {
        result = json_object();
        json_object_set_new(result, "ImageIds", json_array());
        for (guint i = 0; i < ids->len; i++)
            json_array_append_new(json_object_get(result, "ImageIds"), json_string(ids->pdata[i]));
    }
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
