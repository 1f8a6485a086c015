/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysprep-check DISK [OPS]: the integration test of ami_guestfs_sysprep() on a qcow2
 * overlay of the Debian test image (tests/slow/test-sysprep.sh makes it).
 *
 * Two appliance launches: the first is ami_guestfs_sysprep() itself, whose test hook plants
 * every item of the list into the mounted guest (so planting and cleaning share it); the
 * second is a read-only handle that checks none of the items is left, the logs and
 * machine-id are empty files with their owners, and what must stay stayed.  The report
 * must name every item.  Prints the report ("OP ITEM" lines) and the timings; exit 0 when
 * all holds, 1 with the first failure, 2 with an ami_guestfs_sysprep() error of
 * AMI_ERROR_INVALID (bad OPS), 4 with another.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ami-run/error.h"
#include "ami-run/guestfs-priv.h"

/* A file the hook writes: its path, content, owner and what must become of it. */
typedef enum { GONE, EMPTIED, KEPT } Fate;
typedef struct {
    const char *path;
    const char *content; /* NULL: a symlink to @link_to */
    const char *link_to;
    int uid, gid, mode;
    Fate fate;
    const char *op; /* the operation that must report it (GONE/EMPTIED) */
    const char *reported; /* the item reported, when not @path (a parent directory) */
} Plant;

static const Plant plants[] = {
    /* ssh-hostkeys: the image's own keys are checked by glob below; one more type */
    {"/etc/ssh/ssh_host_dsa_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n", NULL, 0, 0, 0600,
     GONE, "ssh-hostkeys", NULL},
    {"/etc/ssh/sshd_config.d/10-planted.conf", "PermitRootLogin no\n", NULL, 0, 0, 0644, KEPT,
     NULL, NULL},
    /* authorized-keys: root, a user, cloud-init's default user, a passwd home outside /home */
    {"/root/.ssh/authorized_keys", "no-port-forwarding,command=\"echo Please login as the "
     "user \\\"debian\\\"\" ssh-ed25519 AAAAplanted root\n", NULL, 0, 0, 0600, GONE,
     "authorized-keys", NULL},
    {"/home/admin/.ssh/authorized_keys", "ssh-ed25519 AAAAplanted admin\n", NULL, 1001, 1001,
     0600, GONE, "authorized-keys", NULL},
    {"/home/admin/.ssh/authorized_keys2", "ssh-rsa AAAAplanted admin2\n", NULL, 1001, 1001,
     0600, GONE, "authorized-keys", NULL},
    {"/home/admin/.ssh/known_hosts", "github.com ssh-ed25519 AAAA\n", NULL, 1001, 1001, 0644,
     KEPT, NULL, NULL},
    {"/home/debian/.ssh/authorized_keys", "ssh-ed25519 AAAAplanted cloud-init-key\n", NULL,
     1000, 1000, 0600, GONE, "authorized-keys", NULL},
    {"/srv/svc/.ssh/authorized_keys", "ssh-ed25519 AAAAplanted svc\n", NULL, 990, 990, 0600,
     GONE, "authorized-keys", NULL},
    /* shell-history */
    {"/root/.bash_history", "aws configure\n", NULL, 0, 0, 0600, GONE, "shell-history", NULL},
    {"/home/admin/.bash_history", "export AWS_SECRET_ACCESS_KEY=x\n", NULL, 1001, 1001, 0600,
     GONE, "shell-history", NULL},
    {"/home/admin/.python_history", "import boto3\n", NULL, 1001, 1001, 0600, GONE,
     "shell-history", NULL},
    {"/home/admin/.lesshst", ".less-history-file:\n", NULL, 1001, 1001, 0600, GONE,
     "shell-history", NULL},
    {"/home/admin/.local/share/fish/fish_history", "- cmd: ls\n", NULL, 1001, 1001, 0600, GONE,
     "shell-history", NULL},
    {"/home/debian/.zsh_history", ": 1700000000:0;sudo -i\n", NULL, 1000, 1000, 0600, GONE,
     "shell-history", NULL},
    {"/srv/svc/.psql_history", "select 1;\n", NULL, 990, 990, 0600, GONE, "shell-history",
     NULL},
    {"/home/admin/.bashrc", "alias ll='ls -l'\n", NULL, 1001, 1001, 0644, KEPT, NULL, NULL},
    /* aws-credentials */
    {"/root/.aws/credentials", "[default]\naws_secret_access_key = planted\n", NULL, 0, 0, 0600,
     GONE, "aws-credentials", "/root/.aws"},
    {"/home/admin/.aws/config", "[default]\nregion = us-east-1\n", NULL, 1001, 1001, 0600, GONE,
     "aws-credentials", "/home/admin/.aws"},
    {"/home/admin/.aws/credentials", "[default]\naws_access_key_id = AKIAPLANTED\n", NULL, 1001,
     1001, 0600, GONE, "aws-credentials", "/home/admin/.aws"},
    /* cloud-init: `cloud-init clean --logs` */
    {"/var/lib/cloud/instances/i-0123456789abcdef0/user-data.txt", "#!/bin/sh\n", NULL, 0, 0,
     0600, GONE, "cloud-init", "/var/lib/cloud/instances"},
    {"/var/lib/cloud/instance", NULL, "/var/lib/cloud/instances/i-0123456789abcdef0", 0, 0, 0,
     GONE, "cloud-init", NULL},
    {"/var/lib/cloud/data/instance-id", "i-0123456789abcdef0\n", NULL, 0, 0, 0644, GONE,
     "cloud-init", "/var/lib/cloud/data"},
    {"/var/lib/cloud/sem/config_scripts_per_once.once", "x\n", NULL, 0, 0, 0644, GONE,
     "cloud-init", "/var/lib/cloud/sem"},
    {"/var/lib/cloud/seed/nocloud/meta-data", "instance-id: golden\n", NULL, 0, 0, 0644, KEPT,
     NULL, NULL},
    {"/var/log/cloud-init.log", "2025-12-01 cloud-init[1]: util.py\n", NULL, 0, 4, 0640, GONE,
     "cloud-init", NULL},
    {"/var/log/cloud-init-output.log", "Cloud-init v. 22.4.2 finished\n", NULL, 0, 4, 0640,
     GONE, "cloud-init", NULL},
    /* tmp-files, dotfiles too */
    {"/tmp/.x", "x\n", NULL, 1001, 1001, 0600, GONE, "tmp-files", NULL},
    {"/tmp/build/out.o", "\177ELF\n", NULL, 1001, 1001, 0644, GONE, "tmp-files", "/tmp/build"},
    {"/var/tmp/y", "y\n", NULL, 0, 0, 0644, GONE, "tmp-files", NULL},
    {"/var/tmp/.hidden/z", "z\n", NULL, 0, 0, 0644, GONE, "tmp-files", "/var/tmp/.hidden"},
    /* logs: truncated with their owners, rotated ones removed */
    {"/var/log/syslog", "Dec  1 10:00:00 golden sshd[1]: Accepted publickey\n", NULL, 0, 4, 0640,
     EMPTIED, "logs", NULL},
    {"/var/log/syslog.1", "older\n", NULL, 0, 4, 0640, GONE, "logs", NULL},
    {"/var/log/syslog.2.gz", "\037\213gz\n", NULL, 0, 4, 0640, GONE, "logs", NULL},
    {"/var/log/apt/history.log", "Start-Date: 2025-12-01\n", NULL, 0, 0, 0644, EMPTIED, "logs",
     NULL},
    {"/var/log/journal/c562cf9b218b4bd18f71716b977d1a1b/system.journal", "LPKSHHRH\n", NULL, 0,
     101, 0640, EMPTIED, "logs", NULL},
    {"/var/log/journal/c562cf9b218b4bd18f71716b977d1a1b/system@0123-01-02.journal",
     "LPKSHHRH\n", NULL, 0, 101, 0640, GONE, "logs", NULL},
    {"/var/log/README.planted", NULL, "/etc/passwd", 0, 0, 0, KEPT, NULL, NULL},
    /* machine-id: emptied, not removed, not regenerated */
    {"/var/lib/dbus/machine-id", "c562cf9b218b4bd18f71716b977d1a1b\n", NULL, 0, 0, 0644, EMPTIED,
     "machine-id", NULL},
    /* dhcp-leases */
    {"/var/lib/dhcp/dhclient.ens5.leases", "lease {\n  fixed-address 10.0.2.15;\n}\n", NULL, 0,
     0, 0644, GONE, "dhcp-leases", NULL},
    {"/var/lib/NetworkManager/internal-0a1b-ens5.lease", "ADDRESS=10.0.2.15\n", NULL, 0, 0, 0644,
     GONE, "dhcp-leases", NULL},
    /* net-config */
    {"/etc/udev/rules.d/70-persistent-net.rules",
     "SUBSYSTEM==\"net\", ATTR{address}==\"52:54:00:12:34:56\", NAME=\"eth0\"\n", NULL, 0, 0,
     0644, GONE, "net-config", NULL},
    {"/etc/network/interfaces.d/50-cloud-init", "auto ens5\niface ens5 inet dhcp\n", NULL, 0, 0,
     0644, GONE, "net-config", NULL},
    {"/etc/netplan/50-cloud-init.yaml", "network: {ethernets: {ens5: {match: {macaddress: "
     "'52:54:00:12:34:56'}}}}\n", NULL, 0, 0, 0600, GONE, "net-config", NULL},
};

typedef struct {
    GPtrArray *reported;  /* "OP ITEM" */
    GPtrArray *hostkeys;  /* the image's own /etc/ssh/ssh_host_*, seen by the hook */
    char *machine_id;     /* its /etc/machine-id before */
} Check;

static void
check_clear(Check *c)
{
    g_clear_pointer(&c->reported, g_ptr_array_unref);
    g_clear_pointer(&c->hostkeys, g_ptr_array_unref);
    g_clear_pointer(&c->machine_id, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Check, check_clear)

static gboolean
gfs_error(guestfs_h *g, GError **error, const char *what)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "%s: %s", what, guestfs_last_error(g));
    return FALSE;
}

static gboolean
plant_one(guestfs_h *g, const Plant *p, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(p->path);

    if (guestfs_mkdir_p(g, dir) == -1)
        return gfs_error(g, error, p->path);
    if (!p->content)
        return guestfs_ln_sf(g, p->link_to, p->path) == 0 || gfs_error(g, error, p->path);
    if (guestfs_write(g, p->path, p->content, strlen(p->content)) == -1 ||
        guestfs_chown(g, p->uid, p->gid, p->path) == -1 ||
        guestfs_chmod(g, p->mode, p->path) == -1)
        return gfs_error(g, error, p->path);
    return TRUE;
}

/* The hook: runs inside ami_guestfs_sysprep(), on the mounted guest. */
static gboolean
plant(guestfs_h *g, void *data, GError **error)
{
    Check *c = data;
    g_auto(GStrv) keys = guestfs_glob_expand(g, "/etc/ssh/ssh_host_*");
    /* a user whose home is outside /home: only /etc/passwd says where it is */
    const char *svc = "svc:x:990:990:planted:/srv/svc:/usr/sbin/nologin\n";

    if (!keys || !(c->machine_id = guestfs_cat(g, "/etc/machine-id")))
        return gfs_error(g, error, "reading the image");
    for (gsize i = 0; keys[i]; i++)
        g_ptr_array_add(c->hostkeys, g_strdup(keys[i]));
    if (c->hostkeys->len < 4 || strlen(c->machine_id) < 32)
        return gfs_error(g, error, "the image has no host keys or machine-id to clean");
    if (guestfs_write_append(g, "/etc/passwd", svc, strlen(svc)) == -1)
        return gfs_error(g, error, "/etc/passwd");
    for (gsize i = 0; i < G_N_ELEMENTS(plants); i++) {
        if (!plant_one(g, &plants[i], error))
            return FALSE;
    }
    /* the image's own logs (dpkg.log, bootstrap.log) have content: truncated too */
    return TRUE;
}

static void
report(const char *op, const char *item, void *data)
{
    Check *c = data;

    printf("%s %s\n", op, item);
    g_ptr_array_add(c->reported, g_strdup_printf("%s %s", op, item));
}

static gboolean
was_reported(const Check *c, const char *op, const char *item)
{
    g_autofree char *line = g_strdup_printf("%s %s", op, item);

    for (guint i = 0; i < c->reported->len; i++) {
        if (strcmp(g_ptr_array_index(c->reported, i), line) == 0)
            return TRUE;
    }
    return FALSE;
}

static int
by_length(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    size_t lx = strlen(x[0]), ly = strlen(y[0]);

    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x[0], y[0]);
}

/* The second launch: the cleaned disk, read-only. */
static guestfs_h *
open_ro(const char *disk, GError **error)
{
    g_autoptr(guestfs_h) g = guestfs_create();
    char *const tcg[] = {(char *)"force_tcg", NULL};
    g_auto(GStrv) roots = NULL, mps = NULL;
    gsize n;

    if (!g) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "guestfs_create failed");
        return NULL;
    }
    guestfs_set_error_handler(g, NULL, NULL);
    if (guestfs_set_backend(g, "direct") == -1 ||
        (!g_getenv("LIBGUESTFS_BACKEND_SETTINGS") && guestfs_set_backend_settings(g, tcg) == -1) ||
        guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == -1 ||
        guestfs_launch(g) == -1 || !(roots = guestfs_inspect_os(g)) || !roots[0] ||
        !(mps = guestfs_inspect_get_mountpoints(g, roots[0]))) {
        gfs_error(g, error, "opening the cleaned disk read-only");
        return NULL;
    }
    n = g_strv_length(mps) / 2;
    qsort(mps, n, 2 * sizeof(char *), by_length);
    for (gsize i = 0; i < n; i++) {
        if (strcmp(mps[2 * i], "/") != 0 && guestfs_is_dir(g, mps[2 * i]) != 1)
            continue; /* /boot/efi: the image lacks the directory, systemd makes it */
        if (guestfs_mount_ro(g, mps[2 * i + 1], mps[2 * i]) == -1) {
            gfs_error(g, error, mps[2 * i]);
            return NULL;
        }
    }
    return g_steal_pointer(&g);
}

#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            g_autofree char *m_ = g_strdup_printf(__VA_ARGS__);                                  \
            fprintf(stderr, "FAIL: %s\n", m_);                                                   \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

static gboolean
exists_at_all(guestfs_h *g, const char *path)
{
    return guestfs_exists(g, path) == 1 || guestfs_is_symlink(g, path) == 1;
}

static int
check_plants(guestfs_h *g, const Check *c)
{
    int failures = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(plants); i++) {
        const Plant *p = &plants[i];
        struct guestfs_statns *st = NULL;

        switch (p->fate) {
        case GONE:
            CHECK(!exists_at_all(g, p->path), "%s is still there", p->path);
            break;
        case EMPTIED:
            st = guestfs_lstatns(g, p->path);
            CHECK(st && S_ISREG(st->st_mode), "%s is not a regular file any more", p->path);
            if (st) {
                CHECK(st->st_size == 0, "%s has %lld bytes", p->path, (long long)st->st_size);
                CHECK(st->st_uid == p->uid && st->st_gid == p->gid &&
                          (st->st_mode & 07777) == p->mode,
                      "%s lost its owner or mode", p->path);
            }
            guestfs_free_statns(st);
            break;
        case KEPT:
            CHECK(exists_at_all(g, p->path), "%s was removed, it should stay", p->path);
            break;
        }
        if (p->fate != KEPT) {
            const char *item = p->reported ? p->reported : p->path;
            CHECK(was_reported(c, p->op, item), "'%s %s' not reported", p->op, item);
        }
    }
    return failures;
}

static int
check_image(guestfs_h *g, const Check *c)
{
    int failures = 0;
    g_auto(GStrv) keys = guestfs_glob_expand(g, "/etc/ssh/ssh_host_*");
    g_auto(GStrv) tmp = guestfs_ls(g, "/tmp");
    g_auto(GStrv) vartmp = guestfs_ls(g, "/var/tmp");
    g_auto(GStrv) cloud = guestfs_ls(g, "/var/lib/cloud");
    g_auto(GStrv) logs = guestfs_find(g, "/var/log");

    CHECK(keys && !keys[0], "SSH host keys left in /etc/ssh");
    for (guint i = 0; i < c->hostkeys->len; i++)
        CHECK(was_reported(c, "ssh-hostkeys", g_ptr_array_index(c->hostkeys, i)),
              "host key %s not reported", (char *)g_ptr_array_index(c->hostkeys, i));
    CHECK(guestfs_is_dir(g, "/tmp") == 1 && tmp && !tmp[0], "/tmp is not an empty directory");
    CHECK(guestfs_is_dir(g, "/var/tmp") == 1 && vartmp && !vartmp[0],
          "/var/tmp is not an empty directory");
    CHECK(cloud && g_strv_length(cloud) == 1 && strcmp(cloud[0], "seed") == 0,
          "/var/lib/cloud holds more than seed/");
    CHECK(guestfs_is_file(g, "/etc/machine-id") == 1 && guestfs_filesize(g, "/etc/machine-id") == 0,
          "/etc/machine-id is not an empty file");
    CHECK(was_reported(c, "machine-id", "/etc/machine-id"), "/etc/machine-id not reported");
    CHECK(guestfs_is_file(g, "/etc/ssh/sshd_config") == 1, "sshd_config was removed");
    /* /var/log/README.planted links to it: the log walk must not follow symlinks */
    CHECK(guestfs_filesize(g, "/etc/passwd") > 0, "/etc/passwd was truncated");
    CHECK(guestfs_is_dir(g, "/home/admin/.ssh") == 1, "/home/admin/.ssh was removed");
    CHECK(logs != NULL, "cannot walk /var/log");
    for (gsize i = 0; logs && logs[i]; i++) {
        g_autofree char *path = g_build_filename("/var/log", logs[i], NULL);
        struct guestfs_statns *st = guestfs_lstatns(g, path);

        if (st && S_ISREG(st->st_mode))
            CHECK(st->st_size == 0, "log %s has %lld bytes", path, (long long)st->st_size);
        guestfs_free_statns(st);
    }
    CHECK(guestfs_is_file(g, "/var/log/dpkg.log") == 1, "the image's dpkg.log was removed");
    CHECK(was_reported(c, "logs", "/var/log/dpkg.log"), "the image's dpkg.log not reported");
    CHECK(was_reported(c, "fstrim", "/"), "fstrim of / not reported");
    return failures;
}

int
main(int argc, char **argv)
{
    g_auto(Check) c = {g_ptr_array_new_with_free_func(g_free),
                       g_ptr_array_new_with_free_func(g_free), NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(guestfs_h) g = NULL;
    const char *disk = argc > 1 ? argv[1] : NULL;
    gint64 t0, t1, t2;
    int failures;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: sysprep-check DISK.qcow2 [OPS]\n");
        return 2;
    }
    t0 = g_get_monotonic_time();
    if (!ami_guestfs_sysprep_hooked(disk, argv[2], report, &c, plant, &c, &error)) {
        fprintf(stderr, "sysprep-check: %s\n", error->message);
        return ami_error_exit_code(error);
    }
    t1 = g_get_monotonic_time();
    if (!(g = open_ro(disk, &error))) {
        fprintf(stderr, "FAIL: %s\n", error->message);
        return 1;
    }
    failures = check_plants(g, &c) + check_image(g, &c);
    t2 = g_get_monotonic_time();
    printf("timing: sysprep (launch, plant, clean, shutdown) %.1f s, read-only check %.1f s\n",
           (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    return failures ? 1 : 0;
}
