/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SSH public keys for EC2 key pairs (docs/key-pairs.md): the formats ImportKeyPair takes
 * (OpenSSH one-line, RFC 4716, DER or PEM SubjectPublicKeyInfo, base64 DER), the
 * fingerprints EC2 shows, and the OpenSSH private-key format EC2 hands out for ed25519.
 * Pure: no I/O, no clock, no randomness (the caller supplies the check bytes).
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    AMI_KEY_TYPE_RSA,
    AMI_KEY_TYPE_ED25519,
    AMI_KEY_TYPE_LAST
} AmiKeyType;

/** ami_key_type_to_string() - "rsa" or "ed25519" (EC2's KeyType). Static string. */
const char *ami_key_type_to_string(AmiKeyType v);
/** ami_key_type_from_string() - the reverse; FALSE for anything else. */
gboolean ami_key_type_from_string(const char *s, AmiKeyType *ret);

/* The longest public key text accepted (an RSA 16384-bit OpenSSH line is ~2.8 KB). */
#define AMI_SSH_KEY_TEXT_MAX 16384

typedef struct {
    AmiKeyType type;
    GBytes *blob;  /* RFC 4253 §6.6 wire encoding, canonical (re-encoded from the values) */
    guint bits;    /* RSA modulus size; 256 for ed25519 */
    char *comment; /* OpenSSH comment or RFC 4716 Comment header; NULL when none */
} AmiSshKey;

/**
 * ami_ssh_key_parse() - a public key in any format ImportKeyPair accepts: an OpenSSH line
 * (`ssh-rsa AAAA… comment`), an RFC 4716 block, a PEM or DER SubjectPublicKeyInfo, or
 * base64 of that DER.  Only rsa (1024-16384 bits) and ed25519.  Errors are
 * AMI_ERROR_INVALID with "InvalidKey.Format" in the message.  Returns a new key.
 */
AmiSshKey *ami_ssh_key_parse(const guint8 *data, gsize len, GError **error);

/** ami_ssh_key_free() - accepts NULL. */
void ami_ssh_key_free(AmiSshKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiSshKey, ami_ssh_key_free)

/**
 * ami_ssh_key_from_rsa() - a key from an RSA modulus and exponent (big-endian, unsigned).
 * Returns a new key, or NULL with AMI_ERROR_INVALID.
 */
AmiSshKey *ami_ssh_key_from_rsa(const guint8 *n, gsize n_len, const guint8 *e, gsize e_len,
                                GError **error);

/** ami_ssh_key_from_ed25519() - a key from the 32-byte public value.  New key. */
AmiSshKey *ami_ssh_key_from_ed25519(const guint8 pub[32]);

/**
 * ami_ssh_key_to_openssh() - the one-line OpenSSH form, `TYPE BASE64[ COMMENT]`, without a
 * newline.  @comment NULL or "" leaves it out.  Returns a new string.
 */
char *ami_ssh_key_to_openssh(const AmiSshKey *key, const char *comment);

/** ami_colon_hex() - "aa:bb:…", lowercase, of @len bytes.  New string. */
char *ami_colon_hex(const guint8 *data, gsize len);

/**
 * ami_ssh_key_fingerprint_sha256() - base64 SHA-256 of the blob, as `ssh-keygen -l` prints
 * after "SHA256:" but with the '=' padding EC2 keeps.  New string.
 */
char *ami_ssh_key_fingerprint_sha256(const AmiSshKey *key);

/**
 * ami_ssh_key_fingerprint_md5() - colon-hex MD5 of the blob: RFC 4716 §4, what
 * `ssh-keygen -l -E md5` prints after "MD5:".  (Not what EC2 shows for imported RSA keys:
 * see ami_ssh_key_fingerprint_imported().)  New string.
 */
char *ami_ssh_key_fingerprint_md5(const AmiSshKey *key);

/**
 * ami_ssh_key_fingerprint_imported() - KeyFingerprint as ImportKeyPair computes it: RSA,
 * colon-hex MD5 of the DER SubjectPublicKeyInfo (`openssl pkey -pubout -outform DER |
 * openssl md5 -c`); ed25519, ami_ssh_key_fingerprint_sha256().  New string.
 */
char *ami_ssh_key_fingerprint_imported(const AmiSshKey *key);

/**
 * ami_ssh_key_fingerprint_created_rsa() - KeyFingerprint of an RSA key CreateKeyPair made:
 * colon-hex SHA-1 of the DER PKCS#8 private key @pkcs8_der.  New string.
 */
char *ami_ssh_key_fingerprint_created_rsa(const guint8 *pkcs8_der, gsize len);

/**
 * ami_ssh_ed25519_private_openssh() - an unencrypted "BEGIN OPENSSH PRIVATE KEY" file
 * (OpenSSH PROTOCOL.key) for the ed25519 key @seed/@pub with @comment, @check as its
 * check integer.  Returns a new string ending in a newline.
 */
char *ami_ssh_ed25519_private_openssh(const guint8 seed[32], const guint8 pub[32], guint32 check,
                                      const char *comment);

G_END_DECLS
