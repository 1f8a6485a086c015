/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run create-key-pair: EC2's CreateKeyPair.  The private key is printed once, as
 * KeyMaterial, and never stored; the store keeps the public half (docs/key-pairs.md).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "keypair-common.h"

typedef struct {
    char *key_name, *key_type, *key_format;
    char **tag_specs;
    int dry_run;
} CreateOpts;

static gboolean
check_options(const CreateOpts *o, AmiKeyType *ret_type, GError **error)
{
    if (!cli_require(o->key_name, "key-name", error) || !cli_key_name_check(o->key_name, error))
        return FALSE;
    *ret_type = AMI_KEY_TYPE_RSA;
    if (o->key_type && !ami_key_type_from_string(o->key_type, ret_type)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--key-type '%.32s' is not rsa or ed25519",
                    o->key_type);
        return FALSE;
    }
    if (o->key_format && strcmp(o->key_format, "pem") != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    strcmp(o->key_format, "ppk") == 0
                        ? "--key-format ppk (PuTTY) is not supported; use pem and convert it "
                          "with puttygen"
                        : "--key-format '%.32s' is not pem",
                    o->key_format);
        return FALSE;
    }
    return TRUE;
}

static json_t *
new_record(const char *name, AmiKeyType type, const AmiKeyMaterial *m, json_t *tags)
{
    g_autofree char *id = ami_id_new(AMI_ID_KEY_PAIR);
    g_autofree char *now = ami_now_iso8601();

    return json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "KeyPairId", id, "KeyFingerprint",
                     m->fingerprint, "KeyName", name, "KeyType", ami_key_type_to_string(type),
                     "Tags", tags, "PublicKey", m->public_key, "CreateTime", now);
}

gboolean
cmd_create_key_pair(Cli *cli, int argc, char **argv, GError **error)
{
    CreateOpts o = {.dry_run = -1};
    const ArgSpec specs[] = {
        {"key-name", ARG_STRING, &o.key_name, "NAME", "a unique name (up to 255 ASCII characters)"},
        {"key-type", ARG_STRING, &o.key_type, "rsa|ed25519", "the key type (default rsa, 2048 bits)"},
        {"key-format", ARG_STRING, &o.key_format, "pem", "the private key's format (pem only)"},
        {"tag-specifications", ARG_LIST, &o.tag_specs, "ResourceType=key-pair,Tags=[…]", "tags for the key pair"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "check everything, create nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiKeyMaterial) m = NULL;
    g_autoptr(json_t) tags = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(json_t) out = NULL;
    AmiKeyType type = AMI_KEY_TYPE_RSA;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Create a key pair: print the private key once, store the public key.",
                        specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!check_options(&o, &type, error) || !(tags = cli_key_pair_tags(o.tag_specs, error)))
        goto out;
    if (o.dry_run > 0) {
        g_autoptr(json_t) probe = json_pack("{s:s}", "KeyName", o.key_name);

        if ((ok = cli_key_pair_add(cli, probe, TRUE, error)))
            cli_key_pair_dry_run_notice(cli);
        goto out;
    }
    if (!(m = ami_keygen(type, o.key_name, error)))
        goto out;
    record = new_record(o.key_name, type, m, tags);
    if (!cli_key_pair_add(cli, record, FALSE, error))
        goto out;
    out = json_pack("{s:s, s:s, s:s, s:O}", "KeyFingerprint", m->fingerprint, "KeyMaterial",
                    m->private_key, "KeyName", o.key_name, "KeyPairId",
                    json_object_get(record, "KeyPairId"));
    if (json_array_size(tags))
        json_object_set(out, "Tags", tags);
    cli_print(cli, out);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
