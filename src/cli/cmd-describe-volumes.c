/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-volumes: {"Volumes": […]} as EC2 shows them — the volumes of live or
 * stopped instances ("in-use", with Attachments) and those kept under volumes/ after
 * their instance was terminated (DeleteOnTermination false: "available").
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "ami-run/launch.h"
#include "ami-run/store.h"
#include "cli.h"

static void
add_attached(json_t *out, json_t *record)
{
    const char *instance = json_string_value(json_object_get(record, "InstanceId"));
    json_t *bdms = json_object_get(record, "BlockDeviceMappings");
    size_t i;
    json_t *d;

    json_array_foreach(json_object_get(json_object_get(record, "AmiRun"), "Disks"), i, d) {
        json_t *bdm = json_array_get(bdms, i);

        size_t before = json_array_size(out);

        json_array_append_new(out, json_pack("{s:O, s:O, s:O?, s:s, s:s, s:O, s:s, s:[{s:s, s:O?, s:s, s:O, s:O}], s:{s:O}}",
                                             "VolumeId", json_object_get(d, "VolumeId"), "Size",
                                             json_object_get(d, "SizeGiB"), "SnapshotId",
                                             json_object_get(d, "SnapshotId"), "State", "in-use",
                                             "VolumeType", "gp3", "CreateTime",
                                             json_object_get(record, "LaunchTime"),
                                             "AvailabilityZone", "local", "Attachments",
                                             "InstanceId", instance, "Device",
                                             json_object_get(bdm, "DeviceName"), "State", "attached",
                                             "AttachTime", json_object_get(record, "LaunchTime"),
                                             "DeleteOnTermination",
                                             json_object_get(d, "DeleteOnTermination"), "AmiRun",
                                             "Path", json_object_get(d, "Path")));
        {
            json_t *tags = json_object_get(json_object_get(json_object_get(record, "AmiRun"),
                                                           "VolumeTags"),
                                           json_string_value(json_object_get(d, "VolumeId")));

            if (json_is_array(tags) && json_array_size(tags) && json_array_size(out) > before)
                json_object_set(json_array_get(out, before), "Tags", tags);
        }
    }
}

gboolean
cmd_describe_volumes(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL, **filter_args = NULL;
    const ArgSpec specs[] = {
        {"volume-ids", ARG_LIST, &ids, "vol-…", "only these volumes"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (status, size, snapshot-id, attachment.instance-id, tag:KEY, tag-key…)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GPtrArray) instances = NULL;
    g_autoptr(json_t) all = json_array();
    g_autoptr(json_t) shown = json_array();
    g_autoptr(json_t) result = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autofree char *vdir = NULL;
    const char *name;
    g_autoptr(AmiFilters) filters = NULL;
    gboolean help = FALSE, ok = FALSE;
    size_t i;
    json_t *v;

    if (!cli_args_parse(cli, "List volumes.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(filters = cli_filters(AMI_FILTER_VOLUMES, filter_args, error)))
        goto out;
    if ((store = cli_open_store(cli, FALSE, error))) {
        if (!ami_instances_reap_stale(store, error) || !(instances = ami_instances_list(store, error)))
            goto out;
        ami_store_in_region(store, instances);
        for (guint k = 0; k < instances->len; k++) {
            if (ami_instance_state(instances->pdata[k]) != AMI_INSTANCE_TERMINATED)
                add_attached(all, instances->pdata[k]);
        }
        vdir = g_build_filename(ami_store_path(store), "volumes", NULL);
        dir = g_dir_open(vdir, 0, NULL);
        while (dir && (name = g_dir_read_name(dir))) {
            g_autofree char *path = g_build_filename(vdir, name, NULL);
            json_t *rec;

            if (!g_str_has_suffix(name, ".json") || !(rec = json_load_file(path, 0, NULL)))
                continue;
            if (g_strcmp0(ami_record_region(rec), ami_store_region(store)) != 0) {
                json_decref(rec); /* another region's */
                continue;
            }
            json_array_append_new(all, rec);
        }
    } else if (error && *error) {
        goto out;
    }
    for (char **id = ids; id && *id; id++) {
        gboolean found = FALSE;

        json_array_foreach(all, i, v) {
            found = found || g_strcmp0(json_string_value(json_object_get(v, "VolumeId")), *id) == 0;
        }
        if (!found) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Volume '%.80s' does not exist", *id);
            goto out;
        }
    }
    json_array_foreach(all, i, v) {
        const char *id = json_string_value(json_object_get(v, "VolumeId"));

        if ((!ids || (id && g_strv_contains((const char *const *)ids, id))) &&
            ami_filters_match(filters, v))
            json_array_append(shown, v);
    }
    result = json_pack("{s:O}", "Volumes", shown);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
