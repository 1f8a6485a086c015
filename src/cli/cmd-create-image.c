/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run create-image (docs/create-image.md): check everything, record the image
 * pending, hand the capture to a detached worker (`ami-run __capture ami-…`, host/
 * capture.c) and print {"ImageId"} at once, as EC2 does.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"
#include "ami-run/netinfo.h"
#include "ami-run/sysprep.h"
#include "cli.h"

#define DESCRIPTION_MAX 255

typedef struct {
    char *instance_id, *name, *description;
    char **bdms, **tag_specs;
    char *sysprep; /* --sysprep: "" (the defaults) or OPS; NULL without */
    int reboot, dry_run;
} CreateImageOpts;

/* Running or stopped, owned by a supervisor (or by nobody, stopped), not being captured. */
static gboolean
check_instance(AmiStore *store, json_t *inst, GError **error)
{
    const char *id = json_string_value(json_object_get(inst, "InstanceId"));
    AmiInstanceState s = ami_instance_state(inst);
    g_autoptr(GPtrArray) images = NULL;

    if (s != AMI_INSTANCE_RUNNING && s != AMI_INSTANCE_STOPPED) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "IncorrectInstanceState: instance %s is %s; create-image needs it running or stopped",
                    id, json_string_value(json_object_get(json_object_get(inst, "State"), "Name")));
        return FALSE;
    }
    if (s == AMI_INSTANCE_RUNNING &&
        !json_is_true(json_object_get(json_object_get(inst, "AmiRun"), "Supervised"))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "IncorrectInstanceState: %s is a foreground run: only --detach/--keep instances (or stopped ones) can be captured",
                    id);
        return FALSE;
    }
    if (!(images = ami_store_list_images(store, error)))
        return FALSE;
    for (guint i = 0; i < images->len; i++) {
        json_t *ci = json_object_get(json_object_get(images->pdata[i], "AmiRun"), "CreateImage");

        if (g_strcmp0(json_string_value(json_object_get(images->pdata[i], "State")), "pending") == 0 &&
            g_strcmp0(json_string_value(json_object_get(ci, "InstanceId")), id) == 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "IncorrectInstanceState: instance %s is being captured for %s", id,
                        json_string_value(json_object_get(images->pdata[i], "ImageId")));
            return FALSE;
        }
    }
    return TRUE;
}

/* EC2: InvalidAMIName.Duplicate within the account and region. */
static gboolean
check_name_free(AmiStore *store, const char *name, const char *region, GError **error)
{
    g_autoptr(GPtrArray) images = ami_store_list_images(store, error);

    if (!images)
        return FALSE;
    for (guint i = 0; i < images->len; i++) {
        json_t *img = images->pdata[i];
        const char *r = json_string_value(json_object_get(json_object_get(img, "AmiRun"), "Region"));

        if (g_strcmp0(json_string_value(json_object_get(img, "Name")), name) == 0 &&
            g_strcmp0(r ? r : AMI_REGION_DEFAULT, region) == 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_EXISTS,
                        "InvalidAMIName.Duplicate: AMI name '%s' is already in use by %s", name,
                        json_string_value(json_object_get(img, "ImageId")));
            return FALSE;
        }
    }
    return TRUE;
}

/* New mappings that name a snapshot: it must be here.  Captured volumes get new ids. */
static gboolean
finish_volumes(AmiStore *store, json_t *volumes, GError **error)
{
    size_t i;
    json_t *v;

    json_array_foreach(volumes, i, v) {
        const char *snap = json_string_value(json_object_get(json_object_get(v, "Ebs"), "SnapshotId"));
        g_autoptr(json_t) rec = NULL;

        if (json_object_get(v, "Capture")) {
            g_autofree char *id = ami_id_new(AMI_ID_SNAPSHOT);

            json_object_set_new(v, "SnapshotId", json_string(id));
            continue;
        }
        if (snap && !(rec = ami_store_load_snapshot(store, snap, error)))
            return FALSE;
    }
    return TRUE;
}

static json_t *
build_image(Cli *cli, AmiStore *store, const CreateImageOpts *o, GError **error)
{
    g_autoptr(json_t) inst = NULL, src = NULL, bdms = NULL, tags = NULL, volumes = NULL;
    g_autofree char *image_id = NULL;
    g_autoptr(GDateTime) dt = g_date_time_new_now_utc();
    g_autofree char *now = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S.000Z");
    const char *region = cli_region(cli, error);
    json_t *img;

    if (!region || !ami_capture_name_check(o->name, error))
        return NULL;
    if (o->description && g_utf8_strlen(o->description, -1) > DESCRIPTION_MAX) {
        ami_error_invalid(error, "--description is longer than %d characters", DESCRIPTION_MAX);
        return NULL;
    }
    if (!(bdms = cli_struct_list(o->bdms, "block-device-mappings", error)) ||
        !(tags = cli_struct_list(o->tag_specs, "tag-specifications", error)) ||
        !ami_capture_tags_check(tags, error) ||
        !(inst = ami_instance_find(store, o->instance_id, error)) ||
        !check_instance(store, inst, error))
        return NULL;
    src = ami_store_load_image(store, json_string_value(json_object_get(inst, "ImageId")), NULL);
    if (!(volumes = ami_capture_volumes(inst, src, bdms, error)) ||
        !finish_volumes(store, volumes, error) || !check_name_free(store, o->name, region, error))
        return NULL;
    image_id = ami_id_new(AMI_ID_IMAGE);
    img = ami_capture_image_json(&(AmiCaptureSpec){
        .instance = inst, .source_image = src, .volumes = volumes, .image_id = image_id,
        .name = o->name, .description = o->description, .tag_specs = tags, .now = now,
        .region = region});
    json_object_set_new(json_object_get(img, "AmiRun"), "CreateImage",
                        json_pack("{s:s, s:b, s:O, s:O, s:o}", "InstanceId", o->instance_id,
                                  "NoReboot", o->reboot == 0, "Volumes", volumes,
                                  "TagSpecifications", tags, "Worker",
                                  ami_capture_worker_json(getpid())));
    if (o->sysprep)
        json_object_set_new(json_object_get(json_object_get(img, "AmiRun"), "CreateImage"),
                            "Sysprep", json_string(o->sysprep));
    return img;
}

static gboolean
store_image(AmiStore *store, json_t *img, GError **error)
{
    g_autofree char *rel = ami_store_image_rel(json_string_value(json_object_get(img, "ImageId")));
    g_autoptr(AmiTxn) txn = ami_store_txn_new(store, error);

    return txn && ami_txn_put_json(txn, rel, img, error) && ami_txn_commit(txn, error);
}

/* The worker says "started" once it has written itself into the record as the worker. */
static gboolean
start_worker(AmiStore *store, const char *image_id, const char *log, GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    g_autofree char *line = NULL;
    const char *argv[] = {self, "--store", ami_store_path(store), "__capture", image_id, NULL};

    g_subprocess_launcher_set_stderr_file_path(launcher, log);
    g_subprocess_launcher_set_child_setup(launcher, ami_child_setsid, NULL, NULL);
    if (!self) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot find this program (/proc/self/exe)");
        return FALSE;
    }
    if (!(proc = g_subprocess_launcher_spawnv(launcher, argv, error)))
        return FALSE;
    in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    line = g_data_input_stream_read_line(in, NULL, NULL, NULL);
    if (g_strcmp0(line, "started") != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "the create-image worker did not start (see %s)", log);
        return FALSE;
    }
    return TRUE;
}

/* --sysprep=list: the operations, the defaults marked. */
static void
print_sysprep_ops(void)
{
    gsize n;
    const AmiSysprepOp *ops = ami_sysprep_ops(&n);

    for (gsize i = 0; i < n; i++)
        printf("%-16s %s %s\n", ops[i].name, ops[i].by_default ? "*" : " ", ops[i].description);
    printf("(* = in the defaults; --sysprep=OP,-OP,… as virt-sysprep's --operations)\n");
}

/* OPS is checked before anything is made: a bad name must not leave a pending image. */
static gboolean
check_sysprep(const char *ops, GError **error)
{
    guint64 selected;

    if (!ops)
        return TRUE;
    if (!ami_sysprep_parse_ops(*ops ? ops : NULL, &selected, error)) {
        g_prefix_error(error, "--sysprep: ");
        return FALSE;
    }
    return TRUE;
}

gboolean
cmd_create_image(Cli *cli, int argc, char **argv, GError **error)
{
    CreateImageOpts o = {.reboot = -1, .dry_run = -1};
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &o.instance_id, "i-…", "the instance to capture"},
        {"name", ARG_STRING, &o.name, "NAME", "the AMI's name (3-128 characters)"},
        {"description", ARG_STRING, &o.description, "TEXT", "the AMI's description"},
        {"reboot", ARG_BOOL, &o.reboot, NULL, "shut down cleanly, capture, start again (default); --no-reboot: pause and copy while it runs"},
        {"block-device-mappings", ARG_LIST, &o.bdms, "JSON|SHORTHAND", "change DeleteOnTermination, omit (NoDevice) or add mappings"},
        {"tag-specifications", ARG_LIST, &o.tag_specs, "ResourceType=image|snapshot,Tags=[…]", "tags for the image and its snapshots"},
        {"sysprep", ARG_OPTIONAL, &o.sysprep, "OPS|list", "clean the captured copy offline (libguestfs): SSH host keys, authorized_keys, histories, cloud-init state, logs…; =list shows the operations"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "check everything, create nothing"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) img = NULL, result = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *log = NULL;
    gboolean help = FALSE, ok = FALSE;
    const char *image_id;

    if (!cli_args_parse(cli, "Create an AMI from an instance: its volumes become incremental snapshots.",
                        specs, argc, argv, &help, error))
        goto out;
    if (help || g_strcmp0(o.sysprep, "list") == 0) {
        if (!help)
            print_sysprep_ops();
        ok = TRUE;
        goto out;
    }
    if (!check_sysprep(o.sysprep, error) || !cli_require(o.instance_id, "instance-id", error) || !cli_require(o.name, "name", error) ||
        !(store = cli_open_store(cli, TRUE, error)) || !ami_instances_reap_stale(store, error) ||
        !ami_capture_reap_stale(store, error) || !ami_store_lock(store, error) ||
        !(img = build_image(cli, store, &o, error)))
        goto out;
    if (o.dry_run > 0) {
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set; nothing was changed");
        ok = TRUE;
        goto out;
    }
    if (!store_image(store, img, error))
        goto out;
    ami_store_unlock(store);
    image_id = json_string_value(json_object_get(img, "ImageId"));
    log = g_strdup_printf("%s/instances/%s/create-image-%s.log", ami_store_path(store), o.instance_id, image_id);
    if (!start_worker(store, image_id, log, &local)) {
        /* The worker never took it: failed, not pending forever (its files were never made). */
        g_autofree char *rel = ami_store_image_rel(image_id);
        g_autoptr(AmiTxn) txn = NULL;

        json_object_set_new(img, "State", json_string("failed"));
        json_object_set_new(img, "StateReason", json_pack("{s:s, s:s}", "Code", "Server.InternalError",
                                                          "Message", local->message));
        json_object_del(json_object_get(json_object_get(img, "AmiRun"), "CreateImage"), "Worker");
        if (ami_store_lock(store, NULL) && (txn = ami_store_txn_new(store, NULL)) &&
            ami_txn_put_json(txn, rel, img, NULL))
            ami_txn_commit(txn, NULL);
        ami_store_unlock(store);
        g_propagate_error(error, g_steal_pointer(&local));
        goto out;
    }
    result = json_pack("{s:s}", "ImageId", image_id);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}

gboolean
cmd_capture_worker(Cli *cli, int argc, char **argv, GError **error)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) img = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autofree char *rel = NULL;
    gboolean ok;

    if (argc < 1 || !ami_id_is_valid(AMI_ID_IMAGE, argv[0]))
        return ami_error_invalid(error, "usage: __capture ami-…");
    if (!(store = cli_open_store(cli, FALSE, error)) || !ami_store_lock(store, error))
        return FALSE;
    /* This process is the worker from now on: a reaper that finds it gone fails the image. */
    ok = (img = ami_store_load_image(store, argv[0], error)) &&
         json_object_get(json_object_get(img, "AmiRun"), "CreateImage") &&
         (rel = ami_store_image_rel(argv[0])) && (txn = ami_store_txn_new(store, error));
    if (ok) {
        json_object_set_new(json_object_get(json_object_get(img, "AmiRun"), "CreateImage"),
                            "Worker", ami_capture_worker_json(getpid()));
        ok = ami_txn_put_json(txn, rel, img, error) && ami_txn_commit(txn, error);
    }
    g_clear_pointer(&txn, ami_txn_free);
    ami_store_unlock(store);
    if (!ok)
        return FALSE;
    fputs("started\n", stdout);
    fflush(stdout);
    if (!freopen("/dev/null", "w", stdout))
        g_debug("stdout to /dev/null failed, ignoring");
    return ami_capture_run(store, argv[0], self, error);
}
