/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JUnit XML of `ami-run test` (docs/test.md).  There is no official schema; this follows
 * what GitLab reads (testcase classname shown as the suite, failure text in the element
 * body, duplicate names dropped: classname + name are unique here) and Maven Surefire's
 * flakyFailure for attempts that failed before a pass (testmoapp/junitxml, Surefire).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/report.h"

#define CONSOLE_MAX (1024 * 1024) /* the tail of the console kept in system-out */

void
ami_report_escape(GString *out, const char *s, gssize len)
{
    g_autofree char *valid = g_utf8_make_valid(s ? s : "", s ? len : 0);

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        switch (c) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\t':
        case '\n': g_string_append_c(out, (char)c); break;
        case '\r': break; /* serial consoles end lines with CR LF */
        default:
            if (c < 0x20 || c == 0x7f)
                g_string_append_unichar(out, c == 0x7f ? 0x2421 : 0x2400 + c);
            else if (c == 0xFFFE || c == 0xFFFF)
                g_string_append_unichar(out, 0xFFFD);
            else
                g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
    }
}

static void
attr(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, " %s=\"", name);
    ami_report_escape(out, value ? value : "", -1);
    g_string_append_c(out, '"');
}

static const json_t *
last_attempt(const json_t *cell)
{
    const json_t *a = json_object_get(cell, "Attempts");

    return json_array_get(a, json_array_size(a) ? json_array_size(a) - 1 : 0);
}

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void
property(GString *out, const char *name, const json_t *value)
{
    g_autofree char *text = NULL;

    if (!value || json_is_null(value))
        return;
    text = json_is_string(value) ? g_strdup(json_string_value(value))
                                 : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    g_string_append(out, "      <property");
    attr(out, "name", name);
    attr(out, "value", text);
    g_string_append(out, "/>\n");
}

static void
counts(const json_t *checks, guint *tests, guint *failures, guint *errors, guint *skipped)
{
    size_t i;
    json_t *c;

    json_array_foreach (checks, i, c) {
        const char *status = str(c, "Status");

        (*tests)++;
        if (g_strcmp0(status, "skipped") == 0)
            (*skipped)++;
        else if (g_strcmp0(status, "failed") == 0 && g_strcmp0(str(c, "Type"), "run-error") == 0)
            (*errors)++;
        else if (g_strcmp0(status, "failed") == 0)
            (*failures)++;
    }
}

static void
flaky_failures(GString *out, const json_t *cell)
{
    const json_t *attempts = json_object_get(cell, "Attempts");

    for (size_t i = 0; i + 1 < json_array_size(attempts); i++) {
        const json_t *boot = json_array_get(json_object_get(json_array_get(attempts, i), "Checks"), 0);
        size_t k;
        json_t *c;

        json_array_foreach (json_object_get(json_array_get(attempts, i), "Checks"), k, c) {
            if (g_strcmp0(str(c, "Status"), "failed") == 0) {
                boot = c;
                break;
            }
        }
        g_string_append(out, "      <flakyFailure");
        attr(out, "type", str(boot, "Type") ? str(boot, "Type") : "failure");
        attr(out, "message", str(boot, "Message"));
        g_string_append_printf(out, ">attempt %zu: ", i + 1);
        ami_report_escape(out, str(boot, "Name"), -1);
        g_string_append(out, "</flakyFailure>\n");
    }
}

static void
testcase(GString *out, const json_t *cell, const json_t *attempt, const json_t *c)
{
    const char *status = str(c, "Status");
    gboolean boot = g_strcmp0(str(c, "Kind"), "boot") == 0;
    double secs = boot ? json_number_value(json_object_get(attempt, "Seconds"))
                       : json_number_value(json_object_get(c, "Seconds"));

    g_string_append(out, "    <testcase");
    attr(out, "classname", str(cell, "Name"));
    attr(out, "name", str(c, "Name"));
    g_string_append_printf(out, " time=\"%.3f\">\n", secs);
    if (g_strcmp0(status, "failed") == 0) {
        const char *el = g_strcmp0(str(c, "Type"), "run-error") == 0 ? "error" : "failure";

        g_string_append_printf(out, "      <%s", el);
        attr(out, "type", str(c, "Type") ? str(c, "Type") : "failure");
        attr(out, "message", str(c, "Message"));
        g_string_append_c(out, '>');
        ami_report_escape(out, str(c, "Message"), -1);
        if (json_is_integer(json_object_get(c, "Line")))
            g_string_append_printf(out, " (console line %" JSON_INTEGER_FORMAT ")",
                                   json_integer_value(json_object_get(c, "Line")));
        g_string_append_printf(out, "</%s>\n", el);
    } else if (g_strcmp0(status, "skipped") == 0) {
        g_string_append(out, "      <skipped/>\n");
    }
    if (boot && g_strcmp0(str(cell, "Status"), "flaky") == 0)
        flaky_failures(out, cell);
    if (boot && str(attempt, "ConsoleText")) {
        const char *text = str(attempt, "ConsoleText");
        gsize len = strlen(text);
        gsize from = len > CONSOLE_MAX ? len - CONSOLE_MAX : 0;

        g_string_append(out, "      <system-out>");
        ami_report_escape(out, text + from, (gssize)(len - from));
        g_string_append(out, "</system-out>\n");
    }
    g_string_append(out, "    </testcase>\n");
}

static void
testsuite(GString *out, const json_t *report, const json_t *cell)
{
    const json_t *attempt = last_attempt(cell);
    const json_t *checks = json_object_get(attempt, "Checks");
    guint tests = 0, failures = 0, errors = 0, skipped = 0;
    size_t i;
    json_t *c;

    counts(checks, &tests, &failures, &errors, &skipped);
    g_string_append(out, "  <testsuite");
    attr(out, "name", str(cell, "Name"));
    g_string_append_printf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\"",
                           tests, failures, errors, skipped);
    g_string_append_printf(out, " time=\"%.3f\"",
                           json_number_value(json_object_get(attempt, "Seconds")));
    if (str(report, "Started"))
        attr(out, "timestamp", str(report, "Started"));
    g_string_append(out, ">\n    <properties>\n");
    property(out, "cell", json_object_get(cell, "Id"));
    property(out, "status", json_object_get(cell, "Status"));
    property(out, "image-id", json_object_get(cell, "ImageId"));
    property(out, "image-name", json_object_get(cell, "ImageName"));
    property(out, "architecture", json_object_get(cell, "Architecture"));
    property(out, "instance-type", json_object_get(cell, "InstanceType"));
    property(out, "boot-mode", json_object_get(cell, "BootMode"));
    property(out, "disk-bus", json_object_get(cell, "DiskBus"));
    property(out, "user-data", json_object_get(json_object_get(cell, "UserData"), "Name"));
    property(out, "metadata-options",
             json_object_get(json_object_get(cell, "MetadataOptions"), "Name"));
    {
        g_autoptr(json_t) n = json_integer((json_int_t)json_array_size(json_object_get(cell, "Attempts")));

        property(out, "attempts", n);
    }
    property(out, "instance-id", json_object_get(attempt, "InstanceId"));
    property(out, "console", json_object_get(attempt, "Console"));
    g_string_append(out, "    </properties>\n");
    json_array_foreach (checks, i, c)
        testcase(out, cell, attempt, c);
    g_string_append(out, "  </testsuite>\n");
}

char *
ami_report_junit(const json_t *report)
{
    GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    guint tests = 0, failures = 0, errors = 0, skipped = 0;
    size_t i;
    json_t *cell;

    json_array_foreach (json_object_get(report, "Cells"), i, cell)
        counts(json_object_get(last_attempt(cell), "Checks"), &tests, &failures, &errors, &skipped);
    g_string_append(out, "<testsuites");
    attr(out, "name", str(report, "Name"));
    g_string_append_printf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
                                "time=\"%.3f\">\n",
                           tests, failures, errors, skipped,
                           json_number_value(json_object_get(report, "Seconds")));
    json_array_foreach (json_object_get(report, "Cells"), i, cell)
        testsuite(out, report, cell);
    g_string_append(out, "</testsuites>\n");
    return g_string_free(out, FALSE);
}
