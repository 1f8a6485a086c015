/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * describe-instance-status: EC2's status checks of an instance as a function of its
 * record.  The instance check is the boot verdict (AmiRun.Verdict, written by run or the
 * supervisor): initializing until there is one, ok on success, impaired on a failure or
 * timeout (ImpairedSince: when it was decided; the class under Details[].AmiRun).  The
 * system check is the host's part: initializing until the verdict, then ok (the guest
 * ran to a verdict).  Instances that are not running have neither: not-applicable.  Pure.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_instance_status() - the InstanceStatus item of DescribeInstanceStatus for @record
 * (an instance record): AvailabilityZone, InstanceId, InstanceState, InstanceStatus,
 * SystemStatus.  Returns a new reference.
 */
json_t *ami_instance_status(json_t *record);

G_END_DECLS
