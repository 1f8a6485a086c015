/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

gboolean
ami_error_invalid(GError **error, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_propagate_error(error, g_error_new_valist(AMI_ERROR, AMI_ERROR_INVALID, fmt, ap));
    va_end(ap);
    return FALSE;
}
