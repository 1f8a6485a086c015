/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core/inspect.c: facts JSON -> report (goldens), and the parsers it uses. */
#include "test-util.h"

#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/inspect.h"

#define DIR AMI_RUN_TEST_DATA "/inspect/"

/* tests/data/inspect/<case>.facts.json -> <case>.report.json (AMI_RUN_TEST_REGENERATE=1). */
static void
check_golden(const char *name)
{
    g_autofree char *in = g_strdup_printf(DIR "%s.facts.json", name);
    g_autofree char *out = g_strdup_printf(DIR "%s.report.json", name);
    g_autofree char *want = NULL;
    json_error_t e;
    g_autoptr(json_t) facts = json_load_file(in, 0, &e);
    g_autoptr(json_t) report = NULL;
    g_autofree char *got = NULL;

    if (!facts)
        fail_msg("%s: %s", in, e.text);
    report = ami_inspect_report(facts);
    got = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (g_getenv("AMI_RUN_TEST_REGENERATE")) {
        g_autofree char *nl = g_strdup_printf("%s\n", got);
        g_assert_true(g_file_set_contents(out, nl, -1, NULL));
        return;
    }
    if (!g_file_get_contents(out, &want, NULL, NULL))
        fail_msg("%s is missing (AMI_RUN_TEST_REGENERATE=1 writes it)", out);
    g_strchomp(want);
    if (strcmp(want, got) != 0)
        fail_msg("%s differs:\n%s", out, got);
}

static json_t *
report_of(const char *name)
{
    g_autofree char *in = g_strdup_printf(DIR "%s.facts.json", name);
    g_autoptr(json_t) facts = json_load_file(in, 0, NULL);

    assert_non_null(facts);
    return ami_inspect_report(facts);
}

static gboolean
has_warning(json_t *report, const char *code)
{
    size_t i;
    json_t *w;

    json_array_foreach(json_object_get(report, "Warnings"), i, w) {
        if (!strcmp(json_string_value(json_object_get(w, "Code")), code))
            return TRUE;
    }
    return FALSE;
}

static void
test_inspect_goldens(void **state)
{
    (void)state;
    check_golden("tiny-bios");
    check_golden("debian-ok");
    check_golden("broken");
    check_golden("no-cloud-init");
    check_golden("panic");
}

/* The tiny image: its initramfs is its root, so a missing nvme driver is no warning. */
static void
test_inspect_initramfs_root_needs_no_disk_driver(void **state)
{
    g_autoptr(json_t) r = report_of("tiny-bios");
    json_t *d = json_object_get(json_array_get(json_object_get(r, "Initramfs"), 0), "Drivers");

    (void)state;
    assert_int_equal(json_array_size(json_object_get(r, "Warnings")), 0);
    assert_string_equal(json_string_value(json_object_get(d, "nvme")), "missing");
    assert_string_equal(json_string_value(json_object_get(d, "virtio_blk")), "module");
    assert_true(json_is_null(json_object_get(r, "Os")));
    assert_int_equal(json_array_size(json_object_get(r, "Undetermined")), 5);
}

static void
test_inspect_broken_image_warns_each_cause(void **state)
{
    static const char *const codes[] = {"no-serial-console", "root-device-name",
                                        "initramfs-no-nvme", "initramfs-no-virtio-blk",
                                        "fstab-device-name", "cloud-init-no-datasource",
                                        "cloud-init-stale-instance", "authorized-keys", NULL};
    g_autoptr(json_t) r = report_of("broken");

    (void)state;
    for (const char *const *c = codes; *c; c++) {
        if (!has_warning(r, *c))
            fail_msg("no '%s' warning", *c);
    }
    assert_false(has_warning(r, "ssh-host-keys"));
    /* /dev/xvda1 and /dev/xvdb, and /dev/nvme1n1 (only with the NVMe bus): three. */
    {
        size_t i, n = 0;
        json_t *w;

        json_array_foreach(json_object_get(r, "Warnings"), i, w)
            n += !strcmp(json_string_value(json_object_get(w, "Code")), "fstab-device-name");
        assert_int_equal(n, 3);
    }
}

/* The debian image: built-in nvme counts; a later datasource_list wins. */
static void
test_inspect_builtin_driver_and_last_datasource_list(void **state)
{
    g_autoptr(json_t) r = report_of("debian-ok");
    json_t *ci = json_object_get(r, "CloudInit");

    (void)state;
    assert_false(has_warning(r, "initramfs-no-nvme"));
    assert_false(has_warning(r, "no-serial-console"));
    assert_true(has_warning(r, "ssh-host-keys"));
    assert_string_equal(json_string_value(json_object_get(ci, "Version")), "22.4.2");
    assert_string_equal(json_string_value(json_object_get(ci, "DatasourceSource")),
                        "/etc/cloud/cloud.cfg.d/90-ami-run.cfg");
    assert_true(json_is_true(json_object_get(ci, "Ec2")));
    assert_int_equal(json_array_size(json_object_get(ci, "DatasourceList")), 2);
}

static void
test_inspect_no_cloud_init_is_said(void **state)
{
    g_autoptr(json_t) r = report_of("no-cloud-init");
    g_autofree char *text = ami_inspect_report_text(r);

    (void)state;
    assert_false(has_warning(r, "no-serial-console")); /* arm64: ttyAMA0 */
    assert_non_null(strstr(text, "cannot tell: CloudInit: cloud-init is not installed"));
    assert_non_null(strstr(text, "there is no cloud-init to make new ones"));
    /* Warnings come first. */
    assert_true(g_str_has_prefix(text, "warning: "));
}

static void
test_inspect_datasource_list_forms(void **state)
{
    g_auto(GStrv) flow = ami_cloud_datasource_list("a: 1\ndatasource_list: [ 'NoCloud', \"Ec2\",\n  None ] # x\n");
    g_auto(GStrv) block = ami_cloud_datasource_list("datasource_list:\n  - Ec2\n\n  - None\nother: 1\n");
    g_auto(GStrv) none = ami_cloud_datasource_list("datasource:\n  Ec2:\n    timeout: 5\n");
    g_auto(GStrv) commented = ami_cloud_datasource_list("# datasource_list: [ Ec2 ]\n");

    (void)state;
    assert_int_equal(g_strv_length(flow), 3);
    assert_string_equal(flow[0], "NoCloud");
    assert_string_equal(flow[1], "Ec2");
    assert_string_equal(flow[2], "None");
    assert_int_equal(g_strv_length(block), 2);
    assert_string_equal(block[1], "None");
    assert_null(none);
    assert_null(commented);
}

static void
test_inspect_cmdline_values(void **state)
{
    g_auto(GStrv) c = ami_cmdline_values("root=UUID=x ro console=tty0  console=ttyS0,115200 xroot=y", "console");
    g_auto(GStrv) r = ami_cmdline_values("root=UUID=x ro xroot=y", "root");

    (void)state;
    assert_int_equal(g_strv_length(c), 2);
    assert_string_equal(c[1], "ttyS0,115200");
    assert_int_equal(g_strv_length(r), 1);
    assert_string_equal(r[0], "UUID=x");
}

static void
test_inspect_grub_entries(void **state)
{
    g_autoptr(json_t) e = ami_boot_entries_parse(
        "grub", "g", "menuentry 'A' {\n linux /vmlinuz-1 root=/dev/vda1 console=ttyS0\n initrd /initrd-1\n}\n"
        "menuentry \"B\" {\n linuxefi /vmlinuz-2\n}\n# linux /commented\n");

    (void)state;
    assert_int_equal(json_array_size(e), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "Title")), "A");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "Initrd")), "/initrd-1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "Kernel")), "/vmlinuz-2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "Options")), "");
}

/* One newc member: header, name, padding, body. */
static void
put_member(GByteArray *a, const char *name, const char *body)
{
    g_autofree char *h = g_strdup_printf("070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
                                         1, 0100644, 0, 0, 1, 0, strlen(body), 0, 0, 0, 0,
                                         strlen(name) + 1, 0);
    static const guint8 zeros[4] = {0};

    g_byte_array_append(a, (const guint8 *)h, 110);
    g_byte_array_append(a, (const guint8 *)name, (guint)strlen(name) + 1);
    g_byte_array_append(a, zeros, (4 - a->len % 4) % 4);
    g_byte_array_append(a, (const guint8 *)body, (guint)strlen(body));
    g_byte_array_append(a, zeros, (4 - a->len % 4) % 4);
}

static void
test_inspect_cpio_lists_concatenated_archives(void **state)
{
    g_autoptr(GByteArray) a = g_byte_array_new();
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    static const guint8 zeros[512] = {0};
    gsize end = 0;

    (void)state;
    put_member(a, "kernel/x86/microcode/GenuineIntel.bin", "ucode");
    put_member(a, "TRAILER!!!", "");
    g_byte_array_append(a, zeros, sizeof(zeros));
    put_member(a, "usr/lib/modules/6.1/kernel/drivers/block/virtio_blk.ko", "elf");
    put_member(a, "TRAILER!!!", "");
    g_byte_array_append(a, (const guint8 *)"\x28\xb5\x2f\xfd", 4); /* a zstd archive follows */
    assert_true(ami_cpio_list(a->data, a->len, names, &end, &error));
    assert_int_equal(names->len, 2);
    assert_string_equal(names->pdata[1], "usr/lib/modules/6.1/kernel/drivers/block/virtio_blk.ko");
    assert_int_equal(end, a->len - 4);
    /* Cut inside the last member: an error, not a read past the end. */
    g_ptr_array_set_size(names, 0);
    assert_false(ami_cpio_list(a->data, 160 + 124 + 512 + 130, names, &end, &error));
}

static void
test_inspect_cloud_init_log_last_boot(void **state)
{
    const char *log = "x Cloud-init v. 22.4.2 running 'init-local' at A\nfail\n"
                      "y Cloud-init v. 22.4.2 running 'init-local' at B\nmodule locale failed\n";
    const char *out = "Cloud-init v. 22.4.2 running 'init' at A\nCloud-init v. 22.4.2 running 'init' at B\n";

    (void)state;
    assert_true(g_str_has_prefix(log + ami_cloud_init_log_last_boot(log), "y Cloud-init"));
    assert_true(g_str_has_suffix(out + ami_cloud_init_log_last_boot(out) - 1, "\nCloud-init v. 22.4.2 running 'init' at B\n"));
    assert_int_equal(ami_cloud_init_log_last_boot("no marker\n"), 0);
}

static void
test_inspect_explains_disk_causes_only(void **state)
{
    (void)state;
    assert_true(ami_inspect_explains("root-device-not-found"));
    assert_true(ami_inspect_explains("no-bootable-device"));
    assert_true(ami_inspect_explains("emergency-mode"));
    assert_false(ami_inspect_explains("timeout-stalled"));
    assert_false(ami_inspect_explains("cloud-init-failed"));
    assert_false(ami_inspect_explains(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect_goldens),
        cmocka_unit_test(test_inspect_initramfs_root_needs_no_disk_driver),
        cmocka_unit_test(test_inspect_broken_image_warns_each_cause),
        cmocka_unit_test(test_inspect_builtin_driver_and_last_datasource_list),
        cmocka_unit_test(test_inspect_no_cloud_init_is_said),
        cmocka_unit_test(test_inspect_datasource_list_forms),
        cmocka_unit_test(test_inspect_cmdline_values),
        cmocka_unit_test(test_inspect_grub_entries),
        cmocka_unit_test(test_inspect_cpio_lists_concatenated_archives),
        cmocka_unit_test(test_inspect_cloud_init_log_last_boot),
        cmocka_unit_test(test_inspect_explains_disk_causes_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
