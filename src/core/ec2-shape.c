/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Image and Snapshot shapes of EC2's service model (botocore
 * botocore/data/ec2/2016-11-15/service-2.json, 1.43.x: SourceImageId, SourceImageRegion,
 * LastLaunchedTime, DeregistrationProtection, SourceInstanceId, ImageAllowed and
 * FreeTierEligible are newer than Debian 12's awscli 2.9.19, whose copy of the model
 * tests/cli/test-shapes.sh compares against, listing these additions).
 */
#include <string.h>

#include "ami-run/ec2-shape.h"

typedef enum { K_SCALAR, K_STRUCT, K_LIST } Kind;

typedef struct Shape Shape;
typedef struct {
    const char *name;
    const Shape *shape; /* NULL: a scalar (string, number, boolean, timestamp) */
} Member;

struct Shape {
    Kind kind;
    const Member *members; /* K_STRUCT, ended by a NULL name */
    const Shape *item;     /* K_LIST: NULL for a list of scalars */
};

static const Member tag_members[] = {{"Key", NULL}, {"Value", NULL}, {NULL, NULL}};
static const Shape tag = {K_STRUCT, tag_members, NULL};
static const Shape tag_list = {K_LIST, NULL, &tag};

static const Member product_code_members[] = {
    {"ProductCodeId", NULL}, {"ProductCodeType", NULL}, {NULL, NULL}};
static const Shape product_code = {K_STRUCT, product_code_members, NULL};
static const Shape product_code_list = {K_LIST, NULL, &product_code};

static const Member state_reason_members[] = {{"Code", NULL}, {"Message", NULL}, {NULL, NULL}};
static const Shape state_reason = {K_STRUCT, state_reason_members, NULL};

static const Member ebs_members[] = {
    {"DeleteOnTermination", NULL}, {"Iops", NULL}, {"SnapshotId", NULL},
    {"VolumeSize", NULL}, {"VolumeType", NULL}, {"KmsKeyId", NULL},
    {"Throughput", NULL}, {"OutpostArn", NULL}, {"AvailabilityZone", NULL},
    {"Encrypted", NULL}, {"VolumeInitializationRate", NULL}, {"AvailabilityZoneId", NULL},
    {"EbsCardIndex", NULL}, {NULL, NULL}};
static const Shape ebs = {K_STRUCT, ebs_members, NULL};

static const Member bdm_members[] = {
    {"DeviceName", NULL}, {"VirtualName", NULL}, {"Ebs", &ebs}, {"NoDevice", NULL}, {NULL, NULL}};
static const Shape bdm = {K_STRUCT, bdm_members, NULL};
static const Shape bdm_list = {K_LIST, NULL, &bdm};

static const Member image_members[] = {
    {"Architecture", NULL}, {"CreationDate", NULL}, {"ImageId", NULL},
    {"ImageLocation", NULL}, {"ImageType", NULL}, {"Public", NULL},
    {"KernelId", NULL}, {"OwnerId", NULL}, {"Platform", NULL},
    {"PlatformDetails", NULL}, {"UsageOperation", NULL}, {"ProductCodes", &product_code_list},
    {"RamdiskId", NULL}, {"State", NULL}, {"BlockDeviceMappings", &bdm_list},
    {"Description", NULL}, {"EnaSupport", NULL}, {"Hypervisor", NULL},
    {"ImageOwnerAlias", NULL}, {"Name", NULL}, {"RootDeviceName", NULL},
    {"RootDeviceType", NULL}, {"SriovNetSupport", NULL}, {"StateReason", &state_reason},
    {"Tags", &tag_list}, {"VirtualizationType", NULL}, {"BootMode", NULL},
    {"TpmSupport", NULL}, {"DeprecationTime", NULL}, {"ImdsSupport", NULL},
    {"SourceInstanceId", NULL}, {"DeregistrationProtection", NULL}, {"LastLaunchedTime", NULL},
    {"ImageAllowed", NULL}, {"SourceImageId", NULL}, {"SourceImageRegion", NULL},
    {"FreeTierEligible", NULL}, {NULL, NULL}};
static const Shape image = {K_STRUCT, image_members, NULL};

static const Member snapshot_members[] = {
    {"DataEncryptionKeyId", NULL}, {"Description", NULL}, {"Encrypted", NULL},
    {"KmsKeyId", NULL}, {"OwnerId", NULL}, {"Progress", NULL},
    {"SnapshotId", NULL}, {"StartTime", NULL}, {"State", NULL},
    {"StateMessage", NULL}, {"VolumeId", NULL}, {"VolumeSize", NULL},
    {"OwnerAlias", NULL}, {"OutpostArn", NULL}, {"Tags", &tag_list},
    {"StorageTier", NULL}, {"RestoreExpiryTime", NULL}, {"SseType", NULL},
    {"AvailabilityZone", NULL}, {"TransferType", NULL}, {"CompletionDurationMinutes", NULL},
    {"CompletionTime", NULL}, {"FullSnapshotSizeInBytes", NULL}, {NULL, NULL}};
static const Shape snapshot = {K_STRUCT, snapshot_members, NULL};

static const Shape *const shapes[AMI_EC2_SHAPE_LAST] = {
    [AMI_EC2_IMAGE] = &image,
    [AMI_EC2_SNAPSHOT] = &snapshot,
};

/* The projection of @v on @s, or NULL when @v is not of @s's kind. */
static json_t *
project(json_t *v, const Shape *s)
{
    json_t *out;

    if (!s)
        return json_is_object(v) || json_is_array(v) || json_is_null(v) ? NULL : json_incref(v);
    if (s->kind == K_LIST) {
        size_t i;
        json_t *item;

        if (!json_is_array(v))
            return NULL;
        out = json_array();
        json_array_foreach(v, i, item) {
            json_t *p = project(item, s->item);

            if (p)
                json_array_append_new(out, p);
        }
        return out;
    }
    if (!json_is_object(v))
        return NULL;
    out = json_object();
    /* In the record's order: what users saved comes back as they wrote it. */
    {
        const char *key;
        json_t *member;

        json_object_foreach(v, key, member) {
            for (const Member *m = s->members; m->name; m++) {
                json_t *p;

                if (strcmp(m->name, key) != 0)
                    continue;
                if ((p = project(member, m->shape)))
                    json_object_set_new(out, key, p);
                break;
            }
        }
    }
    return out;
}

json_t *
ami_ec2_shape_project(json_t *value, AmiEc2Shape shape)
{
    json_t *out;

    g_return_val_if_fail(shape < AMI_EC2_SHAPE_LAST, NULL);
    out = project(value, shapes[shape]);
    return out ? out : json_object();
}
