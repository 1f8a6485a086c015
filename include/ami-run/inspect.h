/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Boot forensics, the pure half (docs/forensics.md): the facts host/guestfs.c gathers
 * from an image's disks (read-only) become a report of warnings, each with what to do,
 * and the facts it read them from.  Also the small parsers the gathering needs: boot
 * loader configurations, kernel command lines, cloud-init's datasource_list, cpio
 * (initramfs) listings and the last boot of a cloud-init log.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* The drivers the buses ami-run (and EC2) give need, as module names. */
#define AMI_INSPECT_DRIVERS "virtio_blk", "virtio_scsi", "nvme", "virtio_net"

/**
 * ami_boot_entries_parse() - the kernels a boot loader configuration names: @kind is
 * "grub" (grub.cfg), "systemd-boot" (a loader entry) or "syslinux" (syslinux.cfg,
 * extlinux.conf); @source is the file's name, copied into each entry.  Returns a new
 * JSON array of {"Loader", "Source", "Title"?, "Kernel", "Initrd"?, "Options"} (empty
 * when it names none; never NULL).
 */
json_t *ami_boot_entries_parse(const char *kind, const char *source, const char *text);

/**
 * ami_cmdline_values() - every value of @key ("console", "root") on the kernel command
 * line @options, in order.  New GStrv (empty, never NULL).
 */
char **ami_cmdline_values(const char *options, const char *key);

/**
 * ami_cloud_datasource_list() - the datasource_list a cloud-init configuration file
 * sets (flow `[ A, B ]` or block `- A` form), or NULL when it sets none.  New GStrv.
 */
char **ami_cloud_datasource_list(const char *yaml);

/**
 * ami_cpio_list() - the names in the cpio "newc" archive(s) at the start of @data, up to
 * the first byte that is not a newc header (a compressed archive that follows, or the
 * end).  *ret_end is where parsing stopped (after trailing zero padding).  Names are
 * appended to @names (new strings).  Returns FALSE with AMI_ERROR_INVALID for a
 * truncated or malformed archive.
 */
gboolean ami_cpio_list(const guint8 *data, gsize len, GPtrArray *names, gsize *ret_end,
                       GError **error);

/**
 * ami_cloud_init_log_last_boot() - the offset in @text (a cloud-init.log or
 * cloud-init-output.log) where its last boot starts: the last "running 'init-local'"
 * line, else the last "running 'init'" one, else 0.
 */
gsize ami_cloud_init_log_last_boot(const char *text);

/**
 * ami_inspect_report() - the report of @facts (the shape docs/forensics.md "Facts"
 * gives): {"ImageId", "Warnings": [{"Code", "Message", "Fix"}], "Undetermined":
 * [{"Fact", "Reason"}], "Os", "Boot", "Initramfs", "CloudInit", "Fstab", "SshHostKeys",
 * "AuthorizedKeys"}.  Warnings come in a fixed order, most likely to stop a boot first.
 * Pure; a new reference.
 */
json_t *ami_inspect_report(json_t *facts);

/**
 * ami_inspect_report_text() - @report for people: warnings first, then the facts, one
 * per line.  New string.
 */
char *ami_inspect_report_text(json_t *report);

/**
 * ami_inspect_explains() - TRUE when a boot that failed with verdict class @class_id
 * (verdict.c) has a cause `inspect` can show on the disk: root device not found, no
 * bootable device, init or mount failures, emergency shells, no datasource.
 */
gboolean ami_inspect_explains(const char *class_id);

G_END_DECLS
