/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghostctl: the commands that act on the system (enclave_cmd.c).
 */
#ifndef _GHOSTCTL_CMD_H
#define _GHOSTCTL_CMD_H

#include "cli.h"

/* Run an "enclave ..." command; returns the exit status. */
int ghostctl_enclave(const struct ghostctl_cmd *cmd);

/* Run "version"; returns the exit status. */
int ghostctl_version(const struct ghostctl_cmd *cmd);

/* Run "task ...", "run", "policy swap" or "status" (agent_cmd.c). */
int ghostctl_task(const struct ghostctl_cmd *cmd);
int ghostctl_run(const struct ghostctl_cmd *cmd);
int ghostctl_policy(const struct ghostctl_cmd *cmd);
int ghostctl_status(const struct ghostctl_cmd *cmd);

/* Run "latency" or "top" (watch_cmd.c). */
int ghostctl_latency(const struct ghostctl_cmd *cmd);
int ghostctl_top(const struct ghostctl_cmd *cmd);

/*
 * Privilege check (if @action needs CAP_SYS_ADMIN), then module, mount
 * and ABI; returns an exit status.
 */
int ghostctl_prepare(const char *action);

/*
 * Report that @op failed with @err, as "ghostctl: <what>: <errno text>
 * (<hint>)", and return the matching exit status.
 */
int ghostctl_fail(int err, const char *op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* _GHOSTCTL_CMD_H */
