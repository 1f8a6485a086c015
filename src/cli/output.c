/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --output json|table|text.  JSON is what the AWS CLI prints (4-space indent, members in
 * their order).  text follows the AWS CLI's shape: a line per object, its scalar members
 * tab-separated in key order, prefixed by the upper-cased name of the list it is in.
 * table shows each list of objects as a grid of its scalar members.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "cli.h"

static gboolean
is_scalar(json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

static char *
scalar_text(json_t *v)
{
    if (json_is_string(v))
        return g_strdup(json_string_value(v));
    if (json_is_true(v))
        return g_strdup("True");
    if (json_is_false(v))
        return g_strdup("False");
    if (json_is_null(v))
        return g_strdup("None");
    if (json_is_integer(v))
        return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return g_strdup_printf("%g", json_real_value(v));
    return g_strdup("");
}

static gint
cmp_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *
sorted_keys(json_t *obj)
{
    GPtrArray *keys = g_ptr_array_new();
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v) g_ptr_array_add(keys, (gpointer)k);
    g_ptr_array_sort(keys, cmp_keys);
    return keys;
}

static void print_text(const char *name, json_t *value);

static void
print_text_object(const char *name, json_t *obj)
{
    g_autoptr(GPtrArray) keys = sorted_keys(obj);
    g_autoptr(GString) line = g_string_new(NULL);
    g_autofree char *upper = name ? g_ascii_strup(name, -1) : NULL;

    for (guint i = 0; i < keys->len; i++) {
        json_t *v = json_object_get(obj, keys->pdata[i]);
        g_autofree char *t = NULL;

        if (!is_scalar(v))
            continue;
        t = scalar_text(v);
        g_string_append_printf(line, "%s%s", line->len ? "\t" : "", t);
    }
    if (line->len)
        printf("%s%s%s\n", upper ? upper : "", upper ? "\t" : "", line->str);
    for (guint i = 0; i < keys->len; i++) {
        json_t *v = json_object_get(obj, keys->pdata[i]);

        if (!is_scalar(v))
            print_text(keys->pdata[i], v);
    }
}

static void
print_text(const char *name, json_t *value)
{
    size_t i;
    json_t *v;

    if (json_is_object(value)) {
        print_text_object(name, value);
    } else if (json_is_array(value)) {
        g_autoptr(GString) line = g_string_new(NULL);

        json_array_foreach(value, i, v) {
            if (is_scalar(v)) {
                g_autofree char *t = scalar_text(v);
                g_string_append_printf(line, "%s%s", line->len ? "\t" : "", t);
            } else {
                print_text(name, v);
            }
        }
        if (line->len) {
            g_autofree char *upper = name ? g_ascii_strup(name, -1) : NULL;
            printf("%s%s%s\n", upper ? upper : "", upper ? "\t" : "", line->str);
        }
    } else {
        g_autofree char *t = scalar_text(value);
        printf("%s\n", t);
    }
}

/* One grid: @rows are objects; columns are the union of their scalar members. */
static void
print_grid(const char *title, json_t *rows)
{
    g_autoptr(GPtrArray) cols = g_ptr_array_new();
    g_autoptr(GArray) width = g_array_new(FALSE, TRUE, sizeof(int));
    g_autoptr(GString) rule = g_string_new("+");
    size_t i;
    json_t *row;

    json_array_foreach(rows, i, row) {
        const char *k;
        json_t *v;

        json_object_foreach(row, k, v) {
            if (is_scalar(v) && !g_ptr_array_find_with_equal_func(cols, k, g_str_equal, NULL))
                g_ptr_array_add(cols, (gpointer)k);
        }
    }
    g_ptr_array_sort(cols, cmp_keys);
    g_array_set_size(width, cols->len);
    for (guint c = 0; c < cols->len; c++) {
        int w = (int)g_utf8_strlen(cols->pdata[c], -1);

        json_array_foreach(rows, i, row) {
            g_autofree char *t = json_object_get(row, cols->pdata[c])
                                     ? scalar_text(json_object_get(row, cols->pdata[c]))
                                     : g_strdup("");
            w = MAX(w, (int)g_utf8_strlen(t, -1));
        }
        g_array_index(width, int, c) = w;
        for (int k = 0; k < w + 2; k++)
            g_string_append_c(rule, '-');
        g_string_append_c(rule, '+');
    }
    printf("%s\n%s\n|", title, rule->str);
    for (guint c = 0; c < cols->len; c++)
        printf(" %-*s |", g_array_index(width, int, c), (const char *)cols->pdata[c]);
    printf("\n%s\n", rule->str);
    json_array_foreach(rows, i, row) {
        printf("|");
        for (guint c = 0; c < cols->len; c++) {
            json_t *v = json_object_get(row, cols->pdata[c]);
            g_autofree char *t = v ? scalar_text(v) : g_strdup("");
            int pad = g_array_index(width, int, c) - (int)g_utf8_strlen(t, -1);

            printf(" %s%*s |", t, pad, "");
        }
        printf("\n");
    }
    printf("%s\n", rule->str);
}

static void
print_table(const char *title, json_t *value)
{
    g_autoptr(json_t) single = NULL;
    gboolean scalars = FALSE;
    const char *k;
    json_t *v;

    if (!json_is_object(value))
        return;
    json_object_foreach(value, k, v) {
        if (is_scalar(v))
            scalars = TRUE;
    }
    if (scalars) {
        single = json_array();
        json_array_append(single, value);
        print_grid(title, single);
    }
    json_object_foreach(value, k, v) {
        if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0)))
            print_grid(k, v);
    }
}

void
cli_print(const Cli *cli, json_t *result)
{
    switch (cli->output) {
    case CLI_OUTPUT_TABLE:
        print_table(cli->verb, result);
        break;
    case CLI_OUTPUT_TEXT:
        print_text(NULL, result);
        break;
    case CLI_OUTPUT_JSON:
    case CLI_OUTPUT_XML:
    case CLI_OUTPUT_LAST: {
        g_autofree char *s = json_dumps(result, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        break;
    }
    }
    fflush(stdout);
}

void
cli_notice(const Cli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "ami-run: %s: %s\n", cli->verb, msg);
}
