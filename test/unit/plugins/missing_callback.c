// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a policy without a required callback (task_blocked). */
#include "plugin.h"

GHOST_POLICY_DEFINE(missing_callback,
	PLUGIN_OPS_BASE,
	.init		= plugin_init);
