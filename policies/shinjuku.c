// SPDX-License-Identifier: GPL-2.0
/*
 * shinjuku: centralized and preemptive, one FIFO per QoS class, steered
 * by application hints (Shinjuku, NSDI '19, as ghOSt schedules it).
 *
 * One agent thread on the global CPU (GHOST_POLICY_CENTRALIZED) drains
 * every message and, on each iteration, gives every idle CPU the first
 * waiting thread of the highest QoS class that has one, all in one group
 * commit.  A thread that has run slice_us while a thread of its class or
 * a higher one waits is preempted and goes to the tail of its class: a
 * long request cannot hold up short ones.  The slice is checked against
 * the clock on every iteration of the spinning agent, so no timer ticks
 * are needed; its floor is that loop's latency (a commit round trip,
 * tens of µs), hence the default of 50 µs.
 *
 * Hints (<ghost/app_hint.h>, read with ghost_policy_hint() on every
 * decision): a thread's class is its hint's qos (0..7); a thread whose
 * hint says IDLE is not given a CPU even if the kernel has it runnable,
 * and one running when its hint turns IDLE gives its CPU to the next
 * waiting thread at the next iteration, or keeps it until it blocks if
 * nothing waits (ghOSt's deferred unschedule: an application marks a
 * worker idle just before it blocks, and may be preempted in between).
 * A thread without a hint, the case of every thread of an application
 * that publishes none, is class 0 and runnable as the kernel says.  Its class is read again when it is queued and on every
 * iteration while it waits: a change moves it to the tail of its new
 * class.
 *
 * Preempted by the kernel (or by a CPU going offline): the head of its
 * class; by its slice or its IDLE hint: the tail.  Affinity is honoured
 * (a thread goes only where it may run), CPUs hotplug takes away get
 * nothing until they are back, a failed commit puts the thread back at
 * the head of its class (or waits for its message), dead threads are
 * forgotten at TASK_DEAD.  State is exported in the FIFO policies'
 * format, so a hot swap to or from fifo_centralized (or fifo_per_cpu)
 * keeps every thread; the class is not part of it, hints give it back.
 *
 * When it is good: request-serving workers with a mix of short and long
 * requests (an RPC server, a key-value store with occasional scans),
 * where a long request must not hold up the short ones behind it: a
 * thread that has run its slice (tens of µs) gives its CPU to a waiting
 * thread of its class or a higher one, so a short request does not wait
 * for a long one to finish.  Hints let the application put
 * latency-critical work in a higher class.
 *
 * Known problems: the global CPU is spent on the agent; decisions
 * serialise on one thread; no dispatch lists (every placement is a
 * commit, as the slice needs); hints cost a memory read per waiting
 * thread per iteration.
 *
 * Options: slice_us=N (1..10000000, default 50), max_tasks=N (8192).
 */
#include <errno.h>
#include <stdlib.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#include "fifo_state.h"

#define SJK_MAX_TASKS		8192
#define SJK_SLICE_US		50
#define SJK_MAX_SLICE_US	10000000UL
#define SJK_NR_QOS		(GHOST_HINT_QOS_MAX + 1)

enum sjk_task_state {
	SJK_BLOCKED,
	SJK_QUEUED,
	SJK_COMMITTING,
	SJK_ONCPU,
};

struct sjk_task {
	struct gp_list node;	/* in sjk->rq[qos] while SJK_QUEUED */
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum sjk_task_state */
	int cpu;		/* SJK_COMMITTING/ONCPU: where */
	int qos;		/* its class, from its hint */
	int to_tail;		/* preempted by us (slice, IDLE): to the tail */
	__s64 order;
};

struct sjk_cpu {
	struct sjk_task *cur;	/* committing or running here */
	struct sjk_task *prev;	/* cur before we preempted it */
	__u64 since;		/* when cur started, ns */
	int offline;		/* hotplug took it: run nothing there */
	int idling;		/* an idle commit is pending */
};

struct sjk {
	struct gp_tasks tasks;
	struct gp_list rq[SJK_NR_QOS];
	struct sjk_cpu *cpu;
	int nr_cpu_ids;
	__u64 slice_ns;
	__s64 back, front;
};

static struct sjk *sjk_of(struct ghost_policy_ctx *ctx)
{
	return ctx->priv;
}

static struct sjk_cpu *sjk_cpu(struct sjk *f, int cpu)
{
	if (cpu < 0 || cpu >= f->nr_cpu_ids)
		return NULL;
	return &f->cpu[cpu];
}

static struct sjk_task *sjk_find(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return gp_tasks_find(&sjk_of(ctx)->tasks, gtid);
}

/*
 * @t's class and whether its hint asks to leave it off CPUs.  A hint being
 * rewritten (-EAGAIN) keeps the class @t had, not idle: its writer may be
 * @t itself, preempted in the middle of the write, and demoting it to the
 * default class would leave it waiting behind every thread of its real
 * class, with its slot, and whoever else writes it, stuck.
 */
static int sjk_hint(struct ghost_policy_ctx *ctx, const struct sjk_task *t,
		    int *idle)
{
	struct ghost_app_hint h;
	int ret = ghost_policy_hint(ctx, t->gtid, &h);

	if (ret) {
		*idle = 0;
		return ret == -EAGAIN ? t->qos : GHOST_HINT_QOS_DEFAULT;
	}
	*idle = ghost_app_hint_idle(&h);
	return h.qos < SJK_NR_QOS ? (int)h.qos : GHOST_HINT_QOS_MAX;
}

static void sjk_enqueue(struct ghost_policy_ctx *ctx, struct sjk_task *t,
			int front)
{
	struct sjk *f = sjk_of(ctx);
	int idle;

	t->qos = sjk_hint(ctx, t, &idle);
	t->order = front ? --f->front : ++f->back;
	gp_list_move(&f->rq[t->qos], &t->node, front);
	t->state = SJK_QUEUED;
	t->cpu = -1;
}

/*
 * The first waiting thread of class @min_qos or higher, highest first,
 * that may run on @cpu and whose hint does not say IDLE; NULL if none.
 */
static struct sjk_task *sjk_pick(struct ghost_policy_ctx *ctx, int cpu,
				 int min_qos)
{
	struct sjk *f = sjk_of(ctx);
	struct gp_list *pos;
	struct sjk_task *t;
	int q, idle;

	for (q = SJK_NR_QOS - 1; q >= min_qos; q--) {
		gp_list_for_each(pos, &f->rq[q]) {
			t = gp_container_of(pos, struct sjk_task, node);
			sjk_hint(ctx, t, &idle);
			if (!idle && ghost_policy_task_allowed(ctx, t->gtid, cpu))
				return t;
		}
	}
	return NULL;
}

/* Take @t off its runqueue and its CPU. */
static void sjk_detach(struct ghost_policy_ctx *ctx, struct sjk_task *t)
{
	struct sjk_cpu *c = sjk_cpu(sjk_of(ctx), t->cpu);

	if (gp_list_linked(&t->node))
		gp_list_del(&t->node);
	if (c && c->cur == t)
		c->cur = NULL;
	if (c && c->prev == t)
		c->prev = NULL;
	t->cpu = -1;
}

static void sjk_forget(struct ghost_policy_ctx *ctx, struct sjk_task *t)
{
	struct sjk *f = sjk_of(ctx);
	int i;

	sjk_detach(ctx, t);
	/* A preempted thread is remembered on the CPU it is leaving. */
	for (i = 0; i < f->nr_cpu_ids; i++) {
		if (f->cpu[i].prev == t)
			f->cpu[i].prev = NULL;
		if (f->cpu[i].cur == t)
			f->cpu[i].cur = NULL;
	}
	gp_tasks_del(&f->tasks, t->gtid);
}

static struct sjk_task *sjk_alloc(struct ghost_policy_ctx *ctx, __u64 gtid,
				  __u32 barrier)
{
	struct sjk_task *t = gp_tasks_new(ctx, "shinjuku", &sjk_of(ctx)->tasks,
					  gtid);

	if (!t)
		return NULL;
	gp_list_init(&t->node);
	t->gtid = gtid;
	t->barrier = barrier;
	t->cpu = -1;
	t->qos = GHOST_HINT_QOS_DEFAULT;
	t->to_tail = 0;
	t->state = SJK_BLOCKED;
	return t;
}

/* The kernel has @t on @cpu: track it there (even the global CPU). */
static void sjk_set_oncpu(struct ghost_policy_ctx *ctx, struct sjk_task *t,
			  int cpu)
{
	struct sjk_cpu *c = sjk_cpu(sjk_of(ctx), cpu);

	t->state = SJK_ONCPU;
	t->cpu = cpu;
	if (c && !c->cur) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

static void sjk_task_new(struct ghost_policy_ctx *ctx,
			 const struct ghost_msg *m,
			 const struct ghost_msg_task_new *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);
	int cpu;

	if (t)
		sjk_forget(ctx, t);
	t = sjk_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	if (p->runnable) {
		sjk_enqueue(ctx, t, 0);
		return;
	}
	cpu = ghost_policy_task_cpu(ctx, p->gtid);
	if (cpu >= 0)
		sjk_set_oncpu(ctx, t, cpu);
}

static void sjk_task_wakeup(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_wakeup *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	t->to_tail = 0;
	sjk_detach(ctx, t);
	sjk_enqueue(ctx, t, 0);
}

static void sjk_task_blocked(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	sjk_detach(ctx, t);
	t->state = SJK_BLOCKED;
	t->to_tail = 0;
}

/* By us (slice, IDLE hint): the tail; by anything else: the head. */
static void sjk_task_preempt(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);
	int tail;

	if (!t)
		return;
	t->barrier = m->seqnum;
	tail = t->to_tail;
	t->to_tail = 0;
	sjk_detach(ctx, t);
	sjk_enqueue(ctx, t, !tail);
}

static void sjk_task_yield(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (!t)
		return;
	t->barrier = m->seqnum;
	t->to_tail = 0;
	sjk_detach(ctx, t);
	sjk_enqueue(ctx, t, 0);
}

static void sjk_task_gone(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (t)
		sjk_forget(ctx, t);
}

static void sjk_task_barrier(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (t)
		t->barrier = m->seqnum;
}

/* Nice means nothing here (hints do); only the barrier moves. */
static void sjk_task_priority(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task_priority *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);

	if (t)
		t->barrier = m->seqnum;
}

/*
 * A previous policy's dispatch list ran @p->gtid on @p->cpu (after a hot
 * swap): it is that CPU's thread now.
 */
static void sjk_task_latched(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p)
{
	struct sjk_task *t = sjk_find(ctx, p->gtid);
	struct sjk_cpu *c = sjk_cpu(sjk_of(ctx), p->cpu);

	if (!t)
		t = sjk_alloc(ctx, p->gtid, m->seqnum);
	if (!t)
		return;
	t->barrier = m->seqnum;
	sjk_detach(ctx, t);
	t->to_tail = 0;
	t->state = SJK_ONCPU;
	t->cpu = p->cpu;
	if (c) {
		c->cur = t;
		c->since = ghost_policy_now(ctx);
	}
}

/* Ask for @t on @cpu, replacing whatever runs there. */
static int sjk_commit(struct ghost_policy_ctx *ctx, struct sjk_cpu *c,
		      int cpu, struct sjk_task *t)
{
	gp_list_del(&t->node);
	if (ghost_policy_run(ctx, cpu, t->gtid, t->barrier)) {
		sjk_enqueue(ctx, t, 1);
		return -1;
	}
	t->state = SJK_COMMITTING;
	t->cpu = cpu;
	c->cur = t;
	return 0;
}

/* Waiting threads whose hint moved them to another class follow it. */
static void sjk_reclass(struct ghost_policy_ctx *ctx)
{
	struct sjk *f = sjk_of(ctx);
	struct gp_list *pos, *next;
	struct sjk_task *t;
	int q, qos, idle;

	for (q = 0; q < SJK_NR_QOS; q++) {
		for (pos = f->rq[q].next; pos != &f->rq[q]; pos = next) {
			next = pos->next;
			t = gp_container_of(pos, struct sjk_task, node);
			qos = sjk_hint(ctx, t, &idle);
			if (qos == t->qos)
				continue;
			gp_list_del(&t->node);
			t->qos = qos;
			t->order = ++f->back;
			gp_list_add_tail(&f->rq[qos], &t->node);
		}
	}
}

/*
 * Running threads that used up their slice while a thread of their class
 * or a higher one waits, or whose hint says IDLE while any thread waits,
 * make room for the next thread in line.
 */
static void sjk_preempt(struct ghost_policy_ctx *ctx, __u64 now)
{
	struct sjk *f = sjk_of(ctx);
	struct sjk_task *t, *cur;
	struct sjk_cpu *c;
	int i, cpu, idle, qos;

	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		c = &f->cpu[cpu];
		cur = c->cur;
		if (!cur || cur->state != SJK_ONCPU || c->offline || c->idling)
			continue;
		qos = sjk_hint(ctx, cur, &idle);
		if (!idle && now - c->since < f->slice_ns)
			continue;
		t = sjk_pick(ctx, cpu, idle ? 0 : qos);
		if (!t)
			continue;
		cur->to_tail = 1;
		c->prev = cur;
		if (sjk_commit(ctx, c, cpu, t)) {
			cur->to_tail = 0;
			c->prev = NULL;
			c->cur = cur;
		}
	}
}

static void sjk_schedule(struct ghost_policy_ctx *ctx, int unused)
{
	struct sjk *f = sjk_of(ctx);
	struct sjk_cpu *g = sjk_cpu(f, ctx->global_cpu);
	struct sjk_task *t;
	int i, cpu;

	if (g)
		gp_clear_global_cpu(ctx, g->cur != NULL, &g->idling);

	sjk_reclass(ctx);
	sjk_preempt(ctx, ghost_policy_now(ctx));
	/* Every idle CPU in this round: one group commit. */
	for (i = 0; i < ctx->nr_cpus; i++) {
		cpu = ctx->cpus[i];
		if (f->cpu[cpu].cur || f->cpu[cpu].offline ||
		    f->cpu[cpu].idling)
			continue;
		t = sjk_pick(ctx, cpu, 0);
		if (t)
			sjk_commit(ctx, &f->cpu[cpu], cpu, t);
	}
}

static void sjk_commit_failed(struct ghost_policy_ctx *ctx,
			      struct sjk_task *t, int state)
{
	int where;

	switch (gp_commit_failed(ctx, t->gtid, state, &where)) {
	case GP_FAILED_WAIT:
		t->state = SJK_BLOCKED;
		break;
	case GP_FAILED_ONCPU:
		sjk_set_oncpu(ctx, t, where);
		break;
	case GP_FAILED_RETRY:
		sjk_enqueue(ctx, t, 1);
		break;
	}
}

static void sjk_commit_done(struct ghost_policy_ctx *ctx, int cpu,
			    __u64 gtid, int state)
{
	struct sjk *f = sjk_of(ctx);
	struct sjk_cpu *c = sjk_cpu(f, cpu);
	struct sjk_task *t;

	if (!c)
		return;
	if (gtid == GHOST_NULL_GTID) {
		/* The thread there gets TASK_PREEMPT and rejoins its class. */
		c->idling = 0;
		if (state == GHOST_TXN_COMPLETE)
			c->cur = NULL;
		else if (c->cur)
			c->cur->to_tail = 0;
		return;
	}
	t = sjk_find(ctx, gtid);
	if (state == GHOST_TXN_COMPLETE) {
		c->prev = NULL;
		if (t && t->state == SJK_COMMITTING) {
			t->state = SJK_ONCPU;
			c->cur = t;
			c->since = ghost_policy_now(ctx);
		}
		return;
	}
	/* Failed: whatever ran there still does. */
	if (c->cur == t)
		c->cur = NULL;
	if (c->prev) {
		c->prev->to_tail = 0;
		c->cur = c->prev;
		c->prev = NULL;
	}
	if (t && t->state == SJK_COMMITTING) {
		t->cpu = -1;
		sjk_commit_failed(ctx, t, state);
	}
}

/* Nothing is committed to @cpu while it is away; its thread comes back. */
static void sjk_cpu_hotplug(struct ghost_policy_ctx *ctx, int cpu,
			    int offline)
{
	struct sjk_cpu *c = sjk_cpu(sjk_of(ctx), cpu);

	if (c)
		c->offline = offline;
}

GP_DEFINE_CPU_HOTPLUG(sjk)

/*
 * "ghostctl status --threads": the class's line @gtid waits in, its
 * place there, and how long it has run in its slice.
 */
static int sjk_describe_op(struct ghost_policy_ctx *ctx, __u64 gtid,
			   char *buf, size_t len)
{
	static const char *const states[] = {
		[SJK_BLOCKED]		= "blocked",
		[SJK_QUEUED]		= "queued",
		[SJK_COMMITTING]	= "committing",
		[SJK_ONCPU]		= "oncpu",
	};
	struct sjk *f = sjk_of(ctx);
	const struct sjk_task *t = sjk_find(ctx, gtid);
	const struct sjk_cpu *c;

	if (!t)
		return -ENOENT;
	if (t->state == SJK_QUEUED)
		return snprintf(buf, len,
				"state=queued barrier=%u queue=qos%d pos=%d qos=%d",
				t->barrier, t->qos,
				gp_list_pos(&f->rq[t->qos], &t->node), t->qos);
	if (t->state == SJK_BLOCKED)
		return snprintf(buf, len, "state=blocked barrier=%u qos=%d",
				t->barrier, t->qos);
	c = sjk_cpu(f, t->cpu);
	return snprintf(buf, len, "state=%s barrier=%u cpu=%d qos=%d ran_us=%llu",
			states[t->state], t->barrier, t->cpu, t->qos,
			c && c->cur == t && t->state == SJK_ONCPU ?
			(unsigned long long)(ghost_policy_now(ctx) - c->since) /
			1000 : 0ULL);
}

static void sjk_describe(const void *task, struct fifo_state_task *rec)
{
	const struct sjk_task *t = task;

	fifo_state_fill(rec, t->gtid, t->barrier, t->cpu, t->order,
			t->state == SJK_ONCPU, t->state == SJK_BLOCKED);
}

static long sjk_export(struct ghost_policy_ctx *ctx, void *buf, size_t len)
{
	return fifo_state_export(&sjk_of(ctx)->tasks.table, buf, len,
				 sjk_describe);
}

static int sjk_import_add(struct ghost_policy_ctx *ctx,
			  const struct fifo_state_task *rec)
{
	struct sjk_task *t = sjk_alloc(ctx, rec->gtid, rec->barrier);

	if (!t)
		return -ENOMEM;
	if (rec->kind == FIFO_STATE_ONCPU)
		sjk_set_oncpu(ctx, t, rec->cpu);
	return 0;
}

static void sjk_import_requeue(struct ghost_policy_ctx *ctx,
			       const struct fifo_state_task *rec)
{
	struct sjk_task *t = sjk_find(ctx, rec->gtid);

	if (t)
		sjk_enqueue(ctx, t, 0);
}

static int sjk_import(struct ghost_policy_ctx *ctx, const void *buf,
		      size_t len)
{
	return fifo_state_import(ctx, buf, len, sjk_import_add,
				 sjk_import_requeue);
}

static int sjk_parse(struct ghost_policy_ctx *ctx, const char *const opts[],
		     unsigned long *slice_us, unsigned long *max)
{
	static const char *const known[] = { "slice_us", "max_tasks", NULL };

	if (gp_opts_known(ctx, "shinjuku", opts, known) ||
	    gp_opt_ulong(ctx, "shinjuku", opts, "slice_us", 1,
			 SJK_MAX_SLICE_US, slice_us) ||
	    gp_opt_ulong(ctx, "shinjuku", opts, "max_tasks", 1, 1000000, max))
		return -EINVAL;
	return 0;
}

static int sjk_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	unsigned long slice_us = SJK_SLICE_US, max = SJK_MAX_TASKS;
	struct sjk *f;
	int q, ret;

	ret = sjk_parse(ctx, opts, &slice_us, &max);
	if (ret)
		return ret;
	if (ctx->nr_cpus <= 0) {
		ghost_policy_log(ctx, "shinjuku: no CPU to run threads on besides the global one");
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nr_cpu_ids = ctx->nr_cpu_ids;
	f->slice_ns = slice_us * 1000;
	for (q = 0; q < SJK_NR_QOS; q++)
		gp_list_init(&f->rq[q]);
	/* Every placement is a commit: the slice needs them. */
	ctx->dispatch_flags = 0;
	f->cpu = calloc(ctx->nr_cpu_ids, sizeof(*f->cpu));
	if (!f->cpu || gp_tasks_init(&f->tasks, sizeof(struct sjk_task), max)) {
		gp_tasks_free(&f->tasks);
		free(f->cpu);
		free(f);
		return -ENOMEM;
	}
	ctx->priv = f;
	return 0;
}

static void sjk_fini(struct ghost_policy_ctx *ctx)
{
	struct sjk *f = sjk_of(ctx);

	if (!f)
		return;
	gp_tasks_free(&f->tasks);
	free(f->cpu);
	free(f);
	ctx->priv = NULL;
}

GHOST_POLICY_DEFINE(shinjuku,
	.model			= GHOST_POLICY_CENTRALIZED,
	.state_format		= FIFO_STATE_FORMAT,
	.help			= "slice_us=N   preempt a thread after N us while one of its class or higher waits (50)\n"
				  "max_tasks=N  threads tracked at most (8192)\n",
	.init			= sjk_init,
	.fini			= sjk_fini,
	.task_new		= sjk_task_new,
	.task_wakeup		= sjk_task_wakeup,
	.task_blocked		= sjk_task_blocked,
	.task_preempt		= sjk_task_preempt,
	.task_yield		= sjk_task_yield,
	.task_dead		= sjk_task_gone,
	.task_departed		= sjk_task_gone,
	.task_affinity_changed	= sjk_task_barrier,
	.cpu_offline		= sjk_cpu_offline,
	.cpu_online		= sjk_cpu_online,
	.task_on_cpu		= sjk_task_barrier,
	.task_priority_changed	= sjk_task_priority,
	.task_latched		= sjk_task_latched,
	.schedule		= sjk_schedule,
	.commit_done		= sjk_commit_done,
	.export_state		= sjk_export,
	.import_state		= sjk_import,
	.describe		= sjk_describe_op);
