/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the parsers inspect and logs run over guest-controlled bytes (an image's
 * initramfs, boot loader configurations, cloud-init files and logs).  The first byte
 * picks the parser; the rest is the input.  cpio must never read past the end, and its
 * end offset must lie within the input.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"grub", "systemd-boot", "syslinux"};
    g_autofree char *text = NULL;

    if (size < 1)
        return 0;
    if (data[0] % 4 == 0) {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        gsize end = 0;

        if (ami_cpio_list(data + 1, size - 1, names, &end, NULL) && end > size - 1)
            __builtin_trap();
        return 0;
    }
    text = g_strndup((const char *)data + 1, size - 1);
    if (data[0] % 4 == 1) {
        g_autoptr(json_t) e = ami_boot_entries_parse(kinds[(data[0] >> 2) % 3], "f", text);
        size_t i;
        json_t *x;

        json_array_foreach(e, i, x) {
            g_auto(GStrv) c = ami_cmdline_values(json_string_value(json_object_get(x, "Options")), "console");
            (void)c;
        }
    } else if (data[0] % 4 == 2) {
        g_auto(GStrv) l = ami_cloud_datasource_list(text);
        (void)l;
    } else if (ami_cloud_init_log_last_boot(text) > strlen(text)) {
        __builtin_trap();
    }
    return 0;
}
