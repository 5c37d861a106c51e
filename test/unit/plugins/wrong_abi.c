// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a policy built for another plugin ABI version. */
#include "plugin.h"

__attribute__((visibility("default")))
const struct ghost_policy_ops ghost_policy = {
	.abi_version	= GHOST_POLICY_ABI_VERSION + 1,
	.size		= sizeof(struct ghost_policy_ops),
	.name		= "wrong_abi",
	PLUGIN_OPS,
};
