/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The console verdict scanner: every console is also fed one byte at a time and in
 * random chunk sizes, and must give the same verdict; CR, ANSI escapes and prompts
 * without a newline are handled; the defaults follow the issue's rules.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/verdict.h"
#include "test-util.h"

typedef struct {
    const char *name;
    const char *console;
    AmiUntil until;
    gboolean user_data;
    const char *success; /* one --success, or NULL */
    const char *failure; /* one --failure, or NULL */
    AmiOutcome outcome;  /* AMI_OUTCOME_RUNNING: no verdict from the text alone */
    const char *class_id;
} Case;

static const Case cases[] = {
    {"login prompt", "Debian GNU/Linux 12 vm ttyS0\r\n\r\nvm login: ", AMI_UNTIL_DEFAULT, FALSE,
     NULL, NULL, AMI_OUTCOME_SUCCESS, "success"},
    {"login is not enough with user data", "vm login: \r\n", AMI_UNTIL_DEFAULT, TRUE, NULL, NULL,
     AMI_OUTCOME_RUNNING, NULL},
    {"cloud-init finished with user data",
     "vm login: \r\nCloud-init v. 22.4.2 finished at Tue, 25 Nov 2026 06:00:00 +0000. Datasource "
     "DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 41.00 seconds\r\n",
     AMI_UNTIL_DEFAULT, TRUE, NULL, NULL, AMI_OUTCOME_SUCCESS, "success"},
    {"cloud-init without a seed",
     "Cloud-init v. 22.4.2 finished at Tue, 25 Nov 2026 06:00:00 +0000. Datasource "
     "DataSourceNone.  Up 41.00 seconds\r\n",
     AMI_UNTIL_CLOUD_INIT, TRUE, NULL, NULL, AMI_OUTCOME_FAILURE, "cloud-init-no-datasource"},
    {"kernel panic with ANSI colour",
     "\x1b[0;31m[    1.234] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\x1b[0m\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "init-failure"},
    {"plain panic", "[    2.0] Kernel panic - not syncing: VFS: something else\n", AMI_UNTIL_DEFAULT,
     FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "kernel-panic"},
    {"root fs", "VFS: Unable to mount root fs on unknown-block(0,0)\n", AMI_UNTIL_DEFAULT, FALSE,
     NULL, NULL, AMI_OUTCOME_FAILURE, "root-device-not-found"},
    {"seabios blank disk", "Booting from Hard Disk...\nBoot failed: not a bootable disk\n\nNo bootable device.\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "no-bootable-device"},
    {"grub rescue prompt, no newline", "error: unknown filesystem.\nEntering rescue mode...\ngrub rescue> ",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "bootloader-error"},
    {"emergency mode", "You are in emergency mode. After logging in, type \"journalctl -xb\"\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "emergency-mode"},
    {"custom success", "noise\r\nami-run-tiny: ready\r\n", AMI_UNTIL_DEFAULT, FALSE,
     "ami-run-tiny: ready", NULL, AMI_OUTCOME_SUCCESS, "success"},
    {"OVMF soft failure then a later option boots",
     "BdsDxe: failed to load Boot0001 \"UEFI Misc Device\" from PciRoot(0x0): Not Found\n"
     "BdsDxe: starting Boot0002\nvm login: ",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_SUCCESS, "success"},

    /* The documented classes, on lines as their programs print them (console-markers.md). */
    {"OVMF refuses an unsigned loader",
     "BdsDxe: failed to load Boot0001 \"UEFI QEMU HARDDISK QM00001 \" from "
     "PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0): Access Denied\r\n"
     "BdsDxe: No bootable option or device was found.\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "secure-boot-rejected"},
    {"shim refuses the next stage", "Verification failed: (0x1A) Security Violation\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "secure-boot-rejected"},
    {"GRUB refuses a kernel", "error: bad shim signature.\r\n", AMI_UNTIL_DEFAULT, FALSE, NULL,
     NULL, AMI_OUTCOME_FAILURE, "secure-boot-rejected"},
    {"systemd-fsck fails",
     "[   4.10] systemd-fsck[254]: /dev/nvme0n1p1: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.\r\n"
     "[   4.11] systemd-fsck[254]: fsck failed with exit status 4.\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "fsck-failure"},
    {"initramfs-tools wants a manual fsck, then its shell",
     "The root filesystem on /dev/sda1 requires a manual fsck\n\nBusyBox v1.35.0 (Debian "
     "1:1.35.0-4+b3) built-in shell (ash)\n(initramfs) ",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "fsck-failure"},
    {"initramfs-tools fsck failed", "File system check of the root filesystem failed\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "fsck-failure"},
    {"a mount fails, then emergency mode",
     "[FAILED] Failed to mount boot-efi.mount - /boot/efi.\r\n"
     "[DEPEND] Dependency failed for Local File Systems.\r\n"
     "You are in emergency mode. After logging in, type \"journalctl -xb\"\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "mount-failure"},
    {"a dependency of local file systems fails",
     "[DEPEND] Dependency failed for Local File Systems.\r\n", AMI_UNTIL_DEFAULT, FALSE, NULL, NULL,
     AMI_OUTCOME_FAILURE, "mount-failure"},
    {"SELinux halts before init panics",
     "[    2.5] systemd[1]: Unable to load SELinux Policy. Machine is in enforcing mode. Halting "
     "now.\r\n"
     "[    2.6] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "selinux-halt"},
    {"dracut refuses", "[  190.1] dracut: Refusing to continue\r\n", AMI_UNTIL_DEFAULT, FALSE, NULL,
     NULL, AMI_OUTCOME_FAILURE, "initramfs-emergency"},
    {"initramfs shell prompt, no newline",
     "BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) built-in shell (ash)\nEnter 'help' for a list of "
     "built-in commands.\n\n(initramfs) ",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "initramfs-emergency"},
    {"OOM panic is oom, not kernel-panic",
     "[    3.2] Kernel panic - not syncing: System is deadlocked on memory\r\n", AMI_UNTIL_DEFAULT,
     FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "oom"},
    {"out of memory panic",
     "Kernel panic - not syncing: Out of memory and no killable processes...\n", AMI_UNTIL_DEFAULT,
     FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "oom"},
    {"soft lockup before its panic",
     "[   52.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [swapper/0:1]\r\n"
     "[   52.2] Kernel panic - not syncing: softlockup: hung tasks\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "soft-lockup-or-stall"},
    {"RCU stall", "[   60.2] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "soft-lockup-or-stall"},
    {"RCU self-detected stall", "rcu: INFO: rcu_sched self-detected stall on CPU\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "soft-lockup-or-stall"},
    {"a softlockup panic alone is a kernel-panic",
     "[   52.2] Kernel panic - not syncing: softlockup: hung tasks\r\n", AMI_UNTIL_DEFAULT, FALSE,
     NULL, NULL, AMI_OUTCOME_FAILURE, "kernel-panic"},
    {"hung-task panic is hung-task, not kernel-panic",
     "[  242.1] INFO: task kworker/0:1:12 blocked for more than 120 seconds.\r\n"
     "[  245.6] Kernel panic - not syncing: hung_task: blocked tasks\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "hung-task"},
    {"NULL dereference oops before its panic",
     "[    7.1] BUG: kernel NULL pointer dereference, address: 0000000000000000\r\n"
     "[    7.1] #PF: supervisor read access in kernel mode\r\n"
     "[    7.1] Oops: 0000 [#1] PREEMPT SMP NOPTI\r\n"
     "[    7.3] Kernel panic - not syncing: Fatal exception\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "kernel-oops"},
    {"kernel BUG", "[    9.0] kernel BUG at mm/slub.c:379!\n", AMI_UNTIL_DEFAULT, FALSE, NULL,
     NULL, AMI_OUTCOME_FAILURE, "kernel-oops"},
    {"general protection fault",
     "general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] "
     "SMP NOPTI\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "kernel-oops"},
    {"arm64 oops", "[    5.5] Internal error: Oops: 96000005 [#1] SMP\n", AMI_UNTIL_DEFAULT, FALSE,
     NULL, NULL, AMI_OUTCOME_FAILURE, "kernel-oops"},
    {"the panic after an oops alone is a kernel-panic",
     "[    7.3] Kernel panic - not syncing: Fatal exception\r\n", AMI_UNTIL_DEFAULT, FALSE, NULL,
     NULL, AMI_OUTCOME_FAILURE, "kernel-panic"},
    {"an EBS I/O error", "[   12.3] blk_update_request: I/O error, dev nvme1n1, sector 2048 op 0x0:(READ)\r\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "storage-io-error"},
    {"Xen's block front end without a driver", "XENBUS: Device with no driver: device/vbd/51712\n",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_FAILURE, "storage-io-error"},

    /* Recorded classes (cloud-init and systemd go on): no verdict by themselves. */
    {"a cloud-init module fails, the boot goes on",
     "[   36.4] cloud-init[511]: 2026-12-01 20:00:22,311 - util.py[WARNING]: Running module "
     "locale (<module 'cloudinit.config.cc_locale' from "
     "'/usr/lib/python3/dist-packages/cloudinit/config/cc_locale.py'>) failed\r\n",
     AMI_UNTIL_DEFAULT, TRUE, NULL, NULL, AMI_OUTCOME_RUNNING, NULL},
    {"a mount that is no local-fs dependency fails, then login",
     "[FAILED] Failed to mount mnt-data.mount - /mnt/data.\r\n"
     "[DEPEND] Dependency failed for /mnt/data/cache.\r\nvm login: ",
     AMI_UNTIL_DEFAULT, FALSE, NULL, NULL, AMI_OUTCOME_SUCCESS, "success"},

    /* --failure REGEX: checked before the built-in classes and the success markers, and
     * as a prompt too. */
    {"user failure marker", "app[311]: APP FAILED: disk full\n", AMI_UNTIL_DEFAULT, FALSE, NULL,
     "APP FAILED: .*", AMI_OUTCOME_FAILURE, "user-failure-marker"},
    {"user failure marker first among failures",
     "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n", AMI_UNTIL_DEFAULT,
     FALSE, NULL, "Attempted to kill init", AMI_OUTCOME_FAILURE, "user-failure-marker"},
    {"user failure marker beats success on the same line", "ami-run-tiny: ready\n",
     AMI_UNTIL_DEFAULT, FALSE, "ami-run-tiny: ready", "ready$", AMI_OUTCOME_FAILURE,
     "user-failure-marker"},
    {"user failure marker at a prompt", "installer: Continue anyway? [y/N] ", AMI_UNTIL_DEFAULT,
     FALSE, NULL, "Continue anyway\\? \\[y/N\\] $", AMI_OUTCOME_FAILURE, "user-failure-marker"},
    {"user failure marker that never appears", "noise\nvm login: ", AMI_UNTIL_DEFAULT, FALSE, NULL,
     "APP FAILED", AMI_OUTCOME_SUCCESS, "success"},
};

static const AmiVerdictMatch *
match_at(const AmiVerdict *v, guint i)
{
    assert_true(i < v->matches->len);
    return v->matches->pdata[i];
}

static AmiVerdictScanner *
scanner_for(const Case *c)
{
    const char *success[] = {c->success, NULL};
    const char *failure[] = {c->failure, NULL};
    AmiVerdictOptions o = {.until = c->until, .user_data = c->user_data,
                           .success = c->success ? success : NULL,
                           .failure = c->failure ? failure : NULL};
    g_autoptr(GError) error = NULL;
    AmiVerdictScanner *s = ami_verdict_scanner_new(&o, &error);

    if (!s)
        fail_msg("%s: %s", c->name, error->message);
    return s;
}

/* Feed @c in chunks of @chunk bytes (0: random sizes from @rand). */
static void
check_case(const Case *c, size_t chunk, GRand *rand)
{
    g_autoptr(AmiVerdictScanner) s = scanner_for(c);
    size_t len = strlen(c->console), off = 0;
    AmiOutcome o = AMI_OUTCOME_RUNNING;

    while (off < len && o == AMI_OUTCOME_RUNNING) {
        size_t n = chunk ? chunk : (size_t)g_rand_int_range(rand, 1, 17);

        n = MIN(n, len - off);
        o = ami_verdict_feed(s, c->console + off, n, 1.0);
        off += n;
    }
    if (o == AMI_OUTCOME_RUNNING)
        o = ami_verdict_quiet(s, 1.0); /* the console stops where the case ends */
    if (o != c->outcome)
        fail_msg("%s (chunk %zu): outcome %s, expected %s", c->name, chunk,
                 ami_outcome_to_string(o), ami_outcome_to_string(c->outcome));
    if (c->class_id && strcmp(ami_verdict_get(s)->class_id, c->class_id) != 0)
        fail_msg("%s (chunk %zu): class %s, expected %s", c->name, chunk,
                 ami_verdict_get(s)->class_id, c->class_id);
}

static void
test_markers_in_any_chunking(void **state)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        check_case(&cases[i], 1, rand);
        check_case(&cases[i], 7, rand);
        check_case(&cases[i], 4096, rand);
        for (int k = 0; k < 20; k++)
            check_case(&cases[i], 0, rand);
    }
}

static void
test_matched_line_is_clean(void **state)
{
    g_autoptr(AmiVerdictScanner) s = scanner_for(&cases[4]);

    (void)state;
    ami_verdict_feed(s, cases[4].console, strlen(cases[4].console), 3.5);
    assert_string_equal(ami_verdict_get(s)->line,
                        "[    1.234] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100");
    assert_true(ami_verdict_get(s)->seconds == 3.5);
}

static void
test_power_off_and_deadline(void **state)
{
    AmiVerdictOptions o = {0};
    AmiVerdictOptions shutdown = {.until = AMI_UNTIL_SHUTDOWN};
    g_autoptr(AmiVerdictScanner) a = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) b = ami_verdict_scanner_new(&shutdown, NULL);
    g_autoptr(AmiVerdictScanner) c = ami_verdict_scanner_new(&o, NULL);
    static const char boot[] = "SeaBIOS (version 1.16)\nLinux version 6.1.0 (gcc)\n";

    (void)state;
    assert_int_equal(ami_verdict_guest_stopped(a, 2.0), AMI_OUTCOME_FAILURE);
    assert_int_equal(ami_verdict_guest_stopped(b, 2.0), AMI_OUTCOME_SUCCESS);
    ami_verdict_feed(c, boot, strlen(boot), 1.0);
    assert_int_equal(ami_verdict_deadline(c, 600.0), AMI_OUTCOME_TIMEOUT);
    assert_string_equal(ami_verdict_get(c)->stage, "kernel");
}

/* No console byte by the deadline is its own class (console on the wrong UART, a guest
 * that never started); any byte, even one that is no line yet, makes it a stall. */
static void
test_deadline_without_output(void **state)
{
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) silent = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) one_byte = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) soft = ami_verdict_scanner_new(&o, NULL);
    static const char not_found[] =
        "BdsDxe: failed to load Boot0001 \"UEFI Misc Device\" from PciRoot(0x0): Not Found\n";

    (void)state;
    assert_int_equal(ami_verdict_feed(silent, "", 0, 1.0), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_quiet(silent, 2.0), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_deadline(silent, 600.0), AMI_OUTCOME_TIMEOUT);
    assert_string_equal(ami_verdict_get(silent)->class_id, "timeout-no-output");
    assert_null(ami_verdict_get(silent)->line);
    assert_null(ami_verdict_get(silent)->stage);
    assert_true(ami_verdict_get(silent)->seconds == 600.0);

    ami_verdict_feed(one_byte, "S", 1, 1.0);
    assert_int_equal(ami_verdict_deadline(one_byte, 600.0), AMI_OUTCOME_TIMEOUT);
    assert_string_equal(ami_verdict_get(one_byte)->class_id, "timeout-stalled");

    /* OVMF's "Not Found" decides only when nothing better came: at the deadline, it does. */
    ami_verdict_feed(soft, not_found, strlen(not_found), 1.0);
    assert_int_equal(ami_verdict_deadline(soft, 600.0), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(soft)->class_id, "no-bootable-device");
    assert_true(ami_verdict_get(soft)->seconds == 600.0);
    assert_true(match_at(ami_verdict_get(soft), 0)->seconds == 1.0);
}

/* A console line is judged in pieces of at most 64 KiB, so a guest printing without a
 * newline cannot grow the scanner's memory: the piece ends at the 65536th byte. */
static void
test_line_cut_at_64_kib(void **state)
{
    static const char marker[] = "Kernel panic - not syncing: Fatal exception";
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) at_end = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) after = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) endless = ami_verdict_scanner_new(&o, NULL);
    g_autofree char *junk = g_strnfill(3 * 65536 + 5, 'x');
    g_auto(GStrv) tail = NULL;
    gsize fill = 65536 - strlen(marker);

    (void)state;
    /* A marker that ends at byte 65536 is in the first piece, judged without a newline. */
    assert_int_equal(ami_verdict_feed(at_end, junk, fill, 1.0), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_feed(at_end, marker, strlen(marker), 1.0), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(at_end)->class_id, "kernel-panic");
    assert_int_equal(strlen(ami_verdict_get(at_end)->line), 65536);

    /* One after exactly 64 KiB of junk starts the next piece, whole. */
    ami_verdict_feed(after, junk, 65536, 1.0);
    assert_int_equal(ami_verdict_feed(after, marker, strlen(marker), 1.0), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_feed(after, "\n", 1, 1.0), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(after)->line, marker);

    /* 3 x 64 KiB + 5 bytes: three full pieces and the unfinished 5. */
    ami_verdict_feed(endless, junk, 3 * 65536 + 5, 1.0);
    tail = ami_verdict_tail(endless, 30);
    assert_int_equal(g_strv_length(tail), 4);
    for (int i = 0; i < 3; i++)
        assert_int_equal(strlen(tail[i]), 65536);
    assert_string_equal(tail[3], "xxxxx");
}

/* The stage a timeout names, from what real boots print. */
static const char *
stage_after(const char *console)
{
    AmiVerdictOptions o = {0};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);

    ami_verdict_feed(s, console, strlen(console), 1.0);
    assert_int_equal(ami_verdict_deadline(s, 600.0), AMI_OUTCOME_TIMEOUT);
    return ami_verdict_get(s)->stage;
}

/* Production patterns held the tiny test image's own "ami-run-tiny: init" line: a test
 * input special-cased.  Userspace is what kernels and systemd print. */
static void
test_stage_userspace_from_real_lines_only(void **state)
{
    (void)state;
    assert_null(stage_after("ami-run-tiny: init started, kernel 6.1.0 x86_64\n"));
    assert_string_equal(stage_after("SeaBIOS (version 1.16.2)\nami-run-tiny: init started\n"),
                        "firmware");
    assert_string_equal(stage_after("[    0.000000] Linux version 6.1.0-57-cloud-amd64 (gcc)\n"
                                    "[    1.912345] Run /init as init process\n"),
                        "userspace");
    assert_string_equal(stage_after("[    3.1] systemd[1]: Switching root.\n"), "userspace");
    assert_string_equal(stage_after("[  OK  ] Reached target Local File Systems.\n"), "userspace");
}

/* fuzz-verdict found it: a prompt decided at a read boundary made the verdict depend on
 * the chunking.  Unfinished lines now decide only when the console goes quiet. */
static void
test_prompt_waits_for_quiet(void **state)
{
    AmiVerdictOptions o = {.until = AMI_UNTIL_LOGIN};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    static const char a[] = "Debian GNU/Linux 12 vm ttyS0\r\n\r\nvm login: ";
    static const char b[] = "ÒÒ\tgrub rescue> ";

    (void)state;
    assert_int_equal(ami_verdict_feed(s, a, strlen(a), 1.0), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_feed(s, b, strlen(b), 1.5), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_quiet(s, 2.0), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(s)->class_id, "grub-rescue");
    assert_true(ami_verdict_get(s)->seconds == 2.0);
}

/* A Debian 12 boot (cloud-init 22.4.2, no `locales`) with #cloud-config user data: the
 * locale module fails in modules:config, the final stage runs the user data. */
static const char *const debian_locale_boot[] = {
    "[   20.1] cloud-init[312]: Cloud-init v. 22.4.2 running 'init-local' at Tue, 01 Dec 2026 "
    "20:00:05 +0000. Up 19.80 seconds.\r\n",
    "[   36.0] cloud-init[511]: Cloud-init v. 22.4.2 running 'modules:config' at Tue, 01 Dec "
    "2026 20:00:21 +0000. Up 35.10 seconds.\r\n",
    "[   36.4] cloud-init[511]: 2026-12-01 20:00:22,311 - util.py[WARNING]: Running module "
    "locale (<module 'cloudinit.config.cc_locale' from "
    "'/usr/lib/python3/dist-packages/cloudinit/config/cc_locale.py'>) failed\r\n",
    "[   40.0] cloud-init[530]: Cloud-init v. 22.4.2 running 'modules:final' at Tue, 01 Dec "
    "2026 20:00:25 +0000. Up 39.50 seconds.\r\n",
    "runcmd says 42 on golden-test\r\n",
    "[   48.0] cloud-init[530]: Cloud-init v. 22.4.2 finished at Tue, 01 Dec 2026 20:00:33 "
    "+0000. Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 47.90 seconds\r\n",
    NULL,
};

/* Feed @lines, line i at 10 * i seconds, up to a verdict; @ret_offsets gets each line's
 * console offset. */
static AmiOutcome
feed_lines(AmiVerdictScanner *s, const char *const *lines, guint64 *ret_offsets)
{
    guint64 off = 0;
    AmiOutcome o = AMI_OUTCOME_RUNNING;

    for (guint i = 0; lines[i] && o == AMI_OUTCOME_RUNNING; i++) {
        ret_offsets[i] = off;
        o = ami_verdict_feed(s, lines[i], strlen(lines[i]), 10.0 * i);
        off += strlen(lines[i]);
    }
    return o;
}


/*
 * An initramfs without NVMe on a Nitro type: initramfs-tools' own lines (scripts/local,
 * console-markers.md) as a Debian-style image prints them.  The verdict says what to try.
 */
static const char initramfs_no_root[] =
    "Begin: Running /scripts/local-block ... done.\r\n"
    "done.\r\n"
    "Gave up waiting for root file system device.  Common problems:\r\n"
    " - Boot args (cat /proc/cmdline)\r\n"
    "   - Check rootdelay= (did the system wait long enough?)\r\n"
    " - Missing modules (cat /proc/modules; ls /dev)\r\n"
    "ALERT!  PARTUUID=5fa0f5d0-01 does not exist.  Dropping to a shell!\r\n"
    "(initramfs) ";

static void
test_root_device_not_found_names_nvme(void **state)
{
    const char *hint = "the image may lack an NVMe driver (instance type t3.micro uses NVMe; "
                       "try --disk-bus virtio or a Xen-era type such as t2.micro)";
    AmiVerdictOptions with = {.root_device_hint = hint};
    AmiVerdictOptions without = {0};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&with, NULL);
    g_autoptr(AmiVerdictScanner) plain = ami_verdict_scanner_new(&without, NULL);
    const AmiVerdict *v = ami_verdict_get(s);

    (void)state;
    assert_int_equal(ami_verdict_feed(s, initramfs_no_root, strlen(initramfs_no_root), 9.0),
                     AMI_OUTCOME_FAILURE);
    assert_string_equal(v->class_id, "root-device-not-found");
    assert_string_equal(v->line, "Gave up waiting for root file system device.  Common problems:");
    assert_string_equal(v->detail, hint);
    assert_string_equal(match_at(v, 0)->detail, hint);
    /* Not on NVMe: the same console, no hint. */
    assert_int_equal(ami_verdict_feed(plain, initramfs_no_root, strlen(initramfs_no_root), 9.0),
                     AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(plain)->class_id, "root-device-not-found");
    assert_null(ami_verdict_get(plain)->detail);
}

/* Issue 13: the locale module failing ended the boot at once, before the user data ran.
 * It is recorded; the success condition still decides, and the run is a success. */
static void
test_module_failure_recorded_boot_goes_on(void **state)
{
    AmiVerdictOptions o = {.user_data = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    guint64 offsets[8];
    const AmiVerdict *v = ami_verdict_get(s);

    (void)state;
    assert_int_equal(feed_lines(s, debian_locale_boot, offsets), AMI_OUTCOME_SUCCESS);
    assert_string_equal(v->class_id, "success");
    assert_true(v->seconds == 50.0);
    assert_string_equal(v->stage, "cloud-init-finished");
    assert_string_equal(v->user_data, "ran");
    assert_int_equal(v->matches->len, 1);
    assert_int_equal(ami_verdict_recorded_count(v), 1);
    assert_string_equal(match_at(v, 0)->class_id, "cloud-init-failed");
    assert_string_equal(match_at(v, 0)->detail, "module locale");
    assert_true(match_at(v, 0)->recorded);
    assert_true(match_at(v, 0)->offset == offsets[2]);
    assert_true(match_at(v, 0)->seconds == 20.0);
    assert_string_equal(match_at(v, 0)->line, "[   36.4] cloud-init[511]: 2026-12-01 20:00:22,311 - "
                        "util.py[WARNING]: Running module locale (<module 'cloudinit.config."
                        "cc_locale' from '/usr/lib/python3/dist-packages/cloudinit/config/"
                        "cc_locale.py'>) failed");
}

/* --strict: the same boot fails, but only once cloud-init finished, named by the module. */
static void
test_strict_fails_on_recorded_error_at_success(void **state)
{
    AmiVerdictOptions o = {.user_data = TRUE, .strict = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    guint64 offsets[8];
    const AmiVerdict *v = ami_verdict_get(s);

    (void)state;
    assert_int_equal(feed_lines(s, debian_locale_boot, offsets), AMI_OUTCOME_FAILURE);
    assert_string_equal(v->class_id, "cloud-init-failed");
    assert_string_equal(v->detail, "module locale");
    assert_true(v->seconds == 50.0);
    assert_string_equal(v->user_data, "ran");
    assert_string_equal(v->line, match_at(v, 0)->line);
    assert_int_equal(ami_verdict_recorded_count(v), 1);
}

/* A fatal class after a recorded error decides; both are listed, the fatal one first. */
static void
test_panic_after_recorded_error_decides(void **state)
{
    static const char *const lines[] = {
        "[   36.4] cloud-init[511]: 2026-12-01 20:00:22,311 - util.py[WARNING]: Running module "
        "locale (<module 'cloudinit.config.cc_locale' from '/x/cc_locale.py'>) failed\n",
        "[   40.0] cloud-init[530]: Cloud-init v. 22.4.2 running 'modules:final' at Tue.\n",
        "[   44.2] Kernel panic - not syncing: Fatal exception\n",
        "vm login: \n",
        NULL,
    };
    AmiVerdictOptions o = {.user_data = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    guint64 offsets[8];
    const AmiVerdict *v = ami_verdict_get(s);

    (void)state;
    assert_int_equal(feed_lines(s, lines, offsets), AMI_OUTCOME_FAILURE);
    assert_string_equal(v->class_id, "kernel-panic");
    assert_true(v->seconds == 20.0);
    assert_string_equal(v->user_data, "unfinished");
    assert_int_equal(v->matches->len, 2);
    assert_string_equal(match_at(v, 0)->class_id, "kernel-panic");
    assert_false(match_at(v, 0)->recorded);
    assert_true(match_at(v, 0)->offset == offsets[2]);
    assert_true(match_at(v, 0)->seconds == 20.0);
    assert_string_equal(match_at(v, 1)->class_id, "cloud-init-failed");
    assert_true(match_at(v, 1)->recorded);
    assert_true(match_at(v, 1)->offset == 0);
    assert_true(match_at(v, 1)->seconds == 0.0);
}

/* The user data failing is what the user asked about: a failure without --strict too,
 * decided when cloud-init finished (cc_scripts_user.py and config/modules.py lines). */
static void
test_user_data_failure_fails_after_cloud_init(void **state)
{
    static const char *const lines[] = {
        "[   40.0] cloud-init[530]: Cloud-init v. 22.4.2 running 'modules:final' at Tue.\r\n",
        "script user data about to fail\r\n",
        "[   41.0] cloud-init[530]: 2026-12-01 20:00:26,100 - cc_scripts_user.py[WARNING]: "
        "Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)\r\n",
        "[   41.0] cloud-init[530]: 2026-12-01 20:00:26,101 - util.py[WARNING]: Running module "
        "scripts-user (<module 'cloudinit.config.cc_scripts_user' from "
        "'/usr/lib/python3/dist-packages/cloudinit/config/cc_scripts_user.py'>) failed\r\n",
        "[   48.0] cloud-init[530]: Cloud-init v. 22.4.2 finished at Tue, 01 Dec 2026. "
        "Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 47.90 seconds\r\n",
        NULL,
    };
    AmiVerdictOptions with = {.user_data = TRUE};
    AmiVerdictOptions without = {.until = AMI_UNTIL_CLOUD_INIT};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&with, NULL);
    g_autoptr(AmiVerdictScanner) vendor = ami_verdict_scanner_new(&without, NULL);
    guint64 offsets[8];
    const AmiVerdict *v = ami_verdict_get(s);

    (void)state;
    assert_int_equal(feed_lines(s, lines, offsets), AMI_OUTCOME_FAILURE);
    assert_string_equal(v->class_id, "cloud-init-failed");
    assert_string_equal(v->detail, "module scripts-user");
    assert_true(v->seconds == 40.0);
    assert_string_equal(v->user_data, "failed");
    assert_int_equal(ami_verdict_recorded_count(v), 2);
    assert_true(match_at(v, 0)->offset == offsets[2]);
    assert_true(match_at(v, 1)->offset == offsets[3]);
    /* No user data given: scripts-user ran vendor scripts; a recorded error only. */
    assert_int_equal(feed_lines(vendor, lines, offsets), AMI_OUTCOME_SUCCESS);
    assert_null(ami_verdict_get(vendor)->user_data);
    assert_int_equal(ami_verdict_recorded_count(ami_verdict_get(vendor)), 2);
}

/* With user data, the verdict says how far cloud-init got with it: a timeout before the
 * final stage never reached it, and the recorded error is still listed. */
static void
test_user_data_not_reached(void **state)
{
    const char *const early[] = {debian_locale_boot[0], debian_locale_boot[2], NULL};
    AmiVerdictOptions o = {.user_data = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, early, offsets), AMI_OUTCOME_RUNNING);
    assert_int_equal(ami_verdict_deadline(s, 600.0), AMI_OUTCOME_TIMEOUT);
    assert_string_equal(ami_verdict_get(s)->class_id, "timeout-stalled");
    assert_string_equal(ami_verdict_get(s)->user_data, "not reached");
    assert_int_equal(ami_verdict_recorded_count(ami_verdict_get(s)), 1);
    assert_true(match_at(ami_verdict_get(s), 0)->offset == strlen(early[0]));
}

/* A guest repeating a recoverable failure cannot grow the list: 64 are kept, the rest
 * counted; a fatal match still makes the list (first), and a user-data failure that did
 * not make it still fails the run. */
static void
test_match_list_is_bounded(void **state)
{
    static const char mount[] = "[FAILED] Failed to mount mnt-data.mount - /mnt/data.\n";
    static const char ud[] = "util.py[WARNING]: Running module scripts-user (<module>) failed\n";
    static const char panic[] = "Kernel panic - not syncing: Fatal exception\n";
    static const char done[] = "Cloud-init v. 22.4.2 running 'init'\n"
                               "Cloud-init v. 22.4.2 finished at Tue.\n";
    AmiVerdictOptions o = {.user_data = TRUE};
    g_autoptr(AmiVerdictScanner) a = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) b = ami_verdict_scanner_new(&o, NULL);

    (void)state;
    for (int i = 0; i < 1000; i++) {
        ami_verdict_feed(a, mount, strlen(mount), 1.0);
        ami_verdict_feed(b, ud, strlen(ud), 1.0);
    }
    assert_int_equal(ami_verdict_get(a)->matches->len, AMI_VERDICT_MAX_MATCHES);
    assert_int_equal(ami_verdict_get(a)->unlisted, 1000 - AMI_VERDICT_MAX_MATCHES);
    assert_int_equal(ami_verdict_feed(a, panic, strlen(panic), 2.0), AMI_OUTCOME_FAILURE);
    assert_int_equal(ami_verdict_get(a)->matches->len, AMI_VERDICT_MAX_MATCHES);
    assert_string_equal(match_at(ami_verdict_get(a), 0)->class_id, "kernel-panic");
    assert_true(match_at(ami_verdict_get(a), 0)->offset == 1000 * strlen(mount));

    assert_int_equal(ami_verdict_feed(b, done, strlen(done), 3.0), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(b)->detail, "module scripts-user");
    assert_string_equal(ami_verdict_get(b)->user_data, "failed");
}

/* An image without cloud-init (tiny) runs user data its own way: no claim about it. */
static void
test_user_data_status_needs_cloud_init(void **state)
{
    static const char console[] = "Run /init as init process\nami-run-tiny: ready\n";
    const char *success[] = {"ami-run-tiny: ready", NULL};
    AmiVerdictOptions o = {.user_data = TRUE, .success = success};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);

    (void)state;
    assert_int_equal(ami_verdict_feed(s, console, strlen(console), 1.0), AMI_OUTCOME_SUCCESS);
    assert_null(ami_verdict_get(s)->user_data);
    assert_int_equal(ami_verdict_get(s)->matches->len, 0);
}

/* The locale line and the final line of debian_locale_boot, cleaned. */
#define LOCALE_LINE                                                                             \
    "[   36.4] cloud-init[511]: 2026-12-01 20:00:22,311 - util.py[WARNING]: Running module "   \
    "locale (<module 'cloudinit.config.cc_locale' from "                                        \
    "'/usr/lib/python3/dist-packages/cloudinit/config/cc_locale.py'>) failed"
#define FINISHED_LINE                                                                           \
    "[   48.0] cloud-init[530]: Cloud-init v. 22.4.2 finished at Tue, 01 Dec 2026 20:00:33 "    \
    "+0000. Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 47.90 seconds"

/* Issue 13's line: under --strict the locale module decides, once cloud-init finished, and
 * the verdict says the user data ran and exited 0 (a script; scripts-user did not fail). */
static void
test_summary_strict_names_module_and_user_data(void **state)
{
    AmiVerdictOptions o = {.user_data = TRUE, .user_data_script = TRUE, .strict = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    g_autofree char *line = NULL;
    g_autoptr(json_t) j = NULL;
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, debian_locale_boot, offsets), AMI_OUTCOME_FAILURE);
    line = ami_verdict_summary(ami_verdict_get(s));
    assert_string_equal(line, "failure (cloud-init-failed: module locale; user data ran, exit 0) "
                              "after 50.0 s, stage cloud-init-finished: '" LOCALE_LINE "'");
    j = ami_verdict_to_json(ami_verdict_get(s), TRUE);
    assert_int_equal(json_integer_value(json_object_get(j, "UserDataExit")), 0);
}

/* Without --strict the same boot exits 0, the locale module a warning in the line. */
static void
test_summary_default_warns(void **state)
{
    AmiVerdictOptions o = {.user_data = TRUE, .user_data_script = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    g_autofree char *line = NULL;
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, debian_locale_boot, offsets), AMI_OUTCOME_SUCCESS);
    line = ami_verdict_summary(ami_verdict_get(s));
    assert_string_equal(line, "success with 1 warning (cloud-init-failed: module locale) after "
                              "50.0 s, stage cloud-init-finished, user data ran, exit 0: '"
                              FINISHED_LINE "'");
}

/* The verdict is decided after the final line, not at the locale line: its offset is past
 * the end of "Cloud-init v. … finished" (the slow test checks this on console.log). */
static void
test_decided_after_cloud_init_finished(void **state)
{
    AmiVerdictOptions o = {.user_data = TRUE, .strict = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(json_t) j = NULL;
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, debian_locale_boot, offsets), AMI_OUTCOME_FAILURE);
    assert_true(ami_verdict_get(s)->decided_offset == offsets[5] + strlen(debian_locale_boot[5]));
    j = ami_verdict_to_json(ami_verdict_get(s), TRUE);
    assert_true(json_integer_value(json_object_get(j, "DecidedOffset")) ==
                (json_int_t)(offsets[5] + strlen(debian_locale_boot[5])));
    /* Not a script (or not known to be one): no exit status is claimed. */
    assert_int_equal(ami_verdict_get(s)->user_data_exit, -1);
    assert_null(json_object_get(j, "UserDataExit"));
}

/* A failed script's exit status is not on the console (cloud-init logs it at DEBUG); its
 * two lines (cc_scripts_user.py, config/modules.py) are one failure, the verdict's, so
 * not "with 1 recorded error" (seen on a real boot). */
static void
test_summary_failed_user_data_has_no_exit(void **state)
{
    static const char *const lines[] = {
        "Cloud-init v. 22.4.2 running 'modules:final' at Tue.\n",
        "cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /x)\n",
        "util.py[WARNING]: Running module scripts-user (<module 'x'>) failed\n",
        "Cloud-init v. 22.4.2 finished at Tue. Datasource DataSourceNoCloud.  Up 9 seconds\n",
        NULL,
    };
    AmiVerdictOptions o = {.user_data = TRUE, .user_data_script = TRUE};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    g_autofree char *line = NULL;
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, lines, offsets), AMI_OUTCOME_FAILURE);
    line = ami_verdict_summary(ami_verdict_get(s));
    assert_string_equal(line, "failure (cloud-init-failed: module scripts-user; user data failed) "
                              "after 30.0 s, stage cloud-init-finished: 'cc_scripts_user.py[WARNING]: "
                              "Failed to run module scripts-user (scripts in /x)'");
    assert_int_equal(ami_verdict_recorded_count(ami_verdict_get(s)), 2);
}

/* A recorded error that did not decide is counted, whatever decided (it was dropped from
 * the line when the guest powered off or a fatal class came). */
static void
test_summary_counts_recorded_behind_other_failures(void **state)
{
    const char *const early[] = {debian_locale_boot[0], debian_locale_boot[2], NULL};
    AmiVerdictOptions o = {.user_data = TRUE};
    g_autoptr(AmiVerdictScanner) off = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) late = ami_verdict_scanner_new(&o, NULL);
    g_autofree char *a = NULL, *b = NULL;
    guint64 offsets[8];

    (void)state;
    feed_lines(off, early, offsets);
    assert_int_equal(ami_verdict_guest_stopped(off, 30.0), AMI_OUTCOME_FAILURE);
    a = ami_verdict_summary(ami_verdict_get(off));
    assert_string_equal(a, "failure (powered-off-before-success; user data not reached) with 1 "
                           "recorded error after 30.0 s, stage cloud-init-local");
    feed_lines(late, early, offsets);
    assert_int_equal(ami_verdict_deadline(late, 600.0), AMI_OUTCOME_TIMEOUT);
    b = ami_verdict_summary(ami_verdict_get(late));
    assert_string_equal(b, "timeout (timeout-stalled; user data not reached) with 1 recorded "
                           "error after 600.0 s, stage cloud-init-local");
}

/* User data cloud-init has no handler for (a script without its "#!") never runs: the
 * verdict must not say it ran (it said "success …, user data ran"). */
static void
test_unhandled_user_data_did_not_run(void **state)
{
    static const char *const lines[] = {
        "[   25.0] cloud-init[420]: Cloud-init v. 22.4.2 running 'init' at Tue.\r\n",
        "[   26.1] cloud-init[420]: 2026-12-02 06:10:01,100 - __init__.py[WARNING]: Unhandled "
        "non-multipart (text/x-not-multipart) userdata: 'b'echo hello''...'\r\n",
        "[   40.0] cloud-init[530]: Cloud-init v. 22.4.2 running 'modules:final' at Tue.\r\n",
        "[   48.0] cloud-init[530]: Cloud-init v. 22.4.2 finished at Tue, 01 Dec 2026. "
        "Datasource DataSourceNoCloud [seed=/dev/sr0][dsmode=net].  Up 47.90 seconds\r\n",
        NULL,
    };
    AmiVerdictOptions o = {.user_data = TRUE};
    AmiVerdictOptions none = {.until = AMI_UNTIL_CLOUD_INIT};
    g_autoptr(AmiVerdictScanner) s = ami_verdict_scanner_new(&o, NULL);
    g_autoptr(AmiVerdictScanner) vendor = ami_verdict_scanner_new(&none, NULL);
    g_autofree char *line = NULL;
    guint64 offsets[8];

    (void)state;
    assert_int_equal(feed_lines(s, lines, offsets), AMI_OUTCOME_FAILURE);
    assert_string_equal(ami_verdict_get(s)->user_data, "ignored");
    assert_string_equal(ami_verdict_get(s)->detail, "unhandled user data");
    assert_true(ami_verdict_get(s)->seconds == 30.0);
    line = ami_verdict_summary(ami_verdict_get(s));
    assert_true(g_str_has_prefix(line, "failure (cloud-init-failed: unhandled user data; user "
                                       "data ignored) after 30.0 s, stage cloud-init-finished: '"));
    /* Without user data of ours (vendor data), it is a recorded error only. */
    assert_int_equal(feed_lines(vendor, lines, offsets), AMI_OUTCOME_SUCCESS);
    assert_int_equal(ami_verdict_recorded_count(ami_verdict_get(vendor)), 1);
}

/* Which user data runs through scripts-user, so that finishing cleanly means exit 0. */
static void
test_user_data_is_script(void **state)
{
    static const struct {
        const char *data;
        gboolean script;
    } kinds[] = {
        {"#!/bin/sh\necho hi\n", TRUE},
        {"#!", TRUE},
        {"#cloud-config\nruncmd:\n  - echo hi\n", TRUE},
        {"#cloud-config\nhostname: x\nruncmd: [ls]\n", TRUE},
        {"#cloud-config\nlocale: C.UTF-8\n", FALSE},
        {"#cloud-config\nwrite_files:\n  - content: |\n      runcmd: no\n", FALSE},
        {"#cloud-config\n  runcmd:\n", FALSE},
        {"Content-Type: multipart/mixed; boundary=x\n\n--x\n#!/bin/sh\n", FALSE},
        {"echo hello\n", FALSE},
        {"#include\nhttp://x/\n", FALSE},
        {"", FALSE},
        {"#", FALSE},
    };

    (void)state;
    for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
        assert_int_equal(ami_verdict_user_data_is_script(kinds[i].data, strlen(kinds[i].data)),
                         kinds[i].script);
}

static void
test_bad_regex(void **state)
{
    const char *bad[] = {"(unclosed", NULL};
    AmiVerdictOptions o = {.failure = bad};
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_null(ami_verdict_scanner_new(&o, &error));
    assert_error_contains(error, "(unclosed");
}

static void
test_tail(void **state)
{
    g_autoptr(AmiVerdictScanner) s = scanner_for(&cases[0]);
    g_auto(GStrv) tail = NULL;
    GString *text = g_string_new(NULL);

    (void)state;
    for (int i = 0; i < 100; i++)
        g_string_append_printf(text, "line %d\r\n", i);
    ami_verdict_feed(s, text->str, text->len, 1.0);
    g_string_free(text, TRUE);
    tail = ami_verdict_tail(s, 30);
    assert_int_equal(g_strv_length(tail), 30);
    assert_string_equal(tail[0], "line 70");
    assert_string_equal(tail[29], "line 99");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markers_in_any_chunking),
        cmocka_unit_test(test_matched_line_is_clean),
        cmocka_unit_test(test_power_off_and_deadline),
        cmocka_unit_test(test_deadline_without_output),
        cmocka_unit_test(test_line_cut_at_64_kib),
        cmocka_unit_test(test_stage_userspace_from_real_lines_only),
        cmocka_unit_test(test_prompt_waits_for_quiet),
        cmocka_unit_test(test_module_failure_recorded_boot_goes_on),
        cmocka_unit_test(test_strict_fails_on_recorded_error_at_success),
        cmocka_unit_test(test_panic_after_recorded_error_decides),
        cmocka_unit_test(test_user_data_failure_fails_after_cloud_init),
        cmocka_unit_test(test_user_data_not_reached),
        cmocka_unit_test(test_user_data_status_needs_cloud_init),
        cmocka_unit_test(test_match_list_is_bounded),
        cmocka_unit_test(test_summary_strict_names_module_and_user_data),
        cmocka_unit_test(test_summary_default_warns),
        cmocka_unit_test(test_decided_after_cloud_init_finished),
        cmocka_unit_test(test_summary_failed_user_data_has_no_exit),
        cmocka_unit_test(test_summary_counts_recorded_behind_other_failures),
        cmocka_unit_test(test_unhandled_user_data_did_not_run),
        cmocka_unit_test(test_user_data_is_script),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_root_device_not_found_names_nvme),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
