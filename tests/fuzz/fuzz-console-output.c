/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: a saved get-console-output (JSON, base64 or text) as `reproduce` reads it:
 * parsed, scanned for what QEMU cannot reproduce, and every line of it normalised into a
 * signature's key line.  A refusal is one line; normalising twice changes nothing more.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/repro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AmiSavedConsole) s =
        ami_saved_console_parse((const char *)data, size, "fuzz", &error);
    g_autofree char *unrepro = NULL;
    g_auto(GStrv) lines = NULL;
    g_autofree char *valid = NULL;

    if (!s) {
        g_assert(error && !strchr(error->message, '\n'));
        return 0;
    }
    g_assert(s->text[s->len] == '\0');
    unrepro = ami_console_unreproducible(s->text, s->len);
    valid = g_utf8_make_valid(s->text, (gssize)MIN(s->len, 4096));
    lines = g_strsplit(valid, "\n", 16);
    for (char **l = lines; *l; l++) {
        g_autofree char *once = ami_signature_normalise_line(*l);
        g_autofree char *twice = ami_signature_normalise_line(once);

        g_assert(g_utf8_validate(once, -1, NULL));
        g_assert(strcmp(once, twice) == 0);
    }
    return 0;
}
