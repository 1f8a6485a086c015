/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EC2's waiters (include/ami-run/waiter.h).  The table is botocore's waiters-2.json
 * (ec2 2016-11-15, awscli 2.9.19 in Debian 12) for the operations ami-run has, the
 * acceptors in their order; the matching is botocore waiter.py's.
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/waiter.h"

#define S AMI_WAITER_SUCCESS
#define F AMI_WAITER_FAILURE
#define R AMI_WAITER_RETRY
#define INSTANCE_STATE "Reservations[].Instances[].State.Name"

static const AmiWaiter waiters[] = {
    {"instance-exists", "InstanceExists", "describe-instances", "InvalidInstanceID.NotFound", 5, 40,
     {{S, AMI_MATCH_PATH, "length(Reservations[]) > `0`", "true"},
      {R, AMI_MATCH_ERROR, NULL, "InvalidInstanceID.NotFound"}}},
    {"instance-running", "InstanceRunning", "describe-instances", "InvalidInstanceID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, INSTANCE_STATE, "\"running\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"shutting-down\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"terminated\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"stopping\""},
      {R, AMI_MATCH_ERROR, NULL, "InvalidInstanceID.NotFound"}}},
    {"instance-stopped", "InstanceStopped", "describe-instances", "InvalidInstanceID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, INSTANCE_STATE, "\"stopped\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"pending\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"terminated\""}}},
    {"instance-terminated", "InstanceTerminated", "describe-instances", "InvalidInstanceID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, INSTANCE_STATE, "\"terminated\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"pending\""},
      {F, AMI_MATCH_PATH_ANY, INSTANCE_STATE, "\"stopping\""}}},
    {"instance-status-ok", "InstanceStatusOk", "describe-instance-status", "InvalidInstanceID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "InstanceStatuses[].InstanceStatus.Status", "\"ok\""},
      {R, AMI_MATCH_ERROR, NULL, "InvalidInstanceID.NotFound"}}},
    {"system-status-ok", "SystemStatusOk", "describe-instance-status", "InvalidInstanceID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "InstanceStatuses[].SystemStatus.Status", "\"ok\""}}},
    {"image-exists", "ImageExists", "describe-images", "InvalidAMIID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH, "length(Images[]) > `0`", "true"},
      {R, AMI_MATCH_ERROR, NULL, "InvalidAMIID.NotFound"}}},
    {"image-available", "ImageAvailable", "describe-images", "InvalidAMIID.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "Images[].State", "\"available\""},
      {F, AMI_MATCH_PATH_ANY, "Images[].State", "\"failed\""}}},
    {"snapshot-completed", "SnapshotCompleted", "describe-snapshots", "InvalidSnapshot.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "Snapshots[].State", "\"completed\""},
      {F, AMI_MATCH_PATH_ANY, "Snapshots[].State", "\"error\""}}},
    {"volume-available", "VolumeAvailable", "describe-volumes", "InvalidVolume.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "Volumes[].State", "\"available\""},
      {F, AMI_MATCH_PATH_ANY, "Volumes[].State", "\"deleted\""}}},
    {"volume-deleted", "VolumeDeleted", "describe-volumes", "InvalidVolume.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "Volumes[].State", "\"deleted\""},
      {S, AMI_MATCH_ERROR, NULL, "InvalidVolume.NotFound"}}},
    {"volume-in-use", "VolumeInUse", "describe-volumes", "InvalidVolume.NotFound", 15, 40,
     {{S, AMI_MATCH_PATH_ALL, "Volumes[].State", "\"in-use\""},
      {F, AMI_MATCH_PATH_ANY, "Volumes[].State", "\"deleted\""}}},
    {"key-pair-exists", "KeyPairExists", "describe-key-pairs", "InvalidKeyPair.NotFound", 5, 6,
     {{S, AMI_MATCH_PATH, "length(KeyPairs[].KeyName) > `0`", "true"},
      {R, AMI_MATCH_ERROR, NULL, "InvalidKeyPair.NotFound"}}},
    {NULL, NULL, NULL, NULL, 0, 0, {{0}}},
};

const AmiWaiter *
ami_waiter_all(void)
{
    return waiters;
}

const AmiWaiter *
ami_waiter_lookup(const char *cli_name)
{
    for (const AmiWaiter *w = waiters; cli_name && w->cli_name; w++) {
        if (strcmp(w->cli_name, cli_name) == 0)
            return w;
    }
    return NULL;
}

/* botocore compares with Python's ==: JSON equality, where true is not 1. */
static gboolean
equals_expected(const json_t *value, const char *expected)
{
    g_autoptr(json_t) e = json_loads(expected, JSON_DECODE_ANY, NULL);

    if (!e || !value)
        return FALSE;
    if (json_is_boolean(e) != json_is_boolean(value))
        return FALSE;
    return json_equal(value, e);
}

static gboolean
matches(const AmiWaiterAcceptor *a, const json_t *response, const char *error_code,
        AmiWaiterEval eval, gpointer data, gboolean *ret, GError **error)
{
    g_autoptr(json_t) result = NULL;
    gboolean any = FALSE, all = TRUE;
    size_t i;
    json_t *v;

    *ret = FALSE;
    switch (a->matcher) {
    case AMI_MATCH_ERROR:
        *ret = error_code && strcmp(error_code, a->expected) == 0;
        return TRUE;
    case AMI_MATCH_STATUS:
        /* HTTP 200 for a response, 400 for EC2's client errors. */
        {
            g_autoptr(json_t) status = json_integer(response ? 200 : 400);

            *ret = equals_expected(status, a->expected);
        }
        return TRUE;
    case AMI_MATCH_PATH:
    case AMI_MATCH_PATH_ALL:
    case AMI_MATCH_PATH_ANY:
        break;
    case AMI_MATCH_LAST:
        return TRUE;
    }
    if (!response) /* is_valid_waiter_error(): path matchers never match an error */
        return TRUE;
    if (!(result = eval(response, a->argument, data, error)))
        return FALSE;
    if (a->matcher == AMI_MATCH_PATH) {
        *ret = equals_expected(result, a->expected);
        return TRUE;
    }
    /* pathAll and pathAny need a non-empty list. */
    if (!json_is_array(result) || json_array_size(result) == 0)
        return TRUE;
    json_array_foreach (result, i, v) {
        gboolean eq = equals_expected(v, a->expected);

        any = any || eq;
        all = all && eq;
    }
    *ret = a->matcher == AMI_MATCH_PATH_ALL ? all : any;
    return TRUE;
}

gboolean
ami_waiter_step(const AmiWaiter *w, const json_t *response, const char *error_code,
                AmiWaiterEval eval, gpointer data, AmiWaiterState *ret_state,
                const AmiWaiterAcceptor **ret_acceptor, GError **error)
{
    for (const AmiWaiterAcceptor *a = w->acceptors;
         a < w->acceptors + AMI_WAITER_MAX_ACCEPTORS && a->expected; a++) {
        gboolean hit;

        if (!matches(a, response, error_code, eval, data, &hit, error))
            return FALSE;
        if (hit) {
            *ret_state = a->state;
            *ret_acceptor = a;
            return TRUE;
        }
    }
    *ret_state = response ? AMI_WAITER_RETRY : AMI_WAITER_FAILURE;
    *ret_acceptor = NULL;
    return TRUE;
}

/* @expected as Python's str() of the parsed value: strings bare, True/False, numbers. */
static char *
python_str(const char *expected)
{
    g_autoptr(json_t) e = json_loads(expected, JSON_DECODE_ANY, NULL);

    if (json_is_string(e))
        return g_strdup(json_string_value(e));
    if (json_is_true(e))
        return g_strdup("True");
    if (json_is_false(e))
        return g_strdup("False");
    if (json_is_integer(e))
        return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(e));
    return g_strdup(expected);
}

char *
ami_waiter_explanation(const AmiWaiterAcceptor *a)
{
    g_autofree char *e = python_str(a->expected);

    switch (a->matcher) {
    case AMI_MATCH_PATH:
        return g_strdup_printf("For expression \"%s\" we matched expected path: \"%s\"", a->argument, e);
    case AMI_MATCH_PATH_ALL:
        return g_strdup_printf("For expression \"%s\" all members matched excepted path: \"%s\"",
                               a->argument, e);
    case AMI_MATCH_PATH_ANY:
        return g_strdup_printf("For expression \"%s\" we matched expected path: \"%s\" at least once",
                               a->argument, e);
    case AMI_MATCH_STATUS:
        return g_strdup_printf("Matched expected HTTP status code: %s", e);
    case AMI_MATCH_ERROR:
        return g_strdup_printf("Matched expected service error code: %s", a->expected);
    case AMI_MATCH_LAST:
        break;
    }
    return g_strdup("No explanation for unknown waiter type");
}
