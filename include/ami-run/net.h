/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The per-instance user-mode network (EXPERIMENTAL, docs/network.md): a libslirp stack
 * in this process, attached to QEMU by `-netdev stream` over a Unix socket, with the
 * instance's IMDS served in-process behind 169.254.169.254:80.  One thread runs one
 * poll loop for all of it (slirp's sockets, QEMU's stream, the IMDS connections).
 */

#include <glib.h>

#include "ami-run/imds.h"
#include "ami-run/netrewrite.h"

G_BEGIN_DECLS

typedef struct {
    const char *socket_path;      /* QEMU connects here (server=off); created 0600 */
    const char *imds_socket_path; /* the IMDS listener slirp connects to; NULL: no IMDS */
    AmiImdsContext *imds;         /* served there; taken over by ami_net_new() (also on failure) */
    AmiNetLayout layout;          /* ami_net_layout_for() */
    const char *hostname;         /* DHCP option 12, e.g. ip-172-31-3-17 */
    const char *domain;           /* DHCP option 15, e.g. us-east-1.compute.internal */
    int ssh_port;                 /* 127.0.0.1:PORT -> guest:22; 0: none */
} AmiNetConfig;

typedef struct AmiNet AmiNet;

/**
 * ami_net_new() - create the slirp stack for @cfg, listen on its sockets and start the
 * network thread.  QEMU may connect as soon as this returns.  AMI_ERROR_HOST when a
 * socket path is too long or taken, or libslirp refuses the configuration.  Returns a
 * new network; ami_net_free() stops it.
 */
AmiNet *ami_net_new(const AmiNetConfig *cfg, GError **error);

/** ami_net_free() - stop the thread, close every socket, remove the socket files. */
void ami_net_free(AmiNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiNet, ami_net_free)

/** ami_net_frames() - frames seen so far from the guest and to it (for logs and tests). */
void ami_net_frames(AmiNet *net, guint64 *ret_from_guest, guint64 *ret_to_guest);

G_END_DECLS
