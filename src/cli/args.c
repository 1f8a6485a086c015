/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Options the way the AWS CLI takes them: `--image-ids ami-1 ami-2` (a list runs to the
 * next option), `--ena-support` / `--no-ena-support`, `--name=value` too.  GOption cannot
 * express the list form, hence this small parser.
 */
#include <stdio.h>
#include <string.h>

#include "ami-run/error.h"
#include "cli.h"

static const ArgSpec *
find_spec(const ArgSpec *specs, const char *name, gboolean *ret_negated)
{
    *ret_negated = FALSE;
    for (const ArgSpec *s = specs; s->name; s++) {
        if (strcmp(s->name, name) == 0)
            return s;
        if (s->type == ARG_BOOL && g_str_has_prefix(name, "no-") && strcmp(s->name, name + 3) == 0) {
            *ret_negated = TRUE;
            return s;
        }
    }
    return NULL;
}

static void
print_usage(const Cli *cli, const char *summary, const ArgSpec *specs)
{
    printf("Usage: ami-run %s [OPTIONS]\n\n%s\n\nOptions:\n", cli->verb, summary);
    for (const ArgSpec *s = specs; s->name; s++) {
        g_autofree char *left = NULL;

        if (s->type == ARG_BOOL)
            left = g_strdup_printf("--[no-]%s", s->name);
        else if (s->type == ARG_LIST)
            left = g_strdup_printf("--%s %s…", s->name, s->metavar ? s->metavar : "VALUE");
        else if (s->type == ARG_OPTIONAL)
            left = g_strdup_printf("--%s[=%s]", s->name, s->metavar ? s->metavar : "VALUE");
        else
            left = g_strdup_printf("--%s %s", s->name, s->metavar ? s->metavar : "VALUE");
        /* Padded by characters, not bytes: metavars hold "…" (three bytes, one column). */
        printf("  %s%*s %s\n", left, (int)MAX(0, 34 - (glong)g_utf8_strlen(left, -1)), "", s->help);
    }
    printf("\nGlobal options: --store DIR, --output json|table|text, --query JMESPATH,\n"
           "  --debug, --help\n"
           "See ami-run(1) for exit codes and the store.\n");
}

static void
list_append(char ***target, const char *value)
{
    guint n = *target ? g_strv_length(*target) : 0;

    *target = g_renew(char *, *target, n + 2);
    (*target)[n] = g_strdup(value);
    (*target)[n + 1] = NULL;
}

static gboolean
take_value(const Cli *cli, const ArgSpec *s, const char *inline_value, int *i, int argc,
           char **argv, GError **error)
{
    if (s->type == ARG_STRING) {
        const char *v = inline_value;

        if (!v && *i + 1 < argc && !g_str_has_prefix(argv[*i + 1], "--"))
            v = argv[++*i];
        if (!v) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--%s needs a value", s->name);
            return FALSE;
        }
        g_free(*(char **)s->target);
        *(char **)s->target = g_strdup(v);
        return TRUE;
    }
    /* ARG_LIST */
    if (inline_value)
        list_append(s->target, inline_value);
    while (*i + 1 < argc && !g_str_has_prefix(argv[*i + 1], "--"))
        list_append(s->target, argv[++*i]);
    if (!*(char ***)s->target) {
        g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--%s needs at least one value",
                    s->name);
        return FALSE;
    }
    (void)cli;
    return TRUE;
}

gboolean
cli_args_parse(const Cli *cli, const char *summary, const ArgSpec *specs, int argc, char **argv,
               gboolean *ret_help, GError **error)
{
    *ret_help = FALSE;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        g_autofree char *name = NULL;
        const char *eq;
        const ArgSpec *s;
        gboolean negated;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(cli, summary, specs);
            *ret_help = TRUE;
            return TRUE;
        }
        if (!g_str_has_prefix(arg, "--")) {
            for (s = specs; s->name && !(s->positional && s->type == ARG_STRING); s++)
                ;
            if (s->name && !*(char **)s->target) {
                *(char **)s->target = g_strdup(arg);
                continue;
            }
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "unexpected argument '%.80s' (options start with --)", arg);
            return FALSE;
        }
        eq = strchr(arg, '=');
        name = eq ? g_strndup(arg + 2, (gsize)(eq - arg - 2)) : g_strdup(arg + 2);
        s = find_spec(specs, name, &negated);
        if (!s) {
            g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID,
                        "unknown option '--%.64s' (see 'ami-run %s --help')", name, cli->verb);
            return FALSE;
        }
        if (s->type == ARG_BOOL) {
            if (eq) {
                g_set_error(error, AMI_ERROR, AMI_ERROR_INVALID, "--%s takes no value", name);
                return FALSE;
            }
            *(int *)s->target = negated ? 0 : 1;
        } else if (s->type == ARG_OPTIONAL) {
            g_free(*(char **)s->target);
            *(char **)s->target = g_strdup(eq ? eq + 1 : "");
        } else if (!take_value(cli, s, eq ? eq + 1 : NULL, &i, argc, argv, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

void
cli_args_free(const ArgSpec *specs)
{
    for (const ArgSpec *s = specs; s->name; s++) {
        if (s->type == ARG_STRING || s->type == ARG_OPTIONAL)
            g_clear_pointer((char **)s->target, g_free);
        else if (s->type == ARG_LIST)
            g_clear_pointer((char ***)s->target, g_strfreev);
    }
}
