/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: the network stack's frame path (host/net.c) as QEMU's stream feeds it:
 * [policy byte] then 4-byte big-endian lengths and Ethernet frames, through the rewrite
 * into libslirp (ARP, DHCP, ICMP, TCP and UDP input) and libslirp's answers back through
 * the to-guest rewrite.  The stack is in libslirp's restricted mode (net-priv.h), so no
 * input opens a host socket.  One stack per input.
 */
#include <stdint.h>

#include "ami-run/net-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AmiNetLayout layout;
    AmiNetPolicy policy = {0};
    g_autoptr(AmiNet) net = NULL;

    if (size < 1)
        return 0;
    policy.isolated = data[0] & 1;
    ami_net_layout_for("i-0123456789abcdef0", &layout);
    net = ami_net_new_detached(&layout, &policy);
    g_assert(net);
    ami_net_feed_stream(net, data + 1, size - 1);
    return 0;
}
