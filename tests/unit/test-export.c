/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/export.h"
#include "ami-run/ids.h"
#include "test-util.h"

static AmiExportRequest *
parse(const char *text, GError **error)
{
    g_autoptr(json_t) req = parse_json(text);

    return ami_export_request_parse(req, error);
}

static void
test_export_format_table_round_trips(void **state)
{
    static const char *const ext[] = {"vmdk", "raw", "vhd"};
    static const char *const qemu[] = {"vmdk", "raw", "vpc"};

    (void)state;
    for (int i = 0; i < AMI_EXPORT_LAST; i++) {
        AmiExportFormat f;
        const char *s = ami_export_format_to_string((AmiExportFormat)i);

        assert_non_null(s);
        assert_true(ami_export_format_from_string(s, &f));
        assert_int_equal(f, i);
        assert_string_equal(ami_export_format_extension(f), ext[i]);
        assert_string_equal(ami_export_format_qemu(f), qemu[i]);
    }
    assert_null(ami_export_format_to_string(AMI_EXPORT_LAST));
    assert_null(ami_export_format_extension(AMI_EXPORT_LAST));
    assert_false(ami_export_format_from_string("vmdk", &(AmiExportFormat){0}));
    assert_false(ami_export_format_from_string(NULL, &(AmiExportFormat){0}));
    /* What VM Import/Export takes: stream-optimized VMDK, dynamic VHD of the exact size. */
    assert_string_equal(ami_export_format_qemu_options(AMI_EXPORT_VMDK), "subformat=streamOptimized");
    assert_string_equal(ami_export_format_qemu_options(AMI_EXPORT_VHD), "subformat=dynamic,force_size=on");
    assert_null(ami_export_format_qemu_options(AMI_EXPORT_RAW));
}

static void
test_export_request_and_result_shapes(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiExportRequest) r = parse(
        "{\"ImageId\":\"ami-0123456789abcdef0\",\"DiskImageFormat\":\"VHD\",\"Description\":\"d\","
        "\"S3ExportLocation\":{\"S3Bucket\":\"my.bucket-1\",\"S3Prefix\":\"exports/\"},"
        "\"RoleName\":\"vmimport\",\"ClientToken\":\"t\",\"DryRun\":false,"
        "\"TagSpecifications\":[{\"ResourceType\":\"export-image-task\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}]}",
        &error);
    g_autoptr(json_t) result = NULL;
    g_autoptr(json_t) want = parse_json(
        "{\"Description\":\"d\",\"DiskImageFormat\":\"VHD\",\"ExportImageTaskId\":\"export-ami-0123456789abcdef0\","
        "\"ImageId\":\"ami-0123456789abcdef0\",\"RoleName\":\"vmimport\",\"Progress\":\"100\","
        "\"S3ExportLocation\":{\"S3Bucket\":\"my.bucket-1\",\"S3Prefix\":\"exports/\"},"
        "\"Status\":\"completed\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}");
    g_autofree char *path = NULL;

    (void)state;
    assert_null(error);
    assert_int_equal(r->format, AMI_EXPORT_VHD);
    assert_false(r->dry_run);
    result = ami_export_result(r, "export-ami-0123456789abcdef0");
    assert_true(json_equal(result, want));
    /* EC2's S3 key: PREFIX + export-ami-….EXT, here below a directory named after the bucket. */
    path = ami_export_default_path(r, "export-ami-0123456789abcdef0");
    assert_string_equal(path, "my.bucket-1/exports/export-ami-0123456789abcdef0.vhd");
}

static void
test_export_default_paths(void **state)
{
    static const struct {
        const char *request;
        const char *path;
    } cases[] = {
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"VMDK\"}", "export-ami-00000000000000001.vmdk"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\"}}",
         "bkt/export-ami-00000000000000001.raw"},
        /* A prefix without a slash is taken literally, as S3 does. */
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"S3Prefix\":\"x-\"}}",
         "bkt/x-export-ami-00000000000000001.raw"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiExportRequest) r = parse(cases[i].request, &error);
        g_autofree char *path = NULL;

        assert_non_null(r);
        path = ami_export_default_path(r, "export-ami-00000000000000001");
        assert_string_equal(path, cases[i].path);
    }
}

static void
test_export_rejects_bad_requests(void **state)
{
    static const char *const bad[][2] = {
        {"[]", "must be a JSON object"},
        {"{\"DiskImageFormat\":\"RAW\"}", "ImageId is required"},
        {"{\"ImageId\":\"ami-../../etc\",\"DiskImageFormat\":\"RAW\"}", "is not an image id"},
        {"{\"ImageId\":\"ami-12345678\"}", "DiskImageFormat is required"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"QCOW2\"}", "'QCOW2' is not one of VMDK, RAW, VHD"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"Bucket\":\"x\"}", "'Bucket' is not an export-image parameter"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":1}", "DiskImageFormat must be a string"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":\"b\"}", "must be a structure"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{}}", "S3Bucket is required"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"..\"}}", "is not a bucket name"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"a/b/c\"}}", "is not a bucket name"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"Upper\"}}", "is not a bucket name"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"a..b\"}}", "is not a bucket name"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"S3Prefix\":\"../x/\"}}", "must stay below the bucket"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"S3Prefix\":\"a/../../x\"}}", "must stay below the bucket"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"S3Prefix\":\"/etc/\"}}", "must stay below the bucket"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"S3Prefix\":\"a\\nb\"}}", "must stay below the bucket"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"S3ExportLocation\":{\"S3Bucket\":\"bkt\",\"Key\":\"k\"}}", "'Key' is not a member"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"DryRun\":\"yes\"}", "DryRun must be true or false"},
        {"{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"TagSpecifications\":[{\"ResourceType\":\"image\",\"Tags\":[]}]}", "ResourceType must be export-image-task"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiExportRequest) r = parse(bad[i][0], &error);

        if (r)
            fail_msg("'%s' was accepted", bad[i][0]);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        if (!strstr(error->message, bad[i][1]))
            fail_msg("'%s': '%s' does not contain '%s'", bad[i][0], error->message, bad[i][1]);
        assert_null(strchr(error->message, '\n'));
    }
}

static void
test_export_description_limit(void **state)
{
    g_autofree char *longs = g_strnfill(256, 'x');
    g_autofree char *text = g_strdup_printf(
        "{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"RAW\",\"Description\":\"%s\"}", longs);
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiExportRequest) r = parse(text, &error);

    (void)state;
    assert_null(r);
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    assert_non_null(strstr(error->message, "at most 255 characters"));
}

static void
test_export_task_ids_look_like_ec2s(void **state)
{
    static const guint8 bytes[9] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01};
    g_autofree char *id = ami_id_format(AMI_ID_EXPORT_IMAGE_TASK, bytes);

    (void)state;
    assert_string_equal(id, "export-ami-0123456789abcdef0");
    assert_true(ami_id_is_valid(AMI_ID_EXPORT_IMAGE_TASK, id));
    assert_false(ami_id_is_valid(AMI_ID_EXPORT_IMAGE_TASK, "export-ami-../x"));
}

/* The record keeps what ExportImageTask lacks under AmiRun; the view and result restore the shapes. */
static void
test_export_task_record_view_result(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiExportRequest) r = parse(
        "{\"ImageId\":\"ami-12345678\",\"DiskImageFormat\":\"VMDK\",\"RoleName\":\"vmimport\","
        "\"ClientToken\":\"tok\"}", &error);
    g_autoptr(json_t) record = ami_export_task_record(r, "export-ami-00000000000000001", "eu-west-1", "/x/y.vmdk");
    g_autoptr(json_t) view = ami_export_task_view(record);
    g_autoptr(json_t) result = ami_export_task_result(record);
    g_autoptr(json_t) fresh = ami_export_result(r, "export-ami-00000000000000001");
    g_autoptr(json_t) want_own = parse_json(
        "{\"Region\":\"eu-west-1\",\"OutputFile\":\"/x/y.vmdk\",\"DiskImageFormat\":\"VMDK\","
        "\"RoleName\":\"vmimport\",\"ClientToken\":\"tok\"}");
    g_autoptr(json_t) want_view = parse_json(
        "{\"ExportImageTaskId\":\"export-ami-00000000000000001\",\"ImageId\":\"ami-12345678\","
        "\"Progress\":\"100\",\"Status\":\"completed\"}");

    (void)state;
    assert_true(json_equal(json_object_get(record, "AmiRun"), want_own));
    assert_true(json_equal(view, want_view));
    assert_true(json_equal(result, fresh));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_format_table_round_trips),
        cmocka_unit_test(test_export_request_and_result_shapes),
        cmocka_unit_test(test_export_default_paths),
        cmocka_unit_test(test_export_rejects_bad_requests),
        cmocka_unit_test(test_export_description_limit),
        cmocka_unit_test(test_export_task_ids_look_like_ec2s),
        cmocka_unit_test(test_export_task_record_view_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
