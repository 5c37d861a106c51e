// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: hints that explain the errnos of ghostfs operations and of
 * requests to an agent.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

struct hint {
	int err;
	const char *op;		/* NULL: any operation */
	const char *text;
};

/* The first entry matching both errno and operation wins. */
static const struct hint hints[] = {
	{ ESRCH, "task", "no such thread" },
	{ EBUSY, "task", "the thread is in an enclave already" },
	{ EPERM, "task",
	  "moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE" },
	{ EACCES, "task", "this user may not write the enclave's tasks or ctl file" },
	{ EINVAL, "task", "kernel threads and io workers cannot be scheduled by ghost" },
	{ ENOENT, "agent", "no agent serves this enclave: start one with ghost-agent" },
	{ ECONNREFUSED, "agent", "no agent serves this enclave: its control socket is stale" },
	{ EACCES, "agent", "the agent's control socket is root-only" },
	{ ETIMEDOUT, "agent", "the agent did not answer in time" },
	{ EBUSY, "cpulist", "a CPU in the list belongs to another enclave" },
	{ EBUSY, "destroy", "the enclave is still in use, e.g. by its agent" },
	{ EBUSY, NULL, "resource in use" },
	{ ENODEV, "cpulist", "CPU absent or offline" },
	{ ENODEV, "mount", "filesystem type ghost unknown: is the module loaded?" },
	{ ENODEV, NULL, "the enclave was destroyed meanwhile" },
	{ EEXIST, "create", "enclave id already exists" },
	{ ENOSPC, "create", "too many enclaves: at most " XSTR(GHOST_MAX_ENCLAVES) },
	{ EPROTONOSUPPORT, NULL,
	  "the module does not speak ABI " XSTR(GHOST_VERSION)
	  " of this program: install matching module and ghostctl versions" },
	{ EPERM, "module", "loading a module needs root" },
	{ EPERM, NULL, "needs CAP_SYS_ADMIN" },
	{ EACCES, NULL, "needs CAP_SYS_ADMIN" },
	{ EINVAL, "create", "malformed command or id 0" },
	{ EINVAL, "tunable",
	  "malformed or out-of-range value: runnable_timeout is 0.."
	  XSTR(GHOST_RUNNABLE_TIMEOUT_MAX_MS) " ms, deliver_ticks 0 or 1" },
	{ EINVAL, NULL, "malformed value" },
	{ ENOENT, "create", GHOST_FS_PATH "/ctl missing: is ghostfs mounted?" },
	{ ENOENT, "module", "module not installed for this kernel" },
	{ ENOENT, "mount", GHOST_FS_PATH " missing: is the module loaded?" },
	{ ENOENT, NULL, "no such enclave" },
	{ ENOTTY, NULL,
	  "the module does not know this ioctl: module and ghostctl versions differ?" },
};

static int op_matches(const char *want, const char *op)
{
	return !want || (op && !strcmp(want, op));
}

const char *ghost_strerror_hint(int err, const char *op)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (hints[i].err == err && op_matches(hints[i].op, op))
			return hints[i].text;
	return NULL;
}
