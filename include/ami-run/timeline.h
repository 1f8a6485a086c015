/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_timeline_svg() - the boot timeline of one run as SVG (contract C2): @timing is the
 * instance record's AmiRun.Timing ({Start, Phases: [{Name, Seconds}], Stages: [{Name,
 * Seconds}]}, members may be missing; NULL draws an empty axis).  One `<g class="phase"
 * data-name="…">` per host phase and one `<g class="stage" data-name="…">` per guest stage
 * on one time axis; no script, no external reference.  Returns a new string, or NULL with
 * AMI_ERROR_INVALID when @timing is not an object or a Seconds is not a number ≥ 0.
 */
char *ami_timeline_svg(const json_t *timing, GError **error);

G_END_DECLS
