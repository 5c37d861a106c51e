// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a policy whose ops table is shorter than this ABI's. */
#include <stddef.h>

#include "plugin.h"

__attribute__((visibility("default")))
const struct ghost_policy_ops ghost_policy = {
	.abi_version	= GHOST_POLICY_ABI_VERSION,
	.size		= offsetof(struct ghost_policy_ops, commit_done),
	.name		= "short_table",
	PLUGIN_OPS,
};
