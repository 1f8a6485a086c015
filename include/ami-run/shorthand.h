/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The AWS CLI's shorthand syntax (`Key=k,Values=a,b`, `[a,b]`, `{A=1}`, quoted values),
 * parsed as awscli/shorthand.py's ShorthandParser does, without the service model:
 * every scalar is a string, as the AWS CLI's own parser returns it.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_shorthand_parse() - parse @text (UTF-8) into a JSON object: `a=b` -> {"a":"b"},
 * `a=b,c` -> {"a":["b","c"]}, `a=[b],c={d=e}` -> {"a":["b"],"c":{"d":"e"}}.  A repeated
 * top-level key, a syntax error and `@=` (file values, not supported) are
 * AMI_ERROR_INVALID with one line naming the 1-based character column.  Returns a new
 * reference.
 */
json_t *ami_shorthand_parse(const char *text, GError **error);

G_END_DECLS
