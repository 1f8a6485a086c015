/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/shorthand.c against awscli/shorthand.py: fixed cases (expected values are what
 * the AWS CLI's ShorthandParser returns), then 20,000 random inputs compared with the
 * real parser through tests/unit/shorthand-oracle.py where the awscli package is here.
 */
#include <string.h>

#include <gio/gio.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/shorthand.h"
#include "test-util.h"

static void
check(const char *text, const char *want_json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) got = ami_shorthand_parse(text, &error);
    g_autoptr(json_t) want = parse_json(want_json);

    if (!got)
        fail_msg("'%s': %s", text, error->message);
    if (!json_equal(got, want)) {
        g_autofree char *s = json_dumps(got, JSON_COMPACT);
        fail_msg("'%s' gave %s, want %s", text, s, want_json);
    }
}

static void
check_error(const char *text, const char *want_message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) got = ami_shorthand_parse(text, &error);

    if (got)
        fail_msg("'%s' was accepted", text);
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    if (!strstr(error->message, want_message))
        fail_msg("'%s': '%s' lacks '%s'", text, error->message, want_message);
    assert_null(strchr(error->message, '\n'));
}

static void
test_shorthand_keys_values_and_lists(void **state)
{
    (void)state;
    check("Key=k,Value=v", "{\"Key\":\"k\",\"Value\":\"v\"}");
    check("a=b,c", "{\"a\":[\"b\",\"c\"]}");
    check("Name=n,Values=a,b,c", "{\"Name\":\"n\",\"Values\":[\"a\",\"b\",\"c\"]}");
    check("a=", "{\"a\":\"\"}");
    check("a= b ,c=d", "{\"a\":\"b\",\"c\":\"d\"}");
}

static void
test_shorthand_csv_list_backtracks_before_a_key(void **state)
{
    (void)state;
    check("a=b,c,d=e", "{\"a\":[\"b\",\"c\"],\"d\":\"e\"}");
}

static void
test_shorthand_explicit_lists_and_hashes(void **state)
{
    (void)state;
    check("a=[x,y],b={c=1,d=[2]}", "{\"a\":[\"x\",\"y\"],\"b\":{\"c\":\"1\",\"d\":[\"2\"]}}");
    check("a=[]", "{\"a\":[]}");
    check("a=[,]", "{\"a\":[\"\"]}");
    check("a={b=1,b=2}", "{\"a\":{\"b\":\"2\"}}");
}

static void
test_shorthand_quotes_and_escaped_commas(void **state)
{
    (void)state;
    check("a='q,r'", "{\"a\":\"q,r\"}");
    check("a=\"x\\\"y\"", "{\"a\":\"x\\\"y\"}");
    check("a='x\\'y'", "{\"a\":\"x'y\"}");
    check("a=b\\,c", "{\"a\":\"b,c\"}");
    check("a=t\xc3\xa9", "{\"a\":\"t\xc3\xa9\"}");
}

static void
test_shorthand_errors_name_the_column(void **state)
{
    (void)state;
    check_error("a=[b,", "expected ',', received the end at column 6");
    check_error("a=b,a=c", "second instance of key 'a' at column 5");
    check_error("a", "expected '=', received the end at column 2");
    check_error("a=b,", "at column 5");
    check_error("a=[x] ", "expected ',', received the end at column 7");
    check_error("a@=file://x", "'@=' (a value read from a file) is not supported, at column 2");
    check_error("a='open", "no closing quote at column 3");
    check_error("a=\xff", "not UTF-8 at column 3");
}

static void
test_shorthand_matches_the_aws_cli_parser(void **state)
{
    const char *argv[] = {"/usr/bin/python3", AMI_RUN_TEST_DATA "/../unit/shorthand-oracle.py",
                          "1", "20000", NULL};
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GBytes) out = NULL;
    const char *c, *end;
    gsize len;
    guint n = 0;

    (void)state;
    if (g_file_test(argv[0], G_FILE_TEST_IS_EXECUTABLE))
        p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
    if (!p || !g_subprocess_communicate(p, NULL, NULL, &out, NULL, NULL) ||
        !g_subprocess_get_successful(p)) {
        test_skip_part("test-shorthand", "the awscli package (the AWS CLI's shorthand parser, "
                                         "the oracle) is not installed");
        return;
    }
    c = g_bytes_get_data(out, &len);
    end = c + len;
    while (c < end) {
        const char *input = c;
        const char *result = input + strlen(input) + 1;
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) got = ami_shorthand_parse(input, &error);

        assert_true(result < end);
        c = result + strlen(result) + 1;
        n++;
        if (strcmp(result, "ERR") == 0) {
            if (got)
                fail_msg("'%s' was accepted; the AWS CLI refuses it", input);
        } else {
            g_autoptr(json_t) want = parse_json(result);

            if (!got)
                fail_msg("'%s': %s; the AWS CLI gives %s", input, error->message, result);
            if (!json_equal(got, want))
                fail_msg("'%s' differs from the AWS CLI's %s", input, result);
        }
    }
    assert_int_equal(n, 20000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shorthand_keys_values_and_lists),
        cmocka_unit_test(test_shorthand_csv_list_backtracks_before_a_key),
        cmocka_unit_test(test_shorthand_explicit_lists_and_hashes),
        cmocka_unit_test(test_shorthand_quotes_and_escaped_commas),
        cmocka_unit_test(test_shorthand_errors_name_the_column),
        cmocka_unit_test(test_shorthand_matches_the_aws_cli_parser),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
