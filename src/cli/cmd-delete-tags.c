/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run delete-tags: `--tags Key=k` removes the key, `Key=k,Value=v` only when the value
 * matches, no --tags removes every tag (as `aws ec2 delete-tags`).  Prints nothing.
 */
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "edit-common.h"

static gboolean
remove_tags(json_t *tags, json_t *request, GError **error)
{
    (void)error;
    if (!request) {
        json_array_clear(tags);
        return TRUE;
    }
    for (size_t i = json_array_size(tags); i-- > 0;) {
        json_t *old = json_array_get(tags, i);
        size_t j;
        json_t *t;

        json_array_foreach(request, j, t) {
            json_t *value = json_object_get(t, "Value");

            if (g_strcmp0(json_string_value(json_object_get(t, "Key")),
                          json_string_value(json_object_get(old, "Key"))) == 0 &&
                (!value || json_equal(value, json_object_get(old, "Value")))) {
                json_array_remove(tags, i);
                break;
            }
        }
    }
    return TRUE;
}

gboolean
cmd_delete_tags(Cli *cli, int argc, char **argv, GError **error)
{
    char **resources = NULL, **tag_args = NULL;
    const ArgSpec specs[] = {
        {"resources", ARG_LIST, &resources, "ID", "images (ami-…), snapshots (snap-…), instances (i-…), volumes (vol-…)"},
        {"tags", ARG_LIST, &tag_args, "Key=K[,Value=V]", "tags to remove (default: all)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) tags = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Remove tags.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (tag_args && !(tags = cli_parse_tags(tag_args, TRUE, error)))
        goto out;
    ok = cli_edit_tags(cli, resources, tags, remove_tags, error);
out:
    cli_args_free(specs);
    return ok;
}
