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

/**
 * ami_format_table() - @value as `--output table` draws it, byte for byte the AWS CLI's
 * TableFormatter and MultiTable (awscli/formatter.py, awscli/table.py) without colour:
 * boxes titled @title (the operation name, e.g. DescribeImages; NULL: no outer title)
 * and then each nested member's name; an object's scalar members as one row under their sorted names, a
 * list of objects as a grid, lists of scalars a row per element.  A table wider than
 * @terminal_width turns its one-row sections into name/value rows, as the AWS CLI does
 * (it uses 80 when stdout is no terminal).  Where the AWS CLI fails (rows of unequal
 * length) the row is padded or cut.  Returns a new string, empty for null, false, 0,
 * "", [] and {} (what Python takes for false).
 */
char *ami_format_table(const char *title, const json_t *value, int terminal_width);

/** ami_format_operation_name() - "describe-images" -> "DescribeImages"; new string. */
char *ami_format_operation_name(const char *verb);

G_END_DECLS
