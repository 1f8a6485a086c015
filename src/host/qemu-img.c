/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-img, the only place it is called.  Formats are always pinned with -f/-F after
 * the one probe at import: probing an untrusted image at every use is how a raw disk
 * whose first sector looks like qcow2 gets to name a host file as its backing file
 * (CVE-2008-2004 and its successors).
 */
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"

void
ami_disk_info_free(AmiDiskInfo *info)
{
    if (!info)
        return;
    g_free(info->format);
    g_free(info->backing_file);
    g_free(info);
}

/* vmdk descriptors can name extents in other files: anything but @path is foreign. */
static gboolean
has_foreign_extents(json_t *specific, const char *path)
{
    json_t *extents = json_object_get(json_object_get(specific, "data"), "extents");
    size_t i;
    json_t *e;

    json_array_foreach(extents, i, e) {
        const char *f = json_string_value(json_object_get(e, "filename"));

        if (f && strcmp(f, path) != 0)
            return TRUE;
    }
    return FALSE;
}

AmiDiskInfo *
ami_qemu_img_info(const char *path, const char *format, GError **error)
{
    const char *argv[] = {"qemu-img", "info", "--output=json", "-f", format, path, NULL};
    g_autofree char *out = NULL;
    g_autoptr(json_t) doc = NULL;
    g_autoptr(AmiDiskInfo) info = g_new0(AmiDiskInfo, 1);
    json_t *specific;

    g_return_val_if_fail(g_path_is_absolute(path), NULL);
    if (!format) { /* probe: drop "-f FORMAT" */
        argv[3] = path;
        argv[4] = NULL;
    }
    if (!ami_spawn_sync(argv, FALSE, &out, error))
        return NULL;
    doc = json_loads(out, 0, NULL);
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "format"))) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST, "qemu-img info gave no format for '%s'",
                    path);
        return NULL;
    }
    info->format = g_strdup(json_string_value(json_object_get(doc, "format")));
    info->virtual_size = json_integer_value(json_object_get(doc, "virtual-size"));
    info->actual_size = json_integer_value(json_object_get(doc, "actual-size"));
    info->backing_file = g_strdup(json_string_value(json_object_get(doc, "backing-filename")));
    specific = json_object_get(doc, "format-specific");
    info->has_data_file =
        json_object_get(json_object_get(specific, "data"), "data-file") != NULL;
    info->foreign_extents = has_foreign_extents(specific, path);
    return g_steal_pointer(&info);
}

gboolean
ami_qemu_img_convert(const char *src, const char *src_format, const char *dst,
                     gboolean progress, GError **error)
{
    /* -n is not used: the target is created (sparse) by qemu-img itself. */
    const char *argv[] = {"qemu-img", "convert", "-f", src_format, "-O", "qcow2",
                          "-o", "cluster_size=65536", src, dst, progress ? "-p" : NULL, NULL};

    g_return_val_if_fail(g_path_is_absolute(src) && g_path_is_absolute(dst), FALSE);
    return ami_spawn_sync(argv, progress, NULL, error);
}

gboolean
ami_qemu_img_export(const char *src, const char *dst, const char *dst_format,
                    const char *options, gboolean progress, GError **error)
{
    /* Source qcow2 pinned: the store's own file; its backing chain (if any) names its
     * backing format too, so qemu-img follows it without probing. */
    const char *argv[12] = {"qemu-img", "convert", "-f", "qcow2", "-O", dst_format};
    int n = 6;

    g_return_val_if_fail(g_path_is_absolute(src) && g_path_is_absolute(dst), FALSE);
    if (options) {
        argv[n++] = "-o";
        argv[n++] = options;
    }
    if (progress)
        argv[n++] = "-p";
    argv[n++] = src;
    argv[n++] = dst;
    argv[n] = NULL;
    return ami_spawn_sync(argv, progress, NULL, error);
}

gboolean
ami_qemu_img_rebase_unsafe(const char *path, const char *backing, GError **error)
{
    /* -u: the header only; the backing is not opened (it may not resolve from here). */
    const char *argv[] = {"qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-F", "qcow2", "-b",
                          backing ? backing : "", path, NULL};

    g_return_val_if_fail(g_path_is_absolute(path), FALSE);
    if (!backing) { /* no -F without a backing file */
        argv[6] = "-b";
        argv[7] = "";
        argv[8] = path;
        argv[9] = NULL;
    }
    return ami_spawn_sync(argv, FALSE, NULL, error);
}
