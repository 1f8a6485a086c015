/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run import-key-pair: EC2's ImportKeyPair.  --public-key-material takes what the
 * AWS CLI takes: fileb://PATH (the file's bytes), file://PATH, or the material in base64
 * (AWS CLI v2's default for blobs); a value that is not base64 is taken as the key itself.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "ami-run/sshkey.h"
#include "keypair-common.h"

static GBytes *
read_material(const char *value, GError **error)
{
    const char *path = g_str_has_prefix(value, "fileb://") ? value + 8
                       : g_str_has_prefix(value, "file://") ? value + 7
                                                            : NULL;
    g_autofree char *data = NULL;
    gsize len = 0;
    guchar *raw;

    if (path) {
        struct stat st;

        /* Not /dev/zero, not a 4 GB file: a public key is a few KB at most. */
        if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > AMI_SSH_KEY_TEXT_MAX)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "InvalidKey.Format: --public-key-material '%s' is not a file of at most "
                        "%d bytes", path, AMI_SSH_KEY_TEXT_MAX);
            return NULL;
        }
        if (!g_file_get_contents(path, &data, &len, NULL)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--public-key-material '%s': %s",
                        path, g_strerror(errno));
            return NULL;
        }
        return g_bytes_new_take(g_steal_pointer(&data), len);
    }
    /* g_base64_decode() checks nothing: accept only strict base64 (no spaces, groups of 4). */
    len = strlen(value);
    if (len && len % 4 == 0 && strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789+/=") == len) {
        raw = g_base64_decode(value, &len);
        return g_bytes_new_take(raw, len);
    }
    return g_bytes_new(value, strlen(value));
}

gboolean
cmd_import_key_pair(Cli *cli, int argc, char **argv, GError **error)
{
    char *key_name = NULL, *material = NULL;
    char **tag_specs = NULL;
    int dry_run = -1;
    const ArgSpec specs[] = {
        {"key-name", ARG_STRING, &key_name, "NAME", "a unique name (up to 255 ASCII characters)"},
        {"public-key-material", ARG_STRING, &material, "fileb://F|B64", "the public key: OpenSSH, RFC 4716, PEM or DER"},
        {"tag-specifications", ARG_LIST, &tag_specs, "ResourceType=key-pair,Tags=[…]", "tags for the key pair"},
        {"dry-run", ARG_BOOL, &dry_run, NULL, "check everything, import nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(AmiSshKey) key = NULL;
    g_autoptr(json_t) tags = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(json_t) out = NULL;
    g_autofree char *id = ami_id_new(AMI_ID_KEY_PAIR);
    g_autofree char *now = ami_now_iso8601();
    g_autofree char *fingerprint = NULL;
    g_autofree char *line = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Import the public key of a key pair you made.", specs, argc, argv,
                        &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(key_name, "key-name", error) || !cli_key_name_check(key_name, error) ||
        (!material && !cli_require(material, "public-key-material", error)) || !material ||
        !(tags = cli_key_pair_tags(tag_specs, error)) || !(bytes = read_material(material, error)) ||
        !(key = ami_ssh_key_parse(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), error)))
        goto out;
    if (!(fingerprint = ami_ssh_key_fingerprint_imported(key))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "OpenSSL cannot encode the public key");
        goto out;
    }
    line = ami_ssh_key_to_openssh(key, key_name);
    record = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "KeyPairId", id, "KeyFingerprint",
                       fingerprint, "KeyName", key_name, "KeyType",
                       ami_key_type_to_string(key->type), "Tags", tags, "PublicKey", line,
                       "CreateTime", now);
    if (!cli_key_pair_add(cli, record, dry_run > 0, error))
        goto out;
    if (dry_run > 0) {
        cli_key_pair_dry_run_notice(cli);
        ok = TRUE;
        goto out;
    }
    out = json_pack("{s:s, s:s, s:s}", "KeyFingerprint", fingerprint, "KeyName", key_name,
                    "KeyPairId", id);
    if (json_array_size(tags))
        json_object_set(out, "Tags", tags);
    cli_print(cli, out);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
