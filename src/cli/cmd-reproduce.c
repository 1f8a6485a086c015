/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run reproduce --console-output FILE ami-…: classify a saved EC2 console output with
 * run's verdict scanner, boot the AMI as run does, and compare the two boot signatures
 * (docs/reproduce.md).  Exit 0 reproduced, 1 different outcome, 3 the boot timed out.
 */
#include <errno.h>
#include <string.h>

#include "ami-run/cleanup.h"
#include "ami-run/error.h"
#include "ami-run/repro.h"
#include "ami-run/store.h"
#include "ami-run/verdict.h"
#include "cli.h"

typedef struct {
    char *image_id, *console_output, *instance_type, *timeout, *until, *console;
    char **success, **failure;
    int strict, dry_run;
} ReproOpts;

/* What the saved output says: its verdict as run's scanner gives it, read at once. */
static json_t *
classify_saved(const ReproOpts *o, const AmiSavedConsole *saved, GError **error)
{
    AmiVerdictOptions vo = {.success = (const char *const *)o->success,
                            .failure = (const char *const *)o->failure, .strict = o->strict > 0};
    g_autoptr(AmiVerdictScanner) s = NULL;

    if (o->until && !ami_until_from_string(o->until, &vo.until)) {
        ami_error_invalid(error, "--until must be login, cloud-init or shutdown");
        return NULL;
    }
    if (!(s = ami_verdict_scanner_new(&vo, error)))
        return NULL;
    /* The console as it was: it stopped where the file ends (a prompt there counts). */
    if (ami_verdict_feed(s, saved->text, saved->len, 0.0) == AMI_OUTCOME_RUNNING &&
        ami_verdict_quiet(s, 0.0) == AMI_OUTCOME_RUNNING)
        ami_verdict_deadline(s, 0.0);
    return ami_verdict_to_json(ami_verdict_get(s), vo.strict);
}

static AmiSavedConsole *
read_saved(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;

    if (!g_file_get_contents(path, &data, &len, &local)) {
        ami_error_invalid(error, "--console-output '%s': %s", path,
                          local->code == G_FILE_ERROR_NOENT ? "no such file" : local->message);
        return NULL;
    }
    return ami_saved_console_parse(data, len, path, error);
}

/* Said before the boot: what kind of file it was and what it cannot tell. */
static void
tell_saved(const Cli *cli, const AmiSavedConsole *saved, const AmiSignature *sig,
           const char *unreproducible)
{
    g_autofree char *line = ami_signature_to_string(sig);

    cli_notice(cli, "saved output (%s, %" G_GSIZE_FORMAT " bytes%s%s): %s",
               ami_saved_form_to_string(saved->form), saved->len,
               saved->instance_id ? " of " : "", saved->instance_id ? saved->instance_id : "", line);
    if (saved->truncated)
        cli_notice(cli, "the saved output is truncated: EC2 keeps the last 64 KiB and this one "
                   "starts mid-boot, so its stage is not compared");
    if (unreproducible)
        cli_notice(cli, "the saved output names what QEMU cannot reproduce here: %s",
                   unreproducible);
}

/* A wrong image is refused before anything is said or booted (exit 2, one line). */
static gboolean
check_image(const Cli *cli, const char *image_id, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(AmiStore) store = cli_open_store(cli, FALSE, &local);
    g_autoptr(json_t) image = NULL;

    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (!store) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_NOT_FOUND,
                    "Image '%.80s' does not exist in the store (there is no store at '%s' yet)",
                    image_id, cli->store_path);
        return FALSE;
    }
    image = ami_store_find_image(store, image_id, error);
    return image != NULL;
}

/* --dry-run: what the saved output says, nothing booted. */
static json_t *
saved_json(const AmiSavedConsole *saved, const AmiSignature *theirs, const char *unreproducible)
{
    json_t *s = ami_signature_to_json(theirs);

    json_object_update_new(s, json_pack("{s:s, s:s*, s:I, s:b, s:s*}", "Form",
                                        ami_saved_form_to_string(saved->form), "InstanceId",
                                        saved->instance_id, "Bytes", (json_int_t)saved->len,
                                        "Truncated", saved->truncated, "Unreproducible",
                                        unreproducible));
    return s;
}

static json_t *
result_json(const char *result, const AmiSavedConsole *saved, const AmiSignature *mine,
            const AmiSignature *theirs, const char *unreproducible, const char *instance_id)
{
    json_t *s = saved_json(saved, theirs, unreproducible);
    json_t *l = ami_signature_to_json(mine);

    json_object_set_new(l, "InstanceId", json_string(instance_id));
    return json_pack("{s:s, s:o, s:o}", "Result", result, "Saved", s, "Local", l);
}

static gboolean
compare(Cli *cli, const AmiSavedConsole *saved, const AmiSignature *theirs,
        const char *unreproducible, json_t *verdict, const char *instance_id, GError **error)
{
    g_autoptr(AmiSignature) mine = ami_signature_from_verdict(verdict, error);
    g_autofree char *their_line = ami_signature_to_string(theirs);
    g_autofree char *my_line = NULL;
    gboolean same, timed_out;
    g_autoptr(json_t) out = NULL;

    if (!mine)
        return FALSE;
    my_line = ami_signature_to_string(mine);
    same = ami_signature_match(theirs, mine);
    /* A saved hang is compared as any other signature; a local one alone is exit 3. */
    timed_out = !same && strcmp(mine->outcome, "timeout") == 0 &&
                strcmp(theirs->outcome, "timeout") != 0;
    out = result_json(same ? "reproduced" : timed_out ? "timeout" : "different outcome", saved,
                      mine, theirs, unreproducible, instance_id);
    cli_print(cli, out);
    if (same) {
        cli_notice(cli, "reproduced: %s: %s", instance_id, my_line);
        return TRUE;
    }
    g_set_error(error, AMI_ERROR, timed_out ? AMI_ERROR_TIMEOUT : AMI_ERROR_BOOT,
                "%s: saved %s; here %s%s%s%s", timed_out ? "timeout" : "different outcome",
                their_line, my_line, unreproducible ? " (the saved output names " : "",
                unreproducible ? unreproducible : "",
                unreproducible ? ", which QEMU cannot reproduce)" : "");
    return FALSE;
}

gboolean
cmd_reproduce(Cli *cli, int argc, char **argv, GError **error)
{
    ReproOpts o = {.strict = -1, .dry_run = -1};
    const ArgSpec specs[] = {
        {"image-id", ARG_STRING, &o.image_id, "ami-…", "the AMI to boot (or give it as a bare argument)", TRUE},
        {"console-output", ARG_STRING, &o.console_output, "FILE", "what `aws ec2 get-console-output` printed: JSON (Output decoded or base64), base64 or text"},
        {"instance-type", ARG_STRING, &o.instance_type, "TYPE", "as run's (the platform: Nitro NVMe or Xen virtio)"},
        {"timeout", ARG_STRING, &o.timeout, "SECONDS", "give up after this long (default 600; exit 3)"},
        {"until", ARG_STRING, &o.until, "WHAT", "success rule: login, cloud-init or shutdown"},
        {"success", ARG_LIST, &o.success, "REGEX", "success markers (replace the default ones)"},
        {"failure", ARG_LIST, &o.failure, "REGEX", "extra failure markers"},
        {"strict", ARG_BOOL, &o.strict, NULL, "recorded errors fail (both signatures)"},
        {"console", ARG_STRING, &o.console, "stream|quiet", "show the local console live (default quiet)"},
        {"dry-run", ARG_BOOL, &o.dry_run, NULL, "only classify the saved output (no image needed, nothing booted)"},
        {NULL, ARG_LAST, NULL, NULL, NULL},
    };
    g_autoptr(AmiSavedConsole) saved = NULL;
    g_autoptr(json_t) saved_verdict = NULL;
    g_autoptr(AmiSignature) theirs = NULL;
    g_autoptr(json_t) verdict = NULL;
    g_autofree char *unreproducible = NULL;
    g_autofree char *instance_id = NULL;
    gboolean help = FALSE, ok = FALSE;

    if (!cli_args_parse(cli, "Boot an AMI and compare its verdict with a saved EC2 console "
                        "output: exit 0 reproduced, 1 different outcome, 3 timeout.", specs, argc,
                        argv, &help, error))
        goto out;
    if (help) {
        ok = TRUE;
        goto out;
    }
    if (!cli_require(o.console_output, "console-output", error) ||
        (o.dry_run <= 0 && !cli_require(o.image_id, "image-id", error)))
        goto out;
    if (o.console && strcmp(o.console, "stream") != 0 && strcmp(o.console, "quiet") != 0) {
        ami_error_invalid(error, "--console must be stream or quiet");
        goto out;
    }
    if ((o.image_id && !check_image(cli, o.image_id, error)) ||
        !(saved = read_saved(o.console_output, error)) ||
        !(saved_verdict = classify_saved(&o, saved, error)) ||
        !(theirs = ami_signature_from_verdict(saved_verdict, error)))
        goto out;
    unreproducible = ami_console_unreproducible(saved->text, saved->len);
    if (saved->truncated)
        g_clear_pointer(&theirs->stage, g_free);
    tell_saved(cli, saved, theirs, unreproducible);
    if (o.dry_run > 0) {
        g_autoptr(json_t) j = json_pack("{s:s, s:o}", "Result", "classified", "Saved",
                                        saved_json(saved, theirs, unreproducible));

        cli_print(cli, j);
        ok = TRUE;
        goto out;
    }
    {
        CliLaunchRequest req = {.image_id = o.image_id, .instance_type = o.instance_type,
                                .success = o.success, .failure = o.failure, .until = o.until,
                                .timeout = o.timeout, .strict = o.strict > 0};

        if (!cli_run_verdict(cli, &req, o.console && strcmp(o.console, "stream") == 0, &verdict,
                             &instance_id, error))
            goto out;
    }
    ok = compare(cli, saved, theirs, unreproducible, verdict, instance_id, error);
out:
    cli_args_free(specs);
    return ok;
}
