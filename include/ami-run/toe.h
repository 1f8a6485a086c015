/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * EC2 Image Builder component documents (AWSTOE, docs/components.md): parse and validate
 * a document against the schema (errors "FILE:LINE:COL: message"), resolve parameters and
 * constants, and compile the selected phases into a step program that the guest-side
 * runner (src/core/toe-runner.sh) executes; then read the runner's frames back from the
 * console into AmiRun.Components.  Pure: no files, no clock.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* The console frame prefix the runner writes: "AMI-RUN-TOE {json}". */
#define AMI_TOE_FRAME_PREFIX "AMI-RUN-TOE "
/* A regex (the verdict's success marker) for the runner's final frame. */
#define AMI_TOE_END_RE "AMI-RUN-TOE \\{\"t\":\"end\""

typedef struct AmiToeRun AmiToeRun;

/** ami_toe_run_new() - an empty run; @phases (NULL: validate,test) selects the phases. */
AmiToeRun *ami_toe_run_new(const char *const *phases);
void ami_toe_run_free(AmiToeRun *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiToeRun, ami_toe_run_free)

/**
 * ami_toe_run_add_document() - parse, validate and compile one document (@text of @len
 * bytes, named @file in errors) and append its selected phases.  AMI_ERROR_INVALID with
 * "FILE:LINE:COL: message" on a schema error, or "FILE: …" when the phases select nothing.
 */
gboolean ami_toe_run_add_document(AmiToeRun *r, const char *file, const char *text, gsize len,
                                  GError **error);

/** ami_toe_run_step_count() - how many steps the selected phases hold. */
guint ami_toe_run_step_count(const AmiToeRun *r);

/**
 * ami_toe_run_program() - the step program for @execution_id (text, one record a line,
 * free-form values base64).  Caller owns.
 */
char *ami_toe_run_program(const AmiToeRun *r, const char *execution_id);

/**
 * ami_toe_user_data() - the user data that runs the documents: a POSIX sh stub with the
 * runner and the program, both gzip'd and base64-encoded.  New reference, or NULL with
 * AMI_ERROR_INVALID when it exceeds EC2's 16 KB.
 */
GBytes *ami_toe_user_data(const AmiToeRun *r, const char *execution_id, GError **error);

/** ami_toe_runner_script() - the runner's source (static). */
const char *ami_toe_runner_script(void);

/**
 * ami_toe_results() - AmiRun.Components from the console text @console (@len bytes): the
 * runner's frames for @execution_id, by AWSTOE's rules.  *ret_failure (may be NULL) gets
 * "document 'D' phase 'P' step 'S': message" for the first failed step of a Failed
 * document, or NULL.  *ret_finished says the final frame was seen.  New reference.
 */
json_t *ami_toe_results(const AmiToeRun *r, const char *execution_id, const char *console,
                        gsize len, gboolean *ret_finished, char **ret_failure);

G_END_DECLS
