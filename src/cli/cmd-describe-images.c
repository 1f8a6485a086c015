/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run describe-images: {"Images": […]} of the command's region, each image as it was
 * registered, but only in the members of EC2's Image shape (ami-run's own AmiRun shows
 * with --debug).  --owners, --executable-users and --filters as EC2 scopes them.
 */
#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/ec2-shape.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "ami-run/image-attr.h"
#include "cli.h"

static gboolean
owner_matches(char **owners, json_t *image)
{
    /* Registered without an OwnerId: this store's account, so `self` finds it. */
    const char *owner = ami_record_owner(image);
    const char *alias = json_string_value(json_object_get(image, "ImageOwnerAlias"));

    for (char **o = owners; o && *o; o++) {
        if (g_str_equal(*o, "self") && g_str_equal(owner, AMI_STORE_OWNER_ID))
            return TRUE;
        if (g_str_equal(*o, owner) || (alias && g_str_equal(*o, alias)))
            return TRUE;
    }
    return !owners;
}

static gboolean
executable_matches(char **users, json_t *image)
{
    for (char **u = users; u && *u; u++) {
        if (ami_image_executable_by(image, *u, AMI_STORE_OWNER_ID))
            return TRUE;
    }
    return !users;
}

/* The image as EC2 prints it: its owner filled in, nothing of ours unless --debug. */
static json_t *
shown(const Cli *cli, json_t *image)
{
    json_t *out = cli->debug ? json_deep_copy(image) : ami_ec2_shape_project(image, AMI_EC2_IMAGE);

    json_object_set_new(out, "OwnerId", json_string(ami_record_owner(image)));
    return out;
}

gboolean
cmd_describe_images(Cli *cli, int argc, char **argv, GError **error)
{
    char **ids = NULL, **owners = NULL, **filter_args = NULL, **users = NULL;
    const ArgSpec specs[] = {
        {"image-ids", ARG_LIST, &ids, "ami-…", "only these images"},
        {"owners", ARG_LIST, &owners, "OWNER", "self (registered here), an account id or alias"},
        {"executable-users", ARG_LIST, &users, "USER", "self, all (public) or an account id the images are shared with"},
        {"filters", ARG_LIST, &filter_args, "Name=N,Values=V", "filter (name, architecture, state, boot-mode, tag:KEY, tag-key…; * and ? match)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(AmiFilters) filters = NULL;
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(json_t) list = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "List the AMIs of the region in the store.", specs, argc, argv,
                        &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    for (char **u = users; u && *u; u++) {
        if (!ami_executable_user_check(*u, error))
            goto out;
    }
    if (!(filters = ami_filters_parse(AMI_FILTER_IMAGES, (const char *const *)filter_args, error)))
        goto out;
    store = cli_open_store(cli, FALSE, error);
    /* An image whose create-image worker died is failed, not pending forever. */
    if (store && (!ami_capture_reap_stale(store, error) || !ami_store_lock(store, error) ||
                  !(all = ami_store_list_images(store, error))))
        goto out;
    if (all)
        ami_store_in_region(store, all);
    /* As EC2 (InvalidAMIID.NotFound): an id that does not exist is an error. */
    for (char **id = ids; id && *id; id++) {
        g_autoptr(json_t) image = NULL;

        if (!store) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                        "Image '%.80s' does not exist in the store", *id);
            goto out;
        }
        if (!(image = ami_store_find_image(store, *id, error)))
            goto out;
    }
    for (guint i = 0; all && i < all->len; i++) {
        json_t *image = all->pdata[i];
        const char *id = json_string_value(json_object_get(image, "ImageId"));

        if (ids && (!id || !g_strv_contains((const char *const *)ids, id)))
            continue;
        if (owner_matches(owners, image) && executable_matches(users, image) &&
            ami_filters_match(filters, image))
            json_array_append_new(list, shown(cli, image));
    }
    result = json_pack("{s:O}", "Images", list);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
