// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a policy broken on purpose for ghost-sim to catch.  It runs
 * the newest runnable thread, and the same one on every CPU: with one CPU
 * it starves the others; with more it asks for one thread on two CPUs.
 */
#include <stdlib.h>

#include <ghost/policy.h>

#define MAX	64

struct lifo {
	__u64 gtid[MAX];
	__u32 barrier[MAX];
	int nr;
};

static int find(struct lifo *l, __u64 gtid)
{
	int i;

	for (i = 0; i < l->nr; i++) {
		if (l->gtid[i] == gtid)
			return i;
	}
	return -1;
}

static void drop(struct lifo *l, __u64 gtid)
{
	int i = find(l, gtid);

	if (i < 0)
		return;
	l->nr--;
	for (; i < l->nr; i++) {
		l->gtid[i] = l->gtid[i + 1];
		l->barrier[i] = l->barrier[i + 1];
	}
}

/* Runnable: to the top of the stack. */
static void push(struct lifo *l, __u64 gtid, __u32 barrier)
{
	drop(l, gtid);
	if (l->nr == MAX)
		return;
	l->gtid[l->nr] = gtid;
	l->barrier[l->nr++] = barrier;
}

static int lifo_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	ctx->priv = calloc(1, sizeof(struct lifo));
	ctx->dispatch_flags = 0;
	return ctx->priv ? 0 : -ENOMEM;
}

static void lifo_fini(struct ghost_policy_ctx *ctx)
{
	free(ctx->priv);
}

static void lifo_new(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
		     const struct ghost_msg_task_new *p)
{
	if (p->runnable)
		push(ctx->priv, p->gtid, m->seqnum);
}

static void lifo_wakeup(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
			const struct ghost_msg_task_wakeup *p)
{
	push(ctx->priv, p->gtid, m->seqnum);
}

static void lifo_runnable(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p)
{
	push(ctx->priv, p->gtid, m->seqnum);
}

static void lifo_gone(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
		      const struct ghost_msg_task *p)
{
	drop(ctx->priv, p->gtid);
}

static void lifo_seen(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
		      const struct ghost_msg_task *p)
{
	struct lifo *l = ctx->priv;
	int i = find(l, p->gtid);

	if (i >= 0)
		l->barrier[i] = m->seqnum;
}

static void lifo_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	struct lifo *l = ctx->priv;
	int top = l->nr - 1;

	if (top >= 0 && ghost_policy_task_cpu(ctx, l->gtid[top]) != cpu)
		ghost_policy_run(ctx, cpu, l->gtid[top], l->barrier[top]);
}

static void lifo_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			     __u64 gtid, int state)
{
}

GHOST_POLICY_DEFINE(broken_lifo,
	.model		= GHOST_POLICY_PER_CPU,
	.init		= lifo_init,
	.fini		= lifo_fini,
	.task_new	= lifo_new,
	.task_wakeup	= lifo_wakeup,
	.task_blocked	= lifo_gone,
	.task_preempt	= lifo_runnable,
	.task_yield	= lifo_runnable,
	.task_dead	= lifo_gone,
	.task_departed	= lifo_gone,
	.task_affinity_changed	= lifo_seen,
	.task_on_cpu	= lifo_seen,
	.schedule	= lifo_schedule,
	.commit_done	= lifo_commit_done);
