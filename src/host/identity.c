/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Instance identity document signatures (include/ami-run/identity.h), the only place
 * OpenSSL's X.509 and PKCS#7 are called.  EC2's formats are from the user guide's
 * verify-iid page: `openssl dgst -sha256 -verify key -signature <(base64 -d signature)
 * document`, and `openssl smime -verify -in pkcs7 -inform PEM -certfile certificate
 * -noverify` after wrapping the served body in BEGIN/END PKCS7 lines.
 */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami-run/error.h"
#include "ami-run/identity.h"

#define RSA_KEY "rsa.key"
#define RSA_CRT "rsa.crt"
#define DSA_KEY "dsa.key"
#define DSA_CRT "dsa.crt"
#define KEY_BITS 2048
/* EC2's DSA certificate is 1024-bit; 2048-bit parameters also take up to a second to make. */
#define DSA_BITS 1024
#define CERT_DAYS 36500

typedef struct {
    EVP_PKEY *rsa, *dsa;
    X509 *rsa_crt, *dsa_crt;
} Keys;

static void
keys_clear(Keys *k)
{
    EVP_PKEY_free(k->rsa);
    EVP_PKEY_free(k->dsa);
    X509_free(k->rsa_crt);
    X509_free(k->dsa_crt);
    memset(k, 0, sizeof(*k));
}

void
ami_identity_signatures_clear(AmiIdentitySignatures *s)
{
    if (!s)
        return;
    g_free(s->signature);
    g_free(s->pkcs7);
    g_free(s->rsa2048);
    memset(s, 0, sizeof(*s));
}

/* An OpenSSL failure as AMI_ERROR_HOST, with the library's last reason. */
static gboolean
ssl_error(GError **error, const char *what)
{
    char buf[256] = "unknown error";
    unsigned long e = ERR_get_error();

    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "instance identity: %s: %s", what, buf);
    return FALSE;
}

static EVP_PKEY *
gen_dsa(void)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY_CTX *kctx = NULL;
    EVP_PKEY *params = NULL, *key = NULL;

    if (pctx && EVP_PKEY_paramgen_init(pctx) == 1 &&
        EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, DSA_BITS) == 1 &&
        EVP_PKEY_paramgen(pctx, &params) == 1 && (kctx = EVP_PKEY_CTX_new(params, NULL)) &&
        EVP_PKEY_keygen_init(kctx) == 1)
        EVP_PKEY_keygen(kctx, &key);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(params);
    return key;
}

/* A self-signed certificate for @key, as EC2 publishes one per region and key type. */
static X509 *
self_signed(EVP_PKEY *key, const char *kind)
{
    X509 *crt = X509_new();
    X509_NAME *name;
    g_autofree char *cn = g_strdup_printf("ami-run instance identity (%s)", kind);
    guint64 serial = ((guint64)g_random_int() << 31) ^ g_random_int();

    if (!crt)
        return NULL;
    name = X509_get_subject_name(crt);
    if (X509_set_version(crt, 2) != 1 ||
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(crt), serial | 1) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(crt), 0) ||
        !X509_time_adj_ex(X509_getm_notAfter(crt), CERT_DAYS, 0, NULL) ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"ami-run", -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_issuer_name(crt, name) != 1 || X509_set_pubkey(crt, key) != 1 ||
        X509_sign(crt, key, EVP_sha256()) == 0) {
        X509_free(crt);
        return NULL;
    }
    return crt;
}

static gboolean
write_pem(const char *dir, const char *file, EVP_PKEY *key, X509 *crt, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    BIO *bio = BIO_new_file(path, "wx");
    gboolean ok;

    if (!bio)
        return ami_error_set_errno(error, errno, path);
    ok = key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1
             : PEM_write_bio_X509(bio, crt) == 1;
    ok = BIO_flush(bio) == 1 && ok;
    BIO_free(bio);
    if (!ok)
        return ssl_error(error, path);
    return chmod(path, key ? 0600 : 0644) == 0 || ami_error_set_errno(error, errno, path);
}

static gboolean
create_keys(const char *key_dir, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(key_dir);
    g_autofree char *tmpl = g_build_filename(parent, ".identity.XXXXXX", NULL);
    Keys k = {0};
    gboolean ok = FALSE;

    if (!g_mkdtemp_full(tmpl, 0700))
        return ami_error_set_errno(error, errno, tmpl);
    if (!(k.rsa = EVP_RSA_gen(KEY_BITS)) || !(k.dsa = gen_dsa()) ||
        !(k.rsa_crt = self_signed(k.rsa, "RSA-2048")) || !(k.dsa_crt = self_signed(k.dsa, "DSA")))
        ssl_error(error, "cannot make the signing keys");
    else if (write_pem(tmpl, RSA_KEY, k.rsa, NULL, error) &&
             write_pem(tmpl, RSA_CRT, NULL, k.rsa_crt, error) &&
             write_pem(tmpl, DSA_KEY, k.dsa, NULL, error) &&
             write_pem(tmpl, DSA_CRT, NULL, k.dsa_crt, error)) {
        /* rename() onto an existing non-empty directory fails: another run made them. */
        ok = rename(tmpl, key_dir) == 0 || errno == EEXIST || errno == ENOTEMPTY;
        if (!ok)
            ami_error_set_errno(error, errno, key_dir);
    }
    keys_clear(&k);
    if (g_file_test(tmpl, G_FILE_TEST_IS_DIR)) {
        const char *const files[] = {RSA_KEY, RSA_CRT, DSA_KEY, DSA_CRT};

        for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
            g_autofree char *p = g_build_filename(tmpl, files[i], NULL);

            unlink(p);
        }
        rmdir(tmpl);
    }
    return ok;
}

static gboolean
read_pem(const char *dir, const char *file, EVP_PKEY **ret_key, X509 **ret_crt, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    BIO *bio = BIO_new_file(path, "r");

    if (!bio) {
        ERR_clear_error();
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "instance identity: cannot read '%s': %s", path, g_strerror(errno));
        return FALSE;
    }
    if (ret_key)
        *ret_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    else
        *ret_crt = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (ret_key ? !*ret_key : !*ret_crt) {
        ERR_clear_error();
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "instance identity: '%s' is not a PEM %s", path, ret_key ? "key" : "certificate");
        return FALSE;
    }
    return TRUE;
}

static gboolean
load_keys(const char *key_dir, Keys *k, GError **error)
{
    if (!g_file_test(key_dir, G_FILE_TEST_IS_DIR) && !create_keys(key_dir, error))
        return FALSE;
    return read_pem(key_dir, RSA_KEY, &k->rsa, NULL, error) &&
           read_pem(key_dir, RSA_CRT, NULL, &k->rsa_crt, error) &&
           read_pem(key_dir, DSA_KEY, &k->dsa, NULL, error) &&
           read_pem(key_dir, DSA_CRT, NULL, &k->dsa_crt, error);
}

/* @data base64-encoded in lines of 64, no newline at the end. */
static char *
base64_lines(const guint8 *data, gsize len)
{
    g_autofree char *b64 = g_base64_encode(data, len);
    GString *out = g_string_new(NULL);
    gsize n = strlen(b64);

    for (gsize i = 0; i < n; i += 64) {
        if (i)
            g_string_append_c(out, '\n');
        g_string_append_len(out, b64 + i, (gssize)MIN((gsize)64, n - i));
    }
    return g_string_free(out, FALSE);
}

static char *
sign_plain(EVP_PKEY *key, const char *doc)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    g_autofree guint8 *sig = NULL;
    size_t len = 0;
    char *out = NULL;

    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(md, NULL, &len, (const guint8 *)doc, strlen(doc)) == 1) {
        sig = g_malloc(len);
        if (EVP_DigestSign(md, sig, &len, (const guint8 *)doc, strlen(doc)) == 1)
            out = base64_lines(sig, len);
    }
    EVP_MD_CTX_free(md);
    return out;
}

/* PKCS#7 SignedData over @doc (embedded, binary), the PEM body without BEGIN/END. */
static char *
sign_pkcs7(EVP_PKEY *key, X509 *crt, const EVP_MD *digest, const char *doc)
{
    const int flags = PKCS7_BINARY | PKCS7_NOCERTS | PKCS7_PARTIAL;
    BIO *in = BIO_new_mem_buf(doc, (int)strlen(doc));
    BIO *out = BIO_new(BIO_s_mem());
    PKCS7 *p7 = NULL;
    char *body = NULL;

    if (in && out && (p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags)) &&
        PKCS7_sign_add_signer(p7, crt, key, digest, flags) &&
        PKCS7_final(p7, in, flags) == 1 && PEM_write_bio_PKCS7(out, p7) == 1) {
        char *pem = NULL;
        long n = BIO_get_mem_data(out, &pem);
        g_autofree char *text = g_strndup(pem, (gsize)n);
        g_auto(GStrv) lines = g_strsplit(g_strstrip(text), "\n", -1);
        guint count = g_strv_length(lines);

        if (count > 2 && g_str_has_prefix(lines[0], "-----BEGIN") &&
            g_str_has_prefix(lines[count - 1], "-----END")) {
            g_free(lines[count - 1]);
            lines[count - 1] = NULL;
            body = g_strjoinv("\n", lines + 1);
        }
    }
    PKCS7_free(p7);
    BIO_free(in);
    BIO_free(out);
    return body;
}

gboolean
ami_identity_sign(const char *key_dir, const char *document, AmiIdentitySignatures *ret,
                  GError **error)
{
    Keys k = {0};
    AmiIdentitySignatures s = {0};
    gboolean ok = FALSE;

    if (!load_keys(key_dir, &k, error))
        goto out;
    s.signature = sign_plain(k.rsa, document);
    s.pkcs7 = sign_pkcs7(k.dsa, k.dsa_crt, EVP_sha1(), document);
    s.rsa2048 = sign_pkcs7(k.rsa, k.rsa_crt, EVP_sha256(), document);
    if (!s.signature || !s.pkcs7 || !s.rsa2048) {
        ssl_error(error, "cannot sign the identity document");
        ami_identity_signatures_clear(&s);
        goto out;
    }
    *ret = s;
    ok = TRUE;
out:
    keys_clear(&k);
    return ok;
}
