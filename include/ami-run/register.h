/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* register-image and import-image requests turned into describe-images objects. Pure. */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_register_request_to_image() - turn an `aws ec2 register-image` request (the
 * --cli-input-json shape, flags merged in) into the image describe-images will show:
 * EC2's defaults filled in (VolumeType gp2, DeleteOnTermination true, Encrypted false,
 * State available…), TagSpecifications for "image" turned into Tags.
 * @image_id, @owner_id and @now (ISO-8601) are supplied by the caller.
 * Unknown request members are AMI_ERROR_INVALID.  Returns a new object.
 */
json_t *ami_register_request_to_image(json_t *request, const char *image_id,
                                      const char *owner_id, const char *now, GError **error);

G_END_DECLS
