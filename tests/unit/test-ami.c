/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "test-util.h"

/* A valid HVM image with one root volume; cases below change one member at a time. */
#define BASE_IMAGE                                                                            \
    "{\"ImageId\":\"ami-0a1b2c3d4e5f60718\",\"Name\":\"base-image\",\"Architecture\":\"x86_64\"," \
    "\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\",\"BlockDeviceMappings\":["   \
    "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-05f1e2d3c4b5a6978\"}}%s]%s}"

static AmiImage *
parse_variant(const char *extra_mapping, const char *extra_member, GError **error)
{
    g_autofree char *text = g_strdup_printf(BASE_IMAGE, extra_mapping, extra_member);
    g_autoptr(json_t) obj = parse_json(text);

    return ami_image_parse(obj, error);
}

static void
test_ami_base_image_parses(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiImage) image = parse_variant("", "", &error);
    AmiBdm *root;

    (void)state;
    assert_null(error);
    assert_non_null(image);
    assert_string_equal(image->image_id, "ami-0a1b2c3d4e5f60718");
    assert_int_equal(image->arch, AMI_ARCH_X86_64);
    assert_int_equal(image->boot_mode, AMI_BOOT_MODE_LAST);
    assert_int_equal(image->bdms->len, 1);
    root = image->bdms->pdata[0];
    assert_string_equal(root->device, "xvda");
    assert_int_equal(root->kind, AMI_BDM_EBS);
    assert_true(root->delete_on_termination);
    assert_int_equal(root->volume_size, 0);
}

static void
test_ami_mapping_kinds(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiImage) image = parse_variant(
        ",{\"DeviceName\":\"sdb\",\"VirtualName\":\"ephemeral0\"},"
        "{\"DeviceName\":\"/dev/sdc\",\"NoDevice\":\"\"},"
        "{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":500,\"VolumeType\":\"st1\","
        "\"DeleteOnTermination\":false}}", ",\"Platform\":\"windows\"", &error);
    AmiBdm *b;

    (void)state;
    assert_null(error);
    assert_true(image->windows);
    b = image->bdms->pdata[1];
    assert_int_equal(b->kind, AMI_BDM_EPHEMERAL);
    assert_string_equal(b->virtual_name, "ephemeral0");
    assert_int_equal(((AmiBdm *)image->bdms->pdata[2])->kind, AMI_BDM_NO_DEVICE);
    b = image->bdms->pdata[3];
    assert_int_equal(b->volume_size, 500);
    assert_int_equal(b->volume_type, AMI_VOLUME_ST1);
    assert_false(b->delete_on_termination);
    assert_null(b->snapshot_id);
}

typedef struct {
    const char *name;
    const char *mapping;
    const char *member;
    const char *message;
} BadCase;

static const BadCase bad_cases[] = {
    {"unknown architecture", "", ",\"Architecture\":\"sparc\"", NULL},
    {"gp3 size 0", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":0,\"VolumeType\":\"gp3\"}}", "",
     "BlockDeviceMappings[1] (/dev/sdg): VolumeSize 0 is below 1 GiB for gp3"},
    {"gp2 too big", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":16385}}", "",
     "VolumeSize 16385 is above 16384 GiB for gp2"},
    {"io1 below 4", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":3,\"VolumeType\":\"io1\"}}", "",
     "below 4 GiB for io1"},
    {"size not integer", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":\"8\"}}", "",
     "VolumeSize must be a whole number"},
    {"blank without size", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{}}", "", "needs a VolumeSize"},
    {"bad volume type", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":8,\"VolumeType\":\"gp4\"}}", "",
     "VolumeType 'gp4' is not one of standard, io1, io2, gp2, sc1, st1, gp3"},
    {"gp3 iops", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":8,\"VolumeType\":\"gp3\",\"Iops\":10}}", "",
     "Iops 10 is outside 3000-80000 for gp3"},
    {"throughput on gp2", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":8,\"Throughput\":125}}", "",
     "Throughput applies to gp3 volumes only"},
    {"duplicate after /dev/", ",{\"DeviceName\":\"xvda\",\"VirtualName\":\"ephemeral0\"}", "",
     "device xvda is mapped twice"},
    {"two kinds", ",{\"DeviceName\":\"/dev/sdg\",\"NoDevice\":\"\",\"VirtualName\":\"ephemeral1\"}", "",
     "exactly one of Ebs, VirtualName or NoDevice (found 2)"},
    {"no kind", ",{\"DeviceName\":\"/dev/sdg\"}", "", "(found 0)"},
    {"NoDevice boolean", ",{\"DeviceName\":\"/dev/sdg\",\"NoDevice\":true}", "",
     "NoDevice must be a string (\"\"), not a boolean"},
    {"ephemeral name", ",{\"DeviceName\":\"/dev/sdg\",\"VirtualName\":\"ephemeral26\"}", "",
     "VirtualName 'ephemeral26' is not ephemeral0"},
    {"device traversal", ",{\"DeviceName\":\"/dev/../../etc/passwd\",\"Ebs\":{\"VolumeSize\":1}}", "",
     "is not a block device name"},
    {"device missing", ",{\"Ebs\":{\"VolumeSize\":1}}", "", "DeviceName is missing"},
    {"snapshot id", ",{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"SnapshotId\":\"snap-../x\"}}", "",
     "is not a snapshot id"},
    {"image id traversal", "", ",\"ImageId\":\"../../etc/passwd\"", NULL},
    {"boot mode", "", ",\"BootMode\":\"bios\"", "BootMode 'bios' is not one of legacy-bios"},
    {"virt type", "", ",\"VirtualizationType\":\"pv\"", "VirtualizationType 'pv'"},
    {"state", "", ",\"State\":\"gone\"", "State 'gone'"},
    {"tpm", "", ",\"TpmSupport\":\"v1.2\"", "TpmSupport 'v1.2' is not one of v2.0"},
    {"name chars", "", ",\"Name\":\"<script>\"", "Name '<script>' must be 3-128"},
    {"name control", "", ",\"Name\":\"a\\nb\"", "Name contains control characters"},
    {"description long", "", ",\"Description\":\"@LONG@\"",
     "Description is longer than 255"},
    {"creation date", "", ",\"CreationDate\":\"yesterday\"", "CreationDate 'yesterday' is not an ISO-8601"},
    {"public type", "", ",\"Public\":\"yes\"", "Public must be true or false"},
    {"tags shape", "", ",\"Tags\":{\"a\":1}", "Tags must be a list"},
    {"tag key long", "", ",\"Tags\":[{\"Key\":\"@LONG@\",\"Value\":\"v\"}]",
     "Key is longer than 127"},
    {"tag duplicate", "", ",\"Tags\":[{\"Key\":\"a\",\"Value\":\"1\"},{\"Key\":\"a\",\"Value\":\"2\"}]",
     "Key 'a' appears twice"},
    {"root not mapped", "", ",\"RootDeviceName\":\"/dev/sda1\"", "root device /dev/sda1 is not in BlockDeviceMappings"},
    {"root is blank", ",{\"DeviceName\":\"/dev/sdb\",\"Ebs\":{\"VolumeSize\":1}}", ",\"RootDeviceName\":\"/dev/sdb\"",
     "root device /dev/sdb must be an EBS volume with a SnapshotId"},
    {"mappings type", "", ",\"BlockDeviceMappings\":{}", NULL},
};

static void
test_ami_rejects_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const BadCase *c = &bad_cases[i];
        g_autoptr(GError) error = NULL;
        g_autofree char *longs = g_strnfill(300, 'x');
        g_auto(GStrv) parts = g_strsplit(c->member, "@LONG@", -1);
        g_autofree char *member = g_strjoinv(longs, parts);
        g_autofree char *text = g_strdup_printf(BASE_IMAGE, c->mapping, member);
        json_error_t jerr;
        /* Later duplicates win in jansson without JSON_REJECT_DUPLICATES: the override. */
        g_autoptr(json_t) obj = json_loads(text, 0, &jerr);
        g_autoptr(AmiImage) image = NULL;

        if (!obj)
            fail_msg("case '%s': bad JSON: %s", c->name, jerr.text);
        image = ami_image_parse(obj, &error);
        if (image)
            fail_msg("case '%s' was accepted", c->name);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_null(strchr(error->message, '\n'));
        if (c->message && !strstr(error->message, c->message))
            fail_msg("case '%s': '%s' does not contain '%s'", c->name, error->message, c->message);
    }
}

/* register-image: TpmSupport v2.0 needs an image that boots UEFI (NitroTPM). */
static void
test_ami_tpm_needs_uefi(void **state)
{
    static const struct {
        const char *member;
        gboolean ok;
    } cases[] = {
        {",\"TpmSupport\":\"v2.0\",\"BootMode\":\"legacy-bios\"", FALSE},
        {",\"TpmSupport\":\"v2.0\"", FALSE}, /* x86_64 without BootMode boots BIOS */
        {",\"TpmSupport\":\"v2.0\",\"BootMode\":\"uefi\"", TRUE},
        {",\"TpmSupport\":\"v2.0\",\"BootMode\":\"uefi-preferred\"", TRUE},
        {",\"TpmSupport\":\"v2.0\",\"Architecture\":\"arm64\"", TRUE}, /* arm64 boots UEFI */
        {",\"BootMode\":\"legacy-bios\"", TRUE},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = g_strdup_printf(BASE_IMAGE, "", cases[i].member);
        /* Later duplicates win without JSON_REJECT_DUPLICATES: Architecture overridden. */
        g_autoptr(json_t) obj = json_loads(text, 0, NULL);
        g_autoptr(AmiImage) image = ami_image_parse(obj, &error);

        assert_non_null(image);
        if (ami_image_check_tpm(image, &error) != cases[i].ok)
            fail_msg("'%s': expected %s", cases[i].member, cases[i].ok ? "accepted" : "refused");
        if (!cases[i].ok) {
            assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
            assert_error_contains(error, "TpmSupport v2.0 (NitroTPM) needs UEFI");
        }
    }
}

static void
test_ami_instance_store_needs_no_root_mapping(void **state)
{
    g_autoptr(json_t) obj = parse_json(
        "{\"ImageId\":\"ami-3c9e4b55\",\"RootDeviceType\":\"instance-store\","
        "\"VirtualizationType\":\"paravirtual\",\"KernelId\":\"aki-825ea7eb\",\"BlockDeviceMappings\":[]}");
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiImage) image = ami_image_parse(obj, &error);

    (void)state;
    assert_null(error);
    assert_int_equal(image->root_type, AMI_ROOT_INSTANCE_STORE);
    assert_int_equal(image->virt, AMI_VIRT_PARAVIRTUAL);
}

static void
test_ami_device_normalise(void **state)
{
    static const char *const good[][2] = {
        {"/dev/sda1", "sda1"}, {"sdb", "sdb"}, {"/dev/xvda", "xvda"}, {"xvdca", "xvdca"},
        {"/dev/sdf", "sdf"},   {"hda", "hda"},
    };
    static const char *const bad[] = {"", "/dev/", "/dev/nvme0n1", "sd", "sdA", "/dev/sda123",
                                      "xvdabc", "../sda", "/dev/sda/..", "vda"};

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *n = ami_device_normalise(good[i][0], NULL);
        assert_non_null(n);
        assert_string_equal(n, good[i][1]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *n = ami_device_normalise(bad[i], &error);
        if (n)
            fail_msg("'%s' accepted as a device name", bad[i]);
        assert_non_null(error);
    }
}

static void
test_ami_enum_tables_round_trip(void **state)
{
    (void)state;
#define WALK(lower, Type, LAST)                                         \
    for (int i = 0; i < LAST; i++) {                                    \
        Type v;                                                         \
        const char *s = ami_##lower##_to_string((Type)i);               \
        assert_non_null(s);                                             \
        assert_true(ami_##lower##_from_string(s, &v));                  \
        assert_int_equal(v, i);                                         \
    }                                                                   \
    do {                                                                \
        Type v;                                                         \
        assert_null(ami_##lower##_to_string(LAST));                     \
        assert_false(ami_##lower##_from_string("nonsense", &v));        \
        assert_false(ami_##lower##_from_string(NULL, &v));              \
    } while (0)
    WALK(arch, AmiArch, AMI_ARCH_LAST);
    WALK(boot_mode, AmiBootMode, AMI_BOOT_MODE_LAST);
    WALK(virt_type, AmiVirtType, AMI_VIRT_LAST);
    WALK(root_type, AmiRootType, AMI_ROOT_LAST);
    WALK(state, AmiState, AMI_STATE_LAST);
    WALK(volume_type, AmiVolumeType, AMI_VOLUME_LAST);
#undef WALK
}

static void
test_ami_document_shapes(void **state)
{
    static const char *const shapes[] = {
        "{\"Images\":[{\"ImageId\":\"ami-12345678\"},{\"ImageId\":\"ami-87654321\"}],\"NextToken\":null}",
        "{\"status_code\":200,\"data\":{\"Images\":[{\"ImageId\":\"ami-12345678\"},{}],\"ResponseMetadata\":{}}}",
        "[{\"ImageId\":\"ami-12345678\"},{}]",
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        g_autoptr(json_t) doc = parse_json(shapes[i]);
        g_autoptr(GPtrArray) images = ami_images_from_document(doc, NULL);

        assert_non_null(images);
        assert_int_equal(images->len, 2);
    }
    {
        g_autoptr(json_t) doc = parse_json("{\"ImageId\":\"ami-12345678\",\"Name\":\"one\"}");
        g_autoptr(GPtrArray) images = ami_images_from_document(doc, NULL);
        assert_int_equal(images->len, 1);
        assert_ptr_equal(images->pdata[0], doc);
    }
    {
        g_autoptr(json_t) doc = parse_json("{\"Images\":[]}");
        g_autoptr(GError) error = NULL;
        assert_null(ami_images_from_document(doc, &error));
        assert_error_contains(error, "no images");
    }
}

/* Replies that name an image and hold none: refused, saying what they are. */
static void
test_ami_document_replies_hold_no_image(void **state)
{
    static const char *const replies[][2] = {
        {"{\"ImageId\":\"ami-0123456789abcdef0\"}", "RegisterImage, CreateImage or CopyImage"},
        {"{\"ImageId\":\"ami-0123456789abcdef0\",\"ResponseMetadata\":{\"HTTPStatusCode\":200}}",
         "RegisterImage, CreateImage or CopyImage"},
        {"{\"status_code\":200,\"data\":{\"ImageId\":\"ami-0123456789abcdef0\"}}",
         "RegisterImage, CreateImage or CopyImage"},
        {"{\"ImageId\":\"ami-0123456789abcdef0\",\"LaunchPermissions\":[]}", "DescribeImageAttribute"},
        {"{\"ImageId\":\"ami-0123456789abcdef0\",\"LaunchPermissions\":[{\"Group\":\"all\"}]}",
         "DescribeImageAttribute"},
        {"{\"ImageId\":\"ami-0123456789abcdef0\",\"Description\":{\"Value\":\"golden\"}}",
         "DescribeImageAttribute"},
        {"{\"ImageId\":\"ami-0123456789abcdef0\",\"KernelId\":{}}", "DescribeImageAttribute"},
        {"{\"BootMode\":{\"Value\":\"uefi\"},\"ImageId\":\"ami-0123456789abcdef0\"}",
         "DescribeImageAttribute"},
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(replies); i++) {
        g_autoptr(json_t) doc = parse_json(replies[i][0]);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) images = ami_images_from_document(doc, &error);

        if (images)
            fail_msg("'%s' was taken for an image", replies[i][0]);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_error_contains(error, replies[i][1]);
        assert_error_contains(error, "it holds no image");
        assert_null(strchr(error->message, '\n'));
    }
}

/* Real Windows AMIs map ephemeral0 … ephemeral25 to xvdca … xvdcz (ami-facts §2; the guide says 23). */
static void
test_ami_windows_ephemeral_mappings(void **state)
{
    g_autoptr(GString) maps = g_string_new("");
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiImage) image = NULL;

    (void)state;
    for (int i = 0; i <= 25; i++)
        g_string_append_printf(maps, ",{\"DeviceName\":\"xvdc%c\",\"VirtualName\":\"ephemeral%d\"}",
                               'a' + i, i);
    image = parse_variant(maps->str, ",\"Platform\":\"windows\"", &error);
    assert_null(error);
    assert_int_equal(image->bdms->len, 27);
    assert_string_equal(((AmiBdm *)image->bdms->pdata[26])->device, "xvdcz");
    assert_string_equal(((AmiBdm *)image->bdms->pdata[26])->virtual_name, "ephemeral25");
    assert_true(ami_virtual_name_is_valid("ephemeral25"));
    assert_false(ami_virtual_name_is_valid("ephemeral26"));
}

static gint64
fake_sizes(const char *snapshot_id, gpointer data)
{
    (void)data;
    return strcmp(snapshot_id, "snap-05f1e2d3c4b5a6978") == 0 ? 8 : -1;
}

static void
test_ami_check_snapshots(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiImage) ok = parse_variant("", "", NULL);
    g_autoptr(AmiImage) missing = parse_variant(
        ",{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"SnapshotId\":\"snap-0000000000000aaaa\"}},"
        "{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"SnapshotId\":\"snap-0000000000000bbbb\"}}", "", NULL);
    g_autoptr(AmiImage) small = parse_variant(
        ",{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"SnapshotId\":\"snap-05f1e2d3c4b5a6978\",\"VolumeSize\":4}}", "",
        NULL);

    (void)state;
    assert_true(ami_image_check_snapshots(ok, fake_sizes, NULL, &error));
    assert_false(ami_image_check_snapshots(missing, fake_sizes, NULL, &error));
    assert_error_contains(error, "snapshots not in the store: snap-0000000000000aaaa, snap-0000000000000bbbb");
    g_clear_error(&error);
    assert_false(ami_image_check_snapshots(small, fake_sizes, NULL, &error));
    assert_error_contains(error, "BlockDeviceMappings[1] (/dev/sdf): VolumeSize 4 is smaller than snapshot snap-05f1e2d3c4b5a6978 (8 GiB)");
}

static void
test_ami_json_errors_name_line_and_column(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) dup = NULL;

    (void)state;
    assert_null(ami_json_load_string("{\n  \"a\": 1,\n  \"b\": }", "input", &error));
    assert_error_contains(error, "input: line 3, column");
    g_clear_error(&error);
    dup = ami_json_load_string("{\"a\": 1, \"a\": 2}", "input", &error);
    assert_null(dup);
    assert_error_contains(error, "duplicate");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ami_base_image_parses),
        cmocka_unit_test(test_ami_mapping_kinds),
        cmocka_unit_test(test_ami_rejects_bad_input),
        cmocka_unit_test(test_ami_tpm_needs_uefi),
        cmocka_unit_test(test_ami_instance_store_needs_no_root_mapping),
        cmocka_unit_test(test_ami_device_normalise),
        cmocka_unit_test(test_ami_enum_tables_round_trip),
        cmocka_unit_test(test_ami_document_shapes),
        cmocka_unit_test(test_ami_document_replies_hold_no_image),
        cmocka_unit_test(test_ami_windows_ephemeral_mappings),
        cmocka_unit_test(test_ami_check_snapshots),
        cmocka_unit_test(test_ami_json_errors_name_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
