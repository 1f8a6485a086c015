/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/format.c and format-table.c: --output text and table as awscli/text.py and
 * table.py write them (every expected string is what aws-cli 2.9 printed for that JSON).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/format.h"
#include "test-util.h"

static void
check_text(const char *json, const char *want)
{
    g_autoptr(json_t) v = json_loads(json, JSON_DECODE_ANY, NULL);
    g_autofree char *got = NULL;

    assert_non_null(v);
    got = ami_format_text(v);
    if (strcmp(got, want) != 0)
        fail_msg("text of %s:\n got '%s'\nwant '%s'", json, got, want);
}

static void
test_format_text_scalars_print_as_python(void **state)
{
    (void)state;
    check_text("\"ami-1\"", "ami-1\n");
    check_text("null", "None\n");
    check_text("true", "True\n");
    check_text("[false, 8, -3]", "False\t8\t-3\n");
}

static void
test_format_text_floats_are_python_repr(void **state)
{
    (void)state;
    check_text("[100.0, 1.5, 0.1, 1e16, 1e15, 0.0001, 1e-05, 1e22, -2.5e-07]",
               "100.0\t1.5\t0.1\t1e+16\t1000000000000000.0\t0.0001\t1e-05\t1e+22\t-2.5e-07\n");
}

static void
test_format_text_named_scalar_list_is_a_line_each(void **state)
{
    (void)state;
    /* Failed before: the old formatter printed "GROUPS\ta\tb" on one line. */
    check_text("{\"Groups\": [\"a\", \"b\"]}", "GROUPS\ta\nGROUPS\tb\n");
}

static void
test_format_text_list_of_objects_uses_the_union_of_keys(void **state)
{
    (void)state;
    /* Failed before: each object printed only its own keys. */
    check_text("{\"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}, {\"Key\": \"b\"}]}",
               "TAGS\ta\t1\nTAGS\tb\t\n");
}

static void
test_format_text_lists_of_lists_are_rows(void **state)
{
    (void)state;
    check_text("[[\"ami-1\", \"one\"], [\"ami-2\", null]]", "ami-1\tone\nami-2\tNone\n");
    check_text("[1, [2, 3], [4]]", "1\n2\t3\n4\n");
    check_text("[]", "");
    check_text("{}", "");
}

static void
test_format_text_objects_sort_keys_and_nest(void **state)
{
    (void)state;
    check_text("{\"b\": 2, \"a\": 1, \"c\": {\"z\": true, \"y\": [1, 2]}}",
               "1\t2\nC\tTrue\nY\t1\nY\t2\n");
}

static void
check_table(const char *json, const char *want)
{
    g_autoptr(json_t) v = json_loads(json, JSON_DECODE_ANY, NULL);
    g_autofree char *got = NULL;

    assert_non_null(v);
    got = ami_format_table("T", v, 80);
    if (strcmp(got, want) != 0)
        fail_msg("table of %s:\n got:\n%s\nwant:\n%s", json, got, want);
}

static void
test_format_table_scalars_and_lists(void **state)
{
    (void)state;
    check_table("\"ami-1\"", "---\n|T|\n+-+\n");
    check_table("[\"ami-1\",\"ami-2\"]", "-----------\n"
                                          "|    T    |\n"
                                          "+---------+\n"
                                          "|  ami-1  |\n"
                                          "|  ami-2  |\n"
                                          "+---------+\n");
    check_table("[[\"ami-1\",\"one\"],[\"ami-2\",null]]", "-------------------\n"
                                                          "|        T        |\n"
                                                          "+--------+--------+\n"
                                                          "|  ami-1 |  one   |\n"
                                                          "|  ami-2 |  None  |\n"
                                                          "+--------+--------+\n");
}

static void
test_format_table_false_values_print_nothing(void **state)
{
    (void)state;
    check_table("null", "");
    check_table("[]", "");
    check_table("{}", "");
    check_table("0", "");
    check_table("\"\"", "");
}

static void
test_format_table_objects_nest_in_boxes(void **state)
{
    (void)state;
    check_table("{\"Images\":[{\"ImageId\":\"ami-1\",\"Name\":\"a\"},{\"ImageId\":\"ami-2\",\"Name\":\"b\"}]}",
                "-----------------------\n"
                "|          T          |\n"
                "+---------------------+\n"
                "||      Images       ||\n"
                "|+----------+--------+|\n"
                "||  ImageId | Name   ||\n"
                "|+----------+--------+|\n"
                "||  ami-1   |  a     ||\n"
                "||  ami-2   |  b     ||\n"
                "|+----------+--------+|\n");
    check_table("{\"K\":\"v\"}", "------------\n"
                                 "|     T    |\n"
                                 "+----+-----+\n"
                                 "|  K |  v  |\n"
                                 "+----+-----+\n");
}

static void
test_format_table_wider_than_the_terminal_turns_vertical(void **state)
{
    (void)state;
    /* 88 columns side by side: the one-row section becomes name/value rows. */
    check_table("{\"Wide\":[{\"A\":\"0123456789012345678901234567890\","
                "\"B\":\"0123456789012345678901234567890\",\"C\":\"0123456789\"}]}",
                "--------------------------------------------\n"
                "|                     T                    |\n"
                "+------------------------------------------+\n"
                "||                  Wide                  ||\n"
                "|+---+------------------------------------+|\n"
                "||  A|  0123456789012345678901234567890   ||\n"
                "||  B|  0123456789012345678901234567890   ||\n"
                "||  C|  0123456789                        ||\n"
                "|+---+------------------------------------+|\n");
}

static void
test_format_table_without_a_title(void **state)
{
    g_autoptr(json_t) v = json_pack("[s]", "a");
    g_autofree char *got = ami_format_table(NULL, v, 80);

    (void)state;
    /* Failed before (clang-tidy found it): rows went to a section that did not exist. */
    assert_string_equal(got, "-------\n+-----+\n|  a  |\n+-----+\n");
}

static void
test_format_operation_name_is_camel_case(void **state)
{
    g_autofree char *a = ami_format_operation_name("describe-images");
    g_autofree char *b = ami_format_operation_name("run");

    (void)state;
    assert_string_equal(a, "DescribeImages");
    assert_string_equal(b, "Run");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_text_scalars_print_as_python),
        cmocka_unit_test(test_format_text_floats_are_python_repr),
        cmocka_unit_test(test_format_text_named_scalar_list_is_a_line_each),
        cmocka_unit_test(test_format_text_list_of_objects_uses_the_union_of_keys),
        cmocka_unit_test(test_format_text_lists_of_lists_are_rows),
        cmocka_unit_test(test_format_text_objects_sort_keys_and_nest),
        cmocka_unit_test(test_format_table_scalars_and_lists),
        cmocka_unit_test(test_format_table_false_values_print_nothing),
        cmocka_unit_test(test_format_table_objects_nest_in_boxes),
        cmocka_unit_test(test_format_table_wider_than_the_terminal_turns_vertical),
        cmocka_unit_test(test_format_table_without_a_title),
        cmocka_unit_test(test_format_operation_name_is_camel_case),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
