/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/sysprep.h"
#include "test-util.h"

static guint64
bit_of(const char *name)
{
    gsize n;
    const AmiSysprepOp *ops = ami_sysprep_ops(&n);

    for (gsize i = 0; i < n; i++) {
        if (strcmp(ops[i].name, name) == 0)
            return G_GUINT64_CONSTANT(1) << i;
    }
    fail_msg("no sysprep operation '%s'", name);
    return 0;
}

static guint64
parse_ok(const char *ops)
{
    g_autoptr(GError) error = NULL;
    guint64 mask = 0xdead;

    if (!ami_sysprep_parse_ops(ops, &mask, &error))
        fail_msg("'%s': %s", ops ? ops : "(null)", error->message);
    return mask;
}

static void
test_sysprep_table_has_the_tutorials_list(void **state)
{
    static const char *const want[] = {
        "ssh-hostkeys", "authorized-keys", "shell-history", "aws-credentials", "cloud-init",
        "tmp-files", "logs", "machine-id", "dhcp-leases", "net-config", "fstrim",
    };
    gsize n;
    const AmiSysprepOp *ops = ami_sysprep_ops(&n);

    (void)state;
    assert_int_equal(n, G_N_ELEMENTS(want));
    for (gsize i = 0; i < n; i++) {
        assert_string_equal(ops[i].name, want[i]);
        assert_non_null(ops[i].description);
        assert_true(strlen(ops[i].description) < 80); /* one line of --sysprep=list */
        assert_non_null(ops[i].rules);
        assert_non_null(ops[i].rules[0].path);
        for (const AmiSysprepRule *r = ops[i].rules; r->path; r++) {
            assert_true(r->action < AMI_SYSPREP_LAST);
            /* home-relative rules are relative, the rest absolute */
            assert_int_equal(r->path[0] == '/', r->action != AMI_SYSPREP_HOME_REMOVE);
        }
    }
    /* cloud-init's logs go before `logs` truncates every log; fstrim comes last */
    assert_true(bit_of("cloud-init") < bit_of("logs"));
    assert_int_equal(bit_of("fstrim"), G_GUINT64_CONSTANT(1) << (n - 1));
}

static void
test_sysprep_null_is_the_defaults(void **state)
{
    gsize n;
    const AmiSysprepOp *ops = ami_sysprep_ops(&n);
    guint64 defaults = 0;

    (void)state;
    for (gsize i = 0; i < n; i++) {
        if (ops[i].by_default)
            defaults |= G_GUINT64_CONSTANT(1) << i;
    }
    assert_true(defaults != 0);
    assert_int_equal(parse_ok(NULL), defaults);
    assert_int_equal(parse_ok("defaults"), defaults);
}

static void
test_sysprep_minus_name_removes_one_from_the_defaults(void **state)
{
    guint64 defaults = parse_ok(NULL);

    (void)state;
    assert_int_equal(parse_ok("-ssh-hostkeys"), defaults & ~bit_of("ssh-hostkeys"));
    assert_int_equal(parse_ok("-fstrim,-logs"), defaults & ~bit_of("fstrim") & ~bit_of("logs"));
    assert_int_equal(parse_ok("defaults,-machine-id"), defaults & ~bit_of("machine-id"));
}

static void
test_sysprep_names_select_only_those(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("machine-id"), bit_of("machine-id"));
    assert_int_equal(parse_ok("logs,tmp-files"), bit_of("logs") | bit_of("tmp-files"));
    /* left to right: a later removal wins */
    assert_int_equal(parse_ok("logs,tmp-files,-logs"), bit_of("tmp-files"));
}

static void
test_sysprep_unknown_or_empty_item_is_invalid(void **state)
{
    static const struct {
        const char *ops, *message;
    } bad[] = {
        {"bash-history", "Unknown sysprep operation 'bash-history' (--sysprep=list lists them)"},
        {"-nope", "Unknown sysprep operation 'nope' (--sysprep=list lists them)"},
        {"logs,Logs", "Unknown sysprep operation 'Logs' (--sysprep=list lists them)"},
        {"-defaults", "Unknown sysprep operation 'defaults' (--sysprep=list lists them)"},
        {"", "Sysprep operation list '' has an empty item"},
        {"logs,,fstrim", "Sysprep operation list 'logs,,fstrim' has an empty item"},
        {"-", "Sysprep operation list '-' has an empty item"},
    };

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        guint64 mask = 42;

        assert_false(ami_sysprep_parse_ops(bad[i].ops, &mask, &error));
        assert_non_null(error);
        assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
        assert_string_equal(error->message, bad[i].message);
        assert_int_equal(mask, 42); /* outputs written only on success */
    }
}

static void
test_sysprep_rotated_logs_are_archives(void **state)
{
    static const char *const archives[] = {
        "syslog.1", "dpkg.log.2.gz", "auth.log-20240101", "messages-20231224.xz",
        "system@0123abcd-0000000000000001-0005f0e1d2c3b4a5.journal", "system.journal~",
        "user-1000@abc-01-02.journal", "btmp.old", "kern.log.12",
    };
    static const char *const live[] = {
        "syslog", "dpkg.log", "cloud-init.log", "system.journal", "user-1000.journal",
        "wtmp", "btmp", "lastlog", "faillog", "alternatives.log", "php8.2-fpm.log", ".1",
        "foo-2024",
    };

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(archives); i++) {
        if (!ami_sysprep_log_is_archive(archives[i]))
            fail_msg("'%s' not taken for an archive", archives[i]);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(live); i++) {
        if (ami_sysprep_log_is_archive(live[i]))
            fail_msg("'%s' taken for an archive", live[i]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sysprep_table_has_the_tutorials_list),
        cmocka_unit_test(test_sysprep_null_is_the_defaults),
        cmocka_unit_test(test_sysprep_minus_name_removes_one_from_the_defaults),
        cmocka_unit_test(test_sysprep_names_select_only_those),
        cmocka_unit_test(test_sysprep_unknown_or_empty_item_is_invalid),
        cmocka_unit_test(test_sysprep_rotated_logs_are_archives),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
