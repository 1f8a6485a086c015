/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String tables of the EC2 enums (botocore ec2 service-2.json). */
#include <string.h>

#include "ami-run/ami.h"

#define AMI_ENUM_TABLE(lower, Type, LAST, ...)                                   \
    static const char *const lower##_table[LAST + 1] = {__VA_ARGS__};             \
    const char *ami_##lower##_to_string(Type v)                                  \
    {                                                                            \
        return (unsigned)v < (unsigned)(LAST) ? lower##_table[v] : NULL;         \
    }                                                                            \
    gboolean ami_##lower##_from_string(const char *s, Type *ret)                 \
    {                                                                            \
        for (unsigned i = 0; s && i < (unsigned)(LAST); i++) {                   \
            if (strcmp(s, lower##_table[i]) == 0) {                              \
                *ret = (Type)i;                                                  \
                return TRUE;                                                     \
            }                                                                    \
        }                                                                        \
        return FALSE;                                                            \
    }                                                                            \
    char *ami_##lower##_choices(void)                                            \
    {                                                                            \
        return g_strjoinv(", ", (char **)lower##_table);                         \
    }

AMI_ENUM_TABLE(arch, AmiArch, AMI_ARCH_LAST,
               [AMI_ARCH_I386] = "i386", [AMI_ARCH_X86_64] = "x86_64",
               [AMI_ARCH_ARM64] = "arm64", [AMI_ARCH_X86_64_MAC] = "x86_64_mac",
               [AMI_ARCH_ARM64_MAC] = "arm64_mac")

AMI_ENUM_TABLE(boot_mode, AmiBootMode, AMI_BOOT_MODE_LAST,
               [AMI_BOOT_MODE_LEGACY_BIOS] = "legacy-bios", [AMI_BOOT_MODE_UEFI] = "uefi",
               [AMI_BOOT_MODE_UEFI_PREFERRED] = "uefi-preferred")

AMI_ENUM_TABLE(virt_type, AmiVirtType, AMI_VIRT_LAST,
               [AMI_VIRT_HVM] = "hvm", [AMI_VIRT_PARAVIRTUAL] = "paravirtual")

AMI_ENUM_TABLE(root_type, AmiRootType, AMI_ROOT_LAST,
               [AMI_ROOT_EBS] = "ebs", [AMI_ROOT_INSTANCE_STORE] = "instance-store")

AMI_ENUM_TABLE(state, AmiState, AMI_STATE_LAST,
               [AMI_STATE_PENDING] = "pending", [AMI_STATE_AVAILABLE] = "available",
               [AMI_STATE_INVALID] = "invalid", [AMI_STATE_DEREGISTERED] = "deregistered",
               [AMI_STATE_TRANSIENT] = "transient", [AMI_STATE_FAILED] = "failed",
               [AMI_STATE_ERROR] = "error", [AMI_STATE_DISABLED] = "disabled")

AMI_ENUM_TABLE(volume_type, AmiVolumeType, AMI_VOLUME_LAST,
               [AMI_VOLUME_STANDARD] = "standard", [AMI_VOLUME_IO1] = "io1",
               [AMI_VOLUME_IO2] = "io2", [AMI_VOLUME_GP2] = "gp2", [AMI_VOLUME_SC1] = "sc1",
               [AMI_VOLUME_ST1] = "st1", [AMI_VOLUME_GP3] = "gp3")

void
ami_volume_type_size_limits(AmiVolumeType type, gint64 *ret_min, gint64 *ret_max)
{
    gint64 lo = 1, hi = 16384;

    switch (type) {
    case AMI_VOLUME_STANDARD:
        hi = 1024;
        break;
    case AMI_VOLUME_IO1:
        lo = 4;
        break;
    case AMI_VOLUME_IO2:
        lo = 4;
        hi = 65536;
        break;
    case AMI_VOLUME_GP3:
        hi = 65536;
        break;
    case AMI_VOLUME_SC1:
    case AMI_VOLUME_ST1:
        lo = 125;
        break;
    case AMI_VOLUME_GP2:
    case AMI_VOLUME_LAST:
        break;
    }
    *ret_min = lo;
    *ret_max = hi;
}
