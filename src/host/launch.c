/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/hypervisor.h"
#include "ami-run/ids.h"
#include "ami-run/identity.h"
#include "ami-run/launch.h"
#include "ami-run/net.h"
#include "ami-run/netinfo.h"
#include "ami-run/qemu-user.h"
#include "ami-run/timing.h"

/*
 * Everything an instance needs after it was prepared lives in its record (AmiRun.*), so
 * another process (the supervisor, start-instances, the stale-instance reaper) can take
 * it over: the in-memory plan is only needed to prepare.
 */
struct AmiLaunch {
    AmiStore *store;
    char *dir;          /* instances/i-… */
    char *record_path;
    json_t *record;
    char *self_exe;
    AmiHypervisor *hv;
    AmiReaper *reaper;
    AmiNet *net;        /* the own network (AmiRun.Network.Socket), or NULL */
    int console_fd;
    AmiTiming *timing;  /* borrowed (ami_launch_set_timing()), or NULL */
};

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0)
        g_debug("remove %s: %s, ignoring", path, g_strerror(errno));
    return 0;
}

void
ami_remove_tree(const char *path)
{
    if (path && *path && strcmp(path, "/") != 0)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *
state_name(AmiInstanceState s)
{
    switch (s) {
    case AMI_INSTANCE_PENDING:
        return "pending";
    case AMI_INSTANCE_RUNNING:
        return "running";
    case AMI_INSTANCE_SHUTTING_DOWN:
        return "shutting-down";
    case AMI_INSTANCE_TERMINATED:
        return "terminated";
    case AMI_INSTANCE_STOPPING:
        return "stopping";
    case AMI_INSTANCE_STOPPED:
        return "stopped";
    }
    return "unknown";
}

static void
set_state(json_t *record, AmiInstanceState s)
{
    json_object_set_new(record, "State", json_pack("{s:i, s:s}", "Code", (int)s, "Name",
                                                   state_name(s)));
}

/*
 * Members other commands change while an owner holds the record in memory: create-tags
 * and delete-tags (Tags, AmiRun.VolumeTags).  The file's version wins over ours.
 */
static void
merge_from_disk(AmiLaunch *l)
{
    g_autoptr(json_t) disk = json_load_file(l->record_path, 0, NULL);
    json_t *tags = json_object_get(disk, "Tags");
    json_t *vtags = json_object_get(json_object_get(disk, "AmiRun"), "VolumeTags");
    json_t *a = json_object_get(l->record, "AmiRun");

    if (json_is_array(tags))
        json_object_set(l->record, "Tags", tags);
    if (json_is_object(vtags) && json_is_object(a))
        json_object_set(a, "VolumeTags", vtags);
    /* What run --keep added while a supervisor held the guest (ami_instance_set_timing()). */
    if (l->timing)
        ami_timing_merge_json(l->timing, json_object_get(json_object_get(disk, "AmiRun"), "Timing"));
}

static gboolean
save_record(AmiLaunch *l, GError **error)
{
    merge_from_disk(l);
    if (l->timing && json_is_object(json_object_get(l->record, "AmiRun")))
        json_object_set_new(json_object_get(l->record, "AmiRun"), "Timing",
                            ami_timing_to_json(l->timing));
    return ami_json_write_file_atomic(l->record_path, l->record, 0600, error);
}

/* Start time of a process (field 22 of /proc/PID/stat), to tell a live owner from a reused pid. */
static char *
process_start(int pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    char *p;

    if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
        return NULL;
    fields = g_strsplit(p + 2, " ", 0);
    return g_strv_length(fields) > 19 ? g_strdup(fields[19]) : NULL;
}

/* The describe-instances shape, plus "AmiRun" for what only we need. */
static json_t *
new_record(const AmiLaunchSpec *spec, const char *dir)
{
    const AmiRunPlan *p = spec->plan;
    json_t *bdms = json_array(), *disks = json_array();
    g_autofree char *start = process_start(getpid());
    json_t *r;

    for (guint i = 0; i < p->disks->len; i++) {
        const AmiPlanDisk *d = p->disks->pdata[i];

        json_array_append_new(bdms, json_pack("{s:s, s:{s:s, s:s, s:s, s:b}}", "DeviceName",
                                              d->device_name, "Ebs", "VolumeId", d->volume_id,
                                              "Status", "attached", "AttachTime", spec->now,
                                              "DeleteOnTermination", d->delete_on_termination));
        json_array_append_new(disks, json_pack("{s:s, s:s, s:s, s:b, s:I, s:s*, s:s, s:s, s:s*}",
                                               "VolumeId", d->volume_id, "Path", d->path, "Kind",
                                               ami_disk_kind_to_string(d->kind),
                                               "DeleteOnTermination", d->delete_on_termination,
                                               "SizeGiB", (json_int_t)d->size_gib, "SnapshotId",
                                               d->snapshot_id, "Serial", d->serial, "Target",
                                               d->target, "Model", d->model));
    }
    r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "InstanceId",
                  p->instance_id, "ImageId", p->image_id, "InstanceType", p->instance_type,
                  "LaunchTime", spec->now, "Architecture", ami_arch_to_string(p->arch),
                  "BootMode", p->firmware == AMI_FIRMWARE_UEFI ? "uefi" : "legacy-bios",
                  "RootDeviceName", spec->image->root_device_name, "RootDeviceType", "ebs",
                  "VirtualizationType", "hvm", "BlockDeviceMappings", bdms);
    set_state(r, AMI_INSTANCE_PENDING);
    json_object_set_new(r, "AmiRun", json_pack("{s:s, s:i, s:s*, s:s, s:s, s:s, s:s*, s:s*, s:o}",
                                               "Directory", dir, "OwnerPid", (int)getpid(),
                                               "OwnerStart", start, "Accelerator",
                                               ami_accel_to_string(p->accel), "Console",
                                               p->console_path, "Seed", p->seed_path, "Nvram",
                                               p->nvram_path, "Connect", spec->connect_uri,
                                               "Disks", disks));
    if (spec->qemu_user)
        json_object_set_new(json_object_get(r, "AmiRun"), "QemuUser", json_string(spec->qemu_user));
    /* The machine identity the guest sees (docs/run.md "Machine identity"). */
    json_object_set_new(json_object_get(r, "AmiRun"), "DiskBus",
                        json_string(ami_disk_bus_to_string(p->disk_bus)));
    json_object_set_new(json_object_get(r, "AmiRun"), "Smbios", ami_plan_smbios_to_json(p));
    if (p->key_name) /* run --key-name: describe-instances' KeyName, IMDS public-keys/0 */
        json_object_set_new(r, "KeyName", json_string(p->key_name));
    if (spec->instance_fields)
        json_object_update(r, spec->instance_fields);
    if (spec->amirun_fields)
        json_object_update(json_object_get(r, "AmiRun"), spec->amirun_fields);
    if (p->net_socket) { /* what a supervisor needs to host the network again */
        json_t *net = json_object_get(json_object_get(r, "AmiRun"), "Network");

        if (!net)
            json_object_set_new(json_object_get(r, "AmiRun"), "Network", net = json_object());
        json_object_set_new(net, "Socket", json_string(p->net_socket));
        json_object_set_new(net, "Mac", json_string(p->mac));
    }
    return r;
}

/*
 * The file's identity as the kernel keeps it: any write or chmod moves ctime, which
 * nobody can set back (as git's index trusts stat data).  A snapshot whose identity
 * matches the one recorded after its last full hash need not be hashed again.
 */
static char *
file_identity(const char *path, const char *sha256)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return NULL;
    return g_strdup_printf("%ju %ju %jd %jd.%09ld %s\n", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
                           (intmax_t)st.st_size, (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
                           sha256);
}

/* A file changed behind our back must not boot (and must not be "fixed" by us). */
static gboolean
verify_file(AmiStore *store, const char *snapshot_id, const char *want, GError **error)
{
    g_autofree char *path = ami_store_snapshot_path(store, snapshot_id);
    g_autofree char *dir = g_build_filename(ami_store_path(store), "cache", "verified", NULL);
    g_autofree char *cache = g_build_filename(dir, snapshot_id, NULL);
    g_autofree char *sum = NULL;
    g_autofree char *known = NULL;
    g_autofree char *now = NULL;

    if (want && (now = file_identity(path, want)) && g_file_get_contents(cache, &known, NULL, NULL) &&
        strcmp(known, now) == 0)
        return TRUE;
    if (!(sum = ami_sha256_file(path, error)))
        return FALSE;
    if (!want || strcmp(sum, want) != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "Snapshot '%s': sha256 mismatch in '%s', the store is corrupted", snapshot_id,
                    path);
        unlink(cache);
        return FALSE;
    }
    g_free(now);
    if ((now = file_identity(path, want)) && g_mkdir_with_parents(dir, 0700) == 0)
        g_file_set_contents_full(cache, now, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL);
    return TRUE;
}

/*
 * A snapshot and every layer below it (create-image's chains, docs/store.md): each layer
 * file against the sha256 its child's record keeps, so a parent whose record was deleted
 * is checked too.
 */
static gboolean
verify_snapshot(AmiStore *store, const char *snapshot_id, GError **error)
{
    g_autoptr(json_t) rec = ami_store_load_snapshot(store, snapshot_id, error);
    g_autoptr(json_t) chain = rec ? ami_snapshot_chain(rec, error) : NULL;
    size_t i;
    json_t *e;

    if (!chain ||
        !verify_file(store, snapshot_id,
                     json_string_value(json_object_get(json_object_get(rec, "AmiRun"), "Sha256")), error))
        return FALSE;
    json_array_foreach(chain, i, e) {
        if (!verify_file(store, json_string_value(json_object_get(e, "SnapshotId")),
                         json_string_value(json_object_get(e, "Sha256")), error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
create_disk(const AmiPlanDisk *d, GError **error)
{
    g_autofree char *size = g_strdup_printf("%" G_GINT64_FORMAT "G", d->size_gib);
    const char *overlay[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                             d->backing, d->path, size, NULL};
    const char *blank[] = {"qemu-img", "create", "-q", "-f", "qcow2", d->path, size, NULL};

    /* The backing format is always given: never probed (QEMU format-probing CVEs). */
    return ami_spawn_sync(d->kind == AMI_DISK_OVERLAY ? overlay : blank, FALSE, NULL, error);
}

static char *
libvirt_root_for(const char *instance_id)
{
    const char *runtime = g_getenv("XDG_RUNTIME_DIR");

    if (getuid() == 0)
        return g_strdup_printf("/run/ami-run/%s", instance_id);
    if (runtime && *runtime && strlen(runtime) < 32)
        return g_strdup_printf("%s/ami-run/%s", runtime, instance_id);
    return g_strdup_printf("/tmp/ami-run-%u/%s", (unsigned)getuid(), instance_id);
}

static json_t *
amirun(AmiLaunch *l)
{
    return json_object_get(l->record, "AmiRun");
}

static const char *
amirun_str(json_t *record, const char *key)
{
    return json_string_value(json_object_get(json_object_get(record, "AmiRun"), key));
}

static void
launch_free(AmiLaunch *l)
{
    g_clear_pointer(&l->net, ami_net_free);
    if (l->console_fd >= 0)
        close(l->console_fd);
    json_decref(l->record);
    g_free(l->dir);
    g_free(l->record_path);
    g_free(l->self_exe);
    g_free(l);
}

static AmiLaunch *
launch_new(AmiStore *store, const char *instance_id, const char *self_exe)
{
    AmiLaunch *l = g_new0(AmiLaunch, 1);

    l->console_fd = -1;
    l->store = store;
    l->dir = g_build_filename(ami_store_path(store), "instances", instance_id, NULL);
    l->record_path = g_build_filename(l->dir, "instance.json", NULL);
    l->self_exe = g_strdup(self_exe);
    return l;
}

/* The user data as given, for the IMDS (byte-exact), whoever hosts the guest later. */
static gboolean
save_user_data(AmiLaunch *l, GBytes *user_data, GError **error)
{
    g_autofree char *path = g_build_filename(l->dir, "user-data", NULL);
    gsize len = 0;
    const char *data = user_data ? g_bytes_get_data(user_data, &len) : NULL;

    if (!user_data)
        return TRUE;
    return g_file_set_contents_full(path, data ? data : "", (gssize)len,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/*
 * As root QEMU runs as its own user (docs/run.md "Security layers"), which may traverse
 * the store's directories (0710, not list them) and read the snapshots its disks are
 * backed by (0440: read-only for everyone, as they were 0400).  Done before they are
 * verified: a first grant moves a snapshot's ctime, so its identity is recorded after.
 */
static gboolean
open_store_to(const AmiQemuUser *u, AmiStore *store, const AmiRunPlan *p, GError **error)
{
    g_autofree char *snapshots = g_build_filename(ami_store_path(store), "snapshots", NULL);

    if (!u)
        return TRUE;
    /*
     * libvirt probes QEMU with CAP_DAC_OVERRIDE but tests /dev/kvm as QEMU's user: when
     * they disagree it discards the capabilities on every lookup and probes again, and
     * the start never ends (libvirt 9.0, virQEMUCapsIsValid).
     */
    if (u->uid != 0 && g_file_test("/dev/kvm", G_FILE_TEST_EXISTS) &&
        !ami_qemu_user_check_access(u, "/dev/kvm", R_OK | W_OK, NULL)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "QEMU's user '%s' cannot open /dev/kvm (libvirt would probe QEMU again and again): run scripts/install-deps (kvm group), or pass --qemu-user root",
                    u->name);
        return FALSE;
    }
    if (!ami_qemu_user_grant(u, ami_store_path(store), 0710, error) ||
        !ami_qemu_user_grant(u, snapshots, 0710, error))
        return FALSE;
    for (guint i = 0; i < p->disks->len; i++) {
        const AmiPlanDisk *d = p->disks->pdata[i];
        g_autofree char *path = d->snapshot_id ? ami_store_snapshot_path(store, d->snapshot_id)
                                               : NULL;

        if (path && (!ami_qemu_user_grant(u, path, 0440, error) ||
                     !ami_qemu_user_check_access(u, path, R_OK, error)))
            return FALSE;
        for (char **layer = d->backing_chain; layer && *layer; layer++) {
            if (!ami_qemu_user_grant(u, *layer, 0440, error))
                return FALSE;
        }
    }
    return TRUE;
}

/*
 * An image made by create-image carries the instance's UEFI variable store: the new
 * instance starts from a verified copy of it, which libvirt then uses as it is (it copies
 * the firmware's template only when the file is missing).
 */
static gboolean
copy_captured_nvram(const AmiLaunchSpec *spec, GError **error)
{
    const AmiRunPlan *p = spec->plan;
    json_t *nv = json_object_get(json_object_get(spec->image->json, "AmiRun"), "Nvram");
    const char *want = json_string_value(json_object_get(nv, "Sha256"));
    g_autofree char *src = NULL;
    g_autofree char *sum = NULL;

    if (!p->nvram_source || !p->nvram_path)
        return TRUE;
    if (strstr(p->nvram_source, "..") || p->nvram_source[0] == '/') {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "Image '%s': AmiRun.Nvram.File is outside the store, the store is corrupted",
                    p->image_id);
        return FALSE;
    }
    src = g_build_filename(ami_store_path(spec->store), p->nvram_source, NULL);
    if (!(sum = ami_sha256_file(src, error)))
        return FALSE;
    if (g_strcmp0(sum, want) != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT,
                    "Image '%s': sha256 mismatch in '%s', the store is corrupted", p->image_id, src);
        return FALSE;
    }
    return ami_capture_copy_layer(src, p->nvram_path, error);
}

/* NULL in @ret without an error: QEMU runs as we do (not root, or --connect). */
static gboolean
qemu_user_of(json_t *record, AmiQemuUser **ret, GError **error)
{
    const char *name = amirun_str(record, "QemuUser");

    *ret = NULL;
    return !name || (*ret = ami_qemu_user_lookup(name, error)) != NULL;
}

static gboolean
make_instance_dir(AmiLaunch *l, const AmiLaunchSpec *spec, const AmiQemuUser *u, GError **error)
{
    g_autofree char *parent = g_build_filename(ami_store_path(spec->store), "instances", NULL);

    if (mkdir(parent, 0700) < 0 && errno != EEXIST)
        return ami_error_set_errno(error, errno, parent);
    if (u && !ami_qemu_user_grant(u, parent, 0710, error))
        return FALSE;
    if (mkdir(l->dir, 0700) < 0)
        return ami_error_set_errno(error, errno, l->dir);
    if (!save_record(l, error) || !save_user_data(l, spec->user_data, error)) {
        ami_remove_tree(l->dir); /* e.g. no space: leave nothing behind */
        return FALSE;
    }
    return TRUE;
}

/* EC2's Image.LastLaunchedTime moves with each launch (docs/images.md); not fatal. */
static void
note_image_launch(const AmiLaunchSpec *spec)
{
    g_autoptr(GError) local = NULL;

    if (!ami_store_image_launched(spec->store, spec->plan->image_id, spec->now, &local))
        g_debug("LastLaunchedTime of %s: %s, ignoring", spec->plan->image_id, local->message);
}

AmiLaunch *
ami_launch_prepare(const AmiLaunchSpec *spec, GError **error)
{
    const AmiRunPlan *p = spec->plan;
    AmiLaunch *l = launch_new(spec->store, p->instance_id, spec->self_exe);
    g_autofree char *xml = ami_domain_xml_render(p, error);
    g_autofree char *xml_path = g_build_filename(l->dir, "domain.xml", NULL);
    g_autoptr(AmiQemuUser) qemu_user = NULL;

    l->record = new_record(spec, l->dir);
    if (!spec->connect_uri) {
        g_autofree char *root = libvirt_root_for(p->instance_id);
        json_object_set_new(amirun(l), "LibvirtRoot", json_string(root));
    }
    if (!xml || !qemu_user_of(l->record, &qemu_user, error) ||
        !open_store_to(qemu_user, spec->store, p, error))
        goto fail;
    for (guint i = 0; i < p->disks->len; i++) {
        const AmiPlanDisk *d = p->disks->pdata[i];

        if (d->snapshot_id && !verify_snapshot(spec->store, d->snapshot_id, error))
            goto fail;
    }
    if (!make_instance_dir(l, spec, qemu_user, error))
        goto fail;
    for (guint i = 0; i < p->disks->len; i++) {
        if (!create_disk(p->disks->pdata[i], error))
            goto cleanup;
    }
    if (!copy_captured_nvram(spec, error))
        goto cleanup;
    if ((p->seed_path && !ami_seed_iso_write(spec->seed, p->seed_path, error)) ||
        !g_file_set_contents_full(xml_path, xml, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        goto cleanup;
    note_image_launch(spec);
    return l;
cleanup:
    ami_remove_tree(l->dir);
fail:
    launch_free(l);
    return NULL;
}

static void
set_owner(json_t *record, int pid)
{
    g_autofree char *start = process_start(pid);
    json_t *a = json_object_get(record, "AmiRun");

    json_object_set_new(a, "OwnerPid", json_integer(pid));
    json_object_set_new(a, "OwnerStart", json_string(start ? start : ""));
}

AmiLaunch *
ami_launch_attach(AmiStore *store, const char *instance_id, const char *self_exe, GError **error)
{
    g_autoptr(json_t) record = ami_instance_load(store, instance_id, error);
    AmiLaunch *l;

    if (!record)
        return NULL;
    l = launch_new(store, instance_id, self_exe);
    l->record = g_steal_pointer(&record);
    set_owner(l->record, getpid());
    json_object_del(l->record, "StateReason");
    json_object_del(json_object_get(l->record, "AmiRun"), "Verdict"); /* it was that boot's */
    set_state(l->record, AMI_INSTANCE_PENDING);
    if (!save_record(l, error)) {
        launch_free(l);
        return NULL;
    }
    return l;
}

const char *
ami_launch_instance_id(const AmiLaunch *l)
{
    return json_string_value(json_object_get(l->record, "InstanceId"));
}

void
ami_launch_set_timing(AmiLaunch *l, AmiTiming *timing)
{
    l->timing = timing;
}

void
ami_launch_set_supervised(AmiLaunch *l)
{
    json_object_set_new(amirun(l), "Supervised", json_true());
}

json_t *
ami_launch_record(AmiLaunch *l)
{
    return l->record;
}

gboolean
ami_launch_reboot(AmiLaunch *l, GError **error)
{
    json_t *a = amirun(l);

    if (!l->hv || !ami_hypervisor_reset(l->hv, error))
        return FALSE;
    json_object_del(a, "Verdict");
    json_object_set_new(a, "Boots", json_integer(json_integer_value(json_object_get(a, "Boots")) + 1));
    return save_record(l, error);
}

void
ami_launch_set_verdict(AmiLaunch *l, json_t *verdict)
{
    json_object_set(amirun(l), "Verdict", verdict);
    save_record(l, NULL);
}

void
ami_launch_set_amirun(AmiLaunch *l, const char *member, json_t *value)
{
    json_object_set(amirun(l), member, value);
    save_record(l, NULL);
}

/*
 * QEMU's pid is known only once the start returned (~0.5 s under TCG after libvirt
 * forked it): a kill in between must not orphan QEMU, so the reaper and the record learn
 * where libvirt writes the pid before the start.
 */
static gboolean
watch_pid_file(AmiLaunch *l, GError **error)
{
    const char *id = ami_launch_instance_id(l);
    g_autofree char *pid_file = ami_hypervisor_pid_file(l->hv, id);

    if (!pid_file)
        return TRUE;
    json_object_set_new(amirun(l), "QemuPidFile", json_string(pid_file));
    return ami_reaper_watch_pid_file(l->reaper, pid_file, id, error) && save_record(l, error);
}

/* The VPC this network looks like (netrewrite.h's layout): a default VPC's first subnet. */
#define NET_SUBNET "172.31.0.0/20"
#define NET_VPC "172.31.0.0/16"

static const char *
record_region(AmiLaunch *l)
{
    const char *region = amirun_str(l->record, "Region");

    return region ? region : AMI_REGION_DEFAULT;
}

/* The user data kept by ami_launch_prepare(), or NULL when none was given. */
static GBytes *
load_user_data(AmiLaunch *l)
{
    g_autofree char *path = g_build_filename(l->dir, "user-data", NULL);
    char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    return g_bytes_new_take(data, len);
}

/*
 * AmiRun.PublicKeys as IMDS public-keys/N: the first is named by the record's KeyName
 * (run --key-name) when there is one, the others ami-run-N (docs/network.md).
 */
static AmiImdsPublicKey *
record_public_keys(AmiLaunch *l, GPtrArray *names, gsize *ret_n)
{
    json_t *keys = json_object_get(amirun(l), "PublicKeys");
    const char *key_name = json_string_value(json_object_get(l->record, "KeyName"));
    AmiImdsPublicKey *out = g_new0(AmiImdsPublicKey, json_array_size(keys) + 1);
    gsize n = 0, i;
    json_t *k;

    json_array_foreach(keys, i, k) {
        if (!json_is_string(k))
            continue;
        if (n == 0 && key_name) {
            out[n].name = key_name;
        } else {
            g_ptr_array_add(names, g_strdup_printf("ami-run-%" G_GSIZE_FORMAT, n));
            out[n].name = names->pdata[names->len - 1];
        }
        out[n++].openssh_key = json_string_value(k);
    }
    *ret_n = n;
    return out;
}

/* dynamic/instance-identity/{signature,pkcs7,rsa2048}: the store's keys (docs/imds.md). */
static gboolean
sign_identity(AmiLaunch *l, AmiImdsSpec *spec, AmiIdentitySignatures *sigs, GError **error)
{
    g_autofree char *doc = ami_imds_identity_document(spec, error);
    g_autofree char *dir = g_build_filename(ami_store_path(l->store), "identity", NULL);

    if (!doc || !ami_identity_sign(dir, doc, sigs, error))
        return FALSE;
    spec->identity_signature = sigs->signature;
    spec->identity_pkcs7 = sigs->pkcs7;
    spec->identity_rsa2048 = sigs->rsa2048;
    return TRUE;
}

static AmiImdsContext *
net_imds_context(AmiLaunch *l, const char *ip, const char *mac, GError **error)
{
    const char *image_id = json_string_value(json_object_get(l->record, "ImageId"));
    const char *zone = json_string_value(json_object_get(json_object_get(l->record, "Placement"),
                                                         "AvailabilityZone"));
    g_autofree char *default_zone = ami_region_zone(record_region(l));
    g_autoptr(json_t) image = ami_store_load_image(l->store, image_id, NULL);
    g_autoptr(GBytes) user_data = load_user_data(l);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autofree AmiImdsPublicKey *keys = NULL;
    const char *public_ip = json_string_value(json_object_get(json_object_get(amirun(l), "Network"),
                                                              "PublicIp"));
    guint8 secret[32];
    g_autoptr(GBytes) key = NULL;
    g_auto(AmiIdentitySignatures) sigs = {0};
    AmiImdsSpec spec = {
        .instance = l->record, .region = record_region(l), .user_data = user_data,
        .availability_zone = zone ? zone : default_zone,
        .net = {.private_ipv4 = ip, .mac = mac, .subnet_cidr = NET_SUBNET, .vpc_cidr = NET_VPC,
                .public_ipv4 = public_ip},
    };

    if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
        ami_error_set_errno(error, errno, "getrandom");
        return NULL;
    }
    keys = record_public_keys(l, names, &spec.n_public_keys);
    spec.public_keys = keys;
    key = g_bytes_new(secret, sizeof(secret));
    spec.token_secret = key;
    spec.image = image ? image : (image = json_object()); /* deregistered since: no image facts */
    return sign_identity(l, &spec, &sigs, error) ? ami_imds_context_new(&spec, error) : NULL;
}

/* AmiRun.Network.Forwards: [{HostIp, HostPort, GuestPort, Optional}] (cmd-run.c). */
static AmiNetForward *
record_forwards(json_t *net, guint *ret_n)
{
    json_t *list = json_object_get(net, "Forwards");
    AmiNetForward *out = g_new0(AmiNetForward, json_array_size(list) + 1);
    guint n = 0;
    gsize i;
    json_t *f;

    json_array_foreach(list, i, f) {
        struct in_addr a;
        const char *ip = json_string_value(json_object_get(f, "HostIp"));

        if (!ip || inet_pton(AF_INET, ip, &a) != 1)
            continue;
        out[n].host_addr = ntohl(a.s_addr);
        out[n].host_port = (int)json_integer_value(json_object_get(f, "HostPort"));
        out[n].guest_port = (int)json_integer_value(json_object_get(f, "GuestPort"));
        out[n++].optional = json_is_true(json_object_get(f, "Optional"));
    }
    *ret_n = n;
    return out;
}

/* Which forwards listen now (a taken optional port does not), for describe and tests. */
static void
record_forwards_active(json_t *net, const AmiNetForward *fw, guint n)
{
    json_t *list = json_object_get(net, "Forwards");
    guint j = 0;
    gsize i;
    json_t *f;

    json_array_foreach(list, i, f) {
        if (json_string_value(json_object_get(f, "HostIp")) && j < n)
            json_object_set_new(f, "Active", json_boolean(fw[j++].ret_active));
    }
}

/* Before libvirt starts QEMU: its -netdev stream connects once, at start (QEMU 7.2). */
static gboolean
net_start(AmiLaunch *l, GError **error)
{
    json_t *net = json_object_get(amirun(l), "Network");
    const char *sock = json_string_value(json_object_get(net, "Socket"));
    const char *mac = json_string_value(json_object_get(net, "Mac"));
    const char *source = json_string_value(json_object_get(net, "MetadataSource"));
    g_autofree char *imds_sock = g_build_filename(l->dir, "imds.sock", NULL);
    g_autofree char *ip = NULL, *host = NULL;
    g_autofree char *domain = ami_region_dhcp_domain(record_region(l));
    g_autofree AmiNetForward *fw = NULL;
    AmiNetMode mode = AMI_NET_MODE_NAT;
    AmiNetConfig cfg = {.socket_path = sock, .imds_socket_path = imds_sock, .domain = domain};

    if (!sock)
        return TRUE;
    if (!mac) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_CORRUPT, "the record's AmiRun.Network has no Mac");
        return FALSE;
    }
    ami_net_mode_from_string(json_string_value(json_object_get(net, "Mode")), &mode);
    cfg.policy.isolated = mode == AMI_NET_MODE_ISOLATED;
    ami_net_layout_for(ami_launch_instance_id(l), &cfg.layout);
    ip = ami_net_ipv4_to_string(cfg.layout.guest);
    host = g_strdelimit(g_strdup_printf("ip-%s", ip), ".", '-');
    cfg.hostname = host;
    cfg.forwards = fw = record_forwards(net, &cfg.n_forwards);
    /* --metadata-source nocloud: nothing answers at 169.254.169.254 (net.c drops it). */
    if (g_strcmp0(source, "nocloud") != 0 && !(cfg.imds = net_imds_context(l, ip, mac, error)))
        return FALSE;
    if (!(l->net = ami_net_new(&cfg, error)))
        return FALSE;
    record_forwards_active(net, fw, cfg.n_forwards);
    return TRUE;
}

/*
 * What QEMU opens itself in the instance's directory (0710: reach, not list): its disks
 * (0660) and the seed (0640).  The console is opened by libvirt and handed over as an fd;
 * the NVRAM libvirt creates owned by QEMU's user; net.sock is opened once it exists.
 */
static gboolean
open_instance_to(AmiLaunch *l, const AmiQemuUser *u, GError **error)
{
    const char *seed = amirun_str(l->record, "Seed");
    const char *nvram = amirun_str(l->record, "Nvram");
    size_t i;
    json_t *d;

    if (!u)
        return TRUE;
    if (!ami_qemu_user_grant(u, l->dir, 0710, error) ||
        (seed && !ami_qemu_user_grant(u, seed, 0640, error)))
        return FALSE;
    /* A captured NVRAM copy (copy_captured_nvram()) is ours, not libvirt's: open it to QEMU. */
    if (nvram && g_file_test(nvram, G_FILE_TEST_EXISTS) && !ami_qemu_user_grant(u, nvram, 0660, error))
        return FALSE;
    json_array_foreach(json_object_get(amirun(l), "Disks"), i, d) {
        const char *path = json_string_value(json_object_get(d, "Path"));

        if (path && (!ami_qemu_user_grant(u, path, 0660, error) ||
                     !ami_qemu_user_check_access(u, path, R_OK | W_OK, error)))
            return FALSE;
    }
    return TRUE;
}

/* QEMU's -netdev stream connects to net.sock: connecting takes write permission. */
static gboolean
open_net_to(AmiLaunch *l, const AmiQemuUser *u, GError **error)
{
    const char *sock = json_string_value(json_object_get(json_object_get(amirun(l), "Network"),
                                                         "Socket"));

    return !u || !l->net || !sock || ami_qemu_user_grant(u, sock, 0660, error);
}

/* The timeline's qemu-exec (when QEMU's process began) and running (libvirt is done). */
static void
mark_qemu_started(AmiLaunch *l, int pid)
{
    double exec = l->timing && pid > 0 ? ami_clock_process_started(l->timing, pid) : -1;

    if (exec >= 0)
        ami_timing_mark(l->timing, AMI_PHASE_QEMU_EXEC, exec);
    ami_clock_mark(l->timing, AMI_PHASE_RUNNING);
}

gboolean
ami_launch_start(AmiLaunch *l, GError **error)
{
    g_autoptr(AmiQemuUser) qemu_user = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *xml_path = g_build_filename(l->dir, "domain.xml", NULL);
    g_autofree char *log = g_build_filename(l->dir, "libvirt.log", NULL);
    g_autofree char *caps = g_build_filename(ami_store_path(l->store), "cache",
                                             "qemu-capabilities", NULL);
    const char *root = amirun_str(l->record, "LibvirtRoot");
    int pid;

    if (!g_file_get_contents(xml_path, &xml, NULL, error) ||
        !qemu_user_of(l->record, &qemu_user, error) || !open_instance_to(l, qemu_user, error))
        return FALSE;
    if (!(l->reaper = ami_reaper_spawn(l->self_exe, error)))
        return FALSE;
    l->hv = root ? ami_hypervisor_open_embedded(root, caps, log, qemu_user, error)
                 : ami_hypervisor_open_uri(amirun_str(l->record, "Connect"), log, error);
    ami_clock_mark(l->timing, AMI_PHASE_LIBVIRT_START);
    if (!l->hv || !watch_pid_file(l, error) || !net_start(l, error) ||
        !open_net_to(l, qemu_user, error) || !ami_hypervisor_start(l->hv, xml, error))
        return FALSE;
    mark_qemu_started(l, ami_hypervisor_qemu_pid(l->hv));
    if ((pid = ami_hypervisor_qemu_pid(l->hv)) > 0) {
        if (!ami_reaper_watch(l->reaper, pid, error))
            return FALSE;
        json_object_set_new(amirun(l), "QemuPid", json_integer(pid));
    }
    if (root)
        ami_hypervisor_save_caps_cache(l->hv, caps);
    set_state(l->record, AMI_INSTANCE_RUNNING);
    return save_record(l, error);
}

gssize
ami_launch_read_console(AmiLaunch *l, char *buf, size_t len)
{
    const char *path = amirun_str(l->record, "Console");
    gssize n;

    if (!path)
        return 0;
    if (l->console_fd < 0) {
        l->console_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (l->console_fd < 0)
            return 0;
    }
    do {
        n = read(l->console_fd, buf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? 0 : n;
}

gboolean
ami_launch_guest_stopped(AmiLaunch *l)
{
    return l->hv && ami_hypervisor_stopped(l->hv);
}

gboolean
ami_launch_shutdown(AmiLaunch *l, GError **error)
{
    return l->hv && ami_hypervisor_shutdown(l->hv, error);
}

gboolean
ami_launch_pause(AmiLaunch *l, GError **error)
{
    return l->hv && ami_hypervisor_suspend(l->hv, error);
}

gboolean
ami_launch_resume(AmiLaunch *l, GError **error)
{
    return l->hv && ami_hypervisor_resume(l->hv, error);
}

/* DeleteOnTermination false: the volume outlives the instance under volumes/. */
static void
keep_volume(AmiStore *store, json_t *record, json_t *disk)
{
    g_autofree char *dir = g_build_filename(ami_store_path(store), "volumes", NULL);
    const char *id = json_string_value(json_object_get(disk, "VolumeId"));
    const char *path = json_string_value(json_object_get(disk, "Path"));
    g_autofree char *to = g_strdup_printf("%s/%s.qcow2", dir, id);
    g_autofree char *rec = g_strdup_printf("%s/%s.json", dir, id);
    g_autoptr(json_t) vol = NULL;

    if (!id || !path || !ami_id_is_valid(AMI_ID_VOLUME, id))
        return;
    vol = json_pack("{s:s, s:O, s:O?, s:s, s:s, s:O?, s:s, s:{s:s, s:O?}}", "VolumeId", id, "Size",
                    json_object_get(disk, "SizeGiB"), "SnapshotId",
                    json_object_get(disk, "SnapshotId"), "State", "available", "VolumeType", "gp3",
                    "CreateTime", json_object_get(record, "LaunchTime"), "AvailabilityZone",
                    "local", "AmiRun", "Path", to, "InstanceId",
                    json_object_get(record, "InstanceId"));
    ami_record_set_region(vol, ami_record_region(record)); /* the instance's region */
    {
        json_t *tags = json_object_get(json_object_get(json_object_get(record, "AmiRun"), "VolumeTags"), id);

        if (json_is_array(tags) && json_array_size(tags))
            json_object_set(vol, "Tags", tags);
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return;
    if (rename(path, to) == 0)
        ami_json_write_file_atomic(rec, vol, 0600, NULL);
}

/*
 * What terminating leaves: the record, the console and the logs.  Disks go (or move to
 * volumes/ when DeleteOnTermination is false), and so do the seed, NVRAM and the
 * private libvirt root.  Works from the record alone.
 */
static void
release_instance(AmiStore *store, json_t *record, gboolean terminate)
{
    json_t *a = json_object_get(record, "AmiRun");
    size_t i;
    json_t *d;

    ami_remove_tree(json_string_value(json_object_get(a, "LibvirtRoot")));
    if (json_object_get(a, "Network") && json_string_value(json_object_get(a, "Directory"))) {
        /* The sockets a killed owner left behind. */
        g_autofree char *sock = g_build_filename(json_string_value(json_object_get(a, "Directory")),
                                                 "net.sock", NULL);
        g_autofree char *imds = g_build_filename(json_string_value(json_object_get(a, "Directory")),
                                                 "imds.sock", NULL);

        unlink(sock);
        unlink(imds);
    }
    json_object_del(a, "QemuPid");
    json_object_del(a, "QemuPidFile");
    if (!terminate)
        return;
    json_array_foreach(json_object_get(a, "Disks"), i, d) {
        const char *path = json_string_value(json_object_get(d, "Path"));

        if (json_is_true(json_object_get(d, "DeleteOnTermination")) && path)
            unlink(path);
        else
            keep_volume(store, record, d);
    }
    if (json_string_value(json_object_get(a, "Directory"))) {
        g_autofree char *ud = g_build_filename(json_string_value(json_object_get(a, "Directory")),
                                               "user-data", NULL);

        unlink(ud); /* kept for the IMDS while the instance may run again */
    }
    for (const char *const *key = (const char *const[]){"Seed", "Nvram", NULL}; *key; key++) {
        const char *path = json_string_value(json_object_get(a, *key));

        if (path)
            unlink(path);
    }
}

static void
set_reason(json_t *record, const char *code, const char *reason)
{
    if (reason)
        json_object_set_new(record, "StateReason", json_pack("{s:s, s:s}", "Code", code,
                                                             "Message", reason));
}

static void
launch_end(AmiLaunch *l, AmiInstanceState state, const char *reason)
{
    if (l->hv) {
        g_debug("teardown: destroying the domain");
        ami_hypervisor_destroy(l->hv);
        g_debug("teardown: closing libvirt");
        ami_hypervisor_close(l->hv);
        l->hv = NULL;
    }
    g_clear_pointer(&l->net, ami_net_free); /* after QEMU: it is the network's only peer */
    g_debug("teardown: releasing the reaper");
    g_clear_pointer(&l->reaper, ami_reaper_release);
    g_debug("teardown: removing files");
    release_instance(l->store, l->record, state == AMI_INSTANCE_TERMINATED);
    ami_clock_mark(l->timing, AMI_PHASE_TEARDOWN);
    set_state(l->record, state);
    set_reason(l->record, "Client.UserInitiatedShutdown", reason);
    save_record(l, NULL);
    launch_free(l);
}

void
ami_launch_stop(AmiLaunch *l, const char *reason)
{
    launch_end(l, AMI_INSTANCE_STOPPED, reason);
}

void
ami_launch_terminate(AmiLaunch *l, const char *reason)
{
    launch_end(l, AMI_INSTANCE_TERMINATED, reason);
}

/* The supervisor's status line: "running" or "error CODE MESSAGE". */
gboolean
ami_instance_supervise(AmiStore *store, const char *instance_id, const char *self_exe,
                       gboolean restart, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    g_autofree char *line = NULL;
    g_autofree char *log = g_build_filename(ami_store_path(store), "instances", instance_id,
                                            "supervisor.log", NULL);
    const char *argv[] = {self_exe, "--store", ami_store_path(store), "__supervise",
                          instance_id, restart ? "--restart" : NULL, NULL};
    GError *local = NULL;
    gboolean ok = FALSE;

    /* stdin is /dev/null (GSubprocess's default): the supervisor holds no terminal. */
    g_subprocess_launcher_set_stderr_file_path(launcher, log);
    g_subprocess_launcher_set_child_setup(launcher, ami_child_setsid, NULL, NULL);
    if (!(proc = g_subprocess_launcher_spawnv(launcher, argv, &local))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "cannot start the supervisor: %s",
                    local->message);
        g_error_free(local);
        return FALSE;
    }
    in = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc));
    line = g_data_input_stream_read_line(in, NULL, NULL, NULL);
    if (line && strcmp(line, "running") == 0) {
        ok = TRUE;
    } else if (line && g_str_has_prefix(line, "error ") && g_ascii_isdigit(line[6])) {
        int code = atoi(line + 6);
        const char *msg = strchr(line + 6, ' ');

        g_set_error(error, AMI_ERROR, code < AMI_ERROR_LAST ? code : AMI_ERROR_HOST, "%s",
                    msg ? msg + 1 : "the supervisor failed");
    } else {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "the supervisor ended before the guest ran (see %s)", log);
    }
    return ok;
}

gboolean
ami_launch_detach(AmiLaunch *l, GError **error)
{
    g_autofree char *id = g_strdup(ami_launch_instance_id(l));
    gboolean ok;

    /* The supervisor goes on with the timeline from the record (cmd-supervise.c). */
    if (l->timing && !save_record(l, error)) {
        ami_launch_terminate(l, "the guest failed to start");
        return FALSE;
    }
    ok = ami_instance_supervise(l->store, id, l->self_exe, FALSE, error);

    if (!ok && ami_instance_owner(l->record) == getpid()) {
        /* The supervisor never took over: the instance is still ours to clean up. */
        g_autoptr(json_t) now = ami_instance_load(l->store, id, NULL);
        if (now && ami_instance_owner(now) == getpid()) {
            ami_launch_terminate(l, "the supervisor did not start");
            return FALSE;
        }
    }
    launch_free(l); /* the supervisor owns the instance now, or has cleaned up */
    return ok;
}

static gint
compare_launch_time(gconstpointer a, gconstpointer b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

    return g_strcmp0(json_string_value(json_object_get(x, "LaunchTime")),
                     json_string_value(json_object_get(y, "LaunchTime")));
}

GPtrArray *
ami_instances_list(AmiStore *store, GError **error)
{
    g_autofree char *dir = g_build_filename(ami_store_path(store), "instances", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    const char *name;

    (void)error;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, "instance.json", NULL);
        json_t *r;

        if (!ami_id_is_valid(AMI_ID_INSTANCE, name))
            continue;
        if ((r = json_load_file(path, 0, NULL)) && json_is_object(r))
            g_ptr_array_add(out, r);
        else
            json_decref(r);
    }
    g_ptr_array_sort(out, compare_launch_time);
    return out;
}

/* <store>/instances/ID/instance.json (ID checked by the caller or by ami_instance_load()). */
static char *
record_path_of(AmiStore *store, const char *instance_id)
{
    return g_build_filename(ami_store_path(store), "instances", instance_id, "instance.json", NULL);
}

gboolean
ami_instance_set_verdict(AmiStore *store, const char *instance_id, json_t *verdict,
                         GError **error)
{
    g_autoptr(json_t) r = ami_instance_load(store, instance_id, error);
    g_autofree char *path = NULL;

    if (!r)
        return FALSE;
    if (!json_is_object(json_object_get(r, "AmiRun")))
        json_object_set_new(r, "AmiRun", json_object());
    json_object_set(json_object_get(r, "AmiRun"), "Verdict", verdict);
    path = record_path_of(store, instance_id);
    return ami_json_write_file_atomic(path, r, 0600, error);
}

gboolean
ami_instance_set_timing(AmiStore *store, const char *instance_id, AmiTiming *timing,
                        GError **error)
{
    g_autoptr(json_t) r = ami_instance_load(store, instance_id, error);
    json_t *a = json_object_get(r, "AmiRun");
    g_autofree char *path = NULL;

    if (!r)
        return FALSE;
    if (!json_is_object(a))
        json_object_set_new(r, "AmiRun", a = json_object());
    ami_timing_merge_json(timing, json_object_get(a, "Timing"));
    json_object_set_new(a, "Timing", ami_timing_to_json(timing));
    path = record_path_of(store, instance_id);
    return ami_json_write_file_atomic(path, r, 0600, error);
}

json_t *
ami_instance_load(AmiStore *store, const char *instance_id, GError **error)
{
    g_autofree char *path = NULL;
    json_t *r;

    if (!ami_id_is_valid(AMI_ID_INSTANCE, instance_id)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "'%.80s' is not an instance id (i-…)",
                    instance_id);
        return NULL;
    }
    path = record_path_of(store, instance_id);
    r = json_load_file(path, 0, NULL);
    if (!json_is_object(r)) {
        json_decref(r);
        g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Instance '%s' does not exist",
                    instance_id);
        return NULL;
    }
    return r;
}

json_t *
ami_instance_find(AmiStore *store, const char *instance_id, GError **error)
{
    g_autoptr(json_t) r = ami_instance_load(store, instance_id, error);

    if (!r || !ami_store_check_region(store, AMI_ID_INSTANCE, instance_id, r, error))
        return NULL;
    return g_steal_pointer(&r);
}

static gboolean
owner_alive(json_t *amirun)
{
    int pid = (int)json_integer_value(json_object_get(amirun, "OwnerPid"));
    const char *start = json_string_value(json_object_get(amirun, "OwnerStart"));
    g_autofree char *now = pid > 0 ? process_start(pid) : NULL;

    return now && start && strcmp(now, start) == 0;
}

/*
 * Kill a leftover QEMU, but only one that is this instance's (pids get reused).  An
 * owner killed during the start recorded no QemuPid: QEMU's pid file names it then.
 */
static void
kill_leftover_qemu(json_t *record, json_t *amirun)
{
    int pid = (int)json_integer_value(json_object_get(amirun, "QemuPid"));
    const char *id = json_string_value(json_object_get(record, "InstanceId"));

    if (pid <= 0)
        pid = ami_qemu_pid_from_file(json_string_value(json_object_get(amirun, "QemuPidFile")), id);
    if (ami_pid_is_qemu_of(pid, id))
        kill(pid, SIGKILL);
}

static void
reap_one(AmiStore *store, json_t *record)
{
    kill_leftover_qemu(record, json_object_get(record, "AmiRun"));
    release_instance(store, record, TRUE);
    set_state(record, AMI_INSTANCE_TERMINATED);
    set_reason(record, "Server.InternalError",
               "ami-run ended without terminating the instance (killed?)");
}

AmiInstanceState
ami_instance_state(json_t *record)
{
    return (AmiInstanceState)json_integer_value(json_object_get(json_object_get(record, "State"),
                                                                "Code"));
}

int
ami_instance_owner(json_t *record)
{
    json_t *a = json_object_get(record, "AmiRun");

    return owner_alive(a) ? (int)json_integer_value(json_object_get(a, "OwnerPid")) : 0;
}

gboolean
ami_instance_terminate_stopped(AmiStore *store, const char *instance_id, GError **error)
{
    g_autoptr(json_t) r = NULL;
    g_autofree char *path = NULL;
    gboolean ok;

    if (!ami_store_lock(store, error))
        return FALSE;
    if (!(r = ami_instance_load(store, instance_id, error))) {
        ami_store_unlock(store);
        return FALSE;
    }
    path = record_path_of(store, instance_id);
    release_instance(store, r, TRUE);
    set_state(r, AMI_INSTANCE_TERMINATED);
    set_reason(r, "Client.UserInitiatedShutdown", "terminate-instances");
    ok = ami_json_write_file_atomic(path, r, 0600, error);
    ami_store_unlock(store);
    return ok;
}

gboolean
ami_instances_reap_stale(AmiStore *store, GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    gboolean locked = FALSE;

    all = ami_instances_list(store, error);
    for (guint i = 0; all && i < all->len; i++) {
        json_t *r = all->pdata[i];
        int code = (int)json_integer_value(json_object_get(json_object_get(r, "State"), "Code"));
        json_t *amirun = json_object_get(r, "AmiRun");
        g_autofree char *path = NULL;

        /* A stopped instance has no owner by design: its disks wait for start-instances. */
        if (code == AMI_INSTANCE_TERMINATED || code == AMI_INSTANCE_STOPPED || owner_alive(amirun))
            continue;
        if (!locked && !(locked = ami_store_lock(store, error)))
            return FALSE;
        path = g_build_filename(json_string_value(json_object_get(amirun, "Directory")),
                                "instance.json", NULL);
        reap_one(store, r);
        if (!ami_json_write_file_atomic(path, r, 0600, error)) {
            ami_store_unlock(store); /* not held past a failure: the caller reports and exits */
            return FALSE;
        }
    }
    if (locked)
        ami_store_unlock(store);
    return all != NULL;
}
