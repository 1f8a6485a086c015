/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run reboot-instances: `aws ec2 reboot-instances`, which prints nothing.  The
 * supervisor resets the guest (AMI_SIGNAL_REBOOT): EC2 asks the OS first and forces a
 * hard reboot after four minutes; here it is the hard reboot at once (docs/instances.md).
 * The state stays running; the status checks start over from initializing.
 */
#include <errno.h>
#include <signal.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/launch.h"
#include "cli.h"

static json_int_t
boots_of(json_t *r)
{
    return json_integer_value(json_object_get(json_object_get(r, "AmiRun"), "Boots"));
}

/* Every instance first: running, under a supervisor (all or none are rebooted). */
static gboolean
check_one(json_t *r, const char *id, GError **error)
{
    json_t *a = json_object_get(r, "AmiRun");

    if (ami_instance_state(r) != AMI_INSTANCE_RUNNING)
        return ami_error_invalid(error, "IncorrectInstanceState: The instance '%s' is not in "
                                 "the 'running' state (it is %s)", id,
                                 json_string_value(json_object_get(json_object_get(r, "State"), "Name")));
    if (!json_is_true(json_object_get(a, "Supervised")) || !ami_instance_owner(r))
        return ami_error_invalid(error, "%s is a foreground run: only run-instances, run "
                                 "--detach and --keep instances can be rebooted", id);
    return TRUE;
}

/* Signal its supervisor and wait until it says the guest was reset (AmiRun.Boots). */
static gboolean
reboot_one(AmiStore *store, json_t *r, const char *id, GError **error)
{
    json_int_t before = boots_of(r);
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    if (kill(ami_instance_owner(r), AMI_SIGNAL_REBOOT) < 0)
        return ami_error_set_errno(error, errno, "cannot signal the supervisor");
    for (;;) {
        g_autoptr(json_t) now = ami_instance_load(store, id, error);

        if (!now)
            return FALSE;
        if (boots_of(now) > before)
            return TRUE;
        if (ami_instance_state(now) != AMI_INSTANCE_RUNNING || g_get_monotonic_time() > deadline) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "%s was not rebooted (see %s/supervisor.log)",
                        id, json_string_value(json_object_get(json_object_get(now, "AmiRun"), "Directory")));
            return FALSE;
        }
        if (!ami_signals_check(error))
            return FALSE;
        g_usleep(100 * 1000);
    }
}

gboolean
cmd_reboot_instances(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL;
    int dry_run = -1;
    const ArgSpec specs[] = {
        {"instance-ids", ARG_LIST, &ids, "i-…", "the instances"},
        {"dry-run", ARG_BOOL, &dry_run, NULL, "check, reboot nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Reboot running instances; prints nothing, as EC2.", specs, argc,
                        argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(ids, "instance-ids", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !ami_instances_reap_stale(store, error))
        goto out;
    for (char **id = ids; *id; id++) {
        json_t *r = ami_instance_find(store, *id, error);

        if (!r)
            goto out;
        g_ptr_array_add(records, r);
        if (!check_one(r, *id, error))
            goto out;
    }
    if (dry_run > 0) {
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set.");
        ok = TRUE;
        goto out;
    }
    for (guint i = 0; i < records->len; i++) {
        if (!reboot_one(store, records->pdata[i], ids[i], error))
            goto out;
    }
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
