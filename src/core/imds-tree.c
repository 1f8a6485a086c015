/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metadata tree of the emulated IMDS, built once per instance from its record,
 * its image and the network facts.  Categories and their meaning: EC2 user guide
 * instancedata-data-categories.md; the identity document: instance-identity-documents.md.
 */
#include <stdio.h>
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/netinfo.h"
#include "ami-run/seed.h"
#include "imds-tree.h"

#define TEXT "text/plain"

/* What the builders read, validated once. */
typedef struct {
    const AmiImdsSpec *spec;
    const char *instance_id, *image_id, *instance_type, *launch_time, *arch;
    const char *root_device, *kernel_id, *ramdisk_id;
    const char *account_id;
    char *hex;            /* the instance id without "i-": derives the other ids */
    char *pending_time;   /* LaunchTime as the identity document has it */
    char *local_hostname;
    char *public_hostname;
    gboolean tags_enabled;
} Facts;

static void
facts_clear(Facts *f)
{
    g_free(f->hex);
    g_free(f->pending_time);
    g_free(f->local_hostname);
    g_free(f->public_hostname);
}

static void
node_free(gpointer data)
{
    ImdsNode *n = data;

    if (!n)
        return;
    g_free(n->name);
    g_free(n->label);
    if (n->value)
        g_bytes_unref(n->value);
    if (n->children)
        g_ptr_array_unref(n->children);
    g_free(n);
}

static ImdsNode *
dir_add(ImdsNode *parent, const char *name)
{
    ImdsNode *n = g_new0(ImdsNode, 1);

    n->name = g_strdup(name);
    n->children = g_ptr_array_new_with_free_func(node_free);
    if (parent)
        g_ptr_array_add(parent->children, n);
    return n;
}

static ImdsNode *
leaf_add_bytes(ImdsNode *parent, const char *name, GBytes *value, const char *type)
{
    ImdsNode *n = g_new0(ImdsNode, 1);

    n->name = g_strdup(name);
    n->value = g_bytes_ref(value);
    n->content_type = type;
    g_ptr_array_add(parent->children, n);
    return n;
}

static void
leaf_add(ImdsNode *parent, const char *name, const char *value)
{
    g_autoptr(GBytes) b = g_bytes_new(value, strlen(value));

    leaf_add_bytes(parent, name, b, TEXT);
}

const ImdsNode *
imds_node_child(const ImdsNode *dir, const char *name)
{
    for (guint i = 0; dir->children && i < dir->children->len; i++) {
        const ImdsNode *c = dir->children->pdata[i];

        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

void
ami_imds_context_free(AmiImdsContext *ctx)
{
    if (!ctx)
        return;
    node_free(ctx->root);
    if (ctx->secret)
        g_bytes_unref(ctx->secret);
    g_free(ctx);
}

/* ami_error_invalid(), as an expression clang's analyzer sees is FALSE. */
#define INVALID(...) (ami_error_invalid(__VA_ARGS__), FALSE)

static gboolean
is_clean(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return FALSE;
    }
    return TRUE;
}

/* A string member of @obj: required ones must be there; none may hold control bytes. */
static gboolean
get_str(const json_t *obj, const char *key, gboolean required, const char **ret, GError **error)
{
    json_t *v = json_object_get(obj, key);

    *ret = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return INVALID(error, "instance metadata: '%s' is missing", key);
        return TRUE;
    }
    if (!json_is_string(v) || !is_clean(json_string_value(v)) || !json_string_length(v))
        return INVALID(error, "instance metadata: '%s' must be a non-empty string "
                                 "without control characters", key);
    *ret = json_string_value(v);
    return TRUE;
}

static gboolean
check_value(const char *what, const char *v, gboolean required, GError **error)
{
    if (!v)
        return required ? INVALID(error, "instance metadata: %s is missing", what)
                        : TRUE;
    if (!*v || !is_clean(v))
        return INVALID(error, "instance metadata: %s must be a non-empty string "
                                 "without control characters", what);
    return TRUE;
}

/* Dotted-quad IPv4 into its four octets. */
static gboolean
parse_ipv4(const char *s, guint ret[4])
{
    char tail;

    if (!s || strspn(s, "0123456789.") != strlen(s) ||
        sscanf(s, "%3u.%3u.%3u.%3u%c", &ret[0], &ret[1], &ret[2], &ret[3], &tail) != 4)
        return FALSE;
    return ret[0] < 256 && ret[1] < 256 && ret[2] < 256 && ret[3] < 256;
}

static gboolean
mac_is_valid(const char *m)
{
    if (strlen(m) != 17)
        return FALSE;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? m[i] != ':' : !(g_ascii_isdigit(m[i]) || (m[i] >= 'a' && m[i] <= 'f')))
            return FALSE;
    }
    return TRUE;
}

static gboolean
region_is_valid(const char *r)
{
    return *r && strlen(r) <= 64 && strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(r);
}

/* EC2's host names: ip-10-0-0-1.ec2.internal in us-east-1, else <region>.compute.internal. */
static char *
derive_hostname(const char *prefix, const guint ip[4], const char *region, gboolean public)
{
    gboolean east1 = strcmp(region, "us-east-1") == 0;
    g_autofree char *domain = NULL;

    if (public)
        domain = east1 ? g_strdup("compute-1.amazonaws.com")
                       : g_strdup_printf("%s.compute.amazonaws.com", region);
    else
        domain = ami_region_dhcp_domain(region); /* the same as the DHCP lease's */
    return g_strdup_printf("%s-%u-%u-%u-%u.%s", prefix, ip[0], ip[1], ip[2], ip[3], domain);
}

static gboolean
check_network(const AmiImdsSpec *spec, Facts *f, GError **error)
{
    const AmiImdsNetwork *n = &spec->net;
    const char *const optional[] = {n->hostname, n->subnet_id, n->vpc_id, n->interface_id,
                                    n->security_group_id, n->security_group_name};
    guint ip[4], pub[4];

    if (!check_value("the private IPv4 address", n->private_ipv4, TRUE, error) ||
        !check_value("the MAC address", n->mac, TRUE, error) ||
        !check_value("the subnet CIDR", n->subnet_cidr, TRUE, error) ||
        !check_value("the VPC CIDR", n->vpc_cidr, TRUE, error))
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(optional); i++) {
        if (!check_value("a network id or name", optional[i], FALSE, error))
            return FALSE;
    }
    if (!parse_ipv4(n->private_ipv4, ip))
        return INVALID(error, "instance metadata: '%s' is not an IPv4 address",
                                 n->private_ipv4);
    if (n->public_ipv4 && !parse_ipv4(n->public_ipv4, pub))
        return INVALID(error, "instance metadata: '%s' is not an IPv4 address",
                                 n->public_ipv4);
    if (!mac_is_valid(n->mac))
        return INVALID(error, "instance metadata: MAC '%s' is not of the form "
                                 "02:00:00:00:00:01 (lower case)", n->mac);
    f->local_hostname = n->hostname ? g_strdup(n->hostname)
                                    : derive_hostname("ip", ip, spec->region, FALSE);
    if (n->public_ipv4)
        f->public_hostname = derive_hostname("ec2", pub, spec->region, TRUE);
    return TRUE;
}
/* MetadataOptions of the record, defaulted from the AMI's ImdsSupport (v2.0: required). */
static gboolean
read_options(const AmiImdsSpec *spec, AmiImdsContext *ctx, Facts *f, GError **error)
{
    json_t *mo = json_object_get(spec->instance, "MetadataOptions");
    const char *support, *tokens = NULL, *endpoint = NULL, *tags = NULL;
    AmiImdsSwitch tags_switch = AMI_IMDS_DISABLED;
    json_t *hop;

    if (!get_str(spec->image, "ImdsSupport", FALSE, &support, error))
        return FALSE;
    /* configuring-IMDS-new-instances: an AMI with ImdsSupport v2.0 launches with
     * HttpTokens required and a hop limit of 2 unless the launch says otherwise. */
    ctx->http_tokens = g_strcmp0(support, "v2.0") == 0 ? AMI_IMDS_TOKENS_REQUIRED
                                                        : AMI_IMDS_TOKENS_OPTIONAL;
    ctx->hop_limit = ctx->http_tokens == AMI_IMDS_TOKENS_REQUIRED ? 2 : 1;
    ctx->http_endpoint = AMI_IMDS_ENABLED;
    if (mo && !json_is_object(mo))
        return INVALID(error, "instance metadata: 'MetadataOptions' must be an object");
    if (mo && (!get_str(mo, "HttpTokens", FALSE, &tokens, error) ||
               !get_str(mo, "HttpEndpoint", FALSE, &endpoint, error) ||
               !get_str(mo, "InstanceMetadataTags", FALSE, &tags, error)))
        return FALSE;
    if ((tokens && !ami_imds_http_tokens_from_string(tokens, &ctx->http_tokens)) ||
        (endpoint && !ami_imds_switch_from_string(endpoint, &ctx->http_endpoint)) ||
        (tags && !ami_imds_switch_from_string(tags, &tags_switch)))
        return INVALID(error, "instance metadata: MetadataOptions: HttpTokens is "
                                 "optional or required, HttpEndpoint and InstanceMetadataTags "
                                 "enabled or disabled");
    hop = mo ? json_object_get(mo, "HttpPutResponseHopLimit") : NULL;
    if (hop && !json_is_null(hop)) {
        if (!json_is_integer(hop) || json_integer_value(hop) < 1 || json_integer_value(hop) > 64)
            return INVALID(error, "instance metadata: HttpPutResponseHopLimit must "
                                     "be 1-64");
        ctx->hop_limit = (guint)json_integer_value(hop);
    }
    f->tags_enabled = tags_switch == AMI_IMDS_ENABLED;
    return TRUE;
}

static gboolean
read_facts(const AmiImdsSpec *spec, Facts *f, GError **error)
{
    g_autoptr(GDateTime) launched = NULL;

    if (!spec->instance || !json_is_object(spec->instance) || !spec->image ||
        !json_is_object(spec->image))
        return INVALID(error, "instance metadata: the instance record and the image "
                                 "must be JSON objects");
    if (!get_str(spec->instance, "InstanceId", TRUE, &f->instance_id, error) ||
        !get_str(spec->instance, "ImageId", TRUE, &f->image_id, error) ||
        !get_str(spec->instance, "InstanceType", TRUE, &f->instance_type, error) ||
        !get_str(spec->instance, "LaunchTime", TRUE, &f->launch_time, error) ||
        !get_str(spec->instance, "Architecture", TRUE, &f->arch, error) ||
        !get_str(spec->instance, "RootDeviceName", FALSE, &f->root_device, error) ||
        !get_str(spec->image, "KernelId", FALSE, &f->kernel_id, error) ||
        !get_str(spec->image, "RamdiskId", FALSE, &f->ramdisk_id, error))
        return FALSE;
    if (!g_str_has_prefix(f->instance_id, "i-") || strlen(f->instance_id) < 3 ||
        strspn(f->instance_id + 2, "0123456789abcdef") != strlen(f->instance_id + 2))
        return INVALID(error, "instance metadata: '%s' is not an instance id",
                                 f->instance_id);
    f->hex = g_strdup(f->instance_id + 2);
    launched = ami_timestamp_parse(f->launch_time);
    if (!launched)
        return INVALID(error, "instance metadata: LaunchTime '%s' is not ISO 8601",
                                 f->launch_time);
    f->pending_time = g_date_time_format(launched, "%Y-%m-%dT%H:%M:%SZ");
    if (!check_value("the region", spec->region, TRUE, error) ||
        !check_value("the availability zone", spec->availability_zone, TRUE, error) ||
        !check_value("the availability zone id", spec->availability_zone_id, FALSE, error) ||
        !region_is_valid(spec->region) || !region_is_valid(spec->availability_zone))
        return INVALID(error, "instance metadata: the region and zone must be "
                                 "lower-case names like 'us-east-1' and 'us-east-1a'");
    f->account_id = spec->account_id ? spec->account_id : "000000000000";
    if (strlen(f->account_id) != 12 || strspn(f->account_id, "0123456789") != 12)
        return INVALID(error, "instance metadata: the account id must be 12 digits");
    return check_network(spec, f, error);
}

static const char *
strip_dev(const char *device)
{
    return g_str_has_prefix(device, "/dev/") ? device + 5 : device;
}

/* The Kind ami-run gave the disk of @volume_id (AmiRun.Disks), NULL when unknown. */
static const char *
disk_kind(const json_t *instance, const char *volume_id)
{
    json_t *disks = json_object_get(json_object_get(instance, "AmiRun"), "Disks"), *d;
    size_t i;

    json_array_foreach(disks, i, d) {
        if (volume_id && g_strcmp0(json_string_value(json_object_get(d, "VolumeId")),
                                   volume_id) == 0)
            return json_string_value(json_object_get(d, "Kind"));
    }
    return NULL;
}

/*
 * block-device-mapping/: ami and root name the root device (ami without "/dev/", root
 * with it, as EC2 shows them), ebsN the other EBS volumes from 1, ephemeralN the
 * instance-store volumes from 0, in mapping order.
 */
static void
add_block_devices(ImdsNode *md, const AmiImdsSpec *spec, const Facts *f)
{
    ImdsNode *dir = dir_add(md, "block-device-mapping");
    json_t *bdms = json_object_get(spec->instance, "BlockDeviceMappings"), *m;
    g_autoptr(GPtrArray) ephemeral = g_ptr_array_new();
    guint ebs = 0;
    size_t i;

    if (f->root_device)
        leaf_add(dir, "ami", strip_dev(f->root_device));
    json_array_foreach(bdms, i, m) {
        const char *name = json_string_value(json_object_get(m, "DeviceName"));
        const char *vol = json_string_value(json_object_get(json_object_get(m, "Ebs"), "VolumeId"));
        g_autofree char *key = NULL;

        if (!name || !is_clean(name) || g_strcmp0(name, f->root_device) == 0)
            continue;
        if (g_strcmp0(disk_kind(spec->instance, vol), "ephemeral") == 0) {
            g_ptr_array_add(ephemeral, (gpointer)name);
            continue;
        }
        key = g_strdup_printf("ebs%u", ++ebs);
        leaf_add(dir, key, strip_dev(name));
    }
    for (i = 0; i < ephemeral->len; i++) {
        g_autofree char *key = g_strdup_printf("ephemeral%u", (guint)i);

        leaf_add(dir, key, strip_dev(ephemeral->pdata[i]));
    }
    if (f->root_device)
        leaf_add(dir, "root", f->root_device);
}

static char *
derived_id(const char *given, const char *prefix, const Facts *f)
{
    return given ? g_strdup(given) : ami_net_derived_id(prefix, f->instance_id);
}

/* network/interfaces/macs/<mac>/: the one NIC, device 0 on network card 0. */
static void
add_network(ImdsNode *md, const AmiImdsSpec *spec, const Facts *f)
{
    const AmiImdsNetwork *n = &spec->net;
    ImdsNode *macs = dir_add(dir_add(dir_add(md, "network"), "interfaces"), "macs");
    ImdsNode *nic = dir_add(macs, n->mac);
    g_autofree char *eni = derived_id(n->interface_id, "eni-", f);
    g_autofree char *sg = derived_id(n->security_group_id, "sg-", f);
    g_autofree char *subnet = derived_id(n->subnet_id, "subnet-", f);
    g_autofree char *vpc = derived_id(n->vpc_id, "vpc-", f);

    leaf_add(nic, "device-number", "0");
    leaf_add(nic, "interface-id", eni);
    leaf_add(nic, "local-hostname", f->local_hostname);
    leaf_add(nic, "local-ipv4s", n->private_ipv4);
    leaf_add(nic, "mac", n->mac);
    leaf_add(nic, "network-card", "0");
    leaf_add(nic, "owner-id", f->account_id);
    if (n->public_ipv4) {
        leaf_add(nic, "public-hostname", f->public_hostname);
        leaf_add(nic, "public-ipv4s", n->public_ipv4);
    }
    leaf_add(nic, "security-group-ids", sg);
    leaf_add(nic, "security-groups", n->security_group_name ? n->security_group_name : "default");
    leaf_add(nic, "subnet-id", subnet);
    leaf_add(nic, "subnet-ipv4-cidr-block", n->subnet_cidr);
    leaf_add(nic, "vpc-id", vpc);
    leaf_add(nic, "vpc-ipv4-cidr-block", n->vpc_cidr);
    leaf_add(nic, "vpc-ipv4-cidr-blocks", n->vpc_cidr);
}

/* public-keys/: "N=name" lines; N/ lists the formats (only openssh-key). */
static gboolean
add_public_keys(ImdsNode *md, const AmiImdsSpec *spec, GError **error)
{
    ImdsNode *dir;

    if (spec->n_public_keys == 0)
        return TRUE;
    dir = dir_add(md, "public-keys");
    for (gsize i = 0; i < spec->n_public_keys; i++) {
        const AmiImdsPublicKey *k = &spec->public_keys[i];
        g_autofree char *index = g_strdup_printf("%" G_GSIZE_FORMAT, i);
        ImdsNode *key;

        if (!check_value("a key pair name", k->name, TRUE, error) ||
            !check_value("a public key", k->openssh_key, TRUE, error))
            return FALSE;
        key = dir_add(dir, index);
        key->label = g_strdup_printf("%s=%s", index, k->name);
        leaf_add(key, "openssh-key", k->openssh_key);
    }
    return TRUE;
}

/*
 * EC2 (Using_Tags.md, "allow access to tags in IMDS"): with tags in the metadata, keys
 * may only use letters, digits and + - = . , _ : @, and may not be "." or ".." or
 * "_index"; EC2 refuses such an instance, and so do we.
 */
static gboolean
tag_key_is_valid(const char *k)
{
    size_t n = strlen(k);

    for (const char *c = k; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("+-=.,_:@", *c))
            return FALSE;
    }
    return n > 0 && strcmp(k, ".") != 0 && strcmp(k, "..") != 0 && strcmp(k, "_index") != 0;
}

static gboolean
add_tags(ImdsNode *md, const AmiImdsSpec *spec, GError **error)
{
    json_t *tags = json_object_get(spec->instance, "Tags"), *t;
    ImdsNode *dir = dir_add(dir_add(md, "tags"), "instance");
    size_t i;

    if (tags && !json_is_null(tags) && !ami_tags_validate(tags, "Tags", error))
        return FALSE;
    json_array_foreach(tags, i, t) {
        const char *key = json_string_value(json_object_get(t, "Key"));
        const char *value = json_string_value(json_object_get(t, "Value"));

        if (!key || !tag_key_is_valid(key))
            return INVALID(error, "instance metadata: tag key '%s' cannot be served "
                                     "(letters, digits and + - = . , _ : @ only)",
                                     key ? key : "");
        if (imds_node_child(dir, key))
            continue;
        leaf_add(dir, key, value ? value : "");
    }
    return TRUE;
}

static void
add_placement_and_services(ImdsNode *md, const AmiImdsSpec *spec, gboolean services)
{
    const char *r = spec->region;
    ImdsNode *dir;

    if (!services) {
        dir = dir_add(md, "placement");
        leaf_add(dir, "availability-zone", spec->availability_zone);
        if (spec->availability_zone_id)
            leaf_add(dir, "availability-zone-id", spec->availability_zone_id);
        leaf_add(dir, "region", r);
        return;
    }
    /* The partition and its DNS suffix follow from the region's prefix. */
    dir = dir_add(md, "services");
    leaf_add(dir, "domain", g_str_has_prefix(r, "cn-") ? "amazonaws.com.cn" : "amazonaws.com");
    leaf_add(dir, "partition", g_str_has_prefix(r, "cn-")       ? "aws-cn"
                               : g_str_has_prefix(r, "us-gov-") ? "aws-us-gov"
                                                                : "aws");
}

/* The AMI's marketplace product codes (ProductCodes of type marketplace), in order. */
static GPtrArray *
marketplace_codes(const AmiImdsSpec *spec)
{
    GPtrArray *codes = g_ptr_array_new();
    json_t *pcs = json_object_get(spec->image, "ProductCodes"), *pc;
    size_t i;

    json_array_foreach(pcs, i, pc) {
        const char *id = json_string_value(json_object_get(pc, "ProductCodeId"));
        const char *type = json_string_value(json_object_get(pc, "ProductCodeType"));

        if (id && is_clean(id) && g_strcmp0(type, "marketplace") == 0)
            g_ptr_array_add(codes, (gpointer)id);
    }
    return codes;
}

static gboolean
add_meta_data(ImdsNode *root, const AmiImdsSpec *spec, const Facts *f, GError **error)
{
    ImdsNode *md = dir_add(root, "meta-data");
    g_autoptr(GPtrArray) codes = marketplace_codes(spec);
    g_autofree char *reservation = g_strconcat("r-", f->hex, NULL);
    g_autofree char *product_codes = NULL;

    md->label = g_strdup("meta-data");
    g_ptr_array_add(codes, NULL);
    product_codes = g_strjoinv("\n", (char **)codes->pdata);
    leaf_add(md, "ami-id", f->image_id);
    leaf_add(md, "ami-launch-index", "0");
    /* "If you used an Amazon EBS-backed AMI … the returned result is unknown". */
    leaf_add(md, "ami-manifest-path", "(unknown)");
    add_block_devices(md, spec, f);
    leaf_add(md, "hostname", f->local_hostname);
    leaf_add(md, "instance-action", "none");
    leaf_add(md, "instance-id", f->instance_id);
    leaf_add(md, "instance-life-cycle", "on-demand");
    leaf_add(md, "instance-type", f->instance_type);
    if (f->kernel_id)
        leaf_add(md, "kernel-id", f->kernel_id);
    leaf_add(md, "local-hostname", f->local_hostname);
    leaf_add(md, "local-ipv4", spec->net.private_ipv4);
    leaf_add(md, "mac", spec->net.mac);
    add_network(md, spec, f);
    add_placement_and_services(md, spec, FALSE);
    if (*product_codes)
        leaf_add(md, "product-codes", product_codes);
    if (spec->net.public_ipv4) {
        leaf_add(md, "public-hostname", f->public_hostname);
        leaf_add(md, "public-ipv4", spec->net.public_ipv4);
    }
    if (!add_public_keys(md, spec, error))
        return FALSE;
    if (f->ramdisk_id)
        leaf_add(md, "ramdisk-id", f->ramdisk_id);
    leaf_add(md, "reservation-id", reservation);
    leaf_add(md, "security-groups",
             spec->net.security_group_name ? spec->net.security_group_name : "default");
    add_placement_and_services(md, spec, TRUE);
    return !f->tags_enabled || add_tags(md, spec, error);
}

/* One `  "key" : value` line of the identity document, in EC2's (Jackson's) layout. */
static void
doc_member(GString *doc, const char *key, const char *value, gboolean last)
{
    g_autoptr(json_t) v = value ? json_string(value) : json_null();
    g_autofree char *text = json_dumps(v, JSON_ENCODE_ANY);

    g_string_append_printf(doc, "  \"%s\" : %s%s\n", key, text, last ? "" : ",");
}

static char *
identity_document(const AmiImdsSpec *spec, const Facts *f)
{
    g_autoptr(GString) doc = g_string_new("{\n");
    g_autoptr(GPtrArray) codes = marketplace_codes(spec);

    doc_member(doc, "accountId", f->account_id, FALSE);
    doc_member(doc, "architecture", f->arch, FALSE);
    doc_member(doc, "availabilityZone", spec->availability_zone, FALSE);
    doc_member(doc, "billingProducts", NULL, FALSE);
    doc_member(doc, "devpayProductCodes", NULL, FALSE);
    if (codes->len) {
        g_string_append(doc, "  \"marketplaceProductCodes\" : [ ");
        for (guint i = 0; i < codes->len; i++) {
            g_autoptr(json_t) v = json_string(codes->pdata[i]);
            g_autofree char *text = json_dumps(v, JSON_ENCODE_ANY);

            g_string_append_printf(doc, "%s%s", i ? ", " : "", text);
        }
        g_string_append(doc, " ],\n");
    } else {
        doc_member(doc, "marketplaceProductCodes", NULL, FALSE);
    }
    doc_member(doc, "imageId", f->image_id, FALSE);
    doc_member(doc, "instanceId", f->instance_id, FALSE);
    doc_member(doc, "instanceType", f->instance_type, FALSE);
    doc_member(doc, "kernelId", f->kernel_id, FALSE);
    doc_member(doc, "pendingTime", f->pending_time, FALSE);
    doc_member(doc, "privateIp", spec->net.private_ipv4, FALSE);
    doc_member(doc, "ramdiskId", f->ramdisk_id, FALSE);
    doc_member(doc, "region", spec->region, FALSE);
    doc_member(doc, "version", "2017-09-30", TRUE);
    g_string_append(doc, "}");
    return g_string_free(g_steal_pointer(&doc), FALSE);
}

/*
 * dynamic/instance-identity/: the document, and the signatures the caller made over it
 * with the store's keys (src/host/identity.c); without them they are not listed and
 * are 404 rather than faked.
 */
static void
add_dynamic(ImdsNode *root, const AmiImdsSpec *spec, const Facts *f)
{
    ImdsNode *dynamic = dir_add(root, "dynamic");
    ImdsNode *identity = dir_add(dynamic, "instance-identity");
    g_autofree char *doc = identity_document(spec, f);

    dynamic->label = g_strdup("dynamic");
    leaf_add(identity, "document", doc);
    if (spec->identity_pkcs7)
        leaf_add(identity, "pkcs7", spec->identity_pkcs7);
    if (spec->identity_rsa2048)
        leaf_add(identity, "rsa2048", spec->identity_rsa2048);
    if (spec->identity_signature)
        leaf_add(identity, "signature", spec->identity_signature);
}

char *
ami_imds_identity_document(const AmiImdsSpec *spec, GError **error)
{
    g_autoptr(AmiImdsContext) ctx = g_new0(AmiImdsContext, 1);
    Facts f = {.spec = spec};
    char *doc = NULL;

    if (read_facts(spec, &f, error) && read_options(spec, ctx, &f, error))
        doc = identity_document(spec, &f);
    facts_clear(&f);
    return doc;
}

AmiImdsContext *
ami_imds_context_new(const AmiImdsSpec *spec, GError **error)
{
    g_autoptr(AmiImdsContext) ctx = g_new0(AmiImdsContext, 1);
    Facts f = {.spec = spec};
    gboolean ok;

    ok = read_facts(spec, &f, error) && read_options(spec, ctx, &f, error);
    if (ok && (!spec->token_secret || g_bytes_get_size(spec->token_secret) < AMI_IMDS_SECRET_MIN))
        ok = INVALID(error, "instance metadata: the token secret must be at least %d bytes",
                     AMI_IMDS_SECRET_MIN);
    if (ok && spec->user_data && g_bytes_get_size(spec->user_data) > AMI_USER_DATA_MAX)
        ok = INVALID(error, "instance metadata: user data is over 16 KB");
    if (ok) {
        /* /latest/ lists dynamic, meta-data, user-data without trailing slashes, as EC2. */
        ctx->root = dir_add(NULL, "");
        add_dynamic(ctx->root, spec, &f);
        ok = add_meta_data(ctx->root, spec, &f, error);
    }
    /* Empty user data is no user data: EC2 answers 404 then. */
    if (ok && spec->user_data && g_bytes_get_size(spec->user_data) > 0)
        leaf_add_bytes(ctx->root, "user-data", spec->user_data, "application/octet-stream");
    if (ok)
        ctx->secret = g_bytes_ref(spec->token_secret);
    facts_clear(&f);
    return ok ? g_steal_pointer(&ctx) : NULL;
}

AmiImdsHttpTokens
ami_imds_context_http_tokens(const AmiImdsContext *ctx)
{
    return ctx->http_tokens;
}
