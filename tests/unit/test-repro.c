/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core/repro.c: saved get-console-output parsing, signatures, what QEMU cannot reproduce. */
#include "test-util.h"

#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/repro.h"

static const char PANIC_TEXT[] =
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
    "Linux version 6.1.0-27-cloud-amd64 (debian-kernel@lists.debian.org)\r\n"
    "[    1.234567] VFS: Cannot open root device \"nvme0n1p1\" or unknown-block(0,0): error -6\r\n"
    "[    1.234999] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n";

static AmiSavedConsole *
parse(const char *data, gsize len)
{
    g_autoptr(GError) error = NULL;
    AmiSavedConsole *s = ami_saved_console_parse(data, len, "saved.json", &error);

    if (!s)
        fail_msg("parse failed: %s", error->message);
    return s;
}

/* The AWS CLI's default: JSON, Output decoded. */
static void
test_json_decoded(void **state)
{
    g_autoptr(json_t) j = json_pack("{s:s, s:s, s:s}", "InstanceId", "i-0123456789abcdef0",
                                    "Timestamp", "2026-12-02T06:00:00.000Z", "Output", PANIC_TEXT);
    g_autofree char *text = json_dumps(j, JSON_INDENT(4));
    g_autoptr(AmiSavedConsole) s = parse(text, strlen(text));

    (void)state;
    assert_int_equal(s->form, AMI_SAVED_JSON);
    assert_string_equal(s->text, PANIC_TEXT);
    assert_string_equal(s->instance_id, "i-0123456789abcdef0");
    assert_false(s->truncated);
}

/* The raw API (or an SDK) leaves Output base64; a bare blob is base64 too, wrapped. */
static void
test_base64_forms(void **state)
{
    g_autofree char *b64 = g_base64_encode((const guchar *)PANIC_TEXT, strlen(PANIC_TEXT));
    g_autoptr(json_t) j = json_pack("{s:s, s:s}", "InstanceId", "i-0123456789abcdef0", "Output", b64);
    g_autofree char *text = json_dumps(j, 0);
    g_autoptr(AmiSavedConsole) in_json = parse(text, strlen(text));
    g_autoptr(GString) wrapped = g_string_new(NULL);
    g_autoptr(AmiSavedConsole) bare = NULL;

    (void)state;
    assert_int_equal(in_json->form, AMI_SAVED_JSON_BASE64);
    assert_string_equal(in_json->text, PANIC_TEXT);
    for (size_t i = 0; i < strlen(b64); i += 76)
        g_string_append_printf(wrapped, "%.76s\n", b64 + i);
    bare = parse(wrapped->str, wrapped->len);
    assert_int_equal(bare->form, AMI_SAVED_BASE64);
    assert_string_equal(bare->text, PANIC_TEXT);
}

/* Text that happens to be base64 syntax but decodes to binary stays text. */
static void
test_plain_text(void **state)
{
    g_autoptr(AmiSavedConsole) s = parse(PANIC_TEXT, strlen(PANIC_TEXT));
    g_autoptr(AmiSavedConsole) word = parse("ABCD\n", 5);
    g_autoptr(AmiSavedConsole) nul = parse("a console line\0 with a NUL in it\n", 33);
    gsize n = 0;
    g_autofree char *bad = ami_base64_strict_decode("QUJD=A==", 8, &n);

    (void)state;
    assert_int_equal(s->form, AMI_SAVED_PLAIN);
    assert_int_equal(s->len, strlen(PANIC_TEXT));
    assert_int_equal(word->form, AMI_SAVED_PLAIN);
    assert_int_equal(nul->form, AMI_SAVED_PLAIN);
    assert_int_equal(nul->len, 33);
    assert_null(bad); /* '=' inside is not strict base64 */
}

static void
expect_invalid(const char *data, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSavedConsole) s = ami_saved_console_parse(data, strlen(data), "f.json", &error);

    assert_null(s);
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    if (!strstr(error->message, needle))
        fail_msg("'%s' lacks '%s'", error->message, needle);
    assert_null(strchr(error->message, '\n'));
}

static void
test_refusals(void **state)
{
    (void)state;
    expect_invalid("", "is empty");
    expect_invalid(" \n\t", "is empty");
    expect_invalid("{\"Output\": ", "starts like JSON but is not");
    expect_invalid("\x01\x02\x03\x04\x05\x06garbage\x07\x08", "it is binary");
    expect_invalid("{\"InstanceId\": \"i-1\", \"Timestamp\": \"x\"}", "has no Output");
    expect_invalid("{\"InstanceId\": \"i-1\", \"Output\": null}", "has no Output");
    expect_invalid("{\"Output\": 3}", "not a string");
    expect_invalid("{\"Reservations\": []}", "has no Output");
}

/* EC2 keeps 64 KiB: that much text starting mid-boot lost its start; from a kernel
 * banner it did not, and a short one never did. */
static void
test_truncation(void **state)
{
    g_autoptr(GString) mid = g_string_new(NULL);
    g_autoptr(GString) whole = g_string_new("[    0.000000] Linux version 6.1.0\n");
    g_autoptr(AmiSavedConsole) cut = NULL;
    g_autoptr(AmiSavedConsole) full = NULL;
    g_autoptr(AmiSavedConsole) small = parse("systemd[1]: Started foo.\n", 25);
    g_autoptr(json_t) j = NULL;
    g_autofree char *text = NULL;

    (void)state;
    while (mid->len < AMI_CONSOLE_OUTPUT_KEEP - 3)
        g_string_append(mid, "[  100.000000] systemd[1]: Started something.\n");
    g_string_truncate(mid, AMI_CONSOLE_OUTPUT_KEEP - 3);
    j = json_pack("{s:s, s:s%}", "InstanceId", "i-1", "Output", mid->str, mid->len);
    text = json_dumps(j, 0);
    cut = parse(text, strlen(text));
    assert_true(cut->truncated);
    while (whole->len < AMI_CONSOLE_OUTPUT_KEEP)
        g_string_append(whole, "[  100.000000] systemd[1]: Started something.\n");
    g_string_truncate(whole, AMI_CONSOLE_OUTPUT_KEEP);
    full = parse(whole->str, whole->len);
    assert_false(full->truncated);
    assert_false(small->truncated);
}

static void
expect_normal(const char *line, const char *want)
{
    g_autofree char *got = ami_signature_normalise_line(line);

    assert_string_equal(got, want);
}

/* What differs between two boots of the same failure goes; the words stay. */
static void
test_normalise(void **state)
{
    (void)state;
    expect_normal("[    1.234999] Kernel panic - not syncing: VFS: Unable to mount root fs on "
                  "unknown-block(0,0)\r",
                  "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(<n>,<n>)");
    expect_normal("[ 1234.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(259,1)",
                  "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(<n>,<n>)");
    expect_normal("<3>systemd-fsck[254]: /dev/nvme0n1p1: fsck failed with exit status 4.",
                  "systemd-fsck: /dev/<blk>: fsck failed with exit status <n>.");
    expect_normal("\x1b[0;31m[FAILED]\x1b[0m Failed to mount /dev/xvdf1 at 2026-12-02 06:10:00",
                  "[FAILED] Failed to mount /dev/<blk> at <date>");
    expect_normal("BUG: unable to handle page fault for address: ffffffffc0a1b2c3 at 0x1f",
                  "BUG: unable to handle page fault for address: <hex> at <hex>");
    expect_normal("eth0: link up, MAC 02:42:ac:11:00:02 IP 10.0.0.12 uuid "
                  "123e4567-e89b-12d3-a456-426614174000",
                  "<nic>: link up, MAC <mac> IP <ip> uuid <uuid>");
    expect_normal("Started Serial Getty on ttyS0 at 06:10:00.5   done",
                  "Started Serial Getty on <con> at <time> done");
    expect_normal("", "");
    expect_normal("\xff\xfe bad utf8 1", "\xef\xbf\xbd\xef\xbf\xbd bad utf<n> <n>");
}

static AmiSignature *
sig(const char *outcome, const char *class_id, const char *line, const char *stage)
{
    g_autoptr(json_t) v = json_pack("{s:s, s:s, s:s*, s:s*}", "Outcome", outcome, "Class",
                                    class_id, "Line", line, "Stage", stage);
    AmiSignature *s = ami_signature_from_verdict(v, NULL);

    assert_non_null(s);
    return s;
}

/* Same class, key line and stage reproduce; an unknown saved stage (cut off) matches any. */
static void
test_signature_match(void **state)
{
    g_autoptr(AmiSignature) saved =
        sig("failure", "root-device-not-found", "[    1.2] VFS: Unable to mount root fs on unknown-block(0,0)", "kernel");
    g_autoptr(AmiSignature) local =
        sig("failure", "root-device-not-found", "[    7.9] VFS: Unable to mount root fs on unknown-block(0,0)", "kernel");
    g_autoptr(AmiSignature) other_class = sig("success", "success", "vm login: ", "userspace");
    g_autoptr(AmiSignature) other_stage =
        sig("failure", "root-device-not-found", "VFS: Unable to mount root fs on unknown-block(0,0)", "userspace");
    g_autoptr(AmiSignature) cut = sig("failure", "root-device-not-found", "VFS: Unable to mount root fs on unknown-block(8,1)", NULL);
    g_autoptr(json_t) j = ami_signature_to_json(saved);
    g_autofree char *text = ami_signature_to_string(saved);
    g_autoptr(json_t) bad = json_pack("{s:s}", "Outcome", "failure");
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_true(ami_signature_match(saved, local));
    assert_false(ami_signature_match(saved, other_class));
    assert_false(ami_signature_match(saved, other_stage));
    assert_true(ami_signature_match(cut, other_stage));
    assert_string_equal(json_string_value(json_object_get(j, "KeyLine")),
                        "VFS: Unable to mount root fs on unknown-block(<n>,<n>)");
    assert_string_equal(text, "failure (root-device-not-found), stage kernel: 'VFS: Unable to "
                        "mount root fs on unknown-block(<n>,<n>)'");
    assert_null(ami_signature_from_verdict(bad, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
}

static void
expect_unreproducible(const char *text, const char *want)
{
    g_autofree char *got = ami_console_unreproducible(text, strlen(text));

    if (!want)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

/* AWS's taxonomy names these; healthy Nitro and Xen banners are not failures. */
static void
test_unreproducible(void **state)
{
    (void)state;
    expect_unreproducible("ok\nXENBUS: Device with no driver: device/vbd/51712\r\n",
                          "Xen: 'XENBUS: Device with no driver: device/vbd/51712'");
    expect_unreproducible("ERROR: mmu_update failed with rc=-22\n", "Xen: 'ERROR: mmu_update failed with rc=-22'");
    expect_unreproducible("ena 0000:00:05.0: Failed to init mgmnt Admin Queue\n",
                          "ENA: 'ena 0000:00:05.0: Failed to init mgmnt Admin Queue'");
    expect_unreproducible("mce: [Hardware Error]: Machine check events logged\n",
                          "hardware: 'mce: [Hardware Error]: Machine check events logged'");
    expect_unreproducible("end_request: I/O error, dev xvda1, sector 1024\n",
                          "hardware: 'end_request: I/O error, dev xvda1, sector 1024'");
    expect_unreproducible("ena 0000:00:05.0: Elastic Network Adapter (ENA) v2.8.0\n"
                          "Xen version: 4.11.amazon (preserve-AD)\nmce: CPU0: Thermal monitoring enabled\n"
                          "EDAC MC: Ver: 3.0.0\n" ,
                          NULL);
    expect_unreproducible(PANIC_TEXT, NULL);
}

static void
test_form_names(void **state)
{
    (void)state;
    for (int i = 0; i < AMI_SAVED_LAST; i++)
        assert_non_null(ami_saved_form_to_string((AmiSavedForm)i));
    assert_null(ami_saved_form_to_string(AMI_SAVED_LAST));
    assert_string_equal(ami_saved_form_to_string(AMI_SAVED_JSON_BASE64), "json-base64");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_decoded),
        cmocka_unit_test(test_base64_forms),
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_signature_match),
        cmocka_unit_test(test_unreproducible),
        cmocka_unit_test(test_form_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
