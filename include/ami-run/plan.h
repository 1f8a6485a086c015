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

typedef struct {
    AmiDiskKind kind;
    char *device_name;  /* the mapping's name, e.g. "/dev/xvda" */
    char *volume_id;    /* vol-… */
    char *serial;       /* volume id without the dash, as EBS NVMe reports it */
    char *snapshot_id;  /* AMI_DISK_OVERLAY */
    char *backing;      /* AMI_DISK_OVERLAY: the snapshot's file (qcow2) */
    gint64 size_gib;
    gboolean delete_on_termination;
    char *path;         /* the instance's disk file */
    char *target;       /* guest target name: vda, vdb… / sda… / nvme0n1… */
    gboolean root;
} AmiPlanDisk;

typedef struct {
    char *instance_id;
    char *image_id;
    char *uuid;
    char *instance_type;
    AmiArch arch;
    char *machine;        /* q35 or virt */
    AmiFirmware firmware;
    gboolean secure_boot;
    char *nvram_path;     /* UEFI only */
    gboolean tpm;
    AmiAccel accel;       /* resolved: KVM or TCG */
    guint vcpus;
    guint64 memory_mib;
    AmiDiskBus disk_bus;
    GPtrArray *disks;     /* AmiPlanDisk*, root first, then by device name */
    char *seed_path;      /* NULL: no NoCloud seed (--metadata-source imds) */
    char *console_path;   /* every serial port appends here, so the log is in time order */
    gboolean pci_serial;  /* arm64: a pci-serial next to the PL011, Linux's ttyS0 */
    char *mac;
    int ssh_port;         /* 0: none */
    AmiNic nic;
    char *net_socket;     /* AMI_NIC_OWN: QEMU's -netdev stream socket, else NULL */
    GPtrArray *notices;   /* char*: things the user should be told (skipped ephemerals…) */
} AmiRunPlan;

void ami_run_plan_free(AmiRunPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiRunPlan, ami_run_plan_free)

/* A snapshot as the planner needs it: its file and size. */
typedef struct {
    char *path;
    gint64 size_gib;
} AmiSnapshotInfo;

/* Looks a snapshot up; FALSE when it is not in the store. */
typedef gboolean (*AmiSnapshotLookup)(const char *snapshot_id, AmiSnapshotInfo *ret,
                                      gpointer user_data);

typedef struct {
    const char *instance_id;   /* i-… */
    const char *instance_dir;  /* absolute */
    const char *uuid;
    const char *mac;
    const char *instance_type; /* NULL: t3.micro-like default */
    guint vcpus;               /* 0: from the type */
    guint64 memory_mib;        /* 0: from the type */
    AmiBootMode boot_mode;     /* AMI_BOOT_MODE_LAST: from the image */
    gboolean secure_boot;
    AmiAccel accel;            /* resolved by the caller (host probing) */
    AmiDiskBus disk_bus;
    gint64 ephemeral_gib;      /* 0: from the instance type */
    json_t *bdm_overrides;     /* run-instances --block-device-mappings, or NULL */
    int ssh_port;
    AmiNic nic;                /* AMI_NIC_OWN (0): ami-run's libslirp, docs/network.md */
    gboolean no_seed;          /* --metadata-source imds: no NoCloud seed ISO */
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
} AmiInstanceType;

/** ami_instance_type_lookup() - a known EC2 instance type, or NULL. Static data. */
const AmiInstanceType *ami_instance_type_lookup(const char *name);

/** ami_instance_type_default() - the default type for @arch (t3.micro-like / t4g.micro). */
const char *ami_instance_type_default(AmiArch arch);

G_END_DECLS
