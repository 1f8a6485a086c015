/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run logs i-…: the guest's own logs, read from the instance's volumes after the
 * guest stopped (docs/forensics.md): cloud-init's two logs, the journal, dmesg.  The
 * volumes are opened read-only (host/guestfs.c); a running guest's are refused, since
 * its file systems are live and a read-only look may see them half-written.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/guestfs.h"
#include "ami-run/launch.h"
#include "cli.h"

/* Where a disk of the record is now: its path, or volumes/ after termination. */
static char *
disk_path(AmiStore *store, json_t *disk)
{
    const char *path = json_string_value(json_object_get(disk, "Path"));
    const char *vol = json_string_value(json_object_get(disk, "VolumeId"));
    g_autofree char *kept = NULL;

    if (path && access(path, R_OK) == 0)
        return g_strdup(path);
    if (!vol)
        return NULL;
    kept = g_strdup_printf("%s/volumes/%s.qcow2", ami_store_path(store), vol);
    return access(kept, R_OK) == 0 ? g_steal_pointer(&kept) : NULL;
}

/* The instance's readable volumes (root first, as the record lists them). */
static GPtrArray *
instance_disks(AmiStore *store, json_t *record, const char *id, GError **error)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_free);
    AmiInstanceState st = ami_instance_state(record);
    size_t i;
    json_t *d;

    if (st == AMI_INSTANCE_RUNNING || st == AMI_INSTANCE_PENDING || st == AMI_INSTANCE_STOPPING ||
        st == AMI_INSTANCE_SHUTTING_DOWN) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "IncorrectInstanceState: instance '%s' is not stopped: its file systems are live, and a read-only look could see them half-written; stop it first (ami-run stop-instances --instance-ids %s)",
                    id, id);
        return NULL;
    }
    json_array_foreach(json_object_get(json_object_get(record, "AmiRun"), "Disks"), i, d) {
        char *p;

        if (g_strcmp0(json_string_value(json_object_get(d, "Kind")), "ephemeral") == 0)
            continue;
        if ((p = disk_path(store, d)))
            g_ptr_array_add(disks, p);
    }
    if (!disks->len) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Instance '%s': its volumes are gone (terminated with DeleteOnTermination); keep them with 'run --keep-failed' or DeleteOnTermination false",
                    id);
        return NULL;
    }
    g_ptr_array_add(disks, NULL);
    return g_steal_pointer(&disks);
}

static void
print_logs(const Cli *cli, const char *id, json_t *logs)
{
    size_t i;
    json_t *l;

    if ((cli->output_set && cli->output != CLI_OUTPUT_TEXT) || cli->query) {
        g_autoptr(json_t) out = json_pack("{s:s, s:O}", "InstanceId", id, "Logs", logs);
        cli_print(cli, out);
        return;
    }
    json_array_foreach(logs, i, l) {
        const char *text = json_string_value(json_object_get(l, "Text"));
        const char *src = json_string_value(json_object_get(l, "Source"));

        if (!text) {
            printf("==> %s: %s <==\n", src, json_string_value(json_object_get(l, "Missing")));
            continue;
        }
        printf("==> %s <==\n%s", src, text);
        if (*text && text[strlen(text) - 1] != '\n')
            putchar('\n');
    }
}

gboolean
cmd_logs(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL;
    int since_boot = -1;
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &id, "i-…", "the instance (or give it as a bare argument)", TRUE},
        {"since-boot", ARG_BOOL, &since_boot, NULL, "only the last boot of each log"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(GPtrArray) disks = NULL;
    g_autoptr(json_t) logs = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Show the guest's own logs (cloud-init, journal, dmesg) from a stopped or "
                        "terminated instance's volumes, read-only.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "instance-id", error) || !(store = cli_open_store(cli, FALSE, error)) ||
        !(record = ami_instance_find(store, id, error)) ||
        !(disks = instance_disks(store, record, id, error)))
        goto out;
    if (!(logs = ami_guestfs_logs((const char *const *)disks->pdata, since_boot > 0, error)))
        goto out;
    print_logs(cli, id, logs);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
