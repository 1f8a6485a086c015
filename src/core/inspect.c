/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot forensics over gathered facts (docs/forensics.md).  Pure: host/guestfs.c reads
 * the files read-only and hands them here as JSON; every rule is a function of that JSON.
 * The rules are EC2's "instance fails to boot" causes (TroubleshootingInstances.md, see
 * ../shared/docs/golden-testing.md) that a disk shows before any boot: missing storage
 * drivers in the initramfs, no serial console, device names that will not exist, and the
 * leftovers AWS's shared-AMI guidance says to remove (host keys, authorized_keys,
 * cloud-init's instance state).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/inspect.h"

/* --- boot loader configurations -------------------------------------------------- */

static json_t *
entry_new(const char *loader, const char *source)
{
    return json_pack("{s:s, s:s, s:s}", "Loader", loader, "Source", source, "Options", "");
}

static void
set_str(json_t *obj, const char *key, const char *value)
{
    g_autofree char *v = g_strstrip(g_strdup(value));

    json_object_set_new(obj, key, json_string(v));
}

/* "a b" + "c": options lines accumulate (systemd-boot allows several). */
static void
append_options(json_t *e, const char *more)
{
    const char *old = json_string_value(json_object_get(e, "Options"));
    g_autofree char *m = g_strstrip(g_strdup(more));
    g_autofree char *v = old && *old ? g_strdup_printf("%s %s", old, m) : g_strdup(m);

    json_object_set_new(e, "Options", json_string(v));
}

/* The first word of @line (case-insensitive @kw), then *ret_rest = what follows. */
static gboolean
keyword(const char *line, const char *kw, const char **ret_rest)
{
    size_t n = strlen(kw);

    if (g_ascii_strncasecmp(line, kw, n) != 0 || (line[n] && !g_ascii_isspace(line[n])))
        return FALSE;
    *ret_rest = line + n;
    return TRUE;
}

/* grub.cfg: `linux PATH ARGS…` starts a kernel, `initrd PATH…` gives its initrd. */
static void
parse_grub_line(json_t *entries, json_t **cur, const char *title, const char *source, const char *l)
{
    const char *rest;

    if (keyword(l, "linux", &rest) || keyword(l, "linuxefi", &rest) || keyword(l, "linux16", &rest)) {
        g_auto(GStrv) w = NULL;

        rest += strspn(rest, " \t");
        w = g_strsplit_set(rest, " \t", 2);
        *cur = entry_new("grub", source);
        json_array_append_new(entries, *cur);
        if (title)
            set_str(*cur, "Title", title);
        set_str(*cur, "Kernel", w[0] ? w[0] : "");
        if (w[0] && w[1])
            append_options(*cur, w[1]);
    } else if (*cur && (keyword(l, "initrd", &rest) || keyword(l, "initrdefi", &rest) ||
                        keyword(l, "initrd16", &rest))) {
        g_auto(GStrv) w = NULL;

        rest += strspn(rest, " \t");
        w = g_strsplit_set(rest, " \t", -1);
        /* The last one: microcode images come first, the initramfs last. */
        if (w[0] && *w[0])
            set_str(*cur, "Initrd", w[g_strv_length(w) - 1]);
    }
}

static char *
menuentry_title(const char *l)
{
    const char *q = strpbrk(l, "'\"");
    const char *end;

    if (!q || !(end = strchr(q + 1, *q)))
        return NULL;
    return g_strndup(q + 1, (gsize)(end - q - 1));
}

static void
parse_line(json_t *entries, json_t **cur, char **title, const char *kind, const char *source,
           const char *l)
{
    const char *rest;

    if (strcmp(kind, "grub") == 0) {
        if (keyword(l, "menuentry", &rest)) {
            g_free(*title);
            *title = menuentry_title(rest);
            *cur = NULL;
        } else {
            parse_grub_line(entries, cur, *title, source, l);
        }
    } else if (strcmp(kind, "systemd-boot") == 0) {
        if (!*cur) {
            *cur = entry_new(kind, source);
            json_array_append_new(entries, *cur);
        }
        if (keyword(l, "title", &rest))
            set_str(*cur, "Title", rest);
        else if (keyword(l, "linux", &rest) || keyword(l, "efi", &rest))
            set_str(*cur, "Kernel", rest);
        else if (keyword(l, "initrd", &rest))
            set_str(*cur, "Initrd", rest);
        else if (keyword(l, "options", &rest))
            append_options(*cur, rest);
    } else { /* syslinux, extlinux */
        if (keyword(l, "label", &rest)) {
            *cur = entry_new(kind, source);
            json_array_append_new(entries, *cur);
            set_str(*cur, "Title", rest);
        } else if (*cur && (keyword(l, "kernel", &rest) || keyword(l, "linux", &rest))) {
            set_str(*cur, "Kernel", rest);
        } else if (*cur && keyword(l, "initrd", &rest)) {
            set_str(*cur, "Initrd", rest);
        } else if (*cur && keyword(l, "append", &rest)) {
            g_auto(GStrv) inits = NULL;

            append_options(*cur, rest);
            inits = ami_cmdline_values(rest, "initrd");
            if (inits[0] && !json_object_get(*cur, "Initrd"))
                set_str(*cur, "Initrd", inits[0]);
        }
    }
}

json_t *
ami_boot_entries_parse(const char *kind, const char *source, const char *text)
{
    json_t *entries = json_array(), *cur = NULL;
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    g_autofree char *title = NULL;
    size_t i;
    json_t *e;

    for (char **l = lines; *l; l++) {
        g_autofree char *s = g_strstrip(g_strdup(*l));

        if (*s && *s != '#')
            parse_line(entries, &cur, &title, kind, source, s);
    }
    /* A systemd-boot file with no linux line, a LABEL without KERNEL: not a kernel. */
    for (i = json_array_size(entries); i-- > 0;) {
        e = json_array_get(entries, i);
        if (!json_object_get(e, "Kernel"))
            json_array_remove(entries, i);
    }
    return entries;
}

char **
ami_cmdline_values(const char *options, const char *key)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) words = g_strsplit_set(options ? options : "", " \t\n", -1);
    size_t n = strlen(key);

    for (char **w = words; *w; w++) {
        if (strncmp(*w, key, n) == 0 && (*w)[n] == '=')
            g_ptr_array_add(out, g_strdup(*w + n + 1));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* --- cloud-init --------------------------------------------------------------------- */

static void
add_source(GPtrArray *out, const char *item)
{
    g_autofree char *s = g_strstrip(g_strdup(item));
    size_t n = strlen(s);

    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
        s[n - 1] = '\0';
        memmove(s, s + 1, n - 1);
    }
    g_strstrip(s);
    if (*s)
        g_ptr_array_add(out, g_steal_pointer(&s));
}

static char *
strip_comment(const char *line)
{
    const char *hash = strchr(line, '#');

    return hash ? g_strndup(line, (gsize)(hash - line)) : g_strdup(line);
}

char **
ami_cloud_datasource_list(const char *yaml)
{
    g_auto(GStrv) lines = g_strsplit(yaml ? yaml : "", "\n", -1);
    g_autoptr(GPtrArray) out = NULL;

    for (gsize i = 0; lines[i]; i++) {
        g_autofree char *l = strip_comment(lines[i]);
        g_autoptr(GString) flow = NULL;
        const char *rest;

        if (!g_str_has_prefix(l, "datasource_list:"))
            continue;
        out = g_ptr_array_new_with_free_func(g_free); /* a later key wins, as in YAML */
        rest = l + strlen("datasource_list:");
        rest += strspn(rest, " \t");
        if (*rest == '[') {
            flow = g_string_new(rest + 1);
            while (!strchr(flow->str, ']') && lines[i + 1]) {
                g_autofree char *more = strip_comment(lines[++i]);
                g_string_append_printf(flow, " %s", more);
            }
            if (strchr(flow->str, ']'))
                g_string_truncate(flow, (gsize)(strchr(flow->str, ']') - flow->str));
            {
                g_auto(GStrv) items = g_strsplit(flow->str, ",", -1);
                for (char **it = items; *it; it++)
                    add_source(out, *it);
            }
            continue;
        }
        while (lines[i + 1]) {
            g_autofree char *next = strip_comment(lines[i + 1]);
            const char *s = next + strspn(next, " \t");

            if (*s == '\0') {
                i++;
                continue;
            }
            if (*s != '-' || s == next) /* a block list's items are indented */
                break;
            add_source(out, s + 1);
            i++;
        }
    }
    if (!out)
        return NULL;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

gsize
ami_cloud_init_log_last_boot(const char *text)
{
    const char *last = NULL, *p;

    for (const char *const *m = (const char *const[]){"running 'init-local'", "running 'init'", NULL};
         *m && !last; m++) {
        for (p = text; (p = strstr(p, *m)); p++)
            last = p;
    }
    if (!last)
        return 0;
    while (last > text && last[-1] != '\n')
        last--;
    return (gsize)(last - text);
}

/* --- cpio ------------------------------------------------------------------------- */

static gboolean
hex8(const guint8 *p, guint32 *ret)
{
    guint32 v = 0;

    for (int i = 0; i < 8; i++) {
        int d = g_ascii_xdigit_value((char)p[i]);

        if (d < 0)
            return FALSE;
        v = v << 4 | (guint32)d;
    }
    *ret = v;
    return TRUE;
}

#define CPIO_HEADER 110
#define ALIGN4(x) (((x) + 3) & ~(gsize)3)

gboolean
ami_cpio_list(const guint8 *data, gsize len, GPtrArray *names, gsize *ret_end, GError **error)
{
    gsize off = 0;

    for (;;) {
        guint32 filesize, namesize;

        while (off < len && data[off] == 0) /* padding between concatenated archives */
            off++;
        if (len - off < 6 || (memcmp(data + off, "070701", 6) != 0 &&
                              memcmp(data + off, "070702", 6) != 0))
            break;
        if (len - off < CPIO_HEADER || !hex8(data + off + 54, &filesize) ||
            !hex8(data + off + 94, &namesize) || namesize == 0)
            return ami_error_invalid(error, "cpio: a malformed header at byte %" G_GSIZE_FORMAT, off);
        if (len - off - CPIO_HEADER < namesize)
            return ami_error_invalid(error, "cpio: truncated at byte %" G_GSIZE_FORMAT, off);
        {
            const char *name = (const char *)data + off + CPIO_HEADER;
            gsize body = ALIGN4(off + CPIO_HEADER + namesize);

            if (body > len || len - body < filesize)
                return ami_error_invalid(error, "cpio: truncated at byte %" G_GSIZE_FORMAT, off);
            if (strnlen(name, namesize) == namesize - 1 && strcmp(name, "TRAILER!!!") != 0)
                g_ptr_array_add(names, g_utf8_make_valid(name, (gssize)namesize - 1));
            off = ALIGN4(body + filesize);
            if (off > len)
                off = len;
        }
    }
    *ret_end = off;
    return TRUE;
}

/* --- the report --------------------------------------------------------------------- */

static void
warn(json_t *report, const char *code, const char *fix, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void
warn(json_t *report, const char *code, const char *fix, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    json_array_append_new(json_object_get(report, "Warnings"),
                          json_pack("{s:s, s:s, s:s}", "Code", code, "Message", msg, "Fix", fix));
}

static void
undetermined(json_t *report, const char *fact, const char *reason)
{
    json_array_append_new(json_object_get(report, "Undetermined"),
                          json_pack("{s:s, s:s}", "Fact", fact, "Reason", reason));
}

/* "/lib/modules/6.1/kernel/drivers/block/virtio_blk.ko.zst" is module virtio_blk. */
static gboolean
names_module(const char *path, const char *module)
{
    const char *base = strrchr(path, '/');
    size_t n = strlen(module);

    base = base ? base + 1 : path;
    if (strncmp(base, module, n) != 0 || strncmp(base + n, ".ko", 3) != 0)
        return FALSE;
    base += n + 3;
    return !*base || !strcmp(base, ".xz") || !strcmp(base, ".zst") || !strcmp(base, ".gz");
}

static gboolean
list_has_module(json_t *list, const char *module)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        if (json_is_string(v) && names_module(json_string_value(v), module))
            return TRUE;
    }
    return FALSE;
}

/* Which bus a device name needs, or NULL for names that do not depend on it. */
static const char *
device_name_bus(const char *dev)
{
    if (g_str_has_prefix(dev, "/dev/xvd") || g_str_has_prefix(dev, "/dev/hd"))
        return "xen";
    if (g_str_has_prefix(dev, "/dev/nvme"))
        return "nvme";
    if (g_str_has_prefix(dev, "/dev/vd"))
        return "virtio";
    if (g_str_has_prefix(dev, "/dev/sd"))
        return "sata";
    return NULL;
}

static const char *
bus_says(const char *bus)
{
    if (strcmp(bus, "xen") == 0)
        return "no bus ami-run gives has it (Xen's blkfront names; Nitro types show NVMe, ami-run NVMe or virtio)";
    if (strcmp(bus, "nvme") == 0)
        return "it exists only with the NVMe bus (Nitro types, the default); --disk-bus virtio or a Xen type gives /dev/vd*";
    if (strcmp(bus, "virtio") == 0)
        return "it exists only with --disk-bus virtio or a Xen type; Nitro types (the default) give /dev/nvme*";
    return "it exists only with --disk-bus sata; Nitro types (the default) give /dev/nvme*";
}

static json_t *
fstab_entries(const char *text)
{
    json_t *out = json_array();
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);

    for (char **l = lines; *l; l++) {
        g_autofree char *s = strip_comment(*l);
        g_auto(GStrv) f = g_strsplit_set(g_strstrip(s), " \t", -1);
        g_autoptr(GPtrArray) w = g_ptr_array_new();

        for (char **x = f; *x; x++)
            if (**x)
                g_ptr_array_add(w, *x);
        if (w->len < 3)
            continue;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "Spec", w->pdata[0], "File",
                                             w->pdata[1], "Type", w->pdata[2], "Options",
                                             w->len > 3 ? (char *)w->pdata[3] : "defaults"));
    }
    return out;
}

static void
check_fstab(json_t *report, json_t *root)
{
    json_t *text = json_object_get(root, "Fstab");
    json_t *entries;
    size_t i;
    json_t *e;

    if (!json_is_string(text)) {
        undetermined(report, "Fstab", "the root file system has no /etc/fstab");
        return;
    }
    entries = fstab_entries(json_string_value(text));
    json_object_set_new(report, "Fstab", entries);
    json_array_foreach(entries, i, e) {
        const char *spec = json_string_value(json_object_get(e, "Spec"));
        const char *file = json_string_value(json_object_get(e, "File"));
        const char *bus = device_name_bus(spec);
        gboolean nofail = strstr(json_string_value(json_object_get(e, "Options")), "nofail") != NULL;

        if (!bus)
            continue;
        warn(report, "fstab-device-name",
             "name it by UUID=… or LABEL=… (blkid shows them), and give non-root entries 'nofail'",
             "/etc/fstab mounts '%s' on '%s' by device name: %s%s", spec, file, bus_says(bus),
             nofail ? "" : "; without 'nofail' a missing one stops the boot in emergency mode");
    }
}

static json_t *
boot_entries(json_t *facts)
{
    json_t *all = json_array();
    size_t i;
    json_t *c;

    json_array_foreach(json_object_get(facts, "BootConfigs"), i, c) {
        g_autofree char *src = g_strdup_printf("%s:%s", json_string_value(json_object_get(c, "Device")),
                                               json_string_value(json_object_get(c, "Path")));
        json_t *e = ami_boot_entries_parse(json_string_value(json_object_get(c, "Kind")), src,
                                           json_string_value(json_object_get(c, "Text")));
        size_t j;
        json_t *x;

        json_array_foreach(e, j, x) {
            const char *opt = json_string_value(json_object_get(x, "Options"));
            g_auto(GStrv) consoles = ami_cmdline_values(opt, "console");
            g_auto(GStrv) roots = ami_cmdline_values(opt, "root");
            json_t *cj = json_array();

            for (char **k = consoles; *k; k++)
                json_array_append_new(cj, json_string(*k));
            json_object_set_new(x, "Console", cj);
            if (roots[0])
                json_object_set_new(x, "Root", json_string(roots[g_strv_length(roots) - 1]));
        }
        json_array_extend(all, e);
        json_decref(e);
    }
    return all;
}

static gboolean
serial_console(const char *c, const char *arch)
{
    if (g_strcmp0(arch, "arm64") == 0)
        return g_str_has_prefix(c, "ttyAMA") || g_str_has_prefix(c, "ttyS");
    return g_str_has_prefix(c, "ttyS");
}

static void
check_boot(json_t *report, json_t *facts, json_t *entries)
{
    const char *arch = json_string_value(json_object_get(facts, "Architecture"));
    size_t i;
    json_t *e;

    if (json_array_size(entries) == 0) {
        undetermined(report, "Boot",
                     "no GRUB (grub.cfg), systemd-boot (loader/entries) or syslinux/extlinux configuration found on any file system");
        return;
    }
    json_array_foreach(entries, i, e) {
        const char *src = json_string_value(json_object_get(e, "Source"));
        const char *root = json_string_value(json_object_get(e, "Root"));
        gboolean serial = FALSE;
        size_t j;
        json_t *c;

        json_array_foreach(json_object_get(e, "Console"), j, c)
            serial = serial || serial_console(json_string_value(c), arch);
        if (!serial)
            warn(report, "no-serial-console",
                 g_strcmp0(arch, "arm64") == 0
                     ? "add console=ttyAMA0 to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub)"
                     : "add console=ttyS0,115200 to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub)",
                 "%s: kernel '%s' has no serial console= (%s): the boot after the boot loader does not reach the serial console, which ami-run and EC2's get-console-output read",
                 src, json_string_value(json_object_get(e, "Kernel")),
                 json_array_size(json_object_get(e, "Console")) ? "only other consoles" : "no console= at all");
        if (root && device_name_bus(root))
            warn(report, "root-device-name",
                 "use root=UUID=… or root=LABEL=… (update-grub does this unless GRUB_DISABLE_LINUX_UUID is set)",
                 "%s: root='%s' is a device name: %s", src, root, bus_says(device_name_bus(root)));
    }
}

/* The drivers of one initramfs, and a warning per storage bus it cannot boot from. */
static void
check_initramfs(json_t *report, json_t *facts, json_t *entries, gboolean roots_on_disk)
{
    static const char *const drivers[] = {AMI_INSPECT_DRIVERS, NULL};
    json_t *builtin = json_object_get(json_object_get(facts, "Root"), "Builtin");
    json_t *out = json_array();
    gboolean named = FALSE;
    size_t i;
    json_t *ir;

    json_object_set_new(report, "Initramfs", out);
    json_array_foreach(entries, i, ir)
        named = named || json_object_get(ir, "Initrd");
    if (!json_array_size(json_object_get(facts, "Initramfs")))
        undetermined(report, "Initramfs", named ? "the initrd the boot loader names is not on the disk"
                                                : "no boot loader entry names an initramfs (the kernel mounts root= itself)");
    json_array_foreach(json_object_get(facts, "Initramfs"), i, ir) {
        const char *path = json_string_value(json_object_get(ir, "Path"));
        json_t *files = json_object_get(ir, "Files");
        json_t *d = json_object();

        json_array_append_new(out, json_pack("{s:O, s:O, s:o}", "Device", json_object_get(ir, "Device"),
                                             "Path", json_object_get(ir, "Path"), "Drivers", d));
        if (!json_is_array(files)) {
            json_object_set_new(json_array_get(out, json_array_size(out) - 1), "Error",
                                json_incref(json_object_get(ir, "Error")));
            undetermined(report, "Initramfs", json_string_value(json_object_get(ir, "Error")));
            continue;
        }
        for (const char *const *m = drivers; *m; m++) {
            const char *how = list_has_module(files, *m) ? "module"
                              : list_has_module(builtin, *m) ? "built-in" : "missing";
            json_object_set_new(d, *m, json_string(how));
        }
        if (!roots_on_disk)
            continue; /* the initramfs is the root file system: it needs no disk driver */
        if (strcmp(json_string_value(json_object_get(d, "nvme")), "missing") == 0)
            warn(report, "initramfs-no-nvme",
                 "add nvme to /etc/initramfs-tools/modules (dracut: add_drivers+=\" nvme \") and rebuild the initramfs, or boot with --disk-bus virtio",
                 "initramfs '%s' has no NVMe driver (nvme): on Nitro types (t3, m5…, the default) the root disk is NVMe and the boot stops at 'Gave up waiting for root device'",
                 path);
        if (strcmp(json_string_value(json_object_get(d, "virtio_blk")), "missing") == 0)
            warn(report, "initramfs-no-virtio-blk",
                 "add virtio_blk to /etc/initramfs-tools/modules (dracut: add_drivers+=\" virtio_blk \") and rebuild the initramfs",
                 "initramfs '%s' has no virtio-blk driver (virtio_blk): with --disk-bus virtio or a Xen type (t2, m4…) the root disk is not found",
                 path);
    }
}

static json_t *
cloud_init_facts(json_t *report, json_t *root)
{
    json_t *ci = json_object_get(root, "CloudInit");
    json_t *out = json_object();
    const char *vp = json_string_value(json_object_get(ci, "VersionPy"));
    g_auto(GStrv) list = NULL;
    size_t i;
    json_t *c;

    json_object_set_new(out, "Installed", json_boolean(json_is_true(json_object_get(ci, "Installed"))));
    if (!json_is_true(json_object_get(ci, "Installed")))
        return out;
    if (vp && strstr(vp, "__VERSION__")) {
        const char *q = strpbrk(strstr(vp, "__VERSION__"), "'\"");
        const char *end = q ? strchr(q + 1, *q) : NULL;

        if (end)
            json_object_set_new(out, "Version", json_stringn(q + 1, (size_t)(end - q - 1)));
    }
    if (!json_object_get(out, "Version"))
        undetermined(report, "CloudInit.Version", "cloudinit/version.py was not found or names no __VERSION__");
    json_array_foreach(json_object_get(ci, "Configs"), i, c) {
        char **l = ami_cloud_datasource_list(json_string_value(json_object_get(c, "Text")));

        if (l) {
            g_strfreev(list);
            list = l;
            json_object_set(out, "DatasourceSource", json_object_get(c, "Path"));
        }
    }
    if (list) {
        json_t *a = json_array();

        for (char **s = list; *s; s++)
            json_array_append_new(a, json_string(*s));
        json_object_set_new(out, "DatasourceList", a);
        json_object_set_new(out, "NoCloud", json_boolean(g_strv_contains((const char *const *)list, "NoCloud")));
        json_object_set_new(out, "Ec2", json_boolean(g_strv_contains((const char *const *)list, "Ec2")));
    } else { /* cloud-init's built-in default lists every datasource */
        json_object_set_new(out, "NoCloud", json_true());
        json_object_set_new(out, "Ec2", json_true());
    }
    return out;
}

static void
check_cloud_init(json_t *report, json_t *root)
{
    json_t *ci = cloud_init_facts(report, root);
    json_t *inst = json_object_get(root, "CloudInstance");

    json_object_set_new(report, "CloudInit", ci);
    if (!json_is_true(json_object_get(ci, "Installed"))) {
        undetermined(report, "CloudInit", "cloud-init is not installed (no /usr/bin/cloud-init): user data and metadata SSH keys are not applied");
        return;
    }
    if (!json_is_true(json_object_get(ci, "NoCloud")) && !json_is_true(json_object_get(ci, "Ec2")))
        warn(report, "cloud-init-no-datasource",
             "add NoCloud and Ec2 to datasource_list (/etc/cloud/cloud.cfg.d/90_dpkg.cfg on Debian: dpkg-reconfigure cloud-init)",
             "cloud-init's datasource_list (%s) has neither NoCloud nor Ec2: it finds no metadata here nor on EC2",
             json_string_value(json_object_get(ci, "DatasourceSource")));
    else if (!json_is_true(json_object_get(ci, "Ec2")))
        warn(report, "cloud-init-no-ec2",
             "add Ec2 to datasource_list; here NoCloud works (ami-run's seed)",
             "cloud-init's datasource_list (%s) has no Ec2: on EC2 it will not read the instance metadata",
             json_string_value(json_object_get(ci, "DatasourceSource")));
    if (json_is_string(inst))
        warn(report, "cloud-init-stale-instance",
             "run 'cloud-init clean' in the guest before capturing, or capture with create-image --sysprep",
             "/var/lib/cloud/instance is baked in (-> '%s'): state of the instance it was captured from; cloud-init reruns per-instance modules only because the instance id differs, and per-once ones never",
             json_string_value(inst));
}

static json_t *
strings_of(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);

    return json_is_array(v) ? json_incref(v) : json_array();
}

static void
check_secrets(json_t *report, json_t *root)
{
    json_t *keys = strings_of(root, "SshHostKeys");
    json_t *auth = strings_of(root, "AuthorizedKeys");
    gboolean ci = json_is_true(json_object_get(json_object_get(report, "CloudInit"), "Installed"));

    json_object_set_new(report, "SshHostKeys", keys);
    json_object_set_new(report, "AuthorizedKeys", auth);
    if (json_array_size(keys))
        warn(report, "ssh-host-keys",
             ci ? "remove /etc/ssh/ssh_host_* before capturing (create-image --sysprep does); cloud-init makes new ones per instance"
                : "remove /etc/ssh/ssh_host_* before capturing and make sshd's boot run 'ssh-keygen -A' (there is no cloud-init to make new ones)",
             "%zu SSH host key file(s) baked in (%s…): every instance of this AMI shares them, and AWS marks such public AMIs private",
             json_array_size(keys), json_string_value(json_array_get(keys, 0)));
    if (json_array_size(auth))
        warn(report, "authorized-keys",
             "remove them before capturing (create-image --sysprep's ssh-userdir); launch with a key pair instead",
             "%zu authorized_keys file(s) baked in (%s…): whoever holds those keys can log in to every instance",
             json_array_size(auth), json_string_value(json_array_get(auth, 0)));
}

static json_t *
os_facts(json_t *root)
{
    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "Device", json_object_get(root, "Device"),
                     "Distro", json_object_get(root, "Distro"), "Product",
                     json_object_get(root, "Product"), "Version", json_object_get(root, "Version"),
                     "Kernels", json_object_get(root, "Kernels"));
}

json_t *
ami_inspect_report(json_t *facts)
{
    json_t *report = json_pack("{s:O?, s:[], s:[]}", "ImageId", json_object_get(facts, "ImageId"),
                               "Warnings", "Undetermined");
    json_t *root = json_object_get(facts, "Root");
    json_t *entries = boot_entries(facts);
    const char *why = json_string_value(json_object_get(facts, "RootReason"));
    gboolean disk_root = json_is_object(root);
    size_t i;
    json_t *e;

    /* A root= on the command line also means the kernel mounts a disk. */
    json_array_foreach(entries, i, e)
        disk_root = disk_root || json_object_get(e, "Root");
    json_object_set_new(report, "Os", json_is_object(root) ? os_facts(root) : json_null());
    json_object_set_new(report, "Boot", json_incref(entries));
    check_initramfs(report, facts, entries, disk_root);
    check_boot(report, facts, entries);
    if (!json_is_object(root)) {
        const char *r = why ? why : "no Linux root file system found";

        for (const char *const *f = (const char *const[]){"Os", "CloudInit", "Fstab", "SshHostKeys",
                                                          "AuthorizedKeys", NULL}; *f; f++)
            undetermined(report, *f, r);
    } else {
        check_fstab(report, root);
        check_cloud_init(report, root);
        check_secrets(report, root);
    }
    json_decref(entries);
    return report;
}

gboolean
ami_inspect_explains(const char *class_id)
{
    static const char *const classes[] = {
        "no-bootable-device", "grub-rescue", "bootloader-error", "root-device-not-found",
        "init-failure", "fsck-failure", "mount-failure", "initramfs-emergency",
        "emergency-mode", "kernel-panic", "cloud-init-no-datasource", NULL,
    };

    return class_id && g_strv_contains(classes, class_id);
}

/* --- text ----------------------------------------------------------------------------- */

static void
text_boot(GString *s, json_t *report)
{
    size_t i;
    json_t *e, *d;

    json_array_foreach(json_object_get(report, "Boot"), i, e)
        g_string_append_printf(s, "boot: %s %s: kernel %s%s%s, options '%s'\n",
                               json_string_value(json_object_get(e, "Loader")),
                               json_string_value(json_object_get(e, "Source")),
                               json_string_value(json_object_get(e, "Kernel")),
                               json_object_get(e, "Initrd") ? ", initrd " : "",
                               json_object_get(e, "Initrd") ? json_string_value(json_object_get(e, "Initrd")) : "",
                               json_string_value(json_object_get(e, "Options")));
    json_array_foreach(json_object_get(report, "Initramfs"), i, e) {
        const char *k;

        g_string_append_printf(s, "initramfs: %s:%s:", json_string_value(json_object_get(e, "Device")),
                               json_string_value(json_object_get(e, "Path")));
        json_object_foreach(json_object_get(e, "Drivers"), k, d)
            g_string_append_printf(s, " %s %s", k, json_string_value(d));
        g_string_append_c(s, '\n');
    }
}

static void
text_list(GString *s, json_t *report, const char *key, const char *label)
{
    json_t *a = json_object_get(report, key);
    size_t i;
    json_t *v;

    if (!json_is_array(a))
        return;
    g_string_append_printf(s, "%s:", label);
    if (!json_array_size(a))
        g_string_append(s, " none");
    json_array_foreach(a, i, v)
        g_string_append_printf(s, " %s", json_string_value(v));
    g_string_append_c(s, '\n');
}

/* "cannot tell: A, B: reason", facts with the same reason on one line. */
static void
text_undetermined(GString *s, json_t *list)
{
    size_t n = json_array_size(list);

    for (size_t i = 0; i < n;) {
        const char *why = json_string_value(json_object_get(json_array_get(list, i), "Reason"));
        size_t j = i;

        g_string_append(s, "cannot tell: ");
        for (; j < n && !g_strcmp0(why, json_string_value(json_object_get(json_array_get(list, j), "Reason"))); j++)
            g_string_append_printf(s, "%s%s", j > i ? ", " : "",
                                   json_string_value(json_object_get(json_array_get(list, j), "Fact")));
        g_string_append_printf(s, ": %s\n", why);
        i = j;
    }
}

char *
ami_inspect_report_text(json_t *report)
{
    GString *s = g_string_new(NULL);
    json_t *os = json_object_get(report, "Os");
    json_t *ci = json_object_get(report, "CloudInit");
    size_t i;
    json_t *w;

    json_array_foreach(json_object_get(report, "Warnings"), i, w)
        g_string_append_printf(s, "warning: %s\n  what to do: %s\n",
                               json_string_value(json_object_get(w, "Message")),
                               json_string_value(json_object_get(w, "Fix")));
    if (json_is_object(os))
        g_string_append_printf(s, "os: %s %s (%s) on %s\n",
                               json_string_value(json_object_get(os, "Distro")),
                               json_string_value(json_object_get(os, "Version")),
                               json_string_value(json_object_get(os, "Product")),
                               json_string_value(json_object_get(os, "Device")));
    text_boot(s, report);
    if (json_is_true(json_object_get(ci, "Installed"))) {
        g_string_append_printf(s, "cloud-init: %s, NoCloud %s, Ec2 %s\n",
                               json_object_get(ci, "Version") ? json_string_value(json_object_get(ci, "Version")) : "version unknown",
                               json_is_true(json_object_get(ci, "NoCloud")) ? "yes" : "no",
                               json_is_true(json_object_get(ci, "Ec2")) ? "yes" : "no");
        text_list(s, ci, "DatasourceList", "cloud-init datasource_list");
    }
    text_list(s, report, "SshHostKeys", "ssh host keys");
    text_list(s, report, "AuthorizedKeys", "authorized_keys");
    text_undetermined(s, json_object_get(report, "Undetermined"));
    return g_string_free(s, FALSE);
}
