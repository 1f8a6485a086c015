/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core/spec.c: `ami-run test` specs — errors with line:column, the matrix expanded into
 * cells, each cell's run argv, and the checks of a finished attempt. */
#include "test-util.h"

#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/spec.h"

static json_t *
parse(const char *text, GError **error)
{
    return ami_spec_parse(text, strlen(text), "s.yaml", "/specs", error);
}

static void
test_spec_errors_name_line_and_column(void **state)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"", "s.yaml:1:1: the spec is empty"},
        {"- a\n", "s.yaml:1:1: the spec must be a mapping"},
        {"images: [a\n", "s.yaml:2:1: YAML: did not find expected ',' or ']'"},
        {"images: [ami-1]\nfoo: 1\n", "s.yaml:2:1: unknown key 'foo' in the spec (known: name,"},
        {"images: [ami-1]\nimages: [ami-2]\n", "s.yaml:2:1: duplicate key 'images' in the spec"},
        {"name: x\n", "s.yaml:1:1: the spec names no images"},
        {"images: []\n", "s.yaml:1:9: images must not be an empty list"},
        {"images: [ami-1]\nmatrix:\n  boot-modes: [uefi, bios]\n",
         "s.yaml:3:22: boot-modes 'bios' is not one of image, legacy-bios, uefi, uefi-preferred"},
        {"images: [ami-1]\nmatrix:\n  instance-types:\n    - t9.huge\n",
         "s.yaml:4:7: unknown instance type 't9.huge' in instance-types"},
        {"images: [ami-1]\nmatrix:\n  disk-buses: [ide]\n", "s.yaml:3:16: disk-buses 'ide' is not one of"},
        {"images: [ami-1]\nmatrix: {colours: [red]}\n", "s.yaml:2:10: unknown key 'colours' in matrix"},
        {"images: [ami-1]\ntimeout: 0\n", "s.yaml:2:10: timeout must be an integer from 1 to 86400"},
        {"images: [ami-1]\ntimeout: '10'\n", "s.yaml:2:10: timeout must be an integer"},
        {"images: [ami-1]\nretries: 11\n", "s.yaml:2:10: retries must be an integer from 0 to 10"},
        {"images: [ami-1]\nstrict: yes\n", "s.yaml:2:9: strict must be true or false"},
        {"images: [ami-1]\nuntil: boot\n", "s.yaml:2:8: until 'boot' is not one of login,"},
        {"images: [ami-1]\nmust-appear: ['((']\n",
         "s.yaml:2:15: a must-appear marker '((' is not a regular expression"},
        {"images: [{id: ami-1, name: x}]\n", "s.yaml:1:28: an image is given by one of id, name"},
        {"images: [{filters: [{Name: name}]}]\n", "s.yaml:1:21: a filter needs Name and Values"},
        {"images: &a [ami-1]\nsuccess: *a\n", "aliases are not supported in a spec"},
        {"images: [ami-1]\nmatrix:\n  user-data: [{file: a.sh}]\n", "s.yaml:3:15: each user-data needs a name"},
        {"images: [ami-1]\nmatrix:\n  user-data: [{name: a, file: a, text: b}]\n",
         "s.yaml:3:15: a user-data has a file or a text, not both"},
        {"images: [ami-1]\nphases: 'validate, test'\n", "s.yaml:2:9: phases 'validate, test' is not"},
        {"images: [\"ami-\\0\"]\n", "s.yaml:1:10: images contains a NUL byte"},
        {"{\"images\": [\"ami-1\"],\n\t\"matrix\": {\"disk-buses\": [\"ide\"]}}",
         "s.yaml:2:28: disk-buses 'ide' is not one of"},
        {"{\"images\": [\"ami-1\"],", "s.yaml:1:21: JSON: "},
        {"{\"images\": [\"ami-1\"], \"images\": []}", "s.yaml:1:"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) spec = parse(cases[i].text, &error);

        if (spec)
            fail_msg("case %zu parsed: %s", i, cases[i].text);
        assert_int_equal(error->code, AMI_ERROR_INVALID);
        assert_null(strchr(error->message, '\n'));
        if (!g_str_has_prefix(error->message, cases[i].error) && !strstr(error->message, cases[i].error))
            fail_msg("case %zu: '%s' is not '%s…'", i, error->message, cases[i].error);
    }
}

static const char FULL[] =
    "name: golden\n"
    "images:\n"
    "  - ami-0aaaaaaaaaaaaaaaa\n"
    "  - name: arm-image\n"
    "  - filters: [{Name: architecture, Values: [x86_64]}]\n"
    "matrix:\n"
    "  instance-types: [t3.micro, t4g.micro]\n"
    "  boot-modes: [image, uefi]\n"
    "  disk-buses: virtio\n"
    "  user-data:\n"
    "    - {name: script, file: ud/hello.sh}\n"
    "    - {name: inline, text: \"#!/bin/sh\\necho hi\\n\"}\n"
    "  metadata-options:\n"
    "    - {name: v2, value: {HttpTokens: required, HttpPutResponseHopLimit: 2}}\n"
    "until: login\n"
    "success: ['ready$']\n"
    "must-appear: [Linux version]\n"
    "must-not-appear: ['Call Trace']\n"
    "timeout: 90\n"
    "retries: 1\n"
    "strict: false\n"
    "components: [/abs/doc.yaml, rel/doc.yaml]\n"
    "phases: validate,test\n";

static void
test_spec_normalised(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = parse(FULL, &error);
    g_autoptr(json_t) want = parse_json(
        "{\"Name\": \"golden\", \"Images\": [{\"Id\": \"ami-0aaaaaaaaaaaaaaaa\"}, {\"Name\": \"arm-image\"},"
        " {\"Filters\": [{\"Name\": \"architecture\", \"Values\": [\"x86_64\"]}]}],"
        " \"Matrix\": {\"InstanceTypes\": [\"t3.micro\", \"t4g.micro\"], \"BootModes\": [\"image\", \"uefi\"],"
        " \"DiskBuses\": [\"virtio\"], \"UserData\": [{\"Name\": \"script\", \"File\": \"/specs/ud/hello.sh\"},"
        " {\"Name\": \"inline\", \"Text\": \"#!/bin/sh\\necho hi\\n\"}],"
        " \"MetadataOptions\": [{\"Name\": \"v2\", \"Value\": \"{\\\"HttpPutResponseHopLimit\\\":2,\\\"HttpTokens\\\":\\\"required\\\"}\"}]},"
        " \"Until\": \"login\", \"Success\": [\"ready$\"], \"MustAppear\": [\"Linux version\"],"
        " \"MustNotAppear\": [\"Call Trace\"], \"Timeout\": 90, \"Retries\": 1, \"Strict\": false,"
        " \"Components\": [\"/abs/doc.yaml\", \"/specs/rel/doc.yaml\"], \"Phases\": \"validate,test\"}");

    (void)state;
    if (!spec)
        fail_msg("%s", error->message);
    if (!json_equal(spec, want))
        fail_msg("normalised spec: %s", json_dumps(spec, JSON_SORT_KEYS));
}

static void
test_spec_json_is_read_like_yaml(void **state)
{
    const char *text = "{\"images\": [\"ami-1\"],\n\t\"timeout\": 30, \"strict\": true}";
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = ami_spec_parse(text, strlen(text), "s.json", NULL, &error);

    (void)state;
    if (!spec)
        fail_msg("%s", error->message);
    assert_int_equal(json_integer_value(json_object_get(spec, "Timeout")), 30);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(spec, "Images"), 0), "Id")), "ami-1");
}

static void
test_spec_expand_cross_product_by_architecture(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = parse(FULL, &error);
    g_autoptr(json_t) images = parse_json(
        "[{\"ImageId\": \"ami-1\", \"Name\": \"x\", \"Architecture\": \"x86_64\"},"
        " {\"ImageId\": \"ami-2\", \"Name\": \"a\", \"Architecture\": \"arm64\"}]");
    g_autoptr(json_t) cells = NULL;
    json_t *c;

    (void)state;
    assert_non_null(spec);
    cells = ami_spec_expand(spec, images, &error);
    assert_non_null(cells);
    /* per image: 1 fitting type x 2 modes x 1 bus x 2 user data x 1 metadata = 4 */
    assert_int_equal(json_array_size(cells), 8);
    c = json_array_get(cells, 0);
    assert_string_equal(json_string_value(json_object_get(c, "Id")), "c1");
    assert_string_equal(json_string_value(json_object_get(c, "Name")),
                        "c1 x t3.micro image virtio user-data=script metadata=v2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(cells, 4), "InstanceType")),
                        "t4g.micro");
    assert_string_equal(json_string_value(json_object_get(json_array_get(cells, 7), "Name")),
                        "c8 a t4g.micro uefi virtio user-data=inline metadata=v2");
}

static void
test_spec_expand_refuses_image_without_a_fitting_type(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = parse("images: [ami-1]\nmatrix: {instance-types: [t3.micro]}\n", &error);
    g_autoptr(json_t) images = parse_json("[{\"ImageId\": \"ami-2\", \"Architecture\": \"arm64\"}]");
    g_autoptr(json_t) cells = ami_spec_expand(spec, images, &error);

    (void)state;
    assert_null(cells);
    assert_error_contains(error, "image 'ami-2' (arm64): no instance type of the matrix fits");
}

static void
test_spec_cell_argv_is_options_only(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = parse(FULL, &error);
    g_autoptr(json_t) images = parse_json("[{\"ImageId\": \"ami-1\", \"Architecture\": \"x86_64\"}]");
    g_autoptr(json_t) cells = ami_spec_expand(spec, images, &error);
    const char *const extra[] = {"--accel=tcg", NULL};
    g_auto(GStrv) argv = ami_spec_cell_argv(spec, json_array_get(cells, 3), extra);
    g_autofree char *joined = g_strjoinv(" ", argv);

    (void)state;
    assert_string_equal(joined,
                        "run --image-id=ami-1 --console=quiet --timeout=90 --no-strict "
                        "--instance-type=t3.micro --boot-mode=uefi --disk-bus=virtio "
                        "--user-data-base64=IyEvYmluL3NoCmVjaG8gaGkK "
                        "--metadata-options={\"HttpPutResponseHopLimit\":2,\"HttpTokens\":\"required\"} "
                        "--until=login --success=ready$ --component=/abs/doc.yaml "
                        "--component=/specs/rel/doc.yaml --phases=validate,test --accel=tcg");
    for (char **a = argv + 1; *a; a++)
        assert_true(g_str_has_prefix(*a, "--"));
}

static void
test_spec_checks(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = parse(FULL, &error);
    const char console[] = "SeaBIOS\n[ 0.0] Linux version 6.1\n[ 1.0] Call Trace:\nready\n";
    g_autoptr(json_t) record = parse_json(
        "{\"AmiRun\": {\"Verdict\": {\"Outcome\": \"failure\", \"Class\": \"kernel-oops\","
        " \"Line\": \"[ 1.0] Call Trace:\", \"Matches\": [{\"Offset\": 33}]},"
        " \"Components\": [{\"Name\": \"doc\", \"Phases\": [{\"Name\": \"test\", \"Steps\": ["
        "  {\"Name\": \"a\", \"Status\": \"Success\", \"Seconds\": 0.5},"
        "  {\"Name\": \"b\", \"Status\": \"Failed\", \"FailureMessage\": \"exit 3\"},"
        "  {\"Name\": \"c\", \"Status\": \"Skipped\"}]}]}]}}");
    g_autoptr(json_t) checks = ami_spec_checks(spec, 1, record, console, strlen(console), NULL);
    g_autoptr(json_t) want = parse_json(
        "[{\"Name\": \"boot\", \"Kind\": \"boot\", \"Status\": \"failed\", \"Outcome\": \"failure\","
        "  \"Type\": \"kernel-oops\", \"Message\": \"[ 1.0] Call Trace:\", \"Offset\": 33, \"Line\": 3},"
        " {\"Name\": \"must-appear 'Linux version'\", \"Kind\": \"must-appear\", \"Status\": \"passed\","
        "  \"Offset\": 8, \"Line\": 2, \"Match\": \"[ 0.0] Linux version 6.1\"},"
        " {\"Name\": \"must-not-appear 'Call Trace'\", \"Kind\": \"must-not-appear\", \"Status\": \"failed\","
        "  \"Offset\": 33, \"Line\": 3, \"Match\": \"[ 1.0] Call Trace:\", \"Type\": \"marker-present\","
        "  \"Message\": \"[ 1.0] Call Trace:\"},"
        " {\"Name\": \"component doc/test/a\", \"Kind\": \"component\", \"Status\": \"passed\","
        "  \"StepStatus\": \"Success\", \"Seconds\": 0.5},"
        " {\"Name\": \"component doc/test/b\", \"Kind\": \"component\", \"Status\": \"failed\","
        "  \"StepStatus\": \"Failed\", \"Type\": \"component-failed\", \"Message\": \"exit 3\"},"
        " {\"Name\": \"component doc/test/c\", \"Kind\": \"component\", \"Status\": \"skipped\","
        "  \"StepStatus\": \"Skipped\"}]");

    (void)state;
    if (!json_equal(checks, want))
        fail_msg("checks: %s", json_dumps(checks, JSON_INDENT(1)));
    assert_false(ami_spec_checks_passed(checks));
}

static void
test_spec_checks_without_record(void **state)
{
    g_autoptr(json_t) spec = ami_spec_from_image("ami-1", (const char *const[]){"doc.yaml", NULL});
    g_autoptr(json_t) checks = ami_spec_checks(spec, 2, NULL, NULL, 0, "unknown option '--component'");
    g_autoptr(json_t) ok = ami_spec_checks(spec, 0, NULL, NULL, 0, NULL);

    (void)state;
    assert_int_equal(json_array_size(checks), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 0), "Type")), "run-error");
    assert_string_equal(json_string_value(json_object_get(json_array_get(checks, 0), "Message")),
                        "unknown option '--component'");
    assert_true(ami_spec_checks_passed(ok));
    assert_int_equal(ami_spec_line_of("a\nb\nc", 4), 3);
    assert_int_equal(ami_spec_line_of("a\n", 2), 1);
}

/* The example of docs/test.md, kept in tests/data/test/spec-example.yaml, is valid. */
static void
test_spec_docs_example_parses(void **state)
{
    g_autofree char *path = g_strdup_printf("%s/test/spec-example.yaml", AMI_RUN_TEST_DATA);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = NULL;
    g_autoptr(json_t) images = parse_json(
        "[{\"ImageId\": \"ami-1\", \"Architecture\": \"x86_64\"},"
        " {\"ImageId\": \"ami-2\", \"Architecture\": \"arm64\"}]");
    g_autoptr(json_t) cells = NULL;
    gsize len;

    (void)state;
    assert_true(g_file_get_contents(path, &text, &len, NULL));
    if (!(spec = ami_spec_parse(text, len, path, "/specs", &error)))
        fail_msg("%s", error->message);
    cells = ami_spec_expand(spec, images, &error);
    /* x86_64: 3 types, arm64: 1; each x 2 modes x 2 buses x 3 user data x 1 = 12 */
    assert_int_equal(json_array_size(cells), 4 * 12);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_errors_name_line_and_column),
        cmocka_unit_test(test_spec_normalised),
        cmocka_unit_test(test_spec_json_is_read_like_yaml),
        cmocka_unit_test(test_spec_expand_cross_product_by_architecture),
        cmocka_unit_test(test_spec_expand_refuses_image_without_a_fitting_type),
        cmocka_unit_test(test_spec_cell_argv_is_options_only),
        cmocka_unit_test(test_spec_checks),
        cmocka_unit_test(test_spec_checks_without_record),
        cmocka_unit_test(test_spec_docs_example_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
