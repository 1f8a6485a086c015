/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run modify-image-attribute, describe-image-attribute, reset-image-attribute: the
 * flags become EC2's request JSON, core/image-attr.c answers it (docs/images.md).  Modify
 * and reset print nothing, as the AWS CLI; describe prints EC2's ImageAttribute.
 */
#include <errno.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/image-attr.h"
#include "cli.h"

typedef enum { EDIT_MODIFY, EDIT_RESET } EditKind;

/* A structure parameter {Value}: `Value=…`, JSON, file://, or (leniently) the bare value. */
static json_t *
attribute_value_arg(const char *value, const char *what, GError **error)
{
    const char *t = value;

    while (g_ascii_isspace(*t))
        t++;
    if (g_str_has_prefix(t, "Value=") || *t == '{' || g_str_has_prefix(t, "file://"))
        return cli_struct_arg(value, what, error);
    return json_pack("{s:s}", "Value", value);
}

static gboolean
check_image_id(const char *image_id, GError **error)
{
    if (!cli_require(image_id, "image-id", error))
        return FALSE;
    if (!ami_id_is_valid(AMI_ID_IMAGE, image_id))
        return ami_error_invalid(error, "--image-id '%.80s' is not an image id (ami-…)", image_id);
    return TRUE;
}

/* The store's image @image_id of this region, under the lock (the store must exist). */
static json_t *
load_image(const Cli *cli, AmiStore **ret_store, const char *image_id, GError **error)
{
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, error);
    json_t *image;

    if (!store) {
        if (!*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "Image '%.80s' does not exist in the store", image_id);
        return NULL;
    }
    if (!ami_store_lock(store, error) || !(image = ami_store_find_image(store, image_id, error)))
        return NULL;
    *ret_store = g_steal_pointer(&store);
    return image;
}

/* Load, change in memory (all checks), and write back unless @dry_run. */
static gboolean
edit_image(const Cli *cli, const char *image_id, EditKind kind, json_t *request,
           const char *attribute, gboolean dry_run, GError **error)
{
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) image = load_image(cli, &store, image_id, error);
    g_autoptr(AmiTxn) txn = NULL;
    g_autofree char *rel = NULL;

    if (!image)
        return FALSE;
    if (kind == EDIT_MODIFY ? !ami_image_modify_attribute(image, request, error)
                            : !ami_image_reset_attribute(image, attribute, error))
        return FALSE;
    if (dry_run) {
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set; "
                   "nothing was changed");
        return TRUE;
    }
    rel = ami_store_image_rel(image_id);
    return (txn = ami_store_txn_new(store, error)) && ami_txn_put_json(txn, rel, image, error) &&
           ami_txn_commit(txn, error);
}

typedef struct {
    char *image_id, *attribute, *description, *launch_permission, *operation_type, *value;
    char *imds_support;
    char **user_ids, **user_groups, **org_arns, **ou_arns, **product_codes;
    int dry_run;
} ModifyOpts;

static gboolean
set_list(json_t *request, const char *member, char **items)
{
    json_t *list;

    if (!items)
        return TRUE;
    list = json_array();
    for (char **i = items; *i; i++)
        json_array_append_new(list, json_string(*i));
    json_object_set_new(request, member, list);
    return TRUE;
}

/* The ModifyImageAttributeRequest the flags make (ImageId and DryRun aside). */
static json_t *
modify_request(const ModifyOpts *o, GError **error)
{
    g_autoptr(json_t) request = json_object();
    json_t *v;

    if (o->attribute)
        json_object_set_new(request, "Attribute", json_string(o->attribute));
    if (o->operation_type)
        json_object_set_new(request, "OperationType", json_string(o->operation_type));
    if (o->value)
        json_object_set_new(request, "Value", json_string(o->value));
    set_list(request, "UserIds", o->user_ids);
    set_list(request, "UserGroups", o->user_groups);
    set_list(request, "OrganizationArns", o->org_arns);
    set_list(request, "OrganizationalUnitArns", o->ou_arns);
    set_list(request, "ProductCodes", o->product_codes);
    if (o->launch_permission) {
        if (!(v = cli_struct_arg(o->launch_permission, "launch-permission", error)))
            return NULL;
        json_object_set_new(request, "LaunchPermission", v);
    }
    if (o->description) {
        if (!(v = attribute_value_arg(o->description, "description", error)))
            return NULL;
        json_object_set_new(request, "Description", v);
    }
    if (o->imds_support) {
        if (!(v = attribute_value_arg(o->imds_support, "imds-support", error)))
            return NULL;
        json_object_set_new(request, "ImdsSupport", v);
    }
    return g_steal_pointer(&request);
}

gboolean
cmd_modify_image_attribute(Cli *cli, int argc, char **argv, GError **error)
{
    ModifyOpts o = {.dry_run = -1};
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &o.image_id, "ami-…", "the image"},
        {"launch-permission", ARG_STRING, &o.launch_permission, "Add=[{UserId=…}],Remove=[…]", "launch permissions to add and remove (UserId, Group=all, OrganizationArn, OrganizationalUnitArn)"},
        {"attribute", ARG_STRING, &o.attribute, "NAME", "launchPermission, description or imdsSupport"},
        {"operation-type", ARG_STRING, &o.operation_type, "add|remove", "with --attribute launchPermission"},
        {"user-ids", ARG_LIST, &o.user_ids, "ACCOUNT", "12-digit account ids (with --operation-type)"},
        {"user-groups", ARG_LIST, &o.user_groups, "all", "the group all (with --operation-type)"},
        {"organization-arns", ARG_LIST, &o.org_arns, "ARN", "organization ARNs (with --operation-type)"},
        {"organizational-unit-arns", ARG_LIST, &o.ou_arns, "ARN", "OU ARNs (with --operation-type)"},
        {"description", ARG_STRING, &o.description, "Value=TEXT", "a new description"},
        {"imds-support", ARG_STRING, &o.imds_support, "Value=v2.0", "require IMDSv2 (cannot be undone)"},
        {"value", ARG_STRING, &o.value, "VALUE", "the new value of --attribute description or imdsSupport"},
        {"product-codes", ARG_LIST, &o.product_codes, "CODE", "not supported (as EC2)"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "check everything, change nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) request = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Change an AMI's launch permissions, description or IMDS support.",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    ok = check_image_id(o.image_id, error) && (request = modify_request(&o, error)) &&
         edit_image(cli, o.image_id, EDIT_MODIFY, request, NULL, o.dry_run == 1, error);
out:
    cli_args_free(specs);
    return ok;
}

gboolean
cmd_reset_image_attribute(Cli *cli, int argc, char **argv, GError **error)
{
    char *image_id = NULL, *attribute = NULL;
    int dry_run = -1;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &image_id, "ami-…", "the image"},
        {"attribute", ARG_STRING, &attribute, "launchPermission", "the only attribute EC2 resets"},
        {"dry-run", ARG_BOOL, &dry_run, NULL, "check everything, change nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) blank = json_object();
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Remove every launch permission of an AMI (it becomes private).",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    ok = check_image_id(image_id, error) && cli_require(attribute, "attribute", error) &&
         ami_image_reset_attribute(blank, attribute, error) &&
         edit_image(cli, image_id, EDIT_RESET, NULL, attribute, dry_run == 1, error);
out:
    cli_args_free(specs);
    return ok;
}

/*
 * uefiData: a captured image's variable store (AmiRun.Nvram.File, docs/images.md), in
 * base64 as EC2 returns it, for ami_image_describe_attribute() to report.
 */
static gboolean
load_uefi_data(AmiStore *store, json_t *image, GError **error)
{
    const char *file = json_string_value(
        json_object_get(json_object_get(json_object_get(image, "AmiRun"), "Nvram"), "File"));
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;
    g_autofree char *b64 = NULL;
    gsize len = 0;

    if (!file)
        return TRUE;
    if (!g_str_has_prefix(file, "nvram/") || strchr(file + 6, '/') || strstr(file, "..")) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "AmiRun.Nvram.File '%.80s' is not in nvram/, the store is corrupted", file);
        return FALSE;
    }
    path = g_build_filename(ami_store_path(store), file, NULL);
    if (!g_file_get_contents(path, &data, &len, NULL))
        return ami_error_set_errno(error, errno, path);
    b64 = g_base64_encode((const guchar *)data, len);
    json_object_set_new(json_object_get(image, "AmiRun"), "UefiData", json_string(b64));
    return TRUE;
}

gboolean
cmd_describe_image_attribute(Cli *cli, int argc, char **argv, GError **error)
{
    char *image_id = NULL, *attribute = NULL;
    int dry_run = -1;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &image_id, "ami-…", "the image"},
        {"attribute", ARG_STRING, &attribute, "NAME", "launchPermission, description, bootMode, tpmSupport, uefiData, imdsSupport, lastLaunchedTime, kernel, ramdisk, productCodes, sriovNetSupport, deregistrationProtection"},
        {"dry-run", ARG_BOOL, &dry_run, NULL, "check everything, print nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(json_t) reply = NULL;
    g_autoptr(json_t) blank = json_object();
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Show one attribute of an AMI, in EC2's ImageAttribute shape.", specs,
                        argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    /* The attribute is checked first: a bad one is refused without touching the store. */
    if (!check_image_id(image_id, error) || !cli_require(attribute, "attribute", error) ||
        !(reply = ami_image_describe_attribute(blank, attribute, error)))
        goto out;
    json_decref(g_steal_pointer(&reply));
    if (!(image = load_image(cli, &store, image_id, error)) ||
        (strcmp(attribute, "uefiData") == 0 && !load_uefi_data(store, image, error)) ||
        !(reply = ami_image_describe_attribute(image, attribute, error)))
        goto out;
    if (dry_run == 1)
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set");
    else
        cli_print(cli, reply);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
