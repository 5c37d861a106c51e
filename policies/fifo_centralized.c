// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_centralized: one global FIFO, decided by one spinning agent.
 *
 * A single agent thread on the global CPU (GHOST_POLICY_CENTRALIZED)
 * drains every message and, on each iteration, gives every idle CPU of
 * the enclave the thread at the head of one global runqueue, in one group
 * commit.  The global CPU itself never runs a thread: the agent spins
 * there.  Threads that wake up or yield join the back of the line;
 * preempted threads the front.
 *
 * With --opt slice_us=N a thread that has run N µs while others wait is
 * preempted (checked against the clock on every iteration, so no timer
 * ticks are needed) and goes to the back of the line: round-robin with a
 * time slice, as ghOSt's centralized FIFO with --preemption_time_slice.
 * Without it, a thread runs until it blocks or yields.
 *
 * Fast path.  The global runqueue stays the whole truth (it is what a
 * hot swap hands over); its front, dispatch_depth threads, is listed on
 * every CPU's dispatch list in line order (each thread on the CPUs it
 * may use), so that a CPU whose thread blocks or yields runs the first
 * of them no other CPU took yet, without waiting for this agent: the
 * module runs a thread from whichever list reaches it first and skips
 * its other entries, so the lists together are the global FIFO, and no
 * thread is promised to a CPU that is busy while another idles.  A
 * thread that wakes on its idle CPU runs at once (RUN_ON_WAKE).
 * TASK_LATCHED says which thread ran where: it leaves the runqueue then.
 * A listed thread that changes state makes its entries stale (the module
 * skips them) and comes back with its message.  A new
 * thread that starts on a free CPU with nothing listed runs there at once
 * (RUN_NEW; nobody waits for such a CPU, short of a message not read
 * yet), and a thread woken by the join of an exiting thread runs on that
 * thread's CPU once it is gone (RUN_ON_WAKE): no round trip through this
 * agent for either.  A thread that wakes while every CPU it may use is
 * busy only joins the back of the line: its wakeup waits for this agent's
 * next look (DEFER_BUSY).  Idle CPUs get a thread by a list entry and a kick
 * rather than by a commit, so a thread is decided once; commits remain
 * for slices and for the global CPU.  A slice commits the first thread
 * in line that is not listed, so with slice_us the depth is 1 unless
 * set.  Without lists (an older module) it commits as before.
 *
 * Affinity.  A thread that runs on another CPU than its last is moved
 * there by a worker on that CPU first (its mask is set in process
 * context): a switch to the worker and back on the CPU that takes it.
 * With affinity=N the lists say GHOST_DL_AFFINE(N): a CPU runs the first
 * listed thread that ran there last ahead of those before it in line that
 * ran on other CPUs, none of which is passed over more than N times.
 * With two CPUs half of all hand-overs move a thread without it.  Off by
 * default: the line is the order threads run in.
 *
 * When it is good: many short requests over few CPUs, where a global
 * queue avoids the head-of-line blocking of per-CPU queues and the single
 * decision maker sees the whole enclave; the base of Shinjuku-like
 * policies.
 *
 * Known problems: the global CPU is spent on the agent, whether there is
 * work or not; decisions serialise on one thread, so throughput is bounded
 * by one CPU's message rate; threads migrate freely unless affinity=N
 * (then up to N threads may pass each one).
 * A thread's own affinity (within its cpuset) is honoured: it is listed
 * and committed only where it may run.  The agent spins at real-time
 * priority, so the kernel's real-time throttling stops it for 50 ms of
 * every second unless kernel.sched_rt_runtime_us is -1.
 *
 * Options: slice_us=N (0: no slice, the default), max_tasks=N (8192),
 * dispatch_depth=N (threads listed, 0..32; default 4, 1 with a slice;
 * 0: commits only), affinity=N (0..255; 0, the default: strict line
 * order).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define CFIFO_MAX_TASKS		8192
#define CFIFO_MAX_SLICE_US	10000000UL
#define CFIFO_DEPTH		4
#define CFIFO_SLICE_DEPTH	1
#define CFIFO_AFFINITY		0
#define CFIFO_MAX_AFFINITY	255
/*
 * QUIET costs a spinning agent nothing (no agent sleeps, so no message
 * wakes one); with --idle-sleep it sleeps through what needs no decision.
 * While threads wait (and no slice is set), a CPU going idle is news
 * (IDLE_WAKE, set then only): the agent may then sleep while every CPU
 * has a thread, and is woken when one has none.  A thread that wakes
 * while every CPU it may use has a thread and its last CPU has entries
 * left goes to the back of the line anyway: its wakeup waits for the
 * agent's next look (DEFER_WAKEUP with DEFER_BUSY), which comes when a
 * list runs out or a CPU would idle.
 */
#define CFIFO_DL_FLAGS		(GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE | \
				 GHOST_DL_F_RUN_NEW | GHOST_DL_F_QUIET | \
				 GHOST_DL_F_DEFER_WAKEUP | \
				 GHOST_DL_F_DEFER_BUSY)

enum cfifo_task_state {
	CFIFO_BLOCKED,
	CFIFO_QUEUED,
	CFIFO_COMMITTING,
	CFIFO_ONCPU,
};

struct cfifo_task {
	struct gp_list node;	/* in cfifo->rq while CFIFO_QUEUED */
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum cfifo_task_state */
	int cpu;		/* CFIFO_COMMITTING/ONCPU: where */
	int sliced;		/* preempted by us for its slice: to the back */
	__s64 order;
	int listed;		/* entries with its barrier may be listed */
	unsigned int mark;	/* cfifo_publish_cpu(): in this CPU's list */
};

struct cfifo_cpu {
	struct cfifo_task *cur;	/* committing or running here */
	struct cfifo_task *prev;	/* cur before a slice preemption */
	__u64 since;		/* when cur started, ns */
	int served;
	int offline;		/* hotplug took it: run nothing there */
	int idling;		/* an idle commit is pending */
	int out;		/* its list's outstanding entries, last look */
	unsigned int gen;	/* f->gen at the last look */
};

struct cfifo {
	struct gp_tasks tasks;
	struct gp_list rq;
	struct cfifo_cpu *cpu;
	int nr_cpu_ids;
	__u64 slice_ns;
	__s64 back, front;
	int depth;		/* dispatch_depth */
	unsigned int gen;	/* moves with every change of the line */
	unsigned int stamp;	/* of cfifo_publish_cpu() */
	int commits;		/* no dispatch lists: decide by commits */
	int idle_wake;		/* the lists say GHOST_DL_F_IDLE_WAKE */
	__u32 dl_flags;		/* CFIFO_DL_FLAGS and GHOST_DL_AFFINE() */
};

static struct cfifo *cfifo_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct cfifo_cpu *cfifo_cpu(struct cfifo *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids)
		return NULL;
	return &f->cpu[cpu];
}

static struct cfifo_task *cfifo_find(struct ghost_policy_ctx *ctx,
				     __u64 gtid)
{
	return gp_tasks_find(&cfifo_of(ctx)->tasks, gtid);
}

static void cfifo_enqueue(struct ghost_policy_ctx *ctx, struct cfifo_task *t,
			  int front)
{
	struct cfifo *f = cfifo_of(ctx);

	t->order = front ? --f->front : ++f->back;
	gp_list_move(&f->rq, &t->node, front);
	f->gen++;
	t->state = CFIFO_QUEUED;
	t->cpu = -1;
}

/* The first unlisted thread in line that may run on @cpu, taken off it. */
static struct cfifo_task *cfifo_dequeue(struct ghost_policy_ctx *ctx, int cpu)
{
	struct gp_list *rq = &cfifo_of(ctx)->rq, *pos;
	struct cfifo_task *t;

	for (pos = rq->next; pos != rq; pos = pos->next) {
		t = gp_container_of(pos, struct cfifo_task, node);
		if (!t->listed && ghost_policy_task_allowed(ctx, t->gtid, cpu)) {
			gp_list_del(&t->node);
			return t;
		}
	}
	return NULL;
}

/* @t's barrier moves on: its entries, if any, are stale from now on. */
static void cfifo_new_barrier(struct ghost_policy_ctx *ctx,
			      struct cfifo_task *t, __u32 barrier)
{
	t->listed = 0;
	t->barrier = barrier;
	cfifo_of(ctx)->gen++;
}

/* Take @t off the runqueue and its CPU. */
static void cfifo_detach(struct ghost_policy_ctx *ctx, struct cfifo_task *t)
{
	struct cfifo_cpu *c = cfifo_cpu(cfifo_of(ctx), t->cpu);

	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	if (c && c->cur == t)
		c->cur = NULL;
	if (c && c->prev == t)
		c->prev = NULL;
	t->cpu = -1;
}

static void cfifo_forget(struct ghost_policy_ctx *ctx, struct cfifo_task *t)
{
	struct cfifo *f = cfifo_of(ctx);
	int i;

	cfifo_detach(ctx, t);
	f->gen++;
	/* A slice victim is remembered on the CPU it is leaving. */
	for (i = 0; i < f->nr_cpu_ids; i++) {
		if (f->cpu[i].prev == t)
			f->cpu[i].prev = NULL;
	}
	gp_tasks_del(&f->tasks, t->gtid);
}

static struct cfifo_task *cfifo_alloc(struct ghost_policy_ctx *ctx,
				      __u64 gtid, __u32 barrier)
{
	struct cfifo_task *t = gp_tasks_new(ctx, "fifo_centralized",
						&cfifo_of(ctx)->tasks, gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->state = CFIFO_BLOCKED;
	return t;
}

/* The kernel has @t on @cpu: track it there (even the global CPU). */
static void cfifo_set_oncpu(struct ghost_policy_ctx *ctx,
			    struct cfifo_task *t, int cpu)
{
	struct cfifo_cpu *c = cfifo_cpu(cfifo_of(ctx), cpu);

	t->state = CFIFO_ONCPU;
	t->cpu = cpu;
	if (c && !c->cur) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

static void cfifo_task_new(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task_new *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);
	int cpu;

	if (t)
		cfifo_forget(ctx, t);
	t = cfifo_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	if (p->runnable) {
		cfifo_enqueue(ctx, t, 0);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		cfifo_set_oncpu(ctx, t, cpu);
}

static void cfifo_task_wakeup(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task_wakeup *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);

	if (!t)
		return;
	cfifo_new_barrier(ctx, t, m->seqnum);
	cfifo_detach(ctx, t);
	cfifo_enqueue(ctx, t, 0);
}

static void cfifo_task_blocked(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);

	if (!t)
		return;
	cfifo_new_barrier(ctx, t, m->seqnum);
	cfifo_detach(ctx, t);
	t->state = CFIFO_BLOCKED;
	t->sliced = 0;
}

/* Slice expired: to the back; preempted by anything else: the front. */
static void cfifo_task_preempt(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);
	int sliced;

	if (!t)
		return;
	cfifo_new_barrier(ctx, t, m->seqnum);
	sliced = t->sliced;
	t->sliced = 0;
	cfifo_detach(ctx, t);
	cfifo_enqueue(ctx, t, !sliced);
}

static void cfifo_task_yield(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);

	if (!t)
		return;
	cfifo_new_barrier(ctx, t, m->seqnum);
	t->sliced = 0;
	cfifo_detach(ctx, t);
	cfifo_enqueue(ctx, t, 0);
}

static void cfifo_task_gone(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);

	if (t)
		cfifo_forget(ctx, t);
}

/* A message moved @gtid's barrier. */
static void cfifo_set_barrier(struct ghost_policy_ctx *ctx, __u64 gtid,
			     __u32 barrier)
{
	struct cfifo_task *t = cfifo_find(ctx, gtid);

	if (t)
		cfifo_new_barrier(ctx, t, barrier);
}

static void cfifo_task_barrier(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task *p)
{
	cfifo_set_barrier(ctx, p->gtid, m->seqnum);
}

/* FIFO ignores nice; only the barrier moves. */
static void cfifo_task_priority(struct ghost_policy_ctx *ctx,
				const struct ghost_msg *m,
				const struct ghost_msg_task_priority *p)
{
	cfifo_set_barrier(ctx, p->gtid, m->seqnum);
}

/*
 * The module ran @p->gtid from @p->cpu's list (or at its wakeup): it is
 * that CPU's thread now, off the runqueue.  It may be a thread we hold as
 * runnable, one an earlier policy listed (hot swap), or one we do not
 * know at all.
 */
static void cfifo_task_latched(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task *p)
{
	struct cfifo_task *t = cfifo_find(ctx, p->gtid);
	struct cfifo_cpu *c = cfifo_cpu(cfifo_of(ctx), p->cpu);

	if (!t)
		t = cfifo_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	cfifo_new_barrier(ctx, t, m->seqnum);
	cfifo_detach(ctx, t);
	t->sliced = 0;
	t->state = CFIFO_ONCPU;
	t->cpu = p->cpu;
	if (c) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

/* Ask for @t on @cpu, replacing whatever runs there. */
static int cfifo_commit(struct ghost_policy_ctx *ctx, struct cfifo_cpu *c,
			int cpu, struct cfifo_task *t)
{
	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier)) {
		cfifo_enqueue(ctx, t, 1);
		return -1;
	}
	t->state = CFIFO_COMMITTING;
	t->cpu = cpu;
	c->cur = t;
	return 0;
}

/* Threads that used up their slice while others wait make room. */
static void cfifo_slice(struct ghost_policy_ctx *ctx, __u64 now)
{
	struct cfifo *f = cfifo_of(ctx);
	struct cfifo_task *t, *prev;
	struct cfifo_cpu *c;
	int i, cpu;

	for (i = 0; i < ctx->nr_cpus && !gp_list_empty(&f->rq); i++) {
		cpu = ctx->cpus[i];
		c = &f->cpu[cpu];
		prev = c->cur;
		if (!prev || prev->state != CFIFO_ONCPU || c->offline ||
		    now - c->since < f->slice_ns)
			continue;
		t = cfifo_dequeue(ctx, cpu);
		if (!t)
			continue;
		prev->sliced = 1;
		c->prev = prev;
		if (cfifo_commit(ctx, c, cpu, t)) {
			prev->sliced = 0;
			c->prev = NULL;
			c->cur = prev;
		}
	}
}

/*
 * Bring @cpu's list up to the first f->depth threads in line that may run
 * there.  What it holds is read back from the module: a thread it ran
 * from another list, or whose barrier moved, has a stale entry here that
 * no longer counts, and entries the module dropped (rediscovery, hotplug)
 * are gone.  0, or -1 if there are no lists.
 */
static int cfifo_publish_cpu(struct ghost_policy_ctx *ctx, int cpu)
{
	struct ghost_dispatch_entry ent[GHOST_DISPATCH_SLOTS];
	struct cfifo *f = cfifo_of(ctx);
	struct cfifo_cpu *c = &f->cpu[cpu];
	unsigned int stamp = ++f->stamp;
	int k, n, valid = 0, out;
	struct gp_list *pos;
	struct cfifo_task *t;

	out = ghost_policy_dl_outstanding(ctx, cpu);
	if (out < 0)
		return -1;
	/* Nothing taken there and nothing changed in line since. */
	if (out == c->out && f->gen == c->gen)
		return 0;
	n = ghost_policy_dl_entries(ctx, cpu, ent, GHOST_DISPATCH_SLOTS);
	if (n < 0)
		return -1;
	for (k = 0; k < n; k++) {
		t = cfifo_find(ctx, ent[k].gtid);
		if (t && t->state == CFIFO_QUEUED && t->listed &&
		    t->barrier == ent[k].barrier && t->mark != stamp) {
			t->mark = stamp;
			valid++;
		}
	}
	for (pos = f->rq.next; pos != &f->rq && valid < f->depth &&
	     n < GHOST_DISPATCH_SLOTS; pos = pos->next) {
		t = gp_container_of(pos, struct cfifo_task, node);
		if (t->mark == stamp ||
		    !ghost_policy_task_allowed(ctx, t->gtid, cpu))
			continue;
		if (ghost_policy_dl_push(ctx, cpu, t->gtid, t->barrier))
			break;
		t->listed = 1;
		t->mark = stamp;
		valid++;
		n++;
	}
	c->out = ghost_policy_dl_outstanding(ctx, cpu);
	c->gen = f->gen;
	return 0;
}

/*
 * The module has no lists (or lost them for good): decide by commits
 * from now on, none of the line being listed.
 */
static void cfifo_no_lists(struct ghost_policy_ctx *ctx)
{
	struct cfifo *f = cfifo_of(ctx);
	struct gp_list *pos;

	f->commits = 1;
	gp_list_for_each(pos, &f->rq)
		gp_container_of(pos, struct cfifo_task, node)->listed = 0;
}

/* Every CPU's list holds the front of the line.  0, or -1 without lists. */
static int cfifo_publish(struct ghost_policy_ctx *ctx)
{
	struct cfifo *f = cfifo_of(ctx);
	int i, cpu;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		if (!f->cpu[cpu].offline && cfifo_publish_cpu(ctx, cpu))
			return -1;
	}
	return 0;
}

/*
 * IDLE_WAKE on every list while threads wait, off while none do.  It also
 * lets an agent with --idle-sleep sleep while every CPU has a thread: not
 * with a time slice, which it checks on every iteration.
 */
static void cfifo_idle_wake(struct ghost_policy_ctx *ctx)
{
	struct cfifo *f = cfifo_of(ctx);
	int i, on = !gp_list_empty(&f->rq) && !f->slice_ns, err = 0;

	if (on == f->idle_wake)
		return;
	for (i = 0; i < ctx->nr_cpus; i++)
		err |= ghost_policy_dl_set_flags(ctx, ctx->cpus[i],
				f->dl_flags | (on ? GHOST_DL_F_IDLE_WAKE : 0));
	/* On a failure, again at the next round. */
	if (!err)
		f->idle_wake = on;
}

static void cfifo_schedule(struct ghost_policy_ctx *ctx, int unused)
{
	struct cfifo *f = cfifo_of(ctx);
	struct cfifo_cpu *g = cfifo_cpu(f, ctx->global_cpu);
	struct cfifo_task *t;
	int i, cpu;

	if (g)
		gp_clear_global_cpu(ctx, g->cur != NULL, &g->idling);

	if (f->slice_ns)
		cfifo_slice(ctx, ghost_policy_now(ctx));

	if (!f->commits && cfifo_publish(ctx))
		cfifo_no_lists(ctx);
	if (!f->commits) {
		cfifo_idle_wake(ctx);
		return;
	}
	for (i = 0; i < ctx->nr_cpus && !gp_list_empty(&f->rq); i++) {
		cpu = ctx->cpus[i];
		if (f->cpu[cpu].cur || f->cpu[cpu].offline)
			continue;
		t = cfifo_dequeue(ctx, cpu);
		if (!t)
			continue;
		cfifo_commit(ctx, &f->cpu[cpu], cpu, t);
	}
}

static void cfifo_commit_failed(struct ghost_policy_ctx *ctx,
				struct cfifo_task *t, int state)
{
	int where;

	switch (gp_commit_failed(ctx, t->gtid, state, &where)) {
	case GP_FAILED_WAIT:
		t->state = CFIFO_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		cfifo_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		cfifo_enqueue(ctx, t, 1);
		break;
	}
}

static void cfifo_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			      __u64 gtid, int state)
{
	struct cfifo *f = cfifo_of(ctx);
	struct cfifo_cpu *c = cfifo_cpu(f, cpu);
	struct cfifo_task *t;

	if (!c)
		return;
	if (gtid == GHOST_NULL_GTID) {
		/* The thread there gets TASK_PREEMPT and rejoins the line. */
		c->idling = 0;
		if (state == GHOST_TXN_COMPLETE)
			c->cur = NULL;
		return;
	}
	t = cfifo_find(ctx, gtid);
	if (state == GHOST_TXN_COMPLETE) {
		c->prev = NULL;
		if (t && t->state == CFIFO_COMMITTING) {
			t->state = CFIFO_ONCPU;
			c->cur = t;
			c->since = ghost_policy_now(ctx);
		}
		return;
	}
	/* Failed: whatever ran there still does. */
	if (c->cur == t)
		c->cur = NULL;
	if (c->prev) {
		c->prev->sliced = 0;
		c->cur = c->prev;
		c->prev = NULL;
	}
	if (t && t->state == CFIFO_COMMITTING) {
		t->cpu = -1;
		cfifo_commit_failed(ctx, t, state);
	}
}

/*
 * Hotplug took @cpu (@offline) or gave it back: either way the module
 * emptied its list.  Nothing is listed or committed there while it is
 * away; its thread comes back with TASK_PREEMPT and rejoins the line.
 */
static void cfifo_cpu_hotplug(struct ghost_policy_ctx *ctx, int cpu,
			      int offline)
{
	struct cfifo *f = cfifo_of(ctx);
	struct cfifo_cpu *c = cfifo_cpu(f, cpu);

	if (!c)
		return;
	c->offline = offline;
	c->out = -1;		/* look at its list again */
}

GP_DEFINE_CPU_HOTPLUG(cfifo)

/* "ghostctl status --threads": where @gtid waits, and its barrier. */
static int cfifo_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			     char *buf, size_t len)
{
	static const char *const states[] = {
		[CFIFO_BLOCKED]		= "blocked",
		[CFIFO_QUEUED]		= "queued",
		[CFIFO_COMMITTING]	= "committing",
		[CFIFO_ONCPU]		= "oncpu",
	};
	const struct cfifo_task *t = cfifo_find(ctx, gtid);

	if (!t)
		return -ENOENT;
	if (t->state == CFIFO_QUEUED && t->listed)
		return snprintf(buf, len,
				"state=queued barrier=%u queue=global pos=%d listed",
				t->barrier,
				gp_list_pos(&cfifo_of(ctx)->rq, &t->node));
	if (t->state == CFIFO_QUEUED)
		return snprintf(buf, len,
				"state=queued barrier=%u queue=global pos=%d",
				t->barrier,
				gp_list_pos(&cfifo_of(ctx)->rq, &t->node));
	if (t->state == CFIFO_BLOCKED)
		return snprintf(buf, len, "state=blocked barrier=%u",
				t->barrier);
	return snprintf(buf, len, "state=%s barrier=%u cpu=%d",
			states[t->state], t->barrier, t->cpu);
}

static void cfifo_describe(const void *task, struct fifo_state_task *rec)
{
	const struct cfifo_task *t = task;

	fifo_state_fill(rec, t->gtid, t->barrier, t->cpu, t->order,
			t->state == CFIFO_ONCPU, t->state == CFIFO_BLOCKED);
}

static long cfifo_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&cfifo_of(ctx)->tasks.table, buf, len,
				 cfifo_describe);
}

static int cfifo_import_add(struct ghost_policy_ctx *ctx,
			    const struct fifo_state_task *rec)
{
	struct cfifo_task *t = cfifo_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	if (rec->kind == FIFO_STATE_ONCPU)
		cfifo_set_oncpu(ctx, t, rec->cpu);
	return 0;
}

static void cfifo_import_requeue(struct ghost_policy_ctx *ctx,
				 const struct fifo_state_task *rec)
{
	struct cfifo_task *t = cfifo_find(ctx, rec->gtid);

	if (t)
		cfifo_enqueue(ctx, t, 0);
}

/*
 * An entry the previous policy listed is still there and may still run:
 * take it as ours, so that no thread is listed twice or committed while
 * listed.
 */
static void cfifo_adopt_entry(struct ghost_policy_ctx *ctx, int cpu,
			      const struct ghost_dispatch_entry *e)
{
	struct cfifo_task *t = cfifo_find(ctx, e->gtid);

	if (t && t->state == CFIFO_QUEUED && t->barrier == e->barrier)
		t->listed = 1;
}

static int cfifo_import(struct ghost_policy_ctx *ctx, const void *buf,
			size_t len)
{
	int ret = fifo_state_import(ctx, buf, len, cfifo_import_add,
				    cfifo_import_requeue);

	if (!ret)
		gp_dl_for_each_entry(ctx, cfifo_adopt_entry);
	return ret;
}

static int cfifo_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		       unsigned long *slice_us, unsigned long *max,
		       unsigned long *depth, unsigned long *affinity)
{
	static const char *const known[] = {
		"slice_us", "max_tasks", "dispatch_depth", "affinity", NULL
	};
	const char *name = "fifo_centralized";

	if (gp_opts_known(ctx, name, opts, known) ||
	    gp_opt_ulong(ctx, name, opts, "slice_us", 0, CFIFO_MAX_SLICE_US,
			 slice_us) ||
	    gp_opt_ulong(ctx, name, opts, "max_tasks", 1, 1000000, max) ||
	    gp_opt_ulong(ctx, name, opts, "dispatch_depth", 0,
			 GHOST_DISPATCH_SLOTS, depth) ||
	    gp_opt_ulong(ctx, name, opts, "affinity", 0, CFIFO_MAX_AFFINITY,
			 affinity))
		return -EINVAL;
	return 0;
}

static int cfifo_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long slice_us = 0, max = CFIFO_MAX_TASKS, depth = ULONG_MAX;
	unsigned long affinity = CFIFO_AFFINITY;
	struct cfifo *f;
	int i, ret;

	ret = cfifo_parse(ctx, opts, &slice_us, &max, &depth, &affinity);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0) {
		ghost_policy_log(ctx, "fifo_centralized: no CPU to run threads on besides the global one");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->slice_ns = slice_us * 1000;
	if (depth == ULONG_MAX)
		depth = slice_us ? CFIFO_SLICE_DEPTH : CFIFO_DEPTH;
	f->depth = depth;
	f->commits = !depth;
	f->dl_flags = CFIFO_DL_FLAGS | GHOST_DL_AFFINE(affinity);
	ctx->dispatch_flags = depth ? f->dl_flags : 0;
	gp_list_init(&f->rq);
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	if (!f->cpu ||
	    gp_tasks_init(&f->tasks, sizeof(struct cfifo_task), max)) {
		gp_tasks_free(&f->tasks);
		free(f->cpu);
		free(f);
		return -ENOMEM;
	}
	for (i = 0; i < ctx->nr_cpus; i++) {
		if (ctx->cpus[i] >= 0 && ctx->cpus[i] < ctx->nr_cpu_ids)
			f->cpu[ctx->cpus[i]].served = 1;
	}
	ctx->priv = f;
	return 0;
}

static void cfifo_fini(struct ghost_policy_ctx *ctx)
{
	struct cfifo *f = cfifo_of(ctx);

	if (!f)
		return;
	gp_tasks_free(&f->tasks);
	free(f->cpu);
	free(f);
	ctx->priv = NULL;
}

GHOST_POLICY_DEFINE(fifo_centralized,
	.model			= GHOST_POLICY_CENTRALIZED,
	.state_format		= FIFO_STATE_FORMAT,
	.dispatch_flags		= CFIFO_DL_FLAGS,
	.help			= "slice_us=N   preempt a thread after N us while others wait (0: never)\n"
				  "max_tasks=N  threads tracked at most (8192)\n"
				  "dispatch_depth=N  front of the line listed on every CPU (4, 1 with a slice; 0: commits only)\n"
				  "affinity=N   a CPU runs a listed thread that ran there last first, passing none more than N times (0: line order, the default)\n",
	.init			= cfifo_init,
	.fini			= cfifo_fini,
	.task_new		= cfifo_task_new,
	.task_wakeup		= cfifo_task_wakeup,
	.task_blocked		= cfifo_task_blocked,
	.task_preempt		= cfifo_task_preempt,
	.task_yield		= cfifo_task_yield,
	.task_dead		= cfifo_task_gone,
	.task_departed		= cfifo_task_gone,
	.task_affinity_changed	= cfifo_task_barrier,
	.cpu_offline		= cfifo_cpu_offline,
	.cpu_online		= cfifo_cpu_online,
	.task_on_cpu		= cfifo_task_barrier,
	.task_priority_changed	= cfifo_task_priority,
	.task_latched		= cfifo_task_latched,
	.schedule		= cfifo_schedule,
	.commit_done		= cfifo_commit_done,
	.export_state		= cfifo_export,
	.import_state		= cfifo_import,
	.describe		= cfifo_describe_op);
