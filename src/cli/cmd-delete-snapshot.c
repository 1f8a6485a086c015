/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run delete-snapshot: refused while an image refers to the snapshot, as in EC2.  A
 * layer file a later snapshot builds on stays (unlisted) until the last record whose
 * chain needs it goes (docs/store.md "Snapshot chains").
 */
#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "cli.h"

gboolean
cmd_delete_snapshot(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL;
    const ArgSpec specs[] = {
        {"snapshot-id", ARG_STRING, &id, "snap-…", "the snapshot to delete"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(json_t) snap = NULL;
    g_autoptr(GPtrArray) users = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Delete a snapshot and its disk.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "snapshot-id", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !ami_store_lock(store, error) || !(snap = ami_store_find_snapshot(store, id, error)) ||
        !(users = ami_store_images_using(store, id, NULL, error)))
        goto out;
    if (users->len > 0) {
        g_ptr_array_add(users, NULL);
        g_autofree char *names = g_strjoinv(", ", (char **)users->pdata);
        g_set_error(error, AMI_ERROR, AMI_ERROR_IN_USE,
                    "Snapshot '%s' is in use by %s; deregister %s first", id, names,
                    users->len > 2 ? "them" : "it");
        goto out;
    }
    if (!(txn = ami_store_txn_new(store, error)) ||
        !ami_snapshot_delete_stage(store, txn, (char *[]){id, NULL}, error))
        goto out;
    ok = ami_txn_commit(txn, error);
out:
    cli_args_free(specs);
    return ok;
}
