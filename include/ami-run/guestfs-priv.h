/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* For tests only: ami_guestfs_sysprep() with a hook on the mounted guest. */

#include <guestfs.h>

#include "ami-run/guestfs.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(guestfs_h, guestfs_close)

/* Runs on the launched handle with the guest mounted, before the first operation. */
typedef gboolean (*AmiGuestfsHook)(guestfs_h *g, void *data, GError **error);

/**
 * ami_guestfs_sysprep_hooked() - ami_guestfs_sysprep(), calling @hook (with @hook_data)
 * once the guest is mounted: the integration test plants the items there, so that
 * planting and cleaning share one appliance launch.
 */
gboolean ami_guestfs_sysprep_hooked(const char *qcow2_path, const char *ops,
                                    AmiSysprepReport report, void *data, AmiGuestfsHook hook,
                                    void *hook_data, GError **error);

G_END_DECLS
