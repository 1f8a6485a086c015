/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The incremental HTTP/1.x request parser and the response serialiser. */
#include <string.h>

#include "ami-run/http-request.h"
#include "test-util.h"

/* Feed all of @text (@len bytes) at once; expect one complete request using it all. */
static AmiHttpRequest *
parse_one(const char *text, gsize len)
{
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    g_autoptr(GError) error = NULL;
    AmiHttpRequest *req = NULL;
    gsize used = 0;

    if (ami_http_parser_feed(p, text, len, &used, &req, &error) != AMI_HTTP_PARSE_DONE)
        fail_msg("not parsed: %s", error ? error->message : "needs more");
    assert_int_equal(used, len);
    return req;
}

/* Feed @text whole and byte by byte: the same error status either way. */
static guint
parse_status(const char *text, gsize len)
{
    guint status[2] = {0, 0};

    for (int bytewise = 0; bytewise < 2; bytewise++) {
        g_autoptr(AmiHttpParser) p = ami_http_parser_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiHttpRequest) req = NULL;
        AmiHttpParseResult r = AMI_HTTP_PARSE_NEED_MORE;
        gsize off = 0, used;

        while (off < len && r == AMI_HTTP_PARSE_NEED_MORE) {
            r = ami_http_parser_feed(p, text + off, bytewise ? 1 : len - off, &used, &req, &error);
            off += used;
        }
        if (r == AMI_HTTP_PARSE_ERROR) {
            assert_true(error->domain == AMI_HTTP_ERROR);
            status[bytewise] = (guint)error->code;
        } else {
            status[bytewise] = r == AMI_HTTP_PARSE_DONE ? 200 : 0;
        }
    }
    assert_int_equal(status[0], status[1]);
    return status[0];
}

#define S(text) parse_status(text, sizeof(text) - 1)

static void
test_http_get_fields_and_case_insensitive_lookup(void **state)
{
    static const char text[] = "GET /latest/meta-data/?x=1 HTTP/1.1\r\nHost: 169.254.169.254\r\n"
                               "X-aws-ec2-metadata-token:   abc  \r\nAccept: */*\r\n\r\n";
    g_autoptr(AmiHttpRequest) req = parse_one(text, sizeof(text) - 1);

    (void)state;
    assert_int_equal(req->method, AMI_HTTP_GET);
    assert_string_equal(req->target, "/latest/meta-data/?x=1");
    assert_string_equal(req->path, "/latest/meta-data/");
    assert_string_equal(req->query, "x=1");
    assert_int_equal(req->version, 11);
    assert_true(req->keep_alive);
    assert_int_equal(req->headers->len, 3);
    assert_string_equal(ami_http_request_header(req, "x-AWS-EC2-METADATA-TOKEN"), "abc");
    assert_int_equal(ami_http_request_header_count(req, "HOST"), 1);
    assert_null(ami_http_request_header(req, "X-Forwarded-For"));
    assert_int_equal(g_bytes_get_size(req->body), 0);
}

/* Byte by byte, the parser asks for more until the last byte and then has the request. */
static void
test_http_split_feed_byte_by_byte(void **state)
{
    static const char text[] = "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n"
                               "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\n";
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    g_autoptr(AmiHttpRequest) req = NULL;
    gsize used;

    (void)state;
    for (gsize i = 0; i + 1 < sizeof(text) - 1; i++) {
        assert_int_equal(ami_http_parser_feed(p, text + i, 1, &used, &req, NULL),
                         AMI_HTTP_PARSE_NEED_MORE);
        assert_int_equal(used, 1);
    }
    assert_int_equal(ami_http_parser_feed(p, text + sizeof(text) - 2, 1, &used, &req, NULL),
                     AMI_HTTP_PARSE_DONE);
    assert_int_equal(req->method, AMI_HTTP_PUT);
    assert_string_equal(ami_http_request_header(req, "x-aws-ec2-metadata-token-ttl-seconds"),
                        "21600");
}

/* Pipelined: the first request takes only its bytes; the rest parses as the next. */
static void
test_http_pipelined_requests_leave_the_rest(void **state)
{
    static const char first[] = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    static const char text[] = "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                               "GET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n";
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    const char *expect[] = {"/a", "/b", "/c"};
    gsize off = 0, used;

    (void)state;
    for (int i = 0; i < 3; i++) {
        g_autoptr(AmiHttpRequest) req = NULL;

        assert_int_equal(ami_http_parser_feed(p, text + off, sizeof(text) - 1 - off, &used, &req,
                                              NULL),
                         AMI_HTTP_PARSE_DONE);
        if (i == 0) {
            assert_int_equal(used, sizeof(first) - 1);
            assert_memory_equal(g_bytes_get_data(req->body, NULL), "hello", 5);
        }
        assert_string_equal(req->path, expect[i]);
        assert_int_equal(req->keep_alive, i == 0);
        off += used;
    }
    assert_int_equal(off, sizeof(text) - 1);
}

/* A body split across feeds, then the next request in the same feed as its tail. */
static void
test_http_body_across_feeds(void **state)
{
    static const char a[] = "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab";
    static const char b[] = "cdGET /y HTTP/1.1\r\nHost: x\r\n\r\n";
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    g_autoptr(AmiHttpRequest) req = NULL;
    g_autoptr(AmiHttpRequest) next = NULL;
    gsize used;

    (void)state;
    assert_int_equal(ami_http_parser_feed(p, a, sizeof(a) - 1, &used, &req, NULL),
                     AMI_HTTP_PARSE_NEED_MORE);
    assert_int_equal(used, sizeof(a) - 1);
    assert_int_equal(ami_http_parser_feed(p, b, sizeof(b) - 1, &used, &req, NULL),
                     AMI_HTTP_PARSE_DONE);
    assert_int_equal(used, 2);
    assert_memory_equal(g_bytes_get_data(req->body, NULL), "abcd", 4);
    assert_int_equal(ami_http_parser_feed(p, b + 2, sizeof(b) - 3, &used, &next, NULL),
                     AMI_HTTP_PARSE_DONE);
    assert_string_equal(next->path, "/y");
}

/* Bare LF ends lines, and empty lines before the request line are skipped. */
static void
test_http_bare_lf_and_leading_empty_lines(void **state)
{
    static const char text[] = "\r\n\nGET / HTTP/1.1\nHost: x\n\n";
    g_autoptr(AmiHttpRequest) req = parse_one(text, sizeof(text) - 1);

    (void)state;
    assert_string_equal(req->path, "/");
    assert_string_equal(ami_http_request_header(req, "host"), "x");
}

static void
test_http_absolute_form_and_versions(void **state)
{
    static const char abs[] = "GET http://169.254.169.254/latest?a HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char bare[] = "GET http://169.254.169.254 HTTP/1.0\r\n"
                               "Connection: keep-alive\r\n\r\n";
    static const char v12[] = "GET / HTTP/1.2\r\nHost: x\r\n\r\n";
    g_autoptr(AmiHttpRequest) a = parse_one(abs, sizeof(abs) - 1);
    g_autoptr(AmiHttpRequest) b = parse_one(bare, sizeof(bare) - 1);
    g_autoptr(AmiHttpRequest) c = parse_one(v12, sizeof(v12) - 1);

    (void)state;
    assert_string_equal(a->path, "/latest");
    assert_string_equal(a->query, "a");
    assert_string_equal(b->path, "/");
    assert_int_equal(b->version, 10);
    assert_true(b->keep_alive); /* HTTP/1.0 with keep-alive */
    assert_int_equal(c->version, 11);
}

/* Each malformed or oversized request maps to its status, whole or byte by byte. */
static void
test_http_errors_map_to_statuses(void **state)
{
    g_autofree char *long_head = NULL;
    g_autoptr(GString) many = g_string_new("GET / HTTP/1.1\r\nHost: x\r\n");

    (void)state;
    assert_int_equal(S("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"), 400);  /* NUL */
    assert_int_equal(S("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"), 400);  /* bare CR */
    assert_int_equal(S("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), 400); /* obs-fold */
    assert_int_equal(S("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);    /* space before ':' */
    assert_int_equal(S("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
    assert_int_equal(S("GET / HTTP/1.1\r\n\r\n"), 400);                /* no Host */
    assert_int_equal(S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    assert_int_equal(S("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n"), 400);
    assert_int_equal(S("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);    /* two spaces */
    assert_int_equal(S("GET /\r\n\r\n"), 400);                         /* HTTP/0.9 */
    assert_int_equal(S("GET / HTTP/1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(S("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(S("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    assert_int_equal(S("GET / HTTP/0.9\r\nHost: x\r\n\r\n"), 505);
    assert_int_equal(S("POST / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    /* methods are case-sensitive */
    assert_int_equal(S("get / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    assert_int_equal(S("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(S("GET latest HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(S("GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), 411);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Length: 1\r\n\r\n"), 400);
    assert_int_equal(S("PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                       "Content-Length: 1\r\n\r\nx"), 400);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 16385\r\n\r\n"), 413);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"), 400);
    assert_int_equal(S("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 16384\r\n\r\n"), 0);
    long_head = g_strdup_printf("GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n", AMI_HTTP_HEAD_MAX, 0);
    assert_int_equal(parse_status(long_head, strlen(long_head)), 431);
    for (int i = 0; i < AMI_HTTP_HEADERS_MAX; i++)
        g_string_append_printf(many, "X-%d: y\r\n", i);
    g_string_append(many, "\r\n");
    assert_int_equal(parse_status(many->str, many->len), 431);
}

/* Exactly AMI_HTTP_HEAD_MAX bytes of head are accepted, one more is not. */
static void
test_http_head_limit_is_exact(void **state)
{
#define FMT "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n"
    gsize overhead = strlen(FMT) - 2;
    g_autofree char *pad = g_strnfill(AMI_HTTP_HEAD_MAX - overhead, 'a');
    g_autofree char *pad1 = g_strnfill(AMI_HTTP_HEAD_MAX - overhead + 1, 'a');
    g_autofree char *fits = g_strdup_printf(FMT, pad);
    g_autofree char *over = g_strdup_printf(FMT, pad1);
#undef FMT

    (void)state;
    assert_int_equal(strlen(fits), AMI_HTTP_HEAD_MAX);
    assert_int_equal(parse_status(fits, strlen(fits)), 200);
    assert_int_equal(parse_status(over, strlen(over)), 431);
}

/* After an error the parser stays failed: the connection must close. */
static void
test_http_failed_parser_stays_failed(void **state)
{
    static const char bad[] = "GET / HTTP/3.0\r\n\r\n";
    static const char good[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    g_autoptr(AmiHttpRequest) req = NULL;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    gsize used;

    (void)state;
    assert_int_equal(ami_http_parser_feed(p, bad, sizeof(bad) - 1, &used, &req, &e1),
                     AMI_HTTP_PARSE_ERROR);
    assert_int_equal(e1->code, 505);
    assert_int_equal(ami_http_parser_feed(p, good, sizeof(good) - 1, &used, &req, &e2),
                     AMI_HTTP_PARSE_ERROR);
    assert_int_equal(e2->code, 505);
    assert_null(req);
}

static void
test_http_response_serialize_and_head(void **state)
{
    g_autoptr(AmiHttpResponse) r = ami_http_response_new(404);
    g_autoptr(GBytes) body = g_bytes_new("abc", 3);
    g_autoptr(GBytes) full = NULL;
    g_autoptr(GBytes) head = NULL;
    static const char want[] = "HTTP/1.1 404 Not Found\r\nServer: EC2ws\r\nContent-Length: 3\r\n"
                               "Connection: close\r\n\r\n";

    (void)state;
    ami_http_response_add_header(r, "Server", "EC2ws");
    ami_http_response_set_body(r, body);
    r->keep_alive = FALSE;
    full = ami_http_response_serialize(r);
    r->head = TRUE;
    head = ami_http_response_serialize(r);
    assert_int_equal(g_bytes_get_size(head), sizeof(want) - 1);
    assert_memory_equal(g_bytes_get_data(head, NULL), want, sizeof(want) - 1);
    assert_int_equal(g_bytes_get_size(full), sizeof(want) - 1 + 3);
    assert_string_equal(ami_http_response_header(r, "server"), "EC2ws");
    assert_string_equal(ami_http_status_reason(431), "Request Header Fields Too Large");
    assert_string_equal(ami_http_status_reason(299), "Unknown");
}

/* The method table both ways. */
static void
test_http_method_table_round_trips(void **state)
{
    AmiHttpMethod m;

    (void)state;
    for (int i = 0; i < AMI_HTTP_METHOD_LAST; i++) {
        assert_true(ami_http_method_from_string(ami_http_method_to_string((AmiHttpMethod)i), &m));
        assert_int_equal(m, i);
    }
    assert_null(ami_http_method_to_string(AMI_HTTP_METHOD_LAST));
    assert_false(ami_http_method_from_string("DELETE", &m));
    assert_false(ami_http_method_from_string(NULL, &m));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_get_fields_and_case_insensitive_lookup),
        cmocka_unit_test(test_http_split_feed_byte_by_byte),
        cmocka_unit_test(test_http_pipelined_requests_leave_the_rest),
        cmocka_unit_test(test_http_body_across_feeds),
        cmocka_unit_test(test_http_bare_lf_and_leading_empty_lines),
        cmocka_unit_test(test_http_absolute_form_and_versions),
        cmocka_unit_test(test_http_errors_map_to_statuses),
        cmocka_unit_test(test_http_head_limit_is_exact),
        cmocka_unit_test(test_http_failed_parser_stays_failed),
        cmocka_unit_test(test_http_response_serialize_and_head),
        cmocka_unit_test(test_http_method_table_round_trips),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
