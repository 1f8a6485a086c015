/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * EC2's image attributes and CopyImage as pure functions of an image record (docs/images.md):
 * ModifyImageAttribute, DescribeImageAttribute and ResetImageAttribute requests in the
 * API's own JSON shape, launch permissions, DescribeImages' ExecutableUsers, and the
 * records CopyImage makes.  No store, no clock: the caller loads, passes times and ids,
 * and writes.
 */
#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_image_launch_permissions() - the image's LaunchPermissions (kept under
 * AmiRun.LaunchPermissions; a record without them is public exactly when its Public
 * member is true, as a saved describe-images object says).  Returns a new list.
 */
json_t *ami_image_launch_permissions(json_t *image);

/**
 * ami_launch_permission_check() - one LaunchPermission: exactly one of UserId (12
 * digits), Group ("all"), OrganizationArn or OrganizationalUnitArn (ARN shapes as
 * AWS Organizations makes them).  @what names it in errors.
 */
gboolean ami_launch_permission_check(json_t *permission, const char *what, GError **error);

/**
 * ami_image_modify_attribute() - apply a ModifyImageAttributeRequest (ImageId aside) to
 * @image: launchPermission (LaunchPermission {Add, Remove} or OperationType with UserIds,
 * UserGroups, OrganizationArns, OrganizationalUnitArns), description, imdsSupport
 * (only v2.0, which cannot be undone).  One attribute at a time.  @image changes only
 * when the whole request is valid (AMI_ERROR_INVALID otherwise).
 */
gboolean ami_image_modify_attribute(json_t *image, json_t *request, GError **error);

/**
 * ami_image_describe_attribute() - DescribeImageAttribute's reply (ImageAttribute shape)
 * for @attribute (ImageAttributeName: description, kernel, ramdisk, launchPermission,
 * productCodes, blockDeviceMapping, sriovNetSupport, bootMode, tpmSupport, uefiData,
 * lastLaunchedTime, imdsSupport, deregistrationProtection).  An unset attribute is an
 * empty object, as EC2 returns it.  Returns a new object.
 */
json_t *ami_image_describe_attribute(json_t *image, const char *attribute, GError **error);

/**
 * ami_image_reset_attribute() - ResetImageAttribute: @attribute must be
 * launchPermission; every explicit launch permission goes and the image is private.
 */
gboolean ami_image_reset_attribute(json_t *image, const char *attribute, GError **error);

/**
 * ami_executable_user_check() - a DescribeImages ExecutableUsers value: self, all or a
 * 12-digit account id.
 */
gboolean ami_executable_user_check(const char *user, GError **error);

/**
 * ami_image_executable_by() - whether @image is in DescribeImages' ExecutableUsers
 * scope @user: "all" = public; "self" or @self_account = shared with this account
 * (an explicit UserId); another account id = shared with exactly that account.
 */
gboolean ami_image_executable_by(json_t *image, const char *user, const char *self_account);

/** The parts of a CopyImageRequest ami_image_copy() needs, resolved by the caller. */
typedef struct {
    const char *image_id;       /* the new ami- id */
    const char *name;           /* Name (required) */
    const char *description;    /* Description, or NULL (EC2 leaves it empty) */
    const char *source_region;  /* SourceRegion */
    gboolean copy_tags;         /* CopyImageTags */
    gboolean encrypted;         /* Encrypted */
    const char *kms_key_id;     /* KmsKeyId, or NULL */
    const char *owner_id;       /* the copy's owner (this account) */
    const char *now;            /* CreationDate, ISO 8601 */
    gint64 now_ms;              /* the same, in ms since the epoch ("Task created on") */
    GHashTable *snapshot_ids;   /* source snap- id -> new snap- id */
} AmiImageCopy;

/**
 * ami_image_copy() - the describe-images object of the copy of @source: a new ImageId,
 * Name and Description, new SnapshotIds, SourceImageId/SourceImageRegion, no launch
 * permissions (private), user tags only with copy_tags (never aws:), Encrypted on every
 * EBS mapping when asked, state available (the data is shared, nothing to wait for).
 * No AmiRun: the caller sets the region.  Returns a new object.
 */
json_t *ami_image_copy(json_t *source, const AmiImageCopy *copy);

/**
 * ami_snapshot_copy() - the record of the copy @snapshot_id of @source (a snapshot
 * record) for @copy: the same data (AmiRun copied whole, Parent and Sha256 included,
 * except Region), VolumeId vol-ffffffff and CopyImage's Description as EC2 writes it.
 */
json_t *ami_snapshot_copy(json_t *source, const char *snapshot_id, const char *source_image_id,
                          const AmiImageCopy *copy);

G_END_DECLS
