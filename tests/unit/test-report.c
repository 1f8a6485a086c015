/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/report-junit.c, core/report-html.c and core/timeline.c: goldens from the fixture
 * report tests/data/test/report.json (a passed cell with a full C1 Timing, a flaky one,
 * a failed one whose console has escapes and markup characters).  Review an intended
 * change with AMI_RUN_REGENERATE=1 (it writes the goldens and fails), then the diff.
 */
#include "test-util.h"

#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/report.h"
#include "ami-run/timeline.h"

static json_t *
load(const char *name)
{
    g_autofree char *path = g_strdup_printf("%s/test/%s", AMI_RUN_TEST_DATA, name);
    json_error_t e;
    json_t *v = json_load_file(path, 0, &e);

    if (!v)
        fail_msg("%s: %s", path, e.text);
    return v;
}

static void
golden(const char *name, const char *text)
{
    g_autofree char *path = g_strdup_printf("%s/test/%s", AMI_RUN_TEST_DATA, name);
    g_autofree char *want = NULL;

    if (g_getenv("AMI_RUN_REGENERATE")) {
        assert_true(g_file_set_contents(path, text, -1, NULL));
        fail_msg("%s regenerated: review the diff, then run again", path);
    }
    if (!g_file_get_contents(path, &want, NULL, NULL))
        fail_msg("%s is missing (AMI_RUN_REGENERATE=1 writes it)", path);
    if (strcmp(text, want) != 0)
        fail_msg("output differs from %s:\n%s", path, text);
}

static void
test_junit_golden_and_valid(void **state)
{
    g_autoptr(json_t) report = load("report.json");
    g_autofree char *xml = ami_report_junit(report);
    g_autofree char *xmllint = g_find_program_in_path("xmllint");

    (void)state;
    golden("report.xml", xml);
    /* XML 1.0 allows no C0 control but tab, LF, CR: the console's ESC must not be there. */
    assert_null(strchr(xml, '\x1b'));
    assert_non_null(strstr(xml, "<flakyFailure type=\"timeout-stalled\""));
    if (!xmllint) {
        test_skip_part("test-report", "xmllint not found (libxml2-utils): JUnit not validated");
        return;
    }
    {
        g_autofree char *xsd = g_strdup_printf("%s/test/junit.xsd", AMI_RUN_TEST_DATA);
        g_autofree char *path = g_strdup_printf("%s/test/report.xml", AMI_RUN_TEST_DATA);
        const char *argv[] = {xmllint, "--noout", "--schema", xsd, path, NULL};
        g_autofree char *err = NULL;
        int status = 0;

        assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, &err, &status, NULL));
        if (!g_spawn_check_wait_status(status, NULL))
            fail_msg("report.xml does not validate against junit.xsd: %s", err);
    }
}

static void
test_html_golden_self_contained(void **state)
{
    g_autoptr(json_t) report = load("report.json");
    g_autofree char *html = ami_report_html(report);

    (void)state;
    golden("report.html", html);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href=\"http"));
    /* The panic's match links to its console line, which has that id. */
    assert_non_null(strstr(html, "href=\"#c3-l3\""));
    assert_non_null(strstr(html, "<span id=\"c3-l3\">[    3.9] Kernel panic"));
    assert_non_null(strstr(html, "&lt;&amp;&gt;"));
    assert_null(strchr(html, '\x1b'));
}

static void
test_timeline_golden(void **state)
{
    g_autoptr(json_t) timing = load("timing.json");
    g_autoptr(GError) error = NULL;
    g_autofree char *svg = ami_timeline_svg(timing, &error);

    (void)state;
    assert_non_null(svg);
    golden("timeline.svg", svg);
    assert_true(g_str_has_prefix(svg, "<svg class=\"timeline\""));
    assert_non_null(strstr(svg, "<g class=\"phase\" data-name=\"first-console-byte\">"));
    assert_non_null(strstr(svg, "<g class=\"stage\" data-name=\"cloud-init-final\">"));
}

static void
test_timeline_counts_and_refusals(void **state)
{
    g_autoptr(json_t) timing = load("timing.json");
    g_autofree char *svg = ami_timeline_svg(timing, NULL);
    g_autofree char *empty = ami_timeline_svg(NULL, NULL);
    g_autoptr(json_t) bad = parse_json("{\"Phases\": [{\"Name\": \"plan\", \"Seconds\": -1}]}");
    g_autoptr(json_t) noname = parse_json("{\"Stages\": [{\"Seconds\": 1}]}");
    g_autoptr(GError) error = NULL;
    guint phases = 0, stages = 0;

    (void)state;
    for (const char *p = svg; (p = strstr(p, "<g class=\"phase\"")); p++)
        phases++;
    for (const char *p = svg; (p = strstr(p, "<g class=\"stage\"")); p++)
        stages++;
    assert_int_equal(phases, 8);
    assert_int_equal(stages, 7);
    assert_non_null(strstr(empty, "no timing recorded"));
    assert_null(ami_timeline_svg(bad, &error));
    assert_error_contains(error, "Timing.Phases[0] needs a Name and Seconds");
    g_clear_error(&error);
    assert_null(ami_timeline_svg(noname, &error));
    assert_error_contains(error, "Timing.Stages[0]");
}

static void
test_escape_makes_xml_text(void **state)
{
    g_autoptr(GString) out = g_string_new(NULL);

    (void)state;
    ami_report_escape(out, "a<b>&\"\x1b[0m\r\t\n\xff\x7f", -1);
    assert_string_equal(out->str, "a&lt;b&gt;&amp;&quot;\xe2\x90\x9b[0m\t\n\xef\xbf\xbd\xe2\x90\xa1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_junit_golden_and_valid),
        cmocka_unit_test(test_html_golden_self_contained),
        cmocka_unit_test(test_timeline_golden),
        cmocka_unit_test(test_timeline_counts_and_refusals),
        cmocka_unit_test(test_escape_makes_xml_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
