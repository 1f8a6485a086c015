/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The offline cleanup of a captured disk (`create-image --sysprep[=OPS]`, docs/sysprep.md):
 * the operations as data.  Pure: host/guestfs.c interprets the rules on a libguestfs handle.
 */

/* What a rule does with its path (an absolute guest path, or one relative to each home). */
typedef enum {
    AMI_SYSPREP_REMOVE,      /* glob @path, rm -rf every match                          */
    AMI_SYSPREP_HOME_REMOVE, /* the same for @path relative to every user's home           */
    AMI_SYSPREP_EMPTY_DIR,   /* rm -rf every entry of the directory @path, dotfiles too    */
    AMI_SYSPREP_CLOUD_STATE, /* rm -rf every entry of @path except seed/ (cloud-init clean) */
    AMI_SYSPREP_TRUNCATE,    /* @path to 0 bytes when it is a regular file (not a symlink) */
    AMI_SYSPREP_LOGS,        /* under @path: live logs to 0 bytes, rotated archives removed */
    AMI_SYSPREP_FSTRIM,      /* discard the free space of every mounted file system        */
    AMI_SYSPREP_LAST
} AmiSysprepAction;

typedef struct {
    AmiSysprepAction action;
    const char *path; /* NULL ends an operation's rules */
} AmiSysprepRule;

typedef struct {
    const char *name;        /* as given to --sysprep= */
    const char *description; /* one line, for --sysprep=list */
    gboolean by_default;     /* part of the list when --sysprep has no =OPS */
    const AmiSysprepRule *rules;
} AmiSysprepOp;

/** ami_sysprep_ops() - the operation table, in the order they run; @ret_n gets its length. */
const AmiSysprepOp *ami_sysprep_ops(gsize *ret_n);

/**
 * ami_sysprep_parse_ops() - which operations @ops selects, as a bit per table index.
 * NULL selects the defaults.  Otherwise comma-separated items, applied left to right:
 * `NAME` adds one, `-NAME` removes one, `defaults` adds the defaults; a list made only
 * of removals starts from the defaults (`-ssh-hostkeys` = the defaults but that one).
 * An unknown name or an empty item is AMI_ERROR_INVALID naming it.
 */
gboolean ami_sysprep_parse_ops(const char *ops, guint64 *ret_selected, GError **error);

/**
 * ami_sysprep_log_is_archive() - whether the file @name (a base name under /var/log) is a
 * rotated or archived log that no program writes again (`syslog.1`, `dpkg.log.2.gz`,
 * `auth.log-20240101`, `system@….journal`, `….journal~`): those are removed, the live
 * logs truncated.
 */
gboolean ami_sysprep_log_is_archive(const char *name);

G_END_DECLS
