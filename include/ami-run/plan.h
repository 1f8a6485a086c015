/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The run plan: everything a boot needs, fully resolved (absolute paths, ids, buses,
 * firmware), as data.  Built by ami_plan_build() from an AMI and the run options (pure:
 * ids, paths and host facts are inputs), rendered to libvirt XML by
 * ami_domain_xml_render(), and printed by `run --dry-run`.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/ami.h"

G_BEGIN_DECLS

typedef enum {
    AMI_DISK_OVERLAY,   /* qcow2 over a snapshot, backing format pinned */
    AMI_DISK_BLANK,     /* EBS volume without a snapshot: sparse qcow2 */
    AMI_DISK_EPHEMERAL, /* instance store: sparse qcow2 */
    AMI_DISK_LAST
} AmiDiskKind;

typedef enum {
    AMI_BUS_VIRTIO,
    AMI_BUS_NVME,
    AMI_BUS_SATA,
    AMI_BUS_LAST
} AmiDiskBus;

typedef enum {
    AMI_FIRMWARE_BIOS,
    AMI_FIRMWARE_UEFI,
    AMI_FIRMWARE_LAST
} AmiFirmware;

/* The instance's NIC: ami-run's own network (the default), QEMU's built-in user network
 * (--connect, bench's AMI_RUN_NET=builtin), or none (--network none). */
typedef enum {
    AMI_NIC_OWN,
    AMI_NIC_BUILTIN,
    AMI_NIC_NONE,
    AMI_NIC_LAST
} AmiNic;

const char *ami_nic_to_string(AmiNic v);

typedef enum {
    AMI_ACCEL_AUTO,
    AMI_ACCEL_KVM,
    AMI_ACCEL_TCG,
    AMI_ACCEL_LAST
} AmiAccel;

const char *ami_disk_kind_to_string(AmiDiskKind v);
const char *ami_disk_bus_to_string(AmiDiskBus v);
gboolean ami_disk_bus_from_string(const char *s, AmiDiskBus *ret);
const char *ami_firmware_to_string(AmiFirmware v);
const char *ami_accel_to_string(AmiAccel v);
gboolean ami_accel_from_string(const char *s, AmiAccel *ret);

/* NVMe disks sit on the root bus from this slot up (libvirt fills slots from 1). */
#define AMI_NVME_FIRST_SLOT 0x10
#define AMI_NVME_MAX_DISKS 15
/* The NIC of --ssh-port (also a qemu:commandline device) sits just below them. */
#define AMI_SSH_NIC_SLOT 0x0f

/* The SMBIOS values an instance type's guest sees (NULL: not set). */
typedef struct {
    const char *bios_vendor, *bios_version, *bios_date; /* type 0 */
    const char *manufacturer, *product, *version;        /* type 1; product NULL: the type */
    const char *chassis_vendor, *chassis_asset;          /* type 3 */
    gboolean board_asset_is_id;                          /* type 2 asset tag: the instance id */
} AmiSmbiosProfile;

typedef struct {
    AmiDiskKind kind;
    char *device_name;  /* the mapping's name, e.g. "/dev/xvda" */
    char *volume_id;    /* vol-… */
    char *serial;       /* EBS: vol… (the id without the dash); instance store: AWS… */
    char *snapshot_id;  /* AMI_DISK_OVERLAY */
    char *backing;      /* AMI_DISK_OVERLAY: the snapshot's file (qcow2) */
    char **backing_chain; /* the layers below it (create-image's chains), nearest first, or NULL */
    gint64 size_gib;
    gboolean delete_on_termination;
    char *path;         /* the instance's disk file */
    char *target;       /* guest target name: vda, vdb… / sda… / nvme0n1… */
    const char *model;  /* NVMe model as on EC2 (static); QEMU 7.2 cannot set it */
    gboolean root;
} AmiPlanDisk;

typedef struct {
    char *instance_id;
    char *image_id;
    char *uuid;           /* ec2…, from the instance id: the SMBIOS system UUID too */
    char *instance_type;
    const AmiSmbiosProfile *smbios; /* static */
    gboolean nitro;       /* the type's platform */
    AmiArch arch;
    char *machine;        /* q35 or virt */
    AmiFirmware firmware;
    gboolean secure_boot;
    char *nvram_path;     /* UEFI only */
    char *nvram_source;   /* the image's captured NVRAM (store-relative, AmiRun.Nvram.File), or NULL:
                           * nvram_path starts as a copy of it instead of the firmware's template */
    gboolean tpm;
    AmiAccel accel;       /* resolved: KVM or TCG */
    guint vcpus;
    guint64 memory_mib;
    AmiDiskBus disk_bus;
    gboolean disk_bus_from_type; /* not --disk-bus: Nitro types get NVMe, Xen types virtio */
    GPtrArray *disks;     /* AmiPlanDisk*, root first, then by device name */
    char *seed_path;      /* NULL: no NoCloud seed (--metadata-source imds) */
    char *console_path;   /* every serial port appends here, so the log is in time order */
    gboolean pci_serial;  /* arm64: a pci-serial next to the PL011, Linux's ttyS0 */
    char *mac;
    int ssh_port;         /* 0: none */
    AmiNic nic;
    char *net_socket;     /* AMI_NIC_OWN: QEMU's -netdev stream socket, else NULL */
    char *key_name;       /* run --key-name: the record's KeyName; NULL: none */
    GPtrArray *notices;   /* char*: things the user should be told (skipped ephemerals…) */
} AmiRunPlan;

void ami_run_plan_free(AmiRunPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiRunPlan, ami_run_plan_free)

/* A snapshot as the planner needs it: its file and size. */
typedef struct {
    char *path;
    gint64 size_gib;
    char **chain; /* the files of the layers below it, nearest first; NULL: a full disk */
} AmiSnapshotInfo;

/* Looks a snapshot up; FALSE when it is not in the store. */
typedef gboolean (*AmiSnapshotLookup)(const char *snapshot_id, AmiSnapshotInfo *ret,
                                      gpointer user_data);

typedef struct {
    const char *instance_id;   /* i-… */
    const char *instance_dir;  /* absolute */
    const char *mac;
    const char *instance_type; /* NULL: t3.micro-like default */
    guint vcpus;               /* 0: from the type */
    guint64 memory_mib;        /* 0: from the type */
    AmiBootMode boot_mode;     /* AMI_BOOT_MODE_LAST: from the image */
    gboolean secure_boot;
    AmiAccel accel;            /* resolved by the caller (host probing) */
    AmiDiskBus disk_bus;       /* AMI_BUS_LAST: from the type (Nitro: nvme, Xen: virtio) */
    gint64 ephemeral_gib;      /* 0: from the instance type */
    json_t *bdm_overrides;     /* run-instances --block-device-mappings, or NULL */
    int ssh_port;
    AmiNic nic;                /* AMI_NIC_OWN (0): ami-run's libslirp, docs/network.md */
    gboolean no_seed;          /* --metadata-source imds: no NoCloud seed ISO */
    const char *key_name;      /* run --key-name (checked by the caller), or NULL */
    char **volume_ids;         /* ids to give the disks, in order; enough for every mapping */
    AmiSnapshotLookup lookup;
    gpointer lookup_data;
} AmiPlanOptions;

/**
 * ami_plan_build() - resolve @image with @opts into a run plan: refuses what cannot boot
 * (paravirtual, instance-store roots, not available, legacy-bios on arm64, VolumeSize
 * below the snapshot) with AMI_ERROR_INVALID, merges launch-time mapping overrides, and
 * orders the disks root first.  Pure.  Returns a new plan.
 */
AmiRunPlan *ami_plan_build(const AmiImage *image, const AmiPlanOptions *opts, GError **error);

/** ami_plan_to_json() - the plan as JSON (run --dry-run).  New reference. */
json_t *ami_plan_to_json(const AmiRunPlan *plan);

/** ami_plan_smbios_to_json() - the SMBIOS values the guest sees (plan, record).  New reference. */
json_t *ami_plan_smbios_to_json(const AmiRunPlan *plan);

/**
 * ami_plan_root_device_hint() - what a "root device not found" verdict should add for
 * @plan: on NVMe, that the image may lack the driver and what to try.  NULL when the
 * disks are not on NVMe; else a new string.
 */
char *ami_plan_root_device_hint(const AmiRunPlan *plan);

/**
 * ami_domain_xml_render() - the libvirt domain XML of @plan.  A pure function of the
 * plan; every value is escaped.  Returns a new string.
 */
char *ami_domain_xml_render(const AmiRunPlan *plan, GError **error);

/* --- instance-types.c --- */

typedef struct {
    const char *name;
    guint vcpus;
    guint memory_mib;
    guint instance_store_disks; /* ephemeral0 … */
    guint instance_store_gib;   /* per disk */
    AmiArch arch;               /* AMI_ARCH_X86_64 or AMI_ARCH_ARM64 */
    gboolean nitro;             /* Nitro (NVMe EBS, "Amazon EC2" SMBIOS), else Xen */
} AmiInstanceType;

/** ami_instance_type_lookup() - a known EC2 instance type, or NULL. Static data. */
const AmiInstanceType *ami_instance_type_lookup(const char *name);

/** ami_instance_type_default() - the default type for @arch (t3.micro-like / t4g.micro). */
const char *ami_instance_type_default(AmiArch arch);

/** ami_instance_type_smbios() - what dmidecode shows on @type's platform. Static data. */
const AmiSmbiosProfile *ami_instance_type_smbios(const AmiInstanceType *type);

/**
 * ami_instance_uuid() - the system UUID of @instance_id as EC2 makes them: "ec2" then
 * hex digits derived from the id (deterministic).  Also the SMBIOS serial and the domain
 * <uuid>.  Returns a new string.
 */
char *ami_instance_uuid(const char *instance_id);

G_END_DECLS
