/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reproducing a boot from its EC2 console output (`ami-run reproduce`, docs/reproduce.md):
 * the saved output as `aws ec2 get-console-output` printed it, parsed into console text;
 * a boot signature (failure class, normalised key line, stage reached) from a verdict;
 * and the classes QEMU cannot reproduce (Xen, ENA, hardware).  Pure.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* EC2 keeps the last 64 KiB of a serial console (GetConsoleOutput). */
#define AMI_CONSOLE_OUTPUT_KEEP 65536

/* How a saved console output was written down. */
typedef enum {
    AMI_SAVED_JSON,        /* the AWS CLI's JSON, Output decoded (its default) */
    AMI_SAVED_JSON_BASE64, /* JSON whose Output is still base64 (the raw API) */
    AMI_SAVED_BASE64,      /* the Output alone, base64 */
    AMI_SAVED_PLAIN,       /* the console text itself (--output text, a copy) */
    AMI_SAVED_LAST
} AmiSavedForm;

/** ami_saved_form_to_string() - "json", "json-base64", "base64", "plain" (static). */
const char *ami_saved_form_to_string(AmiSavedForm v);

typedef struct {
    AmiSavedForm form;
    char *text;        /* the console bytes, NUL-terminated (may hold other NULs) */
    gsize len;
    char *instance_id; /* the JSON's InstanceId, or NULL */
    gboolean truncated; /* ~64 KiB and it starts mid-boot: EC2 dropped the beginning */
} AmiSavedConsole;

void ami_saved_console_free(AmiSavedConsole *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiSavedConsole, ami_saved_console_free)

/**
 * ami_saved_console_parse() - the console text of a saved get-console-output: JSON (an
 * object with a string Output, decoded or strictly base64), a bare strict base64 blob, or
 * plain text (at least 95 % printable bytes).  Empty or binary input, JSON without
 * Output, or Output null are AMI_ERROR_INVALID.
 * @what names the file in errors.  Returns a new AmiSavedConsole.
 */
AmiSavedConsole *ami_saved_console_parse(const char *data, gsize len, const char *what,
                                         GError **error);

/**
 * ami_base64_strict_decode() - @text (@len bytes) as strict base64: the RFC 4648 alphabet,
 * whole groups of 4, '=' padding only at the end, line breaks ignored.  NULL when it is
 * not; else new bytes (NUL-terminated, length in *ret_len).
 */
char *ami_base64_strict_decode(const char *text, gsize len, gsize *ret_len);

/**
 * ami_signature_normalise_line() - a console line with what differs between two boots
 * of the same failure taken out: printk stamps, `<N>` levels, `unit[pid]:`, hex
 * (0x…, long hex words), UUIDs, MACs, IPv4 addresses, dates and times, numbers; block
 * devices (nvme0n1p1, xvda1, vda, sda2) → `<blk>`, NICs → `<nic>`, hvc0/ttyS0 → `<con>`;
 * runs of spaces become one, ends trimmed.  Returns a new string.
 */
char *ami_signature_normalise_line(const char *line);

typedef struct {
    char *outcome;  /* "success", "failure", "timeout" */
    char *class_id; /* the verdict's class */
    char *key_line; /* normalised, or NULL */
    char *stage;    /* the last stage seen, or NULL */
} AmiSignature;

void ami_signature_free(AmiSignature *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiSignature, ami_signature_free)

/**
 * ami_signature_from_verdict() - the signature of an AmiRun.Verdict JSON (Outcome, Class,
 * Line, Stage).  NULL (AMI_ERROR_INVALID) without Outcome or Class.  New signature.
 */
AmiSignature *ami_signature_from_verdict(const json_t *verdict, GError **error);

/**
 * ami_signature_match() - @local reproduces @saved: same outcome, class and key line, and
 * the same stage unless @saved's is unknown (its start was cut off).
 */
gboolean ami_signature_match(const AmiSignature *saved, const AmiSignature *local);

/** ami_signature_to_string() - "failure kernel-panic at stage kernel: 'key line'" (new). */
char *ami_signature_to_string(const AmiSignature *s);

/** ami_signature_to_json() - {Outcome, Class, KeyLine, Stage}.  New reference. */
json_t *ami_signature_to_json(const AmiSignature *s);

/**
 * ami_console_unreproducible() - the first console line naming something QEMU does not
 * emulate (Xen's PV drivers and hypervisor, the ENA NIC, host hardware errors):
 * "Xen: 'XENBUS: Device with no driver: device/vbd/51712'".  NULL when there is none;
 * else a new string.
 */
char *ami_console_unreproducible(const char *text, gsize len);

G_END_DECLS
