// SPDX-License-Identifier: GPL-2.0
/*
 * fifo_per_cpu: ghOSt's "hello world" policy, one FIFO per CPU.
 *
 * Every thread is given a CPU the first time it becomes runnable (at
 * TASK_NEW, or at its first wakeup) and keeps it: an idle CPU if there
 * is one, else the next CPU round-robin.  Idle CPUs are looked for
 * round-robin too, so that threads created together (a pipe's two ends)
 * get CPUs of their own even when each blocks before the next arrives: a
 * wakeup onto a busy CPU costs far more here than under CFS.  A child
 * whose parent has blocked (pthread_join(), waitpid()) takes the
 * parent's CPU if it is idle: the child is there already, since it
 * inherits the parent's mask, so it runs without moving.  Only one child
 * per block of the parent does; its siblings get CPUs of their own.  Each CPU
 * has a FIFO runqueue: a thread that wakes up or yields goes to the back,
 * a thread that was preempted goes to the front, since it lost the CPU
 * through no fault of its own.  A CPU gets its next thread only when its
 * current one blocked, yielded or was preempted: there is no time slice,
 * a thread runs until it gives the CPU up.
 *
 * The runtime runs one agent per CPU (GHOST_POLICY_PER_CPU) and calls
 * schedule() for each CPU after every batch of messages.
 *
 * Fast path.  The runqueues stay the whole truth (they are what a hot
 * swap hands over); the front of each CPU's runqueue is mirrored into
 * that CPU's dispatch list, so when the running thread blocks or yields
 * the module runs the next one without waiting for us, and a thread that
 * wakes on its idle CPU runs at once (RUN_ON_WAKE).  TASK_LATCHED says
 * which thread ran: it leaves the runqueue then.  A listed thread that
 * changes state makes its entry stale (the module skips it) and comes
 * back with its message; it is listed again under its new barrier.  A
 * thread that wakes while its CPU runs another would only join the back
 * of the line: its wakeup does not wake us (DEFER_WAKEUP), and while no
 * other CPU looks idle the module lines it up itself and runs it there
 * after the list (RUN_WOKEN): the back of the line, with no round trip
 * through us.  We hear of it at our next wakeup, and a thread we list
 * meanwhile runs from whichever comes first.  With the lists on, this policy never commits: a thread is
 * decided once, by its entry or its wakeup.
 * Without them (an older module) it commits as before.
 *
 * When it is good: threads that block often and briefly (RPC handlers,
 * pipelines), where placement never changes and decisions are O(1).  It
 * is the smallest complete policy and the reference for writing others.
 *
 * CPU hotplug: a CPU that goes offline hands its waiting threads to the
 * others and is given none until it is back.
 *
 * Concurrency (GHOST_POLICY_F_CONCURRENT): each CPU's agent decides for
 * its CPU while the others do.  Each CPU has a lock that guards its
 * runqueue, current thread and list count, and every thread whose CPU it
 * is.  What happens every time (a thread of a CPU wakes, blocks, yields,
 * ran from its list; the CPU's schedule()) takes that one lock.  What
 * changes a thread's CPU or the set of threads (a new or dead thread, a
 * first wakeup, a move for affinity or hotplug, a failed commit) takes
 * every CPU's lock, in CPU order: a thread's CPU, and the table of
 * threads, stay put while any one lock is held.  A thread given to
 * another CPU wakes that CPU's agent.
 *
 * A thread's own affinity (within its cpuset) is honoured: it is only
 * given a CPU it may run on, and moves when that changes.
 *
 * Balance, as under CFS.  A thread that wakes to wait behind others on
 * its CPU moves to an idle CPU if there is one.  A CPU with nothing
 * waiting or listed takes the last thread in line on the CPU where most
 * wait, two at least (one would only wait for the running thread, and
 * moving it made ping-pong pairs migrate back and forth): it lists it
 * ahead while its own thread still runs, or at once if it idles.  The
 * entry the thread has on its old CPU cannot be taken back; whichever
 * list the module reaches first runs it, and the other entry goes stale.
 * A CPU hears of going idle (GHOST_DL_F_IDLE_WAKE) only while threads
 * wait elsewhere, so ping-pong pairs on idle CPUs cost no agent wakeups.
 * Known problems: no slice (a spinning thread owns its CPU until it
 * blocks).
 *
 * Options: max_tasks=N (threads it can track, default 8192),
 * dispatch_depth=N (threads listed ahead per CPU, 0..32, default 32; 0
 * turns the fast path off and decides by commits).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define FIFO_MAX_TASKS	8192
#define FIFO_DL_FLAGS	(GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE | \
			 GHOST_DL_F_QUIET | GHOST_DL_F_DEFER_WAKEUP | \
			 GHOST_DL_F_RUN_WOKEN)
/* Set per CPU while it applies (fifo_list_flags()). */
#define FIFO_DL_TOGGLED	(GHOST_DL_F_RUN_WOKEN | GHOST_DL_F_IDLE_WAKE)
/* Threads waiting on a CPU before an idle one takes the last of them. */
#define FIFO_STEAL_MIN	2

enum fifo_task_state {
	FIFO_BLOCKED,
	FIFO_QUEUED,		/* on its CPU's runqueue */
	FIFO_COMMITTING,	/* asked to run, outcome not known yet */
	FIFO_ONCPU,
};

struct fifo_task {
	struct gp_list node;	/* in fifo_cpu->rq while FIFO_QUEUED */
	__u64 gtid;
	__u32 barrier;		/* seqnum of the last message */
	int state;		/* enum fifo_task_state */
	int cpu;		/* assigned CPU, -1 until first runnable */
	__s64 order;		/* position in line, for hand-over */
	int listed_cpu;		/* its entry's list while valid, else -1 */
	int gave_cpu;		/* a child took its CPU since it blocked */
};

struct fifo_cpu {
	pthread_mutex_t lock;	/* see "Concurrency" */
	int local;		/* its lock alone is held: nothing moves */
	struct gp_list rq;
	struct fifo_task *cur;	/* committing or running here */
	int served;
	int offline;		/* hotplug took it: run nothing there */
	int listed;		/* valid entries of ours in its list */
	int commits;		/* no dispatch list: decide by commits */
	int idle_hint;		/* fifo_idle() at its last unlock (atomic) */
	int waiting_hint;	/* fifo_waiting() then (atomic) */
	__u32 dl_flags;		/* what we last set on its list */
};

struct fifo {
	struct gp_tasks tasks;
	struct fifo_cpu *cpu;	/* by CPU number */
	int nr_cpu_ids;
	int rr;			/* next index into ctx->cpus (all locked) */
	__s64 back, front;	/* order keys of the queue ends (atomic) */
	int depth;		/* dispatch_depth */
};

static struct fifo *fifo_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct fifo_cpu *fifo_cpu(struct fifo *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids || !f->cpu[cpu].served)
		return NULL;
	return &f->cpu[cpu];
}

static struct fifo_task *fifo_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&fifo_of(ctx)->tasks, gtid);
}

/* Nothing runs or waits on @cpu, and hotplug left it alone. */
static int fifo_idle(struct fifo *f, int cpu)
{
	struct fifo_cpu *c = fifo_cpu(f, cpu);

	return c && !c->offline && !c->cur && gp_list_empty(&c->rq);
}

/* Threads waiting on @c's runqueue, counted up to @max. */
static int fifo_waiting(const struct fifo_cpu *c, int max)
{
	const struct gp_list *n;
	int i = 0;

	for (n = c->rq.next; n != &c->rq && i < max; n = n->next)
		i++;
	return i;
}

/*
 * Unlock @c, leaving what others may read without its lock: whether it
 * is idle, and whether threads wait there.  Hints: by the time they act
 * on them, they hold every lock.
 */
static void fifo_cpu_unlock(struct fifo *f, struct fifo_cpu *c)
{
	__atomic_store_n(&c->idle_hint, fifo_idle(f, c - f->cpu),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->waiting_hint, c->offline ? 0 :
			 fifo_waiting(c, FIFO_STEAL_MIN),
			 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);
}

/* Did a CPU other than @cpu look idle when it was last unlocked? */
static int fifo_idle_elsewhere(struct ghost_policy_ctx *ctx, int cpu)
{
	struct fifo *f = fifo_of(ctx);
	int i, other;

	for (i = 0; i < ctx->nr_cpus; i++) {
		other = ctx->cpus[i];
		if (other != cpu && fifo_cpu(f, other) &&
		    __atomic_load_n(&f->cpu[other].idle_hint, __ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}

/* Did threads wait on a CPU other than @cpu when it was last unlocked? */
static int fifo_waiting_elsewhere(struct ghost_policy_ctx *ctx, int cpu)
{
	struct fifo *f = fifo_of(ctx);
	int i, other;

	for (i = 0; i < ctx->nr_cpus; i++) {
		other = ctx->cpus[i];
		if (other != cpu && fifo_cpu(f, other) &&
		    __atomic_load_n(&f->cpu[other].waiting_hint,
				    __ATOMIC_RELAXED) >= FIFO_STEAL_MIN)
			return 1;
	}
	return 0;
}

/*
 * An idle CPU that @gtid may run on other than @avoid, looked for
 * round-robin from the last one given, or -1.  Every lock held.
 */
static int fifo_idle_cpu(struct ghost_policy_ctx *ctx, __u64 gtid, int avoid)
{
	struct fifo *f = fifo_of(ctx);
	int i, idx, cpu;

	for (i = 0; i < ctx->nr_cpus; i++) {
		idx = (f->rr + i) % ctx->nr_cpus;
		cpu = ctx->cpus[idx];
		if (cpu != avoid && fifo_idle(f, cpu) &&
		    ghost_policy_task_allowed(ctx, gtid, cpu)) {
			f->rr = (idx + 1) % ctx->nr_cpus;
			return cpu;
		}
	}
	return -1;
}

/*
 * An idle CPU that @gtid may run on other than @avoid; else the next CPU
 * in turn that is online and allowed (if none is, the next one: its
 * commits will say so).  Every lock held.
 */
static int fifo_assign_cpu(struct ghost_policy_ctx *ctx, __u64 gtid,
			   int avoid)
{
	struct fifo *f = fifo_of(ctx);
	int i, cpu, first = ctx->cpus[f->rr];

	cpu = fifo_idle_cpu(ctx, gtid, avoid);
	if (cpu >= 0)
		return cpu;
	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[f->rr];
		f->rr = (f->rr + 1) % ctx->nr_cpus;
		if (!f->cpu[cpu].offline &&
		    ghost_policy_task_allowed(ctx, gtid, cpu))
			return cpu;
	}
	return first;
}

static void fifo_enqueue(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			 int front)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_cpu *c = fifo_cpu(f, t->cpu);

	/*
	 * A move takes every lock.  Under its CPU's lock alone (the affinity
	 * changed since fifo_stays() looked) it waits here: its refused entry
	 * or commit brings it back, and then it moves.
	 */
	if (!c || (!c->local && (c->offline ||
	    !ghost_policy_task_allowed(ctx, t->gtid, t->cpu)))) {
		t->cpu = fifo_assign_cpu(ctx, t->gtid, -1);
		c = fifo_cpu(f, t->cpu);
	}
	t->order = front ? __atomic_sub_fetch(&f->front, 1, __ATOMIC_RELAXED) :
			   __atomic_add_fetch(&f->back, 1, __ATOMIC_RELAXED);
	gp_list_move(&c->rq, &t->node, front);
	t->state = FIFO_QUEUED;
	/* Its agent may sleep, if this is another CPU's round. */
	ghost_policy_wake(ctx, t->cpu);
}

/* @t may wait for its CPU as it is: served, online, allowed. */
static int fifo_stays(struct ghost_policy_ctx *ctx, struct fifo_task *t)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), t->cpu);

	return c && !c->offline &&
	       ghost_policy_task_allowed(ctx, t->gtid, t->cpu);
}

/* Every CPU's lock, in CPU order: nothing else runs in the policy. */
static void fifo_lock_all(struct ghost_policy_ctx *ctx)
{
	struct fifo *f = fifo_of(ctx);
	int i;

	for (i = 0; i < ctx->nr_cpus; i++) {
		if (fifo_cpu(f, ctx->cpus[i]))
			pthread_mutex_lock(&f->cpu[ctx->cpus[i]].lock);
	}
}

static void fifo_unlock_all(struct ghost_policy_ctx *ctx)
{
	struct fifo *f = fifo_of(ctx);
	int i;

	for (i = ctx->nr_cpus - 1; i >= 0; i--) {
		if (fifo_cpu(f, ctx->cpus[i]))
			fifo_cpu_unlock(f, &f->cpu[ctx->cpus[i]]);
	}
}

/*
 * @gtid's record with the lock of its CPU held (*@held), trying @near's
 * lock first; NULL with no lock held if it is unknown or has no CPU.
 */
static struct fifo_task *fifo_lock_task(struct ghost_policy_ctx *ctx,
					__u64 gtid, int near,
					struct fifo_cpu **held)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_cpu *c = fifo_cpu(f, near), *next;
	struct fifo_task *t;

	for (int i = 0; !c && i < ctx->nr_cpus; i++)
		c = fifo_cpu(f, ctx->cpus[i]);
	if (!c) {
		*held = NULL;
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&c->lock);
		t = fifo_find(ctx, gtid);
		next = t ? fifo_cpu(f, t->cpu) : NULL;
		if (next == c) {
			*held = c;
			return t;
		}
		pthread_mutex_unlock(&c->lock);
		if (!next) {
			*held = NULL;
			return NULL;
		}
		c = next;
	}
}

/* What a message (or a commit's outcome: @m NULL) does to @t, or NULL. */
typedef void fifo_op_fn(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			const struct ghost_msg *m, const void *p);
/* Does @op on @t stay within @t's CPU?  Then its lock is enough. */
typedef int fifo_local_fn(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			  const void *p);

/*
 * Apply @op to @gtid under the lock of its CPU (tried from @near) if
 * @local allows, else under every lock.
 */
static void fifo_apply(struct ghost_policy_ctx *ctx, __u64 gtid, int near,
		       const struct ghost_msg *m, const void *p,
		       fifo_op_fn *op, fifo_local_fn *local)
{
	struct fifo_cpu *c = NULL;
	struct fifo_task *t;

	if (local) {
		t = fifo_lock_task(ctx, gtid, near, &c);
		if (t && local(ctx, t, p)) {
			c->local = 1;
			op(ctx, t, m, p);
			c->local = 0;
			fifo_cpu_unlock(fifo_of(ctx), c);
			return;
		}
		if (c)
			pthread_mutex_unlock(&c->lock);
	}
	fifo_lock_all(ctx);
	op(ctx, fifo_find(ctx, gtid), m, p);
	fifo_unlock_all(ctx);
}

static int fifo_local_always(struct ghost_policy_ctx *ctx,
			     struct fifo_task *t, const void *p)
{
	return 1;
}

static int fifo_local_stays(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			    const void *p)
{
	return fifo_stays(ctx, t);
}

/*
 * @t's barrier moves on (a message, or it ran): an entry of it still in
 * a list is stale from now on, and the module will skip it.
 */
static void fifo_unlist(struct ghost_policy_ctx *ctx, struct fifo_task *t)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), t->listed_cpu);

	if (c)
		c->listed--;
	t->listed_cpu = -1;
}

static void fifo_new_barrier(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			     __u32 barrier)
{
	fifo_unlist(ctx, t);
	t->barrier = barrier;
}

/* Take @t off its runqueue and its CPU, whatever it was doing. */
static void fifo_detach(struct ghost_policy_ctx *ctx, struct fifo_task *t)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), t->cpu);

	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	if (c && c->cur == t)
		c->cur = NULL;
}

static void fifo_forget(struct ghost_policy_ctx *ctx, struct fifo_task *t)
{
	struct fifo *f = fifo_of(ctx);

	fifo_unlist(ctx, t);
	fifo_detach(ctx, t);
	gp_tasks_del(&f->tasks, t->gtid);
}

static struct fifo_task *fifo_alloc(struct ghost_policy_ctx *ctx, __u64 gtid,
				    __u32 barrier)
{
	struct fifo_task *t = gp_tasks_new(ctx, "fifo_per_cpu",
					       &fifo_of(ctx)->tasks, gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->listed_cpu = -1;
	t->gave_cpu = 0;
	t->state = FIFO_BLOCKED;
	return t;
}

/* A thread the kernel says is on a CPU: make it that CPU's current. */
static void fifo_set_oncpu(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			   int cpu)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), cpu);

	t->cpu = cpu;
	t->state = FIFO_ONCPU;
	if (c && !c->cur)
		c->cur = t;
}

/*
 * A new thread of a blocked parent runs where it is, on the parent's
 * CPU, if that is idle; the parent's next children, while it stays
 * blocked, go elsewhere, so that siblings (a pipe's two ends) do not
 * share a CPU.
 */
static void fifo_place_child(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			     __u64 parent_gtid)
{
	struct fifo_task *par = parent_gtid ? fifo_find(ctx, parent_gtid) :
					      NULL;

	if (!par || par->state != FIFO_BLOCKED || !fifo_cpu(fifo_of(ctx),
							    par->cpu))
		return;
	if (!par->gave_cpu && fifo_idle(fifo_of(ctx), par->cpu) &&
	    ghost_policy_task_allowed(ctx, t->gtid, par->cpu)) {
		t->cpu = par->cpu;
		par->gave_cpu = 1;
	} else if (par->gave_cpu) {
		t->cpu = fifo_assign_cpu(ctx, t->gtid, par->cpu);
	}
}

static void fifo_task_new(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task_new *p)
{
	struct fifo_task *t;
	int cpu;

	fifo_lock_all(ctx);
	t = fifo_find(ctx, p->gtid);
	/* Discovery again: start over from what the kernel says now. */
	if (t)
		fifo_forget(ctx, t);
	t = fifo_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		goto out;
	if (p->runnable) {
		fifo_place_child(ctx, t, p->parent_gtid);
		fifo_enqueue(ctx, t, 0);
		goto out;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		fifo_set_oncpu(ctx, t, cpu);
out:
	fifo_unlock_all(ctx);
}

/*
 * A thread that wakes to wait behind others moves to an idle CPU, if
 * there is one (CFS's wakeup balancing), instead of waiting while that
 * CPU has nothing to do.  One that only waits for the CPU's running
 * thread stays: that thread may be about to leave it (an exiting child
 * wakes its parent before it is gone).
 */
static void fifo_wakeup_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			   const struct ghost_msg *m, const void *p)
{
	struct fifo_cpu *c;
	int idle;

	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	fifo_detach(ctx, t);
	t->gave_cpu = 0;
	c = fifo_cpu(fifo_of(ctx), t->cpu);
	if (c && !c->local && !gp_list_empty(&c->rq)) {
		idle = fifo_idle_cpu(ctx, t->gtid, t->cpu);
		if (idle >= 0)
			t->cpu = idle;
	}
	fifo_enqueue(ctx, t, 0);
}

/* It stays, and need not look for an idle CPU. */
static int fifo_local_wakeup(struct ghost_policy_ctx *ctx,
			     struct fifo_task *t, const void *p)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), t->cpu);

	return fifo_stays(ctx, t) &&
	       (gp_list_empty(&c->rq) || !fifo_idle_elsewhere(ctx, t->cpu));
}

static void fifo_task_wakeup(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task_wakeup *p)
{
	fifo_apply(ctx, p->gtid, p->last_ran_cpu, m, p, fifo_wakeup_op,
		   fifo_local_wakeup);
}

static void fifo_blocked_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			    const struct ghost_msg *m, const void *p)
{
	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	fifo_detach(ctx, t);
	t->state = FIFO_BLOCKED;
}

static void fifo_task_blocked(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_blocked_op,
		   fifo_local_always);
}

/* Preempted: back to the front of the line, on the same CPU. */
static void fifo_preempt_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			    const struct ghost_msg *m, const void *p)
{
	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	fifo_detach(ctx, t);
	fifo_enqueue(ctx, t, 1);
}

static void fifo_task_preempt(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_preempt_op,
		   fifo_local_stays);
}

static void fifo_yield_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			  const struct ghost_msg *m, const void *p)
{
	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	fifo_detach(ctx, t);
	fifo_enqueue(ctx, t, 0);
}

static void fifo_task_yield(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_yield_op,
		   fifo_local_stays);
}

static void fifo_gone_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			 const struct ghost_msg *m, const void *p)
{
	if (t)
		fifo_forget(ctx, t);
}

static void fifo_task_gone(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_gone_op, NULL);
}

/* A message moved @t's barrier, and nothing else. */
static void fifo_barrier_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			    const struct ghost_msg *m, const void *p)
{
	if (t)
		fifo_new_barrier(ctx, t, m->seqnum);
}

static void fifo_task_barrier(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_barrier_op,
		   fifo_local_always);
}

/*
 * Its affinity changed (or a list entry of it was refused): a thread
 * waiting for a CPU it may no longer run on moves to one it may.
 */
static void fifo_affinity_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			     const struct ghost_msg *m, const void *p)
{
	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	if (t->state == FIFO_QUEUED &&
	    !ghost_policy_task_allowed(ctx, t->gtid, t->cpu)) {
		fifo_detach(ctx, t);
		fifo_enqueue(ctx, t, 0);
	}
}

static int fifo_local_affinity(struct ghost_policy_ctx *ctx,
			       struct fifo_task *t, const void *p)
{
	return t->state != FIFO_QUEUED || fifo_stays(ctx, t);
}

static void fifo_task_affinity(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_affinity_op,
		   fifo_local_affinity);
}

/* FIFO ignores nice; only the barrier moves. */
static void fifo_task_priority(struct ghost_policy_ctx *ctx,
			       const struct ghost_msg *m,
			       const struct ghost_msg_task_priority *p)
{
	fifo_apply(ctx, p->gtid, -1, m, p, fifo_barrier_op,
		   fifo_local_always);
}

/*
 * The module ran @p->gtid from @p->cpu's list: it is that CPU's thread
 * now, off the runqueue.  It may be a thread we hold as runnable, one an
 * earlier policy listed (hot swap), or one we do not know at all.
 */
static void fifo_latched_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			    const struct ghost_msg *m, const void *arg)
{
	const struct ghost_msg_task *p = arg;
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), p->cpu);

	if (!t)
		t = fifo_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	fifo_new_barrier(ctx, t, m->seqnum);
	fifo_detach(ctx, t);
	t->cpu = p->cpu;
	t->state = FIFO_ONCPU;
	if (c)
		c->cur = t;
}

/* Ran where it waited: nothing moves between CPUs. */
static int fifo_local_latched(struct ghost_policy_ctx *ctx,
			      struct fifo_task *t, const void *arg)
{
	const struct ghost_msg_task *p = arg;

	return p->cpu == t->cpu;
}

static void fifo_task_latched(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p)
{
	fifo_apply(ctx, p->gtid, p->cpu, m, p, fifo_latched_op,
		   fifo_local_latched);
}

/*
 * Mirror the front of @cpu's runqueue into its list, up to the depth and
 * the free slots.  Threads already listed there keep their entries (they
 * cannot be moved); a thread that came to the front later is listed
 * behind them.  0, or -1 if the CPU has no list.
 */
/*
 * @cpu's list is empty: none of our entries is left in it.  The module
 * skips an entry it finds stale without a message of its own, and drops
 * every list on a rediscovery: forget those, or their threads would wait
 * for entries that are gone.  A thread is listed only on the CPU whose
 * runqueue holds it (an entry adopted after a swap moves its thread
 * there), so that runqueue is the one to look at; @cpu's lock held.
 */
static void fifo_forget_entries(struct ghost_policy_ctx *ctx, int cpu)
{
	struct fifo *f = fifo_of(ctx);
	struct gp_list *n;
	struct fifo_task *t;

	gp_list_for_each(n, &f->cpu[cpu].rq) {
		t = gp_container_of(n, struct fifo_task, node);
		if (t->listed_cpu == cpu)
			t->listed_cpu = -1;
	}
	f->cpu[cpu].listed = 0;
}

static int fifo_publish(struct ghost_policy_ctx *ctx, struct fifo_cpu *c,
			int cpu)
{
	struct fifo *f = fifo_of(ctx);
	int room, out = ghost_policy_dl_outstanding(ctx, cpu);
	struct gp_list *n;
	struct fifo_task *t;

	if (out < 0)
		return -1;
	if (!out && c->listed)
		fifo_forget_entries(ctx, cpu);
	room = f->depth - c->listed;
	if (room > GHOST_DISPATCH_SLOTS - out)
		room = GHOST_DISPATCH_SLOTS - out;
	gp_list_for_each(n, &c->rq) {
		if (room <= 0)
			break;
		t = gp_container_of(n, struct fifo_task, node);
		/* Listed here already, or (after a swap) elsewhere. */
		if (t->listed_cpu >= 0)
			continue;
		if (ghost_policy_dl_push(ctx, cpu, t->gtid, t->barrier))
			break;
		t->listed_cpu = cpu;
		c->listed++;
		room--;
	}
	return 0;
}

/*
 * @cpu's thread gave it up: commit the head of its runqueue.  With the
 * fast path, list the front of the runqueue instead.
 */
static void fifo_schedule_locked(struct ghost_policy_ctx *ctx,
				 struct fifo_cpu *c, int cpu)
{
	struct gp_list *n;
	struct fifo_task *t;

	if (c->offline)
		return;
	if (!c->commits && fifo_publish(ctx, c, cpu))
		c->commits = 1;
	if (!c->commits || c->cur)
		return;
	n = gp_list_first(&c->rq);
	if (!n)
		return;
	t = gp_container_of(n, struct fifo_task, node);
	gp_list_del(&t->node);
	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier)) {
		gp_list_add_head(&c->rq, &t->node);
		return;
	}
	t->state = FIFO_COMMITTING;
	c->cur = t;
}

/* Nothing waits on @c, nothing is listed there: it could take work. */
static int fifo_hungry(const struct fifo_cpu *c)
{
	return !c->offline && !c->commits && !c->listed &&
	       gp_list_empty(&c->rq);
}

/* The last thread in line on @v that may run on @cpu, or NULL. */
static struct fifo_task *fifo_last_for(struct ghost_policy_ctx *ctx,
				       struct fifo_cpu *v, int cpu)
{
	struct fifo_task *t;
	struct gp_list *p;

	for (p = v->rq.prev; p != &v->rq; p = p->prev) {
		t = gp_container_of(p, struct fifo_task, node);
		if (ghost_policy_task_allowed(ctx, t->gtid, cpu))
			return t;
	}
	return NULL;
}

/*
 * The last thread in line, that may run on @cpu, on the other CPU where
 * most wait (FIFO_STEAL_MIN at least, counted up to GHOST_DISPATCH_SLOTS);
 * NULL if there is none.  Every lock held.
 */
static struct fifo_task *fifo_steal_victim(struct ghost_policy_ctx *ctx,
					   int cpu)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_task *t, *best = NULL;
	int i, n, most = FIFO_STEAL_MIN - 1;
	struct fifo_cpu *v;

	for (i = 0; i < ctx->nr_cpus; i++) {
		v = fifo_cpu(f, ctx->cpus[i]);
		if (!v || v == &f->cpu[cpu] || v->offline)
			continue;
		n = fifo_waiting(v, GHOST_DISPATCH_SLOTS);
		if (n <= most)
			continue;
		t = fifo_last_for(ctx, v, cpu);
		if (t) {
			most = n;
			best = t;
		}
	}
	return best;
}

/*
 * @cpu has nothing lined up while threads wait elsewhere: take the last
 * in line where most wait (CFS's idle balancing), and list it here.  Its
 * entry there stays valid, as entries cannot be taken back: the module
 * runs it from whichever list reaches it first, and skips the other
 * entry as stale (it is no longer runnable, or its barrier moved).
 */
static void fifo_steal(struct ghost_policy_ctx *ctx, int cpu)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_cpu *c = &f->cpu[cpu];
	struct fifo_task *t;

	fifo_lock_all(ctx);
	if (fifo_hungry(c) && (t = fifo_steal_victim(ctx, cpu))) {
		fifo_unlist(ctx, t);
		fifo_detach(ctx, t);
		t->cpu = cpu;
		fifo_enqueue(ctx, t, 0);
		fifo_publish(ctx, c, cpu);
	}
	fifo_unlock_all(ctx);
}

/*
 * Hear of @cpu going idle (GHOST_DL_F_IDLE_WAKE) only while threads wait
 * elsewhere (@waiting): then there is work to take.  Let the module line
 * up wakeups onto @cpu (GHOST_DL_F_RUN_WOKEN) only while no other CPU
 * looks idle: else such a thread should move there, which only we
 * decide.  @c's lock held.
 */
static void fifo_list_flags(struct ghost_policy_ctx *ctx, struct fifo_cpu *c,
			    int cpu, int waiting)
{
	__u32 flags = (FIFO_DL_FLAGS & ~FIFO_DL_TOGGLED) |
		      (waiting ? GHOST_DL_F_IDLE_WAKE : 0) |
		      (fifo_idle_elsewhere(ctx, cpu) ? 0 : GHOST_DL_F_RUN_WOKEN);

	if (c->commits || c->offline || flags == c->dl_flags)
		return;
	if (!ghost_policy_dl_set_flags(ctx, cpu, flags))
		c->dl_flags = flags;
}

static void fifo_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), cpu);
	int waiting, steal;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	fifo_schedule_locked(ctx, c, cpu);
	waiting = fifo_waiting_elsewhere(ctx, cpu);
	fifo_list_flags(ctx, c, cpu, waiting);
	steal = waiting && fifo_hungry(c);
	fifo_cpu_unlock(fifo_of(ctx), c);
	if (steal)
		fifo_steal(ctx, cpu);
}

/* The outcome of a commit to a CPU, for fifo_apply(). */
struct fifo_outcome {
	int cpu;
	int state;		/* enum ghost_txn_state */
};

static void fifo_commit_op(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			   const struct ghost_msg *m, const void *arg)
{
	const struct fifo_outcome *o = arg;
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), o->cpu);
	int where;

	/*
	 * Not the request it waits for: an agent's commit of its own CPU is
	 * reported at that CPU's next round, possibly after the thread's
	 * later messages, drained elsewhere, had it blocked, woken and asked
	 * for on another CPU.  Taken as that CPU's thread, it would hold the
	 * CPU for good.
	 */
	if (!t || t->state != FIFO_COMMITTING || t->cpu != o->cpu) {
		if (c && c->cur == t && o->state != GHOST_TXN_COMPLETE)
			c->cur = NULL;
		return;
	}
	if (o->state == GHOST_TXN_COMPLETE) {
		t->state = FIFO_ONCPU;
		if (c)
			c->cur = t;
		return;
	}
	fifo_detach(ctx, t);
	switch (gp_commit_failed(ctx, t->gtid, o->state, &where)) {
	case GP_FAILED_WAIT:
		t->state = FIFO_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		fifo_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		fifo_enqueue(ctx, t, 1);
		break;
	}
}

/* Completed where it waited: nothing moves between CPUs. */
static int fifo_local_commit(struct ghost_policy_ctx *ctx, struct fifo_task *t,
			     const void *arg)
{
	const struct fifo_outcome *o = arg;

	return o->state == GHOST_TXN_COMPLETE && t->cpu == o->cpu;
}

static void fifo_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			     __u64 gtid, int state)
{
	struct fifo_outcome o = { .cpu = cpu, .state = state };

	fifo_apply(ctx, gtid, cpu, NULL, &o, fifo_commit_op,
		   fifo_local_commit);
}

/*
 * Hotplug took @p->cpu: the module emptied its list and runs nothing
 * there.  Its waiting threads go to the other CPUs, in their order; its
 * running thread comes back with TASK_PREEMPT and goes the same way.
 */
static void fifo_cpu_offline(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_cpu *p)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_cpu *c = fifo_cpu(f, p->cpu);
	struct fifo_task *t;
	struct gp_list *n;

	if (!c)
		return;
	fifo_lock_all(ctx);
	if (c->offline)
		goto out;
	fifo_forget_entries(ctx, p->cpu);
	c->offline = 1;
	while ((n = gp_list_first(&c->rq))) {
		t = gp_container_of(n, struct fifo_task, node);
		gp_list_del(&t->node);
		fifo_enqueue(ctx, t, 0);
	}
out:
	fifo_unlock_all(ctx);
}

/* Back: new threads are given it again; its list starts empty. */
static void fifo_cpu_online(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_cpu *p)
{
	struct fifo_cpu *c = fifo_cpu(fifo_of(ctx), p->cpu);

	if (!c)
		return;
	fifo_lock_all(ctx);
	if (c->offline) {
		fifo_forget_entries(ctx, p->cpu);
		c->offline = 0;
	}
	fifo_unlock_all(ctx);
}

static void fifo_describe(const void *task, struct fifo_state_task *rec)
{
	const struct fifo_task *t = task;

	fifo_state_fill(rec, t->gtid, t->barrier, t->cpu, t->order,
			t->state == FIFO_ONCPU, t->state == FIFO_BLOCKED);
}

/* "ghostctl status --threads": where @gtid waits, and its barrier. */
static int fifo_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			    char *buf, size_t len)
{
	static const char *const states[] = {
		[FIFO_BLOCKED]		= "blocked",
		[FIFO_QUEUED]		= "queued",
		[FIFO_COMMITTING]	= "committing",
		[FIFO_ONCPU]		= "oncpu",
	};
	const struct fifo_task *t = fifo_find(ctx, gtid);
	const struct fifo_cpu *c;

	if (!t)
		return -ENOENT;
	c = fifo_cpu(fifo_of(ctx), t->cpu);
	if (t->state == FIFO_QUEUED && c)
		return snprintf(buf, len,
				"state=queued barrier=%u queue=cpu%d pos=%d",
				t->barrier, t->cpu, gp_list_pos(&c->rq, &t->node));
	return snprintf(buf, len, "state=%s barrier=%u cpu=%d",
			states[t->state], t->barrier, t->cpu);
}

static long fifo_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&fifo_of(ctx)->tasks.table, buf, len,
				 fifo_describe);
}

/* A thread keeps its CPU if this policy serves it. */
static int fifo_import_add(struct ghost_policy_ctx *ctx,
			   const struct fifo_state_task *rec)
{
	struct fifo_task *t = fifo_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	t->cpu = fifo_cpu(fifo_of(ctx), rec->cpu) ? rec->cpu : -1;
	if (rec->kind == FIFO_STATE_ONCPU)
		fifo_set_oncpu(ctx, t, rec->cpu);
	return 0;
}

static void fifo_import_requeue(struct ghost_policy_ctx *ctx,
				const struct fifo_state_task *rec)
{
	struct fifo_task *t = fifo_find(ctx, rec->gtid);

	if (t)
		fifo_enqueue(ctx, t, 0);
}

/*
 * An entry the previous policy listed is still there and may still run:
 * take it as ours, so that no thread is listed twice or committed while
 * listed.  A thread listed on another CPU than the one it was given
 * moves to that CPU's runqueue, where it will run.
 */
static void fifo_adopt_entry(struct ghost_policy_ctx *ctx, int cpu,
			     const struct ghost_dispatch_entry *e)
{
	struct fifo *f = fifo_of(ctx);
	struct fifo_task *t = fifo_find(ctx, e->gtid);

	if (!t || t->state != FIFO_QUEUED || t->barrier != e->barrier ||
	    t->listed_cpu >= 0)
		return;
	if (t->cpu != cpu) {
		t->cpu = cpu;
		gp_list_move(&f->cpu[cpu].rq, &t->node, 0);
	}
	t->listed_cpu = cpu;
	f->cpu[cpu].listed++;
}

static int fifo_import(struct ghost_policy_ctx *ctx, const void *buf,
		       size_t len)
{
	int ret = fifo_state_import(ctx, buf, len, fifo_import_add,
				    fifo_import_requeue);

	if (!ret)
		gp_dl_for_each_entry(ctx, fifo_adopt_entry);
	return ret;
}

static int fifo_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	static const char *const known[] = {
		"max_tasks", "dispatch_depth", NULL
	};
	unsigned long max = FIFO_MAX_TASKS, depth = GHOST_DISPATCH_SLOTS;
	struct fifo *f;
	int i;

	if (gp_opts_known(ctx, "fifo_per_cpu", opts, known) ||
	    gp_opt_ulong(ctx, "fifo_per_cpu", opts, "max_tasks", 1, 1000000,
			 &max) ||
	    gp_opt_ulong(ctx, "fifo_per_cpu", opts, "dispatch_depth", 0,
			 GHOST_DISPATCH_SLOTS, &depth))
		return -EINVAL;
	if (ctx->nr_cpus <= 0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->depth = depth;
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	if (!f->cpu ||
	    gp_tasks_init(&f->tasks, sizeof(struct fifo_task), max)) {
		gp_tasks_free(&f->tasks);
		free(f->cpu);
		free(f);
		return -ENOMEM;
	}
	for (i = 0; i < ctx->nr_cpu_ids; i++) {
		pthread_mutex_init(&f->cpu[i].lock, NULL);
		gp_list_init(&f->cpu[i].rq);
	}
	for (i = 0; i < ctx->nr_cpus; i++) {
		if (ctx->cpus[i] >= 0 && ctx->cpus[i] < ctx->nr_cpu_ids) {
			f->cpu[ctx->cpus[i]].served = 1;
			f->cpu[ctx->cpus[i]].idle_hint = 1;
			f->cpu[ctx->cpus[i]].commits = !depth;
			f->cpu[ctx->cpus[i]].dl_flags = FIFO_DL_FLAGS;
		}
	}
	/* No lists: nothing may run by itself, every event wakes us. */
	if (!depth)
		ctx->dispatch_flags = 0;
	ctx->priv = f;
	return 0;
}

static void fifo_fini(struct ghost_policy_ctx *ctx)
{
	struct fifo *f = fifo_of(ctx);

	if (!f)
		return;
	gp_tasks_free(&f->tasks);
	free(f->cpu);
	free(f);
	ctx->priv = NULL;
}

GHOST_POLICY_DEFINE(fifo_per_cpu,
	.model			= GHOST_POLICY_PER_CPU,
	.flags			= GHOST_POLICY_F_CONCURRENT,
	.state_format		= FIFO_STATE_FORMAT,
	.dispatch_flags		= FIFO_DL_FLAGS,
	.help			= "max_tasks=N  threads tracked at most (8192)\n"
				  "dispatch_depth=N  threads listed ahead per CPU (32; 0: commits only)\n",
	.init			= fifo_init,
	.fini			= fifo_fini,
	.task_new		= fifo_task_new,
	.task_wakeup		= fifo_task_wakeup,
	.task_blocked		= fifo_task_blocked,
	.task_preempt		= fifo_task_preempt,
	.task_yield		= fifo_task_yield,
	.task_dead		= fifo_task_gone,
	.task_departed		= fifo_task_gone,
	.task_affinity_changed	= fifo_task_affinity,
	.task_on_cpu		= fifo_task_barrier,
	.cpu_offline		= fifo_cpu_offline,
	.cpu_online		= fifo_cpu_online,
	.task_priority_changed	= fifo_task_priority,
	.task_latched		= fifo_task_latched,
	.schedule		= fifo_schedule,
	.commit_done		= fifo_commit_done,
	.export_state		= fifo_export,
	.import_state		= fifo_import,
	.describe		= fifo_describe_op);
