/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One boot's timeline (docs/run.md "Timing"): ami-run's own host-side phases and the
 * guest's boot stages the verdict scanner saw, in seconds since the command started.
 * The instance record keeps it as AmiRun.Timing; `run --timing` prints it.  Pure: the
 * caller reads the clock (cli/, host/) and hands the times in.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/verdict.h"

G_BEGIN_DECLS

/* Host-side phases, in the order they happen; each is the moment the step was done. */
typedef enum {
    AMI_PHASE_COMMAND_START,      /* the command started: 0 */
    AMI_PHASE_PLAN,               /* options, image, plan and seed resolved */
    AMI_PHASE_DISKS,              /* instance directory, disks, seed ISO, domain XML made */
    AMI_PHASE_LIBVIRT_START,      /* the reaper runs and libvirt's driver is open */
    AMI_PHASE_QEMU_EXEC,          /* QEMU's process started (its /proc start time) */
    AMI_PHASE_RUNNING,            /* libvirt's start returned: the guest's vCPUs run */
    AMI_PHASE_FIRST_CONSOLE_BYTE, /* the console's first byte was read */
    AMI_PHASE_VERDICT,            /* the verdict was decided */
    AMI_PHASE_TEARDOWN,           /* the guest is gone and the instance released */
    AMI_PHASE_LAST
} AmiPhase;

const char *ami_phase_to_string(AmiPhase p);
gboolean ami_phase_from_string(const char *s, AmiPhase *ret);

typedef struct AmiTiming AmiTiming;

/**
 * ami_timing_new() - an empty timeline.  @start is the command's start on the wall clock
 * (ISO 8601, kept as given); @origin is the same moment on a monotonic clock in
 * microseconds, kept only for the caller (ami_timing_origin()).  Free with
 * ami_timing_free().
 */
AmiTiming *ami_timing_new(const char *start, gint64 origin);
void ami_timing_free(AmiTiming *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiTiming, ami_timing_free)

/**
 * ami_timing_from_json() - a timeline that goes on from a record's AmiRun.Timing (the
 * supervisor of a detached run): its Start, phases and stages (ami_timing_merge_json()).
 * NULL when @timing is not an object with a string Start.
 */
AmiTiming *ami_timing_from_json(const json_t *timing, gint64 origin);

/**
 * ami_timing_merge_json() - mark the phases an AmiRun.Timing of the same Start has, and
 * take its stages when @t has none; phases @t has already keep their times.  Another
 * Start (an earlier run's timeline) changes nothing.
 */
void ami_timing_merge_json(AmiTiming *t, const json_t *timing);

/** ami_timing_start() - the Start given to ami_timing_new() (borrowed, may be NULL). */
const char *ami_timing_start(const AmiTiming *t);

/** ami_timing_origin() - the @origin given to ami_timing_new(). */
gint64 ami_timing_origin(const AmiTiming *t);

/**
 * ami_timing_mark() - phase @p was done @seconds after the start.  The first mark of a
 * phase stays (a later one is ignored); a negative time is taken as 0.
 */
void ami_timing_mark(AmiTiming *t, AmiPhase p, double seconds);

/** ami_timing_has() - whether phase @p was marked. */
gboolean ami_timing_has(const AmiTiming *t, AmiPhase p);

/**
 * ami_timing_set_stages() - the guest's stages from a verdict: each first-seen time of
 * @v plus @offset (the scanner's time 0, in seconds since the start).  Replaces any
 * stages set before.
 */
void ami_timing_set_stages(AmiTiming *t, const AmiVerdict *v, double offset);

/**
 * ami_timing_to_json() - AmiRun.Timing: {"Start", "Phases": [{"Name", "Seconds"}…] in
 * phase order, only those marked, none before the one before it, "Stages": [{"Name", "Seconds"}…] in console order}.
 * Seconds are rounded to the millisecond.  New reference.
 */
json_t *ami_timing_to_json(const AmiTiming *t);

/**
 * ami_timing_format() - the text `run --timing` prints: a header, then one line per
 * phase and per stage, by time, "  phase  NAME  SECONDS s  +DELTA s" aligned, the delta
 * being the time since the line before of the same kind.  Every line ends in a newline.
 * New string.
 */
char *ami_timing_format(const json_t *timing);

/*
 * The clock, read on the host side (src/host/clock.c), never in the pure functions above.
 */

/**
 * ami_clock_timing_new() - a timeline whose start is this process's start (to the clock
 * tick): wall clock with milliseconds, the monotonic clock as its origin; command-start
 * is marked at 0.
 */
AmiTiming *ami_clock_timing_new(void);

/**
 * ami_clock_timing_resume() - ami_timing_from_json() with the origin placed where its
 * Start was, on this process's monotonic clock (through the wall clock, so across
 * processes).  NULL as ami_timing_from_json().
 */
AmiTiming *ami_clock_timing_resume(const json_t *timing);

/** ami_clock_since() - seconds from @t's origin to now. */
double ami_clock_since(const AmiTiming *t);

/** ami_clock_mark() - ami_timing_mark() of phase @p now; @t may be NULL (nothing). */
void ami_clock_mark(AmiTiming *t, AmiPhase p);

/**
 * ami_clock_process_started() - seconds from @t's origin to when process @pid started
 * (/proc/PID/stat's start time, to the clock tick), or a negative number when unknown.
 */
double ami_clock_process_started(const AmiTiming *t, int pid);

G_END_DECLS
