/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * One error domain for libamirun.  The codes are the categories the CLI maps to its
 * documented exit codes (README "Exit codes"); the message carries the detail.
 */
#define AMI_ERROR (ami_error_quark())

typedef enum {
    AMI_ERROR_INVALID,   /* bad input: malformed JSON, enum, size, id, flag    -> 2 */
    AMI_ERROR_NOT_FOUND, /* an id the user named does not exist in the store  -> 2 */
    AMI_ERROR_IN_USE,    /* refused: the object is still referenced            -> 2 */
    AMI_ERROR_EXISTS,    /* refused: an object with that id or name exists     -> 2 */
    AMI_ERROR_BOOT,      /* the guest failed to boot                           -> 1 */
    AMI_ERROR_TIMEOUT,   /* no verdict before the deadline                     -> 3 */
    AMI_ERROR_HOST,      /* host/environment: missing tool, I/O error, network -> 4 */
    AMI_ERROR_NO_SPACE,  /* host: no space left on the store's file system     -> 4 */
    AMI_ERROR_CORRUPT,   /* host: the store is corrupted                       -> 4 */
    AMI_ERROR_CANCELLED, /* interrupted by SIGINT/SIGTERM                      -> 130 */
    AMI_ERROR_WAITER,    /* `wait`: the waiter failed, as the AWS CLI's        -> 255 */
    AMI_ERROR_LAST
} AmiErrorCode;

/** ami_error_quark() - the GQuark of AMI_ERROR. */
GQuark ami_error_quark(void);

/**
 * ami_error_exit_code() - the process exit code for @error.
 * Returns 0 for NULL; errors from other domains count as host problems (4),
 * except G_IO_ERROR_NO_SPACE (4) and G_IO_ERROR_CANCELLED (130).
 */
int ami_error_exit_code(const GError *error);

/**
 * ami_error_set_errno() - set @error from an errno value for @what (a path or an
 * action), mapping ENOSPC/EDQUOT to AMI_ERROR_NO_SPACE and the rest to AMI_ERROR_HOST.
 * Returns FALSE so callers can `return ami_error_set_errno(...)`.
 */
gboolean ami_error_set_errno(GError **error, int errsv, const char *what);

/** ami_error_invalid() - set an AMI_ERROR_INVALID error from @fmt, control characters the
 * message quotes from input escaped (as \n, \xNN: always one line); returns FALSE. */
gboolean ami_error_invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

G_END_DECLS
