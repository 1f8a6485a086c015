/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The per-instance user-mode network (every instance's NIC, docs/network.md): a libslirp stack
 * in this process, attached to QEMU by `-netdev stream` over a Unix socket, with the
 * instance's IMDS served in-process behind 169.254.169.254:80.  One thread runs one
 * poll loop for all of it (slirp's sockets, QEMU's stream, the IMDS connections).
 */

#include <glib.h>

#include "ami-run/imds.h"
#include "ami-run/netrewrite.h"

G_BEGIN_DECLS

/* A host TCP port forwarded to the guest (--ssh-port, --publish, port 22 as root). */
typedef struct {
    guint32 host_addr;  /* host order: 127.0.0.1 or the instance's 127.100.X.Y */
    int host_port;
    int guest_port;
    gboolean optional;  /* a taken port is tolerated (ret_active stays FALSE) */
    gboolean ret_active; /* set by ami_net_new(): the host listens */
} AmiNetForward;

/* The creation mode of net.sock and imds.sock, in the instance's 0700 directory. */
#define AMI_NET_SOCKET_MODE 0600

typedef struct {
    const char *socket_path;      /* QEMU connects here (server=off); AMI_NET_SOCKET_MODE */
    const char *imds_socket_path; /* the IMDS listener slirp connects to; NULL: no IMDS */
    AmiImdsContext *imds;         /* served there; taken over by ami_net_new() (also on failure) */
    AmiNetLayout layout;          /* ami_net_layout_for() */
    const char *hostname;         /* DHCP option 12, e.g. ip-172-31-3-17 */
    const char *domain;           /* DHCP option 15, e.g. us-east-1.compute.internal */
    AmiNetPolicy policy;          /* run --network isolated; no IMDS */
    AmiNetForward *forwards;      /* ret_active written back */
    guint n_forwards;
} AmiNetConfig;

typedef struct AmiNet AmiNet;

/**
 * ami_net_new() - create the slirp stack for @cfg, listen on its sockets and start the
 * network thread.  QEMU may connect as soon as this returns.  AMI_ERROR_HOST when a
 * socket path is too long or taken, a forward that is not optional cannot listen, or
 * libslirp refuses the configuration.  Returns a
 * new network; ami_net_free() stops it.
 */
AmiNet *ami_net_new(AmiNetConfig *cfg, GError **error);

/** ami_net_free() - stop the thread, close every socket, remove the socket files. */
void ami_net_free(AmiNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiNet, ami_net_free)

/** ami_net_frames() - frames seen so far from the guest and to it (for logs and tests). */
void ami_net_frames(AmiNet *net, guint64 *ret_from_guest, guint64 *ret_to_guest);

G_END_DECLS
