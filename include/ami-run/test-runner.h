/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The runner of `ami-run test` (docs/test.md, contract C4): each cell a child
 * `ami-run run` (argv, never a shell) in its own process group, at most @jobs at once;
 * its result read from the instance record the child made.
 */

#include <glib.h>
#include <jansson.h>

#include "ami-run/store.h"

G_BEGIN_DECLS

typedef struct {
    const char *id, *name;
    const char *state;       /* queued, running, retrying, passed, flaky, failed, cancelled */
    guint attempt;           /* 1-based; 0 while queued */
    double seconds;          /* of the current (or last) attempt */
    const char *instance_id; /* of the current attempt, once known */
} AmiTestCellState;

/* Called after every change and about four times a second while cells run. */
typedef void (*AmiTestProgressFunc)(const AmiTestCellState *cells, guint n, gboolean changed,
                                    void *data);

typedef struct {
    const char *self;          /* this binary */
    const char *const *global; /* global options each child gets (--store DIR, --region R) */
    const char *const *extra;  /* run options each child gets (--accel tcg) */
    guint jobs;
    AmiTestProgressFunc progress;
    void *progress_data;
} AmiTestRunOptions;

/**
 * ami_test_run() - run every cell of @cells (from ami_spec_expand(); each gets Argv,
 * Status and Attempts, see include/ami-run/report.h) with @spec's retries, reading the
 * records from @store.  A signal stops all children (SIGTERM, they tear their instances
 * down), waits for them and returns AMI_ERROR_CANCELLED.  Returns TRUE when every cell
 * ran (passed or not).
 */
gboolean ami_test_run(AmiStore *store, const json_t *spec, json_t *cells,
                      const AmiTestRunOptions *opts, GError **error);

G_END_DECLS
