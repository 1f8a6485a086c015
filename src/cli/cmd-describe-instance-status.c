/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-instance-status: {"InstanceStatuses": […]} as EC2 shows them, each
 * instance's checks from its boot verdict (core/instance-status.c).  Without
 * --include-all-instances only running instances, as EC2.
 */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/instance-status.h"
#include "ami-run/launch.h"
#include "cli.h"

gboolean
cmd_describe_instance_status(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL, **filter_args = NULL;
    int all_instances = -1;
    const ArgSpec specs[] = {
        {"instance-ids", ARG_LIST, &ids, "i-…", "only these instances"},
        {"include-all-instances", ARG_BOOL, &all_instances, NULL, "also instances that are not running"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (instance-state-name, instance-status.status, system-status.status, …reachability, availability-zone)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(AmiFilters) filters = NULL;
    g_autoptr(json_t) statuses = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Status checks of instances (from their boot verdicts).", specs,
                        argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(filters = cli_filters(AMI_FILTER_INSTANCE_STATUS, filter_args, error)))
        goto out;
    if (!(all = cli_instances_named(cli, ids, error)))
        goto out;
    for (guint i = 0; i < all->len; i++) {
        json_t *r = all->pdata[i];
        const char *id = json_string_value(json_object_get(r, "InstanceId"));
        g_autoptr(json_t) st = NULL;

        if (ids && (!id || !g_strv_contains((const char *const *)ids, id)))
            continue;
        if (all_instances <= 0 && ami_instance_state(r) != AMI_INSTANCE_RUNNING)
            continue;
        st = ami_instance_status(r);
        if (ami_filters_match(filters, st))
            json_array_append(statuses, st);
    }
    result = json_pack("{s:O}", "InstanceStatuses", statuses);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
