/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

/**
 * cli_register_images() - check and register the image objects in @images (a JSON list,
 * modified: missing ImageIds are filled in), importing the disks of @snapshot_specs
 * (`snap-…=FILE|URL`, NULL-terminated or NULL) in the same transaction.  With
 * @fill_sizes, EBS mappings without VolumeSize get their snapshot's size, as EC2 shows
 * them.  All or nothing.  Returns the new array of registered ids (new strings).
 */
GPtrArray *cli_register_images(const Cli *cli, json_t *images, const char *const *snapshot_specs,
                               gboolean fill_sizes, GError **error);
