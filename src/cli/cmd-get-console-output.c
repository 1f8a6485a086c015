/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run get-console-output: {"InstanceId", "Timestamp", "Output"} with the last 64 KiB
 * of the serial console, as EC2 keeps it (the AWS CLI shows Output decoded, as here).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/import.h"
#include "ami-run/launch.h"
#include "cli.h"

#define CONSOLE_KEEP 65536

gboolean
cmd_get_console_output(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL;
    int latest = 0;
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &id, "i-…", "the instance"},
        {"latest", ARG_BOOL, &latest, NULL, "the most recent output (always, here)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(json_t) result = NULL;
    g_autofree char *text = NULL;
    g_autofree char *now = ami_now_iso8601();
    const char *path, *out;
    gsize len = 0, keep;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Show an instance's serial console.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "instance-id", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !(record = ami_instance_find(store, id, error)))
        goto out;
    path = json_string_value(json_object_get(json_object_get(record, "AmiRun"), "Console"));
    if (path)
        g_file_get_contents(path, &text, &len, NULL);
    keep = text ? MIN(len, CONSOLE_KEEP) : 0;
    out = text ? text + (len - keep) : "";
    /* A cut inside a UTF-8 character starts after it, not with a U+FFFD for its tail. */
    for (int i = 0; i < 3 && keep < len && keep > 0 && ((guchar)*out & 0xC0) == 0x80; i++) {
        out++;
        keep--;
    }
    /*
     * Console bytes are not always UTF-8: keep what is, replace the rest with U+FFFD.
     * With its length given, g_utf8_make_valid() counts a NUL byte as invalid too, so
     * it is replaced rather than ending the Output there.
     */
    {
        g_autofree char *valid = g_utf8_make_valid(out, (gssize)keep);
        result = json_pack("{s:s, s:s, s:s}", "InstanceId", id, "Timestamp", now, "Output", valid);
    }
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
