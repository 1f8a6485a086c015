/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <jansson.h>

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

/**
 * ami_guestfs_inspect() - the facts docs/forensics.md "Facts" lists, gathered from the
 * qcow2 disks @disks (NULL-terminated; an image's snapshots, root first) on one
 * read-only appliance: each drive is added read-only (writes, if any, go to a throwaway
 * overlay; the files never change), its file systems mounted read-only.  @image_id and
 * @arch are copied into the facts.  Returns a new reference, or NULL with AMI_ERROR_HOST.
 */
json_t *ami_guestfs_inspect(const char *const *disks, const char *image_id, const char *arch,
                            GError **error);

/**
 * ami_guestfs_logs() - the guest's own logs from @disks (an instance's volumes, root
 * first), read-only as ami_guestfs_inspect(): /var/log/cloud-init.log,
 * cloud-init-output.log, the systemd journal (/var/log/journal, libguestfs's journal
 * API), dmesg if kept.  With @since_boot, only the last boot of each.  Returns a new
 * array of {"Source", "Text"} or {"Source", "Missing": reason}, or NULL with
 * AMI_ERROR_INVALID (no Linux root on the disks) or AMI_ERROR_HOST.
 */
json_t *ami_guestfs_logs(const char *const *disks, gboolean since_boot, GError **error);

G_END_DECLS
