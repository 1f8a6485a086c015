/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libvirt, the only place it is called.  Default: the embedded QEMU driver
 * (qemu:///embed?root=DIR), which lives in this process: it needs an event loop (run in
 * a thread here) and dies with us, so callers tear down themselves (no autodestroy for
 * embedded drivers in libvirt 9.0; a daemon's domains get it).  See
 * docs/platform-notes.md.
 */

#include <glib.h>

#include "ami-run/qemu-user.h"

G_BEGIN_DECLS

typedef struct AmiHypervisor AmiHypervisor;

/**
 * ami_hypervisor_open_embedded() - prepare @root (mode 0700; etc/qemu.conf written: no
 * virtlogd, no security labels, no chown of images, QEMU and swtpm as @qemu_user, or as
 * the calling user when NULL; @root and its parent are then 0710 to that user's group),
 * seed its QEMU capabilities cache from @caps_cache when that has files (saves seconds of
 * probing), and open it.  libvirt's own log goes to @log_path.
 */
AmiHypervisor *ami_hypervisor_open_embedded(const char *root, const char *caps_cache,
                                            const char *log_path, const AmiQemuUser *qemu_user,
                                            GError **error);

/**
 * ami_hypervisor_open_uri() - any other libvirt (qemu:///system, qemu+ssh://…), whose
 * domains are started with autodestroy: they end when this connection does.  An
 * embedded URI (qemu:///embed?root=DIR) is handled as our own roots (pid file under
 * DIR, no autodestroy), but DIR is neither prepared nor removed.
 */
AmiHypervisor *ami_hypervisor_open_uri(const char *uri, const char *log_path, GError **error);

/**
 * ami_hypervisor_save_caps_cache() - copy the embedded root's capabilities cache to
 * @caps_cache where it differs (first launch, or libvirt re-probed a changed QEMU), so
 * the next launch skips the probe.
 */
void ami_hypervisor_save_caps_cache(AmiHypervisor *hv, const char *caps_cache);

/** ami_hypervisor_start() - create and start a transient domain from @xml. */
gboolean ami_hypervisor_start(AmiHypervisor *hv, const char *xml, GError **error);

/**
 * ami_hypervisor_pid_file() - where an embedded driver writes the pid of domain @name's
 * QEMU (libvirt writes it when it forks QEMU, before the start returns), or NULL for a
 * driver in another process.  Caller frees.
 */
char *ami_hypervisor_pid_file(AmiHypervisor *hv, const char *name);

/** ami_hypervisor_qemu_pid() - the QEMU process of the started domain, or 0. */
int ami_hypervisor_qemu_pid(AmiHypervisor *hv);

/** ami_hypervisor_stopped() - whether the domain has stopped (guest power-off, crash). */
gboolean ami_hypervisor_stopped(AmiHypervisor *hv);

/** ami_hypervisor_shutdown() - ask the guest to power off (ACPI). */
gboolean ami_hypervisor_shutdown(AmiHypervisor *hv, GError **error);

/**
 * ami_hypervisor_suspend(), ami_hypervisor_resume() - pause the guest's vCPUs and resume
 * them (QEMU's stop drains and flushes every block device first: create-image --no-reboot).
 */
gboolean ami_hypervisor_suspend(AmiHypervisor *hv, GError **error);
gboolean ami_hypervisor_resume(AmiHypervisor *hv, GError **error);

/** ami_hypervisor_reset() - reset the guest at once, as a hard reboot (reboot-instances). */
gboolean ami_hypervisor_reset(AmiHypervisor *hv, GError **error);

/** ami_hypervisor_destroy() - stop the domain now, if it runs. */
void ami_hypervisor_destroy(AmiHypervisor *hv);

/** ami_hypervisor_close() - destroy what still runs, close, stop the event thread. */
void ami_hypervisor_close(AmiHypervisor *hv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiHypervisor, ami_hypervisor_close)

G_END_DECLS
