/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EC2's Image and Snapshot output shapes (core/ec2-shape.c). */
#include "ami-run/cleanup.h"
#include "ami-run/ec2-shape.h"
#include "test-util.h"

static void
test_image_projection_drops_what_ec2_lacks(void **state)
{
    g_autoptr(json_t) image = parse_json(
        "{\"ImageId\":\"ami-0123456789abcdef0\",\"AmiRun\":{\"Region\":\"eu-west-1\"},"
        "\"Future\":1,\"Name\":\"n\",\"StateReason\":{\"Code\":\"c\",\"Extra\":2},"
        "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":"
        "\"snap-0123456789abcdef0\",\"Stray\":true},\"Also\":1},\"not-an-object\"],"
        "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\",\"X\":1}],\"Description\":{\"Value\":\"wrong kind\"},"
        "\"SourceImageId\":\"ami-0fedcba9876543210\",\"Public\":true}");
    g_autoptr(json_t) out = ami_ec2_shape_project(image, AMI_EC2_IMAGE);
    g_autofree char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);

    (void)state;
    assert_string_equal(text,
                        "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"n\",\"StateReason\":"
                        "{\"Code\":\"c\"},\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\","
                        "\"Ebs\":{\"SnapshotId\":\"snap-0123456789abcdef0\"}}],\"Tags\":[{\"Key\":"
                        "\"k\",\"Value\":\"v\"}],\"SourceImageId\":\"ami-0fedcba9876543210\","
                        "\"Public\":true}");
    /* The record itself is not changed. */
    assert_non_null(json_object_get(image, "AmiRun"));
}

static void
test_snapshot_projection(void **state)
{
    g_autoptr(json_t) snap = parse_json(
        "{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeSize\":8,\"StorageTier\":\"standard\","
        "\"AmiRun\":{\"Sha256\":\"ab\"},\"Tags\":[],\"ImageId\":\"ami-x\"}");
    g_autoptr(json_t) out = ami_ec2_shape_project(snap, AMI_EC2_SNAPSHOT);
    g_autofree char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);

    (void)state;
    assert_string_equal(text, "{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeSize\":8,"
                              "\"StorageTier\":\"standard\",\"Tags\":[]}");
}

static void
test_projection_of_a_non_object_is_empty(void **state)
{
    g_autoptr(json_t) v = json_string("x");
    g_autoptr(json_t) out = ami_ec2_shape_project(v, AMI_EC2_IMAGE);

    (void)state;
    assert_true(json_is_object(out));
    assert_int_equal(json_object_size(out), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_projection_drops_what_ec2_lacks),
        cmocka_unit_test(test_snapshot_projection),
        cmocka_unit_test(test_projection_of_a_non_object_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
