/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --output table, as the AWS CLI draws it: awscli/formatter.py's TableFormatter builds
 * sections (_build_table, _build_sub_table_from_dict, _build_sub_table_from_list) and
 * awscli/table.py's MultiTable renders them (Section.calculate_column_widths,
 * center_text, align_left, convert_to_vertical_table), ported function for function,
 * uncoloured (the AWS CLI's Styler when stdout is no terminal).
 */
#include <math.h>
#include <string.h>

#include "ami-run/format.h"

typedef struct {
    char *title; /* NULL: none */
    GPtrArray *headers; /* char * */
    GPtrArray *rows;    /* GPtrArray of char * */
    GArray *max_widths; /* int */
    int num_cols;       /* -1 until the first header or row */
    int indent;
} Section;

typedef struct {
    GPtrArray *sections;
    Section *current;
} Table;

static void
section_free(gpointer p)
{
    Section *s = p;

    g_free(s->title);
    g_ptr_array_unref(s->headers);
    g_ptr_array_unref(s->rows);
    g_array_unref(s->max_widths);
    g_free(s);
}

/* get_text_length: East Asian wide, full-width and ambiguous characters count 2. */
static int
text_length(const char *t)
{
    int n = 0;

    for (const char *c = t; *c; c = g_utf8_next_char(c))
        n += g_unichar_iswide_cjk(g_utf8_get_char(c)) ? 2 : 1;
    return n;
}

static Section *
section_new(const char *title, int indent)
{
    Section *s = g_new0(Section, 1);

    s->title = g_strdup(title);
    s->headers = g_ptr_array_new_with_free_func(g_free);
    s->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    s->max_widths = g_array_new(FALSE, TRUE, sizeof(int));
    s->num_cols = -1;
    s->indent = indent;
    return s;
}

static void
new_section(Table *t, const char *title, int indent)
{
    t->current = section_new(title, indent);
    g_ptr_array_add(t->sections, t->current);
}

/* The section rows go to; a table built without a title gets an untitled one. */
static Section *
current(Table *t)
{
    if (!t->current)
        new_section(t, NULL, 0);
    return t->current;
}

static void
update_max_widths(Section *s, GPtrArray *row)
{
    for (guint i = 0; i < row->len; i++) {
        int w = text_length(row->pdata[i]);

        if (i >= s->max_widths->len)
            g_array_append_val(s->max_widths, w);
        else
            g_array_index(s->max_widths, int, i) = MAX(g_array_index(s->max_widths, int, i), w);
    }
}

/* add_header; @headers: char * not owned. */
static void
add_header(Table *t, GPtrArray *headers)
{
    Section *s = current(t);

    g_ptr_array_set_size(s->headers, 0);
    for (guint i = 0; i < headers->len; i++)
        g_ptr_array_add(s->headers, g_strdup(headers->pdata[i]));
    update_max_widths(s, s->headers);
    if (s->num_cols < 0)
        s->num_cols = (int)headers->len;
}

/*
 * add_row; @row: new strings, taken.  The AWS CLI raises ValueError for a row whose
 * length is not the section's; we pad or cut it to the section's instead.
 */
static void
add_row(Table *t, GPtrArray *row)
{
    Section *s = current(t);

    if (s->num_cols < 0)
        s->num_cols = (int)row->len;
    while ((int)row->len < s->num_cols)
        g_ptr_array_add(row, g_strdup(""));
    g_ptr_array_set_size(row, (guint)s->num_cols);
    update_max_widths(s, row);
    g_ptr_array_add(s->rows, row);
}

static GPtrArray *
new_row(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

static gboolean
is_scalar(const json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

/* Python's truth value of a parsed JSON value. */
static gboolean
truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return FALSE;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0.0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return TRUE;
}

static gint
cmp_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* _group_scalar_keys over one object or (@list) the union over a list's objects. */
static void
group_scalar_keys(const json_t *v, gboolean list, GPtrArray *headers, GPtrArray *more)
{
    size_t i;
    json_t *el;
    const char *k;
    json_t *m;

    json_array_foreach(list ? v : NULL, i, el) group_scalar_keys(el, FALSE, headers, more);
    json_object_foreach(list ? NULL : (json_t *)v, k, m) {
        GPtrArray *into = is_scalar(m) ? headers : more;

        if (!g_ptr_array_find_with_equal_func(into, k, g_str_equal, NULL))
            g_ptr_array_add(into, (gpointer)k);
    }
    g_ptr_array_sort(headers, cmp_keys);
    g_ptr_array_sort(more, cmp_keys);
}

static gboolean build_table(Table *t, const char *title, const json_t *current, int indent);

/* _build_sub_table_from_dict */
static void
build_from_dict(Table *t, const json_t *current, int indent)
{
    g_autoptr(GPtrArray) headers = g_ptr_array_new();
    g_autoptr(GPtrArray) more = g_ptr_array_new();
    GPtrArray *row = new_row();

    group_scalar_keys(current, FALSE, headers, more);
    if (headers->len == 1) {
        g_ptr_array_add(row, g_strdup(headers->pdata[0]));
        g_ptr_array_add(row, ami_format_python_str(json_object_get(current, headers->pdata[0])));
        add_row(t, row);
    } else if (headers->len) {
        add_header(t, headers);
        for (guint i = 0; i < headers->len; i++)
            g_ptr_array_add(row, ami_format_python_str(json_object_get(current, headers->pdata[i])));
        add_row(t, row);
    } else {
        g_ptr_array_unref(row);
    }
    for (guint i = 0; i < more->len; i++)
        build_table(t, more->pdata[i], json_object_get(current, more->pdata[i]), indent + 1);
}

/* _build_sub_table_from_list: a list whose first element is an object. */
static void
build_from_list(Table *t, const json_t *current, int indent, const char *title)
{
    g_autoptr(GPtrArray) headers = g_ptr_array_new();
    g_autoptr(GPtrArray) more = g_ptr_array_new();
    size_t i;
    json_t *el;

    group_scalar_keys(current, TRUE, headers, more);
    add_header(t, headers);
    json_array_foreach(current, i, el) {
        GPtrArray *row = new_row();

        if (i > 0 && more->len) {
            new_section(t, title, indent);
            add_header(t, headers);
        }
        for (guint h = 0; h < headers->len; h++) {
            json_t *m = json_object_get(el, headers->pdata[h]);

            g_ptr_array_add(row, m ? ami_format_python_str(m) : g_strdup(""));
        }
        add_row(t, row);
        for (guint r = 0; r < more->len; r++) {
            json_t *m = json_object_get(el, more->pdata[r]);

            if (m)
                build_table(t, more->pdata[r], m, indent + 1);
        }
    }
}

/* _build_table */
static gboolean
build_table(Table *t, const char *title, const json_t *current, int indent)
{
    size_t i;
    json_t *item;

    if (!truthy(current))
        return FALSE;
    if (title)
        new_section(t, title, indent);
    if (json_is_array(current)) {
        if (json_is_object(json_array_get(current, 0))) {
            build_from_list(t, current, indent, title);
            return TRUE;
        }
        json_array_foreach(current, i, item) {
            GPtrArray *row = new_row();
            gboolean all_scalar = TRUE;
            size_t j;
            json_t *el;
            const char *k;

            json_array_foreach(item, j, el) all_scalar &= is_scalar(el);
            if (is_scalar(item)) {
                g_ptr_array_add(row, ami_format_python_str(item));
                add_row(t, row);
            } else if (json_is_object(item)) {
                /* Python iterates an object's keys: all strings, a row of them. */
                json_object_foreach(item, k, el) g_ptr_array_add(row, g_strdup(k));
                add_row(t, row);
            } else if (all_scalar) {
                json_array_foreach(item, j, el) g_ptr_array_add(row, ami_format_python_str(el));
                add_row(t, row);
            } else {
                g_ptr_array_unref(row);
                build_table(t, NULL, item, 0);
            }
        }
    }
    if (json_is_object(current))
        build_from_dict(t, current, indent);
    return TRUE;
}

/* Section.calculate_column_widths; @max_width < 0: unscaled. */
static GArray *
column_widths(const Section *s, int padding, int max_width)
{
    GArray *w = g_array_new(FALSE, TRUE, sizeof(int));
    int sum = 0, off_by = 0;

    for (guint i = 0; i < s->max_widths->len; i++) {
        int v = g_array_index(s->max_widths, int, i) + padding;

        g_array_append_val(w, v);
        sum += v;
    }
    if (max_width < 0 || w->len == 0)
        return w;
    for (guint i = 0; i < w->len; i++) {
        /* Python's round(): half to even, which rint() does in the default mode. */
        int v = (int)rint((double)max_width / (double)sum * g_array_index(w, int, i));

        g_array_index(w, int, i) = v;
        off_by += v;
    }
    off_by -= max_width;
    while (off_by != 0) {
        for (guint n = 0; n < w->len && off_by != 0; n++) {
            guint i = off_by < 0 ? w->len - 1 - n : n;

            g_array_index(w, int, i) += off_by > 0 ? -1 : 1;
            off_by += off_by > 0 ? -1 : 1;
        }
    }
    return w;
}

/* Section.total_width(padding=4, with_border=True, outer_padding=indent) */
static int
total_width(const Section *s)
{
    g_autoptr(GArray) w = column_widths(s, 0, -1);
    int total = 2 + 2 * s->indent;

    for (guint i = 0; i < w->len; i++)
        total += g_array_index(w, int, i) + 4;
    return MAX(text_length(s->title ? s->title : "") + 2 + 2 * s->indent, total);
}

static void
spaces(GString *out, char c, int n)
{
    for (int i = 0; i < n; i++)
        g_string_append_c(out, c);
}

/* center_text */
static void
center_text(GString *out, const char *text, int length, const char *left, const char *right)
{
    int tl = text_length(text);
    int start = length / 2 - tl / 2 - 1;

    g_string_append(out, left);
    spaces(out, ' ', start);
    g_string_append(out, text);
    spaces(out, ' ', length - (int)strlen(right) - ((int)strlen(left) + start + tl));
    g_string_append(out, right);
}

/* align_left, left_padding 2 */
static void
align_left(GString *out, const char *text, int length, const char *left, const char *right)
{
    int tl = text_length(text);
    int pad = length - (tl + 2 + (int)strlen(left) + (int)strlen(right)) >= 0 ? 2 : 0;

    g_string_append(out, left);
    spaces(out, ' ', pad);
    g_string_append(out, text);
    spaces(out, ' ', length - ((int)strlen(left) + pad + tl) - (int)strlen(right));
    g_string_append(out, right);
}

/* IndentedStream.write of one line @line (without its newline). */
static void
emit(GString *out, const Section *s, const GString *line)
{
    spaces(out, '|', s->indent);
    g_string_append(out, line->str);
    spaces(out, '|', s->indent);
    g_string_append_c(out, '\n');
}

static void
line_break(GString *out, const Section *s, const GArray *w)
{
    g_autoptr(GString) line = g_string_new(NULL);

    for (guint i = 0; i < w->len; i++) {
        if (i == 0)
            g_string_append_c(line, '+');
        spaces(line, '-', g_array_index(w, int, i) - (i == 0 ? 2 : 1));
        g_string_append_c(line, '+');
    }
    emit(out, s, line);
}

/* MultiTable._render_section */
static void
render_section(GString *out, const Section *s, int max_width)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GArray) w = NULL;

    max_width -= s->indent * 2;
    if (s->title && *s->title) {
        center_text(line, s->title, max_width, "|", "|");
        emit(out, s, line);
        if (!s->headers->len && !s->rows->len) {
            g_string_assign(line, "+");
            spaces(line, '-', max_width - 2);
            g_string_append_c(line, '+');
            emit(out, s, line);
        }
    }
    w = column_widths(s, 4, max_width);
    if (s->headers->len) {
        g_string_truncate(line, 0);
        for (guint i = 0; i < w->len && i < s->headers->len; i++)
            center_text(line, s->headers->pdata[i], g_array_index(w, int, i), i ? "" : "|", "|");
        line_break(out, s, w);
        emit(out, s, line);
    }
    if (!s->rows->len || !w->len)
        return;
    line_break(out, s, w);
    for (guint r = 0; r < s->rows->len; r++) {
        GPtrArray *row = s->rows->pdata[r];

        g_string_truncate(line, 0);
        for (guint i = 0; i < w->len && i < row->len; i++)
            align_left(line, row->pdata[i], g_array_index(w, int, i), i ? "" : "|", "|");
        emit(out, s, line);
    }
    line_break(out, s, w);
}

/* convert_to_vertical_table: a one-row section with headers becomes header/value rows. */
static void
to_vertical(Table *t)
{
    for (guint i = 0; i < t->sections->len; i++) {
        Section *s = t->sections->pdata[i];
        GPtrArray *row0;

        if (s->rows->len != 1 || !s->headers->len)
            continue;
        row0 = s->rows->pdata[0];
        t->current = section_new(s->title, s->indent);
        for (guint c = 0; c < s->headers->len && c < row0->len; c++) {
            GPtrArray *row = new_row();

            g_ptr_array_add(row, g_strdup(s->headers->pdata[c]));
            g_ptr_array_add(row, g_strdup(row0->pdata[c]));
            add_row(t, row);
        }
        t->sections->pdata[i] = t->current;
        section_free(s);
    }
}

static int
max_total_width(const Table *t)
{
    int w = 0;

    for (guint i = 0; i < t->sections->len; i++)
        w = MAX(w, total_width(t->sections->pdata[i]));
    return w;
}

char *
ami_format_table(const char *title, const json_t *value, int terminal_width)
{
    Table t = {.sections = g_ptr_array_new_with_free_func(section_free)};
    GString *out = g_string_new(NULL);
    int max_width;

    if (build_table(&t, title, value, 0) && t.sections->len) {
        max_width = max_total_width(&t);
        if (max_width > terminal_width) {
            to_vertical(&t);
            max_width = max_total_width(&t);
        }
        spaces(out, '-', max_width);
        g_string_append_c(out, '\n');
        for (guint i = 0; i < t.sections->len; i++)
            render_section(out, t.sections->pdata[i], max_width);
    }
    g_ptr_array_unref(t.sections);
    return g_string_free(out, FALSE);
}

char *
ami_format_operation_name(const char *verb)
{
    g_auto(GStrv) words = g_strsplit(verb, "-", -1);
    GString *out = g_string_new(NULL);

    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        g_string_append_c(out, g_ascii_toupper(**w));
        g_string_append(out, *w + 1);
    }
    return g_string_free(out, FALSE);
}
