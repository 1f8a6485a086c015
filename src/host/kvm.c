/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is KVM usable?  /dev/kvm existing is not enough: on nested "PVM" hosts it opens, but
 * the CPU has no vmx/svm, kvm_pvm is loaded instead of kvm_intel/kvm_amd, and normal
 * guest kernels hang (docs/platform-notes: this CI machine is one).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ami-run/ami.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/plan.h"

static char *
under(const char *root, const char *path)
{
    return g_strconcat(root ? root : "", path, NULL);
}

static gboolean
host_matches(AmiArch guest, const char *machine)
{
    if (guest == AMI_ARCH_ARM64)
        return strcmp(machine, "aarch64") == 0;
    return strcmp(machine, "x86_64") == 0 || (guest == AMI_ARCH_I386 && strcmp(machine, "i686") == 0);
}

static gboolean
cpu_has_virt(const char *root)
{
    g_autofree char *path = under(root, "/proc/cpuinfo");
    g_autofree char *text = NULL;
    g_autoptr(GRegex) re = g_regex_new("^flags\\s*:.*\\b(vmx|svm)\\b", G_REGEX_MULTILINE, 0, NULL);

    return g_file_get_contents(path, &text, NULL, NULL) && g_regex_match(re, text, 0, NULL);
}

static gboolean
module_loaded(const char *root, const char *name)
{
    g_autofree char *rel = g_strdup_printf("/sys/module/%s", name);
    g_autofree char *path = under(root, rel);

    return g_file_test(path, G_FILE_TEST_IS_DIR);
}

/* NULL when KVM is usable, else why not (new string). */
static char *
kvm_unusable(const char *root, AmiArch guest, const char *machine)
{
    g_autofree char *dev = under(root, "/dev/kvm");
    int fd;

    if (!host_matches(guest, machine))
        return g_strdup_printf("a %s guest on a %s host", ami_arch_to_string(guest), machine);
    fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return g_strdup_printf("/dev/kvm: %s", g_strerror(errno));
    close(fd);
    if (strcmp(machine, "aarch64") == 0)
        return NULL;
    if (module_loaded(root, "kvm_pvm"))
        return g_strdup("/dev/kvm is nested PVM KVM (kvm_pvm), under which guests hang");
    if (!cpu_has_virt(root))
        return g_strdup("the CPU has no vmx/svm (nested KVM without hardware virtualisation)");
    if (!module_loaded(root, "kvm_intel") && !module_loaded(root, "kvm_amd"))
        return g_strdup("neither kvm_intel nor kvm_amd is loaded");
    return NULL;
}

gboolean
ami_accel_resolve(const char *root, int requested, int guest_arch, int *ret_accel,
                  char **ret_reason, GError **error)
{
    struct utsname u;
    g_autofree char *why = NULL;
    const char *machine = g_getenv("AMI_RUN_TEST_HOST_MACHINE"); /* fixture trees only */

    if (!machine || !root || !*root) {
        uname(&u);
        machine = u.machine;
    }
    *ret_reason = NULL;
    if (requested == AMI_ACCEL_TCG) {
        *ret_accel = AMI_ACCEL_TCG;
        return TRUE;
    }
    why = kvm_unusable(root, (AmiArch)guest_arch, machine);
    if (!why) {
        *ret_accel = AMI_ACCEL_KVM;
        return TRUE;
    }
    if (requested == AMI_ACCEL_KVM) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "--accel kvm: KVM is not usable: %s", why);
        return FALSE;
    }
    *ret_accel = AMI_ACCEL_TCG;
    *ret_reason = g_steal_pointer(&why);
    return TRUE;
}
