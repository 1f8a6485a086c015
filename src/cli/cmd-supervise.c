/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run __supervise i-… [--restart]: the process that keeps a detached instance alive.
 * libvirt's embedded driver lives in the process that opened it, so a guest that
 * outlives `ami-run run` needs one: this.  It runs in its own session, started by
 * `run --detach`/`--keep` and `start-instances`, and answers signals:
 *   SIGTERM/SIGINT/SIGHUP  terminate-instances
 *   SIGUSR1                stop-instances: ACPI power-off, forced after a grace period
 *   SIGUSR2                stop-instances --force
 *   SIGURG                 create-image --no-reboot: pause, copy the volumes, resume
 *   AMI_SIGNAL_REBOOT      reboot-instances: reset the guest, its verdict starts over
 * A guest that powers itself off is stopped, as EC2's default
 * InstanceInitiatedShutdownBehavior does (terminated with run-instances
 * --instance-initiated-shutdown-behavior terminate).  Its own reaper kills QEMU if it is
 * killed.  When the record has AmiRun.VerdictOptions (run --detach, run-instances) it
 * scans the console as run does and writes AmiRun.Verdict, which describe-instance-status
 * turns into EC2's status checks.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/import.h"
#include "ami-run/launch.h"
#include "ami-run/timing.h"
#include "ami-run/verdict.h"
#include "cli.h"

#define STOP_GRACE_SECONDS 60

/*
 * How long an ACPI power-off may take before it is forced: 60 s, or
 * $AMI_RUN_STOP_GRACE seconds (1..3600) from the environment this supervisor was
 * started with (that of run --detach/--keep or start-instances), so that a test need
 * not wait a minute for a guest that ignores the power button.
 */
static int
stop_grace_seconds(void)
{
    const char *env = g_getenv("AMI_RUN_STOP_GRACE");
    guint64 n;

    if (env && g_ascii_string_to_unsigned(env, 10, 1, 3600, &n, NULL))
        return (int)n;
    return STOP_GRACE_SECONDS;
}

static void
report_status(const char *line)
{
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

    fputs(line, stdout);
    fflush(stdout);
    /* The runner waits for this one line; then nobody reads our stdout any more. */
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
}

/* ACPI first; the guest may ignore it (no acpid), so force after the grace period. */
static void
stop_gracefully(AmiLaunch *l)
{
    int grace = stop_grace_seconds();
    gint64 deadline = g_get_monotonic_time() + grace * G_USEC_PER_SEC;
    g_autoptr(GError) error = NULL;
    g_autofree char *forced = NULL;

    if (!ami_launch_shutdown(l, &error))
        g_printerr("ami-run: supervisor: ACPI shutdown: %s\n", error->message);
    while (g_get_monotonic_time() < deadline && !ami_launch_guest_stopped(l)) {
        int sig = ami_signals_pending();

        if (sig == SIGUSR2) {
            ami_launch_stop(l, "stop-instances --force");
            return;
        }
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
            ami_launch_terminate(l, "terminate-instances");
            return;
        }
        g_usleep(200 * 1000);
    }
    /* The record says which way it went: the guest's own power-off, or ours. */
    if (ami_launch_guest_stopped(l)) {
        ami_launch_stop(l, "stop-instances (ACPI power-off)");
        return;
    }
    forced = g_strdup_printf("stop-instances (forced: the guest ignored ACPI power-off for %d s)",
                             grace);
    ami_launch_stop(l, forced);
}

static gboolean
pause_guest(void *l, GError **error)
{
    return ami_launch_pause(l, error);
}

static gboolean
resume_guest(void *l, GError **error)
{
    return ami_launch_resume(l, error);
}

/* The console scan of one boot: the scanner as run builds it, from AmiRun.VerdictOptions.
 * Only the instance's first boot runs its user data: cloud-init's scripts-user is
 * once-per-instance (cc_scripts_user.py), so after a reboot or start-instances the same
 * instance id finds it done, and a verdict must not say it ran. */
typedef struct {
    AmiVerdictScanner *scanner; /* NULL: no verdict wanted, or decided */
    gboolean strict;
    double timeout;
    gint64 start;
    AmiTiming *timing; /* the first boot's timeline (borrowed), NULL once it is complete */
} BootWatch;

static void
boot_watch_begin(BootWatch *b, AmiLaunch *l, gboolean first_boot)
{
    json_t *opts = json_object_get(json_object_get(ami_launch_record(l), "AmiRun"), "VerdictOptions");
    g_auto(GStrv) success = NULL, failure = NULL;
    g_autoptr(GError) error = NULL;
    AmiVerdictOptions vo = {0};
    const char *until = json_string_value(json_object_get(opts, "Until"));

    g_clear_pointer(&b->scanner, ami_verdict_scanner_free);
    if (!json_is_object(opts))
        return;
    success = cli_json_strv(json_object_get(opts, "Success"));
    failure = cli_json_strv(json_object_get(opts, "Failure"));
    if (until)
        ami_until_from_string(until, &vo.until);
    vo.user_data = first_boot && json_is_true(json_object_get(opts, "UserData"));
    vo.user_data_script = vo.user_data && json_is_true(json_object_get(opts, "UserDataScript"));
    vo.strict = b->strict = json_is_true(json_object_get(opts, "Strict"));
    vo.success = success[0] ? (const char *const *)success : NULL;
    vo.failure = failure[0] ? (const char *const *)failure : NULL;
    vo.root_device_hint = json_string_value(json_object_get(opts, "RootDeviceHint"));
    b->timeout = (double)json_integer_value(json_object_get(opts, "Timeout"));
    if (b->timeout <= 0)
        b->timeout = 600;
    b->start = g_get_monotonic_time();
    if (b->timing && json_integer_value(json_object_get(json_object_get(ami_launch_record(l),
                                                                        "AmiRun"), "Boots")) > 0)
        b->timing = NULL; /* a reboot: the timeline is the first boot's */
    if (!(b->scanner = ami_verdict_scanner_new(&vo, &error)))
        g_printerr("ami-run: supervisor: no verdict: %s\n", error->message);
}

/* Feed what the console printed; once decided, the verdict goes into the record. */
static void
boot_watch_step(BootWatch *b, AmiLaunch *l)
{
    double t = (g_get_monotonic_time() - b->start) / 1e6;
    AmiOutcome outcome = AMI_OUTCOME_RUNNING;
    gboolean any = FALSE;
    char buf[65536];
    gssize n;

    if (!b->scanner)
        return;
    while (outcome == AMI_OUTCOME_RUNNING && (n = ami_launch_read_console(l, buf, sizeof(buf))) > 0) {
        any = TRUE;
        ami_clock_mark(b->timing, AMI_PHASE_FIRST_CONSOLE_BYTE); /* the first one stays */
        outcome = ami_verdict_feed(b->scanner, buf, (size_t)n, t);
    }
    if (outcome == AMI_OUTCOME_RUNNING && !any)
        outcome = ami_verdict_quiet(b->scanner, t);
    if (outcome == AMI_OUTCOME_RUNNING && t >= b->timeout)
        outcome = ami_verdict_deadline(b->scanner, t);
    if (outcome == AMI_OUTCOME_RUNNING)
        return;
    {
        g_autoptr(json_t) v = ami_verdict_to_json(ami_verdict_get(b->scanner), b->strict);
        g_autofree char *now = ami_now_iso8601();

        json_object_set_new(v, "Time", json_string(now)); /* ImpairedSince */
        if (b->timing) { /* saved with the verdict */
            ami_clock_mark(b->timing, AMI_PHASE_VERDICT);
            ami_timing_set_stages(b->timing, ami_verdict_get(b->scanner),
                                  (double)(b->start - ami_timing_origin(b->timing)) / G_USEC_PER_SEC);
        }
        b->timing = NULL;
        ami_launch_set_verdict(l, v);
    }
    g_clear_pointer(&b->scanner, ami_verdict_scanner_free);
}

static void
drain_console(AmiLaunch *l)
{
    char buf[65536];

    while (ami_launch_read_console(l, buf, sizeof(buf)) > 0)
        ;
}

/* The guest powered itself off: stopped, or terminated if the launch said so. */
static void
guest_powered_off(AmiLaunch *l)
{
    const char *behavior = json_string_value(json_object_get(
        json_object_get(ami_launch_record(l), "AmiRun"), "InstanceInitiatedShutdownBehavior"));
    const char *why = "the guest powered itself off (instance-initiated shutdown)";

    if (g_strcmp0(behavior, "terminate") == 0)
        ami_launch_terminate(l, why);
    else
        ami_launch_stop(l, why);
}

gboolean
cmd_supervise(Cli *cli, int argc, char **argv, GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GError) local = NULL;
    gboolean restart = argc > 1 && strcmp(argv[1], "--restart") == 0;
    BootWatch boot = {0};
    g_autoptr(AmiTiming) timing = NULL;
    AmiLaunch *l;

    ami_signals_install_control();
    if (argc < 1 || !(store = cli_open_store(cli, FALSE, &local)) ||
        !(l = ami_launch_attach(store, argv[0], self, &local))) {
        g_autofree char *line = g_strdup_printf("error %d %s\n", local ? local->code : AMI_ERROR_INVALID,
                                                local ? local->message : "usage: __supervise i-…");
        report_status(line);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    ami_launch_set_supervised(l);
    /* run --detach began the timeline (plan, disks); start-instances begins one now. */
    if (restart || !(timing = ami_clock_timing_resume(json_object_get(
                         json_object_get(ami_launch_record(l), "AmiRun"), "Timing"))))
        timing = ami_clock_timing_new();
    ami_launch_set_timing(l, timing);
    boot.timing = timing;
    if (!ami_launch_start(l, &local)) {
        g_autofree char *line = g_strdup_printf("error %d %s\n", local->code, local->message);

        report_status(line);
        if (restart)
            ami_launch_stop(l, "start-instances failed");
        else
            ami_launch_terminate(l, "the guest failed to start");
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    report_status("running\n");
    boot_watch_begin(&boot, l, !restart);

    for (;;) {
        int sig = ami_signals_pending();

        if (sig == SIGURG) {
            g_autofree char *dir = g_build_filename(ami_store_path(store), "instances", argv[0], NULL);

            ami_signals_clear();
            ami_capture_serve_pause(dir, pause_guest, resume_guest, l);
            continue;
        }

        if (sig == AMI_SIGNAL_REBOOT) {
            ami_signals_clear();
            drain_console(l); /* what the last boot printed is not the next one's verdict */
            if (!ami_launch_reboot(l, &local)) {
                g_printerr("ami-run: supervisor: reboot: %s\n", local->message);
                g_clear_error(&local);
            }
            boot_watch_begin(&boot, l, FALSE); /* the console goes on in the same file */
            continue;
        }

        if (sig)
            g_clear_pointer(&boot.scanner, ami_verdict_scanner_free);
        if (sig == SIGUSR1 || sig == SIGUSR2) {
            ami_signals_clear();
            if (sig == SIGUSR2)
                ami_launch_stop(l, "stop-instances --force");
            else
                stop_gracefully(l);
            return TRUE;
        }
        if (sig) {
            ami_launch_terminate(l, "terminate-instances");
            return TRUE;
        }
        if (ami_launch_guest_stopped(l)) {
            g_clear_pointer(&boot.scanner, ami_verdict_scanner_free);
            guest_powered_off(l);
            return TRUE;
        }
        boot_watch_step(&boot, l);
        g_usleep(200 * 1000);
    }
}
