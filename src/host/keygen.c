/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CreateKeyPair's keys, made with OpenSSL's EVP: RSA 2048 returned as an unencrypted
 * PKCS#1 PEM ("BEGIN RSA PRIVATE KEY", botocore's CreateKeyPair documentation: "an
 * unencrypted PEM encoded PKCS#1 private key"), ED25519 in OpenSSH's own format as EC2
 * returns it.  Fingerprints as EC2 computes them (docs/key-pairs.md).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/sshkey.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)

void
ami_key_material_free(AmiKeyMaterial *m)
{
    if (!m)
        return;
    if (m->private_key)
        OPENSSL_cleanse(m->private_key, strlen(m->private_key));
    g_free(m->private_key);
    g_free(m->public_key);
    g_free(m->fingerprint);
    g_free(m);
}

static gboolean
openssl_failed(GError **error, const char *what)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "OpenSSL cannot %s", what);
    return FALSE;
}

/* @pkey encoded as @format ("PEM"/"DER") in @structure; a new buffer of *ret_len bytes. */
static guint8 *
encode(EVP_PKEY *pkey, const char *format, const char *structure, gsize *ret_len)
{
    OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(pkey, OSSL_KEYMGMT_SELECT_KEYPAIR,
                                                          format, structure, NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    guint8 *out = NULL;

    if (ctx && OSSL_ENCODER_to_data(ctx, &data, &len) == 1) {
        out = g_memdup2(data, len);
        *ret_len = len;
        OPENSSL_clear_free(data, len);
    }
    OSSL_ENCODER_CTX_free(ctx);
    return out;
}

/* EC2's KeyMaterial has no newline after the END line. */
static char *
pem_text(const guint8 *data, gsize len)
{
    while (len > 0 && data[len - 1] == '\n')
        len--;
    return g_strndup((const char *)data, len);
}

static gboolean
rsa_material(AmiKeyMaterial *m, const char *key_name, GError **error)
{
    g_autoptr(EVP_PKEY) pkey = EVP_RSA_gen(2048);
    g_autoptr(AmiSshKey) pub = NULL;
    g_autofree guint8 *pem = NULL;
    g_autofree guint8 *der = NULL;
    gsize pem_len = 0, der_len = 0;
    BIGNUM *n = NULL, *e = NULL;

    if (!pkey)
        return openssl_failed(error, "generate an RSA key");
    /* "type-specific" is PKCS#1 for RSA; PrivateKeyInfo is PKCS#8, what EC2's SHA-1 hashes. */
    if (!(pem = encode(pkey, "PEM", "type-specific", &pem_len)) ||
        !(der = encode(pkey, "DER", "PrivateKeyInfo", &der_len)))
        return openssl_failed(error, "encode the RSA key");
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
        EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
        guint8 nb[256], eb[8];
        int nl = BN_bn2bin(n, nb), el = BN_num_bytes(e) <= 8 ? BN_bn2bin(e, eb) : 0;

        pub = ami_ssh_key_from_rsa(nb, (gsize)nl, eb, (gsize)el, error);
    }
    BN_free(n);
    BN_free(e);
    if (!pub)
        return error && *error ? FALSE : openssl_failed(error, "read the RSA public key");
    m->private_key = pem_text(pem, pem_len);
    m->public_key = ami_ssh_key_to_openssh(pub, key_name);
    m->fingerprint = ami_ssh_key_fingerprint_created_rsa(der, der_len);
    OPENSSL_cleanse(pem, pem_len);
    OPENSSL_cleanse(der, der_len);
    return TRUE;
}

static gboolean
ed25519_material(AmiKeyMaterial *m, const char *key_name, GError **error)
{
    g_autoptr(EVP_PKEY) pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    g_autoptr(AmiSshKey) pub = NULL;
    guint8 seed[32], pubv[32];
    size_t seed_len = sizeof(seed), pub_len = sizeof(pubv);
    guint32 check;
    g_autofree char *text = NULL;

    if (!pkey || EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 ||
        EVP_PKEY_get_raw_public_key(pkey, pubv, &pub_len) != 1 || seed_len != 32 ||
        pub_len != 32 || RAND_bytes((unsigned char *)&check, sizeof(check)) != 1)
        return openssl_failed(error, "generate an ED25519 key");
    pub = ami_ssh_key_from_ed25519(pubv);
    text = ami_ssh_ed25519_private_openssh(seed, pubv, check, key_name);
    OPENSSL_cleanse(seed, sizeof(seed));
    m->private_key = pem_text((const guint8 *)text, strlen(text));
    OPENSSL_cleanse(text, strlen(text));
    m->public_key = ami_ssh_key_to_openssh(pub, key_name);
    m->fingerprint = ami_ssh_key_fingerprint_sha256(pub);
    return TRUE;
}

AmiKeyMaterial *
ami_keygen(AmiKeyType type, const char *key_name, GError **error)
{
    g_autoptr(AmiKeyMaterial) m = g_new0(AmiKeyMaterial, 1);
    gboolean ok = FALSE;

    switch (type) {
    case AMI_KEY_TYPE_RSA:
        ok = rsa_material(m, key_name, error);
        break;
    case AMI_KEY_TYPE_ED25519:
        ok = ed25519_material(m, key_name, error);
        break;
    case AMI_KEY_TYPE_LAST:
        g_return_val_if_reached(NULL);
    }
    return ok ? g_steal_pointer(&m) : NULL;
}
