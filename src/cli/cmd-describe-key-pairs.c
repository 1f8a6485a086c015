/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-key-pairs: {"KeyPairs": […]} as EC2 shows them, by name; PublicKey
 * only with --include-public-key.  A name or id that does not exist is
 * InvalidKeyPair.NotFound, as in EC2.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "keypair-common.h"

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(json_string_value(json_object_get(*(json_t *const *)a, "KeyName")),
                     json_string_value(json_object_get(*(json_t *const *)b, "KeyName")));
}

/* Every named key pair exists, or the whole request fails (EC2). */
static gboolean
check_named(GPtrArray *all, char **names, const char *member, GError **error)
{
    for (char **n = names; n && *n; n++) {
        gboolean found = FALSE;

        for (guint i = 0; all && i < all->len && !found; i++)
            found = g_strcmp0(json_string_value(json_object_get(all->pdata[i], member)), *n) == 0;
        if (!found) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "InvalidKeyPair.NotFound: The key pair%s '%.255s' does not exist",
                        strcmp(member, "KeyPairId") == 0 ? " ID" : "", *n);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
selected(json_t *kp, char **names, char **ids, const AmiFilters *filters)
{
    const char *name = json_string_value(json_object_get(kp, "KeyName"));
    const char *id = json_string_value(json_object_get(kp, "KeyPairId"));

    if (names && (!name || !g_strv_contains((const char *const *)names, name)))
        return FALSE;
    if (ids && (!id || !g_strv_contains((const char *const *)ids, id)))
        return FALSE;
    return ami_filters_match(filters, kp);
}

gboolean
cmd_describe_key_pairs(Cli *cli, int argc, char **argv, GError **error)
{
    char **names = NULL, **ids = NULL, **filter_args = NULL;
    int include_public = -1;
    const ArgSpec specs[] = {
        {"key-names", ARG_LIST, &names, "NAME", "only these key pairs"},
        {"key-pair-ids", ARG_LIST, &ids, "key-…", "only these key pairs"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (key-name, key-pair-id, fingerprint, key-type, tag-key, tag:KEY; * and ? match)"},
        {"include-public-key", ARG_BOOL, &include_public, NULL, "include PublicKey (default off)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiFilters) filters = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) list = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "List the key pairs in the store.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!(filters = ami_filters_parse(AMI_FILTER_KEY_PAIRS, (const char *const *)filter_args, error)))
        goto out;
    store = cli_open_store(cli, FALSE, error);
    if (store && (!ami_store_lock(store, error) || !(all = ami_store_list_key_pairs(store, error))))
        goto out;
    if ((!store && error && *error) || !check_named(all, names, "KeyName", error) ||
        !check_named(all, ids, "KeyPairId", error))
        goto out;
    if (all)
        g_ptr_array_sort(all, by_name);
    for (guint i = 0; all && i < all->len; i++) {
        json_t *kp = all->pdata[i];

        if (!selected(kp, names, ids, filters))
            continue;
        if (include_public <= 0)
            json_object_del(kp, "PublicKey");
        json_array_append(list, kp);
    }
    result = json_pack("{s:O}", "KeyPairs", list);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
