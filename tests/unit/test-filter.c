/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "test-util.h"

static const char *const image_json =
    "{\"ImageId\":\"ami-0a1b2c3d4e5f60718\",\"Name\":\"debian-12-amd64-20261002\","
    "\"Architecture\":\"x86_64\",\"State\":\"available\",\"Public\":false,"
    "\"Tags\":[{\"Key\":\"pipeline\",\"Value\":\"golden\"}],"
    "\"BlockDeviceMappings\":[{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-05f1e2d3c4b5a6978\"}}]}";

static gboolean
matches(const char *const *args)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiFilters) f = ami_filters_parse(AMI_FILTER_IMAGES, args, &error);
    g_autoptr(json_t) image = parse_json(image_json);

    if (!f)
        fail_msg("filter did not parse: %s", error->message);
    return ami_filters_match(f, image);
}

static void
test_filter_matches(void **state)
{
    (void)state;
    assert_true(matches(NULL));
    assert_true(matches((const char *[]){"Name=architecture,Values=x86_64", NULL}));
    assert_false(matches((const char *[]){"Name=architecture,Values=arm64", NULL}));
    assert_true(matches((const char *[]){"Name=architecture,Values=arm64,x86_64", NULL}));
    assert_true(matches((const char *[]){"Name=name,Values=debian-12-*", NULL}));
    assert_true(matches((const char *[]){"Name=name,Values=debian-1?-amd64-*", NULL}));
    assert_false(matches((const char *[]){"Name=name,Values=debian", NULL}));
    assert_true(matches((const char *[]){"Name=tag:pipeline,Values=golden", NULL}));
    assert_false(matches((const char *[]){"Name=tag:pipeline,Values=silver", NULL}));
    assert_true(matches((const char *[]){"Name=tag-key,Values=pipe*", NULL}));
    assert_true(matches((const char *[]){"Name=is-public,Values=false", NULL}));
    assert_true(matches((const char *[]){"Name=block-device-mapping.snapshot-id,Values=snap-05f1*", NULL}));
    assert_false(matches((const char *[]){"Name=boot-mode,Values=*", NULL})); /* absent member */
    assert_false(matches((const char *[]){"Name=architecture,Values=x86_64",
                                          "Name=state,Values=pending", NULL}));
    assert_true(matches((const char *[]){"[{\"Name\":\"state\",\"Values\":[\"available\"]}]", NULL}));
}

static void
test_filter_rejects_bad_syntax(void **state)
{
    static const char *const bad[][2] = {
        {"Name=colour,Values=red", "unknown filter name 'colour'"},
        {"architecture=x86_64", "expected Name=NAME,Values=V1,V2"},
        {"Name=architecture,Values=", "has no Values"},
        {"[{\"Name\":\"state\"}]", "expected [{\"Name\""},
        {"[{\"Name\":\"state\",\"Values\":[1]}]", "expected [{\"Name\""},
        {"[{\"Name\":", "line 1"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        const char *args[] = {bad[i][0], NULL};
        g_autoptr(AmiFilters) f = ami_filters_parse(AMI_FILTER_IMAGES, args, &error);

        assert_null(f);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_error_contains(error, bad[i][1]);
    }
}

static void
test_filter_snapshot_names(void **state)
{
    g_autoptr(GError) error = NULL;
    const char *args[] = {"Name=volume-size,Values=20", NULL};
    const char *image_only[] = {"Name=architecture,Values=x86_64", NULL};
    g_autoptr(AmiFilters) f = ami_filters_parse(AMI_FILTER_SNAPSHOTS, args, &error);
    g_autoptr(json_t) snap = parse_json("{\"SnapshotId\":\"snap-12345678\",\"VolumeSize\":20}");
    g_autoptr(AmiFilters) g = NULL;

    (void)state;
    assert_non_null(f);
    assert_true(ami_filters_match(f, snap));
    g = ami_filters_parse(AMI_FILTER_SNAPSHOTS, image_only, &error);
    assert_null(g);
}

/* describe-key-pairs' names (botocore DescribeKeyPairs), and none of an image's. */
static void
test_filter_key_pair_names(void **state)
{
    g_autoptr(GError) error = NULL;
    const char *args[] = {"Name=key-type,Values=ed25519", "Name=fingerprint,Values=ab*",
                          "Name=tag:team,Values=a", NULL};
    const char *image_only[] = {"Name=architecture,Values=x86_64", NULL};
    g_autoptr(AmiFilters) f = ami_filters_parse(AMI_FILTER_KEY_PAIRS, args, &error);
    g_autoptr(json_t) kp = parse_json("{\"KeyName\":\"k\",\"KeyPairId\":\"key-0123456789abcdef0\","
                                      "\"KeyType\":\"ed25519\",\"KeyFingerprint\":\"abc=\","
                                      "\"Tags\":[{\"Key\":\"team\",\"Value\":\"a\"}]}");
    g_autoptr(json_t) rsa = parse_json("{\"KeyName\":\"k\",\"KeyType\":\"rsa\"}");
    g_autoptr(AmiFilters) g = NULL;

    (void)state;
    assert_non_null(f);
    assert_true(ami_filters_match(f, kp));
    assert_false(ami_filters_match(f, rsa));
    g = ami_filters_parse(AMI_FILTER_KEY_PAIRS, image_only, &error);
    assert_null(g);
    assert_non_null(strstr(error->message, "key-name"));
}

/* Instances, volumes and statuses: dotted members (State.Name, Attachments.0.InstanceId). */
static void
test_filter_instance_and_volume_paths(void **state)
{
    g_autoptr(json_t) inst = parse_json("{\"InstanceId\":\"i-1\",\"State\":{\"Code\":16,\"Name\":\"running\"},"
                                        "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"a,b\"}]}");
    g_autoptr(json_t) vol = parse_json("{\"VolumeId\":\"vol-1\",\"Size\":8,"
                                       "\"Attachments\":[{\"InstanceId\":\"i-1\"}]}");
    g_autoptr(json_t) st = parse_json("{\"InstanceStatus\":{\"Status\":\"ok\",\"Details\":"
                                      "[{\"Name\":\"reachability\",\"Status\":\"passed\"}]}}");
    const char *running[] = {"Name=instance-state-name,Values=running,stopped", NULL};
    const char *code[] = {"Name=instance-state-code,Values=80", NULL};
    const char *quoted[] = {"Name=tag:Name,Values=\"a,b\"", NULL};
    const char *attached[] = {"Name=attachment.instance-id,Values=i-*", "Name=size,Values=8", NULL};
    const char *passed[] = {"Name=instance-status.reachability,Values=passed", NULL};
    const char *status_tag[] = {"Name=tag:Name,Values=x", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiFilters) f1 = ami_filters_parse(AMI_FILTER_INSTANCES, running, &error);
    g_autoptr(AmiFilters) f2 = ami_filters_parse(AMI_FILTER_INSTANCES, code, &error);
    g_autoptr(AmiFilters) f3 = ami_filters_parse(AMI_FILTER_INSTANCES, quoted, &error);
    g_autoptr(AmiFilters) f4 = ami_filters_parse(AMI_FILTER_VOLUMES, attached, &error);
    g_autoptr(AmiFilters) f5 = ami_filters_parse(AMI_FILTER_INSTANCE_STATUS, passed, &error);
    g_autoptr(AmiFilters) f6 = NULL;

    (void)state;
    assert_null(error);
    assert_true(ami_filters_match(f1, inst));
    assert_false(ami_filters_match(f2, inst));
    assert_true(ami_filters_match(f3, inst)); /* a quoted value keeps its comma */
    assert_true(ami_filters_match(f4, vol));
    assert_true(ami_filters_match(f5, st));
    f6 = ami_filters_parse(AMI_FILTER_INSTANCE_STATUS, status_tag, &error);
    assert_null(f6); /* statuses have no tags */
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_matches),
        cmocka_unit_test(test_filter_rejects_bad_syntax),
        cmocka_unit_test(test_filter_snapshot_names),
        cmocka_unit_test(test_filter_key_pair_names),
        cmocka_unit_test(test_filter_instance_and_volume_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
