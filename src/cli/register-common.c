/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The part of register-image and import-image that checks and writes, all or nothing. */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "register-common.h"

typedef struct {
    AmiStore *store;
    GHashTable *staged; /* snapshot id -> GiB (as gint64 in a pointer-sized box) */
} SizeLookup;

static gint64
size_of(const char *snapshot_id, gpointer data)
{
    SizeLookup *l = data;
    gint64 *staged = g_hash_table_lookup(l->staged, snapshot_id);
    g_autoptr(json_t) rec = NULL;

    if (staged)
        return *staged;
    rec = ami_store_find_snapshot(l->store, snapshot_id, NULL);
    return rec ? ami_snapshot_size_gib(rec) : -1;
}

/* Parse every image; errors name the image when the document has several. */
static GPtrArray *
parse_all(json_t *images, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)ami_image_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i;
    json_t *obj;

    json_array_foreach(images, i, obj) {
        AmiImage *image;

        if (json_is_object(obj) && !json_object_get(obj, "ImageId")) {
            g_autofree char *id = ami_id_new(AMI_ID_IMAGE);
            json_object_set_new(obj, "ImageId", json_string(id));
        }
        if (!(image = ami_image_parse(obj, error))) {
            if (json_array_size(images) > 1)
                g_prefix_error(error, "Images[%zu]: ", i);
            return NULL;
        }
        g_ptr_array_add(out, image);
        if (!ami_image_check_tpm(image, error)) {
            if (json_array_size(images) > 1)
                g_prefix_error(error, "Images[%zu]: ", i);
            return NULL;
        }
        if (!g_hash_table_add(seen, image->image_id)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "Images[%zu]: ImageId %s appears twice",
                        i, image->image_id);
            return NULL;
        }
    }
    return g_steal_pointer(&out);
}

static gboolean
image_refers_to(GPtrArray *parsed, const char *snapshot_id)
{
    for (guint i = 0; i < parsed->len; i++) {
        g_autoptr(GPtrArray) ids = ami_image_snapshot_ids(parsed->pdata[i]);

        if (g_ptr_array_find_with_equal_func(ids, snapshot_id, g_str_equal, NULL))
            return TRUE;
    }
    return FALSE;
}

/* `snap-…=FILE|URL` specs, checked against the images before any download starts. */
static GPtrArray *
parse_snapshot_specs(const char *const *specs, GPtrArray *parsed, GError **error)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

    for (; specs && *specs; specs++) {
        g_auto(GStrv) kv = g_strsplit(*specs, "=", 2);

        if (!kv[0] || !kv[1] || !*kv[1] || !ami_id_is_valid(AMI_ID_SNAPSHOT, kv[0])) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--snapshot '%.80s': expected snap-ID=FILE or snap-ID=URL", *specs);
            return NULL;
        }
        if (!image_refers_to(parsed, kv[0])) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--snapshot %s: no image being registered refers to it", kv[0]);
            return NULL;
        }
        for (guint i = 0; i < out->len; i++) {
            if (strcmp(((char **)out->pdata[i])[0], kv[0]) == 0) {
                g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--snapshot %s is given twice",
                            kv[0]);
                return NULL;
            }
        }
        g_ptr_array_add(out, g_steal_pointer(&kv));
    }
    return g_steal_pointer(&out);
}

/* Under the lock: ids and names must be new, snapshots present and big enough. */
static gboolean
check_against_store(AmiStore *store, GPtrArray *parsed, SizeLookup *lookup, GError **error)
{
    g_autoptr(GPtrArray) existing = ami_store_list_images(store, error);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

    if (!existing)
        return FALSE;
    for (guint i = 0; i < existing->len; i++) {
        const char *owner = ami_record_owner(existing->pdata[i]);
        const char *name = json_string_value(json_object_get(existing->pdata[i], "Name"));

        /* Names are unique per account and region (copy-image keeps a name elsewhere). */
        if (name && strcmp(owner, AMI_STORE_OWNER_ID) == 0 &&
            strcmp(ami_record_region(existing->pdata[i]), ami_store_region(store)) == 0)
            g_hash_table_add(names, (gpointer)name);
    }
    for (guint i = 0; i < parsed->len; i++) {
        AmiImage *image = parsed->pdata[i];
        g_autoptr(json_t) old = ami_store_load_image(store, image->image_id, NULL);
        const char *owner = json_string_value(json_object_get(image->json, "OwnerId"));

        if (old) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                        "Image '%s' is already registered (deregister-image it first)",
                        image->image_id);
            return FALSE;
        }
        /* EC2 keeps AMI names unique per owner (InvalidAMIName.Duplicate). */
        if (image->name && owner && strcmp(owner, AMI_STORE_OWNER_ID) == 0 &&
            !g_hash_table_add(names, image->name)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                        "An image named '%s' is already registered", image->name);
            return FALSE;
        }
        if (!ami_image_check_snapshots(image, size_of, lookup, error)) {
            if (parsed->len > 1)
                g_prefix_error(error, "Images[%u] (%s): ", i, image->image_id);
            return FALSE;
        }
    }
    return TRUE;
}

/* VolumeSize defaults to the snapshot's size; describe-images shows it filled in. */
static void
fill_volume_sizes(GPtrArray *parsed, SizeLookup *lookup)
{
    for (guint i = 0; i < parsed->len; i++) {
        AmiImage *image = parsed->pdata[i];
        json_t *list = json_object_get(image->json, "BlockDeviceMappings");
        size_t j;
        json_t *m;

        json_array_foreach(list, j, m) {
            json_t *ebs = json_object_get(m, "Ebs");
            const char *snap = json_string_value(json_object_get(ebs, "SnapshotId"));

            if (snap && !json_object_get(ebs, "VolumeSize"))
                json_object_set_new(ebs, "VolumeSize", json_integer(size_of(snap, lookup)));
        }
    }
}

/* Download and convert every --snapshot disk; no lock is held meanwhile. */
static GPtrArray *
prepare_disks(const Cli *cli, AmiTxn *txn, GPtrArray *specs, GError **error)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify)ami_prepared_disk_free);

    for (guint i = 0; i < specs->len; i++) {
        char **kv = specs->pdata[i];
        AmiImportSpec spec = {.source = kv[1], .snapshot_id = kv[0], .progress = cli->progress};
        AmiPreparedDisk *disk;

        if (cli->progress)
            cli_notice(cli, "importing %s from %s", kv[0], kv[1]);
        if (!(disk = ami_import_prepare(txn, &spec, error))) {
            g_prefix_error(error, "--snapshot %s: ", kv[0]);
            return NULL;
        }
        g_ptr_array_add(disks, disk);
    }
    return g_steal_pointer(&disks);
}

static gboolean
stage_disks(const Cli *cli, AmiStore *store, AmiTxn *txn, GPtrArray *disks, GHashTable *staged,
            GError **error)
{
    g_autofree char *now = ami_now_iso8601();

    for (guint i = 0; i < disks->len; i++) {
        AmiPreparedDisk *disk = disks->pdata[i];
        g_autofree char *id = NULL;
        g_autofree char *dup = NULL;
        gint64 *gib = g_new(gint64, 1);

        if (!ami_import_stage(store, txn, disk, disks, now, &id, &dup, error)) {
            g_free(gib);
            return FALSE;
        }
        if (dup && strcmp(dup, id) != 0)
            cli_notice(cli, "%s has the same content as %s; the data is stored once", id, dup);
        *gib = (gint64)MAX(1, (disk->virtual_size + (G_GUINT64_CONSTANT(1) << 30) - 1) >> 30);
        g_hash_table_insert(staged, g_steal_pointer(&id), gib);
    }
    return TRUE;
}

GPtrArray *
cli_register_images(const Cli *cli, json_t *images, const char *const *snapshot_specs,
                    gboolean fill_sizes, GError **error)
{
    g_autoptr(GPtrArray) parsed = NULL;
    g_autoptr(GPtrArray) specs = NULL;
    g_autoptr(GPtrArray) disks = NULL;
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(GHashTable) staged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    SizeLookup lookup;

    /* 1. Everything that needs neither the store nor the disks. */
    if (!(parsed = parse_all(images, error)) ||
        !(specs = parse_snapshot_specs(snapshot_specs, parsed, error)))
        return NULL;
    /* 2. The slow part, unlocked, into a private work directory. */
    if (!(store = cli_open_store(cli, TRUE, error)) || !(txn = ami_store_txn_new(store, error)) ||
        !(disks = prepare_disks(cli, txn, specs, error)))
        return NULL;
    /* 3. Under the lock: stage, check against the store, commit. */
    lookup = (SizeLookup){.store = store, .staged = staged};
    if (!ami_store_lock(store, error) || !stage_disks(cli, store, txn, disks, staged, error) ||
        !check_against_store(store, parsed, &lookup, error))
        return NULL;
    if (fill_sizes)
        fill_volume_sizes(parsed, &lookup);
    for (guint i = 0; i < parsed->len; i++) {
        AmiImage *image = parsed->pdata[i];
        g_autofree char *rel = ami_store_image_rel(image->image_id);

        ami_record_set_region(image->json, ami_store_region(store));
        if (!ami_txn_put_json(txn, rel, image->json, error))
            return NULL;
        g_ptr_array_add(ids, g_strdup(image->image_id));
    }
    if (!ami_txn_commit(txn, error))
        return NULL;
    return g_steal_pointer(&ids);
}
