/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/random.h>

#include "ami-run/ids.h"

char *
ami_id_new(AmiIdKind kind)
{
    guint8 bytes[9];
    size_t got = 0;

    while (got < sizeof(bytes)) {
        ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);

        if (n > 0)
            got += (size_t)n;
        else
            g_error("getrandom() failed");
    }
    return ami_id_format(kind, bytes);
}
