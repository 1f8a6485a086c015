/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libisofs, the only place it is called: the NoCloud seed image. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>
/* Without libburn, libisofs defines struct burn_source itself. */
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/seed.h"

static gboolean
iso_failed(int rc, const char *what, GError **error)
{
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                "building the seed ISO: %s: %s", what, iso_error_to_msg(rc));
    return FALSE;
}

static gboolean
add_file(IsoImage *image, const char *name, const void *data, size_t len, GError **error)
{
    IsoStream *stream = NULL;
    IsoFile *file = NULL;
    /* iso_memory_stream_new() takes a malloc()ed buffer and frees it. */
    unsigned char *copy = malloc(len ? len : 1);
    int rc;

    if (!copy)
        return iso_failed(ISO_OUT_OF_MEM, name, error);
    if (len)
        memcpy(copy, data, len);
    rc = iso_memory_stream_new(copy, len, &stream);
    if (rc < 0) {
        free(copy);
        return iso_failed(rc, name, error);
    }
    /* The new file takes over our reference to the stream. */
    rc = iso_tree_add_new_file(iso_image_get_root(image), name, stream, &file);
    if (rc < 0) {
        iso_stream_unref(stream);
        return iso_failed(rc, name, error);
    }
    iso_node_set_permissions((IsoNode *)file, 0600);
    iso_node_set_uid((IsoNode *)file, 0);
    iso_node_set_gid((IsoNode *)file, 0);
    return TRUE;
}

static gboolean
write_image(IsoImage *image, int fd, const char *path, GError **error)
{
    IsoWriteOpts *opts = NULL;
    struct burn_source *src = NULL;
    unsigned char buf[2048];
    gboolean ok = TRUE;
    int rc, n;

    if ((rc = iso_write_opts_new(&opts, 0)) < 0)
        return iso_failed(rc, "options", error);
    iso_write_opts_set_rockridge(opts, 1);
    iso_write_opts_set_joliet(opts, 1);
    iso_write_opts_set_always_gmt(opts, 1);
    rc = iso_image_create_burn_source(image, opts, &src);
    iso_write_opts_free(opts);
    if (rc < 0)
        return iso_failed(rc, "writer", error);
    while ((n = src->read_xt(src, buf, sizeof(buf))) == (int)sizeof(buf)) {
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
            ok = ami_error_set_errno(error, errno, path);
            break;
        }
    }
    if (ok && n < 0)
        ok = iso_failed(n, "writing", error);
    src->free_data(src);
    free(src);
    return ok;
}

gboolean
ami_seed_iso_write(const AmiSeedFiles *files, const char *path, GError **error)
{
    IsoImage *image = NULL;
    g_auto(AmiFd) fd = -1;
    gboolean ok;
    int rc;

    if ((rc = iso_init()) < 0)
        return iso_failed(rc, "init", error);
    if ((rc = iso_image_new("cidata", &image)) < 0) {
        iso_finish();
        return iso_failed(rc, "image", error);
    }
    ok = add_file(image, "meta-data", files->meta_data, strlen(files->meta_data), error) &&
         add_file(image, "user-data", g_bytes_get_data(files->user_data, NULL),
                  g_bytes_get_size(files->user_data), error) &&
         add_file(image, "network-config", files->network_config,
                  strlen(files->network_config), error);
    if (ok) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ok = fd >= 0 ? write_image(image, fd, path, error) : ami_error_set_errno(error, errno, path);
        if (ok && fsync(fd) < 0)
            ok = ami_error_set_errno(error, errno, path);
        if (!ok && fd >= 0)
            unlink(path);
    }
    iso_image_unref(image);
    iso_finish();
    return ok;
}
