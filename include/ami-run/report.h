/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The reports of `ami-run test` (docs/test.md): pure functions of the run's report JSON
 * ({Name, Spec, Started, Seconds, Summary, Cells: [cell + {Status, Argv, Attempts: [{Attempt,
 * ExitCode, InstanceId, Seconds, Console, ConsoleText?, Verdict?, Timing?, Components?,
 * Checks, Error?}]}]}; the last attempt is the one that counts).
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_report_junit() - JUnit XML as GitLab, Jenkins and GitHub reporters read it: one
 * testsuite per cell, one testcase per check (classname = the cell's name), the failure
 * type the failure class, earlier failed attempts of a flaky cell as Surefire's
 * flakyFailure, the console in the boot testcase's system-out.  Returns a new string.
 */
char *ami_report_junit(const json_t *report);

/**
 * ami_report_html() - a self-contained HTML page (no script, no external reference): the
 * matrix, each cell's verdict and checks, every console match linked to its console line
 * (ids "CELL-lLINE"), the boot timeline SVG.  Returns a new string.
 */
char *ami_report_html(const json_t *report);

/**
 * ami_report_escape() - append @s (@len bytes, -1: NUL-terminated) to @out as XML/HTML
 * text: markup characters escaped, invalid UTF-8 replaced by U+FFFD and characters XML 1.0
 * does not allow (C0 controls but tab and LF) by their control pictures (U+2400…); CR is
 * dropped (serial consoles end lines with CR LF).
 */
void ami_report_escape(GString *out, const char *s, gssize len);

G_END_DECLS
