/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by terminate-, stop- and start-instances: each changes the state of a list of
 * instances and prints {"<Verb>Instances": [{InstanceId, CurrentState, PreviousState}]}.
 * The owner of a live instance (a foreground run or a supervisor) does the work; these
 * commands signal it and wait for the record to show the new state.
 */
#include <signal.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/launch.h"
#include "cli.h"

static json_t *
state_json(json_t *record)
{
    return json_deep_copy(json_object_get(record, "State"));
}

/* Wait until the record's state is one of @want (at most @seconds). */
static json_t *
wait_state(AmiStore *store, const char *id, const AmiInstanceState *want, double seconds,
           GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);

    for (;;) {
        g_autoptr(json_t) r = ami_instance_find(store, id, error);
        AmiInstanceState s;

        if (!r)
            return NULL;
        s = ami_instance_state(r);
        for (const AmiInstanceState *w = want; *w; w++) {
            if (s == *w)
                return g_steal_pointer(&r);
        }
        if (!ami_instance_owner(r) && s != AMI_INSTANCE_STOPPED) {
            /* Its owner died: the stale-instance reaper finishes the job. */
            if (!ami_instances_reap_stale(store, error))
                return NULL;
            continue;
        }
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_TIMEOUT, "%s did not reach the new state in %.0f s",
                        id, seconds);
            return NULL;
        }
        if (!ami_signals_check(error))
            return NULL;
        g_usleep(100 * 1000);
    }
}

static gboolean
change_one(AmiStore *store, CliInstanceAction action, gboolean force, const char *id,
           json_t **ret_before, json_t **ret_after, GError **error)
{
    static const AmiInstanceState terminated[] = {AMI_INSTANCE_TERMINATED, 0};
    static const AmiInstanceState stopped[] = {AMI_INSTANCE_STOPPED, AMI_INSTANCE_TERMINATED, 0};
    g_autoptr(json_t) r = ami_instance_find(store, id, error);
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    AmiInstanceState s;
    int owner;
    json_t *after = NULL;

    if (!r)
        return FALSE;
    s = ami_instance_state(r);
    owner = ami_instance_owner(r);
    *ret_before = state_json(r);
    switch (action) {
    case CLI_TERMINATE:
        if (s == AMI_INSTANCE_TERMINATED)
            after = g_steal_pointer(&r);
        else if (s == AMI_INSTANCE_STOPPED)
            after = ami_instance_terminate_stopped(store, id, error) ? ami_instance_load(store, id, error)
                                                                     : NULL;
        else {
            if (owner > 0)
                kill(owner, SIGTERM);
            after = wait_state(store, id, terminated, 60, error);
        }
        break;
    case CLI_STOP:
        if (s == AMI_INSTANCE_STOPPED || s == AMI_INSTANCE_TERMINATED) {
            after = g_steal_pointer(&r);
            break;
        }
        if (!json_is_true(json_object_get(json_object_get(r, "AmiRun"), "Supervised")) && owner > 0) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "%s is a foreground run (pid %d): end it there, or terminate-instances; "
                        "only --detach/--keep instances can be stopped", id, owner);
            return FALSE;
        }
        if (owner > 0)
            kill(owner, force ? SIGUSR2 : SIGUSR1);
        after = wait_state(store, id, stopped, force ? 60 : 120, error);
        break;
    case CLI_START:
        if (s == AMI_INSTANCE_TERMINATED) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "%s is terminated; run the image again instead", id);
            return FALSE;
        }
        if (s != AMI_INSTANCE_STOPPED) {
            after = g_steal_pointer(&r);
            break;
        }
        after = ami_instance_supervise(store, id, self, TRUE, error) ? ami_instance_load(store, id, error)
                                                                     : NULL;
        break;
    }
    if (!after)
        return FALSE;
    *ret_after = state_json(after);
    json_decref(after);
    return TRUE;
}

gboolean
cli_instance_terminate(AmiStore *store, const char *instance_id, GError **error)
{
    json_t *before = NULL, *after = NULL;
    gboolean ok = change_one(store, CLI_TERMINATE, FALSE, instance_id, &before, &after, error);

    json_decref(before);
    json_decref(after);
    return ok;
}

gboolean
cli_instances_change(Cli *cli, CliInstanceAction action, int argc, char **argv, GError **error)
{
    static const char *const keys[] = {"TerminatingInstances", "StoppingInstances",
                                       "StartingInstances"};
    static const char *const summaries[] = {
        "Terminate instances: stop them and delete their volumes (DeleteOnTermination).",
        "Stop instances (ACPI power-off, forced after 60 s or with --force); disks are kept.",
        "Start stopped instances again, from their disks, under a new supervisor.",
    };
    char **ids = NULL;
    int force = -1, skip_os_shutdown = -1;
    ArgSpec specs[] = {
        {"instance-ids", ARG_LIST, &ids, "i-…", "the instances"},
        {"force", ARG_BOOL, &force, NULL, "power off now, without the ACPI grace period"},
        {"skip-os-shutdown", ARG_BOOL, &skip_os_shutdown, NULL, "accepted: terminating never waits for the guest here"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) list = json_array();
    g_autoptr(json_t) result = NULL;
    gboolean help = FALSE, ok = FALSE;

    /*
     * --force is StopInstances' (skip the grace period).  TerminateInstances has Force
     * and SkipOsShutdown now too (EC2, 2025): terminating here never waits for the guest
     * (QEMU is destroyed at once), so both are what it does anyway, accepted as no-ops
     * (docs/instances.md).  StartInstances has neither.
     */
    if (action == CLI_TERMINATE)
        specs[1].help = "accepted: terminating destroys the guest at once here";
    if (action == CLI_STOP)
        specs[2] = specs[3];
    if (action == CLI_START)
        specs[1] = specs[3];
    if (!cli_args_parse(cli, summaries[action], specs, argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(ids, "instance-ids", error) || !(store = cli_open_store(cli, TRUE, error)) ||
        !ami_instances_reap_stale(store, error))
        goto out;
    for (char **id = ids; *id; id++) {
        g_autoptr(json_t) r = ami_instance_find(store, *id, error);
        if (!r)
            goto out;
    }
    for (char **id = ids; *id; id++) {
        json_t *before = NULL, *after = NULL;

        if (!change_one(store, action, force > 0, *id, &before, &after, error)) {
            json_decref(before);
            goto out;
        }
        json_array_append_new(list, json_pack("{s:s, s:o, s:o}", "InstanceId", *id,
                                              "CurrentState", after, "PreviousState", before));
    }
    result = json_pack("{s:O}", keys[action], list);
    cli_print(cli, result);
    ok = TRUE;
out:
    cli_args_free(specs);
    return ok;
}

GPtrArray *
cli_instances_named(const Cli *cli, char **ids, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, &local);
    g_autoptr(GPtrArray) all = NULL;

    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (store && (!ami_instances_reap_stale(store, error) || !(all = ami_instances_list(store, error))))
        return NULL;
    if (all)
        ami_store_in_region(store, all);
    else
        all = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    for (char **id = ids; id && *id; id++) {
        g_autoptr(json_t) r = store ? ami_instance_find(store, *id, error) : NULL;

        if (!r) {
            if (!store)
                g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND, "Instance '%.80s' does not exist", *id);
            return NULL;
        }
    }
    return g_steal_pointer(&all);
}
