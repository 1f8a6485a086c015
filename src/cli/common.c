/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
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

/* One Tag as the request has it: {Key: string[, Value: string]}, nothing else. */
static gboolean
tag_shape_ok(json_t *t, const char *what, gboolean values_optional, GError **error)
{
    const char *member;
    json_t *v;

    if (!json_is_object(t) || !json_is_string(json_object_get(t, "Key")))
        return ami_error_invalid(error, "--%s: each tag is Key=KEY,Value=VALUE (or "
                                 "{\"Key\": …, \"Value\": …})", what);
    json_object_foreach(t, member, v) {
        if (strcmp(member, "Key") != 0 && strcmp(member, "Value") != 0)
            return ami_error_invalid(error, "--%s: a tag has Key and Value, not '%.40s'", what,
                                     member);
        if (!json_is_string(v))
            return ami_error_invalid(error, "--%s: the %s of tag '%.80s' must be one string "
                                     "(quote a value holding commas: Value=\"a,b\")", what,
                                     member, json_string_value(json_object_get(t, "Key")));
    }
    if (!values_optional && !json_object_get(t, "Value"))
        return ami_error_invalid(error, "--%s: tag '%.80s' has no Value (Key=KEY,Value=VALUE)",
                                 what, json_string_value(json_object_get(t, "Key")));
    return TRUE;
}

json_t *
cli_tags_list(json_t *tags, const char *what, gboolean values_optional, GError **error)
{
    g_autofree char *where = g_strdup_printf("--%s", what);
    size_t i;
    json_t *t;

    if (!json_is_array(tags)) {
        ami_error_invalid(error, "--%s must be a list of tags", what);
        return NULL;
    }
    json_array_foreach(tags, i, t) {
        if (!tag_shape_ok(t, what, values_optional, error))
            return NULL;
    }
    if (!values_optional && !ami_tags_validate(tags, where, error))
        return NULL;
    return json_incref(tags);
}

json_t *
cli_parse_tags(char **items, gboolean values_optional, GError **error)
{
    g_autoptr(json_t) tags = cli_struct_list(items, "tags", error);

    return tags ? cli_tags_list(tags, "tags", values_optional, error) : NULL;
}

AmiFilters *
cli_filters(AmiFilterKind kind, char **items, GError **error)
{
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);

    for (char **i = items; i && *i; i++) {
        char *text = param_text(*i, "--filters", error);

        if (!text)
            return NULL;
        g_strstrip(text);
        g_ptr_array_add(texts, text);
    }
    g_ptr_array_add(texts, NULL);
    return ami_filters_parse(kind, (const char *const *)texts->pdata, error);
}

/* A shorthand scalar (always a string) as the model's integer or boolean, in place. */
static void
coerce_member(json_t *obj, const char *key, gboolean boolean)
{
    const char *v = json_string_value(json_object_get(obj, key));
    gint64 n;

    if (!v)
        return;
    if (boolean && (strcmp(v, "true") == 0 || strcmp(v, "false") == 0))
        json_object_set_new(obj, key, json_boolean(strcmp(v, "true") == 0));
    else if (!boolean && g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, &n, NULL))
        json_object_set_new(obj, key, json_integer(n));
}

void
cli_bdm_coerce(json_t *mappings)
{
    size_t i;
    json_t *m;

    json_array_foreach(mappings, i, m) {
        json_t *ebs = json_object_get(m, "Ebs");

        coerce_member(ebs, "VolumeSize", FALSE);
        coerce_member(ebs, "Iops", FALSE);
        coerce_member(ebs, "Throughput", FALSE);
        coerce_member(ebs, "DeleteOnTermination", TRUE);
        coerce_member(ebs, "Encrypted", TRUE);
    }
}

/* The strings of a JSON array (others skipped), as a NULL-terminated vector (caller frees). */
char **
cli_json_strv(json_t *list)
{
    GPtrArray *out = g_ptr_array_new();
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        if (json_is_string(e))
            g_ptr_array_add(out, g_strdup(json_string_value(e)));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
