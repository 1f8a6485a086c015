/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run import-image: a disk becomes a snapshot and an AMI in one step, for people who
 * just have a disk.  (EC2's import-image is an asynchronous task; ours is immediate.)
 */
#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/import.h"
#include "ami-run/register.h"
#include "cli.h"
#include "register-common.h"

gboolean
cmd_import_image(Cli *cli, int argc, char **argv, GError **error)
{
    char *disk_image = NULL, *architecture = NULL, *boot_mode = NULL, *name = NULL;
    char *description = NULL;
    const ArgSpec specs[] = {
        {"disk-image", ARG_STRING, &disk_image, "FILE|URL", "the disk (path, http(s)://, file://)"},
        {"architecture", ARG_STRING, &architecture, "ARCH", "x86_64 (default), i386 or arm64"},
        {"boot-mode", ARG_STRING, &boot_mode, "MODE", "legacy-bios, uefi or uefi-preferred"},
        {"name", ARG_STRING, &name, "NAME", "AMI name (default: import-ami-…)"},
        {"description", ARG_STRING, &description, "TEXT", "AMI description"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autofree char *snap_id = ami_id_new(AMI_ID_SNAPSHOT);
    g_autofree char *image_id = ami_id_new(AMI_ID_IMAGE);
    g_autofree char *default_name = g_strdup_printf("import-%s", image_id);
    g_autofree char *now = ami_now_iso8601();
    g_autofree char *spec = NULL;
    g_autoptr(json_t) request = NULL;
    g_autoptr(json_t) images = json_array();
    g_autoptr(json_t) result = NULL;
    g_autoptr(GPtrArray) ids = NULL;
    const char *specv[2];
    json_t *image;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Import a disk image and register it as an AMI.", specs, argc, argv,
                        &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(disk_image, "disk-image", error))
        goto out;
    /* The root volume is the disk; VolumeSize is filled from it when it is staged. */
    request = json_pack("{s:s, s:s, s:s, s:[{s:s, s:{s:s, s:b, s:s}}]}", "Name",
                        name ? name : default_name, "Architecture",
                        architecture ? architecture : "x86_64", "RootDeviceName", "/dev/xvda",
                        "BlockDeviceMappings", "DeviceName", "/dev/xvda", "Ebs", "SnapshotId",
                        snap_id, "DeleteOnTermination", 1, "VolumeType", "gp3");
    if (boot_mode)
        json_object_set_new(request, "BootMode", json_string(boot_mode));
    if (description)
        json_object_set_new(request, "Description", json_string(description));
    if (!(image = ami_register_request_to_image(request, image_id, AMI_STORE_OWNER_ID, now, error)))
        goto out;
    json_array_append_new(images, image);
    spec = g_strdup_printf("%s=%s", snap_id, disk_image);
    specv[0] = spec;
    specv[1] = NULL;
    if (!(ids = cli_register_images(cli, images, specv, TRUE, error)))
        goto out;
    result = json_pack("{s:s, s:s}", "ImageId", image_id, "SnapshotId", snap_id);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}
