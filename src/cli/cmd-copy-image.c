/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run copy-image: EC2's CopyImage into the command's region (docs/images.md).  The
 * copy is a new AMI with new snapshot ids whose files are hard links of the source's:
 * the content is shared, never copied, and every file stays read-only.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/image-attr.h"
#include "ami-run/import.h"
#include "ami-run/netinfo.h"
#include "cli.h"

typedef struct {
    char *source_image_id, *source_region, *name, *description, *kms_key_id, *client_token;
    int copy_tags, encrypted, dry_run;
} Opts;

static gboolean
check_opts(const Opts *o, GError **error)
{
    if (!cli_require(o->source_image_id, "source-image-id", error) ||
        !cli_require(o->source_region, "source-region", error) ||
        !cli_require(o->name, "name", error))
        return FALSE;
    if (!ami_id_is_valid(AMI_ID_IMAGE, o->source_image_id))
        return ami_error_invalid(error, "--source-image-id '%.80s' is not an image id (ami-…)",
                                 o->source_image_id);
    if (!ami_region_check(o->source_region, error)) {
        g_prefix_error(error, "--source-region: ");
        return FALSE;
    }
    if (!ami_name_is_valid(o->name))
        return ami_error_invalid(error, "--name '%.80s' must be 3-128 letters, digits or "
                                 "()[] ./-'@_", o->name);
    if (o->description &&
        (!g_utf8_validate(o->description, -1, NULL) || g_utf8_strlen(o->description, -1) > 255))
        return ami_error_invalid(error, "--description must be valid UTF-8 of at most 255 "
                                 "characters");
    /* CopyImageRequest: "If you specify a KMS key, you must also set the encrypted state". */
    if (o->kms_key_id && o->encrypted != 1)
        return ami_error_invalid(error, "--kms-key-id needs --encrypted");
    if (o->client_token && (strlen(o->client_token) > 64 || !*o->client_token))
        return ami_error_invalid(error, "--client-token must be 1-64 characters");
    return TRUE;
}

/* An image of this region made with @token (idempotency, as EC2's ClientToken), or NULL. */
static char *
image_of_token(AmiStore *store, const char *token, GError **error)
{
    g_autoptr(GPtrArray) all = token ? ami_store_list_images(store, error) : NULL;

    for (guint i = 0; all && i < all->len; i++) {
        json_t *image = all->pdata[i];
        const char *t = json_string_value(json_object_get(json_object_get(image, "AmiRun"),
                                                          "ClientToken"));

        if (t && strcmp(t, token) == 0 &&
            strcmp(ami_record_region(image), ami_store_region(store)) == 0)
            return g_strdup(json_string_value(json_object_get(image, "ImageId")));
    }
    return NULL;
}

/* EC2 keeps AMI names unique per account and region (InvalidAMIName.Duplicate). */
static gboolean
check_name_free(AmiStore *store, const char *name, GError **error)
{
    g_autoptr(GPtrArray) all = ami_store_list_images(store, error);

    if (!all)
        return FALSE;
    ami_store_in_region(store, all);
    for (guint i = 0; i < all->len; i++) {
        if (g_strcmp0(json_string_value(json_object_get(all->pdata[i], "Name")), name) == 0 &&
            strcmp(ami_record_owner(all->pdata[i]), AMI_STORE_OWNER_ID) == 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                        "InvalidAMIName.Duplicate: an image named '%s' exists in region '%s'",
                        name, ami_store_region(store));
            return FALSE;
        }
    }
    return TRUE;
}

/* The source image, which must be in --source-region (the check of every lookup). */
static json_t *
load_source(AmiStore *store, const Opts *o, GError **error)
{
    g_autofree char *target = g_strdup(ami_store_region(store));
    json_t *image;

    ami_store_set_region(store, o->source_region);
    image = ami_store_find_image(store, o->source_image_id, error);
    ami_store_set_region(store, target);
    return image;
}

/* Every snapshot of @image: a new id, its file hard-linked, its record copied. */
static gboolean
stage_snapshots(AmiStore *store, AmiTxn *txn, json_t *source, AmiImageCopy *copy,
                GError **error)
{
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(source, "BlockDeviceMappings"), i, m) {
        const char *snap = json_string_value(json_object_get(json_object_get(m, "Ebs"),
                                                             "SnapshotId"));
        g_autoptr(json_t) rec = NULL;
        g_autoptr(json_t) copied = NULL;
        g_autofree char *id = NULL;
        g_autofree char *from = NULL;
        g_autofree char *staged = NULL;
        g_autofree char *rel = NULL;
        g_autofree char *rec_rel = NULL;

        if (!snap || g_hash_table_contains(copy->snapshot_ids, snap))
            continue;
        if (!(rec = ami_store_load_snapshot(store, snap, error)))
            return FALSE;
        id = ami_id_new(AMI_ID_SNAPSHOT);
        from = ami_store_snapshot_path(store, snap);
        staged = ami_txn_stage_path(txn);
        /* Shared, not copied: the same read-only inode under a second name. */
        if (link(from, staged) < 0)
            return ami_error_set_errno(error, errno, from);
        copied = ami_snapshot_copy(rec, id, json_string_value(json_object_get(source, "ImageId")),
                                   copy);
        ami_record_set_region(copied, ami_store_region(store));
        rel = ami_store_snapshot_rel(id);
        rec_rel = ami_store_snapshot_record_rel(id);
        if (!ami_txn_put_file(txn, rel, staged, error) ||
            !ami_txn_put_json(txn, rec_rel, copied, error))
            return FALSE;
        g_hash_table_insert(copy->snapshot_ids, g_strdup(snap), g_steal_pointer(&id));
    }
    return TRUE;
}

/*
 * The UEFI variable store goes with the image (EC2 copies it): a captured image keeps it
 * as AmiRun.Nvram {File: "nvram/ami-….fd", Sha256}; the copy gets a hard link of it.
 */
static gboolean
stage_nvram(AmiStore *store, AmiTxn *txn, json_t *source, json_t *image, GError **error)
{
    json_t *nv = json_object_get(json_object_get(source, "AmiRun"), "Nvram");
    const char *file = json_string_value(json_object_get(nv, "File"));
    const char *id = json_string_value(json_object_get(image, "ImageId"));
    g_autofree char *from = NULL;
    g_autofree char *staged = NULL;
    g_autofree char *rel = NULL;

    if (!file)
        return TRUE;
    if (!g_str_has_prefix(file, "nvram/") || strchr(file + 6, '/') || strstr(file, "..")) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "Image '%s': AmiRun.Nvram.File '%.80s' is not in nvram/, the store is corrupted",
                    json_string_value(json_object_get(source, "ImageId")), file);
        return FALSE;
    }
    from = g_build_filename(ami_store_path(store), file, NULL);
    staged = ami_txn_stage_path(txn);
    if (link(from, staged) < 0)
        return ami_error_set_errno(error, errno, from);
    rel = g_strdup_printf("nvram/%s.fd", id);
    if (!ami_txn_put_file(txn, rel, staged, error))
        return FALSE;
    json_object_set_new(json_object_get(image, "AmiRun"), "Nvram",
                        json_pack("{s:s, s:O?}", "File", rel, "Sha256", json_object_get(nv, "Sha256")));
    return TRUE;
}

/* Under the lock: check, then stage the snapshots and the image; commit. */
static gboolean
copy_image(const Cli *cli, AmiStore *store, const Opts *o, char **ret_image_id, GError **error)
{
    g_autoptr(json_t) source = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(GHashTable) snaps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *id = NULL;
    g_autofree char *now = ami_now_iso8601();
    g_autofree char *rel = NULL;
    g_autoptr(GError) local = NULL;
    AmiImageCopy copy;

    if (!(source = load_source(store, o, error)))
        return FALSE;
    /* The same ClientToken again: the copy it made (EC2's idempotency). */
    id = image_of_token(store, o->client_token, &local);
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (id) {
        *ret_image_id = g_steal_pointer(&id);
        return TRUE;
    }
    if (!check_name_free(store, o->name, error))
        return FALSE;
    if (o->dry_run == 1) {
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set; "
                   "nothing was changed");
        *ret_image_id = NULL;
        return TRUE;
    }
    id = ami_id_new(AMI_ID_IMAGE);
    copy = (AmiImageCopy){.image_id = id, .name = o->name, .description = o->description,
                          .source_region = o->source_region, .copy_tags = o->copy_tags == 1,
                          .encrypted = o->encrypted == 1, .kms_key_id = o->kms_key_id,
                          .owner_id = AMI_STORE_OWNER_ID, .now = now,
                          .now_ms = g_get_real_time() / 1000, .snapshot_ids = snaps};
    if (!(txn = ami_store_txn_new(store, error)) ||
        !stage_snapshots(store, txn, source, &copy, error))
        return FALSE;
    image = ami_image_copy(source, &copy);
    ami_record_set_region(image, ami_store_region(store));
    if (o->client_token)
        json_object_set_new(json_object_get(image, "AmiRun"), "ClientToken",
                            json_string(o->client_token));
    rel = ami_store_image_rel(id);
    if (!stage_nvram(store, txn, source, image, error) ||
        !ami_txn_put_json(txn, rel, image, error) || !ami_txn_commit(txn, error))
        return FALSE;
    *ret_image_id = g_steal_pointer(&id);
    return TRUE;
}

gboolean
cmd_copy_image(Cli *cli, int argc, char **argv, GError **error)
{
    Opts o = {.copy_tags = -1, .encrypted = -1, .dry_run = -1};
    const ArgSpec specs[] = {
        {"source-image-id", ARG_STRING, &o.source_image_id, "ami-…", "the image to copy"},
        {"source-region", ARG_STRING, &o.source_region, "REGION", "the region it is in"},
        {"name", ARG_STRING, &o.name, "NAME", "the copy's name (3-128 characters)"},
        {"description", ARG_STRING, &o.description, "TEXT", "the copy's description"},
        {"copy-image-tags", ARG_BOOL, &o.copy_tags, NULL, "copy the user tags (not aws:)"},
        {"encrypted", ARG_BOOL, &o.encrypted, NULL, "mark the copy's snapshots encrypted (recorded only)"},
        {"kms-key-id", ARG_STRING, &o.kms_key_id, "KEY", "KMS key for --encrypted (recorded only)"},
        {"client-token", ARG_STRING, &o.client_token, "TOKEN", "idempotency: the same token returns the same copy"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "check everything, change nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) result = NULL;
    g_autofree char *image_id = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Copy an AMI into this region (content shared, not copied).", specs,
                        argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!check_opts(&o, error))
        goto out;
    if (!(store = cli_open_store(cli, FALSE, error))) {
        if (!*error)
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "InvalidAMIID.NotFound: Image '%s' does not exist in the store",
                        o.source_image_id);
        goto out;
    }
    if (!ami_store_lock(store, error) || !copy_image(cli, store, &o, &image_id, error))
        goto out;
    if (image_id) {
        result = json_pack("{s:s}", "ImageId", image_id);
        cli_print(cli, result);
    }
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
