/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-snapshots: {"Snapshots": […]} of the command's region, as `aws ec2
 * describe-snapshots` prints them: only the members of EC2's Snapshot shape (the record's
 * AmiRun shows with --debug).
 */
#include "ami-run/cleanup.h"
#include "ami-run/ec2-shape.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "cli.h"

gboolean
cmd_describe_snapshots(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL, **filter_args = NULL, **owners = NULL;
    const ArgSpec specs[] = {
        {"snapshot-ids", ARG_LIST, &ids, "snap-…", "only these snapshots"},
        {"owner-ids", ARG_LIST, &owners, "ID", "only these owners (self = local)"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (snapshot-id, status, description, volume-size, tag:KEY, tag-key…)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiFilters) filters = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) list = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "List the snapshots in the store.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(filters = ami_filters_parse(AMI_FILTER_SNAPSHOTS, (const char *const *)filter_args,
                                      error)))
        goto out;
    store = cli_open_store(cli, FALSE, error);
    if (store && (!ami_store_lock(store, error) || !(all = ami_store_list_snapshots(store, error))))
        goto out;
    if (all)
        ami_store_in_region(store, all);
    for (char **id = ids; id && *id; id++) {
        g_autoptr(json_t) snap = NULL;

        if (!store) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "Snapshot '%.80s' does not exist in the store", *id);
            goto out;
        }
        if (!(snap = ami_store_find_snapshot(store, *id, error)))
            goto out;
    }
    for (guint i = 0; all && i < all->len; i++) {
        json_t *snap = all->pdata[i];
        const char *id = json_string_value(json_object_get(snap, "SnapshotId"));
        const char *owner = ami_record_owner(snap);

        if (ids && (!id || !g_strv_contains((const char *const *)ids, id)))
            continue;
        json_t *out;

        if (owners && !(g_strv_contains((const char *const *)owners, owner) ||
                        (g_strv_contains((const char *const *)owners, "self") &&
                         g_str_equal(owner, AMI_STORE_OWNER_ID))))
            continue;
        if (!ami_filters_match(filters, snap))
            continue;
        out = cli->debug ? json_deep_copy(snap) : ami_ec2_shape_project(snap, AMI_EC2_SNAPSHOT);
        json_object_set_new(out, "OwnerId", json_string(owner));
        json_array_append_new(list, out);
    }
    result = json_pack("{s:O}", "Snapshots", list);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
