/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals shared by core/toe.c (documents → program) and core/toe-results.c (frames). */

#include <glib.h>

#include "ami-run/toe.h"

typedef struct {
    guint n;          /* 1-based number in the program; 0: its phase is not run */
    guint doc;        /* index in AmiToeRun.docs */
    char *name, *action, *phase, *on_failure;
    guint max_attempts;
    gint64 timeout;
    GHashTable *inputs; /* "key" / "I.key" → resolved value, for input chaining */
} ToeStep;

typedef struct {
    char *file, *name;
    char **phases; /* the phases run, in document order */
} ToeDoc;

struct AmiToeRun {
    char **phases;         /* --phases */
    GPtrArray *docs;       /* ToeDoc* */
    GPtrArray *steps;      /* ToeStep*, by n - 1 */
    GPtrArray *unselected; /* ToeStep* of phases not run, while a document compiles */
    GString *program;      /* step records */
    guint expr_ids;
};
