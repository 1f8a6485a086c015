/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: raw bytes from a "guest" through the HTTP parser into ami_imds_respond(),
 * as one connection.  Byte 0 picks the instance (IMDSv1 allowed, tokens required,
 * tags on, endpoint off) and the feed size; the rest is the connection's bytes.  Every
 * answer must have a known status and a Content-Length that is its body's.  The token
 * secret is the unit tests', so the first token is always the same and seeds can use it.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/imds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INSTANCE(options)                                                                      \
    "{\"InstanceId\":\"i-0123456789abcdef0\",\"ImageId\":\"ami-0123456789abcdef0\","          \
    "\"InstanceType\":\"t3.micro\",\"LaunchTime\":\"2026-12-01T11:59:30.000Z\","               \
    "\"Architecture\":\"x86_64\",\"RootDeviceName\":\"/dev/xvda\",\"BlockDeviceMappings\":["  \
    "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-1\"}},"                        \
    "{\"DeviceName\":\"/dev/sdb\",\"Ebs\":{\"VolumeId\":\"vol-2\"}}],"                        \
    "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"fuzz\"}],"                                        \
    "\"AmiRun\":{\"Disks\":[{\"VolumeId\":\"vol-2\",\"Kind\":\"ephemeral\"}]}" options "}"

static const char *const instances[] = {
    INSTANCE(""),
    INSTANCE(""),
    INSTANCE(",\"MetadataOptions\":{\"InstanceMetadataTags\":\"enabled\"}"),
    INSTANCE(",\"MetadataOptions\":{\"HttpEndpoint\":\"disabled\"}"),
};

static AmiImdsContext *
context(guint which)
{
    static AmiImdsContext *ctx[G_N_ELEMENTS(instances)];
    static const AmiImdsPublicKey key = {"fuzz",
                                         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzz fuzz"};

    if (!ctx[which]) {
        json_t *instance = json_loads(instances[which], 0, NULL);
        json_t *image = json_loads(which == 1 ? "{\"ImdsSupport\":\"v2.0\"}" : "{}", 0, NULL);
        GBytes *secret = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
        GBytes *user_data = g_bytes_new_static("#!/bin/sh\necho \0hi\n", 19);
        AmiImdsSpec spec = {
            .instance = instance, .image = image, .user_data = user_data,
            .region = "us-east-1", .availability_zone = "us-east-1a",
            .net = {.private_ipv4 = "169.255.0.15", .mac = "52:54:00:12:34:56",
                    .subnet_cidr = "169.254.0.0/15", .vpc_cidr = "169.254.0.0/15"},
            .public_keys = &key, .n_public_keys = 1, .token_secret = secret,
        };

        ctx[which] = ami_imds_context_new(&spec, NULL);
        g_assert(ctx[which]);
        json_decref(instance);
        json_decref(image);
        g_bytes_unref(secret);
        g_bytes_unref(user_data);
    }
    return ctx[which];
}

static void
check(const AmiHttpResponse *r)
{
    static const guint known[] = {200, 400, 401, 403, 404, 405, 411, 413, 431, 501, 505};
    g_autoptr(GBytes) bytes = ami_http_response_serialize(r);
    g_autofree char *length = g_strdup_printf("Content-Length: %" G_GSIZE_FORMAT "\r\n",
                                              g_bytes_get_size(r->body));
    gsize n;
    const char *text = g_bytes_get_data(bytes, &n);
    gboolean ok = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        ok |= r->status == known[i];
    g_assert(ok);
    g_assert(n > 9 && memcmp(text, "HTTP/1.1 ", 9) == 0);
    g_assert(g_strstr_len(text, (gssize)n, length));
    if (r->head) {
        g_assert(n >= 4 && memcmp(text + n - 4, "\r\n\r\n", 4) == 0);
    } else {
        gsize body_len;
        const char *body = g_bytes_get_data(r->body, &body_len);

        g_assert(n >= body_len);
        g_assert(body_len == 0 || memcmp(text + n - body_len, body, body_len) == 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(AmiHttpParser) parser = ami_http_parser_new();
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    const AmiImdsContext *ctx;
    gint64 now = 1796126400;
    gsize off = 1, chunk;

    if (size < 1)
        return 0;
    ctx = context(data[0] & 3);
    chunk = (data[0] >> 2) ? (data[0] >> 2) : size; /* 1-63 bytes a feed, or all */
    while (off < size) {
        g_autoptr(AmiHttpRequest) req = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiHttpResponse) r = NULL;
        gsize used = 0;
        AmiHttpParseResult res;

        res = ami_http_parser_feed(parser, data + off, MIN(chunk, size - off), &used, &req,
                                   &error);
        off += used;
        if (res == AMI_HTTP_PARSE_NEED_MORE) {
            g_assert(used == MIN(chunk, size - off + used));
            continue;
        }
        if (res == AMI_HTTP_PARSE_ERROR) {
            g_assert(error && error->domain == AMI_HTTP_ERROR);
            r = ami_imds_error_response((guint)error->code, now);
            g_assert(r->status == (guint)error->code && !r->keep_alive);
            check(r);
            break;
        }
        r = ami_imds_respond(ctx, req, now, tokens);
        check(r);
        g_assert(ami_imds_tokens_count(tokens, now) <= AMI_IMDS_TOKENS_MAX);
        if (!r->keep_alive)
            break;
        now += 7;
    }
    return 0;
}
