// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: command-line tool to manage ghost enclaves, threads and agents.
 */
#include <stdio.h>

#include "cmd.h"

int main(int argc, char **argv)
{
	struct ghostctl_cmd cmd;

	if (ghostctl_parse(argc, argv, &cmd)) {
		fprintf(stderr, "ghostctl: %s\n", cmd.err);
		return GHOSTCTL_EXIT_USAGE;
	}
	switch (cmd.action) {
	case GHOSTCTL_HELP:
		fputs(ghostctl_help, stdout);
		return GHOSTCTL_EXIT_OK;
	case GHOSTCTL_ENCLAVE_HELP:
		fputs(ghostctl_enclave_help, stdout);
		return GHOSTCTL_EXIT_OK;
	case GHOSTCTL_TOPIC_HELP:
		fputs(cmd.help, stdout);
		return GHOSTCTL_EXIT_OK;
	case GHOSTCTL_VERSION:
		return ghostctl_version(&cmd);
	case GHOSTCTL_TASK_ADD:
	case GHOSTCTL_TASK_REMOVE:
	case GHOSTCTL_TASK_LIST:
		return ghostctl_task(&cmd);
	case GHOSTCTL_RUN:
		return ghostctl_run(&cmd);
	case GHOSTCTL_POLICY_SWAP:
		return ghostctl_policy(&cmd);
	case GHOSTCTL_STATUS:
		return ghostctl_status(&cmd);
	case GHOSTCTL_LATENCY:
		return ghostctl_latency(&cmd);
	case GHOSTCTL_TOP:
		return ghostctl_top(&cmd);
	default:
		return ghostctl_enclave(&cmd);
	}
}
