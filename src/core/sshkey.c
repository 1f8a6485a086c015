/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SSH public keys as EC2's ImportKeyPair takes them, and EC2's fingerprints
 * (docs/key-pairs.md).  The wire format is RFC 4253 §6.6; RFC 4716 is the "SSH2" block;
 * SubjectPublicKeyInfo goes through OpenSSL (pure calls: memory in, memory out).
 * Every error names InvalidKey.Format, EC2's code for a key it cannot read.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ami-run/error.h"
#include "ami-run/sshkey.h"

#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 16384

static const char *const key_type_names[AMI_KEY_TYPE_LAST] = {
    [AMI_KEY_TYPE_RSA] = "rsa",
    [AMI_KEY_TYPE_ED25519] = "ed25519",
};

/* The SSH names of the key types (RFC 4253 §6.6, RFC 8709). */
static const char *const key_ssh_names[AMI_KEY_TYPE_LAST] = {
    [AMI_KEY_TYPE_RSA] = "ssh-rsa",
    [AMI_KEY_TYPE_ED25519] = "ssh-ed25519",
};

const char *
ami_key_type_to_string(AmiKeyType v)
{
    g_return_val_if_fail(v < AMI_KEY_TYPE_LAST, NULL);
    return key_type_names[v];
}

gboolean
ami_key_type_from_string(const char *s, AmiKeyType *ret)
{
    for (int i = 0; s && i < AMI_KEY_TYPE_LAST; i++) {
        if (strcmp(s, key_type_names[i]) == 0) {
            *ret = (AmiKeyType)i;
            return TRUE;
        }
    }
    return FALSE;
}

void
ami_ssh_key_free(AmiSshKey *key)
{
    if (!key)
        return;
    g_bytes_unref(key->blob);
    g_free(key->comment);
    g_free(key);
}

static gboolean
bad_key(GError **error, const char *why)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "InvalidKey.Format: %s", why);
    return FALSE;
}

/* --- the wire format ------------------------------------------------------------------ */

typedef struct {
    const guint8 *p;
    gsize left;
} Wire;

static gboolean
wire_string(Wire *w, const guint8 **ret, gsize *ret_len)
{
    guint32 n;

    if (w->left < 4)
        return FALSE;
    n = (guint32)w->p[0] << 24 | (guint32)w->p[1] << 16 | (guint32)w->p[2] << 8 | w->p[3];
    if (n > w->left - 4)
        return FALSE;
    *ret = w->p + 4;
    *ret_len = n;
    w->p += 4 + n;
    w->left -= 4 + n;
    return TRUE;
}

static void
put_u32(GByteArray *out, guint32 v)
{
    guint8 b[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};

    g_byte_array_append(out, b, 4);
}

static void
put_string(GByteArray *out, const void *data, gsize len)
{
    put_u32(out, (guint32)len);
    g_byte_array_append(out, data, (guint)len);
}

/* An mpint of an unsigned big-endian value: no leading zeros, a 0 byte before a high bit. */
static void
put_mpint(GByteArray *out, const guint8 *v, gsize len)
{
    while (len > 0 && v[0] == 0)
        v++, len--;
    if (len > 0 && (v[0] & 0x80)) {
        put_u32(out, (guint32)len + 1);
        g_byte_array_append(out, (const guint8 *)"", 1);
        g_byte_array_append(out, v, (guint)len);
    } else {
        put_string(out, v, len);
    }
}

/* Read an mpint as an unsigned value with its leading zeros stripped. */
static gboolean
wire_mpint(Wire *w, const guint8 **ret, gsize *ret_len)
{
    const guint8 *v;
    gsize n;

    if (!wire_string(w, &v, &n) || (n > 0 && (v[0] & 0x80)))
        return FALSE; /* short, or negative */
    while (n > 0 && v[0] == 0)
        v++, n--;
    *ret = v;
    *ret_len = n;
    return TRUE;
}

AmiSshKey *
ami_ssh_key_from_rsa(const guint8 *n, gsize n_len, const guint8 *e, gsize e_len, GError **error)
{
    g_autoptr(GByteArray) blob = g_byte_array_new();
    AmiSshKey *key;
    guint bits;

    while (n_len > 0 && n[0] == 0)
        n++, n_len--;
    while (e_len > 0 && e[0] == 0)
        e++, e_len--;
    bits = n_len ? (guint)(n_len - 1) * 8 + (guint)g_bit_storage(n[0]) : 0;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
        g_autofree char *why = g_strdup_printf("an RSA key of %u bits (EC2 takes 1024 to %d)",
                                               bits, RSA_MAX_BITS);
        bad_key(error, why);
        return NULL;
    }
    if (e_len == 0 || e_len > 8 || !(e[e_len - 1] & 1) || (e_len == 1 && e[0] < 3)) {
        bad_key(error, "the RSA public exponent is not an odd number from 3 to 2^64");
        return NULL;
    }
    put_string(blob, "ssh-rsa", 7);
    put_mpint(blob, e, e_len);
    put_mpint(blob, n, n_len);
    key = g_new0(AmiSshKey, 1);
    key->type = AMI_KEY_TYPE_RSA;
    key->bits = bits;
    key->blob = g_byte_array_free_to_bytes(g_steal_pointer(&blob));
    return key;
}

AmiSshKey *
ami_ssh_key_from_ed25519(const guint8 pub[32])
{
    g_autoptr(GByteArray) blob = g_byte_array_new();
    AmiSshKey *key = g_new0(AmiSshKey, 1);

    put_string(blob, "ssh-ed25519", 11);
    put_string(blob, pub, 32);
    key->type = AMI_KEY_TYPE_ED25519;
    key->bits = 256;
    key->blob = g_byte_array_free_to_bytes(g_steal_pointer(&blob));
    return key;
}

/* A wire blob; @want_type, if set, is the type its text form named. */
static AmiSshKey *
key_from_blob(const guint8 *data, gsize len, const char *want_type, GError **error)
{
    Wire w = {data, len};
    const guint8 *type, *a, *b;
    gsize type_len, a_len, b_len;
    AmiSshKey *key = NULL;

    if (!wire_string(&w, &type, &type_len)) {
        bad_key(error, "the key data is truncated");
        return NULL;
    }
    if (want_type && (type_len != strlen(want_type) || memcmp(type, want_type, type_len) != 0)) {
        bad_key(error, "the key type does not match the key data");
        return NULL;
    }
    if (type_len == 7 && memcmp(type, "ssh-rsa", 7) == 0) {
        if (!wire_mpint(&w, &a, &a_len) || !wire_mpint(&w, &b, &b_len) || w.left) {
            bad_key(error, "the RSA key data is malformed");
            return NULL;
        }
        key = ami_ssh_key_from_rsa(b, b_len, a, a_len, error);
    } else if (type_len == 11 && memcmp(type, "ssh-ed25519", 11) == 0) {
        if (!wire_string(&w, &a, &a_len) || a_len != 32 || w.left) {
            bad_key(error, "the ED25519 key data is malformed");
            return NULL;
        }
        key = ami_ssh_key_from_ed25519(a);
    } else {
        bad_key(error, "only rsa and ed25519 keys are supported");
    }
    return key;
}

/* --- base64 --------------------------------------------------------------------------- */

/* Strict RFC 4648 base64 of @len bytes at @s; NULL when anything else is there. */
static GBytes *
base64_strict(const char *s, gsize len)
{
    g_autofree char *copy = NULL;
    gsize data = len, out_len = 0;
    guchar *raw;

    if (len == 0 || len % 4 != 0)
        return NULL;
    while (data > 0 && len - data < 2 && s[data - 1] == '=')
        data--;
    for (gsize i = 0; i < data; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
            return NULL;
    }
    copy = g_strndup(s, len);
    raw = g_base64_decode(copy, &out_len);
    return g_bytes_new_take(raw, out_len);
}

/* --- the text formats ----------------------------------------------------------------- */

/* `TYPE BASE64 [COMMENT]`, one line (a final newline allowed). */
static AmiSshKey *
parse_openssh(const char *text, GError **error)
{
    g_autofree char *line = g_strstrip(g_strdup(text));
    g_autoptr(GBytes) blob = NULL;
    const char *b64, *end, *comment;
    g_autofree char *type = NULL;
    AmiSshKey *key;

    if (strpbrk(line, "\r\n")) {
        bad_key(error, "give one public key, on one line");
        return NULL;
    }
    b64 = line + strcspn(line, " \t");
    type = g_strndup(line, (gsize)(b64 - line));
    b64 += strspn(b64, " \t");
    end = b64 + strcspn(b64, " \t");
    comment = end + strspn(end, " \t");
    if (!(blob = base64_strict(b64, (gsize)(end - b64)))) {
        bad_key(error, "the key is not in valid OpenSSH public key format");
        return NULL;
    }
    key = key_from_blob(g_bytes_get_data(blob, NULL), g_bytes_get_size(blob), type, error);
    if (key && *comment)
        key->comment = g_strdup(comment);
    return key;
}

/* RFC 4716 §3.3: a header value may be quoted; §3.3: a trailing '\' continues it. */
static char *
header_comment(const char *value)
{
    gsize n = strlen(value);

    if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
        return g_strndup(value + 1, n - 2);
    return g_strdup(value);
}

/* An RFC 4716 block: BEGIN line, headers (Tag: value), base64 body, END line. */
static AmiSshKey *
parse_rfc4716(const char *text, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(GString) header = NULL;
    g_autofree char *comment = NULL;
    g_autoptr(GBytes) blob = NULL;
    gboolean in_body = FALSE, ended = FALSE;
    AmiSshKey *key;
    guint i;

    for (i = 1; lines[i] && !ended; i++) {
        char *l = g_strchomp(lines[i]); /* \r and trailing blanks */

        if (header) { /* a continued header line */
            g_string_append(header, l);
        } else if (strcmp(l, "---- END SSH2 PUBLIC KEY ----") == 0) {
            ended = TRUE;
            continue;
        } else if (!in_body && strchr(l, ':')) {
            header = g_string_new(l);
        } else {
            in_body = TRUE;
            g_string_append(body, l);
            continue;
        }
        if (header->len && header->str[header->len - 1] == '\\') {
            g_string_truncate(header, header->len - 1);
            continue;
        }
        if (g_ascii_strncasecmp(header->str, "Comment:", 8) == 0) {
            g_free(comment);
            comment = header_comment(g_strstrip(header->str + 8));
        }
        g_string_free(g_steal_pointer(&header), TRUE);
    }
    for (; lines[i]; i++) {
        if (*g_strstrip(lines[i])) {
            ended = FALSE; /* text after the END line */
            break;
        }
    }
    if (!ended || !(blob = base64_strict(body->str, body->len))) {
        bad_key(error, "the RFC 4716 public key block is malformed");
        return NULL;
    }
    key = key_from_blob(g_bytes_get_data(blob, NULL), g_bytes_get_size(blob), NULL, error);
    if (key && comment && *comment)
        key->comment = g_steal_pointer(&comment);
    return key;
}

/* --- SubjectPublicKeyInfo ------------------------------------------------------------- */

static AmiSshKey *
key_from_evp(EVP_PKEY *pkey, GError **error)
{
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
        guint8 pub[32];
        size_t n = sizeof(pub);

        if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != 32) {
            bad_key(error, "the ED25519 public key is malformed");
            return NULL;
        }
        return ami_ssh_key_from_ed25519(pub);
    }
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
        BIGNUM *n = NULL, *e = NULL;
        AmiSshKey *key = NULL;

        if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
            EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
            int nl = BN_num_bytes(n), el = BN_num_bytes(e);
            g_autofree guint8 *nb = g_malloc0((gsize)nl + 1);
            g_autofree guint8 *eb = g_malloc0((gsize)el + 1);

            BN_bn2bin(n, nb);
            BN_bn2bin(e, eb);
            key = ami_ssh_key_from_rsa(nb, (gsize)nl, eb, (gsize)el, error);
        } else {
            bad_key(error, "the RSA public key is malformed");
        }
        BN_free(n);
        BN_free(e);
        return key;
    }
    bad_key(error, "only rsa and ed25519 keys are supported");
    return NULL;
}

static AmiSshKey *
parse_der(const guint8 *data, gsize len, GError **error)
{
    const unsigned char *p = data;
    EVP_PKEY *pkey = len <= G_MAXINT32 ? d2i_PUBKEY(NULL, &p, (long)len) : NULL;
    AmiSshKey *key;

    if (!pkey || p != data + len) {
        EVP_PKEY_free(pkey);
        bad_key(error, "the DER data is not one SubjectPublicKeyInfo");
        return NULL;
    }
    key = key_from_evp(pkey, error);
    EVP_PKEY_free(pkey);
    return key;
}

static AmiSshKey *
parse_pem(const char *text, gsize len, GError **error)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    AmiSshKey *key;

    BIO_free(bio);
    if (!pkey) {
        bad_key(error, "the PEM block is not a PUBLIC KEY (SubjectPublicKeyInfo)");
        return NULL;
    }
    key = key_from_evp(pkey, error);
    EVP_PKEY_free(pkey);
    return key;
}

/* --- parse: which format is it? ------------------------------------------------------- */

static gboolean
is_text(const guint8 *data, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (data[i] == 0 || data[i] > 0x7e || (data[i] < 0x20 && !g_ascii_isspace(data[i])))
            return FALSE;
    }
    return TRUE;
}

AmiSshKey *
ami_ssh_key_parse(const guint8 *data, gsize len, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *squeezed = NULL;
    g_autoptr(GBytes) der = NULL;
    const char *t;

    if (len == 0 || len > AMI_SSH_KEY_TEXT_MAX) {
        bad_key(error, len ? "the key is too long" : "the key is empty");
        return NULL;
    }
    if (data[0] == 0x30)
        return parse_der(data, len, error);
    if (!is_text(data, len)) {
        bad_key(error, "the key is neither text nor DER");
        return NULL;
    }
    text = g_strndup((const char *)data, len);
    t = text + strspn(text, " \t\r\n");
    if (g_str_has_prefix(t, "ssh-") || g_str_has_prefix(t, "ecdsa-") || g_str_has_prefix(t, "sk-"))
        return parse_openssh(t, error);
    if (g_str_has_prefix(t, "---- BEGIN SSH2 PUBLIC KEY ----"))
        return parse_rfc4716(t, error);
    if (g_str_has_prefix(t, "-----BEGIN "))
        return parse_pem(t, strlen(t), error);
    /* EC2 also takes the DER in base64, whitespace anywhere. */
    squeezed = g_strdup(t);
    g_strdelimit(squeezed, " \t\r\n", ' ');
    {
        char *w = squeezed;

        for (const char *r = squeezed; *r; r++) {
            if (*r != ' ')
                *w++ = *r;
        }
        *w = '\0';
    }
    der = base64_strict(squeezed, strlen(squeezed));
    if (der && g_bytes_get_size(der) > 0 && *(const guint8 *)g_bytes_get_data(der, NULL) == 0x30)
        return parse_der(g_bytes_get_data(der, NULL), g_bytes_get_size(der), error);
    bad_key(error, "the key is not in valid OpenSSH public key format (nor RFC 4716, PEM or DER)");
    return NULL;
}

/* --- output --------------------------------------------------------------------------- */

char *
ami_ssh_key_to_openssh(const AmiSshKey *key, const char *comment)
{
    gsize len;
    const guint8 *blob = g_bytes_get_data(key->blob, &len);
    g_autofree char *b64 = g_base64_encode(blob, len);

    if (comment && *comment) {
        /* One line: a comment with CR/LF or other controls (an RFC 4716 header may carry
         * them) would split the authorized_keys line (fuzz-sshkey). */
        g_autofree char *clean = g_strdup(comment);

        for (char *p = clean; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        }
        return g_strdup_printf("%s %s %s", key_ssh_names[key->type], b64, g_strstrip(clean));
    }
    return g_strdup_printf("%s %s", key_ssh_names[key->type], b64);
}

char *
ami_colon_hex(const guint8 *data, gsize len)
{
    GString *out = g_string_sized_new(len * 3);

    for (gsize i = 0; i < len; i++)
        g_string_append_printf(out, i ? ":%02x" : "%02x", data[i]);
    return g_string_free(out, FALSE);
}

static char *
digest_colon_hex(GChecksumType type, const guint8 *data, gsize len)
{
    g_autoptr(GChecksum) sum = g_checksum_new(type);
    guint8 digest[64];
    gsize n = sizeof(digest);

    g_checksum_update(sum, data, (gssize)len);
    g_checksum_get_digest(sum, digest, &n);
    return ami_colon_hex(digest, n);
}

char *
ami_ssh_key_fingerprint_sha256(const AmiSshKey *key)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize n = sizeof(digest), len;
    const guint8 *blob = g_bytes_get_data(key->blob, &len);

    g_checksum_update(sum, blob, (gssize)len);
    g_checksum_get_digest(sum, digest, &n);
    /* 44 characters with one '=': EC2 keeps the padding ssh-keygen drops (docs/key-pairs.md). */
    return g_base64_encode(digest, n);
}

char *
ami_ssh_key_fingerprint_md5(const AmiSshKey *key)
{
    gsize len;
    const guint8 *blob = g_bytes_get_data(key->blob, &len);

    return digest_colon_hex(G_CHECKSUM_MD5, blob, len);
}

/* The DER SubjectPublicKeyInfo of an RSA key, from the (canonical) blob. */
static GBytes *
rsa_spki_der(const AmiSshKey *key)
{
    gsize len;
    Wire w = {g_bytes_get_data(key->blob, &len), 0};
    const guint8 *type, *e, *n;
    gsize type_len, e_len, n_len;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    unsigned char *der = NULL;
    int der_len = -1;
    GBytes *out = NULL;

    w.left = len;
    if (wire_string(&w, &type, &type_len) && wire_mpint(&w, &e, &e_len) &&
        wire_mpint(&w, &n, &n_len) && bld && ctx &&
        (bn_n = BN_bin2bn(n, (int)n_len, NULL)) && (bn_e = BN_bin2bn(e, (int)e_len, NULL)) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1)
        der_len = i2d_PUBKEY(pkey, &der);
    if (der_len > 0)
        out = g_bytes_new(der, (gsize)der_len);
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return out;
}

char *
ami_ssh_key_fingerprint_imported(const AmiSshKey *key)
{
    g_autoptr(GBytes) der = NULL;

    switch (key->type) {
    case AMI_KEY_TYPE_ED25519:
        return ami_ssh_key_fingerprint_sha256(key);
    case AMI_KEY_TYPE_RSA:
    case AMI_KEY_TYPE_LAST:
        break;
    }
    /* A key that parsed always converts; NULL only if OpenSSL is out of memory. */
    if (!(der = rsa_spki_der(key)))
        return NULL;
    return digest_colon_hex(G_CHECKSUM_MD5, g_bytes_get_data(der, NULL), g_bytes_get_size(der));
}

char *
ami_ssh_key_fingerprint_created_rsa(const guint8 *pkcs8_der, gsize len)
{
    return digest_colon_hex(G_CHECKSUM_SHA1, pkcs8_der, len);
}

/* Base64 in lines of @width between PEM-style armour lines. */
static char *
armour(const char *label, const guint8 *data, gsize len, gsize width)
{
    g_autofree char *b64 = g_base64_encode(data, len);
    GString *out = g_string_new(NULL);
    gsize n = strlen(b64);

    g_string_append_printf(out, "-----BEGIN %s-----\n", label);
    for (gsize i = 0; i < n; i += width) {
        g_string_append_len(out, b64 + i, (gssize)MIN(width, n - i));
        g_string_append_c(out, '\n');
    }
    g_string_append_printf(out, "-----END %s-----\n", label);
    return g_string_free(out, FALSE);
}

char *
ami_ssh_ed25519_private_openssh(const guint8 seed[32], const guint8 pub[32], guint32 check,
                                const char *comment)
{
    g_autoptr(AmiSshKey) key = ami_ssh_key_from_ed25519(pub);
    g_autoptr(GByteArray) file = g_byte_array_new();
    g_autoptr(GByteArray) priv = g_byte_array_new();
    gsize blob_len;
    const guint8 *blob = g_bytes_get_data(key->blob, &blob_len);
    guint8 secret[64];
    char *out;

    /* OpenSSH PROTOCOL.key: magic, cipher/kdf "none", one key, then the private section. */
    g_byte_array_append(file, (const guint8 *)"openssh-key-v1", 15); /* with its NUL */
    put_string(file, "none", 4);
    put_string(file, "none", 4);
    put_string(file, "", 0);
    put_u32(file, 1);
    put_string(file, blob, blob_len);
    put_u32(priv, check);
    put_u32(priv, check);
    put_string(priv, "ssh-ed25519", 11);
    put_string(priv, pub, 32);
    memcpy(secret, seed, 32);
    memcpy(secret + 32, pub, 32);
    put_string(priv, secret, 64);
    put_string(priv, comment ? comment : "", comment ? strlen(comment) : 0);
    for (guint8 pad = 1; priv->len % 8; pad++) /* the "none" cipher's block size is 8 */
        g_byte_array_append(priv, &pad, 1);
    put_string(file, priv->data, priv->len);
    out = armour("OPENSSH PRIVATE KEY", file->data, file->len, 70);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(priv->data, priv->len);
    OPENSSL_cleanse(file->data, file->len);
    return out;
}
