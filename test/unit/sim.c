// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the kernel model of sim.h.  Its commit follows the module's
 * ghost_commit_one(): checks in the same order, same statuses, and the
 * thread a commit displaces gets TASK_PREEMPT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GHOST_SIM_TOOL
#include "sim_check.h"	/* ghost-sim: assertions as reports */
#else
#include <check.h>
#endif

#include "sim.h"

#ifndef GHOST_TEST_POLICY_DIR
#define GHOST_TEST_POLICY_DIR "build/policies"
#endif

int sim_lists = 1;
void (*sim_before_init)(struct sim *s, const char *const opts[]);

static struct sim *sim_of(struct ghost_policy_ctx *ctx)
{
	return ctx->host_data;
}

static int sim_host_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			__u32 barrier)
{
	struct sim *s = sim_of(ctx);

	if (cpu < 0 || cpu >= SIM_MAX_CPUS || !s->enclave[cpu])
		return -EINVAL;
	/* ghost-agent refuses this; count it so tests can forbid it. */
	if (ctx->model == GHOST_POLICY_CENTRALIZED &&
	    cpu == ctx->global_cpu && gtid != GHOST_NULL_GTID) {
		s->global_violations++;
		return -EINVAL;
	}
	/* The policy knows nothing may run there: it must not ask. */
	if (s->told_offline[cpu])
		s->offline_asks++;
	if (s->req[cpu].used)
		return -EBUSY;
	s->req[cpu].used = 1;
	s->req[cpu].gtid = gtid;
	s->req[cpu].barrier = barrier;
	return 0;
}

/* What ghost-agent's policy_cpu() allows. */
static int sim_policy_cpu(struct ghost_policy_ctx *ctx, int cpu)
{
	struct sim *s = sim_of(ctx);

	if (cpu < 0 || cpu >= SIM_MAX_CPUS || !s->enclave[cpu])
		return 0;
	return !(ctx->model == GHOST_POLICY_CENTRALIZED &&
		 cpu == ctx->global_cpu);
}

static int sim_host_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			    __u32 barrier)
{
	struct sim *s = sim_of(ctx);
	int ret;

	if (s->no_lists)
		return -EOPNOTSUPP;
	if (!sim_policy_cpu(ctx, cpu))
		return -EINVAL;
	/* ghost-agent lets it, but the module would drop it unread. */
	if (s->told_offline[cpu])
		s->offline_asks++;
	ret = ghost_dl_push(&s->dl[cpu], gtid, barrier);
	if (!ret)
		s->pushed[cpu] = 1;
	return ret;
}

static int sim_host_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	struct sim *s = sim_of(ctx);

	if (s->no_lists)
		return -EOPNOTSUPP;
	if (!sim_policy_cpu(ctx, cpu))
		return -EINVAL;
	return ghost_dl_outstanding(&s->dl[cpu]);
}

static int sim_host_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
				 __u32 flags)
{
	struct sim *s = sim_of(ctx);

	if (s->no_lists)
		return -EOPNOTSUPP;
	if (!sim_policy_cpu(ctx, cpu))
		return -EINVAL;
	return ghost_dl_set_flags(&s->dl[cpu], flags);
}

static int sim_host_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			       struct ghost_dispatch_entry *out, int max)
{
	struct sim *s = sim_of(ctx);

	if (s->no_lists)
		return -EOPNOTSUPP;
	if (!sim_policy_cpu(ctx, cpu))
		return -EINVAL;
	return ghost_dl_entries(&s->dl[cpu], out, max);
}

static __u64 sim_host_now(struct ghost_policy_ctx *ctx)
{
	return sim_of(ctx)->now;
}

static int sim_host_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	struct sim *s = sim_of(ctx);
	int i;

	for (i = 0; i < s->nr_threads; i++) {
		if (s->t[i].gtid == gtid && s->t[i].state == SIM_RUNNING)
			return s->t[i].cpu;
	}
	return -1;
}

static void sim_host_log(struct ghost_policy_ctx *ctx, const char *msg)
{
	snprintf(sim_of(ctx)->last_log, sizeof(sim_of(ctx)->last_log), "%s",
		 msg);
}

static void sim_host_error(struct ghost_policy_ctx *ctx, const char *reason)
{
	sim_of(ctx)->failed = 1;
}

/* The block "Time, nice and affinity", at the end. */
static int sim_host_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid,
				 int cpu);
static void x_place(struct sim *s, int i, int cpu);
static void x_release(struct sim *s, int i);
static int x_may_run(const struct sim *s, int i, int cpu);
static int x_refuse_commit(struct sim *s, int i, int cpu);
static void x_refuse_entry(struct sim *s, int i, int cpu);
static void x_sliced(struct sim *s, int i);
static void x_track(struct sim *s, const struct ghost_msg *m);
static int sim_host_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
			 struct ghost_app_hint *out);

static const struct ghost_policy_host sim_host = {
	.run		= sim_host_run,
	.now_ns		= sim_host_now,
	.task_cpu	= sim_host_task_cpu,
	.log		= sim_host_log,
	.error		= sim_host_error,
	.dl_push	= sim_host_dl_push,
	.dl_outstanding	= sim_host_dl_outstanding,
	.dl_set_flags	= sim_host_dl_set_flags,
	.dl_entries	= sim_host_dl_entries,
	.task_allowed	= sim_host_task_allowed,
	.hint		= sim_host_hint,
};

/* As ghost-agent's rt_apply_dispatch() when a policy is installed. */
static void apply_dispatch(struct sim *s)
{
	int cpu;

	if (s->no_lists)
		return;
	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		s->dl[cpu].flags = sim_policy_cpu(&s->ctx, cpu) ?
				   s->ctx.dispatch_flags : 0;
	}
}

/* Append a message as ghost_queue_push() in the module does. */
static void sim_push(struct sim *s, const void *msg, __u16 len)
{
	struct ghost_ring *ring = s->q.ring;
	__u32 n = ring->nr_slots, slots = (len + 7) / 8;
	__u32 idx = s->head & (n - 1), pad = 0;
	__u32 used = s->head - __atomic_load_n(&ring->tail, __ATOMIC_RELAXED);

	if (idx + slots > n)
		pad = n - idx;
	if (used + pad + slots > n) {
		ring->overflow++;
		return;
	}
	if (pad) {
		struct ghost_msg nop = { GHOST_MSG_NOP, (__u16)(pad * 8), 0 };

		memcpy(&ring->msgs[idx], &nop, sizeof(nop));
		s->head += pad;
		idx = 0;
	}
	memcpy(&ring->msgs[idx], msg, len);
	s->head += slots;
	__atomic_store_n(&ring->head, s->head, __ATOMIC_RELEASE);
}

static void emit_task(struct sim *s, int i, __u16 type, int cpu)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task p;
	} m = {
		.h = { type, sizeof(m), s->t[i].barrier },
		.p = { s->t[i].gtid, 0, cpu, 0 },
	};

	sim_push(s, &m, sizeof(m));
}

static void emit_cpu(struct sim *s, __u16 type, int cpu)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_cpu p;
	} m = {
		.h = { type, sizeof(m), 0 },
		.p = { cpu, 0 },
	};

	sim_push(s, &m, sizeof(m));
}

static void emit_new(struct sim *s, int i)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_new p;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.type = GHOST_MSG_TASK_NEW;
	m.h.length = sizeof(m);
	m.h.seqnum = s->t[i].barrier;
	m.p.gtid = s->t[i].gtid;
	if (s->t[i].parent >= 0)
		m.p.parent_gtid = s->t[s->t[i].parent].gtid;
	m.p.sw_index = i;
	m.p.nice = s->t[i].x.nice;
	m.p.runnable = s->t[i].state == SIM_RUNNABLE;
	sim_push(s, &m, sizeof(m));
}

static void setup_ctx(struct sim *s, int nr_cpus, int global_cpu)
{
	struct ghost_policy_ctx *ctx = &s->ctx;
	int cpu, n = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->enclave_id = 1;
	ctx->model = s->ops->model;
	ctx->global_cpu = ctx->model == GHOST_POLICY_CENTRALIZED ?
			  global_cpu : -1;
	ctx->nr_cpu_ids = SIM_MAX_CPUS;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		if (cpu != ctx->global_cpu)
			s->cpus[n++] = cpu;
	}
	ctx->nr_cpus = n;
	ctx->cpus = s->cpus;
	ctx->cpu_node = s->cpu_node;
	ctx->host = &sim_host;
	ctx->host_size = sizeof(sim_host);
	ctx->host_data = s;
	ctx->dispatch_flags = s->ops->dispatch_flags;
}

static void load(struct sim *s, const char *name)
{
	static const char *const dirs[] = { GHOST_TEST_POLICY_DIR, NULL };
	char msg[512];

	ck_assert_msg(!ghost_policy_open(name, dirs, &s->lib, msg, sizeof(msg)),
		      "%s", msg);
	s->ops = s->lib.ops;
}

int sim_init(struct sim *s, const char *name, int nr_cpus, int global_cpu,
	     const char *const opts[])
{
	size_t size = sizeof(struct ghost_ring) +
		      SIM_RING_SLOTS * sizeof(struct ghost_msg);
	struct ghost_ring *ring;
	int cpu, ret;

	memset(s, 0, sizeof(*s));
	s->no_lists = !sim_lists;
	ck_assert_int_le(nr_cpus, SIM_MAX_CPUS);
	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		s->cur[cpu] = -1;
		s->enclave[cpu] = cpu < nr_cpus;
	}
	ring = s->ring_mem = calloc(1, size);
	ck_assert_ptr_nonnull(ring);
	ring->nr_slots = SIM_RING_SLOTS;
	ck_assert_int_eq(ghost_queue_init_mem(&s->q, ring, size), 0);
	s->now = 1000000000ULL;
	load(s, name);
	setup_ctx(s, nr_cpus, global_cpu);
	if (sim_before_init)
		sim_before_init(s, opts);
	ret = s->ops->init(&s->ctx, opts);
	if (!ret)
		apply_dispatch(s);
	return ret;
}

void sim_fini(struct sim *s)
{
	if (s->ops && s->ops->fini)
		s->ops->fini(&s->ctx);
	ghost_policy_close(&s->lib);
	free(s->ring_mem);
}

/* A new thread's state, not announced yet. */
static int init_thread(struct sim *s, int runnable, int parent)
{
	int i = s->nr_threads++;

	ck_assert_int_lt(i, SIM_MAX_THREADS);
	s->t[i].gtid = ((__u64)(1000 + i) << 32) | (i + 1);
	s->t[i].barrier = 1;
	s->t[i].state = runnable ? SIM_RUNNABLE : SIM_BLOCKED;
	s->t[i].cpu = -1;
	s->t[i].last_cpu = -1;
	s->t[i].parent = parent;
	return i;
}

static int new_thread(struct sim *s, int runnable, int parent)
{
	int i = init_thread(s, runnable, parent);

	emit_new(s, i);
	return i;
}

int sim_new(struct sim *s, int runnable)
{
	return new_thread(s, runnable, -1);
}

/* A thread placed on @cpu, by a commit or by the module itself. */
static void place(struct sim *s, int i, int cpu)
{
	/* Every path of the model refuses an offline CPU: count a slip. */
	if (s->offline[cpu])
		s->offline_runs++;
	s->t[i].state = SIM_RUNNING;
	s->t[i].cpu = cpu;
	s->t[i].last_cpu = cpu;
	s->t[i].passed = 0;
	s->cur[cpu] = i;
	x_place(s, i, cpu);
}

int sim_new_on(struct sim *s, int cpu)
{
	const __u32 want = GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_NEW;
	int i = init_thread(s, 1, -1);
	int run = (s->dl[cpu].flags & want) == want && s->cur[cpu] < 0 &&
		  !s->offline[cpu] && s->dl[cpu].tail == s->dl[cpu].head &&
		  x_may_run(s, i, cpu);

	if (run) {
		place(s, i, cpu);
		s->nr_run_new++;
	}
	emit_new(s, i);
	if (run)
		emit_task(s, i, GHOST_MSG_TASK_LATCHED, cpu);
	return i;
}

int sim_child(struct sim *s, int parent)
{
	return new_thread(s, 1, parent);
}

static int find_gtid(const struct sim *s, __u64 gtid);

/* The thread of a valid entry that may run on @cpu, or -1. */
static int dl_valid(struct sim *s, const struct ghost_dispatch_entry *ent,
		    int cpu)
{
	int i = find_gtid(s, ent->gtid);

	if (i < 0 || s->t[i].state != SIM_RUNNABLE ||
	    s->t[i].barrier != ent->barrier || !x_may_run(s, i, cpu))
		return -1;
	return i;
}

/* May @i be passed over on @cpu: it last ran on another CPU, online. */
static int dl_passable(const struct sim *s, int i, int cpu, __u32 limit)
{
	int last = s->t[i].last_cpu;

	return s->t[i].passed < limit && last >= 0 && last != cpu &&
	       !s->offline[last];
}

/*
 * GHOST_DL_AFFINE(@limit) after @first, as the module's
 * ghost_dispatch_affine(): the first valid entry from @from on whose
 * thread last ran on @cpu, if @first and every valid entry up to it may
 * be passed over; else @first.  Those passed over count it.
 */
static int dl_affine(struct sim *s, int cpu, int first, __u32 from,
		     __u32 tail, __u32 limit)
{
	struct ghost_dispatch_list *dl = &s->dl[cpu];
	__u32 k, end;
	int i = -1, p;

	if (!dl_passable(s, first, cpu, limit))
		return first;
	for (end = from; end != tail; end++) {
		i = dl_valid(s, &dl->ent[end % GHOST_DISPATCH_SLOTS], cpu);
		if (i < 0 || i == first)
			continue;
		if (s->t[i].last_cpu == cpu)
			break;
		if (!dl_passable(s, i, cpu, limit))
			return first;
	}
	if (end == tail)
		return first;
	s->t[first].passed++;
	for (k = from; k != end; k++) {
		p = dl_valid(s, &dl->ent[k % GHOST_DISPATCH_SLOTS], cpu);
		if (p >= 0 && p != first && p != i &&
		    dl_passable(s, p, cpu, limit))
			s->t[p].passed++;
	}
	return i;
}

/*
 * The module's pick from @cpu's list: the first valid entry, stale ones
 * skipped, head moved past what it looked at (under GHOST_DL_AFFINE a
 * later entry may run; the first valid one then stays).  The thread
 * index or -1.
 */
static int dl_next(struct sim *s, int cpu)
{
	struct ghost_dispatch_list *dl = &s->dl[cpu];
	struct ghost_dispatch_entry *ent;
	__u32 tail = __atomic_load_n(&dl->tail, __ATOMIC_ACQUIRE);
	__u32 limit = (dl->flags & GHOST_DL_AFFINE_MASK) >>
		      GHOST_DL_AFFINE_SHIFT;
	int i = -1, pick;

	/* An offline CPU's list is left as it is (emptied when it is back). */
	if (!(dl->flags & GHOST_DL_F_ENABLE) || s->offline[cpu])
		return -1;
	if (tail - dl->head > GHOST_DISPATCH_SLOTS) {
		dl->head = tail;
		dl->nr_bad++;
		s->nr_bad++;
		return -1;
	}
	while (dl->head != tail) {
		ent = &dl->ent[dl->head % GHOST_DISPATCH_SLOTS];
		dl->head++;
		i = find_gtid(s, ent->gtid);
		if (i >= 0 && s->t[i].state == SIM_RUNNABLE &&
		    s->t[i].barrier == ent->barrier) {
			if (x_may_run(s, i, cpu))
				break;
			x_refuse_entry(s, i, cpu);
		}
		dl->nr_stale++;
		s->nr_stale++;
		i = -1;
	}
	pick = i >= 0 && limit ?
	       dl_affine(s, cpu, i, dl->head, tail, limit) : i;
	if (pick != i)
		dl->head--;
	__atomic_store_n(&dl->head, dl->head, __ATOMIC_RELEASE);
	return pick;
}

/* Run @i on @cpu from the list: TASK_LATCHED under a new barrier. */
static void dl_run(struct sim *s, int i, int cpu)
{
	place(s, i, cpu);
	s->t[i].barrier++;
	s->dl[cpu].nr_taken++;
	s->nr_latched++;
	emit_task(s, i, GHOST_MSG_TASK_LATCHED, cpu);
}

/*
 * @i leaves @cpu with message @type: the next entry of the list runs.
 * With latched_first the LATCHED message comes first, as when the two
 * threads' messages sit in different queues.
 */
static void leave_cpu(struct sim *s, int i, int cpu, __u16 type)
{
	int next = cpu >= 0 ? dl_next(s, cpu) : -1;

	if (next >= 0 && s->latched_first) {
		dl_run(s, next, cpu);
		emit_task(s, i, type, cpu);
		return;
	}
	emit_task(s, i, type, cpu);
	if (next >= 0)
		dl_run(s, next, cpu);
}

/* The thread leaves its CPU, as ghost_release_cpu_locked(). */
static int release_cpu(struct sim *s, int i)
{
	int cpu = s->t[i].cpu;

	if (s->t[i].state == SIM_RUNNING)
		x_release(s, i);
	if (cpu >= 0 && s->cur[cpu] == i)
		s->cur[cpu] = -1;
	s->t[i].cpu = -1;
	return cpu;
}

void sim_wakeup(struct sim *s, int i)
{
	int cpu = s->t[i].last_cpu;

	ck_assert_int_eq(s->t[i].state, SIM_BLOCKED);
	/* Pinned to a CPU that is gone: the kernel breaks the pin. */
	if (cpu >= 0 && s->offline[cpu])
		s->t[i].last_cpu = cpu = -1;
	s->t[i].state = SIM_RUNNABLE;
	s->t[i].barrier++;
	{
		struct {
			struct ghost_msg h;
			struct ghost_msg_task_wakeup p;
		} m = {
			.h = { GHOST_MSG_TASK_WAKEUP, sizeof(m), s->t[i].barrier },
			.p = { s->t[i].gtid, -1, 0 },
		};

		sim_push(s, &m, sizeof(m));
	}
	/* Its CPU is free and lets it run at once: it does, then says so. */
	if (cpu >= 0 && s->cur[cpu] < 0 &&
	    (s->dl[cpu].flags & GHOST_DL_F_RUN_ON_WAKE) &&
	    x_may_run(s, i, cpu)) {
		place(s, i, cpu);
		s->t[i].barrier++;
		s->nr_run_on_wake++;
		emit_task(s, i, GHOST_MSG_TASK_LATCHED, cpu);
	}
}

void sim_block(struct sim *s, int i)
{
	int cpu, was_running = s->t[i].state == SIM_RUNNING;

	ck_assert(s->t[i].state == SIM_RUNNING ||
		  s->t[i].state == SIM_RUNNABLE);
	cpu = release_cpu(s, i);
	s->t[i].state = SIM_BLOCKED;
	s->t[i].barrier++;
	leave_cpu(s, i, was_running ? cpu : -1, GHOST_MSG_TASK_BLOCKED);
}

/* With no valid entry, an enabled list lets the yielder keep its CPU. */
void sim_yield(struct sim *s, int i)
{
	int cpu = s->t[i].cpu, next;

	ck_assert_int_eq(s->t[i].state, SIM_RUNNING);
	if (s->dl[cpu].flags & GHOST_DL_F_ENABLE) {
		next = dl_next(s, cpu);
		if (next < 0)
			return;
		release_cpu(s, i);
		s->t[i].state = SIM_RUNNABLE;
		s->t[i].barrier++;
		if (s->latched_first) {
			dl_run(s, next, cpu);
			emit_task(s, i, GHOST_MSG_TASK_YIELD, cpu);
		} else {
			emit_task(s, i, GHOST_MSG_TASK_YIELD, cpu);
			dl_run(s, next, cpu);
		}
		return;
	}
	cpu = release_cpu(s, i);
	s->t[i].state = SIM_RUNNABLE;
	s->t[i].barrier++;
	emit_task(s, i, GHOST_MSG_TASK_YIELD, cpu);
}

/* Lost its CPU to a commit or to hotplug: the list is not consumed. */
static void preempt_by_commit(struct sim *s, int i)
{
	int cpu;

	cpu = release_cpu(s, i);
	s->t[i].state = SIM_RUNNABLE;
	s->t[i].barrier++;
	emit_task(s, i, GHOST_MSG_TASK_PREEMPT, cpu);
}

void sim_preempt(struct sim *s, int i)
{
	int cpu;

	ck_assert_int_eq(s->t[i].state, SIM_RUNNING);
	cpu = release_cpu(s, i);
	s->t[i].state = SIM_RUNNABLE;
	s->t[i].barrier++;
	leave_cpu(s, i, cpu, GHOST_MSG_TASK_PREEMPT);
}

void sim_exit(struct sim *s, int i)
{
	int cpu, was_running = s->t[i].state == SIM_RUNNING;

	ck_assert_int_ne(s->t[i].state, SIM_GONE);
	cpu = release_cpu(s, i);
	s->t[i].state = SIM_GONE;
	s->t[i].barrier++;
	leave_cpu(s, i, was_running ? cpu : -1, GHOST_MSG_TASK_DEAD);
}

void sim_tick(struct sim *s, int cpu)
{
	emit_cpu(s, GHOST_MSG_CPU_TICK, cpu);
}

/*
 * As ghost_cpu_down_prep(): the CPU is no longer active, its thread is
 * preempted (the kernel then moves it away, so its pin is gone), its list
 * emptied, and the agent told.
 */
void sim_cpu_offline(struct sim *s, int cpu)
{
	int i;

	ck_assert(cpu >= 0 && cpu < SIM_MAX_CPUS && s->enclave[cpu]);
	ck_assert(!s->offline[cpu]);
	s->offline[cpu] = 1;
	i = s->cur[cpu];
	if (i >= 0) {
		preempt_by_commit(s, i);
		s->t[i].last_cpu = -1;
	}
	s->dl[cpu].head = s->dl[cpu].tail;
	emit_cpu(s, GHOST_MSG_CPU_OFFLINE, cpu);
}

/*
 * As ghost_cpu_returned(), once the CPU is active again: what was listed
 * for it while it was away is dropped, and the agent told.
 */
void sim_cpu_online(struct sim *s, int cpu)
{
	ck_assert(cpu >= 0 && cpu < SIM_MAX_CPUS && s->enclave[cpu]);
	ck_assert(s->offline[cpu]);
	s->offline[cpu] = 0;
	s->dl[cpu].head = s->dl[cpu].tail;
	emit_cpu(s, GHOST_MSG_CPU_ONLINE, cpu);
}

/* What ghost-agent's track() keeps of hotplug, for this policy. */
static void track_hotplug(struct sim *s, const struct ghost_msg *m)
{
	const struct ghost_msg_cpu *c = ghost_msg_payload(m);

	if (m->type != GHOST_MSG_CPU_OFFLINE &&
	    m->type != GHOST_MSG_CPU_ONLINE)
		return;
	ck_assert(c->cpu >= 0 && c->cpu < SIM_MAX_CPUS);
	s->told_offline[c->cpu] = m->type == GHOST_MSG_CPU_OFFLINE;
}

void sim_drain(struct sim *s)
{
	const struct ghost_msg *m;

	while ((m = ghost_queue_peek(&s->q))) {
		track_hotplug(s, m);
		x_track(s, m);
		ck_assert_int_ge(ghost_policy_dispatch(s->ops, &s->ctx, m), 0);
		ghost_queue_consume(&s->q, m);
	}
}

static int find_gtid(const struct sim *s, __u64 gtid)
{
	int i;

	for (i = 0; i < s->nr_threads; i++) {
		if (s->t[i].gtid == gtid)
			return i;
	}
	return -1;
}

int sim_is_listed(const struct sim *s, int i)
{
	const struct ghost_dispatch_list *dl;
	__u32 k;
	int cpu;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		dl = &s->dl[cpu];
		if (!(dl->flags & GHOST_DL_F_ENABLE))
			continue;
		for (k = dl->head; k != dl->tail; k++) {
			if (dl->ent[k % GHOST_DISPATCH_SLOTS].gtid == s->t[i].gtid &&
			    dl->ent[k % GHOST_DISPATCH_SLOTS].barrier ==
			    s->t[i].barrier)
				return 1;
		}
	}
	return 0;
}

/* The module's commit of one slot. */
static int commit_one(struct sim *s, int cpu, __u64 gtid, __u32 barrier)
{
	int i, prev = s->cur[cpu];

	if (s->offline[cpu]) {
		s->nr_unavail++;
		return GHOST_TXN_CPU_UNAVAIL;
	}
	if (gtid == GHOST_NULL_GTID) {
		if (prev >= 0)
			preempt_by_commit(s, prev);
		return GHOST_TXN_COMPLETE;
	}
	i = find_gtid(s, gtid);
	if (i < 0 || s->t[i].state == SIM_GONE)
		return GHOST_TXN_TARGET_NOT_FOUND;
	if (s->t[i].hidden) {
		s->t[i].hidden--;
		return GHOST_TXN_TARGET_NOT_FOUND;
	}
	if (s->t[i].barrier != barrier)
		return GHOST_TXN_TARGET_STALE;
	if (s->t[i].state == SIM_RUNNING)
		return GHOST_TXN_TARGET_ONCPU;
	if (s->t[i].state != SIM_RUNNABLE)
		return GHOST_TXN_TARGET_NOT_RUNNABLE;
	if (!x_may_run(s, i, cpu))
		return x_refuse_commit(s, i, cpu);
	/* A decision taken twice: by a list entry and by this commit. */
	if (sim_is_listed(s, i))
		s->double_decisions++;
	if (prev >= 0) {
		x_sliced(s, prev);
		preempt_by_commit(s, prev);
	}
	place(s, i, cpu);
	return GHOST_TXN_COMPLETE;
}

/* GHOST_IOC_DISPATCH for the CPUs pushed to that have no thread. */
static int kick(struct sim *s)
{
	int cpu, i, n = 0;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		if (!s->pushed[cpu])
			continue;
		s->pushed[cpu] = 0;
		n++;
		if (s->cur[cpu] >= 0)
			continue;
		i = dl_next(s, cpu);
		if (i >= 0) {
			dl_run(s, i, cpu);
			s->nr_kicks++;
		}
	}
	return n;
}

int sim_listed(const struct sim *s, int cpu)
{
	return s->dl[cpu].tail - s->dl[cpu].head;
}

void sim_drop_lists(struct sim *s)
{
	int cpu;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++)
		s->dl[cpu].head = s->dl[cpu].tail;
}

int sim_run_all(struct sim *s, int work, unsigned int *ran_on)
{
	int left[SIM_MAX_THREADS], i, cpu, k, busy, todo = 0;

	for (i = 0; i < s->nr_threads; i++) {
		left[i] = s->t[i].state == SIM_GONE ? 0 : work;
		todo += left[i] > 0;
		if (ran_on)
			ran_on[i] = 0;
		if (s->t[i].state == SIM_BLOCKED)
			sim_wakeup(s, i);
	}
	for (k = 0; todo && k < 4 * (s->nr_threads + 1) * work; k++) {
		sim_settle(s, 10);
		busy = 0;
		for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
			i = s->cur[cpu];
			if (i < 0)
				continue;
			busy = 1;
			if (ran_on)
				ran_on[i] |= 1u << cpu;
			if (--left[i] > 0) {
				sim_block(s, i);
				sim_wakeup(s, i);
				continue;
			}
			sim_exit(s, i);
			todo--;
		}
		if (!busy)
			break;
	}
	return todo;
}

int sim_round(struct sim *s)
{
	int cpu, i, state, n = 0;

	s->round++;
	sim_drain(s);
	if (s->ops->tick)
		s->ops->tick(&s->ctx, s->now);
	if (s->ops->model == GHOST_POLICY_CENTRALIZED) {
		s->ops->schedule(&s->ctx, -1);
	} else {
		for (i = 0; i < s->ctx.nr_cpus; i++)
			s->ops->schedule(&s->ctx, s->ctx.cpus[i]);
	}
	if (s->before_commit) {
		s->before_commit(s);
		s->before_commit = NULL;
	}
	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		if (!s->req[cpu].used)
			continue;
		state = commit_one(s, cpu, s->req[cpu].gtid,
				   s->req[cpu].barrier);
		ck_assert_int_lt(s->nr_log, SIM_MAX_LOG);
		s->log[s->nr_log++] = (struct sim_commit){
			cpu, s->req[cpu].gtid, state, s->round,
		};
		s->req[cpu].used = 0;
		if (s->ops->commit_done)
			s->ops->commit_done(&s->ctx, cpu, s->log[s->nr_log - 1].gtid,
					    state);
		n++;
	}
	/* Pushes count as work: settle until nothing new is decided. */
	return n + kick(s);
}

void sim_settle(struct sim *s, int max)
{
	while (max-- > 0 && sim_round(s))
		;
}

int sim_running(const struct sim *s, int cpu)
{
	return s->cur[cpu];
}

const char *sim_describe(struct sim *s, int i)
{
	static char buf[256];
	int n;

	ck_assert_ptr_nonnull(s->ops->describe);
	n = s->ops->describe(&s->ctx, s->t[i].gtid, buf, sizeof(buf));
	if (n == -ENOENT)
		return "ENOENT";
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), n);
	return buf;
}

int sim_cpu_of(const struct sim *s, int i)
{
	return s->t[i].state == SIM_RUNNING ? s->t[i].cpu : -1;
}

/* GHOST_IOC_DISCOVER: TASK_NEW for every thread, as it is now. */
static void discover(struct sim *s)
{
	int i;

	for (i = 0; i < s->nr_threads; i++) {
		if (s->t[i].state != SIM_GONE)
			emit_new(s, i);
	}
}

/*
 * ghost-agent's hotplug_sync() for a new instance: before its first
 * drain, CPU_OFFLINE (seqnum 0) for each enclave CPU offline.
 */
static void hotplug_replay(struct sim *s)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_cpu p;
	} m = { .h = { GHOST_MSG_CPU_OFFLINE, sizeof(m), 0 } };
	int cpu;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		if (!s->enclave[cpu] || !s->told_offline[cpu])
			continue;
		m.p.cpu = cpu;
		ck_assert_int_ge(ghost_policy_dispatch(s->ops, &s->ctx, &m.h),
				 0);
	}
}

static int swap(struct sim *s, const char *name, const char *const opts[],
		int rediscover)
{
	struct ghost_policy_lib old_lib = s->lib;
	const struct ghost_policy_ops *old = s->ops, *new_ops;
	struct ghost_policy_ctx old_ctx = s->ctx;
	int nr_cpus = 0, cpu, global = old_ctx.global_cpu, exported = 0;
	static char buf[1 << 20];
	long n;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++)
		nr_cpus += s->enclave[cpu];
	if (global < 0)
		global = 0;
	/* Its CPUs stay as they were while the new instance gets its own. */
	memcpy(s->old_cpus, s->cpus, sizeof(s->cpus));
	old_ctx.cpus = s->old_cpus;
	load(s, name);
	setup_ctx(s, nr_cpus, global);
	if (sim_before_init)
		sim_before_init(s, opts);
	ck_assert_int_eq(s->ops->init(&s->ctx, opts), 0);
	new_ops = s->ops;

	/* The old policy catches up, then hands over or not. */
	s->ops = old;
	{
		struct ghost_policy_ctx new_ctx = s->ctx;

		s->ctx = old_ctx;
		sim_drain(s);
		old_ctx = s->ctx;
		s->ctx = new_ctx;
	}
	s->ops = new_ops;
	apply_dispatch(s);
	if (!rediscover && ghost_policy_state_compatible(old, s->ops)) {
		n = old->export_state(&old_ctx, buf, sizeof(buf));
		ck_assert_int_gt(n, 0);
		ck_assert_int_le(n, sizeof(buf));
		ck_assert_int_eq(s->ops->import_state(&s->ctx, buf, n), 0);
		exported = 1;
	} else {
		sim_drop_lists(s);
		discover(s);
	}
	if (old->fini)
		old->fini(&old_ctx);
	ghost_policy_close(&old_lib);
	hotplug_replay(s);
	return exported;
}

int sim_swap(struct sim *s, const char *name, const char *const opts[])
{
	return swap(s, name, opts, 0);
}

int sim_swap_rediscover(struct sim *s, const char *name,
			const char *const opts[])
{
	return swap(s, name, opts, 1);
}

/* ------------------------------------------------------------------ */
/* Time, nice and affinity                                             */
/* ------------------------------------------------------------------ */

static int x_in(unsigned int mask, int cpu)
{
	return !mask || (mask >> cpu & 1);
}

/* What ghost-agent's host_task_allowed() answers. */
static int sim_host_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid,
				 int cpu)
{
	struct sim *s = sim_of(ctx);
	int i = find_gtid(s, gtid);

	return i < 0 || x_in(s->t[i].x.known, cpu);
}

static int x_may_run(const struct sim *s, int i, int cpu)
{
	return x_in(s->t[i].x.allowed, cpu);
}

static void x_place(struct sim *s, int i, int cpu)
{
	if (!x_may_run(s, i, cpu))
		s->x.affinity_runs++;
	s->t[i].x.on_since = s->now;
}

/* It leaves its CPU: its time there counts. */
static void x_release(struct sim *s, int i)
{
	s->t[i].x.ran_ns += s->now - s->t[i].x.on_since;
}

/* A commit takes @i's CPU: how long did it have it? */
static void x_sliced(struct sim *s, int i)
{
	__u64 had = s->now - s->t[i].x.on_since;

	if (!s->x.nr_sliced++ || had < s->x.min_sliced_ns)
		s->x.min_sliced_ns = had;
}

/* ghost-agent learns the thread's CPUs (refresh_affinity()). */
static void x_learn(struct sim *s, int i, int cpu)
{
	/* It knew, and the policy asked anyway. */
	if (!x_in(s->t[i].x.known, cpu))
		s->x.affinity_asks++;
	s->t[i].x.known = s->t[i].x.allowed;
}

static int x_refuse_commit(struct sim *s, int i, int cpu)
{
	s->x.nr_not_allowed++;
	x_learn(s, i, cpu);
	return GHOST_TXN_CPU_NOT_ALLOWED;
}

/* As the module skips an entry for a CPU the thread may not run on. */
static void x_refuse_entry(struct sim *s, int i, int cpu)
{
	if (!x_in(s->t[i].x.known, cpu))
		s->x.affinity_asks++;
	s->t[i].barrier++;
	emit_task(s, i, GHOST_MSG_TASK_AFFINITY_CHANGED, -1);
}

/* ghost-agent's track() of TASK_AFFINITY_CHANGED. */
static void x_track(struct sim *s, const struct ghost_msg *m)
{
	const struct ghost_msg_task *t = ghost_msg_payload(m);
	int i;

	if (m->type != GHOST_MSG_TASK_AFFINITY_CHANGED)
		return;
	i = find_gtid(s, t->gtid);
	if (i >= 0)
		s->t[i].x.known = s->t[i].x.allowed;
}

int sim_new_nice(struct sim *s, int runnable, int nice)
{
	ck_assert_int_lt(s->nr_threads, SIM_MAX_THREADS);
	s->t[s->nr_threads].x.nice = nice;
	return sim_new(s, runnable);
}

int sim_new_allowed(struct sim *s, int runnable, unsigned int allowed)
{
	ck_assert_int_lt(s->nr_threads, SIM_MAX_THREADS);
	s->t[s->nr_threads].x.allowed = allowed;
	return sim_new(s, runnable);
}

/* As ghost_sched_priority(). */
void sim_set_nice(struct sim *s, int i, int nice)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_priority p;
	} m;

	ck_assert_int_ne(s->t[i].state, SIM_GONE);
	if (s->t[i].x.nice == nice)
		return;
	s->t[i].x.nice = nice;
	s->t[i].barrier++;
	memset(&m, 0, sizeof(m));
	m.h.type = GHOST_MSG_TASK_PRIORITY_CHANGED;
	m.h.length = sizeof(m);
	m.h.seqnum = s->t[i].barrier;
	m.p.gtid = s->t[i].gtid;
	m.p.runtime = sim_ran_ns(s, i);
	m.p.nice = nice;
	sim_push(s, &m, sizeof(m));
}

/*
 * As ghost_sched_affinity(): a running thread is preempted first (its
 * CPU runs its list's next entry), then TASK_AFFINITY_CHANGED.
 */
void sim_set_affinity(struct sim *s, int i, unsigned int allowed)
{
	int cpu;

	ck_assert_int_ne(s->t[i].state, SIM_GONE);
	if (s->t[i].state == SIM_RUNNING) {
		cpu = release_cpu(s, i);
		s->t[i].state = SIM_RUNNABLE;
		s->t[i].barrier++;
		leave_cpu(s, i, cpu, GHOST_MSG_TASK_PREEMPT);
	}
	s->t[i].x.allowed = allowed;
	/* The kernel moves it off a CPU it may no longer use. */
	if (s->t[i].last_cpu >= 0 && !x_in(allowed, s->t[i].last_cpu))
		s->t[i].last_cpu = -1;
	s->t[i].barrier++;
	emit_task(s, i, GHOST_MSG_TASK_AFFINITY_CHANGED, -1);
}

void sim_run_for(struct sim *s, __u64 ns, __u64 step_ns)
{
	__u64 end = s->now + ns;
	int cpu;

	ck_assert_int_gt(step_ns, 0);
	sim_settle(s, 10);
	while (s->now < end) {
		s->now += step_ns < end - s->now ? step_ns : end - s->now;
		for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
			if (!s->enclave[cpu] || s->offline[cpu] ||
			    !(s->ops->flags & GHOST_POLICY_F_TICKS))
				continue;
			sim_tick(s, cpu);
			s->x.nr_ticks++;
		}
		sim_settle(s, 10);
	}
}

__u64 sim_ran_ns(const struct sim *s, int i)
{
	__u64 ran = s->t[i].x.ran_ns;

	if (s->t[i].state == SIM_RUNNING)
		ran += s->now - s->t[i].x.on_since;
	return ran;
}

/* The host of sim_count_host(): each call counted, then passed on. */
static int count_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		     __u32 barrier)
{
	sim_of(ctx)->host_calls++;
	return sim_host.run(ctx, cpu, gtid, barrier);
}

static __u64 count_now(struct ghost_policy_ctx *ctx)
{
	sim_of(ctx)->host_calls++;
	return sim_host.now_ns(ctx);
}

static int count_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	sim_of(ctx)->host_calls++;
	return sim_host.task_cpu(ctx, gtid);
}

static int count_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			 __u32 barrier)
{
	sim_of(ctx)->host_calls++;
	return sim_host.dl_push(ctx, cpu, gtid, barrier);
}

static int count_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	sim_of(ctx)->host_calls++;
	return sim_host.dl_outstanding(ctx, cpu);
}

static int count_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			      __u32 flags)
{
	sim_of(ctx)->host_calls++;
	return sim_host.dl_set_flags(ctx, cpu, flags);
}

static int count_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			    struct ghost_dispatch_entry *out, int max)
{
	sim_of(ctx)->host_calls++;
	return sim_host.dl_entries(ctx, cpu, out, max);
}

static int count_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid,
			      int cpu)
{
	sim_of(ctx)->host_calls++;
	return sim_host.task_allowed(ctx, gtid, cpu);
}

static int count_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
		      struct ghost_app_hint *out)
{
	sim_of(ctx)->host_calls++;
	return sim_host.hint(ctx, gtid, out);
}

static const struct ghost_policy_host count_host = {
	.run		= count_run,
	.now_ns		= count_now,
	.task_cpu	= count_task_cpu,
	.log		= sim_host_log,
	.error		= sim_host_error,
	.dl_push	= count_dl_push,
	.dl_outstanding	= count_dl_outstanding,
	.dl_set_flags	= count_dl_set_flags,
	.dl_entries	= count_dl_entries,
	.task_allowed	= count_task_allowed,
	.hint		= count_hint,
};

void sim_count_host(struct sim *s)
{
	s->host_calls = 0;
	s->ctx.host = &count_host;
}

/* ------------------------------------------------------------------ */
/* Application hints (ghost_policy_hint())                             */
/* ------------------------------------------------------------------ */

static int sim_host_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
			 struct ghost_app_hint *out)
{
	struct sim *s = sim_of(ctx);
	int i;

	s->nr_hint_reads++;
	for (i = 0; i < s->nr_threads; i++) {
		if (s->t[i].gtid != gtid || !s->has_hint[i])
			continue;
		if (s->has_hint[i] == 2)
			return -EAGAIN;
		*out = s->hint[i];
		return 0;
	}
	return -ENOENT;
}

void sim_set_hint(struct sim *s, int i, __u32 qos, __u32 flags)
{
	ck_assert_int_lt(i, s->nr_threads);
	memset(&s->hint[i], 0, sizeof(s->hint[i]));
	s->hint[i].qos = qos;
	s->hint[i].flags = flags;
	s->has_hint[i] = 1;
}

void sim_clear_hint(struct sim *s, int i)
{
	ck_assert_int_lt(i, s->nr_threads);
	s->has_hint[i] = 0;
}

void sim_busy_hint(struct sim *s, int i)
{
	ck_assert_int_lt(i, s->nr_threads);
	s->has_hint[i] = 2;
}

void sim_set_hint_deadline(struct sim *s, int i, __u32 flags,
			   __u64 deadline_ns, __u64 estimate_ns)
{
	sim_set_hint(s, i, GHOST_HINT_QOS_DEFAULT, flags);
	s->hint[i].deadline_ns = deadline_ns;
	s->hint[i].estimate_ns = estimate_ns;
}

/* ------------------------------------------------------------------ */
/* Dispatch lists, entry by entry                                      */
/* ------------------------------------------------------------------ */

int sim_listed_on(const struct sim *s, int i, int cpu)
{
	const struct ghost_dispatch_list *dl = &s->dl[cpu];
	const struct ghost_dispatch_entry *ent;
	__u32 k;

	if (s->t[i].state != SIM_RUNNABLE)
		return 0;
	for (k = dl->head; k != dl->tail; k++) {
		ent = &dl->ent[k % GHOST_DISPATCH_SLOTS];
		if (ent->gtid == s->t[i].gtid && ent->barrier == s->t[i].barrier)
			return 1;
	}
	return 0;
}
