/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The NoCloud seed (cloud-init doc/rtd/reference/datasources/nocloud.rst): a file system
 * labelled "cidata" with meta-data, user-data (both required, or cloud-init ignores the
 * seed) and network-config.  Contents are pure (seed.c); the ISO is written by iso.c.
 */

#include <glib.h>

G_BEGIN_DECLS

/* EC2's limit on raw user data (before base64). */
#define AMI_USER_DATA_MAX 16384

typedef struct {
    const char *instance_id;
    const char *hostname;        /* NULL: derived from the instance id */
    const char *const *ssh_keys; /* NULL-terminated, may be NULL */
    const char *mac;             /* the first NIC, for network-config */
    GBytes *user_data;           /* NULL: none (an empty file is still written) */
} AmiSeedSpec;

typedef struct {
    char *meta_data;
    char *network_config;
    GBytes *user_data; /* byte-exact */
} AmiSeedFiles;

void ami_seed_files_free(AmiSeedFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiSeedFiles, ami_seed_files_free)

/**
 * ami_seed_files_build() - the seed's files.  User data over 16 KB raw, SSH keys that are
 * not one printable line, or a bad hostname are AMI_ERROR_INVALID.  Pure.
 */
AmiSeedFiles *ami_seed_files_build(const AmiSeedSpec *spec, GError **error);

/**
 * ami_seed_iso_write() - write @files as an ISO 9660 + Joliet + Rock Ridge image with
 * volume id "cidata" to the new file @path (mode 0600), with libisofs.
 */
gboolean ami_seed_iso_write(const AmiSeedFiles *files, const char *path, GError **error);

G_END_DECLS
