/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The AMI model: describe-images JSON in, a validated AmiImage out.  The original
 * json_t is kept, so members ami-run does not model survive a round trip.
 * Pure: no I/O, no clock, no randomness.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
    AMI_ARCH_I386,
    AMI_ARCH_X86_64,
    AMI_ARCH_ARM64,
    AMI_ARCH_X86_64_MAC,
    AMI_ARCH_ARM64_MAC,
    AMI_ARCH_LAST
} AmiArch;

typedef enum {
    AMI_BOOT_MODE_LEGACY_BIOS,
    AMI_BOOT_MODE_UEFI,
    AMI_BOOT_MODE_UEFI_PREFERRED,
    AMI_BOOT_MODE_LAST /* also "unset" */
} AmiBootMode;

typedef enum {
    AMI_VIRT_HVM,
    AMI_VIRT_PARAVIRTUAL,
    AMI_VIRT_LAST
} AmiVirtType;

typedef enum {
    AMI_ROOT_EBS,
    AMI_ROOT_INSTANCE_STORE,
    AMI_ROOT_LAST
} AmiRootType;

typedef enum {
    AMI_STATE_PENDING,
    AMI_STATE_AVAILABLE,
    AMI_STATE_INVALID,
    AMI_STATE_DEREGISTERED,
    AMI_STATE_TRANSIENT,
    AMI_STATE_FAILED,
    AMI_STATE_ERROR,
    AMI_STATE_DISABLED,
    AMI_STATE_LAST
} AmiState;

typedef enum {
    AMI_VOLUME_STANDARD,
    AMI_VOLUME_IO1,
    AMI_VOLUME_IO2,
    AMI_VOLUME_GP2,
    AMI_VOLUME_SC1,
    AMI_VOLUME_ST1,
    AMI_VOLUME_GP3,
    AMI_VOLUME_LAST
} AmiVolumeType;

typedef enum {
    AMI_BDM_EBS,
    AMI_BDM_EPHEMERAL,
    AMI_BDM_NO_DEVICE,
    AMI_BDM_LAST
} AmiBdmKind;

/*
 * The string tables: to_string returns a static string, from_string FALSE if unknown,
 * choices a newly allocated "a, b, c" list for error messages.
 */
const char *ami_arch_to_string(AmiArch v);
gboolean ami_arch_from_string(const char *s, AmiArch *ret);
char *ami_arch_choices(void);
const char *ami_boot_mode_to_string(AmiBootMode v);
gboolean ami_boot_mode_from_string(const char *s, AmiBootMode *ret);
char *ami_boot_mode_choices(void);
const char *ami_virt_type_to_string(AmiVirtType v);
gboolean ami_virt_type_from_string(const char *s, AmiVirtType *ret);
char *ami_virt_type_choices(void);
const char *ami_root_type_to_string(AmiRootType v);
gboolean ami_root_type_from_string(const char *s, AmiRootType *ret);
char *ami_root_type_choices(void);
const char *ami_state_to_string(AmiState v);
gboolean ami_state_from_string(const char *s, AmiState *ret);
char *ami_state_choices(void);
const char *ami_volume_type_to_string(AmiVolumeType v);
gboolean ami_volume_type_from_string(const char *s, AmiVolumeType *ret);
char *ami_volume_type_choices(void);

/** ami_volume_type_size_limits() - VolumeSize bounds in GiB for @type (EC2 limits). */
void ami_volume_type_size_limits(AmiVolumeType type, gint64 *ret_min, gint64 *ret_max);

/* One BlockDeviceMapping. */
typedef struct {
    char *device_name;   /* as given, e.g. "/dev/sda1" or "sdb" */
    char *device;        /* normalised: without "/dev/" */
    AmiBdmKind kind;
    char *virtual_name;  /* AMI_BDM_EPHEMERAL: "ephemeralN" */
    char *snapshot_id;   /* AMI_BDM_EBS: NULL for a blank volume */
    gint64 volume_size;  /* GiB; 0 = unset (the snapshot's size) */
    AmiVolumeType volume_type; /* AMI_VOLUME_LAST = unset (gp2 on EC2) */
    gboolean delete_on_termination; /* EC2 default: TRUE */
} AmiBdm;

typedef struct {
    json_t *json;           /* the image object as it came (owned reference) */
    char *image_id;         /* NULL when the input had none (a request shape) */
    char *name;
    AmiArch arch;           /* AMI_ARCH_LAST: not given */
    AmiBootMode boot_mode;  /* AMI_BOOT_MODE_LAST: not given */
    AmiVirtType virt;       /* AMI_VIRT_LAST: not given */
    AmiRootType root_type;  /* AMI_ROOT_LAST: not given */
    AmiState state;         /* AMI_STATE_LAST: not given */
    char *root_device_name; /* as given */
    gboolean windows;       /* Platform "windows", any case */
    GPtrArray *bdms;        /* of AmiBdm*, in input order */
} AmiImage;

/** ami_image_free() - free @image and drop its json reference. Accepts NULL. */
void ami_image_free(AmiImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiImage, ami_image_free)

/**
 * ami_device_normalise() - a device name without a leading "/dev/", or NULL (with
 * @error set) when it is not an EC2 block device name.  Newly allocated.
 */
char *ami_device_normalise(const char *device_name, GError **error);

/* The last instance store VirtualName: ephemeral25 (xvdcz), as real Windows AMIs map. */
#define AMI_EPHEMERAL_MAX 25

/**
 * ami_virtual_name_is_valid() - whether @name is an instance store VirtualName EC2
 * accepts: ephemeral0 … ephemeral25 (AMI_EPHEMERAL_MAX).  FALSE for NULL.
 */
gboolean ami_virtual_name_is_valid(const char *name);

/**
 * ami_image_parse() - validate one image object against the EC2 schema and rules
 * (enums, ids, names, tags, block device mappings, root device) and model it.
 * Nothing outside @obj is consulted: snapshot sizes are checked later by
 * ami_image_check_snapshots().  @obj gains a reference.  Errors are AMI_ERROR_INVALID,
 * one line, naming the member path.  Returns a new AmiImage or NULL.
 */
AmiImage *ami_image_parse(json_t *obj, GError **error);

/**
 * ami_image_check_tpm() - EC2's NitroTPM rule, checked when an image is registered:
 * TpmSupport v2.0 needs an image that boots UEFI (BootMode uefi or uefi-preferred, or
 * arm64, which boots nothing else).  Not part of ami_image_parse(), so records stored
 * before the rule can still be deregistered.  Returns FALSE with AMI_ERROR_INVALID.
 */
gboolean ami_image_check_tpm(const AmiImage *image, GError **error);

/**
 * ami_images_from_document() - the image objects of a describe-images document in any
 * of the shapes people save: {"Images":[…]}, an SDK response {"data":{"Images":[…]}},
 * a bare array, or one image object.  Returns a new array of borrowed json_t
 * pointers (valid while @doc lives), or NULL with AMI_ERROR_INVALID; also for a
 * RegisterImage/CreateImage/CopyImage response or a DescribeImageAttribute reply, which
 * name an image but hold none.
 */
GPtrArray *ami_images_from_document(json_t *doc, GError **error);

/**
 * ami_json_load_file() - parse @path (or "-" for stdin) with jansson, rejecting
 * duplicate keys and NUL bytes; errors name line and column.  Returns a new reference.
 */
json_t *ami_json_load_file(const char *path, GError **error);

/** ami_json_load_string() - the same for a string; @what names it in errors. */
json_t *ami_json_load_string(const char *text, const char *what, GError **error);

/* Size of a snapshot in GiB, or -1 when it is not in the store. */
typedef gint64 (*AmiSnapshotSizeFunc)(const char *snapshot_id, gpointer user_data);

/**
 * ami_image_check_snapshots() - the checks that need the store: every referenced
 * snapshot exists (the error lists all missing ones) and every VolumeSize is at least
 * its snapshot's size.  Returns FALSE with AMI_ERROR_INVALID.
 */
gboolean ami_image_check_snapshots(const AmiImage *image, AmiSnapshotSizeFunc size_of,
                                   gpointer user_data, GError **error);

/**
 * ami_image_snapshot_ids() - the distinct snapshot ids @image refers to, in mapping
 * order.  Returns a new array of borrowed strings.
 */
GPtrArray *ami_image_snapshot_ids(const AmiImage *image);

/**
 * ami_name_is_valid() - EC2's AMI name rule: 3-128 characters of letters, digits and
 * ( ) [ ] space . / - ' @ _
 */
gboolean ami_name_is_valid(const char *name);

/**
 * ami_tags_validate() - check a Tags list ([{Key, Value}]): Key 1-127 characters,
 * Value up to 256, both strings, keys unique.  @where prefixes error messages.
 */
gboolean ami_tags_validate(json_t *tags, const char *where, GError **error);

/**
 * ami_timestamp_validate() - an ISO-8601 UTC timestamp as EC2 prints them
 * (`2024-07-30T22:57:30.000Z` or without fraction).  Returns a new GDateTime or NULL.
 */
GDateTime *ami_timestamp_parse(const char *text);

G_END_DECLS
