/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS CLI shorthand grammar, a port of awscli/shorthand.py's ShorthandParser
 * (aws-cli v2), method for method, on code points as Python indexes its str:
 *
 *   parameter     = keyval *("," keyval)
 *   keyval        = key "=" [values]
 *   values        = csv-list / explicit-list / hash-literal
 *   explicit-list = "[" [value *("," value)] "]"
 *   hash-literal  = "{" key "=" value *("," key "=" value) "}"
 *
 * including its quirks: a csv list backtracks to the last comma when the next item
 * turns out to be a key (`a=b,c,d=e` is {"a":["b","c"],"d":"e"}), quoted values match
 * greedily up to the last quote they can reach, and a duplicate key inside {} keeps the
 * last value.  Errors carry the column of the offending character.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/shorthand.h"

typedef struct {
    const gunichar *s;
    glong len;
    glong i;
    GError *error; /* the first error; parsing stops at it */
} Parser;

#define AT_EOF(p) ((p)->i >= (p)->len)
#define CUR(p) (AT_EOF(p) ? (gunichar)-1 : (p)->s[(p)->i])

/* string.whitespace */
static gboolean
is_ws(gunichar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == 0x0c;
}

/* Python's str.isspace(), for rstrip(). */
static gboolean
is_py_space(gunichar c)
{
    return is_ws(c) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || g_unichar_isspace(c) ||
           g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR;
}

/* \s in a Python str regex, below 0x80 (the classes hold everything above anyway). */
static gboolean
is_re_space(gunichar c)
{
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

/* _START_WORD: !, #-&, (-+, --<, >-Z, \-z, |-\uffff */
static gboolean
is_start(gunichar c)
{
    return c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '<') || (c >= '>' && c <= 'Z') || (c >= '\\' && c <= 'z') ||
           (c >= '|' && c <= 0xffff);
}

/* _FIRST_FOLLOW_CHARS: \s, !, #-&, (-+, --\, ^-|, ~-\uffff */
static gboolean
is_first_follow(gunichar c)
{
    return is_re_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '\\') || (c >= '^' && c <= '|') || (c >= '~' && c <= 0xffff);
}

/* _SECOND_FOLLOW_CHARS: \s, !, #-&, (-+, --<, >-\uffff */
static gboolean
is_second_follow(gunichar c)
{
    return is_re_space(c) || c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
           (c >= '-' && c <= '<') || (c >= '>' && c <= 0xffff);
}

static void
syntax_error(Parser *p, const char *expected, const char *actual, glong at)
{
    if (!p->error)
        p->error = g_error_new(AMI_ERROR, AMI_ERROR_INVALID,
                               "expected %s, received %s at column %ld", expected, actual,
                               at + 1);
}

static char *
substr(const Parser *p, glong from, glong to)
{
    return g_ucs4_to_utf8(p->s + from, to - from, NULL, NULL, NULL);
}

static void
consume_ws(Parser *p)
{
    while (!AT_EOF(p) && is_ws(CUR(p)))
        p->i++;
}

/* _expect: FALSE (and an error, unless @quiet) when the character is not @c. */
static gboolean
expect(Parser *p, gunichar c, gboolean ws, gboolean quiet)
{
    char want[8] = {0};
    char got[8] = {0};
    g_autofree char *expected = NULL;
    g_autofree char *actual = NULL;

    if (ws)
        consume_ws(p);
    if (!AT_EOF(p) && CUR(p) == c) {
        p->i++;
        if (ws)
            consume_ws(p);
        return TRUE;
    }
    if (quiet)
        return FALSE;
    g_unichar_to_utf8(c, want);
    expected = g_strdup_printf("'%s'", want);
    if (AT_EOF(p)) {
        actual = g_strdup("the end");
    } else {
        g_unichar_to_utf8(CUR(p), got);
        actual = g_strdup_printf("'%s'", got);
    }
    syntax_error(p, expected, actual, p->i);
    return FALSE;
}

/* _key: [A-Za-z0-9-_.#/:]*, possibly empty */
static char *
parse_key(Parser *p)
{
    glong start = p->i;

    while (!AT_EOF(p) && CUR(p) < 0x80 &&
           (g_ascii_isalnum((char)CUR(p)) || strchr("-_.#/:", (int)CUR(p))) && CUR(p) != 0)
        p->i++;
    return substr(p, start, p->i);
}

/* The unquoted value regexes: (\\,|[START])(\\,|[FOLLOW])*; NULL when nothing matches. */
static char *
match_word(Parser *p, gboolean (*follow)(gunichar))
{
    glong start = p->i;
    GString *v;
    gsize n;

    for (gboolean first = TRUE;; first = FALSE) {
        if (p->i + 1 < p->len && p->s[p->i] == '\\' && p->s[p->i + 1] == ',')
            p->i += 2;
        else if (!AT_EOF(p) && (first ? is_start(CUR(p)) : follow(CUR(p))))
            p->i++;
        else
            break;
    }
    if (p->i == start)
        return NULL;
    /* .replace('\\,', ',').rstrip() */
    v = g_string_new(NULL);
    for (glong k = start; k < p->i; k++) {
        if (p->s[k] == '\\' && k + 1 < p->i && p->s[k + 1] == ',')
            continue;
        g_string_append_unichar(v, p->s[k]);
    }
    n = v->len;
    while (n > 0) {
        const char *prev = g_utf8_find_prev_char(v->str, v->str + n);

        if (!prev || !is_py_space(g_utf8_get_char(prev)))
            break;
        n = (gsize)(prev - v->str);
    }
    g_string_truncate(v, n);
    return g_string_free(v, FALSE);
}

/*
 * _consume_quoted: the regex q(?:\\q|[^q])*q matches up to the last quote reachable
 * through escaped ones; then \q becomes q and \\ becomes \.
 */
static char *
parse_quoted(Parser *p, gunichar q)
{
    glong start = p->i, end = -1;
    g_autofree char *raw = NULL;
    g_autofree char *esc = NULL;
    char qs[2] = {(char)q, 0};
    char bq[3] = {'\\', (char)q, 0};
    g_auto(GStrv) parts = NULL;

    for (glong k = start + 1; k < p->len; k++) {
        if (p->s[k] != q)
            continue;
        end = k;
        if (k - 1 <= start || p->s[k - 1] != '\\')
            break;
    }
    if (end < 0) {
        syntax_error(p, q == '\'' ? "a single-quoted value" : "a double-quoted value",
                     "no closing quote", start);
        return NULL;
    }
    p->i = end + 1;
    raw = substr(p, start + 1, end);
    parts = g_strsplit(raw, bq, -1);
    esc = g_strjoinv(qs, parts);
    g_strfreev(g_steal_pointer(&parts));
    parts = g_strsplit(esc, "\\\\", -1);
    return g_strjoinv("\\", parts);
}

/* _first_value */
static char *
first_value(Parser *p)
{
    char *v;

    if (CUR(p) == '\'')
        return parse_quoted(p, '\'');
    if (CUR(p) == '"')
        return parse_quoted(p, '"');
    v = match_word(p, is_first_follow);
    return v ? v : g_strdup("");
}

/* _second_value; NULL with an error when nothing matches. */
static char *
second_value(Parser *p)
{
    char *v;

    if (CUR(p) == '\'')
        return parse_quoted(p, '\'');
    if (CUR(p) == '"')
        return parse_quoted(p, '"');
    v = match_word(p, is_second_follow);
    if (!v)
        syntax_error(p, "a value", AT_EOF(p) ? "the end" : "none", p->i);
    return v;
}

static json_t *explicit_values(Parser *p);

/* _csv_value */
static json_t *
csv_value(Parser *p)
{
    g_autofree char *first = first_value(p);
    g_autoptr(json_t) list = NULL;

    if (!first)
        return NULL;
    consume_ws(p);
    if (AT_EOF(p) || CUR(p) != ',')
        return json_string(first);
    expect(p, ',', TRUE, FALSE);
    list = json_array();
    json_array_append_new(list, json_string(first));
    for (;;) {
        g_autofree char *v = second_value(p);
        gboolean ok = v != NULL;

        if (ok) {
            consume_ws(p);
            if (AT_EOF(p)) {
                json_array_append_new(list, json_string(v));
                break;
            }
            if (expect(p, ',', TRUE, FALSE)) {
                json_array_append_new(list, json_string(v));
                continue;
            }
        }
        /* Not a value after all (`a=b,c=d`): back to the comma, unless at the end. */
        if (AT_EOF(p))
            return NULL;
        g_clear_error(&p->error);
        while (p->i >= 0 && p->s[p->i] != ',')
            p->i--;
        break;
    }
    if (json_array_size(list) == 1)
        return json_string(first);
    return g_steal_pointer(&list);
}

/* _explicit_list */
static json_t *
explicit_list(Parser *p)
{
    g_autoptr(json_t) list = json_array();

    if (!expect(p, '[', TRUE, FALSE))
        return NULL;
    while (CUR(p) != ']') {
        json_t *v = explicit_values(p);

        if (!v)
            return NULL;
        json_array_append_new(list, v);
        consume_ws(p);
        if (CUR(p) != ']') {
            if (!expect(p, ',', FALSE, FALSE))
                return NULL;
            consume_ws(p);
        }
    }
    if (!expect(p, ']', FALSE, FALSE))
        return NULL;
    return g_steal_pointer(&list);
}

/* key "@=" is the AWS CLI's file-reading form; we do not read files from shorthand. */
static gboolean
expect_equals(Parser *p)
{
    glong at;

    consume_ws(p);
    at = p->i;
    if (expect(p, '@', TRUE, TRUE)) {
        if (!p->error)
            p->error = g_error_new(AMI_ERROR, AMI_ERROR_INVALID,
                                   "'@=' (a value read from a file) is not supported, at "
                                   "column %ld",
                                   at + 1);
        return FALSE;
    }
    return expect(p, '=', TRUE, FALSE);
}

/* _hash_literal */
static json_t *
hash_literal(Parser *p)
{
    g_autoptr(json_t) obj = json_object();

    if (!expect(p, '{', TRUE, FALSE))
        return NULL;
    while (CUR(p) != '}') {
        g_autofree char *key = parse_key(p);
        json_t *v;

        if (!expect_equals(p) || !(v = explicit_values(p)))
            return NULL;
        consume_ws(p);
        if (CUR(p) != '}' && !expect(p, ',', FALSE, FALSE)) {
            json_decref(v);
            return NULL;
        }
        consume_ws(p);
        json_object_set_new(obj, key, v);
    }
    if (!expect(p, '}', FALSE, FALSE))
        return NULL;
    return g_steal_pointer(&obj);
}

/* _explicit_values */
static json_t *
explicit_values(Parser *p)
{
    g_autofree char *v = NULL;

    if (CUR(p) == '[')
        return explicit_list(p);
    if (CUR(p) == '{')
        return hash_literal(p);
    v = first_value(p);
    return v ? json_string(v) : NULL;
}

/* _values */
static json_t *
values(Parser *p)
{
    if (AT_EOF(p))
        return json_string("");
    if (CUR(p) == '[')
        return explicit_list(p);
    if (CUR(p) == '{')
        return hash_literal(p);
    return csv_value(p);
}

/* _keyval */
static gboolean
keyval(Parser *p, char **ret_key, json_t **ret_value)
{
    g_autofree char *key = parse_key(p);
    json_t *v;

    if (!expect_equals(p) || !(v = values(p)))
        return FALSE;
    *ret_key = g_steal_pointer(&key);
    *ret_value = v;
    return TRUE;
}

/* _parameter */
static json_t *
parameter(Parser *p)
{
    g_autoptr(json_t) params = json_object();
    glong last = 0;

    do {
        g_autofree char *key = NULL;
        json_t *v = NULL;

        if (json_object_size(params) > 0 && !expect(p, ',', TRUE, FALSE))
            return NULL;
        if (!keyval(p, &key, &v))
            return NULL;
        if (json_object_get(params, key)) {
            json_decref(v);
            p->error = g_error_new(AMI_ERROR, AMI_ERROR_INVALID,
                                   "second instance of key '%s' at column %ld (a ',' where "
                                   "a space was meant?)",
                                   key, last + 2);
            return NULL;
        }
        json_object_set_new(params, key, v);
        last = p->i;
    } while (p->i < p->len);
    return g_steal_pointer(&params);
}

json_t *
ami_shorthand_parse(const char *text, GError **error)
{
    const char *bad = NULL;
    g_autofree gunichar *s = NULL;
    Parser p = {0};
    json_t *result;

    if (!g_utf8_validate(text, -1, &bad)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "not UTF-8 at column %ld",
                    g_utf8_strlen(text, bad - text) + 1);
        return NULL;
    }
    s = g_utf8_to_ucs4_fast(text, -1, &p.len);
    p.s = s;
    result = parameter(&p);
    if (!result) {
        if (!p.error)
            p.error = g_error_new(AMI_ERROR, AMI_ERROR_INVALID, "invalid shorthand");
        g_propagate_error(error, p.error);
        return NULL;
    }
    g_clear_error(&p.error);
    return result;
}
