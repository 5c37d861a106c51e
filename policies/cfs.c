// SPDX-License-Identifier: GPL-2.0
/*
 * cfs: ghOSt's CFS-like policy, per-CPU run queues ordered by vruntime.
 *
 * Every enclave CPU has a run queue, a binary heap ordered by virtual
 * runtime (ties in arrival order), and one agent thread
 * (GHOST_POLICY_PER_CPU).  A thread's vruntime grows by the time it runs
 * times 1024 / its weight, the weight being the kernel's
 * sched_prio_to_weight[] entry of its nice value (1024 for nice 0; nice
 * comes with TASK_NEW and TASK_PRIORITY_CHANGED), so that over time
 * threads on a CPU share it in proportion to their weights.  Time is
 * measured with ghost_policy_now() while the thread holds its CPU,
 * charged on every round and whenever it leaves.
 *
 * Each CPU runs the thread with the least vruntime for a slice of
 * latency_us * its weight / the weight of everything on that CPU, but
 * never less than min_granularity_us; then, if another thread waits with
 * less vruntime, that one is committed to the CPU, which preempts the
 * first (it waits in the queue again).  A thread that has run at least
 * min_granularity_us and is a whole slice of vruntime ahead of the
 * leftmost waiting one is preempted too (the kernel's check_preempt_tick).
 * No thread is ever preempted by this policy before min_granularity_us.
 * The check runs on every round of the agent: the policy asks for the
 * kernel's timer ticks (GHOST_POLICY_F_TICKS), whose CPU_TICK messages
 * wake the agent of each CPU, so a CPU-bound thread is checked at least
 * once a tick.
 *
 * A thread that wakes up (or is new) is placed at
 * max(its vruntime, the queue's min_vruntime - latency_us / 2): a
 * sleeper gets at most half a target latency of credit, so it runs soon
 * but cannot starve those that kept running.  A new thread starts at
 * min_vruntime.  A yielding thread goes behind the leftmost waiting one.
 * A thread that moves between queues keeps its distance to min_vruntime.
 *
 * Placement.  A waking thread goes back to the CPU it last ran on if it
 * may run there and that CPU is online; otherwise (and a new thread) to
 * the least loaded CPU it may use: fewest threads, then least weight,
 * ties round-robin.  Load balancing: a CPU with nothing to run pulls a
 * waiting thread from the busiest queue (one with a thread running or
 * committed there and another waiting), and every 4 ms the busiest
 * queue gives threads to the idlest while they differ by two threads or
 * more.  A thread only ever goes to a CPU its affinity allows
 * (ghost_policy_task_allowed()); one that may run on no online CPU of
 * the enclave waits aside until its affinity changes or a CPU comes back.
 *
 * CPU hotplug (as fifo_per_cpu): a CPU that goes offline hands its
 * waiting threads to the others and gets none until it is back; its
 * running thread comes back with TASK_PREEMPT and goes the same way.
 *
 * Decisions are commits: a CFS queue reorders, so dispatch lists would
 * promise a CPU a thread that may not be the leftmost by the time it
 * runs.  Each CPU has at most one commit in flight; its outcome
 * (commit_done) makes the thread the CPU's current one, or puts it back
 * in line (a dead thread is forgotten at its TASK_DEAD).
 *
 * Hot swap: state_format "ghost-cfs-v1" hands every thread over with its
 * nice value, its queue and its vruntime relative to that queue's
 * min_vruntime.  Other policies (fifo_per_cpu, fifo_centralized) have
 * another format: a swap from or to them rediscovers the threads.
 *
 * When it is good: a mix of CPU-bound threads with different nice values,
 * or many more runnable threads than CPUs, where FIFO order would let one
 * thread hold a CPU until it blocks.
 *
 * Known problems: every decision costs an agent round trip (no dispatch
 * list); the timer ticks wake every CPU's agent, busy or not; load is
 * balanced by thread count, not by weight, and without regard to NUMA or
 * caches; a slice cannot be shorter than the time between two rounds,
 * which with nothing else happening is one timer tick (4 ms at HZ=250).
 *
 * Options: min_granularity_us=N (750), latency_us=N (6000, at least
 * min_granularity_us), max_tasks=N (8192).
 */
#include <errno.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "cfs_state.h"

#define CFS_MAX_TASKS		8192
#define CFS_MIN_GRAN_US		750
#define CFS_LATENCY_US		6000
#define CFS_MAX_GRAN_US		1000000UL	/* 1 s */
#define CFS_MAX_LATENCY_US	10000000UL	/* 10 s */
#define CFS_NICE_0_WEIGHT	1024
#define CFS_BALANCE_NS		4000000ULL

/* The kernel's sched_prio_to_weight[], nice -20 to 19. */
static const __u32 cfs_prio_to_weight[40] = {
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */  9548,  7620,  6100,  4904,  3906,
	/*  -5 */  3121,  2501,  1991,  1586,  1277,
	/*   0 */  1024,   820,   655,   526,   423,
	/*   5 */   335,   272,   215,   172,   137,
	/*  10 */   110,    87,    70,    56,    45,
	/*  15 */    36,    29,    23,    18,    15,
};

enum cfs_task_state {
	CFS_BLOCKED,
	CFS_QUEUED,		/* in its CPU's run queue */
	CFS_COMMITTING,		/* asked to run on its CPU, outcome not known */
	CFS_ONCPU,
	CFS_STRANDED,		/* runnable, but no online CPU it may run on */
};

struct cfs_task {
	struct gp_list node;	/* on cfs->stranded while CFS_STRANDED */
	__u64 gtid;
	__u32 barrier;		/* seqnum of the last message */
	int state;		/* enum cfs_task_state */
	int cpu;		/* its queue while queued, committed or on
				 * a CPU; else -1 */
	int last_cpu;		/* where it last ran, or -1 */
	int vcpu;		/* the queue its vruntime is measured on */
	int hidx;		/* its place in the heap while CFS_QUEUED */
	int nice;
	__u32 weight;
	__u64 vruntime;
	__u64 seq;		/* arrival order, among equal vruntimes */
	__u64 exec_start;	/* charged up to here; 0 when not running */
	__u64 slice_start;	/* when it got its CPU (or a new slice) */
};

struct cfs_rq {
	struct cfs_task **heap;	/* the waiting threads, leftmost first */
	int nr_queued;
	int nr;			/* threads queued, committed or running here */
	__u64 load;		/* the weight of those */
	__u64 min_vruntime;	/* never decreases */
	struct cfs_task *cur;	/* running here */
	struct cfs_task *next;	/* committed here, outcome not known yet */
	int served;
	int offline;		/* hotplug took it: run nothing there */
};

struct cfs {
	struct gp_tasks tasks;
	struct gp_list stranded;
	struct cfs_rq *rq;	/* by CPU number */
	int nr_cpu_ids;
	int rr;			/* next index into ctx->cpus, for ties */
	__u64 seq;
	__u64 min_gran_ns;
	__u64 latency_ns;
	__u64 credit_ns;	/* a sleeper's credit: half the latency */
	__u64 last_balance;
};

static struct cfs *cfs_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct cfs_rq *cfs_rq(struct cfs *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids || !f->rq[cpu].served)
		return NULL;
	return &f->rq[cpu];
}

static struct cfs_task *cfs_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&cfs_of(ctx)->tasks, gtid);
}

/* vruntimes wrap: compare their difference. */
static int cfs_vless(__u64 a, __u64 b)
{
	return (__s64)(a - b) < 0;
}

static __u64 cfs_vmax(__u64 a, __u64 b)
{
	return cfs_vless(a, b) ? b : a;
}

static __u32 cfs_weight(int nice)
{
	return cfs_prio_to_weight[nice + 20];
}

/* ------------------------------------------------------------------ */
/* The run queue: a binary heap of the waiting threads                */
/* ------------------------------------------------------------------ */

static int cfs_before(const struct cfs_task *a, const struct cfs_task *b)
{
	if (a->vruntime != b->vruntime)
		return cfs_vless(a->vruntime, b->vruntime);
	return a->seq < b->seq;
}

static void cfs_heap_set(struct cfs_rq *rq, int i, struct cfs_task *t)
{
	rq->heap[i] = t;
	t->hidx = i;
}

static void cfs_sift_up(struct cfs_rq *rq, int i)
{
	struct cfs_task *t = rq->heap[i];
	int parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!cfs_before(t, rq->heap[parent]))
			break;
		cfs_heap_set(rq, i, rq->heap[parent]);
		i = parent;
	}
	cfs_heap_set(rq, i, t);
}

static void cfs_sift_down(struct cfs_rq *rq, int i)
{
	struct cfs_task *t = rq->heap[i];
	int child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= rq->nr_queued)
			break;
		if (child + 1 < rq->nr_queued &&
		    cfs_before(rq->heap[child + 1], rq->heap[child]))
			child++;
		if (!cfs_before(rq->heap[child], t))
			break;
		cfs_heap_set(rq, i, rq->heap[child]);
		i = child;
	}
	cfs_heap_set(rq, i, t);
}

static void cfs_heap_add(struct cfs_rq *rq, struct cfs_task *t)
{
	cfs_heap_set(rq, rq->nr_queued++, t);
	cfs_sift_up(rq, t->hidx);
}

static void cfs_heap_del(struct cfs_rq *rq, struct cfs_task *t)
{
	int i = t->hidx;
	struct cfs_task *last = rq->heap[--rq->nr_queued];

	t->hidx = -1;
	if (last == t)
		return;
	cfs_heap_set(rq, i, last);
	cfs_sift_down(rq, i);
	cfs_sift_up(rq, last->hidx);
}

static struct cfs_task *cfs_leftmost(const struct cfs_rq *rq)
{
	return rq->nr_queued ? rq->heap[0] : NULL;
}

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* Charge @t, on a CPU, its time since it was last charged. */
static void cfs_charge(struct cfs_task *t, __u64 now)
{
	if (!t->exec_start)
		return;
	if (now > t->exec_start)
		t->vruntime += (now - t->exec_start) * CFS_NICE_0_WEIGHT /
			       t->weight;
	t->exec_start = now;
}

/* min_vruntime follows the least vruntime of the queue, never back. */
static void cfs_update_min(struct cfs_rq *rq)
{
	struct cfs_task *first = cfs_leftmost(rq);
	struct cfs_task *on = rq->next ? rq->next : rq->cur;
	__u64 v;

	if (on)
		v = first && cfs_vless(first->vruntime, on->vruntime) ?
		    first->vruntime : on->vruntime;
	else if (first)
		v = first->vruntime;
	else
		return;
	rq->min_vruntime = cfs_vmax(rq->min_vruntime, v);
}

/*
 * Charge what runs on @rq, and move min_vruntime.  A thread committed
 * there is charged once its commit is known to be done.
 */
static void cfs_update_curr(struct cfs_rq *rq, __u64 now)
{
	if (rq->cur && rq->cur->state == CFS_ONCPU)
		cfs_charge(rq->cur, now);
	cfs_update_min(rq);
}

/* max(min_granularity, latency * weight / weight of the queue). */
static __u64 cfs_slice(struct cfs *f, const struct cfs_rq *rq,
		       const struct cfs_task *t)
{
	__u64 load = rq->load ? rq->load : t->weight;
	__u64 slice = f->latency_ns * t->weight / load;

	return slice < f->min_gran_ns ? f->min_gran_ns : slice;
}

/* ------------------------------------------------------------------ */
/* Which queue a thread is in                                          */
/* ------------------------------------------------------------------ */

static void cfs_attach(struct cfs *f, struct cfs_task *t, int cpu)
{
	struct cfs_rq *rq = cfs_rq(f, cpu);

	t->cpu = rq ? cpu : -1;
	if (!rq)
		return;
	rq->nr++;
	rq->load += t->weight;
}

/*
 * Take @t out of wherever it is: its queue's heap, its CPU (charging the
 * time it ran there), the stranded list.  Its state is the caller's to
 * set next.
 */
static void cfs_unlink(struct ghost_policy_ctx *ctx, struct cfs_task *t)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq = cfs_rq(f, t->cpu);

	if (t->exec_start)
		cfs_charge(t, ghost_policy_now(ctx));
	t->exec_start = 0;
	if (t->state == CFS_STRANDED)
		gp_list_del(&t->node);
	if (rq) {
		if (t->state == CFS_QUEUED && t->hidx >= 0)
			cfs_heap_del(rq, t);
		if (rq->cur == t)
			rq->cur = NULL;
		if (rq->next == t)
			rq->next = NULL;
		rq->nr--;
		rq->load -= t->weight;
	}
	t->cpu = -1;
	t->state = CFS_BLOCKED;
}

/* Its vruntime, measured on queue @cpu from now on. */
static void cfs_rebase(struct cfs *f, struct cfs_task *t, int cpu)
{
	struct cfs_rq *from = cfs_rq(f, t->vcpu), *to = cfs_rq(f, cpu);

	if (!to || t->vcpu == cpu)
		return;
	if (from)
		t->vruntime = t->vruntime - from->min_vruntime +
			      to->min_vruntime;
	else
		t->vruntime = to->min_vruntime;	/* new here */
	t->vcpu = cpu;
}

/* In line on @cpu's queue (served); @t is unlinked. */
static void cfs_queue(struct cfs *f, struct cfs_task *t, int cpu)
{
	cfs_rebase(f, t, cpu);
	cfs_attach(f, t, cpu);
	t->state = CFS_QUEUED;
	t->seq = ++f->seq;
	cfs_heap_add(&f->rq[cpu], t);
}

/* A thread the kernel says is on @cpu: that CPU's current one. */
static void cfs_set_oncpu(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			  int cpu)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq = cfs_rq(f, cpu);
	__u64 now = ghost_policy_now(ctx);

	if (rq)
		cfs_rebase(f, t, cpu);
	cfs_attach(f, t, cpu);
	t->state = CFS_ONCPU;
	t->last_cpu = cpu;
	t->exec_start = now;
	t->slice_start = now;
	if (rq && !rq->cur)
		rq->cur = t;
}

/* May @t wait for @cpu: served, online, allowed by its affinity? */
static int cfs_usable(struct ghost_policy_ctx *ctx, struct cfs_task *t,
		      int cpu)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), cpu);

	return rq && !rq->offline &&
	       ghost_policy_task_allowed(ctx, t->gtid, cpu);
}

/*
 * The least loaded CPU @t may use: fewest threads, then least weight;
 * among equals the first from the round-robin position, which moves on.
 * -1 if there is none.
 */
static int cfs_least_loaded(struct ghost_policy_ctx *ctx, struct cfs_task *t)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq, *best = NULL;
	int i, idx, cpu, best_idx = -1;

	for (i = 0; i < ctx->nr_cpus; i++) {
		idx = (f->rr + i) % ctx->nr_cpus;
		cpu = ctx->cpus[idx];
		if (!cfs_usable(ctx, t, cpu))
			continue;
		rq = &f->rq[cpu];
		if (best && (rq->nr > best->nr ||
			     (rq->nr == best->nr && rq->load >= best->load)))
			continue;
		best = rq;
		best_idx = idx;
	}
	if (best_idx < 0)
		return -1;
	f->rr = (best_idx + 1) % ctx->nr_cpus;
	return ctx->cpus[best_idx];
}

/* @want if @t may wait there, else the least loaded CPU it may use. */
static int cfs_pick_cpu(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			int want)
{
	return cfs_usable(ctx, t, want) ? want : cfs_least_loaded(ctx, t);
}

static void cfs_strand(struct cfs *f, struct cfs_task *t)
{
	t->state = CFS_STRANDED;
	gp_list_add_tail(&f->stranded, &t->node);
}

/* Runnable again, as it was (preempted, or its commit failed). */
static void cfs_requeue(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			int want)
{
	struct cfs *f = cfs_of(ctx);
	int cpu = cfs_pick_cpu(ctx, t, want);

	if (cpu < 0)
		cfs_strand(f, t);
	else
		cfs_queue(f, t, cpu);
}

/*
 * Woken up, or new: back to where it last ran if it may, with at most
 * a sleeper's credit below the queue's min_vruntime.
 */
static void cfs_wake(struct ghost_policy_ctx *ctx, struct cfs_task *t)
{
	struct cfs *f = cfs_of(ctx);
	int cpu = cfs_pick_cpu(ctx, t, t->last_cpu);
	struct cfs_rq *rq;

	if (cpu < 0) {
		cfs_strand(f, t);
		return;
	}
	rq = &f->rq[cpu];
	cfs_update_curr(rq, ghost_policy_now(ctx));
	cfs_rebase(f, t, cpu);
	t->vruntime = cfs_vmax(t->vruntime, rq->min_vruntime - f->credit_ns);
	cfs_queue(f, t, cpu);
}

/* Those waiting aside try again: a CPU or an affinity changed. */
static void cfs_unstrand(struct ghost_policy_ctx *ctx)
{
	struct cfs *f = cfs_of(ctx);
	struct gp_list todo, *n;
	struct cfs_task *t;

	if (gp_list_empty(&f->stranded))
		return;
	gp_list_init(&todo);
	/* Move the whole list over: a thread may be stranded again. */
	todo.next = f->stranded.next;
	todo.prev = f->stranded.prev;
	todo.next->prev = &todo;
	todo.prev->next = &todo;
	gp_list_init(&f->stranded);
	while ((n = gp_list_first(&todo))) {
		t = gp_container_of(n, struct cfs_task, node);
		gp_list_del(n);
		t->state = CFS_BLOCKED;
		cfs_wake(ctx, t);
	}
}

/* ------------------------------------------------------------------ */
/* Load balancing                                                      */
/* ------------------------------------------------------------------ */

/*
 * A waiting thread of @src that may run on @dst: the last in heap order
 * that may (the leaves: those that would wait longest), or NULL.
 */
static struct cfs_task *cfs_candidate(struct ghost_policy_ctx *ctx,
				      struct cfs_rq *src, int dst)
{
	int i;

	for (i = src->nr_queued - 1; i >= 0; i--) {
		if (ghost_policy_task_allowed(ctx, src->heap[i]->gtid, dst))
			return src->heap[i];
	}
	return NULL;
}

static void cfs_migrate(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			int dst)
{
	cfs_unlink(ctx, t);
	cfs_queue(cfs_of(ctx), t, dst);
}

/*
 * @dst has nothing to run: take a thread from the busiest queue that has
 * one to spare (one that waits while another runs or is committed there,
 * or one of two waiting).
 */
static void cfs_pull(struct ghost_policy_ctx *ctx, int dst)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_task *t, *take = NULL;
	struct cfs_rq *rq;
	int i, cpu, best = 1;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		rq = &f->rq[cpu];
		if (cpu == dst || rq->offline || rq->nr <= best ||
		    !rq->nr_queued)
			continue;
		t = cfs_candidate(ctx, rq, dst);
		if (!t)
			continue;
		take = t;
		best = rq->nr;
	}
	if (take)
		cfs_migrate(ctx, take, dst);
}

/* The busiest queue gives the idlest threads until they are even. */
static void cfs_balance(struct ghost_policy_ctx *ctx)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq, *busy, *idle;
	int i, k, cpu, idle_cpu = -1;
	struct cfs_task *t;

	for (k = 0; k < ctx->nr_cpus; k++) {
		busy = idle = NULL;
		for (i = 0; i < ctx->nr_cpus; i++) {
			cpu = ctx->cpus[i];
			rq = &f->rq[cpu];
			if (rq->offline)
				continue;
			if (!busy || rq->nr > busy->nr)
				busy = rq;
			if (!idle || rq->nr < idle->nr) {
				idle = rq;
				idle_cpu = cpu;
			}
		}
		if (!busy || busy->nr - idle->nr < 2)
			return;
		t = cfs_candidate(ctx, busy, idle_cpu);
		if (!t)
			return;
		cfs_migrate(ctx, t, idle_cpu);
	}
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void cfs_set_nice(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			 int nice)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), t->cpu);

	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	/* What it ran so far counts at its old weight. */
	if (t->exec_start)
		cfs_charge(t, ghost_policy_now(ctx));
	if (rq)
		rq->load -= t->weight;
	t->nice = nice;
	t->weight = cfs_weight(nice);
	if (rq)
		rq->load += t->weight;
}

static struct cfs_task *cfs_alloc(struct ghost_policy_ctx *ctx, __u64 gtid,
				  __u32 barrier)
{
	struct cfs_task *t = gp_tasks_new(ctx, "cfs", &cfs_of(ctx)->tasks,
					  gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->state = CFS_BLOCKED;
	t->cpu = -1;
	t->last_cpu = -1;
	t->vcpu = -1;
	t->hidx = -1;
	t->weight = cfs_weight(0);
	return t;
}

static void cfs_forget(struct ghost_policy_ctx *ctx, struct cfs_task *t)
{
	struct cfs *f = cfs_of(ctx);

	cfs_unlink(ctx, t);
	gp_tasks_del(&f->tasks, t->gtid);
}

/* A message moved @t's barrier: the known thread, or NULL. */
static struct cfs_task *cfs_news(struct ghost_policy_ctx *ctx, __u64 gtid,
				 __u32 barrier)
{
	struct cfs_task *t = cfs_find(ctx, gtid);

	if (t)
		t->barrier = barrier;
	return t;
}

static void cfs_task_new(struct ghost_policy_ctx *ctx,
			 const struct ghost_msg *m,
			 const struct ghost_msg_task_new *p)
{
	struct cfs_task *t = cfs_find(ctx, p->gtid);
	int cpu;

	/* Discovery again: start over from what the kernel says now. */
	if (t)
		cfs_unlink(ctx, t);
	else
		t = cfs_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	t->barrier = m->seqnum;
	cfs_set_nice(ctx, t, p->nice);
	if (p->runnable) {
		cfs_wake(ctx, t);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		cfs_set_oncpu(ctx, t, cpu);
}

static void cfs_task_wakeup(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_wakeup *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);

	if (!t)
		return;
	/* Where it last ran, if it never ran under this instance. */
	if (t->last_cpu < 0)
		t->last_cpu = p->last_ran_cpu;
	cfs_unlink(ctx, t);
	cfs_wake(ctx, t);
}

static void cfs_task_blocked(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);

	if (t)
		cfs_unlink(ctx, t);
}

/* Lost its CPU: back in line with the vruntime it has. */
static void cfs_task_preempt(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);
	int want;

	if (!t)
		return;
	want = t->cpu >= 0 ? t->cpu : t->last_cpu;
	cfs_unlink(ctx, t);
	cfs_requeue(ctx, t, want);
}

/* Gave its CPU up: behind the leftmost thread waiting there. */
static void cfs_task_yield(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);
	struct cfs *f = cfs_of(ctx);
	struct cfs_task *first;
	int cpu;

	if (!t)
		return;
	cpu = cfs_pick_cpu(ctx, t, t->cpu >= 0 ? t->cpu : t->last_cpu);
	cfs_unlink(ctx, t);
	if (cpu < 0) {
		cfs_strand(f, t);
		return;
	}
	cfs_rebase(f, t, cpu);
	first = cfs_leftmost(&f->rq[cpu]);
	if (first)
		t->vruntime = cfs_vmax(t->vruntime, first->vruntime);
	cfs_queue(f, t, cpu);
}

static void cfs_task_gone(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_find(ctx, p->gtid);

	if (t)
		cfs_forget(ctx, t);
}

/*
 * Its affinity changed (the runtime knows the new CPUs already): a
 * thread waiting for a CPU it may no longer use moves to one it may, and
 * one that had none may have one now.  One on a CPU it may no longer use
 * comes back with TASK_PREEMPT.
 */
static void cfs_task_affinity(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);
	int want;

	if (!t)
		return;
	if (t->state == CFS_QUEUED && !cfs_usable(ctx, t, t->cpu)) {
		want = t->cpu;
		cfs_unlink(ctx, t);
		cfs_requeue(ctx, t, want);
	} else if (t->state == CFS_STRANDED) {
		cfs_unlink(ctx, t);
		cfs_requeue(ctx, t, t->last_cpu);
	}
}

static void cfs_task_priority(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task_priority *p)
{
	struct cfs_task *t = cfs_news(ctx, p->gtid, m->seqnum);

	if (t)
		cfs_set_nice(ctx, t, p->nice);
}

static void cfs_task_barrier(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	cfs_news(ctx, p->gtid, m->seqnum);
}

/*
 * The module ran @p->gtid from @p->cpu's dispatch list.  This policy
 * lists nothing, but a previous one may have (its entries outlive a
 * swap within one agent): the thread is that CPU's now.
 */
static void cfs_task_latched(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct cfs_task *t = cfs_find(ctx, p->gtid);

	if (!t)
		t = cfs_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	t->barrier = m->seqnum;
	cfs_unlink(ctx, t);
	cfs_set_oncpu(ctx, t, p->cpu);
}

/* A timer tick: charge the CPU's thread (tick() does the rest). */
static void cfs_cpu_tick(struct ghost_policy_ctx *ctx,
			 const struct ghost_msg *m,
			 const struct ghost_msg_cpu *p)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), p->cpu);

	if (rq)
		cfs_update_curr(rq, ghost_policy_now(ctx));
}

/*
 * Hotplug took @p->cpu: its waiting threads go to the other CPUs, its
 * running one comes back with TASK_PREEMPT and goes the same way, a
 * commit in flight fails (GHOST_TXN_CPU_UNAVAIL) and is retried
 * elsewhere.
 */
static void cfs_cpu_offline(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_cpu *p)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), p->cpu);
	struct cfs_task *t;

	if (!rq || rq->offline)
		return;
	rq->offline = 1;
	while ((t = cfs_leftmost(rq))) {
		cfs_unlink(ctx, t);
		cfs_requeue(ctx, t, -1);
	}
}

/* Back: idle, it pulls work at once; stranded threads may use it. */
static void cfs_cpu_online(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_cpu *p)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), p->cpu);

	if (!rq || !rq->offline)
		return;
	rq->offline = 0;
	cfs_unstrand(ctx);
}

/* ------------------------------------------------------------------ */
/* Decisions                                                           */
/* ------------------------------------------------------------------ */

/*
 * Should @rq's running thread give way to the leftmost waiting one?
 * Once its slice is used up, if that one has no more vruntime (else a
 * new slice begins); or, after min_granularity, if it is a whole slice of
 * vruntime ahead.
 */
static int cfs_preempt_due(struct cfs *f, struct cfs_rq *rq, __u64 now)
{
	struct cfs_task *cur = rq->cur, *first = cfs_leftmost(rq);
	__u64 ran, ideal;

	if (!first || cur->state != CFS_ONCPU)
		return 0;
	cfs_update_curr(rq, now);
	ran = now - cur->slice_start;
	ideal = cfs_slice(f, rq, cur);
	if (ran >= ideal) {
		/* As the kernel's tree: the one waiting wins a tie. */
		if (!cfs_vless(cur->vruntime, first->vruntime))
			return 1;
		cur->slice_start = now;
		return 0;
	}
	return ran >= f->min_gran_ns &&
	       (__s64)(cur->vruntime - first->vruntime) > (__s64)ideal;
}

/*
 * The leftmost thread waiting on @cpu that may run there.  One the
 * runtime has learnt may not (a refused commit of another) moves.
 */
static struct cfs_task *cfs_first(struct ghost_policy_ctx *ctx,
				  struct cfs_rq *rq, int cpu)
{
	struct cfs_task *t;

	while ((t = cfs_leftmost(rq))) {
		if (ghost_policy_task_allowed(ctx, t->gtid, cpu))
			return t;
		cfs_unlink(ctx, t);
		cfs_requeue(ctx, t, -1);
	}
	return NULL;
}

/*
 * Commit @t to @cpu; the thread running there (if any) is charged up to
 * now and, once the commit is done, waits in line again.
 */
static void cfs_commit(struct ghost_policy_ctx *ctx, struct cfs_rq *rq,
		       struct cfs_task *t, int cpu, __u64 now)
{
	cfs_heap_del(rq, t);
	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier)) {
		cfs_heap_add(rq, t);
		return;
	}
	if (rq->cur && rq->cur->state == CFS_ONCPU)
		cfs_charge(rq->cur, now);
	t->state = CFS_COMMITTING;
	t->exec_start = now;
	t->slice_start = now;
	rq->next = t;
	cfs_update_min(rq);
}

static void cfs_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq = cfs_rq(f, cpu);
	struct cfs_task *t;
	__u64 now;

	if (!rq || rq->offline || rq->next)
		return;
	now = ghost_policy_now(ctx);
	if (!rq->cur) {
		if (!rq->nr_queued)
			cfs_pull(ctx, cpu);
	} else if (!cfs_preempt_due(f, rq, now)) {
		return;
	}
	t = cfs_first(ctx, rq, cpu);
	if (t)
		cfs_commit(ctx, rq, t, cpu, now);
}

/* A commit took @t's CPU: charged up to the decision, it waits again. */
static void cfs_displace(struct ghost_policy_ctx *ctx, struct cfs_task *t,
			 int cpu)
{
	t->exec_start = 0;
	cfs_unlink(ctx, t);
	cfs_requeue(ctx, t, cpu);
}

static void cfs_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			    __u64 gtid, int state)
{
	struct cfs_rq *rq = cfs_rq(cfs_of(ctx), cpu);
	struct cfs_task *t = cfs_find(ctx, gtid);
	int where;

	/* Gone, or a message about it came first and said where it is. */
	if (!rq || !t || rq->next != t)
		return;
	rq->next = NULL;
	if (state == GHOST_TXN_COMPLETE) {
		if (rq->cur && rq->cur != t)
			cfs_displace(ctx, rq->cur, cpu);
		rq->cur = t;
		t->state = CFS_ONCPU;
		t->last_cpu = cpu;
		cfs_update_min(rq);
		return;
	}
	/* It did not run. */
	t->exec_start = 0;
	cfs_unlink(ctx, t);
	switch (gp_commit_failed(ctx, gtid, state, &where)) {
	case GP_FAILED_WAIT:
		break;		/* blocked, as cfs_unlink() left it */
	case GP_FAILED_ONCPU:
		cfs_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		/* Where it may run now, the runtime knows. */
		cfs_requeue(ctx, t, cpu);
		break;
	}
}

/* Every round: charge the running threads, balance now and then. */
static void cfs_tick(struct ghost_policy_ctx *ctx, __u64 now)
{
	struct cfs *f = cfs_of(ctx);
	int i;

	for (i = 0; i < ctx->nr_cpus; i++)
		cfs_update_curr(&f->rq[ctx->cpus[i]], now);
	if (now - f->last_balance < CFS_BALANCE_NS)
		return;
	f->last_balance = now;
	cfs_balance(ctx);
}

/* ------------------------------------------------------------------ */
/* Hot swap                                                            */
/* ------------------------------------------------------------------ */

/*
 * "ghostctl status --threads": the run queue @gtid waits in, its rank
 * there (by vruntime, as it will be picked), nice, weight and lag.
 */
static int cfs_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			   char *buf, size_t len)
{
	static const char *const states[] = {
		[CFS_BLOCKED]		= "blocked",
		[CFS_QUEUED]		= "queued",
		[CFS_COMMITTING]	= "committing",
		[CFS_ONCPU]		= "oncpu",
		[CFS_STRANDED]		= "stranded",
	};
	struct cfs *f = cfs_of(ctx);
	const struct cfs_task *t = cfs_find(ctx, gtid);
	const struct cfs_rq *rq;
	__s64 lag;
	int i, pos = 0;

	if (!t)
		return -ENOENT;
	rq = cfs_rq(f, t->vcpu);
	lag = rq ? (__s64)(t->vruntime - rq->min_vruntime) : 0;
	if (t->state == CFS_QUEUED && (rq = cfs_rq(f, t->cpu))) {
		for (i = 0; i < rq->nr_queued; i++)
			pos += cfs_before(rq->heap[i], t);
		return snprintf(buf, len,
				"state=queued barrier=%u queue=cpu%d pos=%d nice=%d weight=%u vruntime_lag_ns=%lld",
				t->barrier, t->cpu, pos, t->nice, t->weight,
				(long long)lag);
	}
	return snprintf(buf, len,
			"state=%s barrier=%u cpu=%d nice=%d weight=%u vruntime_lag_ns=%lld",
			states[t->state], t->barrier, t->cpu, t->nice,
			t->weight, (long long)lag);
}

static void cfs_describe(struct cfs *f, const struct cfs_task *t,
			 struct cfs_state_task *rec)
{
	const struct cfs_rq *rq = cfs_rq(f, t->vcpu);

	memset(rec, 0, sizeof(*rec));
	rec->gtid = t->gtid;
	rec->barrier = t->barrier;
	rec->nice = t->nice;
	rec->lag = rq ? (__s64)(t->vruntime - rq->min_vruntime) : 0;
	switch (t->state) {
	case CFS_ONCPU:
		rec->kind = CFS_STATE_ONCPU;
		rec->cpu = t->cpu >= 0 ? t->cpu : t->last_cpu;
		break;
	case CFS_BLOCKED:
		rec->kind = CFS_STATE_BLOCKED;
		rec->cpu = t->last_cpu;
		break;
	default:
		rec->kind = CFS_STATE_QUEUED;
		rec->cpu = t->cpu >= 0 ? t->cpu : t->last_cpu;
		break;
	}
}

static long cfs_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_state_hdr *h = buf;
	struct cfs_state_task *out;
	unsigned long need = cfs_state_size(f->tasks.table.nr);
	__u64 now = ghost_policy_now(ctx);
	unsigned int i, n = 0;
	int k;

	if (len < need)
		return need;
	for (k = 0; k < ctx->nr_cpus; k++)
		cfs_update_curr(&f->rq[ctx->cpus[k]], now);
	out = (struct cfs_state_task *)(h + 1);
	for (i = 0; i <= f->tasks.table.mask; i++) {
		if (f->tasks.table.slots[i].key)
			cfs_describe(f, f->tasks.table.slots[i].val, &out[n++]);
	}
	memset(h, 0, sizeof(*h));
	h->magic = CFS_STATE_MAGIC;
	h->nr_tasks = n;
	h->rec_size = sizeof(*out);
	return cfs_state_size(n);
}

static void cfs_import_one(struct ghost_policy_ctx *ctx,
			   const struct cfs_state_task *rec)
{
	struct cfs *f = cfs_of(ctx);
	struct cfs_rq *rq = cfs_rq(f, rec->cpu);
	struct cfs_task *t;

	if (cfs_find(ctx, rec->gtid))
		return;
	t = cfs_alloc(ctx, rec->gtid, rec->barrier);
	if (!t)
		return;
	cfs_set_nice(ctx, t, rec->nice);
	if (rq) {
		t->vcpu = rec->cpu;
		t->vruntime = rq->min_vruntime + (__u64)rec->lag;
		t->last_cpu = rec->cpu;
	}
	/* On a CPU that is not ours: it waits for one of ours instead. */
	if (rec->kind == CFS_STATE_ONCPU && rq)
		cfs_set_oncpu(ctx, t, rec->cpu);
	else if (rec->kind != CFS_STATE_BLOCKED)
		cfs_requeue(ctx, t, rec->cpu);
}

static int cfs_import(struct ghost_policy_ctx *ctx, const void *buf,
		      size_t len)
{
	const struct cfs_state_hdr *h = buf;
	const struct cfs_state_task *in;
	unsigned int i;

	if (len < sizeof(*h) || h->magic != CFS_STATE_MAGIC ||
	    h->rec_size != sizeof(*in) || len < cfs_state_size(h->nr_tasks))
		return -EINVAL;
	in = (const struct cfs_state_task *)(h + 1);
	for (i = 0; i < h->nr_tasks; i++)
		cfs_import_one(ctx, &in[i]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static int cfs_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		     unsigned long *gran, unsigned long *lat,
		     unsigned long *max)
{
	static const char *const known[] = {
		"min_granularity_us", "latency_us", "max_tasks", NULL
	};

	if (gp_opts_known(ctx, "cfs", opts, known) ||
	    gp_opt_ulong(ctx, "cfs", opts, "min_granularity_us", 1,
			 CFS_MAX_GRAN_US, gran) ||
	    gp_opt_ulong(ctx, "cfs", opts, "latency_us", 1,
			 CFS_MAX_LATENCY_US, lat))
		return -EINVAL;
	if (*lat < *gran) {
		ghost_policy_log(ctx, "cfs: latency_us (%lu) must be at least min_granularity_us (%lu)",
				 *lat, *gran);
		return -EINVAL;
	}
	return gp_opt_ulong(ctx, "cfs", opts, "max_tasks", 1, 1000000, max);
}

static void cfs_free(struct cfs *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; f->rq && i < f->nr_cpu_ids; i++)
		free(f->rq[i].heap);
	free(f->rq);
	gp_tasks_free(&f->tasks);
	free(f);
}

static int cfs_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long gran = CFS_MIN_GRAN_US, lat = CFS_LATENCY_US;
	unsigned long max = CFS_MAX_TASKS;
	struct cfs *f;
	int i, cpu, ret;

	ret = cfs_parse(ctx, opts, &gran, &lat, &max);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->min_gran_ns = gran * 1000;
	f->latency_ns = lat * 1000;
	f->credit_ns = f->latency_ns / 2;
	gp_list_init(&f->stranded);
	f->rq = calloc(ctx->nr_cpu_ids, sizeof(*f->rq));
	if (!f->rq || gp_tasks_init(&f->tasks, sizeof(struct cfs_task), max))
		goto err_free;
	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		if (cpu < 0 || cpu >= ctx->nr_cpu_ids)
			continue;
		/* Every thread could wait on one CPU. */
		f->rq[cpu].heap = calloc(max, sizeof(*f->rq[cpu].heap));
		if (!f->rq[cpu].heap)
			goto err_free;
		f->rq[cpu].served = 1;
	}
	f->last_balance = ghost_policy_now(ctx);
	ctx->priv = f;
	return 0;

err_free:
	cfs_free(f);
	return -ENOMEM;
}

static void cfs_fini(struct ghost_policy_ctx *ctx)
{
	cfs_free(cfs_of(ctx));
	ctx->priv = NULL;
}

GHOST_POLICY_DEFINE(cfs,
	.model			= GHOST_POLICY_PER_CPU,
	.flags			= GHOST_POLICY_F_TICKS,
	.state_format		= CFS_STATE_FORMAT,
	.help			= "min_granularity_us=N  no thread preempted before N us (750)\n"
				  "latency_us=N  period in which each waiting thread runs once (6000)\n"
				  "max_tasks=N  threads tracked at most (8192)\n",
	.init			= cfs_init,
	.fini			= cfs_fini,
	.task_new		= cfs_task_new,
	.task_wakeup		= cfs_task_wakeup,
	.task_blocked		= cfs_task_blocked,
	.task_preempt		= cfs_task_preempt,
	.task_yield		= cfs_task_yield,
	.task_dead		= cfs_task_gone,
	.task_departed		= cfs_task_gone,
	.task_affinity_changed	= cfs_task_affinity,
	.task_on_cpu		= cfs_task_barrier,
	.task_priority_changed	= cfs_task_priority,
	.task_latched		= cfs_task_latched,
	.cpu_tick		= cfs_cpu_tick,
	.cpu_offline		= cfs_cpu_offline,
	.cpu_online		= cfs_cpu_online,
	.schedule		= cfs_schedule,
	.commit_done		= cfs_commit_done,
	.tick			= cfs_tick,
	.export_state		= cfs_export,
	.import_state		= cfs_import,
	.describe		= cfs_describe_op);
