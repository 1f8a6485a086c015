/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An incremental HTTP/1.x request parser and response serialiser (RFC 9110, RFC 9112),
 * bounded and strict where leniency has been a smuggling vector: no NUL, no bare CR,
 * no obs-fold, no whitespace before the colon, one Content-Length, no
 * Transfer-Encoding.  Bare LF is accepted as a line end, as most servers do (RFC 9112
 * §2.2 allows it).
 */
#include <string.h>

#include "ami-run/http-request.h"

G_DEFINE_QUARK(ami-run-http-error-quark, ami_http_error)

typedef enum {
    PARSER_HEAD,
    PARSER_BODY,
    PARSER_FAILED,
} ParserState;

struct AmiHttpParser {
    ParserState state;
    GByteArray *head;     /* the head so far, leading empty lines skipped */
    gsize skipped;        /* leading CR/LF bytes skipped (they count toward the limit) */
    AmiHttpRequest *req;  /* PARSER_BODY: the parsed head */
    GByteArray *body;     /* PARSER_BODY: the body so far */
    gsize body_len;       /* PARSER_BODY: Content-Length */
    GError *failure;      /* PARSER_FAILED: repeated on every later feed */
};

static const char *const method_table[AMI_HTTP_METHOD_LAST + 1] = {
    [AMI_HTTP_GET] = "GET", [AMI_HTTP_HEAD] = "HEAD", [AMI_HTTP_PUT] = "PUT"};

const char *
ami_http_method_to_string(AmiHttpMethod v)
{
    return (unsigned)v < AMI_HTTP_METHOD_LAST ? method_table[v] : NULL;
}

gboolean
ami_http_method_from_string(const char *s, AmiHttpMethod *ret)
{
    for (unsigned i = 0; s && i < AMI_HTTP_METHOD_LAST; i++) {
        if (strcmp(s, method_table[i]) == 0) {
            *ret = (AmiHttpMethod)i;
            return TRUE;
        }
    }
    return FALSE;
}

static void
header_free(gpointer data)
{
    AmiHttpHeader *h = data;

    g_free(h->name);
    g_free(h->value);
    g_free(h);
}

static AmiHttpHeader *
header_new(const char *name, gsize name_len, const char *value, gsize value_len)
{
    AmiHttpHeader *h = g_new0(AmiHttpHeader, 1);

    h->name = g_strndup(name, name_len);
    h->value = g_strndup(value, value_len);
    return h;
}

void
ami_http_request_free(AmiHttpRequest *req)
{
    if (!req)
        return;
    g_free(req->target);
    g_free(req->path);
    g_free(req->query);
    if (req->headers)
        g_ptr_array_unref(req->headers);
    if (req->body)
        g_bytes_unref(req->body);
    g_free(req);
}

static const char *
headers_find(const GPtrArray *headers, const char *name, guint *ret_count)
{
    const char *first = NULL;
    guint count = 0;

    for (guint i = 0; headers && i < headers->len; i++) {
        const AmiHttpHeader *h = headers->pdata[i];

        if (g_ascii_strcasecmp(h->name, name) == 0) {
            if (!first)
                first = h->value;
            count++;
        }
    }
    if (ret_count)
        *ret_count = count;
    return first;
}

const char *
ami_http_request_header(const AmiHttpRequest *req, const char *name)
{
    return headers_find(req->headers, name, NULL);
}

guint
ami_http_request_header_count(const AmiHttpRequest *req, const char *name)
{
    guint count;

    headers_find(req->headers, name, &count);
    return count;
}

AmiHttpParser *
ami_http_parser_new(void)
{
    AmiHttpParser *p = g_new0(AmiHttpParser, 1);

    p->head = g_byte_array_new();
    return p;
}

void
ami_http_parser_free(AmiHttpParser *parser)
{
    if (!parser)
        return;
    g_byte_array_unref(parser->head);
    if (parser->body)
        g_byte_array_unref(parser->body);
    ami_http_request_free(parser->req);
    g_clear_error(&parser->failure);
    g_free(parser);
}

/* RFC 9110 §5.6.2 tchar. */
static gboolean
is_tchar(char c)
{
    return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static gboolean
is_token(const char *s, gsize len)
{
    if (len == 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!is_tchar(s[i]))
            return FALSE;
    }
    return TRUE;
}

static gboolean
fail(GError **error, AmiHttpErrorCode code, const char *what)
{
    g_set_error(error, AMI_HTTP_ERROR, code, "%s", what);
    return FALSE;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); another major version is 505. */
static gboolean
parse_version(const char *s, guint *ret, GError **error)
{
    if (strlen(s) != 8 || strncmp(s, "HTTP/", 5) != 0 || !g_ascii_isdigit(s[5]) ||
        s[6] != '.' || !g_ascii_isdigit(s[7]))
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "malformed HTTP version");
    if (s[5] != '1')
        return fail(error, AMI_HTTP_ERROR_VERSION_NOT_SUPPORTED, "only HTTP/1.x is supported");
    /* RFC 9110 §6.2: a higher minor version is answered as the highest we speak. */
    *ret = s[7] == '0' ? 10 : 11;
    return TRUE;
}

/* origin-form, or absolute-form "http://authority/path" (RFC 9112 §3.2.2). */
static gboolean
parse_target(AmiHttpRequest *req, GError **error)
{
    const char *t = req->target, *path, *q;

    for (const char *c = t; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "invalid byte in the request target");
    }
    if (t[0] == '/') {
        path = t;
    } else if (g_ascii_strncasecmp(t, "http://", 7) == 0) {
        path = t + 7 + strcspn(t + 7, "/?");
    } else {
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "the request target is not a path");
    }
    q = strchr(path, '?');
    if (q) {
        req->path = *path == '?' ? g_strdup("/") : g_strndup(path, (gsize)(q - path));
        req->query = g_strdup(q + 1);
    } else {
        req->path = g_strdup(*path ? path : "/");
    }
    return TRUE;
}

/* method SP request-target SP HTTP-version, single spaces (RFC 9112 §3). */
static gboolean
parse_request_line(AmiHttpRequest *req, const char *line, GError **error)
{
    const char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    g_autofree char *method = NULL;
    g_autofree char *version = NULL;

    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp2 == sp1 + 1)
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "malformed request line");
    method = g_strndup(line, (gsize)(sp1 - line));
    if (!is_token(method, strlen(method)))
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "malformed method");
    version = g_strdup(sp2 + 1);
    if (!parse_version(version, &req->version, error))
        return FALSE;
    /* RFC 9110 §9.1: an unrecognised or unimplemented method is 501. */
    if (!ami_http_method_from_string(method, &req->method))
        return fail(error, AMI_HTTP_ERROR_NOT_IMPLEMENTED, "method not implemented");
    req->target = g_strndup(sp1 + 1, (gsize)(sp2 - sp1 - 1));
    return parse_target(req, error);
}

/* field-name ":" OWS field-value OWS (RFC 9112 §5); obs-fold is rejected (§5.2). */
static gboolean
parse_header_line(AmiHttpRequest *req, const char *line, GError **error)
{
    const char *colon = strchr(line, ':'), *v, *end;

    if (line[0] == ' ' || line[0] == '\t')
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "obsolete line folding");
    if (!colon || !is_token(line, (gsize)(colon - line)))
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "malformed header field");
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
        ;
    for (const char *c = v; c < end; c++) {
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
            return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "control character in a field value");
    }
    if (req->headers->len >= AMI_HTTP_HEADERS_MAX)
        return fail(error, AMI_HTTP_ERROR_HEADERS_TOO_LARGE, "too many header fields");
    g_ptr_array_add(req->headers, header_new(line, (gsize)(colon - line), v, (gsize)(end - v)));
    return TRUE;
}

static gboolean
connection_has(const AmiHttpRequest *req, const char *option)
{
    for (guint i = 0; i < req->headers->len; i++) {
        const AmiHttpHeader *h = req->headers->pdata[i];
        g_auto(GStrv) opts = NULL;

        if (g_ascii_strcasecmp(h->name, "Connection") != 0)
            continue;
        opts = g_strsplit(h->value, ",", -1);
        for (char **o = opts; *o; o++) {
            if (g_ascii_strcasecmp(g_strstrip(*o), option) == 0)
                return TRUE;
        }
    }
    return FALSE;
}

/* Message framing (RFC 9112 §6): Content-Length only, exactly once. */
static gboolean
parse_framing(const AmiHttpRequest *req, gsize *ret_len, GError **error)
{
    guint n_te, n_cl, n_host;
    const char *te = headers_find(req->headers, "Transfer-Encoding", &n_te);
    const char *cl = headers_find(req->headers, "Content-Length", &n_cl);
    guint64 len = 0;

    headers_find(req->headers, "Host", &n_host);
    /* RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; more than one is always 400. */
    if (n_host > 1 || (req->version == 11 && n_host == 0))
        return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "missing or repeated Host");
    if (te) {
        /* §6.1: both at once is a smuggling attempt; HTTP/1.0 has no transfer codings. */
        if (cl || req->version == 10)
            return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "Transfer-Encoding not allowed here");
        if (n_te == 1 && g_ascii_strcasecmp(te, "chunked") == 0)
            return fail(error, AMI_HTTP_ERROR_LENGTH_REQUIRED, "chunked bodies are not accepted");
        return fail(error, AMI_HTTP_ERROR_NOT_IMPLEMENTED, "transfer coding not implemented");
    }
    if (cl) {
        if (n_cl > 1 || !*cl || strlen(cl) > 10 || strspn(cl, "0123456789") != strlen(cl))
            return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "invalid Content-Length");
        len = g_ascii_strtoull(cl, NULL, 10);
        if (len > AMI_HTTP_BODY_MAX)
            return fail(error, AMI_HTTP_ERROR_CONTENT_TOO_LARGE, "request body too large");
    }
    *ret_len = (gsize)len;
    return TRUE;
}

/* The head without its final empty line; lines end in LF, optionally after CR. */
static AmiHttpRequest *
parse_head(const char *head, gsize len, gsize *ret_body_len, GError **error)
{
    g_autoptr(AmiHttpRequest) req = g_new0(AmiHttpRequest, 1);
    g_autofree char *text = g_strndup(head, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    req->headers = g_ptr_array_new_with_free_func(header_free);
    for (guint i = 0; lines[i]; i++) {
        char *line = lines[i];
        gsize n = strlen(line);

        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (strchr(line, '\r')) {
            fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "bare CR in the head");
            return NULL;
        }
        if (n == 0)
            break; /* the empty line that ends the head */
        if (i == 0 ? !parse_request_line(req, line, error) : !parse_header_line(req, line, error))
            return NULL;
    }
    if (!parse_framing(req, ret_body_len, error))
        return NULL;
    req->keep_alive = req->version == 11 ? !connection_has(req, "close")
                                         : connection_has(req, "keep-alive");
    return g_steal_pointer(&req);
}

static AmiHttpParseResult
parser_fail(AmiHttpParser *p, GError *e, GError **error)
{
    p->state = PARSER_FAILED;
    p->failure = g_error_copy(e);
    g_propagate_error(error, e);
    return AMI_HTTP_PARSE_ERROR;
}

/* The request is complete: hand it out and start over for the next one. */
static AmiHttpParseResult
parser_done(AmiHttpParser *p, AmiHttpRequest **ret_request)
{
    p->req->body = p->body ? g_byte_array_free_to_bytes(g_steal_pointer(&p->body))
                           : g_bytes_new(NULL, 0);
    *ret_request = g_steal_pointer(&p->req);
    g_byte_array_set_size(p->head, 0);
    p->skipped = 0;
    p->body_len = 0;
    p->state = PARSER_HEAD;
    return AMI_HTTP_PARSE_DONE;
}

/* Did the byte just appended end the head (an empty line)? */
static gboolean
head_complete(const GByteArray *h)
{
    const guint8 *d = h->data;
    guint n = h->len;

    return n >= 2 && d[n - 1] == '\n' &&
           (d[n - 2] == '\n' || (n >= 3 && d[n - 2] == '\r' && d[n - 3] == '\n'));
}

/* Take head bytes from @data; *ret_used is how many.  TRUE when the head is complete. */
static gboolean
feed_head(AmiHttpParser *p, const guint8 *data, gsize len, gsize *ret_used, GError **error)
{
    for (gsize i = 0; i < len; i++) {
        guint8 b = data[i];

        *ret_used = i + 1;
        if (b == '\0')
            return fail(error, AMI_HTTP_ERROR_BAD_REQUEST, "NUL byte in the head");
        if (p->head->len + p->skipped >= AMI_HTTP_HEAD_MAX)
            return fail(error, AMI_HTTP_ERROR_HEADERS_TOO_LARGE, "request head too large");
        /* RFC 9112 §2.2: empty lines before the request line are ignored. */
        if (p->head->len == 0 && (b == '\r' || b == '\n')) {
            p->skipped++;
            continue;
        }
        g_byte_array_append(p->head, &b, 1);
        if (b == '\n' && head_complete(p->head))
            return TRUE;
    }
    return FALSE;
}

AmiHttpParseResult
ami_http_parser_feed(AmiHttpParser *parser, const void *data, gsize len, gsize *ret_consumed,
                     AmiHttpRequest **ret_request, GError **error)
{
    const guint8 *d = data;
    gsize used = 0, take;
    GError *e = NULL;

    *ret_consumed = 0;
    if (parser->state == PARSER_FAILED) {
        g_propagate_error(error, g_error_copy(parser->failure));
        return AMI_HTTP_PARSE_ERROR;
    }
    if (parser->state == PARSER_HEAD) {
        gboolean complete = feed_head(parser, d, len, &used, &e);

        *ret_consumed = used;
        if (e)
            return parser_fail(parser, e, error);
        if (!complete)
            return AMI_HTTP_PARSE_NEED_MORE;
        parser->req = parse_head((const char *)parser->head->data, parser->head->len,
                                 &parser->body_len, &e);
        if (!parser->req)
            return parser_fail(parser, e, error);
        parser->state = PARSER_BODY;
        parser->body = g_byte_array_sized_new((guint)parser->body_len);
    }
    take = MIN(len - used, parser->body_len - parser->body->len);
    g_byte_array_append(parser->body, d + used, (guint)take);
    *ret_consumed = used + take;
    if (parser->body->len < parser->body_len)
        return AMI_HTTP_PARSE_NEED_MORE;
    return parser_done(parser, ret_request);
}

const char *
ami_http_status_reason(guint status)
{
    static const struct {
        guint status;
        const char *reason;
    } reasons[] = {
        {200, "OK"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {505, "HTTP Version Not Supported"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++) {
        if (reasons[i].status == status)
            return reasons[i].reason;
    }
    return "Unknown";
}

AmiHttpResponse *
ami_http_response_new(guint status)
{
    AmiHttpResponse *r = g_new0(AmiHttpResponse, 1);

    r->status = status;
    r->headers = g_ptr_array_new_with_free_func(header_free);
    r->body = g_bytes_new(NULL, 0);
    r->keep_alive = TRUE;
    return r;
}

void
ami_http_response_free(AmiHttpResponse *resp)
{
    if (!resp)
        return;
    g_ptr_array_unref(resp->headers);
    g_bytes_unref(resp->body);
    g_free(resp);
}

void
ami_http_response_add_header(AmiHttpResponse *resp, const char *name, const char *value)
{
    g_ptr_array_add(resp->headers, header_new(name, strlen(name), value, strlen(value)));
}

const char *
ami_http_response_header(const AmiHttpResponse *resp, const char *name)
{
    return headers_find(resp->headers, name, NULL);
}

void
ami_http_response_set_body(AmiHttpResponse *resp, GBytes *body)
{
    g_bytes_unref(resp->body);
    resp->body = body ? g_bytes_ref(body) : g_bytes_new(NULL, 0);
}

GBytes *
ami_http_response_serialize(const AmiHttpResponse *resp)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GString) head = g_string_new(NULL);
    gsize body_len = g_bytes_get_size(resp->body);

    g_string_append_printf(head, "HTTP/1.1 %u %s\r\n", resp->status,
                           ami_http_status_reason(resp->status));
    for (guint i = 0; i < resp->headers->len; i++) {
        const AmiHttpHeader *h = resp->headers->pdata[i];

        g_string_append_printf(head, "%s: %s\r\n", h->name, h->value);
    }
    g_string_append_printf(head, "Content-Length: %" G_GSIZE_FORMAT "\r\n", body_len);
    g_string_append_printf(head, "Connection: %s\r\n\r\n",
                           resp->keep_alive ? "keep-alive" : "close");
    g_byte_array_append(out, (const guint8 *)head->str, (guint)head->len);
    if (!resp->head && body_len)
        g_byte_array_append(out, g_bytes_get_data(resp->body, NULL), (guint)body_len);
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
