/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/register.h"
#include "test-util.h"

static json_t *
convert(const char *request, GError **error)
{
    g_autoptr(json_t) req = parse_json(request);

    return ami_register_request_to_image(req, "ami-0123456789abcdef0", "000000000000",
                                         "2026-01-02T03:04:05.000Z", error);
}

static void
test_register_fills_ec2_defaults(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) image = convert(
        "{\"Name\":\"my-image\",\"RootDeviceName\":\"/dev/xvda\",\"BlockDeviceMappings\":["
        "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-0123456789abcdef0\"}},"
        "{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"}],"
        "\"TagSpecifications\":[{\"ResourceType\":\"image\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]},"
        "{\"ResourceType\":\"snapshot\",\"Tags\":[{\"Key\":\"s\",\"Value\":\"t\"}]}]}", &error);
    json_t *ebs;
    g_autoptr(AmiImage) parsed = NULL;

    (void)state;
    assert_null(error);
    ebs = json_object_get(json_array_get(json_object_get(image, "BlockDeviceMappings"), 0), "Ebs");
    assert_string_equal(json_string_value(json_object_get(ebs, "VolumeType")), "gp2");
    assert_true(json_is_true(json_object_get(ebs, "DeleteOnTermination")));
    assert_true(json_is_false(json_object_get(ebs, "Encrypted")));
    assert_string_equal(json_string_value(json_object_get(image, "State")), "available");
    assert_string_equal(json_string_value(json_object_get(image, "Architecture")), "x86_64");
    assert_string_equal(json_string_value(json_object_get(image, "VirtualizationType")), "hvm");
    assert_string_equal(json_string_value(json_object_get(image, "ImageLocation")), "000000000000/my-image");
    assert_string_equal(json_string_value(json_object_get(image, "CreationDate")), "2026-01-02T03:04:05.000Z");
    assert_int_equal(json_array_size(json_object_get(image, "Tags")), 1);
    assert_null(json_object_get(image, "TagSpecifications"));
    /* What it produces is a valid image. */
    parsed = ami_image_parse(image, &error);
    assert_non_null(parsed);
}

static void
test_register_rejects_bad_requests(void **state)
{
    static const char *const bad[][2] = {
        {"{\"RootDeviceName\":\"/dev/xvda\"}", "Name is required"},
        {"{\"Name\":\"abc\"}", "RootDeviceName is required"},
        {"{\"Name\":\"abc\",\"RootDeviceName\":\"/dev/xvda\",\"Colour\":\"red\"}", "'Colour' is not a register-image parameter"},
        {"{\"Name\":\"abc\",\"RootDeviceName\":\"/dev/xvda\",\"BlockDeviceMappings\":{}}", "must be a list"},
        {"{\"Name\":\"abc\",\"RootDeviceName\":\"/dev/xvda\",\"TagSpecifications\":[{\"ResourceType\":\"volume\",\"Tags\":[]}]}", "ResourceType must be image or snapshot"},
        {"[]", "must be a JSON object"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) image = convert(bad[i][0], &error);

        assert_null(image);
        assert_error_contains(error, bad[i][1]);
    }
}

static void
test_register_sample_request(void **state)
{
    const char *path = AMI_RUN_SAMPLES "/register-image-request.json";
    g_autoptr(json_t) req = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(GError) error = NULL;

    (void)state;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        test_skip_part("test-register", "the shared sample register-image-request.json is missing");
        skip(); /* cmocka longjmps: nothing may be allocated above */
    }
    req = ami_json_load_file(path, &error);
    assert_non_null(req);
    image = ami_register_request_to_image(req, "ami-0123456789abcdef0", "000000000000",
                                          "2026-01-02T03:04:05.000Z", &error);
    assert_non_null(image);
    assert_string_equal(json_string_value(json_object_get(image, "BootMode")), "uefi");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_fills_ec2_defaults),
        cmocka_unit_test(test_register_rejects_bad_requests),
        cmocka_unit_test(test_register_sample_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
