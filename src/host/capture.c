/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * create-image's host half (docs/create-image.md): the detached worker that brings the
 * instance to a consistent point (ACPI reboot, a pause, or nothing for a stopped one),
 * copies each volume's overlay into a layer of its own, seals the layers (backing file
 * relative to snapshots/, format pinned, sha256, 0400) and commits image and snapshots
 * in one store transaction.  Nothing is written into the store before that commit: a
 * worker that dies leaves a work directory that recover() removes, and an image that
 * ami_capture_reap_stale() marks failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/guestfs.h"
#include "ami-run/host.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"

#define STOP_WAIT_SECONDS 3700 /* the supervisor's grace (<= 3600 s) and the power-off */
#define PAUSE_WAIT_SECONDS 600

/* --- reference-counted deletion ---------------------------------------------------- */

gboolean
ami_snapshot_delete_stage(AmiStore *store, AmiTxn *txn, char **ids, GError **error)
{
    g_autoptr(GPtrArray) all = ami_store_list_snapshots(store, error);
    g_autoptr(GPtrArray) remaining = g_ptr_array_new();
    g_autoptr(GPtrArray) deleting = g_ptr_array_new();
    g_autoptr(GPtrArray) files = NULL;

    if (!all)
        return FALSE;
    for (guint i = 0; i < all->len; i++) {
        const char *id = json_string_value(json_object_get(all->pdata[i], "SnapshotId"));

        g_ptr_array_add(id && g_strv_contains((const char *const *)ids, id) ? deleting : remaining,
                        all->pdata[i]);
    }
    for (char **id = ids; *id; id++) {
        g_autofree char *rec = ami_store_snapshot_record_rel(*id);

        if (rec)
            ami_txn_delete(txn, rec);
    }
    files = ami_snapshot_files_unreferenced(remaining, deleting);
    for (guint i = 0; i < files->len; i++) {
        g_autofree char *rel = ami_store_snapshot_rel(files->pdata[i]);

        if (rel)
            ami_txn_delete(txn, rel);
    }
    return TRUE;
}

char **
ami_snapshot_chain_paths(AmiStore *store, json_t *record)
{
    g_autoptr(json_t) chain = ami_snapshot_chain(record, NULL);
    g_autoptr(GPtrArray) out = NULL;
    size_t i;
    json_t *e;

    if (!chain || json_array_size(chain) == 0)
        return NULL;
    out = g_ptr_array_new();
    json_array_foreach(chain, i, e)
        g_ptr_array_add(out, ami_store_snapshot_path(store, json_string_value(json_object_get(e, "SnapshotId"))));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* --- copying a layer --------------------------------------------------------------- */

static gboolean
copy_range(int in, int out, off_t from, off_t to, const char *src)
{
    loff_t a = from, b = from;

    while (a < to) {
        ssize_t n = copy_file_range(in, &a, out, &b, (size_t)(to - a), 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            g_debug("copy_file_range %s: %s", src, n < 0 ? g_strerror(errno) : "short");
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
ami_capture_copy_layer(const char *src, const char *dst, GError **error)
{
    g_auto(AmiFd) in = open(src, O_RDONLY | O_CLOEXEC);
    g_auto(AmiFd) out = -1;
    struct stat st;
    off_t pos = 0;

    if (in < 0 || fstat(in, &st) < 0)
        return ami_error_set_errno(error, errno, src);
    if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return ami_error_set_errno(error, errno, dst);
    /* Only the extents with data: a qcow2 overlay's holes stay holes. */
    while (pos < st.st_size) {
        off_t data = lseek(in, pos, SEEK_DATA), hole;

        if (data < 0 && errno == ENXIO)
            break;
        if (data < 0 || (hole = lseek(in, data, SEEK_HOLE)) < 0)
            return ami_error_set_errno(error, errno, src);
        if (!copy_range(in, out, data, hole, src))
            return ami_error_set_errno(error, errno ? errno : EIO, dst);
        pos = hole;
    }
    if (ftruncate(out, st.st_size) < 0 || fsync(out) < 0)
        return ami_error_set_errno(error, errno, dst);
    return TRUE;
}

/* --- liveness of a worker ---------------------------------------------------------- */

static char *
process_start(int pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    char *p;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
        return NULL;
    fields = g_strsplit(p + 2, " ", 0);
    return g_strv_length(fields) > 19 ? g_strdup(fields[19]) : NULL;
}

json_t *
ami_capture_worker_json(int pid)
{
    g_autofree char *start = process_start(pid);

    return json_pack("{s:i, s:s}", "Pid", pid, "Start", start ? start : "");
}

static gboolean
worker_alive(json_t *worker)
{
    int pid = (int)json_integer_value(json_object_get(worker, "Pid"));
    g_autofree char *now = process_start(pid);

    return now && g_strcmp0(now, json_string_value(json_object_get(worker, "Start"))) == 0;
}

static json_t *
create_image_of(json_t *image)
{
    return json_object_get(json_object_get(image, "AmiRun"), "CreateImage");
}

static void
set_failed(json_t *image, const char *code, const char *message)
{
    json_object_set_new(image, "State", json_string("failed"));
    json_object_set_new(image, "StateReason", json_pack("{s:s, s:s}", "Code", code, "Message", message));
    json_object_del(create_image_of(image), "Worker");
}

gboolean
ami_capture_reap_stale(AmiStore *store, GError **error)
{
    g_autoptr(GPtrArray) images = ami_store_list_images(store, error);
    gboolean locked = FALSE, ok = TRUE;

    if (!images)
        return FALSE;
    for (guint i = 0; ok && i < images->len; i++) {
        json_t *img = images->pdata[i];
        json_t *worker = json_object_get(create_image_of(img), "Worker");
        g_autoptr(json_t) fresh = NULL;
        g_autoptr(AmiTxn) txn = NULL;
        g_autofree char *rel = NULL;
        const char *id = json_string_value(json_object_get(img, "ImageId"));

        if (!worker || g_strcmp0(json_string_value(json_object_get(img, "State")), "pending") != 0 ||
            worker_alive(worker))
            continue;
        if (!locked && !(ok = locked = ami_store_lock(store, error)))
            break;
        /* Under the lock, again: the worker may have finished meanwhile. */
        if (!(fresh = ami_store_load_image(store, id, NULL)) ||
            !(worker = json_object_get(create_image_of(fresh), "Worker")) || worker_alive(worker))
            continue;
        set_failed(fresh, "Server.InternalError",
                   "the create-image worker ended before the image was sealed (killed?)");
        rel = ami_store_image_rel(id);
        ok = (txn = ami_store_txn_new(store, error)) && ami_txn_put_json(txn, rel, fresh, error) &&
             ami_txn_commit(txn, error);
    }
    if (locked)
        ami_store_unlock(store);
    return ok;
}

/* --- the worker -------------------------------------------------------------------- */

typedef struct {
    AmiStore *store;
    const char *self_exe;
    char *image_id;
    json_t *image;     /* the pending record, as create-image wrote it */
    json_t *request;   /* its AmiRun.CreateImage */
    json_t *instance;
    char *instance_dir;
    AmiTxn *txn;
    GPtrArray *staged; /* per captured volume (index into Volumes): staged path or NULL */
    char *nvram_staged;
    json_t *timing;    /* AmiRun.CreateImage.Timing */
    char *forced;      /* the reboot's forced power-off, said in StateReason */
    char *restart_error;
} Capture;

static void
capture_clear(Capture *c)
{
    g_free(c->image_id);
    json_decref(c->image);
    json_decref(c->instance);
    g_free(c->instance_dir);
    g_clear_pointer(&c->txn, ami_txn_free);
    if (c->staged)
        g_ptr_array_unref(c->staged);
    g_free(c->nvram_staged);
    json_decref(c->timing);
    g_free(c->forced);
    g_free(c->restart_error);
}

static double
seconds_since(gint64 t0)
{
    return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* One staged path per volume to capture; the copies land there. */
static gboolean
plan_targets(Capture *c, json_t *targets)
{
    size_t i;
    json_t *v;

    c->staged = g_ptr_array_new_with_free_func(g_free);
    json_array_foreach(json_object_get(c->request, "Volumes"), i, v) {
        json_t *cap = json_object_get(v, "Capture");
        char *staged = cap ? ami_txn_stage_path(c->txn) : NULL;

        g_ptr_array_add(c->staged, staged);
        if (cap)
            json_array_append_new(targets, json_pack("{s:O, s:s}", "Path", json_object_get(cap, "Path"),
                                                     "Staged", staged));
    }
    return TRUE;
}

static gboolean
copy_targets(json_t *targets, GError **error)
{
    size_t i;
    json_t *t;

    json_array_foreach(targets, i, t) {
        if (!ami_capture_copy_layer(json_string_value(json_object_get(t, "Path")),
                                    json_string_value(json_object_get(t, "Staged")), error))
            return FALSE;
    }
    return TRUE;
}

static json_t *
wait_instance(Capture *c, AmiInstanceState want, double seconds, GError **error)
{
    const char *id = json_string_value(json_object_get(c->request, "InstanceId"));
    gint64 deadline = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);

    for (;;) {
        g_autoptr(json_t) r = ami_instance_load(c->store, id, error);

        if (!r)
            return NULL;
        if (ami_instance_state(r) == want)
            return g_steal_pointer(&r);
        if (ami_instance_state(r) == AMI_INSTANCE_TERMINATED || g_get_monotonic_time() > deadline) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "instance %s became %s instead of stopped",
                        id, json_string_value(json_object_get(json_object_get(r, "State"), "Name")));
            return NULL;
        }
        if (!ami_signals_check(error))
            return NULL;
        g_usleep(100 * 1000);
    }
}

/*
 * The default (NoReboot false): EC2 reboots the instance so its volumes are at rest.  Here
 * the supervisor's stop path (ACPI power-off, forced after its grace period) stops it, the
 * overlays are copied with QEMU gone, and start-instances' path boots it again.
 */
static gboolean
capture_reboot(Capture *c, int owner, json_t *targets, GError **error)
{
    const char *id = json_string_value(json_object_get(c->request, "InstanceId"));
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(json_t) stopped = NULL;
    g_autoptr(GError) local = NULL;
    const char *why;

    if (kill(owner, SIGUSR1) < 0)
        return ami_error_set_errno(error, errno, "signal the instance's supervisor");
    if (!(stopped = wait_instance(c, AMI_INSTANCE_STOPPED, STOP_WAIT_SECONDS, error)))
        return FALSE;
    json_object_set_new(c->timing, "ShutdownSeconds", json_real(seconds_since(t0)));
    why = json_string_value(json_object_get(json_object_get(stopped, "StateReason"), "Message"));
    if (why && strstr(why, "forced"))
        c->forced = g_strdup(why);
    t0 = g_get_monotonic_time();
    if (!copy_targets(targets, error))
        return FALSE;
    json_object_set_new(c->timing, "CopySeconds", json_real(seconds_since(t0)));
    if (!ami_instance_supervise(c->store, id, c->self_exe, TRUE, &local))
        c->restart_error = g_strdup(local->message); /* the image is still good */
    return TRUE;
}

/* --no-reboot: the supervisor pauses the guest (QEMU's stop drains and flushes). */
static gboolean
capture_pause(Capture *c, int owner, json_t *targets, GError **error)
{
    g_autofree char *req = g_build_filename(c->instance_dir, "capture-request.json", NULL);
    g_autofree char *reply = g_build_filename(c->instance_dir, "capture-reply.json", NULL);
    g_autoptr(json_t) r = json_pack("{s:s, s:O}", "ImageId", c->image_id, "Targets", targets);
    gint64 deadline = g_get_monotonic_time() + PAUSE_WAIT_SECONDS * G_USEC_PER_SEC;
    g_autoptr(json_t) answer = NULL;
    const char *err;

    unlink(reply);
    if (!ami_json_write_file_atomic(req, r, 0600, error))
        return FALSE;
    if (kill(owner, SIGURG) < 0)
        return ami_error_set_errno(error, errno, "signal the instance's supervisor");
    while (!(answer = json_load_file(reply, 0, NULL))) {
        g_autoptr(json_t) inst = ami_instance_load(c->store, json_string_value(json_object_get(c->request, "InstanceId")), error);

        if (!inst || !ami_signals_check(error))
            return FALSE;
        if (!ami_instance_owner(inst) || g_get_monotonic_time() > deadline) {
            unlink(req);
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                        "the instance's supervisor did not pause the guest (ended or timed out)");
            return FALSE;
        }
        g_usleep(20 * 1000);
    }
    unlink(reply);
    if ((err = json_string_value(json_object_get(answer, "Error")))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "pausing the guest: %s", err);
        return FALSE;
    }
    json_object_set(c->timing, "PausedMilliseconds", json_object_get(answer, "PausedMilliseconds"));
    return TRUE;
}

/* Each item sysprep removed: kept in the image's AmiRun.CreateImage.SysprepReport and
 * written to the worker's log (the worker has no terminal; docs/sysprep.md). */
static void
sysprep_report(const char *operation, const char *item, void *data)
{
    json_t *list = data;

    fprintf(stderr, "sysprep: %s: %s\n", operation, item);
    json_array_append_new(list, json_pack("{s:s, s:s}", "Operation", operation, "Item", item));
}

/*
 * The optional offline cleanup (`create-image --sysprep[=OPS]`, docs/sysprep.md): between
 * the copy and the sealing, on the captured root layer only, never on the instance's
 * disk.  The layer still names its parent by absolute path here, so the libguestfs
 * handle opens the whole chain (read-only below, format pinned).  A failure discards the
 * layer (it may be half-cleaned): the image fails, nothing half-made stays.
 */
static gboolean
capture_sysprep_hook(Capture *c, const char *root_layer, GError **error)
{
    const char *ops = json_string_value(json_object_get(c->request, "Sysprep"));
    g_autoptr(json_t) report = json_array();
    gint64 start = g_get_monotonic_time();
    gboolean ok;

    if (!ops)
        return TRUE;
    fprintf(stderr, "sysprep: cleaning %s (%s)\n", root_layer, *ops ? ops : "the defaults");
    ok = ami_guestfs_sysprep(root_layer, *ops ? ops : NULL, sysprep_report, report, error);
    json_object_set(c->request, "SysprepReport", report);
    json_object_set_new(c->timing, "SysprepSeconds",
                        json_real((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC));
    if (!ok)
        g_prefix_error(error, "--sysprep: ");
    return ok;
}

static json_t *
parent_chain(AmiStore *store, const char *parent, GError **error)
{
    g_autoptr(json_t) rec = ami_store_load_snapshot(store, parent, error);
    g_autoptr(json_t) below = rec ? ami_snapshot_chain(rec, error) : NULL;
    const char *sha = json_string_value(json_object_get(json_object_get(rec, "AmiRun"), "Sha256"));
    json_t *chain;

    if (!below) {
        g_prefix_error(error, "the parent snapshot of a volume: ");
        return NULL;
    }
    chain = json_pack("[{s:s, s:s}]", "SnapshotId", parent, "Sha256", sha ? sha : "");
    json_array_extend(chain, below);
    return chain;
}

/* Backing file relative to snapshots/, sha256, read-only: a layer as the store keeps it. */
static json_t *
seal_layer(Capture *c, json_t *vol, const char *staged, GError **error)
{
    json_t *cap = json_object_get(vol, "Capture");
    const char *parent = json_string_value(json_object_get(cap, "Parent"));
    const char *snap = json_string_value(json_object_get(vol, "SnapshotId"));
    g_autoptr(json_t) chain = parent ? parent_chain(c->store, parent, error) : json_array();
    g_autofree char *sha = NULL;
    g_autofree char *desc = g_strdup_printf("Created by CreateImage(%s) for %s",
                                            json_string_value(json_object_get(c->request, "InstanceId")),
                                            c->image_id);
    json_int_t gib = json_integer_value(json_object_get(cap, "SizeGiB"));
    json_t *amirun;

    if (!chain || !ami_qemu_img_rebase_unsafe(staged, parent, error) ||
        !(sha = ami_sha256_file(staged, error)))
        return NULL;
    if (chmod(staged, 0400) < 0) {
        ami_error_set_errno(error, errno, staged);
        return NULL;
    }
    amirun = json_pack("{s:s, s:s, s:I, s:s, s:s, s:O}", "Format", "qcow2", "Sha256", sha,
                       "VirtualSize", gib << 30, "Source", "create-image", "Region",
                       json_string_value(json_object_get(json_object_get(c->image, "AmiRun"), "Region")),
                       "Chain", chain);
    if (parent)
        json_object_set_new(amirun, "Parent", json_string(parent));
    else
        json_object_del(amirun, "Chain");
    return json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:o, s:o}", "SnapshotId",
                     snap, "VolumeId", json_object_get(cap, "VolumeId"), "State", "completed",
                     "StartTime", json_string_value(json_object_get(c->image, "CreationDate")),
                     "Progress", "100%", "OwnerId", AMI_STORE_OWNER_ID, "Description", desc,
                     "VolumeSize", gib, "Encrypted", 0, "StorageTier", "standard", "Tags",
                     ami_capture_tags_for(json_object_get(c->request, "TagSpecifications"), "snapshot"),
                     "AmiRun", amirun);
}

/* The UEFI variable store goes with the image (EC2 copies it; docs/image-lifecycle.md §1.5). */
static gboolean
copy_nvram(Capture *c, GError **error)
{
    const char *nv = json_string_value(json_object_get(json_object_get(c->instance, "AmiRun"), "Nvram"));

    if (!nv || !g_file_test(nv, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    c->nvram_staged = ami_txn_stage_path(c->txn);
    return ami_capture_copy_layer(nv, c->nvram_staged, error);
}

static gboolean
stage_results(Capture *c, json_t *image, GError **error)
{
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(c->request, "Volumes"), i, v) {
        const char *staged = c->staged->pdata[i];
        g_autoptr(json_t) rec = NULL;
        g_autofree char *rel = NULL, *rec_rel = NULL;

        if (!staged)
            continue;
        if (i == 0 && !capture_sysprep_hook(c, staged, error))
            return FALSE;
        if (!(rec = seal_layer(c, v, staged, error)))
            return FALSE;
        rel = ami_store_snapshot_rel(json_string_value(json_object_get(v, "SnapshotId")));
        rec_rel = ami_store_snapshot_record_rel(json_string_value(json_object_get(v, "SnapshotId")));
        if (!ami_txn_put_file(c->txn, rel, staged, error) || !ami_txn_put_json(c->txn, rec_rel, rec, error))
            return FALSE;
    }
    if (c->nvram_staged) {
        g_autofree char *sha = ami_sha256_file(c->nvram_staged, error);
        g_autofree char *rel = g_strdup_printf("nvram/%s.fd", c->image_id);

        if (!sha || chmod(c->nvram_staged, 0400) < 0 ||
            !ami_txn_put_file(c->txn, rel, c->nvram_staged, error))
            return sha ? ami_error_set_errno(error, errno, c->nvram_staged) : FALSE;
        json_object_set_new(json_object_get(image, "AmiRun"), "Nvram",
                            json_pack("{s:s, s:s}", "File", rel, "Sha256", sha));
    }
    return TRUE;
}

static gboolean
capture_volumes(Capture *c, GError **error)
{
    g_autoptr(json_t) targets = json_array();
    const char *id = json_string_value(json_object_get(c->request, "InstanceId"));
    gboolean no_reboot = json_is_true(json_object_get(c->request, "NoReboot"));
    int owner;

    if (!(c->instance = ami_instance_load(c->store, id, error)) || !plan_targets(c, targets))
        return FALSE;
    c->instance_dir = g_build_filename(ami_store_path(c->store), "instances", id, NULL);
    owner = ami_instance_owner(c->instance);
    if (ami_instance_state(c->instance) == AMI_INSTANCE_STOPPED || owner <= 0) {
        gint64 t0 = g_get_monotonic_time();

        json_object_set_new(c->timing, "Method", json_string("stopped"));
        if (!copy_targets(targets, error))
            return FALSE;
        json_object_set_new(c->timing, "CopySeconds", json_real(seconds_since(t0)));
    } else if (no_reboot) {
        json_object_set_new(c->timing, "Method", json_string("pause"));
        if (!capture_pause(c, owner, targets, error))
            return FALSE;
    } else {
        json_object_set_new(c->timing, "Method", json_string("reboot"));
        if (!capture_reboot(c, owner, targets, error))
            return FALSE;
    }
    return copy_nvram(c, error);
}

static gboolean
commit_image(Capture *c, json_t *image, GError **error)
{
    g_autofree char *rel = ami_store_image_rel(c->image_id);
    g_autoptr(json_t) now = NULL;
    json_t *req = create_image_of(image);

    if (!ami_store_lock(c->store, error))
        return FALSE;
    /* Deregistered meanwhile: nothing to make available, and nothing is left. */
    if (!(now = ami_store_load_image(c->store, c->image_id, error))) {
        ami_store_unlock(c->store);
        return FALSE;
    }
    json_object_set_new(image, "State", json_string("available"));
    json_object_del(req, "Worker");
    json_object_set(req, "Timing", c->timing);
    if (c->forced || c->restart_error) {
        g_autofree char *msg = g_strdup_printf("%s%s%s%s", c->forced ? "captured after a forced power-off: " : "",
                                               c->forced ? c->forced : "", c->forced && c->restart_error ? "; " : "",
                                               c->restart_error ? c->restart_error : "");
        json_object_set_new(image, "StateReason", json_pack("{s:s, s:s}", "Code",
                                                            c->forced ? "Client.ForcedShutdown" : "Server.RestartFailed",
                                                            "Message", msg));
    }
    if (!ami_txn_put_json(c->txn, rel, image, error) || !ami_txn_commit(c->txn, error)) {
        ami_store_unlock(c->store);
        return FALSE;
    }
    ami_store_unlock(c->store);
    return TRUE;
}

static void
mark_failed(Capture *c, const GError *why)
{
    g_autoptr(json_t) img = NULL;
    g_autoptr(AmiTxn) txn = NULL;
    g_autofree char *rel = ami_store_image_rel(c->image_id);

    g_clear_pointer(&c->txn, ami_txn_free); /* staged layers go: nothing half-made */
    if (!ami_store_lock(c->store, NULL))
        return;
    if ((img = ami_store_load_image(c->store, c->image_id, NULL))) {
        set_failed(img, "Client.CreateImageFailed", why ? why->message : "create-image failed");
        if ((txn = ami_store_txn_new(c->store, NULL)) && ami_txn_put_json(txn, rel, img, NULL))
            ami_txn_commit(txn, NULL);
    }
    ami_store_unlock(c->store);
}

gboolean
ami_capture_run(AmiStore *store, const char *image_id, const char *self_exe, GError **error)
{
    Capture c = {.store = store, .self_exe = self_exe, .image_id = g_strdup(image_id)};
    g_autoptr(json_t) image = NULL;
    GError *local = NULL;
    gint64 t0;
    gboolean ok = FALSE;

    c.timing = json_object();
    if (!(c.image = ami_store_load_image(store, image_id, &local)) ||
        !(c.request = create_image_of(c.image))) {
        if (!local)
            g_set_error(&local, AMI_ERROR, AMI_ERROR_INVALID, "Image '%s' is not being created", image_id);
        goto out;
    }
    if (!(c.txn = ami_store_txn_new(store, &local)) || !capture_volumes(&c, &local))
        goto fail;
    t0 = g_get_monotonic_time();
    image = json_deep_copy(c.image);
    if (!stage_results(&c, image, &local))
        goto fail;
    json_object_set_new(c.timing, "SealSeconds", json_real(seconds_since(t0)));
    json_object_set(create_image_of(image), "Timing", c.timing);
    if (json_object_get(c.request, "SysprepReport"))
        json_object_set(create_image_of(image), "SysprepReport",
                        json_object_get(c.request, "SysprepReport"));
    if (!commit_image(&c, image, &local))
        goto fail;
    ok = TRUE;
    goto out;
fail:
    mark_failed(&c, local);
out:
    capture_clear(&c);
    if (local)
        g_propagate_error(error, local);
    return ok;
}

/* --- the supervisor's half of --no-reboot ------------------------------------------ */

void
ami_capture_serve_pause(const char *instance_dir, gboolean (*pause)(void *, GError **),
                        gboolean (*resume)(void *, GError **), void *data)
{
    g_autofree char *req = g_build_filename(instance_dir, "capture-request.json", NULL);
    g_autofree char *reply = g_build_filename(instance_dir, "capture-reply.json", NULL);
    g_autoptr(json_t) r = json_load_file(req, 0, NULL);
    g_autoptr(json_t) answer = json_object();
    g_autoptr(GError) error = NULL;
    gint64 t0, paused_us = 0;

    if (!r)
        return; /* a stray SIGURG */
    unlink(req);
    t0 = g_get_monotonic_time();
    if (pause(data, &error)) {
        gboolean copied = copy_targets(json_object_get(r, "Targets"), &error);
        g_autoptr(GError) resume_error = NULL;

        /* Resumed whatever the copy did; the first error is the one reported. */
        if (!resume(data, &resume_error) && copied)
            g_propagate_error(&error, g_steal_pointer(&resume_error));
        else if (resume_error)
            g_prefix_error(&error, "resuming the guest failed too (%s); ", resume_error->message);
        paused_us = g_get_monotonic_time() - t0;
    }
    if (error)
        json_object_set_new(answer, "Error", json_string(error->message));
    json_object_set_new(answer, "PausedMilliseconds", json_real((double)paused_us / 1000.0));
    ami_json_write_file_atomic(reply, answer, 0600, NULL);
}
