/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * describe-* --filters: `Name=architecture,Values=x86_64,arm64` (the AWS CLI shorthand)
 * or JSON `[{"Name": …, "Values": […]}]`.  Filters are AND-ed, values OR-ed, and values
 * may use the * and ? wildcards, as in EC2.  Pure.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
    AMI_FILTER_IMAGES,
    AMI_FILTER_SNAPSHOTS,
    AMI_FILTER_KEY_PAIRS,
    AMI_FILTER_INSTANCES,
    AMI_FILTER_VOLUMES,
    AMI_FILTER_INSTANCE_STATUS,
    AMI_FILTER_LAST
} AmiFilterKind;

typedef struct AmiFilters AmiFilters;

/**
 * ami_filters_parse() - parse each --filters argument of @args (NULL-terminated; NULL
 * means none) for @kind.  Unknown filter names are AMI_ERROR_INVALID listing the known
 * ones.  Returns a new AmiFilters.
 */
AmiFilters *ami_filters_parse(AmiFilterKind kind, const char *const *args, GError **error);

/** ami_filters_free() - accepts NULL. */
void ami_filters_free(AmiFilters *filters);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmiFilters, ami_filters_free)

/** ami_filters_match() - whether @object (an image, snapshot or key pair) passes every filter. */
gboolean ami_filters_match(const AmiFilters *filters, json_t *object);

G_END_DECLS
