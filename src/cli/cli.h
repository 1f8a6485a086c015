/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ami-run command line: shared state, argument parsing, output. Only cli/ prints. */

#include <glib.h>
#include <jansson.h>

#include "ami-run/filter.h"
#include "ami-run/store.h"

typedef enum {
    CLI_OUTPUT_JSON,
    CLI_OUTPUT_TABLE,
    CLI_OUTPUT_TEXT,
    CLI_OUTPUT_XML, /* run --dry-run only */
    CLI_OUTPUT_LAST
} CliOutput;

/* Global options, shared by every verb. */
typedef struct {
    const char *verb;
    char *store_path; /* --store, resolved */
    CliOutput output;
    gboolean output_set; /* --output was given (inspect, logs: text unless it was) */
    const char *query; /* --query JMESPath, checked before the verb runs */
    const char *region; /* --region (run: the instance's region), or NULL */
    gboolean progress; /* stderr is a terminal */
    gboolean debug;    /* --debug: also describe-images/-snapshots show ami-run's AmiRun */
    json_t **capture;  /* set: cli_print() hands the result here instead (cmd-wait.c) */
} Cli;

/* --- args.c: AWS-CLI-style options ----------------------------------------------- */

typedef enum {
    ARG_STRING, /* --x VALUE; target char ** */
    ARG_LIST,   /* --x V1 V2 …, repeatable; target char *** (GStrv) */
    ARG_BOOL,   /* --x / --no-x; target int * (caller presets -1 for "unset") */
    ARG_OPTIONAL, /* --x or --x=VALUE (never the next word); target char **: "" for --x */
    ARG_LAST
} ArgType;

typedef struct {
    const char *name; /* without "--" */
    ArgType type;
    void *target;
    const char *metavar;
    const char *help;
    gboolean positional; /* ARG_STRING: may also be given as a bare argument, once */
} ArgSpec;

/**
 * cli_args_parse() - parse @argv (the verb's arguments) against @specs, a table ended by
 * a NULL name.  Sets *ret_help and returns TRUE when --help was given (usage printed).
 */
gboolean cli_args_parse(const Cli *cli, const char *summary, const ArgSpec *specs, int argc,
                        char **argv, gboolean *ret_help, GError **error);

/** cli_args_free() - free the strings and lists cli_args_parse() stored in @specs' targets. */
void cli_args_free(const ArgSpec *specs);

/* --- output.c --------------------------------------------------------------------- */

/**
 * cli_print() - apply --query to @result, then print it in the --output format (JSON as
 * the AWS CLI indents it).  A query that fails on @result prints nothing; the error
 * waits for cli_print_error().
 */
void cli_print(const Cli *cli, json_t *result);

/** cli_print_error() - the error of a failed --query in cli_print(), or NULL; caller owns. */
GError *cli_print_error(void);

/** cli_notice() - a one-line message to stderr, "ami-run: VERB: …". */
void cli_notice(const Cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* --- common.c --------------------------------------------------------------------- */

/**
 * cli_open_store() - open the store; @create makes it.  Without @create, a missing store
 * returns NULL with no error set (there is nothing to list).
 */
AmiStore *cli_open_store(const Cli *cli, gboolean create, GError **error);

/**
 * cli_json_arg() - an option value that is JSON text or `file://PATH` (as the AWS CLI
 * takes them).  @what names the option in errors.  Returns a new reference.
 */
json_t *cli_json_arg(const char *value, const char *what, GError **error);

/**
 * cli_struct_arg() - a structure parameter as the AWS CLI takes it: JSON text, AWS CLI
 * shorthand (`Key=k,Values=[a,b]`, parsed by core/shorthand.c) or `file://PATH` holding
 * either.  @what names the option in errors.  Returns a new reference.
 */
json_t *cli_struct_arg(const char *value, const char *what, GError **error);

/**
 * cli_struct_list() - a list parameter (ARG_LIST): each item is one structure (shorthand,
 * JSON object or file://) or a JSON list whose members are appended.  Returns a new JSON
 * list (empty for no items).
 */
json_t *cli_struct_list(char **items, const char *what, GError **error);

/** cli_json_strv() - the strings of a JSON array, others skipped (NULL-terminated; g_strfreev). */
char **cli_json_strv(json_t *list);

/**
 * cli_region() - the region this command works in: --region, else $AWS_REGION, else
 * $AWS_DEFAULT_REGION, else us-east-1 (as the AWS CLI); NULL with AMI_ERROR_INVALID for a
 * malformed name.  Records made by a command carry it as AmiRun.Region.
 */
const char *cli_region(const Cli *cli, GError **error);

/**
 * cli_filters() - --filters items (shorthand, JSON or file:// holding either) for @kind.
 * Returns a new AmiFilters.
 */
AmiFilters *cli_filters(AmiFilterKind kind, char **items, GError **error);

/**
 * cli_bdm_coerce() - BlockDeviceMappings from shorthand, where every scalar is a string:
 * Ebs VolumeSize, Iops, Throughput as integers and DeleteOnTermination, Encrypted as
 * booleans, as the AWS CLI's model makes them.  In place; JSON values are left alone.
 */
void cli_bdm_coerce(json_t *mappings);

/** cli_require() - AMI_ERROR_INVALID "--NAME is required" when @value is NULL. */
gboolean cli_require(const void *value, const char *name, GError **error);

/**
 * cli_parse_tags() - --tags items as cli_struct_list() takes them (shorthand
 * `Key=k,Value=v`, JSON, file://), checked by cli_tags_list().  With @values_optional,
 * `Key=k` alone is allowed (delete-tags).  Returns a new Tags list.
 */
json_t *cli_parse_tags(char **items, gboolean values_optional, GError **error);

/**
 * cli_tags_list() - @tags (parsed from --@what) as a Tags list: [{Key, Value}], strings,
 * EC2's lengths, keys unique.  Returns a new reference to @tags, or NULL with @error.
 */
json_t *cli_tags_list(json_t *tags, const char *what, gboolean values_optional, GError **error);

/* --- cmd-run.c: the run path, shared by run --detach and run-instances ------------- */

typedef struct {
    const char *image_id, *instance_type, *key_name;
    const char *user_data_base64;      /* NULL: none */
    const char *block_device_mappings; /* JSON text of a list, or NULL */
    const char *metadata_options;      /* JSON text of an object, or NULL */
    json_t *instance_fields;           /* merged into the record: Tags, ClientToken, … */
    json_t *amirun_fields;             /* merged into its AmiRun: ReservationId, Ignored, … */
    json_t *volume_tags;               /* Tags of each of its volumes, or NULL */
    char **success, **failure;         /* the verdict's markers, as run's (NULL: defaults) */
    const char *until, *timeout;       /* as run's --until and --timeout, or NULL */
    gboolean strict;
    gboolean dry_run;                  /* resolve and check everything, make nothing */
} CliLaunchRequest;

/**
 * cli_run_detached() - what `run --detach` does, quietly: resolve the image and plan,
 * prepare the instance and hand it to its supervisor; returns once the guest runs, with
 * its id in *ret_instance_id (new string; not set for @req->dry_run).
 */
gboolean cli_run_detached(Cli *cli, const CliLaunchRequest *req, char **ret_instance_id,
                          GError **error);

/**
 * cli_run_verdict() - what `run` does in the foreground (reproduce): resolve, boot, watch
 * the console to a verdict, terminate.  A boot that reached a verdict (success, failure
 * or timeout) returns TRUE with AmiRun.Verdict in *ret_verdict (new reference) and the
 * instance in *ret_instance_id (new); an error before the verdict returns FALSE.
 */
gboolean cli_run_verdict(Cli *cli, const CliLaunchRequest *req, gboolean stream,
                         json_t **ret_verdict, char **ret_instance_id, GError **error);

/* --- cmd-bundle.c: run --from-bundle -------------------------------------------------- */

/**
 * cli_bundle_load() - the run of a bundle (`ami-run bundle`): its files checked against
 * its manifest, its image and every snapshot it lists in the store with the bundled
 * sha256 (else AMI_ERROR_INVALID naming the one missing or mismatched).  Returns a new
 * {"ImageId", "InstanceType", "BootMode", "DiskBus", "RunOptions"} object.
 */
json_t *cli_bundle_load(const Cli *cli, const char *path, GError **error);

/* --- verbs: cmd-<verb>.c ---------------------------------------------------------- */

typedef gboolean (*CliVerbFunc)(Cli *cli, int argc, char **argv, GError **error);

/* --- instance-common.c: terminate-, stop- and start-instances ------------------------ */

typedef enum { CLI_TERMINATE, CLI_STOP, CLI_START } CliInstanceAction;

gboolean cli_instances_change(Cli *cli, CliInstanceAction action, int argc, char **argv,
                              GError **error);

/**
 * cli_instances_named() - the instance records of the command's region (owners that died
 * reaped first), once every id in @ids is known to name one of them (EC2's not-found
 * otherwise, exit 2).  No store yet: an empty list.  The caller owns the list.
 */
GPtrArray *cli_instances_named(const Cli *cli, char **ids, GError **error);

/** cli_instance_terminate() - terminate one instance through its owner and wait. */
gboolean cli_instance_terminate(AmiStore *store, const char *instance_id, GError **error);

/* Internal: the detached worker of create-image (`ami-run __capture ami-…`). */
gboolean cmd_capture_worker(Cli *cli, int argc, char **argv, GError **error);

/* Internal: the supervisor of a detached instance (`ami-run __supervise`). */
gboolean cmd_supervise(Cli *cli, int argc, char **argv, GError **error);

#define CLI_VERBS(X)                                                                  \
    X("import-snapshot", import_snapshot, "Import a disk image (file or URL) as a snapshot") \
    X("describe-snapshots", describe_snapshots, "List snapshots in the store")           \
    X("delete-snapshot", delete_snapshot, "Delete a snapshot no image uses")             \
    X("register-image", register_image, "Register an AMI (flags, request JSON or describe-images JSON)") \
    X("import-image", import_image, "Import a disk and register it as an AMI in one step") \
    X("describe-images", describe_images, "List AMIs in the store")                      \
    X("create-image", create_image, "Create an AMI from an instance (incremental snapshots)") \
    X("deregister-image", deregister_image, "Remove an AMI (and optionally its snapshots)") \
    X("export-image", export_image, "Write an AMI's root volume to a VMDK, RAW or VHD file (VM Import's forms)") \
    X("describe-export-image-tasks", describe_export_image_tasks, "List the export-image tasks (files written)") \
    X("copy-image", copy_image, "Copy an AMI into this region (new ids, content shared)") \
    X("modify-image-attribute", modify_image_attribute, "Change an AMI's launch permissions, description or IMDS support") \
    X("describe-image-attribute", describe_image_attribute, "Show one attribute of an AMI (EC2's ImageAttribute)") \
    X("reset-image-attribute", reset_image_attribute, "Remove every launch permission of an AMI") \
    X("create-tags", create_tags, "Add or overwrite tags on AMIs, snapshots, instances and volumes")         \
    X("delete-tags", delete_tags, "Remove tags from AMIs, snapshots, instances and volumes")                 \
    X("enable-image-deprecation", enable_image_deprecation, "Set an AMI's DeprecationTime") \
    X("disable-image-deprecation", disable_image_deprecation, "Clear an AMI's DeprecationTime") \
    X("run", run, "Boot an AMI, stream its console, exit with a verdict")                 \
    X("test", test, "Boot a matrix of AMIs and settings in parallel; JUnit, JSON and HTML reports") \
    X("run-instances", run_instances, "Launch instances of an AMI, detached (EC2's RunInstances)") \
    X("describe-instances", describe_instances, "List instances (running and terminated)") \
    X("describe-instance-status", describe_instance_status, "Status checks of instances, from their boot verdicts") \
    X("reboot-instances", reboot_instances, "Reboot running instances (their status checks start over)") \
    X("modify-instance-attribute", modify_instance_attribute, "Change a stopped instance's type or user data") \
    X("describe-instance-attribute", describe_instance_attribute, "One attribute of an instance, as EC2 shows it") \
    X("get-console-output", get_console_output, "An instance's serial console (last 64 KiB)") \
    X("terminate-instances", terminate_instances, "Terminate instances (volumes with DeleteOnTermination go)") \
    X("stop-instances", stop_instances, "Stop detached instances, keeping their disks") \
    X("start-instances", start_instances, "Start stopped instances again") \
    X("describe-volumes", describe_volumes, "List volumes: attached ones and those kept after termination") \
    X("create-key-pair", create_key_pair, "Create a key pair: the private key printed once, the public kept") \
    X("import-key-pair", import_key_pair, "Import the public key of a key pair made elsewhere") \
    X("describe-key-pairs", describe_key_pairs, "List key pairs (fingerprints as EC2 computes them)") \
    X("delete-key-pair", delete_key_pair, "Delete a key pair's public key from the store") \
    X("prune", prune, "Remove the records of terminated instances")                      \
    X("wait", wait, "Wait until a resource reaches a state (EC2's waiters)") \
    X("reproduce", reproduce, "Boot an AMI and compare with a saved EC2 console output") \
    X("bundle", bundle, "Archive what an instance ran: AMI, digests, domain, firmware, console, verdict") \
    X("inspect", inspect, "Inspect an AMI's disks offline: what will stop or spoil its boot") \
    X("logs", logs, "The guest's own logs (cloud-init, journal) from a stopped instance's volumes")

#define CLI_DECLARE(name, fn, help) gboolean cmd_##fn(Cli *cli, int argc, char **argv, GError **error);
CLI_VERBS(CLI_DECLARE)
#undef CLI_DECLARE
