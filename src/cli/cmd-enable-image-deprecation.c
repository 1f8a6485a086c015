/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run enable-image-deprecation: sets DeprecationTime.  EC2 rounds seconds to the
 * nearest minute and refuses dates more than 10 years ahead; so do we.
 */
#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "edit-common.h"

static gboolean
set_deprecation(json_t *image, gpointer data, GError **error)
{
    (void)error;
    json_object_set_new(image, "DeprecationTime", json_string(data));
    return TRUE;
}

gboolean
cmd_enable_image_deprecation(Cli *cli, int argc, char **argv, GError **error)
{
    char *image_id = NULL, *at = NULL;
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &image_id, "ami-…", "the image"},
        {"deprecate-at", ARG_STRING, &at, "TIME", "ISO-8601 UTC time, e.g. 2027-01-01T00:00:00Z"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(GDateTime) t = NULL;
    g_autoptr(GDateTime) rounded = NULL;
    g_autoptr(GDateTime) limit = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *text = NULL;
    g_autoptr(json_t) result = json_pack("{s:b}", "Return", 1);
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Schedule an AMI's deprecation.", specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(at, "deprecate-at", error))
        goto out;
    if (!(t = ami_timestamp_parse(at))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--deprecate-at '%.80s' is not an ISO-8601 time like 2027-01-01T00:00:00Z", at);
        goto out;
    }
    rounded = g_date_time_add_seconds(t, (g_date_time_get_seconds(t) >= 30.0 ? 60.0 : 0.0) -
                                             g_date_time_get_seconds(t));
    limit = g_date_time_add_years(now, 10);
    if (g_date_time_compare(rounded, limit) > 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--deprecate-at must be at most 10 years from now");
        goto out;
    }
    text = g_date_time_format(rounded, "%Y-%m-%dT%H:%M:00.000Z");
    if (!cli_edit_image(cli, image_id, set_deprecation, text, error))
        goto out;
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
