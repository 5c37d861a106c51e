// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a policy whose describe op says awkward things about
 * threads, keyed by the low word of their gtid, to test what the agent
 * makes of descriptions it cannot trust.
 */
#include "plugin.h"

static int describe(struct ghost_policy_ctx *ctx, __u64 gtid, char *buf,
		    size_t len)
{
	switch ((__u32)gtid) {
	case 1:		/* well formed */
		return snprintf(buf, len,
				"state=queued barrier=9 queue=cpu1 pos=3 vruntime=7");
	case 2:		/* control characters, a forged line */
		return snprintf(buf, len,
				"state=oncpu\nthread 1 gtid 1 barrier=x1 k=\x01v");
	case 3:		/* no state, longer than any buffer */
		memset(buf, 'a', len - 1);
		buf[len - 1] = '\0';
		return (int)len + 100;
	default:
		return -ENOENT;
	}
}

GHOST_POLICY_DEFINE(describe, PLUGIN_OPS, .describe = describe);
