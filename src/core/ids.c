/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/ids.h"

static const char *const id_prefixes[AMI_ID_LAST] = {
    [AMI_ID_IMAGE] = "ami",
    [AMI_ID_SNAPSHOT] = "snap",
    [AMI_ID_VOLUME] = "vol",
    [AMI_ID_INSTANCE] = "i",
    [AMI_ID_KEY_PAIR] = "key",
    [AMI_ID_EXPORT_IMAGE_TASK] = "export-ami",
};

const char *
ami_id_prefix(AmiIdKind kind)
{
    g_return_val_if_fail(kind < AMI_ID_LAST, NULL);
    return id_prefixes[kind];
}

gboolean
ami_id_is_valid(AmiIdKind kind, const char *id)
{
    const char *prefix = ami_id_prefix(kind);
    size_t plen, n;

    if (!id || !prefix)
        return FALSE;
    plen = strlen(prefix);
    if (strncmp(id, prefix, plen) != 0 || id[plen] != '-')
        return FALSE;
    id += plen + 1;
    for (n = 0; id[n]; n++) {
        if (!g_ascii_isalnum(id[n]) || n >= 64)
            return FALSE;
    }
    return n >= 8;
}

char *
ami_id_format(AmiIdKind kind, const guint8 random[9])
{
    static const char hex[] = "0123456789abcdef";
    char digits[18];

    /* 9 bytes give 18 hex digits; EC2 ids have 17. */
    for (int i = 0; i < 9; i++) {
        digits[2 * i] = hex[random[i] >> 4];
        digits[2 * i + 1] = hex[random[i] & 0xf];
    }
    digits[17] = '\0';
    return g_strdup_printf("%s-%s", ami_id_prefix(kind), digits);
}
