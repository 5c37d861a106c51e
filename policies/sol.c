// SPDX-License-Identifier: GPL-2.0
/*
 * sol: "speed of light", a centralized FIFO built for decisions per second.
 *
 * A single agent thread on the global CPU (GHOST_POLICY_CENTRALIZED)
 * drains every message and, on each iteration, gives each idle CPU of the
 * enclave the thread at the head of one global runqueue.  The global CPU
 * never runs a thread.  There is no time slice: a
 * thread runs until it blocks, yields or is preempted.  Threads that wake
 * up or yield join the back of the line; preempted threads the front.
 *
 * What makes it fast is what it does not do.  Idle CPUs are kept on a
 * list of their own, so a round walks only the CPUs it can fill and stops
 * as soon as the runqueue is empty; blocked threads are on no list at
 * all; every message is O(1) (a hash lookup and list moves).  A round
 * asks for at most one thread per CPU it can fill and does nothing per
 * thread beyond that.  A thread that may not run on an idle CPU (its affinity)
 * is passed over, but a CPU looks at no more than lookahead threads from
 * the head, so a long line of such threads costs a bounded amount per
 * round.
 *
 * Asynchronous decisions.  With dispatch lists (ghOSt's SOL submits its
 * commits asynchronously and reaps them later; lists are how this module
 * does that) a decision is an entry (thread, barrier) pushed to the
 * chosen CPU's list: the runtime kicks the idle CPUs after the round,
 * the module runs the entries itself, and the round goes on without
 * waiting for any outcome.  The outcome comes back in later rounds:
 * TASK_LATCHED puts the thread on its CPU; a message that moves a listed
 * thread's barrier makes its entry stale (the module skips it) and puts
 * the thread back at the front of the line; an idle CPU whose list is
 * found empty with no TASK_LATCHED (the module dropped it) gives its
 * threads back to the line too.  A listed thread is off the line, kept
 * on its CPU's own list, so none of this scans threads.  A round gives
 * one entry to each idle CPU first, then one to each busy CPU that holds
 * fewer than dispatch_depth, so that a CPU whose thread blocks or yields
 * runs the next one without waiting for this agent (the module needs an
 * entry to take a yielding thread's CPU).  Without lists (an older
 * module) or with dispatch_depth=0 every placement is one commit, all of
 * a round in one group commit, and the outcomes come back in that round.
 *
 * When it is good: measuring or needing the most scheduling decisions
 * per second one agent can make (many short-lived runnable threads, a
 * global queue with no head-of-line blocking across CPUs).
 *
 * Known problems: the global CPU is spent on the agent; no fairness
 * beyond FIFO (a thread that never blocks or yields keeps its CPU);
 * threads migrate freely; a thread that may run only on a busy CPU waits
 * there while others behind it run, and one further back than lookahead
 * from the head waits until the line moves.  A thread listed on a busy
 * CPU is promised to it, and may wait behind that CPU's thread while
 * another CPU goes idle (keep dispatch_depth small).
 *
 * Options: max_tasks=N (8192), lookahead=N (threads a CPU looks at past
 * the head for one it may run, 1..4096, default 32), dispatch_depth=N
 * (threads listed per CPU, 0..32, default 1; 0: commits only).
 *
 * Hot swap: it hands over and takes the state of the FIFO policies
 * ("ghost-fifo-v1", fifo_state.h): the same one line, in the same order.
 */
#include <errno.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define SOL_MAX_TASKS		8192
#define SOL_LOOKAHEAD		32
#define SOL_MAX_LOOKAHEAD	4096
#define SOL_DEPTH		1
/*
 * No RUN_ON_WAKE: a thread that wakes up joins the back of the line like
 * any other.  QUIET, as fifo_centralized's: free while the agent spins,
 * and with --idle-sleep it sleeps through what needs no decision.
 */
#define SOL_DL_FLAGS		(GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET)

enum sol_task_state {
	SOL_BLOCKED,
	SOL_QUEUED,
	SOL_COMMITTING,
	SOL_ONCPU,
	SOL_LISTED,
};

struct sol_task {
	/* In sol->rq while SOL_QUEUED, its CPU's listed while SOL_LISTED. */
	struct gp_list node;
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum sol_task_state */
	int cpu;		/* COMMITTING/ONCPU/LISTED: where, else -1 */
	__s64 order;		/* place in line, for the hand-over */
};

struct sol_cpu {
	struct gp_list idle_node;	/* on sol->idle, sol->room or none */
	struct gp_list *on;	/* which of the two, or NULL */
	struct sol_task *cur;	/* committing or running here */
	struct gp_list listed;	/* threads of its valid entries, oldest first */
	int nr_listed;
	int served;		/* in ctx->cpus: threads may run here */
	int offline;		/* hotplug took it: run nothing there */
	int idling;		/* a commit of nothing is pending (global CPU) */
};

struct sol {
	struct gp_tasks tasks;
	struct gp_list rq;	/* the one line */
	struct gp_list idle;	/* CPUs with no thread, longest idle first */
	struct gp_list room;	/* busy CPUs that may list one more */
	struct sol_cpu *cpu;
	int nr_cpu_ids;
	int lookahead;
	int depth;		/* dispatch_depth */
	int commits;		/* no dispatch lists: decide by commits */
	__s64 back, front;	/* order keys of the line's ends */
};

static struct sol *sol_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct sol_cpu *sol_cpu(struct sol *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids)
		return NULL;
	return &f->cpu[cpu];
}

/*
 * Keep @c on the idle list exactly while it is served, up and has no
 * thread, and on the room list while it runs one and may list more.
 */
static void sol_cpu_update(struct sol *f, struct sol_cpu *c)
{
	struct gp_list *want = NULL;

	if (c->served && !c->offline) {
		if (!c->cur)
			want = &f->idle;
		else if (!f->commits && c->nr_listed < f->depth)
			want = &f->room;
	}
	if (c->on == want)
		return;
	if (c->on)
		gp_list_del(&c->idle_node);
	if (want)
		gp_list_add_tail(want, &c->idle_node);
	c->on = want;
}

static void sol_cpu_set(struct sol *f, struct sol_cpu *c, struct sol_task *t)
{
	c->cur = t;
	sol_cpu_update(f, c);
}

static struct sol_task *sol_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&sol_of(ctx)->tasks, gtid);
}

/* Take @t off the line, off its CPU and off its CPU's list. */
static void sol_detach(struct ghost_policy_ctx *ctx, struct sol_task *t)
{
	struct sol *f = sol_of(ctx);
	struct sol_cpu *c = sol_cpu(f, t->cpu);

	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	if (c && t->state == SOL_LISTED) {
		c->nr_listed--;
		sol_cpu_update(f, c);
	}
	if (c && c->cur == t)
		sol_cpu_set(f, c, NULL);
	t->cpu = -1;
}

static void sol_enqueue(struct ghost_policy_ctx *ctx, struct sol_task *t,
			int front)
{
	struct sol *f = sol_of(ctx);

	sol_detach(ctx, t);
	t->order = front ? --f->front : ++f->back;
	gp_list_move(&f->rq, &t->node, front);
	t->state = SOL_QUEUED;
}

/* The kernel has @t on @cpu: track it there (even the global CPU). */
static void sol_set_oncpu(struct ghost_policy_ctx *ctx, struct sol_task *t,
			  int cpu)
{
	struct sol *f = sol_of(ctx);
	struct sol_cpu *c = sol_cpu(f, cpu);

	sol_detach(ctx, t);
	t->state = SOL_ONCPU;
	t->cpu = cpu;
	if (c)
		sol_cpu_set(f, c, t);
}

static struct sol_task *sol_alloc(struct ghost_policy_ctx *ctx, __u64 gtid,
				  __u32 barrier)
{
	struct sol_task *t = gp_tasks_new(ctx, "sol", &sol_of(ctx)->tasks,
					  gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->state = SOL_BLOCKED;
	return t;
}

static void sol_forget(struct ghost_policy_ctx *ctx, struct sol_task *t)
{
	struct sol *f = sol_of(ctx);

	sol_detach(ctx, t);
	gp_tasks_del(&f->tasks, t->gtid);
}

static void sol_task_new(struct ghost_policy_ctx *ctx,
			 const struct ghost_msg *m,
			 const struct ghost_msg_task_new *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);
	int cpu;

	/* Known already (a rediscovery): start over from what it says. */
	if (t)
		sol_forget(ctx, t);
	t = sol_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	if (p->runnable) {
		sol_enqueue(ctx, t, 0);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		sol_set_oncpu(ctx, t, cpu);
}

static void sol_task_wakeup(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_wakeup *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	sol_enqueue(ctx, t, 0);
}

static void sol_task_blocked(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	sol_detach(ctx, t);
	t->state = SOL_BLOCKED;
}

/* It lost its CPU through no choice of its own: it keeps its turn. */
static void sol_task_preempt(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	sol_enqueue(ctx, t, 1);
}

static void sol_task_yield(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	sol_enqueue(ctx, t, 0);
}

static void sol_task_gone(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (t)
		sol_forget(ctx, t);
}

/*
 * A message moved @gtid's barrier and nothing else.  A listed thread's
 * entry is stale from now on: it goes back to the front of the line.
 */
static void sol_set_barrier(struct ghost_policy_ctx *ctx, __u64 gtid,
			    __u32 barrier)
{
	struct sol_task *t = sol_find(ctx, gtid);

	if (!t)
		return;
	t->barrier = barrier;
	if (t->state == SOL_LISTED)
		sol_enqueue(ctx, t, 1);
}

/* Affinity, TASK_ON_CPU: only the barrier moves. */
static void sol_task_barrier(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	sol_set_barrier(ctx, p->gtid, m->seqnum);
}

/* FIFO ignores nice; only the barrier moves. */
static void sol_task_priority(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task_priority *p)
{
	sol_set_barrier(ctx, p->gtid, m->seqnum);
}

/*
 * The module ran @p->gtid from @p->cpu's list: it is that CPU's thread
 * now.  Usually sol listed it there; the policy before it (hot swap) may
 * have, for a thread sol holds as queued or does not know.
 */
static void sol_task_latched(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sol_task *t = sol_find(ctx, p->gtid);

	if (!t)
		t = sol_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	t->barrier = m->seqnum;
	sol_set_oncpu(ctx, t, p->cpu);
}

/*
 * The first of at most lookahead threads from the head that may run on
 * @cpu, or NULL.
 */
static struct sol_task *sol_pick(struct ghost_policy_ctx *ctx, int cpu)
{
	struct sol *f = sol_of(ctx);
	struct gp_list *pos;
	struct sol_task *t;
	int n = 0;

	gp_list_for_each(pos, &f->rq) {
		if (n++ == f->lookahead)
			break;
		t = gp_container_of(pos, struct sol_task, node);
		if (ghost_policy_task_allowed(ctx, t->gtid, cpu))
			return t;
	}
	return NULL;
}

/*
 * None of @c's entries is left: its threads go back to the front of the
 * line, in the order they had.  Hotplug empties a CPU's list and so does
 * the module when it drops every list; it skips a stale entry with no
 * message of its own.
 */
static void sol_unlist_all(struct ghost_policy_ctx *ctx, struct sol_cpu *c)
{
	struct sol_task *t;

	while (!gp_list_empty(&c->listed)) {
		t = gp_container_of(c->listed.prev, struct sol_task, node);
		sol_enqueue(ctx, t, 1);
	}
}

/* Ask for @t on @c: an entry in its list, or else a commit. */
static int sol_place(struct ghost_policy_ctx *ctx, struct sol_cpu *c,
		     struct sol_task *t)
{
	struct sol *f = sol_of(ctx);
	int cpu = c - f->cpu, ret;

	if (!f->commits) {
		ret = ghost_policy_dl_push(ctx, cpu, t->gtid, t->barrier);
		if (!ret) {
			gp_list_del(&t->node);
			gp_list_add_tail(&c->listed, &t->node);
			t->state = SOL_LISTED;
			t->cpu = cpu;
			c->nr_listed++;
			sol_cpu_update(f, c);
			return 0;
		}
		if (ret != -EOPNOTSUPP)
			return -1;
		/* An older module: commits from now on. */
		f->commits = 1;
	}
	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier))
		return -1;
	gp_list_del(&t->node);
	t->state = SOL_COMMITTING;
	t->cpu = cpu;
	sol_cpu_set(f, c, t);
	return 0;
}

/*
 * Give each CPU of @cpus one more thread, if it may hold one.  An idle
 * CPU's entries are kicked right after the round: if its list is found
 * empty and no TASK_LATCHED came, the module dropped them.
 */
static void sol_fill(struct ghost_policy_ctx *ctx, struct gp_list *cpus)
{
	struct sol *f = sol_of(ctx);
	struct gp_list *pos, *next;
	struct sol_task *t;
	struct sol_cpu *c;
	int cpu;

	for (pos = cpus->next; pos != cpus; pos = next) {
		next = pos->next;
		c = gp_container_of(pos, struct sol_cpu, idle_node);
		cpu = c - f->cpu;
		if (c->nr_listed && !c->cur &&
		    ghost_policy_dl_outstanding(ctx, cpu) == 0)
			sol_unlist_all(ctx, c);
		if (gp_list_empty(&f->rq))
			continue;
		if (!f->commits && c->nr_listed >= f->depth)
			continue;
		t = sol_pick(ctx, cpu);
		if (t)
			sol_place(ctx, c, t);
	}
}

static void sol_schedule(struct ghost_policy_ctx *ctx, int unused)
{
	struct sol *f = sol_of(ctx);
	struct sol_cpu *g = sol_cpu(f, ctx->global_cpu);

	if (g)
		gp_clear_global_cpu(ctx, g->cur != NULL, &g->idling);
	sol_fill(ctx, &f->idle);
	if (!f->commits)
		sol_fill(ctx, &f->room);
}

static void sol_commit_failed(struct ghost_policy_ctx *ctx,
			      struct sol_task *t, int state)
{
	int where;

	switch (gp_commit_failed(ctx, t->gtid, state, &where)) {
	case GP_FAILED_WAIT:
		t->state = SOL_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		sol_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		sol_enqueue(ctx, t, 1);	/* it keeps its turn */
		break;
	}
}

static void sol_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			    __u64 gtid, int state)
{
	struct sol *f = sol_of(ctx);
	struct sol_cpu *c = sol_cpu(f, cpu);
	struct sol_task *t;

	if (!c)
		return;
	if (gtid == GHOST_NULL_GTID) {
		/* The thread there gets TASK_PREEMPT and rejoins the line. */
		c->idling = 0;
		if (state == GHOST_TXN_COMPLETE)
			sol_cpu_set(f, c, NULL);
		return;
	}
	t = sol_find(ctx, gtid);
	if (!t || t->state != SOL_COMMITTING || t->cpu != cpu)
		return;
	if (state == GHOST_TXN_COMPLETE) {
		t->state = SOL_ONCPU;
		return;
	}
	/* Whatever ran there still does: nothing, as sol saw it. */
	sol_detach(ctx, t);
	sol_commit_failed(ctx, t, state);
}

/*
 * Hotplug took @p->cpu away or gave it back.  Its thread, if any, comes
 * back with TASK_PREEMPT; nothing is committed there meanwhile.
 */
static void sol_cpu_hotplug(struct ghost_policy_ctx *ctx, int cpu,
			    int offline)
{
	struct sol *f = sol_of(ctx);
	struct sol_cpu *c = sol_cpu(f, cpu);

	if (!c)
		return;
	sol_unlist_all(ctx, c);
	c->offline = offline;
	sol_cpu_update(f, c);
}

GP_DEFINE_CPU_HOTPLUG(sol)

/* "ghostctl status --threads": where @gtid waits, and its barrier. */
static int sol_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			   char *buf, size_t len)
{
	static const char *const states[] = {
		[SOL_BLOCKED]		= "blocked",
		[SOL_QUEUED]		= "queued",
		[SOL_COMMITTING]	= "committing",
		[SOL_ONCPU]		= "oncpu",
		[SOL_LISTED]		= "listed",
	};
	const struct sol_task *t = sol_find(ctx, gtid);

	if (!t)
		return -ENOENT;
	if (t->state == SOL_QUEUED)
		return snprintf(buf, len,
				"state=queued barrier=%u queue=global pos=%d",
				t->barrier,
				gp_list_pos(&sol_of(ctx)->rq, &t->node));
	if (t->state == SOL_BLOCKED)
		return snprintf(buf, len, "state=blocked barrier=%u",
				t->barrier);
	return snprintf(buf, len, "state=%s barrier=%u cpu=%d",
			states[t->state], t->barrier, t->cpu);
}

static void sol_describe(const void *task, struct fifo_state_task *rec)
{
	const struct sol_task *t = task;

	fifo_state_fill(rec, t->gtid, t->barrier, t->cpu, t->order,
			t->state == SOL_ONCPU, t->state == SOL_BLOCKED);
}

static long sol_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&sol_of(ctx)->tasks.table, buf, len,
				 sol_describe);
}

static int sol_import_add(struct ghost_policy_ctx *ctx,
			  const struct fifo_state_task *rec)
{
	struct sol_task *t = sol_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	if (rec->kind == FIFO_STATE_ONCPU)
		sol_set_oncpu(ctx, t, rec->cpu);
	return 0;
}

static void sol_import_requeue(struct ghost_policy_ctx *ctx,
			       const struct fifo_state_task *rec)
{
	struct sol_task *t = sol_find(ctx, rec->gtid);

	if (t)
		sol_enqueue(ctx, t, 0);
}

/*
 * An entry the previous policy listed is still there and may still run:
 * take it as ours, so that the thread is neither listed twice nor
 * committed while listed.
 */
static void sol_adopt_entry(struct ghost_policy_ctx *ctx, int cpu,
			    const struct ghost_dispatch_entry *e)
{
	struct sol *f = sol_of(ctx);
	struct sol_task *t = sol_find(ctx, e->gtid);
	struct sol_cpu *c = sol_cpu(f, cpu);

	if (!t || !c || t->state != SOL_QUEUED || t->barrier != e->barrier)
		return;
	gp_list_del(&t->node);
	gp_list_add_tail(&c->listed, &t->node);
	t->state = SOL_LISTED;
	t->cpu = cpu;
	c->nr_listed++;
	sol_cpu_update(f, c);
}

static int sol_import(struct ghost_policy_ctx *ctx, const void *buf,
		      size_t len)
{
	int ret = fifo_state_import(ctx, buf, len, sol_import_add,
				    sol_import_requeue);

	if (!ret && !sol_of(ctx)->commits)
		gp_dl_for_each_entry(ctx, sol_adopt_entry);
	return ret;
}

static int sol_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		     unsigned long *max, unsigned long *lookahead,
		     unsigned long *depth)
{
	static const char *const known[] = {
		"max_tasks", "lookahead", "dispatch_depth", NULL
	};

	if (gp_opts_known(ctx, "sol", opts, known) ||
	    gp_opt_ulong(ctx, "sol", opts, "max_tasks", 1, 1000000, max) ||
	    gp_opt_ulong(ctx, "sol", opts, "lookahead", 1, SOL_MAX_LOOKAHEAD,
			 lookahead) ||
	    gp_opt_ulong(ctx, "sol", opts, "dispatch_depth", 0,
			 GHOST_DISPATCH_SLOTS, depth))
		return -EINVAL;
	return 0;
}

static void sol_free(struct sol *f)
{
	gp_tasks_free(&f->tasks);
	free(f->cpu);
	free(f);
}

static int sol_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long max = SOL_MAX_TASKS, lookahead = SOL_LOOKAHEAD;
	unsigned long depth = SOL_DEPTH;
	struct sol *f;
	int i, cpu, ret;

	ret = sol_parse(ctx, opts, &max, &lookahead, &depth);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0) {
		ghost_policy_log(ctx, "sol: no CPU to run threads on besides the global one");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->lookahead = lookahead;
	f->depth = depth;
	f->commits = !depth;
	gp_list_init(&f->rq);
	gp_list_init(&f->idle);
	gp_list_init(&f->room);
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	if (!f->cpu || gp_tasks_init(&f->tasks, sizeof(struct sol_task), max)) {
		sol_free(f);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < f->nr_cpu_ids; cpu++) {
		gp_list_init(&f->cpu[cpu].idle_node);
		gp_list_init(&f->cpu[cpu].listed);
	}
	/* Every CPU is idle until a message or the hand-over says not. */
	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		if (cpu < 0 || cpu >= f->nr_cpu_ids || cpu == ctx->global_cpu)
			continue;
		f->cpu[cpu].served = 1;
		sol_cpu_update(f, &f->cpu[cpu]);
	}
	/* dispatch_depth=0: every placement is a commit, no list is enabled. */
	if (!depth)
		ctx->dispatch_flags = 0;
	ctx->priv = f;
	return 0;
}

static void sol_fini(struct ghost_policy_ctx *ctx)
{
	if (!ctx->priv)
		return;
	sol_free(sol_of(ctx));
	ctx->priv = NULL;
}

GHOST_POLICY_DEFINE(sol,
	.model			= GHOST_POLICY_CENTRALIZED,
	.state_format		= FIFO_STATE_FORMAT,
	.dispatch_flags		= SOL_DL_FLAGS,
	.help			= "max_tasks=N  threads tracked at most (8192)\n"
				  "lookahead=N  threads a CPU looks at from the head for one it may run (32)\n"
				  "dispatch_depth=N  threads listed per CPU (1; 0: commits only)\n",
	.init			= sol_init,
	.fini			= sol_fini,
	.task_new		= sol_task_new,
	.task_wakeup		= sol_task_wakeup,
	.task_blocked		= sol_task_blocked,
	.task_preempt		= sol_task_preempt,
	.task_yield		= sol_task_yield,
	.task_dead		= sol_task_gone,
	.task_departed		= sol_task_gone,
	.task_affinity_changed	= sol_task_barrier,
	.task_on_cpu		= sol_task_barrier,
	.task_priority_changed	= sol_task_priority,
	.task_latched		= sol_task_latched,
	.cpu_offline		= sol_cpu_offline,
	.cpu_online		= sol_cpu_online,
	.schedule		= sol_schedule,
	.commit_done		= sol_commit_done,
	.export_state		= sol_export,
	.import_state		= sol_import,
	.describe		= sol_describe_op);
