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
#include <unistd.h>

#include <gio/gio.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/guestfs-priv.h"
#include "ami-run/inspect.h"

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

/* --- forensics: inspect and logs, read-only (docs/forensics.md) ------------------------ */

/* Files larger than this are not read into a report (a grub.cfg is a few KiB). */
#define CONFIG_MAX (1024 * 1024)
/* An initramfs larger than this is not listed (Debian's: ~30 MiB compressed). */
#define INITRD_MAX (512 * 1024 * 1024)

typedef struct {
    guestfs_h *g;
    const char *disk; /* the first, for messages */
} RoHandle;

static void
ro_clear(RoHandle *h)
{
    if (h->g)
        guestfs_close(h->g);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RoHandle, ro_clear)

static gboolean
ro_fail(const RoHandle *h, GError **error, const char *what)
{
    const char *msg = guestfs_last_error(h->g);

    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "Disk '%s': %s: %s", h->disk, what,
                msg ? msg : "libguestfs gave no reason");
    return FALSE;
}

/*
 * One appliance over every disk, each read-only: libguestfs puts a temporary overlay in
 * front of it (launch-direct.c, file.backing.file.locking=off), so the store's files and
 * a stopped instance's volumes stay byte-identical.  Format pinned: no probing.
 */
static gboolean
ro_launch(RoHandle *h, const char *const *disks, GError **error)
{
    char *const tcg[] = {(char *)"force_tcg", NULL};
    gint64 t0 = g_get_monotonic_time();

    h->disk = disks[0];
    for (const char *const *d = disks; *d; d++)
        if (!g_path_is_absolute(*d))
            return ami_error_invalid(error, "Disk '%s': not an absolute path", *d);
    if (!(h->g = guestfs_create()))
        return ami_error_set_errno(error, errno, "libguestfs: creating a handle");
    guestfs_set_error_handler(h->g, NULL, NULL);
    if (guestfs_set_backend(h->g, "direct") == -1 ||
        (!g_getenv("LIBGUESTFS_BACKEND_SETTINGS") && guestfs_set_backend_settings(h->g, tcg) == -1))
        return ro_fail(h, error, "configuring libguestfs");
    for (const char *const *d = disks; *d; d++) {
        if (guestfs_add_drive_opts(h->g, *d, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) == -1)
            return ro_fail(h, error, "adding the disk");
    }
    if (guestfs_launch(h->g) == -1)
        return ro_fail(h, error, "launching the libguestfs appliance");
    g_debug("forensics: appliance launched in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    return TRUE;
}

/* A guest file's bytes through a host temporary file (read_file has a message limit). */
static GBytes *
ro_download(const RoHandle *h, const char *path, gint64 max, GError **error)
{
    g_autofree char *tmp = NULL;
    g_autofree char *data = NULL;
    gint64 size = guestfs_filesize(h->g, path);
    gsize len = 0;
    int fd;

    if (size < 0) {
        ro_fail(h, error, "reading a file's size");
        return NULL;
    }
    if (size > max) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "'%s' is %" G_GINT64_FORMAT " bytes, more than this reads", path, size);
        return NULL;
    }
    if ((fd = g_file_open_tmp("ami-run-guest-XXXXXX", &tmp, error)) < 0)
        return NULL;
    close(fd);
    if (guestfs_download(h->g, path, tmp) == -1) {
        g_autofree char *what = g_strdup_printf("reading '%s'", path);
        unlink(tmp);
        ro_fail(h, error, what);
        return NULL;
    }
    if (!g_file_get_contents(tmp, &data, &len, error)) {
        unlink(tmp);
        return NULL;
    }
    unlink(tmp);
    return g_bytes_new_take(g_steal_pointer(&data), len);
}

/* A regular file's text (made valid UTF-8), or NULL when it is absent or too large. */
static char *
ro_text(const RoHandle *h, const char *path)
{
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) local = NULL;
    gsize len;
    const char *d;

    if (guestfs_is_file_opts(h->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) != 1)
        return NULL;
    if (!(b = ro_download(h, path, CONFIG_MAX, &local))) {
        g_debug("forensics: %s: %s, ignoring", path, local->message);
        return NULL;
    }
    d = g_bytes_get_data(b, &len);
    return g_utf8_make_valid(d ? d : "", (gssize)len);
}

static json_t *
ro_glob(const RoHandle *h, const char *pattern)
{
    g_auto(GStrv) m = guestfs_glob_expand_opts(h->g, pattern,
                                               GUESTFS_GLOB_EXPAND_OPTS_DIRECTORYSLASH, 0, -1);
    json_t *a = json_array();

    for (gsize i = 0; m && m[i]; i++)
        json_array_append_new(a, json_string(m[i]));
    return a;
}

/* Decompress @in with the host's own tool for its magic (argv, never a shell). */
static GBytes *
decompress(const guint8 *in, gsize len, GError **error)
{
    static const struct {
        const char *magic;
        gsize n;
        const char *argv[4];
    } tools[] = {
        {"\x1f\x8b", 2, {"gzip", "-dc", NULL}},
        {"\x28\xb5\x2f\xfd", 4, {"zstd", "-dcq", NULL}},
        {"\xfd" "7zXZ\x00", 6, {"xz", "-dc", NULL}},
        {"\x02\x21\x4c\x18", 4, {"lz4", "-dc", NULL}},
        {"BZh", 3, {"bzip2", "-dc", NULL}},
        {"\x5d\x00\x00", 3, {"xz", "--format=lzma", "-dc", NULL}},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(tools); i++) {
        g_autoptr(GSubprocess) sp = NULL;
        g_autoptr(GBytes) input = NULL;
        GBytes *out = NULL;

        if (len < tools[i].n || memcmp(in, tools[i].magic, tools[i].n) != 0)
            continue;
        if (!(sp = g_subprocess_newv(tools[i].argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                     error)))
            return NULL;
        input = g_bytes_new_static(in, len);
        if (!g_subprocess_communicate(sp, input, NULL, &out, NULL, error))
            return NULL;
        /* gzip exits 2 for "trailing garbage ignored": the output is still whole. */
        if (!out || g_bytes_get_size(out) == 0) {
            g_clear_pointer(&out, g_bytes_unref);
            g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "%s could not decompress it", tools[i].argv[0]);
        }
        return out;
    }
    g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "neither cpio nor a compression format this knows");
    return NULL;
}

/* Every name in an initramfs: cpio archives, uncompressed (early microcode) or not. */
static gboolean
initrd_names(const guint8 *data, gsize len, GPtrArray *names, int depth, GError **error)
{
    gsize end = 0;
    g_autoptr(GBytes) inner = NULL;
    const guint8 *d;
    gsize n;

    if (!ami_cpio_list(data, len, names, &end, error))
        return FALSE;
    if (end >= len)
        return TRUE;
    if (depth > 0)
        return ami_error_invalid(error, "a compressed archive inside a compressed archive");
    if (!(inner = decompress(data + end, len - end, error)))
        return FALSE;
    d = g_bytes_get_data(inner, &n);
    return initrd_names(d, n, names, depth + 1, error);
}

static void
add_initrd(const RoHandle *h, json_t *facts, const char *dev, const char *path)
{
    json_t *list = json_object_get(facts, "Initramfs");
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    json_t *files, *e;
    size_t i;
    const guint8 *d;
    gsize n;

    json_array_foreach(list, i, e) {
        if (!g_strcmp0(json_string_value(json_object_get(e, "Device")), dev) &&
            !g_strcmp0(json_string_value(json_object_get(e, "Path")), path))
            return;
    }
    if (guestfs_is_file_opts(h->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) != 1)
        return;
    e = json_pack("{s:s, s:s}", "Device", dev, "Path", path);
    json_array_append_new(list, e);
    if (!(b = ro_download(h, path, INITRD_MAX, &local))) {
        json_object_set_new(e, "Error", json_string(local->message));
        return;
    }
    d = g_bytes_get_data(b, &n);
    if (!initrd_names(d, n, names, 0, &local)) {
        g_autofree char *msg = g_strdup_printf("'%s' cannot be listed: %s", path, local->message);
        json_object_set_new(e, "Error", json_string(msg));
        return;
    }
    files = json_array();
    for (guint k = 0; k < names->len; k++)
        json_array_append_new(files, json_string(names->pdata[k]));
    json_object_set_new(e, "Files", files);
}

/* The boot loader files one file system may hold, mounted at /. */
static void
scan_boot_fs(const RoHandle *h, json_t *facts, const char *dev)
{
    static const struct {
        const char *pattern, *kind;
    } configs[] = {
        {"/boot/grub/grub.cfg", "grub"}, {"/grub/grub.cfg", "grub"}, {"/boot/grub2/grub.cfg", "grub"},
        {"/grub2/grub.cfg", "grub"}, {"/EFI/*/grub.cfg", "grub"},
        {"/loader/entries/*.conf", "systemd-boot"}, {"/boot/loader/entries/*.conf", "systemd-boot"},
        {"/syslinux.cfg", "syslinux"}, {"/syslinux/syslinux.cfg", "syslinux"},
        {"/boot/syslinux/syslinux.cfg", "syslinux"}, {"/extlinux.conf", "syslinux"},
        {"/extlinux/extlinux.conf", "syslinux"}, {"/boot/extlinux/extlinux.conf", "syslinux"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(configs); i++) {
        g_autoptr(json_t) paths = ro_glob(h, configs[i].pattern);
        size_t j;
        json_t *p;

        json_array_foreach(paths, j, p) {
            const char *path = json_string_value(p);
            g_autofree char *text = ro_text(h, path);
            g_autoptr(json_t) entries = NULL;
            size_t k;
            json_t *e;

            if (!text)
                continue;
            json_array_append_new(json_object_get(facts, "BootConfigs"),
                                  json_pack("{s:s, s:s, s:s, s:s}", "Device", dev, "Path", path,
                                            "Kind", configs[i].kind, "Text", text));
            entries = ami_boot_entries_parse(configs[i].kind, path, text);
            json_array_foreach(entries, k, e) {
                const char *ir = json_string_value(json_object_get(e, "Initrd"));
                g_autofree char *abs = NULL;

                if (!ir)
                    continue;
                abs = ir[0] == '/' ? g_strdup(ir) : g_strdup_printf("/%s", ir);
                add_initrd(h, facts, dev, abs);
                /* GRUB on a separate /boot names "/initrd…", on / "/boot/initrd…". */
                if (g_str_has_prefix(abs, "/boot/"))
                    add_initrd(h, facts, dev, abs + strlen("/boot"));
            }
        }
    }
}

static gboolean
scan_filesystems(const RoHandle *h, json_t *facts, GError **error)
{
    g_auto(GStrv) fss = guestfs_list_filesystems(h->g);

    if (!fss)
        return ro_fail(h, error, "listing the file systems");
    for (gsize i = 0; fss[i] && fss[i + 1]; i += 2) {
        const char *dev = fss[i], *type = fss[i + 1];
        g_autofree char *label = NULL;

        if (!strcmp(type, "swap") || !strcmp(type, "unknown"))
            continue;
        label = guestfs_vfs_label(h->g, dev);
        json_array_append_new(json_object_get(facts, "Filesystems"),
                              json_pack("{s:s, s:s, s:s*}", "Device", dev, "Type", type, "Label",
                                        label && *label ? label : NULL));
        if (guestfs_mount_ro(h->g, dev, "/") == -1) {
            g_debug("forensics: %s (%s) does not mount: %s, ignoring", dev, type, guestfs_last_error(h->g));
            continue;
        }
        scan_boot_fs(h, facts, dev);
        if (guestfs_umount_all(h->g) == -1)
            return ro_fail(h, error, "unmounting");
    }
    return TRUE;
}

/* Mount the guest's file systems read-only as its root's fstab says (guestfs(3) INSPECTION). */
static gboolean
ro_mount_root(const RoHandle *h, const char *root, GError **error)
{
    g_auto(GStrv) mps = guestfs_inspect_get_mountpoints(h->g, root);
    gsize n;

    if (!mps)
        return ro_fail(h, error, "reading the guest's mountpoints");
    n = g_strv_length(mps) / 2;
    qsort(mps, n, 2 * sizeof(char *), by_mountpoint);
    for (gsize i = 0; i < n; i++) {
        const char *mp = mps[2 * i], *dev = mps[2 * i + 1];

        if (strcmp(mp, "/") != 0 && guestfs_is_dir(h->g, mp) != 1)
            continue; /* read-only: a missing mountpoint cannot be made */
        if (guestfs_mount_ro(h->g, dev, mp) == -1) {
            if (strcmp(mp, "/") == 0)
                return ro_fail(h, error, "mounting the root file system");
            g_debug("forensics: %s on %s: %s, ignoring", dev, mp, guestfs_last_error(h->g));
        }
    }
    return TRUE;
}

/* The one root inspect_os finds; NULL with *ret_reason when there is none. */
static char *
ro_root(const RoHandle *h, char **ret_reason, GError **error)
{
    g_auto(GStrv) roots = guestfs_inspect_os(h->g);
    g_autofree char *type = NULL;

    if (!roots) {
        ro_fail(h, error, "inspecting the operating system");
        return NULL;
    }
    if (!roots[0]) {
        *ret_reason = g_strdup("no Linux root file system on the disks (libguestfs inspection found none: the image boots from its initramfs, or its root is encrypted)");
        return NULL;
    }
    type = guestfs_inspect_get_type(h->g, roots[0]);
    if (g_strcmp0(type, "linux") != 0) {
        *ret_reason = g_strdup_printf("the operating system is '%s', not Linux", type ? type : "unknown");
        return NULL;
    }
    return g_strdup(roots[0]);
}

static json_t *
modules_builtin(const RoHandle *h)
{
    static const char *const drivers[] = {AMI_INSPECT_DRIVERS, NULL};
    g_autoptr(json_t) files = ro_glob(h, "/lib/modules/*/modules.builtin");
    json_t *out = json_array();
    size_t i;
    json_t *f;

    json_array_foreach(files, i, f) {
        g_autofree char *text = ro_text(h, json_string_value(f));
        g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);

        for (char **l = lines; *l; l++) {
            for (const char *const *d = drivers; *d; d++) {
                g_autofree char *ko = g_strdup_printf("/%s.ko", *d);

                if (g_str_has_suffix(*l, ko))
                    json_array_append_new(out, json_string(*l));
            }
        }
    }
    return out;
}

static json_t *
cloud_facts(const RoHandle *h)
{
    json_t *ci = json_object();
    json_t *configs = json_array();
    g_autoptr(json_t) vp = ro_glob(h, "/usr/lib/python3*/*-packages/cloudinit/version.py");
    g_autoptr(json_t) dropins = ro_glob(h, "/etc/cloud/cloud.cfg.d/*.cfg");
    g_autofree char *main_cfg = ro_text(h, "/etc/cloud/cloud.cfg");
    size_t i;
    json_t *p;

    json_object_set_new(ci, "Installed", json_boolean(guestfs_exists(h->g, "/usr/bin/cloud-init") == 1));
    if (json_array_size(vp)) {
        g_autofree char *t = ro_text(h, json_string_value(json_array_get(vp, 0)));
        json_object_set_new(ci, "VersionPy", t ? json_string(t) : json_null());
    }
    /* cloud-init reads cloud.cfg, then cloud.cfg.d/NAME.cfg in lexical order (glob sorts). */
    if (main_cfg)
        json_array_append_new(configs, json_pack("{s:s, s:s}", "Path", "/etc/cloud/cloud.cfg", "Text", main_cfg));
    json_array_foreach(dropins, i, p) {
        g_autofree char *t = ro_text(h, json_string_value(p));
        if (t)
            json_array_append_new(configs, json_pack("{s:O, s:s}", "Path", p, "Text", t));
    }
    json_object_set_new(ci, "Configs", configs);
    return ci;
}

static json_t *
root_facts(const RoHandle *h, const char *root)
{
    g_autofree char *distro = guestfs_inspect_get_distro(h->g, root);
    g_autofree char *product = guestfs_inspect_get_product_name(h->g, root);
    int major = guestfs_inspect_get_major_version(h->g, root);
    int minor = guestfs_inspect_get_minor_version(h->g, root);
    g_autofree char *version = g_strdup_printf("%d.%d", major, minor);
    g_autofree char *fstab = ro_text(h, "/etc/fstab");
    json_t *auth = ro_glob(h, "/root/.ssh/authorized_keys*");
    g_autoptr(json_t) home = ro_glob(h, "/home/*/.ssh/authorized_keys*");
    json_t *r = json_pack("{s:s, s:s*, s:s*, s:s, s:o, s:o, s:s*, s:o, s:o, s:o}", "Device", root,
                          "Distro", distro, "Product", product, "Version", version, "Kernels",
                          ro_glob(h, "/boot/vmlinuz*"), "Builtin", modules_builtin(h), "Fstab",
                          fstab, "CloudInit", cloud_facts(h), "SshHostKeys",
                          ro_glob(h, "/etc/ssh/ssh_host_*_key"), "AuthorizedKeys", auth);

    json_array_extend(auth, home);
    if (guestfs_is_symlink(h->g, "/var/lib/cloud/instance") == 1) {
        g_autofree char *to = guestfs_readlink(h->g, "/var/lib/cloud/instance");
        json_object_set_new(r, "CloudInstance", json_string(to ? to : "?"));
    } else if (guestfs_is_dir(h->g, "/var/lib/cloud/instance") == 1) {
        json_object_set_new(r, "CloudInstance", json_string("a directory"));
    }
    return r;
}

json_t *
ami_guestfs_inspect(const char *const *disks, const char *image_id, const char *arch, GError **error)
{
    g_auto(RoHandle) h = {0};
    g_autoptr(json_t) facts = json_pack("{s:s*, s:s*, s:[], s:[], s:[], s:n}", "ImageId", image_id,
                                        "Architecture", arch, "Filesystems", "BootConfigs",
                                        "Initramfs", "Root");
    g_autofree char *root = NULL;
    g_autofree char *reason = NULL;
    gint64 t0;

    if (!ro_launch(&h, disks, error))
        return NULL;
    t0 = g_get_monotonic_time();
    if (!scan_filesystems(&h, facts, error))
        return NULL;
    g_debug("forensics: boot files read in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    t0 = g_get_monotonic_time();
    if (!(root = ro_root(&h, &reason, error)) && !reason)
        return NULL;
    if (root) {
        if (!ro_mount_root(&h, root, error))
            return NULL;
        json_object_set_new(facts, "Root", root_facts(&h, root));
        guestfs_umount_all(h.g);
    } else {
        json_object_set_new(facts, "RootReason", json_string(reason));
    }
    g_debug("forensics: root inspected in %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    guestfs_shutdown(h.g); /* read-only: nothing to lose, so its result does not matter */
    return g_steal_pointer(&facts);
}

/* --- logs ------------------------------------------------------------------------------ */

static json_t *
log_file(const RoHandle *h, const char *path, gboolean since_boot)
{
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *text = NULL;
    const char *d;
    gsize len, off = 0;

    if (guestfs_is_file_opts(h->g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) != 1)
        return json_pack("{s:s, s:s}", "Source", path, "Missing", "no such file in the guest");
    if (!(b = ro_download(h, path, INITRD_MAX, &local)))
        return json_pack("{s:s, s:s}", "Source", path, "Missing", local->message);
    d = g_bytes_get_data(b, &len);
    text = g_utf8_make_valid(d ? d : "", (gssize)len);
    if (since_boot && g_str_has_prefix(path, "/var/log/cloud-init"))
        off = ami_cloud_init_log_last_boot(text);
    return json_pack("{s:s, s:s}", "Source", path, "Text", text + off);
}

static char *
journal_field(struct guestfs_xattr_list *f, const char *name)
{
    for (guint32 i = 0; i < f->len; i++) {
        if (strcmp(f->val[i].attrname, name) == 0)
            return g_strndup(f->val[i].attrval, f->val[i].attrval_len);
    }
    return NULL;
}

/* One journalctl-like line: time, identifier[pid]: message. */
static char *
journal_line(guestfs_h *g, struct guestfs_xattr_list *f)
{
    gint64 usec = guestfs_journal_get_realtime_usec(g);
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
    g_autofree char *stamp = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S") : g_strdup("?");
    g_autofree char *ident = journal_field(f, "SYSLOG_IDENTIFIER");
    g_autofree char *pid = journal_field(f, "_PID");
    g_autofree char *msg = journal_field(f, "MESSAGE");
    g_autofree char *valid = g_utf8_make_valid(msg ? msg : "", -1);

    return g_strdup_printf("%s.%06" G_GINT64_FORMAT "Z %s%s%s%s: %s", stamp, usec % G_USEC_PER_SEC,
                           ident ? ident : "kernel", pid ? "[" : "", pid ? pid : "", pid ? "]" : "",
                           valid);
}

static json_t *
log_journal(const RoHandle *h, gboolean since_boot)
{
    const char *dir = "/var/log/journal";
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) boots = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) out = g_string_new(NULL);
    const char *last;
    int more;

    if (guestfs_is_dir(h->g, dir) != 1)
        return json_pack("{s:s, s:s}", "Source", "journal", "Missing",
                         "no persistent journal (/var/log/journal is absent: journald kept it in /run, gone with the guest)");
    if (guestfs_journal_open(h->g, dir) == -1)
        return json_pack("{s:s, s:s}", "Source", "journal", "Missing", guestfs_last_error(h->g));
    while ((more = guestfs_journal_next(h->g)) == 1) {
        struct guestfs_xattr_list *f = guestfs_journal_get(h->g);

        if (!f)
            break;
        g_ptr_array_add(boots, journal_field(f, "_BOOT_ID"));
        g_ptr_array_add(lines, journal_line(h->g, f));
        guestfs_free_xattr_list(f);
    }
    guestfs_journal_close(h->g);
    last = boots->len ? boots->pdata[boots->len - 1] : NULL;
    for (guint i = 0; i < lines->len; i++) {
        if (since_boot && g_strcmp0(boots->pdata[i], last) != 0)
            continue;
        g_string_append_printf(out, "%s\n", (char *)lines->pdata[i]);
    }
    return json_pack("{s:s, s:s}", "Source", "journal", "Text", out->str);
}

json_t *
ami_guestfs_logs(const char *const *disks, gboolean since_boot, GError **error)
{
    g_auto(RoHandle) h = {0};
    g_autofree char *root = NULL;
    g_autofree char *reason = NULL;
    g_autoptr(json_t) out = json_array();

    if (!ro_launch(&h, disks, error))
        return NULL;
    if (!(root = ro_root(&h, &reason, error))) {
        if (reason)
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "Disk '%s': %s", h.disk, reason);
        return NULL;
    }
    if (!ro_mount_root(&h, root, error))
        return NULL;
    for (const char *const *p = (const char *const[]){"/var/log/cloud-init.log",
                                                      "/var/log/cloud-init-output.log", NULL};
         *p; p++)
        json_array_append_new(out, log_file(&h, *p, since_boot));
    json_array_append_new(out, log_journal(&h, since_boot));
    /* dmesg as Debian's and Amazon Linux's boot scripts keep it (one boot each). */
    json_array_append_new(out, log_file(&h, "/var/log/dmesg", since_boot));
    guestfs_umount_all(h.g);
    guestfs_shutdown(h.g);
    return g_steal_pointer(&out);
}
