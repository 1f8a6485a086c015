/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libguestfs, the only place it is called: the offline sysprep of a captured disk.
 * The sequence is the one the libguestfs docs give and ../shared image-lifecycle.md
 * measured here: direct backend, TCG (KVM aborts on these hosts), format pinned (no probe:
 * CVE-2010-3851), discard besteffort for fstrim, inspect_os with exactly one root, mount
 * by mountpoint length, every operation, fstrim, umount, a *checked* shutdown (an
 * unchecked one can lose the writes), close.  Guest paths stay inside the appliance's
 * /sysroot: a hostile guest can only make us delete its own files.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ami-run/error.h"
#include "ami-run/guestfs-priv.h"

typedef struct {
    guestfs_h *g;
    const char *disk;
    AmiSysprepReport report;
    void *data;
    GPtrArray *homes;   /* every user's home directory, sorted */
    GPtrArray *mounted; /* the mountpoints mounted, shortest first */
} Sysprep;

/* The handle's last error as a GError about @what; returns FALSE. */
static gboolean
gfs_fail(const Sysprep *sp, GError **error, const char *what)
{
    const char *msg = guestfs_last_error(sp->g);

    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "Disk '%s': %s: %s", sp->disk, what,
                msg ? msg : "libguestfs gave no reason");
    return FALSE;
}

static void
said(const Sysprep *sp, const char *op, const char *item)
{
    g_debug("sysprep %s: %s", op, item);
    if (sp->report)
        sp->report(op, item, sp->data);
}

static gboolean
remove_item(const Sysprep *sp, const char *op, const char *path, GError **error)
{
    if (guestfs_rm_rf(sp->g, path) == -1) {
        g_autofree char *what = g_strdup_printf("removing '%s'", path);
        return gfs_fail(sp, error, what);
    }
    said(sp, op, path);
    return TRUE;
}

/* rm -rf every match of @pattern (no trailing slash on directories). */
static gboolean
remove_glob(const Sysprep *sp, const char *op, const char *pattern, GError **error)
{
    g_auto(GStrv) matches = guestfs_glob_expand_opts(
        sp->g, pattern, GUESTFS_GLOB_EXPAND_OPTS_DIRECTORYSLASH, 0, -1);

    if (!matches) {
        g_autofree char *what = g_strdup_printf("expanding '%s'", pattern);
        return gfs_fail(sp, error, what);
    }
    for (gsize i = 0; matches[i]; i++) {
        if (!remove_item(sp, op, matches[i], error))
            return FALSE;
    }
    return TRUE;
}

/* Every entry of the directory @dir (dotfiles too: a glob would miss them) but @keep. */
static gboolean
empty_dir(const Sysprep *sp, const char *op, const char *dir, const char *keep, GError **error)
{
    g_auto(GStrv) names = NULL;

    if (guestfs_is_dir(sp->g, dir) != 1) /* absent, or a symlink: not followed */
        return TRUE;
    if (!(names = guestfs_ls(sp->g, dir)))
        return gfs_fail(sp, error, "listing a directory");
    for (gsize i = 0; names[i]; i++) {
        g_autofree char *path = g_build_filename(dir, names[i], NULL);

        if (keep && strcmp(names[i], keep) == 0)
            continue;
        if (!remove_item(sp, op, path, error))
            return FALSE;
    }
    return TRUE;
}

/* @path to 0 bytes if it is a non-empty regular file; symlinks are not followed. */
static gboolean
truncate_file(const Sysprep *sp, const char *op, const char *path, gint64 size, GError **error)
{
    if (size <= 0)
        return TRUE;
    if (guestfs_truncate(sp->g, path) == -1) {
        g_autofree char *what = g_strdup_printf("truncating '%s'", path);
        return gfs_fail(sp, error, what);
    }
    said(sp, op, path);
    return TRUE;
}

static gboolean
truncate_if_file(const Sysprep *sp, const char *op, const char *path, GError **error)
{
    gint64 size;

    if (guestfs_is_file(sp->g, path) != 1)
        return TRUE;
    if ((size = guestfs_filesize(sp->g, path)) == -1)
        return gfs_fail(sp, error, "reading a file's size");
    return truncate_file(sp, op, path, size, error);
}

/*
 * Under @dir: live logs truncated (their owner, mode and labels stay, so the daemons
 * that open them without creating go on writing), rotated archives removed.
 */
static gboolean
clean_logs(const Sysprep *sp, const char *op, const char *dir, GError **error)
{
    g_auto(GStrv) rel = NULL;

    if (guestfs_is_dir(sp->g, dir) != 1)
        return TRUE;
    if (!(rel = guestfs_find(sp->g, dir))) /* find(1) without -L: symlinks not followed */
        return gfs_fail(sp, error, "walking the logs");
    for (gsize i = 0; rel[i]; i++) {
        g_autofree char *path = g_build_filename(dir, rel[i], NULL);
        g_autofree char *base = g_path_get_basename(path);
        struct guestfs_statns *st = guestfs_lstatns(sp->g, path);
        gboolean regular, ok = TRUE;
        gint64 size;

        if (!st)
            return gfs_fail(sp, error, "reading a log's status");
        regular = S_ISREG(st->st_mode);
        size = st->st_size;
        guestfs_free_statns(st);
        if (!regular)
            continue;
        if (ami_sysprep_log_is_archive(base))
            ok = remove_item(sp, op, path, error);
        else
            ok = truncate_file(sp, op, path, size, error);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gboolean
fstrim_all(const Sysprep *sp, const char *op, GError **error)
{
    char *const group[] = {(char *)"fstrim", NULL};

    if (guestfs_feature_available(sp->g, group) != 1) {
        g_debug("sysprep: the appliance cannot fstrim, ignoring");
        return TRUE;
    }
    for (guint i = 0; i < sp->mounted->len; i++) {
        const char *mp = g_ptr_array_index(sp->mounted, i);

        if (guestfs_fstrim(sp->g, mp, -1) == -1) {
            int errsv = guestfs_last_errno(sp->g);

            if (errsv == ENOTSUP || errsv == EOPNOTSUPP) {
                g_debug("sysprep: fstrim '%s': not supported, ignoring", mp);
                continue;
            }
            return gfs_fail(sp, error, "fstrim");
        }
        said(sp, op, mp);
    }
    return TRUE;
}

/* One rule of one operation (AmiSysprepAction). */
static gboolean
run_rule(const Sysprep *sp, const char *op, const AmiSysprepRule *rule, GError **error)
{
    switch (rule->action) {
    case AMI_SYSPREP_REMOVE:
        return remove_glob(sp, op, rule->path, error);
    case AMI_SYSPREP_HOME_REMOVE:
        for (guint i = 0; i < sp->homes->len; i++) {
            g_autofree char *pattern =
                g_build_filename(g_ptr_array_index(sp->homes, i), rule->path, NULL);

            if (!remove_glob(sp, op, pattern, error))
                return FALSE;
        }
        return TRUE;
    case AMI_SYSPREP_EMPTY_DIR:
        return empty_dir(sp, op, rule->path, NULL, error);
    case AMI_SYSPREP_CLOUD_STATE:
        return empty_dir(sp, op, rule->path, "seed", error);
    case AMI_SYSPREP_TRUNCATE:
        return truncate_if_file(sp, op, rule->path, error);
    case AMI_SYSPREP_LOGS:
        return clean_logs(sp, op, rule->path, error);
    case AMI_SYSPREP_FSTRIM:
        return fstrim_all(sp, op, error);
    case AMI_SYSPREP_LAST:
        break;
    }
    g_return_val_if_reached(FALSE);
}

static void
add_home(GPtrArray *homes, GHashTable *seen, guestfs_h *g, const char *dir)
{
    /* A glob character in a home would turn its patterns into other paths. */
    if (!g_path_is_absolute(dir) || strpbrk(dir, "*?[\\") || g_hash_table_contains(seen, dir))
        return;
    if (guestfs_is_dir(g, dir) != 1) /* absent (/nonexistent) or a symlink */
        return;
    g_hash_table_add(seen, g_strdup(dir));
    g_ptr_array_add(homes, g_strdup(dir));
}

static gint
by_string(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* root's, every directory in /home, and every home /etc/passwd names (system users' too). */
static gboolean
find_homes(Sysprep *sp, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) home = guestfs_glob_expand_opts(sp->g, "/home/*",
                                                  GUESTFS_GLOB_EXPAND_OPTS_DIRECTORYSLASH, 0, -1);
    g_auto(GStrv) passwd = NULL;

    if (!home)
        return gfs_fail(sp, error, "listing /home");
    add_home(sp->homes, seen, sp->g, "/root");
    for (gsize i = 0; home[i]; i++)
        add_home(sp->homes, seen, sp->g, home[i]);
    if (guestfs_is_file(sp->g, "/etc/passwd") == 1 &&
        (passwd = guestfs_read_lines(sp->g, "/etc/passwd"))) {
        for (gsize i = 0; passwd[i]; i++) {
            g_auto(GStrv) f = g_strsplit(passwd[i], ":", 7);

            if (g_strv_length(f) == 7)
                add_home(sp->homes, seen, sp->g, f[5]);
        }
    }
    g_ptr_array_sort(sp->homes, by_string); /* GCompareFunc gets the elements' addresses */
    return TRUE;
}

/* Parents before children: "/" < "/boot" < "/boot/efi" (guestfs(3) INSPECTION). */
static gint
by_mountpoint(gconstpointer a, gconstpointer b)
{
    const char *const *x = a, *const *y = b;
    gsize lx = strlen(x[0]), ly = strlen(y[0]);

    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x[0], y[0]);
}

static gboolean
mount_guest(Sysprep *sp, const char *root, GError **error)
{
    g_auto(GStrv) mps = guestfs_inspect_get_mountpoints(sp->g, root);
    g_auto(GStrv) fss = guestfs_list_filesystems(sp->g);
    gsize n;

    if (!mps || !fss)
        return gfs_fail(sp, error, "reading the guest's mountpoints");
    n = g_strv_length(mps) / 2;
    /* key/value pairs (mountpoint, device): sorted as pairs */
    qsort(mps, n, 2 * sizeof(char *), by_mountpoint);
    for (gsize i = 0; i < n; i++) {
        const char *mp = mps[2 * i], *dev = mps[2 * i + 1];
        gboolean exists = FALSE;

        for (gsize j = 0; fss[j] && fss[j + 1]; j += 2)
            exists = exists || strcmp(fss[j], dev) == 0;
        /*
         * A mountpoint the image lacks (the test image's /boot/efi: systemd makes it at
         * boot) cannot be mounted without changing the guest; nothing is cleaned there.
         */
        if (strcmp(mp, "/") != 0 && guestfs_is_dir(sp->g, mp) != 1) {
            g_debug("sysprep: %s: no such directory in the guest, not mounted", mp);
            continue;
        }
        if (guestfs_mount(sp->g, dev, mp) == -1) {
            /* The docs: the list "may return filesystems which are non-existent". */
            if (strcmp(mp, "/") != 0 && !exists) {
                g_debug("sysprep: %s on %s: %s, ignoring", dev, mp, guestfs_last_error(sp->g));
                continue;
            }
            return gfs_fail(sp, error, "mounting the guest's file systems");
        }
        g_ptr_array_add(sp->mounted, g_strdup(mp));
    }
    return TRUE;
}

/* The one Linux root of the disk. */
static char *
inspect(const Sysprep *sp, GError **error)
{
    g_auto(GStrv) roots = guestfs_inspect_os(sp->g);
    g_autofree char *type = NULL;

    if (!roots) {
        gfs_fail(sp, error, "inspecting the operating system");
        return NULL;
    }
    if (g_strv_length(roots) != 1) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk '%s': %u operating systems found, sysprep needs exactly one",
                    sp->disk, g_strv_length(roots));
        return NULL;
    }
    type = guestfs_inspect_get_type(sp->g, roots[0]);
    if (g_strcmp0(type, "linux") != 0) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "Disk '%s': the guest is '%s', sysprep cleans Linux guests only", sp->disk,
                    type ? type : "unknown");
        return NULL;
    }
    return g_strdup(roots[0]);
}

/* A handle on @disk read-write, launched: direct backend, TCG unless the user said. */
static gboolean
launch(Sysprep *sp, GError **error)
{
    char *const tcg[] = {(char *)"force_tcg", NULL};
    gint64 t0 = g_get_monotonic_time();

    if (!(sp->g = guestfs_create())) {
        return ami_error_set_errno(error, errno, "libguestfs: creating a handle");
    }
    guestfs_set_error_handler(sp->g, NULL, NULL); /* errors are GErrors, not stderr */
    if (guestfs_set_backend(sp->g, "direct") == -1 ||
        /* KVM aborts on these hosts ("failed to set MSR 0x10a"); the env var overrides */
        (!g_getenv("LIBGUESTFS_BACKEND_SETTINGS") &&
         guestfs_set_backend_settings(sp->g, tcg) == -1))
        return gfs_fail(sp, error, "configuring libguestfs");
    if (guestfs_add_drive_opts(sp->g, sp->disk, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, 0,
                               GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort", -1) == -1)
        return gfs_fail(sp, error, "adding the disk");
    if (guestfs_launch(sp->g) == -1)
        return gfs_fail(sp, error, "launching the libguestfs appliance");
    g_debug("sysprep: appliance launched in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    return TRUE;
}

static gboolean
run_ops(Sysprep *sp, guint64 selected, GError **error)
{
    gsize n;
    const AmiSysprepOp *ops = ami_sysprep_ops(&n);

    for (gsize i = 0; i < n; i++) {
        if (!(selected & (G_GUINT64_CONSTANT(1) << i)))
            continue;
        for (const AmiSysprepRule *r = ops[i].rules; r->path; r++) {
            if (!run_rule(sp, ops[i].name, r, error))
                return FALSE;
        }
    }
    return TRUE;
}

static void
sysprep_clear(Sysprep *sp)
{
    if (sp->g)
        guestfs_close(sp->g); /* shuts down, ignoring errors: only on the error path */
    g_clear_pointer(&sp->homes, g_ptr_array_unref);
    g_clear_pointer(&sp->mounted, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Sysprep, sysprep_clear)

gboolean
ami_guestfs_sysprep_hooked(const char *qcow2_path, const char *ops, AmiSysprepReport report,
                           void *data, AmiGuestfsHook hook, void *hook_data, GError **error)
{
    g_auto(Sysprep) sp = {NULL, qcow2_path, report, data, g_ptr_array_new_with_free_func(g_free),
                          g_ptr_array_new_with_free_func(g_free)};
    g_autofree char *root = NULL;
    guint64 selected;
    gint64 t0;

    if (!ami_sysprep_parse_ops(ops, &selected, error))
        return FALSE;
    if (!g_path_is_absolute(qcow2_path)) /* "nbd:…" and friends are QEMU protocols */
        return ami_error_invalid(error, "Disk '%s': not an absolute path", qcow2_path);
    if (!launch(&sp, error))
        return FALSE;
    t0 = g_get_monotonic_time();
    if (!(root = inspect(&sp, error)) || !mount_guest(&sp, root, error))
        return FALSE;
    g_debug("sysprep: inspected and mounted in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    if (hook && !hook(sp.g, hook_data, error))
        return FALSE;
    t0 = g_get_monotonic_time();
    if (!find_homes(&sp, error) || !run_ops(&sp, selected, error))
        return FALSE;
    g_debug("sysprep: operations done in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    t0 = g_get_monotonic_time();
    if (guestfs_umount_all(sp.g) == -1)
        return gfs_fail(&sp, error, "unmounting the guest");
    /* guestfs(3): an error here "may indicate that the disk image could not be written" */
    if (guestfs_shutdown(sp.g) == -1)
        return gfs_fail(&sp, error, "shutting the appliance down");
    g_debug("sysprep: unmounted and shut down in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    return TRUE;
}

gboolean
ami_guestfs_sysprep(const char *qcow2_path, const char *ops, AmiSysprepReport report,
                    void *data, GError **error)
{
    return ami_guestfs_sysprep_hooked(qcow2_path, ops, report, data, NULL, NULL, error);
}
