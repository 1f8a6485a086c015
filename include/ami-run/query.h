/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * --query: JMESPath, as the AWS CLI applies it to a response before formatting.  The
 * engine is jp (the JMESPath reference implementation's CLI, Debian package `jp`),
 * spawned with an argv; src/host/query.c is the only place it is run.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_query_check() - parse @expr without evaluating it (`jp --ast`), so that a bad
 * expression is refused before a verb changes anything (the AWS CLI compiles --query
 * before it sends the request).  AMI_ERROR_INVALID carries jp's message on one line
 * with the column it points at; a missing jp is AMI_ERROR_HOST.
 */
gboolean ami_query_check(const char *expr, GError **error);

/**
 * ami_query_apply() - evaluate the JMESPath @expr on @doc.  Returns a new reference to
 * the result, which may be any JSON value (a JSON null for "nothing matched"); NULL
 * with @error set on a bad expression or an evaluation error (AMI_ERROR_INVALID) or
 * when jp is missing or fails (AMI_ERROR_HOST).  jp prints objects with sorted members;
 * an object of the result takes the member order of the first object of @doc with
 * exactly its members, so `Images[0]` keeps the order describe-images prints.
 */
json_t *ami_query_apply(const json_t *doc, const char *expr, GError **error);

G_END_DECLS
