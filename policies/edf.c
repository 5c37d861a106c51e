// SPDX-License-Identifier: GPL-2.0
/*
 * edf: centralized earliest-deadline-first, steered by application hints
 * (ghOSt's EDF policy).
 *
 * One agent thread on the global CPU (GHOST_POLICY_CENTRALIZED) drains
 * every message and, on each iteration, runs the waiting threads with the
 * earliest deadlines, all in one group commit: every idle CPU gets the
 * most urgent thread that may run there, and a waiting thread whose
 * deadline is earlier than that of a running thread preempts, on a CPU it
 * may use, the running thread with the LATEST deadline (a commit onto its
 * CPU).  The global CPU runs no thread.
 *
 * Deadlines come from hints (<ghost/app_hint.h>, ghost_policy_hint()):
 * deadline_ns is an absolute CLOCK_MONOTONIC time.  Without a period
 * (period_ns 0) a deadline belongs to one work item: the application
 * publishes the deadline of the request a thread serves, and a new one
 * for the next request; nothing is replenished by the policy, and a
 * deadline that has passed stays the thread's deadline (it is the most
 * urgent of all) until the application publishes another.  Between equal
 * deadlines the shorter estimate_ns runs first (an unknown estimate, 0,
 * last), then the thread that queued first.  qos is not used.
 *
 * Periodic threads (period_ns not 0; ghOSt's repeating work classes):
 * when one wakes up (or is new and runnable) and its deadline has come,
 * its deadline becomes the first deadline_ns + k * period_ns after now
 * (k >= 1, ghost_app_hint_next_deadline(): by division, saturated, so
 * no number an application writes makes it loop or wrap).  The
 * application may thus publish a deadline and period once.  The rolled
 * deadline is kept with the published deadline and period it came from
 * and holds while the hint still says those two; publishing another
 * deadline or period replaces it.  It only moves at a wakeup: a thread
 * that runs (or is preempted) past its deadline is late and keeps it.
 *
 * Three classes, in this order:
 *  - threads whose hint has a deadline, ordered by it in a binary heap
 *    (O(log n) to queue, to pick and to requeue);
 *  - threads without one (no hint at all, the case of every thread of an
 *    application that publishes none, or a hint with deadline 0): one
 *    FIFO, served only when no thread with a deadline waits for the CPU.
 *    They never preempt a thread with a deadline, nor each other; a
 *    thread with a deadline preempts them first;
 *  - threads whose hint says IDLE (no RUNNABLE): not given a CPU even if
 *    the kernel has them runnable, as shinjuku does.  Their hints are
 *    read again on every iteration, so that a thread marked RUNNABLE
 *    again runs without any kernel event.  One running when its hint
 *    turns IDLE gives its CPU to any waiting thread, or keeps it until it
 *    blocks if nothing waits (ghOSt's deferred unschedule).
 *
 * When hints are read.  A thread's hint is read when it queues (wakeup,
 * preemption, yield, new), when it comes to the front (just before it
 * would be committed: a deadline that moved later re-sorts it, one that
 * turned IDLE parks it), for every running thread on every iteration (a
 * changed deadline changes which thread is the latest), and for every
 * waiting thread every rescan_us (a deadline moved EARLIER while the
 * thread waits deep in the heap takes effect then; 0: every iteration,
 * which costs a memory read per waiting thread per iteration).
 *
 * Preempted (by the kernel or by us): a thread with a deadline goes back
 * into the heap by its deadline, one without to the head of the FIFO (it
 * lost its CPU through no fault of its own).  A yield goes behind the
 * threads of equal deadline (FIFO: to the tail).  Between running
 * threads of equal class and deadline, the one that started last is
 * preempted (it loses the least).
 *
 * Affinity is honoured (a thread goes only where it may run; one that may
 * not run where a later deadline runs is skipped, and the next thread
 * looks), CPUs hotplug takes away get nothing until they are back, a
 * failed commit puts the thread back in line (or waits for its message),
 * dead threads are forgotten at TASK_DEAD.  State is exported in the FIFO
 * policies' format (ghost-fifo-v1), waiting threads with a deadline first
 * in deadline order, so a hot swap to or from fifo_centralized (or
 * fifo_per_cpu, sol, shinjuku) keeps every thread; deadlines are not part
 * of it, hints give them back (a rolled one at the thread's next wakeup;
 * until then the published one, which has passed, makes it urgent).
 *
 * When it is good: request-serving applications that know each request's
 * deadline (an SLO) and roughly its cost, over few CPUs: under overload
 * the requests closest to missing their deadline are served first.
 *
 * Known problems: the global CPU is spent on the agent; decisions
 * serialise on one thread; no dispatch lists (an entry cannot be taken
 * back when a more urgent thread arrives, so every placement is a
 * commit); EDF under overload misses deadlines in cascade (no admission
 * control, no budget enforcement: a thread may run past its estimate);
 * threads without a deadline starve while deadline threads keep every
 * CPU busy.
 *
 * Options: max_tasks=N (1..1000000, default 8192), rescan_us=N
 * (0..10000000, default 1000).
 */
#include <errno.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define EDF_MAX_TASKS		8192
#define EDF_RESCAN_US		1000
#define EDF_MAX_RESCAN_US	10000000UL
/* Export: waiting threads with a deadline before every other one. */
#define EDF_ORDER_BASE		(1LL << 62)

/* What a thread's hint makes of it, most urgent first. */
enum edf_class {
	EDF_DEADLINE,		/* by deadline, in the heap */
	EDF_FIFO,		/* no deadline: the FIFO */
	EDF_IDLE,		/* the hint says IDLE: not scheduled */
};

enum edf_task_state {
	EDF_BLOCKED,
	EDF_QUEUED,		/* in the heap, the FIFO or the idle list */
	EDF_COMMITTING,
	EDF_ONCPU,
};

struct edf_task {
	struct gp_list node;	/* in fifo or idle while queued there */
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum edf_task_state */
	int cpu;		/* EDF_COMMITTING/ONCPU: where */
	int last_cpu;		/* where it ran last, or -1 */
	int heap_idx;		/* in the heap: its index; else -1 */
	int cls;		/* enum edf_class, as last read */
	__u64 deadline;		/* as last read (EDF_DEADLINE) */
	__u64 estimate;		/* as last read, 0: unknown */
	__u64 pub, period;	/* the periodic hint a wakeup rolled, */
	__u64 rolled;		/* and the deadline it rolled to */
	__s64 order;		/* queued: who came first */
	unsigned int checked;	/* the round its hint was checked at the front */
};

struct edf_cpu {
	struct edf_task *cur;	/* committing or running here */
	struct edf_task *prev;	/* cur before we preempted it */
	__u64 since;		/* when cur started, ns */
	int offline;		/* hotplug took it: run nothing there */
	int idling;		/* an idle commit is pending */
	int asked;		/* a request of this round */
};

struct edf {
	struct gp_tasks tasks;
	struct edf_task **heap;	/* min-heap of EDF_DEADLINE threads */
	struct edf_task **aside;	/* scratch, max_tasks */
	unsigned int nr_heap;
	struct gp_list fifo;	/* EDF_FIFO threads */
	struct gp_list idle;	/* EDF_IDLE threads */
	struct edf_cpu *cpu;
	int nr_cpu_ids;
	__u64 rescan_ns, last_rescan;
	__s64 back, front;
	unsigned int round;
};

static struct edf *edf_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct edf_cpu *edf_cpu(struct edf *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids)
		return NULL;
	return &f->cpu[cpu];
}

static struct edf_task *edf_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&edf_of(ctx)->tasks, gtid);
}

/* ------------------------------------------------------------------ */
/* Order                                                               */
/* ------------------------------------------------------------------ */

/* An unknown estimate sorts after every known one. */
static __u64 edf_est(const struct edf_task *t)
{
	return t->estimate ? t->estimate : ~0ULL;
}

/* Does @a come before @b in the heap? */
static int edf_before(const struct edf_task *a, const struct edf_task *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	if (edf_est(a) != edf_est(b))
		return edf_est(a) < edf_est(b);
	return a->order < b->order;
}

/* Should waiting @w take the CPU of running @r? */
static int edf_preempts(const struct edf_task *w, const struct edf_task *r)
{
	if (w->cls != r->cls)
		return w->cls < r->cls;
	return w->cls == EDF_DEADLINE && w->deadline < r->deadline;
}

/* Is running @a later (a better victim) than running @b? */
static int edf_later(const struct edf_cpu *a, const struct edf_cpu *b)
{
	const struct edf_task *x = a->cur, *y = b->cur;

	if (x->cls != y->cls)
		return x->cls > y->cls;
	if (x->cls == EDF_DEADLINE && x->deadline != y->deadline)
		return x->deadline > y->deadline;
	return a->since > b->since;
}

/* ------------------------------------------------------------------ */
/* The heap                                                            */
/* ------------------------------------------------------------------ */

static void edf_heap_set(struct edf *f, unsigned int i, struct edf_task *t)
{
	f->heap[i] = t;
	t->heap_idx = i;
}

static void edf_heap_up(struct edf *f, unsigned int i)
{
	struct edf_task *t = f->heap[i];
	unsigned int p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!edf_before(t, f->heap[p]))
			break;
		edf_heap_set(f, i, f->heap[p]);
		i = p;
	}
	edf_heap_set(f, i, t);
}

static void edf_heap_down(struct edf *f, unsigned int i)
{
	struct edf_task *t = f->heap[i];
	unsigned int c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= f->nr_heap)
			break;
		if (c + 1 < f->nr_heap && edf_before(f->heap[c + 1], f->heap[c]))
			c++;
		if (!edf_before(f->heap[c], t))
			break;
		edf_heap_set(f, i, f->heap[c]);
		i = c;
	}
	edf_heap_set(f, i, t);
}

static void edf_heap_push(struct edf *f, struct edf_task *t)
{
	edf_heap_set(f, f->nr_heap++, t);
	edf_heap_up(f, t->heap_idx);
}

static void edf_heap_remove(struct edf *f, struct edf_task *t)
{
	unsigned int i = t->heap_idx;
	struct edf_task *last;

	t->heap_idx = -1;
	if (--f->nr_heap == i)
		return;
	last = f->heap[f->nr_heap];
	edf_heap_set(f, i, last);
	edf_heap_up(f, i);
	edf_heap_down(f, last->heap_idx);
}

/* @t's key changed in place: put it where it belongs. */
static void edf_heap_fix(struct edf *f, struct edf_task *t)
{
	edf_heap_up(f, t->heap_idx);
	edf_heap_down(f, t->heap_idx);
}

/* ------------------------------------------------------------------ */
/* Hints and queues                                                    */
/* ------------------------------------------------------------------ */

/*
 * @t's class, deadline and estimate as its hint says now: the deadline a
 * wakeup rolled while the hint is the one it rolled.  @wake: @t wakes up
 * (roll a periodic deadline that has come).
 */
static void edf_read_hint(struct ghost_policy_ctx *ctx, struct edf_task *t,
			  int wake, int *cls, __u64 *deadline,
			  __u64 *estimate)
{
	struct ghost_app_hint h;

	*deadline = 0;
	*estimate = 0;
	if (ghost_policy_hint(ctx, t->gtid, &h)) {
		*cls = EDF_FIFO;
		return;
	}
	*deadline = h.deadline_ns;
	*estimate = h.estimate_ns;
	if (h.period_ns && h.deadline_ns == t->pub && h.period_ns == t->period)
		*deadline = t->rolled;
	if (wake && h.period_ns && h.deadline_ns) {
		*deadline = ghost_app_hint_next_deadline(*deadline,
							 h.period_ns,
							 ghost_policy_now(ctx));
		t->pub = h.deadline_ns;
		t->period = h.period_ns;
		t->rolled = *deadline;
	}
	if (ghost_app_hint_idle(&h))
		*cls = EDF_IDLE;
	else
		*cls = h.deadline_ns ? EDF_DEADLINE : EDF_FIFO;
}

/* Take @t out of whatever queue holds it. */
static void edf_unqueue(struct edf *f, struct edf_task *t)
{
	if (t->heap_idx >= 0)
		edf_heap_remove(f, t);
	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
}

/* Queue @t by the class and key it has now (@front: a FIFO's head). */
static void edf_insert(struct edf *f, struct edf_task *t, int front)
{
	t->order = front ? --f->front : ++f->back;
	switch (t->cls) {
	case EDF_DEADLINE:
		edf_heap_push(f, t);
		break;
	case EDF_FIFO:
		gp_list_move(&f->fifo, &t->node, front);
		break;
	default:
		gp_list_add_tail(&f->idle, &t->node);
		break;
	}
}

/* @t waits for a CPU from now on (@wake: woken up); its hint says where. */
static void edf_enqueue(struct ghost_policy_ctx *ctx, struct edf_task *t,
			int front, int wake)
{
	struct edf *f = edf_of(ctx);

	edf_unqueue(f, t);
	edf_read_hint(ctx, t, wake, &t->cls, &t->deadline, &t->estimate);
	edf_insert(f, t, front);
	t->state = EDF_QUEUED;
	t->cpu = -1;
}

/*
 * Read a waiting @t's hint again; if its class or key moved, move it.
 * Returns whether it moved.
 */
static int edf_recheck(struct ghost_policy_ctx *ctx, struct edf_task *t)
{
	struct edf *f = edf_of(ctx);
	__u64 deadline, estimate;
	int cls;

	t->checked = f->round;
	edf_read_hint(ctx, t, 0, &cls, &deadline, &estimate);
	if (cls == t->cls && (cls != EDF_DEADLINE ||
			      (deadline == t->deadline &&
			       estimate == t->estimate)))
		return 0;
	if (cls == EDF_DEADLINE && t->cls == EDF_DEADLINE) {
		t->deadline = deadline;
		t->estimate = estimate;
		edf_heap_fix(f, t);
		return 1;
	}
	edf_unqueue(f, t);
	t->cls = cls;
	t->deadline = deadline;
	t->estimate = estimate;
	edf_insert(f, t, 0);
	return 1;
}

/* Take @t off its queue and its CPU. */
static void edf_detach(struct ghost_policy_ctx *ctx, struct edf_task *t)
{
	struct edf *f = edf_of(ctx);
	struct edf_cpu *c = edf_cpu(f, t->cpu);

	edf_unqueue(f, t);
	if (c && c->cur == t)
		c->cur = NULL;
	if (c && c->prev == t)
		c->prev = NULL;
	t->cpu = -1;
}

static void edf_forget(struct ghost_policy_ctx *ctx, struct edf_task *t)
{
	struct edf *f = edf_of(ctx);
	int i;

	edf_detach(ctx, t);
	/* A preempted thread is remembered on the CPU it is leaving. */
	for (i = 0; i < f->nr_cpu_ids; i++) {
		if (f->cpu[i].prev == t)
			f->cpu[i].prev = NULL;
		if (f->cpu[i].cur == t)
			f->cpu[i].cur = NULL;
	}
	gp_tasks_del(&f->tasks, t->gtid);
}

static struct edf_task *edf_alloc(struct ghost_policy_ctx *ctx, __u64 gtid,
				  __u32 barrier)
{
	struct edf_task *t = gp_tasks_new(ctx, "edf", &edf_of(ctx)->tasks,
					  gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->last_cpu = -1;
	t->heap_idx = -1;
	t->cls = EDF_FIFO;
	t->state = EDF_BLOCKED;
	return t;
}

/* The kernel has @t on @cpu: track it there (even the global CPU). */
static void edf_set_oncpu(struct ghost_policy_ctx *ctx, struct edf_task *t,
			  int cpu)
{
	struct edf_cpu *c = edf_cpu(edf_of(ctx), cpu);

	t->state = EDF_ONCPU;
	t->cpu = cpu;
	t->last_cpu = cpu;
	if (c && !c->cur) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void edf_task_new(struct ghost_policy_ctx *ctx,
			 const struct ghost_msg *m,
			 const struct ghost_msg_task_new *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);
	int cpu;

	if (t)
		edf_forget(ctx, t);
	t = edf_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	if (p->runnable) {
		edf_enqueue(ctx, t, 0, 1);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		edf_set_oncpu(ctx, t, cpu);
}

static void edf_task_wakeup(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_wakeup *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	edf_detach(ctx, t);
	edf_enqueue(ctx, t, 0, 1);
}

static void edf_task_blocked(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	edf_detach(ctx, t);
	t->state = EDF_BLOCKED;
}

/* Lost its CPU: back by its deadline, or to the FIFO's head. */
static void edf_task_preempt(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	edf_detach(ctx, t);
	edf_enqueue(ctx, t, 1, 0);
}

static void edf_task_yield(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	edf_detach(ctx, t);
	edf_enqueue(ctx, t, 0, 0);
}

static void edf_task_gone(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (t)
		edf_forget(ctx, t);
}

static void edf_task_barrier(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (t)
		t->barrier = m->seqnum;
}

/* Nice means nothing here (deadlines do); only the barrier moves. */
static void edf_task_priority(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task_priority *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);

	if (t)
		t->barrier = m->seqnum;
}

/*
 * A previous policy's dispatch list ran @p->gtid on @p->cpu (after a hot
 * swap): it is that CPU's thread now.
 */
static void edf_task_latched(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct edf_task *t = edf_find(ctx, p->gtid);
	struct edf_cpu *c = edf_cpu(edf_of(ctx), p->cpu);

	if (!t)
		t = edf_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	t->barrier = m->seqnum;
	edf_detach(ctx, t);
	t->state = EDF_ONCPU;
	t->cpu = p->cpu;
	t->last_cpu = p->cpu;
	if (c) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

/* ------------------------------------------------------------------ */
/* Deciding                                                            */
/* ------------------------------------------------------------------ */

/* Threads whose hint stopped saying IDLE queue again. */
static void edf_poll_idle(struct ghost_policy_ctx *ctx)
{
	struct edf *f = edf_of(ctx);
	struct gp_list *pos, *next;
	struct edf_task *t;

	for (pos = f->idle.next; pos != &f->idle; pos = next) {
		next = pos->next;
		t = gp_container_of(pos, struct edf_task, node);
		edf_recheck(ctx, t);
	}
}

/*
 * Every waiting thread's hint again: keys updated in place and the heap
 * rebuilt (O(n)); threads that changed class move.
 */
static void edf_rescan(struct ghost_policy_ctx *ctx)
{
	struct edf *f = edf_of(ctx);
	unsigned int i, k = 0, na = 0;
	struct gp_list *pos, *next;
	struct edf_task *t;
	__u64 deadline, estimate;
	int cls;

	for (i = 0; i < f->nr_heap; i++) {
		t = f->heap[i];
		edf_read_hint(ctx, t, 0, &cls, &deadline, &estimate);
		t->deadline = deadline;
		t->estimate = estimate;
		if (cls == EDF_DEADLINE) {
			edf_heap_set(f, k++, t);
			continue;
		}
		t->cls = cls;
		t->heap_idx = -1;
		f->aside[na++] = t;
	}
	f->nr_heap = k;
	for (i = k / 2; i-- > 0;)
		edf_heap_down(f, i);
	for (pos = f->fifo.next; pos != &f->fifo; pos = next) {
		next = pos->next;
		t = gp_container_of(pos, struct edf_task, node);
		edf_recheck(ctx, t);
	}
	for (i = 0; i < na; i++)
		edf_insert(f, f->aside[i], 0);
}

/* Running threads: what their hints say now decides who is latest. */
static void edf_refresh_running(struct ghost_policy_ctx *ctx)
{
	struct edf *f = edf_of(ctx);
	struct edf_task *t;
	int i;

	for (i = 0; i < ctx->nr_cpus; i++) {
		t = f->cpu[ctx->cpus[i]].cur;
		if (t && t->state == EDF_ONCPU)
			edf_read_hint(ctx, t, 0, &t->cls, &t->deadline,
				      &t->estimate);
	}
}

/* A CPU that may take a request this round. */
static int edf_usable(const struct edf_cpu *c)
{
	return !c->offline && !c->idling && !c->asked;
}

/*
 * Where @t should go: an idle CPU it may use (the one it ran on last if
 * that is idle), else the CPU it may use whose running thread is the
 * latest, if @t preempts it; -1 if none.
 */
static int edf_target(struct ghost_policy_ctx *ctx, struct edf_task *t)
{
	struct edf *f = edf_of(ctx);
	int i, cpu, idle = -1, victim = -1;
	struct edf_cpu *c;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		c = &f->cpu[cpu];
		if (!edf_usable(c) ||
		    !ghost_policy_task_allowed(ctx, t->gtid, cpu))
			continue;
		if (!c->cur) {
			if (idle < 0 || cpu == t->last_cpu)
				idle = cpu;
			continue;
		}
		if (idle >= 0 || c->cur->state != EDF_ONCPU ||
		    !edf_preempts(t, c->cur))
			continue;
		if (victim < 0 || edf_later(c, &f->cpu[victim]))
			victim = cpu;
	}
	return idle >= 0 ? idle : victim;
}

/* Idle usable CPUs, and the latest running thread on a usable CPU. */
static int edf_survey(struct ghost_policy_ctx *ctx, struct edf_cpu **latest)
{
	struct edf *f = edf_of(ctx);
	int i, nr_idle = 0;
	struct edf_cpu *c;

	*latest = NULL;
	for (i = 0; i < ctx->nr_cpus; i++) {
		c = &f->cpu[ctx->cpus[i]];
		if (!edf_usable(c))
			continue;
		if (!c->cur)
			nr_idle++;
		else if (c->cur->state == EDF_ONCPU &&
			 (!*latest || edf_later(c, *latest)))
			*latest = c;
	}
	return nr_idle;
}

/* Ask for @t on @cpu, replacing whatever runs there. */
static int edf_commit(struct ghost_policy_ctx *ctx, int cpu,
		      struct edf_task *t)
{
	struct edf *f = edf_of(ctx);
	struct edf_cpu *c = &f->cpu[cpu];

	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier)) {
		c->asked = 1;	/* whatever it is, not this round */
		return -1;
	}
	edf_unqueue(f, t);
	c->asked = 1;
	c->prev = c->cur;
	c->cur = t;
	t->state = EDF_COMMITTING;
	t->cpu = cpu;
	return 0;
}

/*
 * The waiting threads, most urgent first: each takes an idle CPU it may
 * use, or preempts the latest running thread it may replace.  One that
 * can do neither is set aside and the next one looks; the walk stops
 * when no CPU is idle and the next thread preempts nobody (no later one
 * can either).
 */
static void edf_place(struct ghost_policy_ctx *ctx)
{
	struct edf *f = edf_of(ctx);
	struct gp_list *fpos = &f->fifo;
	struct edf_cpu *latest;
	struct edf_task *t;
	unsigned int na = 0, i;
	int cpu, nr_idle;

	for (i = 0; i < (unsigned int)ctx->nr_cpus; i++)
		f->cpu[ctx->cpus[i]].asked = 0;
	for (;;) {
		if (f->nr_heap) {
			t = f->heap[0];
		} else if (fpos->next != &f->fifo) {
			t = gp_container_of(fpos->next, struct edf_task,
					    node);
		} else {
			break;
		}
		/* Its hint as it is now, once a round: it may move. */
		if (t->checked != f->round && edf_recheck(ctx, t))
			continue;
		nr_idle = edf_survey(ctx, &latest);
		if (!nr_idle && (!latest || !edf_preempts(t, latest->cur)))
			break;
		cpu = edf_target(ctx, t);
		if (cpu >= 0 && !edf_commit(ctx, cpu, t))
			continue;
		/* Nowhere for it now: the next one looks. */
		if (t->heap_idx >= 0) {
			edf_heap_remove(f, t);
			f->aside[na++] = t;
		} else {
			fpos = &t->node;
		}
	}
	for (i = 0; i < na; i++)
		edf_heap_push(f, f->aside[i]);
}

static void edf_schedule(struct ghost_policy_ctx *ctx, int unused)
{
	struct edf *f = edf_of(ctx);
	struct edf_cpu *g = edf_cpu(f, ctx->global_cpu);
	__u64 now = ghost_policy_now(ctx);

	if (g)
		gp_clear_global_cpu(ctx, g->cur != NULL, &g->idling);

	f->round++;
	edf_poll_idle(ctx);
	if (!f->rescan_ns || now - f->last_rescan >= f->rescan_ns) {
		edf_rescan(ctx);
		f->last_rescan = now;
	}
	edf_refresh_running(ctx);
	edf_place(ctx);
}

static void edf_commit_failed(struct ghost_policy_ctx *ctx,
			      struct edf_task *t, int state)
{
	int where;

	switch (gp_commit_failed(ctx, t->gtid, state, &where)) {
	case GP_FAILED_WAIT:
		t->state = EDF_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		edf_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		edf_enqueue(ctx, t, 1, 0);
		break;
	}
}

static void edf_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			    __u64 gtid, int state)
{
	struct edf *f = edf_of(ctx);
	struct edf_cpu *c = edf_cpu(f, cpu);
	struct edf_task *t;

	if (!c)
		return;
	if (gtid == GHOST_NULL_GTID) {
		/* The thread there gets TASK_PREEMPT and queues again. */
		c->idling = 0;
		if (state == GHOST_TXN_COMPLETE)
			c->cur = NULL;
		return;
	}
	t = edf_find(ctx, gtid);
	if (state == GHOST_TXN_COMPLETE) {
		c->prev = NULL;
		if (t && t->state == EDF_COMMITTING) {
			t->state = EDF_ONCPU;
			t->last_cpu = cpu;
			c->cur = t;
			c->since = ghost_policy_now(ctx);
		}
		return;
	}
	/* Failed: whatever ran there still does. */
	if (c->cur == t)
		c->cur = NULL;
	if (c->prev) {
		c->cur = c->prev;
		c->prev = NULL;
	}
	if (t && t->state == EDF_COMMITTING) {
		t->cpu = -1;
		edf_commit_failed(ctx, t, state);
	}
}

/* Nothing is committed to @cpu while it is away; its thread comes back. */
static void edf_cpu_hotplug(struct ghost_policy_ctx *ctx, int cpu,
			    int offline)
{
	struct edf_cpu *c = edf_cpu(edf_of(ctx), cpu);

	if (c)
		c->offline = offline;
}

GP_DEFINE_CPU_HOTPLUG(edf)

/* ------------------------------------------------------------------ */
/* Hot swap: the FIFO policies' state                                  */
/* ------------------------------------------------------------------ */

static void edf_describe(const void *task, struct fifo_state_task *rec)
{
	const struct edf_task *t = task;
	__u64 d = t->deadline;

	fifo_state_fill(rec, t->gtid, t->barrier,
			t->state == EDF_ONCPU ? t->cpu : t->last_cpu, t->order,
			t->state == EDF_ONCPU, t->state == EDF_BLOCKED);
	/* In line by deadline, before every thread without one. */
	if (rec->kind == FIFO_STATE_QUEUED && t->heap_idx >= 0) {
		if (d >= (__u64)EDF_ORDER_BASE)
			d = EDF_ORDER_BASE - 1;
		rec->order = (__s64)d - EDF_ORDER_BASE;
	}
}

static long edf_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&edf_of(ctx)->tasks.table, buf, len,
				 edf_describe);
}

static int edf_import_add(struct ghost_policy_ctx *ctx,
			  const struct fifo_state_task *rec)
{
	struct edf_task *t = edf_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	t->last_cpu = rec->cpu;
	if (rec->kind == FIFO_STATE_ONCPU)
		edf_set_oncpu(ctx, t, rec->cpu);
	return 0;
}

static void edf_import_requeue(struct ghost_policy_ctx *ctx,
			       const struct fifo_state_task *rec)
{
	struct edf_task *t = edf_find(ctx, rec->gtid);

	if (t)
		edf_enqueue(ctx, t, 0, 0);
}

static int edf_import(struct ghost_policy_ctx *ctx, const void *buf,
		      size_t len)
{
	return fifo_state_import(ctx, buf, len, edf_import_add,
				 edf_import_requeue);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int edf_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		     unsigned long *max, unsigned long *rescan_us)
{
	static const char *const known[] = { "max_tasks", "rescan_us", NULL };

	if (gp_opts_known(ctx, "edf", opts, known) ||
	    gp_opt_ulong(ctx, "edf", opts, "max_tasks", 1, 1000000, max) ||
	    gp_opt_ulong(ctx, "edf", opts, "rescan_us", 0, EDF_MAX_RESCAN_US,
			 rescan_us))
		return -EINVAL;
	return 0;
}

static void edf_free(struct edf *f)
{
	gp_tasks_free(&f->tasks);
	free(f->heap);
	free(f->aside);
	free(f->cpu);
	free(f);
}

static int edf_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long max = EDF_MAX_TASKS, rescan_us = EDF_RESCAN_US;
	struct edf *f;
	int ret;

	ret = edf_parse(ctx, opts, &max, &rescan_us);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0) {
		ghost_policy_log(ctx, "edf: no CPU to run threads on besides the global one");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->rescan_ns = rescan_us * 1000;
	gp_list_init(&f->fifo);
	gp_list_init(&f->idle);
	/* Every placement is a commit: an entry cannot be taken back. */
	ctx->dispatch_flags = 0;
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	f->heap = calloc(max, sizeof(*f->heap));
	f->aside = calloc(max, sizeof(*f->aside));
	if (!f->cpu || !f->heap || !f->aside ||
	    gp_tasks_init(&f->tasks, sizeof(struct edf_task), max)) {
		edf_free(f);
		return -ENOMEM;
	}
	ctx->priv = f;
	return 0;
}

static void edf_fini(struct ghost_policy_ctx *ctx)
{
	struct edf *f = edf_of(ctx);

	if (!f)
		return;
	edf_free(f);
	ctx->priv = NULL;
}

/*
 * "ghostctl status --threads": where @gtid waits (the deadline heap, the
 * FIFO of threads without one, or the idle list), and its hint as last
 * read: the deadline from now, the estimate.
 */
static int edf_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			   char *buf, size_t len)
{
	static const char *const states[] = {
		[EDF_BLOCKED]		= "blocked",
		[EDF_QUEUED]		= "queued",
		[EDF_COMMITTING]	= "committing",
		[EDF_ONCPU]		= "oncpu",
	};
	static const char *const classes[] = {
		[EDF_DEADLINE]	= "deadline",
		[EDF_FIFO]	= "fifo",
		[EDF_IDLE]	= "idle",
	};
	struct edf *f = edf_of(ctx);
	const struct edf_task *t = edf_find(ctx, gtid);
	__s64 left;
	int n, pos = -1;

	if (!t)
		return -ENOENT;
	n = snprintf(buf, len, "state=%s barrier=%u class=%s",
		     states[t->state], t->barrier, classes[t->cls]);
	if (t->state == EDF_QUEUED && t->cls != EDF_DEADLINE)
		pos = gp_list_pos(t->cls == EDF_FIFO ? &f->fifo : &f->idle,
				  &t->node);
	if (t->state == EDF_QUEUED && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " queue=%s",
			      t->cls == EDF_DEADLINE ? "heap" :
			      classes[t->cls]);
	if (pos >= 0 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " pos=%d", pos);
	if ((t->state == EDF_COMMITTING || t->state == EDF_ONCPU) && n >= 0 &&
	    (size_t)n < len)
		n += snprintf(buf + n, len - n, " cpu=%d", t->cpu);
	if (t->cls == EDF_DEADLINE && n >= 0 && (size_t)n < len) {
		left = (__s64)(t->deadline - ghost_policy_now(ctx));
		n += snprintf(buf + n, len - n, " deadline_in_us=%lld",
			      (long long)(left / 1000));
	}
	if (t->estimate && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " estimate_us=%llu",
			      (unsigned long long)(t->estimate / 1000));
	return n;
}

GHOST_POLICY_DEFINE(edf,
	.model			= GHOST_POLICY_CENTRALIZED,
	.state_format		= FIFO_STATE_FORMAT,
	.help			= "max_tasks=N  threads tracked at most (8192)\n"
				  "rescan_us=N  read every waiting thread's hint again every N us (1000; 0: every round)\n",
	.init			= edf_init,
	.fini			= edf_fini,
	.task_new		= edf_task_new,
	.task_wakeup		= edf_task_wakeup,
	.task_blocked		= edf_task_blocked,
	.task_preempt		= edf_task_preempt,
	.task_yield		= edf_task_yield,
	.task_dead		= edf_task_gone,
	.task_departed		= edf_task_gone,
	.task_affinity_changed	= edf_task_barrier,
	.cpu_offline		= edf_cpu_offline,
	.cpu_online		= edf_cpu_online,
	.task_on_cpu		= edf_task_barrier,
	.task_priority_changed	= edf_task_priority,
	.task_latched		= edf_task_latched,
	.schedule		= edf_schedule,
	.commit_done		= edf_commit_done,
	.export_state		= edf_export,
	.import_state		= edf_import,
	.describe		= edf_describe_op);
