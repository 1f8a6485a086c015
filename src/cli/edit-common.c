/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "edit-common.h"

gboolean
cli_edit_tags(const Cli *cli, char **resources, json_t *request, CliTagEdit edit, GError **error)
{
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;

    if (!cli_require(resources, "resources", error) ||
        !(store = cli_open_store(cli, TRUE, error)) || !ami_store_lock(store, error) ||
        !(txn = ami_store_txn_new(store, error)))
        return FALSE;
    for (char **r = resources; *r; r++) {
        gboolean is_image = ami_id_is_valid(AMI_ID_IMAGE, *r);
        g_autoptr(json_t) obj = NULL;
        g_autofree char *rel = NULL;
        json_t *tags;

        if (!is_image && !ami_id_is_valid(AMI_ID_SNAPSHOT, *r)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--resources: '%.80s' is not an image (ami-…) or snapshot (snap-…) id", *r);
            return FALSE;
        }
        obj = is_image ? ami_store_find_image(store, *r, error)
                       : ami_store_find_snapshot(store, *r, error);
        if (!obj)
            return FALSE;
        tags = json_object_get(obj, "Tags");
        if (!json_is_array(tags)) {
            tags = json_array();
            json_object_set_new(obj, "Tags", tags);
        }
        if (!edit(tags, request, error)) {
            g_prefix_error(error, "%s: ", *r);
            return FALSE;
        }
        rel = is_image ? ami_store_image_rel(*r) : ami_store_snapshot_record_rel(*r);
        if (!ami_txn_put_json(txn, rel, obj, error))
            return FALSE;
    }
    return ami_txn_commit(txn, error);
}

gboolean
cli_edit_image(const Cli *cli, const char *image_id, CliImageEdit edit, gpointer data,
               GError **error)
{
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(json_t) image = NULL;
    g_autofree char *rel = NULL;

    if (!cli_require(image_id, "image-id", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !ami_store_lock(store, error) || !(image = ami_store_find_image(store, image_id, error)) ||
        !(txn = ami_store_txn_new(store, error)) || !edit(image, data, error))
        return FALSE;
    rel = ami_store_image_rel(image_id);
    return ami_txn_put_json(txn, rel, image, error) && ami_txn_commit(txn, error);
}
