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
    const char *self_exe;    /* for the reaper */
    const char *now;         /* ISO-8601 launch time */
} AmiLaunchSpec;

/**
 * ami_launch_prepare() - verify the snapshots (sha256, so a disk changed behind our back
 * is AMI_ERROR_CORRUPT before anything boots), create the instance directory and its
 * record (pending), the disks and the seed.  On failure nothing is left.
 */
AmiLaunch *ami_launch_prepare(const AmiLaunchSpec *spec, GError **error);

/** ami_launch_start() - reaper, libvirt, domain: the guest runs.  Record: running. */
gboolean ami_launch_start(AmiLaunch *launch, GError **error);

/**
 * ami_launch_read_console() - console bytes since the last call (0: none yet).  @port 0
 * is the first serial port, 1 the arm64 pci-serial.
 */
gssize ami_launch_read_console(AmiLaunch *launch, guint port, char *buf, size_t len);

/** ami_launch_guest_stopped() - the guest powered off or QEMU went away. */
gboolean ami_launch_guest_stopped(AmiLaunch *launch);

/** ami_launch_instance_dir() - borrowed. */
const char *ami_launch_instance_dir(const AmiLaunch *launch);

/**
 * ami_launch_terminate() - stop the guest, release libvirt and the reaper, delete the
 * volumes with DeleteOnTermination (keeping the others under volumes/), the seed and
 * the rest; the record becomes terminated with @verdict (may be NULL) and @reason.
 * Frees @launch.
 */
void ami_launch_terminate(AmiLaunch *launch, json_t *verdict, const char *reason);

/**
 * ami_instances_reap_stale() - instances whose ami-run process is gone (killed -9): kill
 * a QEMU that is still there, mark them terminated, clean up.  Takes the store lock.
 */
gboolean ami_instances_reap_stale(AmiStore *store, GError **error);

/** ami_instances_list() - every instance record, by launch time.  New array. */
GPtrArray *ami_instances_list(AmiStore *store, GError **error);

/** ami_instance_load() - one record (new reference) or AMI_ERROR_NOT_FOUND. */
json_t *ami_instance_load(AmiStore *store, const char *instance_id, GError **error);

/** ami_remove_tree() - rm -rf @path, not following symlinks.  Errors are ignored. */
void ami_remove_tree(const char *path);

G_END_DECLS
