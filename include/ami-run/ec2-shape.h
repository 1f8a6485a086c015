/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * EC2's output shapes, as botocore's model (ec2 2016-11-15) defines them: describe-images
 * and describe-snapshots print exactly these members, nothing of ami-run's own.
 */
#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
    AMI_EC2_IMAGE,    /* Image (DescribeImages' Images[]) */
    AMI_EC2_SNAPSHOT, /* Snapshot (DescribeSnapshots' Snapshots[]) */
    AMI_EC2_SHAPE_LAST
} AmiEc2Shape;

/**
 * ami_ec2_shape_project() - a deep copy of @value with only the members @shape has,
 * recursively (BlockDeviceMappings[].Ebs, StateReason, Tags[], ProductCodes[]): members
 * the model lacks (AmiRun, anything a --from-json file brought) and values of the wrong
 * kind (an object where a string belongs, …) are left out.  Returns a new reference.
 */
json_t *ami_ec2_shape_project(json_t *value, AmiEc2Shape shape);

G_END_DECLS
