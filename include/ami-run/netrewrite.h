/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The per-instance network's addresses (a default-VPC look) and the 1:1 address rewrite
 * between the guest and libslirp (docs/network.md).  libslirp only forwards guest
 * connections to addresses inside its virtual network (check_guestfwd), so EC2's fixed
 * link-local service addresses are swapped for in-network aliases on the way in and
 * back on the way out, with RFC 1624 incremental checksum updates.  Pure: frames in,
 * frames out, no sockets, no clock.
 */

#include <glib.h>

G_BEGIN_DECLS

/* IPv4 addresses here are host byte order: 0xa9fea9fe is 169.254.169.254. */
#define AMI_NET_IMDS_ADDR 0xa9fea9feu /* 169.254.169.254, EC2's instance metadata service */
#define AMI_NET_AMAZON_DNS_ADDR 0xa9fea9fdu /* 169.254.169.253, the Amazon DNS server */

/*
 * One instance's network, as a default VPC's first subnet: 172.31.0.0/20, the router at
 * base+1, the VPC resolver at VPC base+2 (here inside the subnet), and the IMDS alias at
 * the subnet's last usable address (AWS reserves the broadcast one, so no real
 * neighbour can have it).
 */
typedef struct {
    guint32 network;    /* 172.31.0.0 */
    guint prefix_len;   /* 20 */
    guint32 router;     /* 172.31.0.1, libslirp's vhost */
    guint32 resolver;   /* 172.31.0.2, libslirp's vnameserver */
    guint32 imds_alias; /* 172.31.15.254: 169.254.169.254 inside the network */
    guint32 guest;      /* the DHCP address, derived from the instance id */
} AmiNetLayout;

/**
 * ami_net_layout_for() - the layout of instance @instance_id (i-…): the guest's address
 * is 172.31.X.Y with X in 0..14 and Y in 4..239, a function of the id, so the same
 * instance gets the same address after stop/start.  Pure.
 */
void ami_net_layout_for(const char *instance_id, AmiNetLayout *ret);

/** ami_net_ipv4_to_string() - dotted quad of a host-order address (new string). */
char *ami_net_ipv4_to_string(guint32 addr);

/** ami_net_ipv4_netmask() - the host-order netmask of @prefix_len (0..32). */
guint32 ami_net_ipv4_netmask(guint prefix_len);

typedef enum {
    AMI_NET_PASS, /* hand the (possibly rewritten) frame on */
    AMI_NET_DROP, /* never deliver it */
    AMI_NET_VERDICT_LAST
} AmiNetVerdict;

/** ami_net_verdict_to_string() - "pass" or "drop". */
const char *ami_net_verdict_to_string(AmiNetVerdict v);

/* The rewrite state: which guest DNS flows went to 169.254.169.253 (their replies must
 * come back from it, not from the resolver they were sent to). */
typedef struct AmiNetRewrite AmiNetRewrite;

/* What the guest may reach besides the network's own services (run --network). */
typedef struct {
    gboolean isolated; /* only DHCP, the resolver, the IMDS and the router (forwarded ports) */
    gboolean no_imds;  /* 169.254.169.254 is dropped too (--metadata-source nocloud) */
} AmiNetPolicy;

/** ami_net_rewrite_new() - rewrite state for @layout and @policy (both copied; @policy
 * NULL: NAT with the IMDS); free it. */
AmiNetRewrite *ami_net_rewrite_new(const AmiNetLayout *layout, const AmiNetPolicy *policy);
void ami_net_rewrite_free(AmiNetRewrite *rw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiNetRewrite, ami_net_rewrite_free)

/**
 * ami_net_rewrite_from_guest() - an Ethernet frame the guest sent, rewritten in place
 * before libslirp sees it.  169.254.169.254: TCP port 80 becomes the IMDS alias, all
 * else is dropped.  169.254.169.253: UDP/TCP port 53 becomes the resolver, all else
 * dropped.  The alias itself, the rest of 169.254.0.0/16 (a host's own link-local
 * services: its IMDS, ECS credentials), 127.0.0.0/8 and 0.0.0.0/8 (both the host's
 * loopback once libslirp connect()s them) are dropped.  Under an isolated policy, IPv4
 * to anything but the router, the resolver's port 53, the IMDS and the DHCP broadcast
 * is dropped too (no outbound NAT).  ARP for the two
 * service addresses is rewritten the same way.  Other frames pass untouched; frames
 * shorter than an Ethernet header, and IPv4 it cannot parse, are dropped.
 */
AmiNetVerdict ami_net_rewrite_from_guest(AmiNetRewrite *rw, guint8 *frame, gsize len);

/**
 * ami_net_rewrite_to_guest() - a frame libslirp sends to the guest, rewritten in place:
 * the alias becomes 169.254.169.254 again, and the resolver becomes 169.254.169.253 for
 * the flows (and ARP requests) that were sent there.  Always AMI_NET_PASS today.
 */
AmiNetVerdict ami_net_rewrite_to_guest(AmiNetRewrite *rw, guint8 *frame, gsize len);

/**
 * ami_net_csum_replace32() - RFC 1624 eqn. 3: the Internet checksum @check (as read,
 * big-endian) after a 32-bit field of the covered data changed from @from to @to.
 */
guint16 ami_net_csum_replace32(guint16 check, guint32 from, guint32 to);

G_END_DECLS
