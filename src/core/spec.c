/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `ami-run test` specs (docs/test.md).  The text goes through libyaml's document API,
 * JSON too (JSON is YAML flow style; jansson checks it first so that its syntax errors
 * read as JSON's), and is validated node by node so that every error names the line and
 * column of the node at fault.  Anchors and aliases are refused: a spec has no use for
 * them and they are the way to make a small file expand into a huge one.
 */
#include <string.h>
#include <yaml.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/plan.h"
#include "ami-run/spec.h"

#define SPEC_MAX_BYTES (1024 * 1024)
#define SPEC_MAX_LIST 64
#define SPEC_MAX_CELLS 1024
#define SPEC_DEFAULT_TIMEOUT 600

typedef struct {
    yaml_document_t *doc;
    const char *file;
    const char *base_dir;
    GHashTable *seen; /* node indices already visited: a second visit is an alias */
    GError **error;
} Ctx;

static gboolean G_GNUC_PRINTF(3, 4)
fail(Ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ami_error_invalid(c->error, "%s:%zu:%zu: %s", c->file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
}

static yaml_node_t *
get(Ctx *c, int index)
{
    yaml_node_t *n = yaml_document_get_node(c->doc, index);

    if (n && !g_hash_table_add(c->seen, GINT_TO_POINTER(index))) {
        fail(c, n, "aliases are not supported in a spec");
        return NULL;
    }
    return n;
}

static const char *
scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static gboolean
is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A string value: any scalar (a plain `1` is a fine instance-type-like string too). */
static const char *
want_string(Ctx *c, const yaml_node_t *n, const char *what)
{
    const char *s = scalar(n);

    if (!s) {
        fail(c, n, "%s must be a string", what);
        return NULL;
    }
    if (n->data.scalar.length != strlen(s)) {
        fail(c, n, "%s contains a NUL byte", what);
        return NULL;
    }
    if (!*s) {
        fail(c, n, "%s must not be empty", what);
        return NULL;
    }
    return s;
}

static gboolean
want_int(Ctx *c, const yaml_node_t *n, const char *what, gint64 min, gint64 max, gint64 *ret)
{
    const char *s = scalar(n);
    guint64 v;

    if (!s || !is_plain(n) || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT64, &v, NULL) ||
        (gint64)v < min || (gint64)v > max)
        return fail(c, n, "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                    what, min, max);
    *ret = (gint64)v;
    return TRUE;
}

static gboolean
want_bool(Ctx *c, const yaml_node_t *n, const char *what, gboolean *ret)
{
    const char *s = scalar(n);

    if (s && is_plain(n) && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *ret = strcmp(s, "true") == 0;
        return TRUE;
    }
    return fail(c, n, "%s must be true or false", what);
}

/* A list node, or a scalar standing for a list of one (`boot-modes: uefi`). */
typedef gboolean (*ItemFunc)(Ctx *c, const yaml_node_t *n, const char *what, json_t *out);

static gboolean
want_list(Ctx *c, const yaml_node_t *n, const char *what, ItemFunc item, json_t *out)
{
    if (n->type == YAML_SCALAR_NODE || n->type == YAML_MAPPING_NODE)
        return item(c, n, what, out);
    if (n->data.sequence.items.top == n->data.sequence.items.start)
        return fail(c, n, "%s must not be an empty list", what);
    if (n->data.sequence.items.top - n->data.sequence.items.start > SPEC_MAX_LIST)
        return fail(c, n, "%s has more than %d items", what, SPEC_MAX_LIST);
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = get(c, *i);

        if (!e || !item(c, e, what, out))
            return FALSE;
    }
    return TRUE;
}

/* Iterate a mapping's pairs with their key strings, refusing duplicates and unknown keys. */
typedef gboolean (*PairFunc)(Ctx *c, const char *key, const yaml_node_t *value, void *data);

static gboolean
want_map(Ctx *c, const yaml_node_t *n, const char *what, const char *const *keys, PairFunc pair,
         void *data)
{
    g_autoptr(GHashTable) dup = g_hash_table_new(g_str_hash, g_str_equal);

    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, "%s must be a mapping", what);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = get(c, p->key), *v;
        const char *key;

        if (!k)
            return FALSE;
        if (!(key = scalar(k)))
            return fail(c, k, "keys of %s must be strings", what);
        if (!g_strv_contains(keys, key)) {
            g_autofree char *known = g_strjoinv(", ", (char **)keys);

            return fail(c, k, "unknown key '%.64s' in %s (known: %s)", key, what, known);
        }
        if (!g_hash_table_add(dup, (gpointer)key))
            return fail(c, k, "duplicate key '%.64s' in %s", key, what);
        if (!(v = get(c, p->value)) || !pair(c, key, v, data))
            return FALSE;
    }
    return TRUE;
}

static char *
resolve_path(Ctx *c, const char *path)
{
    if (g_path_is_absolute(path) || !c->base_dir)
        return g_strdup(path);
    return g_build_filename(c->base_dir, path, NULL);
}

/* --- items ------------------------------------------------------------------------- */

static gboolean
item_string(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    const char *s = want_string(c, n, what);

    return s && json_array_append_new(out, json_string(s)) == 0;
}

static gboolean
item_regex(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    const char *s = want_string(c, n, what);
    g_autoptr(GRegex) re = NULL;
    g_autoptr(GError) local = NULL;

    if (!s)
        return FALSE;
    if (!(re = g_regex_new(s, G_REGEX_RAW | G_REGEX_MULTILINE, 0, &local)))
        return fail(c, n, "%s '%.80s' is not a regular expression: %s", what, s, local->message);
    return json_array_append_new(out, json_string(s)) == 0;
}

static gboolean
item_path(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    const char *s = want_string(c, n, what);
    g_autofree char *path = NULL;

    if (!s)
        return FALSE;
    path = resolve_path(c, s);
    return json_array_append_new(out, json_string(path)) == 0;
}

static gboolean
item_instance_type(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    const char *s = want_string(c, n, what);

    if (!s)
        return FALSE;
    if (!ami_instance_type_lookup(s))
        return fail(c, n, "unknown instance type '%.64s' in %s", s, what);
    return json_array_append_new(out, json_string(s)) == 0;
}

static gboolean
item_boot_mode(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    const char *s = want_string(c, n, what);
    AmiBootMode mode;

    if (!s)
        return FALSE;
    if (strcmp(s, "image") != 0 && !ami_boot_mode_from_string(s, &mode))
        return fail(c, n, "%s '%.32s' is not one of image, legacy-bios, uefi, uefi-preferred",
                    what, s);
    return json_array_append_new(out, json_string(s)) == 0;
}

static gboolean
item_disk_bus(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    static const char *const buses[] = {"default", "nvme", "virtio", "sata", NULL};
    const char *s = want_string(c, n, what);

    if (!s)
        return FALSE;
    if (!g_strv_contains(buses, s))
        return fail(c, n, "%s '%.32s' is not one of default, nvme, virtio, sata", what, s);
    return json_array_append_new(out, json_string(s)) == 0;
}

/* user-data: {name, file} | {name, text} | {name} (no user data) | a file path. */
typedef struct {
    json_t *obj;
} PairOut;

static gboolean
pair_user_data(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    json_t *obj = data;
    const char *s = want_string(c, v, key);

    if (!s)
        return FALSE;
    if (strcmp(key, "name") == 0) {
        json_object_set_new(obj, "Name", json_string(s));
    } else if (strcmp(key, "file") == 0) {
        g_autofree char *path = resolve_path(c, s);

        json_object_set_new(obj, "File", json_string(path));
    } else {
        json_object_set_new(obj, "Text", json_string(s));
    }
    return TRUE;
}

static gboolean
item_user_data(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    static const char *const keys[] = {"name", "file", "text", NULL};
    g_autoptr(json_t) obj = json_object();

    if (n->type == YAML_SCALAR_NODE) {
        const char *s = want_string(c, n, what);
        g_autofree char *path = NULL;
        g_autofree char *base = NULL;

        if (!s)
            return FALSE;
        path = resolve_path(c, s);
        base = g_path_get_basename(s);
        json_object_set_new(obj, "Name", json_string(base));
        json_object_set_new(obj, "File", json_string(path));
    } else if (!want_map(c, n, what, keys, pair_user_data, obj)) {
        return FALSE;
    }
    if (!json_object_get(obj, "Name"))
        return fail(c, n, "each %s needs a name", what);
    if (json_object_get(obj, "File") && json_object_get(obj, "Text"))
        return fail(c, n, "a %s has a file or a text, not both", what);
    return json_array_append(out, obj) == 0;
}

/* metadata-options: {name, value: "K=V,…" | mapping} | "K=V,…" (named by itself). */
static gboolean
pair_metadata(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    json_t *obj = data;

    if (strcmp(key, "name") == 0) {
        const char *s = want_string(c, v, key);

        return s && json_object_set_new(obj, "Name", json_string(s)) == 0;
    }
    if (v->type == YAML_MAPPING_NODE) {
        g_autoptr(json_t) m = json_object();

        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = get(c, p->key), *e;
            const char *ks, *es;

            if (!k || !(e = get(c, p->value)))
                return FALSE;
            if (!(ks = want_string(c, k, "a metadata option")) ||
                !(es = want_string(c, e, "a metadata option's value")))
                return FALSE;
            if (is_plain(e) && g_ascii_isdigit(*es) && strspn(es, "0123456789") == strlen(es))
                json_object_set_new(m, ks, json_integer(g_ascii_strtoll(es, NULL, 10)));
            else
                json_object_set_new(m, ks, json_string(es));
        }
        {
            g_autofree char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);

            json_object_set_new(obj, "Value", json_string(text));
        }
        return TRUE;
    }
    {
        const char *s = want_string(c, v, key);

        return s && json_object_set_new(obj, "Value", json_string(s)) == 0;
    }
}

static gboolean
item_metadata(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    static const char *const keys[] = {"name", "value", NULL};
    g_autoptr(json_t) obj = json_object();

    if (n->type == YAML_SCALAR_NODE) {
        const char *s = want_string(c, n, what);

        if (!s)
            return FALSE;
        json_object_set_new(obj, "Name", json_string(s));
        json_object_set_new(obj, "Value", json_string(s));
    } else if (!want_map(c, n, what, keys, pair_metadata, obj)) {
        return FALSE;
    }
    if (!json_object_get(obj, "Value"))
        return fail(c, n, "each %s needs a value", what);
    if (!json_object_get(obj, "Name"))
        json_object_set(obj, "Name", json_object_get(obj, "Value"));
    return json_array_append(out, obj) == 0;
}

/* images: "ami-…" | "name" | {id} | {name} | {filters: [{Name, Values}]} */
static gboolean
pair_filter(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    json_t *obj = data;

    if (strcmp(key, "Name") == 0) {
        const char *s = want_string(c, v, "a filter's Name");

        return s && json_object_set_new(obj, "Name", json_string(s)) == 0;
    }
    json_object_set_new(obj, "Values", json_array());
    return want_list(c, v, "a filter's Values", item_string, json_object_get(obj, "Values"));
}

static gboolean
item_filter(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    static const char *const keys[] = {"Name", "Values", NULL};
    g_autoptr(json_t) obj = json_object();

    if (!want_map(c, n, what, keys, pair_filter, obj))
        return FALSE;
    if (!json_object_get(obj, "Name") || !json_object_get(obj, "Values"))
        return fail(c, n, "a filter needs Name and Values");
    return json_array_append(out, obj) == 0;
}

static gboolean
pair_image(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    json_t *obj = data;

    if (json_object_size(obj) > 0)
        return fail(c, v, "an image is given by one of id, name or filters");
    if (strcmp(key, "filters") == 0) {
        json_object_set_new(obj, "Filters", json_array());
        return want_list(c, v, "filters", item_filter, json_object_get(obj, "Filters"));
    }
    {
        const char *s = want_string(c, v, key);

        return s && json_object_set_new(obj, strcmp(key, "id") == 0 ? "Id" : "Name",
                                        json_string(s)) == 0;
    }
}

static gboolean
item_image(Ctx *c, const yaml_node_t *n, const char *what, json_t *out)
{
    static const char *const keys[] = {"id", "name", "filters", NULL};
    g_autoptr(json_t) obj = json_object();

    if (n->type == YAML_SCALAR_NODE) {
        const char *s = want_string(c, n, what);

        if (!s)
            return FALSE;
        json_object_set_new(obj, g_str_has_prefix(s, "ami-") ? "Id" : "Name", json_string(s));
    } else if (!want_map(c, n, what, keys, pair_image, obj)) {
        return FALSE;
    } else if (json_object_size(obj) == 0) {
        return fail(c, n, "an image is given by one of id, name or filters");
    }
    return json_array_append(out, obj) == 0;
}

/* --- the matrix and the top level --------------------------------------------------- */

static gboolean
pair_matrix(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    static const struct {
        const char *key, *member;
        ItemFunc item;
    } dims[] = {
        {"instance-types", "InstanceTypes", item_instance_type},
        {"boot-modes", "BootModes", item_boot_mode},
        {"disk-buses", "DiskBuses", item_disk_bus},
        {"user-data", "UserData", item_user_data},
        {"metadata-options", "MetadataOptions", item_metadata},
    };
    json_t *matrix = data;

    for (gsize i = 0; i < G_N_ELEMENTS(dims); i++) {
        json_t *list;

        if (strcmp(dims[i].key, key) != 0)
            continue;
        list = json_array();
        json_object_set_new(matrix, dims[i].member, list);
        return want_list(c, v, key, dims[i].item, list);
    }
    g_assert_not_reached();
}

static gboolean
valid_phases(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);

    for (char **p = parts; *p; p++) {
        if (!**p)
            return FALSE;
        for (const char *q = *p; *q; q++)
            if (!g_ascii_isalnum(*q) && *q != '-' && *q != '_')
                return FALSE;
    }
    return TRUE;
}

static gboolean
pair_top(Ctx *c, const char *key, const yaml_node_t *v, void *data)
{
    static const char *const matrix_keys[] = {"instance-types", "boot-modes", "disk-buses",
                                              "user-data", "metadata-options", NULL};
    json_t *spec = data;
    gint64 n = 0;
    gboolean b = FALSE;

    if (strcmp(key, "name") == 0) {
        const char *s = want_string(c, v, key);

        return s && json_object_set_new(spec, "Name", json_string(s)) == 0;
    }
    if (strcmp(key, "images") == 0)
        return want_list(c, v, key, item_image, json_object_get(spec, "Images"));
    if (strcmp(key, "matrix") == 0)
        return want_map(c, v, key, matrix_keys, pair_matrix, json_object_get(spec, "Matrix"));
    if (strcmp(key, "until") == 0) {
        static const char *const untils[] = {"login", "cloud-init", "shutdown", NULL};
        const char *s = want_string(c, v, key);

        if (!s)
            return FALSE;
        if (!g_strv_contains(untils, s))
            return fail(c, v, "until '%.32s' is not one of login, cloud-init, shutdown", s);
        return json_object_set_new(spec, "Until", json_string(s)) == 0;
    }
    if (strcmp(key, "success") == 0)
        return want_list(c, v, "a success marker", item_regex, json_object_get(spec, "Success"));
    if (strcmp(key, "must-appear") == 0)
        return want_list(c, v, "a must-appear marker", item_regex,
                         json_object_get(spec, "MustAppear"));
    if (strcmp(key, "must-not-appear") == 0)
        return want_list(c, v, "a must-not-appear marker", item_regex,
                         json_object_get(spec, "MustNotAppear"));
    if (strcmp(key, "timeout") == 0)
        return want_int(c, v, key, 1, 86400, &n) &&
               json_object_set_new(spec, "Timeout", json_integer(n)) == 0;
    if (strcmp(key, "retries") == 0)
        return want_int(c, v, key, 0, 10, &n) &&
               json_object_set_new(spec, "Retries", json_integer(n)) == 0;
    if (strcmp(key, "strict") == 0)
        return want_bool(c, v, key, &b) && json_object_set_new(spec, "Strict", json_boolean(b)) == 0;
    if (strcmp(key, "components") == 0)
        return want_list(c, v, "a component", item_path, json_object_get(spec, "Components"));
    /* phases */
    {
        const char *s = want_string(c, v, key);

        if (!s)
            return FALSE;
        if (!valid_phases(s))
            return fail(c, v, "phases '%.64s' is not a comma-separated list of phase names", s);
        return json_object_set_new(spec, "Phases", json_string(s)) == 0;
    }
}

static json_t *
spec_skeleton(void)
{
    return json_pack("{s:s, s:[], s:{}, s:[], s:[], s:[], s:i, s:i, s:b, s:[]}", "Name",
                     "ami-run test", "Images", "Matrix", "Success", "MustAppear", "MustNotAppear",
                     "Timeout", SPEC_DEFAULT_TIMEOUT, "Retries", 0, "Strict", TRUE, "Components");
}

/* JSON is checked by jansson first (its messages for JSON), then read as YAML for the
 * positions; a tab is whitespace to JSON but not everywhere to YAML, and valid JSON has
 * tabs only outside strings, so they become spaces (columns count bytes either way). */
static gboolean
check_json(const char *text, gsize len, const char *filename, char **ret_text, GError **error)
{
    json_error_t jerr;
    g_autoptr(json_t) v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!v)
        return ami_error_invalid(error, "%s:%d:%d: JSON: %s", filename, jerr.line,
                                 jerr.column > 0 ? jerr.column : 1, jerr.text);
    *ret_text = g_strndup(text, len);
    g_strdelimit(*ret_text, "\t", ' ');
    return TRUE;
}

static gboolean
load_yaml(const char *text, gsize len, const char *filename, yaml_document_t *doc,
          GError **error)
{
    yaml_parser_t parser;
    gboolean ok;

    if (!yaml_parser_initialize(&parser))
        return ami_error_invalid(error, "%s: out of memory", filename);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    ok = yaml_parser_load(&parser, doc);
    if (!ok)
        ami_error_invalid(error, "%s:%zu:%zu: YAML: %s%s%s", filename,
                          parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                          parser.problem ? parser.problem : "syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    return ok;
}

json_t *
ami_spec_parse(const char *text, gsize len, const char *filename, const char *base_dir,
               GError **error)
{
    static const char *const keys[] = {"name", "images", "matrix", "until", "success",
                                       "must-appear", "must-not-appear", "timeout", "retries",
                                       "strict", "components", "phases", NULL};
    g_autofree char *json_text = NULL;
    g_autoptr(json_t) spec = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    yaml_document_t doc;
    yaml_node_t *root;
    Ctx c = {&doc, filename, base_dir, seen, error};
    gsize skip = 0;
    gboolean ok;

    if (len > SPEC_MAX_BYTES)
        return ami_error_invalid(error, "%s: larger than %d bytes", filename, SPEC_MAX_BYTES),
               NULL;
    while (skip < len && g_ascii_isspace(text[skip]))
        skip++;
    if (skip < len && (text[skip] == '{' || text[skip] == '[')) {
        if (!check_json(text, len, filename, &json_text, error))
            return NULL;
        text = json_text;
    }
    if (!load_yaml(text, len, filename, &doc, error))
        return NULL;
    spec = spec_skeleton();
    if (!(root = get(&c, 1))) {
        ok = ami_error_invalid(error, "%s:1:1: the spec is empty", filename);
    } else {
        ok = want_map(&c, root, "the spec", keys, pair_top, spec);
        if (ok && json_array_size(json_object_get(spec, "Images")) == 0)
            ok = fail(&c, root, "the spec names no images (images: [ami-…])");
    }
    yaml_document_delete(&doc);
    return ok ? g_steal_pointer(&spec) : NULL;
}

json_t *
ami_spec_from_image(const char *image_id, const char *const *components)
{
    json_t *spec = spec_skeleton();

    json_array_append_new(json_object_get(spec, "Images"), json_pack("{s:s}", "Id", image_id));
    for (const char *const *p = components; p && *p; p++)
        json_array_append_new(json_object_get(spec, "Components"), json_string(*p));
    return spec;
}

/* --- the matrix expanded ------------------------------------------------------------ */

/* A dimension's values, or one JSON null standing for "not set". */
static json_t *
dimension(const json_t *spec, const char *member)
{
    json_t *list = json_object_get(json_object_get(spec, "Matrix"), member);

    return json_array_size(list) ? json_incref(list) : json_pack("[n]");
}

static gboolean
type_fits(const char *type, const char *arch)
{
    const AmiInstanceType *t = ami_instance_type_lookup(type);

    return !t || !arch || strcmp(ami_arch_to_string(t->arch), arch) == 0;
}

static json_t *
make_cell(guint index, const json_t *image, json_t *type, json_t *mode, json_t *bus, json_t *ud,
          json_t *md)
{
    const char *label = json_string_value(json_object_get(image, "Name"));
    g_autoptr(GString) name = g_string_new(NULL);
    json_t *cell;

    if (!label)
        label = json_string_value(json_object_get(image, "ImageId"));
    g_string_printf(name, "c%u %s", index, label);
    if (json_is_string(type))
        g_string_append_printf(name, " %s", json_string_value(type));
    if (json_is_string(mode))
        g_string_append_printf(name, " %s", json_string_value(mode));
    if (json_is_string(bus))
        g_string_append_printf(name, " %s", json_string_value(bus));
    if (json_is_object(ud))
        g_string_append_printf(name, " user-data=%s",
                               json_string_value(json_object_get(ud, "Name")));
    if (json_is_object(md))
        g_string_append_printf(name, " metadata=%s",
                               json_string_value(json_object_get(md, "Name")));
    cell = json_pack("{s:s, s:O, s:O, s:O}", "Name", name->str,
                     "ImageId", json_object_get(image, "ImageId"), "ImageName",
                     json_object_get(image, "Name") ? json_object_get(image, "Name") : json_null(),
                     "Architecture",
                     json_object_get(image, "Architecture") ? json_object_get(image, "Architecture")
                                                            : json_null());
    json_object_set_new(cell, "Id", json_sprintf("c%u", index));
    if (json_is_string(type))
        json_object_set(cell, "InstanceType", type);
    if (json_is_string(mode))
        json_object_set(cell, "BootMode", mode);
    if (json_is_string(bus))
        json_object_set(cell, "DiskBus", bus);
    if (json_is_object(ud))
        json_object_set(cell, "UserData", ud);
    if (json_is_object(md))
        json_object_set(cell, "MetadataOptions", md);
    return cell;
}

json_t *
ami_spec_expand(const json_t *spec, const json_t *images, GError **error)
{
    g_autoptr(json_t) types = dimension(spec, "InstanceTypes");
    g_autoptr(json_t) modes = dimension(spec, "BootModes");
    g_autoptr(json_t) buses = dimension(spec, "DiskBuses");
    g_autoptr(json_t) uds = dimension(spec, "UserData");
    g_autoptr(json_t) mds = dimension(spec, "MetadataOptions");
    g_autoptr(json_t) cells = json_array();
    size_t i, t, m, b, u, d;
    json_t *image, *type, *mode, *bus, *ud, *md;

    json_array_foreach (images, i, image) {
        const char *arch = json_string_value(json_object_get(image, "Architecture"));
        size_t before = json_array_size(cells);

        json_array_foreach (types, t, type) {
            if (json_is_string(type) && !type_fits(json_string_value(type), arch))
                continue;
            json_array_foreach (modes, m, mode)
                json_array_foreach (buses, b, bus)
                    json_array_foreach (uds, u, ud)
                        json_array_foreach (mds, d, md) {
                            if (json_array_size(cells) >= SPEC_MAX_CELLS)
                                return ami_error_invalid(error, "the matrix has more than %d cells",
                                                         SPEC_MAX_CELLS),
                                       NULL;
                            json_array_append_new(cells,
                                                  make_cell((guint)json_array_size(cells) + 1,
                                                            image, type, mode, bus, ud, md));
                        }
        }
        if (json_array_size(cells) == before)
            return ami_error_invalid(error,
                                     "image '%s' (%s): no instance type of the matrix fits its "
                                     "architecture",
                                     json_string_value(json_object_get(image, "ImageId")),
                                     arch ? arch : "?"),
                   NULL;
    }
    return g_steal_pointer(&cells);
}

static void
add(GPtrArray *argv, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
add(GPtrArray *argv, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(argv, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void
add_each(GPtrArray *argv, const char *option, const json_t *list)
{
    size_t i;
    json_t *v;

    json_array_foreach (list, i, v)
        add(argv, "--%s=%s", option, json_string_value(v));
}

char **
ami_spec_cell_argv(const json_t *spec, const json_t *cell, const char *const *extra)
{
    GPtrArray *argv = g_ptr_array_new();
    const json_t *ud = json_object_get(cell, "UserData");
    const char *s;

    /* Every argument is --name=value: run's lists take following words up to the next
     * "--", so nothing here may be a bare word. */
    g_ptr_array_add(argv, g_strdup("run"));
    add(argv, "--image-id=%s", json_string_value(json_object_get(cell, "ImageId")));
    add(argv, "--console=quiet");
    add(argv, "--timeout=%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(spec, "Timeout")));
    add(argv, json_is_true(json_object_get(spec, "Strict")) ? "--strict" : "--no-strict");
    if ((s = json_string_value(json_object_get(cell, "InstanceType"))))
        add(argv, "--instance-type=%s", s);
    if ((s = json_string_value(json_object_get(cell, "BootMode"))) && strcmp(s, "image") != 0)
        add(argv, "--boot-mode=%s", s);
    if ((s = json_string_value(json_object_get(cell, "DiskBus"))) && strcmp(s, "default") != 0)
        add(argv, "--disk-bus=%s", s);
    if ((s = json_string_value(json_object_get(ud, "File"))))
        add(argv, "--user-data=%s", s);
    if ((s = json_string_value(json_object_get(ud, "Text")))) {
        g_autofree char *b64 = g_base64_encode((const guchar *)s, strlen(s));

        add(argv, "--user-data-base64=%s", b64);
    }
    if ((s = json_string_value(json_object_get(json_object_get(cell, "MetadataOptions"), "Value"))))
        add(argv, "--metadata-options=%s", s);
    if ((s = json_string_value(json_object_get(spec, "Until"))))
        add(argv, "--until=%s", s);
    add_each(argv, "success", json_object_get(spec, "Success"));
    add_each(argv, "component", json_object_get(spec, "Components"));
    if ((s = json_string_value(json_object_get(spec, "Phases"))))
        add(argv, "--phases=%s", s);
    for (const char *const *e = extra; e && *e; e++)
        g_ptr_array_add(argv, g_strdup(*e));
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

/* --- the checks of a finished attempt ---------------------------------------------- */

guint
ami_spec_line_of(const char *text, gsize offset)
{
    guint line = 1;

    for (gsize i = 0; text && i < offset && text[i]; i++)
        if (text[i] == '\n' && text[i + 1])
            line++;
    return line;
}

static json_t *
check(const char *name, const char *kind, gboolean passed)
{
    return json_pack("{s:s, s:s, s:s}", "Name", name, "Kind", kind, "Status",
                     passed ? "passed" : "failed");
}

/* Message text from the console: valid UTF-8, at most 300 bytes. */
static json_t *
text_value(const char *s, gsize len)
{
    g_autofree char *valid = g_utf8_make_valid(s, (gssize)MIN(len, 300));

    return json_string(valid);
}

static void
set_at(json_t *c, const char *console, gsize offset)
{
    json_object_set_new(c, "Offset", json_integer((json_int_t)offset));
    json_object_set_new(c, "Line", json_integer(ami_spec_line_of(console, offset)));
}

static json_t *
boot_check(int exit_code, const json_t *record, const char *console, const char *run_error)
{
    const json_t *verdict = json_object_get(json_object_get(record, "AmiRun"), "Verdict");
    const json_t *first = json_array_get(json_object_get(verdict, "Matches"), 0);
    const char *outcome = json_string_value(json_object_get(verdict, "Outcome"));
    const char *class_id = json_string_value(json_object_get(verdict, "Class"));
    const char *line = json_string_value(json_object_get(verdict, "Line"));
    json_t *c = check("boot", "boot", exit_code == 0);

    if (outcome)
        json_object_set_new(c, "Outcome", json_string(outcome));
    if (exit_code == 0)
        return c;
    if (!verdict) {
        json_object_set_new(c, "Type", json_string(exit_code == 130 ? "cancelled" : "run-error"));
        json_object_set_new(c, "Message",
                            json_string(run_error ? run_error : "the run made no verdict"));
        return c;
    }
    json_object_set_new(c, "Type", json_string(class_id ? class_id : outcome ? outcome : "failure"));
    if (line)
        json_object_set_new(c, "Message", json_string(line));
    else if (run_error)
        json_object_set_new(c, "Message", json_string(run_error));
    if (json_is_integer(json_object_get(first, "Offset")))
        set_at(c, console, (gsize)json_integer_value(json_object_get(first, "Offset")));
    return c;
}

static json_t *
marker_check(const char *regex, gboolean must, const char *console, gsize console_len)
{
    g_autoptr(GRegex) re = g_regex_new(regex, G_REGEX_RAW | G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) info = NULL;
    g_autofree char *name = g_strdup_printf("%s '%s'", must ? "must-appear" : "must-not-appear",
                                            regex);
    gboolean found;
    json_t *c;
    int start = 0;

    found = re && console && g_regex_match_full(re, console, (gssize)console_len, 0, 0, &info, NULL);
    c = check(name, must ? "must-appear" : "must-not-appear", found == must);
    if (found) {
        gsize bol;

        g_match_info_fetch_pos(info, 0, &start, NULL);
        for (bol = (gsize)start; bol > 0 && console[bol - 1] != '\n'; bol--)
            ;
        set_at(c, console, bol);
        {
            const char *eol = memchr(console + bol, '\n', console_len - bol);
            gsize n = (eol ? (gsize)(eol - console) : console_len) - bol;

            json_object_set_new(c, "Match", text_value(console + bol, n));
        }
    }
    if (found && !must) {
        json_object_set_new(c, "Type", json_string("marker-present"));
        json_object_set(c, "Message", json_object_get(c, "Match"));
    } else if (!found && must) {
        json_object_set_new(c, "Type", json_string("marker-missing"));
        json_object_set_new(c, "Message", json_string("not in the console"));
    }
    return c;
}

static void
component_checks(json_t *checks, const json_t *components)
{
    size_t i, p, s;
    json_t *doc, *phase, *step;

    json_array_foreach (components, i, doc) {
        const char *dname = json_string_value(json_object_get(doc, "Name"));

        json_array_foreach (json_object_get(doc, "Phases"), p, phase) {
            const char *pname = json_string_value(json_object_get(phase, "Name"));

            json_array_foreach (json_object_get(phase, "Steps"), s, step) {
                const char *status = json_string_value(json_object_get(step, "Status"));
                const char *msg = json_string_value(json_object_get(step, "FailureMessage"));
                g_autofree char *name = g_strdup_printf(
                    "component %s/%s/%s", dname ? dname : "?", pname ? pname : "?",
                    json_string_value(json_object_get(step, "Name")) ?: "?");
                gboolean failed = g_strcmp0(status, "Failed") == 0;
                json_t *c = check(name, "component", !failed);

                if (g_strcmp0(status, "Skipped") == 0)
                    json_object_set_new(c, "Status", json_string("skipped"));
                if (status)
                    json_object_set_new(c, "StepStatus", json_string(status));
                if (failed)
                    json_object_set_new(c, "Type", json_string("component-failed"));
                if (msg)
                    json_object_set_new(c, "Message", json_string(msg));
                if (json_is_number(json_object_get(step, "Seconds")))
                    json_object_set(c, "Seconds", json_object_get(step, "Seconds"));
                json_array_append_new(checks, c);
            }
        }
    }
}

json_t *
ami_spec_checks(const json_t *spec, int exit_code, const json_t *record, const char *console,
                gsize console_len, const char *run_error)
{
    const json_t *components = json_object_get(json_object_get(record, "AmiRun"), "Components");
    json_t *checks = json_array();
    size_t i;
    json_t *v;

    json_array_append_new(checks, boot_check(exit_code, record, console, run_error));
    /* Markers are only worth checking on a console the run finished. */
    json_array_foreach (json_object_get(spec, "MustAppear"), i, v)
        json_array_append_new(checks, marker_check(json_string_value(v), TRUE, console, console_len));
    json_array_foreach (json_object_get(spec, "MustNotAppear"), i, v)
        json_array_append_new(checks,
                              marker_check(json_string_value(v), FALSE, console, console_len));
    component_checks(checks, components);
    if (json_array_size(json_object_get(spec, "Components")) && !json_array_size(components) &&
        record) {
        json_t *c = check("components", "component", FALSE);

        json_object_set_new(c, "Type", json_string("component-missing"));
        json_object_set_new(c, "Message", json_string("the run recorded no component results"));
        json_array_append_new(checks, c);
    }
    return checks;
}

gboolean
ami_spec_checks_passed(const json_t *checks)
{
    size_t i;
    json_t *c;

    json_array_foreach (checks, i, c)
        if (g_strcmp0(json_string_value(json_object_get(c, "Status")), "failed") == 0)
            return FALSE;
    return TRUE;
}
