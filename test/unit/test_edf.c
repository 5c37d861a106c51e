// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the edf policy driven by the kernel model of sim.h, with
 * deadlines and estimates set by sim_set_hint_deadline().  Waiting
 * threads run earliest deadline first, every idle CPU filled in one
 * round; a thread with an earlier deadline than a running one preempts
 * the running thread with the latest deadline on a CPU it may use;
 * threads without a deadline are FIFO after every thread with one; a
 * thread whose hint says IDLE is left off CPUs.  A periodic thread whose
 * deadline has come when it wakes gets the next deadline of its period,
 * computed without overflow whatever it published.  Affinity, hotplug,
 * failed commits, deaths and hot swaps to and from fifo_centralized keep
 * every thread.  Throughout, every round is checked for work-conserving
 * EDF: no thread waits while a CPU it may use is idle or runs a thread
 * with a later deadline, or none.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"

#define GLOBAL	0
#define MS	1000000ULL

static struct sim s;
static int nr_checked;		/* rounds checked by check_edf() */
static __u64 rolled[SIM_MAX_THREADS];	/* a periodic deadline, 0: as published */

static void start(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "edf", nr_cpus, GLOBAL, opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_CENTRALIZED);
	ck_assert_int_eq(s.ctx.dispatch_flags, 0);
	nr_checked = 0;
	memset(rolled, 0, sizeof(rolled));
}

static void teardown(void)
{
	ck_assert_int_eq(s.global_violations, 0);
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	ck_assert_int_eq(s.x.affinity_runs, 0);
	ck_assert_int_eq(s.failed, 0);
	sim_fini(&s);
}

/* The class of thread @i as its hint says: 0 deadline, 1 none, 2 idle. */
static int cls_of(int i, __u64 *deadline)
{
	*deadline = 0;
	if (!s.has_hint[i])
		return 1;
	if ((s.hint[i].flags & GHOST_HINT_F_ALL) == GHOST_HINT_F_IDLE)
		return 2;
	*deadline = rolled[i] ? rolled[i] : s.hint[i].deadline_ns;
	return *deadline ? 0 : 1;
}

static int may_run(int i, int cpu)
{
	return !s.t[i].x.allowed || (s.t[i].x.allowed >> cpu & 1);
}

/*
 * Work-conserving EDF, on the kernel's state after a round: no runnable
 * thread (unless its hint says IDLE) waits while a CPU it may use is
 * idle, or runs a thread that its hint says is IDLE, has no deadline, or
 * has a later deadline than the waiting thread's.  A thread that this
 * round's commits took a CPU from (in @before) is exempt: the policy
 * has not heard of it yet.
 */
static void check_edf(const int *before)
{
	__u64 dw, dr;
	int w, cpu, r, cw, cr, k, displaced;

	for (w = 0; w < s.nr_threads; w++) {
		if (s.t[w].state != SIM_RUNNABLE)
			continue;
		displaced = 0;
		for (k = 0; k < SIM_MAX_CPUS; k++)
			displaced |= before[k] == w;
		cw = cls_of(w, &dw);
		if (displaced || cw == 2)
			continue;
		for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
			if (!s.enclave[cpu] || s.offline[cpu] ||
			    cpu == GLOBAL || !may_run(w, cpu))
				continue;
			r = s.cur[cpu];
			ck_assert_msg(r >= 0,
				      "round %u: thread %d waits, CPU %d idles",
				      s.round, w, cpu);
			cr = cls_of(r, &dr);
			ck_assert_msg(cr <= cw && !(cr == 0 && cw == 0 &&
						    dr > dw),
				      "round %u: thread %d (class %d, deadline %llu) waits, CPU %d runs thread %d (class %d, deadline %llu)",
				      s.round, w, cw, (unsigned long long)dw,
				      cpu, r, cr, (unsigned long long)dr);
		}
	}
	nr_checked++;
}

/* A round, then the check, unless one of its commits failed. */
static int round_checked(void)
{
	int before[SIM_MAX_CPUS], n0 = s.nr_log, n, i;

	memcpy(before, s.cur, sizeof(before));
	n = sim_round(&s);
	for (i = n0; i < s.nr_log; i++) {
		if (s.log[i].state != GHOST_TXN_COMPLETE)
			return n;
	}
	check_edf(before);
	return n;
}

static void settle(void)
{
	int k;

	for (k = 0; k < 10 && round_checked(); k++)
		;
}

/* A blocked thread with a deadline @d ms from now, then woken. */
static int new_dl(__u64 d_ms, __u64 est_us)
{
	int i = sim_new(&s, 0);

	sim_set_hint_deadline(&s, i, GHOST_HINT_F_RUNNABLE,
			      s.now + d_ms * MS, est_us * 1000);
	sim_wakeup(&s, i);
	return i;
}

/* A runnable thread that publishes nothing. */
static int new_plain(void)
{
	return sim_new(&s, 1);
}

/*
 * A blocked thread that published deadline @dl and period @period, then
 * woken; @expect: the deadline edf should roll it to (for check_edf()).
 */
static int new_periodic(__u64 dl, __u64 period, __u64 expect)
{
	int i = sim_new(&s, 0);

	sim_set_hint_deadline(&s, i, GHOST_HINT_F_RUNNABLE, dl, 0);
	s.hint[i].period_ns = period;
	rolled[i] = expect;
	sim_wakeup(&s, i);
	return i;
}

static void check_all_finish(int work)
{
	ck_assert_int_eq(sim_run_all(&s, work, NULL), 0);
}

/* All idle CPUs get a thread in one round, the earliest deadlines. */
START_TEST(test_group_commit)
{
	static const __u64 d[] = { 60, 20, 50, 10, 40, 30 };
	int t[6], i, n, cpu;

	start(5, NULL);
	for (i = 0; i < 6; i++)
		t[i] = new_dl(d[i], 0);
	n = round_checked();
	ck_assert_int_eq(n, 4);
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_uint_eq(s.log[i].round, s.log[0].round);
	}
	/* 10, 20, 30, 40 run; 50 and 60 wait. */
	ck_assert_int_eq(s.t[t[0]].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[t[2]].state, SIM_RUNNABLE);
	for (cpu = 1; cpu < 5; cpu++)
		ck_assert_int_ge(sim_running(&s, cpu), 0);
	ck_assert_int_gt(nr_checked, 0);
	check_all_finish(3);
}
END_TEST

/* Earliest deadline first; equal deadlines: shorter estimate, then FIFO. */
START_TEST(test_deadline_order)
{
	int a, b, c, d, e, f;

	start(2, NULL);		/* CPU 1 runs threads */
	a = new_dl(1, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	b = new_dl(30, 0);
	c = new_dl(10, 0);
	d = new_dl(20, 500);
	e = new_dl(20, 100);
	f = new_dl(20, 0);	/* unknown estimate: after known ones */
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_block(&s, a);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_block(&s, c);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), e);
	sim_block(&s, e);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), d);
	sim_block(&s, d);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), f);
	sim_block(&s, f);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/*
 * A newly runnable thread with an earlier deadline than a running one
 * takes the CPU of the running thread with the LATEST deadline, which
 * waits by its deadline and gets the next CPU that frees.
 */
START_TEST(test_preempts_latest)
{
	int a, b, c, w, x, y;

	start(4, NULL);		/* CPUs 1-3 */
	a = new_dl(10, 0);
	b = new_dl(30, 0);
	c = new_dl(20, 0);
	settle();
	ck_assert_int_ge(sim_cpu_of(&s, b), 1);
	w = new_dl(15, 0);
	settle();
	/* b had the latest deadline: w is on its CPU, b waits. */
	ck_assert_int_eq(s.t[b].state, SIM_RUNNABLE);
	ck_assert_int_ge(sim_cpu_of(&s, w), 1);
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert_int_ge(sim_cpu_of(&s, c), 1);
	ck_assert_int_eq(s.x.nr_sliced, 1);
	/* Later than everything running: no preemption. */
	x = new_dl(40, 0);
	settle();
	ck_assert_int_eq(s.x.nr_sliced, 1);
	ck_assert_int_eq(s.t[x].state, SIM_RUNNABLE);
	/* Equal to the latest running: no preemption either. */
	y = new_dl(20, 0);
	s.hint[y].deadline_ns = s.hint[c].deadline_ns;
	settle();
	ck_assert_int_eq(s.x.nr_sliced, 1);
	/* A CPU frees: the earliest waiting (b, 30) before x (40). */
	sim_block(&s, a);
	settle();
	ck_assert_int_eq(s.t[y].state, SIM_RUNNING);
	sim_block(&s, y);
	settle();
	ck_assert_int_eq(s.t[b].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[x].state, SIM_RUNNABLE);
	check_all_finish(2);
}
END_TEST

/*
 * Threads without a deadline are FIFO after every thread with one: a
 * deadline thread preempts them first; they preempt nobody.
 */
START_TEST(test_no_hint_fifo_after_deadlines)
{
	int p, q, r, a, b, x;

	start(3, NULL);		/* CPUs 1-2 */
	p = new_plain();
	q = new_plain();
	settle();
	ck_assert_int_ge(sim_cpu_of(&s, p), 1);
	ck_assert_int_ge(sim_cpu_of(&s, q), 1);
	r = new_plain();
	settle();
	ck_assert_int_eq(s.t[r].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.x.nr_sliced, 0);
	/* A deadline thread takes the CPU of one without a deadline. */
	a = new_dl(50, 0);
	settle();
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert_int_eq(s.x.nr_sliced, 1);
	b = new_dl(5, 0);
	settle();
	ck_assert_int_ge(sim_cpu_of(&s, b), 1);
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert_int_eq(s.x.nr_sliced, 2);
	/* Both plain threads wait, in order: p, q (the preempted first). */
	ck_assert_int_eq(s.t[p].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[q].state, SIM_RUNNABLE);
	/* A hint with deadline 0 is no deadline. */
	x = sim_new(&s, 0);
	sim_set_hint_deadline(&s, x, GHOST_HINT_F_RUNNABLE, 0, 100);
	sim_wakeup(&s, x);
	settle();
	ck_assert_int_eq(s.t[x].state, SIM_RUNNABLE);
	sim_block(&s, a);
	settle();
	ck_assert_int_eq(s.t[p].state + s.t[q].state,
			 SIM_RUNNING + SIM_RUNNABLE);
	sim_block(&s, b);
	settle();
	ck_assert_int_eq(s.t[p].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[q].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[r].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[x].state, SIM_RUNNABLE);
	sim_block(&s, p);
	settle();
	ck_assert_int_eq(s.t[r].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[x].state, SIM_RUNNABLE);
	check_all_finish(2);
}
END_TEST

/* IDLE: not run though the kernel has it runnable; taken off its CPU. */
START_TEST(test_idle_hint)
{
	int a, b;

	start(2, NULL);
	a = sim_new(&s, 0);
	sim_set_hint_deadline(&s, a, GHOST_HINT_F_IDLE, s.now + MS, 0);
	sim_wakeup(&s, a);
	settle();
	ck_assert_int_eq(s.t[a].state, SIM_RUNNABLE);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	/* Runnable again: it runs, without any kernel event. */
	sim_set_hint_deadline(&s, a, GHOST_HINT_F_RUNNABLE, s.now + MS, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);

	/* Turned idle while running, another waiting: replaced. */
	b = new_plain();
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_set_hint_deadline(&s, a, GHOST_HINT_F_IDLE, s.now + MS, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), b);
	ck_assert_int_eq(s.t[a].state, SIM_RUNNABLE);

	/* Nobody else waits: it keeps its CPU until it blocks. */
	sim_set_hint(&s, b, 0, GHOST_HINT_F_IDLE);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	sim_wakeup(&s, b);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_clear_hint(&s, b);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_clear_hint(&s, a);
	check_all_finish(2);
}
END_TEST

/*
 * A thread preempts only on a CPU it may use: the latest deadline among
 * those, not the latest of all.  A thread that may not run anywhere a
 * later deadline runs is passed over, and the next one looks.
 */
START_TEST(test_affinity)
{
	int a, b, c, w, v;

	start(4, NULL);		/* CPUs 1-3 */
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	c = new_dl(30, 0);
	settle();
	/* w may only use a's CPU, the earliest deadline there: no way. */
	w = sim_new(&s, 0);
	sim_set_affinity(&s, w, 1u << sim_cpu_of(&s, a));
	sim_set_hint_deadline(&s, w, GHOST_HINT_F_RUNNABLE, s.now + 15 * MS,
			      0);
	/* v may use b's CPU only: it preempts b, not c (the latest). */
	v = sim_new(&s, 0);
	sim_set_affinity(&s, v, 1u << sim_cpu_of(&s, b));
	sim_set_hint_deadline(&s, v, GHOST_HINT_F_RUNNABLE, s.now + 16 * MS,
			      0);
	sim_wakeup(&s, w);
	sim_wakeup(&s, v);
	round_checked();
	ck_assert_int_eq(s.t[w].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[v].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[b].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.x.nr_sliced, 1);
	/* b (20) then preempts c (30), the latest on a CPU it may use. */
	settle();
	ck_assert_int_eq(s.t[b].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[w].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.x.nr_sliced, 2);
	ck_assert_int_eq(s.x.nr_not_allowed, 0);
	/* a's CPU frees: w (15) before c (30). */
	sim_block(&s, a);
	settle();
	ck_assert_int_eq(s.t[w].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNABLE);
	check_all_finish(2);
}
END_TEST

/* Affinity the agent learns from a refused commit: tried elsewhere. */
START_TEST(test_affinity_learned)
{
	int a;

	start(4, NULL);
	a = sim_new_allowed(&s, 0, 1u << 3);
	sim_set_hint_deadline(&s, a, GHOST_HINT_F_RUNNABLE, s.now + MS, 0);
	sim_wakeup(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_cpu_of(&s, a), 3);
	ck_assert_int_le(s.x.nr_not_allowed, 1);
	check_all_finish(2);
}
END_TEST

START_TEST(test_hotplug)
{
	int t[6], i, n;

	start(4, NULL);
	for (i = 0; i < 6; i++)
		t[i] = new_dl(10 * (i + 1), 0);
	settle();
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNING);
	sim_cpu_offline(&s, sim_cpu_of(&s, t[1]));
	n = s.nr_log;
	settle();
	/* t[1] (20) took the CPU of t[2] (30), the latest still online. */
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[t[2]].state, SIM_RUNNABLE);
	for (i = n; i < s.nr_log; i++)
		ck_assert(!s.offline[s.log[i].cpu]);
	for (i = 1; i < 4; i++) {
		if (s.offline[i]) {
			ck_assert_int_eq(sim_running(&s, i), -1);
			sim_cpu_online(&s, i);
			settle();
			ck_assert_int_ge(sim_running(&s, i), 0);
		}
	}
	check_all_finish(3);
}
END_TEST

/* A commit that fails is tried again; a thread that dies is forgotten. */
START_TEST(test_commit_failures_and_deaths)
{
	int a, b, c;

	start(3, NULL);
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	c = new_dl(30, 0);
	s.t[a].hidden = 2;
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert(sim_cpu_of(&s, b) >= 1 || sim_cpu_of(&s, c) >= 1);
	/* Dead while running and while waiting: the others go on. */
	sim_exit(&s, a);
	settle();
	ck_assert_int_ge(sim_cpu_of(&s, b), 1);
	ck_assert_int_ge(sim_cpu_of(&s, c), 1);
	a = new_dl(1, 0);
	sim_exit(&s, a);
	settle();
	/* A stale commit: the thread moved on before it was committed. */
	a = new_dl(1, 0);
	sim_drain(&s);
	sim_block(&s, a);
	sim_wakeup(&s, a);
	settle();
	ck_assert_int_eq(s.t[a].state, SIM_RUNNING);
	check_all_finish(2);
}
END_TEST

static void bump_barrier(struct sim *x)
{
	int i;

	for (i = 0; i < x->nr_threads; i++) {
		if (x->t[i].state == SIM_RUNNABLE) {
			sim_block(x, i);
			sim_wakeup(x, i);
			return;
		}
	}
}

START_TEST(test_stale_commit_retried)
{
	int a, b;

	start(2, NULL);
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	sim_drain(&s);
	s.before_commit = bump_barrier;
	sim_round(&s);
	ck_assert_int_eq(s.log[0].state, GHOST_TXN_TARGET_STALE);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(s.t[b].state, SIM_RUNNABLE);
}
END_TEST

/*
 * A deadline moved earlier while its thread waits deep in the heap takes
 * effect at the next rescan (rescan_us; 0: every round).
 */
START_TEST(test_deadline_change_rescan)
{
	static const char *const every[] = { "rescan_us=0", NULL };
	int r, a, w;

	start(2, _i ? every : NULL);
	r = new_dl(10, 0);
	settle();
	a = new_dl(20, 0);
	w = new_dl(50, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), r);
	s.hint[w].deadline_ns = s.now + 5 * MS;
	sim_round(&s);
	if (!_i) {
		/* a is at the front and preempts nobody: w not read yet. */
		ck_assert_int_eq(sim_running(&s, 1), r);
		s.now += MS;
		sim_round(&s);
	}
	ck_assert_int_eq(sim_running(&s, 1), w);
	/* A deadline moved later at the front: re-sorted before its turn. */
	s.hint[w].deadline_ns = s.now + 100 * MS;
	sim_block(&s, w);
	sim_wakeup(&s, w);
	s.hint[a].deadline_ns = s.now + 200 * MS;
	settle();
	ck_assert_int_eq(sim_running(&s, 1), r);
	sim_block(&s, r);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), w);
	sim_block(&s, w);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

/* A passed deadline is the most urgent; a running thread's change counts. */
START_TEST(test_running_deadline_change)
{
	int a, b, c;

	start(3, NULL);
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	settle();
	c = new_dl(30, 0);
	settle();
	ck_assert_int_eq(s.t[c].state, SIM_RUNNABLE);
	/* a's next work item is due later than c's: a is the latest now. */
	s.hint[a].deadline_ns = s.now + 40 * MS;
	settle();
	ck_assert_int_eq(s.t[a].state, SIM_RUNNABLE);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNING);
	/* Time passes every deadline: order stays by deadline. */
	s.now += 100 * MS;
	settle();
	ck_assert_int_eq(s.t[b].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNING);
	sim_block(&s, b);
	settle();
	ck_assert_int_eq(s.t[a].state, SIM_RUNNING);
}
END_TEST

/* To fifo_centralized and back, by state and by rediscovery. */
START_TEST(test_swap)
{
	int i, k, cpu;

	start(4, NULL);
	for (i = 0; i < 10; i++) {
		if (i % 3 == 0)
			sim_new(&s, 0);
		else if (i % 3 == 1)
			new_dl(10 * i, 0);
		else
			new_plain();
	}
	settle();
	for (k = 0; k < 4; k++) {
		if (_i)
			sim_swap_rediscover(&s, k % 2 ? "edf" :
					    "fifo_centralized", NULL);
		else
			ck_assert_int_eq(sim_swap(&s, k % 2 ? "edf" :
						  "fifo_centralized", NULL), 1);
		sim_settle(&s, 10);
		for (i = 0; i < s.nr_threads; i++) {
			if (s.t[i].state == SIM_RUNNABLE)
				break;
		}
		/* Work conserving right after the swap. */
		if (i < s.nr_threads)
			for (cpu = 1; cpu < 4; cpu++)
				ck_assert_int_ge(sim_running(&s, cpu), 0);
	}
	ck_assert_str_eq(s.ops->name, "edf");
	/* Back in EDF order at once. */
	settle();
	ck_assert_int_gt(nr_checked, 0);
	check_all_finish(4);
}
END_TEST

/* Threads waiting in deadline order keep it across fifo_centralized. */
START_TEST(test_swap_keeps_deadline_order)
{
	int r, a, b, c;

	start(2, NULL);
	r = new_plain();
	settle();
	c = new_dl(30, 0);
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	/* Running without a deadline: a preempts it. */
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(sim_swap(&s, "fifo_centralized", NULL), 1);
	sim_settle(&s, 10);
	sim_block(&s, a);
	sim_settle(&s, 10);
	/* fifo_centralized took the line as edf had it: b, c, r. */
	ck_assert_int_eq(sim_running(&s, 1), b);
	ck_assert_int_eq(sim_swap(&s, "edf", NULL), 1);
	settle();
	sim_block(&s, b);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_block(&s, c);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), r);
}
END_TEST

START_TEST(test_run_all)
{
	unsigned int ran[SIM_MAX_THREADS];
	int i;

	start(5, NULL);
	for (i = 0; i < 40; i++) {
		if (i % 4)
			new_dl(1 + (i * 7) % 23, i);
		else
			new_plain();
	}
	ck_assert_int_eq(sim_run_all(&s, 5, ran), 0);
	for (i = 0; i < 40; i++)
		ck_assert_uint_eq(ran[i] & 1u << GLOBAL, 0);
}
END_TEST

START_TEST(test_options)
{
	static const char *const zero[] = { "max_tasks=0", NULL };
	static const char *const bad[] = { "rescan_us=5x", NULL };
	static const char *const big[] = { "rescan_us=10000001", NULL };
	static const char *const neg[] = { "rescan_us=-1", NULL };
	static const char *const unknown[] = { "slice_us=1", NULL };
	static const char *const *opts[] = { zero, bad, big, neg, unknown };
	static const char *const msgs[] = {
		"max_tasks must be 1..1000000",
		"rescan_us must be 0..10000000",
		"rescan_us must be 0..10000000",
		"rescan_us must be 0..10000000",
		"unknown option 'slice_us=1' (known: max_tasks, rescan_us)",
	};
	static const char *const good[] = { "max_tasks=2", "rescan_us=0",
					    NULL };
	struct sim x;
	int i, a, b, c;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(sim_init(&x, "edf", 2, GLOBAL, opts[i]),
				 -EINVAL);
		ck_assert_ptr_nonnull(strstr(x.last_log, msgs[i]));
		ghost_policy_close(&x.lib);
		free(x.ring_mem);
	}
	/* Not one CPU besides the global one. */
	ck_assert_int_eq(sim_init(&x, "edf", 1, GLOBAL, NULL), -EINVAL);
	ghost_policy_close(&x.lib);
	free(x.ring_mem);

	/* max_tasks=2: a third thread is not tracked (and said so). */
	start(3, good);
	a = new_dl(10, 0);
	b = new_dl(20, 0);
	c = new_dl(5, 0);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.t[a].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[b].state, SIM_RUNNING);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNABLE);
	ck_assert_ptr_nonnull(strstr(s.last_log, "edf: no room for thread"));
	sim_exit(&s, c);
	ck_assert_ptr_nonnull(s.ops->help);
	ck_assert_ptr_nonnull(strstr(s.ops->help, "rescan_us=N"));
}
END_TEST

/*
 * Random events, deadlines, hints, affinity and hotplug: every round is
 * work-conserving EDF (check_edf()), commits only succeed or go stale,
 * and every thread finishes in the end.
 */
START_TEST(test_stream)
{
	static const char *const opts[] = { "rescan_us=0", NULL };
	int i, k, t, r;

	start(5, opts);
	srand(_i + 7);
	for (i = 0; i < 30; i++) {
		t = sim_new(&s, i % 3 != 0);
		if (i % 4)
			sim_set_hint_deadline(&s, t, GHOST_HINT_F_RUNNABLE,
					      s.now + (rand() % 50) * MS,
					      rand() % 3 * 1000);
		if (i % 7 == 0)
			sim_set_affinity(&s, t, 1u << (1 + i % 4) |
					 1u << (1 + (i + 1) % 4));
	}
	for (k = 0; k < 3000; k++) {
		t = rand() % s.nr_threads;
		switch (s.t[t].state) {
		case SIM_BLOCKED:
			/* A new work item, a new deadline, then the wakeup. */
			if (s.has_hint[t] && rand() % 2)
				s.hint[t].deadline_ns = s.now +
							(rand() % 50) * MS;
			sim_wakeup(&s, t);
			break;
		case SIM_RUNNING:
			r = rand() % 6;
			if (r == 0)
				sim_yield(&s, t);
			else if (r < 3)
				sim_block(&s, t);
			break;
		default:
			break;
		}
		r = rand() % 40;
		if (r == 0)
			sim_set_hint(&s, t, 0, GHOST_HINT_F_IDLE);
		else if (r == 1)
			sim_clear_hint(&s, t);
		else if (r == 2)
			sim_set_hint_deadline(&s, t, GHOST_HINT_F_RUNNABLE,
					      s.now + (rand() % 50) * MS, 0);
		if (rand() % 200 == 0 && s.t[t].state != SIM_GONE)
			sim_set_affinity(&s, t, rand() % 2 ? 0 :
					 1u << (1 + rand() % 4));
		if (rand() % 80 == 0 && s.t[t].state != SIM_GONE) {
			sim_exit(&s, t);
			t = sim_new(&s, 1);
			sim_set_hint_deadline(&s, t, GHOST_HINT_F_RUNNABLE,
					      s.now + (rand() % 50) * MS, 0);
		}
		if (rand() % 400 == 0 && !s.offline[4])
			sim_cpu_offline(&s, 4);
		if (rand() % 100 == 0 && s.offline[4])
			sim_cpu_online(&s, 4);
		s.now += (rand() % 200) * 1000;
		if (k % 2 == 0)
			round_checked();
		if (s.nr_threads > SIM_MAX_THREADS - 4)
			break;
	}
	if (s.offline[4])
		sim_cpu_online(&s, 4);
	settle();
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	}
	ck_assert_int_gt(nr_checked, 1000);
	for (i = 0; i < s.nr_threads; i++) {
		sim_clear_hint(&s, i);
		if (s.t[i].state != SIM_GONE)
			sim_set_affinity(&s, i, 0);
	}
	check_all_finish(3);
}
END_TEST

/* ck_assert that @desc, a describe line, holds each word of @want. */
static void has_words(const char *desc, const char *want)
{
	char w[64];
	const char *p = want;
	int n;

	while (sscanf(p, "%63s%n", w, &n) == 1) {
		ck_assert_msg(strstr(desc, w), "\"%s\" lacks \"%s\"", desc, w);
		p += n;
	}
}

/*
 * A periodic thread that wakes after its published deadline waits by the
 * first deadline + k * period after now, not by the past one: a thread
 * due 3 ms from now runs before it, one due in 7 ms after.  It keeps
 * that deadline through rescans, while the hint stays the same.
 */
START_TEST(test_period_rolls_on_wakeup)
{
	int r, p, n, m;
	__u64 t0;

	start(2, NULL);		/* CPU 1 runs threads */
	r = new_dl(1, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), r);
	t0 = s.now;
	/* Published 25 ms ago, every 10 ms: due 5 ms from now. */
	p = new_periodic(t0 - 25 * MS, 10 * MS, t0 + 5 * MS);
	n = new_dl(3, 0);
	m = new_dl(7, 0);
	settle();
	has_words(sim_describe(&s, p),
		  "state=queued class=deadline queue=heap deadline_in_us=5000");
	s.now += 2 * MS;	/* past a rescan */
	settle();
	has_words(sim_describe(&s, p), "deadline_in_us=3000");
	sim_block(&s, r);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), n);
	sim_block(&s, n);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), p);
	sim_block(&s, p);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), m);
	sim_block(&s, m);
	settle();
}
END_TEST

/* Period 0: a deadline that has passed stays, the most urgent of all. */
START_TEST(test_period_zero_unchanged)
{
	int r, p, n;

	start(2, NULL);
	r = new_dl(1, 0);
	settle();
	p = new_periodic(s.now - 25 * MS, 0, 0);
	n = new_dl(3, 0);
	settle();
	has_words(sim_describe(&s, p), "deadline_in_us=-25000");
	sim_block(&s, r);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), p);
	sim_block(&s, p);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), n);
}
END_TEST

/*
 * A periodic thread that runs past its deadline is late and keeps it: a
 * thread due 1 ms from now does not preempt it.  It rolls again only
 * when it next wakes up, on the same grid.
 */
START_TEST(test_period_late_keeps_deadline)
{
	int p, n;
	__u64 t0;

	start(2, NULL);
	t0 = s.now;
	p = new_periodic(t0 - 25 * MS, 10 * MS, t0 + 5 * MS);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), p);
	s.now += 20 * MS;	/* 15 ms past its deadline, still running */
	n = new_dl(1, 0);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), p);
	has_words(sim_describe(&s, p), "deadline_in_us=-15000");
	sim_block(&s, p);
	rolled[p] = t0 + 25 * MS;	/* 5 ms from now */
	sim_wakeup(&s, p);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), n);
	has_words(sim_describe(&s, p), "deadline_in_us=5000");
	sim_block(&s, n);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), p);
	/* Another published deadline replaces the rolled one. */
	s.hint[p].deadline_ns = s.now + 40 * MS;
	s.now += 2 * MS;
	settle();
	rolled[p] = 0;
	has_words(sim_describe(&s, p), "deadline_in_us=38000");
}
END_TEST

/*
 * Absurd periods and deadlines: no wrap, no loop.  A period too long
 * for the next deadline to fit saturates it to the latest deadline of
 * all (after any real one, still before threads without a deadline); a
 * period of 1 ns from a deadline of 1 ns takes one division.
 */
START_TEST(test_period_absurd)
{
	int r, a, b, c, n, f;

	start(2, NULL);
	r = new_dl(1, 0);
	settle();
	a = new_periodic(1, ~0ULL, ~0ULL);
	b = new_periodic(s.now - 1, ~0ULL - 2, ~0ULL);
	c = new_periodic(1, 1, s.now + 1);
	n = new_dl(50, 0);
	f = new_plain();
	settle();
	has_words(sim_describe(&s, c), "deadline_in_us=0");
	sim_block(&s, r);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_block(&s, c);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), n);
	sim_block(&s, n);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_block(&s, a);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	settle();
	ck_assert_int_eq(sim_running(&s, 1), f);
}
END_TEST

/* The describe op: where a thread waits, its class and its hint. */
START_TEST(test_describe)
{
	int a, b, c;

	start(2, NULL);		/* CPU 1 runs threads */
	a = new_dl(1, 0);
	settle();
	b = new_dl(30, 200);
	c = new_plain();
	settle();
	ck_assert_int_eq(sim_running(&s, 1), a);
	has_words(sim_describe(&s, a),
		  "state=oncpu class=deadline cpu=1 deadline_in_us=1000");
	has_words(sim_describe(&s, b),
		  "state=queued class=deadline queue=heap deadline_in_us=30000 estimate_us=200");
	has_words(sim_describe(&s, c), "state=queued class=fifo queue=fifo pos=0");
	ck_assert_ptr_null(strstr(sim_describe(&s, c), "deadline_in_us"));
	sim_block(&s, a);
	settle();
	has_words(sim_describe(&s, a), "state=blocked class=deadline");
	sim_exit(&s, a);
	settle();
	ck_assert_str_eq(sim_describe(&s, a), "ENOENT");
}
END_TEST

static Suite *edf_suite(void)
{
	Suite *suite = suite_create("edf");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_deadline_order);
	tcase_add_test(tc, test_period_rolls_on_wakeup);
	tcase_add_test(tc, test_period_zero_unchanged);
	tcase_add_test(tc, test_period_late_keeps_deadline);
	tcase_add_test(tc, test_period_absurd);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_preempts_latest);
	tcase_add_test(tc, test_no_hint_fifo_after_deadlines);
	tcase_add_test(tc, test_idle_hint);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_affinity_learned);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_commit_failures_and_deaths);
	tcase_add_test(tc, test_stale_commit_retried);
	tcase_add_loop_test(tc, test_deadline_change_rescan, 0, 2);
	tcase_add_test(tc, test_running_deadline_change);
	tcase_add_loop_test(tc, test_swap, 0, 2);
	tcase_add_test(tc, test_swap_keeps_deadline_order);
	tcase_add_test(tc, test_run_all);
	tcase_add_test(tc, test_options);
	tcase_add_loop_test(tc, test_stream, 0, 4);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(edf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
