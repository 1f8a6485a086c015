/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Golden tests for plan -> domain XML, in the style of libvirt's qemuxml2argvdata: fixed
 * inputs (an AMI, run options, ids) give byte-for-byte the XML in tests/data/xml/, and
 * that XML passes virt-xml-validate against libvirt's schema.  Regenerate after an
 * intended change with AMI_RUN_REGENERATE=1 (it writes the goldens and fails), review
 * the diff, and run again without it.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/plan.h"
#include "test-util.h"

typedef struct {
    const char *name;
    const char *image; /* describe-images JSON of one image */
    const char *instance_type;
    AmiDiskBus bus;
    AmiBootMode boot_mode; /* AMI_BOOT_MODE_LAST: the image's */
    gboolean secure_boot;
    int ssh_port;
    const char *overrides;
    AmiNic nic;           /* AMI_NIC_OWN (0): -netdev stream to ami-run's libslirp */
    gboolean no_seed;     /* --metadata-source imds */
} Case;

#define X86(extra, bdms)                                                                          \
    "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"golden\",\"Architecture\":"       \
    "\"x86_64\",\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\","                    \
    "\"VirtualizationType\":\"hvm\",\"State\":\"available\"" extra ",\"BlockDeviceMappings\":[" \
    bdms "]}"
#define ROOT "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"SnapshotId\":\"snap-0123456789abcdef0\",\"VolumeSize\":8}}"

static const Case cases[] = {
    {"bios", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"uefi", X86(",\"BootMode\":\"uefi\"", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"uefi-preferred", X86(",\"BootMode\":\"uefi-preferred\"", ROOT), NULL, AMI_BUS_VIRTIO,
     AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"secure-boot-tpm", X86(",\"BootMode\":\"uefi\",\"TpmSupport\":\"v2.0\"", ROOT), "m5.large",
     AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, TRUE, 0, NULL},
    {"arm64", "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"golden-arm64\",\"Architecture\":\"arm64\","
              "\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\",\"VirtualizationType\":"
              "\"hvm\",\"State\":\"available\",\"BlockDeviceMappings\":[" ROOT "]}",
     NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"multi-disk",
     X86("", ROOT ",{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"SnapshotId\":\"snap-0fedcba9876543210\"}},"
             "{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":100,\"DeleteOnTermination\":false}},"
             "{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"},"
             "{\"DeviceName\":\"/dev/sdh\",\"NoDevice\":\"\"}"),
     "m5d.large", AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0,
     "[{\"DeviceName\":\"/dev/sdg\",\"Ebs\":{\"VolumeSize\":200}}]"},
    {"nvme", X86(",\"BootMode\":\"uefi\"", ROOT ",{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeSize\":4}}"),
     NULL, AMI_BUS_NVME, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"sata-ssh", X86("", ROOT), NULL, AMI_BUS_SATA, AMI_BOOT_MODE_LAST, FALSE, 2222, NULL},
    {"own-network", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 2222, NULL,
     AMI_NIC_OWN},
    {"builtin", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL,
     AMI_NIC_BUILTIN},
    {"builtin-ssh", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 2222, NULL,
     AMI_NIC_BUILTIN},
    {"no-network", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL,
     AMI_NIC_NONE},
    {"imds-only", X86("", ROOT), NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL,
     AMI_NIC_OWN, TRUE},
        /* No --disk-bus: the type decides.  t3.micro, the default, is Nitro: NVMe. */
    {"nitro-default", X86("", ROOT ",{\"DeviceName\":\"/dev/sdb\",\"VirtualName\":\"ephemeral0\"}"),
     "m5d.large", AMI_BUS_LAST, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"xen-default", X86("", ROOT), "t2.micro", AMI_BUS_LAST, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
    {"arm64-nitro", "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"golden-arm64\",\"Architecture\":\"arm64\","
              "\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\",\"VirtualizationType\":"
              "\"hvm\",\"State\":\"available\",\"BlockDeviceMappings\":[" ROOT "]}",
     NULL, AMI_BUS_LAST, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
};

static gboolean
lookup(const char *snapshot_id, AmiSnapshotInfo *ret, gpointer data)
{
    (void)data;
    ret->path = g_strdup_printf("/store/snapshots/%s", snapshot_id);
    ret->size_gib = 2;
    return TRUE;
}

static const char *instance_dir = "/store/instances/i-0123456789abcdef0";

/* The plan of @c, or NULL with @error set. */
static AmiRunPlan *
build(const Case *c, GError **error)
{
    static const char *const volumes[] = {"vol-00000000000000001", "vol-00000000000000002",
                                          "vol-00000000000000003", "vol-00000000000000004",
                                          "vol-00000000000000005", "vol-00000000000000006",
                                          "vol-00000000000000007", NULL};
    g_autoptr(json_t) j = parse_json(c->image);
    g_autoptr(json_t) ov = c->overrides ? parse_json(c->overrides) : NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(AmiImage) image = ami_image_parse(j, &local);
    AmiPlanOptions o = {
        .instance_id = "i-0123456789abcdef0",
        .instance_dir = instance_dir,
        .mac = "52:54:00:12:34:56",
        .instance_type = c->instance_type,
        .boot_mode = c->boot_mode,
        .secure_boot = c->secure_boot,
        .accel = AMI_ACCEL_TCG,
        .disk_bus = c->bus,
        .bdm_overrides = ov,
        .ssh_port = c->ssh_port,
        .nic = c->nic,
        .no_seed = c->no_seed,
        .volume_ids = (char **)volumes,
        .lookup = lookup,
    };

    if (!image)
        fail_msg("%s: %s", c->name, local->message);
    return ami_plan_build(image, &o, error);
}

static char *
render(const Case *c)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiRunPlan) plan = build(c, &error);
    char *xml;

    if (!plan)
        fail_msg("%s: %s", c->name, error->message);
    xml = ami_domain_xml_render(plan, &error);
    if (!xml)
        fail_msg("%s: %s", c->name, error->message);
    return xml;
}

static void
test_golden(void **state)
{
    gboolean regenerate = g_getenv("AMI_RUN_REGENERATE") != NULL;
    g_autofree char *validator = g_find_program_in_path("virt-xml-validate");
    guint regenerated = 0;

    (void)state;
    if (!validator)
        test_skip_part("test-domain-xml", "virt-xml-validate not found (libvirt-clients): "
                                          "goldens compared, not validated");
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = render(&cases[i]);
        g_autofree char *path = g_strdup_printf("%s/xml/%s.xml", AMI_RUN_TEST_DATA, cases[i].name);
        g_autofree char *want = NULL;

        if (regenerate) {
            /* Written, then failed: a regenerated golden compared with itself proves
             * nothing; the next run without AMI_RUN_REGENERATE is the test. */
            assert_true(g_file_set_contents(path, xml, -1, NULL));
            regenerated++;
            continue;
        }
        if (!g_file_get_contents(path, &want, NULL, NULL))
            fail_msg("%s is missing (AMI_RUN_REGENERATE=1 writes it)", path);
        if (strcmp(xml, want) != 0)
            fail_msg("%s: the rendered XML differs from %s:\n%s", cases[i].name, path, xml);
        if (validator) {
            const char *argv[] = {validator, path, "domain", NULL};
            g_autofree char *out = NULL;
            g_autofree char *err = NULL;
            int status = 0;

            assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                     &err, &status, NULL));
            if (!g_spawn_check_wait_status(status, NULL))
                fail_msg("%s does not validate: %s%s", path, out, err);
        }
    }
    if (regenerated)
        fail_msg("AMI_RUN_REGENERATE: wrote %u goldens under %s/xml; review the diff, then run "
                 "again without it", regenerated, AMI_RUN_TEST_DATA);
}

/* A store path the user chose never breaks the XML: every value is escaped. */
static void
test_escaping(void **state)
{
    g_autofree char *xml = NULL;

    (void)state;
    instance_dir = "/tmp/a&b <c>'\"/instances/i-0123456789abcdef0";
    xml = render(&cases[0]);
    instance_dir = "/store/instances/i-0123456789abcdef0";
    assert_null(strstr(xml, "a&b"));
    assert_null(strstr(xml, "<c>"));
    assert_non_null(strstr(xml, "/tmp/a&amp;b &lt;c&gt;&apos;&quot;/instances/"));
}

/* NitroTPM needs UEFI (G:enable-nitrotpm-prerequisites): a BIOS boot gets no TPM, it is refused. */
static void
test_plan_refuses_tpm_without_uefi(void **state)
{
    static const Case refused[] = {
        {"tpm-legacy-bios", X86(",\"BootMode\":\"legacy-bios\",\"TpmSupport\":\"v2.0\"", ROOT), NULL,
         AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
        {"tpm-no-boot-mode", X86(",\"TpmSupport\":\"v2.0\"", ROOT), NULL, AMI_BUS_VIRTIO,
         AMI_BOOT_MODE_LAST, FALSE, 0, NULL},
        {"tpm-override-bios", X86(",\"BootMode\":\"uefi\",\"TpmSupport\":\"v2.0\"", ROOT), NULL,
         AMI_BUS_VIRTIO, AMI_BOOT_MODE_LEGACY_BIOS, FALSE, 0, NULL},
    };
    const Case preferred = {"tpm-uefi-preferred",
                            X86(",\"BootMode\":\"uefi-preferred\",\"TpmSupport\":\"v2.0\"", ROOT),
                            NULL, AMI_BUS_VIRTIO, AMI_BOOT_MODE_LAST, FALSE, 0, NULL};
    g_autoptr(AmiRunPlan) ok = NULL;

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiRunPlan) plan = build(&refused[i], &error);

        if (plan)
            fail_msg("%s: planned with %s firmware and tpm %d", refused[i].name,
                     ami_firmware_to_string(plan->firmware), plan->tpm);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        if (!strstr(error->message, "TpmSupport v2.0 (NitroTPM), which needs UEFI"))
            fail_msg("%s: %s", refused[i].name, error->message);
    }
    ok = build(&preferred, NULL);
    assert_non_null(ok);
    assert_true(ok->tpm);
    assert_int_equal(ok->firmware, AMI_FIRMWARE_UEFI);
}

/* EC2's system UUID starts "ec2" (what ds-identify tests); derived from the id, the same each time. */
static void
test_instance_uuid_is_ec2_and_derived(void **state)
{
    g_autofree char *a = ami_instance_uuid("i-0123456789abcdef0");
    g_autofree char *again = ami_instance_uuid("i-0123456789abcdef0");
    g_autofree char *b = ami_instance_uuid("i-0123456789abcdef1");
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiRunPlan) plan = build(&cases[0], &error);

    (void)state;
    assert_true(g_str_has_prefix(a, "ec2"));
    assert_true(g_uuid_string_is_valid(a));
    assert_string_equal(a, again);
    assert_string_not_equal(a, b);
    assert_non_null(plan);
    assert_string_equal(plan->uuid, a); /* the domain <uuid> and the SMBIOS one */
}

/* Nitro types get NVMe and "Amazon EC2"; Xen-era ones virtio and "Xen"; --disk-bus wins. */
static void
test_nitro_table_decides_bus_and_smbios(void **state)
{
    static const struct {
        const char *type;
        gboolean nitro;
    } known[] = {{"t3.micro", TRUE}, {"t3a.small", TRUE}, {"m5.large", TRUE}, {"c5.large", TRUE},
                 {"r5.large", TRUE}, {"m6i.large", TRUE}, {"t4g.micro", TRUE}, {"m6g.large", TRUE},
                 {"c7g.large", TRUE}, {"t2.micro", FALSE}, {"m4.large", FALSE}, {"c4.large", FALSE},
                 {"i3.large", FALSE}, {"m3.medium", FALSE}};
    Case c = cases[0];

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        const AmiInstanceType *t = ami_instance_type_lookup(known[i].type);

        assert_non_null(t);
        if (t->nitro != known[i].nitro)
            fail_msg("%s: nitro %d", known[i].type, t->nitro);
        assert_string_equal(ami_instance_type_smbios(t)->manufacturer,
                            known[i].nitro ? "Amazon EC2" : "Xen");
    }
    c.bus = AMI_BUS_LAST;
    for (int nitro = 0; nitro < 2; nitro++) {
        g_autoptr(AmiRunPlan) plan = NULL;
        g_autofree char *hint = NULL;

        c.instance_type = nitro ? NULL : "t2.micro"; /* NULL: the default, t3.micro */
        plan = build(&c, NULL);
        assert_non_null(plan);
        assert_int_equal(plan->disk_bus, nitro ? AMI_BUS_NVME : AMI_BUS_VIRTIO);
        assert_true(plan->disk_bus_from_type);
        assert_string_equal(((AmiPlanDisk *)plan->disks->pdata[0])->target,
                            nitro ? "nvme0n1" : "vda");
        hint = ami_plan_root_device_hint(plan);
        if (nitro)
            assert_non_null(strstr(hint, "instance type t3.micro uses NVMe; try --disk-bus virtio"));
        else
            assert_null(hint);
    }
    {
        g_autoptr(AmiRunPlan) plan = NULL;

        c.instance_type = "t3.micro";
        c.bus = AMI_BUS_VIRTIO;
        plan = build(&c, NULL);
        assert_int_equal(plan->disk_bus, AMI_BUS_VIRTIO);
        assert_false(plan->disk_bus_from_type);
        assert_string_equal(plan->smbios->manufacturer, "Amazon EC2");
    }
}

/* Serials and models as EC2 shows them: vol… for EBS, AWS… for the instance store. */
static void
test_nvme_serials_and_models(void **state)
{
    const Case *c = &cases[G_N_ELEMENTS(cases) - 3]; /* nitro-default: m5d.large, ephemeral0 */
    g_autoptr(AmiRunPlan) plan = build(c, NULL);
    const AmiPlanDisk *root, *store;

    (void)state;
    assert_string_equal(c->name, "nitro-default");
    assert_int_equal(plan->disks->len, 2);
    root = plan->disks->pdata[0];
    store = plan->disks->pdata[1];
    assert_string_equal(root->serial, "vol00000000000000001");
    assert_string_equal(root->model, "Amazon Elastic Block Store");
    assert_string_equal(store->serial, "AWS00000000000000002");
    assert_int_equal(strlen(store->serial), 20);
    assert_string_equal(store->model, "Amazon EC2 NVMe Instance Storage");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_plan_refuses_tpm_without_uefi),
        cmocka_unit_test(test_instance_uuid_is_ec2_and_derived),
        cmocka_unit_test(test_nitro_table_decides_bus_and_smbios),
        cmocka_unit_test(test_nvme_serials_and_models),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
