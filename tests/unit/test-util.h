/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Shared by the cmocka tests: cmocka wants these headers in this order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <jansson.h>

static inline json_t *
parse_json(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);

    if (!v)
        fail_msg("bad JSON in test: %s (%s)", e.text, text);
    return v;
}

/* Assert that @error is set and its message contains @needle. */
#define assert_error_contains(error, needle)                                                 \
    do {                                                                                     \
        assert_non_null(error);                                                              \
        if (!strstr((error)->message, (needle)))                                             \
            fail_msg("error '%s' does not contain '%s'", (error)->message, (needle));        \
    } while (0)
