/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run prune [--older-than DURATION]: remove the records (and consoles) of terminated
 * instances, as EC2 forgets terminated instances after a while.  Never touches live or
 * stopped instances, snapshots, images or kept volumes.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"
#include "ami-run/store.h"
#include "cli.h"

/* 30s, 15m, 2h, 7d; a bare number is seconds. */
static gboolean
parse_duration(const char *s, gint64 *ret, GError **error)
{
    guint64 n = 0;
    g_autofree char *num = NULL;
    size_t len = s ? strlen(s) : 0;
    gint64 mult = 1;

    if (!s) {
        *ret = 0;
        return TRUE;
    }
    if (len && strchr("smhd", s[len - 1])) {
        mult = s[len - 1] == 's' ? 1 : s[len - 1] == 'm' ? 60 : s[len - 1] == 'h' ? 3600 : 86400;
        len--;
    }
    num = g_strndup(s, len);
    if (!g_ascii_string_to_unsigned(num, 10, 0, G_MAXINT32, &n, NULL)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--older-than '%.32s' is not a duration (e.g. 3600, 30m, 2h, 7d)", s);
        return FALSE;
    }
    *ret = (gint64)n * mult;
    return TRUE;
}

gboolean
cmd_prune(Cli *cli, int argc, char **argv, GError **error)
{
    char *older = NULL;
    const ArgSpec specs[] = {
        {"older-than", ARG_STRING, &older, "DURATION", "only instances launched before this (30m, 2h, 7d)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) pruned = json_array();
    g_autoptr(json_t) result = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    gint64 age = 0;
    gboolean help = FALSE, ok = FALSE, locked = FALSE;

    if (!cli_args_parse(cli, "Remove terminated instances' records and consoles.", specs, argc,
                        argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!parse_duration(older, &age, error))
        goto out;
    store = cli_open_store(cli, FALSE, error);
    if (store && (!ami_instances_reap_stale(store, error) || !(locked = ami_store_lock(store, error)) ||
                  !(all = ami_instances_list(store, error))))
        goto out;
    for (guint i = 0; all && i < all->len; i++) {
        json_t *r = all->pdata[i];
        const char *id = json_string_value(json_object_get(r, "InstanceId"));
        const char *launched = json_string_value(json_object_get(r, "LaunchTime"));
        g_autoptr(GDateTime) when = launched ? ami_timestamp_parse(launched) : NULL;
        g_autofree char *dir = NULL;

        if (ami_instance_state(r) != AMI_INSTANCE_TERMINATED || !id || !ami_id_is_valid(AMI_ID_INSTANCE, id))
            continue;
        if (age && when && g_date_time_difference(now, when) < age * G_TIME_SPAN_SECOND)
            continue;
        dir = g_build_filename(ami_store_path(store), "instances", id, NULL);
        ami_remove_tree(dir);
        json_array_append_new(pruned, json_string(id));
    }
    result = json_pack("{s:O}", "PrunedInstanceIds", pruned);
    cli_print(cli, result);
    ok = TRUE;
out:
    if (locked)
        ami_store_unlock(store);
    cli_args_free(specs);
    return ok;
}
