/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --output text, as awscli/text.py writes it (aws-cli v2, `format_text`), function for
 * function: _format_text, _format_list, _format_scalar_list, _format_dict,
 * _all_scalar_keys, _partition_dict.  Only the Python spellings of scalars are ours.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami-run/format.h"

static gboolean
is_scalar(const json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

/* repr() of a double: the shortest digits that read back, laid out as Python does. */
static char *
python_float(double d)
{
    char buf[40];
    char digits[24];
    int exp = 0;
    int n = 0;
    GString *s;

    if (isnan(d))
        return g_strdup("nan");
    if (isinf(d))
        return g_strdup(d < 0 ? "-inf" : "inf");
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]XX */
    for (const char *c = buf; *c && *c != 'e'; c++) {
        if (*c >= '0' && *c <= '9' && n < (int)sizeof(digits) - 1)
            digits[n++] = *c;
    }
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    exp = atoi(strchr(buf, 'e') + 1);
    s = g_string_new(buf[0] == '-' ? "-" : "");
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            g_string_append(s, "0.");
            for (int i = 0; i < -exp - 1; i++)
                g_string_append_c(s, '0');
            g_string_append(s, digits);
        } else {
            for (int i = 0; i <= exp; i++)
                g_string_append_c(s, i < n ? digits[i] : '0');
            g_string_append_c(s, '.');
            g_string_append(s, n > exp + 1 ? digits + exp + 1 : "0");
        }
    } else {
        g_string_append_c(s, digits[0]);
        if (n > 1)
            g_string_append_printf(s, ".%s", digits + 1);
        g_string_append_printf(s, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    }
    return g_string_free(s, FALSE);
}

char *
ami_format_python_str(const json_t *value)
{
    if (json_is_string(value))
        return g_strdup(json_string_value(value));
    if (json_is_true(value))
        return g_strdup("True");
    if (json_is_false(value))
        return g_strdup("False");
    if (json_is_null(value) || !value)
        return g_strdup("None");
    if (json_is_integer(value))
        return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(value));
    if (json_is_real(value))
        return python_float(json_real_value(value));
    return json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static gint
cmp_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void format_any(GString *out, const json_t *item, const char *identifier,
                       const GPtrArray *scalar_keys);

static void
append_upper(GString *out, const char *identifier)
{
    g_autofree char *upper = g_utf8_strup(identifier, -1);

    g_string_append(out, upper);
}

/* _format_scalar_list */
static void
format_scalar_list(GString *out, const GPtrArray *elements, const char *identifier)
{
    for (guint i = 0; i < elements->len; i++) {
        g_autofree char *t = ami_format_python_str(elements->pdata[i]);

        if (identifier) {
            append_upper(out, identifier);
            g_string_append_printf(out, "\t%s\n", t);
        } else {
            g_string_append_printf(out, "%s%s", i ? "\t" : "", t);
        }
    }
    if (!identifier)
        g_string_append_c(out, '\n');
}

/* _all_scalar_keys: the sorted union of the scalar members of the list's objects. */
static GPtrArray *
all_scalar_keys(const json_t *list)
{
    GPtrArray *keys = g_ptr_array_new();
    const char *k;
    json_t *v;
    json_t *el;
    size_t i;

    json_array_foreach(list, i, el) {
        if (!json_is_object(el))
            continue;
        json_object_foreach(el, k, v) {
            if (is_scalar(v) && !g_ptr_array_find_with_equal_func(keys, k, g_str_equal, NULL))
                g_ptr_array_add(keys, (gpointer)k);
        }
    }
    g_ptr_array_sort(keys, cmp_keys);
    return keys;
}

/* _format_list */
static void
format_list(GString *out, const json_t *item, const char *identifier)
{
    g_autoptr(GPtrArray) scalars = g_ptr_array_new();
    gboolean any_dict = FALSE, any_list = FALSE;
    json_t *el;
    size_t i;

    json_array_foreach(item, i, el) {
        any_dict |= json_is_object(el);
        any_list |= json_is_array(el);
    }
    if (json_array_size(item) == 0)
        return;
    if (any_dict) {
        g_autoptr(GPtrArray) keys = all_scalar_keys(item);

        json_array_foreach(item, i, el) format_any(out, el, identifier, keys);
        return;
    }
    json_array_foreach(item, i, el) {
        if (is_scalar(el))
            g_ptr_array_add(scalars, el);
    }
    if (scalars->len)
        format_scalar_list(out, scalars, identifier);
    if (!any_list)
        return;
    json_array_foreach(item, i, el) {
        if (!is_scalar(el))
            format_any(out, el, identifier, NULL);
    }
}

/* _format_dict with _partition_dict */
static void
format_dict(GString *out, const json_t *item, const char *identifier,
            const GPtrArray *scalar_keys)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    g_autoptr(GString) line = g_string_new(NULL);
    gboolean any = FALSE;
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)item, k, v) g_ptr_array_add(keys, (gpointer)k);
    g_ptr_array_sort(keys, cmp_keys);
    if (identifier) {
        append_upper(line, identifier);
    }
    for (guint i = 0; scalar_keys && i < scalar_keys->len; i++) {
        json_t *m = json_object_get(item, scalar_keys->pdata[i]);
        g_autofree char *t = m ? ami_format_python_str(m) : g_strdup("");

        g_string_append_printf(line, "%s%s", identifier || any ? "\t" : "", t);
        any = TRUE;
    }
    for (guint i = 0; !scalar_keys && i < keys->len; i++) {
        json_t *m = json_object_get(item, keys->pdata[i]);
        g_autofree char *t = NULL;

        if (!is_scalar(m))
            continue;
        t = ami_format_python_str(m);
        g_string_append_printf(line, "%s%s", identifier || any ? "\t" : "", t);
        any = TRUE;
    }
    if (any)
        g_string_append_printf(out, "%s\n", line->str);
    for (guint i = 0; i < keys->len; i++) {
        json_t *m = json_object_get(item, keys->pdata[i]);

        if (scalar_keys ? g_ptr_array_find_with_equal_func((GPtrArray *)scalar_keys,
                                                            keys->pdata[i], g_str_equal, NULL)
                        : is_scalar(m))
            continue;
        format_any(out, m, keys->pdata[i], NULL);
    }
}

/* _format_text */
static void
format_any(GString *out, const json_t *item, const char *identifier,
           const GPtrArray *scalar_keys)
{
    if (json_is_object(item)) {
        format_dict(out, item, identifier, scalar_keys);
    } else if (json_is_array(item)) {
        format_list(out, item, identifier);
    } else {
        g_autofree char *t = ami_format_python_str(item);

        g_string_append_printf(out, "%s\n", t);
    }
}

char *
ami_format_text(const json_t *value)
{
    GString *out = g_string_new(NULL);

    format_any(out, value, NULL, NULL);
    return g_string_free(out, FALSE);
}
