/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/instance-status.h"

/* InstanceStatusSummary: {Status, Details: [{Name: reachability, Status[, ImpairedSince]}]}. */
static json_t *
summary(const char *status, const char *detail, const char *since, json_t *verdict)
{
    json_t *d = json_pack("{s:s, s:s}", "Name", "reachability", "Status", detail);

    if (since)
        json_object_set_new(d, "ImpairedSince", json_string(since));
    if (verdict) /* ami-run's own: which failure (EC2's shape has no room for it) */
        json_object_set_new(d, "AmiRun", json_pack("{s:O?, s:O?, s:O?}", "Outcome",
                                                   json_object_get(verdict, "Outcome"), "Class",
                                                   json_object_get(verdict, "Class"), "Detail",
                                                   json_object_get(verdict, "Detail")));
    return json_pack("{s:s, s:[o]}", "Status", status, "Details", d);
}

json_t *
ami_instance_status(json_t *record)
{
    json_t *state = json_object_get(record, "State");
    json_t *verdict = json_object_get(json_object_get(record, "AmiRun"), "Verdict");
    const char *outcome = json_string_value(json_object_get(verdict, "Outcome"));
    const char *zone = json_string_value(json_object_get(json_object_get(record, "Placement"),
                                                         "AvailabilityZone"));
    json_t *out = json_pack("{s:s, s:O?, s:O?}", "AvailabilityZone", zone ? zone : "local",
                            "InstanceId", json_object_get(record, "InstanceId"), "InstanceState",
                            state);

    if (g_strcmp0(json_string_value(json_object_get(state, "Name")), "running") != 0) {
        json_object_set_new(out, "InstanceStatus", json_pack("{s:s}", "Status", "not-applicable"));
        json_object_set_new(out, "SystemStatus", json_pack("{s:s}", "Status", "not-applicable"));
    } else if (!outcome) {
        json_object_set_new(out, "InstanceStatus", summary("initializing", "initializing", NULL, NULL));
        json_object_set_new(out, "SystemStatus", summary("initializing", "initializing", NULL, NULL));
    } else if (strcmp(outcome, "success") == 0) {
        json_object_set_new(out, "InstanceStatus", summary("ok", "passed", NULL, NULL));
        json_object_set_new(out, "SystemStatus", summary("ok", "passed", NULL, NULL));
    } else {
        const char *since = json_string_value(json_object_get(verdict, "Time"));

        if (!since) /* a verdict without its time: EC2 says the launch time then */
            since = json_string_value(json_object_get(record, "LaunchTime"));
        json_object_set_new(out, "InstanceStatus", summary("impaired", "failed", since, verdict));
        json_object_set_new(out, "SystemStatus", summary("ok", "passed", NULL, NULL));
    }
    return out;
}
