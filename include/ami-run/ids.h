/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Kinds of EC2-style resource ids ami-run creates or accepts. */
typedef enum {
    AMI_ID_IMAGE,    /* ami-  */
    AMI_ID_SNAPSHOT, /* snap- */
    AMI_ID_VOLUME,   /* vol-  */
    AMI_ID_INSTANCE, /* i-    */
    AMI_ID_KEY_PAIR, /* key-  */
    AMI_ID_EXPORT_IMAGE_TASK, /* export-ami- */
    AMI_ID_LAST
} AmiIdKind;

/** ami_id_prefix() - "ami", "snap", "vol", "i", "key" or "export-ami" (no dash). Static. */
const char *ami_id_prefix(AmiIdKind kind);

/**
 * ami_id_is_valid() - whether @id is an acceptable id of @kind:
 * `^<prefix>-[0-9A-Za-z]{8,64}$`.  Such an id is always a safe single path component.
 * Documentation ids like ami-1234567890EXAMPLE and old 8-hex ids pass.
 */
gboolean ami_id_is_valid(AmiIdKind kind, const char *id);

/**
 * ami_id_format() - a new id of @kind from 9 random bytes: prefix, dash and 17
 * lowercase hex digits, as EC2 makes them.  Returns a newly allocated string.
 * The caller supplies the randomness so that this stays pure and testable.
 */
char *ami_id_format(AmiIdKind kind, const guint8 random[9]);

/** ami_id_new() - ami_id_format() with bytes from the system's random source. */
char *ami_id_new(AmiIdKind kind);

G_END_DECLS
