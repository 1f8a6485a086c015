/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * host/net.c's frame path without QEMU or sockets (net-priv.h): QEMU's stream framing,
 * the rewrite in front of libslirp, and libslirp's answers coming back.
 */
#include <string.h>

#include "ami-run/net-priv.h"
#include "test-util.h"

static AmiNetLayout layout;

static int
setup(void **state)
{
    (void)state;
    ami_net_layout_for("i-0123456789abcdef0", &layout);
    return 0;
}

static void
put32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

/* QEMU's record of an ARP who-has @target from the guest: length + frame. */
static gsize
arp_record(guint8 *r, guint32 target)
{
    guint8 *f = r + 4;

    memset(r, 0, 46);
    put32(r, 42);
    memcpy(f, "\xff\xff\xff\xff\xff\xff\x52\x54\x00\x12\x34\x56\x08\x06", 14);
    memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01\x52\x54\x00\x12\x34\x56", 14);
    put32(f + 28, layout.guest);
    put32(f + 38, target);
    return 46;
}

static guint64
to_guest(AmiNet *net)
{
    guint64 from, to;

    ami_net_frames(net, &from, &to);
    return to;
}

static void
test_net_arp_for_the_router_is_answered(void **state)
{
    g_autoptr(AmiNet) net = ami_net_new_detached(&layout, NULL);
    guint8 r[64];
    gsize n = arp_record(r, layout.router);
    guint64 from, to;

    (void)state;
    assert_non_null(net);
    assert_true(ami_net_feed_stream(net, r, n));
    ami_net_frames(net, &from, &to);
    assert_int_equal(from, 1);
    assert_int_equal(to, 1); /* slirp's "is-at" */
}

static void
test_net_frames_may_arrive_in_pieces(void **state)
{
    g_autoptr(AmiNet) net = ami_net_new_detached(&layout, NULL);
    guint8 r[128];
    gsize n = arp_record(r, layout.resolver);

    (void)state;
    n += arp_record(r + n, layout.router);
    for (gsize i = 0; i < n; i++) /* one byte at a time, as a stream may deliver it */
        assert_true(ami_net_feed_stream(net, r + i, 1));
    assert_int_equal(to_guest(net), 2);
}

/* 169.254.169.253 is outside slirp's network: only the rewrite makes slirp answer it. */
static void
test_net_arp_for_amazon_dns_is_answered_through_the_rewrite(void **state)
{
    g_autoptr(AmiNet) net = ami_net_new_detached(&layout, NULL);
    guint8 r[64];

    (void)state;
    assert_true(ami_net_feed_stream(net, r, arp_record(r, AMI_NET_AMAZON_DNS_ADDR)));
    assert_int_equal(to_guest(net), 1);
    /* The alias itself is never answered (the rewrite drops who-has it). */
    assert_true(ami_net_feed_stream(net, r, arp_record(r, layout.imds_alias)));
    assert_int_equal(to_guest(net), 1);
}

static void
test_net_lost_framing_is_reported(void **state)
{
    g_autoptr(AmiNet) net = ami_net_new_detached(&layout, NULL);
    const guint8 zero[4] = {0, 0, 0, 0}, huge[4] = {0x7f, 0xff, 0xff, 0xff};
    g_autoptr(AmiNet) net2 = ami_net_new_detached(&layout, NULL);

    (void)state;
    assert_false(ami_net_feed_stream(net, zero, sizeof(zero)));
    assert_false(ami_net_feed_stream(net2, huge, sizeof(huge)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_arp_for_the_router_is_answered),
        cmocka_unit_test(test_net_frames_may_arrive_in_pieces),
        cmocka_unit_test(test_net_arp_for_amazon_dns_is_answered_through_the_rewrite),
        cmocka_unit_test(test_net_lost_framing_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
