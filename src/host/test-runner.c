/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runner of `ami-run test` (docs/test.md, contract C4).  Children share nothing
 * writable but the store, whose own locks serialise them: each has its instance, its
 * console and its stderr file in a private temporary directory (removed at the end).
 * Children run in process groups of their own so that a terminal's Ctrl-C reaches only
 * this process, which stops each run with SIGTERM and waits until each has torn its
 * instance down (run's own signal path: no QEMU and no running instance remain).
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>


#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"
#include "ami-run/spec.h"
#include "ami-run/test-runner.h"

#define TICK_MS 250
#define STOP_GRACE_S 120 /* after SIGTERM, then SIGKILL: run's teardown takes seconds */

typedef struct {
    json_t *cell; /* borrowed from the caller's list */
    char **argv;
    GSubprocess *proc;
    guint attempt;
    gint64 started;
    double seconds;
    char *instance_id;
    char *err_path;
    gboolean exited;
    int exit_code;
    const char *state;
} Cell;

typedef struct {
    AmiStore *store;
    const json_t *spec;
    const AmiTestRunOptions *opts;
    char *tmp;
    Cell *cells;
    guint n, running;
    gboolean changed, stopping;
    gint64 stop_at;
    gint64 t0;
} Runner;

static void
on_exit_cb(GObject *source, GAsyncResult *res, gpointer data)
{
    Cell *c = data;
    GSubprocess *p = G_SUBPROCESS(source);

    (void)g_subprocess_wait_finish(p, res, NULL);
    c->exited = TRUE;
    if (g_subprocess_get_if_exited(p))
        c->exit_code = g_subprocess_get_exit_status(p);
    else
        c->exit_code = 128 + g_subprocess_get_term_sig(p);
}

static void
child_setup(gpointer data)
{
    (void)data;
    setpgid(0, 0);
}

static gboolean
start_cell(Runner *r, Cell *c, guint index, GError **error)
{
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;

    c->attempt++;
    g_free(c->err_path);
    c->err_path = g_strdup_printf("%s/c%u.%u.stderr", r->tmp, index + 1, c->attempt);
    out = g_strdup_printf("%s/c%u.%u.stdout", r->tmp, index + 1, c->attempt);
    g_subprocess_launcher_set_stdout_file_path(l, out);
    g_subprocess_launcher_set_stderr_file_path(l, c->err_path);
    g_subprocess_launcher_set_child_setup(l, child_setup, NULL, NULL);
    g_ptr_array_add(argv, (gpointer)r->opts->self);
    for (const char *const *g = r->opts->global; g && *g; g++)
        g_ptr_array_add(argv, (gpointer)*g);
    for (char **a = c->argv; *a; a++)
        g_ptr_array_add(argv, *a);
    g_ptr_array_add(argv, NULL);
    g_clear_pointer(&c->instance_id, g_free);
    c->exited = FALSE;
    c->started = g_get_monotonic_time();
    if (!(c->proc = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, error)))
        return FALSE;
    g_subprocess_wait_async(c->proc, NULL, on_exit_cb, c);
    c->state = "running";
    r->running++;
    r->changed = TRUE;
    return TRUE;
}

/* The instance id from "ami-run: run: i-…: started …" and the last error-looking line. */
static void
read_stderr(Cell *c, char **ret_error)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(c->err_path, &text, NULL, NULL))
        return;
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *p = *l;

        if (!g_str_has_prefix(p, "ami-run: run: "))
            continue;
        p += strlen("ami-run: run: ");
        if (!c->instance_id && g_str_has_prefix(p, "i-") && strstr(p, ": started")) {
            c->instance_id = g_strndup(p, strcspn(p, ":"));
        } else if (ret_error && !g_str_has_prefix(p, "i-")) {
            g_free(*ret_error);
            *ret_error = g_utf8_make_valid(p, -1);
        }
    }
}

static json_t *
attempt_json(Runner *r, Cell *c)
{
    g_autofree char *run_error = NULL;
    g_autofree char *console = NULL;
    g_autoptr(json_t) record = NULL;
    gsize console_len = 0;
    const json_t *amirun;
    const char *console_path;
    json_t *a;

    read_stderr(c, &run_error);
    if (c->instance_id)
        record = ami_instance_find(r->store, c->instance_id, NULL);
    amirun = json_object_get(record, "AmiRun");
    console_path = json_string_value(json_object_get(amirun, "Console"));
    if (console_path && g_file_get_contents(console_path, &console, &console_len, NULL)) {
        char *valid = g_utf8_make_valid(console, (gssize)console_len);

        g_free(console);
        console = valid;
        console_len = strlen(valid);
    }
    a = json_pack("{s:i, s:i, s:f, s:f}", "Attempt", (int)c->attempt, "ExitCode", c->exit_code,
                  "StartSeconds", (double)(c->started - r->t0) / G_USEC_PER_SEC, "Seconds",
                  c->seconds);
    if (c->instance_id)
        json_object_set_new(a, "InstanceId", json_string(c->instance_id));
    if (console_path)
        json_object_set_new(a, "Console", json_string(console_path));
    if (console)
        json_object_set_new(a, "ConsoleText", json_string(console));
    if (json_object_get(amirun, "Verdict"))
        json_object_set(a, "Verdict", json_object_get(amirun, "Verdict"));
    if (json_object_get(amirun, "Timing")) {
        json_object_set(a, "Timing", json_object_get(amirun, "Timing"));
    } else {
        /* Until every run records its Timing (contract C1): what this side measured. */
        json_object_set_new(a, "Timing",
                            json_pack("{s:b, s:[{s:s, s:f}, {s:s, s:f}]}", "Synthesized", TRUE,
                                      "Phases", "Name", "command-start", "Seconds", 0.0, "Name",
                                      "exit", "Seconds", c->seconds));
    }
    if (json_object_get(amirun, "Components"))
        json_object_set(a, "Components", json_object_get(amirun, "Components"));
    if (run_error && c->exit_code != 0)
        json_object_set_new(a, "Error", json_string(run_error));
    json_object_set_new(a, "Checks", ami_spec_checks(r->spec, c->exit_code, record, console,
                                                     console_len, run_error));
    return a;
}

static void
finish_cell(Runner *r, Cell *c)
{
    json_t *a;
    gboolean passed;
    gint64 retries = json_integer_value(json_object_get(r->spec, "Retries"));

    g_clear_object(&c->proc);
    r->running--;
    r->changed = TRUE;
    c->seconds = (double)(g_get_monotonic_time() - c->started) / G_USEC_PER_SEC;
    a = attempt_json(r, c);
    passed = ami_spec_checks_passed(json_object_get(a, "Checks"));
    json_array_append_new(json_object_get(c->cell, "Attempts"), a);
    if (r->stopping)
        c->state = "cancelled";
    else if (passed)
        c->state = c->attempt > 1 ? "flaky" : "passed";
    else if (c->attempt <= (guint)retries && c->exit_code != 2)
        c->state = "retrying"; /* started again by the scheduler; not a refused input */
    else
        c->state = "failed";
    json_object_set_new(c->cell, "Status", json_string(c->state));
}

static gboolean
on_tick(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

static void
stop_all(Runner *r)
{
    r->stopping = TRUE;
    r->stop_at = g_get_monotonic_time() + STOP_GRACE_S * G_USEC_PER_SEC;
    for (guint i = 0; i < r->n; i++)
        if (r->cells[i].proc && !r->cells[i].exited)
            g_subprocess_send_signal(r->cells[i].proc, SIGTERM);
}

static void
kill_all(Runner *r)
{
    for (guint i = 0; i < r->n; i++)
        if (r->cells[i].proc && !r->cells[i].exited)
            g_subprocess_force_exit(r->cells[i].proc);
}

static void
report_progress(Runner *r)
{
    g_autofree AmiTestCellState *s = g_new0(AmiTestCellState, r->n);

    if (!r->opts->progress)
        return;
    for (guint i = 0; i < r->n; i++) {
        Cell *c = &r->cells[i];

        if (c->proc && !c->instance_id)
            read_stderr(c, NULL);
        s[i].id = json_string_value(json_object_get(c->cell, "Id"));
        s[i].name = json_string_value(json_object_get(c->cell, "Name"));
        s[i].state = c->state;
        s[i].attempt = c->attempt;
        s[i].seconds = c->proc ? (double)(g_get_monotonic_time() - c->started) / G_USEC_PER_SEC
                               : c->seconds;
        s[i].instance_id = c->instance_id;
    }
    r->opts->progress(s, r->n, r->changed, r->opts->progress_data);
    r->changed = FALSE;
}

/* One pass: collect exits, start what may start.  FALSE once nothing is left to do. */
static gboolean
schedule(Runner *r, GError **error)
{
    gboolean pending = FALSE;

    for (guint i = 0; i < r->n; i++) {
        Cell *c = &r->cells[i];

        if (c->proc && c->exited)
            finish_cell(r, c);
    }
    for (guint i = 0; i < r->n; i++) {
        Cell *c = &r->cells[i];
        gboolean waiting = g_str_equal(c->state, "queued") || g_str_equal(c->state, "retrying");

        if (waiting && r->stopping)
            c->state = "cancelled";
        else if (waiting && r->running < r->opts->jobs && !start_cell(r, c, i, error))
            return FALSE;
        pending |= c->proc != NULL || g_str_equal(c->state, "queued") ||
                   g_str_equal(c->state, "retrying");
    }
    return pending;
}

static void
runner_clear(Runner *r)
{
    for (guint i = 0; i < r->n; i++) {
        g_clear_object(&r->cells[i].proc);
        g_strfreev(r->cells[i].argv);
        g_free(r->cells[i].instance_id);
        g_free(r->cells[i].err_path);
    }
    g_free(r->cells);
    if (r->tmp)
        ami_remove_tree(r->tmp);
    g_free(r->tmp);
}

gboolean
ami_test_run(AmiStore *store, const json_t *spec, json_t *cells, const AmiTestRunOptions *opts,
             GError **error)
{
    Runner r = {store, spec, opts, NULL, NULL, (guint)json_array_size(cells), 0, TRUE, FALSE, 0,
                g_get_monotonic_time()};
    guint tick;
    gboolean ok = TRUE;

    if (!(r.tmp = g_dir_make_tmp("ami-run-test-XXXXXX", error)))
        return FALSE;
    r.cells = g_new0(Cell, r.n);
    for (guint i = 0; i < r.n; i++) {
        json_t *cell = json_array_get(cells, i);
        char **argv = ami_spec_cell_argv(spec, cell, opts->extra);
        json_t *list = json_array();

        for (char **a = argv; *a; a++)
            json_array_append_new(list, json_string(*a));
        json_object_set_new(cell, "Argv", list);
        json_object_set_new(cell, "Status", json_string("queued"));
        json_object_set_new(cell, "Attempts", json_array());
        r.cells[i] = (Cell){.cell = cell, .argv = argv, .state = "queued"};
    }
    tick = g_timeout_add(TICK_MS, on_tick, NULL);
    for (;;) {
        GError *local = NULL;

        if (!r.stopping && ami_signals_pending())
            stop_all(&r);
        if (r.stopping && g_get_monotonic_time() > r.stop_at)
            kill_all(&r);
        if (!schedule(&r, ok ? &local : NULL)) {
            if (local) {
                /* A child that cannot even be spawned: stop the others, report that. */
                g_propagate_error(error, local);
                ok = FALSE;
                if (!r.stopping)
                    stop_all(&r);
                continue;
            }
            break;
        }
        report_progress(&r);
        g_main_context_iteration(NULL, TRUE);
    }
    report_progress(&r);
    g_source_remove(tick);
    if (ok && r.stopping) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CANCELLED,
                    "interrupted: every cell's run was stopped and waited for");
        ok = FALSE;
    }
    runner_clear(&r);
    return ok;
}
