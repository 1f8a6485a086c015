/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --query and --output json|table|text.  As in the AWS CLI (awscli/formatter.py), the
 * query is applied to the response first and the format to its result.  JSON is what
 * the AWS CLI prints (4-space indent, members in their order, any value at the top).
 * text is core/format.c, byte for byte awscli/text.py.  table shows each list of objects
 * as a grid of its scalar members, and a query result that is no object as rows; it is
 * not awscli/table.py's layout (docs/ami-run.1, OUTPUT).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/format.h"
#include "ami-run/query.h"
#include "cli.h"

static gboolean
is_scalar(json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

static gint
cmp_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
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
                                     ? ami_format_python_str(json_object_get(row, cols->pdata[c]))
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
            g_autofree char *t = v ? ami_format_python_str(v) : g_strdup("");
            int pad = g_array_index(width, int, c) - (int)g_utf8_strlen(t, -1);

            printf(" %s%*s |", t, pad, "");
        }
        printf("\n");
    }
    printf("%s\n", rule->str);
}

/* A query result that is no object: a titled box, a row per scalar or list of scalars. */
static void
print_rows(const char *title, json_t *value)
{
    g_autoptr(json_t) rows = json_array();
    size_t i;
    json_t *v;

    if (!json_is_array(value)) {
        json_array_append_new(rows, json_pack("{sO}", "Value", value));
    } else {
        json_array_foreach(value, i, v) {
            g_autofree char *t = ami_format_text(v);

            g_strchomp(t);
            json_array_append_new(rows, json_pack("{ss}", "Value", t));
        }
    }
    print_grid(title, rows);
}

static void
print_table(const char *title, json_t *value)
{
    g_autoptr(json_t) single = NULL;
    gboolean scalars = FALSE;
    const char *k;
    json_t *v;

    /* As awscli/formatter.py's TableFormatter: nothing at all for null, [], {}, "". */
    if (json_is_null(value) || (json_is_array(value) && json_array_size(value) == 0) ||
        (json_is_string(value) && !*json_string_value(value)))
        return;
    if (!json_is_object(value)) {
        print_rows(title, value);
        return;
    }
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

/* A --query that failed on this response: main.c reports it once the verb returns. */
static GError *query_error;

void
cli_print(const Cli *cli, json_t *result)
{
    g_autoptr(json_t) queried = NULL;

    if (cli->query) {
        queried = ami_query_apply(result, cli->query, &query_error);
        if (!queried)
            return;
        result = queried;
    }
    switch (cli->output) {
    case CLI_OUTPUT_TABLE:
        print_table(cli->verb, result);
        break;
    case CLI_OUTPUT_TEXT: {
        g_autofree char *t = ami_format_text(result);

        fputs(t, stdout);
        break;
    }
    case CLI_OUTPUT_JSON:
    case CLI_OUTPUT_XML:
    case CLI_OUTPUT_LAST: {
        g_autofree char *s =
            json_dumps(result, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        printf("%s\n", s);
        break;
    }
    }
    fflush(stdout);
}

GError *
cli_print_error(void)
{
    return g_steal_pointer(&query_error);
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
