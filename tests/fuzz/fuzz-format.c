/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: any JSON value (a --query result can be any) through --output text and
 * table.  The first byte picks the terminal width; the rest is the JSON.
 */
#include <stdint.h>

#include "ami-run/cleanup.h"
#include "ami-run/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(json_t) v = NULL;
    g_autofree char *text = NULL;
    g_autofree char *table = NULL;

    if (size < 1)
        return 0;
    v = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return 0;
    text = ami_format_text(v);
    table = ami_format_table("T", v, data[0]);
    /* jansson's strings are UTF-8: what we print from them must be too. */
    g_assert(g_utf8_validate(text, -1, NULL));
    g_assert(g_utf8_validate(table, -1, NULL));
    return 0;
}
