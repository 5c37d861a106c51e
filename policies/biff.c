// SPDX-License-Identifier: GPL-2.0
/*
 * biff: keep every CPU's dispatch list fed and balanced, and let the
 * module do the rest (ghOSt's Biff, "BPF FIFO").
 *
 * ghOSt's Biff leaves the per-CPU decisions to a BPF program in the
 * kernel: when a CPU needs a thread it takes one from a queue in a BPF
 * map, and the agent only keeps that queue filled.  Stock kernels have no
 * such hook; here the in-kernel fast path is the per-CPU dispatch lists
 * (see "Dispatch lists" in <linux/ghost.h>): the module runs a CPU's next
 * valid entry by itself whenever its thread blocks, yields, exits or is
 * preempted.  So this policy never decides which thread runs when; it
 * only decides on which CPU's list each runnable thread waits:
 *
 *  - Each runnable thread (new, woken, preempted, yielded) is pushed to
 *    the list of the least-loaded CPU it may run on (load: the CPU's
 *    thread, if any, plus the entries of ours still valid in its list;
 *    the CPU it ran on last wins a tie, then the next CPU round-robin).
 *    A list holds at most dispatch_depth of our entries; threads that
 *    find every list they may use that deep wait in one FIFO, and are
 *    pushed in their order as lists drain.
 *  - When lists get uneven (a CPU's load two or more above another's),
 *    threads still waiting in the longer list (not consumed yet) are
 *    pushed again to the shorter one, the last in line first.  The entry
 *    left behind cannot be taken back, but it goes stale the moment its
 *    thread runs from the other list (its barrier moves), and the module
 *    skips it: a thread runs once, wherever it is taken first.
 *  - A busy CPU whose list is empty gets a spare: a second entry of the
 *    thread next in line on the busiest list.  The two lists race for it;
 *    whichever CPU frees first runs it, the other skips the stale entry.
 *    This keeps a CPU from idling while a thread waits elsewhere, which
 *    matters because a block is quiet (below): the agent does not hear
 *    that a CPU went idle.
 *
 * Flags: GHOST_DL_F_ENABLE, GHOST_DL_F_RUN_ON_WAKE (a thread that wakes
 * while the CPU it ran on last is free runs there at once) and
 * GHOST_DL_F_QUIET: what the module does by itself (runs an entry, runs
 * a thread at its wakeup, a block) does not wake an agent; only a list
 * running empty (TASK_LATCHED of its last entry), a wakeup that needs a
 * place, and the other messages do, and the agent then refills and
 * rebalances every list.  With defer_wakeup=1 also
 * GHOST_DL_F_DEFER_WAKEUP: the wakeup of a thread whose last CPU has work
 * lined up waits, quiet, until that CPU's list runs out; fewer agent
 * wakeups, but the thread may wait behind that CPU's list while another
 * CPU idles, so it is off by default.
 *
 * Model.  GHOST_POLICY_PER_CPU: one agent thread per CPU, asleep until
 * one of its messages needs a decision.  The work is small and rare (a
 * placement per wakeup, a refill per emptied list), so it needs no CPU of
 * its own: a centralized agent would spin a whole CPU to do what a
 * sleeping agent does at each list's end, and that CPU would run no
 * thread.  Whichever agent wakes places for every CPU (the runtime runs
 * one round for all; the work is done once, at the first CPU's
 * schedule() of a round that had messages).
 *
 * Without dispatch lists (an older module), or with dispatch_depth=0, it
 * decides by commits like fifo_per_cpu's dispatch_depth=0: each CPU
 * without a thread is given the first waiting thread that may run there,
 * from the one FIFO (so no CPU idles while a thread it may run waits).
 *
 * Affinity is honoured: a thread is listed and moved only where it may
 * run (an entry the module refuses comes back with
 * TASK_AFFINITY_CHANGED, and the thread is placed again).  A CPU that
 * hotplug takes away gets nothing; its listed threads are placed again
 * elsewhere.  Dead threads are forgotten at TASK_DEAD.  State is the FIFO
 * policies' (ghost-fifo-v1): a thread waiting in a list is handed over as
 * queued on that CPU, and entries outlive the swap, so a swap to or from
 * fifo_per_cpu (or fifo_centralized) keeps every thread; its import
 * adopts the entries a previous policy left.
 *
 * When it is good: many threads that block and wake often (RPC
 * handlers), where the agent should stay out of the way: the lists run
 * the next thread with no agent round trip, and the agent wakes about
 * once per list's worth of threads.
 *
 * Known problems: no preemption and no time slice (a thread runs until it
 * blocks or yields, as in every FIFO); the agent's view lags behind the
 * quiet messages, so a thread may be listed behind a CPU that has just
 * gone idle (a spare or the next refill takes it there); moved and spare
 * entries take list slots until the module skips them.
 *
 * Options: max_tasks=N (1..1000000, default 8192), dispatch_depth=N
 * (entries per list, 0..32, default 4; 0: commits only), defer_wakeup=0|1
 * (0).
 */
#include <errno.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define BIFF_MAX_TASKS	8192
#define BIFF_DEPTH	4
#define BIFF_DL_FLAGS	(GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE | \
			 GHOST_DL_F_QUIET)

enum biff_task_state {
	BIFF_BLOCKED,
	BIFF_PENDING,		/* runnable, in no list: in f->pending */
	BIFF_LISTED,		/* runnable, its entry valid: in a CPU's lq */
	BIFF_COMMITTING,	/* commits only: asked to run */
	BIFF_ONCPU,
};

struct biff_task {
	struct gp_list node;	/* in f->pending or a CPU's lq */
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum biff_task_state */
	int cpu;		/* ONCPU/COMMITTING: where; else last, or -1 */
	int listed_cpu;		/* LISTED: the CPU of its entry */
	int spare_cpu;		/* a second valid entry's CPU, or -1 */
	__s64 order;		/* position in line, for hand-over */
};

struct biff_cpu {
	struct gp_list lq;	/* threads listed here, in list order */
	struct biff_task *cur;	/* running (or committing) here */
	struct biff_task *spare;	/* the thread of our spare entry here */
	int nlisted;		/* entries of ours valid here (lq) */
	int served;
	int offline;		/* hotplug took it: nothing goes there */
	int out;		/* this round: entries outstanding */
	int nodonor;		/* this round: nothing can move here */
};

struct biff {
	struct gp_tasks tasks;
	struct gp_list pending;	/* runnable threads in no list, in order */
	struct biff_cpu *cpu;	/* by CPU number */
	int nr_cpu_ids;
	int depth;		/* dispatch_depth */
	int commits;		/* no lists: decide by commits */
	int dirty;		/* something changed since the last feed */
	int rr;			/* next index into ctx->cpus for ties */
	__s64 back, front;
};

static struct biff *biff_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct biff_cpu *biff_cpu(struct biff *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids || !f->cpu[cpu].served)
		return NULL;
	return &f->cpu[cpu];
}

static struct biff_task *biff_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&biff_of(ctx)->tasks, gtid);
}

static int biff_load(const struct biff_cpu *c)
{
	return (c->cur != NULL) + c->nlisted;
}

/* @t's entries are stale from now on (its barrier moves) or gone. */
static void biff_unlist(struct biff *f, struct biff_task *t)
{
	struct biff_cpu *c;

	if (t->listed_cpu >= 0) {
		c = &f->cpu[t->listed_cpu];
		gp_list_del(&t->node);
		c->nlisted--;
		t->listed_cpu = -1;
	}
	if (t->spare_cpu >= 0) {
		f->cpu[t->spare_cpu].spare = NULL;
		t->spare_cpu = -1;
	}
}

/* @t waits for a list: at the head of the line or at its tail. */
static void biff_pend(struct biff *f, struct biff_task *t, int front)
{
	biff_unlist(f, t);
	t->order = front ? --f->front : ++f->back;
	gp_list_move(&f->pending, &t->node, front);
	t->state = BIFF_PENDING;
	f->dirty = 1;
}

/* Take @t off its list, the line and its CPU. */
static void biff_detach(struct biff *f, struct biff_task *t)
{
	struct biff_cpu *c = biff_cpu(f, t->cpu);

	biff_unlist(f, t);
	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	if (c && c->cur == t)
		c->cur = NULL;
	f->dirty = 1;
}

/*
 * A message moved @t's barrier: its entries are stale.  A listed thread
 * goes back to the head of the line, to be listed again.
 */
static void biff_new_barrier(struct biff *f, struct biff_task *t,
			     __u32 barrier)
{
	int listed = t->state == BIFF_LISTED;

	biff_unlist(f, t);
	t->barrier = barrier;
	if (listed)
		biff_pend(f, t, 1);
	f->dirty = 1;
}

static void biff_forget(struct ghost_policy_ctx *ctx, struct biff_task *t)
{
	struct biff *f = biff_of(ctx);

	biff_detach(f, t);
	gp_tasks_del(&f->tasks, t->gtid);
}

static struct biff_task *biff_alloc(struct ghost_policy_ctx *ctx,
				    __u64 gtid, __u32 barrier)
{
	struct biff_task *t = gp_tasks_new(ctx, "biff", &biff_of(ctx)->tasks,
					   gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->listed_cpu = -1;
	t->spare_cpu = -1;
	t->state = BIFF_BLOCKED;
	return t;
}

/* The kernel has @t on @cpu: that CPU's thread. */
static void biff_set_oncpu(struct biff *f, struct biff_task *t, int cpu)
{
	struct biff_cpu *c = biff_cpu(f, cpu);

	t->state = BIFF_ONCPU;
	t->cpu = cpu;
	if (c)
		c->cur = t;
	f->dirty = 1;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void biff_task_new(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task_new *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);
	int cpu;

	/* Discovery again: start over from what the kernel says now. */
	if (t)
		biff_forget(ctx, t);
	t = biff_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	if (p->runnable) {
		biff_pend(f, t, 0);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		biff_set_oncpu(f, t, cpu);
}

static void biff_task_wakeup(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task_wakeup *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (!t)
		return;
	biff_detach(f, t);
	t->barrier = m->seqnum;
	biff_pend(f, t, 0);
}

static void biff_task_blocked(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (!t)
		return;
	biff_detach(f, t);
	t->barrier = m->seqnum;
	t->state = BIFF_BLOCKED;
}

/* Lost its CPU through no fault of its own: the head of the line. */
static void biff_task_preempt(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (!t)
		return;
	biff_detach(f, t);
	t->barrier = m->seqnum;
	biff_pend(f, t, 1);
}

static void biff_task_yield(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (!t)
		return;
	biff_detach(f, t);
	t->barrier = m->seqnum;
	biff_pend(f, t, 0);
}

static void biff_task_gone(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (t)
		biff_forget(ctx, t);
}

/* Affinity, on-CPU, refused entry: the barrier moves, entries go stale. */
static void biff_task_barrier(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (t)
		biff_new_barrier(biff_of(ctx), t, m->seqnum);
}

/* FIFO ignores nice; only the barrier moves. */
static void biff_task_priority(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task_priority *p)
{
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (t)
		biff_new_barrier(biff_of(ctx), t, m->seqnum);
}

/*
 * The module ran @p->gtid on @p->cpu from that CPU's list (or at its
 * wakeup): that CPU's thread now, any other entry of it stale.  It may
 * be a thread we hold as listed or waiting, one an earlier policy listed
 * (hot swap), or one we do not know at all.
 */
static void biff_task_latched(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_find(ctx, p->gtid);

	if (!t)
		t = biff_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	biff_detach(f, t);
	t->barrier = m->seqnum;
	biff_set_oncpu(f, t, p->cpu);
}

/* ------------------------------------------------------------------ */
/* Feeding the lists                                                   */
/* ------------------------------------------------------------------ */

/* May @cpu's list take one more entry of ours now? */
static int biff_has_room(const struct biff_cpu *c)
{
	return c->served && !c->offline && c->out < GHOST_DISPATCH_SLOTS;
}

/*
 * @cpu's list is empty: none of our entries is left in it (the module
 * consumed or dropped them; a thread that ran says so by its message).
 * Its listed threads wait again, at the head of the line, in list order.
 */
static void biff_forget_entries(struct biff *f, int cpu)
{
	struct biff_cpu *c = &f->cpu[cpu];
	struct gp_list *n;
	struct biff_task *t;

	while ((n = c->lq.prev) != &c->lq) {
		t = gp_container_of(n, struct biff_task, node);
		biff_pend(f, t, 1);
	}
	if (c->spare) {
		c->spare->spare_cpu = -1;
		c->spare = NULL;
	}
	c->nlisted = 0;
}

/*
 * Append @t to @cpu's list as its entry (@spare: a second one, @t keeps
 * its first).  0, or the error of the push.
 */
static int biff_push(struct ghost_policy_ctx *ctx, struct biff_task *t,
		     int cpu, int spare)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c = &f->cpu[cpu];
	int ret = ghost_policy_dl_push(ctx, cpu, t->gtid, t->barrier);

	if (ret) {
		if (ret == -ENOSPC)
			c->out = GHOST_DISPATCH_SLOTS;
		return ret;
	}
	c->out++;
	if (spare) {
		t->spare_cpu = cpu;
		c->spare = t;
		return 0;
	}
	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	gp_list_add_tail(&c->lq, &t->node);
	c->nlisted++;
	t->listed_cpu = cpu;
	t->state = BIFF_LISTED;
	return 0;
}

/*
 * The least-loaded CPU whose list @t may join (below dispatch_depth, a
 * free slot, online, allowed); the CPU it ran on last wins a tie, then
 * the first from the round-robin index.  -1 if none.
 */
static int biff_least_loaded(struct ghost_policy_ctx *ctx,
			     struct biff_task *t)
{
	struct biff *f = biff_of(ctx);
	int i, cpu, best = -1;
	struct biff_cpu *c;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[(f->rr + i) % ctx->nr_cpus];
		c = &f->cpu[cpu];
		if (!biff_has_room(c) || c->nlisted >= f->depth ||
		    !ghost_policy_task_allowed(ctx, t->gtid, cpu))
			continue;
		if (best < 0 || biff_load(c) < biff_load(&f->cpu[best]) ||
		    (biff_load(c) == biff_load(&f->cpu[best]) &&
		     cpu == t->cpu))
			best = cpu;
	}
	return best;
}

/* The waiting threads, in their order, each to its least-loaded list. */
static void biff_place_pending(struct ghost_policy_ctx *ctx)
{
	struct biff *f = biff_of(ctx);
	struct gp_list *pos, *next;
	struct biff_task *t;
	int cpu;

	for (pos = f->pending.next; pos != &f->pending; pos = next) {
		next = pos->next;
		t = gp_container_of(pos, struct biff_task, node);
		cpu = biff_least_loaded(ctx, t);
		if (cpu < 0)
			continue;
		if (!biff_push(ctx, t, cpu, 0))
			f->rr = (f->rr + 1) % ctx->nr_cpus;
	}
}

/* The thread of @a's list that may move to @b, the last in line first. */
static struct biff_task *biff_movable(struct ghost_policy_ctx *ctx,
				      struct biff_cpu *a, int b)
{
	struct gp_list *n;
	struct biff_task *t;

	for (n = a->lq.prev; n != &a->lq; n = n->prev) {
		t = gp_container_of(n, struct biff_task, node);
		if (ghost_policy_task_allowed(ctx, t->gtid, b))
			return t;
	}
	return NULL;
}

/*
 * Move @t, listed on @a, to @b's list.  Its entry in @a's list is left
 * to go stale when @t runs; a spare on @b simply becomes its entry.
 */
static int biff_move(struct ghost_policy_ctx *ctx, struct biff_task *t,
		     struct biff_cpu *a, int b)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *cb = &f->cpu[b];

	if (t->spare_cpu == b) {
		cb->spare = NULL;
		t->spare_cpu = -1;
	} else if (ghost_policy_dl_push(ctx, b, t->gtid, t->barrier)) {
		cb->out = GHOST_DISPATCH_SLOTS;
		return -1;
	} else {
		cb->out++;
	}
	gp_list_del(&t->node);
	a->nlisted--;
	gp_list_add_tail(&cb->lq, &t->node);
	cb->nlisted++;
	t->listed_cpu = b;
	return 0;
}

/*
 * While some CPU's load is two or more above another's, move a thread
 * that waits in the longer list to the shorter one.  Each move lowers
 * the spread, and at most nr_cpus * dispatch_depth are made a round.
 */
static void biff_rebalance(struct ghost_policy_ctx *ctx)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c, *cb, *ca;
	struct biff_task *t, *tbest;
	int i, b, moves, limit = ctx->nr_cpus * f->depth;

	for (moves = 0; moves < limit;) {
		/* The least-loaded CPU that may still take a thread. */
		b = -1;
		for (i = 0; i < ctx->nr_cpus; i++) {
			c = &f->cpu[ctx->cpus[i]];
			if (!biff_has_room(c) || c->nodonor ||
			    c->nlisted >= f->depth)
				continue;
			if (b < 0 || biff_load(c) < biff_load(&f->cpu[b]))
				b = ctx->cpus[i];
		}
		if (b < 0)
			break;
		cb = &f->cpu[b];
		/* The most-loaded CPU with a thread that may go there. */
		ca = NULL;
		tbest = NULL;
		for (i = 0; i < ctx->nr_cpus; i++) {
			c = &f->cpu[ctx->cpus[i]];
			if (c == cb || c->offline ||
			    biff_load(c) < biff_load(cb) + 2 ||
			    (ca && biff_load(c) <= biff_load(ca)))
				continue;
			t = biff_movable(ctx, c, b);
			if (t) {
				ca = c;
				tbest = t;
			}
		}
		if (!ca || biff_move(ctx, tbest, ca, b)) {
			cb->nodonor = 1;
			continue;
		}
		moves++;
	}
}

/*
 * A busy CPU with nothing lined up gets a spare entry: the thread next in
 * line on the longest list of another busy CPU, that may run there.
 */
static void biff_spares(struct ghost_policy_ctx *ctx)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *cb, *ca, *best;
	struct biff_task *t, *pick;
	struct gp_list *n;
	int i, j, b;

	for (i = 0; i < ctx->nr_cpus; i++) {
		b = ctx->cpus[i];
		cb = &f->cpu[b];
		if (!biff_has_room(cb) || !cb->cur || cb->nlisted ||
		    cb->spare)
			continue;
		best = NULL;
		pick = NULL;
		for (j = 0; j < ctx->nr_cpus; j++) {
			ca = &f->cpu[ctx->cpus[j]];
			if (ca == cb || ca->offline || !ca->cur ||
			    !ca->nlisted ||
			    (best && ca->nlisted <= best->nlisted))
				continue;
			gp_list_for_each(n, &ca->lq) {
				t = gp_container_of(n, struct biff_task, node);
				if (t->spare_cpu < 0 &&
				    ghost_policy_task_allowed(ctx, t->gtid, b)) {
					best = ca;
					pick = t;
					break;
				}
			}
		}
		if (pick)
			biff_push(ctx, pick, b, 1);
	}
}

/*
 * One pass over every list: forget entries the module has dropped, list
 * the waiting threads, rebalance, hand out spares.  -1 if there are no
 * dispatch lists.
 */
static int biff_feed(struct ghost_policy_ctx *ctx)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c;
	int i, cpu, out;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		c = &f->cpu[cpu];
		out = ghost_policy_dl_outstanding(ctx, cpu);
		if (out < 0)
			return -1;
		if (!out && (c->nlisted || c->spare))
			biff_forget_entries(f, cpu);
		c->out = out;
		c->nodonor = 0;
	}
	biff_place_pending(ctx);
	biff_rebalance(ctx);
	biff_spares(ctx);
	return 0;
}

/* Commits only: @cpu, if it has no thread, gets the first that may run. */
static void biff_commit_cpu(struct ghost_policy_ctx *ctx, int cpu)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c = biff_cpu(f, cpu);
	struct gp_list *pos;
	struct biff_task *t;

	if (!c || c->offline || c->cur)
		return;
	gp_list_for_each(pos, &f->pending) {
		t = gp_container_of(pos, struct biff_task, node);
		if (!ghost_policy_task_allowed(ctx, t->gtid, cpu))
			continue;
		if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier))
			return;
		gp_list_del(&t->node);
		t->state = BIFF_COMMITTING;
		t->cpu = cpu;
		c->cur = t;
		return;
	}
}

static void biff_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	struct biff *f = biff_of(ctx);

	if (!f->commits && f->dirty) {
		if (biff_feed(ctx))
			f->commits = 1;
		else
			f->dirty = 0;
	}
	if (f->commits)
		biff_commit_cpu(ctx, cpu);
}

static void biff_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			     __u64 gtid, int state)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c = biff_cpu(f, cpu);
	struct biff_task *t = biff_find(ctx, gtid);
	int where;

	/* An earlier request's outcome, late (see <ghost/policy.h>). */
	if (!t || t->state != BIFF_COMMITTING || t->cpu != cpu) {
		if (c && c->cur == t && state != GHOST_TXN_COMPLETE)
			c->cur = NULL;
		return;
	}
	if (state == GHOST_TXN_COMPLETE) {
		biff_set_oncpu(f, t, cpu);
		return;
	}
	biff_detach(f, t);
	switch (gp_commit_failed(ctx, gtid, state, &where)) {
	case GP_FAILED_WAIT:
		t->state = BIFF_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		biff_set_oncpu(f, t, where);
		break;
	case GP_FAILED_RETRY:
		biff_pend(f, t, 1);
		break;
	}
}

/*
 * Hotplug took @cpu (@offline) or gave it back: either way the module
 * emptied its list.  Its listed threads wait again, to go elsewhere; its
 * running thread comes back with TASK_PREEMPT.
 */
static void biff_cpu_hotplug(struct ghost_policy_ctx *ctx, int cpu,
			     int offline)
{
	struct biff *f = biff_of(ctx);
	struct biff_cpu *c = biff_cpu(f, cpu);

	if (!c)
		return;
	biff_forget_entries(f, cpu);
	c->offline = offline;
	f->dirty = 1;
}

GP_DEFINE_CPU_HOTPLUG(biff)

/* ------------------------------------------------------------------ */
/* Hot swap: the FIFO policies' state                                  */
/* ------------------------------------------------------------------ */

static void biff_describe(const void *task, struct fifo_state_task *rec)
{
	const struct biff_task *t = task;

	fifo_state_fill(rec, t->gtid, t->barrier,
			t->state == BIFF_LISTED ? t->listed_cpu : t->cpu,
			t->order, t->state == BIFF_ONCPU,
			t->state == BIFF_BLOCKED);
}

static long biff_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&biff_of(ctx)->tasks.table, buf, len,
				 biff_describe);
}

static int biff_import_add(struct ghost_policy_ctx *ctx,
			   const struct fifo_state_task *rec)
{
	struct biff *f = biff_of(ctx);
	struct biff_task *t = biff_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	t->cpu = biff_cpu(f, rec->cpu) ? rec->cpu : -1;
	if (rec->kind == FIFO_STATE_ONCPU)
		biff_set_oncpu(f, t, rec->cpu);
	return 0;
}

static void biff_import_requeue(struct ghost_policy_ctx *ctx,
				const struct fifo_state_task *rec)
{
	struct biff_task *t = biff_find(ctx, rec->gtid);

	if (t)
		biff_pend(biff_of(ctx), t, 0);
}

/*
 * An entry the previous policy listed is still there and may still run:
 * take it as ours (the first of a thread as its entry, a second as a
 * spare), so that each is counted where it may run.
 */
static void biff_adopt_entry(struct ghost_policy_ctx *ctx, int cpu,
			     const struct ghost_dispatch_entry *e)
{
	struct biff_cpu *c = &biff_of(ctx)->cpu[cpu];
	struct biff_task *t = biff_find(ctx, e->gtid);

	if (!t || t->barrier != e->barrier)
		return;
	if (t->state == BIFF_PENDING) {
		gp_list_move(&c->lq, &t->node, 0);
		c->nlisted++;
		t->listed_cpu = cpu;
		t->state = BIFF_LISTED;
	} else if (t->state == BIFF_LISTED && t->listed_cpu != cpu &&
		   t->spare_cpu < 0 && !c->spare) {
		t->spare_cpu = cpu;
		c->spare = t;
	}
}

static int biff_import(struct ghost_policy_ctx *ctx, const void *buf,
		       size_t len)
{
	int ret = fifo_state_import(ctx, buf, len, biff_import_add,
				    biff_import_requeue);

	if (!ret)
		gp_dl_for_each_entry(ctx, biff_adopt_entry);
	biff_of(ctx)->dirty = 1;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int biff_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		      unsigned long *max, unsigned long *depth,
		      unsigned long *defer)
{
	static const char *const known[] = {
		"max_tasks", "dispatch_depth", "defer_wakeup", NULL
	};
	const char *v;

	if (gp_opts_known(ctx, "biff", opts, known) ||
	    gp_opt_ulong(ctx, "biff", opts, "max_tasks", 1, 1000000, max) ||
	    gp_opt_ulong(ctx, "biff", opts, "dispatch_depth", 0,
			 GHOST_DISPATCH_SLOTS, depth))
		return -EINVAL;
	v = ghost_policy_opt(opts, "defer_wakeup");
	if (v) {
		if (strcmp(v, "0") && strcmp(v, "1")) {
			ghost_policy_log(ctx, "biff: defer_wakeup must be 0 or 1");
			return -EINVAL;
		}
		*defer = *v == '1';
	}
	return 0;
}

static int biff_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long max = BIFF_MAX_TASKS, depth = BIFF_DEPTH, defer = 0;
	struct biff *f;
	int i, ret;

	ret = biff_parse(ctx, opts, &max, &depth, &defer);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0) {
		ghost_policy_log(ctx, "biff: no CPU to run threads on");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->depth = depth;
	f->commits = !depth;
	gp_list_init(&f->pending);
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	if (!f->cpu ||
	    gp_tasks_init(&f->tasks, sizeof(struct biff_task), max)) {
		gp_tasks_free(&f->tasks);
		free(f->cpu);
		free(f);
		return -ENOMEM;
	}
	for (i = 0; i < ctx->nr_cpu_ids; i++)
		gp_list_init(&f->cpu[i].lq);
	for (i = 0; i < ctx->nr_cpus; i++) {
		if (ctx->cpus[i] >= 0 && ctx->cpus[i] < ctx->nr_cpu_ids)
			f->cpu[ctx->cpus[i]].served = 1;
	}
	/* No lists: nothing may run by itself, every event wakes us. */
	if (!depth)
		ctx->dispatch_flags = 0;
	else if (defer)
		ctx->dispatch_flags |= GHOST_DL_F_DEFER_WAKEUP;
	ctx->priv = f;
	return 0;
}

static void biff_fini(struct ghost_policy_ctx *ctx)
{
	struct biff *f = biff_of(ctx);

	if (!f)
		return;
	gp_tasks_free(&f->tasks);
	free(f->cpu);
	free(f);
	ctx->priv = NULL;
}

/*
 * "ghostctl status --threads": the CPU list @gtid has an entry in and its
 * place there, or the pending line, or where it runs.
 */
static int biff_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			    char *buf, size_t len)
{
	static const char *const states[] = {
		[BIFF_BLOCKED]		= "blocked",
		[BIFF_PENDING]		= "queued",
		[BIFF_LISTED]		= "listed",
		[BIFF_COMMITTING]	= "committing",
		[BIFF_ONCPU]		= "oncpu",
	};
	struct biff *f = biff_of(ctx);
	const struct biff_task *t = biff_find(ctx, gtid);
	struct biff_cpu *c;

	if (!t)
		return -ENOENT;
	switch (t->state) {
	case BIFF_PENDING:
		return snprintf(buf, len, "state=queued barrier=%u queue=pending pos=%d",
				t->barrier, gp_list_pos(&f->pending, &t->node));
	case BIFF_LISTED:
		c = biff_cpu(f, t->listed_cpu);
		return snprintf(buf, len, "state=listed barrier=%u queue=cpu%d pos=%d",
				t->barrier, t->listed_cpu,
				c ? gp_list_pos(&c->lq, &t->node) : -1);
	case BIFF_COMMITTING:
	case BIFF_ONCPU:
		return snprintf(buf, len, "state=%s barrier=%u cpu=%d",
				states[t->state], t->barrier, t->cpu);
	default:
		return snprintf(buf, len, "state=blocked barrier=%u",
				t->barrier);
	}
}

GHOST_POLICY_DEFINE(biff,
	.model			= GHOST_POLICY_PER_CPU,
	.state_format		= FIFO_STATE_FORMAT,
	.dispatch_flags		= BIFF_DL_FLAGS,
	.help			= "max_tasks=N  threads tracked at most (8192)\n"
				  "dispatch_depth=N  entries per CPU's list (4; 0: commits only)\n"
				  "defer_wakeup=0|1  quiet wakeups while the thread's last CPU has work lined up (0)\n",
	.init			= biff_init,
	.fini			= biff_fini,
	.task_new		= biff_task_new,
	.task_wakeup		= biff_task_wakeup,
	.task_blocked		= biff_task_blocked,
	.task_preempt		= biff_task_preempt,
	.task_yield		= biff_task_yield,
	.task_dead		= biff_task_gone,
	.task_departed		= biff_task_gone,
	.task_affinity_changed	= biff_task_barrier,
	.task_on_cpu		= biff_task_barrier,
	.cpu_offline		= biff_cpu_offline,
	.cpu_online		= biff_cpu_online,
	.task_priority_changed	= biff_task_priority,
	.task_latched		= biff_task_latched,
	.schedule		= biff_schedule,
	.commit_done		= biff_commit_done,
	.export_state		= biff_export,
	.import_state		= biff_import,
	.describe		= biff_describe_op);
