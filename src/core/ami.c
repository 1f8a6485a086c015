/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parse and validate describe-images JSON.  Every rule cites its source in
 * ../shared/docs/ami-facts.md (botocore's ec2 service-2.json and the EC2 user guide).
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"

/* Longest value accepted for a known free-form string member (ImageLocation & co). */
#define AMI_STRING_MAX 2048

static void
bdm_free(gpointer data)
{
    AmiBdm *bdm = data;

    if (!bdm)
        return;
    g_free(bdm->device_name);
    g_free(bdm->device);
    g_free(bdm->virtual_name);
    g_free(bdm->snapshot_id);
    g_free(bdm);
}

void
ami_image_free(AmiImage *image)
{
    if (!image)
        return;
    json_decref(image->json);
    g_free(image->image_id);
    g_free(image->name);
    g_free(image->root_device_name);
    if (image->bdms)
        g_ptr_array_unref(image->bdms);
    g_free(image);
}

static gboolean
has_control_chars(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return TRUE;
    }
    return FALSE;
}

/*
 * A known string member: absent is fine (*ret = NULL), anything but a string of at
 * most @max characters without control characters is not.
 */
static gboolean
get_string(json_t *obj, const char *key, size_t max, const char **ret, GError **error)
{
    json_t *v = json_object_get(obj, key);

    *ret = NULL;
    if (!v || json_is_null(v))
        return TRUE;
    if (!json_is_string(v))
        return ami_error_invalid(error, "%s must be a string", key);
    if (json_string_length(v) > max || g_utf8_strlen(json_string_value(v), -1) > (glong)max)
        return ami_error_invalid(error, "%s is longer than %zu characters", key, max);
    if (has_control_chars(json_string_value(v)))
        return ami_error_invalid(error, "%s contains control characters", key);
    *ret = json_string_value(v);
    return TRUE;
}

static gboolean
get_bool(json_t *obj, const char *key, GError **error)
{
    json_t *v = json_object_get(obj, key);

    if (v && !json_is_null(v) && !json_is_boolean(v))
        return ami_error_invalid(error, "%s must be true or false", key);
    return TRUE;
}

/* Parse enum member @key with @from_string; leaves *ret untouched when absent. */
#define GET_ENUM(obj, key, lower, ret, error)                                      \
    ({                                                                             \
        const char *_s;                                                            \
        gboolean _ok = get_string(obj, key, 64, &_s, error);                       \
        if (_ok && _s && !ami_##lower##_from_string(_s, ret)) {                    \
            g_autofree char *_c = ami_##lower##_choices();                         \
            _ok = ami_error_invalid(error, "%s '%s' is not one of %s", key, _s, _c);         \
        }                                                                          \
        _ok;                                                                       \
    })

static gboolean
get_fixed_enum(json_t *obj, const char *key, const char *const *allowed, gboolean icase,
               GError **error)
{
    const char *s;
    g_autofree char *choices = NULL;

    if (!get_string(obj, key, 64, &s, error))
        return FALSE;
    if (!s)
        return TRUE;
    for (const char *const *a = allowed; *a; a++) {
        if (icase ? g_ascii_strcasecmp(s, *a) == 0 : strcmp(s, *a) == 0)
            return TRUE;
    }
    choices = g_strjoinv(", ", (char **)allowed);
    return ami_error_invalid(error, "%s '%s' is not one of %s", key, s, choices);
}

gboolean
ami_name_is_valid(const char *name)
{
    size_t n = strlen(name);

    if (n < 3 || n > 128)
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("()[] ./-'@_", *p))
            return FALSE;
    }
    return TRUE;
}

GDateTime *
ami_timestamp_parse(const char *text)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();

    if (!text || !g_ascii_isdigit(text[0]))
        return NULL;
    return g_date_time_new_from_iso8601(text, utc);
}

char *
ami_device_normalise(const char *device_name, GError **error)
{
    const char *d = device_name;
    const char *p;
    size_t letters = 0, digits = 0;

    if (g_str_has_prefix(d, "/dev/"))
        d += 5;
    /* sd[a-z], xvd[a-z][a-z], hd[a-z], optionally with a 1-2 digit partition (G:device_naming). */
    if (g_str_has_prefix(d, "xvd"))
        p = d + 3;
    else if (g_str_has_prefix(d, "sd") || g_str_has_prefix(d, "hd"))
        p = d + 2;
    else
        p = NULL;
    if (p) {
        for (; g_ascii_islower(*p); p++)
            letters++;
        for (; g_ascii_isdigit(*p); p++)
            digits++;
    }
    if (!p || *p || letters < 1 || letters > 2 || digits > 2) {
        g_autofree char *shown = g_strescape(device_name, NULL);
        ami_error_invalid(error, "DeviceName '%s' is not a block device name like /dev/sdf or /dev/xvda",
                shown);
        return NULL;
    }
    return g_strdup(d);
}

gboolean
ami_tags_validate(json_t *tags, const char *where, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i;
    json_t *tag;

    if (!json_is_array(tags))
        return ami_error_invalid(error, "%s must be a list of {\"Key\": …, \"Value\": …}", where);
    json_array_foreach(tags, i, tag) {
        const char *key, *value;
        g_autoptr(GError) local = NULL;

        if (!json_is_object(tag))
            return ami_error_invalid(error, "%s[%zu] must be an object with Key and Value", where, i);
        if (!get_string(tag, "Key", 127, &key, &local) ||
            !get_string(tag, "Value", 256, &value, &local)) {
            return ami_error_invalid(error, "%s[%zu]: %s", where, i, local->message);
        }
        if (!key || !*key)
            return ami_error_invalid(error, "%s[%zu]: Key is missing or empty", where, i);
        if (!g_hash_table_add(seen, (gpointer)key))
            return ami_error_invalid(error, "%s[%zu]: Key '%s' appears twice", where, i, key);
    }
    return TRUE;
}

static gboolean
parse_ebs(json_t *ebs, AmiBdm *bdm, GError **error)
{
    const char *snapshot;
    json_t *size = json_object_get(ebs, "VolumeSize");
    json_t *iops = json_object_get(ebs, "Iops");
    json_t *thru = json_object_get(ebs, "Throughput");
    json_t *dot = json_object_get(ebs, "DeleteOnTermination");
    AmiVolumeType vt = AMI_VOLUME_LAST;
    gint64 lo, hi;

    if (!json_is_object(ebs))
        return ami_error_invalid(error, "Ebs must be an object");
    if (!get_string(ebs, "SnapshotId", 128, &snapshot, error) ||
        !GET_ENUM(ebs, "VolumeType", volume_type, &vt, error) ||
        !get_bool(ebs, "Encrypted", error) || !get_bool(ebs, "DeleteOnTermination", error))
        return FALSE;
    if (snapshot && !ami_id_is_valid(AMI_ID_SNAPSHOT, snapshot)) {
        g_autofree char *shown = g_strescape(snapshot, NULL);
        return ami_error_invalid(error, "SnapshotId '%s' is not a snapshot id (snap- and 8-64 letters or digits)",
                       shown);
    }
    bdm->snapshot_id = g_strdup(snapshot);
    bdm->volume_type = vt;
    bdm->delete_on_termination = dot ? json_is_true(dot) : TRUE;

    ami_volume_type_size_limits(vt, &lo, &hi);
    if (size && !json_is_null(size)) {
        if (!json_is_integer(size))
            return ami_error_invalid(error, "VolumeSize must be a whole number of GiB");
        bdm->volume_size = json_integer_value(size);
        if (bdm->volume_size < lo)
            return ami_error_invalid(error, "VolumeSize %" G_GINT64_FORMAT " is below %" G_GINT64_FORMAT
                           " GiB for %s", bdm->volume_size, lo,
                           ami_volume_type_to_string(vt == AMI_VOLUME_LAST ? AMI_VOLUME_GP2 : vt));
        if (bdm->volume_size > hi)
            return ami_error_invalid(error, "VolumeSize %" G_GINT64_FORMAT " is above %" G_GINT64_FORMAT
                           " GiB for %s", bdm->volume_size, hi,
                           ami_volume_type_to_string(vt == AMI_VOLUME_LAST ? AMI_VOLUME_GP2 : vt));
    } else if (!snapshot) {
        return ami_error_invalid(error, "a volume without SnapshotId needs a VolumeSize");
    }

    if (iops && !json_is_null(iops)) {
        gint64 v, ilo = 0, ihi = G_MAXINT64;

        if (!json_is_integer(iops))
            return ami_error_invalid(error, "Iops must be a whole number");
        v = json_integer_value(iops);
        if (vt == AMI_VOLUME_GP3)
            ilo = 3000, ihi = 80000;
        else if (vt == AMI_VOLUME_IO1)
            ilo = 100, ihi = 64000;
        else if (vt == AMI_VOLUME_IO2)
            ilo = 100, ihi = 256000;
        if (v < ilo || v > ihi)
            return ami_error_invalid(error, "Iops %" G_GINT64_FORMAT " is outside %" G_GINT64_FORMAT "-%"
                           G_GINT64_FORMAT " for %s", v, ilo, ihi, ami_volume_type_to_string(vt));
    }
    if (thru && !json_is_null(thru)) {
        if (vt != AMI_VOLUME_GP3)
            return ami_error_invalid(error, "Throughput applies to gp3 volumes only");
        if (!json_is_integer(thru) || json_integer_value(thru) < 125 ||
            json_integer_value(thru) > 2000)
            return ami_error_invalid(error, "Throughput must be a whole number of MiB/s from 125 to 2000");
    }
    return TRUE;
}

gboolean
ami_virtual_name_is_valid(const char *s)
{
    guint64 n;

    /*
     * ephemeral0 … ephemeral23 in G:block-device-mapping-concepts, but real Windows AMIs
     * map ephemeral0 … ephemeral25 to xvdca … xvdcz (ami-facts §2): the data wins.
     */
    return s && g_str_has_prefix(s, "ephemeral") && s[9] &&
           g_ascii_string_to_unsigned(s + 9, 10, 0, AMI_EPHEMERAL_MAX, &n, NULL) && s[9] != '+';
}

static AmiBdm *
parse_bdm(json_t *m, GError **error)
{
    AmiBdm *bdm = g_new0(AmiBdm, 1);
    const char *name = NULL, *vname = NULL;
    json_t *ebs = json_object_get(m, "Ebs");
    json_t *nodev = json_object_get(m, "NoDevice");
    int kinds;

    bdm->kind = AMI_BDM_LAST;
    if (!json_is_object(m)) {
        ami_error_invalid(error, "must be an object");
        goto fail;
    }
    if (!get_string(m, "DeviceName", 64, &name, error) ||
        !get_string(m, "VirtualName", 64, &vname, error))
        goto fail;
    if (!name) {
        ami_error_invalid(error, "DeviceName is missing");
        goto fail;
    }
    bdm->device_name = g_strdup(name);
    bdm->device = ami_device_normalise(name, error);
    if (!bdm->device)
        goto fail;

    kinds = (ebs != NULL) + (vname != NULL) + (nodev != NULL);
    if (kinds != 1) {
        ami_error_invalid(error, "a mapping needs exactly one of Ebs, VirtualName or NoDevice (found %d)",
                kinds);
        goto fail;
    }
    if (nodev) {
        /* A string in EC2 ("" in output); Auto Scaling's boolean is a different API. */
        if (!json_is_string(nodev)) {
            ami_error_invalid(error, "NoDevice must be a string (\"\"), not %s",
                    json_is_boolean(nodev) ? "a boolean" : "another type");
            goto fail;
        }
        bdm->kind = AMI_BDM_NO_DEVICE;
    } else if (vname) {
        if (!ami_virtual_name_is_valid(vname)) {
            ami_error_invalid(error, "VirtualName '%s' is not ephemeral0 … ephemeral25", vname);
            goto fail;
        }
        bdm->kind = AMI_BDM_EPHEMERAL;
        bdm->virtual_name = g_strdup(vname);
    } else {
        bdm->kind = AMI_BDM_EBS;
        if (!parse_ebs(ebs, bdm, error))
            goto fail;
    }
    return bdm;

fail:
    bdm_free(bdm);
    return NULL;
}

static gboolean
parse_bdms(AmiImage *image, GError **error)
{
    json_t *list = json_object_get(image->json, "BlockDeviceMappings");
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i;
    json_t *m;

    image->bdms = g_ptr_array_new_with_free_func(bdm_free);
    if (!list || json_is_null(list))
        return TRUE;
    if (!json_is_array(list))
        return ami_error_invalid(error, "BlockDeviceMappings must be a list");
    json_array_foreach(list, i, m) {
        g_autoptr(GError) local = NULL;
        AmiBdm *bdm = parse_bdm(m, &local);
        const char *shown;

        if (!bdm) {
            const char *dn = json_is_object(m) && json_is_string(json_object_get(m, "DeviceName"))
                                 ? json_string_value(json_object_get(m, "DeviceName")) : NULL;
            g_autofree char *esc = dn ? g_strescape(dn, NULL) : NULL;

            if (esc && strlen(esc) <= 64)
                return ami_error_invalid(error, "BlockDeviceMappings[%zu] (%s): %s", i, esc, local->message);
            return ami_error_invalid(error, "BlockDeviceMappings[%zu]: %s", i, local->message);
        }
        g_ptr_array_add(image->bdms, bdm);
        shown = bdm->device_name;
        if (!g_hash_table_add(seen, bdm->device))
            return ami_error_invalid(error, "BlockDeviceMappings[%zu] (%s): device %s is mapped twice "
                           "(names are compared without /dev/)", i, shown, bdm->device);
    }
    return TRUE;
}

static gboolean
check_root(AmiImage *image, GError **error)
{
    g_autofree char *root = NULL;

    if (image->root_type == AMI_ROOT_INSTANCE_STORE)
        return TRUE;
    if (!image->root_device_name) {
        if (image->bdms->len == 0 && image->root_type == AMI_ROOT_LAST)
            return TRUE; /* a bare record with nothing to boot; run refuses it */
        return ami_error_invalid(error, "RootDeviceName is missing for an EBS-backed image");
    }
    root = ami_device_normalise(image->root_device_name, error);
    if (!root) {
        g_prefix_error(error, "RootDeviceName: ");
        return FALSE;
    }
    for (guint i = 0; i < image->bdms->len; i++) {
        AmiBdm *bdm = image->bdms->pdata[i];

        if (strcmp(bdm->device, root) != 0)
            continue;
        if (bdm->kind != AMI_BDM_EBS || !bdm->snapshot_id)
            return ami_error_invalid(error, "root device %s must be an EBS volume with a SnapshotId",
                           image->root_device_name);
        return TRUE;
    }
    return ami_error_invalid(error, "root device %s is not in BlockDeviceMappings",
                   image->root_device_name);
}

static gboolean
parse_strings(AmiImage *image, GError **error)
{
    static const char *const max1024[] = {"ImageLocation", "OwnerId", "KernelId", "RamdiskId",
                                          "PlatformDetails", "UsageOperation", "SriovNetSupport",
                                          "ImageOwnerAlias", "SourceInstanceId", NULL};
    static const char *const v20[] = {"v2.0", NULL};
    static const char *const hypervisors[] = {"ovm", "xen", NULL};
    static const char *const image_types[] = {"machine", "kernel", "ramdisk", NULL};
    static const char *const platforms[] = {"windows", NULL};
    static const char *const times[] = {"CreationDate", "DeprecationTime", "LastLaunchedTime",
                                        NULL};
    const char *s;

    for (const char *const *k = max1024; *k; k++) {
        if (!get_string(image->json, *k, AMI_STRING_MAX, &s, error))
            return FALSE;
    }
    if (!get_string(image->json, "Description", 255, &s, error))
        return FALSE;
    for (const char *const *k = times; *k; k++) {
        g_autoptr(GDateTime) t = NULL;

        if (!get_string(image->json, *k, 64, &s, error))
            return FALSE;
        if (s && !(t = ami_timestamp_parse(s)))
            return ami_error_invalid(error, "%s '%s' is not an ISO-8601 time like 2024-07-30T22:57:30.000Z",
                           *k, s);
    }
    return get_fixed_enum(image->json, "TpmSupport", v20, FALSE, error) &&
           get_fixed_enum(image->json, "ImdsSupport", v20, FALSE, error) &&
           get_fixed_enum(image->json, "Hypervisor", hypervisors, FALSE, error) &&
           get_fixed_enum(image->json, "ImageType", image_types, FALSE, error) &&
           /* The model says "Windows"; real output says "windows" (ami-facts §1). */
           get_fixed_enum(image->json, "Platform", platforms, TRUE, error) &&
           get_bool(image->json, "EnaSupport", error) && get_bool(image->json, "Public", error);
}

static gboolean
parse_identity(AmiImage *image, GError **error)
{
    const char *id, *name, *root;

    if (!get_string(image->json, "ImageId", 128, &id, error))
        return FALSE;
    if (id && !ami_id_is_valid(AMI_ID_IMAGE, id)) {
        g_autofree char *shown = g_strescape(id, NULL);
        return ami_error_invalid(error, "ImageId '%s' is not an image id (ami- and 8-64 letters or digits)",
                       shown);
    }
    image->image_id = g_strdup(id);
    if (!get_string(image->json, "Name", 1024, &name, error))
        return FALSE;
    if (name && !ami_name_is_valid(name))
        return ami_error_invalid(error, "Name '%s' must be 3-128 letters, digits or ()[] ./-'@_", name);
    image->name = g_strdup(name);
    if (!get_string(image->json, "RootDeviceName", 64, &root, error))
        return FALSE;
    image->root_device_name = g_strdup(root);
    return TRUE;
}

AmiImage *
ami_image_parse(json_t *obj, GError **error)
{
    g_autoptr(AmiImage) image = g_new0(AmiImage, 1);
    json_t *tags;
    const char *platform;

    image->arch = AMI_ARCH_LAST;
    image->boot_mode = AMI_BOOT_MODE_LAST;
    image->virt = AMI_VIRT_LAST;
    image->root_type = AMI_ROOT_LAST;
    image->state = AMI_STATE_LAST;
    if (!json_is_object(obj)) {
        ami_error_invalid(error, "an image must be a JSON object");
        return NULL;
    }
    image->json = json_incref(obj);

    if (!parse_identity(image, error) ||
        !GET_ENUM(obj, "Architecture", arch, &image->arch, error) ||
        !GET_ENUM(obj, "BootMode", boot_mode, &image->boot_mode, error) ||
        !GET_ENUM(obj, "VirtualizationType", virt_type, &image->virt, error) ||
        !GET_ENUM(obj, "RootDeviceType", root_type, &image->root_type, error) ||
        !GET_ENUM(obj, "State", state, &image->state, error) ||
        !parse_strings(image, error))
        return NULL;
    platform = json_string_value(json_object_get(obj, "Platform"));
    image->windows = platform && g_ascii_strcasecmp(platform, "windows") == 0;

    tags = json_object_get(obj, "Tags");
    if (tags && !json_is_null(tags) && !ami_tags_validate(tags, "Tags", error))
        return NULL;
    if (!parse_bdms(image, error) || !check_root(image, error))
        return NULL;
    return g_steal_pointer(&image);
}

gboolean
ami_image_check_tpm(const AmiImage *image, GError **error)
{
    /* ami-facts §1: arm64 boots UEFI always; x86 boots BIOS unless BootMode says UEFI. */
    gboolean uefi = image->arch == AMI_ARCH_ARM64 ? image->boot_mode != AMI_BOOT_MODE_LEGACY_BIOS
                                                   : image->boot_mode == AMI_BOOT_MODE_UEFI ||
                                                         image->boot_mode == AMI_BOOT_MODE_UEFI_PREFERRED;

    if (!json_string_value(json_object_get(image->json, "TpmSupport")) || uefi)
        return TRUE;
    /* G:enable-nitrotpm-prerequisites: "NitroTPM requires that an instance runs in UEFI boot mode". */
    return ami_error_invalid(error, "TpmSupport v2.0 (NitroTPM) needs UEFI: give BootMode uefi or "
                   "uefi-preferred (%s boots legacy BIOS)",
                   image->boot_mode == AMI_BOOT_MODE_LEGACY_BIOS ? "BootMode legacy-bios"
                                                                : "an x86_64 image without BootMode");
}

/*
 * Replies that name an image without holding one (botocore ec2 RegisterImageResult,
 * CreateImageResult, CopyImageResult: {"ImageId"} only; ImageAttribute: ImageId and one
 * attribute, AttributeValue members as {"Value": …} objects).  Saved from a script and
 * given to register-image, they used to register an empty image.  Returns what @obj is,
 * or NULL when it may be an image.
 */
static const char *
reply_holding_no_image(json_t *obj)
{
    static const char *const attribute_members[] = {
        "BlockDeviceMappings", "ImageId", "LaunchPermissions", "ProductCodes", "Description",
        "KernelId", "RamdiskId", "SriovNetSupport", "BootMode", "TpmSupport", "UefiData",
        "LastLaunchedTime", "ImdsSupport", "DeregistrationProtection", "ResponseMetadata", NULL,
    };
    gboolean attribute_only = TRUE, attribute_shaped = FALSE;
    size_t members = 0;
    const char *key;
    json_t *v;

    if (!json_is_string(json_object_get(obj, "ImageId")))
        return NULL;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "ImageId") == 0 || strcmp(key, "ResponseMetadata") == 0)
            continue;
        members++;
        if (!g_strv_contains(attribute_members, key))
            attribute_only = FALSE;
        /* In an image these are strings; LaunchPermissions is no image member at all. */
        if (json_is_object(v) || strcmp(key, "LaunchPermissions") == 0)
            attribute_shaped = TRUE;
    }
    if (members == 0)
        return "a RegisterImage, CreateImage or CopyImage response (only an ImageId)";
    if (attribute_only && attribute_shaped)
        return "a DescribeImageAttribute reply (an ImageId and one attribute)";
    return NULL;
}

GPtrArray *
ami_images_from_document(json_t *doc, GError **error)
{
    const char *reply;

    g_autoptr(GPtrArray) out = g_ptr_array_new();
    json_t *list = NULL, *data;
    size_t i;
    json_t *v;

    if (json_is_array(doc)) {
        list = doc;
    } else if (json_is_object(doc)) {
        data = json_object_get(doc, "data"); /* a recorded SDK response */
        if (json_is_object(data) && json_is_array(json_object_get(data, "Images")))
            list = json_object_get(data, "Images");
        else if (json_object_get(doc, "Images"))
            list = json_object_get(doc, "Images");
        else if ((reply = reply_holding_no_image(json_is_object(data) ? data : doc))) {
            ami_error_invalid(error, "this is %s: it holds no image (register-image "
                              "--from-json takes describe-images output)", reply);
            return NULL;
        } else
            g_ptr_array_add(out, doc);
    }
    if (list) {
        if (!json_is_array(list)) {
            ami_error_invalid(error, "Images must be a list");
            return NULL;
        }
        json_array_foreach(list, i, v) g_ptr_array_add(out, v);
    }
    if (!json_is_array(doc) && !json_is_object(doc)) {
        ami_error_invalid(error, "expected describe-images JSON: an object or a list of images");
        return NULL;
    }
    if (out->len == 0) {
        ami_error_invalid(error, "the document holds no images");
        return NULL;
    }
    return g_steal_pointer(&out);
}

static json_t *
json_failed(const json_error_t *jerr, const char *what, GError **error)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "%s: line %d, column %d: %s", what,
                jerr->line, jerr->column, jerr->text);
    return NULL;
}

json_t *
ami_json_load_file(const char *path, GError **error)
{
    json_error_t jerr;
    json_t *doc;

    if (strcmp(path, "-") == 0)
        doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    else
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        if (json_error_code(&jerr) == json_error_cannot_open_file) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "%s: cannot read the file", path);
            return NULL;
        }
        return json_failed(&jerr, path, error);
    }
    return doc;
}

json_t *
ami_json_load_string(const char *text, const char *what, GError **error)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

    return doc ? doc : json_failed(&jerr, what, error);
}

GPtrArray *
ami_image_snapshot_ids(const AmiImage *image)
{
    GPtrArray *ids = g_ptr_array_new();

    for (guint i = 0; i < image->bdms->len; i++) {
        AmiBdm *bdm = image->bdms->pdata[i];

        if (bdm->kind == AMI_BDM_EBS && bdm->snapshot_id &&
            !g_ptr_array_find_with_equal_func(ids, bdm->snapshot_id, g_str_equal, NULL))
            g_ptr_array_add(ids, bdm->snapshot_id);
    }
    return ids;
}

gboolean
ami_image_check_snapshots(const AmiImage *image, AmiSnapshotSizeFunc size_of,
                          gpointer user_data, GError **error)
{
    g_autoptr(GPtrArray) ids = ami_image_snapshot_ids(image);
    g_autoptr(GString) missing = g_string_new(NULL);
    guint nmissing = 0;

    for (guint i = 0; i < ids->len; i++) {
        if (size_of(ids->pdata[i], user_data) < 0) {
            g_string_append_printf(missing, "%s%s", nmissing ? ", " : "",
                                   (const char *)ids->pdata[i]);
            nmissing++;
        }
    }
    if (nmissing)
        return ami_error_invalid(error, "snapshot%s not in the store: %s; import %s with 'ami-run "
                       "import-snapshot --snapshot-id %s --disk-image FILE' or pass "
                       "'--snapshot %s=FILE'", nmissing > 1 ? "s" : "", missing->str,
                       nmissing > 1 ? "each" : "it",
                       nmissing > 1 ? "SNAP" : missing->str, nmissing > 1 ? "SNAP" : missing->str);

    for (guint i = 0; i < image->bdms->len; i++) {
        AmiBdm *bdm = image->bdms->pdata[i];
        gint64 need;

        if (bdm->kind != AMI_BDM_EBS || !bdm->snapshot_id || bdm->volume_size == 0)
            continue;
        need = size_of(bdm->snapshot_id, user_data);
        if (bdm->volume_size < need)
            return ami_error_invalid(error, "BlockDeviceMappings[%u] (%s): VolumeSize %" G_GINT64_FORMAT
                           " is smaller than snapshot %s (%" G_GINT64_FORMAT " GiB)", i,
                           bdm->device_name, bdm->volume_size, bdm->snapshot_id, need);
    }
    return TRUE;
}
