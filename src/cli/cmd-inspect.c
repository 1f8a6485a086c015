/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run inspect ami-…: what in the image will stop or spoil a boot, found offline
 * (docs/forensics.md).  The snapshots' qcow2 chains are opened read-only on one
 * libguestfs appliance (host/guestfs.c); the rules are pure (core/inspect.c).
 */
#include <stdio.h>
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/guestfs.h"
#include "ami-run/inspect.h"
#include "cli.h"

/* The snapshot files of @image's EBS mappings, the root device's first. */
static GPtrArray *
image_disks(AmiStore *store, const AmiImage *image, GError **error)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *root = image->root_device_name
                                ? ami_device_normalise(image->root_device_name, NULL) : NULL;

    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < image->bdms->len; i++) {
            const AmiBdm *m = image->bdms->pdata[i];
            g_autoptr(json_t) snap = NULL;

            if (!m->snapshot_id || (g_strcmp0(m->device, root) == 0) != (pass == 0))
                continue;
            if (!(snap = ami_store_load_snapshot(store, m->snapshot_id, error)))
                return NULL;
            g_ptr_array_add(disks, ami_store_snapshot_path(store, m->snapshot_id));
        }
    }
    if (!disks->len) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Image '%s' has no EBS snapshot to inspect", image->image_id);
        return NULL;
    }
    g_ptr_array_add(disks, NULL);
    return g_steal_pointer(&disks);
}

static void
print_report(const Cli *cli, json_t *report)
{
    g_autofree char *text = NULL;

    if ((cli->output_set && cli->output != CLI_OUTPUT_TEXT) || cli->query) {
        cli_print(cli, report);
        return;
    }
    text = ami_inspect_report_text(report);
    fputs(text, stdout);
}

gboolean
cmd_inspect(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &id, "ami-…", "the AMI (or give it as a bare argument)", TRUE},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(AmiImage) image = NULL;
    g_autoptr(GPtrArray) disks = NULL;
    g_autoptr(json_t) facts = NULL;
    g_autoptr(json_t) report = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Inspect an AMI's disks offline (read-only, libguestfs): what will stop "
                        "or spoil its boot, each with what to do.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "image-id", error) || !(store = cli_open_store(cli, FALSE, error)) ||
        !(record = ami_store_find_image(store, id, error)) ||
        !(image = ami_image_parse(record, error)) || !(disks = image_disks(store, image, error)))
        goto out;
    if (!(facts = ami_guestfs_inspect((const char *const *)disks->pdata, id,
                                      image->arch != AMI_ARCH_LAST ? ami_arch_to_string(image->arch)
                                                                   : "x86_64",
                                      error)))
        goto out;
    report = ami_inspect_report(facts);
    print_report(cli, report);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
