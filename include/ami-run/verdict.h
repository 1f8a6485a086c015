/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The console verdict: an incremental scanner over the serial console stream.  Markers
 * may be split across reads; CR and ANSI escapes are stripped before matching.  Classes
 * and patterns: ../shared/docs/console-markers.md.  Pure (time is an input).
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
    AMI_OUTCOME_RUNNING,
    AMI_OUTCOME_SUCCESS,
    AMI_OUTCOME_FAILURE,
    AMI_OUTCOME_TIMEOUT,
    AMI_OUTCOME_LAST
} AmiOutcome;

typedef enum {
    AMI_UNTIL_DEFAULT,    /* login prompt, or cloud-init's final stage when user data was given */
    AMI_UNTIL_LOGIN,
    AMI_UNTIL_CLOUD_INIT,
    AMI_UNTIL_SHUTDOWN,   /* success is the guest powering itself off */
    AMI_UNTIL_LAST
} AmiUntil;

gboolean ami_until_from_string(const char *s, AmiUntil *ret);
const char *ami_outcome_to_string(AmiOutcome v);

typedef struct {
    AmiUntil until;
    gboolean user_data;         /* user data was given: wait for cloud-init's final stage */
    const char *const *success; /* regexes that replace the default success markers */
    const char *const *failure; /* regexes added to the failure markers */
    gboolean strict;            /* recorded (recoverable) errors fail the run at success */
    gboolean user_data_script;  /* the user data runs through scripts-user (#!, runcmd), so
                                 * its finishing without a failure line means exit 0 */
    const char *root_device_hint; /* the detail of root-device-not-found (NVMe), or NULL */
} AmiVerdictOptions;

/* One failure marker seen on the console.  A recorded one (a class cloud-init or systemd
 * recovers from: cloud-init-failed, mount-failure) did not end the boot. */
typedef struct {
    const char *class_id; /* static */
    char *line;           /* the cleaned console line */
    char *detail;         /* "module locale" for cloud-init-failed, or NULL */
    guint64 offset;       /* console byte offset of the line's start */
    double seconds;       /* since the start */
    gboolean recorded;
} AmiVerdictMatch;

/* The first time the console showed one boot stage. */
typedef struct {
    const char *name; /* static: firmware, bootloader, kernel, initramfs, userspace, cloud-init… */
    double seconds;   /* since the start, as fed */
} AmiVerdictStage;

/* More than the scanner's stage table holds (verdict.c checks it at compile time). */
#define AMI_VERDICT_MAX_STAGES 16

typedef struct {
    AmiOutcome outcome;
    const char *class_id; /* "success", "kernel-panic", "timeout-stalled"… (static) */
    char *line;           /* the console line that decided it, or NULL */
    const char *detail;   /* the deciding match's detail ("module locale"), or NULL */
    double seconds;       /* since the start */
    const char *stage;    /* last boot stage seen (static): firmware, bootloader, kernel… */
    const char *user_data; /* with user data (static): "ran", "failed", "ignored" (cloud-init
                            * did not handle it), "unfinished", "not reached", "not seen";
                            * NULL without, or without any cloud-init line */
    int user_data_exit;   /* 0 when the console shows the user data's scripts exited 0
                           * ("ran" and AmiVerdictOptions.user_data_script), else -1 */
    guint64 decided_offset; /* console bytes read when the verdict was decided */
    GPtrArray *matches;   /* AmiVerdictMatch*: every failure marker seen, most severe first
                           * (decisive ones, then by class order, then by offset) */
    guint unlisted;       /* matches beyond AMI_VERDICT_MAX_MATCHES, the least severe */
    AmiVerdictStage stages[AMI_VERDICT_MAX_STAGES]; /* each stage the first time it was seen,
                                                     * in console order (the boot timeline) */
    guint n_stages;
} AmiVerdict;

/* A guest repeating a failure line must not grow the list without bound. */
#define AMI_VERDICT_MAX_MATCHES 64

/** ami_verdict_recorded_count() - how many recorded (recoverable) errors @v lists. */
guint ami_verdict_recorded_count(const AmiVerdict *v);

typedef struct AmiVerdictScanner AmiVerdictScanner;

/** ami_verdict_scanner_new() - bad --success/--failure regexes are AMI_ERROR_INVALID. */
AmiVerdictScanner *ami_verdict_scanner_new(const AmiVerdictOptions *opts, GError **error);
void ami_verdict_scanner_free(AmiVerdictScanner *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiVerdictScanner, ami_verdict_scanner_free)

/**
 * ami_verdict_feed() - scan @len more console bytes seen at @seconds.  Returns the outcome.
 * Only complete lines decide here, so the outcome does not depend on how the console
 * was chunked; a prompt (a line without its newline) is judged by ami_verdict_quiet().
 */
AmiOutcome ami_verdict_feed(AmiVerdictScanner *s, const char *data, size_t len, double seconds);

/**
 * ami_verdict_quiet() - the console has paused at @seconds: the unfinished line it stopped
 * at is a prompt (login:, grub rescue>, a --success/--failure marker without a newline).
 */
AmiOutcome ami_verdict_quiet(AmiVerdictScanner *s, double seconds);

/** ami_verdict_guest_stopped() - the guest powered off (or QEMU exited) at @seconds. */
AmiOutcome ami_verdict_guest_stopped(AmiVerdictScanner *s, double seconds);

/** ami_verdict_deadline() - the timeout passed at @seconds without a verdict. */
AmiOutcome ami_verdict_deadline(AmiVerdictScanner *s, double seconds);

/** ami_verdict_get() - the verdict so far (borrowed). */
const AmiVerdict *ami_verdict_get(const AmiVerdictScanner *s);

/**
 * ami_verdict_to_json() - the instance record's AmiRun.Verdict (docs/run.md): Outcome,
 * Class, Detail, Line, Seconds, Stage, UserData, Strict, Matches, Unlisted.  New reference.
 */
json_t *ami_verdict_to_json(const AmiVerdict *v, gboolean strict);

/**
 * ami_verdict_summary() - the verdict in one line, as `run` prints it (docs/run.md "What is
 * printed"): "failure (cloud-init-failed: module locale; user data ran, exit 0) after
 * 48.0 s, stage cloud-init-finished: '…'" or "success with 1 warning (cloud-init-failed:
 * module locale) after 48.0 s, stage cloud-init-finished, user data ran, exit 0: '…'".
 * Returns a new string.
 */
char *ami_verdict_summary(const AmiVerdict *v);

/**
 * ami_verdict_user_data_is_script() - whether cloud-init runs @data (@len bytes) through
 * scripts-user: a `#!` script, or `#cloud-config` with a top-level `runcmd:`.  Other
 * formats (MIME multipart, gzip, #include, boothooks) are not looked into: FALSE.
 */
gboolean ami_verdict_user_data_is_script(const char *data, size_t len);

/** ami_verdict_tail() - the last @n console lines, cleaned (new NULL-terminated array). */
char **ami_verdict_tail(const AmiVerdictScanner *s, guint n);

G_END_DECLS
