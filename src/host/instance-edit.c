/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * modify-instance-attribute: a stopped instance's type and user data.  EC2 allows both
 * only while the instance is stopped (IncorrectInstanceState otherwise), which is also
 * when no process holds its record and its files here.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/ami.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/launch.h"
#include "ami-run/plan.h"
#include "ami-run/seed.h"

/* The domain's memory and vCPUs for @type; the disk bus and SMBIOS stay as launched. */
static gboolean
retype_domain(const char *dir, const AmiInstanceType *type, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "domain.xml", NULL);
    g_autofree char *xml = NULL, *mem = NULL, *cpu = NULL;
    g_autofree char *with_mem = NULL, *with_cpu = NULL;
    g_autoptr(GRegex) mem_re = g_regex_new("<memory unit='MiB'>[0-9]+</memory>", 0, 0, NULL);
    g_autoptr(GRegex) cpu_re = g_regex_new("<vcpu>[0-9]+</vcpu>", 0, 0, NULL);

    if (!g_file_get_contents(path, &xml, NULL, error))
        return FALSE;
    mem = g_strdup_printf("<memory unit='MiB'>%u</memory>", type->memory_mib);
    cpu = g_strdup_printf("<vcpu>%u</vcpu>", type->vcpus);
    if (!(with_mem = g_regex_replace_literal(mem_re, xml, -1, 0, mem, 0, error)) ||
        !(with_cpu = g_regex_replace_literal(cpu_re, with_mem, -1, 0, cpu, 0, error)))
        return FALSE;
    return g_file_set_contents_full(path, with_cpu, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gboolean
set_type(json_t *r, const char *dir, const char *name, GError **error)
{
    const AmiInstanceType *type = ami_instance_type_lookup(name);
    AmiArch arch = AMI_ARCH_LAST;

    if (!type)
        return ami_error_invalid(error, "InvalidInstanceAttributeValue: '%.40s' is not an "
                                 "instance type ami-run knows (docs/run.md \"Instance types\")", name);
    ami_arch_from_string(json_string_value(json_object_get(r, "Architecture")), &arch);
    if (arch != AMI_ARCH_LAST && type->arch != arch)
        return ami_error_invalid(error, "InvalidInstanceAttributeValue: instance type '%s' is "
                                 "%s, the instance is %s", name, ami_arch_to_string(type->arch),
                                 ami_arch_to_string(arch));
    if (!retype_domain(dir, type, error))
        return FALSE;
    json_object_set_new(r, "InstanceType", json_string(type->name));
    return TRUE;
}

/* The user data file (for the IMDS) and the NoCloud seed, made again with it. */
static gboolean
set_user_data(json_t *r, const char *dir, GBytes *user_data, GError **error)
{
    json_t *a = json_object_get(r, "AmiRun");
    const char *seed = json_string_value(json_object_get(a, "Seed"));
    g_autofree char *path = g_build_filename(dir, "user-data", NULL);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    g_autoptr(AmiSeedFiles) files = NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(user_data, &len);
    size_t i;
    json_t *k;

    json_array_foreach(json_object_get(a, "PublicKeys"), i, k) {
        if (json_is_string(k))
            g_ptr_array_add(keys, (gpointer)json_string_value(k));
    }
    g_ptr_array_add(keys, NULL);
    {
        AmiSeedSpec spec = {.instance_id = json_string_value(json_object_get(r, "InstanceId")),
                            .hostname = json_string_value(json_object_get(a, "Hostname")),
                            .ssh_keys = (const char *const *)keys->pdata,
                            .mac = json_string_value(json_object_get(a, "SeedMac")),
                            .user_data = user_data};

        if (!(files = ami_seed_files_build(&spec, error))) /* > 16 KB: refused here */
            return FALSE;
    }
    if (seed) {
        g_autofree char *tmp = g_strdup_printf("%s.new", seed);

        unlink(tmp);
        if (!ami_seed_iso_write(files, tmp, error))
            return FALSE;
        if (rename(tmp, seed) < 0) {
            unlink(tmp);
            return ami_error_set_errno(error, errno, seed);
        }
    }
    return g_file_set_contents_full(path, data ? data : "", (gssize)len,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gboolean
ami_instance_modify(AmiStore *store, const char *instance_id, const char *instance_type,
                    GBytes *user_data, GError **error)
{
    g_autoptr(json_t) r = NULL;
    g_autofree char *dir = NULL, *path = NULL;
    gboolean ok = FALSE;

    if (!ami_store_lock(store, error))
        return FALSE;
    if (!(r = ami_instance_find(store, instance_id, error)))
        goto out;
    if (ami_instance_state(r) != AMI_INSTANCE_STOPPED) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "IncorrectInstanceState: The instance '%s' is not in the 'stopped' state (it is %s)",
                    instance_id, json_string_value(json_object_get(json_object_get(r, "State"), "Name")));
        goto out;
    }
    dir = g_build_filename(ami_store_path(store), "instances", instance_id, NULL);
    path = g_build_filename(dir, "instance.json", NULL);
    if ((instance_type && !set_type(r, dir, instance_type, error)) ||
        (user_data && !set_user_data(r, dir, user_data, error)))
        goto out;
    ok = ami_json_write_file_atomic(path, r, 0600, error);
out:
    ami_store_unlock(store);
    return ok;
}
