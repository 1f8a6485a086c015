/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* g_autoptr() cleanups for the foreign types libamirun uses, in one place. */

#include <glib.h>
#include <jansson.h>
#include <errno.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

static inline void
ami_close_fdp(int *fd)
{
    if (*fd >= 0) {
        int errsv = errno;
        close(*fd);
        errno = errsv;
    }
}

/* `g_auto(AmiFd) fd = -1;` closes the descriptor when it goes out of scope. */
typedef int AmiFd;
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AmiFd, ami_close_fdp)
