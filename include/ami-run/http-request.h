/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A small, bounded HTTP/1.x server side (RFC 9110, RFC 9112): an incremental request
 * parser and a response serialiser, for the emulated instance metadata service
 * (imds.h).  Pure: bytes in, structures out; no sockets, no clock.
 */

#include <glib.h>

G_BEGIN_DECLS

/* Request line and header fields together, CRLFs included. */
#define AMI_HTTP_HEAD_MAX 8192
/* Content-Length bodies; IMDS requests (GET, PUT token) have none. */
#define AMI_HTTP_BODY_MAX 16384
/* Header fields in one request. */
#define AMI_HTTP_HEADERS_MAX 100

/*
 * Errors of the parser: the code is the HTTP status to answer with, after which the
 * connection is closed (RFC 9112 §9.6: the framing can no longer be trusted).
 */
#define AMI_HTTP_ERROR (ami_http_error_quark())

typedef enum {
    AMI_HTTP_ERROR_BAD_REQUEST = 400,
    AMI_HTTP_ERROR_LENGTH_REQUIRED = 411,
    AMI_HTTP_ERROR_CONTENT_TOO_LARGE = 413,
    AMI_HTTP_ERROR_HEADERS_TOO_LARGE = 431,
    AMI_HTTP_ERROR_NOT_IMPLEMENTED = 501,
    AMI_HTTP_ERROR_VERSION_NOT_SUPPORTED = 505,
} AmiHttpErrorCode;

/** ami_http_error_quark() - the GQuark of AMI_HTTP_ERROR. */
GQuark ami_http_error_quark(void);

/* The methods IMDS implements (RFC 9110 §9.3); any other valid method is 501. */
typedef enum {
    AMI_HTTP_GET,
    AMI_HTTP_HEAD,
    AMI_HTTP_PUT,
    AMI_HTTP_METHOD_LAST
} AmiHttpMethod;

/** ami_http_method_to_string() - "GET", "HEAD", "PUT"; NULL when out of range. */
const char *ami_http_method_to_string(AmiHttpMethod v);
/** ami_http_method_from_string() - case-sensitive (RFC 9110 §9.1); FALSE if unknown. */
gboolean ami_http_method_from_string(const char *s, AmiHttpMethod *ret);

typedef struct {
    char *name;  /* as received */
    char *value; /* without leading and trailing whitespace */
} AmiHttpHeader;

typedef struct {
    AmiHttpMethod method;
    char *target;       /* the request-target as received */
    char *path;         /* its path: origin-form, absolute-form without scheme and host */
    char *query;        /* after '?', NULL when none */
    guint version;      /* 10 or 11 (HTTP/1.x above 1.1 is treated as 1.1) */
    GPtrArray *headers; /* AmiHttpHeader, in order */
    GBytes *body;       /* Content-Length bytes, empty when none */
    gboolean keep_alive; /* HTTP/1.1 without "close", HTTP/1.0 with "keep-alive" */
} AmiHttpRequest;

void ami_http_request_free(AmiHttpRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiHttpRequest, ami_http_request_free)

/**
 * ami_http_request_header() - the value of the first field named @name (compared
 * case-insensitively, RFC 9110 §5.1), NULL when absent.  Owned by @req.
 */
const char *ami_http_request_header(const AmiHttpRequest *req, const char *name);

/** ami_http_request_header_count() - how many fields named @name @req has. */
guint ami_http_request_header_count(const AmiHttpRequest *req, const char *name);

typedef struct AmiHttpParser AmiHttpParser;

/** ami_http_parser_new() - a parser for one connection's requests; free it. */
AmiHttpParser *ami_http_parser_new(void);
void ami_http_parser_free(AmiHttpParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiHttpParser, ami_http_parser_free)

typedef enum {
    AMI_HTTP_PARSE_NEED_MORE, /* every byte was taken; feed more */
    AMI_HTTP_PARSE_DONE,      /* a request is complete */
    AMI_HTTP_PARSE_ERROR,     /* answer error->code and close */
} AmiHttpParseResult;

/**
 * ami_http_parser_feed() - feed @len bytes of @data.  *ret_consumed says how many
 * bytes were taken: on AMI_HTTP_PARSE_DONE the rest of @data is the start of the next
 * (pipelined) request, to feed again; *ret_request is then the new request, owned by
 * the caller.  On AMI_HTTP_PARSE_ERROR @error is AMI_HTTP_ERROR with the status as
 * code, and the parser stays failed.  Limits: AMI_HTTP_HEAD_MAX (431),
 * AMI_HTTP_BODY_MAX (413); NUL bytes, bare CR, obs-fold and malformed lines are 400;
 * bare LF ends a line as CRLF does (RFC 9112 §2.2).
 */
AmiHttpParseResult ami_http_parser_feed(AmiHttpParser *parser, const void *data, gsize len,
                                        gsize *ret_consumed, AmiHttpRequest **ret_request,
                                        GError **error);

/** ami_http_status_reason() - the reason phrase of @status (RFC 9110 §15), "Unknown". */
const char *ami_http_status_reason(guint status);

typedef struct {
    guint status;
    GPtrArray *headers;   /* AmiHttpHeader, in order; Content-Length, Connection added */
    GBytes *body;         /* never NULL */
    gboolean keep_alive;  /* FALSE: "Connection: close", and the server closes */
    gboolean head;        /* a HEAD answer: the body's length, not its bytes */
    guint ip_ttl;         /* 0: the default; else the IP TTL to send it with */
} AmiHttpResponse;

/** ami_http_response_new() - a response with @status and an empty body; free it. */
AmiHttpResponse *ami_http_response_new(guint status);
void ami_http_response_free(AmiHttpResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiHttpResponse, ami_http_response_free)

/** ami_http_response_add_header() - append a field (both copied). */
void ami_http_response_add_header(AmiHttpResponse *resp, const char *name, const char *value);

/** ami_http_response_header() - the first field named @name, NULL when absent. */
const char *ami_http_response_header(const AmiHttpResponse *resp, const char *name);

/** ami_http_response_set_body() - take a reference to @body (NULL: empty). */
void ami_http_response_set_body(AmiHttpResponse *resp, GBytes *body);

/**
 * ami_http_response_serialize() - @resp as HTTP/1.1 bytes: status line, its fields,
 * Content-Length, Connection, CRLF, and the body unless @resp is a HEAD answer.
 * Returns a new GBytes.
 */
GBytes *ami_http_response_serialize(const AmiHttpResponse *resp);

G_END_DECLS
