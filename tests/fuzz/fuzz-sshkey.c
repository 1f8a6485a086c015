/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: any bytes as import-key-pair --public-key-material (core/sshkey.c): a key,
 * or one InvalidKey.Format line.  A key re-parses from its OpenSSH line to the same blob,
 * and every fingerprint can be computed.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSshKey) key = ami_ssh_key_parse(data, size, &error);
    g_autoptr(AmiSshKey) again = NULL;
    g_autofree char *line = NULL;
    g_autofree char *md5 = NULL;
    g_autofree char *sha = NULL;
    g_autofree char *imported = NULL;

    if (!key) {
        g_assert(error && strstr(error->message, "InvalidKey.Format") &&
                 !strchr(error->message, '\n'));
        return 0;
    }
    g_assert(!error && key->type < AMI_KEY_TYPE_LAST);
    line = ami_ssh_key_to_openssh(key, key->comment);
    again = ami_ssh_key_parse((const guint8 *)line, strlen(line), &error);
    g_assert(again && g_bytes_equal(again->blob, key->blob));
    md5 = ami_ssh_key_fingerprint_md5(key);
    sha = ami_ssh_key_fingerprint_sha256(key);
    imported = ami_ssh_key_fingerprint_imported(key);
    g_assert(md5 && sha && imported && strlen(sha) == 44);
    return 0;
}
