/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `ami-run wait`: EC2's waiters as botocore defines them (data/ec2/2016-11-15/
 * waiters-2.json, awscli 2.9.19 as Debian 12 ships it) and botocore's waiter.py runs
 * them: acceptors tried in order on each response, the first that matches sets the
 * state; an error response no acceptor matched fails at once.  Pure: the JMESPath
 * expressions are evaluated by the caller's @eval (host/query.c, jp).
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
    AMI_WAITER_RETRY,   /* no acceptor matched, or a retry acceptor did */
    AMI_WAITER_SUCCESS,
    AMI_WAITER_FAILURE, /* a failure acceptor matched, or an unmatched error response */
    AMI_WAITER_STATE_LAST
} AmiWaiterState;

typedef enum {
    AMI_MATCH_PATH,
    AMI_MATCH_PATH_ALL,
    AMI_MATCH_PATH_ANY,
    AMI_MATCH_STATUS,
    AMI_MATCH_ERROR,
    AMI_MATCH_LAST
} AmiWaiterMatcher;

typedef struct {
    AmiWaiterState state;
    AmiWaiterMatcher matcher;
    const char *argument; /* JMESPath, path matchers only */
    const char *expected; /* JSON text: "\"running\"", "true", "200"; an error code as is */
} AmiWaiterAcceptor;

#define AMI_WAITER_MAX_ACCEPTORS 6

typedef struct {
    const char *cli_name;  /* instance-running */
    const char *name;      /* InstanceRunning, as botocore and the AWS CLI's messages */
    const char *verb;      /* the ami-run verb of the operation: describe-instances */
    const char *not_found; /* the EC2 error code of the operation's "no such id" */
    guint delay;           /* seconds; delay × max_attempts is the overall limit */
    guint max_attempts;
    AmiWaiterAcceptor acceptors[AMI_WAITER_MAX_ACCEPTORS]; /* ended by a NULL expected */
} AmiWaiter;

/** ami_waiter_lookup() - the waiter named @cli_name (instance-running), or NULL. */
const AmiWaiter *ami_waiter_lookup(const char *cli_name);

/** ami_waiter_all() - every waiter, ended by a zeroed entry. */
const AmiWaiter *ami_waiter_all(void);

/* Evaluates a JMESPath expression: a new reference, or NULL with @error set. */
typedef json_t *(*AmiWaiterEval)(const json_t *doc, const char *expr, gpointer data, GError **error);

/**
 * ami_waiter_step() - the state after one response: @response (the operation's JSON)
 * or, for a failed operation, @error_code (EC2's code, e.g. InvalidInstanceID.NotFound)
 * with @response NULL.  *ret_acceptor: the acceptor that matched, or NULL.  FALSE with
 * @error only when @eval fails.
 */
gboolean ami_waiter_step(const AmiWaiter *w, const json_t *response, const char *error_code,
                         AmiWaiterEval eval, gpointer data, AmiWaiterState *ret_state,
                         const AmiWaiterAcceptor **ret_acceptor, GError **error);

/**
 * ami_waiter_explanation() - botocore's AcceptorConfig.explanation for @a, word for word
 * (its "excepted" typo included; expected values as Python prints them: True, 200).
 */
char *ami_waiter_explanation(const AmiWaiterAcceptor *a);

G_END_DECLS
