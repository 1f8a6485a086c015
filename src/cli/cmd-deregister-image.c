/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run deregister-image [--delete-associated-snapshots]: the reply has EC2's shape,
 * {"Return": true, "DeleteSnapshotResults": [{"SnapshotId", "ReturnCode"}]}; a snapshot
 * another image still uses is kept ("skipped") and a notice names the users.
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/capture.h"
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
        } else if (!ami_snapshot_delete_stage(store, txn, (char *[]){(char *)id, NULL}, error)) {
            return FALSE; /* a layer a later snapshot builds on stays (docs/store.md) */
        }
        json_array_append_new(results, json_pack("{s:s, s:s}", "SnapshotId", id, "ReturnCode", code));
    }
    return TRUE;
}

/* The captured NVRAM goes with the last image that names it (copy-image may share it). */
static gboolean
delete_nvram(AmiStore *store, AmiTxn *txn, json_t *image, GError **error)
{
    const char *file = json_string_value(json_object_get(json_object_get(json_object_get(image, "AmiRun"), "Nvram"), "File"));
    const char *id = json_string_value(json_object_get(image, "ImageId"));
    g_autoptr(GPtrArray) all = NULL;

    if (!file || !g_str_has_prefix(file, "nvram/") || strstr(file, ".."))
        return TRUE;
    if (!(all = ami_store_list_images(store, error)))
        return FALSE;
    for (guint i = 0; i < all->len; i++) {
        json_t *nv = json_object_get(json_object_get(all->pdata[i], "AmiRun"), "Nvram");

        if (g_strcmp0(json_string_value(json_object_get(all->pdata[i], "ImageId")), id) != 0 &&
            g_strcmp0(json_string_value(json_object_get(nv, "File")), file) == 0)
            return TRUE;
    }
    ami_txn_delete(txn, file);
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
    if (!delete_nvram(store, txn, json, error))
        goto out;
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
