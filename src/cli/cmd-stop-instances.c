/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ami-run stop-instances --instance-ids i-…: see instance-common.c. */
#include "cli.h"

gboolean
cmd_stop_instances(Cli *cli, int argc, char **argv, GError **error)
{
    return cli_instances_change(cli, CLI_STOP, argc, argv, error);
}
