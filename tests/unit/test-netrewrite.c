/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest <-> libslirp address rewrite on hand-built frames: every rewritten frame's
 * IPv4, TCP and UDP checksums are checked from scratch against the incremental update.
 */
#include <string.h>

#include "ami-run/netrewrite.h"
#include "test-util.h"

#define TCP 6
#define UDP 17
#define ICMP 1
#define GUEST_PORT 40000

static AmiNetLayout layout;

static int
setup(void **state)
{
    (void)state;
    ami_net_layout_for("i-0123456789abcdef0", &layout);
    return 0;
}

static guint32
sum16(const guint8 *p, gsize len, guint32 sum)
{
    for (gsize i = 0; i + 1 < len; i += 2)
        sum += (guint32)((p[i] << 8) | p[i + 1]);
    if (len & 1)
        sum += (guint32)(p[len - 1] << 8);
    return sum;
}

static guint16
fold(guint32 sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)sum;
}

static guint32
rd32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}

static void
wr16(guint8 *p, guint v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
wr32(guint8 *p, guint32 v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v & 0xffff);
}

/* The transport checksum over the pseudo-header and @seg. */
static guint16
l4_csum(const guint8 *ip, const guint8 *seg, gsize len)
{
    guint32 sum = sum16(ip + 12, 8, 0) + ip[9] + (guint32)len;

    return (guint16)~fold(sum16(seg, len, sum));
}

/* An Ethernet + IPv4 (+ TCP or UDP) frame with correct checksums; returns its length. */
static gsize
frame_ipv4(guint8 *f, guint32 src, guint32 dst, guint8 proto, guint sport, guint dport,
           const char *payload)
{
    gsize plen = strlen(payload), l4 = proto == TCP ? 20 : 8, total = 20 + l4 + plen;
    guint8 *ip = f + 14, *seg = ip + 20;

    memset(f, 0, 14 + total);
    memcpy(f, "\x52\x55\x0a\x00\x02\x02\x52\x54\x00\x12\x34\x56\x08\x00", 14);
    ip[0] = 0x45;
    wr16(ip + 2, (guint)total);
    wr16(ip + 4, 0x1234);
    wr16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = proto;
    wr32(ip + 12, src);
    wr32(ip + 16, dst);
    wr16(ip + 10, (guint16)~fold(sum16(ip, 20, 0)));
    wr16(seg, sport);
    wr16(seg + 2, dport);
    if (proto == TCP) {
        wr32(seg + 4, 0x01020304);
        seg[12] = 5 << 4;
        seg[13] = 0x02; /* SYN */
        wr16(seg + 14, 64240);
    } else {
        wr16(seg + 4, (guint)(8 + plen));
    }
    memcpy(seg + l4, payload, plen);
    if (proto == TCP || proto == UDP) {
        guint16 c = l4_csum(ip, seg, l4 + plen);

        wr16(seg + (proto == TCP ? 16 : 6), proto == UDP && c == 0 ? 0xffff : c);
    }
    return 14 + total;
}

static gsize
frame_arp(guint8 *f, guint op, guint32 sender, guint32 target)
{
    memset(f, 0, 42);
    memcpy(f, "\xff\xff\xff\xff\xff\xff\x52\x54\x00\x12\x34\x56\x08\x06", 14);
    memcpy(f + 14, "\x00\x01\x08\x00\x06\x04", 6);
    wr16(f + 20, op);
    memcpy(f + 22, "\x52\x54\x00\x12\x34\x56", 6);
    wr32(f + 28, sender);
    wr32(f + 38, target);
    return 42;
}

static void
assert_checksums_valid(const guint8 *f)
{
    const guint8 *ip = f + 14;
    gsize total = (gsize)((ip[2] << 8) | ip[3]);

    assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
    if (ip[9] == TCP || ip[9] == UDP) {
        guint32 sum = sum16(ip + 12, 8, 0) + ip[9] + (guint32)(total - 20);

        if (ip[9] == UDP && ip[20 + 6] == 0 && ip[20 + 7] == 0)
            return; /* none */
        assert_int_equal(fold(sum16(ip + 20, total - 20, sum)), 0xffff);
    }
}

#define SRC(f) rd32((f) + 14 + 12)
#define DST(f) rd32((f) + 14 + 16)

static void
test_netrewrite_imds_http_goes_to_the_alias_and_back(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 80, "GET / HTTP/1.1");

    (void)state;
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(DST(f), layout.imds_alias);
    assert_int_equal(SRC(f), layout.guest);
    assert_checksums_valid(f);
    n = frame_ipv4(f, layout.imds_alias, layout.guest, TCP, 80, GUEST_PORT, "HTTP/1.1 200 OK");
    assert_int_equal(ami_net_rewrite_to_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(SRC(f), AMI_NET_IMDS_ADDR);
    assert_checksums_valid(f);
}

static void
test_netrewrite_imds_other_ports_and_protocols_are_dropped(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256], copy[256];
    gsize n;

    (void)state;
    n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 443, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, UDP, GUEST_PORT, 80, "x");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, ICMP, 0, 0, "ping");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    /* A fragment has no ports to check. */
    n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 80, "");
    wr16(f + 14 + 6, 0x2000); /* MF */
    memcpy(copy, f, n);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    assert_memory_equal(f, copy, n);
}

static void
test_netrewrite_alias_link_local_and_loopback_are_unreachable(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint32 dsts[] = {0, 0xa9feaa02u /* 169.254.170.2, ECS credentials */,
                            0xa9fea97bu /* 169.254.169.123, time sync */, 0x7f000001u,
                            0x7f000035u, 0x00000000u, 0x00000001u};
    guint8 f[256];

    (void)state;
    dsts[0] = layout.imds_alias; /* the alias is only for 169.254.169.254 */
    for (gsize i = 0; i < G_N_ELEMENTS(dsts); i++) {
        gsize n = frame_ipv4(f, layout.guest, dsts[i], TCP, GUEST_PORT, 80, "");

        assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    }
}

static void
test_netrewrite_amazon_dns_replies_come_from_it(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n;

    (void)state;
    n = frame_ipv4(f, layout.guest, AMI_NET_AMAZON_DNS_ADDR, UDP, GUEST_PORT, 53, "query");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(DST(f), layout.resolver);
    assert_checksums_valid(f);
    n = frame_ipv4(f, layout.resolver, layout.guest, UDP, 53, GUEST_PORT, "answer");
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(SRC(f), AMI_NET_AMAZON_DNS_ADDR);
    assert_checksums_valid(f);
    /* Not DNS: dropped. */
    n = frame_ipv4(f, layout.guest, AMI_NET_AMAZON_DNS_ADDR, UDP, GUEST_PORT, 123, "ntp");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
}

static void
test_netrewrite_vpc_resolver_replies_keep_its_address(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n;

    (void)state;
    n = frame_ipv4(f, layout.guest, layout.resolver, UDP, GUEST_PORT + 1, 53, "query");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(DST(f), layout.resolver);
    n = frame_ipv4(f, layout.resolver, layout.guest, UDP, 53, GUEST_PORT + 1, "answer");
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(SRC(f), layout.resolver);
    /* A flow that moves from .253 to .2 gets .2's answers. */
    n = frame_ipv4(f, layout.guest, AMI_NET_AMAZON_DNS_ADDR, UDP, GUEST_PORT, 53, "q1");
    ami_net_rewrite_from_guest(rw, f, n);
    n = frame_ipv4(f, layout.guest, layout.resolver, UDP, GUEST_PORT, 53, "q2");
    ami_net_rewrite_from_guest(rw, f, n);
    n = frame_ipv4(f, layout.resolver, layout.guest, UDP, 53, GUEST_PORT, "a2");
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(SRC(f), layout.resolver);
}

static void
test_netrewrite_udp_without_checksum_stays_without(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n = frame_ipv4(f, layout.guest, AMI_NET_AMAZON_DNS_ADDR, UDP, GUEST_PORT, 53, "q");

    (void)state;
    wr16(f + 14 + 20 + 6, 0);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(f[14 + 20 + 6] | f[14 + 20 + 7], 0);
    assert_checksums_valid(f);
}

static void
test_netrewrite_arp_for_the_service_addresses(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[64];
    gsize n;

    (void)state;
    n = frame_arp(f, 1, layout.guest, AMI_NET_IMDS_ADDR);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(rd32(f + 38), layout.imds_alias);
    n = frame_arp(f, 2, layout.imds_alias, layout.guest);
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(rd32(f + 28), AMI_NET_IMDS_ADDR);
    /* .253 only for as many answers as were asked for; .2's own stay .2. */
    n = frame_arp(f, 1, layout.guest, AMI_NET_AMAZON_DNS_ADDR);
    ami_net_rewrite_from_guest(rw, f, n);
    assert_int_equal(rd32(f + 38), layout.resolver);
    n = frame_arp(f, 2, layout.resolver, layout.guest);
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(rd32(f + 28), AMI_NET_AMAZON_DNS_ADDR);
    n = frame_arp(f, 2, layout.resolver, layout.guest);
    ami_net_rewrite_to_guest(rw, f, n);
    assert_int_equal(rd32(f + 28), layout.resolver);
    n = frame_arp(f, 1, layout.guest, layout.imds_alias);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
}

static void
test_netrewrite_other_traffic_is_untouched(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256], copy[256];
    gsize n = frame_ipv4(f, layout.guest, 0x5db8d822u /* 93.184.216.34 */, TCP, GUEST_PORT, 80,
                         "GET");

    (void)state;
    memcpy(copy, f, n);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_memory_equal(f, copy, n);
    assert_int_equal(ami_net_rewrite_to_guest(rw, f, n), AMI_NET_PASS);
    assert_memory_equal(f, copy, n);
}

/* Every prefix of a frame: nothing is read or written past it, and only whole headers
 * are rewritten (ASan and valgrind hold the first half). */
static void
test_netrewrite_truncated_frames_are_safe(void **state)
{
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 80, "GET /");

    (void)state;
    for (gsize len = 0; len < n; len++) {
        g_autofree guint8 *cut = g_memdup2(f, len ? len : 1);
        AmiNetVerdict v = ami_net_rewrite_from_guest(rw, cut, len);

        /* Short of the IP header's total length: cannot be parsed, so never passed. */
        assert_int_equal(v, AMI_NET_DROP);
        v = ami_net_rewrite_to_guest(rw, cut, len);
        assert_int_equal(v, AMI_NET_PASS);
    }
}

static void
test_netrewrite_csum_replace_matches_recomputing(void **state)
{
    guint8 data[12] = {0x45, 0x00, 0x12, 0x34, 0xc0, 0xa8, 0x01, 0x02, 0xff, 0xff, 0x00, 0x00};
    guint32 values[] = {0, 0xffffffffu, 0xa9fea9feu, 0xac1f0ffeu, 0x00010000u, 0xfffe0001u};

    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        for (gsize j = 0; j < G_N_ELEMENTS(values); j++) {
            guint16 before, after;

            wr32(data + 4, values[i]);
            before = (guint16)~fold(sum16(data, sizeof(data), 0));
            wr32(data + 4, values[j]);
            after = ami_net_csum_replace32(before, values[i], values[j]);
            /* Verifying sums to 0xffff, in either representation of zero. */
            assert_int_equal(fold(sum16(data, sizeof(data), after)), 0xffff);
        }
    }
}

static void
test_netrewrite_layout_is_a_default_vpc_subnet(void **state)
{
    AmiNetLayout a, b;
    g_autofree char *router = NULL, *resolver = NULL, *alias = NULL;

    (void)state;
    ami_net_layout_for("i-0123456789abcdef0", &a);
    ami_net_layout_for("i-0123456789abcdef0", &b);
    assert_memory_equal(&a, &b, sizeof(a));
    router = ami_net_ipv4_to_string(a.router);
    resolver = ami_net_ipv4_to_string(a.resolver);
    alias = ami_net_ipv4_to_string(a.imds_alias);
    assert_string_equal(router, "172.31.0.1");
    assert_string_equal(resolver, "172.31.0.2");
    assert_string_equal(alias, "172.31.15.254");
    assert_int_equal(ami_net_ipv4_netmask(a.prefix_len), 0xfffff000u);
    /* Many ids: the guest and its 15 spare leases stay clear of .0-.3 and the alias. */
    for (guint i = 0; i < 2000; i++) {
        g_autofree char *id = g_strdup_printf("i-%017x", i * 7919u);

        ami_net_layout_for(id, &a);
        assert_true((a.guest & 0xfffff000u) == a.network);
        assert_true((a.guest & 0xff) >= 4 && (a.guest & 0xff) + 15 <= 254);
        assert_true(a.guest + 15 < a.imds_alias);
    }
}

static void
test_netrewrite_isolated_keeps_only_the_networks_own_services(void **state)
{
    const AmiNetPolicy isolated = {.isolated = TRUE};
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, &isolated);
    g_autoptr(AmiNetRewrite) nat = ami_net_rewrite_new(&layout, NULL);
    guint8 f[256];
    gsize n;

    (void)state;
    /* Outbound NAT: gone under isolated, there under nat. */
    n = frame_ipv4(f, layout.guest, 0x5db8d822u /* 93.184.216.34 */, TCP, GUEST_PORT, 80, "");
    assert_int_equal(ami_net_rewrite_from_guest(nat, f, n), AMI_NET_PASS);
    n = frame_ipv4(f, layout.guest, 0x5db8d822u, TCP, GUEST_PORT, 80, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    n = frame_ipv4(f, layout.guest, 0x08080808u, UDP, GUEST_PORT, 53, "q");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    /* A neighbour in the subnet is not the network's either. */
    n = frame_ipv4(f, layout.guest, layout.network + 0x0105, TCP, GUEST_PORT, 22, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    /* The resolver answers DNS only. */
    n = frame_ipv4(f, layout.guest, layout.resolver, UDP, GUEST_PORT, 53, "q");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    n = frame_ipv4(f, layout.guest, layout.resolver, TCP, GUEST_PORT, 53, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    n = frame_ipv4(f, layout.guest, layout.resolver, TCP, GUEST_PORT, 80, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    /* The Amazon DNS address and the IMDS still work. */
    n = frame_ipv4(f, layout.guest, AMI_NET_AMAZON_DNS_ADDR, UDP, GUEST_PORT, 53, "q");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(DST(f), layout.resolver);
    n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 80, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    assert_int_equal(DST(f), layout.imds_alias);
    /* DHCP (broadcast, renewal at the router) and forwarded ports' replies (the router). */
    n = frame_ipv4(f, 0, 0xffffffffu, UDP, 68, 67, "dhcp");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    n = frame_ipv4(f, layout.guest, layout.router, UDP, 68, 67, "dhcp");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    n = frame_ipv4(f, layout.guest, layout.router, TCP, 22, 40000, "SSH-2.0-x");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
    /* ARP stays (the guest must find the router). */
    n = frame_arp(f, 1, layout.guest, layout.router);
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
}

static void
test_netrewrite_no_imds_drops_the_metadata_address(void **state)
{
    const AmiNetPolicy nocloud = {.no_imds = TRUE};
    g_autoptr(AmiNetRewrite) rw = ami_net_rewrite_new(&layout, &nocloud);
    guint8 f[256];
    gsize n = frame_ipv4(f, layout.guest, AMI_NET_IMDS_ADDR, TCP, GUEST_PORT, 80, "GET /");

    (void)state;
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_DROP);
    n = frame_ipv4(f, layout.guest, 0x5db8d822u, TCP, GUEST_PORT, 80, "");
    assert_int_equal(ami_net_rewrite_from_guest(rw, f, n), AMI_NET_PASS);
}

static void
test_netrewrite_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(ami_net_verdict_to_string(AMI_NET_PASS), "pass");
    assert_string_equal(ami_net_verdict_to_string(AMI_NET_DROP), "drop");
    assert_null(ami_net_verdict_to_string(AMI_NET_VERDICT_LAST));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netrewrite_imds_http_goes_to_the_alias_and_back),
        cmocka_unit_test(test_netrewrite_imds_other_ports_and_protocols_are_dropped),
        cmocka_unit_test(test_netrewrite_alias_link_local_and_loopback_are_unreachable),
        cmocka_unit_test(test_netrewrite_amazon_dns_replies_come_from_it),
        cmocka_unit_test(test_netrewrite_vpc_resolver_replies_keep_its_address),
        cmocka_unit_test(test_netrewrite_udp_without_checksum_stays_without),
        cmocka_unit_test(test_netrewrite_arp_for_the_service_addresses),
        cmocka_unit_test(test_netrewrite_other_traffic_is_untouched),
        cmocka_unit_test(test_netrewrite_truncated_frames_are_safe),
        cmocka_unit_test(test_netrewrite_csum_replace_matches_recomputing),
        cmocka_unit_test(test_netrewrite_layout_is_a_default_vpc_subnet),
        cmocka_unit_test(test_netrewrite_isolated_keeps_only_the_networks_own_services),
        cmocka_unit_test(test_netrewrite_no_imds_drops_the_metadata_address),
        cmocka_unit_test(test_netrewrite_verdict_names),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
