/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * create-image's pure half: request checks (docs/image-lifecycle.md §1.1, §7.2), the new
 * image's describe-images object (§1.5), and the reference counting of layer files over
 * the snapshot records' chains (§2.2, docs/store.md).  No I/O, no clock.
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"

#define AMI_NAME_MIN 3
#define AMI_NAME_MAX 128

gboolean
ami_capture_name_check(const char *name, GError **error)
{
    glong n = name && g_utf8_validate(name, -1, NULL) ? g_utf8_strlen(name, -1) : -1;

    if (n < AMI_NAME_MIN || n > AMI_NAME_MAX)
        return ami_error_invalid(error, "InvalidAMIName.Malformed: --name must be 3 to 128 characters (got %ld)",
                                 n < 0 ? 0L : n);
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(" ()[]./-'@_", *p))
            return ami_error_invalid(error, "InvalidAMIName.Malformed: --name has '%c' at character %ld; allowed are letters, digits, spaces and ( ) [ ] . / - ' @ _",
                                     g_ascii_isprint(*p) ? *p : '?', (long)(p - name) + 1);
    }
    return TRUE;
}

static gboolean
tag_list_check(json_t *tags, GError **error)
{
    size_t i;
    json_t *t;

    if (!json_is_array(tags))
        return ami_error_invalid(error, "--tag-specifications: Tags must be a list of {Key, Value}");
    json_array_foreach(tags, i, t) {
        const char *key = json_string_value(json_object_get(t, "Key"));
        json_t *value = json_object_get(t, "Value");

        if (!json_is_object(t) || !key || !*key || strlen(key) > 128 ||
            (value && !json_is_string(value)))
            return ami_error_invalid(error, "--tag-specifications: tag %zu needs a Key (1-128 characters) and a string Value", i + 1);
        if (g_str_has_prefix(key, "aws:"))
        {
            g_autofree char *shown = g_strescape(key, NULL);

            return ami_error_invalid(error, "--tag-specifications: tag keys starting 'aws:' are reserved ('%.80s')", shown);
        }
    }
    return TRUE;
}

gboolean
ami_capture_tags_check(json_t *tag_specs, GError **error)
{
    size_t i;
    json_t *s;

    if (tag_specs && !json_is_array(tag_specs))
        return ami_error_invalid(error, "--tag-specifications must be a list");
    json_array_foreach(tag_specs, i, s) {
        const char *type = json_string_value(json_object_get(s, "ResourceType"));

        if (!json_is_object(s) || !type)
            return ami_error_invalid(error, "--tag-specifications: each needs a ResourceType (image or snapshot)");
        /* EC2: "If you specify other values for ResourceType, the request fails." */
        if (strcmp(type, "image") != 0 && strcmp(type, "snapshot") != 0)
            return ami_error_invalid(error, "InvalidParameterValue: --tag-specifications ResourceType '%.40s' is not image or snapshot",
                                     type);
        if (!tag_list_check(json_object_get(s, "Tags"), error))
            return FALSE;
    }
    return TRUE;
}

json_t *
ami_capture_tags_for(json_t *tag_specs, const char *resource_type)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *s, *t;

    json_array_foreach(tag_specs, i, s) {
        if (g_strcmp0(json_string_value(json_object_get(s, "ResourceType")), resource_type) != 0)
            continue;
        json_array_foreach(json_object_get(s, "Tags"), j, t) {
            const char *key = json_string_value(json_object_get(t, "Key"));
            const char *value = json_string_value(json_object_get(t, "Value"));
            size_t k;
            json_t *o;

            json_array_foreach(out, k, o) {
                if (g_strcmp0(json_string_value(json_object_get(o, "Key")), key) == 0)
                    break;
            }
            if (k < json_array_size(out))
                json_array_remove(out, k);
            json_array_append_new(out, json_pack("{s:s, s:s}", "Key", key, "Value", value ? value : ""));
        }
    }
    return out;
}

/* The source image's mapping for @device (normalised), or NULL. */
static json_t *
source_mapping(json_t *image, const char *device)
{
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(image, "BlockDeviceMappings"), i, m) {
        g_autofree char *d = ami_device_normalise(json_string_value(json_object_get(m, "DeviceName")),
                                                  NULL);
        if (d && strcmp(d, device) == 0)
            return m;
    }
    return NULL;
}

/* The record's AmiRun.Disks entry of @volume_id. */
static json_t *
instance_disk(json_t *instance, const char *volume_id)
{
    size_t i;
    json_t *d;

    json_array_foreach(json_object_get(json_object_get(instance, "AmiRun"), "Disks"), i, d) {
        if (g_strcmp0(json_string_value(json_object_get(d, "VolumeId")), volume_id) == 0)
            return d;
    }
    return NULL;
}

/* The instance's EBS volumes and instance-store mappings, as the new image would map them. */
static json_t *
volumes_of_instance(json_t *instance, json_t *source_image, GError **error)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(instance, "BlockDeviceMappings"), i, m) {
        const char *dev = json_string_value(json_object_get(m, "DeviceName"));
        const char *vol = json_string_value(json_object_get(json_object_get(m, "Ebs"), "VolumeId"));
        json_t *disk = vol ? instance_disk(instance, vol) : NULL;
        const char *kind = json_string_value(json_object_get(disk, "Kind"));
        g_autofree char *norm = dev ? ami_device_normalise(dev, NULL) : NULL;
        json_t *src = norm ? source_mapping(source_image, norm) : NULL;
        const char *type = json_string_value(json_object_get(json_object_get(src, "Ebs"), "VolumeType"));
        const char *parent = json_string_value(json_object_get(disk, "SnapshotId"));

        if (!norm || !disk || !json_string_value(json_object_get(disk, "Path"))) {
            json_decref(out);
            g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                        "Instance record: mapping %zu names no disk of the instance, the store is corrupted", i + 1);
            return NULL;
        }
        if (g_strcmp0(kind, "ephemeral") == 0) {
            /* EC2: instance-store mappings are copied, their data is not. */
            const char *vn = json_string_value(json_object_get(src, "VirtualName"));
            if (vn)
                json_array_append_new(out, json_pack("{s:s, s:s}", "DeviceName", dev, "VirtualName", vn));
            continue;
        }
        json_array_append_new(out, json_pack("{s:s, s:{s:O, s:O, s:s*, s:O}, s:{s:O, s:s, s:b}}",
                                             "DeviceName", dev, "Capture", "VolumeId",
                                             json_object_get(disk, "VolumeId"), "Path",
                                             json_object_get(disk, "Path"), "Parent", parent,
                                             "SizeGiB", json_object_get(disk, "SizeGiB"), "Ebs",
                                             "DeleteOnTermination",
                                             json_object_get(disk, "DeleteOnTermination"),
                                             "VolumeType", type ? type : "gp3", "Encrypted", 0));
    }
    return out;
}

static json_t *
find_device(json_t *volumes, const char *device, size_t *ret_index)
{
    size_t i;
    json_t *v;

    json_array_foreach(volumes, i, v) {
        g_autofree char *d = ami_device_normalise(json_string_value(json_object_get(v, "DeviceName")), NULL);
        if (d && strcmp(d, device) == 0) {
            *ret_index = i;
            return v;
        }
    }
    return NULL;
}

/* On an instance volume "the only option that can be changed ... is DeleteOnTermination". */
static gboolean
apply_to_existing(json_t *vol, json_t *ebs, const char *dev, GError **error)
{
    const char *key;
    json_t *value;

    json_object_foreach(ebs, key, value) {
        if (strcmp(key, "DeleteOnTermination") == 0) {
            if (!json_is_boolean(value))
                return ami_error_invalid(error, "--block-device-mappings %s: DeleteOnTermination must be true or false", dev);
            json_object_set(json_object_get(vol, "Ebs"), key, value);
            continue;
        }
        {
            g_autofree char *shown = g_strescape(key, NULL); /* a member name is user input */

            return ami_error_invalid(error, "InvalidBlockDeviceMapping: %s is a volume of the instance: only DeleteOnTermination can change, not %.40s (copy the image or resize a volume instead)",
                                     dev, shown);
        }
    }
    return TRUE;
}

/* A mapping the instance does not have: a new blank volume, a snapshot, an instance store. */
static json_t *
new_mapping(json_t *m, const char *dev, GError **error)
{
    json_t *ebs = json_object_get(m, "Ebs");
    const char *vn = json_string_value(json_object_get(m, "VirtualName"));
    static const char *const allowed[] = {"DeleteOnTermination", "SnapshotId", "VolumeSize",
                                          "VolumeType", "Iops", "Throughput", "Encrypted", NULL};
    const char *key;
    json_t *value;
    AmiVolumeType vt;

    if (vn && !ebs) {
        if (!ami_virtual_name_is_valid(vn))
        {
            g_autofree char *shown = g_strescape(vn, NULL);

            return ami_error_invalid(error, "--block-device-mappings %s: VirtualName '%.40s' is not ephemeral0-ephemeral%d", dev, shown, AMI_EPHEMERAL_MAX), NULL;
        }
        return json_pack("{s:s, s:s}", "DeviceName", dev, "VirtualName", vn);
    }
    if (!json_is_object(ebs))
        return ami_error_invalid(error, "--block-device-mappings %s: a new mapping needs Ebs, VirtualName or NoDevice", dev), NULL;
    json_object_foreach(ebs, key, value) {
        if (!g_strv_contains(allowed, key)) {
            g_autofree char *shown = g_strescape(key, NULL);

            return ami_error_invalid(error, "--block-device-mappings %s: Ebs.%.40s is not supported by CreateImage", dev, shown), NULL;
        }
    }
    if (json_is_true(json_object_get(ebs, "Encrypted")))
        return ami_error_invalid(error, "--block-device-mappings %s: encrypted volumes are not supported here", dev), NULL;
    if (json_object_get(ebs, "SnapshotId") &&
        !ami_id_is_valid(AMI_ID_SNAPSHOT, json_string_value(json_object_get(ebs, "SnapshotId"))))
        return ami_error_invalid(error, "--block-device-mappings %s: SnapshotId is not a snapshot id", dev), NULL;
    if (!json_object_get(ebs, "SnapshotId") &&
        (!json_is_integer(json_object_get(ebs, "VolumeSize")) ||
         json_integer_value(json_object_get(ebs, "VolumeSize")) < 1 ||
         json_integer_value(json_object_get(ebs, "VolumeSize")) > 65536))
        return ami_error_invalid(error, "--block-device-mappings %s: a new empty volume needs VolumeSize 1-65536 (GiB)", dev), NULL;
    if (json_object_get(ebs, "VolumeType") &&
        !ami_volume_type_from_string(json_string_value(json_object_get(ebs, "VolumeType")), &vt))
        return ami_error_invalid(error, "--block-device-mappings %s: unknown VolumeType", dev), NULL;
    if (json_object_get(ebs, "DeleteOnTermination") && !json_is_boolean(json_object_get(ebs, "DeleteOnTermination")))
        return ami_error_invalid(error, "--block-device-mappings %s: DeleteOnTermination must be true or false", dev), NULL;
    return json_pack("{s:s, s:O}", "DeviceName", dev, "Ebs", ebs);
}

static gboolean
apply_request(json_t *volumes, json_t *instance, json_t *bdms, GError **error)
{
    g_autofree char *root = ami_device_normalise(json_string_value(json_object_get(instance, "RootDeviceName")), NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    size_t i;
    json_t *m;

    if (bdms && !json_is_array(bdms))
        return ami_error_invalid(error, "--block-device-mappings must be a list");
    json_array_foreach(bdms, i, m) {
        const char *name = json_string_value(json_object_get(m, "DeviceName"));
        g_autofree char *dev = name ? ami_device_normalise(name, NULL) : NULL;
        json_t *vol;
        size_t at = 0;

        if (!json_is_object(m) || !dev)
            return ami_error_invalid(error, "--block-device-mappings: mapping %zu needs a valid DeviceName", i + 1);
        if (!g_hash_table_add(seen, g_strdup(dev)))
            return ami_error_invalid(error, "--block-device-mappings: %s is mapped twice", name);
        vol = find_device(volumes, dev, &at);
        if (json_object_get(m, "NoDevice")) {
            if (root && strcmp(dev, root) == 0)
                return ami_error_invalid(error, "--block-device-mappings: the root device %s cannot be omitted", name);
            if (vol)
                json_array_remove(volumes, at);
            continue;
        }
        if (vol && json_object_get(vol, "Capture")) {
            if (json_object_get(m, "VirtualName") || !json_is_object(json_object_get(m, "Ebs")))
                return ami_error_invalid(error, "--block-device-mappings: %s is an EBS volume of the instance", name);
            if (!apply_to_existing(vol, json_object_get(m, "Ebs"), name, error))
                return FALSE;
            continue;
        }
        {
            json_t *n = new_mapping(m, name, error);

            if (!n)
                return FALSE;
            if (vol)
                json_array_set_new(volumes, at, n);
            else
                json_array_append_new(volumes, n);
        }
    }
    return TRUE;
}

json_t *
ami_capture_volumes(json_t *instance, json_t *source_image, json_t *request_bdms, GError **error)
{
    g_autoptr(json_t) vols = volumes_of_instance(instance, source_image, error);

    if (!vols || !apply_request(vols, instance, request_bdms, error))
        return NULL;
    return g_steal_pointer(&vols);
}

/* Members EC2 carries over from the source image as they are (§1.5). */
static const char *const inherited[] = {"BootMode", "TpmSupport", "ImdsSupport", "EnaSupport",
                                        "SriovNetSupport", "PlatformDetails", "UsageOperation",
                                        "Platform", "ProductCodes", "KernelId", "RamdiskId",
                                        NULL};

static json_t *
image_mappings(json_t *volumes)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;

    json_array_foreach(volumes, i, v) {
        json_t *m = json_deep_copy(v);
        json_t *cap = json_object_get(v, "Capture");

        json_object_del(m, "Capture");
        if (cap) {
            json_t *ebs = json_object_get(m, "Ebs");

            json_object_set(ebs, "SnapshotId", json_object_get(v, "SnapshotId"));
            json_object_set(ebs, "VolumeSize", json_object_get(cap, "SizeGiB"));
            json_object_del(m, "SnapshotId");
        }
        json_array_append_new(out, m);
    }
    return out;
}

json_t *
ami_capture_image_json(const AmiCaptureSpec *s)
{
    json_t *inst = s->instance;
    json_t *img = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:O, s:O, s:s, s:s}",
                            "ImageId", s->image_id, "State", "pending", "OwnerId", AMI_STORE_OWNER_ID,
                            "CreationDate", s->now, "Name", s->name, "ImageType", "machine",
                            "Architecture", json_string_value(json_object_get(inst, "Architecture"))
                                ? json_string_value(json_object_get(inst, "Architecture")) : "x86_64",
                            "Public", 0, "RootDeviceType", "ebs", "RootDeviceName",
                            json_object_get(inst, "RootDeviceName"), "VirtualizationType",
                            json_object_get(inst, "VirtualizationType"), "Hypervisor", "xen",
                            "SourceInstanceId", json_string_value(json_object_get(inst, "InstanceId")));

    json_object_set_new(img, "ImageLocation",
                        json_sprintf("%s/%s", AMI_STORE_OWNER_ID, s->name));
    if (s->description)
        json_object_set_new(img, "Description", json_string(s->description));
    for (const char *const *k = inherited; *k; k++) {
        json_t *v = json_object_get(s->source_image, *k);

        if (v)
            json_object_set(img, *k, v);
    }
    /* The instance's own boot mode wins: EC2 "inherits the boot mode of the EC2 instance". */
    if (!json_object_get(img, "BootMode") && json_object_get(inst, "BootMode"))
        json_object_set(img, "BootMode", json_object_get(inst, "BootMode"));
    if (!json_object_get(img, "PlatformDetails"))
        json_object_set_new(img, "PlatformDetails", json_string("Linux/UNIX"));
    if (!json_object_get(img, "UsageOperation"))
        json_object_set_new(img, "UsageOperation", json_string("RunInstances"));
    json_object_set_new(img, "BlockDeviceMappings", image_mappings(s->volumes));
    json_object_set_new(img, "Tags", ami_capture_tags_for(s->tag_specs, "image"));
    json_object_set_new(img, "AmiRun", json_pack("{s:s}", "Region", s->region));
    return img;
}

json_t *
ami_snapshot_chain(json_t *record, GError **error)
{
    json_t *a = json_object_get(record, "AmiRun");
    json_t *chain = json_object_get(a, "Chain");
    const char *parent = json_string_value(json_object_get(a, "Parent"));
    const char *head = json_string_value(json_object_get(json_array_get(chain, 0), "SnapshotId"));
    size_t i;
    json_t *e;

    if (!parent)
        return json_array();
    if (!json_is_array(chain) || g_strcmp0(head, parent) != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "Snapshot '%s': AmiRun.Parent is not the head of AmiRun.Chain, the store is corrupted",
                    json_string_value(json_object_get(record, "SnapshotId")));
        return NULL;
    }
    json_array_foreach(chain, i, e) {
        if (!ami_id_is_valid(AMI_ID_SNAPSHOT, json_string_value(json_object_get(e, "SnapshotId"))) ||
            !json_string_value(json_object_get(e, "Sha256"))) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                        "Snapshot '%s': layer %zu of AmiRun.Chain is malformed, the store is corrupted",
                        json_string_value(json_object_get(record, "SnapshotId")), i + 1);
            return NULL;
        }
    }
    return json_deep_copy(chain);
}

/* Every file a record needs: its own and its chain's. */
static void
add_needed(GHashTable *set, json_t *record)
{
    const char *own = json_string_value(json_object_get(record, "SnapshotId"));
    size_t i;
    json_t *e;

    if (own)
        g_hash_table_add(set, (gpointer)own);
    json_array_foreach(json_object_get(json_object_get(record, "AmiRun"), "Chain"), i, e) {
        const char *id = json_string_value(json_object_get(e, "SnapshotId"));
        if (id)
            g_hash_table_add(set, (gpointer)id);
    }
}

GPtrArray *
ami_snapshot_files_unreferenced(GPtrArray *remaining, GPtrArray *deleting)
{
    g_autoptr(GHashTable) needed = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) gone = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; remaining && i < remaining->len; i++)
        add_needed(needed, remaining->pdata[i]);
    for (guint i = 0; i < deleting->len; i++) {
        json_t *rec = deleting->pdata[i];
        const char *own = json_string_value(json_object_get(rec, "SnapshotId"));
        size_t j;
        json_t *e;

        if (own)
            g_ptr_array_add(order, (gpointer)own);
        json_array_foreach(json_object_get(json_object_get(rec, "AmiRun"), "Chain"), j, e) {
            if (json_string_value(json_object_get(e, "SnapshotId")))
                g_ptr_array_add(order, (gpointer)json_string_value(json_object_get(e, "SnapshotId")));
        }
    }
    for (guint i = 0; i < order->len; i++) {
        const char *id = order->pdata[i];

        if (!g_hash_table_contains(needed, id) && g_hash_table_add(gone, (gpointer)id))
            g_ptr_array_add(out, g_strdup(id));
    }
    return out;
}
