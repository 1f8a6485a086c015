/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run modify-instance-attribute / describe-instance-attribute, as `aws ec2` has them.
 * Modify changes what a launch fixed, so only a stopped instance (EC2: instance type and
 * user data need it stopped too): --instance-type and --user-data, or --attribute with
 * --value.  Describe answers in EC2's InstanceAttribute shape.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/launch.h"
#include "cli.h"

/* `Value=x`, {"Value": "x"} or plain x: the AttributeValue's Value. */
static char *
attribute_value(const char *arg, const char *what, GError **error)
{
    g_autoptr(json_t) v = NULL;
    const char *s;

    if (!strchr(arg, '=') && arg[0] != '{' && !g_str_has_prefix(arg, "file://"))
        return g_strdup(arg);
    if (!(v = cli_struct_arg(arg, what, error)))
        return NULL;
    if (!(s = json_string_value(json_object_get(v, "Value"))) || json_object_size(v) != 1) {
        ami_error_invalid(error, "--%s: expected Value=VALUE", what);
        return NULL;
    }
    return g_strdup(s);
}

/* Base64 as EC2 wants it (the AWS CLI v2 sends a blob's Value as given): checked strictly. */
static GBytes *
base64_bytes(const char *text, GError **error)
{
    g_autofree char *clean = g_strdup(text);
    g_autofree guchar *raw = NULL;
    g_autofree char *again = NULL;
    gsize len = 0;

    g_strdelimit(clean, "\r\n", ' ');
    g_strstrip(clean);
    raw = g_base64_decode(clean, &len);
    again = g_base64_encode(raw, len);
    if (strcmp(again, clean) != 0) {
        ami_error_invalid(error, "--user-data: Value must be base64 (give the text with file://F)");
        return NULL;
    }
    return g_bytes_new(raw, len);
}

/* --user-data Value=BASE64, file://F (text) or fileb://F (bytes): the new user data. */
static GBytes *
user_data_arg(const char *arg, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *value = NULL;
    char *data = NULL;
    gsize len = 0;
    const char *path = g_str_has_prefix(arg, "fileb://") ? arg + 8
                       : g_str_has_prefix(arg, "file://") ? arg + 7 : NULL;

    if (path) {
        if (!g_file_get_contents(path, &data, &len, &local)) {
            ami_error_invalid(error, "--user-data: %s", local->message);
            return NULL;
        }
        return g_bytes_new_take(data, len);
    }
    if (!(value = attribute_value(arg, "user-data", error)))
        return NULL;
    return base64_bytes(value, error);
}

gboolean
cmd_modify_instance_attribute(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL, *type_arg = NULL, *ud_arg = NULL, *attribute = NULL, *value = NULL;
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &id, "i-…", "a stopped instance"},
        {"instance-type", ARG_STRING, &type_arg, "Value=TYPE", "the new instance type (same architecture)"},
        {"user-data", ARG_STRING, &ud_arg, "Value=B64|file://F|fileb://F", "the new user data"},
        {"attribute", ARG_STRING, &attribute, "instanceType|userData", "with --value"},
        {"value", ARG_STRING, &value, "VALUE", "the attribute's new value"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GBytes) user_data = NULL;
    g_autofree char *type = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Change a stopped instance's type or user data (prints nothing).",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "instance-id", error))
        goto out;
    if (!attribute != !value) {
        ami_error_invalid(error, "--attribute and --value go together");
        goto out;
    }
    if (attribute && strcmp(attribute, "instanceType") != 0 && strcmp(attribute, "userData") != 0) {
        ami_error_invalid(error, "--attribute '%.40s': only instanceType and userData can be "
                          "changed here", attribute);
        goto out;
    }
    if (!!type_arg + !!ud_arg + !!attribute != 1) {
        ami_error_invalid(error, "give one of --instance-type, --user-data or --attribute/--value");
        goto out;
    }
    if (type_arg && !(type = attribute_value(type_arg, "instance-type", error)))
        goto out;
    if (ud_arg && !(user_data = user_data_arg(ud_arg, error)))
        goto out;
    if (attribute && strcmp(attribute, "instanceType") == 0)
        type = g_strdup(value);
    else if (attribute && !(user_data = base64_bytes(value, error)))
        goto out;
    if (!(store = cli_open_store(cli, FALSE, error))) {
        if (!*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Instance '%.80s' does not exist", id);
        goto out;
    }
    ok = ami_instance_modify(store, id, type, user_data, error);
out:
    cli_args_free(specs);
    return ok;
}

/* InstanceAttribute's member for @attribute of record @r, or NULL for an unknown name. */
static json_t *
attribute_json(json_t *r, const char *attribute, const char *dir)
{
    json_t *a = json_object_get(r, "AmiRun");
    json_t *ignored = json_object_get(a, "Ignored");
    const char *behavior = json_string_value(json_object_get(a, "InstanceInitiatedShutdownBehavior"));

    if (strcmp(attribute, "instanceType") == 0)
        return json_pack("{s:{s:O?}}", "InstanceType", "Value", json_object_get(r, "InstanceType"));
    if (strcmp(attribute, "userData") == 0) {
        g_autofree char *path = g_build_filename(dir, "user-data", NULL);
        g_autofree char *data = NULL;
        g_autofree char *b64 = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, &data, &len, NULL))
            return json_pack("{s:{}}", "UserData");
        b64 = g_base64_encode((const guchar *)data, len);
        return json_pack("{s:{s:s}}", "UserData", "Value", b64);
    }
    if (strcmp(attribute, "instanceInitiatedShutdownBehavior") == 0)
        return json_pack("{s:{s:s}}", "InstanceInitiatedShutdownBehavior", "Value",
                         behavior ? behavior : "stop");
    if (strcmp(attribute, "disableApiTermination") == 0)
        return json_pack("{s:{s:b}}", "DisableApiTermination", "Value",
                         json_is_true(json_object_get(ignored, "DisableApiTermination")));
    if (strcmp(attribute, "disableApiStop") == 0)
        return json_pack("{s:{s:b}}", "DisableApiStop", "Value",
                         json_is_true(json_object_get(ignored, "DisableApiStop")));
    if (strcmp(attribute, "ebsOptimized") == 0)
        return json_pack("{s:{s:b}}", "EbsOptimized", "Value",
                         json_is_true(json_object_get(ignored, "EbsOptimized")));
    if (strcmp(attribute, "rootDeviceName") == 0)
        return json_pack("{s:{s:O?}}", "RootDeviceName", "Value", json_object_get(r, "RootDeviceName"));
    if (strcmp(attribute, "blockDeviceMapping") == 0) {
        json_t *bdms = json_object_get(r, "BlockDeviceMappings");

        return json_pack("{s:o}", "BlockDeviceMappings", bdms ? json_deep_copy(bdms) : json_array());
    }
    if (strcmp(attribute, "groupSet") == 0)
        return json_pack("{s:[]}", "Groups");
    if (strcmp(attribute, "productCodes") == 0)
        return json_pack("{s:[]}", "ProductCodes");
    if (strcmp(attribute, "sourceDestCheck") == 0)
        return json_pack("{s:{s:b}}", "SourceDestCheck", "Value", TRUE);
    if (strcmp(attribute, "enaSupport") == 0)
        return json_pack("{s:{s:b}}", "EnaSupport", "Value", TRUE);
    if (strcmp(attribute, "enclaveOptions") == 0)
        return json_pack("{s:{s:b}}", "EnclaveOptions", "Enabled", FALSE);
    if (strcmp(attribute, "kernel") == 0)
        return json_pack("{s:{}}", "KernelId");
    if (strcmp(attribute, "ramdisk") == 0)
        return json_pack("{s:{}}", "RamdiskId");
    if (strcmp(attribute, "sriovNetSupport") == 0)
        return json_pack("{s:{}}", "SriovNetSupport");
    return NULL;
}

gboolean
cmd_describe_instance_attribute(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL, *attribute = NULL;
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &id, "i-…", "the instance"},
        {"attribute", ARG_STRING, &attribute, "NAME", "instanceType, userData, instanceInitiatedShutdownBehavior, disableApiTermination, rootDeviceName, blockDeviceMapping, …"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) r = NULL;
    g_autoptr(json_t) out = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "One attribute of an instance, in EC2's InstanceAttribute shape.",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "instance-id", error) || !cli_require(attribute, "attribute", error))
        goto out;
    if (!(store = cli_open_store(cli, FALSE, error))) {
        if (!*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Instance '%.80s' does not exist", id);
        goto out;
    }
    if (!(r = ami_instance_find(store, id, error)))
        goto out;
    {
        g_autofree char *dir = g_build_filename(ami_store_path(store), "instances", id, NULL);

        if (!(out = attribute_json(r, attribute, dir))) {
            ami_error_invalid(error, "--attribute '%.40s' is not one of EC2's instance "
                              "attributes (instanceType, userData, …)", attribute);
            goto out;
        }
    }
    json_object_set_new(out, "InstanceId", json_string(id));
    cli_print(cli, out);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
