/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: launch-time block device mapping overrides merged into an image's mapping,
 * then the disk planner and the domain XML (which must always be well-formed).
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/plan.h"

static const char image_json[] =
    "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"fuzz\",\"Architecture\":\"x86_64\","
    "\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\",\"VirtualizationType\":\"hvm\","
    "\"State\":\"available\",\"BlockDeviceMappings\":["
    "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeSize\":8}},"
    "{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"}]}";

static gboolean
lookup(const char *snapshot_id, AmiSnapshotInfo *ret, gpointer data)
{
    (void)data;
    if (strcmp(snapshot_id, "snap-0123456789abcdef0") != 0)
        return FALSE;
    ret->path = g_strdup("/store/snapshots/snap-0123456789abcdef0");
    ret->size_gib = 2;
    return TRUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static AmiImage *image;
    g_autoptr(json_t) overrides = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) volumes = NULL;
    AmiRunPlan *plan;
    AmiPlanOptions o = {
        .instance_id = "i-0123456789abcdef0", .instance_dir = "/store/instances/i-0123456789abcdef0",
        .mac = "52:54:00:12:34:56",
        .instance_type = "m5d.large", .boot_mode = AMI_BOOT_MODE_LAST, .accel = AMI_ACCEL_TCG,
        .lookup = lookup,
    };

    if (!image)
        image = ami_image_parse(json_loads(image_json, 0, NULL), NULL);
    if (size < 1 || !(overrides = json_loadb((const char *)data + 1, size - 1, 0, NULL)) ||
        !json_is_array(overrides))
        return 0;
    o.disk_bus = (AmiDiskBus)(data[0] % (AMI_BUS_LAST + 1)); /* LAST: from the type */
    o.ephemeral_gib = data[0] & 0x80 ? 0 : 3;
    o.bdm_overrides = overrides;
    volumes = g_new0(char *, image->bdms->len + json_array_size(overrides) + 1);
    for (guint i = 0; i < image->bdms->len + json_array_size(overrides); i++)
        volumes[i] = g_strdup_printf("vol-%017x", i);
    o.volume_ids = volumes;
    plan = ami_plan_build(image, &o, &error);
    g_assert(plan || error);
    if (plan) {
        g_autofree char *xml = ami_domain_xml_render(plan, NULL);
        g_autoptr(json_t) j = ami_plan_to_json(plan);

        g_assert(xml && j);
        ami_run_plan_free(plan);
    }
    return 0;
}
