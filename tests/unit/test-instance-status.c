/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * core/instance-status.c: EC2's status checks from an instance record's boot verdict:
 * initializing until a verdict, ok on success, impaired (ImpairedSince, the class under
 * Details[].AmiRun) on failure or timeout; not-applicable when not running.
 */
#include "ami-run/cleanup.h"
#include "ami-run/instance-status.h"
#include "test-util.h"

#define RECORD(state, verdict)                                                                \
    "{\"InstanceId\":\"i-0123456789abcdef0\",\"LaunchTime\":\"2026-01-01T00:00:00.000Z\","  \
    "\"Placement\":{\"AvailabilityZone\":\"us-east-1a\"},\"State\":{\"Code\":16,\"Name\":\"" \
    state "\"},\"AmiRun\":{" verdict "}}"

static const char *
status_of(json_t *st, const char *check)
{
    return json_string_value(json_object_get(json_object_get(st, check), "Status"));
}

static const char *
detail_of(json_t *st, const char *check, const char *member)
{
    json_t *d = json_array_get(json_object_get(json_object_get(st, check), "Details"), 0);

    return json_string_value(json_object_get(d, member));
}

static void
test_status_initializing_until_verdict(void **state)
{
    g_autoptr(json_t) r = parse_json(RECORD("running", ""));
    g_autoptr(json_t) st = ami_instance_status(r);

    (void)state;
    assert_string_equal(status_of(st, "InstanceStatus"), "initializing");
    assert_string_equal(status_of(st, "SystemStatus"), "initializing");
    assert_string_equal(detail_of(st, "InstanceStatus", "Name"), "reachability");
    assert_string_equal(detail_of(st, "InstanceStatus", "Status"), "initializing");
    assert_string_equal(json_string_value(json_object_get(st, "AvailabilityZone")), "us-east-1a");
    assert_string_equal(json_string_value(json_object_get(st, "InstanceId")), "i-0123456789abcdef0");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "InstanceState"), "Code")), 16);
}

static void
test_status_ok_on_success(void **state)
{
    g_autoptr(json_t) r = parse_json(RECORD("running", "\"Verdict\":{\"Outcome\":\"success\",\"Class\":\"success\"}"));
    g_autoptr(json_t) st = ami_instance_status(r);

    (void)state;
    assert_string_equal(status_of(st, "InstanceStatus"), "ok");
    assert_string_equal(status_of(st, "SystemStatus"), "ok");
    assert_string_equal(detail_of(st, "InstanceStatus", "Status"), "passed");
    assert_null(detail_of(st, "InstanceStatus", "ImpairedSince"));
}

static void
test_status_impaired_names_the_class(void **state)
{
    g_autoptr(json_t) r = parse_json(RECORD("running", "\"Verdict\":{\"Outcome\":\"failure\","
                                            "\"Class\":\"kernel-panic\",\"Time\":\"2026-01-01T00:01:00.000Z\"}"));
    g_autoptr(json_t) t = parse_json(RECORD("running", "\"Verdict\":{\"Outcome\":\"timeout\","
                                            "\"Class\":\"timeout-stalled\"}"));
    g_autoptr(json_t) st = ami_instance_status(r);
    g_autoptr(json_t) ts = ami_instance_status(t);
    json_t *d = json_array_get(json_object_get(json_object_get(st, "InstanceStatus"), "Details"), 0);

    (void)state;
    assert_string_equal(status_of(st, "InstanceStatus"), "impaired");
    assert_string_equal(detail_of(st, "InstanceStatus", "Status"), "failed");
    assert_string_equal(detail_of(st, "InstanceStatus", "ImpairedSince"), "2026-01-01T00:01:00.000Z");
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "AmiRun"), "Class")),
                        "kernel-panic");
    assert_string_equal(status_of(st, "SystemStatus"), "ok"); /* the host ran it to a verdict */
    assert_string_equal(status_of(ts, "InstanceStatus"), "impaired");
    /* no decision time recorded: the launch time, as EC2 for an instance impaired from launch */
    assert_string_equal(detail_of(ts, "InstanceStatus", "ImpairedSince"), "2026-01-01T00:00:00.000Z");
}

static void
test_status_not_applicable_when_not_running(void **state)
{
    g_autoptr(json_t) r = parse_json(RECORD("stopped", "\"Verdict\":{\"Outcome\":\"success\"}"));
    g_autoptr(json_t) st = ami_instance_status(r);

    (void)state;
    assert_string_equal(status_of(st, "InstanceStatus"), "not-applicable");
    assert_string_equal(status_of(st, "SystemStatus"), "not-applicable");
    assert_null(json_object_get(json_object_get(st, "InstanceStatus"), "Details"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_initializing_until_verdict),
        cmocka_unit_test(test_status_ok_on_success),
        cmocka_unit_test(test_status_impaired_names_the_class),
        cmocka_unit_test(test_status_not_applicable_when_not_running),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
