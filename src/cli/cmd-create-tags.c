/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ami-run create-tags: add or overwrite tags; like `aws ec2 create-tags` it prints nothing. */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "edit-common.h"

/* EC2's limit of tags on one resource. */
#define MAX_TAGS 50

static gboolean
add_tags(json_t *tags, json_t *request, GError **error)
{
    size_t i, j;
    json_t *t, *old;

    json_array_foreach(request, i, t) {
        const char *key = json_string_value(json_object_get(t, "Key"));
        gboolean replaced = FALSE;

        json_array_foreach(tags, j, old) {
            if (g_strcmp0(json_string_value(json_object_get(old, "Key")), key) == 0) {
                json_array_set(tags, j, t);
                replaced = TRUE;
                break;
            }
        }
        if (!replaced)
            json_array_append(tags, t);
    }
    if (json_array_size(tags) > MAX_TAGS) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "more than %d tags", MAX_TAGS);
        return FALSE;
    }
    return ami_tags_validate(tags, "Tags", error);
}

gboolean
cmd_create_tags(Cli *cli, int argc, char **argv, GError **error)
{
    char **resources = NULL, **tag_args = NULL;
    const ArgSpec specs[] = {
        {"resources", ARG_LIST, &resources, "ID", "images (ami-…), snapshots (snap-…), instances (i-…), volumes (vol-…)"},
        {"tags", ARG_LIST, &tag_args, "Key=K,Value=V", "tags to set (or one JSON list)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(json_t) tags = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Add or overwrite tags.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(tag_args, "tags", error) || !(tags = cli_parse_tags(tag_args, FALSE, error)))
        goto out;
    for (size_t i = 0; i < json_array_size(tags); i++) {
        json_t *t = json_array_get(tags, i);

        if (!json_object_get(t, "Value"))
            json_object_set_new(t, "Value", json_string(""));
    }
    ok = cli_edit_tags(cli, resources, tags, add_tags, error);
out:
    cli_args_free(specs);
    return ok;
}
