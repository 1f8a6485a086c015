/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "cli.h"

AmiStore *
cli_open_store(const Cli *cli, gboolean create, GError **error)
{
    g_autoptr(GError) local = NULL;
    AmiStore *store = ami_store_open(cli->store_path, create, &local);

    if (!store && !create && g_error_matches(local, AMI_ERROR, AMI_ERROR_NOT_FOUND))
        return NULL;
    if (!store)
        g_propagate_error(error, g_steal_pointer(&local));
    return store;
}

json_t *
cli_json_arg(const char *value, const char *what, GError **error)
{
    g_autofree char *label = g_strdup_printf("--%s", what);

    if (g_str_has_prefix(value, "file://")) {
        json_t *doc = ami_json_load_file(value + 7, error);

        if (!doc)
            g_prefix_error(error, "%s: ", label);
        return doc;
    }
    return ami_json_load_string(value, label, error);
}

gboolean
cli_require(const void *value, const char *name, GError **error)
{
    if (value)
        return TRUE;
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--%s is required", name);
    return FALSE;
}

/* One shorthand item: `Key=k,Value=v` (Value may hold commas and '=' after its start). */
static json_t *
parse_tag_item(const char *item, gboolean values_optional, GError **error)
{
    const char *value = strstr(item, ",Value=");
    g_autofree char *key = NULL;

    if (!g_str_has_prefix(item, "Key=") || (!value && !values_optional)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--tags '%.80s': expected Key=KEY,Value=VALUE", item);
        return NULL;
    }
    key = value ? g_strndup(item + 4, (gsize)(value - item - 4)) : g_strdup(item + 4);
    if (value)
        return json_pack("{s:s, s:s}", "Key", key, "Value", value + 7);
    return json_pack("{s:s}", "Key", key);
}

json_t *
cli_parse_tags(char **items, gboolean values_optional, GError **error)
{
    g_autoptr(json_t) tags = NULL;

    if (!items || !items[0])
        return json_array();
    if (items[0][0] == '[' || g_str_has_prefix(items[0], "file://")) {
        if (items[1]) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--tags: give one JSON list");
            return NULL;
        }
        tags = cli_json_arg(items[0], "tags", error);
        if (!tags)
            return NULL;
    } else {
        tags = json_array();
        for (char **i = items; *i; i++) {
            json_t *t = parse_tag_item(*i, values_optional, error);

            if (!t)
                return NULL;
            json_array_append_new(tags, t);
        }
    }
    if (!values_optional && !ami_tags_validate(tags, "--tags", error))
        return NULL;
    if (!json_is_array(tags)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--tags must be a list");
        return NULL;
    }
    return g_steal_pointer(&tags);
}
