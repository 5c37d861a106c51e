// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the biff policy driven by the kernel model of sim.h.  With
 * dispatch lists it never commits: threads run from the lists (by the
 * module when a CPU's thread leaves, by the kick when a CPU is idle, at
 * their wakeup on a free CPU), each pushed to the least-loaded list it
 * may join; uneven lists are rebalanced by listing a waiting thread
 * again elsewhere (its old entry is skipped as stale once it runs), and
 * a busy CPU with nothing lined up gets a spare entry, so it takes the
 * next thread of another list when it frees first.  Affinity, hotplug
 * and hot swaps to and from fifo_per_cpu keep every thread.  Without
 * lists (an older module, or dispatch_depth=0) it commits.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"

#define NR_CPUS	4

static struct sim s;

static void commits_only(void)
{
	sim_lists = 0;
}

static void fast_path(void)
{
	sim_lists = 1;
}

static void start(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "biff", nr_cpus, -1, opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_PER_CPU);
}

static void teardown(void)
{
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	ck_assert_int_eq(s.x.affinity_runs, 0);
	ck_assert_int_eq(s.x.affinity_asks, 0);
	ck_assert_int_eq(s.nr_bad, 0);
	ck_assert_int_eq(s.failed, 0);
	sim_fini(&s);
	sim_lists = 1;
}

/* CPUs that hold a valid entry of thread @i. */
static int nr_lists_of(int i)
{
	int cpu, n = 0;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++)
		n += sim_listed_on(&s, i, cpu);
	return n;
}

/* Entries pushed to every list so far. */
static unsigned int nr_pushed(void)
{
	unsigned int n = 0;
	int cpu;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++)
		n += s.dl[cpu].tail;
	return n;
}

/* Valid entries in @cpu's list. */
static int valid_on(int cpu)
{
	int i, n = 0;

	for (i = 0; i < s.nr_threads; i++)
		n += sim_listed_on(&s, i, cpu);
	return n;
}

/*
 * Work-conserving, after the policy has seen everything: no CPU idles
 * while a runnable thread that may run there waits.
 */
static void check_no_idle_while_waiting(void)
{
	int i, cpu;

	for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
		if (!s.enclave[cpu] || s.offline[cpu] || s.cur[cpu] >= 0)
			continue;
		for (i = 0; i < s.nr_threads; i++)
			ck_assert_msg(s.t[i].state != SIM_RUNNABLE ||
				      (s.t[i].x.allowed &&
				       !(s.t[i].x.allowed >> cpu & 1)),
				      "CPU %d idles while thread %d waits",
				      cpu, i);
	}
}

/* The flags biff gives its lists: quiet, run on wake; options change them. */
START_TEST(test_flags)
{
	static const char *const defer[] = { "defer_wakeup=1", NULL };
	static const char *const none[] = { "dispatch_depth=0", NULL };
	const __u32 base = GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE |
			   GHOST_DL_F_QUIET;
	int cpu;

	start(NR_CPUS, NULL);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		ck_assert_uint_eq(s.dl[cpu].flags, base);
	sim_fini(&s);
	start(NR_CPUS, defer);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		ck_assert_uint_eq(s.dl[cpu].flags,
				  base | GHOST_DL_F_DEFER_WAKEUP);
	sim_fini(&s);
	start(NR_CPUS, none);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		ck_assert_uint_eq(s.dl[cpu].flags, 0);
}
END_TEST

/*
 * Every thread runs from a list: the kick of an idle CPU, the module when
 * a thread blocks, RUN_ON_WAKE; the policy never commits.
 */
START_TEST(test_runs_from_lists_without_commits)
{
	unsigned int ran[SIM_MAX_THREADS];
	int i, cpu;

	start(3, NULL);
	for (i = 0; i < 9; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	for (cpu = 0; cpu < 3; cpu++) {
		ck_assert_int_ge(sim_running(&s, cpu), 0);
		ck_assert_int_eq(valid_on(cpu), 2);
	}
	ck_assert_int_eq(s.nr_kicks, 3);
	/* A block runs the next entry at once: no round needed. */
	i = sim_running(&s, 0);
	sim_block(&s, i);
	ck_assert_int_ge(sim_running(&s, 0), 0);
	ck_assert_int_eq(s.nr_latched, 4);
	/* It wakes while its CPU is busy: listed (no run on wake). */
	sim_wakeup(&s, i);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.t[i].state, SIM_RUNNABLE);
	ck_assert_int_eq(nr_lists_of(i), 1);
	ck_assert_int_eq(sim_run_all(&s, 4, ran), 0);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_gt(s.nr_latched, 9 * 4 - 9);
	for (i = 0; i < 9; i++)
		ck_assert_uint_ne(ran[i], 0);
}
END_TEST

/* A thread that wakes while the CPU it ran on is free runs there at once. */
START_TEST(test_run_on_wake)
{
	int a, b;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ne(sim_cpu_of(&s, a), sim_cpu_of(&s, b));
	sim_block(&s, a);
	sim_settle(&s, 10);
	sim_wakeup(&s, a);
	ck_assert_int_eq(s.nr_run_on_wake, 1);
	ck_assert_int_eq(s.t[a].state, SIM_RUNNING);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* Threads go to the least-loaded list; ties: the CPU they ran on last. */
START_TEST(test_balance)
{
	int t[14], i, cpu, a;
	unsigned int pushed;

	start(NR_CPUS, NULL);
	for (i = 0; i < 12; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		ck_assert_int_ge(sim_running(&s, cpu), 0);
		ck_assert_int_eq(valid_on(cpu), 2);
	}
	/* CPU 1 runs through its list: it is the least loaded now. */
	for (i = 0; i < 2; i++)
		sim_block(&s, sim_running(&s, 1));
	ck_assert_int_eq(valid_on(1), 0);
	pushed = nr_pushed();
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	/* Straight there: one push, nothing to rebalance. */
	ck_assert_uint_eq(nr_pushed(), pushed + 1);
	ck_assert_int_eq(valid_on(1), 1);
	ck_assert(sim_listed_on(&s, a, 1));
	/* CPU 1 runs out, CPU 2 has one left: both take from the others. */
	sim_block(&s, sim_running(&s, 1));
	sim_block(&s, sim_running(&s, 1));
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_block(&s, sim_running(&s, 2));
	sim_settle(&s, 10);
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		ck_assert_int_ge(sim_running(&s, cpu), 0);
		ck_assert_int_le(valid_on(cpu), 2);
		ck_assert_int_ge(valid_on(cpu), 1);
	}
	(void)t;
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/*
 * Lists get uneven (one CPU's threads block quickly): a thread still
 * waiting in a long list is listed again on the short one and runs
 * there; its old entry is skipped as stale.
 */
START_TEST(test_rebalance)
{
	int t[6], i, a, moved, stale;

	start(2, NULL);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(valid_on(0), 2);
	ck_assert_int_eq(valid_on(1), 2);
	/* CPU 1's threads block one after the other: its list runs out. */
	for (i = 0; i < 3; i++)
		sim_block(&s, sim_running(&s, 1));
	ck_assert_int_eq(sim_running(&s, 1), -1);
	a = sim_running(&s, 0);
	/* Load 3 on CPU 0, 0 on CPU 1: one of CPU 0's waiting threads moves. */
	sim_settle(&s, 10);
	moved = sim_running(&s, 1);
	ck_assert_int_ge(moved, 0);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(valid_on(0), 1);
	/* CPU 0 runs its list: the moved thread's entry is skipped. */
	stale = s.nr_stale;
	sim_block(&s, a);
	ck_assert_int_ge(sim_running(&s, 0), 0);
	sim_block(&s, sim_running(&s, 0));
	sim_settle(&s, 10);
	ck_assert_int_gt(s.nr_stale, stale);
	ck_assert_int_eq(s.t[moved].state, SIM_RUNNING);
	ck_assert_int_eq(sim_cpu_of(&s, moved), 1);
	(void)t;
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/*
 * A busy CPU with an empty list gets a spare entry of a thread waiting
 * elsewhere: when its thread blocks, it runs that thread at once, no
 * agent needed, and the other entry goes stale.
 */
START_TEST(test_spare_entry)
{
	int a, b, c, x, y, stale;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(nr_lists_of(c), 2);
	x = sim_cpu_of(&s, a);
	y = sim_cpu_of(&s, b);
	ck_assert_int_ne(x, y);
	/* Whichever CPU frees first runs c. */
	sim_block(&s, a);
	ck_assert_int_eq(sim_cpu_of(&s, c), x);
	ck_assert_int_eq(s.t[c].state, SIM_RUNNING);
	ck_assert_int_eq(nr_lists_of(c), 0);
	stale = s.nr_stale;
	sim_settle(&s, 10);
	/* The other CPU's thread blocks: the stale entry is skipped. */
	sim_block(&s, b);
	ck_assert_int_eq(sim_running(&s, y), -1);
	ck_assert_int_gt(s.nr_stale, stale);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* Threads beyond dispatch_depth per list wait, and are listed in order. */
START_TEST(test_depth_and_order)
{
	static const char *const opts[] = { "dispatch_depth=1", NULL };
	int t[8], i, cur;

	start(1, opts);
	for (i = 0; i < 8; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), t[0]);
	ck_assert_int_eq(sim_listed(&s, 0), 1);
	ck_assert(sim_listed_on(&s, t[1], 0));
	for (i = 0; i < 8; i++) {
		cur = sim_running(&s, 0);
		ck_assert_int_eq(cur, t[i]);
		sim_exit(&s, cur);
		sim_settle(&s, 10);
		ck_assert_int_le(valid_on(0), 1);
	}
	ck_assert_int_eq(s.nr_log, 0);
	/* The thread listed ran without the agent: LATCHED after the fact. */
	ck_assert_int_eq(s.nr_latched, 8);
}
END_TEST

/* A thread is listed, moved and spared only where it may run. */
START_TEST(test_affinity)
{
	int t[8], i, p, q;

	start(NR_CPUS, NULL);
	/* p may run on CPU 3 only, q on CPUs 0 and 1. */
	p = sim_new(&s, 0);
	sim_set_affinity(&s, p, 1u << 3);
	q = sim_new(&s, 0);
	sim_set_affinity(&s, q, 1u << 0 | 1u << 1);
	for (i = 0; i < 8; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_wakeup(&s, p);
	sim_wakeup(&s, q);
	sim_settle(&s, 10);
	ck_assert_int_eq(nr_lists_of(p), 1);
	ck_assert(sim_listed_on(&s, p, 3));
	ck_assert(sim_listed_on(&s, q, 0) || sim_listed_on(&s, q, 1));
	ck_assert(!sim_listed_on(&s, q, 2) && !sim_listed_on(&s, q, 3));
	/* CPU 3 drains and the others too, in any order: p runs on 3. */
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	(void)t;
	ck_assert_int_eq(s.x.nr_not_allowed, 0);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* Affinity changed while listed: the module skips the entry, it moves. */
START_TEST(test_affinity_changed_while_listed)
{
	int t[8], i, w, cpu;

	start(2, NULL);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (w = 0; w < 6 && !sim_listed_on(&s, t[w], 1); w++)
		;
	ck_assert_int_lt(w, 6);
	sim_set_affinity(&s, t[w], 1u << 0);
	sim_settle(&s, 10);
	ck_assert(sim_listed_on(&s, t[w], 0));
	ck_assert(!sim_listed_on(&s, t[w], 1));
	for (cpu = 0; cpu < 2; cpu++)
		ck_assert_int_ge(sim_running(&s, cpu), 0);
	ck_assert_int_eq(sim_run_all(&s, 2, NULL), 0);
}
END_TEST

/* Offline: its listed threads go elsewhere, nothing is listed there. */
START_TEST(test_hotplug)
{
	int i, n, cpu;

	start(NR_CPUS, NULL);
	for (i = 0; i < 12; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	n = valid_on(2);
	ck_assert_int_eq(n, 2);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(valid_on(2), 0);
	/* Its 3 threads are on the 3 other lists: 3 each, then 4. */
	n = 0;
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu != 2)
			n += valid_on(cpu) + (sim_running(&s, cpu) >= 0);
	}
	ck_assert_int_eq(n, 12);
	for (i = 0; i < s.nr_threads; i++)
		ck_assert(s.t[i].state != SIM_RUNNABLE || nr_lists_of(i) >= 1);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, 2), 0);
	check_no_idle_while_waiting();
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* Hot swap to fifo_per_cpu and back, by state and by rediscovery. */
START_TEST(test_swap)
{
	int i, k;

	start(NR_CPUS, NULL);
	for (i = 0; i < 14; i++)
		sim_new(&s, i % 4 != 0);
	sim_settle(&s, 10);
	for (k = 0; k < 4; k++) {
		if (_i)
			sim_swap_rediscover(&s, k % 2 ? "biff" :
					    "fifo_per_cpu", NULL);
		else
			ck_assert_int_eq(sim_swap(&s, k % 2 ? "biff" :
						  "fifo_per_cpu", NULL), 1);
		sim_settle(&s, 10);
		/* Every waiting thread is listed somewhere. */
		for (i = 0; sim_lists && i < s.nr_threads; i++)
			ck_assert_msg(s.t[i].state != SIM_RUNNABLE ||
				      nr_lists_of(i) >= 1,
				      "swap %d: thread %d in no list", k, i);
		if (k % 2)
			check_no_idle_while_waiting();
		/* Some of them run before the next swap. */
		for (i = 0; i < NR_CPUS; i++) {
			if (sim_running(&s, i) >= 0) {
				sim_block(&s, sim_running(&s, i));
				break;
			}
		}
	}
	ck_assert_str_eq(s.ops->name, "biff");
	ck_assert_int_eq(sim_run_all(&s, 4, NULL), 0);
	if (sim_lists)
		ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* Without dispatch lists: commits, as fifo_per_cpu's dispatch_depth=0. */
START_TEST(test_without_lists)
{
	static const char *const none[] = { "dispatch_depth=0", NULL };
	unsigned int ran[SIM_MAX_THREADS];
	int i, cpu;

	start(NR_CPUS, _i ? none : NULL);
	for (i = 0; i < 10; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		ck_assert_int_ge(sim_running(&s, cpu), 0);
	ck_assert_int_eq(s.nr_log, NR_CPUS);
	/* A CPU that frees takes the first waiting thread. */
	i = sim_running(&s, 2);
	sim_block(&s, i);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), 4);
	check_no_idle_while_waiting();
	ck_assert_int_eq(sim_run_all(&s, 3, ran), 0);
	ck_assert_int_eq(s.nr_latched, 0);
	ck_assert_int_eq(s.nr_kicks, 0);
	ck_assert_int_gt(s.nr_log, 10);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_int_eq(s.log[i].state, GHOST_TXN_COMPLETE);
}
END_TEST

/* Without lists: affinity, hotplug and failed commits. */
START_TEST(test_without_lists_hotplug_affinity)
{
	int i, p;

	start(NR_CPUS, NULL);
	p = sim_new_allowed(&s, 1, 1u << 3);
	for (i = 0; i < 8; i++)
		sim_new(&s, 1);
	s.t[1].hidden = 1;
	sim_settle(&s, 10);
	ck_assert_int_le(s.x.nr_not_allowed, 1);
	sim_cpu_offline(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	check_no_idle_while_waiting();
	sim_cpu_online(&s, 1);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
	(void)p;
}
END_TEST

START_TEST(test_options)
{
	static const char *const zero[] = { "max_tasks=0", NULL };
	static const char *const deep[] = { "dispatch_depth=33", NULL };
	static const char *const bad[] = { "dispatch_depth=x", NULL };
	static const char *const defer[] = { "defer_wakeup=2", NULL };
	static const char *const unknown[] = { "slice_us=1", NULL };
	static const char *const *opts[] = { zero, deep, bad, defer, unknown };
	static const char *const msgs[] = {
		"max_tasks must be 1..1000000",
		"dispatch_depth must be 0..32",
		"dispatch_depth must be 0..32",
		"defer_wakeup must be 0 or 1",
		"unknown option 'slice_us=1' (known: max_tasks, dispatch_depth, defer_wakeup)",
	};
	static const char *const good[] = { "max_tasks=3", "dispatch_depth=32",
					    "defer_wakeup=0", NULL };
	struct sim x;
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(sim_init(&x, "biff", 2, -1, opts[i]),
				 -EINVAL);
		ck_assert_ptr_nonnull(strstr(x.last_log, msgs[i]));
		ghost_policy_close(&x.lib);
		free(x.ring_mem);
	}
	start(2, good);
	for (i = 0; i < 4; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_ptr_nonnull(strstr(s.last_log, "biff: no room for thread"));
	ck_assert_int_eq(s.t[3].state, SIM_RUNNABLE);
	sim_exit(&s, 3);
	ck_assert_int_eq(sim_run_all(&s, 2, NULL), 0);
	ck_assert_ptr_nonnull(strstr(s.ops->help, "dispatch_depth=N"));
}
END_TEST

/*
 * Random events with affinity and hotplug: never a commit with lists,
 * never a thread placed where it may not run or on a CPU offline, no
 * CPU idle while a thread it may run waits (once the policy has seen
 * everything), and every thread finishes.
 */
START_TEST(test_stream)
{
	int i, k, t, r;

	start(NR_CPUS, NULL);
	/* Half the runs: LATCHED before the leaver's message. */
	s.latched_first = _i % 2;
	srand(_i + 3);
	for (i = 0; i < 30; i++) {
		t = sim_new(&s, i % 3 != 0);
		if (i % 5 == 0)
			sim_set_affinity(&s, t, 1u << (i % NR_CPUS) |
					 1u << ((i + 1) % NR_CPUS));
	}
	for (k = 0; k < 3000; k++) {
		t = rand() % s.nr_threads;
		switch (s.t[t].state) {
		case SIM_BLOCKED:
			sim_wakeup(&s, t);
			break;
		case SIM_RUNNING:
			r = rand() % 6;
			if (r == 0)
				sim_yield(&s, t);
			else if (r < 3)
				sim_block(&s, t);
			else if (r == 3)
				sim_preempt(&s, t);
			break;
		default:
			break;
		}
		if (rand() % 200 == 0 && s.t[t].state != SIM_GONE)
			sim_set_affinity(&s, t, rand() % 2 ? 0 :
					 1u << (rand() % NR_CPUS));
		if (rand() % 100 == 0 && s.t[t].state != SIM_GONE &&
		    s.nr_threads < SIM_MAX_THREADS - 2) {
			sim_exit(&s, t);
			sim_new(&s, 1);
		}
		if (rand() % 300 == 0 && !s.offline[3])
			sim_cpu_offline(&s, 3);
		if (rand() % 100 == 0 && s.offline[3])
			sim_cpu_online(&s, 3);
		if (k % 3 == 0) {
			sim_settle(&s, 10);
			check_no_idle_while_waiting();
		}
	}
	if (s.offline[3])
		sim_cpu_online(&s, 3);
	sim_settle(&s, 10);
	check_no_idle_while_waiting();
	if (sim_lists) {
		ck_assert_int_eq(s.nr_log, 0);
		ck_assert_int_gt(s.nr_latched, 100);
	} else {
		ck_assert_int_eq(s.nr_latched, 0);
	}
	for (i = 0; i < s.nr_threads; i++) {
		if (s.t[i].state != SIM_GONE)
			sim_set_affinity(&s, i, 0);
	}
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* The describe op: the list a thread has its entry in, or the line. */
START_TEST(test_describe)
{
	static const char *const opts[] = { "dispatch_depth=1", NULL };
	int t[4], i;

	start(1, opts);
	for (i = 0; i < 4; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), t[0]);
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[0]), "state=oncpu"));
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[0]), " cpu=0"));
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[1]),
				     "state=listed"));
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[1]),
				     "queue=cpu0 pos=0"));
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[2]),
				     "queue=pending pos=0"));
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[3]),
				     "queue=pending pos=1"));
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_ptr_nonnull(strstr(sim_describe(&s, t[0]),
				     "state=blocked"));
	sim_exit(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, t[0]), "ENOENT");
}
END_TEST

static int victim;

/*
 * Before the victim's commit, the outcome of an earlier commit of it to
 * the other CPU arrives (an agent's commit of its own CPU is reported at
 * that CPU's next round, after the thread's later messages).
 */
static void late_outcome(struct sim *x)
{
	int cpu = x->req[0].used && x->req[0].gtid == x->t[victim].gtid ? 1 : 0;

	x->ops->commit_done(&x->ctx, cpu, x->t[victim].gtid,
			    GHOST_TXN_COMPLETE);
}

/* That late outcome leaves the CPU it names free for others. */
START_TEST(test_late_outcome_of_earlier_commit)
{
	int x, y, other;

	start(2, NULL);
	victim = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_block(&s, victim);
	sim_wakeup(&s, victim);
	s.before_commit = late_outcome;
	sim_settle(&s, 10);
	x = sim_cpu_of(&s, victim);
	ck_assert_int_ge(x, 0);
	y = 1 - x;
	other = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, y), other);
}
END_TEST

static Suite *biff_suite(void)
{
	Suite *suite = suite_create("biff");
	TCase *tc = tcase_create("fast_path");
	TCase *tc2 = tcase_create("commits_only");

	tcase_add_checked_fixture(tc, fast_path, teardown);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_runs_from_lists_without_commits);
	tcase_add_test(tc, test_run_on_wake);
	tcase_add_test(tc, test_balance);
	tcase_add_test(tc, test_rebalance);
	tcase_add_test(tc, test_spare_entry);
	tcase_add_test(tc, test_depth_and_order);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_affinity_changed_while_listed);
	tcase_add_test(tc, test_hotplug);
	tcase_add_loop_test(tc, test_swap, 0, 2);
	tcase_add_loop_test(tc, test_without_lists, 1, 2);
	tcase_add_test(tc, test_options);
	tcase_add_loop_test(tc, test_stream, 0, 4);
	suite_add_tcase(suite, tc);

	tcase_add_checked_fixture(tc2, commits_only, teardown);
	tcase_add_loop_test(tc2, test_without_lists, 0, 1);
	tcase_add_test(tc2, test_without_lists_hotplug_affinity);
	tcase_add_test(tc2, test_late_outcome_of_earlier_commit);
	tcase_add_loop_test(tc2, test_swap, 0, 2);
	tcase_add_loop_test(tc2, test_stream, 0, 2);
	suite_add_tcase(suite, tc2);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(biff_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
