/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVM or TCG: ami_accel_resolve() on fixture trees (a root prefix for /dev, /proc and
 * /sys, and AMI_RUN_TEST_HOST_MACHINE for uname's machine), one per branch.  The "pvm"
 * tree is this CI machine's: /dev/kvm opens, kvm and kvm_pvm are loaded, no svm flag.
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ami-run/ami.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/plan.h"
#include "test-util.h"

#define CPUINFO_SVM "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse tsc msr " \
                    "pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 " \
                    "ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm svm extapic cr8_legacy\n"
#define CPUINFO_VMX "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr " \
                    "pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr " \
                    "sse sse2 ss ht tm pbe syscall nx lm vmx smx est tm2 ssse3\n"
#define CPUINFO_GUEST "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse tsc " \
                      "msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse " \
                      "sse2 syscall nx lm rep_good nopl cpuid hypervisor lahf_lm\n"

typedef struct {
    const char *name;
    const char *machine;      /* the host's uname machine */
    const char *cpuinfo;      /* /proc/cpuinfo, or NULL for none */
    const char *modules[3];   /* directories under /sys/module */
    gboolean dev_kvm;         /* /dev/kvm exists (a file: opening it is what counts) */
    AmiArch guest;
    AmiAccel requested;
    AmiAccel accel;           /* AMI_ACCEL_LAST: an error */
    const char *why;          /* in *ret_reason (TCG) or the error; NULL: no reason */
} Case;

static const Case cases[] = {
    {"usable AMD KVM", "x86_64", CPUINFO_SVM, {"kvm", "kvm_amd"}, TRUE, AMI_ARCH_X86_64,
     AMI_ACCEL_AUTO, AMI_ACCEL_KVM, NULL},
    {"usable Intel KVM", "x86_64", CPUINFO_VMX, {"kvm", "kvm_intel"}, TRUE, AMI_ARCH_X86_64,
     AMI_ACCEL_AUTO, AMI_ACCEL_KVM, NULL},
    {"usable KVM for an i386 guest on i686", "i686", CPUINFO_VMX, {"kvm", "kvm_intel"}, TRUE,
     AMI_ARCH_I386, AMI_ACCEL_AUTO, AMI_ACCEL_KVM, NULL},
    {"arm64 KVM needs only /dev/kvm", "aarch64", NULL, {NULL}, TRUE, AMI_ARCH_ARM64,
     AMI_ACCEL_AUTO, AMI_ACCEL_KVM, NULL},
    {"nested PVM KVM", "x86_64", CPUINFO_GUEST, {"kvm", "kvm_pvm"}, TRUE, AMI_ARCH_X86_64,
     AMI_ACCEL_AUTO, AMI_ACCEL_TCG, "/dev/kvm is nested PVM KVM (kvm_pvm), under which guests hang"},
    {"no /dev/kvm", "x86_64", CPUINFO_SVM, {"kvm", "kvm_amd"}, FALSE, AMI_ARCH_X86_64,
     AMI_ACCEL_AUTO, AMI_ACCEL_TCG, "/dev/kvm: No such file or directory"},
    {"no vmx/svm", "x86_64", CPUINFO_GUEST, {"kvm", "kvm_amd"}, TRUE, AMI_ARCH_X86_64,
     AMI_ACCEL_AUTO, AMI_ACCEL_TCG,
     "the CPU has no vmx/svm (nested KVM without hardware virtualisation)"},
    {"no vendor module", "x86_64", CPUINFO_SVM, {"kvm"}, TRUE, AMI_ARCH_X86_64, AMI_ACCEL_AUTO,
     AMI_ACCEL_TCG, "neither kvm_intel nor kvm_amd is loaded"},
    {"arm64 guest on an x86_64 host", "x86_64", CPUINFO_SVM, {"kvm", "kvm_amd"}, TRUE,
     AMI_ARCH_ARM64, AMI_ACCEL_AUTO, AMI_ACCEL_TCG, "a arm64 guest on a x86_64 host"},
    {"--accel tcg with usable KVM", "x86_64", CPUINFO_SVM, {"kvm", "kvm_amd"}, TRUE,
     AMI_ARCH_X86_64, AMI_ACCEL_TCG, AMI_ACCEL_TCG, NULL},
    {"--accel kvm with usable KVM", "x86_64", CPUINFO_SVM, {"kvm", "kvm_amd"}, TRUE,
     AMI_ARCH_X86_64, AMI_ACCEL_KVM, AMI_ACCEL_KVM, NULL},
    {"--accel kvm on PVM", "x86_64", CPUINFO_GUEST, {"kvm", "kvm_pvm"}, TRUE, AMI_ARCH_X86_64,
     AMI_ACCEL_KVM, AMI_ACCEL_LAST, "--accel kvm: KVM is not usable: /dev/kvm is nested PVM KVM"},
};

static void
put(const char *root, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;

    if (g_mkdir_with_parents(dir, 0755) != 0 || !g_file_set_contents(path, text, -1, &error))
        fail_msg("fixture %s: %s", path, error ? error->message : g_strerror(errno));
}

static char *
make_tree(const Case *c)
{
    g_autoptr(GError) error = NULL;
    char *root = g_dir_make_tmp("ami-run-test-kvm.XXXXXX", &error);

    if (!root)
        fail_msg("%s", error->message);
    if (c->cpuinfo)
        put(root, "proc/cpuinfo", c->cpuinfo);
    if (c->dev_kvm)
        put(root, "dev/kvm", "");
    for (guint i = 0; i < G_N_ELEMENTS(c->modules) && c->modules[i]; i++) {
        g_autofree char *rel = g_strdup_printf("sys/module/%s/initstate", c->modules[i]);

        put(root, rel, "live\n");
    }
    return root;
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void
check_case(const Case *c)
{
    g_autofree char *root = make_tree(c);
    g_autofree char *why = NULL;
    g_autoptr(GError) error = NULL;
    int accel = -1;
    gboolean ok;

    g_setenv("AMI_RUN_TEST_HOST_MACHINE", c->machine, TRUE);
    ok = ami_accel_resolve(root, c->requested, c->guest, &accel, &why, &error);
    remove_tree(root);
    if (c->accel == AMI_ACCEL_LAST) {
        if (ok)
            fail_msg("%s: resolved to %d, expected an error", c->name, accel);
        if (error->code != AMI_ERROR_HOST || !strstr(error->message, c->why))
            fail_msg("%s: error %d '%s', expected AMI_ERROR_HOST '%s'", c->name, error->code,
                     error->message, c->why);
        return;
    }
    if (!ok)
        fail_msg("%s: %s", c->name, error->message);
    if (accel != (int)c->accel)
        fail_msg("%s: accel %s, expected %s (why: %s)", c->name, ami_accel_to_string(accel),
                 ami_accel_to_string(c->accel), why ? why : "none");
    if (g_strcmp0(why, c->why) != 0)
        fail_msg("%s: reason '%s', expected '%s'", c->name, why ? why : "(none)",
                 c->why ? c->why : "(none)");
}

static void
test_accel_branches(void **state)
{
    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        check_case(&cases[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accel_branches),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
