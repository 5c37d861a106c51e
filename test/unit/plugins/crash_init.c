// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a policy that crashes in init. */
#include <signal.h>

#include "plugin.h"

static int crash_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	raise(SIGSEGV);
	return 0;
}

GHOST_POLICY_DEFINE(crash_init,
	PLUGIN_OPS_BASE,
	.init		= crash_init,
	.task_blocked	= plugin_task_blocked);
