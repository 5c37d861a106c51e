// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a shared object that exports no "ghost_policy". */
#include "plugin.h"

__attribute__((visibility("default")))
const struct ghost_policy_ops not_ghost_policy = {
	.abi_version	= GHOST_POLICY_ABI_VERSION,
	.size		= sizeof(struct ghost_policy_ops),
	.name		= "no_symbol",
	PLUGIN_OPS,
};
