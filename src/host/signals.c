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

static void
catch_signal(int sig)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking flock() or read() returns EINTR and we unwind. */
    sigaction(sig, &sa, NULL);
}

void
ami_signals_install(void)
{
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
    catch_signal(SIGHUP);
}

void
ami_signals_install_control(void)
{
    catch_signal(SIGUSR1);
    catch_signal(SIGUSR2);
    catch_signal(SIGURG); /* create-image --no-reboot: pause, copy, resume */
    catch_signal(AMI_SIGNAL_REBOOT);
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
