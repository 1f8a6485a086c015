/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Thin host adapters: digests, subprocesses, qemu-img, HTTP, signals. */

#include <gio/gio.h>
#include <glib.h>
#include <signal.h>

#include "ami-run/sshkey.h"

G_BEGIN_DECLS

/* --- signals.c ---------------------------------------------------------------------- */

/**
 * ami_signals_install() - catch SIGINT, SIGTERM and SIGHUP: long operations poll
 * ami_signals_pending() and unwind with AMI_ERROR_CANCELLED, so temporary files go.
 */
void ami_signals_install(void);

/* reboot-instances asks a supervisor with this (a real-time signal: no other meaning). */
#define AMI_SIGNAL_REBOOT (SIGRTMIN + 1)

/** ami_signals_install_control() - also catch SIGUSR1/SIGUSR2 (the supervisor's stop
 * requests), SIGURG (create-image --no-reboot's pause request) and AMI_SIGNAL_REBOOT. */
void ami_signals_install_control(void);

/** ami_signals_clear() - forget the pending signal (it was handled). */
void ami_signals_clear(void);

/** ami_signals_pending() - the signal that arrived, or 0. */
int ami_signals_pending(void);

/** ami_signals_check() - FALSE with AMI_ERROR_CANCELLED once a signal arrived. */
gboolean ami_signals_check(GError **error);

/* --- digest.c ----------------------------------------------------------------------- */

typedef struct AmiSha256 AmiSha256;

/** ami_sha256_new() - a streaming SHA-256 (OpenSSL: 6x GLib's speed here, see code). */
AmiSha256 *ami_sha256_new(void);
void ami_sha256_update(AmiSha256 *sha, const void *data, size_t len);
/** ami_sha256_finish() - the lowercase hex digest (new string); frees @sha. */
char *ami_sha256_finish(AmiSha256 *sha);
void ami_sha256_free(AmiSha256 *sha);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiSha256, ami_sha256_free)

/** ami_sha256_file() - hex SHA-256 of a whole file, or NULL. Polls for signals. */
char *ami_sha256_file(const char *path, GError **error);

/** ami_sha256_hex_is_valid() - 64 hex digits (either case). */
gboolean ami_sha256_hex_is_valid(const char *hex);

/* --- keygen.c: CreateKeyPair's key generation (OpenSSL) ------------------------------ */

typedef struct {
    char *private_key; /* KeyMaterial: "BEGIN RSA PRIVATE KEY" (PKCS#1) or "BEGIN OPENSSH
                        * PRIVATE KEY" (ed25519), as EC2 returns them; wiped on free */
    char *public_key;  /* OpenSSH one-line form, the key name as its comment */
    char *fingerprint; /* KeyFingerprint as EC2 computes it for a created key */
} AmiKeyMaterial;

/**
 * ami_keygen() - a new key pair of @type (RSA 2048 or ED25519), named @key_name in the
 * public key's comment.  Returns a new AmiKeyMaterial, or NULL with AMI_ERROR_HOST.
 */
AmiKeyMaterial *ami_keygen(AmiKeyType type, const char *key_name, GError **error);

/** ami_key_material_free() - wipes the private key; accepts NULL. */
void ami_key_material_free(AmiKeyMaterial *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiKeyMaterial, ami_key_material_free)

/* --- spawn.c ------------------------------------------------------------------------ */

/**
 * ami_spawn_sync() - run @argv (never a shell), wait, honour signals (the child is
 * killed and AMI_ERROR_CANCELLED returned).  With @ret_stdout, capture standard output
 * (new string); standard error is captured and put in the error message on failure.
 * With @stdout_to_stderr the child's stdout goes to our stderr (progress output).
 * A missing program is AMI_ERROR_HOST naming the package to install.
 */
gboolean ami_spawn_sync(const char *const *argv, gboolean stdout_to_stderr, char **ret_stdout,
                        GError **error);

/* --- qemu-img.c --------------------------------------------------------------------- */

typedef struct {
    char *format;
    guint64 virtual_size;
    guint64 actual_size;
    char *backing_file;   /* NULL unless the image names one */
    gboolean has_data_file; /* qcow2 external data file */
    gboolean foreign_extents; /* vmdk extents in other files */
} AmiDiskInfo;

void ami_disk_info_free(AmiDiskInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiDiskInfo, ami_disk_info_free)

/**
 * ami_qemu_img_info() - `qemu-img info --output=json` of @path (absolute), with format
 * @format pinned, or probed when NULL.  Never follows a backing chain.
 */
AmiDiskInfo *ami_qemu_img_info(const char *path, const char *format, GError **error);

/**
 * ami_qemu_img_convert() - convert @src (format @src_format, pinned) to a new qcow2
 * @dst; sparse; progress to stderr when @progress.
 */
gboolean ami_qemu_img_convert(const char *src, const char *src_format, const char *dst,
                              gboolean progress, GError **error);

/**
 * ami_qemu_img_export() - convert the store's qcow2 @src (format pinned; a backing chain
 * is followed) to a new @dst of qemu format @dst_format ("raw", "vmdk", "vpc") with
 * creation @options (or NULL); sparse; progress to stderr when @progress.
 */
gboolean ami_qemu_img_export(const char *src, const char *dst, const char *dst_format,
                             const char *options, gboolean progress, GError **error);

/**
 * ami_qemu_img_rebase_unsafe() - set the backing file of the qcow2 @path (absolute) to
 * @backing (NULL: none), format qcow2 pinned, rewriting only the header (`rebase -u`):
 * a snapshot layer names its parent relative to snapshots/.
 */
gboolean ami_qemu_img_rebase_unsafe(const char *path, const char *backing, GError **error);

/* --- http.c ------------------------------------------------------------------------- */

/** ami_url_is_remote() - whether @s is an http://, https:// or file:// URL. */
gboolean ami_url_is_remote(const char *s);

/**
 * ami_http_download() - fetch @url (http, https or file) into the new file @dest,
 * computing its SHA-256 on the way (*ret_sha256, new string).  A progress bar goes to
 * stderr when @progress.  On failure @dest is removed.
 */
gboolean ami_http_download(const char *url, const char *dest, gboolean progress,
                           char **ret_sha256, GError **error);

G_END_DECLS

/* --- kvm.c -------------------------------------------------------------------------- */

/**
 * ami_accel_resolve() - KVM or TCG for a guest of @guest_arch.  @requested AUTO picks
 * KVM only when it is usable: same architecture as the host, /dev/kvm opens, the CPU
 * has vmx/svm (x86) or is arm64, and kvm_intel/kvm_amd is loaded (not the nested "PVM"
 * flavour, under which guests hang).  Otherwise TCG, with *ret_reason saying why (new
 * string, NULL when KVM).  A forced KVM that cannot work is AMI_ERROR_HOST.  @root is a
 * prefix for /proc, /sys and /dev ("" for the real host; tests pass fixture trees).
 */
gboolean ami_accel_resolve(const char *root, int requested, int guest_arch, int *ret_accel,
                           char **ret_reason, GError **error);

/* --- reaper.c ----------------------------------------------------------------------- */

/*
 * The embedded driver dies with this process and has no autodestroy, and CI runners
 * kill whole process groups with SIGKILL.  So before a guest starts, a small reaper
 * (this binary again, in its own session) is spawned holding the read end of a pipe:
 * told QEMU's pid, it kills QEMU when the pipe closes without a "done" line.
 */
typedef struct AmiReaper AmiReaper;

/** ami_child_setsid() - a GSubprocess child_setup: a session (and process group) of its own. */
void ami_child_setsid(gpointer data);

/** ami_reaper_spawn() - start the reaper; @self is this program's path. */
AmiReaper *ami_reaper_spawn(const char *self, GError **error);

/** ami_reaper_watch() - tell the reaper which QEMU process to kill if we die. */
gboolean ami_reaper_watch(AmiReaper *reaper, int qemu_pid, GError **error);

/**
 * ami_reaper_watch_pid_file() - before the start, while QEMU's pid is not known yet:
 * if we die before ami_reaper_watch(), kill the process named in @pid_file when its
 * command line is QEMU's for @instance_id.
 */
gboolean ami_reaper_watch_pid_file(AmiReaper *reaper, const char *pid_file,
                                   const char *instance_id, GError **error);

/**
 * ami_qemu_pid_from_file() - the pid in @pid_file if that process is a QEMU whose command
 * line names @instance_id (pids get reused), else 0.
 */
int ami_qemu_pid_from_file(const char *pid_file, const char *instance_id);

/** ami_pid_is_qemu_of() - whether process @pid is a QEMU whose command line names @instance_id. */
gboolean ami_pid_is_qemu_of(int pid, const char *instance_id);

/** ami_reaper_release() - a clean teardown: the reaper exits without killing.  Frees. */
void ami_reaper_release(AmiReaper *reaper);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiReaper, ami_reaper_release)

/** ami_reaper_main() - the reaper itself: reads standard input until EOF.  Exit code. */
int ami_reaper_main(void);
