/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The signatures of the instance identity document (IMDS dynamic/instance-identity/),
 * made as EC2 makes them but with keys of the store's own (docs/imds.md "Signatures"):
 *   signature  base64 RSA-2048 PKCS#1 v1.5 signature of SHA-256(document)
 *   pkcs7      PKCS#7 SignedData, document embedded, DSA with SHA-1, no certificates
 *   rsa2048    PKCS#7 SignedData, document embedded, RSA-2048 with SHA-256, no certificates
 * The PKCS#7 ones are served as EC2 serves them: the PEM body without its BEGIN/END
 * lines.  Verify with the certificates in <store>/identity/ (rsa.crt, dsa.crt).
 */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    char *signature;
    char *pkcs7;
    char *rsa2048;
} AmiIdentitySignatures;

/**
 * ami_identity_sign() - sign @document with the keys in @key_dir, creating the keys
 * and their self-signed certificates (0600/0644, one atomic rename of the directory;
 * a concurrent creator's keys win) on first use.  Fills @ret (clear it with
 * ami_identity_signatures_clear()).  AMI_ERROR_HOST on I/O or OpenSSL failures,
 * AMI_ERROR_CORRUPT for an unreadable key directory.
 */
gboolean ami_identity_sign(const char *key_dir, const char *document,
                           AmiIdentitySignatures *ret, GError **error);

void ami_identity_signatures_clear(AmiIdentitySignatures *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AmiIdentitySignatures, ami_identity_signatures_clear)

G_END_DECLS
