/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ami-run import-snapshot: a disk image (file or URL) becomes a read-only snapshot. */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "cli.h"

typedef struct {
    char *disk_image;
    char *format;
    char *sha256;
    char *description;
    char *snapshot_id;
} Opts;

gboolean
cmd_import_snapshot(Cli *cli, int argc, char **argv, GError **error)
{
    Opts o = {0};
    const ArgSpec specs[] = {
        {"disk-image", ARG_STRING, &o.disk_image, "FILE|URL", "disk to import (path, http(s)://, file://)"},
        {"format", ARG_STRING, &o.format, "FMT", "raw, qcow2, vmdk, vhdx or vpc (default: detected)"},
        {"sha256", ARG_STRING, &o.sha256, "HEX", "expected SHA-256 of the disk image"},
        {"description", ARG_STRING, &o.description, "TEXT", "snapshot description"},
        {"snapshot-id", ARG_STRING, &o.snapshot_id, "snap-…", "id to give it (default: a new one)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(AmiPreparedDisk) disk = NULL;
    g_autofree char *now = NULL;
    g_autofree char *id = NULL;
    g_autofree char *duplicate = NULL;
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;
    AmiImportSpec spec;

    if (!cli_args_parse(cli, "Import a disk image as a snapshot: detected or given format, "
                        "checked, stored sparse as read-only qcow2.", specs, argc, argv, &help,
                        error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(o.disk_image, "disk-image", error))
        goto out;
    if (o.snapshot_id && !ami_id_is_valid(AMI_ID_SNAPSHOT, o.snapshot_id)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--snapshot-id '%.80s' is not a snapshot id (snap- and 8-64 letters or "
                    "digits)", o.snapshot_id);
        goto out;
    }
    if (o.description && (g_utf8_strlen(o.description, -1) > 255 || !g_utf8_validate(o.description, -1, NULL))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--description must be valid UTF-8 of at most 255 characters");
        goto out;
    }
    spec = (AmiImportSpec){.source = o.disk_image, .format = o.format, .sha256 = o.sha256,
                           .description = o.description, .snapshot_id = o.snapshot_id,
                           .progress = cli->progress};
    if (!(store = cli_open_store(cli, TRUE, error)) || !(txn = ami_store_txn_new(store, error)) ||
        !(disk = ami_import_prepare(txn, &spec, error)) || !ami_store_lock(store, error))
        goto out;
    now = ami_now_iso8601();
    if (!ami_import_stage(store, txn, disk, NULL, now, &id, &duplicate, error) ||
        !ami_txn_commit(txn, error))
        goto out;
    if (duplicate)
        cli_notice(cli, "identical to snapshot %s (same sha256); its data is not stored twice",
                   duplicate);
    result = json_pack("{s:s}", "SnapshotId", id);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
