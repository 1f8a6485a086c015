/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run wait WAITER [OPTIONS]: `aws ec2 wait`.  The options are the operation's
 * (`wait instance-running --instance-ids i-…` runs describe-instances with them).  The
 * acceptors are botocore's (core/waiter.c); the overall limit is AWS's delay ×
 * maxAttempts, but the operation runs every POLL_MS, in this process (it is local).
 * Silent on success; exit 255 with "Waiter … failed: …" as the AWS CLI.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/query.h"
#include "ami-run/waiter.h"
#include "cli.h"

#define POLL_MS 500

/* The waiter's operation, from the verb table (cli.h). */
static CliVerbFunc
verb_func(const char *verb)
{
#define VERB_ENTRY(name, fn, help) {name, cmd_##fn},
    static const struct {
        const char *name;
        CliVerbFunc func;
    } verbs[] = {CLI_VERBS(VERB_ENTRY){NULL, NULL}};
#undef VERB_ENTRY

    for (guint i = 0; verbs[i].name; i++) {
        if (strcmp(verbs[i].name, verb) == 0)
            return verbs[i].func;
    }
    return NULL;
}

static json_t *
eval_jp(const json_t *doc, const char *expr, gpointer data, GError **error)
{
    (void)data;
    return ami_query_apply(doc, expr, error);
}

static void
usage(void)
{
    printf("Usage: ami-run wait WAITER [OPTIONS OF ITS OPERATION]\n\n"
           "Wait until a resource reaches a state, as 'aws ec2 wait': silent on success, exit 255\n"
           "with \"Waiter NAME failed: REASON\" otherwise.\n\nWaiters:\n");
    for (const AmiWaiter *w = ami_waiter_all(); w->cli_name; w++)
        printf("  %-22s %s, up to %u s\n", w->cli_name, w->verb, w->delay * w->max_attempts);
}

/* AMI_RUN_WAITER_TIMEOUT (seconds) overrides delay × maxAttempts: for tests. */
static gint64
limit_us(const AmiWaiter *w)
{
    const char *env = g_getenv("AMI_RUN_WAITER_TIMEOUT");
    guint64 s = (guint64)w->delay * w->max_attempts;

    if (env && *env)
        s = g_ascii_strtoull(env, NULL, 10);
    return (gint64)s * G_USEC_PER_SEC;
}

/* One call of the operation: its JSON, or its EC2 error code (*ret_code) for "no such id". */
static gboolean
call(const Cli *cli, const AmiWaiter *w, int argc, char **argv, json_t **ret_response,
     GError **ret_not_found, GError **error)
{
    g_autoptr(json_t) response = NULL;
    Cli sub = {.verb = w->verb, .store_path = cli->store_path, .output = CLI_OUTPUT_JSON,
               .capture = &response};
    CliVerbFunc func = verb_func(w->verb);
    g_autoptr(GError) local = NULL;

    g_assert(func); /* every waiter names a verb of the table (test-wait, test-instances run each) */
    if (!func(&sub, argc, argv, &local)) {
        if (!g_error_matches(local, AMI_ERROR, AMI_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        *ret_not_found = g_steal_pointer(&local);
        *ret_response = NULL;
        return TRUE;
    }
    if (!response) { /* --help */
        *ret_response = NULL;
        return TRUE;
    }
    *ret_response = g_steal_pointer(&response);
    return TRUE;
}

static gboolean
waiter_failed(GError **error, const AmiWaiter *w, const char *reason, const char *detail)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_WAITER, "Waiter %s failed: %s%s", w->name, reason,
                detail ? detail : "");
    return FALSE;
}

gboolean
cmd_wait(Cli *cli, int argc, char **argv, GError **error)
{
    const AmiWaiter *w;
    const AmiWaiterAcceptor *last = NULL;
    gint64 deadline;

    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
        if (argc >= 1) {
            usage();
            return TRUE;
        }
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "which waiter? e.g. 'ami-run wait instance-running --instance-ids i-…' "
                    "('ami-run wait --help' lists them)");
        return FALSE;
    }
    if (!(w = ami_waiter_lookup(argv[0]))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "unknown waiter '%.64s' ('ami-run wait --help' lists them)", argv[0]);
        return FALSE;
    }
    deadline = g_get_monotonic_time() + limit_us(w);
    for (;;) {
        g_autoptr(json_t) response = NULL;
        g_autoptr(GError) not_found = NULL;
        const AmiWaiterAcceptor *hit = NULL;
        AmiWaiterState state;

        if (!call(cli, w, argc - 1, argv + 1, &response, &not_found, error))
            return FALSE;
        if (!response && !not_found) /* the operation's --help was printed */
            return TRUE;
        if (!ami_waiter_step(w, response, not_found ? w->not_found : NULL, eval_jp, NULL, &state,
                             &hit, error))
            return FALSE;
        if (hit)
            last = hit;
        if (state == AMI_WAITER_SUCCESS)
            return TRUE;
        if (state == AMI_WAITER_FAILURE && hit) {
            g_autofree char *why = ami_waiter_explanation(hit);

            return waiter_failed(error, w, "Waiter encountered a terminal failure state: ", why);
        }
        if (state == AMI_WAITER_FAILURE) {
            const char *msg = not_found ? not_found->message : "Unknown";
            g_autofree char *code = g_strdup_printf("%s: ", w->not_found);
            g_autofree char *why = NULL;

            if (g_str_has_prefix(msg, code)) /* messages that lead with EC2's code */
                msg += strlen(code);
            why = g_strdup_printf("(%s): %s", w->not_found, msg);

            return waiter_failed(error, w, "An error occurred ", why);
        }
        if (g_get_monotonic_time() >= deadline) {
            /*
             * botocore words it with its loop variable: the acceptor matched this round,
             * else the list's last one, whichever matched before.  Kept as the AWS CLI says it.
             */
            const AmiWaiterAcceptor *named = hit;
            g_autofree char *why = NULL;

            if (!last)
                return waiter_failed(error, w, "Max attempts exceeded", NULL);
            for (const AmiWaiterAcceptor *a = w->acceptors;
                 !hit && a < w->acceptors + AMI_WAITER_MAX_ACCEPTORS && a->expected; a++)
                named = a;
            why = ami_waiter_explanation(named);
            return waiter_failed(error, w, "Max attempts exceeded. Previously accepted state: ", why);
        }
        for (int slept = 0; slept < POLL_MS; slept += 50) {
            if (!ami_signals_check(error))
                return FALSE;
            g_usleep(50 * 1000);
        }
    }
}
