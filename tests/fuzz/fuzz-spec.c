/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: any bytes as a `ami-run test` spec (YAML or JSON).  A spec either parses or
 * fails with one line that starts with the file name; one that parses expands over two
 * images of both architectures, and every cell's argv is options only.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) spec = ami_spec_parse((const char *)data, size, "f.yaml", "/base", &error);
    g_autoptr(json_t) images = json_pack("[{s:s, s:s}, {s:s, s:s}]", "ImageId", "ami-1",
                                         "Architecture", "x86_64", "ImageId", "ami-2",
                                         "Architecture", "arm64");
    g_autoptr(json_t) cells = NULL;
    size_t i;
    json_t *cell;

    if (!spec) {
        g_assert(error && g_str_has_prefix(error->message, "f.yaml:"));
        g_assert(!strchr(error->message, '\n'));
        return 0;
    }
    if (!(cells = ami_spec_expand(spec, images, NULL)))
        return 0;
    json_array_foreach (cells, i, cell) {
        g_auto(GStrv) argv = ami_spec_cell_argv(spec, cell, NULL);
        g_autoptr(json_t) checks = NULL;

        g_assert(g_str_equal(argv[0], "run"));
        for (char **a = argv + 1; *a; a++)
            g_assert(g_str_has_prefix(*a, "--"));
        if (i == 0) {
            checks = ami_spec_checks(spec, 1, NULL, "console\nline\n", 13, "x");
            g_assert(!ami_spec_checks_passed(checks));
        }
    }
    return 0;
}
