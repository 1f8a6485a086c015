/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The address rewrite between the guest and libslirp (netrewrite.h, docs/network.md).
 * Frames are Ethernet II without VLAN tags, as QEMU's -netdev stream carries them;
 * virtio-net over a stream netdev has no vnet header, so the guest computes every
 * checksum itself and an incremental update keeps them right (RFC 1624).
 */
#include <string.h>

#include "ami-run/netrewrite.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PORT_HTTP 80
#define PORT_DNS 53
#define LINK_LOCAL_NET 0xa9fe0000u /* 169.254.0.0/16 */
#define LOOPBACK_NET 0x7f000000u   /* 127.0.0.0/8 */
/* DNS flows to 169.254.169.253 remembered at once; the oldest is forgotten first. */
#define FLOWS_MAX 64

typedef struct {
    guint8 proto;
    guint32 addr; /* the guest's address and port of the flow */
    guint16 port;
    gboolean used;
} Flow;

struct AmiNetRewrite {
    AmiNetLayout layout;
    AmiNetPolicy policy;
    Flow flows[FLOWS_MAX];
    guint next_flow;
    guint arp_dns_pending; /* ARP requests for .253 that slirp has yet to answer */
};

/* Where an IPv4 packet's fields are, once checked to be inside the frame. */
typedef struct {
    guint8 *ip;
    gsize ip_len;     /* header length */
    gsize total;      /* the packet's length (total-length field) */
    guint8 proto;
    gboolean whole;   /* not a fragment: ports are there */
    guint8 *l4;       /* TCP/UDP header, NULL when absent or too short */
} Ip4;

static guint16
get16(const guint8 *p)
{
    return (guint16)((p[0] << 8) | p[1]);
}

static guint32
get32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static void
put16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
put32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

guint16
ami_net_csum_replace32(guint16 check, guint32 from, guint32 to)
{
    /* HC' = ~(~HC + ~m + m'), summed in 16-bit words with end-around carry. */
    guint32 sum = (guint16)~check;

    sum += (guint16)~(from >> 16);
    sum += (guint16)~(from & 0xffff);
    sum += to >> 16;
    sum += to & 0xffff;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

guint32
ami_net_ipv4_netmask(guint prefix_len)
{
    if (prefix_len == 0)
        return 0;
    if (prefix_len >= 32)
        return 0xffffffffu;
    return 0xffffffffu << (32 - prefix_len);
}

char *
ami_net_ipv4_to_string(guint32 a)
{
    return g_strdup_printf("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

void
ami_net_layout_for(const char *instance_id, AmiNetLayout *ret)
{
    guint32 h = 2166136261u; /* FNV-1a: fixed here, so an instance keeps its address */

    for (const char *p = instance_id ? instance_id : ""; *p; p++)
        h = (h ^ (guint8)*p) * 16777619u;
    ret->network = 0xac1f0000u; /* 172.31.0.0 */
    ret->prefix_len = 20;
    ret->router = ret->network + 1;
    ret->resolver = ret->network + 2;
    ret->imds_alias = ret->network + 0x0ffe; /* 172.31.15.254 */
    /* X.Y with X 0..14, Y 4..239: clear of .0-.3 (AWS reserves them), of the alias, and
     * room for libslirp's 16 leases after it. */
    ret->guest = ret->network + ((h % 15) << 8) + 4 + (h / 15) % 236;
}

const char *
ami_net_verdict_to_string(AmiNetVerdict v)
{
    switch (v) {
    case AMI_NET_PASS:
        return "pass";
    case AMI_NET_DROP:
        return "drop";
    case AMI_NET_VERDICT_LAST:
        break;
    }
    return NULL;
}

AmiNetRewrite *
ami_net_rewrite_new(const AmiNetLayout *layout, const AmiNetPolicy *policy)
{
    AmiNetRewrite *rw = g_new0(AmiNetRewrite, 1);

    rw->layout = *layout;
    if (policy)
        rw->policy = *policy;
    return rw;
}

void
ami_net_rewrite_free(AmiNetRewrite *rw)
{
    g_free(rw);
}

static Flow *
flow_find(AmiNetRewrite *rw, guint8 proto, guint32 addr, guint16 port)
{
    for (guint i = 0; i < FLOWS_MAX; i++) {
        Flow *f = &rw->flows[i];

        if (f->used && f->proto == proto && f->addr == addr && f->port == port)
            return f;
    }
    return NULL;
}

static void
flow_remember(AmiNetRewrite *rw, guint8 proto, guint32 addr, guint16 port)
{
    Flow *f = flow_find(rw, proto, addr, port);

    if (!f) {
        f = &rw->flows[rw->next_flow];
        rw->next_flow = (rw->next_flow + 1) % FLOWS_MAX;
    }
    *f = (Flow){.proto = proto, .addr = addr, .port = port, .used = TRUE};
}

static void
flow_forget(AmiNetRewrite *rw, guint8 proto, guint32 addr, guint16 port)
{
    Flow *f = flow_find(rw, proto, addr, port);

    if (f)
        f->used = FALSE;
}

/* Parse the IPv4 packet in @frame; FALSE when it is not one or does not fit. */
static gboolean
ip4_parse(guint8 *frame, gsize len, Ip4 *ret)
{
    guint8 *ip = frame + ETH_HLEN;
    gsize hl, total;
    guint16 frag;

    if (len < ETH_HLEN + 20 || get16(frame + 12) != ETHERTYPE_IPV4 || (ip[0] >> 4) != 4)
        return FALSE;
    hl = (gsize)(ip[0] & 0x0f) * 4;
    total = get16(ip + 2);
    if (hl < 20 || total < hl || total > len - ETH_HLEN)
        return FALSE;
    frag = get16(ip + 6);
    *ret = (Ip4){.ip = ip, .ip_len = hl, .total = total, .proto = ip[9],
                 .whole = (frag & 0x3fff) == 0};
    /* Only the first fragment has the transport header (and its checksum field). */
    if ((frag & 0x1fff) == 0 &&
        ((ret->proto == PROTO_TCP && total >= hl + 20) || (ret->proto == PROTO_UDP && total >= hl + 8)))
        ret->l4 = ip + hl;
    return TRUE;
}

static guint16
l4_sport(const Ip4 *p)
{
    return p->l4 ? get16(p->l4) : 0;
}

static guint16
l4_dport(const Ip4 *p)
{
    return p->l4 ? get16(p->l4 + 2) : 0;
}

/* Replace the address at @off (12 source, 16 destination) and fix both checksums. */
static void
ip4_set_addr(Ip4 *p, gsize off, guint32 to)
{
    guint32 from = get32(p->ip + off);
    guint8 *csum = NULL;

    put32(p->ip + off, to);
    put16(p->ip + 10, ami_net_csum_replace32(get16(p->ip + 10), from, to));
    /* The TCP and UDP checksums cover a pseudo-header with both addresses. */
    if (p->l4 && p->proto == PROTO_TCP)
        csum = p->l4 + 16;
    else if (p->l4 && p->proto == PROTO_UDP)
        csum = p->l4 + 6;
    if (!csum)
        return;
    if (p->proto == PROTO_UDP && get16(csum) == 0)
        return; /* no checksum (RFC 768) */
    put16(csum, ami_net_csum_replace32(get16(csum), from, to));
    if (p->proto == PROTO_UDP && get16(csum) == 0)
        put16(csum, 0xffff); /* 0 would mean "none" */
}

static gboolean
is_dns(const Ip4 *p)
{
    return p->l4 && (p->proto == PROTO_UDP || p->proto == PROTO_TCP);
}

/*
 * run --network isolated: no outbound NAT.  What stays is the network's own: DHCP (the
 * broadcast, and unicast renewals to the router), DNS to the resolver (which libslirp
 * forwards to the host's), and the router itself, which is where forwarded ports'
 * connections come from (libslirp shows a host loopback peer as its vhost address,
 * sotranslate_accept()); the router's other ports are the host's loopback, which
 * disable_host_loopback refuses.  The IMDS was rewritten to its alias before this.
 */
static AmiNetVerdict
isolated_verdict(const AmiNetLayout *l, const Ip4 *p, guint32 dst)
{
    if (dst == l->router || dst == 0xffffffffu)
        return AMI_NET_PASS;
    if (dst == l->resolver && p->whole && is_dns(p) && l4_dport(p) == PORT_DNS)
        return AMI_NET_PASS;
    return AMI_NET_DROP;
}

static AmiNetVerdict
ip4_from_guest(AmiNetRewrite *rw, Ip4 *p)
{
    const AmiNetLayout *l = &rw->layout;
    guint32 dst = get32(p->ip + 16), src = get32(p->ip + 12);

    if (dst == AMI_NET_IMDS_ADDR) {
        if (rw->policy.no_imds || !p->whole || p->proto != PROTO_TCP || !p->l4 || l4_dport(p) != PORT_HTTP)
            return AMI_NET_DROP;
        ip4_set_addr(p, 16, l->imds_alias);
        return AMI_NET_PASS;
    }
    if (dst == AMI_NET_AMAZON_DNS_ADDR) {
        if (!p->whole || !is_dns(p) || l4_dport(p) != PORT_DNS)
            return AMI_NET_DROP;
        flow_remember(rw, p->proto, src, l4_sport(p));
        ip4_set_addr(p, 16, l->resolver);
        return AMI_NET_PASS;
    }
    if (dst == l->resolver && is_dns(p) && l4_dport(p) == PORT_DNS)
        flow_forget(rw, p->proto, src, l4_sport(p)); /* this flow talks to .2 now */
    /*
     * libslirp connect()s any destination that is not its own as is (tcp_input.c
     * TCPS_LISTEN, udp.c): 127/8 would reach the host's loopback past
     * disable_host_loopback (which only covers the router address), and so would
     * 0.0.0.0/8, which Linux connects to the local host.  A root guest can send both
     * (route_localnet, raw sockets).
     */
    if (dst == l->imds_alias || (dst & 0xffff0000u) == LINK_LOCAL_NET ||
        (dst & 0xff000000u) == LOOPBACK_NET || (dst & 0xff000000u) == 0)
        return AMI_NET_DROP;
    return rw->policy.isolated ? isolated_verdict(l, p, dst) : AMI_NET_PASS;
}

static AmiNetVerdict
ip4_to_guest(AmiNetRewrite *rw, Ip4 *p)
{
    const AmiNetLayout *l = &rw->layout;
    guint32 src = get32(p->ip + 12), dst = get32(p->ip + 16);

    if (src == l->imds_alias)
        ip4_set_addr(p, 12, AMI_NET_IMDS_ADDR);
    else if (src == l->resolver && is_dns(p) && l4_sport(p) == PORT_DNS &&
             flow_find(rw, p->proto, dst, l4_dport(p)))
        ip4_set_addr(p, 12, AMI_NET_AMAZON_DNS_ADDR);
    return AMI_NET_PASS;
}

/* The ARP payload if @frame is IPv4-over-Ethernet ARP, else NULL. */
static guint8 *
arp_parse(guint8 *frame, gsize len)
{
    guint8 *a = frame + ETH_HLEN;

    if (len < ETH_HLEN + ARP_LEN || get16(frame + 12) != ETHERTYPE_ARP || get16(a) != 1 ||
        get16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4)
        return NULL;
    return a;
}

/* ARP has no checksum: the target protocol address (offset 24) is swapped as is. */
static AmiNetVerdict
arp_from_guest(AmiNetRewrite *rw, guint8 *a)
{
    guint32 target = get32(a + 24);

    if (target == AMI_NET_IMDS_ADDR) {
        put32(a + 24, rw->layout.imds_alias);
    } else if (target == AMI_NET_AMAZON_DNS_ADDR) {
        put32(a + 24, rw->layout.resolver);
        if (get16(a + 6) == 1 && rw->arp_dns_pending < 16)
            rw->arp_dns_pending++;
    } else if (target == rw->layout.imds_alias) {
        return AMI_NET_DROP;
    }
    return AMI_NET_PASS;
}

/* The sender protocol address (offset 14) of slirp's ARP replies. */
static AmiNetVerdict
arp_to_guest(AmiNetRewrite *rw, guint8 *a)
{
    guint32 sender = get32(a + 14);

    if (sender == rw->layout.imds_alias) {
        put32(a + 14, AMI_NET_IMDS_ADDR);
    } else if (sender == rw->layout.resolver && get16(a + 6) == 2 && rw->arp_dns_pending > 0) {
        rw->arp_dns_pending--;
        put32(a + 14, AMI_NET_AMAZON_DNS_ADDR);
    }
    return AMI_NET_PASS;
}

AmiNetVerdict
ami_net_rewrite_from_guest(AmiNetRewrite *rw, guint8 *frame, gsize len)
{
    Ip4 p;
    guint8 *arp;

    if (ip4_parse(frame, len, &p))
        return ip4_from_guest(rw, &p);
    /* An IPv4 frame this cannot parse could hide any destination; slirp drops them too. */
    if (len < ETH_HLEN || get16(frame + 12) == ETHERTYPE_IPV4)
        return AMI_NET_DROP;
    if ((arp = arp_parse(frame, len)))
        return arp_from_guest(rw, arp);
    return AMI_NET_PASS;
}

AmiNetVerdict
ami_net_rewrite_to_guest(AmiNetRewrite *rw, guint8 *frame, gsize len)
{
    Ip4 p;
    guint8 *arp;

    if (ip4_parse(frame, len, &p))
        return ip4_to_guest(rw, &p);
    if ((arp = arp_parse(frame, len)))
        return arp_to_guest(rw, arp);
    return AMI_NET_PASS;
}
