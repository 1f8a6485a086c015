/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What an instance's network looks like from outside (docs/network.md): the region and
 * its names, the ids EC2 gives the subnet, VPC and interface, the host loopback address
 * that plays the instance's public IP, the network mode, the metadata options, and the
 * describe-instances fields that follow from them.  Pure: ids and choices in, values out.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

#define AMI_REGION_DEFAULT "us-east-1"

/* run --network: a public subnet's NAT, only IMDS/DNS/forwarded ports, or no NIC. */
typedef enum {
    AMI_NET_MODE_NAT,
    AMI_NET_MODE_ISOLATED,
    AMI_NET_MODE_NONE,
    AMI_NET_MODE_LAST
} AmiNetMode;

/* run --metadata-source: which of EC2's IMDS and the NoCloud seed the guest gets. */
typedef enum {
    AMI_METADATA_BOTH,
    AMI_METADATA_IMDS,
    AMI_METADATA_NOCLOUD,
    AMI_METADATA_LAST
} AmiMetadataSource;

const char *ami_net_mode_to_string(AmiNetMode v);
gboolean ami_net_mode_from_string(const char *s, AmiNetMode *ret);
const char *ami_metadata_source_to_string(AmiMetadataSource v);
gboolean ami_metadata_source_from_string(const char *s, AmiMetadataSource *ret);

/**
 * ami_region_pick() - @flag (--region) if given, else the first non-empty of
 * @aws_region (AWS_REGION) and @aws_default_region (AWS_DEFAULT_REGION), else
 * "us-east-1", as the AWS CLI picks it.  Returns one of its arguments or the static default.
 */
const char *ami_region_pick(const char *flag, const char *aws_region,
                            const char *aws_default_region);

/**
 * ami_region_check() - FALSE with AMI_ERROR_INVALID unless @region looks like an AWS
 * region name (lower-case letters, digits and dashes, `xx-name-N`, at most 32 bytes).
 */
gboolean ami_region_check(const char *region, GError **error);

/** ami_region_zone() - the instance's availability zone, `<region>a` (new string). */
char *ami_region_zone(const char *region);

/**
 * ami_region_dhcp_domain() - the DHCP domain EC2 gives in @region: `ec2.internal` in
 * us-east-1, else `<region>.compute.internal` (new string).
 */
char *ami_region_dhcp_domain(const char *region);

/**
 * ami_net_private_dns_name() - `ip-A-B-C-D.<the region's DHCP domain>` of host-order
 * @addr (new string).
 */
char *ami_net_private_dns_name(guint32 addr, const char *region);

/**
 * ami_net_derived_id() - the id of one of the instance's network objects: @prefix
 * ("eni-", "subnet-", "vpc-", "sg-") followed by the instance id's hex digits, as the
 * IMDS tree and describe-instances both show it (new string).
 */
char *ami_net_derived_id(const char *prefix, const char *instance_id);

/**
 * ami_net_public_ip_for() - the host loopback address that is the instance's public IP:
 * 127.100.X.Y with X 0..255 and Y 1..254, FNV-1a of @instance_id (host byte order).
 * Two instances may get the same address (1 in 65,024): their forwards then collide
 * only if they use the same port, and the second one's start says the port is taken.
 */
guint32 ami_net_public_ip_for(const char *instance_id);

typedef struct {
    const char *instance_id;
    const char *mac;         /* the NIC's */
    const char *region;
    guint32 private_ip;      /* host order */
    guint32 public_ip;       /* host order; 0: none */
} AmiNetFacts;

/**
 * ami_net_instance_fields() - the describe-instances members that describe the one
 * NIC (EC2 shape): PrivateIpAddress, PrivateDnsName, PublicIpAddress, PublicDnsName
 * (""), MacAddress, SubnetId, VpcId and NetworkInterfaces[0].  Merge it into the
 * record.  New reference.
 */
json_t *ami_net_instance_fields(const AmiNetFacts *facts);

/**
 * ami_metadata_options_parse() - `run --metadata-options` in the AWS CLI's shorthand
 * (`HttpTokens=required,HttpEndpoint=enabled`) or JSON, checked as EC2 checks
 * ModifyInstanceMetadataOptions (HttpTokens optional|required, HttpEndpoint and
 * InstanceMetadataTags enabled|disabled, HttpPutResponseHopLimit 1-64), completed with
 * the defaults for what is not given (@tokens_default: "optional", or "required" for an
 * ImdsSupport v2.0 image), in describe-instances' MetadataOptions shape.  @text NULL:
 * the defaults.  AMI_ERROR_INVALID for anything else.  New reference.
 */
json_t *ami_metadata_options_parse(const char *text, const char *tokens_default,
                                   GError **error);

G_END_DECLS
