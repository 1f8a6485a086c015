/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run delete-key-pair: EC2's DeleteKeyPair, {"Return": true, "KeyPairId": …}.  As in
 * EC2, deleting a name that does not exist succeeds ({"Return": true} alone: boto3 issue
 * 865 shows EC2 answering 200); an id that does not exist is InvalidKeyPair.NotFound.
 * Instances launched with the key keep it (EC2 does the same).
 */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "keypair-common.h"

/* The record to delete: by id (must exist) or by name (may not). */
static gboolean
find_target(AmiStore *store, const char *name, const char *id, json_t **ret, GError **error)
{
    g_autoptr(GError) local = NULL;

    *ret = NULL;
    if (id) {
        if (!ami_id_is_valid(AMI_ID_KEY_PAIR, id)) {
            g_autofree char *shown = g_strescape(id, NULL);

            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "InvalidKeyPairId.Malformed: '%.80s' is not a key pair id (key-…)", shown);
            return FALSE;
        }
        if (!store || !(*ret = ami_store_load_key_pair(store, id, &local))) {
            if (local && !g_error_matches(local, AMI_ERROR, AMI_ERROR_NOT_FOUND)) {
                g_propagate_error(error, g_steal_pointer(&local));
                return FALSE;
            }
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "InvalidKeyPair.NotFound: The key pair ID '%s' does not exist", id);
            return FALSE;
        }
        return TRUE;
    }
    if (store && !(*ret = cli_key_pair_find(store, name, &local)) &&
        !g_error_matches(local, AMI_ERROR, AMI_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return TRUE;
}

gboolean
cmd_delete_key_pair(Cli *cli, int argc, char **argv, GError **error)
{
    char *name = NULL, *id = NULL;
    int dry_run = -1;
    const ArgSpec specs[] = {
        {"key-name", ARG_STRING, &name, "NAME", "the key pair to delete"},
        {"key-pair-id", ARG_STRING, &id, "key-…", "the key pair to delete, by id"},
        {"dry-run", ARG_BOOL, &dry_run, NULL, "check everything, delete nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autoptr(json_t) target = NULL;
    g_autoptr(json_t) out = NULL;
    g_autofree char *rel = NULL;
    const char *target_id;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Delete a key pair (its public key) from the store.", specs, argc,
                        argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!name == !id) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "give --key-name or --key-pair-id (one)");
        goto out;
    }
    store = cli_open_store(cli, FALSE, error);
    if ((!store && error && *error) || (store && dry_run <= 0 && !ami_store_lock(store, error)) ||
        !find_target(store, name, id, &target, error))
        goto out;
    target_id = json_string_value(json_object_get(target, "KeyPairId"));
    if (dry_run > 0) {
        cli_key_pair_dry_run_notice(cli);
        ok = TRUE;
        goto out;
    }
    if (target && (rel = ami_store_key_pair_rel(target_id))) {
        if (!(txn = ami_store_txn_new(store, error)))
            goto out;
        ami_txn_delete(txn, rel);
        if (!ami_txn_commit(txn, error))
            goto out;
    }
    out = json_pack("{s:b}", "Return", TRUE);
    if (target_id)
        json_object_set_new(out, "KeyPairId", json_string(target_id));
    cli_print(cli, out);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
