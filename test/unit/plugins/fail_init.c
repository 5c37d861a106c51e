// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a policy that refuses its options. */
#include <errno.h>

#include "plugin.h"

static int fail_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	return -EINVAL;
}

GHOST_POLICY_DEFINE(fail_init,
	PLUGIN_OPS_BASE,
	.init		= fail_init,
	.task_blocked	= plugin_task_blocked);
