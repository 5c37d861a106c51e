// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a policy that names the FIFO state format but can import
 * no state, so that a swap to it falls back to rediscovering threads.
 */
#include "plugin.h"

static long export_nothing(struct ghost_policy_ctx *ctx, void *buf,
			   size_t len)
{
	return 0;
}

static int import_fails(struct ghost_policy_ctx *ctx, const void *buf,
			size_t len)
{
	return -22;
}

GHOST_POLICY_DEFINE(import_fails, PLUGIN_OPS,
		    .state_format	= "ghost-fifo-v1",
		    .export_state	= export_nothing,
		    .import_state	= import_fails);
