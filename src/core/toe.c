/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AWSTOE component documents: YAML (libyaml's document API, so every node has its line
 * and column) → validated steps → the step program of the guest-side runner.  The rules
 * are AWSTOE's (shared docs golden-testing.md §1, from the Image Builder user guide:
 * toe-use-documents, toe-action-modules, image-builder-looping-constructs,
 * toe-conditional-constructs, toe-comparison-operators); where ami-run is stricter or
 * runs less, docs/components.md says so.
 *
 * Program records, one a line: "0 x ID", "0 n STEPS", then per step N "N KEY VALUE";
 * free-form values are base64, so the runner never has to unquote anything.  References
 * the runner resolves are rewritten to tokens: {{@li}} / {{@lv}} (the loop's index and
 * value) and {{@oN.KEY}} (output KEY of step N); parameters, constants and input
 * chaining are resolved here.
 */
#include <string.h>
#include <yaml.h>

#include "ami-run/error.h"
#include "ami-run/toe.h"
#include "toe-priv.h"

/* Against alias bombs: a document is small; this many nodes visited is not. */
#define MAX_VISITS 200000

typedef struct {
    const char *file;
    yaml_document_t *doc;
    GHashTable *vars;      /* parameter/constant name → value */
    GHashTable *steps;     /* "phase.step" → ToeStep* (this document, earlier steps) */
    AmiToeRun *run;
    ToeStep *step;         /* the step being compiled */
    const char *loop_name; /* its loop's name, or NULL; "" = unnamed loop */
    gboolean selected;     /* its phase is run */
    guint visits;
} Ctx;

static const char *const default_phases[] = {"validate", "test", NULL};

/* --- actions ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *kind;     /* "bash", "binary", "assert", "items" */
    const char *required; /* item fields, space-separated */
    const char *allowed;
    const char *output;   /* the output key, or NULL */
} ActionDef;

static const ActionDef actions[] = {
    {"ExecuteBash", "bash", "", "", "stdout"},
    {"ExecuteBinary", "binary", "", "", "stdout"},
    {"Assert", "assert", "", "", NULL},
    {"CreateFile", "items", "path", "path content encoding owner group permissions overwrite", NULL},
    {"AppendFile", "items", "path", "path content encoding", NULL},
    {"DeleteFile", "items", "path", "path", NULL},
    {"CopyFile", "items", "source destination", "source destination overwrite", NULL},
    {"MoveFile", "items", "source destination", "source destination overwrite", NULL},
    {"CreateFolder", "items", "path", "path owner group permissions overwrite", NULL},
    {"ReadFile", "items", "path", "path encoding printFileContent", "content"},
    {"SetFilePermissions", "items", "path permissions", "path permissions", NULL},
    {"ListFiles", "items", "path", "path fileNamePattern recursive", "files"},
    {"WebDownload", "items", "source destination",
     "source destination overwrite checksum algorithm ignoreCertificateErrors", "destination"},
    {"S3Download", "items", "source destination", "source destination expectedBucketOwner overwrite", NULL},
    {"S3Upload", "items", "source destination", "source destination recurse expectedBucketOwner", NULL},
};

/* AWSTOE's other modules: known, validated as names, not run by ami-run. */
static const char *const unsupported_actions[] = {
    "ExecutePowerShell", "ExecuteDocument", "CopyFolder", "MoveFolder", "DeleteFolder",
    "CreateSymlink", "SetFileEncoding", "SetFileOwner", "SetFolderOwner",
    "SetFolderPermissions", "InstallMSI", "UninstallMSI", "Reboot", "SetRegistry", "UpdateOS",
    NULL};

static const ActionDef *
action_find(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(actions); i++) {
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    }
    return NULL;
}

/* Comparison operators: those that take a `value` and those that do not. */
static const char *const binary_ops[] = {
    "stringEquals", "stringLessThan", "stringLessThanEquals", "stringGreaterThan",
    "stringGreaterThanEquals", "patternMatches", "numberEquals", "numberLessThan",
    "numberLessThanEquals", "numberGreaterThan", "numberGreaterThanEquals", NULL};
static const char *const unary_ops[] = {"stringIsEmpty", "stringIsWhitespace", "binaryExists",
                                        "fileExists", "folderExists", NULL};

static gboolean
in_list(const char *const *list, const char *s)
{
    for (; *list; list++) {
        if (strcmp(*list, s) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
in_words(const char *words, const char *s)
{
    g_auto(GStrv) w = g_strsplit(words, " ", -1);

    return in_list((const char *const *)w, s);
}

/* --- nodes -------------------------------------------------------------------------- */

static gboolean
fail_at(Ctx *c, const yaml_node_t *n, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
fail_at(Ctx *c, const yaml_node_t *n, GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return ami_error_invalid(error, "%s:%zu:%zu: %s", c->file, n ? n->start_mark.line + 1 : 1,
                             n ? n->start_mark.column + 1 : 1, msg);
}

static yaml_node_t *
node(Ctx *c, int id)
{
    c->visits++;
    return yaml_document_get_node(c->doc, id);
}

static const char *
scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static gboolean
is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);

    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

/* The value of @key in mapping @m, or NULL. */
static yaml_node_t *
get(Ctx *c, const yaml_node_t *m, const char *key)
{
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));

        if (k && strcmp(k, key) == 0)
            return node(c, p->value);
    }
    return NULL;
}

static gboolean
want(Ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *what, GError **error)
{
    static const char *const names[] = {"nothing", "a string", "a list", "a mapping"};

    if (n && n->type == type)
        return TRUE;
    return fail_at(c, n, error, "%s must be %s", what, names[type]);
}

/* Every key of mapping @m is in @allowed (space-separated) and a string. */
static gboolean
keys_allowed(Ctx *c, const yaml_node_t *m, const char *allowed, const char *what, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(c, p->key);
        const char *k = scalar(kn);

        if (!k)
            return fail_at(c, kn, error, "%s: keys must be strings", what);
        if (!in_words(allowed, k))
            return fail_at(c, kn, error, "%s: unknown key '%s' (known: %s)", what, k, allowed);
        if (!g_hash_table_add(seen, (gpointer)k))
            return fail_at(c, kn, error, "%s: key '%s' given twice", what, k);
    }
    return TRUE;
}

static gboolean
parse_int(Ctx *c, const yaml_node_t *n, const char *what, gint64 min, gint64 max, gint64 *ret,
          GError **error)
{
    const char *s = scalar(n);

    if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        !g_ascii_string_to_signed(s, 10, min, max, ret, NULL))
        return fail_at(c, n, error, "%s must be a whole number from %" G_GINT64_FORMAT " to %"
                       G_GINT64_FORMAT, what, min, max);
    return TRUE;
}

/* --- references --------------------------------------------------------------------- */

static gboolean
var_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 3 || n > 128)
        return FALSE;
    for (; *s; s++) {
        if (!g_ascii_isalnum(*s) && *s != '_' && *s != '-')
            return FALSE;
    }
    return TRUE;
}

/* "inputs.key" or "inputs[i].key" of an earlier step: its resolved value. */
static gboolean
input_ref(Ctx *c, const yaml_node_t *at, const ToeStep *s, const char *rest, GString *out,
          GError **error)
{
    g_autofree char *key = NULL;
    const char *v;
    guint64 idx = 0;

    if (g_str_has_prefix(rest, "inputs.")) {
        key = g_strdup(rest + 7);
    } else if (g_str_has_prefix(rest, "inputs[")) {
        const char *close = strchr(rest, ']');
        g_autofree char *num = close ? g_strndup(rest + 7, (gsize)(close - rest - 7)) : NULL;

        if (!num || !g_ascii_string_to_unsigned(num, 10, 0, 9999, &idx, NULL) || close[1] != '.')
            return fail_at(c, at, error, "'%s': inputs[INDEX].NAME expected", rest);
        key = g_strdup_printf("%" G_GUINT64_FORMAT ".%s", idx, close + 2);
    } else {
        return FALSE;
    }
    v = g_hash_table_lookup(s->inputs, key);
    if (!v && g_str_has_prefix(rest, "inputs.")) {
        g_autofree char *first = g_strdup_printf("0.%s", key);

        v = g_hash_table_lookup(s->inputs, first);
    }
    if (!v && idx == 0 && g_str_has_prefix(key, "0."))
        v = g_hash_table_lookup(s->inputs, key + 2);
    if (!v)
        return fail_at(c, at, error, "step '%s' has no input '%s'", s->name, rest);
    if (strstr(v, "{{@l"))
        return fail_at(c, at, error, "input '%s' of step '%s' depends on its loop; ami-run cannot "
                       "chain it", rest, s->name);
    g_string_append(out, v);
    return TRUE;
}

/* One {{ REF }}: appended to @out resolved, or as a runner token. */
static gboolean
resolve_ref(Ctx *c, const yaml_node_t *at, const char *ref, GString *out, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(ref, ".", 3);
    guint n = g_strv_length(parts);
    const char *v;

    if (n == 1 && (v = g_hash_table_lookup(c->vars, ref))) {
        g_string_append(out, v);
        return TRUE;
    }
    if (n == 1)
        return fail_at(c, at, error, "'{{ %s }}': no parameter or constant of that name", ref);
    if (n == 2 && (strcmp(parts[0], "loop") == 0 ||
                   (c->loop_name && *c->loop_name && strcmp(parts[0], c->loop_name) == 0))) {
        if (!c->loop_name)
            return fail_at(c, at, error, "'{{ %s }}' outside a loop", ref);
        if (strcmp(parts[1], "index") == 0)
            g_string_append(out, "{{@li}}");
        else if (strcmp(parts[1], "value") == 0)
            g_string_append(out, "{{@lv}}");
        else
            return fail_at(c, at, error, "'{{ %s }}': a loop has index and value", ref);
        return TRUE;
    }
    if (n == 3) {
        g_autofree char *id = g_strdup_printf("%s.%s", parts[0], parts[1]);
        const ToeStep *s = g_hash_table_lookup(c->steps, id);
        const ActionDef *a;

        if (!s)
            return fail_at(c, at, error, "'{{ %s }}': no step '%s' before this one", ref, id);
        if (input_ref(c, at, s, parts[2], out, error))
            return TRUE;
        if (error && *error)
            return FALSE;
        if (!g_str_has_prefix(parts[2], "outputs."))
            return fail_at(c, at, error, "'{{ %s }}': inputs or outputs of a step expected", ref);
        a = action_find(s->action);
        if (!a->output || strcmp(parts[2] + 8, a->output) != 0)
            return fail_at(c, at, error, "'{{ %s }}': %s has %s%s", ref, s->action,
                           a->output ? "only the output " : "no outputs", a->output ? a->output : "");
        if (!s->n && c->selected)
            return fail_at(c, at, error, "'{{ %s }}': phase '%s' is not run (--phases)", ref,
                           parts[0]);
        g_string_append_printf(out, "{{@o%u.%s}}", s->n, a->output);
        return TRUE;
    }
    return fail_at(c, at, error, "'{{ %s }}': unknown reference", ref);
}

/* A scalar with its {{ }} references resolved (new string), or NULL. */
static char *
resolve_text(Ctx *c, const yaml_node_t *n, GError **error)
{
    const char *s = scalar(n);
    g_autoptr(GString) out = g_string_new(NULL);

    if (!s) {
        fail_at(c, n, error, "a string expected");
        return NULL;
    }
    if (n->data.scalar.length != strlen(s)) {
        fail_at(c, n, error, "a NUL byte in a string");
        return NULL;
    }
    while (*s) {
        const char *open = strstr(s, "{{"), *close;
        g_autofree char *ref = NULL;

        if (!open || !(close = strstr(open + 2, "}}"))) {
            g_string_append(out, s);
            break;
        }
        g_string_append_len(out, s, open - s);
        ref = g_strstrip(g_strndup(open + 2, (gsize)(close - open - 2)));
        if (!resolve_ref(c, n, ref, out, error))
            return NULL;
        s = close + 2;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* --- program records ---------------------------------------------------------------- */

static void
emit(Ctx *c, const char *key, const char *value)
{
    g_autofree char *b64 = g_base64_encode((const guchar *)value, strlen(value));

    if (c->selected)
        g_string_append_printf(c->run->program, "%u %s %s\n", c->step->n, key, *b64 ? b64 : "-");
}

static void
emit_raw(Ctx *c, const char *key, const char *value)
{
    if (c->selected)
        g_string_append_printf(c->run->program, "%u %s %s\n", c->step->n, key, value);
}

/* --- expressions (if, Assert) ------------------------------------------------------- */

static gboolean compile_expr(Ctx *c, const yaml_node_t *m, guint depth, const char *extra,
                             guint *ret_id, GError **error);

static gboolean
compile_logical(Ctx *c, const char *op, const yaml_node_t *arg, guint depth, guint *ret_id,
                GError **error)
{
    g_autoptr(GString) line = g_string_new(op);
    guint id = 0;

    if (depth >= 4)
        return fail_at(c, arg, error, "'%s': logical operators nest at most 4 levels", op);
    if (strcmp(op, "not") == 0) {
        if (!want(c, arg, YAML_MAPPING_NODE, "not", error) ||
            !compile_expr(c, arg, depth + 1, "", &id, error))
            return FALSE;
        g_string_append_printf(line, " %u", id);
    } else {
        if (!want(c, arg, YAML_SEQUENCE_NODE, op, error))
            return FALSE;
        if (arg->data.sequence.items.top == arg->data.sequence.items.start)
            return fail_at(c, arg, error, "'%s' needs at least one expression", op);
        for (yaml_node_item_t *i = arg->data.sequence.items.start; i < arg->data.sequence.items.top; i++) {
            yaml_node_t *e = node(c, *i);

            if (!want(c, e, YAML_MAPPING_NODE, op, error) ||
                !compile_expr(c, e, depth + 1, "", &id, error))
                return FALSE;
            g_string_append_printf(line, " %u", id);
        }
    }
    *ret_id = ++c->run->expr_ids;
    if (c->selected)
        g_string_append_printf(c->run->program, "e%u %s\n", *ret_id, line->str);
    return TRUE;
}

/*
 * One expression: a mapping with exactly one operator key, plus `value` for comparisons
 * of two values, plus @extra keys (if: then, else) that the caller reads.
 */
static gboolean
compile_expr(Ctx *c, const yaml_node_t *m, guint depth, const char *extra, guint *ret_id,
             GError **error)
{
    const char *op = NULL;
    yaml_node_t *arg = NULL, *value = NULL, *opnode = NULL;
    g_autofree char *a = NULL, *b = NULL, *a64 = NULL, *b64 = NULL;

    if (c->visits > MAX_VISITS)
        return fail_at(c, m, error, "the document is too large (aliases?)");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(c, p->key);
        const char *k = scalar(kn);

        if (!k)
            return fail_at(c, kn, error, "expression keys must be strings");
        if (strcmp(k, "value") == 0) {
            value = node(c, p->value);
        } else if (in_words(extra, k)) {
            continue;
        } else if (op) {
            return fail_at(c, kn, error, "one operator per expression ('%s' and '%s')", op, k);
        } else {
            op = k, opnode = kn, arg = node(c, p->value);
        }
    }
    if (!op)
        return fail_at(c, m, error, "an expression needs an operator");
    if (strcmp(op, "and") == 0 || strcmp(op, "or") == 0 || strcmp(op, "not") == 0) {
        if (value)
            return fail_at(c, value, error, "'%s' takes no value", op);
        return compile_logical(c, op, arg, depth, ret_id, error);
    }
    if (!in_list(binary_ops, op) && !in_list(unary_ops, op))
        return fail_at(c, opnode, error, "unknown operator '%s'", op);
    if (in_list(binary_ops, op) && !value)
        return fail_at(c, opnode, error, "'%s' needs a value", op);
    if (in_list(unary_ops, op) && value)
        return fail_at(c, value, error, "'%s' takes no value", op);
    if (!(a = resolve_text(c, arg, error)) || (value && !(b = resolve_text(c, value, error))))
        return FALSE;
    a64 = g_base64_encode((const guchar *)a, strlen(a));
    b64 = b ? g_base64_encode((const guchar *)b, strlen(b)) : g_strdup("");
    *ret_id = ++c->run->expr_ids;
    if (c->selected)
        g_string_append_printf(c->run->program, "e%u %s %s %s\n", *ret_id, op, *a64 ? a64 : "-",
                               *b64 ? b64 : "-");
    return TRUE;
}

static gboolean
step_action_ok(Ctx *c, const yaml_node_t *n, const char *what, GError **error)
{
    const char *s = scalar(n);

    if (!s || (strcmp(s, "Execute") != 0 && strcmp(s, "Skip") != 0 && strcmp(s, "Abort") != 0))
        return fail_at(c, n, error, "%s must be Execute, Skip or Abort", what);
    return TRUE;
}

static gboolean
compile_if(Ctx *c, const yaml_node_t *n, GError **error)
{
    yaml_node_t *then, *els;
    guint id;

    if (n->type == YAML_SEQUENCE_NODE && n->data.sequence.items.top - n->data.sequence.items.start == 1)
        n = node(c, *n->data.sequence.items.start);
    if (!want(c, n, YAML_MAPPING_NODE, "if", error) ||
        !compile_expr(c, n, 0, "then else", &id, error))
        return FALSE;
    then = get(c, n, "then");
    els = get(c, n, "else");
    if ((then && !step_action_ok(c, then, "then", error)) ||
        (els && !step_action_ok(c, els, "else", error)))
        return FALSE;
    if (c->selected)
        g_string_append_printf(c->run->program, "%u i %u %s %s\n", c->step->n, id,
                               then ? scalar(then) : "Execute", els ? scalar(els) : "Skip");
    return TRUE;
}

/* --- loops -------------------------------------------------------------------------- */

static gboolean
compile_for(Ctx *c, const yaml_node_t *f, GError **error)
{
    yaml_node_t *s, *e, *u;
    gint64 start = 0, end = 0, by = 0;

    if (!want(c, f, YAML_MAPPING_NODE, "for", error) ||
        !keys_allowed(c, f, "start end updateBy", "for", error))
        return FALSE;
    s = get(c, f, "start"), e = get(c, f, "end"), u = get(c, f, "updateBy");
    if (!s || !e || !u)
        return fail_at(c, f, error, "for needs start, end and updateBy");
    if (!parse_int(c, s, "start", -1000000000, 1000000000, &start, error) ||
        !parse_int(c, e, "end", -1000000000, 1000000000, &end, error) ||
        !parse_int(c, u, "updateBy", -1000000000, 1000000000, &by, error))
        return FALSE;
    if (by == 0)
        return fail_at(c, u, error, "updateBy must not be 0");
    if ((end - start) / by < 0)
        return fail_at(c, u, error, "updateBy %" G_GINT64_FORMAT " never goes from %" G_GINT64_FORMAT
                       " to %" G_GINT64_FORMAT, by, start, end);
    if ((end - start) / by >= 10000)
        return fail_at(c, f, error, "at most 10000 iterations");
    if (c->selected)
        g_string_append_printf(c->run->program, "%u l for %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                               " %" G_GINT64_FORMAT "\n", c->step->n, start, end, by);
    return TRUE;
}

static gboolean
compile_foreach(Ctx *c, const yaml_node_t *f, GError **error)
{
    if (f->type == YAML_SEQUENCE_NODE) {
        if (f->data.sequence.items.top == f->data.sequence.items.start)
            return fail_at(c, f, error, "forEach needs at least one value");
        emit_raw(c, "l", "each");
        for (yaml_node_item_t *i = f->data.sequence.items.start; i < f->data.sequence.items.top; i++) {
            g_autofree char *v = resolve_text(c, node(c, *i), error);

            if (!v)
                return FALSE;
            emit(c, "v", v);
        }
        return TRUE;
    }
    if (f->type == YAML_MAPPING_NODE) {
        yaml_node_t *list = get(c, f, "list"), *delim = get(c, f, "delimiter");
        g_autofree char *v = NULL;
        const char *d = delim ? scalar(delim) : ",";

        if (!keys_allowed(c, f, "list delimiter", "forEach", error))
            return FALSE;
        if (!list)
            return fail_at(c, f, error, "forEach needs a list");
        if (!d || strlen(d) != 1 || !strchr(".,;:\n\t -_", d[0]))
            return fail_at(c, delim, error, "delimiter must be one of . , ; : \\n \\t space - _");
        if (!(v = resolve_text(c, list, error)))
            return FALSE;
        emit_raw(c, "l", "split");
        emit(c, "L", v);
        emit(c, "D", d);
        return TRUE;
    }
    return fail_at(c, f, error, "forEach must be a list or a mapping with list and delimiter");
}

static gboolean
compile_loop(Ctx *c, const yaml_node_t *l, GError **error)
{
    yaml_node_t *name, *f, *e;

    if (!want(c, l, YAML_MAPPING_NODE, "loop", error) ||
        !keys_allowed(c, l, "name for forEach", "loop", error))
        return FALSE;
    name = get(c, l, "name"), f = get(c, l, "for"), e = get(c, l, "forEach");
    if (name && !scalar(name))
        return fail_at(c, name, error, "loop name must be a string");
    if (!!f == !!e)
        return fail_at(c, l, error, "a loop needs exactly one of for and forEach");
    c->loop_name = name ? scalar(name) : "";
    return f ? compile_for(c, f, error) : compile_foreach(c, e, error);
}

/* --- inputs ------------------------------------------------------------------------- */

/* An input: kept under @store for chaining, emitted as @key. */
static gboolean
input_value(Ctx *c, const yaml_node_t *n, const char *store, const char *key, GError **error)
{
    g_autofree char *v = resolve_text(c, n, error);

    if (!v)
        return FALSE;
    g_hash_table_insert(c->step->inputs, g_strdup(store), g_strdup(v));
    emit(c, key, v);
    return TRUE;
}

static gboolean
compile_bool(Ctx *c, const yaml_node_t *n, const char *key, GError **error)
{
    const char *s = scalar(n);

    if (!s || (g_ascii_strcasecmp(s, "true") != 0 && g_ascii_strcasecmp(s, "false") != 0))
        return fail_at(c, n, error, "%s must be true or false", strrchr(key, '.') + 1);
    emit_raw(c, key, g_ascii_strcasecmp(s, "true") == 0 ? "true" : "false");
    return TRUE;
}

static gboolean
compile_item(Ctx *c, const ActionDef *a, const yaml_node_t *item, guint idx, GError **error)
{
    g_auto(GStrv) req = g_strsplit(a->required, " ", -1);

    if (!want(c, item, YAML_MAPPING_NODE, "an item of inputs", error) ||
        !keys_allowed(c, item, a->allowed, a->name, error))
        return FALSE;
    for (char **r = req; *r && **r; r++) {
        if (!get(c, item, *r))
            return fail_at(c, item, error, "%s needs input '%s'", a->name, *r);
    }
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        g_autofree char *key = g_strdup_printf("k.%u.%s", idx, k);
        gboolean boolean = strcmp(k, "overwrite") == 0 || strcmp(k, "recursive") == 0 ||
                           strcmp(k, "printFileContent") == 0 || strcmp(k, "recurse") == 0 ||
                           strcmp(k, "ignoreCertificateErrors") == 0;

        if (strcmp(k, "encoding") == 0) {
            const char *e = scalar(v);

            if (!e || (g_ascii_strcasecmp(e, "utf8") != 0 && g_ascii_strcasecmp(e, "utf-8") != 0))
                return fail_at(c, v, error, "encoding: ami-run writes and reads utf-8 only");
            continue;
        }
        if (strcmp(k, "algorithm") == 0 && (!scalar(v) || !in_words("MD5 SHA1 SHA256 SHA512",
                                                                    scalar(v))))
            return fail_at(c, v, error, "algorithm must be MD5, SHA1, SHA256 or SHA512");
        if (boolean ? !compile_bool(c, v, key, error) : !input_value(c, v, key + 2, key, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
compile_inputs(Ctx *c, const ActionDef *a, const yaml_node_t *in, GError **error)
{
    guint n = 0, id;

    if (strcmp(a->kind, "bash") == 0) {
        yaml_node_t *cmds;
        g_autoptr(GString) script = g_string_new(NULL);

        if (!want(c, in, YAML_MAPPING_NODE, "ExecuteBash inputs", error) ||
            !keys_allowed(c, in, "commands", "ExecuteBash", error))
            return FALSE;
        if (!(cmds = get(c, in, "commands")))
            return fail_at(c, in, error, "ExecuteBash needs input 'commands'");
        if (!want(c, cmds, YAML_SEQUENCE_NODE, "commands", error))
            return FALSE;
        for (yaml_node_item_t *i = cmds->data.sequence.items.start; i < cmds->data.sequence.items.top; i++) {
            g_autofree char *v = resolve_text(c, node(c, *i), error);

            if (!v)
                return FALSE;
            g_string_append_printf(script, "%s\n", v);
        }
        g_hash_table_insert(c->step->inputs, g_strdup("commands"), g_strdup(script->str));
        emit(c, "commands", script->str);
        return TRUE;
    }
    if (strcmp(a->kind, "binary") == 0) {
        yaml_node_t *path, *args;

        if (!want(c, in, YAML_MAPPING_NODE, "ExecuteBinary inputs", error) ||
            !keys_allowed(c, in, "path arguments", "ExecuteBinary", error))
            return FALSE;
        if (!(path = get(c, in, "path")))
            return fail_at(c, in, error, "ExecuteBinary needs input 'path'");
        if (!input_value(c, path, "path", "path", error))
            return FALSE;
        if ((args = get(c, in, "arguments"))) {
            if (!want(c, args, YAML_SEQUENCE_NODE, "arguments", error))
                return FALSE;
            for (yaml_node_item_t *i = args->data.sequence.items.start; i < args->data.sequence.items.top; i++) {
                g_autofree char *v = resolve_text(c, node(c, *i), error);

                if (!v)
                    return FALSE;
                emit(c, "A", v);
            }
        }
        return TRUE;
    }
    if (strcmp(a->kind, "assert") == 0) {
        if (!want(c, in, YAML_MAPPING_NODE, "Assert inputs", error) ||
            !compile_expr(c, in, 0, "", &id, error))
            return FALSE;
        if (c->selected)
            g_string_append_printf(c->run->program, "%u e %u\n", c->step->n, id);
        return TRUE;
    }
    if (in->type == YAML_MAPPING_NODE) /* one item given without the list */
        return compile_item(c, a, in, 0, error) && (emit_raw(c, "c", "1"), TRUE);
    if (!want(c, in, YAML_SEQUENCE_NODE, "inputs", error))
        return FALSE;
    for (yaml_node_item_t *i = in->data.sequence.items.start; i < in->data.sequence.items.top; i++) {
        if (!compile_item(c, a, node(c, *i), n++, error))
            return FALSE;
    }
    if (!n)
        return fail_at(c, in, error, "%s needs at least one item in inputs", a->name);
    {
        g_autofree char *count = g_strdup_printf("%u", n);

        emit_raw(c, "c", count);
    }
    return TRUE;
}

/* --- steps and phases --------------------------------------------------------------- */

static gboolean
step_fields(Ctx *c, const yaml_node_t *m, const ActionDef *a, GError **error)
{
    yaml_node_t *f = get(c, m, "onFailure"), *t = get(c, m, "timeoutSeconds");
    yaml_node_t *x = get(c, m, "maxAttempts");
    ToeStep *s = c->step;
    gint64 v;

    s->on_failure = g_strdup("Abort");
    if (f) {
        const char *o = scalar(f);

        if (!o || !in_words("Abort Continue Ignore", o))
            return fail_at(c, f, error, "onFailure must be Abort, Continue or Ignore");
        g_free(s->on_failure);
        s->on_failure = g_strdup(o);
    }
    s->max_attempts = 1;
    if (x) {
        if (!parse_int(c, x, "maxAttempts", 1, 1000, &v, error))
            return FALSE;
        s->max_attempts = (guint)v;
    }
    s->timeout = 7200;
    if (t) {
        if (!parse_int(c, t, "timeoutSeconds", -1, 86400 * 30, &v, error))
            return FALSE;
        if (v == 0)
            return fail_at(c, t, error, "timeoutSeconds must be -1 (none) or positive");
        s->timeout = v;
    }
    if (c->selected) {
        g_string_append_printf(c->run->program, "%u a %s\n%u f %s\n%u m %u\n%u t %" G_GINT64_FORMAT "\n",
                               s->n, a->name, s->n, s->on_failure, s->n, s->max_attempts, s->n,
                               s->timeout);
    }
    return TRUE;
}

static gboolean
compile_step(Ctx *c, const yaml_node_t *m, const char *phase, GHashTable *names, GError **error)
{
    yaml_node_t *name, *action, *n;
    const char *aname;
    const ActionDef *a;
    ToeStep *s;

    if (!want(c, m, YAML_MAPPING_NODE, "a step", error) ||
        !keys_allowed(c, m, "name action inputs onFailure maxAttempts timeoutSeconds if loop",
                      "step", error))
        return FALSE;
    if (!(name = get(c, m, "name")) || !scalar(name) || !*scalar(name))
        return fail_at(c, m, error, "a step needs a name");
    if (!g_hash_table_add(names, (gpointer)scalar(name)))
        return fail_at(c, name, error, "step '%s' is named twice in phase '%s'", scalar(name), phase);
    if (!(action = get(c, m, "action")) || !(aname = scalar(action)))
        return fail_at(c, m, error, "step '%s' needs an action", scalar(name));
    if (!(a = action_find(aname))) {
        if (in_list(unsupported_actions, aname))
            return fail_at(c, action, error, "action '%s' is not supported by ami-run "
                           "(docs/components.md)", aname);
        return fail_at(c, action, error, "unknown action '%s'", aname);
    }
    s = g_new0(ToeStep, 1);
    s->name = g_strdup(scalar(name));
    s->action = g_strdup(aname);
    s->phase = g_strdup(phase);
    s->doc = c->run->docs->len;
    s->inputs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (c->selected) {
        g_ptr_array_add(c->run->steps, s);
        s->n = c->run->steps->len;
    } else {
        g_ptr_array_add(c->run->unselected, s);
    }
    c->step = s;
    c->loop_name = NULL;
    if (!step_fields(c, m, a, error))
        return FALSE;
    if ((n = get(c, m, "loop")) && !compile_loop(c, n, error))
        return FALSE;
    if ((n = get(c, m, "if")) && !compile_if(c, n, error))
        return FALSE;
    if (!(n = get(c, m, "inputs")))
        return fail_at(c, m, error, "step '%s': %s needs inputs", s->name, a->name);
    if (!compile_inputs(c, a, n, error))
        return FALSE;
    g_hash_table_insert(c->steps, g_strdup_printf("%s.%s", phase, s->name), s);
    return TRUE;
}

static gboolean
compile_phases(Ctx *c, const yaml_node_t *phases, const char *const *selected, guint *ret_count,
               GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    if (!want(c, phases, YAML_SEQUENCE_NODE, "phases", error))
        return FALSE;
    if (phases->data.sequence.items.top == phases->data.sequence.items.start)
        return fail_at(c, phases, error, "phases must not be empty");
    for (yaml_node_item_t *i = phases->data.sequence.items.start; i < phases->data.sequence.items.top; i++) {
        yaml_node_t *p = node(c, *i), *name, *steps;
        g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
        const char *pname;

        if (!want(c, p, YAML_MAPPING_NODE, "a phase", error) ||
            !keys_allowed(c, p, "name steps", "phase", error))
            return FALSE;
        if (!(name = get(c, p, "name")) || !(pname = scalar(name)) || !*pname)
            return fail_at(c, p, error, "a phase needs a name");
        if (!g_hash_table_add(seen, (gpointer)pname))
            return fail_at(c, name, error, "phase '%s' is named twice", pname);
        if (!(steps = get(c, p, "steps")))
            return fail_at(c, p, error, "phase '%s' needs steps", pname);
        if (!want(c, steps, YAML_SEQUENCE_NODE, "steps", error))
            return FALSE;
        if (steps->data.sequence.items.top == steps->data.sequence.items.start)
            return fail_at(c, steps, error, "phase '%s' has no steps", pname);
        c->selected = in_list(selected, pname);
        *ret_count += c->selected;
        for (yaml_node_item_t *s = steps->data.sequence.items.start; s < steps->data.sequence.items.top; s++) {
            if (!compile_step(c, node(c, *s), pname, names, error))
                return FALSE;
        }
    }
    return TRUE;
}

/* parameters: [ {Name: {type: string, default: v}} ], constants: [ {Name: {type, value}} ] */
static gboolean
compile_vars(Ctx *c, const yaml_node_t *list, gboolean constants, GError **error)
{
    const char *what = constants ? "constants" : "parameters";

    if (!want(c, list, YAML_SEQUENCE_NODE, what, error))
        return FALSE;
    for (yaml_node_item_t *i = list->data.sequence.items.start; i < list->data.sequence.items.top; i++) {
        yaml_node_t *m = node(c, *i), *kn, *def, *type, *v;
        const char *name;

        if (!want(c, m, YAML_MAPPING_NODE, what, error))
            return FALSE;
        if (m->data.mapping.pairs.top - m->data.mapping.pairs.start != 1)
            return fail_at(c, m, error, "each of %s is one NAME: {…} mapping", what);
        kn = node(c, m->data.mapping.pairs.start->key);
        def = node(c, m->data.mapping.pairs.start->value);
        if (!(name = scalar(kn)) || !var_name_ok(name))
            return fail_at(c, kn, error, "a name of %s must be 3-128 letters, digits, _ or -", what);
        if (g_hash_table_contains(c->vars, name))
            return fail_at(c, kn, error, "'%s' is defined twice (parameters and constants share "
                           "names)", name);
        if (!want(c, def, YAML_MAPPING_NODE, name, error) ||
            !keys_allowed(c, def, constants ? "type value description" : "type default description",
                          name, error))
            return FALSE;
        if (!(type = get(c, def, "type")) || g_strcmp0(scalar(type), "string") != 0)
            return fail_at(c, type ? type : def, error, "'%s': type must be string", name);
        v = get(c, def, constants ? "value" : "default");
        if (constants && !v)
            return fail_at(c, def, error, "constant '%s' needs a value", name);
        if (v && !scalar(v))
            return fail_at(c, v, error, "'%s': the value must be a string", name);
        /* A parameter without default: empty, as awstoe run locally does. */
        g_hash_table_insert(c->vars, g_strdup(name), g_strdup(v && !is_null(v) ? scalar(v) : ""));
    }
    return TRUE;
}

static gboolean
compile_document(Ctx *c, const yaml_node_t *root, guint *ret_phases, GError **error)
{
    yaml_node_t *v, *phases;
    const char *sv;

    if (!root)
        return fail_at(c, NULL, error, "the document is empty");
    if (!want(c, root, YAML_MAPPING_NODE, "a component document", error) ||
        !keys_allowed(c, root, "name description schemaVersion parameters constants phases",
                      "document", error))
        return FALSE;
    if (!(v = get(c, root, "schemaVersion")))
        return fail_at(c, root, error, "schemaVersion is required (1.0)");
    sv = scalar(v);
    if (!sv || (strcmp(sv, "1.0") != 0 && strcmp(sv, "1") != 0))
        return fail_at(c, v, error, "schemaVersion must be 1.0");
    if ((v = get(c, root, "name")) && !scalar(v))
        return fail_at(c, v, error, "name must be a string");
    if ((v = get(c, root, "parameters")) && !compile_vars(c, v, FALSE, error))
        return FALSE;
    if ((v = get(c, root, "constants")) && !compile_vars(c, v, TRUE, error))
        return FALSE;
    if (!(phases = get(c, root, "phases")))
        return fail_at(c, root, error, "phases is required");
    return compile_phases(c, phases, (const char *const *)c->run->phases, ret_phases, error);
}

/* --- the run ------------------------------------------------------------------------ */

static void
step_free(gpointer p)
{
    ToeStep *s = p;

    g_free(s->name);
    g_free(s->action);
    g_free(s->phase);
    g_free(s->on_failure);
    if (s->inputs)
        g_hash_table_unref(s->inputs);
    g_free(s);
}

static void
doc_free(gpointer p)
{
    ToeDoc *d = p;

    g_free(d->file);
    g_free(d->name);
    g_strfreev(d->phases);
    g_free(d);
}

AmiToeRun *
ami_toe_run_new(const char *const *phases)
{
    AmiToeRun *r = g_new0(AmiToeRun, 1);

    r->phases = g_strdupv((char **)(phases && phases[0] ? phases : default_phases));
    r->docs = g_ptr_array_new_with_free_func(doc_free);
    r->steps = g_ptr_array_new_with_free_func(step_free);
    r->unselected = g_ptr_array_new_with_free_func(step_free);
    r->program = g_string_new(NULL);
    return r;
}

void
ami_toe_run_free(AmiToeRun *r)
{
    if (!r)
        return;
    g_strfreev(r->phases);
    g_ptr_array_unref(r->docs);
    g_ptr_array_unref(r->steps);
    g_ptr_array_unref(r->unselected);
    g_string_free(r->program, TRUE);
    g_free(r);
}

static char **
doc_phases(const AmiToeRun *r, guint doc)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new();

    for (guint i = 0; i < r->steps->len; i++) {
        const ToeStep *s = r->steps->pdata[i];

        if (s->doc == doc && (!out->len || strcmp(out->pdata[out->len - 1], s->phase) != 0))
            g_ptr_array_add(out, g_strdup(s->phase));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

gboolean
ami_toe_run_add_document(AmiToeRun *r, const char *file, const char *text, gsize len,
                         GError **error)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    g_autoptr(GHashTable) vars = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) steps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    Ctx c = {.file = file, .doc = &doc, .vars = vars, .steps = steps, .run = r};
    gsize steps_before = r->steps->len, program_before = r->program->len;
    guint expr_before = r->expr_ids, phases = 0;
    gboolean ok;

    if (!yaml_parser_initialize(&parser))
        return ami_error_invalid(error, "%s: out of memory", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        ok = ami_error_invalid(error, "%s:%zu:%zu: %s%s%s", file, parser.problem_mark.line + 1,
                               parser.problem_mark.column + 1,
                               parser.problem ? parser.problem : "not YAML",
                               parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return ok;
    }
    ok = compile_document(&c, yaml_document_get_root_node(&doc), &phases, error);
    if (ok && !phases) {
        g_autofree char *want_list = g_strjoinv(",", r->phases);

        ok = ami_error_invalid(error, "%s: --phases '%s' names no phase of this document", file,
                               want_list);
    }
    if (ok) {
        ToeDoc *d = g_new0(ToeDoc, 1);
        yaml_node_t *name = get(&c, yaml_document_get_root_node(&doc), "name");

        d->file = g_strdup(file);
        d->name = g_strdup(name && scalar(name) && *scalar(name) ? scalar(name) : file);
        g_ptr_array_add(r->docs, d);
        d->phases = doc_phases(r, r->docs->len - 1);
    } else { /* as if never added */
        g_ptr_array_set_size(r->steps, (guint)steps_before);
        g_string_truncate(r->program, program_before);
        r->expr_ids = expr_before;
    }
    g_ptr_array_set_size(r->unselected, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return ok;
}

guint
ami_toe_run_step_count(const AmiToeRun *r)
{
    return r->steps->len;
}

char *
ami_toe_run_program(const AmiToeRun *r, const char *execution_id)
{
    return g_strdup_printf("0 x %s\n0 n %u\n%s", execution_id, r->steps->len, r->program->str);
}
