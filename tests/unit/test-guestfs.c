/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami_guestfs_sysprep()'s refusals, all before any appliance launch (the cleaning itself
 * is tests/slow/test-sysprep.sh, which boots one).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/guestfs.h"
#include "test-util.h"

static void
never_called(const char *op, const char *item, void *data)
{
    (void)data;
    fail_msg("reported %s %s", op, item);
}

static void
test_guestfs_unknown_operation_is_refused_first(void **state)
{
    g_autoptr(GError) error = NULL;

    (void)state;
    /* the list is checked before the disk: a missing disk is not the error */
    assert_false(ami_guestfs_sysprep("/nonexistent/disk.qcow2", "logs,nope", never_called, NULL,
                                     &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    assert_string_equal(error->message,
                        "Unknown sysprep operation 'nope' (--sysprep=list lists them)");
}

static void
test_guestfs_relative_path_is_refused(void **state)
{
    g_autoptr(GError) error = NULL;

    (void)state;
    /* QEMU would take "nbd:…"-style names for protocols */
    assert_false(ami_guestfs_sysprep("nbd:host:10809", NULL, never_called, NULL, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_INVALID));
    assert_string_equal(error->message, "Disk 'nbd:host:10809': not an absolute path");
}

static void
test_guestfs_missing_disk_fails_before_launch(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("ami-run-guestfs-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "absent.qcow2", NULL);
    g_autofree char *want = NULL;
    g_autoptr(GError) error = NULL;

    (void)state;
    assert_non_null(dir);
    want = g_strdup_printf("Disk '%s': adding the disk: %s: No such file or directory", path,
                           path);
    assert_false(ami_guestfs_sysprep(path, NULL, never_called, NULL, &error));
    assert_true(g_error_matches(error, AMI_ERROR, AMI_ERROR_HOST));
    assert_string_equal(error->message, want);
    g_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guestfs_unknown_operation_is_refused_first),
        cmocka_unit_test(test_guestfs_relative_path_is_refused),
        cmocka_unit_test(test_guestfs_missing_disk_fails_before_launch),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
