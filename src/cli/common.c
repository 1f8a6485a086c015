/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/netinfo.h"
#include "ami-run/shorthand.h"
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
    else
        ami_store_set_region(store, cli_region(cli, NULL)); /* checked in main.c */
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

/* The text of a `file://` value, or @value itself. */
static char *
param_text(const char *value, const char *label, GError **error)
{
    g_autoptr(GError) local = NULL;
    char *text = NULL;

    if (!g_str_has_prefix(value, "file://"))
        return g_strdup(value);
    if (!g_file_get_contents(value + 7, &text, NULL, &local)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "%s: %s", label, local->message);
        return NULL;
    }
    return text;
}

json_t *
cli_struct_arg(const char *value, const char *what, GError **error)
{
    g_autofree char *label = g_strdup_printf("--%s", what);
    g_autofree char *text = param_text(value, label, error);
    const char *t = text;
    json_t *doc;

    if (!text)
        return NULL;
    while (g_ascii_isspace(*t))
        t++;
    /* As the AWS CLI: a value that starts like JSON is JSON, anything else shorthand. */
    if (*t == '{' || *t == '[' || *t == '"')
        return ami_json_load_string(t, label, error);
    g_strchomp(text);
    doc = ami_shorthand_parse(t, error);
    if (!doc)
        g_prefix_error(error, "%s: ", label);
    return doc;
}

json_t *
cli_struct_list(char **items, const char *what, GError **error)
{
    g_autoptr(json_t) list = json_array();

    if (!items || !items[0])
        return g_steal_pointer(&list);
    for (char **i = items; *i; i++) {
        json_t *v = cli_struct_arg(*i, what, error);

        if (!v)
            return NULL;
        if (json_is_array(v))
            json_array_extend(list, v);
        else
            json_array_append(list, v);
        json_decref(v);
    }
    return g_steal_pointer(&list);
}

const char *
cli_region(const Cli *cli, GError **error)
{
    const char *region = ami_region_pick(cli->region, g_getenv("AWS_REGION"),
                                         g_getenv("AWS_DEFAULT_REGION"));

    return ami_region_check(region, error) ? region : NULL;
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
