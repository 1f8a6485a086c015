/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run bundle i-…: one tar.gz holding what an instance ran, so a colleague can see it
 * exactly (docs/reproduce.md "Bundles"): the AMI JSON, the digests of its snapshots, the
 * domain XML, the UEFI firmware descriptor and NVRAM, the console, the verdict and the
 * timeline, the record, and manifest.json with every file's sha256.  `run --from-bundle`
 * boots the same plan again (cli_bundle_load()).  tar is spawned with an argv.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ami-run/capture.h"
#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/import.h"
#include "ami-run/launch.h"
#include "cli.h"

#define BUNDLE_FORMAT "ami-run-bundle-1"

/* The files run --from-bundle reads; the others are for people. */
static const char *const load_members[] = {"manifest.json", "run.json", "snapshots.json",
                                           "ami.json", NULL};

static const char *
amirun_str(json_t *record, const char *key)
{
    return json_string_value(json_object_get(json_object_get(record, "AmiRun"), key));
}

static gboolean
put_json(const char *dir, const char *name, json_t *value, GPtrArray *names, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    if (!ami_json_write_file_atomic(path, value, 0644, error))
        return FALSE;
    g_ptr_array_add(names, g_strdup(name));
    return TRUE;
}

/* A file of the instance, when it is still there (the NVRAM goes with termination). */
static gboolean
put_copy(const char *dir, const char *name, const char *src, GPtrArray *names, json_t *missing,
         GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    gsize len = 0;

    if (!src || !g_file_get_contents(src, &data, &len, NULL)) {
        json_array_append_new(missing, json_string(name));
        return TRUE;
    }
    if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0644, error))
        return FALSE;
    g_ptr_array_add(names, g_strdup(name));
    return TRUE;
}

/* The snapshots of the plan and the layers below them, with the sha256 the store verified
 * before the boot (launch.c verify_snapshot()). */
static json_t *
snapshot_digests(AmiStore *store, json_t *record, GError **error)
{
    json_t *disks = json_object_get(json_object_get(record, "AmiRun"), "Disks");
    g_autoptr(json_t) out = json_array();
    size_t i, j;
    json_t *d, *e;

    json_array_foreach(disks, i, d) {
        const char *id = json_string_value(json_object_get(d, "SnapshotId"));
        g_autoptr(json_t) rec = NULL;
        g_autoptr(json_t) chain = NULL;

        if (!id)
            continue;
        if (!(rec = ami_store_load_snapshot(store, id, error)) ||
            !(chain = ami_snapshot_chain(rec, error)))
            return NULL;
        json_array_append_new(out, json_pack("{s:s, s:s*, s:s*}", "SnapshotId", id, "VolumeId",
                                             json_string_value(json_object_get(d, "VolumeId")),
                                             "Sha256", amirun_str(rec, "Sha256")));
        json_array_foreach(chain, j, e) {
            json_array_append_new(out, json_pack("{s:O?, s:O?, s:b}", "SnapshotId",
                                                 json_object_get(e, "SnapshotId"), "Sha256",
                                                 json_object_get(e, "Sha256"), "Layer", TRUE));
        }
    }
    return g_steal_pointer(&out);
}

/* Does descriptor @d describe UEFI firmware for @arch with Secure Boot as @secure? */
static gboolean
descriptor_fits(json_t *d, const char *arch, gboolean secure)
{
    gboolean uefi = FALSE, arch_ok = FALSE, sb = FALSE, keys = FALSE;
    size_t i;
    json_t *e;

    json_array_foreach(json_object_get(d, "interface-types"), i, e)
        uefi |= g_strcmp0(json_string_value(e), "uefi") == 0;
    json_array_foreach(json_object_get(d, "targets"), i, e)
        arch_ok |= g_strcmp0(json_string_value(json_object_get(e, "architecture")), arch) == 0;
    json_array_foreach(json_object_get(d, "features"), i, e) {
        sb |= g_strcmp0(json_string_value(e), "secure-boot") == 0;
        keys |= g_strcmp0(json_string_value(e), "enrolled-keys") == 0;
    }
    return uefi && arch_ok && sb == secure && keys == secure;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The QEMU firmware descriptor libvirt's autoselection takes for this instance: the first
 * by file name (the priority prefix) in /usr/share/qemu/firmware whose interface, target
 * and Secure Boot features fit, as domain-xml.c's <firmware> asks (AMI_RUN_FIRMWARE_DIR
 * points elsewhere for tests).  NULL when none fits.
 */
static json_t *
firmware_descriptor(json_t *record, char **ret_name)
{
    const char *dir = g_getenv("AMI_RUN_FIRMWARE_DIR") ? g_getenv("AMI_RUN_FIRMWARE_DIR")
                                                        : "/usr/share/qemu/firmware";
    const char *arch = json_string_value(json_object_get(record, "Architecture"));
    gboolean secure = json_is_true(json_object_get(
        json_object_get(json_object_get(record, "AmiRun"), "RunOptions"), "SecureBoot"));
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    if (g_strcmp0(arch, "arm64") == 0)
        arch = "aarch64";
    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".json"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        g_autoptr(json_t) j = json_load_file(path, 0, NULL);

        if (j && descriptor_fits(j, arch, secure)) {
            *ret_name = g_strdup(path);
            return g_steal_pointer(&j);
        }
    }
    return NULL;
}

/*
 * run.json: what run --from-bundle boots (the record's image, type, firmware, and
 * AmiRun.RunOptions: sizes and verdict options).  The disk bus only when the run chose
 * it (RunOptions.DiskBus): from the type it comes from the type again, and the verdict's
 * NVMe hint says so; a record without RunOptions gives the bus it had.
 */
static json_t *
run_json(json_t *record)
{
    json_t *amirun = json_object_get(record, "AmiRun");
    json_t *opts = json_object_get(amirun, "RunOptions");
    json_t *bus = opts ? json_object_get(opts, "DiskBus") : json_object_get(amirun, "DiskBus");

    return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "ImageId", json_object_get(record, "ImageId"),
                     "InstanceType", json_object_get(record, "InstanceType"), "BootMode",
                     json_object_get(record, "BootMode"), "DiskBus", bus, "RunOptions", opts);
}

/* The instance's files, written into @dir, their names in @names. */
static gboolean
stage_files(AmiStore *store, json_t *record, json_t *image, const char *dir, GPtrArray *names,
            json_t *missing, GError **error)
{
    json_t *amirun = json_object_get(record, "AmiRun");
    const char *idir = amirun_str(record, "Directory");
    g_autofree char *xml = idir ? g_build_filename(idir, "domain.xml", NULL) : NULL;
    g_autoptr(json_t) digests = snapshot_digests(store, record, error);
    g_autoptr(json_t) run = run_json(record);
    g_autofree char *descriptor_path = NULL;
    g_autoptr(json_t) descriptor = NULL;
    json_t *v;

    if (!digests || !put_json(dir, "ami.json", image, names, error) ||
        !put_json(dir, "instance.json", record, names, error) ||
        !put_json(dir, "snapshots.json", digests, names, error) ||
        !put_json(dir, "run.json", run, names, error) ||
        !put_copy(dir, "domain.xml", xml, names, missing, error) ||
        !put_copy(dir, "console.log", amirun_str(record, "Console"), names, missing, error))
        return FALSE;
    if ((v = json_object_get(amirun, "Verdict")) && !put_json(dir, "verdict.json", v, names, error))
        return FALSE;
    /* AmiRun.Timing (contract C1) is written by runs that time themselves. */
    if ((v = json_object_get(amirun, "Timing")) && !put_json(dir, "timing.json", v, names, error))
        return FALSE;
    if (g_strcmp0(json_string_value(json_object_get(record, "BootMode")), "uefi") != 0)
        return TRUE;
    if ((descriptor = firmware_descriptor(record, &descriptor_path))) {
        json_object_set_new(descriptor, "x-ami-run-path", json_string(descriptor_path));
        if (!put_json(dir, "firmware.json", descriptor, names, error))
            return FALSE;
    } else {
        json_array_append_new(missing, json_string("firmware.json"));
    }
    return put_copy(dir, "nvram.fd", amirun_str(record, "Nvram"), names, missing, error);
}

static json_t *
manifest_json(json_t *record, const char *dir, GPtrArray *names, json_t *missing, GError **error)
{
    g_autoptr(json_t) files = json_array();
    g_autofree char *now = ami_now_iso8601();

    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        g_autofree char *sum = ami_sha256_file(path, error);
        struct stat st;

        if (!sum || stat(path, &st) < 0)
            return NULL;
        json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "Name", names->pdata[i],
                                               "Sha256", sum, "Bytes", (json_int_t)st.st_size));
    }
    return json_pack("{s:s, s:O?, s:O?, s:s, s:O, s:O}", "Format", BUNDLE_FORMAT, "InstanceId",
                     json_object_get(record, "InstanceId"), "ImageId",
                     json_object_get(record, "ImageId"), "Created", now, "Files", files,
                     "Missing", missing);
}

static gboolean
write_archive(const char *dir, GPtrArray *names, const char *out, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp-%d", out, (int)getpid());
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    for (const char *const *a = (const char *const[]){"tar", "--create", "--gzip", "--file", tmp,
                                                      "--directory", dir, "--owner=0", "--group=0",
                                                      "--numeric-owner", "--", NULL};
         *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(argv, names->pdata[i]);
    g_ptr_array_add(argv, NULL);
    if (!ami_spawn_sync((const char *const *)argv->pdata, FALSE, NULL, error)) {
        unlink(tmp);
        return FALSE;
    }
    if (rename(tmp, out) < 0) {
        int e = errno;

        unlink(tmp);
        return ami_error_set_errno(error, e, out);
    }
    return TRUE;
}

gboolean
cmd_bundle(Cli *cli, int argc, char **argv, GError **error)
{
    char *id = NULL, *output_file = NULL;
    const ArgSpec specs[] = {
        {"instance-id", ARG_STRING, &id, "i-…", "the instance (or give it as a bare argument)", TRUE},
        {"output-file", ARG_STRING, &output_file, "FILE", "the archive (default bundle-i-….tar.gz here)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) record = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(json_t) manifest = NULL;
    g_autoptr(json_t) missing = json_array();
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dir = NULL;
    g_autofree char *out = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Archive what an instance ran (tar.gz with a manifest).", specs,
                        argc, argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(id, "instance-id", error))
        goto out;
    if (!(store = cli_open_store(cli, FALSE, error))) {
        if (error && !*error)
            ami_error_invalid(error, "The instance ID '%s' does not exist (there is no store)", id);
        goto out;
    }
    if (!(record = ami_instance_find(store, id, error)))
        goto out;
    if (!(image = ami_store_find_image(store, json_string_value(json_object_get(record, "ImageId")),
                                       error)))
        goto out;
    out = output_file ? g_strdup(output_file) : g_strdup_printf("bundle-%s.tar.gz", id);
    if (!(dir = g_dir_make_tmp("ami-run-bundle-XXXXXX", NULL))) {
        ami_error_set_errno(error, errno, "a temporary directory");
        goto out;
    }
    if (!stage_files(store, record, image, dir, names, missing, error) ||
        !(manifest = manifest_json(record, dir, names, missing, error)) ||
        !put_json(dir, "manifest.json", manifest, names, error) ||
        !write_archive(dir, names, out, error))
        goto out;
    json_object_set_new(manifest, "BundleFile", json_string(out));
    cli_print(cli, manifest);
    ok = TRUE;
out:
    if (dir)
        ami_remove_tree(dir);
    cli_args_free(specs);
    return ok;
}

/* --- run --from-bundle ------------------------------------------------------------- */

static gboolean
bundle_invalid(GError **error, const char *path, const char *why)
{
    return ami_error_invalid(error, "Bundle '%s' is not an ami-run bundle: %s", path, why);
}

/* The members run reads, extracted by name (so no path in the archive is trusted) and
 * checked against the manifest's sha256. */
static gboolean
extract_members(const char *path, const char *dir, json_t **ret_manifest, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *mpath = g_build_filename(dir, "manifest.json", NULL);
    g_autoptr(json_t) manifest = NULL;
    size_t i;
    json_t *f;

    for (const char *const *a = (const char *const[]){"tar", "--extract", "--gzip", "--file", path,
                                                      "--directory", dir, "--no-same-owner",
                                                      "--no-same-permissions", "--", NULL};
         *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    for (const char *const *m = load_members; *m; m++)
        g_ptr_array_add(argv, (gpointer)*m);
    g_ptr_array_add(argv, NULL);
    if (!ami_spawn_sync((const char *const *)argv->pdata, FALSE, NULL, &local)) {
        if (g_error_matches(local, AMI_ERROR, AMI_ERROR_CANCELLED))
            g_propagate_error(error, g_steal_pointer(&local));
        else
            bundle_invalid(error, path, "tar cannot read manifest.json, run.json, snapshots.json "
                           "and ami.json from it");
        return FALSE;
    }
    manifest = json_load_file(mpath, 0, NULL);
    if (g_strcmp0(json_string_value(json_object_get(manifest, "Format")), BUNDLE_FORMAT) != 0)
        return bundle_invalid(error, path, "manifest.json lacks Format '" BUNDLE_FORMAT "'");
    json_array_foreach(json_object_get(manifest, "Files"), i, f) {
        const char *name = json_string_value(json_object_get(f, "Name"));
        g_autofree char *p = NULL;
        g_autofree char *sum = NULL;

        if (!name || !g_strv_contains(load_members, name) || strcmp(name, "manifest.json") == 0)
            continue;
        p = g_build_filename(dir, name, NULL);
        if (!(sum = ami_sha256_file(p, NULL)) ||
            g_strcmp0(sum, json_string_value(json_object_get(f, "Sha256"))) != 0)
            return ami_error_invalid(error, "Bundle '%s': %s does not match the sha256 of its "
                                     "manifest", path, name);
    }
    *ret_manifest = g_steal_pointer(&manifest);
    return TRUE;
}

/* Every snapshot of the bundle is in the store with the bundled sha256. */
static gboolean
check_snapshots(AmiStore *store, const char *path, json_t *digests, GError **error)
{
    size_t i;
    json_t *s;

    if (!json_is_array(digests))
        return bundle_invalid(error, path, "snapshots.json is not a list");
    json_array_foreach(digests, i, s) {
        const char *id = json_string_value(json_object_get(s, "SnapshotId"));
        const char *want = json_string_value(json_object_get(s, "Sha256"));
        g_autoptr(json_t) rec = NULL;
        const char *have;

        if (!id || !want)
            return bundle_invalid(error, path, "snapshots.json lacks a SnapshotId or Sha256");
        if (!store || !(rec = ami_store_load_snapshot(store, id, NULL)))
            return ami_error_invalid(error, "Bundle '%s': snapshot '%s' is not in the store "
                                     "(sha256 %s)", path, id, want);
        have = json_string_value(json_object_get(json_object_get(rec, "AmiRun"), "Sha256"));
        if (g_strcmp0(have, want) != 0)
            return ami_error_invalid(error, "Bundle '%s': snapshot '%s' in the store has sha256 "
                                     "%s, the bundle's has %s", path, id, have ? have : "none", want);
    }
    return TRUE;
}

json_t *
cli_bundle_load(const Cli *cli, const char *path, GError **error)
{
    g_autofree char *dir = NULL;
    g_autofree char *run_path = NULL;
    g_autofree char *snaps_path = NULL;
    g_autoptr(json_t) manifest = NULL;
    g_autoptr(json_t) run = NULL;
    g_autoptr(json_t) digests = NULL;
    g_autoptr(AmiStore) store = NULL;
    g_autoptr(json_t) image = NULL;
    g_autoptr(GError) local = NULL;
    const char *image_id;
    json_t *ret = NULL;

    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        ami_error_invalid(error, "--from-bundle '%s': no such file", path);
        return NULL;
    }
    if (!(dir = g_dir_make_tmp("ami-run-bundle-XXXXXX", NULL))) {
        ami_error_set_errno(error, errno, "a temporary directory");
        return NULL;
    }
    run_path = g_build_filename(dir, "run.json", NULL);
    snaps_path = g_build_filename(dir, "snapshots.json", NULL);
    if (!extract_members(path, dir, &manifest, error))
        goto out;
    run = json_load_file(run_path, 0, NULL);
    digests = json_load_file(snaps_path, 0, NULL);
    if (!(image_id = json_string_value(json_object_get(run, "ImageId")))) {
        bundle_invalid(error, path, "run.json has no ImageId");
        goto out;
    }
    store = cli_open_store(cli, FALSE, &local);
    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        goto out;
    }
    if (!check_snapshots(store, path, digests, error))
        goto out;
    if (!store || !(image = ami_store_find_image(store, image_id, NULL))) {
        ami_error_invalid(error, "Bundle '%s': image '%s' is not in the store (register the "
                          "bundle's ami.json with its snapshots)", path, image_id);
        goto out;
    }
    ret = g_steal_pointer(&run);
out:
    ami_remove_tree(dir);
    return ret;
}
