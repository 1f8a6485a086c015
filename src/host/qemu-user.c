/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* getgrouplist */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ami-run/error.h"
#include "ami-run/qemu-user.h"

const char *
ami_qemu_user_default_name(void)
{
    const char *env = g_getenv("AMI_RUN_QEMU_USER");

    return env && *env ? env : AMI_QEMU_USER_DEFAULT;
}

AmiQemuUser *
ami_qemu_user_lookup(const char *name, GError **error)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    AmiQemuUser *u;

    if (getpwnam_r(name, &pw, buf, sizeof buf, &found) != 0 || !found) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "QEMU's user '%s' does not exist: run scripts/install-deps as root to create it, or pass --qemu-user root",
                    name);
        return NULL;
    }
    u = g_new0(AmiQemuUser, 1);
    u->name = g_strdup(name);
    u->uid = pw.pw_uid;
    u->gid = pw.pw_gid;
    return u;
}

void
ami_qemu_user_free(AmiQemuUser *user)
{
    if (!user)
        return;
    g_free(user->name);
    g_free(user);
}

gboolean
ami_qemu_user_grant(const AmiQemuUser *user, const char *path, mode_t mode, GError **error)
{
    struct stat st;

    if (user->uid == 0)
        return TRUE;
    if (lstat(path, &st) < 0)
        return ami_error_set_errno(error, errno, path);
    if (S_ISLNK(st.st_mode)) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                    "'%s' is a symbolic link: not opened to QEMU's user", path);
        return FALSE;
    }
    if (st.st_gid != user->gid && lchown(path, (uid_t)-1, user->gid) < 0)
        return ami_error_set_errno(error, errno, path);
    if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
        return ami_error_set_errno(error, errno, path);
    return TRUE;
}

/*
 * access(2) checks the real uid and gids, so a child that became @user asks the kernel
 * itself: parent directories, ACLs and supplementary groups all count.  Between fork and
 * _exit the child makes only system calls (this process has threads).
 */
gboolean
ami_qemu_user_check_access(const AmiQemuUser *user, const char *path, int amode, GError **error)
{
    gid_t groups[64];
    int ngroups = G_N_ELEMENTS(groups), status = 0;
    pid_t pid;

    if (user->uid == 0)
        return TRUE;
    if (getgrouplist(user->name, user->gid, groups, &ngroups) < 0)
        ngroups = 1, groups[0] = user->gid;
    if ((pid = fork()) < 0)
        return ami_error_set_errno(error, errno, "fork");
    if (pid == 0) {
        if (setgroups((size_t)ngroups, groups) < 0 || setgid(user->gid) < 0 ||
            setuid(user->uid) < 0)
            _exit(2);
        _exit(access(path, amode) == 0 ? 0 : 1);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return TRUE;
    g_set_error(error, AMI_ERROR, AMI_ERROR_HOST,
                "QEMU's user '%s' cannot %s '%s' (a parent directory is closed to it?): use a store it can reach (--store), or --qemu-user root",
                user->name, amode & W_OK ? "write" : "read", path);
    return FALSE;
}
