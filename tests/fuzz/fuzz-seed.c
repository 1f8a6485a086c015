/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the NoCloud seed from arbitrary hostname, keys and user data (byte-exact). */
#include <stdint.h>
#include <string.h>

#include "ami-run/seed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* hostname \0 key \0 key … \0\0 user data */
    g_autofree char *text = g_strndup((const char *)data, size);
    const char *end = (const char *)data + size, *p = (const char *)data;
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    g_autoptr(GBytes) user_data = NULL;
    g_autoptr(GError) error = NULL;
    AmiSeedSpec spec = {.instance_id = "i-0123456789abcdef0", .mac = "52:54:00:12:34:56"};
    AmiSeedFiles *files;
    const char *hostname = NULL;

    (void)text;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        char *s;

        if (!nul)
            break;
        s = g_strndup(p, (size_t)(nul - p));
        p = nul + 1;
        if (!*s) {
            g_free(s);
            break;
        }
        if (!hostname)
            hostname = s;
        else
            g_ptr_array_add(keys, s);
    }
    g_ptr_array_add(keys, NULL);
    user_data = g_bytes_new(p, (size_t)(end - p));
    spec.hostname = hostname;
    spec.ssh_keys = (const char *const *)keys->pdata;
    spec.user_data = user_data;
    files = ami_seed_files_build(&spec, &error);
    g_assert(files || error);
    if (files) {
        g_assert(g_bytes_equal(files->user_data, user_data)); /* byte-exact */
        ami_seed_files_free(files);
    }
    g_free((char *)hostname);
    for (guint i = 0; i + 1 < keys->len; i++)
        g_free(keys->pdata[i]);
    return 0;
}
