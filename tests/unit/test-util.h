/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Shared by the cmocka tests: cmocka wants these headers in this order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <glib.h>
#include <jansson.h>

/*
 * One part of a test cannot run here: say so, and log it for scripts/ctest-gate, which
 * counts it as a skip (cmocka's skip() alone exits 0, and CI would never know).
 */
static inline void
test_skip_part(const char *test, const char *reason)
{
    const char *log = g_getenv("AMI_RUN_SKIP_LOG");
    FILE *f;

    print_message("SKIP (part): %s\n", reason);
    if (log && (f = fopen(log, "a"))) {
        fprintf(f, "unit/%s: %s\n", test, reason);
        fclose(f);
    }
}

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
