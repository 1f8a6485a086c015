/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The HTML report of `ami-run test` (docs/test.md): one self-contained page, readable
 * offline and attachable to a CI job: inline CSS, inline SVG, no script, no external
 * reference.  Console lines carry ids ("c1-l42") so that every match links to its line.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/report.h"
#include "ami-run/spec.h"
#include "ami-run/timeline.h"

static const char CSS[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table.matrix{border-collapse:collapse}"
    "table.matrix td,table.matrix th{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
    ".passed .status,.check.passed{color:#17692a}.failed .status,.check.failed{color:#a31515}"
    ".flaky .status{color:#9a6700}.check.skipped{color:#777}"
    "section.cell{border-top:2px solid #ccc;margin-top:1.5em}"
    "pre.console{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:12px}"
    "pre.console span:target{background:#ffe58a}"
    "svg.timeline text{fill:#222}";

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void
text(GString *out, const char *s)
{
    ami_report_escape(out, s ? s : "", -1);
}

static void
td(GString *out, const char *s)
{
    g_string_append(out, "<td>");
    text(out, s ? s : "–");
    g_string_append(out, "</td>");
}

static const json_t *
last_attempt(const json_t *cell)
{
    const json_t *a = json_object_get(cell, "Attempts");

    return json_array_get(a, json_array_size(a) ? json_array_size(a) - 1 : 0);
}

static const char *
verdict_text(const json_t *attempt)
{
    const json_t *boot = json_array_get(json_object_get(attempt, "Checks"), 0);

    return str(boot, "Type") ? str(boot, "Type")
           : str(json_object_get(attempt, "Verdict"), "Outcome")
               ? str(json_object_get(attempt, "Verdict"), "Outcome")
               : str(boot, "Status");
}

static void
matrix(GString *out, const json_t *cells)
{
    size_t i;
    json_t *cell;

    g_string_append(out, "<table class=\"matrix\" id=\"matrix\">\n<tr><th>cell</th><th>image</th>"
                         "<th>instance type</th><th>boot mode</th><th>disk bus</th>"
                         "<th>user data</th><th>metadata options</th><th>status</th>"
                         "<th>verdict</th><th>attempts</th></tr>\n");
    json_array_foreach (cells, i, cell) {
        const json_t *a = last_attempt(cell);

        g_string_append_printf(out, "<tr class=\"cell-row %s\" data-cell=\"", str(cell, "Status"));
        text(out, str(cell, "Id"));
        g_string_append(out, "\"><td><a href=\"#");
        text(out, str(cell, "Id"));
        g_string_append(out, "\">");
        text(out, str(cell, "Id"));
        g_string_append(out, "</a></td>");
        td(out, str(cell, "ImageName") ? str(cell, "ImageName") : str(cell, "ImageId"));
        td(out, str(cell, "InstanceType"));
        td(out, str(cell, "BootMode"));
        td(out, str(cell, "DiskBus"));
        td(out, str(json_object_get(cell, "UserData"), "Name"));
        td(out, str(json_object_get(cell, "MetadataOptions"), "Name"));
        g_string_append(out, "<td class=\"status\">");
        text(out, str(cell, "Status"));
        g_string_append(out, "</td>");
        td(out, verdict_text(a));
        g_string_append_printf(out, "<td>%zu</td></tr>\n",
                               json_array_size(json_object_get(cell, "Attempts")));
    }
    g_string_append(out, "</table>\n");
}

static void
line_link(GString *out, const char *id, const json_t *line)
{
    if (!json_is_integer(line))
        return;
    g_string_append(out, " <a class=\"console-link\" href=\"#");
    text(out, id);
    g_string_append_printf(out, "-l%" JSON_INTEGER_FORMAT "\">console line %" JSON_INTEGER_FORMAT
                                "</a>",
                           json_integer_value(line), json_integer_value(line));
}

static void
checks(GString *out, const char *id, const json_t *list)
{
    size_t i;
    json_t *c;

    g_string_append(out, "<h3>Checks</h3>\n<ul class=\"checks\">\n");
    json_array_foreach (list, i, c) {
        g_string_append_printf(out, "<li class=\"check %s\">", str(c, "Status"));
        text(out, str(c, "Name"));
        g_string_append(out, ": ");
        text(out, str(c, "Status"));
        if (str(c, "Type")) {
            g_string_append(out, " (");
            text(out, str(c, "Type"));
            g_string_append(out, ")");
        }
        if (str(c, "Message")) {
            g_string_append(out, " — <q>");
            text(out, str(c, "Message"));
            g_string_append(out, "</q>");
        }
        line_link(out, id, json_object_get(c, "Line"));
        g_string_append(out, "</li>\n");
    }
    g_string_append(out, "</ul>\n");
}

/* The verdict's matches, each linked to the line its console offset falls on. */
static void
matches(GString *out, const char *id, const json_t *attempt)
{
    const json_t *list = json_object_get(json_object_get(attempt, "Verdict"), "Matches");
    const char *console = str(attempt, "ConsoleText");
    size_t i;
    json_t *m;

    if (!json_array_size(list))
        return;
    g_string_append(out, "<h3>Console matches</h3>\n<ul class=\"matches\">\n");
    json_array_foreach (list, i, m) {
        g_autoptr(json_t) line = NULL;

        if (json_is_integer(json_object_get(m, "Offset")) && console)
            line = json_integer(ami_spec_line_of(
                console, (gsize)json_integer_value(json_object_get(m, "Offset"))));
        g_string_append_printf(out, "<li class=\"match\">%s ",
                               json_is_true(json_object_get(m, "Recorded")) ? "recorded" : "fatal");
        text(out, str(m, "Class"));
        g_string_append_printf(out, " at %.1f s: <q>", json_number_value(json_object_get(m, "Seconds")));
        text(out, str(m, "Line"));
        g_string_append(out, "</q>");
        line_link(out, id, line);
        g_string_append(out, "</li>\n");
    }
    g_string_append(out, "</ul>\n");
}

static void
console(GString *out, const char *id, const json_t *attempt, gboolean open)
{
    const char *s = str(attempt, "ConsoleText");
    guint n = 1;

    if (!s)
        return;
    g_string_append_printf(out, "<details class=\"console\"%s><summary>Console</summary>"
                                "<pre class=\"console\">",
                           open ? " open" : "");
    while (*s) {
        const char *eol = strchr(s, '\n');
        gsize len = eol ? (gsize)(eol - s) : strlen(s);

        g_string_append(out, "<span id=\"");
        text(out, id);
        g_string_append_printf(out, "-l%u\">", n++);
        ami_report_escape(out, s, (gssize)len);
        g_string_append(out, "</span>\n");
        s += len + (eol ? 1 : 0);
    }
    g_string_append(out, "</pre></details>\n");
}

/* Attempts before the last: a flaky cell's failures are shown, never hidden. */
static void
earlier_attempts(GString *out, const json_t *cell)
{
    const json_t *attempts = json_object_get(cell, "Attempts");

    if (json_array_size(attempts) < 2)
        return;
    g_string_append(out, "<h3>Earlier attempts</h3>\n<ul class=\"attempts\">\n");
    for (size_t i = 0; i + 1 < json_array_size(attempts); i++) {
        const json_t *a = json_array_get(attempts, i);

        g_string_append_printf(out, "<li class=\"attempt\">attempt %zu: ", i + 1);
        text(out, verdict_text(a));
        g_string_append_printf(out, " after %.1f s", json_number_value(json_object_get(a, "Seconds")));
        if (str(a, "InstanceId")) {
            g_string_append(out, ", instance ");
            text(out, str(a, "InstanceId"));
        }
        g_string_append(out, "</li>\n");
    }
    g_string_append(out, "</ul>\n");
}

static void
cell_section(GString *out, const json_t *cell)
{
    const json_t *a = last_attempt(cell);
    const char *id = str(cell, "Id");
    g_autofree char *svg = ami_timeline_svg(json_object_get(a, "Timing"), NULL);

    g_string_append_printf(out, "<section class=\"cell %s\" id=\"", str(cell, "Status"));
    text(out, id);
    g_string_append(out, "\" data-status=\"");
    text(out, str(cell, "Status"));
    g_string_append(out, "\">\n<h2>");
    text(out, str(cell, "Name"));
    g_string_append(out, ": <span class=\"status\">");
    text(out, str(cell, "Status"));
    g_string_append(out, "</span></h2>\n<p class=\"verdict\">");
    text(out, verdict_text(a));
    if (str(json_object_get(a, "Verdict"), "Line")) {
        g_string_append(out, ": <q>");
        text(out, str(json_object_get(a, "Verdict"), "Line"));
        g_string_append(out, "</q>");
    }
    g_string_append_printf(out, " after %.1f s", json_number_value(json_object_get(a, "Seconds")));
    if (str(a, "InstanceId")) {
        g_string_append(out, ", instance ");
        text(out, str(a, "InstanceId"));
    }
    g_string_append_printf(out, ", attempt %zu</p>\n", json_array_size(json_object_get(cell, "Attempts")));
    checks(out, id, json_object_get(a, "Checks"));
    earlier_attempts(out, cell);
    matches(out, id, a);
    g_string_append(out, "<h3>Boot timeline</h3>\n");
    g_string_append(out, svg ? svg : "<p>timing unreadable</p>\n");
    console(out, id, a, g_strcmp0(str(cell, "Status"), "passed") != 0);
    g_string_append(out, "</section>\n");
}

char *
ami_report_html(const json_t *report)
{
    GString *out = g_string_new("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    const json_t *sum = json_object_get(report, "Summary");
    size_t i;
    json_t *cell;

    text(out, str(report, "Name"));
    g_string_append_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", CSS);
    text(out, str(report, "Name"));
    g_string_append(out, "</h1>\n<p class=\"summary\">");
    g_string_append_printf(out, "%" JSON_INTEGER_FORMAT " cells: %" JSON_INTEGER_FORMAT
                                " passed, %" JSON_INTEGER_FORMAT " flaky, %" JSON_INTEGER_FORMAT
                                " failed",
                           json_integer_value(json_object_get(sum, "Cells")),
                           json_integer_value(json_object_get(sum, "Passed")),
                           json_integer_value(json_object_get(sum, "Flaky")),
                           json_integer_value(json_object_get(sum, "Failed")));
    if (str(report, "Started")) {
        g_string_append(out, ", started ");
        text(out, str(report, "Started"));
    }
    g_string_append_printf(out, ", %.1f s</p>\n", json_number_value(json_object_get(report, "Seconds")));
    matrix(out, json_object_get(report, "Cells"));
    json_array_foreach (json_object_get(report, "Cells"), i, cell)
        cell_section(out, cell);
    g_string_append(out, "</body>\n</html>\n");
    return g_string_free(out, FALSE);
}
