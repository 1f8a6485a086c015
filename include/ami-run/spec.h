/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `ami-run test` specs (docs/test.md): YAML or JSON in, a validated, normalised spec
 * (JSON) out; the matrix expanded into cells, each cell an `ami-run run` argv; the
 * checks of one finished cell.  Pure: no files are read here, paths are only joined.
 */

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/**
 * ami_spec_parse() - parse and validate @text (@len bytes, YAML 1.1 or JSON, which is
 * parsed as YAML flow style) named @filename in errors.  Relative paths in it (user-data
 * files, components) are taken relative to @base_dir.  Returns the normalised spec (new
 * reference): {Name, Images: [{Id|Name|Filters}], Matrix: {InstanceTypes, BootModes,
 * DiskBuses, UserData: [{Name, File?, Text?}], MetadataOptions: [{Name, Value}]}, Until,
 * Success, MustAppear, MustNotAppear, Timeout, Retries, Strict, Components, Phases}, or
 * NULL with AMI_ERROR_INVALID "FILE:LINE:COL: message" (one line).
 */
json_t *ami_spec_parse(const char *text, gsize len, const char *filename, const char *base_dir,
                       GError **error);

/**
 * ami_spec_from_image() - the spec of `ami-run test --image-id ID [--component F…]`: one
 * image, the default matrix.  Returns a new reference.
 */
json_t *ami_spec_from_image(const char *image_id, const char *const *components);

/**
 * ami_spec_expand() - the cells of @spec over @images, the resolved images in spec order
 * ([{ImageId, Name, Architecture}]): their cross product with every matrix dimension,
 * instance types of the other architecture left out.  Each cell: {Id ("c1"…), Name,
 * ImageId, ImageName, Architecture, InstanceType?, BootMode?, DiskBus?, UserData?,
 * MetadataOptions?}.  Returns a new list, or NULL with AMI_ERROR_INVALID when an image has
 * no cell (only instance types of another architecture).
 */
json_t *ami_spec_expand(const json_t *spec, const json_t *images, GError **error);

/**
 * ami_spec_cell_argv() - the `ami-run run` arguments of @cell (after the program name,
 * starting with "run"), with @extra (NULL or a NULL-terminated list, e.g. --accel)
 * appended.  Returns a new GStrv.
 */
char **ami_spec_cell_argv(const json_t *spec, const json_t *cell, const char *const *extra);

/**
 * ami_spec_checks() - the checks of one finished attempt: "boot" from the run's exit code
 * @exit_code and @record's AmiRun.Verdict (@record may be NULL: the run failed before it
 * made one, @run_error says why), each must / must-not marker against @console (@console_len
 * bytes, NUL terminated, may be NULL), and each component step of AmiRun.Components.  Returns a new
 * list of {Name, Kind: boot|must-appear|must-not-appear|component, Status: passed|failed|
 * skipped, Type?, Message?, Offset?, Line?}.
 */
json_t *ami_spec_checks(const json_t *spec, int exit_code, const json_t *record,
                        const char *console, gsize console_len, const char *run_error);

/** ami_spec_checks_passed() - TRUE when no check of @checks failed. */
gboolean ami_spec_checks_passed(const json_t *checks);

/**
 * ami_spec_line_of() - the 1-based line of byte @offset in @text (offsets past the end
 * count to the last line).
 */
guint ami_spec_line_of(const char *text, gsize offset);

G_END_DECLS
