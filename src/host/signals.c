/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/host.h"

static volatile sig_atomic_t pending_signal;

static void
on_signal(int sig)
{
    pending_signal = sig;
}

void
ami_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking flock() or read() returns EINTR and we unwind. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void
ami_signals_install_control(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
}

void
ami_signals_clear(void)
{
    pending_signal = 0;
}

int
ami_signals_pending(void)
{
    return pending_signal;
}

gboolean
ami_signals_check(GError **error)
{
    if (!pending_signal)
        return TRUE;
    g_set_error(error, AMI_ERROR, AMI_ERROR_CANCELLED, "Interrupted by %s",
                pending_signal == SIGINT ? "Ctrl-C" : g_strsignal(pending_signal));
    return FALSE;
}
