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
 * A guest that powers itself off is stopped, as EC2's default
 * InstanceInitiatedShutdownBehavior does.  Its own reaper kills QEMU if it is killed.
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
#include "ami-run/launch.h"
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

gboolean
cmd_supervise(Cli *cli, int argc, char **argv, GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GError) local = NULL;
    gboolean restart = argc > 1 && strcmp(argv[1], "--restart") == 0;
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

    for (;;) {
        int sig = ami_signals_pending();

        if (sig == SIGURG) {
            g_autofree char *dir = g_build_filename(ami_store_path(store), "instances", argv[0], NULL);

            ami_signals_clear();
            ami_capture_serve_pause(dir, pause_guest, resume_guest, l);
            continue;
        }
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
            ami_launch_stop(l, "the guest powered itself off (instance-initiated shutdown)");
            return TRUE;
        }
        g_usleep(200 * 1000);
    }
}
