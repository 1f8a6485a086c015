/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by imds-tree.c (building the tree) and imds.c (serving it); not installed. */

#include "ami-run/imds.h"

G_BEGIN_DECLS

typedef struct ImdsNode ImdsNode;

struct ImdsNode {
    char *name;               /* the path segment */
    char *label;              /* its line in the parent's listing; NULL: name ("/" if a dir) */
    GBytes *value;            /* a leaf: served byte-exact */
    const char *content_type; /* a leaf's */
    GPtrArray *children;      /* a directory: ImdsNode, in listing order */
};

struct AmiImdsContext {
    ImdsNode *root;  /* what /latest/ lists: dynamic, meta-data, user-data */
    AmiImdsHttpTokens http_tokens;
    AmiImdsSwitch http_endpoint;
    guint hop_limit; /* HttpPutResponseHopLimit: the IP TTL of token responses */
    GBytes *secret;
};

/* The child of @dir named @name (a segment), NULL when none. */
const ImdsNode *imds_node_child(const ImdsNode *dir, const char *name);

G_END_DECLS
