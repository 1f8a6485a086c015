/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The AWS CLI's output formats as pure functions of a JSON value (src/core/format.c).
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_format_text() - @value as `--output text` prints it, byte for byte the AWS CLI's
 * awscli/text.py: a scalar alone on its line; a list of scalars tab-separated on one
 * line (one `IDENTIFIER<TAB>value` line each inside a named member); a list of lists a
 * line per inner list; an object's scalar members tab-separated in key order, after the
 * upper-cased name of the member that holds it, then its non-scalar members in key
 * order; for a list of objects the columns are the union of their scalar keys.  null,
 * true and false print as Python does: None, True, False.  Returns a new string, empty
 * for an empty list or object.
 */
char *ami_format_text(const json_t *value);

/**
 * ami_format_python_str() - @value as Python's str() prints the value botocore parsed:
 * strings bare, None/True/False, integers in decimal, floats as repr() (shortest
 * round trip; ".0" for integral values; exponent form below 1e-4 and from 1e16).
 * Objects and arrays, which text.py never prints this way but for a member that is
 * scalar in one object of a list and not in another, print as compact JSON.  Returns a
 * new string.
 */
char *ami_format_python_str(const json_t *value);

G_END_DECLS
