/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ami-run terminate-instances --instance-ids i-…: see instance-common.c. */
#include "cli.h"

gboolean
cmd_terminate_instances(Cli *cli, int argc, char **argv, GError **error)
{
    return cli_instances_change(cli, CLI_TERMINATE, argc, argv, error);
}
