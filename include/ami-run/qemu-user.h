/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The user QEMU runs as when ami-run runs as root (docs/run.md "Security
 * layers"): a dedicated system user that scripts/install-deps creates, never root unless
 * `run --qemu-user root` asks for it.  libvirt is told to leave file ownership alone
 * (dynamic_ownership = 0), so the instance's files are opened to this user's group here,
 * and to nothing else.
 */

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define AMI_QEMU_USER_DEFAULT "ami-run-qemu"

typedef struct {
    char *name;
    uid_t uid;
    gid_t gid; /* its primary group: what the instance's files are opened to */
} AmiQemuUser;

/**
 * ami_qemu_user_default_name() - AMI_RUN_QEMU_USER when set (a test hook, and a way to
 * pick another system user), else "ami-run-qemu".  Borrowed.
 */
const char *ami_qemu_user_default_name(void);

/**
 * ami_qemu_user_lookup() - the user @name from the password database, or AMI_ERROR_HOST
 * naming scripts/install-deps and --qemu-user root.  Free with ami_qemu_user_free().
 */
AmiQemuUser *ami_qemu_user_lookup(const char *name, GError **error);

/** ami_qemu_user_free() - NULL is fine. */
void ami_qemu_user_free(AmiQemuUser *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiQemuUser, ami_qemu_user_free)

/**
 * ami_qemu_user_grant() - make @path (never followed if a symlink) group-owned by
 * @user's group with @mode.  Nothing is changed when it already is so (a snapshot's
 * ctime is part of its verified identity), nor when @user is root.
 */
gboolean ami_qemu_user_grant(const AmiQemuUser *user, const char *path, mode_t mode,
                             GError **error);

/**
 * ami_qemu_user_check_access() - whether @user can access(2) @path with @amode (R_OK,
 * W_OK, X_OK), tested in a child that runs as @user, so that every parent directory and
 * ACL counts.  AMI_ERROR_HOST naming @path otherwise.
 */
gboolean ami_qemu_user_check_access(const AmiQemuUser *user, const char *path, int amode,
                                    GError **error);

G_END_DECLS
