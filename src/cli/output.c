/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --query and --output json|table|text.  As in the AWS CLI (awscli/formatter.py), the
 * query is applied to the response first and the format to its result.  JSON is what
 * the AWS CLI prints (4-space indent, members in their order, any value at the top).
 * text and table are core/format.c and core/format-table.c, byte for byte awscli/text.py
 * and awscli/table.py (uncoloured).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ami-run/cleanup.h"
#include "ami-run/format.h"
#include "ami-run/query.h"
#include "cli.h"

/* The AWS CLI's determine_terminal_width(): stdout's width, 80 when it is no terminal. */
static int
terminal_width(void)
{
    struct winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* A --query that failed on this response: main.c reports it once the verb returns. */
static GError *query_error;

void
cli_print(const Cli *cli, json_t *result)
{
    g_autoptr(json_t) queried = NULL;

    if (cli->capture) {
        json_decref(*cli->capture);
        *cli->capture = json_incref(result);
        return;
    }
    if (cli->query) {
        queried = ami_query_apply(result, cli->query, &query_error);
        if (!queried)
            return;
        result = queried;
    }
    switch (cli->output) {
    case CLI_OUTPUT_TABLE: {
        g_autofree char *title = ami_format_operation_name(cli->verb);
        g_autofree char *t = ami_format_table(title, result, terminal_width());

        fputs(t, stdout);
        break;
    }
    case CLI_OUTPUT_TEXT: {
        g_autofree char *t = ami_format_text(result);

        fputs(t, stdout);
        break;
    }
    case CLI_OUTPUT_JSON:
    case CLI_OUTPUT_XML:
    case CLI_OUTPUT_LAST: {
        g_autofree char *s = NULL;

        /* awscli/formatter.py JSONFormatter: "if response != {}", an empty object is no output. */
        if (json_is_object(result) && json_object_size(result) == 0)
            break;
        s =
            json_dumps(result, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        printf("%s\n", s);
        break;
    }
    }
    fflush(stdout);
}

GError *
cli_print_error(void)
{
    return g_steal_pointer(&query_error);
}

void
cli_notice(const Cli *cli, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "ami-run: %s: %s\n", cli->verb, msg);
}
