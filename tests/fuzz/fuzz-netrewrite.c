/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer: a conversation of frames through the guest <-> libslirp address rewrite.
 * Each record is [direction byte][2-byte big-endian length][frame]; one rewrite state
 * per input, so the DNS flow table and ARP counter see sequences.  Checked: nothing is
 * touched past a frame, and an IPv4 header whose checksum was right stays right.
 */
#include <stdint.h>
#include <string.h>

#include "ami-run/netrewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
ip_header_ok(const guint8 *f, gsize len)
{
    guint32 sum = 0;
    gsize hl;

    if (len < 34 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4)
        return FALSE;
    hl = (gsize)(f[14] & 15) * 4;
    if (hl < 20 || 14 + hl > len)
        return FALSE;
    for (gsize i = 0; i < hl; i += 2)
        sum += (guint32)((f[14 + i] << 8) | f[15 + i]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AmiNetLayout layout;
    g_autoptr(AmiNetRewrite) rw = NULL;
    gsize off = 0;
    AmiNetPolicy policy = {.isolated = size > 0 && (data[0] & 2),
                           .no_imds = size > 0 && (data[0] & 4)};

    ami_net_layout_for("i-0123456789abcdef0", &layout);
    rw = ami_net_rewrite_new(&layout, &policy); /* the first direction byte picks it */
    while (off + 3 <= size) {
        gboolean to_guest = data[off] & 1;
        gsize len = MIN((gsize)((data[off + 1] << 8) | data[off + 2]), size - off - 3);
        /* An exact-size heap copy: ASan catches any access past the frame. */
        g_autofree guint8 *f = g_malloc(len ? len : 1);
        gboolean ok;
        AmiNetVerdict v;

        memcpy(f, data + off + 3, len);
        ok = ip_header_ok(f, len);
        v = to_guest ? ami_net_rewrite_to_guest(rw, f, len) : ami_net_rewrite_from_guest(rw, f, len);

        g_assert(v == AMI_NET_PASS || v == AMI_NET_DROP);
        g_assert(!to_guest || v == AMI_NET_PASS);
        if (ok && v == AMI_NET_PASS)
            g_assert(ip_header_ok(f, len));
        off += 3 + len;
    }
    return 0;
}
