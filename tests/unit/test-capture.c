/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * create-image's pure half: the request checks, the image JSON from an instance record
 * and its source image, and the reference counting of layer files over chains.
 */
#include <string.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "test-util.h"

static json_t *
parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);

    if (!v)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

/* An instance as launch.c records it: root overlay, blank data volume, instance store. */
static const char *const instance_json =
    "{\"InstanceId\": \"i-0123456789abcdef0\", \"ImageId\": \"ami-0123456789abcdef0\","
    " \"Architecture\": \"arm64\", \"BootMode\": \"uefi\", \"RootDeviceName\": \"/dev/xvda\","
    " \"VirtualizationType\": \"hvm\", \"State\": {\"Code\": 16, \"Name\": \"running\"},"
    " \"BlockDeviceMappings\": ["
    "  {\"DeviceName\": \"/dev/xvda\", \"Ebs\": {\"VolumeId\": \"vol-0000000000000000a\"}},"
    "  {\"DeviceName\": \"/dev/sdf\", \"Ebs\": {\"VolumeId\": \"vol-0000000000000000b\"}},"
    "  {\"DeviceName\": \"/dev/sdb\", \"Ebs\": {\"VolumeId\": \"vol-0000000000000000c\"}}],"
    " \"AmiRun\": {\"Disks\": ["
    "  {\"VolumeId\": \"vol-0000000000000000a\", \"Path\": \"/s/a.qcow2\", \"Kind\": \"overlay\","
    "   \"DeleteOnTermination\": true, \"SizeGiB\": 8, \"SnapshotId\": \"snap-0123456789abcdef0\"},"
    "  {\"VolumeId\": \"vol-0000000000000000b\", \"Path\": \"/s/b.qcow2\", \"Kind\": \"blank\","
    "   \"DeleteOnTermination\": false, \"SizeGiB\": 20},"
    "  {\"VolumeId\": \"vol-0000000000000000c\", \"Path\": \"/s/c.qcow2\", \"Kind\": \"ephemeral\","
    "   \"DeleteOnTermination\": true, \"SizeGiB\": 4}]}}";

static const char *const source_json =
    "{\"ImageId\": \"ami-0123456789abcdef0\", \"Name\": \"src\", \"TpmSupport\": \"v2.0\","
    " \"ImdsSupport\": \"v2.0\", \"EnaSupport\": true, \"PlatformDetails\": \"Red Hat Enterprise Linux\","
    " \"UsageOperation\": \"RunInstances:0010\", \"Tags\": [{\"Key\": \"src\", \"Value\": \"1\"}],"
    " \"BlockDeviceMappings\": ["
    "  {\"DeviceName\": \"/dev/xvda\", \"Ebs\": {\"SnapshotId\": \"snap-0123456789abcdef0\", \"VolumeType\": \"io2\"}},"
    "  {\"DeviceName\": \"/dev/sdb\", \"VirtualName\": \"ephemeral0\"}]}";

static void
test_capture_name_follows_ec2_rule(void **state)
{
    static const char *const good[] = {"abc", "my image (v1.0) [prod]/x-y_z@'q", NULL};
    static const char *const bad[] = {"ab", "", "bad*", "tab\there", "über-name", NULL};
    g_autofree char *long_name = g_strnfill(129, 'a');
    g_autofree char *max_name = g_strnfill(128, 'a');

    (void)state;
    for (const char *const *n = good; *n; n++)
        assert_true(ami_capture_name_check(*n, NULL));
    assert_true(ami_capture_name_check(max_name, NULL));
    for (const char *const *n = bad; *n; n++) {
        g_autoptr(GError) error = NULL;

        assert_false(ami_capture_name_check(*n, &error));
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    }
    assert_false(ami_capture_name_check(long_name, NULL));
    assert_false(ami_capture_name_check(NULL, NULL));
}

static void
test_capture_tags_only_image_and_snapshot(void **state)
{
    g_autoptr(json_t) ok = parse("[{\"ResourceType\": \"image\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}]},"
                                 " {\"ResourceType\": \"snapshot\", \"Tags\": [{\"Key\": \"b\"}]},"
                                 " {\"ResourceType\": \"image\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"2\"}]}]");
    g_autoptr(json_t) inst = parse("[{\"ResourceType\": \"instance\", \"Tags\": []}]");
    g_autoptr(json_t) aws = parse("[{\"ResourceType\": \"image\", \"Tags\": [{\"Key\": \"aws:x\"}]}]");
    g_autoptr(json_t) image_tags = NULL, snap_tags = NULL;
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(ami_capture_tags_check(ok, NULL));
    assert_false(ami_capture_tags_check(inst, &error));
    assert_non_null(strstr(error->message, "'instance' is not image or snapshot"));
    assert_false(ami_capture_tags_check(aws, NULL));
    image_tags = ami_capture_tags_for(ok, "image");
    snap_tags = ami_capture_tags_for(ok, "snapshot");
    assert_int_equal(json_array_size(image_tags), 1); /* a later Key replaces an earlier one */
    assert_string_equal(json_string_value(json_object_get(json_array_get(image_tags, 0), "Value")), "2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(snap_tags, 0), "Value")), "");
}

static void
test_capture_volumes_from_instance_and_request(void **state)
{
    g_autoptr(json_t) inst = parse(instance_json);
    g_autoptr(json_t) src = parse(source_json);
    g_autoptr(json_t) req = parse("[{\"DeviceName\": \"/dev/sdf\", \"Ebs\": {\"DeleteOnTermination\": true}},"
                                  " {\"DeviceName\": \"sdg\", \"Ebs\": {\"VolumeSize\": 5}},"
                                  " {\"DeviceName\": \"/dev/sdb\", \"NoDevice\": \"\"}]");
    g_autoptr(json_t) vols = ami_capture_volumes(inst, src, req, NULL);
    json_t *root, *data;

    (void)state;
    assert_non_null(vols);
    assert_int_equal(json_array_size(vols), 3);
    root = json_array_get(vols, 0);
    data = json_array_get(vols, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, "Capture"), "Parent")),
                        "snap-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, "Ebs"), "VolumeType")), "io2");
    assert_null(json_object_get(json_object_get(data, "Capture"), "Parent")); /* blank: a full snapshot */
    assert_true(json_is_true(json_object_get(json_object_get(data, "Ebs"), "DeleteOnTermination")));
    assert_null(json_object_get(json_array_get(vols, 2), "Capture"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(vols, 2), "Ebs"),
                                                        "VolumeSize")), 5);
}

static void
test_capture_volumes_instance_store_copied(void **state)
{
    g_autoptr(json_t) inst = parse(instance_json);
    g_autoptr(json_t) src = parse(source_json);
    g_autoptr(json_t) vols = ami_capture_volumes(inst, src, NULL, NULL);

    (void)state;
    assert_int_equal(json_array_size(vols), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(vols, 2), "VirtualName")),
                        "ephemeral0");
}

static void
test_capture_volumes_refuse_ec2_violations(void **state)
{
    static const char *const bad[] = {
        "[{\"DeviceName\": \"/dev/xvda\", \"Ebs\": {\"VolumeSize\": 9}}]",
        "[{\"DeviceName\": \"/dev/xvda\", \"Ebs\": {\"Encrypted\": false}}]",
        "[{\"DeviceName\": \"/dev/xvda\", \"NoDevice\": \"\"}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"Ebs\": {}}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"Ebs\": {\"VolumeSize\": 1, \"Encrypted\": true}}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"Ebs\": {\"VolumeSize\": 1, \"OutpostArn\": \"x\"}}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"Ebs\": {\"VolumeSize\": 1, \"VolumeType\": \"gp9\"}}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"VirtualName\": \"ephemeral99\"}]",
        "[{\"DeviceName\": \"/dev/sdh\"}]",
        "[{\"DeviceName\": \"nonsense\", \"NoDevice\": \"\"}]",
        "[{\"DeviceName\": \"/dev/sdh\", \"NoDevice\": \"\"}, {\"DeviceName\": \"sdh\", \"NoDevice\": \"\"}]",
        "{\"DeviceName\": \"/dev/sdh\"}",
        NULL,
    };
    g_autoptr(json_t) inst = parse(instance_json);

    (void)state;
    for (const char *const *b = bad; *b; b++) {
        g_autoptr(json_t) req = parse(*b);
        g_autoptr(GError) error = NULL;
        g_autoptr(json_t) vols = ami_capture_volumes(inst, NULL, req, &error);

        if (vols)
            fail_msg("accepted: %s", *b);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    }
}

static void
test_capture_image_json_carries_what_ec2_carries(void **state)
{
    g_autoptr(json_t) inst = parse(instance_json);
    g_autoptr(json_t) src = parse(source_json);
    g_autoptr(json_t) tags = parse("[{\"ResourceType\": \"image\", \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}]");
    g_autoptr(json_t) vols = ami_capture_volumes(inst, src, NULL, NULL);
    g_autoptr(json_t) img = NULL;
    json_t *m;

    (void)state;
    json_object_set_new(json_array_get(vols, 0), "SnapshotId", json_string("snap-1111111111111111a"));
    json_object_set_new(json_array_get(vols, 1), "SnapshotId", json_string("snap-1111111111111111b"));
    img = ami_capture_image_json(&(AmiCaptureSpec){
        .instance = inst, .source_image = src, .volumes = vols, .image_id = "ami-1111111111111111a",
        .name = "baked", .description = "d", .tag_specs = tags, .now = "2026-01-02T03:04:05.000Z",
        .region = "eu-west-1"});
    assert_string_equal(json_string_value(json_object_get(img, "State")), "pending");
    assert_string_equal(json_string_value(json_object_get(img, "Architecture")), "arm64");
    assert_string_equal(json_string_value(json_object_get(img, "BootMode")), "uefi");
    assert_string_equal(json_string_value(json_object_get(img, "TpmSupport")), "v2.0");
    assert_string_equal(json_string_value(json_object_get(img, "ImdsSupport")), "v2.0");
    assert_true(json_is_true(json_object_get(img, "EnaSupport")));
    assert_string_equal(json_string_value(json_object_get(img, "PlatformDetails")), "Red Hat Enterprise Linux");
    assert_string_equal(json_string_value(json_object_get(img, "UsageOperation")), "RunInstances:0010");
    assert_string_equal(json_string_value(json_object_get(img, "SourceInstanceId")), "i-0123456789abcdef0");
    assert_string_equal(json_string_value(json_object_get(img, "OwnerId")), "000000000000");
    assert_string_equal(json_string_value(json_object_get(img, "CreationDate")), "2026-01-02T03:04:05.000Z");
    assert_string_equal(json_string_value(json_object_get(img, "Hypervisor")), "xen");
    assert_string_equal(json_string_value(json_object_get(img, "RootDeviceName")), "/dev/xvda");
    assert_string_equal(json_string_value(json_object_get(json_object_get(img, "AmiRun"), "Region")), "eu-west-1");
    /* Tags from ResourceType=image only; the source image's tags are not copied. */
    assert_int_equal(json_array_size(json_object_get(img, "Tags")), 1);
    m = json_array_get(json_object_get(img, "BlockDeviceMappings"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "Ebs"), "SnapshotId")),
                        "snap-1111111111111111a");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "Ebs"), "VolumeSize")), 8);
    assert_null(json_object_get(m, "Capture"));
    m = json_array_get(json_object_get(img, "BlockDeviceMappings"), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "Ebs"), "VolumeSize")), 20);
    assert_false(json_is_true(json_object_get(json_object_get(m, "Ebs"), "DeleteOnTermination")));
}

/* snap-…a <- b <- c (c's chain: b, a); d full; e a hard-link copy of c's content. */
static GPtrArray *
records(void)
{
    static const char *const recs[] = {
        "{\"SnapshotId\": \"snap-000000000000000a\", \"AmiRun\": {\"Sha256\": \"1\"}}",
        "{\"SnapshotId\": \"snap-000000000000000b\", \"AmiRun\": {\"Sha256\": \"2\", \"Parent\": \"snap-000000000000000a\","
        " \"Chain\": [{\"SnapshotId\": \"snap-000000000000000a\", \"Sha256\": \"1\"}]}}",
        "{\"SnapshotId\": \"snap-000000000000000c\", \"AmiRun\": {\"Sha256\": \"3\", \"Parent\": \"snap-000000000000000b\","
        " \"Chain\": [{\"SnapshotId\": \"snap-000000000000000b\", \"Sha256\": \"2\"},"
        " {\"SnapshotId\": \"snap-000000000000000a\", \"Sha256\": \"1\"}]}}",
        "{\"SnapshotId\": \"snap-000000000000000d\", \"AmiRun\": {\"Sha256\": \"4\"}}",
        NULL,
    };
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);

    for (const char *const *r = recs; *r; r++)
        g_ptr_array_add(out, parse(*r));
    return out;
}

static GPtrArray *
without(GPtrArray *all, const char *const *ids, GPtrArray **ret_deleting)
{
    GPtrArray *keep = g_ptr_array_new();

    *ret_deleting = g_ptr_array_new();
    for (guint i = 0; i < all->len; i++) {
        const char *id = json_string_value(json_object_get(all->pdata[i], "SnapshotId"));
        g_ptr_array_add(g_strv_contains(ids, id) ? *ret_deleting : keep, all->pdata[i]);
    }
    return keep;
}

static char *
joined(GPtrArray *ids)
{
    g_ptr_array_add(ids, NULL);
    return g_strjoinv(" ", (char **)ids->pdata);
}

static void
test_chain_lists_layers_nearest_first(void **state)
{
    g_autoptr(GPtrArray) all = records();
    g_autoptr(json_t) chain = ami_snapshot_chain(all->pdata[2], NULL);
    g_autoptr(json_t) none = ami_snapshot_chain(all->pdata[0], NULL);
    g_autoptr(json_t) broken = parse("{\"SnapshotId\": \"snap-000000000000000e\", \"AmiRun\": {\"Parent\": \"snap-000000000000000a\","
                                     " \"Chain\": [{\"SnapshotId\": \"snap-000000000000000b\", \"Sha256\": \"2\"}]}}");
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_int_equal(json_array_size(chain), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 0), "SnapshotId")),
                        "snap-000000000000000b");
    assert_int_equal(json_array_size(none), 0);
    assert_null(ami_snapshot_chain(broken, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_CORRUPT));
}

static void
test_refcount_keeps_layers_a_chain_needs(void **state)
{
    g_autoptr(GPtrArray) all = records();
    GPtrArray *del = NULL;
    g_autoptr(GPtrArray) keep = NULL, files = NULL;
    g_autofree char *s = NULL;

    (void)state;
    /* The parent a: its record goes, its file stays (b and c build on it). */
    keep = without(all, (const char *const[]){"snap-000000000000000a", NULL}, &del);
    files = ami_snapshot_files_unreferenced(keep, del);
    assert_int_equal(files->len, 0);
    g_ptr_array_unref(del);
    g_clear_pointer(&keep, g_ptr_array_unref);
    g_clear_pointer(&files, g_ptr_array_unref);

    /* a and b gone, then c: c takes b's and a's files with it (nothing else needs them). */
    keep = without(all, (const char *const[]){"snap-000000000000000c", NULL}, &del);
    for (guint i = keep->len; i-- > 0;) {
        const char *id = json_string_value(json_object_get(keep->pdata[i], "SnapshotId"));
        if (g_str_equal(id, "snap-000000000000000a") || g_str_equal(id, "snap-000000000000000b"))
            g_ptr_array_remove_index(keep, i);
    }
    files = ami_snapshot_files_unreferenced(keep, del);
    s = joined(files);
    assert_string_equal(s, "snap-000000000000000c snap-000000000000000b snap-000000000000000a");
    g_ptr_array_unref(del);
    g_clear_pointer(&keep, g_ptr_array_unref);
    g_clear_pointer(&files, g_ptr_array_unref);
    g_clear_pointer(&s, g_free);

    /* c alone, its parents' records still there: only c's own file goes. */
    keep = without(all, (const char *const[]){"snap-000000000000000c", NULL}, &del);
    files = ami_snapshot_files_unreferenced(keep, del);
    s = joined(files);
    assert_string_equal(s, "snap-000000000000000c");
    g_ptr_array_unref(del);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_name_follows_ec2_rule),
        cmocka_unit_test(test_capture_tags_only_image_and_snapshot),
        cmocka_unit_test(test_capture_volumes_from_instance_and_request),
        cmocka_unit_test(test_capture_volumes_instance_store_copied),
        cmocka_unit_test(test_capture_volumes_refuse_ec2_violations),
        cmocka_unit_test(test_capture_image_json_carries_what_ec2_carries),
        cmocka_unit_test(test_chain_lists_layers_nearest_first),
        cmocka_unit_test(test_refcount_keeps_layers_a_chain_needs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
