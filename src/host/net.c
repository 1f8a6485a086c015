/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-instance network (net.h, docs/network.md): the only place libslirp is called.
 * Like slirp4netns, one thread runs one poll loop: slirp's own sockets (added by
 * slirp_pollfds_fill), QEMU's stream connection, and the IMDS listener with its
 * connections.  Every slirp call happens on that thread (libslirp is not thread-safe);
 * the caller's thread only creates the stack before the thread starts and frees it after
 * it was joined.
 *
 * QEMU 7.2 net/stream.c frames each Ethernet frame with a 4-byte big-endian length
 * (net_stream_receive: `uint32_t len = htonl(size)`), as -netdev socket and passt do.
 */
#define _GNU_SOURCE
#include "ami-run/error.h"
#include "ami-run/net-priv.h"

#ifndef AMI_RUN_HAVE_SLIRP
/* Built without libslirp-dev: the experimental network says so, nothing else changes. */
AmiNet *
ami_net_new(AmiNetConfig *cfg, GError **error)
{
    ami_imds_context_free(cfg->imds);
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                "this ami-run was built without libslirp (libslirp-dev): no own network");
    return NULL;
}

void
ami_net_free(AmiNet *net)
{
    (void)net;
}

void
ami_net_frames(AmiNet *net, guint64 *ret_from_guest, guint64 *ret_to_guest)
{
    (void)net;
    *ret_from_guest = *ret_to_guest = 0;
}

AmiNet *
ami_net_new_detached(const AmiNetLayout *layout, const AmiNetPolicy *policy)
{
    (void)layout;
    (void)policy;
    return NULL;
}

gboolean
ami_net_feed_stream(AmiNet *net, const guint8 *data, gsize len)
{
    (void)net;
    (void)data;
    (void)len;
    return FALSE;
}
#else
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* QEMU's stream netdev sends frames up to NET_BUFSIZE (4096 + 65536); virtio-net
 * without a vnet header (no GSO over a stream) sends at most MTU + 14. */
#define FRAME_MAX (4096 + 65536)
/* Frames queued for QEMU before new ones are dropped (slirp's TCP retransmits them). */
#define TO_QEMU_MAX (1024 * 1024)
#define IMDS_CONNS_MAX 64
#define IMDS_OUT_MAX (256 * 1024)
/* Our own pollfds come first, in this order; the IMDS connections follow. */
enum { PFD_WAKE, PFD_LISTEN, PFD_QEMU, PFD_IMDS, PFD_CONNS };

typedef struct {
    SlirpTimerId id;
    void *cb_opaque;
    gint64 expire_ms; /* -1: not armed */
} NetTimer;

typedef struct {
    int fd;
    AmiHttpParser *parser;
    GByteArray *out;
    gboolean closing; /* close once out is written */
} ImdsConn;

struct AmiNet {
    Slirp *slirp;
    AmiNetRewrite *rw;
    AmiImdsContext *imds;
    AmiImdsTokens *tokens;
    char *socket_path;
    char *imds_socket_path;
    char *hostname;
    char *domain;
    int listen_fd;
    int qemu_fd;
    int imds_fd;
    int wake[2];
    GByteArray *from_qemu; /* partial frames */
    GByteArray *to_qemu;   /* whole framed records only, so a drop never splits one */
    GPtrArray *conns;      /* ImdsConn* */
    GPtrArray *timers;     /* NetTimer* */
    GArray *pfd;           /* struct pollfd, rebuilt every round */
    GThread *thread;
    gint stop;
    guint64 from_guest;
    guint64 to_guest;
    gboolean detached; /* ami_net_new_detached(): frames to the guest are dropped */
};

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* --- QEMU's stream ------------------------------------------------------------------ */

static void
qemu_disconnect(AmiNet *n)
{
    g_debug("net: QEMU's stream closed");
    close_fd(&n->qemu_fd);
    g_byte_array_set_size(n->from_qemu, 0);
    g_byte_array_set_size(n->to_qemu, 0);
}

static void
qemu_flush(AmiNet *n)
{
    gsize done = 0;

    while (n->qemu_fd >= 0 && done < n->to_qemu->len) {
        ssize_t w = send(n->qemu_fd, n->to_qemu->data + done, n->to_qemu->len - done,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            qemu_disconnect(n);
            return;
        }
        done += (gsize)w;
    }
    g_byte_array_remove_range(n->to_qemu, 0, (guint)done);
}

/* SlirpCb.send_packet: a frame for the guest.  Dropping is allowed ("TCP will then
 * handle retransmissions"), splitting a record is not. */
static ssize_t
send_packet(const void *buf, size_t len, void *opaque)
{
    AmiNet *n = opaque;
    guint8 hdr[4] = {(guint8)(len >> 24), (guint8)(len >> 16), (guint8)(len >> 8), (guint8)len};
    guint off;

    if (n->detached && len <= FRAME_MAX) { /* tests: the rewrite runs, the frame goes */
        g_autofree guint8 *copy = g_memdup2(buf, len);

        ami_net_rewrite_to_guest(n->rw, copy, len);
        n->to_guest++;
        return (ssize_t)len;
    }
    if (n->qemu_fd < 0 || len > FRAME_MAX || n->to_qemu->len + 4 + len > TO_QEMU_MAX)
        return (ssize_t)len;
    g_byte_array_append(n->to_qemu, hdr, 4);
    off = n->to_qemu->len;
    g_byte_array_append(n->to_qemu, buf, (guint)len);
    ami_net_rewrite_to_guest(n->rw, n->to_qemu->data + off, len);
    n->to_guest++;
    qemu_flush(n);
    return (ssize_t)len;
}

/* Hand every complete frame to slirp; a nonsense length means the framing is lost. */
static gboolean
qemu_frames(AmiNet *n)
{
    gsize off = 0;

    while (n->from_qemu->len - off >= 4) {
        const guint8 *p = n->from_qemu->data + off;
        guint32 flen = ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
        guint8 *frame = n->from_qemu->data + off + 4;

        if (flen == 0 || flen > FRAME_MAX)
            return FALSE;
        if (n->from_qemu->len - off - 4 < flen)
            break;
        n->from_guest++;
        if (ami_net_rewrite_from_guest(n->rw, frame, flen) == AMI_NET_PASS)
            slirp_input(n->slirp, frame, (int)flen);
        off += 4 + flen;
    }
    g_byte_array_remove_range(n->from_qemu, 0, (guint)off);
    return TRUE;
}

static void
qemu_read(AmiNet *n)
{
    guint8 buf[65536];
    ssize_t r = read(n->qemu_fd, buf, sizeof(buf));

    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        qemu_disconnect(n);
        return;
    }
    g_byte_array_append(n->from_qemu, buf, (guint)r);
    if (!qemu_frames(n)) {
        g_debug("net: bad frame length from QEMU, dropping its connection");
        qemu_disconnect(n);
    }
}

/* One QEMU per network; a new connection (QEMU restarted) replaces the old one. */
static void
qemu_accept(AmiNet *n)
{
    int fd = accept4(n->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return;
    if (n->qemu_fd >= 0)
        qemu_disconnect(n);
    g_debug("net: QEMU connected");
    n->qemu_fd = fd;
}

/* --- The IMDS server ---------------------------------------------------------------- */

static void
imds_conn_free(ImdsConn *c)
{
    close_fd(&c->fd);
    ami_http_parser_free(c->parser);
    g_byte_array_unref(c->out);
    g_free(c);
}

static void
imds_queue(ImdsConn *c, const AmiHttpResponse *resp)
{
    g_autoptr(GBytes) bytes = ami_http_response_serialize(resp);
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);

    if (c->out->len + len > IMDS_OUT_MAX) { /* a client that sends and never reads */
        c->closing = TRUE;
        return;
    }
    g_byte_array_append(c->out, data, (guint)len);
    if (!resp->keep_alive)
        c->closing = TRUE;
}

/* Feed what arrived to the parser; answer each complete request in order. */
static void
imds_feed(AmiNet *n, ImdsConn *c, const guint8 *buf, gsize len)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gsize off = 0;

    while (off < len && !c->closing) {
        g_autoptr(AmiHttpRequest) req = NULL;
        g_autoptr(AmiHttpResponse) resp = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        switch (ami_http_parser_feed(c->parser, buf + off, len - off, &used, &req, &error)) {
        case AMI_HTTP_PARSE_NEED_MORE:
            return;
        case AMI_HTTP_PARSE_DONE:
            resp = ami_imds_respond(n->imds, req, now, n->tokens);
            break;
        case AMI_HTTP_PARSE_ERROR:
            resp = ami_imds_error_response((guint)error->code, now);
            break;
        }
        imds_queue(c, resp);
        if (used == 0) /* a request is never empty: no progress would loop forever */
            c->closing = TRUE;
        off += used;
    }
}

static void
imds_read(AmiNet *n, ImdsConn *c)
{
    guint8 buf[16384];
    ssize_t r = read(c->fd, buf, sizeof(buf));

    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        c->closing = TRUE;
        return;
    }
    imds_feed(n, c, buf, (gsize)r);
}

/* FALSE when the connection is finished (written out and closing, or broken). */
static gboolean
imds_write(ImdsConn *c)
{
    while (c->out->len > 0) {
        ssize_t w = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TRUE;
        if (w <= 0)
            return FALSE;
        g_byte_array_remove_range(c->out, 0, (guint)w);
    }
    return !c->closing;
}

static void
imds_accept(AmiNet *n)
{
    int fd = accept4(n->imds_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ImdsConn *c;

    if (fd < 0)
        return;
    if (n->conns->len >= IMDS_CONNS_MAX) {
        close(fd); /* the guest's connection is reset; IMDS throttles too */
        return;
    }
    c = g_new0(ImdsConn, 1);
    c->fd = fd;
    c->parser = ami_http_parser_new();
    c->out = g_byte_array_new();
    g_ptr_array_add(n->conns, c);
}

/* --- slirp's callbacks: poll, clock, timers ----------------------------------------- */

static short
to_poll_events(int events)
{
    short e = 0;

    if (events & SLIRP_POLL_IN)
        e |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        e |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        e |= POLLPRI;
    if (events & SLIRP_POLL_ERR)
        e |= POLLERR;
    if (events & SLIRP_POLL_HUP)
        e |= POLLHUP;
    return e;
}

static int
add_poll(int fd, int events, void *opaque)
{
    AmiNet *n = opaque;
    struct pollfd p = {.fd = fd, .events = to_poll_events(events)};

    g_array_append_val(n->pfd, p);
    return (int)n->pfd->len - 1;
}

static int
get_revents(int idx, void *opaque)
{
    AmiNet *n = opaque;
    short r;
    int e = 0;

    if (idx < 0 || (guint)idx >= n->pfd->len)
        return 0;
    r = g_array_index(n->pfd, struct pollfd, idx).revents;
    if (r & POLLIN)
        e |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        e |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        e |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        e |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        e |= SLIRP_POLL_HUP;
    return e;
}

static int64_t
clock_get_ns(void *opaque)
{
    (void)opaque;
    return g_get_monotonic_time() * 1000;
}

static void *
timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    AmiNet *n = opaque;
    NetTimer *t = g_new0(NetTimer, 1);

    t->id = id;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    g_ptr_array_add(n->timers, t);
    return t;
}

static void
timer_free(void *timer, void *opaque)
{
    AmiNet *n = opaque;

    g_ptr_array_remove_fast(n->timers, timer); /* frees it */
}

/* @expire_time is in ms of clock_get_ns()'s clock. */
static void
timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    (void)opaque;
    ((NetTimer *)timer)->expire_ms = expire_time;
}

static void
guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    g_debug("net: guest error: %s", msg);
}

static void
no_op_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

/* Nothing to kick: the loop calls slirp_pollfds_fill() again every round. */
static void
no_op_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = send_packet,
    .guest_error = guest_error,
    .clock_get_ns = clock_get_ns,
    .timer_free = timer_free,
    .timer_mod = timer_mod,
    .register_poll_fd = no_op_fd,
    .unregister_poll_fd = no_op_fd,
    .notify = no_op_notify,
    .timer_new_opaque = timer_new_opaque,
};

/* Milliseconds until the next armed timer, at most @limit. */
static uint32_t
timers_timeout(AmiNet *n, uint32_t limit)
{
    gint64 now = g_get_monotonic_time() / 1000;

    for (guint i = 0; i < n->timers->len; i++) {
        const NetTimer *t = n->timers->pdata[i];

        if (t->expire_ms >= 0)
            limit = (uint32_t)MIN((gint64)limit, MAX(t->expire_ms - now, 0));
    }
    return limit;
}

static void
timers_run(AmiNet *n)
{
    gint64 now = g_get_monotonic_time() / 1000;

    /* One due timer per pass: slirp_handle_timer() may re-arm or free timers. */
    for (gboolean again = TRUE; again;) {
        again = FALSE;
        for (guint i = 0; i < n->timers->len; i++) {
            NetTimer *t = n->timers->pdata[i];

            if (t->expire_ms >= 0 && t->expire_ms <= now) {
                t->expire_ms = -1;
                slirp_handle_timer(n->slirp, t->id, t->cb_opaque);
                again = TRUE;
                break;
            }
        }
    }
}

/* --- The loop ------------------------------------------------------------------------ */

static void
pfd_add(AmiNet *n, int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = fd >= 0 ? events : 0};

    g_array_append_val(n->pfd, p);
}

static void
fill_own(AmiNet *n)
{
    g_array_set_size(n->pfd, 0);
    pfd_add(n, n->wake[0], POLLIN);
    pfd_add(n, n->listen_fd, POLLIN);
    pfd_add(n, n->qemu_fd, (short)(POLLIN | (n->to_qemu->len ? POLLOUT : 0)));
    pfd_add(n, n->imds_fd, POLLIN);
    for (guint i = 0; i < n->conns->len; i++) {
        const ImdsConn *c = n->conns->pdata[i];

        pfd_add(n, c->fd, (short)((c->closing ? 0 : POLLIN) | (c->out->len ? POLLOUT : 0)));
    }
}

static short
revents(AmiNet *n, guint idx)
{
    return g_array_index(n->pfd, struct pollfd, idx).revents;
}

/* Our fds after poll: IMDS connections first (from the end, as they may go), then
 * the listeners, which may add to what was polled. */
static void
handle_own(AmiNet *n, guint n_conns)
{
    for (guint i = n_conns; i-- > 0;) {
        ImdsConn *c = n->conns->pdata[i];
        short r = revents(n, PFD_CONNS + i);

        if (r & POLLIN)
            imds_read(n, c);
        if (((r & (POLLERR | POLLNVAL)) || !imds_write(c)) || (r & POLLHUP && !(r & POLLIN)))
            g_ptr_array_remove_index_fast(n->conns, i);
    }
    if (n->qemu_fd >= 0 && revents(n, PFD_QEMU) & (POLLIN | POLLHUP | POLLERR))
        qemu_read(n);
    if (n->qemu_fd >= 0 && revents(n, PFD_QEMU) & POLLOUT)
        qemu_flush(n);
    if (revents(n, PFD_LISTEN) & POLLIN)
        qemu_accept(n);
    if (n->imds_fd >= 0 && revents(n, PFD_IMDS) & POLLIN)
        imds_accept(n);
}

static gpointer
net_thread(gpointer data)
{
    AmiNet *n = data;
    sigset_t all;

    /* Signals are the main thread's (ami_signals_pending()); none interrupts this poll. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (!g_atomic_int_get(&n->stop)) {
        uint32_t timeout = 1000; /* ms; slirp lowers it for its TCP timers */
        guint n_conns = n->conns->len;
        int rc;

        fill_own(n);
        slirp_pollfds_fill(n->slirp, &timeout, add_poll, n);
        timeout = timers_timeout(n, timeout);
        rc = poll((struct pollfd *)(void *)n->pfd->data, n->pfd->len, (int)timeout);
        if (rc < 0 && errno != EINTR)
            g_debug("net: poll: %s", g_strerror(errno));
        slirp_pollfds_poll(n->slirp, rc < 0, get_revents, n);
        if (rc > 0)
            handle_own(n, n_conns);
        timers_run(n);
    }
    return NULL;
}

/* --- Setup --------------------------------------------------------------------------- */

static int
listen_unix(const char *path, GError **error)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "Socket path '%s' is longer than a Unix socket allows (%zu bytes)", path,
                    sizeof(sa.sun_path) - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path); /* a leftover of a killed run; the directory is the instance's own */
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, AMI_NET_SOCKET_MODE) < 0 ||
        listen(fd, 16) < 0) {
        ami_error_set_errno(error, errno, path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static struct in_addr
in4(guint32 host_order)
{
    return (struct in_addr){.s_addr = htonl(host_order)};
}

/* Each forward listens on the host; an optional one may find its port taken. */
static gboolean
add_forwards(AmiNet *n, AmiNetConfig *cfg, GError **error)
{
    for (guint i = 0; i < cfg->n_forwards; i++) {
        AmiNetForward *f = &cfg->forwards[i];
        g_autofree char *addr = ami_net_ipv4_to_string(f->host_addr);

        f->ret_active = slirp_add_hostfwd(n->slirp, 0, in4(f->host_addr), f->host_port,
                                          in4(cfg->layout.guest), f->guest_port) == 0;
        if (!f->ret_active && !f->optional) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                        "Cannot forward %s:%d to the guest's port %d: the host port is taken "
                        "(another instance with the same address, or a host service)",
                        addr, f->host_port, f->guest_port);
            return FALSE;
        }
        if (!f->ret_active)
            g_debug("net: %s:%d is taken, not forwarded, ignoring", addr, f->host_port);
    }
    return TRUE;
}

static gboolean
slirp_create(AmiNet *n, AmiNetConfig *cfg, GError **error)
{
    const AmiNetLayout *l = &cfg->layout;
    SlirpConfig sc = {
        .version = 4,
        .in_enabled = true,
        .vnetwork = in4(l->network),
        .vnetmask = in4(ami_net_ipv4_netmask(l->prefix_len)),
        .vhost = in4(l->router),
        .in6_enabled = false, /* no fec0::/64, so no path to a host's fd00:ec2::254 */
        .vhostname = n->hostname,
        .vdhcp_start = in4(l->guest),
        .vnameserver = in4(l->resolver),
        .vdomainname = n->domain,
        .disable_host_loopback = true, /* the router address is not the host's 127.0.0.1 */
        .restricted = n->detached, /* tests: no host socket, whatever the frames say */
    };
    struct in_addr alias = in4(l->imds_alias);

    if (!(n->slirp = slirp_new(&sc, &callbacks, n))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "libslirp refused the network configuration");
        return FALSE;
    }
    if (n->imds_socket_path && slirp_add_unix(n->slirp, n->imds_socket_path, &alias, 80) < 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "libslirp refused the IMDS forward to '%s'",
                    n->imds_socket_path);
        return FALSE;
    }
    return add_forwards(n, cfg, error);
}

AmiNet *
ami_net_new(AmiNetConfig *cfg, GError **error)
{
    g_autoptr(AmiNet) n = g_new0(AmiNet, 1);
    AmiNetPolicy policy;

    n->listen_fd = n->qemu_fd = n->imds_fd = n->wake[0] = n->wake[1] = -1;
    n->imds = cfg->imds;
    n->tokens = ami_imds_tokens_new();
    policy = cfg->policy;
    policy.no_imds = policy.no_imds || !cfg->imds || !cfg->imds_socket_path;
    n->rw = ami_net_rewrite_new(&cfg->layout, &policy);
    n->socket_path = g_strdup(cfg->socket_path);
    n->hostname = g_strdup(cfg->hostname);
    n->domain = g_strdup(cfg->domain);
    n->from_qemu = g_byte_array_new();
    n->to_qemu = g_byte_array_new();
    n->conns = g_ptr_array_new_with_free_func((GDestroyNotify)imds_conn_free);
    n->timers = g_ptr_array_new_with_free_func(g_free);
    n->pfd = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    if (pipe2(n->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        ami_error_set_errno(error, errno, "pipe");
        return NULL;
    }
    if ((n->listen_fd = listen_unix(cfg->socket_path, error)) < 0)
        return NULL;
    if (cfg->imds && cfg->imds_socket_path) {
        n->imds_socket_path = g_strdup(cfg->imds_socket_path);
        if ((n->imds_fd = listen_unix(cfg->imds_socket_path, error)) < 0)
            return NULL;
    }
    if (!slirp_create(n, cfg, error))
        return NULL;
    n->thread = g_thread_new("ami-net", net_thread, n);
    return g_steal_pointer(&n);
}

void
ami_net_free(AmiNet *n)
{
    if (!n)
        return;
    if (n->thread) {
        g_atomic_int_set(&n->stop, 1);
        if (write(n->wake[1], "x", 1) < 0)
            g_debug("net: wake: %s, ignoring", g_strerror(errno));
        g_thread_join(n->thread);
        g_debug("net: %" G_GUINT64_FORMAT " frames from the guest, %" G_GUINT64_FORMAT
                " to it", n->from_guest, n->to_guest);
    }
    if (n->slirp)
        slirp_cleanup(n->slirp); /* frees its timers through timer_free() */
    g_ptr_array_unref(n->conns);
    g_ptr_array_unref(n->timers);
    close_fd(&n->qemu_fd);
    close_fd(&n->listen_fd);
    close_fd(&n->imds_fd);
    close_fd(&n->wake[0]);
    close_fd(&n->wake[1]);
    if (n->socket_path)
        unlink(n->socket_path);
    if (n->imds_socket_path)
        unlink(n->imds_socket_path);
    g_byte_array_unref(n->from_qemu);
    g_byte_array_unref(n->to_qemu);
    g_array_unref(n->pfd);
    ami_imds_context_free(n->imds);
    ami_imds_tokens_free(n->tokens);
    ami_net_rewrite_free(n->rw);
    g_free(n->socket_path);
    g_free(n->imds_socket_path);
    g_free(n->hostname);
    g_free(n->domain);
    g_free(n);
}

AmiNet *
ami_net_new_detached(const AmiNetLayout *layout, const AmiNetPolicy *policy)
{
    AmiNetConfig cfg = {.layout = *layout, .hostname = "ip-test", .domain = "ec2.internal"};
    AmiNet *n = g_new0(AmiNet, 1);

    if (policy)
        cfg.policy = *policy;
    cfg.policy.no_imds = TRUE;
    n->detached = TRUE;
    n->listen_fd = n->qemu_fd = n->imds_fd = n->wake[0] = n->wake[1] = -1;
    n->tokens = ami_imds_tokens_new();
    n->rw = ami_net_rewrite_new(&cfg.layout, &cfg.policy);
    n->hostname = g_strdup(cfg.hostname);
    n->domain = g_strdup(cfg.domain);
    n->from_qemu = g_byte_array_new();
    n->to_qemu = g_byte_array_new();
    n->conns = g_ptr_array_new_with_free_func((GDestroyNotify)imds_conn_free);
    n->timers = g_ptr_array_new_with_free_func(g_free);
    n->pfd = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    if (!slirp_create(n, &cfg, NULL)) {
        ami_net_free(n);
        return NULL;
    }
    return n;
}

gboolean
ami_net_feed_stream(AmiNet *n, const guint8 *data, gsize len)
{
    g_byte_array_append(n->from_qemu, data, (guint)len);
    return qemu_frames(n);
}

void
ami_net_frames(AmiNet *n, guint64 *ret_from_guest, guint64 *ret_to_guest)
{
    /* Read racily from another thread: counters for logs, not for decisions. */
    *ret_from_guest = n->from_guest;
    *ret_to_guest = n->to_guest;
}
#endif /* AMI_RUN_HAVE_SLIRP */
