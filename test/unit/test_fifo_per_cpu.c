// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the fifo_per_cpu policy driven by the kernel model of
 * sim.h.  It assigns CPUs at TASK_NEW or first wakeup (an idle CPU, else
 * round-robin), runs each CPU's queue in FIFO order, puts preempted
 * threads at the front and yielding ones at the back, and commits to a CPU
 * only once its thread gave it up, and moves a thread that wakes to wait
 * behind others to an idle CPU.  The "commits" cases model a module
 * without dispatch lists; the "fast_path" ones a module that runs the
 * listed front of each CPU's queue by itself.  A CPU that hotplug takes
 * away hands its threads to the others and gets none until it is back.
 */
#include <stdlib.h>

#include <check.h>

#include "sim.h"
#include "../../policies/fifo_state.h"

static struct sim s;

static void start(int nr_cpus)
{
	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", nr_cpus, -1, NULL), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_PER_CPU);
}

static void commits_only(void)
{
	sim_lists = 0;
}

static void fast_path(void)
{
	sim_lists = 1;
}

static void teardown(void)
{
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.nr_bad, 0);
	/* Nothing asked for or run on a CPU hotplug took away. */
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	sim_fini(&s);
}

START_TEST(test_round_robin_assignment)
{
	int i;

	start(4);
	for (i = 0; i < 8; i++)
		sim_new(&s, 1);
	ck_assert_int_eq(sim_round(&s), 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), i);
	/* The second four queued behind the first, on the same CPUs. */
	for (i = 0; i < 4; i++)
		sim_block(&s, i);
	ck_assert_int_eq(sim_round(&s), 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), 4 + i);
}
END_TEST

/*
 * Two children of a parent that waits for them, the first blocked before
 * the second arrives (a pipe's two ends): each gets an idle CPU of its own.
 */
START_TEST(test_siblings_get_cpus_of_their_own)
{
	int parent, a, b;

	start(3);
	parent = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_block(&s, parent);
	a = sim_child(&s, parent);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 0);
	sim_block(&s, a);
	sim_settle(&s, 10);
	b = sim_child(&s, parent);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, b), 0);
	ck_assert_int_ne(sim_cpu_of(&s, b), sim_cpu_of(&s, a));
	ck_assert_int_eq(sim_running(&s, sim_cpu_of(&s, b)), b);
}
END_TEST

/*
 * A child of a blocked parent starts where it is, on the parent's idle
 * CPU, and so does its own child once it blocks in turn; a child of a
 * parent that still runs gets an idle CPU of its own.
 */
START_TEST(test_child_of_blocked_parent_takes_its_cpu)
{
	int parent, a, b, c, cpu;

	start(3);
	parent = sim_new(&s, 1);
	sim_settle(&s, 10);
	cpu = sim_cpu_of(&s, parent);
	ck_assert_int_ge(cpu, 0);
	a = sim_child(&s, parent);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 0);
	ck_assert_int_ne(sim_cpu_of(&s, a), cpu);
	sim_exit(&s, a);
	sim_block(&s, parent);
	sim_settle(&s, 10);
	b = sim_child(&s, parent);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_cpu_of(&s, b), cpu);
	sim_block(&s, b);
	c = sim_child(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_cpu_of(&s, c), cpu);
}
END_TEST

/* An idle CPU is given before the next one in turn. */
START_TEST(test_idle_cpu_before_round_robin)
{
	int t[4], i;

	start(3);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i]);
	sim_block(&s, t[1]);
	sim_settle(&s, 10);
	/* Round-robin would give CPU 0, which is busy. */
	t[3] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[3]);
}
END_TEST

START_TEST(test_fifo_order)
{
	int a, b, c;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_wakeup(&s, a);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

START_TEST(test_no_commit_while_cpu_busy)
{
	int a, b, n, i;

	start(1);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	n = s.nr_log;
	b = sim_new(&s, 1);
	for (i = 0; i < 5; i++)
		sim_round(&s);
	/* a keeps its CPU: no preemption in a FIFO. */
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
}
END_TEST

START_TEST(test_preempted_goes_to_front)
{
	int a, b, c;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_preempt(&s, a);
	sim_settle(&s, 10);
	/* a lost its CPU through no fault of its own: it runs again. */
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	(void)c;
}
END_TEST

START_TEST(test_yield_goes_to_back)
{
	int a, b, c;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

START_TEST(test_cpu_kept_across_sleeps)
{
	int t[3], i, cpu;

	start(3);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 0);
	/* Assigned at the first wakeup, round-robin. */
	for (i = 0; i < 3; i++)
		sim_wakeup(&s, t[i]);
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(sim_cpu_of(&s, t[i]), i);
	for (i = 0; i < 20; i++) {
		cpu = sim_cpu_of(&s, t[1]);
		sim_block(&s, t[1]);
		sim_settle(&s, 10);
		sim_wakeup(&s, t[1]);
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_cpu_of(&s, t[1]), cpu);
	}
}
END_TEST

/*
 * A thread that wakes to wait behind others takes an idle CPU; one that
 * would only wait for the running thread stays (an exiting child wakes
 * its parent before it leaves the CPU).
 */
START_TEST(test_wakeup_moves_to_idle_cpu)
{
	int a, b, c, q;

	start(2);
	a = sim_new_allowed(&s, 1, 0x1);
	q = sim_new_allowed(&s, 1, 0x1);
	c = sim_new_allowed(&s, 1, 0x1);
	b = sim_new_allowed(&s, 1, 0x2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, a);
	sim_block(&s, q);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_set_affinity(&s, c, 0x3);
	/* CPU 1 idles while CPU 0 runs a with q waiting: c wakes, leaves. */
	sim_wakeup(&s, a);
	sim_wakeup(&s, q);
	sim_block(&s, c);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_wakeup(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	/* q runs, nothing waits behind it: a wakes and stays. */
	sim_block(&s, a);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), q);
	sim_set_affinity(&s, a, 0x3);
	sim_wakeup(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_block(&s, q);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

static int victim;

/* Between the decision and the commit, the thread changes state. */
static void bump(struct sim *x)
{
	sim_block(x, victim);
	sim_wakeup(x, victim);
}

START_TEST(test_stale_barrier_retried)
{
	int i, stale = 0;

	start(1);
	victim = sim_new(&s, 1);
	s.before_commit = bump;
	sim_round(&s);
	ck_assert_int_eq(s.log[0].state, GHOST_TXN_TARGET_STALE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), victim);
	for (i = 0; i < s.nr_log; i++)
		stale += s.log[i].state == GHOST_TXN_TARGET_STALE;
	ck_assert_int_eq(stale, 1);
}
END_TEST

/*
 * A commit may find no thread while its TASK_DEAD is still on its way;
 * until that message, the thread is tried again, never dropped.
 */
/* The CPU an earlier commit of the victim went to. */
static int stale_cpu;

/*
 * The outcome of that earlier commit arrives now, while the victim's new
 * commit is under way: an agent's commit of its own CPU is reported at
 * that CPU's next round, after the thread's later messages.
 */
static void late_outcome(struct sim *x)
{
	x->ops->commit_done(&x->ctx, stale_cpu, x->t[victim].gtid,
			    GHOST_TXN_COMPLETE);
}

/*
 * A late outcome of an earlier request is not the thread's new CPU: the
 * CPU it names stays free for others (here one that may run only there).
 */
START_TEST(test_late_outcome_of_earlier_commit)
{
	int x, y, other;

	start(2);
	victim = sim_new(&s, 1);
	sim_settle(&s, 10);
	x = sim_cpu_of(&s, victim);
	ck_assert_int_ge(x, 0);
	y = 1 - x;
	stale_cpu = y;
	sim_block(&s, victim);
	sim_wakeup(&s, victim);
	s.before_commit = late_outcome;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, x), victim);
	other = sim_new_allowed(&s, 1, 1U << y);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, y), other);
	/* And the victim's CPU is its own again once it leaves. */
	sim_exit(&s, victim);
	sim_exit(&s, other);
	other = sim_new_allowed(&s, 1, 1U << x);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, x), other);
}
END_TEST

START_TEST(test_not_found_retried)
{
	int a;

	start(2);
	a = sim_new(&s, 1);
	s.t[a].hidden = 2;
	sim_settle(&s, 10);
	ck_assert_int_eq(s.log[0].state, GHOST_TXN_TARGET_NOT_FOUND);
	ck_assert_int_eq(s.log[1].state, GHOST_TXN_TARGET_NOT_FOUND);
	ck_assert_int_eq(sim_cpu_of(&s, a), 0);
}
END_TEST

START_TEST(test_dead_threads_forgotten)
{
	int a, b, c, i;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_exit(&s, b);
	sim_exit(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].state, GHOST_TXN_TARGET_NOT_FOUND);
}
END_TEST

/* The CPU @gtid was last committed to, or -1. */
static int last_cpu(__u64 gtid)
{
	int i;

	for (i = s.nr_log - 1; i >= 0; i--) {
		if (s.log[i].gtid == gtid && s.log[i].state == GHOST_TXN_COMPLETE)
			return s.log[i].cpu;
	}
	return -1;
}

/* Many threads, random-ish events: every commit succeeds or is stale. */
START_TEST(test_stream)
{
	int i, k, t, running = 0;

	start(4);
	for (i = 0; i < 40; i++)
		sim_new(&s, i % 2);
	srand(_i + 1);
	for (k = 0; k < 3000; k++) {
		t = rand() % s.nr_threads;
		switch (s.t[t].state) {
		case SIM_BLOCKED:
			sim_wakeup(&s, t);
			break;
		case SIM_RUNNING:
			if (rand() % 3 == 0)
				sim_yield(&s, t);
			else if (rand() % 7 == 0)
				sim_preempt(&s, t);
			else
				sim_block(&s, t);
			break;
		default:
			break;
		}
		if (k % 3 == 0)
			sim_round(&s);
	}
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	/*
	 * No CPU idles while a thread of its queue is runnable: a thread
	 * keeps the CPU it last ran on, so that CPU must be busy.
	 */
	for (i = 0; i < s.nr_threads; i++) {
		int cpu = sim_lists ? s.t[i].last_cpu : last_cpu(s.t[i].gtid);

		if (s.t[i].state == SIM_RUNNABLE && cpu >= 0)
			ck_assert_int_ge(sim_running(&s, cpu), 0);
		running += s.t[i].state == SIM_RUNNING;
	}
	ck_assert_int_gt(running, 0);
}
END_TEST

/* Ran from the list: each block hands the CPU on with no agent round. */
START_TEST(test_fp_block_runs_next_without_agent)
{
	int a, b, c;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	/* No commit at all: the idle CPU was kicked into its list. */
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(s.nr_kicks, 1);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_int_eq(sim_listed(&s, 0), 2);
	sim_block(&s, a);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_block(&s, b);
	ck_assert_int_eq(sim_running(&s, 0), c);
	ck_assert_int_eq(s.nr_latched, 3);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 0);
	/* a comes back to the back of the line. */
	sim_wakeup(&s, a);
	sim_settle(&s, 10);
	sim_block(&s, c);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

/* A yield with nothing listed keeps the CPU and says nothing. */
START_TEST(test_fp_lone_yield_keeps_cpu)
{
	int a, b;

	start(1);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_yield(&s, a);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_ptr_null(ghost_queue_peek(&s.q));
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_yield(&s, a);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_settle(&s, 10);
	sim_block(&s, b);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

/*
 * A listed thread that blocks and wakes again before its turn: its old
 * entry is skipped, it is listed again and runs under its new barrier.
 */
START_TEST(test_fp_stale_entry_skipped)
{
	int a, b, c;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_listed(&s, 0), 2);
	sim_block(&s, b);
	sim_wakeup(&s, b);
	sim_block(&s, a);
	/* b's entry was stale: c ran. */
	ck_assert_int_eq(s.nr_stale, 1);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_settle(&s, 10);
	sim_block(&s, c);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* A thread that wakes on its idle CPU runs at once; the policy follows. */
START_TEST(test_fp_run_on_wake)
{
	int a, b;

	start(2);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_wakeup(&s, b);
	ck_assert_int_eq(sim_running(&s, 1), b);
	ck_assert_int_eq(s.nr_run_on_wake, 1);
	/* Nothing for the policy to do but take note. */
	ck_assert_int_eq(sim_round(&s), 0);
	sim_new(&s, 1);
	sim_new(&s, 1);
	sim_settle(&s, 10);
	/* The policy knew b was on CPU 1: it listed, it did not commit. */
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/* Older module: the same policy decides by commits. */
START_TEST(test_fp_without_lists_commits)
{
	int a;

	sim_lists = 0;
	start(1);
	a = sim_new(&s, 1);
	sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 1);
	ck_assert_int_eq(sim_running(&s, 0), a);
	ck_assert_int_eq(sim_listed(&s, 0), 0);
}
END_TEST

/* dispatch_depth=0 turns the lists off, and their flags with them. */
START_TEST(test_fp_depth_zero_commits)
{
	static const char *const opts[] = { "dispatch_depth=0", NULL };
	int a;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 2, -1, opts), 0);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 1);
	ck_assert_int_eq(sim_cpu_of(&s, a), 0);
	ck_assert_uint_eq(s.dl[0].flags, 0);
	ck_assert_uint_eq(s.dl[1].flags, 0);
	sim_block(&s, a);
	sim_settle(&s, 10);
	sim_wakeup(&s, a);
	ck_assert_int_eq(s.nr_run_on_wake, 0);
}
END_TEST

/* More runnable threads than slots: the list refills as it drains. */
START_TEST(test_fp_more_threads_than_slots)
{
	int ran[64] = { 0 }, i, k, t;

	start(1);
	for (i = 0; i < 60; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_le(sim_listed(&s, 0), GHOST_DISPATCH_SLOTS);
	for (k = 0; k < 60; k++) {
		t = sim_running(&s, 0);
		ck_assert_int_ge(t, 0);
		ran[t]++;
		sim_block(&s, t);
		if (sim_running(&s, 0) < 0)
			sim_settle(&s, 10);
	}
	for (i = 0; i < 60; i++)
		ck_assert_int_eq(ran[i], 1);
}
END_TEST

/*
 * The LATCHED of the next thread may be read before the message of the
 * one that left (they sit in different queues): nobody is lost.
 */
START_TEST(test_fp_latched_before_leaver)
{
	int a, b, c;

	start(1);
	s.latched_first = 1;
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_yield(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_wakeup(&s, a);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

/* A LATCHED for a thread the policy never heard of: it takes it in. */
START_TEST(test_fp_latched_unknown_thread)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task p;
	} m = {
		.h = { GHOST_MSG_TASK_LATCHED, sizeof(m), 7 },
		.p = { 0xabcdULL << 32, 0, 1, 0 },
	};
	static char buf[4096];
	const struct fifo_state_hdr *h = (const void *)buf;
	const struct fifo_state_task *t = (const void *)(h + 1);
	long n;

	start(2);
	ck_assert_int_eq(ghost_policy_dispatch(s.ops, &s.ctx, &m.h), 1);
	n = s.ops->export_state(&s.ctx, buf, sizeof(buf));
	ck_assert_int_eq(n, fifo_state_size(1));
	ck_assert_uint_eq(t->gtid, m.p.gtid);
	ck_assert_uint_eq(t->barrier, 7);
	ck_assert_int_eq(t->kind, FIFO_STATE_ONCPU);
	ck_assert_int_eq(t->cpu, 1);
}
END_TEST

static unsigned int ran_on[SIM_MAX_THREADS];

/* Every thread left finished its @work, none on CPU @off. */
static void check_all_finish(int work, int off)
{
	int gone[SIM_MAX_THREADS], i;

	for (i = 0; i < s.nr_threads; i++)
		gone[i] = s.t[i].state == SIM_GONE;
	ck_assert_int_eq(sim_run_all(&s, work, ran_on), 0);
	for (i = 0; i < s.nr_threads; i++) {
		if (gone[i])
			continue;
		ck_assert_msg(ran_on[i], "thread %d never ran", i);
		if (off >= 0)
			ck_assert_msg(!(ran_on[i] & (1u << off)),
				      "thread %d ran on CPU %d offline", i,
				      off);
	}
}

/*
 * CPU 1 goes offline with a thread on it and two waiting: the one running
 * is preempted, and all three run on CPUs 0 and 2 with the others.
 */
START_TEST(test_hotplug_offline_moves_threads)
{
	int t[9], i, n;

	start(3);
	for (i = 0; i < 9; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[1]);
	sim_cpu_offline(&s, 1);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNABLE);
	ck_assert_int_eq(sim_listed(&s, 1), 0);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	/* Those that ran keep their CPUs: a FIFO does not preempt. */
	ck_assert_int_eq(sim_running(&s, 0), t[0]);
	ck_assert_int_eq(sim_running(&s, 2), t[2]);
	check_all_finish(3, 1);
	ck_assert(ran_on[t[1]] & (1u << 0 | 1u << 2));
	for (i = n; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].cpu, 1);
	ck_assert_int_eq(s.nr_unavail, 0);
}
END_TEST

/*
 * A CPU with nothing lined up takes the last in line of the CPU where most
 * wait, two at least: at once if it idles, ahead if its thread still runs.
 * Its entry on the other CPU goes stale.
 */
START_TEST(test_idle_cpu_takes_waiting)
{
	unsigned int m;
	int t[7], i;

	start(3);
	for (i = 0; i < 7; i++) {
		m = i == 1 ? 0x2 : i == 2 ? 0x4 : 0x1;
		t[i] = sim_new_allowed(&s, 1, m);
		sim_set_affinity(&s, t[i], m);
	}
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i]);
	for (i = 3; i < 7; i++)
		sim_set_affinity(&s, t[i], 0x7);
	sim_settle(&s, 10);
	/* Four wait on CPU 0: CPUs 1 and 2 each list the last in line. */
	ck_assert(sim_listed_on(&s, t[6], 1));
	ck_assert(sim_listed_on(&s, t[5], 2));
	ck_assert(sim_listed_on(&s, t[3], 0));
	sim_block(&s, t[1]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[6]);
	/* Two waited on CPU 0: CPU 1 lists one ahead again. */
	ck_assert(sim_listed_on(&s, t[4], 1));
	sim_block(&s, t[2]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[5]);
	/* One waits on CPU 0: it stays. */
	ck_assert(!sim_listed_on(&s, t[3], 2));
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), t[3]);
	check_all_finish(1, -1);
}
END_TEST

/*
 * Back online, a CPU takes threads again: new ones, or (with lists) the
 * last in line where two wait.
 */
START_TEST(test_hotplug_online_takes_new_threads)
{
	int t[3], i;

	start(3);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(sim_running(&s, 0), t[0]);
	ck_assert_int_eq(sim_running(&s, 1), t[1]);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ne(sim_running(&s, 2), -1);
	check_all_finish(2, -1);
}
END_TEST

static int hp_cpu;

static void offline_hp_cpu(struct sim *x)
{
	sim_cpu_offline(x, hp_cpu);
}

/*
 * The CPU goes between the decision and the commit (or the kick): the
 * commit fails with CPU_UNAVAIL, and the thread runs on the other CPU.
 */
START_TEST(test_hotplug_races_commit)
{
	int a, b;

	start(2);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	hp_cpu = 1;
	s.before_commit = offline_hp_cpu;
	sim_round(&s);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	ck_assert_int_eq(s.nr_unavail, sim_lists ? 0 : 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	check_all_finish(2, 1);
}
END_TEST

/* A thread that slept on the CPU that went wakes up on another. */
START_TEST(test_hotplug_sleeper_wakes_elsewhere)
{
	int a, b;

	start(2);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 1);
	sim_settle(&s, 10);
	sim_wakeup(&s, b);
	ck_assert_int_eq(s.nr_run_on_wake, 0);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	check_all_finish(2, 1);
}
END_TEST

/*
 * A swap while a CPU is offline: the new policy is told at its start and
 * gives that CPU nothing (not the sleepers it had, not new threads) until
 * it is back.  _i: 0 hands state over, 1 rediscovers the threads.
 */
START_TEST(test_hotplug_swap_while_offline)
{
	int t[6], u[6], i, cpu2 = 0, ret;

	start(3);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	/* t[2] sleeps with CPU 2 as its own. */
	sim_block(&s, t[2]);
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	if (_i)
		ret = sim_swap_rediscover(&s, "fifo_per_cpu", NULL);
	else
		ret = sim_swap(&s, "fifo_per_cpu", NULL);
	ck_assert_int_eq(ret, !_i);
	sim_wakeup(&s, t[2]);
	for (i = 0; i < 6; i++)
		u[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(sim_run_all(&s, 1, ran_on), 0);
	for (i = 0; i < s.nr_threads; i++)
		ck_assert(!(ran_on[i] & (1u << 2)));
	/* Back: the new policy gives it threads again. */
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	for (i = 0; i < 6; i++)
		u[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, 2), u[0]);
	ck_assert_int_eq(sim_run_all(&s, 2, ran_on), 0);
	for (i = u[0]; i < s.nr_threads; i++)
		cpu2 += !!(ran_on[i] & (1u << 2));
	ck_assert_int_gt(cpu2, 0);
}
END_TEST

/*
 * Random events while CPUs go and come back (one at least stays), with
 * an occasional swap: no thread is lost, nothing runs where it may not,
 * and every commit finds its CPU.
 */
START_TEST(test_hotplug_stream)
{
	int i, k, t, cpu, up = 4, swaps = 0;

	start(4);
	for (i = 0; i < 40; i++)
		sim_new(&s, i % 2);
	srand(_i + 101);
	for (k = 0; k < 3000; k++) {
		t = rand() % s.nr_threads;
		switch (s.t[t].state) {
		case SIM_BLOCKED:
			sim_wakeup(&s, t);
			break;
		case SIM_RUNNING:
			if (rand() % 3 == 0)
				sim_yield(&s, t);
			else if (rand() % 7 == 0)
				sim_preempt(&s, t);
			else
				sim_block(&s, t);
			break;
		default:
			break;
		}
		if (k % 50 == 0) {
			cpu = rand() % 4;
			if (s.offline[cpu]) {
				sim_cpu_online(&s, cpu);
				up++;
			} else if (up > 1) {
				sim_cpu_offline(&s, cpu);
				up--;
			}
		}
		if (k % 700 == 699)
			(swaps++ % 2 ? sim_swap_rediscover : sim_swap)
				(&s, "fifo_per_cpu", NULL);
		if (k % 3 == 0)
			sim_round(&s);
		for (cpu = 0; cpu < 4; cpu++) {
			if (s.offline[cpu])
				ck_assert_int_eq(sim_running(&s, cpu), -1);
		}
	}
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * The describe op: each thread's state and barrier as the policy keeps
 * them, and where a queued one waits: its CPU's queue, in line.
 */
START_TEST(test_describe)
{
	int i;

	start(2);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	i = sim_new(&s, 0);
	ck_assert_int_eq(sim_round(&s), 2);
	ck_assert_str_eq(sim_describe(&s, 0), "state=oncpu barrier=1 cpu=0");
	ck_assert_str_eq(sim_describe(&s, 2), "state=queued barrier=1 queue=cpu0 pos=0");
	ck_assert_str_eq(sim_describe(&s, 4), "state=queued barrier=1 queue=cpu0 pos=1");
	ck_assert_str_eq(sim_describe(&s, 5), "state=queued barrier=1 queue=cpu1 pos=1");
	ck_assert_str_eq(sim_describe(&s, i), "state=blocked barrier=1 cpu=-1");
	sim_block(&s, 0);
	sim_round(&s);
	ck_assert_str_eq(sim_describe(&s, 0), "state=blocked barrier=2 cpu=0");
	ck_assert_str_eq(sim_describe(&s, 4), "state=queued barrier=1 queue=cpu0 pos=0");
	sim_exit(&s, 0);
	sim_round(&s);
	ck_assert_str_eq(sim_describe(&s, 0), "ENOENT");
}
END_TEST

static Suite *fifo_suite(void)
{
	Suite *suite = suite_create("fifo_per_cpu");
	TCase *tc;

	tc = tcase_create("fast_path");
	tcase_add_checked_fixture(tc, fast_path, teardown);
	tcase_add_test(tc, test_siblings_get_cpus_of_their_own);
	tcase_add_test(tc, test_child_of_blocked_parent_takes_its_cpu);
	tcase_add_test(tc, test_idle_cpu_before_round_robin);
	tcase_add_test(tc, test_fp_block_runs_next_without_agent);
	tcase_add_test(tc, test_fp_lone_yield_keeps_cpu);
	tcase_add_test(tc, test_fp_stale_entry_skipped);
	tcase_add_test(tc, test_fp_run_on_wake);
	tcase_add_test(tc, test_wakeup_moves_to_idle_cpu);
	tcase_add_test(tc, test_idle_cpu_takes_waiting);
	tcase_add_test(tc, test_fp_without_lists_commits);
	tcase_add_test(tc, test_fp_depth_zero_commits);
	tcase_add_test(tc, test_fp_more_threads_than_slots);
	tcase_add_test(tc, test_fp_latched_before_leaver);
	tcase_add_test(tc, test_fp_latched_unknown_thread);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	tcase_add_test(tc, test_hotplug_offline_moves_threads);
	tcase_add_test(tc, test_hotplug_online_takes_new_threads);
	tcase_add_test(tc, test_hotplug_races_commit);
	tcase_add_test(tc, test_hotplug_sleeper_wakes_elsewhere);
	tcase_add_loop_test(tc, test_hotplug_swap_while_offline, 0, 2);
	tcase_add_loop_test(tc, test_hotplug_stream, 0, 5);
	suite_add_tcase(suite, tc);

	tc = tcase_create("commits");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_round_robin_assignment);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_siblings_get_cpus_of_their_own);
	tcase_add_test(tc, test_child_of_blocked_parent_takes_its_cpu);
	tcase_add_test(tc, test_idle_cpu_before_round_robin);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_no_commit_while_cpu_busy);
	tcase_add_test(tc, test_preempted_goes_to_front);
	tcase_add_test(tc, test_late_outcome_of_earlier_commit);
	tcase_add_test(tc, test_yield_goes_to_back);
	tcase_add_test(tc, test_cpu_kept_across_sleeps);
	tcase_add_test(tc, test_wakeup_moves_to_idle_cpu);
	tcase_add_test(tc, test_stale_barrier_retried);
	tcase_add_test(tc, test_not_found_retried);
	tcase_add_test(tc, test_dead_threads_forgotten);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	tcase_add_test(tc, test_hotplug_offline_moves_threads);
	tcase_add_test(tc, test_hotplug_online_takes_new_threads);
	tcase_add_test(tc, test_hotplug_races_commit);
	tcase_add_test(tc, test_hotplug_sleeper_wakes_elsewhere);
	tcase_add_loop_test(tc, test_hotplug_swap_while_offline, 0, 2);
	tcase_add_loop_test(tc, test_hotplug_stream, 0, 5);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(fifo_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
