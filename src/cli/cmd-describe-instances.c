/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-instances: {"Reservations": [{"Instances": […]}]} as EC2 shows it;
 * terminated instances stay visible (with their console) until pruned.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "ami-run/launch.h"
#include "cli.h"

gboolean
cmd_describe_instances(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL, **filter_args = NULL;
    const ArgSpec specs[] = {
        {"instance-ids", ARG_LIST, &ids, "i-…", "only these instances"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (instance-state-name, instance-type, image-id, key-name, tag:KEY, tag-key…; * and ? match)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) reservations = json_array();
    g_autoptr(json_t) result = NULL;
    g_autoptr(json_t) by_id = json_object();
    g_autoptr(AmiFilters) filters = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "List instances.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(filters = cli_filters(AMI_FILTER_INSTANCES, filter_args, error)))
        goto out;
    if (!(all = cli_instances_named(cli, ids, error)))
        goto out;
    for (guint i = 0; i < all->len; i++) {
        json_t *r = all->pdata[i];
        const char *id = json_string_value(json_object_get(r, "InstanceId"));
        g_autoptr(json_t) shown = json_deep_copy(r);

        if (ids && (!id || !g_strv_contains((const char *const *)ids, id)))
            continue;
        if (!ami_filters_match(filters, r))
            continue;
        /* The instances of one run-instances share its reservation (AmiRun.ReservationId);
         * older records: r- and the instance's digits, one each. */
        const char *rid = json_string_value(json_object_get(json_object_get(r, "AmiRun"),
                                                            "ReservationId"));
        g_autofree char *reservation = rid ? g_strdup(rid)
                                           : g_strdup_printf("r-%s", id && strlen(id) > 2 ? id + 2 : "");
        json_t *res = json_object_get(by_id, reservation);

        if (!res) {
            res = json_pack("{s:s, s:s, s:[]}", "ReservationId", reservation, "OwnerId",
                            AMI_STORE_OWNER_ID, "Instances");
            json_array_append_new(reservations, res);
            json_object_set(by_id, reservation, res);
        }
        json_array_append_new(json_object_get(res, "Instances"), g_steal_pointer(&shown));
    }
    result = json_pack("{s:O}", "Reservations", reservations);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
