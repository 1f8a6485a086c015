/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMI + run options -> run plan.  The EC2 rules applied here are in
 * ../shared/docs/ami-facts.md: BootMode (§1 "Boot-mode semantics"), device names and
 * NVMe serials (§3), instance store sizing by instance type.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/plan.h"

static const char *const disk_kinds[] = {"overlay", "blank", "ephemeral", NULL};
static const char *const disk_buses[] = {"virtio", "nvme", "sata", NULL};
static const char *const firmwares[] = {"bios", "uefi", NULL};
static const char *const accels[] = {"auto", "kvm", "tcg", NULL};
static const char *const nics[] = {"own", "builtin", "none", NULL};

const char *
ami_nic_to_string(AmiNic v)
{
    return v < AMI_NIC_LAST ? nics[v] : NULL;
}

const char *
ami_disk_kind_to_string(AmiDiskKind v)
{
    return v < AMI_DISK_LAST ? disk_kinds[v] : NULL;
}

const char *
ami_disk_bus_to_string(AmiDiskBus v)
{
    return v < AMI_BUS_LAST ? disk_buses[v] : NULL;
}

const char *
ami_firmware_to_string(AmiFirmware v)
{
    return v < AMI_FIRMWARE_LAST ? firmwares[v] : NULL;
}

const char *
ami_accel_to_string(AmiAccel v)
{
    return v < AMI_ACCEL_LAST ? accels[v] : NULL;
}

static gboolean
lookup_index(const char *const *table, const char *s, int *ret)
{
    for (int i = 0; s && table[i]; i++) {
        if (strcmp(table[i], s) == 0) {
            *ret = i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
ami_disk_bus_from_string(const char *s, AmiDiskBus *ret)
{
    int i;

    if (!lookup_index(disk_buses, s, &i))
        return FALSE;
    *ret = (AmiDiskBus)i;
    return TRUE;
}

gboolean
ami_accel_from_string(const char *s, AmiAccel *ret)
{
    int i;

    if (!lookup_index(accels, s, &i))
        return FALSE;
    *ret = (AmiAccel)i;
    return TRUE;
}

static void
plan_disk_free(gpointer data)
{
    AmiPlanDisk *d = data;

    g_free(d->device_name);
    g_free(d->volume_id);
    g_free(d->serial);
    g_free(d->snapshot_id);
    g_free(d->backing);
    g_strfreev(d->backing_chain);
    g_free(d->path);
    g_free(d->target);
    g_free(d);
}

void
ami_run_plan_free(AmiRunPlan *plan)
{
    if (!plan)
        return;
    g_free(plan->instance_id);
    g_free(plan->image_id);
    g_free(plan->uuid);
    g_free(plan->instance_type);
    g_free(plan->machine);
    g_free(plan->nvram_path);
    g_free(plan->nvram_source);
    g_clear_pointer(&plan->disks, g_ptr_array_unref);
    g_free(plan->seed_path);
    g_free(plan->console_path);
    g_free(plan->mac);
    g_free(plan->net_socket);
    g_free(plan->key_name);
    g_clear_pointer(&plan->notices, g_ptr_array_unref);
    g_free(plan);
}

/* What EC2 would refuse to launch, or what cannot boot as HVM here. */
static gboolean
check_bootable(const AmiImage *image, GError **error)
{
    if (image->state != AMI_STATE_LAST && image->state != AMI_STATE_AVAILABLE)
        return ami_error_invalid(error, "Image %s is %s, not available", image->image_id,
                      ami_state_to_string(image->state));
    if (image->virt == AMI_VIRT_PARAVIRTUAL)
        return ami_error_invalid(error, "Image %s is paravirtual (Xen PV, booted by the host's kernel "
                      "%s); only hvm images boot here", image->image_id,
                      json_string_value(json_object_get(image->json, "KernelId"))
                          ? json_string_value(json_object_get(image->json, "KernelId"))
                          : "image");
    if (image->root_type == AMI_ROOT_INSTANCE_STORE)
        return ami_error_invalid(error, "Image %s has an instance-store root (an S3 bundle, not a disk "
                      "snapshot); only EBS-backed images boot here", image->image_id);
    if (!image->root_device_name)
        return ami_error_invalid(error, "Image %s has no root device", image->image_id);
    if (image->arch == AMI_ARCH_X86_64_MAC || image->arch == AMI_ARCH_ARM64_MAC)
        return ami_error_invalid(error, "Image %s is for Mac instances (%s), which do not boot here",
                      image->image_id, ami_arch_to_string(image->arch));
    return TRUE;
}

/* BootMode rule (ami-facts §1): arm64 -> UEFI always; x86 -> BIOS unless uefi(-preferred). */
static gboolean
choose_firmware(AmiArch arch, AmiBootMode mode, AmiFirmware *ret, GError **error)
{
    if (arch == AMI_ARCH_ARM64) {
        if (mode == AMI_BOOT_MODE_LEGACY_BIOS)
            return ami_error_invalid(error, "BootMode legacy-bios is not possible on arm64 (Graviton "
                          "instances boot UEFI only)");
        *ret = AMI_FIRMWARE_UEFI;
        return TRUE;
    }
    *ret = (mode == AMI_BOOT_MODE_UEFI || mode == AMI_BOOT_MODE_UEFI_PREFERRED)
               ? AMI_FIRMWARE_UEFI
               : AMI_FIRMWARE_BIOS;
    return TRUE;
}

/* One mapping after launch-time overrides. */
typedef struct {
    char *device;      /* normalised */
    char *device_name; /* as given */
    AmiBdmKind kind;
    char *virtual_name;
    char *snapshot_id;
    gint64 volume_size;
    gboolean delete_on_termination;
} Mapping;

static void
mapping_free(gpointer data)
{
    Mapping *m = data;

    g_free(m->device);
    g_free(m->device_name);
    g_free(m->virtual_name);
    g_free(m->snapshot_id);
    g_free(m);
}

static Mapping *
find_mapping(GPtrArray *maps, const char *device)
{
    for (guint i = 0; i < maps->len; i++) {
        Mapping *m = maps->pdata[i];

        if (strcmp(m->device, device) == 0)
            return m;
    }
    return NULL;
}

static GPtrArray *
mappings_from_image(const AmiImage *image)
{
    GPtrArray *maps = g_ptr_array_new_with_free_func(mapping_free);

    for (guint i = 0; i < image->bdms->len; i++) {
        const AmiBdm *b = image->bdms->pdata[i];
        Mapping *m = g_new0(Mapping, 1);

        m->device = g_strdup(b->device);
        m->device_name = g_strdup(b->device_name);
        m->kind = b->kind;
        m->virtual_name = g_strdup(b->virtual_name);
        m->snapshot_id = g_strdup(b->snapshot_id);
        m->volume_size = b->volume_size;
        m->delete_on_termination = b->delete_on_termination;
        g_ptr_array_add(maps, m);
    }
    return maps;
}

/*
 * run-instances --block-device-mappings: an entry for a mapped device changes it (size,
 * DeleteOnTermination, or NoDevice removes it); an entry for a new device adds one.
 */
static gboolean
apply_override(GPtrArray *maps, json_t *o, size_t index, GError **error)
{
    const char *name = json_string_value(json_object_get(o, "DeviceName"));
    json_t *ebs = json_object_get(o, "Ebs");
    const char *vname = json_string_value(json_object_get(o, "VirtualName"));
    json_t *size, *dot, *snap;
    g_autofree char *device = NULL;
    Mapping *m;

    if (!json_is_object(o) || !name)
        return ami_error_invalid(error, "--block-device-mappings[%zu]: DeviceName is missing", index);
    if (!(device = ami_device_normalise(name, error)))
        return FALSE;
    m = find_mapping(maps, device);
    if (json_object_get(o, "NoDevice")) {
        if (m)
            g_ptr_array_remove(maps, m);
        return TRUE;
    }
    if (!m) {
        m = g_new0(Mapping, 1);
        m->device = g_strdup(device);
        m->device_name = g_strdup(name);
        m->kind = AMI_BDM_LAST;
        m->delete_on_termination = TRUE;
        g_ptr_array_add(maps, m);
    }
    if (vname) {
        /* plan_disk() reads the number after "ephemeral": only EC2's names get there. */
        if (!ami_virtual_name_is_valid(vname)) {
            g_autofree char *shown = g_strescape(vname, NULL);

            return ami_error_invalid(error, "--block-device-mappings[%zu] (%s): VirtualName '%.64s' "
                          "is not ephemeral0 … ephemeral25", index, name, shown);
        }
        m->kind = AMI_BDM_EPHEMERAL;
        g_free(m->virtual_name);
        m->virtual_name = g_strdup(vname);
        return TRUE;
    }
    if (!json_is_object(ebs))
        return ami_error_invalid(error, "--block-device-mappings[%zu] (%s): needs Ebs, VirtualName or "
                      "NoDevice", index, name);
    m->kind = AMI_BDM_EBS;
    if ((snap = json_object_get(ebs, "SnapshotId")) && json_is_string(snap)) {
        g_free(m->snapshot_id);
        m->snapshot_id = g_strdup(json_string_value(snap));
    }
    if ((size = json_object_get(ebs, "VolumeSize"))) {
        if (!json_is_integer(size) || json_integer_value(size) < 1 ||
            json_integer_value(size) > 65536)
            return ami_error_invalid(error, "--block-device-mappings[%zu] (%s): VolumeSize must be a "
                          "whole number of GiB from 1 to 65536", index, name);
        m->volume_size = json_integer_value(size);
    }
    if ((dot = json_object_get(ebs, "DeleteOnTermination")))
        m->delete_on_termination = json_is_true(dot);
    if (!m->snapshot_id && m->volume_size == 0)
        return ami_error_invalid(error, "--block-device-mappings[%zu] (%s): a new volume needs a "
                      "VolumeSize or a SnapshotId", index, name);
    return TRUE;
}

static gint
compare_mappings(gconstpointer a, gconstpointer b)
{
    const Mapping *x = *(Mapping *const *)a, *y = *(Mapping *const *)b;

    return strcmp(x->device, y->device);
}

static char *
target_name(AmiDiskBus bus, guint index)
{
    char letters[3] = {0};

    if (bus == AMI_BUS_NVME)
        return g_strdup_printf("nvme%un1", index);
    if (index < 26) {
        letters[0] = (char)('a' + index);
    } else {
        letters[0] = (char)('a' + index / 26 - 1);
        letters[1] = (char)('a' + index % 26);
    }
    return g_strdup_printf("%s%s", bus == AMI_BUS_SATA ? "sd" : "vd", letters);
}

/*
 * What the guest reads as the disk's serial: an EBS volume's id without the dash, 20
 * characters (ami-facts §3); an instance-store disk has no volume id on EC2 and reports
 * "AWS" and 17 upper-case hex digits (as `nvme list` shows on i3en, m5d…), taken here
 * from the internal id.
 */
static char *
disk_serial(const AmiPlanDisk *d)
{
    const char *hex = d->volume_id + strlen("vol-");
    g_autofree char *up = NULL;

    if (d->kind != AMI_DISK_EPHEMERAL)
        return g_strdup_printf("vol%s", hex);
    up = g_ascii_strup(hex, -1);
    return g_strdup_printf("AWS%.17s", up);
}

/* The disk of one mapping; NULL with no error when EC2 would skip it (no instance store). */
static AmiPlanDisk *
plan_disk(AmiRunPlan *plan, const AmiPlanOptions *opts, const AmiInstanceType *type,
          const Mapping *m, GError **error)
{
    g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func(plan_disk_free);
    AmiPlanDisk *d = g_new0(AmiPlanDisk, 1);

    g_ptr_array_add(guard, d);
    d->device_name = g_strdup(m->device_name);
    d->delete_on_termination = m->delete_on_termination;
    if (m->kind == AMI_BDM_EPHEMERAL) {
        guint64 n = g_ascii_strtoull(m->virtual_name + strlen("ephemeral"), NULL, 10);

        if (n >= type->instance_store_disks && opts->ephemeral_gib == 0) {
            g_ptr_array_add(plan->notices,
                            g_strdup_printf("%s (%s) skipped: %s has no instance store %s, as on "
                                            "EC2 (--ephemeral-size adds one)",
                                            m->virtual_name, m->device_name, type->name,
                                            type->instance_store_disks ? "disk that many" : "disk"));
            return NULL;
        }
        d->kind = AMI_DISK_EPHEMERAL;
        d->size_gib = opts->ephemeral_gib ? opts->ephemeral_gib : type->instance_store_gib;
        d->delete_on_termination = TRUE;
    } else if (m->snapshot_id) {
        AmiSnapshotInfo info = {0};

        if (!opts->lookup(m->snapshot_id, &info, opts->lookup_data)) {
            ami_error_invalid(error, "%s: snapshot %s is not in the store", m->device_name, m->snapshot_id);
            return NULL;
        }
        d->kind = AMI_DISK_OVERLAY;
        d->snapshot_id = g_strdup(m->snapshot_id);
        d->backing = info.path;
        d->backing_chain = info.chain;
        d->size_gib = m->volume_size ? m->volume_size : info.size_gib;
        if (d->size_gib < info.size_gib) {
            ami_error_invalid(error, "%s: VolumeSize %" G_GINT64_FORMAT " GiB is smaller than snapshot %s "
                   "(%" G_GINT64_FORMAT " GiB)", m->device_name, d->size_gib, m->snapshot_id,
                   info.size_gib);
            return NULL;
        }
    } else {
        d->kind = AMI_DISK_BLANK;
        d->size_gib = m->volume_size;
    }
    g_ptr_array_steal_index(guard, 0);
    return d;
}

static gboolean
plan_disks(AmiRunPlan *plan, const AmiImage *image, const AmiPlanOptions *opts,
           const AmiInstanceType *type, GError **error)
{
    g_autoptr(GPtrArray) maps = mappings_from_image(image);
    g_autofree char *root = ami_device_normalise(image->root_device_name, NULL);
    Mapping *rootmap;
    size_t i;
    json_t *o;

    json_array_foreach(opts->bdm_overrides, i, o) {
        if (!apply_override(maps, o, i, error))
            return FALSE;
    }
    g_ptr_array_sort(maps, compare_mappings);
    rootmap = root ? find_mapping(maps, root) : NULL;
    if (!rootmap || rootmap->kind != AMI_BDM_EBS)
        return ami_error_invalid(error, "the root device %s is not an EBS volume after the launch "
                      "mappings", image->root_device_name);
    /* Root first, then by device name. */
    for (guint k = 0; k < maps->len; k++) {
        if (maps->pdata[k] == rootmap) {
            g_ptr_array_steal_index(maps, k);
            g_ptr_array_insert(maps, 0, rootmap);
            break;
        }
    }

    for (guint k = 0; k < maps->len; k++) {
        const Mapping *m = maps->pdata[k];
        g_autoptr(GError) local = NULL;
        AmiPlanDisk *d;
        guint n = plan->disks->len;

        if (m->kind == AMI_BDM_NO_DEVICE)
            continue;
        if (plan->disk_bus == AMI_BUS_NVME && n >= AMI_NVME_MAX_DISKS)
            return ami_error_invalid(error, "%s takes at most %d volumes (try --disk-bus virtio)",
                                     plan->disk_bus_from_type ? "the NVMe bus of a Nitro type"
                                                              : "--disk-bus nvme",
                                     AMI_NVME_MAX_DISKS);
        if (!(d = plan_disk(plan, opts, type, m, &local))) {
            if (local) {
                g_propagate_error(error, g_steal_pointer(&local));
                return FALSE;
            }
            continue;
        }
        if (!opts->volume_ids || !opts->volume_ids[n])
            return ami_error_invalid(error, "internal: not enough volume ids for the plan");
        d->root = (k == 0);
        d->volume_id = g_strdup(opts->volume_ids[n]);
        d->serial = disk_serial(d);
        d->target = target_name(plan->disk_bus, n);
        /* G:nvme-ebs-volumes; ami-facts §3 "Nitro NVMe". */
        if (plan->disk_bus == AMI_BUS_NVME)
            d->model = d->kind == AMI_DISK_EPHEMERAL ? "Amazon EC2 NVMe Instance Storage"
                                                     : "Amazon Elastic Block Store";
        d->path = g_strdup_printf("%s/%s.qcow2", opts->instance_dir, d->volume_id);
        g_ptr_array_add(plan->disks, d);
    }
    return TRUE;
}

static gboolean
plan_machine(AmiRunPlan *plan, const AmiImage *image, const AmiPlanOptions *opts,
             const AmiInstanceType **ret_type, GError **error)
{
    AmiArch arch = image->arch == AMI_ARCH_LAST ? AMI_ARCH_X86_64 : image->arch;
    const char *type_name = opts->instance_type ? opts->instance_type
                                                : ami_instance_type_default(arch);
    const AmiInstanceType *type = ami_instance_type_lookup(type_name);
    AmiBootMode mode = opts->boot_mode != AMI_BOOT_MODE_LAST ? opts->boot_mode : image->boot_mode;

    if (!type)
        return ami_error_invalid(error, "unknown instance type '%.64s' (known: t3(a).*, t2.*, m5(d).*, c5(d).*, m4/c4/r4.large, "
                      "t4g.*, m6g(d).*… see 'ami-run run --help'); --memory and --vcpus "
                      "size a boot directly", type_name);
    if ((type->arch == AMI_ARCH_ARM64) != (arch == AMI_ARCH_ARM64))
        return ami_error_invalid(error, "instance type %s is %s, image %s is %s", type->name,
                      ami_arch_to_string(type->arch), image->image_id, ami_arch_to_string(arch));
    plan->arch = arch;
    plan->machine = g_strdup(arch == AMI_ARCH_ARM64 ? "virt" : "q35");
    if (!choose_firmware(arch, mode, &plan->firmware, error))
        return FALSE;
    plan->secure_boot = opts->secure_boot;
    if (plan->secure_boot && plan->firmware != AMI_FIRMWARE_UEFI)
        return ami_error_invalid(error, "--secure-boot needs UEFI; this boot uses legacy BIOS");
    plan->tpm = json_string_value(json_object_get(image->json, "TpmSupport")) != NULL;
    /* G:enable-nitrotpm-prerequisites: NitroTPM "requires that an instance runs in UEFI boot mode". */
    if (plan->tpm && plan->firmware != AMI_FIRMWARE_UEFI)
        return ami_error_invalid(error, "Image %s has TpmSupport v2.0 (NitroTPM), which needs UEFI; "
                      "this boot uses legacy BIOS (%s)", image->image_id,
                      opts->boot_mode == AMI_BOOT_MODE_LEGACY_BIOS ? "--boot-mode legacy-bios"
                      : mode == AMI_BOOT_MODE_LEGACY_BIOS        ? "BootMode legacy-bios"
                                                                 : "x86_64 without BootMode");
    plan->instance_type = g_strdup(type->name);
    plan->nitro = type->nitro;
    plan->smbios = ami_instance_type_smbios(type);
    /* EBS is NVMe on Nitro (G:nvme-ebs-volumes); Xen's xvd* are paravirtual, virtio here. */
    plan->disk_bus_from_type = opts->disk_bus == AMI_BUS_LAST;
    plan->disk_bus = plan->disk_bus_from_type ? (type->nitro ? AMI_BUS_NVME : AMI_BUS_VIRTIO)
                                              : opts->disk_bus;
    plan->vcpus = opts->vcpus ? opts->vcpus : type->vcpus;
    plan->memory_mib = opts->memory_mib ? opts->memory_mib : type->memory_mib;
    *ret_type = type;
    return TRUE;
}

AmiRunPlan *
ami_plan_build(const AmiImage *image, const AmiPlanOptions *opts, GError **error)
{
    g_autoptr(AmiRunPlan) plan = g_new0(AmiRunPlan, 1);
    const AmiInstanceType *type = NULL;

    plan->disks = g_ptr_array_new_with_free_func(plan_disk_free);
    plan->notices = g_ptr_array_new_with_free_func(g_free);
    if (!check_bootable(image, error) || !plan_machine(plan, image, opts, &type, error) ||
        !plan_disks(plan, image, opts, type, error))
        return NULL;
    plan->instance_id = g_strdup(opts->instance_id);
    plan->image_id = g_strdup(image->image_id);
    plan->uuid = ami_instance_uuid(opts->instance_id);
    plan->mac = g_strdup(opts->mac);
    plan->accel = opts->accel;
    plan->ssh_port = opts->ssh_port;
    plan->key_name = g_strdup(opts->key_name);
    plan->nic = opts->nic;
    if (opts->nic == AMI_NIC_OWN)
        plan->net_socket = g_strdup_printf("%s/net.sock", opts->instance_dir);
    if (!opts->no_seed)
        plan->seed_path = g_strdup_printf("%s/seed.iso", opts->instance_dir);
    plan->console_path = g_strdup_printf("%s/console.log", opts->instance_dir);
    plan->pci_serial = plan->arch == AMI_ARCH_ARM64;
    if (plan->firmware == AMI_FIRMWARE_UEFI) {
        /* create-image keeps the instance's variable store with the image (EC2's UefiData). */
        json_t *nv = json_object_get(json_object_get(image->json, "AmiRun"), "Nvram");

        plan->nvram_path = g_strdup_printf("%s/nvram.fd", opts->instance_dir);
        plan->nvram_source = g_strdup(json_string_value(json_object_get(nv, "File")));
    }
    return g_steal_pointer(&plan);
}

json_t *
ami_plan_smbios_to_json(const AmiRunPlan *plan)
{
    const AmiSmbiosProfile *s = plan->smbios;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "BiosVendor", s->bios_vendor,
                          "BiosVersion", s->bios_version, "BiosDate", s->bios_date,
                          "SystemManufacturer", s->manufacturer, "SystemProduct",
                          s->product ? s->product : plan->instance_type, "SystemSerial",
                          plan->uuid, "SystemUuid", plan->uuid, "ChassisManufacturer",
                          s->chassis_vendor);

    if (s->version)
        json_object_set_new(j, "SystemVersion", json_string(s->version));
    if (s->chassis_asset)
        json_object_set_new(j, "ChassisAssetTag", json_string(s->chassis_asset));
    if (s->board_asset_is_id)
        json_object_set_new(j, "BoardAssetTag", json_string(plan->instance_id));
    return j;
}

char *
ami_plan_root_device_hint(const AmiRunPlan *plan)
{
    if (plan->disk_bus != AMI_BUS_NVME)
        return NULL;
    if (plan->disk_bus_from_type)
        return g_strdup_printf("the image may lack an NVMe driver (instance type %s uses NVMe; "
                               "try --disk-bus virtio or a Xen-era type such as t2.micro)",
                               plan->instance_type);
    return g_strdup("the image may lack an NVMe driver (--disk-bus nvme; try --disk-bus virtio)");
}

json_t *
ami_plan_to_json(const AmiRunPlan *plan)
{
    json_t *disks = json_array();
    json_t *out;

    for (guint i = 0; i < plan->disks->len; i++) {
        const AmiPlanDisk *d = plan->disks->pdata[i];
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:s, s:s}", "DeviceName",
                              d->device_name, "Kind", ami_disk_kind_to_string(d->kind),
                              "VolumeId", d->volume_id, "Serial", d->serial, "SizeGiB",
                              (json_int_t)d->size_gib, "Root", d->root, "DeleteOnTermination",
                              d->delete_on_termination, "Target", d->target, "Path", d->path);

        if (d->model)
            json_object_set_new(j, "Model", json_string(d->model));

        if (d->snapshot_id) {
            json_object_set_new(j, "SnapshotId", json_string(d->snapshot_id));
            json_object_set_new(j, "Backing", json_string(d->backing));
        }
        if (d->backing_chain) {
            json_t *chain = json_array();

            for (char **c = d->backing_chain; *c; c++)
                json_array_append_new(chain, json_string(*c));
            json_object_set_new(j, "BackingChain", chain);
        }
        json_array_append_new(disks, j);
    }
    out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:i, s:I, s:s, s:o, s:s*, s:s, "
                    "s:s}",
                    "InstanceId", plan->instance_id, "ImageId", plan->image_id, "InstanceType",
                    plan->instance_type, "Architecture", ami_arch_to_string(plan->arch),
                    "Machine", plan->machine, "Firmware", ami_firmware_to_string(plan->firmware),
                    "SecureBoot", plan->secure_boot, "Tpm", plan->tpm, "Accelerator",
                    ami_accel_to_string(plan->accel), "VCpus", (int)plan->vcpus, "MemoryMiB",
                    (json_int_t)plan->memory_mib, "DiskBus", ami_disk_bus_to_string(plan->disk_bus),
                    "Disks", disks, "Seed", plan->seed_path, "Console", plan->console_path,
                    "Nic", ami_nic_to_string(plan->nic));
    json_object_set_new(out, "Platform", json_string(plan->nitro ? "nitro" : "xen"));
    json_object_set_new(out, "DiskBusFrom", json_string(plan->disk_bus_from_type ? "instance-type"
                                                                                 : "--disk-bus"));
    json_object_set_new(out, "Smbios", ami_plan_smbios_to_json(plan));
    if (plan->pci_serial)
        json_object_set_new(out, "ConsolePorts", json_pack("[s, s]", "pl011 (ttyAMA0)",
                                                           "pci-serial (ttyS0)"));
    if (plan->ssh_port)
        json_object_set_new(out, "SshPort", json_integer(plan->ssh_port));
    if (plan->net_socket)
        json_object_set_new(out, "NetSocket", json_string(plan->net_socket));
    if (plan->key_name)
        json_object_set_new(out, "KeyName", json_string(plan->key_name));
    if (plan->nvram_source)
        json_object_set_new(out, "NvramSource", json_string(plan->nvram_source));
    return out;
}
