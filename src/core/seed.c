/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "ami-run/error.h"
#include "ami-run/seed.h"

void
ami_seed_files_free(AmiSeedFiles *files)
{
    if (!files)
        return;
    g_free(files->meta_data);
    g_free(files->network_config);
    if (files->user_data)
        g_bytes_unref(files->user_data);
    g_free(files);
}

/* A YAML double-quoted scalar: only printable ASCII reaches here, escape " and \. */
static void
append_yaml_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
    g_string_append_c(out, '"');
}

static gboolean
key_is_valid(const char *key)
{
    size_t n = strlen(key);

    if (n < 16 || n > 16384)
        return FALSE;
    for (const char *p = key; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return FALSE;
    }
    return g_str_has_prefix(key, "ssh-") || g_str_has_prefix(key, "ecdsa-") ||
           g_str_has_prefix(key, "sk-");
}

/* RFC 1123 label(s): what cloud-init will set as the hostname. */
static gboolean
hostname_is_valid(const char *h)
{
    size_t n = strlen(h);

    if (n == 0 || n > 63 || h[0] == '-' || h[n - 1] == '-')
        return FALSE;
    for (const char *p = h; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-')
            return FALSE;
    }
    return TRUE;
}

AmiSeedFiles *
ami_seed_files_build(const AmiSeedSpec *spec, GError **error)
{
    g_autoptr(AmiSeedFiles) files = g_new0(AmiSeedFiles, 1);
    g_autoptr(GString) md = g_string_new(NULL);
    g_autofree char *hostname = g_strdup(spec->hostname ? spec->hostname : spec->instance_id);
    gsize ud_len = spec->user_data ? g_bytes_get_size(spec->user_data) : 0;

    if (ud_len > AMI_USER_DATA_MAX) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "user data is %" G_GSIZE_FORMAT " bytes; EC2 allows at most %d (16 KB) "
                    "before base64", ud_len, AMI_USER_DATA_MAX);
        return NULL;
    }
    if (!hostname_is_valid(hostname)) {
        /* Escaped: the error stays one line whatever was typed. */
        g_autofree char *shown = g_strescape(hostname, NULL);

        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "hostname '%.64s' must be 1-63 letters, digits or '-'", shown);
        return NULL;
    }
    g_string_append(md, "instance-id: ");
    append_yaml_string(md, spec->instance_id);
    g_string_append(md, "\nlocal-hostname: ");
    append_yaml_string(md, hostname);
    g_string_append_c(md, '\n');
    for (guint i = 0; spec->ssh_keys && spec->ssh_keys[i]; i++) {
        if (!key_is_valid(spec->ssh_keys[i])) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "SSH public key %u is not one line of the form 'ssh-ed25519 AAAA… "
                        "comment'", i + 1);
            return NULL;
        }
        if (i == 0)
            g_string_append(md, "public-keys:\n");
        g_string_append(md, "  - ");
        append_yaml_string(md, spec->ssh_keys[i]);
        g_string_append_c(md, '\n');
    }
    files->meta_data = g_string_free(g_steal_pointer(&md), FALSE);
    /* Network config v2: DHCP on the first NIC, matched by its MAC. */
    files->network_config = g_strdup_printf("version: 2\nethernets:\n  eth0:\n    match:\n"
                                            "      macaddress: \"%s\"\n    dhcp4: true\n",
                                            spec->mac);
    files->user_data = spec->user_data ? g_bytes_ref(spec->user_data) : g_bytes_new(NULL, 0);
    return g_steal_pointer(&files);
}
