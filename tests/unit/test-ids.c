/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ids.h"
#include "test-util.h"

static void
test_ids_accepts_ec2_and_documentation_ids(void **state)
{
    (void)state;
    assert_true(ami_id_is_valid(AMI_ID_IMAGE, "ami-0123456789abcdef0"));
    assert_true(ami_id_is_valid(AMI_ID_IMAGE, "ami-3c9e4b55"));
    assert_true(ami_id_is_valid(AMI_ID_IMAGE, "ami-1234567890EXAMPLE"));
    assert_true(ami_id_is_valid(AMI_ID_SNAPSHOT, "snap-05f1e2d3c4b5a6978"));
}

static void
test_ids_rejects_paths_and_junk(void **state)
{
    static const char *const bad[] = {
        "", "ami-", "ami-1234567", "ami-../../etc", "ami-1234567/", "/ami-12345678",
        "ami-12345678 ", "AMI-12345678", "snap-12345678", "ami-12345678\n", "ami_12345678",
        "ami-12345678901234567890123456789012345678901234567890123456789012345", /* 65 */
    };

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (ami_id_is_valid(AMI_ID_IMAGE, bad[i]))
            fail_msg("'%s' accepted as an image id", bad[i]);
    }
    assert_false(ami_id_is_valid(AMI_ID_IMAGE, NULL));
    assert_false(ami_id_is_valid(AMI_ID_SNAPSHOT, "ami-0123456789abcdef0"));
}

static void
test_ids_format_is_prefix_and_17_hex(void **state)
{
    const guint8 bytes[9] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xff};
    g_autofree char *ami = ami_id_format(AMI_ID_IMAGE, bytes);
    g_autofree char *vol = ami_id_format(AMI_ID_VOLUME, bytes);
    g_autofree char *inst = ami_id_format(AMI_ID_INSTANCE, bytes);

    (void)state;
    assert_string_equal(ami, "ami-0123456789abcdeff");
    assert_string_equal(vol, "vol-0123456789abcdeff");
    assert_string_equal(inst, "i-0123456789abcdeff");
    {
        g_autofree char *key = ami_id_format(AMI_ID_KEY_PAIR, bytes);

        assert_string_equal(key, "key-0123456789abcdeff"); /* EC2's KeyPairId: key- + 17 hex */
        assert_true(ami_id_is_valid(AMI_ID_KEY_PAIR, key));
    }
    assert_true(ami_id_is_valid(AMI_ID_IMAGE, ami));
}

static void
test_ids_new_are_distinct(void **state)
{
    g_autofree char *a = ami_id_new(AMI_ID_SNAPSHOT);
    g_autofree char *b = ami_id_new(AMI_ID_SNAPSHOT);

    (void)state;
    assert_int_equal(strlen(a), strlen("snap-") + 17);
    assert_true(ami_id_is_valid(AMI_ID_SNAPSHOT, a));
    assert_string_not_equal(a, b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_accepts_ec2_and_documentation_ids),
        cmocka_unit_test(test_ids_rejects_paths_and_junk),
        cmocka_unit_test(test_ids_format_is_prefix_and_17_hex),
        cmocka_unit_test(test_ids_new_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
