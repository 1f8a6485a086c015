/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

/* Changes one resource's Tags list in place; FALSE with @error to abort everything. */
typedef gboolean (*CliTagEdit)(json_t *tags, json_t *request, GError **error);

/**
 * cli_edit_tags() - apply @edit with @request to the Tags of every resource in
 * @resources (ami-… or snap-…), all or none: every resource must exist first.
 */
gboolean cli_edit_tags(const Cli *cli, char **resources, json_t *request, CliTagEdit edit,
                       GError **error);

/* Changes one image object in place. */
typedef gboolean (*CliImageEdit)(json_t *image, gpointer data, GError **error);

/** cli_edit_image() - load @image_id under the store lock, apply @edit, write it back. */
gboolean cli_edit_image(const Cli *cli, const char *image_id, CliImageEdit edit, gpointer data,
                        GError **error);
