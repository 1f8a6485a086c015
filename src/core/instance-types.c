/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small table of common EC2 instance types: vCPUs, memory and instance store, from the
 * EC2 instance type pages.  Enough to size a local boot the way the type would be.
 */
#include <string.h>

#include "ami-run/plan.h"

static const AmiInstanceType types[] = {
    /* name         vcpu  MiB    store n  GiB  arch */
    {"t3.nano",       2,   512,    0,   0, AMI_ARCH_X86_64},
    {"t3.micro",      2,  1024,    0,   0, AMI_ARCH_X86_64},
    {"t3.small",      2,  2048,    0,   0, AMI_ARCH_X86_64},
    {"t3.medium",     2,  4096,    0,   0, AMI_ARCH_X86_64},
    {"t3.large",      2,  8192,    0,   0, AMI_ARCH_X86_64},
    {"t2.micro",      1,  1024,    0,   0, AMI_ARCH_X86_64},
    {"m5.large",      2,  8192,    0,   0, AMI_ARCH_X86_64},
    {"m5.xlarge",     4, 16384,    0,   0, AMI_ARCH_X86_64},
    {"m5d.large",     2,  8192,    1,  75, AMI_ARCH_X86_64},
    {"m5d.xlarge",    4, 16384,    1, 150, AMI_ARCH_X86_64},
    {"m6i.large",     2,  8192,    0,   0, AMI_ARCH_X86_64},
    {"m6id.large",    2,  8192,    1, 118, AMI_ARCH_X86_64},
    {"c5.large",      2,  4096,    0,   0, AMI_ARCH_X86_64},
    {"c5d.large",     2,  4096,    1,  50, AMI_ARCH_X86_64},
    {"c6i.large",     2,  4096,    0,   0, AMI_ARCH_X86_64},
    {"r5.large",      2, 16384,    0,   0, AMI_ARCH_X86_64},
    {"i3.large",      2, 15616,    1, 475, AMI_ARCH_X86_64},
    {"m3.medium",     1,  3840,    1,   4, AMI_ARCH_X86_64},
    {"t4g.nano",      2,   512,    0,   0, AMI_ARCH_ARM64},
    {"t4g.micro",     2,  1024,    0,   0, AMI_ARCH_ARM64},
    {"t4g.small",     2,  2048,    0,   0, AMI_ARCH_ARM64},
    {"t4g.medium",    2,  4096,    0,   0, AMI_ARCH_ARM64},
    {"m6g.large",     2,  8192,    0,   0, AMI_ARCH_ARM64},
    {"m6gd.large",    2,  8192,    1, 118, AMI_ARCH_ARM64},
    {"m7g.large",     2,  8192,    0,   0, AMI_ARCH_ARM64},
    {"c7g.large",     2,  4096,    0,   0, AMI_ARCH_ARM64},
    {NULL, 0, 0, 0, 0, AMI_ARCH_LAST},
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
