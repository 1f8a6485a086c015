/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the key-pair verbs share (docs/key-pairs.md): names, tags, the store. */

#include "cli.h"

/**
 * cli_key_name_check() - EC2's KeyName rule ("Up to 255 ASCII characters"), printable only:
 * the name goes into the public key's comment, the seed and IMDS's "0=NAME" listing.
 */
gboolean cli_key_name_check(const char *name, GError **error);

/**
 * cli_key_pair_tags() - the Tags of --tag-specifications (shorthand or JSON items, each
 * ResourceType=key-pair).  A new list, empty when @specs is NULL.
 */
json_t *cli_key_pair_tags(char **specs, GError **error);

/**
 * cli_key_pair_find() - the stored key pair named @name (new reference), or NULL with
 * AMI_ERROR_NOT_FOUND "InvalidKeyPair.NotFound: …".  @store may be NULL (no store yet).
 */
json_t *cli_key_pair_find(AmiStore *store, const char *name, GError **error);

/**
 * cli_key_pair_add() - store @record (a KeyPairInfo with PublicKey, never a private key)
 * under the store lock, refusing a name already there with AMI_ERROR_EXISTS
 * "InvalidKeyPair.Duplicate: …".  With @dry_run, only the checks.
 */
gboolean cli_key_pair_add(const Cli *cli, json_t *record, gboolean dry_run, GError **error);

/** cli_key_pair_dry_run_notice() - EC2's DryRunOperation answer, as a notice. */
void cli_key_pair_dry_run_notice(const Cli *cli);
