/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/waiter.c: the table is botocore's (every waiter's name, operation, delay,
 * maxAttempts and acceptors, in order, against Debian's awscli copy of
 * waiters-2.json), and the matchers behave as botocore waiter.py's, evaluated by jp.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/query.h"
#include "ami-run/waiter.h"
#include "test-util.h"

#define MODEL "/usr/lib/python3/dist-packages/awscli/botocore/data/ec2/2016-11-15/waiters-2.json"

static const char *const states[] = {"retry", "success", "failure"};
static const char *const matchers[] = {"path", "pathAll", "pathAny", "status", "error"};

/* "DescribeInstances" for "describe-instances". */
static char *
operation_name(const char *verb)
{
    g_auto(GStrv) words = g_strsplit(verb, "-", -1);
    GString *s = g_string_new(NULL);

    for (char **w = words; *w; w++) {
        g_string_append_c(s, g_ascii_toupper((*w)[0]));
        g_string_append(s, *w + 1);
    }
    return g_string_free(s, FALSE);
}

static void
test_waiter_table_is_botocores(void **state)
{
    g_autoptr(json_t) model = NULL;
    json_t *all;
    guint n = 0;

    (void)state;
    if (!g_file_test(MODEL, G_FILE_TEST_EXISTS)) {
        test_skip_part("test-waiter", "awscli (botocore's waiters-2.json) is not installed");
        return;
    }
    model = json_load_file(MODEL, 0, NULL);
    all = json_object_get(model, "waiters");
    assert_non_null(all);
    for (const AmiWaiter *w = ami_waiter_all(); w->cli_name; w++, n++) {
        json_t *b = json_object_get(all, w->name);
        json_t *acceptors = json_object_get(b, "acceptors");
        g_autofree char *op = operation_name(w->verb);
        guint i = 0;

        if (!b)
            fail_msg("%s: no such waiter in botocore", w->name);
        assert_string_equal(json_string_value(json_object_get(b, "operation")), op);
        assert_int_equal(json_integer_value(json_object_get(b, "delay")), w->delay);
        assert_int_equal(json_integer_value(json_object_get(b, "maxAttempts")), w->max_attempts);
        for (; i < AMI_WAITER_MAX_ACCEPTORS && w->acceptors[i].expected; i++) {
            const AmiWaiterAcceptor *a = &w->acceptors[i];
            json_t *ba = json_array_get(acceptors, i);
            json_t *expected = json_object_get(ba, "expected");

            if (!ba)
                fail_msg("%s: acceptor %u is not botocore's", w->name, i);
            assert_string_equal(json_string_value(json_object_get(ba, "state")), states[a->state]);
            assert_string_equal(json_string_value(json_object_get(ba, "matcher")), matchers[a->matcher]);
            if (a->argument)
                assert_string_equal(json_string_value(json_object_get(ba, "argument")), a->argument);
            else
                assert_null(json_object_get(ba, "argument"));
            if (a->matcher == AMI_MATCH_ERROR) {
                assert_string_equal(json_string_value(expected), a->expected);
            } else {
                g_autoptr(json_t) mine = json_loads(a->expected, JSON_DECODE_ANY, NULL);

                assert_non_null(mine);
                assert_true(json_equal(mine, expected));
                assert_int_equal(json_is_boolean(mine), json_is_boolean(expected));
            }
        }
        assert_int_equal(i, json_array_size(acceptors));
        assert_ptr_equal(ami_waiter_lookup(w->cli_name), w);
    }
    assert_true(n >= 10);
    assert_null(ami_waiter_lookup("instance-runnin"));
    assert_null(ami_waiter_lookup(NULL));
}

static json_t *
eval(const json_t *doc, const char *expr, gpointer data, GError **error)
{
    (void)data;
    return ami_query_apply(doc, expr, error);
}

static AmiWaiterState
step(const char *waiter, const char *response, const char *code, const AmiWaiterAcceptor **ret)
{
    g_autoptr(json_t) r = response ? parse_json(response) : NULL;
    g_autoptr(GError) error = NULL;
    AmiWaiterState s = AMI_WAITER_STATE_LAST;

    if (!ami_waiter_step(ami_waiter_lookup(waiter), r, code, eval, NULL, &s, ret, &error))
        fail_msg("%s: %s", waiter, error->message);
    return s;
}

#define INSTANCES(...) "{\"Reservations\":[{\"Instances\":[" __VA_ARGS__ "]}]}"
#define STATE(s) "{\"State\":{\"Name\":\"" s "\"}}"

static void
test_waiter_matchers_as_botocore(void **state)
{
    const AmiWaiterAcceptor *a = NULL;
    g_autofree char *why = NULL;

    (void)state;
    /* pathAll: every member, and at least one. */
    assert_int_equal(step("instance-running", INSTANCES(STATE("running") "," STATE("running")), NULL, &a),
                     AMI_WAITER_SUCCESS);
    assert_int_equal(step("instance-running", INSTANCES(STATE("running") "," STATE("pending")), NULL, &a),
                     AMI_WAITER_RETRY);
    assert_null(a);
    assert_int_equal(step("instance-running", "{\"Reservations\":[]}", NULL, &a), AMI_WAITER_RETRY);
    /* pathAny: one member is enough; the first acceptor that matches wins. */
    assert_int_equal(step("instance-running", INSTANCES(STATE("pending") "," STATE("terminated")), NULL, &a),
                     AMI_WAITER_FAILURE);
    why = ami_waiter_explanation(a);
    assert_string_equal(why, "For expression \"Reservations[].Instances[].State.Name\" we matched "
                             "expected path: \"terminated\" at least once");
    /* path with a boolean: true, as Python's True == 1 would not be here (JSON). */
    assert_int_equal(step("instance-exists", INSTANCES(STATE("pending")), NULL, &a), AMI_WAITER_SUCCESS);
    g_free(why);
    why = ami_waiter_explanation(a);
    assert_string_equal(why, "For expression \"length(Reservations[]) > `0`\" we matched expected path: \"True\"");
    assert_int_equal(step("instance-exists", "{\"Reservations\":[]}", NULL, &a), AMI_WAITER_RETRY);
    /* error: a retry acceptor, a success acceptor, and no acceptor (failure at once). */
    assert_int_equal(step("instance-exists", NULL, "InvalidInstanceID.NotFound", &a), AMI_WAITER_RETRY);
    g_free(why);
    why = ami_waiter_explanation(a);
    assert_string_equal(why, "Matched expected service error code: InvalidInstanceID.NotFound");
    assert_int_equal(step("volume-deleted", NULL, "InvalidVolume.NotFound", &a), AMI_WAITER_SUCCESS);
    assert_int_equal(step("instance-stopped", NULL, "InvalidInstanceID.NotFound", &a), AMI_WAITER_FAILURE);
    assert_null(a);
    /* path matchers never match an error response. */
    assert_int_equal(step("image-available", NULL, "Other", &a), AMI_WAITER_FAILURE);
    assert_null(a);
    g_free(why);
    why = ami_waiter_explanation(&ami_waiter_lookup("image-available")->acceptors[0]);
    assert_string_equal(why, "For expression \"Images[].State\" all members matched excepted path: \"available\"");
}

#define STATUSES(...) "{\"InstanceStatuses\":[" __VA_ARGS__ "]}"
#define CHECKS(i, s) "{\"InstanceStatus\":{\"Status\":\"" i "\"},\"SystemStatus\":{\"Status\":\"" s "\"}}"

static void
test_waiter_status_ok_needs_every_check(void **state)
{
    const AmiWaiterAcceptor *a = NULL;

    (void)state;
    assert_int_equal(step("instance-status-ok", STATUSES(CHECKS("ok", "ok") "," CHECKS("initializing", "ok")),
                          NULL, &a), AMI_WAITER_RETRY);
    assert_int_equal(step("instance-status-ok", STATUSES(CHECKS("ok", "ok") "," CHECKS("ok", "initializing")),
                          NULL, &a), AMI_WAITER_SUCCESS);
    /* impaired is no failure state in botocore's model: the waiter runs to its limit */
    assert_int_equal(step("instance-status-ok", STATUSES(CHECKS("impaired", "ok")), NULL, &a),
                     AMI_WAITER_RETRY);
    assert_int_equal(step("instance-status-ok", STATUSES(), NULL, &a), AMI_WAITER_RETRY);
    assert_int_equal(step("instance-status-ok", NULL, "InvalidInstanceID.NotFound", &a), AMI_WAITER_RETRY);
    assert_int_equal(step("system-status-ok", STATUSES(CHECKS("initializing", "ok")), NULL, &a),
                     AMI_WAITER_SUCCESS);
    assert_int_equal(step("system-status-ok", NULL, "InvalidInstanceID.NotFound", &a), AMI_WAITER_FAILURE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waiter_table_is_botocores),
        cmocka_unit_test(test_waiter_matchers_as_botocore),
        cmocka_unit_test(test_waiter_status_ok_needs_every_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
