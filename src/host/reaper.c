/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ami-run/error.h"
#include "ami-run/host.h"

struct AmiReaper {
    GSubprocess *proc;
    GOutputStream *pipe;
};

void
ami_child_setsid(gpointer data)
{
    (void)data;
    setsid(); /* out of our process group: a killpg() of the runner must not reach it */
}

AmiReaper *
ami_reaper_spawn(const char *self, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                  G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    const char *argv[] = {self, "__reaper", NULL};
    GError *local = NULL;
    AmiReaper *r;
    GSubprocess *proc;

    g_subprocess_launcher_set_child_setup(launcher, ami_child_setsid, NULL, NULL);
    proc = g_subprocess_launcher_spawnv(launcher, argv, &local);
    if (!proc) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot start the reaper: %s",
                    local->message);
        g_error_free(local);
        return NULL;
    }
    r = g_new0(AmiReaper, 1);
    r->proc = proc;
    r->pipe = g_object_ref(g_subprocess_get_stdin_pipe(proc));
    return r;
}

/* One command line to the reaper, flushed: it acts on whole lines only. */
static gboolean
send_line(AmiReaper *r, const char *line, GError **error)
{
    GError *local = NULL;

    if (!g_output_stream_write_all(r->pipe, line, strlen(line), NULL, NULL, &local) ||
        !g_output_stream_flush(r->pipe, NULL, &local)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "reaper: %s", local->message);
        g_error_free(local);
        return FALSE;
    }
    return TRUE;
}

gboolean
ami_reaper_watch(AmiReaper *r, int qemu_pid, GError **error)
{
    g_autofree char *line = g_strdup_printf("pid %d\n", qemu_pid);

    return send_line(r, line, error);
}

gboolean
ami_reaper_watch_pid_file(AmiReaper *r, const char *pid_file, const char *instance_id,
                          GError **error)
{
    g_autofree char *line = NULL;

    if (strchr(pid_file, '\n') || strchr(instance_id, ' ') || strchr(instance_id, '\n')) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "reaper: cannot pass '%s'", pid_file);
        return FALSE;
    }
    line = g_strdup_printf("pidfile %s %s\n", instance_id, pid_file);
    return send_line(r, line, error);
}

gboolean
ami_pid_is_qemu_of(int pid, const char *instance_id)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *cmd = NULL;
    gsize len;

    if (pid <= 0 || !instance_id || !g_file_get_contents(path, &cmd, &len, NULL))
        return FALSE;
    for (gsize i = 0; i + 1 < len; i++) {
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    }
    return strstr(cmd, "qemu-system") && strstr(cmd, instance_id);
}

int
ami_qemu_pid_from_file(const char *pid_file, const char *instance_id)
{
    g_autofree char *text = NULL;
    gint64 pid;

    if (!pid_file || !g_file_get_contents(pid_file, &text, NULL, NULL))
        return 0;
    pid = g_ascii_strtoll(text, NULL, 10);
    return pid > 1 && pid <= G_MAXINT && ami_pid_is_qemu_of((int)pid, instance_id) ? (int)pid : 0;
}

void
ami_reaper_release(AmiReaper *r)
{
    if (!r)
        return;
    g_output_stream_write_all(r->pipe, "done\n", 5, NULL, NULL, NULL);
    g_output_stream_close(r->pipe, NULL, NULL);
    g_subprocess_wait(r->proc, NULL, NULL);
    g_object_unref(r->pipe);
    g_object_unref(r->proc);
    g_free(r);
}

/* Kill through a pidfd taken while QEMU was certainly alive: no pid-reuse race. */
static void
kill_qemu(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};

    syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
    if (poll(&p, 1, 3000) == 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

/*
 * Killed while libvirt started QEMU, the runner never sent its pid: the pid file libvirt
 * wrote when it forked QEMU names it.  The pidfd is taken before the command line is
 * checked, so the process checked is the one killed.
 */
static int
pidfd_from_file(const char *pid_file, const char *instance_id)
{
    int pid = ami_qemu_pid_from_file(pid_file, instance_id);
    int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

    if (fd >= 0 && !ami_pid_is_qemu_of(pid, instance_id)) {
        close(fd);
        return -1;
    }
    return fd;
}

int
ami_reaper_main(void)
{
    char line[PATH_MAX + 128];
    g_autofree char *pid_file = NULL;
    g_autofree char *instance_id = NULL;
    int pidfd = -1;

    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    while (fgets(line, sizeof(line), stdin)) {
        if (strcmp(line, "done\n") == 0)
            return 0;
        if (strncmp(line, "pid ", 4) == 0) {
            int pid = atoi(line + 4);

            if (pidfd >= 0)
                close(pidfd);
            pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
        } else if (strncmp(line, "pidfile ", 8) == 0 && strchr(line + 8, ' ')) {
            char *path = strchr(line + 8, ' ');

            line[strcspn(line, "\n")] = '\0';
            g_free(instance_id);
            g_free(pid_file);
            instance_id = g_strndup(line + 8, (gsize)(path - (line + 8)));
            pid_file = g_strdup(path + 1);
        }
    }
    /* EOF without "done": the runner died. */
    if (pidfd < 0 && pid_file)
        pidfd = pidfd_from_file(pid_file, instance_id);
    if (pidfd >= 0)
        kill_qemu(pidfd);
    return 0;
}
