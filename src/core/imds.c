/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Serving the metadata tree (imds-tree.c): IMDSv2 session tokens, IMDSv1, versions,
 * listings and EC2's errors.  The rules, from the EC2 user guide
 * (instancedata-data-retrieval.md, configuring-instance-metadata-service.md):
 * - `PUT /latest/api/token` with X-aws-ec2-metadata-token-ttl-seconds 1-21600 gives a
 *   token; a bad or missing TTL is 400, a PUT with X-Forwarded-For is 403, and a PUT
 *   to a version-specific path ("/2021-03-23/api/token") is 403.
 * - GET and HEAD with X-aws-ec2-metadata-token: an unknown or expired token is 401.
 *   Without it: served when HttpTokens is optional (IMDSv1), 401 when required.
 * - HttpEndpoint disabled: "403 - Forbidden – … the instance metadata service is
 *   turned off", for every request.
 */
#include <string.h>

#include "imds-tree.h"

#define TOKEN_HEADER "X-aws-ec2-metadata-token"
#define TTL_HEADER "X-aws-ec2-metadata-token-ttl-seconds"
/* The response field as EC2 spells it. */
#define TTL_RESPONSE_HEADER "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"

static const char *const http_tokens_table[AMI_IMDS_TOKENS_LAST + 1] = {
    [AMI_IMDS_TOKENS_OPTIONAL] = "optional", [AMI_IMDS_TOKENS_REQUIRED] = "required"};
static const char *const switch_table[AMI_IMDS_SWITCH_LAST + 1] = {
    [AMI_IMDS_DISABLED] = "disabled", [AMI_IMDS_ENABLED] = "enabled"};

static gboolean
table_lookup(const char *const *table, unsigned n, const char *s, unsigned *ret)
{
    for (unsigned i = 0; s && i < n; i++) {
        if (strcmp(s, table[i]) == 0) {
            *ret = i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ami_imds_http_tokens_to_string(AmiImdsHttpTokens v)
{
    return (unsigned)v < AMI_IMDS_TOKENS_LAST ? http_tokens_table[v] : NULL;
}

gboolean
ami_imds_http_tokens_from_string(const char *s, AmiImdsHttpTokens *ret)
{
    unsigned i;

    if (!table_lookup(http_tokens_table, AMI_IMDS_TOKENS_LAST, s, &i))
        return FALSE;
    *ret = (AmiImdsHttpTokens)i;
    return TRUE;
}

const char *
ami_imds_switch_to_string(AmiImdsSwitch v)
{
    return (unsigned)v < AMI_IMDS_SWITCH_LAST ? switch_table[v] : NULL;
}

gboolean
ami_imds_switch_from_string(const char *s, AmiImdsSwitch *ret)
{
    unsigned i;

    if (!table_lookup(switch_table, AMI_IMDS_SWITCH_LAST, s, &i))
        return FALSE;
    *ret = (AmiImdsSwitch)i;
    return TRUE;
}

/* ---- tokens ---------------------------------------------------------------------- */

struct AmiImdsTokens {
    GHashTable *live; /* token -> gint64 expiry (Unix seconds), both owned */
    guint64 issued;   /* how many were ever issued: the HMAC input of the next */
};

AmiImdsTokens *
ami_imds_tokens_new(void)
{
    AmiImdsTokens *t = g_new0(AmiImdsTokens, 1);

    t->live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return t;
}

void
ami_imds_tokens_free(AmiImdsTokens *tokens)
{
    if (!tokens)
        return;
    g_hash_table_unref(tokens->live);
    g_free(tokens);
}

static gboolean
is_expired(gpointer key, gpointer value, gpointer now)
{
    (void)key;
    return *(gint64 *)value <= *(gint64 *)now;
}

guint
ami_imds_tokens_count(AmiImdsTokens *tokens, gint64 now_s)
{
    g_hash_table_foreach_remove(tokens->live, is_expired, &now_s);
    return g_hash_table_size(tokens->live);
}

/* At the limit, forget the token nearest to its expiry (EC2 sets no limit we can copy). */
static void
tokens_make_room(AmiImdsTokens *tokens, gint64 now_s)
{
    GHashTableIter it;
    gpointer key, value, oldest = NULL;
    gint64 oldest_expiry = G_MAXINT64;

    if (ami_imds_tokens_count(tokens, now_s) < AMI_IMDS_TOKENS_MAX)
        return;
    g_hash_table_iter_init(&it, tokens->live);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (*(gint64 *)value < oldest_expiry) {
            oldest_expiry = *(gint64 *)value;
            oldest = key;
        }
    }
    g_hash_table_remove(tokens->live, oldest);
}

/*
 * A new token: base64 of HMAC-SHA256(secret, issue counter).  Unguessable without the
 * secret, and the same secret and history give the same tokens (golden tests).
 */
static char *
tokens_issue(AmiImdsTokens *tokens, GBytes *secret, gint64 now_s, gint64 ttl)
{
    gsize key_len, digest_len = 32;
    const guint8 *key = g_bytes_get_data(secret, &key_len);
    g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
    guint64 counter;
    guint8 digest[32];
    char *token;

    /* Separate: GUINT64_TO_BE() may evaluate its argument more than once. */
    tokens->issued++;
    counter = GUINT64_TO_BE(tokens->issued);
    g_hmac_update(hmac, (const guint8 *)"ami-run imds token", 18);
    g_hmac_update(hmac, (const guint8 *)&counter, sizeof counter);
    g_hmac_get_digest(hmac, digest, &digest_len);
    token = g_base64_encode(digest, digest_len);
    tokens_make_room(tokens, now_s);
    g_hash_table_replace(tokens->live, g_strdup(token), g_memdup2(&(gint64){now_s + ttl},
                                                                  sizeof(gint64)));
    return token;
}

/* A live token's remaining seconds, or 0 when it is unknown or expired. */
static gint64
tokens_check(AmiImdsTokens *tokens, const char *token, gint64 now_s)
{
    const gint64 *expiry = g_hash_table_lookup(tokens->live, token);

    return expiry && *expiry > now_s ? *expiry - now_s : 0;
}

/* ---- responses ------------------------------------------------------------------- */

/* IMF-fixdate (RFC 9110 §5.6.7), without the locale g_date_time_format() would use. */
static char *
http_date(gint64 now_s)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* GDateTime holds years 1-9999: clamp what a caller's clock could send. */
    g_autoptr(GDateTime) t =
        g_date_time_new_from_unix_utc(CLAMP(now_s, 0, G_GINT64_CONSTANT(253402300799)));

    return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT",
                           days[g_date_time_get_day_of_week(t) - 1],
                           g_date_time_get_day_of_month(t),
                           months[g_date_time_get_month(t) - 1], g_date_time_get_year(t),
                           g_date_time_get_hour(t), g_date_time_get_minute(t),
                           g_date_time_get_second(t));
}

static AmiHttpResponse *
response_new(guint status, const char *content_type, GBytes *body, gint64 now_s)
{
    AmiHttpResponse *r = ami_http_response_new(status);
    g_autofree char *date = http_date(now_s);

    ami_http_response_add_header(r, "Content-Type", content_type);
    ami_http_response_set_body(r, body);
    ami_http_response_add_header(r, "Date", date);
    ami_http_response_add_header(r, "Server", "EC2ws");
    return r;
}

static AmiHttpResponse *
text_response(const char *text, gint64 now_s)
{
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));

    return response_new(200, "text/plain", body, now_s);
}

/*
 * EC2's error page: an XHTML document titled "<status> - <reason>" (its 404 reads
 * "404 - Not Found"), served as text/html.
 */
static AmiHttpResponse *
error_response(guint status, gint64 now_s)
{
    const char *reason = ami_http_status_reason(status);
    g_autofree char *page = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
        "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
        "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
        " <head>\n  <title>%u - %s</title>\n </head>\n"
        " <body>\n  <h1>%u - %s</h1>\n </body>\n</html>\n",
        status, reason, status, reason);
    gsize len = strlen(page);
    g_autoptr(GBytes) body = g_bytes_new_take(g_steal_pointer(&page), len);

    return response_new(status, "text/html", body, now_s);
}

AmiHttpResponse *
ami_imds_error_response(guint status, gint64 now_s)
{
    AmiHttpResponse *r = error_response(status, now_s);

    r->keep_alive = FALSE;
    return r;
}

/* ---- the tree -------------------------------------------------------------------- */

/* The versions "/" lists (instancedata-data-retrieval.md); cloud-init asks 2009-04-04,
 * 2016-09-02, 2018-09-24 and 2021-03-23.  Every version serves the same tree. */
static const char *const versions[] = {
    "1.0",        "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15",
    "2008-02-01", "2008-09-01", "2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12",
    "2014-02-25", "2014-11-05", "2015-10-20", "2016-04-19", "2016-06-30", "2016-09-02",
    "2018-03-28", "2018-08-17", "2018-09-24", "2019-10-01", "2020-10-27", "2021-01-03",
    "2021-03-23", "latest",     NULL};

/* Newline-separated, subdirectories with a trailing '/', no newline after the last. */
static char *
listing(const ImdsNode *dir)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (guint i = 0; i < dir->children->len; i++) {
        const ImdsNode *c = dir->children->pdata[i];

        if (i)
            g_string_append_c(out, '\n');
        if (c->label)
            g_string_append(out, c->label);
        else
            g_string_append_printf(out, "%s%s", c->name, c->children ? "/" : "");
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/*
 * Walk @rest ("meta-data/placement/region", maybe with a trailing '/') from @root.
 * A directory, with or without its slash, is its listing (as EC2).  A leaf with a
 * trailing slash is still the leaf: EC2 serves "placement/region/" (fluent-bit's
 * flb_aws_imds.h asks for exactly that).  An empty segment inside is 404.
 */
static const ImdsNode *
walk(const ImdsNode *root, const char *rest)
{
    g_auto(GStrv) segs = g_strsplit(rest, "/", -1);
    const ImdsNode *n = root;

    for (guint i = 0; segs[i]; i++) {
        if (!*segs[i]) {
            if (segs[i + 1])
                return NULL;
            break;
        }
        if (!n->children || !(n = imds_node_child(n, segs[i])))
            return NULL;
    }
    return n;
}

static AmiHttpResponse *
serve_path(const AmiImdsContext *ctx, const char *path, gint64 now_s)
{
    const char *rest, *slash;
    g_autofree char *version = NULL;
    const ImdsNode *n;

    if (strcmp(path, "/") == 0) {
        g_autofree char *list = g_strjoinv("\n", (char **)versions);

        return text_response(list, now_s);
    }
    slash = strchr(path + 1, '/');
    version = slash ? g_strndup(path + 1, (gsize)(slash - path - 1)) : g_strdup(path + 1);
    rest = slash ? slash + 1 : "";
    if (!g_strv_contains(versions, version))
        return error_response(404, now_s);
    if (strcmp(version, "latest") == 0 && strcmp(rest, "api/token") == 0) {
        /* The token is PUT only (RFC 9110 §15.5.6: 405 says what is allowed). */
        AmiHttpResponse *r = error_response(405, now_s);

        ami_http_response_add_header(r, "Allow", "PUT");
        return r;
    }
    n = walk(ctx->root, rest);
    if (!n)
        return error_response(404, now_s);
    if (n->children) {
        g_autofree char *list = listing(n);

        return text_response(list, now_s);
    }
    return response_new(200, n->content_type, n->value, now_s);
}

/* PUT /latest/api/token: a session token for 1-21600 s, sent with the hop limit as TTL. */
static AmiHttpResponse *
put_token(const AmiImdsContext *ctx, const AmiHttpRequest *req, gint64 now_s,
          AmiImdsTokens *tokens)
{
    const char *ttl = ami_http_request_header(req, TTL_HEADER);
    g_autofree char *token = NULL;
    g_autofree char *ttl_text = NULL;
    AmiHttpResponse *r;
    gint64 seconds;

    if (strcmp(req->path, "/latest/api/token") != 0 ||
        ami_http_request_header(req, "X-Forwarded-For"))
        return error_response(403, now_s);
    if (!ttl || ami_http_request_header_count(req, TTL_HEADER) != 1 || !*ttl ||
        strlen(ttl) > 5 || strspn(ttl, "0123456789") != strlen(ttl))
        return error_response(400, now_s);
    seconds = g_ascii_strtoll(ttl, NULL, 10);
    if (seconds < AMI_IMDS_TOKEN_TTL_MIN || seconds > AMI_IMDS_TOKEN_TTL_MAX)
        return error_response(400, now_s);
    token = tokens_issue(tokens, ctx->secret, now_s, seconds);
    r = text_response(token, now_s);
    ttl_text = g_strdup_printf("%" G_GINT64_FORMAT, seconds);
    ami_http_response_add_header(r, TTL_RESPONSE_HEADER, ttl_text);
    r->ip_ttl = ctx->hop_limit;
    return r;
}

/* GET or HEAD: the token when one is sent or required, then the tree. */
static AmiHttpResponse *
get(const AmiImdsContext *ctx, const AmiHttpRequest *req, gint64 now_s, AmiImdsTokens *tokens)
{
    const char *token = ami_http_request_header(req, TOKEN_HEADER);
    gint64 remaining = 0;
    AmiHttpResponse *r;

    if (token || ctx->http_tokens == AMI_IMDS_TOKENS_REQUIRED) {
        remaining = token ? tokens_check(tokens, token, now_s) : 0;
        if (remaining == 0 || ami_http_request_header_count(req, TOKEN_HEADER) != 1)
            return error_response(401, now_s);
    }
    r = serve_path(ctx, req->path, now_s);
    if (token && r->status == 200) {
        g_autofree char *left = g_strdup_printf("%" G_GINT64_FORMAT, remaining);

        ami_http_response_add_header(r, TTL_RESPONSE_HEADER, left);
    }
    return r;
}

AmiHttpResponse *
ami_imds_respond(const AmiImdsContext *ctx, const AmiHttpRequest *req, gint64 now_s,
                 AmiImdsTokens *tokens)
{
    AmiHttpResponse *r = NULL;

    if (ctx->http_endpoint == AMI_IMDS_DISABLED) {
        r = error_response(403, now_s);
    } else {
        switch (req->method) {
        case AMI_HTTP_PUT:
            r = put_token(ctx, req, now_s, tokens);
            break;
        case AMI_HTTP_GET:
        case AMI_HTTP_HEAD:
            r = get(ctx, req, now_s, tokens);
            break;
        case AMI_HTTP_METHOD_LAST:
            r = error_response(501, now_s);
            break;
        }
    }
    r->keep_alive = req->keep_alive;
    r->head = req->method == AMI_HTTP_HEAD;
    return r;
}
