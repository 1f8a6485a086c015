/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "ami-run/sysprep.h"

G_BEGIN_DECLS

/*
 * libguestfs, the only place it is called (host/guestfs.c).  The appliance runs on the
 * direct backend under TCG unless LIBGUESTFS_BACKEND_SETTINGS says otherwise
 * (docs/sysprep.md "libguestfs here").
 */

/**
 * AmiSysprepReport - told of each item ami_guestfs_sysprep() removed, truncated or
 * trimmed: the operation's name and the guest path (a mountpoint for fstrim).
 */
typedef void (*AmiSysprepReport)(const char *operation, const char *item, void *data);

/**
 * ami_guestfs_sysprep() - clean the qcow2 disk @qcow2_path offline, read-write (format
 * pinned, never probed): the operations @ops selects (ami_sysprep_parse_ops(); NULL = the
 * defaults) on its one Linux root, its file systems mounted as its fstab says.  @report
 * (may be NULL) hears of every item as it goes.  Takes one appliance launch, ~25 s here.
 * Never run it on the disk of a running guest (QEMU's image lock refuses that anyway).
 * Errors: AMI_ERROR_INVALID for @ops or a disk without exactly one Linux root,
 * AMI_ERROR_HOST for libguestfs failures (the disk may then be half-cleaned: discard it).
 */
gboolean ami_guestfs_sysprep(const char *qcow2_path, const char *ops, AmiSysprepReport report,
                             void *data, GError **error);

G_END_DECLS
