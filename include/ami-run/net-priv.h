/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For tests and fuzzing only: net.c's frame path without sockets, a thread or QEMU. */

#include "ami-run/net.h"

G_BEGIN_DECLS

/**
 * ami_net_new_detached() - a slirp stack for @layout and @policy with no socket, no
 * thread and no IMDS, in libslirp's `restricted` mode, so that no frame makes it open a
 * host socket (no outbound UDP but DHCP, no outbound TCP).  Frames slirp sends to the
 * guest go through the to-guest rewrite and are counted, then dropped.  NULL when
 * built without libslirp.  Free with ami_net_free().
 */
AmiNet *ami_net_new_detached(const AmiNetLayout *layout, const AmiNetPolicy *policy);

/**
 * ami_net_feed_stream() - @data as if QEMU had written it to net.sock: 4-byte
 * big-endian lengths and frames, each rewritten and given to slirp_input().  FALSE
 * when the framing is lost (QEMU's connection would be dropped).
 */
gboolean ami_net_feed_stream(AmiNet *net, const guint8 *data, gsize len);

G_END_DECLS
