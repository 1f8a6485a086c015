/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/error.h"
#include "ami-run/host.h"

/* Which Debian package provides a helper program, for the "install it" hint. */
static const char *
package_of(const char *program)
{
    if (g_str_has_prefix(program, "qemu-img"))
        return "qemu-utils";
    if (g_str_has_prefix(program, "qemu-system-x86"))
        return "qemu-system-x86";
    if (g_str_has_prefix(program, "qemu-system-aarch64"))
        return "qemu-system-arm";
    return NULL;
}

typedef struct {
    gboolean done;
    gboolean ok;
    GBytes *out;
    GBytes *err;
    GError *error;
} WaitState;

static void
on_communicated(GObject *source, GAsyncResult *res, gpointer data)
{
    WaitState *st = data;

    st->ok = g_subprocess_communicate_finish(G_SUBPROCESS(source), res, &st->out, &st->err,
                                             &st->error);
    st->done = TRUE;
}

static gboolean
on_tick(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE; /* only wakes the loop up to look at pending signals */
}

static gboolean
spawn_failed(const char *program, GError *local, GError **error)
{
    const char *pkg = package_of(program);

    if (g_error_matches(local, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) && pkg)
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "'%s' is not installed (apt-get install %s, or run scripts/install-deps)",
                    program, pkg);
    else
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot run '%s': %s", program,
                    local->message);
    g_error_free(local);
    return FALSE;
}

gboolean
ami_spawn_sync(const char *const *argv, gboolean stdout_to_stderr, char **ret_stdout,
               GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GSource) tick = g_timeout_source_new(100);
    GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
    WaitState st = {0};
    GError *local = NULL;
    g_autofree char *errtext = NULL;

    if (ret_stdout)
        flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE;
    launcher = g_subprocess_launcher_new(flags);
    if (stdout_to_stderr && !ret_stdout)
        g_subprocess_launcher_take_stdout_fd(launcher, dup(STDERR_FILENO));
    g_main_context_push_thread_default(ctx);
    proc = g_subprocess_launcher_spawnv(launcher, argv, &local);
    if (!proc) {
        g_main_context_pop_thread_default(ctx);
        return spawn_failed(argv[0], local, error);
    }
    /* Read both pipes to the end (no deadlock on large output), then reap. */
    g_source_set_callback(tick, on_tick, NULL, NULL);
    g_source_attach(tick, ctx);
    g_subprocess_communicate_async(proc, NULL, NULL, on_communicated, &st);
    while (!st.done) {
        if (ami_signals_pending())
            g_subprocess_force_exit(proc);
        g_main_context_iteration(ctx, TRUE);
    }
    g_source_destroy(tick);
    if (st.ok)
        g_subprocess_wait(proc, NULL, NULL);
    g_main_context_pop_thread_default(ctx);
    if (!ami_signals_check(error) || !st.ok) {
        g_clear_pointer(&st.out, g_bytes_unref);
        g_clear_pointer(&st.err, g_bytes_unref);
        if (st.error && !ami_signals_pending())
            return spawn_failed(argv[0], st.error, error);
        g_clear_error(&st.error);
        return FALSE;
    }

    errtext = st.err ? g_strndup(g_bytes_get_data(st.err, NULL), g_bytes_get_size(st.err)) : NULL;
    g_clear_pointer(&st.err, g_bytes_unref);
    if (!g_subprocess_get_successful(proc)) {
        char *nl;

        if (errtext) {
            g_strstrip(errtext);
            if ((nl = strrchr(errtext, '\n'))) /* the last line says why */
                memmove(errtext, nl + 1, strlen(nl + 1) + 1);
        }
        g_set_error(error, AMI_ERROR,
                    errtext && strstr(errtext, "No space left") ? AMI_ERROR_NO_SPACE
                                                                : AMI_ERROR_HOST,
                    "%s failed: %s", argv[0], errtext && *errtext ? errtext : "no message");
        return FALSE;
    }
    if (ret_stdout)
        *ret_stdout = g_strndup(g_bytes_get_data(st.out, NULL), g_bytes_get_size(st.out));
    g_clear_pointer(&st.out, g_bytes_unref);
    return TRUE;
}
