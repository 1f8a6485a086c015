/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ami-run: boot real AMIs locally.  This file: global options, the verb table, and the
 * one place errors become messages and exit codes (README "Exit codes").
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ami-run/error.h"
#include "ami-run/host.h"
#include "ami-run/query.h"
#include "cli.h"

typedef struct {
    const char *name;
    CliVerbFunc func;
    const char *help;
} Verb;

#define CLI_ENTRY(name, fn, help) {name, cmd_##fn, help},
static const Verb verbs[] = {CLI_VERBS(CLI_ENTRY){NULL, NULL, NULL}};
#undef CLI_ENTRY

static const char *const output_names[CLI_OUTPUT_LAST] = {
    [CLI_OUTPUT_JSON] = "json", [CLI_OUTPUT_TABLE] = "table", [CLI_OUTPUT_TEXT] = "text",
    [CLI_OUTPUT_XML] = "xml",
};

static void
usage(FILE *f)
{
    fprintf(f, "Usage: ami-run [--store DIR] [--output json|table|text] [--query JMESPATH] "
               "[--region REGION] VERB [OPTIONS]\n\n"
               "Boot real Amazon Machine Images on this machine.\n\nVerbs:\n");
    for (const Verb *v = verbs; v->name; v++)
        fprintf(f, "  %-28s %s\n", v->name, v->help);
    fprintf(f, "\nExit codes: 0 success, 1 boot failure, 2 bad input, 3 timeout,\n"
               "4 host or environment problem, 130 interrupted.  See ami-run(1).\n");
}

static gboolean
parse_output(const char *s, CliOutput *ret)
{
    for (int i = 0; i < CLI_OUTPUT_LAST; i++) {
        if (strcmp(s, output_names[i]) == 0) {
            *ret = (CliOutput)i;
            return TRUE;
        }
    }
    return FALSE;
}

/*
 * Take the global options out of argv wherever they stand (the AWS CLI accepts them
 * before or after the verb), leaving the verb and its own options.
 */
static gboolean
take_globals(Cli *cli, int *argc, char **argv, GError **error)
{
    const char *store = NULL;
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;

        if (strcmp(a, "--store") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--query") == 0 || strcmp(a, "--region") == 0) {
            if (i + 1 >= *argc) {
                g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "%s needs a value", a);
                return FALSE;
            }
            value = argv[++i];
        } else if (g_str_has_prefix(a, "--store=") || g_str_has_prefix(a, "--output=") ||
                   g_str_has_prefix(a, "--query=") || g_str_has_prefix(a, "--region=")) {
            value = strchr(a, '=') + 1;
        } else if (strcmp(a, "--debug") == 0) {
            g_setenv("G_MESSAGES_DEBUG", "ami-run", TRUE);
            cli->debug = TRUE;
            continue;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        if (g_str_has_prefix(a, "--store"))
            store = value;
        else if (g_str_has_prefix(a, "--query"))
            cli->query = value;
        else if (g_str_has_prefix(a, "--region"))
            cli->region = value;
        else if (!parse_output(value, &cli->output)) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--output '%s' is not one of json, table, text", value);
            return FALSE;
        } else {
            cli->output_set = TRUE;
        }
    }
    *argc = out;
    argv[out] = NULL;
    cli->store_path = ami_store_resolve_path(store);
    return TRUE;
}

static gboolean
check_query(const Cli *cli, GError **error)
{
    if (cli->output == CLI_OUTPUT_XML) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                    "--query applies to JSON; --output xml prints the domain XML");
        return FALSE;
    }
    return ami_query_check(cli->query, error);
}

static int
fail(const Cli *cli, GError *error)
{
    int code = ami_error_exit_code(error);

    if (cli->verb)
        fprintf(stderr, "ami-run: %s: %s\n", cli->verb, error->message);
    else
        fprintf(stderr, "ami-run: %s\n", error->message);
    g_error_free(error);
    return code;
}

int
main(int argc, char **argv)
{
    Cli cli = {.output = CLI_OUTPUT_JSON};
    GError *error = NULL;
    int rc;

    /* The reaper (host/reaper.c): this binary again, before anything else runs. */
    if (argc == 2 && strcmp(argv[1], "__reaper") == 0)
        return ami_reaper_main();
    ami_signals_install();
    cli.progress = isatty(STDERR_FILENO);
    if (!take_globals(&cli, &argc, argv, &error))
        return fail(&cli, error);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        g_free(cli.store_path);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ami-run %s\n", AMI_RUN_VERSION);
        g_free(cli.store_path);
        return 0;
    }
    /* The supervisor of a detached instance (cmd-supervise.c): internal, not listed. */
    if (strcmp(argv[1], "__supervise") == 0) {
        cli.verb = "supervisor";
        rc = cmd_supervise(&cli, argc - 2, argv + 2, &error) ? 0 : fail(&cli, error);
        g_free(cli.store_path);
        return rc;
    }
    /* create-image's detached worker (cmd-create-image.c): internal, not listed. */
    if (strcmp(argv[1], "__capture") == 0) {
        cli.verb = "create-image";
        rc = cmd_capture_worker(&cli, argc - 2, argv + 2, &error) ? 0 : fail(&cli, error);
        g_free(cli.store_path);
        return rc;
    }
    for (const Verb *v = verbs; v->name; v++) {
        if (strcmp(v->name, argv[1]) != 0)
            continue;
        cli.verb = v->name;
        /* The domain XML is the only XML there is: other verbs would print JSON for it. */
        if (cli.output == CLI_OUTPUT_XML && v->func != cmd_run) {
            g_set_error(&error, AMI_ERROR, AMI_ERROR_INVALID,
                        "--output xml is only for 'run --dry-run' (the domain XML); use json, "
                        "table or text");
            g_free(cli.store_path);
            return fail(&cli, error);
        }
        /* The AWS CLI compiles --query before it sends anything: a bad one changes nothing. */
        if ((cli.query && !check_query(&cli, &error)) || !cli_region(&cli, &error)) {
            g_free(cli.store_path);
            return fail(&cli, error);
        }
        rc = v->func(&cli, argc - 2, argv + 2, &error) ? 0 : fail(&cli, error);
        if (rc == 0 && (error = cli_print_error()))
            rc = fail(&cli, error);
        g_free(cli.store_path);
        return rc;
    }
    g_set_error(&error, AMI_ERROR, AMI_ERROR_INVALID,
                "unknown verb '%.64s' (see 'ami-run --help')", argv[1]);
    g_free(cli.store_path);
    return fail(&cli, error);
}
