/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ami-run disable-image-deprecation: clears DeprecationTime. */
#include "ami-run/cleanup.h"
#include "edit-common.h"

static gboolean
clear_deprecation(json_t *image, gpointer data, GError **error)
{
    (void)data;
    (void)error;
    json_object_del(image, "DeprecationTime");
    return TRUE;
}

gboolean
cmd_disable_image_deprecation(Cli *cli, int argc, char **argv, GError **error)
{
    char *image_id = NULL;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &image_id, "ami-…", "the image"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) result = json_pack("{s:b}", "Return", 1);
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Cancel an AMI's deprecation.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_edit_image(cli, image_id, clear_deprecation, NULL, error))
        goto out;
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
