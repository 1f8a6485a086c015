/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Golden tests for the emulated IMDS: tests/data/imds/<case>.req holds raw requests (LF
 * line ends, sent as CRLF unless the name ends in ".lf"; "@TOKEN@" is the token the
 * last PUT returned), fed to the parser whole and byte by byte, answered by
 * ami_imds_respond() with a fixed instance and clock, and serialised: the bytes must be
 * <case>.resp.  Regenerate after an intended change with AMI_RUN_REGENERATE=1 (it
 * writes the goldens and fails), review the diff, and run again without it.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/imds.h"
#include "test-util.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01T12:00:00Z */

typedef enum {
    V_DEFAULT,    /* IMDSv1 allowed, text user data, one key */
    V_V2,         /* the AMI says ImdsSupport v2.0: tokens required */
    V_TAGS,       /* InstanceMetadataTags enabled */
    V_DISABLED,   /* HttpEndpoint disabled */
    V_NO_UD,      /* no user data */
    V_BINARY_UD,  /* user data tests/data/imds/user-data.bin */
    V_PUBLIC,     /* a public IPv4 address and two keys */
} Variant;

typedef struct {
    const char *name;
    Variant variant;
    gint64 step; /* seconds the clock moves after each request */
} Case;

static const Case cases[] = {
    {"versions", V_DEFAULT, 0},
    {"version-listing", V_DEFAULT, 0},
    {"no-user-data", V_NO_UD, 0},
    {"meta-data-listing", V_DEFAULT, 0},
    {"meta-data-leaves", V_DEFAULT, 0},
    {"block-device-mapping", V_DEFAULT, 0},
    {"network", V_DEFAULT, 0},
    {"public-keys", V_DEFAULT, 0},
    {"public-ipv4", V_PUBLIC, 0},
    {"identity", V_DEFAULT, 0},
    {"user-data", V_DEFAULT, 0},
    {"user-data-binary", V_BINARY_UD, 0},
    {"not-found", V_DEFAULT, 0},
    {"tags", V_TAGS, 0},
    {"token-optional", V_DEFAULT, 1},
    {"token-required", V_V2, 1},
    {"token-expiry", V_DEFAULT, 2},
    {"token-errors", V_DEFAULT, 0},
    {"disabled", V_DISABLED, 0},
    {"head", V_DEFAULT, 0},
    {"connection", V_DEFAULT, 0},
    {"connection-close", V_DEFAULT, 0},
    {"bad-version", V_DEFAULT, 0},
    {"bad-method", V_DEFAULT, 0},
    {"chunked", V_DEFAULT, 0},
    {"absolute-form", V_DEFAULT, 0},
    {"bare-lf.lf", V_DEFAULT, 0},
    {"nul-byte", V_DEFAULT, 0},
};

#define INSTANCE(options)                                                                      \
    "{\"InstanceId\":\"i-0123456789abcdef0\",\"ImageId\":\"ami-0123456789abcdef0\","          \
    "\"InstanceType\":\"t3.micro\",\"LaunchTime\":\"2026-12-01T11:59:30.000Z\","               \
    "\"Architecture\":\"x86_64\",\"BootMode\":\"legacy-bios\",\"RootDeviceName\":\"/dev/xvda\"," \
    "\"RootDeviceType\":\"ebs\",\"VirtualizationType\":\"hvm\",\"BlockDeviceMappings\":["     \
    "{\"DeviceName\":\"/dev/xvda\",\"Ebs\":{\"VolumeId\":\"vol-00000000000000001\"}},"        \
    "{\"DeviceName\":\"/dev/sdf\",\"Ebs\":{\"VolumeId\":\"vol-00000000000000002\"}},"         \
    "{\"DeviceName\":\"/dev/sdb\",\"Ebs\":{\"VolumeId\":\"vol-00000000000000003\"}}],"        \
    "\"State\":{\"Code\":16,\"Name\":\"running\"},"                                            \
    "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"golden\"},{\"Key\":\"stage\",\"Value\":\"a b\"}]," \
    "\"AmiRun\":{\"Disks\":[{\"VolumeId\":\"vol-00000000000000001\",\"Kind\":\"overlay\"},"   \
    "{\"VolumeId\":\"vol-00000000000000002\",\"Kind\":\"blank\"},"                             \
    "{\"VolumeId\":\"vol-00000000000000003\",\"Kind\":\"ephemeral\"}]}" options "}"
#define IMAGE(extra)                                                                           \
    "{\"ImageId\":\"ami-0123456789abcdef0\",\"Name\":\"golden\",\"Architecture\":\"x86_64\","  \
    "\"RootDeviceName\":\"/dev/xvda\",\"RootDeviceType\":\"ebs\"" extra "}"

static const char user_data_text[] = "#cloud-config\nruncmd:\n  - [echo, \"hi\"]\n";
static const AmiImdsPublicKey keys[] = {
    {"golden-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoldenGoldenGoldenGolden golden-key"},
    {"second", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsecond second"},
};

/* Set by the signature test: context_for() passes these as the identity signatures. */
static const char *const *signatures;

/* The spec every case starts from; @variant changes one thing. */
static AmiImdsContext *
context_for(Variant variant)
{
    g_autoptr(json_t) instance = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(GBytes) secret = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
    g_autoptr(GBytes) user_data = NULL;
    g_autoptr(GError) error = NULL;
    AmiImdsSpec spec = {
        .region = "us-east-1",
        .availability_zone = "us-east-1a",
        .availability_zone_id = "use1-az1",
        .account_id = "123456789012",
        .net = {.private_ipv4 = "169.255.0.15", .mac = "52:54:00:12:34:56",
                .subnet_cidr = "169.254.0.0/15", .vpc_cidr = "169.254.0.0/15"},
        .public_keys = keys,
        .n_public_keys = 1,
        .token_secret = secret,
    };
    AmiImdsContext *ctx;

    instance = parse_json(variant == V_TAGS ? INSTANCE(",\"MetadataOptions\":{"
                                                       "\"InstanceMetadataTags\":\"enabled\"}")
                          : variant == V_DISABLED ? INSTANCE(",\"MetadataOptions\":{"
                                                             "\"HttpEndpoint\":\"disabled\"}")
                                                  : INSTANCE(""));
    image = parse_json(variant == V_V2 ? IMAGE(",\"ImdsSupport\":\"v2.0\"") : IMAGE(""));
    if (variant == V_BINARY_UD) {
        g_autofree char *path = g_build_filename(AMI_RUN_TEST_DATA, "imds", "user-data.bin", NULL);
        gchar *data;
        gsize len;

        assert_true(g_file_get_contents(path, &data, &len, NULL));
        user_data = g_bytes_new_take(data, len);
    } else if (variant != V_NO_UD) {
        user_data = g_bytes_new_static(user_data_text, sizeof(user_data_text) - 1);
    }
    if (variant == V_PUBLIC) {
        spec.net.public_ipv4 = "203.0.113.25";
        spec.n_public_keys = 2;
    }
    spec.instance = instance;
    spec.image = image;
    spec.user_data = user_data;
    if (signatures) {
        spec.identity_signature = signatures[0];
        spec.identity_pkcs7 = signatures[1];
        spec.identity_rsa2048 = signatures[2];
    }
    ctx = ami_imds_context_new(&spec, &error);
    if (!ctx)
        fail_msg("context: %s", error->message);
    return ctx;
}

#define MARK "@TOKEN@"

/*
 * @text with every "@TOKEN@" replaced by @token; *ret_source, when @stop is given, is
 * how many bytes of @text gave the first @stop bytes of the result.
 */
static GByteArray *
substitute(const char *text, gsize len, const char *token, gsize stop, gsize *ret_source)
{
    GByteArray *out = g_byte_array_new();
    gsize m = strlen(MARK);

    for (gsize i = 0; i < len;) {
        if (ret_source && out->len >= stop) {
            *ret_source = i;
            return out;
        }
        if (token && i + m <= len && memcmp(text + i, MARK, m) == 0) {
            g_byte_array_append(out, (const guint8 *)token, (guint)strlen(token));
            i += m;
        } else {
            g_byte_array_append(out, (const guint8 *)text + i++, 1);
        }
    }
    if (ret_source)
        *ret_source = len;
    return out;
}

/* One request from @in at *off, whole or byte by byte: its response, or the error's. */
static AmiHttpResponse *
next_response(AmiHttpParser *p, const GByteArray *in, gsize *off, gboolean bytewise,
              const AmiImdsContext *ctx, AmiImdsTokens *tokens, gint64 now)
{
    AmiHttpParseResult r = AMI_HTTP_PARSE_NEED_MORE;
    g_autoptr(AmiHttpRequest) req = NULL;
    g_autoptr(GError) error = NULL;
    gsize used;

    while (*off < in->len && r == AMI_HTTP_PARSE_NEED_MORE) {
        r = ami_http_parser_feed(p, in->data + *off, bytewise ? 1 : in->len - *off, &used, &req,
                                 &error);
        *off += used;
    }
    if (r == AMI_HTTP_PARSE_ERROR)
        return ami_imds_error_response((guint)error->code, now);
    if (r == AMI_HTTP_PARSE_NEED_MORE)
        fail_msg("a request file ends in the middle of a request");
    return ami_imds_respond(ctx, req, now, tokens);
}

/* The whole conversation of case @c, as the bytes a client would read. */
static GByteArray *
converse(const Case *c, gboolean bytewise)
{
    g_autoptr(AmiImdsContext) ctx = context_for(c->variant);
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    g_autofree char *path = g_strdup_printf("%s/imds/%s.req", AMI_RUN_TEST_DATA, c->name);
    g_autofree char *raw = NULL;
    g_autofree char *token = NULL;
    g_autoptr(GString) text = NULL;
    GByteArray *out = g_byte_array_new();
    gsize len, off = 0;
    gint64 now = NOW;

    if (!g_file_get_contents(path, &raw, &len, NULL))
        fail_msg("%s is missing", path);
    text = g_string_new_len(raw, (gssize)len);
    if (!g_str_has_suffix(c->name, ".lf"))
        g_string_replace(text, "\n", "\r\n", 0);
    while (off < text->len) {
        g_autoptr(GByteArray) in = substitute(text->str + off, text->len - off, token, 0, NULL);
        g_autoptr(GByteArray) again = NULL;
        gsize source = 0;
        g_autoptr(AmiHttpResponse) r = NULL;
        g_autoptr(GBytes) bytes = NULL;
        gsize pos = 0;

        r = next_response(p, in, &pos, bytewise, ctx, tokens, now);
        bytes = ami_http_response_serialize(r);
        g_byte_array_append(out, g_bytes_get_data(bytes, NULL), (guint)g_bytes_get_size(bytes));
        /* What the request took of @in, in @text (whose rest still holds "@TOKEN@"). */
        again = substitute(text->str + off, text->len - off, token, pos, &source);
        off += source;
        if (r->status == 200 && r->ip_ttl) { /* only a token response has an IP TTL */
            g_free(token);
            token = g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
        }
        if (!r->keep_alive)
            break;
        now += c->step;
    }
    return out;
}

static void
test_imds_golden(void **state)
{
    gboolean regenerate = g_getenv("AMI_RUN_REGENERATE") != NULL;
    guint regenerated = 0;

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GByteArray) whole = converse(&cases[i], FALSE);
        g_autoptr(GByteArray) bytewise = converse(&cases[i], TRUE);
        g_autofree char *path =
            g_strdup_printf("%s/imds/%s.resp", AMI_RUN_TEST_DATA, cases[i].name);
        g_autofree char *want = NULL;
        gsize want_len;

        if (whole->len != bytewise->len || memcmp(whole->data, bytewise->data, whole->len) != 0)
            fail_msg("%s: fed byte by byte, the answers differ", cases[i].name);
        if (regenerate) {
            /* Written, then failed: a regenerated golden compared with itself proves
             * nothing; the next run without AMI_RUN_REGENERATE is the test. */
            assert_true(g_file_set_contents(path, (const char *)whole->data, whole->len, NULL));
            regenerated++;
            continue;
        }
        if (!g_file_get_contents(path, &want, &want_len, NULL))
            fail_msg("%s is missing (AMI_RUN_REGENERATE=1 writes it)", path);
        if (want_len != whole->len || memcmp(want, whole->data, want_len) != 0)
            fail_msg("%s: the answers differ from %s:\n%.*s", cases[i].name, path,
                     (int)whole->len, (const char *)whole->data);
    }
    if (regenerated)
        fail_msg("AMI_RUN_REGENERATE: wrote %u goldens under %s/imds; review the diff, then run "
                 "again without it", regenerated, AMI_RUN_TEST_DATA);
}

static AmiHttpRequest *
request(const char *text)
{
    g_autoptr(AmiHttpParser) p = ami_http_parser_new();
    AmiHttpRequest *req = NULL;
    gsize used;

    assert_int_equal(ami_http_parser_feed(p, text, strlen(text), &used, &req, NULL),
                     AMI_HTTP_PARSE_DONE);
    return req;
}

static const char *
member(const json_t *doc, const char *key)
{
    return json_string_value(json_object_get(doc, key));
}

/* The identity document is JSON whose values are the record's. */
static void
test_imds_identity_document_matches_the_record(void **state)
{
    g_autoptr(AmiImdsContext) ctx = context_for(V_DEFAULT);
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autoptr(AmiHttpRequest) req = request("GET /latest/dynamic/instance-identity/document "
                                            "HTTP/1.1\r\nHost: x\r\n\r\n");
    g_autoptr(AmiHttpResponse) r = ami_imds_respond(ctx, req, NOW, tokens);
    g_autofree char *text = g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
    g_autoptr(json_t) doc = parse_json(text);

    (void)state;
    assert_int_equal(r->status, 200);
    assert_string_equal(member(doc, "instanceId"), "i-0123456789abcdef0");
    assert_string_equal(member(doc, "imageId"), "ami-0123456789abcdef0");
    assert_string_equal(member(doc, "instanceType"), "t3.micro");
    assert_string_equal(member(doc, "architecture"), "x86_64");
    assert_string_equal(member(doc, "pendingTime"), "2026-12-01T11:59:30Z");
    assert_string_equal(member(doc, "privateIp"), "169.255.0.15");
    assert_string_equal(member(doc, "region"), "us-east-1");
    assert_string_equal(member(doc, "availabilityZone"), "us-east-1a");
    assert_string_equal(member(doc, "accountId"), "123456789012");
    assert_string_equal(member(doc, "version"), "2017-09-30");
    assert_true(json_is_null(json_object_get(doc, "kernelId")));
    assert_true(json_is_null(json_object_get(doc, "billingProducts")));
    assert_true(json_is_null(json_object_get(doc, "marketplaceProductCodes")));
    assert_int_equal(json_object_size(doc), 15);
}

static char *
get_body(const AmiImdsContext *ctx, const char *path, guint *ret_status)
{
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autofree char *text = g_strdup_printf("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    g_autoptr(AmiHttpRequest) req = request(text);
    g_autoptr(AmiHttpResponse) r = ami_imds_respond(ctx, req, NOW, tokens);

    *ret_status = r->status;
    return g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
}

/*
 * Signatures given are listed and served byte-exact; without them they are neither
 * (404, never faked); ami_imds_identity_document() is exactly the served document.
 */
static void
test_imds_identity_signatures(void **state)
{
    static const char *const sigs[] = {"c2lnbmF0dXJl\nbGluZTI=", "cGtjczc=", "cnNhMjA0OA=="};
    g_autoptr(AmiImdsContext) plain = context_for(V_DEFAULT);
    g_autoptr(AmiImdsContext) signed_ctx = NULL;
    g_autofree char *listing = NULL, *body = NULL, *doc = NULL, *served = NULL;
    guint status = 0;

    (void)state;
    signatures = sigs;
    signed_ctx = context_for(V_DEFAULT);
    signatures = NULL;
    listing = get_body(plain, "/latest/dynamic/instance-identity/", &status);
    assert_int_equal(status, 200);
    assert_string_equal(listing, "document");
    g_free(body);
    body = get_body(plain, "/latest/dynamic/instance-identity/rsa2048", &status);
    assert_int_equal(status, 404);

    g_free(listing);
    listing = get_body(signed_ctx, "/latest/dynamic/instance-identity/", &status);
    assert_string_equal(listing, "document\npkcs7\nrsa2048\nsignature");
    for (guint i = 0; i < 3; i++) {
        static const char *const names[] = {"signature", "pkcs7", "rsa2048"};
        g_autofree char *path = g_strdup_printf("/2021-03-23/dynamic/instance-identity/%s", names[i]);

        g_free(body);
        body = get_body(signed_ctx, path, &status);
        assert_int_equal(status, 200);
        assert_string_equal(body, sigs[i]);
    }

    {
        g_autoptr(json_t) instance = parse_json(INSTANCE(""));
        g_autoptr(json_t) image = parse_json(IMAGE(""));
        g_autoptr(GError) error = NULL;
        AmiImdsSpec spec = {
            .region = "us-east-1", .availability_zone = "us-east-1a",
            .availability_zone_id = "use1-az1", .account_id = "123456789012",
            .net = {.private_ipv4 = "169.255.0.15", .mac = "52:54:00:12:34:56",
                    .subnet_cidr = "169.254.0.0/15", .vpc_cidr = "169.254.0.0/15"},
            .instance = instance, .image = image,
        };

        doc = ami_imds_identity_document(&spec, &error);
        assert_non_null(doc);
        served = get_body(signed_ctx, "/latest/dynamic/instance-identity/document", &status);
        assert_string_equal(doc, served);
        spec.region = "us-east-1\n";
        assert_null(ami_imds_identity_document(&spec, &error));
    }
}

/* The token response leaves with HttpPutResponseHopLimit as its IP TTL: 1, 2 for v2.0. */
static void
test_imds_token_hop_limit(void **state)
{
    static const char put[] = "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n"
                              "X-aws-ec2-metadata-token-ttl-seconds: 5\r\n\r\n";
    g_autoptr(AmiImdsContext) v1 = context_for(V_DEFAULT);
    g_autoptr(AmiImdsContext) v2 = context_for(V_V2);
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autoptr(AmiHttpRequest) req = request(put);
    g_autoptr(AmiHttpResponse) r1 = ami_imds_respond(v1, req, NOW, tokens);
    g_autoptr(AmiHttpResponse) r2 = ami_imds_respond(v2, req, NOW, tokens);

    (void)state;
    assert_int_equal(r1->ip_ttl, 1);
    assert_int_equal(r2->ip_ttl, 2);
    assert_int_equal(ami_imds_context_http_tokens(v1), AMI_IMDS_TOKENS_OPTIONAL);
    assert_int_equal(ami_imds_context_http_tokens(v2), AMI_IMDS_TOKENS_REQUIRED);
    assert_int_equal(ami_imds_tokens_count(tokens, NOW), 2);
    assert_int_equal(ami_imds_tokens_count(tokens, NOW + 5), 0); /* expired at issue + TTL */
}

/* The token table stays bounded; every issued token differs. */
static void
test_imds_tokens_are_bounded_and_distinct(void **state)
{
    g_autoptr(AmiImdsContext) ctx = context_for(V_DEFAULT);
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(AmiHttpRequest) req = request("PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n"
                                            "X-aws-ec2-metadata-token-ttl-seconds: 600\r\n\r\n");

    (void)state;
    for (int i = 0; i < AMI_IMDS_TOKENS_MAX + 50; i++) {
        g_autoptr(AmiHttpResponse) r = ami_imds_respond(ctx, req, NOW, tokens);

        assert_int_equal(r->status, 200);
        assert_true(g_hash_table_add(seen, g_strndup(g_bytes_get_data(r->body, NULL),
                                                     g_bytes_get_size(r->body))));
    }
    assert_int_equal(ami_imds_tokens_count(tokens, NOW),
                     AMI_IMDS_TOKENS_MAX);
}

/* Each bad spec is refused with a message naming the problem. */
static void
test_imds_context_rejects_bad_specs(void **state)
{
    static const struct {
        const char *instance, *image, *mac, *ip, *needle;
        gsize secret_len;
    } bad[] = {
        {"{}", IMAGE(""), NULL, NULL, "'InstanceId' is missing", 32},
        {INSTANCE(""), "[]", NULL, NULL, "must be JSON objects", 32},
        {INSTANCE(""), IMAGE(""), "52:54:00:12:34:5G", NULL, "is not of the form", 32},
        {INSTANCE(""), IMAGE(""), NULL, "169.255.0.256", "is not an IPv4 address", 32},
        {INSTANCE(""), IMAGE(""), NULL, NULL, "at least 16 bytes", 15},
        {INSTANCE(",\"MetadataOptions\":{\"HttpTokens\":\"maybe\"}"), IMAGE(""), NULL, NULL,
         "HttpTokens is optional or required", 32},
        {INSTANCE(",\"MetadataOptions\":{\"HttpPutResponseHopLimit\":0}"), IMAGE(""), NULL, NULL,
         "HttpPutResponseHopLimit must be 1-64", 32},
        {INSTANCE(",\"MetadataOptions\":[]"), IMAGE(""), NULL, NULL, "must be an object", 32},
        {INSTANCE(",\"MetadataOptions\":{\"InstanceMetadataTags\":\"enabled\"},"
                  "\"Tags\":[{\"Key\":\"a/b\",\"Value\":\"x\"}]"),
         IMAGE(""), NULL, NULL, "tag key 'a/b' cannot be served", 32},
    };

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(json_t) instance = NULL;
        g_autoptr(json_t) image = parse_json(bad[i].image);
        g_autoptr(GBytes) secret = g_bytes_new_static("0123456789abcdef0123456789abcdef",
                                                      bad[i].secret_len);
        g_autoptr(GError) error = NULL;
        g_autoptr(AmiImdsContext) ctx = NULL;
        AmiImdsSpec spec = {
            .region = "us-east-1", .availability_zone = "us-east-1a",
            .net = {.private_ipv4 = bad[i].ip ? bad[i].ip : "10.0.0.5",
                    .mac = bad[i].mac ? bad[i].mac : "52:54:00:12:34:56",
                    .subnet_cidr = "10.0.0.0/24", .vpc_cidr = "10.0.0.0/16"},
            .token_secret = secret,
        };

        /* the duplicate Tags member is fine for jansson: the last one wins */
        instance = parse_json(bad[i].instance);
        spec.instance = instance;
        spec.image = image;
        ctx = ami_imds_context_new(&spec, &error);
        assert_null(ctx);
        assert_error_contains(error, bad[i].needle);
    }
}

/* A hostname outside us-east-1 is <region>.compute.internal, as EC2 names them. */
static void
test_imds_hostname_follows_the_region(void **state)
{
    g_autoptr(json_t) instance = parse_json(INSTANCE(""));
    g_autoptr(json_t) image = parse_json(IMAGE(""));
    g_autoptr(GBytes) secret = g_bytes_new_static("0123456789abcdef", 16);
    g_autoptr(AmiImdsTokens) tokens = ami_imds_tokens_new();
    g_autoptr(AmiHttpRequest) req = request("GET /latest/meta-data/hostname HTTP/1.1\r\n"
                                            "Host: x\r\n\r\n");
    AmiImdsSpec spec = {
        .instance = instance, .image = image, .region = "eu-west-1",
        .availability_zone = "eu-west-1b",
        .net = {.private_ipv4 = "10.1.2.3", .mac = "02:00:00:00:00:01",
                .subnet_cidr = "10.1.2.0/24", .vpc_cidr = "10.1.0.0/16"},
        .token_secret = secret,
    };
    g_autoptr(AmiImdsContext) ctx = ami_imds_context_new(&spec, NULL);
    g_autoptr(AmiHttpResponse) r = NULL;

    (void)state;
    assert_non_null(ctx);
    r = ami_imds_respond(ctx, req, NOW, tokens);
    assert_int_equal(g_bytes_get_size(r->body), strlen("ip-10-1-2-3.eu-west-1.compute.internal"));
    assert_memory_equal(g_bytes_get_data(r->body, NULL), "ip-10-1-2-3.eu-west-1.compute.internal",
                        g_bytes_get_size(r->body));
}

/* The enum tables both ways. */
static void
test_imds_enum_tables_round_trip(void **state)
{
    AmiImdsHttpTokens t;
    AmiImdsSwitch s;

    (void)state;
    for (int i = 0; i < AMI_IMDS_TOKENS_LAST; i++) {
        assert_true(ami_imds_http_tokens_from_string(
            ami_imds_http_tokens_to_string((AmiImdsHttpTokens)i), &t));
        assert_int_equal(t, i);
    }
    for (int i = 0; i < AMI_IMDS_SWITCH_LAST; i++) {
        assert_true(ami_imds_switch_from_string(ami_imds_switch_to_string((AmiImdsSwitch)i), &s));
        assert_int_equal(s, i);
    }
    assert_null(ami_imds_http_tokens_to_string(AMI_IMDS_TOKENS_LAST));
    assert_null(ami_imds_switch_to_string(AMI_IMDS_SWITCH_LAST));
    assert_false(ami_imds_http_tokens_from_string("Required", &t));
    assert_false(ami_imds_switch_from_string(NULL, &s));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imds_golden),
        cmocka_unit_test(test_imds_identity_document_matches_the_record),
        cmocka_unit_test(test_imds_identity_signatures),
        cmocka_unit_test(test_imds_token_hop_limit),
        cmocka_unit_test(test_imds_tokens_are_bounded_and_distinct),
        cmocka_unit_test(test_imds_context_rejects_bad_specs),
        cmocka_unit_test(test_imds_hostname_follows_the_region),
        cmocka_unit_test(test_imds_enum_tables_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
