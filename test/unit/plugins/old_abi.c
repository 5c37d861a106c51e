// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a policy built for plugin ABI 4, before struct
 * ghost_app_hint had period_ns: it would read hints one word short.
 */
#include "plugin.h"

__attribute__((visibility("default")))
const struct ghost_policy_ops ghost_policy = {
	.abi_version	= 4,
	.size		= sizeof(struct ghost_policy_ops),
	.name		= "old_abi",
	PLUGIN_OPS,
};
