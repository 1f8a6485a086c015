/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: any bytes as an AWS CLI shorthand option value (core/shorthand.c). */
#include <stdint.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/shorthand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size); /* argv: no NUL inside */
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) v = ami_shorthand_parse(text, &error);

    /* A JSON object, or one error line that names the column. */
    g_assert(v ? json_is_object(v) && !error : error != NULL);
    if (error)
        g_assert(!strchr(error->message, '\n') && strstr(error->message, "column"));
    return 0;
}
