/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <gio/gio.h>

#include "ami-run/error.h"

G_DEFINE_QUARK(ami-run-error-quark, ami_error)

int
ami_error_exit_code(const GError *error)
{
    if (!error)
        return 0;
    if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CANCELLED)
        return 130;
    if (error->domain != AMI_ERROR)
        return 4;

    switch ((AmiErrorCode)error->code) {
    case AMI_ERROR_INVALID:
    case AMI_ERROR_NOT_FOUND:
    case AMI_ERROR_IN_USE:
    case AMI_ERROR_EXISTS:
        return 2;
    case AMI_ERROR_BOOT:
        return 1;
    case AMI_ERROR_TIMEOUT:
        return 3;
    case AMI_ERROR_HOST:
    case AMI_ERROR_NO_SPACE:
    case AMI_ERROR_CORRUPT:
        return 4;
    case AMI_ERROR_CANCELLED:
        return 130;
    case AMI_ERROR_WAITER:
        return 255;
    case AMI_ERROR_LAST:
        break;
    }
    return 4;
}

gboolean
ami_error_set_errno(GError **error, int errsv, const char *what)
{
    int code = (errsv == ENOSPC || errsv == EDQUOT) ? AMI_ERROR_NO_SPACE : AMI_ERROR_HOST;

    g_set_error(error, AMI_ERROR, code, "%s: %s", what, g_strerror(errsv));
    return FALSE;
}

/* Control characters a message quotes from input, escaped: an error stays one line
 * (and cannot move a terminal's cursor), whatever the user or a file gave. */
static char *
one_line(const char *msg)
{
    GString *out = g_string_sized_new(strlen(msg));

    for (const char *p = msg; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    return g_string_free(out, FALSE);
}

gboolean
ami_error_invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *clean = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    clean = one_line(msg);
    g_set_error_literal(error, AMI_ERROR, AMI_ERROR_INVALID, clean);
    return FALSE;
}
