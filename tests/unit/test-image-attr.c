/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image attributes, launch permissions and CopyImage records (core/image-attr.c). */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/image-attr.h"
#include "test-util.h"

#define IMAGE                                                                              \
    "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"golden\",\"Public\":false,"         \
    "\"BootMode\":\"uefi\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"a\"},"                   \
    "{\"Key\":\"aws:x\",\"Value\":\"y\"}],\"LastLaunchedTime\":\"2026-01-01T00:00:00Z\","   \
    "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":"       \
    "\"snap-0123456789abcdef0\",\"Encrypted\":false}},{\"DeviceName\":\"/dev/sdb\","       \
    "\"VirtualName\":\"ephemeral0\"}],\"AmiRun\":{\"Region\":\"us-east-1\","                \
    "\"LaunchPermissions\":[{\"UserId\":\"123456789012\"}]}}"

static gboolean
modify(json_t *image, const char *request, GError **error)
{
    g_autoptr(json_t) req = parse_json(request);

    return ami_image_modify_attribute(image, req, error);
}

static char *
perms_of(json_t *image)
{
    g_autoptr(json_t) p = ami_image_launch_permissions(image);

    return json_dumps(p, JSON_COMPACT);
}

static void
test_launch_permission_check_accepts_ec2_forms_only(void **state)
{
    static const char *const good[] = {
        "{\"UserId\":\"123456789012\"}", "{\"Group\":\"all\"}",
        "{\"OrganizationArn\":\"arn:aws:organizations::123456789012:organization/o-abcdefghij\"}",
        "{\"OrganizationalUnitArn\":\"arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-abcdefgh\"}",
        "{\"OrganizationArn\":\"arn:aws-cn:organizations::123456789012:organization/o-abcdefghij\"}",
    };
    static const char *const bad[] = {
        "{\"UserId\":\"12345678901\"}", "{\"UserId\":\"1234567890123\"}", "{\"UserId\":\" 23456789012\"}", "{\"UserId\":\"123456789012\\n\"}",
        "{\"UserId\":123456789012}", "{\"Group\":\"All\"}", "{}", "[]",
        "{\"UserId\":\"123456789012\",\"Group\":\"all\"}", "{\"Other\":\"x\"}",
        "{\"OrganizationArn\":\"arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-abcdefgh\"}",
        "{\"OrganizationArn\":\"arn:aws:iam::123456789012:root\"}",
        "{\"OrganizationalUnitArn\":\"arn:aws:organizations::123456789012:organization/o-abcdefghij\"}",
        "{\"OrganizationArn\":\"arn:aws:organizations::123456789012:organization/o-abcdefghij\\n\"}",
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(json_t) p = parse_json(good[i]);
        g_autoptr(GError) error = NULL;

        assert_true(ami_launch_permission_check(p, "p", &error));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        json_error_t e;
        g_autoptr(json_t) p = json_loads(bad[i], JSON_DECODE_ANY, &e);
        g_autoptr(GError) error = NULL;

        assert_false(ami_launch_permission_check(p, "p", &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    }
}

static void
test_modify_add_remove_and_public(void **state)
{
    g_autoptr(json_t) image = parse_json(IMAGE);
    g_autoptr(GError) error = NULL;
    g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL;

    (void)state;
    assert_true(modify(image, "{\"LaunchPermission\":{\"Add\":[{\"Group\":\"all\"},"
                              "{\"UserId\":\"123456789012\"}]}}", &error));
    p1 = perms_of(image);
    assert_string_equal(p1, "[{\"UserId\":\"123456789012\"},{\"Group\":\"all\"}]");
    assert_true(json_is_true(json_object_get(image, "Public")));
    assert_true(modify(image, "{\"Attribute\":\"launchPermission\",\"OperationType\":\"remove\","
                              "\"UserGroups\":[\"all\"],\"UserIds\":[\"999999999999\"]}", &error));
    p2 = perms_of(image);
    assert_string_equal(p2, "[{\"UserId\":\"123456789012\"}]");
    assert_true(json_is_false(json_object_get(image, "Public")));
    assert_true(ami_image_reset_attribute(image, "launchPermission", &error));
    p3 = perms_of(image);
    assert_string_equal(p3, "[]");
    assert_null(error);
}

static void
test_modify_is_all_or_nothing(void **state)
{
    static const char *const bad[] = {
        "{\"LaunchPermission\":{\"Add\":[{\"Group\":\"all\"},{\"UserId\":\"1\"}]}}",
        "{\"LaunchPermission\":{\"Add\":[]}}",
        "{\"LaunchPermission\":{\"Grant\":[{\"Group\":\"all\"}]}}",
        "{\"LaunchPermission\":{\"Add\":[{\"Group\":\"all\"}]},\"Description\":{\"Value\":\"x\"}}",
        "{\"LaunchPermission\":{\"Add\":[{\"Group\":\"all\"}]},\"OperationType\":\"add\"}",
        "{\"Attribute\":\"launchPermission\",\"OperationType\":\"grant\",\"UserIds\":[\"123456789012\"]}",
        "{\"Attribute\":\"launchPermission\",\"OperationType\":\"add\",\"UserIds\":\"123456789012\"}",
        "{\"Attribute\":\"description\",\"Value\":7}",
        "{\"Attribute\":\"kernel\",\"Value\":\"x\"}",
        "{\"Attribute\":\"description\",\"ImdsSupport\":{\"Value\":\"v2.0\"}}",
        "{\"ImdsSupport\":{\"Value\":\"v1.0\"}}",
        "{\"ProductCodes\":[\"x\"]}",
        "{}",
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(json_t) image = parse_json(IMAGE);
        g_autoptr(json_t) before = json_deep_copy(image);
        g_autoptr(GError) error = NULL;

        assert_false(modify(image, bad[i], &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_true(json_equal(image, before));
    }
}

static void
test_modify_description_and_imds(void **state)
{
    g_autoptr(json_t) image = parse_json(IMAGE);
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(modify(image, "{\"Description\":{\"Value\":\"new\"}}", &error));
    assert_true(modify(image, "{\"Attribute\":\"imdsSupport\",\"Value\":\"v2.0\"}", &error));
    assert_string_equal(json_string_value(json_object_get(image, "Description")), "new");
    assert_string_equal(json_string_value(json_object_get(image, "ImdsSupport")), "v2.0");
    assert_null(error);
}

static void
test_describe_attribute_shapes(void **state)
{
    static const struct {
        const char *attribute, *want;
    } cases[] = {
        {"bootMode", "{\"ImageId\":\"ami-0123456789abcdef0\",\"BootMode\":{\"Value\":\"uefi\"}}"},
        {"imdsSupport", "{\"ImageId\":\"ami-0123456789abcdef0\",\"ImdsSupport\":{}}"},
        {"lastLaunchedTime", "{\"ImageId\":\"ami-0123456789abcdef0\",\"LastLaunchedTime\":{\"Value\":\"2026-01-01T00:00:00Z\"}}"},
        {"launchPermission", "{\"ImageId\":\"ami-0123456789abcdef0\",\"LaunchPermissions\":[{\"UserId\":\"123456789012\"}]}"},
        {"productCodes", "{\"ImageId\":\"ami-0123456789abcdef0\",\"ProductCodes\":[]}"},
        {"uefiData", "{\"ImageId\":\"ami-0123456789abcdef0\",\"UefiData\":{}}"},
    };
    g_autoptr(json_t) image = parse_json(IMAGE);

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) reply = ami_image_describe_attribute(image, cases[i].attribute, &error);
        g_autofree char *text = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);

        assert_string_equal(text, cases[i].want);
    }
    for (const char *const *a = (const char *const[]){"blockDeviceMapping", "nope", "", NULL}; *a; a++) {
        g_autoptr(GError) error = NULL;

        assert_null(ami_image_describe_attribute(image, *a, &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    }
}

static void
test_saved_public_image_has_group_all(void **state)
{
    g_autoptr(json_t) image = parse_json("{\"ImageId\":\"ami-0123456789abcdef0\",\"Public\":true}");
    g_autofree char *p = perms_of(image);

    (void)state;
    assert_string_equal(p, "[{\"Group\":\"all\"}]");
    assert_true(ami_image_executable_by(image, "all", "000000000000"));
    assert_false(ami_image_executable_by(image, "self", "000000000000"));
}

static void
test_executable_by(void **state)
{
    g_autoptr(json_t) image = parse_json(IMAGE);
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(ami_image_executable_by(image, "123456789012", "000000000000"));
    assert_true(ami_image_executable_by(image, "self", "123456789012"));
    assert_false(ami_image_executable_by(image, "self", "000000000000"));
    assert_false(ami_image_executable_by(image, "all", "000000000000"));
    assert_true(ami_executable_user_check("self", &error) && ami_executable_user_check("all", &error) &&
                ami_executable_user_check("123456789012", &error));
    assert_false(ami_executable_user_check("me", &error));
}

static void
test_copy_image_and_snapshot(void **state)
{
    g_autoptr(json_t) image = parse_json(IMAGE);
    g_autoptr(json_t) snap = parse_json(
        "{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeId\":\"vol-1\",\"Encrypted\":false,"
        "\"Description\":\"x\",\"AmiRun\":{\"Region\":\"us-east-1\",\"Sha256\":\"ab\","
        "\"Parent\":\"snap-0aaaaaaaaaaaaaaaa\",\"Format\":\"qcow2\"}}");
    g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(json_t) copy = NULL;
    g_autoptr(json_t) scopy = NULL;
    json_t *ebs, *amirun;
    AmiImageCopy c = {.image_id = "ami-0fedcba9876543210", .name = "golden-eu",
                      .source_region = "us-east-1", .copy_tags = TRUE, .encrypted = TRUE,
                      .owner_id = "000000000000", .now = "2026-12-02T00:00:00.000Z",
                      .now_ms = 1566308778174, .snapshot_ids = ids};

    (void)state;
    g_hash_table_insert(ids, (gpointer) "snap-0123456789abcdef0", (gpointer) "snap-0fedcba9876543210");
    copy = ami_image_copy(image, &c);
    assert_string_equal(json_string_value(json_object_get(copy, "ImageId")), "ami-0fedcba9876543210");
    assert_string_equal(json_string_value(json_object_get(copy, "SourceImageId")), "ami-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(copy, "SourceImageRegion")), "us-east-1");
    assert_null(json_object_get(copy, "AmiRun"));
    assert_null(json_object_get(copy, "LastLaunchedTime"));
    assert_null(json_object_get(copy, "Description"));
    assert_int_equal(json_array_size(json_object_get(copy, "Tags")), 1);
    ebs = json_object_get(json_array_get(json_object_get(copy, "BlockDeviceMappings"), 0), "Ebs");
    assert_string_equal(json_string_value(json_object_get(ebs, "SnapshotId")), "snap-0fedcba9876543210");
    assert_true(json_is_true(json_object_get(ebs, "Encrypted")));
    /* The source is untouched. */
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(
                            json_object_get(image, "BlockDeviceMappings"), 0), "Ebs"), "SnapshotId")),
                        "snap-0123456789abcdef0");

    scopy = ami_snapshot_copy(snap, "snap-0fedcba9876543210", "ami-0123456789abcdef0", &c);
    assert_string_equal(json_string_value(json_object_get(scopy, "Description")),
                        "Copied for DestinationAmi ami-0fedcba9876543210 from SourceAmi "
                        "ami-0123456789abcdef0 for SourceSnapshot snap-0123456789abcdef0. Task "
                        "created on 1,566,308,778,174.");
    assert_string_equal(json_string_value(json_object_get(scopy, "VolumeId")), "vol-ffffffff");
    amirun = json_object_get(scopy, "AmiRun");
    assert_null(json_object_get(amirun, "Region"));
    assert_string_equal(json_string_value(json_object_get(amirun, "Parent")), "snap-0aaaaaaaaaaaaaaaa");
    assert_string_equal(json_string_value(json_object_get(amirun, "Sha256")), "ab");
    assert_true(json_is_true(json_object_get(scopy, "Encrypted")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_permission_check_accepts_ec2_forms_only),
        cmocka_unit_test(test_modify_add_remove_and_public),
        cmocka_unit_test(test_modify_is_all_or_nothing),
        cmocka_unit_test(test_modify_description_and_imds),
        cmocka_unit_test(test_describe_attribute_shapes),
        cmocka_unit_test(test_saved_public_image_has_group_all),
        cmocka_unit_test(test_executable_by),
        cmocka_unit_test(test_copy_image_and_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
