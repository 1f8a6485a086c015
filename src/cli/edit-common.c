/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"
#include "edit-common.h"

/* The instance whose AmiRun.Disks hold @volume_id (not terminated), or NULL. */
static char *
instance_of_volume(AmiStore *store, const char *volume_id)
{
    g_autoptr(GPtrArray) all = ami_instances_list(store, NULL);

    for (guint i = 0; all && i < all->len; i++) {
        json_t *r = all->pdata[i];
        size_t j;
        json_t *d;

        if (ami_instance_state(r) == AMI_INSTANCE_TERMINATED)
            continue;
        json_array_foreach(json_object_get(json_object_get(r, "AmiRun"), "Disks"), j, d) {
            if (g_strcmp0(json_string_value(json_object_get(d, "VolumeId")), volume_id) == 0)
                return g_strdup(json_string_value(json_object_get(r, "InstanceId")));
        }
    }
    return NULL;
}

/*
 * Where @id's record is (store-relative, *ret_rel) and loads it once into @loaded (rel ->
 * json): images, snapshots, instances (their instance.json) and volumes, a kept one's
 * volumes/vol-….json or, attached, its instance's record (AmiRun.VolumeTags).
 */
static json_t *
load_resource(AmiStore *store, GHashTable *loaded, const char *id, char **ret_rel, GError **error)
{
    g_autofree char *rel = NULL;
    g_autofree char *owner = NULL;
    json_t *obj;

    if (ami_id_is_valid(AMI_ID_IMAGE, id))
        rel = ami_store_image_rel(id);
    else if (ami_id_is_valid(AMI_ID_SNAPSHOT, id))
        rel = ami_store_snapshot_record_rel(id);
    else if (ami_id_is_valid(AMI_ID_INSTANCE, id))
        rel = g_strdup_printf("instances/%s/instance.json", id);
    else if (ami_id_is_valid(AMI_ID_VOLUME, id))
        rel = g_strdup_printf("volumes/%s.json", id);
    else {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--resources: '%.80s' is not an image (ami-…), snapshot (snap-…), instance (i-…) or volume (vol-…) id",
                    id);
        return NULL;
    }
    if (ami_id_is_valid(AMI_ID_VOLUME, id)) {
        g_autofree char *kept = g_build_filename(ami_store_path(store), rel, NULL);

        if (!g_file_test(kept, G_FILE_TEST_EXISTS) && (owner = instance_of_volume(store, id))) {
            g_free(rel);
            rel = g_strdup_printf("instances/%s/instance.json", owner);
        } else if (!g_file_test(kept, G_FILE_TEST_EXISTS)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Volume '%s' does not exist", id);
            return NULL;
        }
    }
    if (!(obj = g_hash_table_lookup(loaded, rel))) {
        if (ami_id_is_valid(AMI_ID_IMAGE, id))
            obj = ami_store_find_image(store, id, error);
        else if (ami_id_is_valid(AMI_ID_SNAPSHOT, id))
            obj = ami_store_find_snapshot(store, id, error);
        else if (ami_id_is_valid(AMI_ID_INSTANCE, id) || owner)
            obj = ami_instance_find(store, owner ? owner : id, error);
        else {
            g_autofree char *path = g_build_filename(ami_store_path(store), rel, NULL);

            obj = ami_json_load_file(path, error);
        }
        if (!obj)
            return NULL;
        g_hash_table_insert(loaded, g_strdup(rel), obj);
    }
    *ret_rel = g_steal_pointer(&rel);
    return obj;
}

/* The Tags list of @id inside @obj (made when missing). */
static json_t *
tags_in(json_t *obj, const char *id, const char *rel)
{
    json_t *holder = obj, *tags;
    const char *key = "Tags";

    if (ami_id_is_valid(AMI_ID_VOLUME, id) && g_str_has_prefix(rel, "instances/")) {
        json_t *a = json_object_get(obj, "AmiRun");

        if (!json_is_object(a))
            json_object_set_new(obj, "AmiRun", a = json_object());
        if (!json_is_object(holder = json_object_get(a, "VolumeTags")))
            json_object_set_new(a, "VolumeTags", holder = json_object());
        key = id;
    }
    if (!json_is_array(tags = json_object_get(holder, key)))
        json_object_set_new(holder, key, tags = json_array());
    return tags;
}

gboolean
cli_edit_tags(const Cli *cli, char **resources, json_t *request, CliTagEdit edit, GError **error)
{
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(GHashTable) loaded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify)json_decref);
    GHashTableIter it;
    gpointer rel, obj;

    if (!cli_require(resources, "resources", error) ||
        !(store = cli_open_store(cli, TRUE, error)) || !ami_store_lock(store, error) ||
        !(txn = ami_store_txn_new(store, error)))
        return FALSE;
    for (char **r = resources; *r; r++) {
        g_autofree char *where = NULL;
        json_t *o = load_resource(store, loaded, *r, &where, error);

        if (!o)
            return FALSE;
        if (!edit(tags_in(o, *r, where), request, error)) {
            g_prefix_error(error, "%s: ", *r);
            return FALSE;
        }
    }
    g_hash_table_iter_init(&it, loaded);
    while (g_hash_table_iter_next(&it, &rel, &obj)) {
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
