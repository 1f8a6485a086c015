/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run deregister-image [--delete-associated-snapshots]: the reply has EC2's shape,
 * {"Return": true, "DeleteSnapshotResults": [{"SnapshotId", "ReturnCode"}]}; a snapshot
 * another image still uses is kept ("skipped") and a notice names the users.
 */
#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "cli.h"

static gboolean
delete_snapshots(const Cli *cli, AmiStore *store, AmiTxn *txn, const AmiImage *image,
                 json_t *results, GError **error)
{
    g_autoptr(GPtrArray) snaps = ami_image_snapshot_ids(image);

    for (guint i = 0; i < snaps->len; i++) {
        const char *id = snaps->pdata[i];
        g_autoptr(GPtrArray) users = ami_store_images_using(store, id, image->image_id, error);
        g_autoptr(json_t) rec = ami_store_load_snapshot(store, id, NULL);
        const char *code = "success";

        if (!users)
            return FALSE;
        if (!rec) {
            code = "skipped"; /* registered from JSON without its disk */
        } else if (users->len > 0) {
            g_ptr_array_add(users, NULL);
            g_autofree char *names = g_strjoinv(", ", (char **)users->pdata);
            cli_notice(cli, "kept snapshot %s: still used by %s", id, names);
            code = "skipped";
        } else {
            g_autofree char *rel = ami_store_snapshot_rel(id);
            g_autofree char *rec_rel = ami_store_snapshot_record_rel(id);

            ami_txn_delete(txn, rec_rel);
            ami_txn_delete(txn, rel);
        }
        json_array_append_new(results, json_pack("{s:s, s:s}", "SnapshotId", id, "ReturnCode", code));
    }
    return TRUE;
}

gboolean
cmd_deregister_image(Cli *cli, int argc, char **argv, GError **error)
{
    char *image_id = NULL;
    int delete_snaps = 0;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &image_id, "ami-…", "the image to deregister"},
        {"delete-associated-snapshots", ARG_BOOL, &delete_snaps, NULL, "also delete its snapshots no other image uses"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(json_t) json = NULL;
    g_autoptr(AmiImage) image = NULL;
    g_autoptr(json_t) result = json_pack("{s:b}", "Return", 1);
    g_autofree char *rel = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Deregister an AMI.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(image_id, "image-id", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !ami_store_lock(store, error) || !(json = ami_store_find_image(store, image_id, error)) ||
        !(txn = ami_store_txn_new(store, error)))
        goto out;
    if (!(image = ami_image_parse(json, error))) {
        g_prefix_error(error, "stored image %s: ", image_id);
        goto out;
    }
    rel = ami_store_image_rel(image_id);
    ami_txn_delete(txn, rel);
    if (delete_snaps) {
        json_t *results = json_array();

        json_object_set_new(result, "DeleteSnapshotResults", results);
        if (!delete_snapshots(cli, store, txn, image, results, error))
            goto out;
    }
    if (!ami_txn_commit(txn, error))
        goto out;
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
