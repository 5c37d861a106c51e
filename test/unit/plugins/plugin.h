/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests: the pieces of the tiny policy plugins that test the loader.
 * Each plugins/<name>.c is one plugin, good or broken in one way.
 */
#ifndef _GHOST_TEST_PLUGIN_H
#define _GHOST_TEST_PLUGIN_H

#include <stdlib.h>
#include <ghost/policy.h>

/* What the good plugin saw; the test reads it through ctx->priv. */
struct plugin_counts {
	int init, task_new, wakeup, blocked, preempt, yield, dead, departed;
	int latched;
	int schedule, commit_done;
	const char *opt_x;
};

static inline struct plugin_counts *counts(struct ghost_policy_ctx *ctx)
{
	return (struct plugin_counts *)ctx->priv;
}

static inline int plugin_init(struct ghost_policy_ctx *ctx,
			      const char *const opts[])
{
	ctx->priv = calloc(1, sizeof(struct plugin_counts));
	if (!ctx->priv)
		return -12;
	counts(ctx)->init = 1;
	counts(ctx)->opt_x = ghost_policy_opt(opts, "x");
	return 0;
}

static inline void plugin_fini(struct ghost_policy_ctx *ctx)
{
	free(ctx->priv);
	ctx->priv = NULL;
}

static inline void plugin_task_new(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_new *p)
{
	counts(ctx)->task_new++;
}

static inline void plugin_task_wakeup(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task_wakeup *p)
{
	counts(ctx)->wakeup++;
}

#define PLUGIN_TASK_CB(fn, field)					\
static inline void fn(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,	\
	       const struct ghost_msg_task *p)				\
{									\
	counts(ctx)->field++;						\
}

PLUGIN_TASK_CB(plugin_task_blocked, blocked)
PLUGIN_TASK_CB(plugin_task_preempt, preempt)
PLUGIN_TASK_CB(plugin_task_yield, yield)
PLUGIN_TASK_CB(plugin_task_dead, dead)
PLUGIN_TASK_CB(plugin_task_departed, departed)
PLUGIN_TASK_CB(plugin_task_latched, latched)

static inline void plugin_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	counts(ctx)->schedule++;
}

static inline void plugin_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			       __u64 gtid, int state)
{
	counts(ctx)->commit_done++;
}

/* Every callback of a per-CPU policy but init and task_blocked. */
#define PLUGIN_OPS_BASE							\
	.model		= GHOST_POLICY_PER_CPU,				\
	.fini		= plugin_fini,					\
	.task_new	= plugin_task_new,				\
	.task_wakeup	= plugin_task_wakeup,				\
	.task_preempt	= plugin_task_preempt,				\
	.task_yield	= plugin_task_yield,				\
	.task_dead	= plugin_task_dead,				\
	.task_departed	= plugin_task_departed,				\
	.task_latched	= plugin_task_latched,				\
	.schedule	= plugin_schedule,				\
	.commit_done	= plugin_commit_done

/* A complete per-CPU policy. */
#define PLUGIN_OPS							\
	PLUGIN_OPS_BASE,						\
	.init		= plugin_init,					\
	.task_blocked	= plugin_task_blocked

#endif /* _GHOST_TEST_PLUGIN_H */
