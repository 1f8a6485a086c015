/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run test SPEC | --image-id ami-…: a golden-image test matrix (docs/test.md).
 * Parse and check everything first (exit 2 before anything boots), resolve the images,
 * expand the matrix, run the cells in parallel (host/test-runner.c), write the reports
 * (core/report-*.c), exit 0 only if every cell passed (a flaky one passed on a retry).
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "ami-run/host.h"
#include "ami-run/import.h"
#include "ami-run/plan.h"
#include "ami-run/report.h"
#include "ami-run/spec.h"
#include "ami-run/store.h"
#include "ami-run/test-runner.h"
#include "cli.h"

typedef struct {
    char *spec, *image_id, *phases, *jobs, *junit, *json, *html, *accel, *timeout, *retries;
    char **components;
} TestOptions;

typedef struct {
    const Cli *cli;
    gboolean tty;
    guint drawn;      /* lines of the live display on screen */
    char **last;      /* non-TTY: the state last printed per cell */
} Display;

static json_t *
load_spec(const TestOptions *o, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *dir = NULL;
    g_autoptr(GError) local = NULL;
    gsize len;

    if (!o->spec == !o->image_id)
        return ami_error_invalid(error, "give a SPEC file or --image-id, one of them"), NULL;
    if (o->image_id) {
        json_t *spec = ami_spec_from_image(o->image_id, (const char *const *)o->components);

        if (o->phases)
            json_object_set_new(spec, "Phases", json_string(o->phases));
        return spec;
    }
    if (o->components || o->phases)
        return ami_error_invalid(error, "--component and --phases go with --image-id; a spec "
                                        "names its components"),
               NULL;
    if (!g_file_get_contents(o->spec, &text, &len, &local))
        return ami_error_invalid(error, "cannot read the spec '%s': %s", o->spec, local->message),
               NULL;
    dir = g_path_get_dirname(o->spec);
    return ami_spec_parse(text, len, o->spec, dir, error);
}

static gboolean
uint_option(const char *value, const char *name, guint64 min, guint64 max, guint64 *ret,
            GError **error)
{
    if (!g_ascii_string_to_unsigned(value, 10, min, max, ret, NULL))
        return ami_error_invalid(error, "--%s '%.32s' must be an integer from %" G_GUINT64_FORMAT
                                        " to %" G_GUINT64_FORMAT,
                                 name, value, min, max);
    return TRUE;
}

/* Overrides from the command line, and the files the cells need, checked before a boot. */
static gboolean
check_inputs(const TestOptions *o, json_t *spec, GError **error)
{
    const char *outs[] = {o->junit, o->json, o->html};
    guint64 v;
    size_t i;
    json_t *e;

    AmiAccel accel;

    if (o->accel && !ami_accel_from_string(o->accel, &accel))
        return ami_error_invalid(error, "--accel '%.32s' is not one of auto, kvm, tcg", o->accel);
    if (o->timeout && !uint_option(o->timeout, "timeout", 1, 86400, &v, error))
        return FALSE;
    if (o->timeout)
        json_object_set_new(spec, "Timeout", json_integer((json_int_t)v));
    if (o->retries && !uint_option(o->retries, "retries", 0, 10, &v, error))
        return FALSE;
    if (o->retries)
        json_object_set_new(spec, "Retries", json_integer((json_int_t)v));
    json_array_foreach (json_object_get(spec, "Components"), i, e)
        if (!g_file_test(json_string_value(e), G_FILE_TEST_IS_REGULAR))
            return ami_error_invalid(error, "component '%s' is not a readable file",
                                     json_string_value(e));
    json_array_foreach (json_object_get(json_object_get(spec, "Matrix"), "UserData"), i, e) {
        const char *f = json_string_value(json_object_get(e, "File"));

        if (f && !g_file_test(f, G_FILE_TEST_IS_REGULAR))
            return ami_error_invalid(error, "user data file '%s' is not a readable file", f);
    }
    for (gsize k = 0; k < G_N_ELEMENTS(outs); k++) {
        g_autofree char *dir = outs[k] ? g_path_get_dirname(outs[k]) : NULL;

        if (dir && !g_file_test(dir, G_FILE_TEST_IS_DIR))
            return ami_error_invalid(error, "cannot write '%s': no directory '%s'", outs[k], dir);
    }
    return TRUE;
}

static json_t *
image_entry(json_t *image)
{
    return json_pack("{s:O, s:O?, s:O?}", "ImageId", json_object_get(image, "ImageId"), "Name",
                     json_object_get(image, "Name"), "Architecture",
                     json_object_get(image, "Architecture"));
}

static gboolean
resolve_one(AmiStore *store, GPtrArray *all, const json_t *want, json_t *out, GError **error)
{
    const char *id = json_string_value(json_object_get(want, "Id"));
    const char *name = json_string_value(json_object_get(want, "Name"));
    const json_t *filters = json_object_get(want, "Filters");
    g_autoptr(AmiFilters) f = NULL;
    size_t before = json_array_size(out);

    if (id) {
        g_autoptr(json_t) image = ami_store_find_image(store, id, error);

        return image && json_array_append_new(out, image_entry(image)) == 0;
    }
    if (filters) {
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(free);
        size_t i;
        json_t *e;

        json_array_foreach (filters, i, e)
            g_ptr_array_add(args, json_dumps(e, JSON_COMPACT));
        g_ptr_array_add(args, NULL);
        if (!(f = ami_filters_parse(AMI_FILTER_IMAGES, (const char *const *)args->pdata, error)))
            return FALSE;
    }
    for (guint i = 0; i < all->len; i++) {
        json_t *image = all->pdata[i];

        if ((name && g_strcmp0(json_string_value(json_object_get(image, "Name")), name) == 0) ||
            (f && ami_filters_match(f, image)))
            json_array_append_new(out, image_entry(image));
    }
    if (json_array_size(out) == before) {
        g_autofree char *text = json_dumps(filters, JSON_COMPACT);

        g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "no image in the store %s '%.200s'",
                    name ? "is named" : "matches the filters", name ? name : text);
        return FALSE;
    }
    return TRUE;
}

static json_t *
resolve_images(const Cli *cli, const json_t *spec, GError **error)
{
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, error);
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) out = json_array();
    size_t i;
    json_t *want;

    if (!store) {
        if (!*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "the store holds no images");
        return NULL;
    }
    if (!ami_store_lock(store, error))
        return NULL;
    all = ami_store_list_images(store, error);
    ami_store_unlock(store);
    if (!all)
        return NULL;
    ami_store_in_region(store, all);
    json_array_foreach (json_object_get(spec, "Images"), i, want)
        if (!resolve_one(store, all, want, out, error))
            return NULL;
    return g_steal_pointer(&out);
}

/* --- the live display -------------------------------------------------------------- */

static guint
term_width(void)
{
    struct winsize ws;

    return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
}

static void
on_progress(const AmiTestCellState *cells, guint n, gboolean changed, void *data)
{
    Display *d = data;

    if (d->tty) {
        guint width = term_width();

        if (d->drawn)
            fprintf(stderr, "\033[%uA", d->drawn);
        for (guint i = 0; i < n; i++) {
            g_autofree char *line = g_strdup_printf(
                "%-9s %5.1fs %s%s%s", cells[i].state, cells[i].seconds, cells[i].name,
                cells[i].instance_id ? " " : "", cells[i].instance_id ? cells[i].instance_id : "");

            if (strlen(line) >= width)
                line[width - 1] = '\0';
            fprintf(stderr, "\r\033[K%s\n", line);
        }
        d->drawn = n;
        fflush(stderr);
        return;
    }
    if (!changed)
        return;
    for (guint i = 0; i < n; i++) {
        if (g_strcmp0(d->last[i], cells[i].state) == 0 || g_str_equal(cells[i].state, "queued"))
            continue;
        g_free(d->last[i]);
        d->last[i] = g_strdup(cells[i].state);
        if (g_str_equal(cells[i].state, "running"))
            cli_notice(d->cli, "%s: running (attempt %u)", cells[i].name, cells[i].attempt);
        else
            cli_notice(d->cli, "%s: %s after %.1f s%s%s", cells[i].name, cells[i].state,
                       cells[i].seconds, cells[i].instance_id ? ", " : "",
                       cells[i].instance_id ? cells[i].instance_id : "");
    }
}

/* --- reports ----------------------------------------------------------------------- */

static json_t *
make_report(const TestOptions *o, const json_t *spec, json_t *cells, const char *started,
            double seconds, guint *ret_failed)
{
    guint passed = 0, flaky = 0, failed = 0;
    size_t i;
    json_t *cell;

    json_array_foreach (cells, i, cell) {
        const char *s = json_string_value(json_object_get(cell, "Status"));

        if (g_strcmp0(s, "passed") == 0)
            passed++;
        else if (g_strcmp0(s, "flaky") == 0)
            flaky++;
        else
            failed++;
    }
    *ret_failed = failed;
    return json_pack("{s:O, s:s?, s:s, s:f, s:{s:i, s:i, s:i, s:i}, s:O}", "Name",
                     json_object_get(spec, "Name"), "Spec", o->spec, "Started", started,
                     "Seconds", seconds, "Summary", "Cells", (int)json_array_size(cells),
                     "Passed", passed, "Flaky", flaky, "Failed", failed, "Cells", cells);
}

static gboolean
write_text(const char *path, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents(path, text, -1, &local)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot write '%s': %s", path, local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
write_reports(const TestOptions *o, const json_t *report, GError **error)
{
    if (o->junit) {
        g_autofree char *xml = ami_report_junit(report);

        if (!write_text(o->junit, xml, error))
            return FALSE;
    }
    if (o->html) {
        g_autofree char *html = ami_report_html(report);

        if (!write_text(o->html, html, error))
            return FALSE;
    }
    if (o->json) {
        /* The console text stays in the console files the report names. */
        g_autoptr(json_t) copy = json_deep_copy(report);
        g_autofree char *text = NULL;
        size_t i, k;
        json_t *cell, *a;

        json_array_foreach (json_object_get(copy, "Cells"), i, cell)
            json_array_foreach (json_object_get(cell, "Attempts"), k, a)
                json_object_del(a, "ConsoleText");
        text = json_dumps(copy, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!write_text(o->json, text, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
summarise(const Cli *cli, const json_t *cells, guint failed, GError **error)
{
    g_autoptr(GString) which = g_string_new(NULL);
    size_t i;
    json_t *cell;

    json_array_foreach (cells, i, cell) {
        const json_t *attempts = json_object_get(cell, "Attempts");
        const json_t *last = json_array_get(attempts, json_array_size(attempts) - 1);
        const char *status = json_string_value(json_object_get(cell, "Status"));
        size_t k;
        json_t *c;

        if (g_strcmp0(status, "flaky") == 0)
            cli_notice(cli, "%s: flaky: passed on attempt %zu of %zu",
                       json_string_value(json_object_get(cell, "Name")), json_array_size(attempts),
                       json_array_size(attempts));
        if (g_strcmp0(status, "failed") != 0)
            continue;
        json_array_foreach (json_object_get(last, "Checks"), k, c) {
            const char *msg = json_string_value(json_object_get(c, "Message"));

            if (g_strcmp0(json_string_value(json_object_get(c, "Status")), "failed") != 0)
                continue;
            cli_notice(cli, "%s: %s failed (%s)%s%s%s",
                       json_string_value(json_object_get(cell, "Name")),
                       json_string_value(json_object_get(c, "Name")),
                       json_string_value(json_object_get(c, "Type")), msg ? ": '" : "",
                       msg ? msg : "", msg ? "'" : "");
        }
        g_string_append_printf(which, "%s%s", which->len ? ", " : "",
                               json_string_value(json_object_get(cell, "Id")));
    }
    cli_notice(cli, "%zu cells: %zu passed or flaky, %u failed", json_array_size(cells),
               json_array_size(cells) - failed, failed);
    if (failed) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_BOOT, "%u of %zu cells failed: %s", failed,
                    json_array_size(cells), which->str);
        return FALSE;
    }
    return TRUE;
}

static gboolean
run_matrix(Cli *cli, const TestOptions *o, const json_t *spec, json_t *cells, GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *started = ami_now_iso8601();
    g_autofree char *accel = o->accel ? g_strdup_printf("--accel=%s", o->accel) : NULL;
    const char *global[] = {"--store", cli->store_path, cli->region ? "--region" : NULL,
                            cli->region, NULL};
    const char *extra[] = {accel, NULL};
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, error);
    Display d = {cli, cli->progress, 0, NULL}; /* its lines once the options are checked */
    AmiTestRunOptions opts = {self, global, extra, g_get_num_processors(), on_progress, &d};
    g_autoptr(json_t) report = NULL;
    gint64 t0 = g_get_monotonic_time();
    guint64 jobs;
    guint failed;
    gboolean ok;

    if (o->jobs) {
        if (!uint_option(o->jobs, "jobs", 1, 256, &jobs, error))
            return FALSE;
        opts.jobs = (guint)jobs;
    }
    if (!self || !store) {
        if (error && !*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot find this program's path");
        return FALSE;
    }
    d.last = g_new0(char *, json_array_size(cells) + 1);
    ok = ami_test_run(store, spec, cells, &opts, error);
    g_strfreev(d.last);
    if (!ok)
        return FALSE;
    report = make_report(o, spec, cells, started,
                         (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC, &failed);
    return write_reports(o, report, error) && summarise(cli, cells, failed, error);
}

gboolean
cmd_test(Cli *cli, int argc, char **argv, GError **error)
{
    TestOptions o = {0};
    const ArgSpec specs[] = {
        {"spec", ARG_STRING, &o.spec, "FILE", "the test spec (YAML or JSON, docs/test.md)", TRUE},
        {"image-id", ARG_STRING, &o.image_id, "ami-…", "test one image with the default matrix (no spec)"},
        {"component", ARG_LIST, &o.components, "FILE", "with --image-id: component documents to run (AWSTOE)"},
        {"phases", ARG_STRING, &o.phases, "LIST", "with --image-id: the documents' phases (run's --phases)"},
        {"jobs", ARG_STRING, &o.jobs, "N", "cells that run at once (default: the number of cores)"},
        {"timeout", ARG_STRING, &o.timeout, "SECONDS", "each cell's timeout (overrides the spec's)"},
        {"retries", ARG_STRING, &o.retries, "N", "reruns of a failed cell (overrides the spec's); a pass on a rerun is flaky"},
        {"accel", ARG_STRING, &o.accel, "auto|kvm|tcg", "each cell's accelerator (run's --accel)"},
        {"junit", ARG_STRING, &o.junit, "FILE", "write a JUnit XML report"},
        {"json", ARG_STRING, &o.json, "FILE", "write the JSON report"},
        {"html", ARG_STRING, &o.html, "FILE", "write a self-contained HTML report with boot timelines"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) spec = NULL;
    g_autoptr(json_t) images = NULL;
    g_autoptr(json_t) cells = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Boot a matrix of AMIs and instance settings; report JUnit, JSON, HTML.",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(spec = load_spec(&o, error)) || !check_inputs(&o, spec, error) ||
        !(images = resolve_images(cli, spec, error)) ||
        !(cells = ami_spec_expand(spec, images, error)))
        goto out;
    ok = run_matrix(cli, &o, spec, cells, error);
out:
    cli_args_free(specs);
    return ok;
}
