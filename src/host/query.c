/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jp, the only place it is run: `jp [--ast] -- EXPR` with the document on stdin
 * (jp 0.2.1: the expression is its one argument, the input JSON is read from stdin).
 * jp reports a syntax error on stderr in three lines, the message, the expression and
 * a caret under the offending character; we keep the message and turn the caret into
 * a column, so the error stays one line.
 */
#include <string.h>

#include <gio/gio.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/query.h"

/* "SyntaxError: …\nEXPR\n   ^\n" -> "SyntaxError: … (column 4)" */
static char *
jp_message(const char *err)
{
    g_auto(GStrv) lines = g_strsplit(err ? err : "", "\n", -1);
    const char *caret;

    if (!lines[0] || !*lines[0])
        return g_strdup("jp failed without a message");
    if (g_strv_length(lines) >= 3 && (caret = strchr(lines[2], '^')) &&
        strspn(lines[2], " ") == (size_t)(caret - lines[2]))
        return g_strdup_printf("%s (column %d)", lines[0], (int)(caret - lines[2]) + 1);
    return g_strdup(lines[0]);
}

/* Run jp on @input; its stdout in *ret_out.  A failing jp is a bad expression. */
static gboolean
run_jp(const char *expr, gboolean ast_only, const char *input, char **ret_out, GError **error)
{
    const char *argv[] = {"jp", ast_only ? "--ast" : "--compact", "--", expr, NULL};
    g_autoptr(GSubprocess) p = NULL;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) local = NULL;

    /*
     * `jp --ast` never reads stdin: a pipe there would get us SIGPIPE.  Otherwise jp reads
     * the whole document before it evaluates (and the expression parsed already).
     */
    p = g_subprocess_newv(argv,
                          (input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE) |
                              G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          &local);
    if (!p) {
        if (g_error_matches(local, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                        "--query: jp is not installed (scripts/install-deps)");
        else
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "--query: cannot run jp: %s",
                        local->message);
        return FALSE;
    }
    if (!g_subprocess_communicate_utf8(p, input, NULL, &out, &err, &local)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "--query: jp: %s", local->message);
        return FALSE;
    }
    if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0) {
        g_autofree char *msg = jp_message(err);
        g_autofree char *shown = g_strdup(expr);

        /* The error is one line, whatever the expression holds. */
        for (char *c = shown; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        }
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--query '%s': %s", shown, msg);
        return FALSE;
    }
    *ret_out = g_steal_pointer(&out);
    return TRUE;
}

gboolean
ami_query_check(const char *expr, GError **error)
{
    g_autofree char *out = NULL;

    return run_jp(expr, TRUE, NULL, &out, error);
}

static void
collect_objects(const json_t *v, GPtrArray *objects)
{
    const char *k;
    json_t *m;
    size_t i;

    if (json_is_object(v)) {
        g_ptr_array_add(objects, (gpointer)v);
        json_object_foreach((json_t *)v, k, m) collect_objects(m, objects);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) collect_objects(m, objects);
    }
}

static gboolean
has_all_members(const json_t *model, const json_t *obj)
{
    const char *k;
    json_t *m;

    json_object_foreach((json_t *)obj, k, m) {
        if (!json_object_get(model, k))
            return FALSE;
    }
    return TRUE;
}

/*
 * Give the objects in @v the member order of the document's objects (see query.h).  Only
 * an object with exactly a document object's members is one of them: a multi-select
 * hash that picks some (`{ImageId: ImageId, Name: Name}`) is in the expression's order
 * in the AWS CLI, which jp's sorted order more often matches than the image's.
 */
static json_t *
reorder(json_t *v, const GPtrArray *objects)
{
    const json_t *model = NULL;
    json_t *copy;
    const char *k;
    json_t *m;
    size_t i;

    if (json_is_array(v)) {
        copy = json_array();
        json_array_foreach(v, i, m) json_array_append_new(copy, reorder(m, objects));
        return copy;
    }
    if (!json_is_object(v))
        return json_incref(v);
    for (guint j = 0; j < objects->len && !model; j++) {
        if (json_object_size(objects->pdata[j]) == json_object_size(v) &&
            has_all_members(objects->pdata[j], v))
            model = objects->pdata[j];
    }
    copy = json_object();
    if (model) {
        json_object_foreach((json_t *)model, k, m) {
            if (json_object_get(v, k))
                json_object_set_new(copy, k, reorder(json_object_get(v, k), objects));
        }
    } else {
        json_object_foreach(v, k, m) json_object_set_new(copy, k, reorder(m, objects));
    }
    return copy;
}

json_t *
ami_query_apply(const json_t *doc, const char *expr, GError **error)
{
    g_autofree char *input = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    g_autofree char *out = NULL;
    g_autoptr(json_t) result = NULL;
    g_autoptr(GPtrArray) objects = g_ptr_array_new();
    json_error_t e;

    if (!input) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "--query: cannot encode the document");
        return NULL;
    }
    if (!run_jp(expr, FALSE, input, &out, error))
        return NULL;
    result = json_loads(out, JSON_DECODE_ANY, &e);
    /* jp writes floats below 1e21 as integers: past 64 bits, take the result as reals. */
    if (!result)
        result = json_loads(out, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &e);
    if (!result) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "--query: jp printed no JSON: %s", e.text);
        return NULL;
    }
    collect_objects(doc, objects);
    return reorder(result, objects);
}
