/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One instance's life on the host: its directory in the store (instances/i-…/), the
 * disks of the plan (overlays over read-only snapshots, blank and ephemeral volumes),
 * the seed, the libvirt domain, the console, and the teardown that leaves only the
 * record, the console log and volumes with DeleteOnTermination false.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/plan.h"
#include "ami-run/seed.h"
#include "ami-run/store.h"
#include "ami-run/timing.h"

G_BEGIN_DECLS

/* EC2 instance state codes (describe-instances State.Code). */
typedef enum {
    AMI_INSTANCE_PENDING = 0,
    AMI_INSTANCE_RUNNING = 16,
    AMI_INSTANCE_SHUTTING_DOWN = 32,
    AMI_INSTANCE_TERMINATED = 48,
    AMI_INSTANCE_STOPPING = 64,
    AMI_INSTANCE_STOPPED = 80,
} AmiInstanceState;

typedef struct AmiLaunch AmiLaunch;

typedef struct {
    AmiStore *store;
    const AmiRunPlan *plan;
    const AmiImage *image;
    const AmiSeedFiles *seed;
    const char *connect_uri; /* NULL: libvirt's embedded driver in a private root */
    const char *self_exe;    /* for the reaper and the supervisor */
    const char *now;         /* ISO-8601 launch time */
    GBytes *user_data;       /* NULL: none; else kept as <instance dir>/user-data (0600) */
    json_t *instance_fields; /* merged into the record: Placement, MetadataOptions, the NIC's */
    json_t *amirun_fields;   /* merged into its AmiRun: Region, PublicKeys, Network */
    const char *qemu_user;   /* as root: QEMU's and swtpm's user (NULL: as the caller) */
} AmiLaunchSpec;

/**
 * ami_launch_prepare() - verify the snapshots (sha256, so a disk changed behind our back
 * is AMI_ERROR_CORRUPT before anything boots), create the instance directory and its
 * record (pending), the disks, the seed and domain.xml.  With @spec->qemu_user, the
 * store's directories and the snapshots are opened (read-only) to that user's group and
 * checked to be reachable by it.  On failure nothing is left.
 */
AmiLaunch *ami_launch_prepare(const AmiLaunchSpec *spec, GError **error);

/**
 * ami_launch_attach() - take over an instance from its record (the supervisor of a
 * detached run, start-instances): this process becomes its owner.
 */
AmiLaunch *ami_launch_attach(AmiStore *store, const char *instance_id, const char *self_exe,
                             GError **error);

/**
 * ami_launch_start() - reaper, libvirt, domain: the guest runs.  Record: running.  The
 * instance's files QEMU opens are opened to the record's QemuUser (and only those).
 */
gboolean ami_launch_start(AmiLaunch *launch, GError **error);

/**
 * ami_launch_detach() - hand a prepared instance to a supervisor process in its own
 * session (`ami-run __supervise`), which starts it and keeps libvirt open for it.
 * Returns once the guest runs, or with the supervisor's error.  Frees @launch.
 */
gboolean ami_launch_detach(AmiLaunch *launch, GError **error);

/**
 * ami_instance_supervise() - start a supervisor for a prepared (or, with @restart, a
 * stopped) instance and wait until its guest runs.
 */
gboolean ami_instance_supervise(AmiStore *store, const char *instance_id, const char *self_exe,
                                gboolean restart, GError **error);

/** ami_launch_read_console() - console bytes since the last call (0: none yet). */
gssize ami_launch_read_console(AmiLaunch *launch, char *buf, size_t len);

/** ami_launch_guest_stopped() - the guest powered off or QEMU went away. */
gboolean ami_launch_guest_stopped(AmiLaunch *launch);

/** ami_launch_shutdown() - ask the guest to power off (ACPI power button). */
gboolean ami_launch_shutdown(AmiLaunch *launch, GError **error);

/** ami_launch_pause(), ami_launch_resume() - pause the guest (block devices flushed), resume it. */
gboolean ami_launch_pause(AmiLaunch *launch, GError **error);
gboolean ami_launch_resume(AmiLaunch *launch, GError **error);

/** ami_launch_instance_id() - borrowed. */
const char *ami_launch_instance_id(const AmiLaunch *launch);

/**
 * ami_launch_set_timing() - the boot's timeline (borrowed; it must outlive @launch, or
 * be unset with NULL): the start marks libvirt-start, qemu-exec and running, the
 * teardown marks teardown, and every write of the record saves it as AmiRun.Timing.
 */
void ami_launch_set_timing(AmiLaunch *launch, AmiTiming *timing);

/** ami_launch_set_supervised() - mark the owner as a supervisor (stop-instances may signal it). */
void ami_launch_set_supervised(AmiLaunch *launch);

/** ami_launch_record() - the record as its owner holds it (borrowed; changes are saved
 * with the next write). */
json_t *ami_launch_record(AmiLaunch *launch);

/**
 * ami_launch_reboot() - reset the guest (reboot-instances): the state stays running, the
 * verdict of the last boot goes and AmiRun.Boots counts one more.
 */
gboolean ami_launch_reboot(AmiLaunch *launch, GError **error);

/** ami_launch_set_verdict() - record the console verdict (the record keeps a copy). */
void ami_launch_set_verdict(AmiLaunch *launch, json_t *verdict);

/** ami_launch_set_amirun() - record AmiRun.@member = @value (a copy), e.g. Components. */
void ami_launch_set_amirun(AmiLaunch *launch, const char *member, json_t *value);

/**
 * ami_launch_stop() - power off now (after a shutdown request, if any), release libvirt
 * and the reaper, keep disks, seed and NVRAM: the record becomes stopped.  Frees @launch.
 */
void ami_launch_stop(AmiLaunch *launch, const char *reason);

/**
 * ami_launch_terminate() - stop the guest, release libvirt and the reaper, delete the
 * volumes with DeleteOnTermination (keeping the others under volumes/), the seed and
 * the rest; the record becomes terminated with @reason.  Frees @launch.
 */
void ami_launch_terminate(AmiLaunch *launch, const char *reason);

/**
 * ami_instance_terminate_stopped() - terminate an instance that is stopped (no process
 * owns it): its disks go as ami_launch_terminate() would.  Takes the store lock.
 */
gboolean ami_instance_terminate_stopped(AmiStore *store, const char *instance_id, GError **error);

/**
 * ami_instance_owner() - the pid of the live process that owns a running instance
 * (its foreground run or supervisor), or 0.
 */
int ami_instance_owner(json_t *record);

/** ami_instance_state() - State.Code of a record. */
AmiInstanceState ami_instance_state(json_t *record);

/**
 * ami_instances_reap_stale() - instances whose ami-run process is gone (killed -9): kill
 * a QEMU that is still there, mark them terminated, clean up.  Takes the store lock.
 */
gboolean ami_instances_reap_stale(AmiStore *store, GError **error);

/** ami_instances_list() - every instance record, by launch time.  New array. */
GPtrArray *ami_instances_list(AmiStore *store, GError **error);

/**
 * ami_instance_set_verdict() - AmiRun.Verdict of a record whose guest a supervisor holds
 * (run --keep).  The supervisor writes the record only when it starts and when the guest
 * stops, neither of which happens while run watches for the verdict; a stop drops the
 * verdict (it described that boot).
 */
gboolean ami_instance_set_verdict(AmiStore *store, const char *instance_id, json_t *verdict,
                                  GError **error);

/**
 * ami_instance_set_timing() - AmiRun.Timing of a record whose guest a supervisor holds
 * (run --keep), as ami_instance_set_verdict(): the phases the record has (the
 * supervisor's start) are merged into @timing first, then @timing is written.
 */
gboolean ami_instance_set_timing(AmiStore *store, const char *instance_id, AmiTiming *timing,
                                 GError **error);

/**
 * ami_instance_modify() - modify-instance-attribute on a stopped instance: a new
 * @instance_type (memory and vCPUs of its domain; same architecture) and/or new
 * @user_data (the IMDS's copy and the NoCloud seed).  Any other state is
 * AMI_ERROR_INVALID "IncorrectInstanceState".  Takes the store lock.
 */
gboolean ami_instance_modify(AmiStore *store, const char *instance_id, const char *instance_type,
                             GBytes *user_data, GError **error);

/** ami_instance_load() - one record (new reference) or AMI_ERROR_NOT_FOUND. */
json_t *ami_instance_load(AmiStore *store, const char *instance_id, GError **error);

/**
 * ami_instance_find() - ami_instance_load() of an id a user named: only in @store's region
 * (ami_store_check_region()), else AMI_ERROR_NOT_FOUND.
 */
json_t *ami_instance_find(AmiStore *store, const char *instance_id, GError **error);

/** ami_remove_tree() - rm -rf @path, not following symlinks.  Errors are ignored. */
void ami_remove_tree(const char *path);

G_END_DECLS
