/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The instance's network as EC2 describes it (netinfo.h, docs/network.md).  Region names
 * and hostnames follow the EC2 user guide ("Amazon EC2 instance hostname types": us-east-1
 * is ec2.internal, every other region <region>.compute.internal).
 */
#include <string.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/netinfo.h"
#include "ami-run/netrewrite.h"
#include "ami-run/shorthand.h"

static const char *const mode_names[AMI_NET_MODE_LAST] = {"nat", "isolated", "none"};
static const char *const source_names[AMI_METADATA_LAST] = {"both", "imds", "nocloud"};

const char *
ami_net_mode_to_string(AmiNetMode v)
{
    return (guint)v < AMI_NET_MODE_LAST ? mode_names[v] : NULL;
}

gboolean
ami_net_mode_from_string(const char *s, AmiNetMode *ret)
{
    for (guint i = 0; s && i < AMI_NET_MODE_LAST; i++) {
        if (strcmp(s, mode_names[i]) == 0) {
            *ret = (AmiNetMode)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ami_metadata_source_to_string(AmiMetadataSource v)
{
    return (guint)v < AMI_METADATA_LAST ? source_names[v] : NULL;
}

gboolean
ami_metadata_source_from_string(const char *s, AmiMetadataSource *ret)
{
    for (guint i = 0; s && i < AMI_METADATA_LAST; i++) {
        if (strcmp(s, source_names[i]) == 0) {
            *ret = (AmiMetadataSource)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
ami_region_pick(const char *flag, const char *aws_region, const char *aws_default_region)
{
    if (flag) /* given, even empty: checked, not ignored */
        return flag;
    if (aws_region && *aws_region)
        return aws_region;
    if (aws_default_region && *aws_default_region)
        return aws_default_region;
    return AMI_REGION_DEFAULT;
}

gboolean
ami_region_check(const char *region, GError **error)
{
    gsize n = strlen(region);
    gboolean ok = n >= 4 && n <= 32 && g_ascii_islower(region[0]) &&
                  g_ascii_isdigit(region[n - 1]) && region[n - 2] == '-' &&
                  strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
                  !strstr(region, "--") && strchr(region, '-') != region + n - 2;

    if (!ok)
        return ami_error_invalid(error, "--region '%.40s' is not an AWS region name (e.g. "
                                 "us-east-1, eu-west-3)", region);
    return TRUE;
}

char *
ami_region_zone(const char *region)
{
    return g_strconcat(region, "a", NULL);
}

char *
ami_region_dhcp_domain(const char *region)
{
    if (strcmp(region, "us-east-1") == 0)
        return g_strdup("ec2.internal");
    return g_strconcat(region, ".compute.internal", NULL);
}

char *
ami_net_private_dns_name(guint32 a, const char *region)
{
    g_autofree char *domain = ami_region_dhcp_domain(region);

    return g_strdup_printf("ip-%u-%u-%u-%u.%s", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                           a & 0xff, domain);
}

char *
ami_net_derived_id(const char *prefix, const char *instance_id)
{
    const char *hex = g_str_has_prefix(instance_id, "i-") ? instance_id + 2 : instance_id;

    return g_strconcat(prefix, hex, NULL);
}

guint32
ami_net_public_ip_for(const char *instance_id)
{
    guint32 h = 2166136261u; /* FNV-1a, as the private address (netrewrite.c) */

    for (const char *p = instance_id ? instance_id : ""; *p; p++)
        h = (h ^ (guint8)*p) * 16777619u;
    /* 127.100.0.0/16 minus .0 and .255 host parts; 127/8 is all loopback on Linux. */
    return 0x7f640000u + (((h >> 8) & 0xff) << 8) + 1 + (h & 0xff) % 254;
}

json_t *
ami_net_instance_fields(const AmiNetFacts *f)
{
    g_autofree char *ip = ami_net_ipv4_to_string(f->private_ip);
    g_autofree char *dns = ami_net_private_dns_name(f->private_ip, f->region);
    g_autofree char *pub = f->public_ip ? ami_net_ipv4_to_string(f->public_ip) : NULL;
    g_autofree char *eni = ami_net_derived_id("eni-", f->instance_id);
    g_autofree char *subnet = ami_net_derived_id("subnet-", f->instance_id);
    g_autofree char *vpc = ami_net_derived_id("vpc-", f->instance_id);
    g_autofree char *sg = ami_net_derived_id("sg-", f->instance_id);
    json_t *assoc = pub ? json_pack("{s:s, s:s, s:s}", "PublicIp", pub, "PublicDnsName", "",
                                    "IpOwnerId", "amazon")
                        : NULL;
    json_t *addr = json_pack("{s:b, s:s, s:s}", "Primary", 1, "PrivateIpAddress", ip,
                             "PrivateDnsName", dns);
    json_t *nic, *out;

    if (assoc)
        json_object_set(addr, "Association", assoc);
    nic = json_pack("{s:{s:s, s:i, s:s, s:b}, s:s, s:[{s:s, s:s}], s:s, s:s, s:s, s:s, s:s, "
                    "s:[o], s:s, s:s, s:s}",
                    "Attachment", "AttachmentId", "eni-attach-0", "DeviceIndex", 0, "Status",
                    "attached", "DeleteOnTermination", 1, "Description", "", "Groups",
                    "GroupId", sg, "GroupName", "default", "InterfaceType", "interface",
                    "MacAddress", f->mac, "NetworkInterfaceId", eni, "PrivateDnsName", dns,
                    "PrivateIpAddress", ip, "PrivateIpAddresses", addr, "Status", "in-use",
                    "SubnetId", subnet, "VpcId", vpc);
    if (assoc)
        json_object_set(nic, "Association", assoc);
    json_decref(assoc);
    out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[o]}", "PrivateIpAddress", ip,
                    "PrivateDnsName", dns, "PublicDnsName", "", "MacAddress", f->mac,
                    "SubnetId", subnet, "VpcId", vpc, "NetworkInterfaces", nic);
    if (pub)
        json_object_set_new(out, "PublicIpAddress", json_string(pub));
    return out;
}

/* One option's value as a string ("2" from the shorthand, 2 from JSON), or NULL. */
static const char *
option_text(json_t *v, char buf[32])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        g_snprintf(buf, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    }
    return NULL;
}

static gboolean
check_choice(json_t *given, const char *key, const char *a, const char *b, json_t *out,
             GError **error)
{
    json_t *v = json_object_get(given, key);
    const char *s = json_string_value(v);

    if (!v)
        return TRUE;
    if (!s || (strcmp(s, a) != 0 && strcmp(s, b) != 0))
        return ami_error_invalid(error, "--metadata-options: %s must be %s or %s", key, a, b);
    json_object_set_new(out, key, json_string(s));
    return TRUE;
}

json_t *
ami_metadata_options_parse(const char *text, const char *tokens_default, GError **error)
{
    static const char *const known[] = {"HttpTokens", "HttpEndpoint", "InstanceMetadataTags",
                                        "HttpPutResponseHopLimit", "HttpProtocolIpv6", NULL};
    gboolean required = g_strcmp0(tokens_default, "required") == 0;
    g_autoptr(json_t) given = NULL;
    g_autoptr(json_t) out = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "State", "applied",
                                      "HttpTokens", required ? "required" : "optional",
                                      "HttpPutResponseHopLimit", required ? 2 : 1,
                                      "HttpEndpoint", "enabled", "HttpProtocolIpv6", "disabled",
                                      "InstanceMetadataTags", "disabled");
    json_t *hop;
    const char *key;
    json_t *v;
    char buf[32];
    guint64 n;

    if (!text)
        return g_steal_pointer(&out);
    given = text[0] == '{' ? ami_json_load_string(text, "--metadata-options", error)
                           : ami_shorthand_parse(text, error);
    if (!given)
        return NULL;
    if (!json_is_object(given)) {
        ami_error_invalid(error, "--metadata-options must be Key=Value pairs or a JSON object");
        return NULL;
    }
    json_object_foreach(given, key, v) {
        if (!g_strv_contains(known, key)) {
            ami_error_invalid(error, "--metadata-options: unknown option '%.40s' (HttpTokens, "
                              "HttpEndpoint, InstanceMetadataTags, HttpPutResponseHopLimit)", key);
            return NULL;
        }
    }
    if (!check_choice(given, "HttpTokens", "optional", "required", out, error) ||
        !check_choice(given, "HttpEndpoint", "enabled", "disabled", out, error) ||
        !check_choice(given, "InstanceMetadataTags", "enabled", "disabled", out, error) ||
        !check_choice(given, "HttpProtocolIpv6", "enabled", "disabled", out, error))
        return NULL;
    if ((hop = json_object_get(given, "HttpPutResponseHopLimit"))) {
        const char *s = option_text(hop, buf);

        if (!s || !g_ascii_string_to_unsigned(s, 10, 1, 64, &n, NULL)) {
            ami_error_invalid(error, "--metadata-options: HttpPutResponseHopLimit must be a "
                              "whole number from 1 to 64");
            return NULL;
        }
        json_object_set_new(out, "HttpPutResponseHopLimit", json_integer((json_int_t)n));
    }
    return g_steal_pointer(&out);
}
