/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run run-instances: `aws ec2 run-instances`.  Each instance starts as `run --detach`
 * starts one (cli_run_detached(): the same resolve, prepare and supervisor), one after
 * another; each returns once its QEMU runs, so the guests then boot side by side (docs/
 * instances.md "Count").  Prints EC2's Reservation with the instances pending.  The
 * parameters of RunInstancesRequest that mean nothing on one machine are accepted,
 * recorded under AmiRun.Ignored and named once in a notice.
 */
#include <stdio.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/ids.h"
#include "ami-run/launch.h"
#include "ami-run/store.h"
#include "cli.h"

/* Instances one command may start here (EC2's limit is the account's vCPU quota). */
#define MAX_INSTANCES 8

/* RunInstancesRequest members (botocore ec2 2016-11-15) with no counterpart here, and
 * the AWS CLI's own network-interface shortcuts. */
typedef enum { IGN_STRING, IGN_STRUCT, IGN_LIST, IGN_STRUCT_LIST, IGN_BOOL } IgnoredKind;

static const struct {
    const char *option, *member;
    IgnoredKind kind;
} ignored[] = {
    {"additional-info", "AdditionalInfo", IGN_STRING},
    {"associate-public-ip-address", "AssociatePublicIpAddress", IGN_BOOL},
    {"capacity-reservation-specification", "CapacityReservationSpecification", IGN_STRUCT},
    {"cpu-options", "CpuOptions", IGN_STRUCT},
    {"credit-specification", "CreditSpecification", IGN_STRUCT},
    {"disable-api-stop", "DisableApiStop", IGN_BOOL},
    {"disable-api-termination", "DisableApiTermination", IGN_BOOL},
    {"ebs-optimized", "EbsOptimized", IGN_BOOL},
    {"elastic-gpu-specification", "ElasticGpuSpecification", IGN_STRUCT_LIST},
    {"elastic-inference-accelerators", "ElasticInferenceAccelerators", IGN_STRUCT_LIST},
    {"enclave-options", "EnclaveOptions", IGN_STRUCT},
    {"hibernation-options", "HibernationOptions", IGN_STRUCT},
    {"iam-instance-profile", "IamInstanceProfile", IGN_STRUCT},
    {"instance-market-options", "InstanceMarketOptions", IGN_STRUCT},
    {"ipv6-address-count", "Ipv6AddressCount", IGN_STRING},
    {"ipv6-addresses", "Ipv6Addresses", IGN_STRUCT_LIST},
    {"kernel-id", "KernelId", IGN_STRING},
    {"license-specifications", "LicenseSpecifications", IGN_STRUCT_LIST},
    {"maintenance-options", "MaintenanceOptions", IGN_STRUCT},
    {"monitoring", "Monitoring", IGN_STRUCT},
    {"network-interfaces", "NetworkInterfaces", IGN_STRUCT_LIST},
    {"placement", "Placement", IGN_STRUCT},
    {"private-dns-name-options", "PrivateDnsNameOptions", IGN_STRUCT},
    {"private-ip-address", "PrivateIpAddress", IGN_STRING},
    {"ramdisk-id", "RamdiskId", IGN_STRING},
    {"secondary-private-ip-address-count", "SecondaryPrivateIpAddressCount", IGN_STRING},
    {"secondary-private-ip-addresses", "SecondaryPrivateIpAddresses", IGN_LIST},
    {"security-group-ids", "SecurityGroupIds", IGN_LIST},
    {"security-groups", "SecurityGroups", IGN_LIST},
    {"subnet-id", "SubnetId", IGN_STRING},
};
#define N_IGNORED G_N_ELEMENTS(ignored)

typedef struct {
    char *image_id, *instance_type, *count, *min_count, *max_count, *key_name, *user_data;
    char *metadata_options, *shutdown, *client_token, *launch_template;
    char **bdms, **tag_specs;
    char **success, **failure, *until, *timeout; /* ami-run's own: the verdict, as run's */
    int dry_run, strict;
    char *ign_str[N_IGNORED];
    char **ign_list[N_IGNORED];
    int ign_bool[N_IGNORED];
} RiOpts;

/* The parsed request: what every instance of the reservation shares. */
typedef struct {
    guint64 min, max;
    char *user_data_b64, *bdm_json, *mdo_json;
    json_t *instance_tags, *volume_tags, *ignored, *ignored_names;
    char *digest; /* of the request, for --client-token's IdempotentParameterMismatch */
} RiRequest;

static void
ri_request_clear(RiRequest *r)
{
    g_free(r->user_data_b64);
    g_free(r->bdm_json);
    g_free(r->mdo_json);
    json_decref(r->instance_tags);
    json_decref(r->volume_tags);
    json_decref(r->ignored);
    json_decref(r->ignored_names);
    g_free(r->digest);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RiRequest, ri_request_clear)

static gboolean
parse_count(const char *v, const char *what, guint64 *ret, GError **error)
{
    if (!g_ascii_string_to_unsigned(v, 10, 1, G_MAXINT32, ret, NULL))
        return ami_error_invalid(error, "--%s '%.32s' must be a whole number of at least 1", what, v);
    return TRUE;
}

/* --count N or MIN:MAX (the AWS CLI's), or --min-count/--max-count (the API's). */
static gboolean
resolve_count(const RiOpts *o, RiRequest *r, GError **error)
{
    r->min = r->max = 1;
    if (o->count && (o->min_count || o->max_count))
        return ami_error_invalid(error, "give --count or --min-count/--max-count, not both");
    if (o->count) {
        g_auto(GStrv) parts = g_strsplit(o->count, ":", 2);

        if (!parse_count(parts[0], "count", &r->min, error) ||
            !parse_count(parts[1] ? parts[1] : parts[0], "count", &r->max, error))
            return FALSE;
    }
    if ((o->min_count && !parse_count(o->min_count, "min-count", &r->min, error)) ||
        (o->max_count && !parse_count(o->max_count, "max-count", &r->max, error)))
        return FALSE;
    if (o->min_count && !o->max_count)
        r->max = r->min;
    if (o->max_count && !o->min_count)
        r->min = 1;
    if (r->min > r->max)
        return ami_error_invalid(error, "the minimum count (%" G_GUINT64_FORMAT ") is more than "
                                 "the maximum (%" G_GUINT64_FORMAT ")", r->min, r->max);
    if (r->min > MAX_INSTANCES)
        return ami_error_invalid(error, "InsufficientInstanceCapacity: at most %d instances at "
                                 "once on one machine; asked for at least %" G_GUINT64_FORMAT,
                                 MAX_INSTANCES, r->min);
    r->max = MIN(r->max, MAX_INSTANCES); /* EC2 starts what it can, at least MinCount */
    return TRUE;
}

/* --user-data as the AWS CLI reads it: text as given, file:// text, fileb:// bytes. */
static gboolean
resolve_user_data(const char *v, RiRequest *r, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;
    const char *path = g_str_has_prefix(v, "fileb://") ? v + 8
                       : g_str_has_prefix(v, "file://") ? v + 7 : NULL;

    if (!path) {
        r->user_data_b64 = g_base64_encode((const guchar *)v, strlen(v));
        return TRUE;
    }
    if (!g_file_get_contents(path, &data, &len, &local))
        return ami_error_invalid(error, "--user-data: %s", local->message);
    r->user_data_b64 = g_base64_encode((const guchar *)data, len);
    return TRUE;
}

/* --tag-specifications: instance and volume tags; others have nothing to tag here. */
static gboolean
resolve_tag_specs(char **items, RiRequest *r, GError **error)
{
    g_autoptr(json_t) specs = cli_struct_list(items, "tag-specifications", error);
    size_t i;
    json_t *s;

    r->instance_tags = json_array();
    r->volume_tags = json_array();
    if (!specs)
        return FALSE;
    json_array_foreach(specs, i, s) {
        const char *type = json_string_value(json_object_get(s, "ResourceType"));
        g_autoptr(json_t) tags = NULL;
        json_t *into;

        if (!json_is_object(s) || !type)
            return ami_error_invalid(error, "--tag-specifications: each is ResourceType=TYPE,"
                                     "Tags=[{Key=K,Value=V}]");
        if (strcmp(type, "instance") == 0)
            into = r->instance_tags;
        else if (strcmp(type, "volume") == 0)
            into = r->volume_tags;
        else
            return ami_error_invalid(error, "--tag-specifications: ResourceType '%.40s': "
                                     "run-instances tags instance and volume here", type);
        if (!(tags = cli_tags_list(json_object_get(s, "Tags"), "tag-specifications", FALSE, error)))
            return FALSE;
        json_array_extend(into, tags);
        if (!ami_tags_validate(into, "--tag-specifications", error))
            return FALSE;
    }
    return TRUE;
}

/* One ignored parameter's value as the request would carry it. */
static json_t *
ignored_value(const RiOpts *o, guint i, GError **error)
{
    g_autofree char *what = g_strdup(ignored[i].option);

    switch (ignored[i].kind) {
    case IGN_STRING:
        return o->ign_str[i] ? json_string(o->ign_str[i]) : NULL;
    case IGN_STRUCT:
        return o->ign_str[i] ? cli_struct_arg(o->ign_str[i], what, error) : NULL;
    case IGN_LIST: {
        json_t *list;

        if (!o->ign_list[i])
            return NULL;
        list = json_array();
        for (char **v = o->ign_list[i]; *v; v++)
            json_array_append_new(list, json_string(*v));
        return list;
    }
    case IGN_STRUCT_LIST:
        return o->ign_list[i] ? cli_struct_list(o->ign_list[i], what, error) : NULL;
    case IGN_BOOL:
        return o->ign_bool[i] >= 0 ? json_boolean(o->ign_bool[i]) : NULL;
    }
    return NULL;
}

static gboolean
resolve_ignored(const RiOpts *o, RiRequest *r, GError **error)
{
    r->ignored = json_object();
    r->ignored_names = json_array();
    for (guint i = 0; i < N_IGNORED; i++) {
        g_autoptr(GError) local = NULL;
        json_t *v = ignored_value(o, i, &local);

        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        if (!v)
            continue;
        json_object_set_new(r->ignored, ignored[i].member, v);
        json_array_append_new(r->ignored_names, json_sprintf("--%s", ignored[i].option));
    }
    return TRUE;
}

static char *
json_text(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static gboolean
resolve_request(const RiOpts *o, RiRequest *r, GError **error)
{
    g_autoptr(json_t) bdms = NULL, mdo = NULL, digest_of = NULL;
    g_autofree char *text = NULL;

    if (o->launch_template)
        return ami_error_invalid(error, "--launch-template: launch templates are not kept here "
                                 "(there is no create-launch-template); give the parameters "
                                 "to run-instances directly");
    if (!cli_require(o->image_id, "image-id", error) || !resolve_count(o, r, error))
        return FALSE;
    if (o->shutdown && strcmp(o->shutdown, "stop") != 0 && strcmp(o->shutdown, "terminate") != 0)
        return ami_error_invalid(error, "--instance-initiated-shutdown-behavior must be stop or "
                                 "terminate");
    if (o->client_token && (!*o->client_token || strlen(o->client_token) > 64))
        return ami_error_invalid(error, "--client-token must be 1 to 64 characters (EC2's limit)");
    if (o->user_data && !resolve_user_data(o->user_data, r, error))
        return FALSE;
    if (o->bdms && !(bdms = cli_struct_list(o->bdms, "block-device-mappings", error)))
        return FALSE;
    cli_bdm_coerce(bdms);
    if (o->metadata_options && !(mdo = cli_struct_arg(o->metadata_options, "metadata-options", error)))
        return FALSE;
    r->bdm_json = json_text(bdms);
    r->mdo_json = json_text(mdo);
    if (!resolve_tag_specs(o->tag_specs, r, error) || !resolve_ignored(o, r, error))
        return FALSE;
    digest_of = json_pack("{s:s, s:s*, s:I, s:I, s:s*, s:s*, s:s*, s:s*, s:O, s:O, s:O, s:s*}",
                          "ImageId", o->image_id, "InstanceType", o->instance_type, "MinCount",
                          (json_int_t)r->min, "MaxCount", (json_int_t)r->max, "KeyName",
                          o->key_name, "UserData", r->user_data_b64, "BlockDeviceMappings",
                          r->bdm_json, "MetadataOptions", r->mdo_json, "InstanceTags",
                          r->instance_tags, "VolumeTags", r->volume_tags, "Ignored", r->ignored,
                          "InstanceInitiatedShutdownBehavior", o->shutdown);
    text = json_text(digest_of);
    r->digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    return TRUE;
}

/* An instance as RunInstances returns it: no AmiRun, State pending. */
static json_t *
shown_instance(json_t *record)
{
    json_t *r = json_deep_copy(record);

    json_object_del(r, "AmiRun");
    json_object_del(r, "MacAddress"); /* EC2 has it under NetworkInterfaces only */
    json_object_set_new(r, "State", json_pack("{s:i, s:s}", "Code", 0, "Name", "pending"));
    return r;
}

static json_t *
reservation_json(const char *reservation_id, json_t *instances)
{
    return json_pack("{s:[], s:O, s:s, s:s}", "Groups", "Instances", instances, "OwnerId",
                     AMI_STORE_OWNER_ID, "ReservationId", reservation_id);
}

/*
 * --client-token seen before: the same reservation again and nothing started, as EC2
 * (a different request with it is IdempotentParameterMismatch).  NULL: not seen.
 */
static json_t *
find_client_token(const Cli *cli, const char *token, const char *digest, GError **error)
{
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, NULL);
    g_autoptr(GPtrArray) all = store ? ami_instances_list(store, NULL) : NULL;
    g_autoptr(json_t) instances = json_array();

    if (all) /* EC2's client tokens are per region, as its instances are */
        ami_store_in_region(store, all);
    const char *reservation = NULL;

    for (guint i = 0; all && i < all->len; i++) {
        json_t *r = all->pdata[i];
        json_t *a = json_object_get(r, "AmiRun");

        if (g_strcmp0(json_string_value(json_object_get(r, "ClientToken")), token) != 0)
            continue;
        if (g_strcmp0(json_string_value(json_object_get(a, "RequestDigest")), digest) != 0) {
            ami_error_invalid(error, "IdempotentParameterMismatch: --client-token '%.64s' was "
                              "used with other parameters", token);
            return NULL;
        }
        reservation = json_string_value(json_object_get(a, "ReservationId"));
        json_array_append_new(instances, shown_instance(r));
    }
    if (!reservation)
        return NULL;
    return reservation_json(reservation, instances);
}

/* A later instance failed to start: those already started go, as if none had been. */
static void
undo(Cli *cli, char **started)
{
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, NULL);

    for (char **id = started; store && id && *id; id++)
        cli_instance_terminate(store, *id, NULL);
}

static void
notice_ignored(const Cli *cli, json_t *names)
{
    g_autoptr(GString) list = g_string_new(NULL);
    size_t i;
    json_t *n;

    json_array_foreach(names, i, n)
        g_string_append_printf(list, "%s%s", i ? ", " : "", json_string_value(n));
    if (list->len)
        cli_notice(cli, "accepted but ignored (nothing to do on one machine; kept in the "
                   "instance's AmiRun.Ignored): %s", list->str);
}

static gboolean
launch_all(Cli *cli, const RiOpts *o, const RiRequest *r, GError **error)
{
    g_autofree char *reservation = NULL;
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(json_t) instances = json_array();
    g_autoptr(AmiStore) store = NULL;
    const char *region = cli_region(cli, error);

    {
        g_autofree char *rid = ami_id_new(AMI_ID_INSTANCE);

        reservation = g_strdup_printf("r-%s", rid + 2);
    }
    if (!region)
        return FALSE;
    for (guint64 n = 0; n < (o->dry_run > 0 ? 1 : r->max); n++) {
        g_autoptr(json_t) fields = json_pack("{s:I, s:O}", "AmiLaunchIndex", (json_int_t)n, "Tags",
                                             r->instance_tags);
        g_autoptr(json_t) amirun = json_pack("{s:s, s:s, s:s, s:O}", "ReservationId",
                                             reservation, "Region", region, "RequestDigest",
                                             r->digest, "Ignored", r->ignored);
        CliLaunchRequest req = {.image_id = o->image_id, .instance_type = o->instance_type,
                                .key_name = o->key_name, .user_data_base64 = r->user_data_b64,
                                .block_device_mappings = r->bdm_json,
                                .metadata_options = r->mdo_json, .instance_fields = fields,
                                .amirun_fields = amirun, .volume_tags = r->volume_tags,
                                .success = o->success, .failure = o->failure,
                                .until = o->until, .timeout = o->timeout,
                                .strict = o->strict > 0, .dry_run = o->dry_run > 0};
        char *id = NULL;

        if (o->client_token)
            json_object_set_new(fields, "ClientToken", json_string(o->client_token));
        if (o->shutdown)
            json_object_set_new(amirun, "InstanceInitiatedShutdownBehavior", json_string(o->shutdown));
        if (!cli_run_detached(cli, &req, &id, error)) {
            g_ptr_array_add(ids, NULL);
            undo(cli, (char **)ids->pdata);
            return FALSE;
        }
        if (id)
            g_ptr_array_add(ids, id);
    }
    notice_ignored(cli, r->ignored_names); /* once everything is checked and started */
    if (o->dry_run > 0) {
        /* EC2 answers a DryRun with this error; nothing was made, so ami-run exits 0. */
        cli_notice(cli, "DryRunOperation: Request would have succeeded, but DryRun flag is set.");
        return TRUE;
    }
    if (!(store = cli_open_store(cli, FALSE, error)))
        return FALSE;
    for (guint i = 0; i < ids->len; i++) {
        g_autoptr(json_t) rec = ami_instance_load(store, ids->pdata[i], error);

        if (!rec)
            return FALSE;
        json_array_append_new(instances, shown_instance(rec));
    }
    {
        g_autoptr(json_t) out = reservation_json(reservation, instances);

        cli_print(cli, out);
    }
    return TRUE;
}

static GArray *
build_specs(RiOpts *o)
{
    const ArgSpec fixed[] = {
        {"image-id", ARG_STRING, &o->image_id, "ami-…", "the AMI"},
        {"instance-type", ARG_STRING, &o->instance_type, "TYPE", "as run (default t3.micro / t4g.micro)"},
        {"count", ARG_STRING, &o->count, "N|MIN:MAX", "how many instances (default 1; at most 8 here)"},
        {"min-count", ARG_STRING, &o->min_count, "N", "at least this many (MinCount)"},
        {"max-count", ARG_STRING, &o->max_count, "N", "at most this many (MaxCount)"},
        {"key-name", ARG_STRING, &o->key_name, "NAME", "a key pair: its public key goes to the guests"},
        {"user-data", ARG_STRING, &o->user_data, "TEXT|file://F|fileb://F", "user data (the AWS CLI base64-encodes it; so does this)"},
        {"block-device-mappings", ARG_LIST, &o->bdms, "SHORTHAND|JSON|file://F", "launch-time mapping changes"},
        {"tag-specifications", ARG_LIST, &o->tag_specs, "ResourceType=instance|volume,Tags=[…]", "tags of the instances and their volumes"},
        {"metadata-options", ARG_STRING, &o->metadata_options, "K=V,…|JSON", "HttpTokens, HttpEndpoint, InstanceMetadataTags, HttpPutResponseHopLimit"},
        {"instance-initiated-shutdown-behavior", ARG_STRING, &o->shutdown, "stop|terminate", "what a guest's own power-off does (default stop)"},
        {"client-token", ARG_STRING, &o->client_token, "TOKEN", "idempotency: the same token returns the same reservation"},
        {"dry-run", ARG_BOOL, &o->dry_run, NULL, "check everything, start nothing"},
        {"launch-template", ARG_STRING, &o->launch_template, "SPEC", "refused: no launch templates here"},
        {"success", ARG_LIST, &o->success, "REGEX", "ami-run's own, as run's: success markers of the status check"},
        {"failure", ARG_LIST, &o->failure, "REGEX", "ami-run's own, as run's: extra failure markers"},
        {"until", ARG_STRING, &o->until, "WHAT", "ami-run's own, as run's: login, cloud-init or shutdown"},
        {"timeout", ARG_STRING, &o->timeout, "SECONDS", "ami-run's own: impaired without a verdict by then (default 600)"},
        {"strict", ARG_BOOL, &o->strict, NULL, "ami-run's own, as run's: recorded errors fail the check"},
    };
    GArray *specs = g_array_new(FALSE, TRUE, sizeof(ArgSpec));

    g_array_append_vals(specs, fixed, G_N_ELEMENTS(fixed));
    for (guint i = 0; i < N_IGNORED; i++) {
        ArgSpec s = {ignored[i].option, ARG_STRING, &o->ign_str[i], NULL, "accepted, ignored (one machine)"};

        if (ignored[i].kind == IGN_LIST || ignored[i].kind == IGN_STRUCT_LIST) {
            s.type = ARG_LIST;
            s.target = &o->ign_list[i];
        } else if (ignored[i].kind == IGN_BOOL) {
            s.type = ARG_BOOL;
            s.target = &o->ign_bool[i];
        }
        g_array_append_val(specs, s);
    }
    {
        ArgSpec end = {NULL, ARG_LAST, NULL, NULL, NULL};

        g_array_append_val(specs, end);
    }
    return specs;
}

gboolean
cmd_run_instances(Cli *cli, int argc, char **argv, GError **error)
{
    RiOpts o = {.dry_run = -1, .strict = -1};
    g_autoptr(GArray) specs = NULL;
    g_auto(RiRequest) r = {0};
    g_autoptr(json_t) again = NULL;
    g_autoptr(GError) local = NULL;
    gboolean help = FALSE, ok = FALSE;

    for (guint i = 0; i < N_IGNORED; i++)
        o.ign_bool[i] = -1;
    specs = build_specs(&o);
    if (!cli_args_parse(cli, "Launch instances of an AMI, detached, as EC2's RunInstances: "
                        "prints the reservation.", (const ArgSpec *)(void *)specs->data, argc,
                        argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!resolve_request(&o, &r, error))
        goto out;
    if (o.client_token && o.dry_run <= 0) {
        if ((again = find_client_token(cli, o.client_token, r.digest, &local))) {
            cli_print(cli, again);
            ok = TRUE;
            goto out;
        }
        if (local) {
            g_propagate_error(error, g_steal_pointer(&local));
            goto out;
        }
    }
    ok = launch_all(cli, &o, &r, error);
out:
    cli_args_free((const ArgSpec *)(void *)specs->data);
    return ok;
}
