/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-export-image-tasks: {"ExportImageTasks": […]} as `aws ec2
 * describe-export-image-tasks` prints, from the records export-image keeps; the current
 * region's only (docs/export.md).
 */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/export.h"
#include "ami-run/ids.h"
#include "cli.h"

/* A task belongs to the region it was made in; a record without one to us-east-1. */
static gboolean
in_region(json_t *task, const char *region)
{
    const char *r = json_string_value(json_object_get(json_object_get(task, "AmiRun"), "Region"));

    return g_strcmp0(r ? r : "us-east-1", region) == 0;
}

static gboolean
check_ids(char **ids, GPtrArray *all, const char *region, GError **error)
{
    for (char **id = ids; id && *id; id++) {
        gboolean found = FALSE;

        if (!ami_id_is_valid(AMI_ID_EXPORT_IMAGE_TASK, *id)) {
            g_autofree char *shown = g_strescape(*id, NULL);
            return ami_error_invalid(error, "'%.80s' is not an export image task id "
                                     "(export-ami- and 8-64 letters or digits)", shown);
        }
        for (guint i = 0; all && i < all->len && !found; i++)
            found = in_region(all->pdata[i], region) &&
                    g_strcmp0(json_string_value(json_object_get(all->pdata[i], "ExportImageTaskId")),
                              *id) == 0;
        if (!found)
            return (g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                                "InvalidExportImageTaskId.NotFound: export image task '%s' does "
                                "not exist in %s", *id, region), FALSE);
    }
    return TRUE;
}

gboolean
cmd_describe_export_image_tasks(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL;
    const ArgSpec specs[] = {
        {"export-image-task-ids", ARG_LIST, &ids, "export-ami-…", "only these tasks"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) list = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;
    const char *region;

    if (!cli_args_parse(cli, "List the export-image tasks of this region.", specs, argc, argv,
                        &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(region = cli_region(cli, error)))
        goto out;
    store = cli_open_store(cli, FALSE, error);
    if (store && (!ami_store_lock(store, error) || !(all = ami_store_list_export_tasks(store, error))))
        goto out;
    if (!store && *error)
        goto out;
    if (!check_ids(ids, all, region, error))
        goto out;
    for (guint i = 0; all && i < all->len; i++) {
        json_t *task = all->pdata[i];
        const char *id = json_string_value(json_object_get(task, "ExportImageTaskId"));

        if (!in_region(task, region) || (ids && !g_strv_contains((const char *const *)ids, id)))
            continue;
        json_array_append_new(list, ami_export_task_view(task));
    }
    result = json_pack("{s:O}", "ExportImageTasks", list);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
