// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the sol policy driven by the kernel model of sim.h.  One
 * global FIFO over every CPU but the global one, each idle CPU given the
 * head of the line in the round it is seen idle, a thread's affinity
 * honoured, CPUs that hotplug takes away given nothing, and the FIFO
 * state handed to and taken from fifo_centralized in a hot swap.  The
 * work of a round is measured by the calls the policy makes to its host:
 * it must not grow with the threads that are blocked, nor with a line
 * of threads no idle CPU may run.  "commits" models a module without
 * dispatch lists; "lists" one whose lists sol feeds instead, learning
 * the outcomes in later rounds.  With lists a busy CPU's next thread is
 * promised to it ahead of time, so the strict order of the commit tests
 * (which CPU frees up first takes the head) is not theirs.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"

#define GLOBAL	0

static struct sim s;

static void start(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "sol", nr_cpus, GLOBAL, opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_CENTRALIZED);
	ck_assert_str_eq(s.ops->state_format, "ghost-fifo-v1");
}

static void lists(void)
{
	sim_lists = 1;
}

static void commits_only(void)
{
	sim_lists = 0;
}

static void teardown(void)
{
	ck_assert_int_eq(s.global_violations, 0);
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	ck_assert_int_eq(s.failed, 0);
	sim_fini(&s);
}

/* Commits of round @round, and whether any went to the global CPU. */
static int commits_in_round(unsigned int round)
{
	int i, n = 0;

	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		n += s.log[i].round == round;
	}
	return n;
}

START_TEST(test_fifo_order)
{
	int t[4], i;

	start(3, NULL);		/* CPUs 1 and 2 run threads */
	for (i = 0; i < 4; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[0]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	/* Whichever CPU frees up takes the head of the one line. */
	sim_block(&s, t[1]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[2]);
	sim_wakeup(&s, t[1]);
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[3]);
	sim_block(&s, t[2]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
}
END_TEST

/* Every idle CPU gets a thread in the first round, one commit each. */
START_TEST(test_one_round_fills_idle_cpus)
{
	int t[20], i, n;

	start(8, NULL);		/* CPUs 1-7 */
	for (i = 0; i < 20; i++)
		t[i] = sim_new(&s, 1);
	ck_assert_int_eq(sim_round(&s), 7);
	for (i = 1; i < 8; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i - 1]);
	ck_assert_int_eq(commits_in_round(s.round), 7);
	/* Nothing to do while every CPU is busy. */
	ck_assert_int_eq(sim_round(&s), 0);
	/* Three CPUs free up: the next three in line, in one round. */
	sim_block(&s, t[1]);
	sim_block(&s, t[4]);
	sim_yield(&s, t[6]);
	n = sim_round(&s);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(sim_running(&s, 2), t[7]);
	ck_assert_int_eq(sim_running(&s, 5), t[8]);
	ck_assert_int_eq(sim_running(&s, 7), t[9]);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_int_eq(s.log[i].state, GHOST_TXN_COMPLETE);
}
END_TEST

START_TEST(test_never_on_global_cpu)
{
	int i, k;

	start(4, NULL);
	for (i = 0; i < 10; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	for (k = 0; k < 50; k++) {
		for (i = 1; i < 4; i++) {
			if (sim_running(&s, i) >= 0)
				sim_yield(&s, sim_running(&s, i));
		}
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	}
	ck_assert_int_eq(commits_in_round(0), 0);	/* none on GLOBAL */
}
END_TEST

/* From a per-CPU policy: the thread on the agent's CPU is sent away. */
START_TEST(test_global_cpu_cleared_after_swap)
{
	int t[4], i;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 3, GLOBAL, NULL), 0);
	for (i = 0; i < 4; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, GLOBAL), 0);
	ck_assert_int_eq(sim_swap(&s, "sol", NULL), 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	for (i = 1; i < 3; i++)
		ck_assert_int_ge(sim_running(&s, i), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	(void)t;
}
END_TEST

/* A thread runs only where it may; those behind it do not wait for it. */
START_TEST(test_affinity)
{
	int a, b, c, d;

	start(4, NULL);		/* CPUs 1-3 */
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	a = sim_new(&s, 0);
	sim_set_affinity(&s, a, 1u << 1);
	sim_wakeup(&s, a);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	/* a may run on busy CPU 1 only: c overtakes it. */
	ck_assert_int_eq(sim_cpu_of(&s, a), -1);
	ck_assert_int_eq(sim_running(&s, 2), c);
	ck_assert_int_eq(sim_running(&s, 3), -1);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	/* Moved away from its CPU by a new mask: it runs where it may. */
	d = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 3), d);
	sim_set_affinity(&s, c, 1u << 3);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_cpu_of(&s, c), -1);
	sim_block(&s, d);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 3), c);
	ck_assert_int_eq(s.x.nr_not_allowed, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * A CPU that hotplug takes away gets nothing until it is back; its
 * thread keeps its turn at the front of the line.
 */
START_TEST(test_hotplug)
{
	int t[4], i, n;

	start(4, NULL);		/* CPUs 1-3 */
	for (i = 0; i < 4; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_cpu_offline(&s, 2);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNABLE);
	/* t[1] was preempted: ahead of t[3], which came before it. */
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[1]);
	for (i = n; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].cpu, 2);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[3]);
	ck_assert_int_eq(s.nr_unavail, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* A yield goes to the back of the line, a preemption to the front. */
START_TEST(test_yield_to_tail_preempt_to_front)
{
	int a, b, c;

	start(2, NULL);		/* CPU 1 only */
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_yield(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_yield(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_preempt(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

static int victim;

static void make_stale(struct sim *x)
{
	sim_block(x, victim);
	sim_wakeup(x, victim);
}

/* A failed commit puts the thread back in line, at the front. */
START_TEST(test_commit_failure_requeues)
{
	int a, b, c;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	s.t[a].hidden = 1;
	sim_round(&s);
	ck_assert_int_eq(s.log[0].state, GHOST_TXN_TARGET_NOT_FOUND);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_round(&s);
	ck_assert_int_eq(sim_running(&s, 1), a);
	/* Stale: its wakeup since then puts it behind c. */
	sim_block(&s, a);
	victim = b;
	s.before_commit = make_stale;
	sim_round(&s);
	ck_assert_int_eq(s.log[s.nr_log - 1].state, GHOST_TXN_TARGET_STALE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/* Bytes of the FIFO state of @nr threads ("ghost-fifo-v1"). */
static long state_size(int nr)
{
	return 16 + 32L * nr;
}

static long exported(void)
{
	static char buf[1 << 16];

	return s.ops->export_state(&s.ctx, buf, sizeof(buf));
}

/* TASK_DEAD and TASK_DEPARTED forget the thread, wherever it was. */
START_TEST(test_dead_forgotten)
{
	int t[5], i;

	start(3, NULL);
	for (i = 0; i < 5; i++)
		t[i] = sim_new(&s, i != 4);
	sim_settle(&s, 10);
	ck_assert_int_eq(exported(), state_size(5));
	sim_exit(&s, t[0]);	/* running */
	sim_exit(&s, t[3]);	/* queued */
	sim_exit(&s, t[4]);	/* blocked */
	sim_settle(&s, 10);
	ck_assert_int_eq(exported(), state_size(2));
	ck_assert_int_eq(sim_running(&s, 1), t[2]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	sim_drain(&s);
	ck_assert_int_eq(exported(), state_size(0));
}
END_TEST

/*
 * Mixed states handed over to fifo_centralized and back: every thread
 * is kept, the line keeps its order, and all finish.
 */
START_TEST(test_swap_with_fifo_centralized)
{
	int t[10], i, n;

	start(4, NULL);		/* CPUs 1-3 */
	for (i = 0; i < 10; i++)
		t[i] = sim_new(&s, i < 8);
	sim_settle(&s, 10);
	ck_assert_int_eq(exported(), state_size(10));
	ck_assert_int_eq(sim_swap(&s, "fifo_centralized", NULL), 1);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[0]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	ck_assert_int_eq(sim_running(&s, 3), t[2]);
	ck_assert_int_eq(s.nr_log, n);
	/* fifo_centralized serves the line sol handed over, in order. */
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[3]);
	/* With its lists holding entries, back to sol. */
	ck_assert_int_eq(sim_swap(&s, "sol", NULL), 1);
	ck_assert_int_eq(exported(), state_size(10));
	sim_block(&s, t[1]);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, 2), 0);
	sim_block(&s, t[2]);
	sim_settle(&s, 10);
	for (i = 1; i < 4; i++)
		ck_assert_int_ge(sim_running(&s, i), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	sim_drain(&s);
	ck_assert_int_eq(exported(), state_size(0));
}
END_TEST

/* The same, and by rediscovery, under a stream of events. */
START_TEST(test_swap_stream)
{
	const char *names[] = { "fifo_centralized", "sol" };
	int i, k, t, swaps = 0, cpu, up = 3;

	start(4, NULL);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 31);
	for (k = 0; k < 3000; k++) {
		t = rand() % s.nr_threads;
		switch (s.t[t].state) {
		case SIM_BLOCKED:
			sim_wakeup(&s, t);
			break;
		case SIM_RUNNING:
			if (rand() % 3 == 0)
				sim_yield(&s, t);
			else if (rand() % 5 == 0)
				sim_block(&s, t);
			else if (rand() % 7 == 0)
				sim_preempt(&s, t);
			break;
		default:
			break;
		}
		if (rand() % 60 == 0 && s.t[t].state != SIM_GONE)
			sim_set_affinity(&s, t, rand() % 2 ? 0 :
					 1u << (1 + rand() % 3));
		if (k % 50 == 0) {
			cpu = 1 + rand() % 3;
			if (s.offline[cpu]) {
				sim_cpu_online(&s, cpu);
				up++;
			} else if (up > 1) {
				sim_cpu_offline(&s, cpu);
				up--;
			}
		}
		if (k % 300 == 299) {
			if (swaps % 3 == 2)
				sim_swap_rediscover(&s, names[swaps % 2], NULL);
			else
				sim_swap(&s, names[swaps % 2], NULL);
			swaps++;
		}
		if (k % 2 == 0)
			sim_round(&s);
	}
	for (cpu = 1; cpu < 4; cpu++) {
		if (s.offline[cpu])
			sim_cpu_online(&s, cpu);
	}
	for (i = 0; i < s.nr_threads; i++) {
		if (s.t[i].state != SIM_GONE)
			sim_set_affinity(&s, i, 0);
	}
	if (strcmp(s.ops->name, "sol"))
		sim_swap(&s, "sol", NULL);
	sim_settle(&s, 20);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

START_TEST(test_run_all)
{
	unsigned int ran_on[40];
	int i, used = 0;

	start(6, NULL);
	for (i = 0; i < 40; i++)
		sim_new(&s, i % 2);
	ck_assert_int_eq(sim_run_all(&s, 5, ran_on), 0);
	for (i = 0; i < 40; i++) {
		ck_assert_uint_eq(ran_on[i] & 1u << GLOBAL, 0);
		used |= ran_on[i];
	}
	ck_assert_uint_eq(used, 0x3e);
}
END_TEST

/*
 * Host calls of @rounds rounds in which one thread blocks and wakes up
 * again, with @blocked more threads asleep all along.
 */
static unsigned long churn_cost(int blocked, int rounds)
{
	unsigned long calls;
	int i, k, cpu;

	start(4, NULL);
	for (i = 0; i < blocked; i++) {
		sim_new(&s, 0);
		if (i % 32 == 31)
			sim_drain(&s);	/* the ring holds 1024 slots */
	}
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_count_host(&s);
	for (k = 0; k < rounds; k++) {
		cpu = 1 + k % 3;
		i = sim_running(&s, cpu);
		ck_assert_int_ge(i, 0);
		sim_block(&s, i);
		sim_wakeup(&s, i);
		ck_assert_int_eq(sim_round(&s), 1);
	}
	calls = s.host_calls;
	ck_assert_uint_eq(s.q.ring->overflow, 0);
	teardown();
	return calls;
}

/* The work of a round does not depend on how many threads sleep. */
START_TEST(test_round_cost_ignores_blocked)
{
	unsigned long few = churn_cost(2, 30), many = churn_cost(200, 30);

	/* One allowed check and one request per decision. */
	ck_assert_uint_eq(few, 2 * 30);
	ck_assert_uint_eq(many, few);
	start(2, NULL);
}
END_TEST

/*
 * A line of threads no idle CPU may run costs at most lookahead checks
 * per idle CPU and round, however long it is; an empty line nothing.
 */
START_TEST(test_round_cost_bounded)
{
	static const char *const opts[] = { "lookahead=8", NULL };
	int i, t, first = -1, busy;

	start(4, opts);		/* CPUs 1-3 */
	busy = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), busy);
	sim_count_host(&s);
	sim_round(&s);
	ck_assert_uint_eq(s.host_calls, 0);
	for (i = 0; i < 150; i++) {
		t = sim_new(&s, 0);
		if (first < 0)
			first = t;
		sim_set_affinity(&s, t, 1u << 1);
		sim_wakeup(&s, t);
		if (i % 32 == 31)
			sim_drain(&s);	/* the ring holds 1024 slots */
	}
	ck_assert_uint_eq(s.q.ring->overflow, 0);
	sim_round(&s);
	s.host_calls = 0;
	ck_assert_int_eq(sim_round(&s), 0);
	/* CPUs 2 and 3 idle, each looking at 8 threads. */
	ck_assert_uint_eq(s.host_calls, 2 * 8);
	/* CPU 1 frees up: the head of the line runs there at once. */
	sim_block(&s, busy);
	s.host_calls = 0;
	ck_assert_int_eq(sim_round(&s), 1);
	ck_assert_int_eq(sim_running(&s, 1), first);
}
END_TEST

/*
 * Decisions are list entries, kicked after the round: no commit, and the
 * round learns nothing of them; the next one reaps TASK_LATCHED.
 */
START_TEST(test_lists_no_commit)
{
	int t[6], i;

	start(4, NULL);		/* CPUs 1-3 */
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	ck_assert_int_eq(sim_round(&s), 3);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i - 1]);
	ck_assert_int_eq(s.nr_kicks, 3);
	/* Running already, but sol has not heard of it yet. */
	ck_assert_str_eq(sim_describe(&s, t[0]),
			 "state=listed barrier=1 cpu=1");
	sim_drain(&s);
	ck_assert_str_eq(sim_describe(&s, t[0]),
			 "state=oncpu barrier=2 cpu=1");
	sim_settle(&s, 10);
	/* One more listed behind each busy CPU (dispatch_depth 1). */
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_listed(&s, i), 1);
	ck_assert_str_eq(sim_describe(&s, t[3]),
			 "state=listed barrier=1 cpu=1");
	/* A CPU whose thread blocks or yields runs its entry by itself. */
	sim_block(&s, t[0]);
	ck_assert_int_eq(sim_running(&s, 1), t[3]);
	sim_yield(&s, t[1]);
	ck_assert_int_eq(sim_running(&s, 2), t[4]);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(s.nr_stale, 0);
}
END_TEST

/*
 * A listed thread whose barrier moves has a stale entry: the module skips
 * it, and the thread goes back to the front of the line.
 */
START_TEST(test_lists_stale_requeued)
{
	int a, b, c;

	start(2, NULL);		/* CPU 1 only */
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_str_eq(sim_describe(&s, b), "state=listed barrier=1 cpu=1");
	sim_set_affinity(&s, b, 1u << 1);
	sim_drain(&s);
	ck_assert_str_eq(sim_describe(&s, b),
			 "state=queued barrier=2 queue=global pos=0");
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, b), "state=listed barrier=2 cpu=1");
	/* The stale entry is skipped: b, not c, and no commit. */
	sim_block(&s, a);
	ck_assert_int_eq(sim_running(&s, 1), b);
	ck_assert_int_eq(s.nr_stale, 1);
	sim_settle(&s, 10);
	sim_block(&s, b);
	ck_assert_int_eq(sim_running(&s, 1), c);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * The module drops the lists (DISCOVER): an idle CPU found with no entry
 * left and no TASK_LATCHED gives its threads back to the line.
 */
START_TEST(test_lists_dropped_reaped)
{
	int a, b, c;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_listed(&s, 1), 1);
	sim_drop_lists(&s);
	sim_block(&s, a);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	ck_assert_int_eq(sim_running(&s, 1), c);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* dispatch_depth=N: busy CPUs line up N threads; 0: commits only. */
START_TEST(test_lists_depth)
{
	static const char *const deep[] = { "dispatch_depth=3", NULL };
	static const char *const none[] = { "dispatch_depth=0", NULL };
	int i;

	start(3, deep);		/* CPUs 1 and 2 */
	for (i = 0; i < 10; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_listed(&s, 1), 3);
	ck_assert_int_eq(sim_listed(&s, 2), 3);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	teardown();

	start(3, none);
	for (i = 0; i < 4; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 2);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(s.dl[i].flags, 0);
	ck_assert_int_eq(sim_listed(&s, 1) + sim_listed(&s, 2), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* To fifo_per_cpu and back: every thread kept, all finish. */
START_TEST(test_swap_with_fifo_per_cpu)
{
	int i;

	start(4, NULL);
	for (i = 0; i < 12; i++)
		sim_new(&s, i < 9);
	sim_settle(&s, 10);
	ck_assert_int_eq(exported(), state_size(12));
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 1);
	sim_settle(&s, 10);
	for (i = 1; i < 4; i++) {
		if (sim_running(&s, i) >= 0)
			sim_yield(&s, sim_running(&s, i));
	}
	ck_assert_int_eq(sim_swap(&s, "sol", NULL), 1);
	ck_assert_int_eq(exported(), state_size(12));
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	for (i = 1; i < 4; i++)
		ck_assert_int_ge(sim_running(&s, i), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	sim_drain(&s);
	ck_assert_int_eq(exported(), state_size(0));
}
END_TEST

static void refused(const char *opt, const char *why)
{
	const char *opts[] = { opt, NULL };
	struct sim x;

	ck_assert_int_ne(sim_init(&x, "sol", 2, GLOBAL, opts), 0);
	ck_assert_msg(strstr(x.last_log, why), "%s: '%s'", opt, x.last_log);
	ghost_policy_close(&x.lib);
	free(x.ring_mem);
}

START_TEST(test_options)
{
	static const char *const good[] = { "max_tasks=4", "lookahead=4096",
					    "dispatch_depth=32", NULL };
	int i;

	refused("slice_us=5", "unknown option 'slice_us=5'");
	refused("dispatch_depth=33", "dispatch_depth must be 0..32");
	refused("dispatch_depth=x", "dispatch_depth must be");
	refused("lookahead=0", "lookahead must be 1..4096");
	refused("lookahead=4097", "lookahead must be 1..4096");
	refused("lookahead=", "lookahead must be");
	refused("lookahead=-1", "lookahead must be");
	refused("lookahead=3x", "lookahead must be");
	refused("max_tasks=0", "max_tasks must be 1..1000000");
	refused("max_tasks=99999999999999999999", "max_tasks must be");
	refused("max_tasks= 5", "max_tasks must be");
	start(3, good);
	/* max_tasks=4: the fifth thread is refused, and said so. */
	for (i = 0; i < 5; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_ptr_nonnull(strstr(s.last_log, "no room"));
	ck_assert_int_eq(exported(), state_size(4));
}
END_TEST

/*
 * The describe op: the one line and each thread's place in it, where the
 * running ones run, and the barrier the policy saw.
 */
START_TEST(test_describe)
{
	int i;

	start(3, NULL);		/* CPUs 1 and 2 run threads */
	for (i = 0; i < 5; i++)
		sim_new(&s, 1);
	i = sim_new(&s, 0);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, 0), "state=oncpu barrier=1 cpu=1");
	ck_assert_str_eq(sim_describe(&s, 1), "state=oncpu barrier=1 cpu=2");
	ck_assert_str_eq(sim_describe(&s, 2), "state=queued barrier=1 queue=global pos=0");
	ck_assert_str_eq(sim_describe(&s, 4), "state=queued barrier=1 queue=global pos=2");
	ck_assert_str_eq(sim_describe(&s, i), "state=blocked barrier=1");
	sim_block(&s, 0);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, 0), "state=blocked barrier=2");
	ck_assert_str_eq(sim_describe(&s, 4), "state=queued barrier=1 queue=global pos=1");
	sim_exit(&s, 0);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, 0), "ENOENT");
}
END_TEST

static Suite *sol_suite(void)
{
	Suite *suite = suite_create("sol");
	TCase *tc = tcase_create("commits");

	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_one_round_fills_idle_cpus);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_test(tc, test_global_cpu_cleared_after_swap);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_yield_to_tail_preempt_to_front);
	tcase_add_test(tc, test_commit_failure_requeues);
	tcase_add_test(tc, test_dead_forgotten);
	tcase_add_test(tc, test_run_all);
	tcase_add_test(tc, test_round_cost_ignores_blocked);
	tcase_add_test(tc, test_round_cost_bounded);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_swap_with_fifo_per_cpu);
	suite_add_tcase(suite, tc);

	tc = tcase_create("lists");
	tcase_add_checked_fixture(tc, lists, teardown);
	tcase_add_test(tc, test_lists_no_commit);
	tcase_add_test(tc, test_lists_stale_requeued);
	tcase_add_test(tc, test_lists_dropped_reaped);
	tcase_add_test(tc, test_lists_depth);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_test(tc, test_global_cpu_cleared_after_swap);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_dead_forgotten);
	tcase_add_test(tc, test_run_all);
	tcase_add_test(tc, test_round_cost_ignores_blocked);
	tcase_add_test(tc, test_round_cost_bounded);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_swap_with_fifo_per_cpu);
	suite_add_tcase(suite, tc);

	/* fifo_centralized on both kinds of module. */
	tc = tcase_create("swap_lists");
	tcase_add_checked_fixture(tc, lists, teardown);
	tcase_add_test(tc, test_swap_with_fifo_centralized);
	tcase_add_loop_test(tc, test_swap_stream, 0, 4);
	suite_add_tcase(suite, tc);
	tc = tcase_create("swap_commits");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_swap_with_fifo_centralized);
	tcase_add_loop_test(tc, test_swap_stream, 0, 4);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(sol_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
