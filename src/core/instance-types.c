/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small table of common EC2 instance types: vCPUs, memory, instance store and the
 * platform (Nitro or Xen), from the EC2 instance type pages.  Enough to size a local boot
 * the way the type would be, and to give the guest the machine identity the type has:
 * the SMBIOS values and the disk bus (docs/run.md "Machine identity").
 */
#include <string.h>

#include "ami-run/plan.h"

#define NITRO TRUE
#define XEN FALSE

static const AmiInstanceType types[] = {
    /* name         vcpu  MiB    store n  GiB  arch             platform */
    {"t3.nano",       2,   512,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3.micro",      2,  1024,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3.small",      2,  2048,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3.medium",     2,  4096,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3.large",      2,  8192,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3a.nano",      2,   512,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3a.micro",     2,  1024,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3a.small",     2,  2048,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t3a.medium",    2,  4096,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"t2.nano",       1,   512,    0,   0, AMI_ARCH_X86_64, XEN},
    {"t2.micro",      1,  1024,    0,   0, AMI_ARCH_X86_64, XEN},
    {"t2.small",      1,  2048,    0,   0, AMI_ARCH_X86_64, XEN},
    {"t2.medium",     2,  4096,    0,   0, AMI_ARCH_X86_64, XEN},
    {"m4.large",      2,  8192,    0,   0, AMI_ARCH_X86_64, XEN},
    {"c4.large",      2,  3840,    0,   0, AMI_ARCH_X86_64, XEN},
    {"r4.large",      2, 15616,    0,   0, AMI_ARCH_X86_64, XEN},
    {"m5.large",      2,  8192,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"m5.xlarge",     4, 16384,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"m5d.large",     2,  8192,    1,  75, AMI_ARCH_X86_64, NITRO},
    {"m5d.xlarge",    4, 16384,    1, 150, AMI_ARCH_X86_64, NITRO},
    {"m6i.large",     2,  8192,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"m6id.large",    2,  8192,    1, 118, AMI_ARCH_X86_64, NITRO},
    {"c5.large",      2,  4096,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"c5d.large",     2,  4096,    1,  50, AMI_ARCH_X86_64, NITRO},
    {"c6i.large",     2,  4096,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"r5.large",      2, 16384,    0,   0, AMI_ARCH_X86_64, NITRO},
    {"i3.large",      2, 15616,    1, 475, AMI_ARCH_X86_64, XEN},
    {"m3.medium",     1,  3840,    1,   4, AMI_ARCH_X86_64, XEN},
    {"t4g.nano",      2,   512,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"t4g.micro",     2,  1024,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"t4g.small",     2,  2048,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"t4g.medium",    2,  4096,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"m6g.large",     2,  8192,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"m6gd.large",    2,  8192,    1, 118, AMI_ARCH_ARM64, NITRO},
    {"m7g.large",     2,  8192,    0,   0, AMI_ARCH_ARM64, NITRO},
    {"c7g.large",     2,  4096,    0,   0, AMI_ARCH_ARM64, NITRO},
    {NULL, 0, 0, 0, 0, AMI_ARCH_LAST, XEN},
};

const AmiInstanceType *
ami_instance_type_lookup(const char *name)
{
    for (const AmiInstanceType *t = types; name && t->name; t++) {
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

const char *
ami_instance_type_default(AmiArch arch)
{
    return arch == AMI_ARCH_ARM64 ? "t4g.micro" : "t3.micro";
}

/*
 * What dmidecode shows on EC2.  Nitro (c5, t3…): BIOS "Amazon EC2" 1.0 of 10/16/2017,
 * system and chassis "Amazon EC2", the chassis asset tag "Amazon EC2", the product the
 * instance type (OCSInventory-NG/UnixAgent#250, chef/ohai#1082, canonical/cloud-init#5105),
 * the board asset tag the instance id (systemd/systemd#41804, after AWS's
 * identify_ec2_instances page).  Xen (t2, m4…): "Xen", "HVM domU", version
 * "4.11.amazon" (4.2.amazon on older hosts; Solvik/netbox-agent#99).
 */
static const AmiSmbiosProfile nitro_profile = {
    .bios_vendor = "Amazon EC2", .bios_version = "1.0", .bios_date = "10/16/2017",
    .manufacturer = "Amazon EC2", .product = NULL, .version = NULL,
    .chassis_vendor = "Amazon EC2", .chassis_asset = "Amazon EC2", .board_asset_is_id = TRUE,
};
static const AmiSmbiosProfile xen_profile = {
    .bios_vendor = "Xen", .bios_version = "4.11.amazon", .bios_date = "08/24/2006",
    .manufacturer = "Xen", .product = "HVM domU", .version = "4.11.amazon",
    .chassis_vendor = "Xen", .chassis_asset = NULL, .board_asset_is_id = FALSE,
};

const AmiSmbiosProfile *
ami_instance_type_smbios(const AmiInstanceType *type)
{
    return type->nitro ? &nitro_profile : &xen_profile;
}

/*
 * EC2's system UUID starts "ec2" (identify_ec2_instances; cloud-init's ds-identify and
 * DataSourceEc2.identify_aws test exactly that prefix).  The rest: SHA-256 of the
 * instance id, so a record's UUID can always be derived again and two instances differ.
 */
char *
ami_instance_uuid(const char *instance_id)
{
    g_autofree char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, instance_id, -1);

    return g_strdup_printf("ec2%.5s-%.4s-%.4s-%.4s-%.12s", h, h + 5, h + 9, h + 13, h + 17);
}
