/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ExportImage requests and responses (botocore ec2 ExportImageRequest/ExportImageResult,
 * VM Import/Export User Guide "Start an export image task").  Pure.
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/export.h"
#include "ami-run/ids.h"

typedef struct {
    const char *name;      /* DiskImageFormat */
    const char *extension; /* the S3 key's suffix EC2 writes */
    const char *qemu;      /* qemu-img -O */
    const char *options;   /* qemu-img -o */
} FormatInfo;

/*
 * VM Import/Export: "VMDK: stream-optimized ESX", "VHD: dynamic (Citrix Xen, Hyper-V)",
 * raw.  force_size=on keeps the VHD's size exact instead of rounding it up to a CHS
 * geometry (which qemu does by default, growing the disk and its VolumeSize).
 */
static const FormatInfo formats[AMI_EXPORT_LAST] = {
    [AMI_EXPORT_VMDK] = {"VMDK", "vmdk", "vmdk", "subformat=streamOptimized"},
    [AMI_EXPORT_RAW] = {"RAW", "raw", "raw", NULL},
    [AMI_EXPORT_VHD] = {"VHD", "vhd", "vpc", "subformat=dynamic,force_size=on"},
};

const char *
ami_export_format_to_string(AmiExportFormat v)
{
    return (unsigned)v < AMI_EXPORT_LAST ? formats[v].name : NULL;
}

gboolean
ami_export_format_from_string(const char *s, AmiExportFormat *ret)
{
    for (unsigned i = 0; s && i < AMI_EXPORT_LAST; i++) {
        if (strcmp(s, formats[i].name) == 0) {
            *ret = (AmiExportFormat)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ami_export_format_extension(AmiExportFormat v)
{
    return (unsigned)v < AMI_EXPORT_LAST ? formats[v].extension : NULL;
}

const char *
ami_export_format_qemu(AmiExportFormat v)
{
    return (unsigned)v < AMI_EXPORT_LAST ? formats[v].qemu : NULL;
}

const char *
ami_export_format_qemu_options(AmiExportFormat v)
{
    return (unsigned)v < AMI_EXPORT_LAST ? formats[v].options : NULL;
}

void
ami_export_request_free(AmiExportRequest *r)
{
    if (!r)
        return;
    g_free(r->image_id);
    g_free(r->s3_bucket);
    g_free(r->s3_prefix);
    g_free(r->description);
    g_free(r->role_name);
    g_free(r->client_token);
    json_decref(r->tags);
    g_free(r);
}

/*
 * S3 bucket naming rules (S3 User Guide "General purpose bucket naming rules"): 3-63
 * lowercase letters, digits, dots and hyphens, beginning and ending with a letter or
 * digit, no two adjacent dots.  Such a name is also a safe single path component.
 */
static gboolean
bucket_is_valid(const char *b)
{
    size_t n = strlen(b);

    if (n < 3 || n > 63 || !g_ascii_isalnum(b[0]) || !g_ascii_isalnum(b[n - 1]) ||
        strstr(b, ".."))
        return FALSE;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_islower(b[i]) && !g_ascii_isdigit(b[i]) && b[i] != '.' && b[i] != '-')
            return FALSE;
    }
    return TRUE;
}

/* An S3 key prefix that becomes a path below the bucket's directory and stays there. */
static gboolean
prefix_is_safe(const char *p)
{
    g_auto(GStrv) parts = NULL;

    if (strlen(p) > 1024 || p[0] == '/')
        return FALSE;
    for (const char *c = p; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
            return FALSE;
    }
    parts = g_strsplit(p, "/", -1);
    for (char **s = parts; *s; s++) {
        if (strcmp(*s, ".") == 0 || strcmp(*s, "..") == 0)
            return FALSE;
    }
    return TRUE;
}

static gboolean
parse_location(json_t *loc, AmiExportRequest *r, GError **error)
{
    const char *key;
    json_t *v;

    if (!json_is_object(loc))
        return ami_error_invalid(error, "S3ExportLocation must be a structure "
                                 "(S3Bucket=BUCKET,S3Prefix=PREFIX)");
    json_object_foreach(loc, key, v) {
        if (strcmp(key, "S3Bucket") != 0 && strcmp(key, "S3Prefix") != 0)
            return ami_error_invalid(error, "S3ExportLocation: '%.64s' is not a member "
                                     "(S3Bucket, S3Prefix)", key);
        if (!json_is_string(v))
            return ami_error_invalid(error, "S3ExportLocation.%s must be a string", key);
    }
    v = json_object_get(loc, "S3Bucket");
    if (!v)
        return ami_error_invalid(error, "S3ExportLocation: S3Bucket is required");
    if (!bucket_is_valid(json_string_value(v))) {
        g_autofree char *shown = g_strescape(json_string_value(v), NULL);
        return ami_error_invalid(error, "S3ExportLocation: S3Bucket '%.80s' is not a bucket name "
                                 "(3-63 lowercase letters, digits, dots, hyphens)", shown);
    }
    r->s3_bucket = g_strdup(json_string_value(v));
    v = json_object_get(loc, "S3Prefix");
    if (v && !prefix_is_safe(json_string_value(v))) {
        g_autofree char *shown = g_strescape(json_string_value(v), NULL);
        return ami_error_invalid(error, "S3ExportLocation: S3Prefix '%.80s' must stay below the "
                                 "bucket (no '..' or '.' part, no leading '/', no control "
                                 "characters)", shown);
    }
    r->s3_prefix = g_strdup(json_string_value(v));
    return TRUE;
}

/* Tags of TagSpecifications, which may only be for the export-image-task. */
static json_t *
task_tags(json_t *specs, GError **error)
{
    g_autoptr(json_t) tags = json_array();
    size_t i;
    json_t *spec;

    if (specs && !json_is_array(specs)) {
        ami_error_invalid(error, "TagSpecifications must be a list");
        return NULL;
    }
    json_array_foreach(specs, i, spec) {
        const char *type = json_string_value(json_object_get(spec, "ResourceType"));
        json_t *list = json_object_get(spec, "Tags");

        if (g_strcmp0(type, "export-image-task") != 0) {
            ami_error_invalid(error, "TagSpecifications[%zu]: ResourceType must be "
                              "export-image-task", i);
            return NULL;
        }
        if (!ami_tags_validate(list, "TagSpecifications[].Tags", error))
            return NULL;
        json_array_extend(tags, list);
    }
    return g_steal_pointer(&tags);
}

static gboolean
check_members(json_t *request, GError **error)
{
    static const char *const known[] = {
        "ClientToken", "Description", "DiskImageFormat", "DryRun", "ImageId",
        "S3ExportLocation", "RoleName", "TagSpecifications", NULL,
    };
    const char *key;
    json_t *v;

    if (!json_is_object(request))
        return ami_error_invalid(error, "the request must be a JSON object");
    json_object_foreach(request, key, v) {
        if (!g_strv_contains(known, key))
            return ami_error_invalid(error, "'%.64s' is not an export-image parameter", key);
        if (strcmp(key, "S3ExportLocation") != 0 && strcmp(key, "TagSpecifications") != 0 &&
            strcmp(key, "DryRun") != 0 && !json_is_string(v))
            return ami_error_invalid(error, "%s must be a string", key);
    }
    return TRUE;
}

static gboolean
parse_strings(json_t *request, AmiExportRequest *r, GError **error)
{
    const char *id = json_string_value(json_object_get(request, "ImageId"));
    const char *fmt = json_string_value(json_object_get(request, "DiskImageFormat"));
    const char *desc = json_string_value(json_object_get(request, "Description"));

    if (!id)
        return ami_error_invalid(error, "ImageId is required (--image-id)");
    if (!ami_id_is_valid(AMI_ID_IMAGE, id)) {
        g_autofree char *shown = g_strescape(id, NULL);
        return ami_error_invalid(error, "'%.80s' is not an image id (ami- and 8-64 letters or "
                                 "digits)", shown);
    }
    r->image_id = g_strdup(id);
    if (!fmt)
        return ami_error_invalid(error, "DiskImageFormat is required (--disk-image-format "
                                 "VMDK|RAW|VHD)");
    if (!ami_export_format_from_string(fmt, &r->format)) {
        g_autofree char *shown = g_strescape(fmt, NULL);
        return ami_error_invalid(error, "DiskImageFormat '%.64s' is not one of VMDK, RAW, VHD",
                                 shown);
    }
    if (desc && (!g_utf8_validate(desc, -1, NULL) || g_utf8_strlen(desc, -1) > 255))
        return ami_error_invalid(error, "Description must be valid UTF-8 of at most 255 "
                                 "characters");
    r->description = g_strdup(desc);
    r->role_name = g_strdup(json_string_value(json_object_get(request, "RoleName")));
    r->client_token = g_strdup(json_string_value(json_object_get(request, "ClientToken")));
    return TRUE;
}

AmiExportRequest *
ami_export_request_parse(json_t *request, GError **error)
{
    g_autoptr(AmiExportRequest) r = g_new0(AmiExportRequest, 1);
    json_t *loc, *dry;

    r->format = AMI_EXPORT_LAST;
    if (!check_members(request, error) || !parse_strings(request, r, error))
        return NULL;
    loc = json_object_get(request, "S3ExportLocation");
    if (loc && !parse_location(loc, r, error))
        return NULL;
    dry = json_object_get(request, "DryRun");
    if (dry && !json_is_boolean(dry)) {
        ami_error_invalid(error, "DryRun must be true or false");
        return NULL;
    }
    r->dry_run = json_is_true(dry);
    if (!(r->tags = task_tags(json_object_get(request, "TagSpecifications"), error)))
        return NULL;
    return g_steal_pointer(&r);
}

char *
ami_export_default_path(const AmiExportRequest *r, const char *task_id)
{
    g_autofree char *key = g_strdup_printf("%s%s.%s", r->s3_prefix ? r->s3_prefix : "",
                                           task_id, ami_export_format_extension(r->format));

    return r->s3_bucket ? g_build_filename(r->s3_bucket, key, NULL) : g_steal_pointer(&key);
}

json_t *
ami_export_result(const AmiExportRequest *r, const char *task_id)
{
    json_t *result = json_object();

    if (r->description)
        json_object_set_new(result, "Description", json_string(r->description));
    json_object_set_new(result, "DiskImageFormat",
                        json_string(ami_export_format_to_string(r->format)));
    json_object_set_new(result, "ExportImageTaskId", json_string(task_id));
    json_object_set_new(result, "ImageId", json_string(r->image_id));
    if (r->role_name)
        json_object_set_new(result, "RoleName", json_string(r->role_name));
    json_object_set_new(result, "Progress", json_string("100"));
    if (r->s3_bucket) {
        json_t *loc = json_pack("{s:s}", "S3Bucket", r->s3_bucket);

        if (r->s3_prefix)
            json_object_set_new(loc, "S3Prefix", json_string(r->s3_prefix));
        json_object_set_new(result, "S3ExportLocation", loc);
    }
    json_object_set_new(result, "Status", json_string("completed"));
    if (json_array_size(r->tags) > 0)
        json_object_set(result, "Tags", r->tags);
    return result;
}

json_t *
ami_export_task_record(const AmiExportRequest *r, const char *task_id, const char *region,
                       const char *path)
{
    json_t *record = ami_export_result(r, task_id);
    json_t *own = json_pack("{s:s, s:s, s:s}", "Region", region, "OutputFile", path,
                            "DiskImageFormat", ami_export_format_to_string(r->format));

    /* ExportImageTask has neither (botocore ec2); ExportImageResult does. */
    json_object_del(record, "DiskImageFormat");
    json_object_del(record, "RoleName");
    if (r->role_name)
        json_object_set_new(own, "RoleName", json_string(r->role_name));
    if (r->client_token)
        json_object_set_new(own, "ClientToken", json_string(r->client_token));
    json_object_set_new(record, "AmiRun", own);
    return record;
}

json_t *
ami_export_task_view(json_t *record)
{
    json_t *view = json_copy(record);

    json_object_del(view, "AmiRun");
    return view;
}

json_t *
ami_export_task_result(json_t *record)
{
    json_t *own = json_object_get(record, "AmiRun");
    json_t *result = ami_export_task_view(record);
    json_t *v;

    if ((v = json_object_get(own, "DiskImageFormat")))
        json_object_set(result, "DiskImageFormat", v);
    if ((v = json_object_get(own, "RoleName")))
        json_object_set(result, "RoleName", v);
    return result;
}
