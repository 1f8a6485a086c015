/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* getdents64 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/hypervisor.h"
#include "ami-run/qemu-user.h"

struct AmiHypervisor {
    virConnectPtr conn;
    virDomainPtr dom;
    char *root;      /* embedded root, or NULL */
    int callback_id;
    gint stopped;    /* atomic: set from the event thread */
    gint gone;       /* atomic: the STOPPED event arrived: libvirt has finished the stop */
    gint quit;       /* atomic: ask the event thread to end */
    GThread *events;
    GPtrArray *waiters;   /* GThread: each reaps one adopted daemon (see adopt_daemon) */
    int wake_timer;
};

static gpointer
event_loop(gpointer data)
{
    AmiHypervisor *hv = data;

    while (!g_atomic_int_get(&hv->quit)) {
        if (virEventRunDefaultImpl() < 0)
            break;
    }
    return NULL;
}

static void
on_wake(int timer, void *opaque)
{
    (void)timer;
    (void)opaque; /* only makes virEventRunDefaultImpl() return */
}

static void
silence(void *data, virErrorPtr err)
{
    (void)data;
    (void)err; /* errors are reported through GError, once, by the caller */
}

static gboolean
virt_failed(GError **error, const char *what)
{
    const char *msg = virGetLastErrorMessage();

    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "libvirt: %s: %s", what,
                msg ? msg : "unknown error");
    return FALSE;
}

/* libvirt reads its logging settings from the environment at its first call. */
static void
init_libvirt(const char *log_path)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        if (log_path) {
            g_autofree char *outputs = g_strdup_printf("3:file:%s", log_path);
            g_setenv("LIBVIRT_LOG_OUTPUTS", outputs, FALSE);
        }
        virInitialize();
        virSetErrorFunc(NULL, silence);
        virEventRegisterDefaultImpl();
        g_once_init_leave(&once, 1);
    }
}

static AmiHypervisor *
open_uri(const char *uri, const char *log_path, GError **error)
{
    g_autoptr(AmiHypervisor) hv = g_new0(AmiHypervisor, 1);

    hv->waiters = g_ptr_array_new_with_free_func((GDestroyNotify)g_thread_unref);
    init_libvirt(log_path);
    hv->callback_id = -1;
    hv->wake_timer = virEventAddTimeout(200, on_wake, NULL, NULL);
    hv->events = g_thread_new("libvirt-events", event_loop, hv);
    hv->conn = virConnectOpen(uri);
    if (!hv->conn) {
        g_autofree char *what = g_strdup_printf("cannot open '%s'", uri);
        virt_failed(error, what);
        return NULL;
    }
    return g_steal_pointer(&hv);
}

/*
 * --connect qemu:///embed?root=DIR is the embedded driver too: it lives in this process,
 * writes QEMU's pid file under DIR and cannot autodestroy, so it is handled as our own
 * roots are (but DIR stays the caller's: nothing is written there or removed).
 */
static char *
embed_root_of(const char *uri)
{
    g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    g_autoptr(GHashTable) params = NULL;
    const char *root;

    if (!u || g_strcmp0(g_uri_get_scheme(u), "qemu") != 0 ||
        g_strcmp0(g_uri_get_path(u), "/embed") != 0 || !g_uri_get_query(u))
        return NULL;
    params = g_uri_parse_params(g_uri_get_query(u), -1, "&", G_URI_PARAMS_NONE, NULL);
    root = params ? g_hash_table_lookup(params, "root") : NULL;
    return root && root[0] == '/' ? g_strdup(root) : NULL;
}

AmiHypervisor *
ami_hypervisor_open_uri(const char *uri, const char *log_path, GError **error)
{
    AmiHypervisor *hv = open_uri(uri, log_path, error);

    if (hv)
        hv->root = embed_root_of(uri);
    return hv;
}

static void
copy_dir_files(const char *from, const char *to)
{
    g_autoptr(GDir) dir = g_dir_open(from, 0, NULL);
    const char *name;

    if (!dir || g_mkdir_with_parents(to, 0700) < 0)
        return;
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *src = g_build_filename(from, name, NULL);
        g_autofree char *dst = g_build_filename(to, name, NULL);
        g_autofree char *data = NULL;
        g_autofree char *have = NULL;
        gsize len, have_len;

        if (!g_file_get_contents(src, &data, &len, NULL))
            continue;
        if (g_file_get_contents(dst, &have, &have_len, NULL) && have_len == len &&
            memcmp(have, data, len) == 0)
            continue; /* unchanged: no rewrite */
        g_file_set_contents_full(dst, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 NULL);
    }
}

/*
 * qemu.conf of a private root.  QEMU runs as @qemu_user (root: the dedicated user,
 * docs/run.md "Security layers") or as us.  dynamic_ownership = 0: libvirt's DAC
 * driver would otherwise chown every image of a disk's backing chain, the read-only store
 * snapshots included, to QEMU's user while the domain runs, and with remember_owner = 0
 * back to root:root after: a snapshot shared by two instances would lose its owner under
 * the other, and every chown moves the ctime its verified identity holds.  launch.c opens
 * exactly the instance's files to QEMU's group instead.  libvirt still makes its own
 * directories under the root QEMU's (lib/qemu, run/qemu/…, swtpm's state) and creates the
 * NVRAM owned by it.  seccomp_sandbox keeps its default (1): -sandbox on,…,spawn=deny.
 */
static gboolean
write_qemu_conf(const char *root, const AmiQemuUser *qemu_user, GError **error)
{
    g_autofree char *etc = g_build_filename(root, "etc", NULL);
    g_autofree char *conf = g_build_filename(etc, "qemu.conf", NULL);
    unsigned uid = qemu_user ? (unsigned)qemu_user->uid : (unsigned)getuid();
    unsigned gid = qemu_user ? (unsigned)qemu_user->gid : (unsigned)getgid();
    /*
     * swtpm stays ours (root as root): swtpm_setup signs the TPM's EK certificate with
     * the local CA in /var/lib/swtpm-localca, which is tss's (or root's, once root used
     * it), so as QEMU's user it fails "Authoring the TPM state failed".
     */
    unsigned tpm_uid = (unsigned)getuid(), tpm_gid = (unsigned)getgid();
    g_autofree char *text = g_strdup_printf(
        "# Written by ami-run for one instance.\n"
        "stdio_handler = \"file\"\n"       /* no virtlogd */
        "user = \"+%u\"\ngroup = \"+%u\"\n"
        "swtpm_user = \"+%u\"\nswtpm_group = \"+%u\"\n" /* not tss */
        "dynamic_ownership = 0\n"
        "security_driver = \"none\"\n"
        "remember_owner = 0\n", uid, gid, tpm_uid, tpm_gid);

    if (g_mkdir_with_parents(etc, 0700) < 0)
        return ami_error_set_errno(error, errno, etc);
    return g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* QEMU's user reaches what libvirt makes for it under the root (traverse, not list). */
static gboolean
open_root(const char *root, const AmiQemuUser *qemu_user, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(root);

    if (!qemu_user)
        return TRUE;
    return ami_qemu_user_grant(qemu_user, parent, 0710, error) &&
           ami_qemu_user_grant(qemu_user, root, 0710, error);
}

AmiHypervisor *
ami_hypervisor_open_embedded(const char *root, const char *caps_cache, const char *log_path,
                             const AmiQemuUser *qemu_user, GError **error)
{
    g_autofree char *uri = NULL;
    g_autofree char *caps = g_build_filename(root, "cache", "qemu", "capabilities", NULL);
    AmiHypervisor *hv;

    /* UNIX socket paths under the root are limited to 108 bytes. */
    if (strlen(root) > 60) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "libvirt root '%s' is too long for its UNIX sockets", root);
        return NULL;
    }
    if (g_mkdir_with_parents(root, 0700) < 0) {
        ami_error_set_errno(error, errno, root);
        return NULL;
    }
    if (!open_root(root, qemu_user, error) || !write_qemu_conf(root, qemu_user, error))
        return NULL;
    if (caps_cache)
        copy_dir_files(caps_cache, caps);
    uri = g_strdup_printf("qemu:///embed?root=%s", root);
    if (!(hv = open_uri(uri, log_path, error)))
        return NULL;
    hv->root = g_strdup(root);
    return hv;
}

/*
 * Whenever libvirt probed QEMU again (the store's copy was missing, or stale after an
 * upgrade of QEMU, libvirt or the kernel), its new cache replaces the store's: kept
 * only when empty, a stale copy made every later run probe for seconds.
 */
void
ami_hypervisor_save_caps_cache(AmiHypervisor *hv, const char *caps_cache)
{
    g_autofree char *caps = NULL;

    if (!hv->root)
        return;
    caps = g_build_filename(hv->root, "cache", "qemu", "capabilities", NULL);
    copy_dir_files(caps, caps_cache);
}

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    AmiHypervisor *hv = opaque;

    (void)conn;
    (void)dom;
    (void)detail;
    if (event == VIR_DOMAIN_EVENT_STOPPED || event == VIR_DOMAIN_EVENT_CRASHED ||
        event == VIR_DOMAIN_EVENT_SHUTDOWN)
        g_atomic_int_set(&hv->stopped, 1);
    if (event == VIR_DOMAIN_EVENT_STOPPED)
        g_atomic_int_set(&hv->gone, 1);
    return 0;
}

static gpointer
wait_daemon(gpointer data)
{
    pid_t pid = GPOINTER_TO_INT(data);
    int status;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return NULL; /* reaped, or ECHILD: not ours after all */
}

/*
 * The pid-file walk also runs while libvirt forks QEMU's helpers, whose children
 * allocate before exec: it must never hold an allocator lock (ASan's is not fork-safe;
 * a child forked mid-malloc deadlocked in opendir).  So: syscalls and stack buffers.
 */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

typedef void (*DaemonFunc)(pid_t pid, gpointer data);

/* Every daemon libvirt starts for a domain leaves a pid file under <root>/run. */
static void
each_daemon(const char *dir, int depth, DaemonFunc fn, gpointer data)
{
    _Alignas(struct dirent64) char buf[2048];
    char path[PATH_MAX], text[32];
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ssize_t n;
    long pid;

    if (fd < 0)
        return;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            size_t len = strlen(e->d_name);

            off += e->d_reclen;
            if (e->d_name[0] == '.' ||
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
                continue;
            if (len > 4 && strcmp(e->d_name + len - 4, ".pid") == 0) {
                if (read_small(path, text, sizeof text) > 0 &&
                    (pid = strtol(text, NULL, 10)) > 1 && pid <= G_MAXINT)
                    fn((pid_t)pid, data);
            } else if (depth > 0 && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN)) {
                each_daemon(path, depth - 1, fn, data);
            }
        }
    }
    close(fd);
}

static void
adopt_daemon(pid_t pid, gpointer data)
{
    AmiHypervisor *hv = data;

    g_ptr_array_add(hv->waiters, g_thread_new("daemon-waiter", wait_daemon, GINT_TO_POINTER(pid)));
}

/* A daemon of ours that already exited: reap it, so that libvirt sees its pid gone. */
static void
reap_if_dead(pid_t pid, gpointer data)
{
    char path[32], stat[512];
    const char *end;

    (void)data;
    if (snprintf(path, sizeof path, "/proc/%d/stat", (int)pid) >= (int)sizeof path ||
        read_small(path, stat, sizeof stat) <= 0)
        return;
    /* "PID (COMM) STATE PPID …"; COMM may hold anything, so parse after the last ')'. */
    if ((end = strrchr(stat, ')')) && strncmp(end, ") Z ", 4) == 0 &&
        strtol(end + 4, NULL, 10) == getpid())
        (void)waitpid(pid, NULL, WNOHANG);
}

typedef struct {
    const char *run; /* <root>/run */
    gint done;       /* atomic: virDomainCreateXML returned */
} StartReaper;

/*
 * While libvirt starts the domain: a daemon that dies at once (QEMU refusing its
 * command line or its memory) is ours to reap, and libvirt's cleanup waits for its pid
 * to be gone: 45 s, then a forced kill, had we waited until the start returned.
 */
static gpointer
reap_during_start(gpointer data)
{
    StartReaper *sr = data;

    while (!g_atomic_int_get(&sr->done)) {
        each_daemon(sr->run, 3, reap_if_dead, NULL);
        g_usleep(20 * 1000);
    }
    return NULL;
}

/* Load QEMU's capabilities for this domain now, so no probe runs while we adopt orphans. */
static void
load_capabilities(AmiHypervisor *hv, const char *xml)
{
    g_autoptr(GRegex) re = g_regex_new("<domain type='([a-z]+)'.*<type arch='([^']+)' "
                                       "machine='([^']+)'", G_REGEX_DOTALL, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;

    if (g_regex_match(re, xml, 0, &m)) {
        g_autofree char *type = g_match_info_fetch(m, 1);
        g_autofree char *arch = g_match_info_fetch(m, 2);
        g_autofree char *machine = g_match_info_fetch(m, 3);

        g_free(virConnectGetDomainCapabilities(hv->conn, NULL, arch, machine, type, 0));
    }
}

gboolean
ami_hypervisor_start(AmiHypervisor *hv, const char *xml, GError **error)
{
    /*
     * libvirt daemonizes QEMU (and swtpm), and its destroy waits until QEMU's pid is
     * gone, zombie included, so their exit statuses go to whoever reaps orphans: with a
     * slow-reaping PID 1 (containers) that cost 1.4 s per teardown, with none forever.
     * The embedded driver runs in our process, so for the start we become the orphans'
     * subreaper and then reap exactly the daemons whose pid files libvirt wrote.  The
     * capabilities are loaded first: a probe's QEMU must not be adopted, no one would
     * reap it and libvirt would wait for it.  libvirt and GLib reap their own children.
     */
    g_autofree char *run = hv->root ? g_build_filename(hv->root, "run", NULL) : NULL;
    StartReaper sr = {.run = run};
    GThread *reaper = NULL;

    if (hv->root) {
        load_capabilities(hv, xml);
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        reaper = g_thread_new("start-reaper", reap_during_start, &sr);
    }
    /*
     * A daemon's domain would outlive us if we were killed (its QEMU is neither our
     * child nor under a root we know): with autodestroy the daemon destroys it when our
     * connection closes, however we end.  The embedded driver refuses the flag ("not
     * supported for embedded drivers yet", libvirt 9.0); there the reaper does the job.
     */
    hv->dom = virDomainCreateXML(hv->conn, xml, hv->root ? 0 : VIR_DOMAIN_START_AUTODESTROY);
    if (hv->root) {
        g_atomic_int_set(&sr.done, 1);
        g_thread_join(reaper);
        (void)prctl(PR_SET_CHILD_SUBREAPER, 0); /* the adopted stay ours */
        each_daemon(run, 3, adopt_daemon, hv);
    }
    if (!hv->dom)
        return virt_failed(error, "cannot start the domain");
    hv->callback_id = virConnectDomainEventRegisterAny(
        hv->conn, hv->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle),
        hv, NULL);
    return TRUE;
}

char *
ami_hypervisor_pid_file(AmiHypervisor *hv, const char *name)
{
    return hv->root ? g_strdup_printf("%s/run/qemu/%s.pid", hv->root, name) : NULL;
}

int
ami_hypervisor_qemu_pid(AmiHypervisor *hv)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;

    if (!hv->dom || !(path = ami_hypervisor_pid_file(hv, virDomainGetName(hv->dom))))
        return 0;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    return (int)g_ascii_strtoll(text, NULL, 10);
}

gboolean
ami_hypervisor_stopped(AmiHypervisor *hv)
{
    if (g_atomic_int_get(&hv->stopped))
        return TRUE;
    return hv->dom && virDomainIsActive(hv->dom) == 0;
}

gboolean
ami_hypervisor_shutdown(AmiHypervisor *hv, GError **error)
{
    if (hv->dom && virDomainShutdown(hv->dom) < 0)
        return virt_failed(error, "cannot shut the guest down");
    return TRUE;
}

gboolean
ami_hypervisor_suspend(AmiHypervisor *hv, GError **error)
{
    if (!hv->dom || virDomainSuspend(hv->dom) < 0)
        return virt_failed(error, "cannot pause the guest");
    return TRUE;
}

gboolean
ami_hypervisor_resume(AmiHypervisor *hv, GError **error)
{
    if (!hv->dom || virDomainResume(hv->dom) < 0)
        return virt_failed(error, "cannot resume the guest");
    return TRUE;
}

gboolean
ami_hypervisor_reset(AmiHypervisor *hv, GError **error)
{
    if (hv->dom && virDomainReset(hv->dom, 0) < 0)
        return virt_failed(error, "cannot reset the guest");
    return TRUE;
}

/*
 * libvirt's destroy sends QEMU SIGTERM, then looks again every 200 ms until its pid is
 * gone (virProcessKillPainfully): a QEMU that exits in 20 ms still costs 200 ms of every
 * teardown (docs/performance.md, case 9).  So under our own root, where QEMU is our
 * adopted child, we send the same SIGTERM first, through a pidfd taken while it was
 * certainly this domain's QEMU, and reap it as soon as it exits (or its waiter thread
 * does); libvirt then finds the pid gone at its first look.  QEMU still exits cleanly
 * (SIGTERM: block devices flushed), as it did under libvirt's kill.
 */
static void
terminate_qemu_first(AmiHypervisor *hv)
{
    int pid = hv->root ? ami_hypervisor_qemu_pid(hv) : 0;
    int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};

    if (fd < 0)
        return;
    if (ami_pid_is_qemu_of(pid, virDomainGetName(hv->dom)) &&
        syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) == 0 && poll(&p, 1, 3000) == 1) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) /* ECHILD: the waiter reaped it */
            ;
    }
    close(fd);
}

void
ami_hypervisor_destroy(AmiHypervisor *hv)
{
    if (hv->dom && virDomainIsActive(hv->dom) == 1) {
        terminate_qemu_first(hv);
        virDomainDestroy(hv->dom);
    }
}

void
ami_hypervisor_close(AmiHypervisor *hv)
{
    if (!hv)
        return;
    if (hv->dom) {
        gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

        ami_hypervisor_destroy(hv);
        /*
         * Let libvirt's qemu-event worker finish processing the stop before the driver
         * goes: closing under it races its thread (and exiting then crashed LSan's
         * tracer once under load).  The STOPPED event is its last word.
         */
        while (hv->callback_id >= 0 && !g_atomic_int_get(&hv->gone) &&
               g_get_monotonic_time() < deadline)
            g_usleep(10 * 1000);
        if (hv->callback_id >= 0)
            virConnectDomainEventDeregisterAny(hv->conn, hv->callback_id);
        virDomainFree(hv->dom);
    }
    /* Daemons still running (a failed destroy) keep their waiter, detached. */
    g_clear_pointer(&hv->waiters, g_ptr_array_unref);
    if (hv->conn)
        virConnectClose(hv->conn);
    g_atomic_int_set(&hv->quit, 1);
    if (hv->events)
        g_thread_join(hv->events);
    if (hv->wake_timer >= 0)
        virEventRemoveTimeout(hv->wake_timer);
    g_free(hv->root);
    g_free(hv);
}
