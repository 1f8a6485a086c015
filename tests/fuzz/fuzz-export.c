/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: ExportImage requests from arbitrary JSON.  Whatever is accepted, the file
 * path derived from it (BUCKET/PREFIXexport-ami-….EXT) stays below the working
 * directory: relative, no "." or ".." part, no control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    if (path[0] == '/')
        abort();
    for (const char *c = path; *c; c++) {
        if ((unsigned char)*c < 0x20)
            abort();
    }
    for (char **p = parts; *p; p++) {
        if (strcmp(*p, "..") == 0 || strcmp(*p, ".") == 0)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(json_t) doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    g_autoptr(AmiExportRequest) r = NULL;
    g_autoptr(json_t) result = NULL;
    g_autoptr(json_t) record = NULL;
    g_autofree char *path = NULL;

    if (!doc || !(r = ami_export_request_parse(doc, NULL)))
        return 0;
    path = ami_export_default_path(r, "export-ami-0123456789abcdef0");
    check_path(path);
    result = ami_export_result(r, "export-ami-0123456789abcdef0");
    record = ami_export_task_record(r, "export-ami-0123456789abcdef0", "us-east-1", path);
    json_decref(ami_export_task_view(record));
    json_decref(ami_export_task_result(record));
    return 0;
}
