/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/shorthand.h"
#include "keypair-common.h"

gboolean
cli_key_name_check(const char *name, GError **error)
{
    size_t n = strlen(name);

    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            n = 0;
    }
    if (n == 0 || n > 255) {
        g_autofree char *shown = g_strescape(name, NULL);

        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--key-name '%.80s' must be 1 to 255 printable ASCII characters", shown);
        return FALSE;
    }
    return TRUE;
}

/* One --tag-specifications item: JSON (a list or one object) or shorthand. */
static json_t *
tag_spec_item(const char *item, GError **error)
{
    json_t *doc;

    if (item[0] == '[' || item[0] == '{' || g_str_has_prefix(item, "file://"))
        doc = cli_json_arg(item, "tag-specifications", error);
    else
        doc = ami_shorthand_parse(item, error);
    if (doc && json_is_object(doc)) {
        json_t *list = json_array();

        json_array_append_new(list, doc);
        doc = list;
    }
    return doc;
}

json_t *
cli_key_pair_tags(char **specs, GError **error)
{
    g_autoptr(json_t) tags = json_array();

    for (char **s = specs; s && *s; s++) {
        g_autoptr(json_t) list = tag_spec_item(*s, error);
        size_t i;
        json_t *spec;

        if (!list)
            return NULL;
        json_array_foreach(list, i, spec) {
            const char *type = json_string_value(json_object_get(spec, "ResourceType"));
            json_t *t = json_object_get(spec, "Tags");

            if (!type || strcmp(type, "key-pair") != 0) {
                g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                            "--tag-specifications: ResourceType must be key-pair");
                return NULL;
            }
            if (!ami_tags_validate(t, "--tag-specifications", error))
                return NULL;
            json_array_extend(tags, t);
        }
    }
    return g_steal_pointer(&tags);
}

json_t *
cli_key_pair_find(AmiStore *store, const char *name, GError **error)
{
    g_autoptr(GPtrArray) all = store ? ami_store_list_key_pairs(store, error) : NULL;

    if (store && !all)
        return NULL;
    for (guint i = 0; all && i < all->len; i++) {
        const char *n = json_string_value(json_object_get(all->pdata[i], "KeyName"));

        if (n && strcmp(n, name) == 0)
            return json_incref(all->pdata[i]);
    }
    /* EC2's words: "The key pair 'NAME' does not exist". */
    g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                "InvalidKeyPair.NotFound: The key pair '%.255s' does not exist", name);
    return NULL;
}

gboolean
cli_key_pair_add(const Cli *cli, json_t *record, gboolean dry_run, GError **error)
{
    const char *name = json_string_value(json_object_get(record, "KeyName"));
    const char *id = json_string_value(json_object_get(record, "KeyPairId"));
    g_autoptr(AmiStore) store = cli_open_store(cli, !dry_run, error);
    g_autoptr(json_t) existing = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autofree char *rel = NULL;

    if (!store && (!dry_run || (error && *error)))
        return FALSE;
    if (store && !dry_run && !ami_store_lock(store, error))
        return FALSE;
    if (store && (existing = cli_key_pair_find(store, name, &local))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                    "InvalidKeyPair.Duplicate: The keypair '%.255s' already exists", name);
        return FALSE;
    }
    if (local && !g_error_matches(local, AMI_ERROR, AMI_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (dry_run)
        return TRUE;
    if (!(rel = ami_store_key_pair_rel(id)) || !(txn = ami_store_txn_new(store, error)) ||
        !ami_txn_put_json(txn, rel, record, error))
        return FALSE;
    return ami_txn_commit(txn, error);
}

void
cli_key_pair_dry_run_notice(const Cli *cli)
{
    cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set; "
               "nothing was changed");
}
