/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/filter.h"
#include "ami-run/shorthand.h"

typedef struct {
    const char *name;   /* the filter name users type */
    const char *member; /* top-level member it reads; NULL: special */
} FilterField;

static const FilterField image_fields[] = {
    {"architecture", "Architecture"},
    {"boot-mode", "BootMode"},
    {"description", "Description"},
    {"image-id", "ImageId"},
    {"image-type", "ImageType"},
    {"is-public", "Public"},
    {"name", "Name"},
    {"owner-alias", "ImageOwnerAlias"},
    {"owner-id", "OwnerId"},
    {"platform", "Platform"},
    {"root-device-name", "RootDeviceName"},
    {"root-device-type", "RootDeviceType"},
    {"state", "State"},
    {"tpm-support", "TpmSupport"},
    {"virtualization-type", "VirtualizationType"},
    {"block-device-mapping.device-name", NULL},
    {"block-device-mapping.snapshot-id", NULL},
    {"tag-key", NULL},
    {NULL, NULL},
};

static const FilterField snapshot_fields[] = {
    {"description", "Description"},
    {"owner-id", "OwnerId"},
    {"snapshot-id", "SnapshotId"},
    {"status", "State"},
    {"storage-tier", "StorageTier"},
    {"volume-size", "VolumeSize"},
    {"tag-key", NULL},
    {NULL, NULL},
};

/* DescribeKeyPairs' filters (botocore ec2 service-2.json, DescribeKeyPairsRequest). */
static const FilterField key_pair_fields[] = {
    {"fingerprint", "KeyFingerprint"},
    {"key-name", "KeyName"},
    {"key-pair-id", "KeyPairId"},
    {"key-type", "KeyType"},
    {"tag-key", NULL},
    {NULL, NULL},
};

/* DescribeInstances' filters that mean something here (members are dotted paths). */
static const FilterField instance_fields[] = {
    {"architecture", "Architecture"},
    {"availability-zone", "Placement.AvailabilityZone"},
    {"boot-mode", "BootMode"},
    {"client-token", "ClientToken"},
    {"image-id", "ImageId"},
    {"instance-id", "InstanceId"},
    {"instance-state-code", "State.Code"},
    {"instance-state-name", "State.Name"},
    {"instance-type", "InstanceType"},
    {"key-name", "KeyName"},
    {"launch-time", "LaunchTime"},
    {"private-ip-address", "PrivateIpAddress"},
    {"reservation-id", "AmiRun.ReservationId"},
    {"root-device-name", "RootDeviceName"},
    {"block-device-mapping.device-name", NULL},
    {"tag-key", NULL},
    {NULL, NULL},
};

/* DescribeVolumes' filters. */
static const FilterField volume_fields[] = {
    {"attachment.device", "Attachments.0.Device"},
    {"attachment.instance-id", "Attachments.0.InstanceId"},
    {"availability-zone", "AvailabilityZone"},
    {"create-time", "CreateTime"},
    {"size", "Size"},
    {"snapshot-id", "SnapshotId"},
    {"status", "State"},
    {"volume-id", "VolumeId"},
    {"volume-type", "VolumeType"},
    {"tag-key", NULL},
    {NULL, NULL},
};

/* DescribeInstanceStatus' filters (its items, core/instance-status.c). */
static const FilterField instance_status_fields[] = {
    {"availability-zone", "AvailabilityZone"},
    {"instance-state-code", "InstanceState.Code"},
    {"instance-state-name", "InstanceState.Name"},
    {"instance-status.reachability", "InstanceStatus.Details.0.Status"},
    {"instance-status.status", "InstanceStatus.Status"},
    {"system-status.reachability", "SystemStatus.Details.0.Status"},
    {"system-status.status", "SystemStatus.Status"},
    {NULL, NULL},
};

typedef struct {
    char *name;
    GPtrArray *patterns; /* GPatternSpec* */
} Filter;

struct AmiFilters {
    AmiFilterKind kind;
    GPtrArray *list; /* Filter* */
};

static void
filter_free(gpointer data)
{
    Filter *f = data;

    g_free(f->name);
    g_ptr_array_unref(f->patterns);
    g_free(f);
}

void
ami_filters_free(AmiFilters *filters)
{
    if (!filters)
        return;
    g_ptr_array_unref(filters->list);
    g_free(filters);
}

static const FilterField *
fields_of(AmiFilterKind kind)
{
    switch (kind) {
    case AMI_FILTER_IMAGES:
        return image_fields;
    case AMI_FILTER_KEY_PAIRS:
        return key_pair_fields;
    case AMI_FILTER_INSTANCES:
        return instance_fields;
    case AMI_FILTER_VOLUMES:
        return volume_fields;
    case AMI_FILTER_INSTANCE_STATUS:
        return instance_status_fields;
    case AMI_FILTER_SNAPSHOTS:
    case AMI_FILTER_LAST:
        break;
    }
    return snapshot_fields;
}

static gboolean
name_is_known(AmiFilterKind kind, const char *name)
{
    if (g_str_has_prefix(name, "tag:") && name[4] && kind != AMI_FILTER_INSTANCE_STATUS)
        return TRUE;
    for (const FilterField *f = fields_of(kind); f->name; f++) {
        if (strcmp(f->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
add_filter(AmiFilters *filters, const char *name, GPtrArray *values, GError **error)
{
    Filter *f;

    if (!name_is_known(filters->kind, name)) {
        g_autoptr(GString) known = g_string_new(NULL);

        for (const FilterField *ff = fields_of(filters->kind); ff->name; ff++)
            g_string_append_printf(known, "%s, ", ff->name);
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--filters: unknown filter name '%.64s' (known: %stag:KEY)", name,
                    known->str);
        return FALSE;
    }
    if (values->len == 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--filters: %s has no Values", name);
        return FALSE;
    }
    f = g_new0(Filter, 1);
    f->name = g_strdup(name);
    f->patterns = g_ptr_array_new_with_free_func((GDestroyNotify)g_pattern_spec_free);
    for (guint i = 0; i < values->len; i++)
        g_ptr_array_add(f->patterns, g_pattern_spec_new(values->pdata[i]));
    g_ptr_array_add(filters->list, f);
    return TRUE;
}

static gboolean parse_filter_list(AmiFilters *filters, json_t *given, GError **error);

/*
 * `Name=architecture,Values=x86_64,arm64`, through the one shorthand parser (core/
 * shorthand.c): a single value comes back as a string, which the model's list type
 * makes a list of one, as the AWS CLI does.
 */
static gboolean
parse_shorthand(AmiFilters *filters, const char *arg, GError **error)
{
    g_autoptr(json_t) doc = ami_shorthand_parse(arg, error);
    json_t *values;

    if (!doc) {
        g_prefix_error(error, "--filters: ");
        return FALSE;
    }
    values = json_object_get(doc, "Values");
    if (json_is_string(values)) /* `Values=` (nothing) is no value, as before */
        json_object_set_new(doc, "Values", *json_string_value(values) ? json_pack("[O]", values)
                                                                        : json_array());
    if (!json_is_string(json_object_get(doc, "Name")) || !json_object_get(doc, "Values") ||
        json_object_size(doc) != 2) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--filters '%.80s': expected Name=NAME,Values=V1,V2 or JSON", arg);
        return FALSE;
    }
    return parse_filter_list(filters, doc, error);
}

static gboolean
parse_filter_list(AmiFilters *filters, json_t *given, GError **error)
{
    g_autoptr(json_t) doc = json_incref(given);
    size_t i;
    json_t *f;

    if (json_is_object(doc)) {
        json_t *list = json_array();

        json_array_append(list, doc);
        json_decref(doc);
        doc = list;
    }
    if (!json_is_array(doc))
        goto bad;
    json_array_foreach(doc, i, f) {
        const char *name = json_string_value(json_object_get(f, "Name"));
        json_t *values = json_object_get(f, "Values");
        g_autoptr(GPtrArray) list = g_ptr_array_new();
        size_t j;
        json_t *v;

        if (!name || !json_is_array(values))
            goto bad;
        json_array_foreach(values, j, v) {
            if (!json_is_string(v))
                goto bad;
            g_ptr_array_add(list, (gpointer)json_string_value(v));
        }
        if (!add_filter(filters, name, list, error))
            return FALSE;
    }
    return TRUE;
bad:
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                "--filters: expected [{\"Name\": NAME, \"Values\": [V…]}]");
    return FALSE;
}

static gboolean
parse_json(AmiFilters *filters, const char *arg, GError **error)
{
    g_autoptr(json_t) doc = ami_json_load_string(arg, "--filters", error);

    return doc && parse_filter_list(filters, doc, error);
}

AmiFilters *
ami_filters_parse(AmiFilterKind kind, const char *const *args, GError **error)
{
    g_autoptr(AmiFilters) filters = g_new0(AmiFilters, 1);

    filters->kind = kind;
    filters->list = g_ptr_array_new_with_free_func(filter_free);
    for (; args && *args; args++) {
        const char *a = *args;
        gboolean ok;

        /* GLib's pattern matcher aborts on invalid UTF-8 (found by fuzz-filters). */
        if (!g_utf8_validate(a, -1, NULL)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--filters: not valid UTF-8");
            return NULL;
        }
        ok = (a[0] == '[' || a[0] == '{') ? parse_json(filters, a, error)
                                          : parse_shorthand(filters, a, error);
        if (!ok)
            return NULL;
    }
    return g_steal_pointer(&filters);
}

/* The member's value as filter text: strings as they are, booleans and numbers printed. */
static char *
scalar_text(json_t *v)
{
    if (json_is_string(v))
        return g_strdup(json_string_value(v));
    if (json_is_boolean(v))
        return g_strdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v))
        return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return NULL;
}

/* The value at a dotted path ("State.Name", "Attachments.0.Device"), or NULL. */
static json_t *
member_at(json_t *object, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    json_t *v = object;

    for (char **p = parts; v && *p; p++) {
        guint64 index;

        if (json_is_array(v) && g_ascii_string_to_unsigned(*p, 10, 0, G_MAXINT32, &index, NULL))
            v = json_array_get(v, (size_t)index);
        else
            v = json_object_get(v, *p);
    }
    return v;
}

/* Every value @name takes on @object (several for tags and mappings). */
static GPtrArray *
values_of(const AmiFilters *filters, const char *name, json_t *object)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    json_t *list, *item;
    size_t i;

    if (g_str_has_prefix(name, "tag:") || strcmp(name, "tag-key") == 0) {
        json_array_foreach(json_object_get(object, "Tags"), i, item) {
            const char *key = json_string_value(json_object_get(item, "Key"));

            if (!key)
                continue;
            if (name[3] == '-')
                g_ptr_array_add(out, g_strdup(key));
            else if (strcmp(key, name + 4) == 0)
                g_ptr_array_add(out, scalar_text(json_object_get(item, "Value")));
        }
        return out;
    }
    if (g_str_has_prefix(name, "block-device-mapping.")) {
        gboolean device = g_str_has_suffix(name, "device-name");

        list = json_object_get(object, "BlockDeviceMappings");
        json_array_foreach(list, i, item) {
            json_t *v = device ? json_object_get(item, "DeviceName")
                               : json_object_get(json_object_get(item, "Ebs"), "SnapshotId");
            if (json_is_string(v))
                g_ptr_array_add(out, g_strdup(json_string_value(v)));
        }
        return out;
    }
    for (const FilterField *f = fields_of(filters->kind); f->name; f++) {
        if (f->member && strcmp(f->name, name) == 0) {
            char *text = scalar_text(member_at(object, f->member));

            if (text)
                g_ptr_array_add(out, text);
        }
    }
    return out;
}

gboolean
ami_filters_match(const AmiFilters *filters, json_t *object)
{
    for (guint i = 0; filters && i < filters->list->len; i++) {
        const Filter *f = filters->list->pdata[i];
        g_autoptr(GPtrArray) values = values_of(filters, f->name, object);
        gboolean hit = FALSE;

        for (guint v = 0; v < values->len && !hit; v++) {
            for (guint p = 0; p < f->patterns->len && !hit; p++) {
                if (values->pdata[v])
                    hit = g_pattern_spec_match_string(f->patterns->pdata[p], values->pdata[v]);
            }
        }
        if (!hit)
            return FALSE;
    }
    return TRUE;
}
