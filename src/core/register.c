/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RegisterImage request -> Image, as EC2 would show it afterwards (botocore ec2
 * RegisterImageRequest; defaults from DescribeImages output of registered images).
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/register.h"

/* Request members copied to the image unchanged. */
static const char *const copied[] = {
    "Name", "Description", "Architecture", "RootDeviceName", "VirtualizationType",
    "BootMode", "TpmSupport", "ImdsSupport", "EnaSupport", "SriovNetSupport", "KernelId",
    "RamdiskId", NULL,
};

/* Request members accepted and not shown by describe-images. */
static const char *const ignored[] = {
    "DryRun", "ClientToken", "BillingProducts", "UefiData", "DeregistrationProtection",
    "ImageLocation", NULL,
};

static gboolean
check_members(json_t *request, GError **error)
{
    const char *key;
    json_t *v;

    json_object_foreach(request, key, v) {
        if (!g_strv_contains(copied, key) && !g_strv_contains(ignored, key) &&
            strcmp(key, "BlockDeviceMappings") != 0 && strcmp(key, "TagSpecifications") != 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "'%.64s' is not a register-image parameter", key);
            return FALSE;
        }
    }
    return TRUE;
}

/* BlockDeviceMappings with the defaults EC2 fills in for EBS volumes. */
static json_t *
mappings_with_defaults(json_t *list, GError **error)
{
    json_t *out;
    size_t i;
    json_t *m;

    if (!list)
        return json_array();
    if (!json_is_array(list)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "BlockDeviceMappings must be a list");
        return NULL;
    }
    out = json_deep_copy(list);
    json_array_foreach(out, i, m) {
        json_t *ebs = json_object_get(m, "Ebs");

        if (!json_is_object(ebs))
            continue;
        if (!json_object_get(ebs, "DeleteOnTermination"))
            json_object_set_new(ebs, "DeleteOnTermination", json_true());
        if (!json_object_get(ebs, "VolumeType"))
            json_object_set_new(ebs, "VolumeType", json_string("gp2"));
        if (!json_object_get(ebs, "Encrypted"))
            json_object_set_new(ebs, "Encrypted", json_false());
    }
    return out;
}

/* Tags of the TagSpecifications whose ResourceType is "image". */
static json_t *
image_tags(json_t *specs, GError **error)
{
    g_autoptr(json_t) tags = json_array();
    size_t i;
    json_t *spec;

    if (specs && !json_is_array(specs)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "TagSpecifications must be a list");
        return NULL;
    }
    json_array_foreach(specs, i, spec) {
        const char *type = json_string_value(json_object_get(spec, "ResourceType"));
        json_t *list = json_object_get(spec, "Tags");

        if (!type || (strcmp(type, "image") != 0 && strcmp(type, "snapshot") != 0)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "TagSpecifications[%zu]: ResourceType must be image or snapshot", i);
            return NULL;
        }
        if (!ami_tags_validate(list, "TagSpecifications[].Tags", error))
            return NULL;
        if (strcmp(type, "image") == 0)
            json_array_extend(tags, list);
    }
    return g_steal_pointer(&tags);
}

json_t *
ami_register_request_to_image(json_t *request, const char *image_id, const char *owner_id,
                              const char *now, GError **error)
{
    g_autoptr(json_t) image = json_object();
    json_t *bdms, *tags;
    const char *name;
    g_autofree char *location = NULL;

    if (!json_is_object(request)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "the request must be a JSON object");
        return NULL;
    }
    if (!check_members(request, error))
        return NULL;
    name = json_string_value(json_object_get(request, "Name"));
    if (!name) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "Name is required (--name)");
        return NULL;
    }
    if (!json_object_get(request, "RootDeviceName")) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "RootDeviceName is required (--root-device-name)");
        return NULL;
    }
    if (!(bdms = mappings_with_defaults(json_object_get(request, "BlockDeviceMappings"), error)))
        return NULL;
    if (!(tags = image_tags(json_object_get(request, "TagSpecifications"), error))) {
        json_decref(bdms);
        return NULL;
    }

    /* EC2's API defaults are i386/paravirtual; nobody registers those today. */
    json_object_set_new(image, "Architecture", json_string("x86_64"));
    json_object_set_new(image, "VirtualizationType", json_string("hvm"));
    for (const char *const *k = copied; *k; k++) {
        json_t *v = json_object_get(request, *k);

        if (v)
            json_object_set(image, *k, v);
    }
    json_object_set_new(image, "ImageId", json_string(image_id));
    location = g_strdup_printf("%s/%s", owner_id, name);
    json_object_set_new(image, "ImageLocation", json_string(location));
    json_object_set_new(image, "ImageType", json_string("machine"));
    json_object_set_new(image, "Public", json_false());
    json_object_set_new(image, "OwnerId", json_string(owner_id));
    json_object_set_new(image, "PlatformDetails", json_string("Linux/UNIX"));
    json_object_set_new(image, "UsageOperation", json_string("RunInstances"));
    json_object_set_new(image, "State", json_string("available"));
    json_object_set_new(image, "CreationDate", json_string(now));
    json_object_set_new(image, "RootDeviceType", json_string("ebs"));
    json_object_set_new(image, "Hypervisor", json_string("xen"));
    json_object_set_new(image, "BlockDeviceMappings", bdms);
    json_object_set_new(image, "Tags", tags);
    return g_steal_pointer(&image);
}
