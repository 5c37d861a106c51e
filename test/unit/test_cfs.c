// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the cfs policy driven by the kernel model of sim.h, with
 * its simulated clock.  CPU-bound threads share a CPU in proportion to
 * the weights of their nice values; no thread loses its CPU to a commit
 * before min_granularity_us, and two equal threads take turns of
 * latency_us / 2; a sleeper that wakes runs soon but gets no more than
 * its share; a waking thread goes back to its CPU; runnable threads
 * spread over the CPUs; no thread is ever asked to run where its affinity
 * forbids; a CPU that hotplug takes away gets nothing until it is back;
 * bad options are refused with a message; a hot swap to and from
 * fifo_per_cpu, or to another cfs (handing its state over), keeps every
 * thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"
#include "../../policies/cfs_state.h"

#define US	1000ULL
#define MS	1000000ULL

static struct sim s;

static void start_opts(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "cfs", nr_cpus, -1, opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_PER_CPU);
	ck_assert(s.ops->flags & GHOST_POLICY_F_TICKS);
}

static void start(int nr_cpus)
{
	start_opts(nr_cpus, NULL);
}

static void setup(void)
{
	sim_lists = 1;
}

static void teardown(void)
{
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.nr_bad, 0);
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	/* Never asked to run a thread where it may not. */
	ck_assert_int_eq(s.x.affinity_asks, 0);
	ck_assert_int_eq(s.x.affinity_runs, 0);
	ck_assert_int_eq(s.failed, 0);
	sim_fini(&s);
}

/* CPU time of each of @n threads from @t over what ran before (@base). */
static void ran_since(const int *t, const __u64 *base, __u64 *out, int n)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = sim_ran_ns(&s, t[i]) - (base ? base[i] : 0);
}

static void assert_ratio(__u64 a, __u64 b, double want, double tol)
{
	double r = (double)a / (double)b;

	ck_assert_msg(r > want * (1 - tol) && r < want * (1 + tol),
		      "ratio %.3f (%llu ns : %llu ns), want %.3f within %.0f%%",
		      r, (unsigned long long)a, (unsigned long long)b, want,
		      tol * 100);
}

static const struct {
	int nice[2];
	double ratio;		/* weight[0] / weight[1] */
} pairs[] = {
	{ { 0, 5 }, 1024.0 / 335 },
	{ { -5, 0 }, 3121.0 / 1024 },
	{ { 0, 1 }, 1024.0 / 820 },
	{ { 0, 10 }, 1024.0 / 110 },
	{ { 0, 0 }, 1.0 },
};

/* Two CPU-bound threads on one CPU share it by the weights of their nice. */
START_TEST(test_nice_weighted_shares)
{
	int t[2];
	__u64 ran[2];

	start(1);
	t[0] = sim_new_nice(&s, 1, pairs[_i].nice[0]);
	t[1] = sim_new_nice(&s, 1, pairs[_i].nice[1]);
	sim_run_for(&s, 3000 * MS, 250 * US);
	ran_since(t, NULL, ran, 2);
	assert_ratio(ran[0], ran[1], pairs[_i].ratio, 0.10);
	/* Nothing lost: the CPU was never idle. */
	ck_assert_uint_eq(ran[0] + ran[1], 3000 * MS);
	ck_assert_int_gt(s.x.nr_ticks, 0);
}
END_TEST

/* TASK_PRIORITY_CHANGED: a thread reniced from 0 to 5 gets a third. */
START_TEST(test_nice_change)
{
	__u64 base[2], ran[2];
	int t[2];

	start(1);
	t[0] = sim_new(&s, 1);
	t[1] = sim_new(&s, 1);
	sim_run_for(&s, 1000 * MS, 250 * US);
	ran_since(t, NULL, base, 2);
	assert_ratio(base[0], base[1], 1.0, 0.05);
	sim_set_nice(&s, t[1], 5);
	sim_run_for(&s, 3000 * MS, 250 * US);
	ran_since(t, base, ran, 2);
	assert_ratio(ran[0], ran[1], 1024.0 / 335, 0.10);
	/* And back. */
	sim_set_nice(&s, t[1], 0);
	ran_since(t, NULL, base, 2);
	sim_run_for(&s, 1000 * MS, 250 * US);
	ran_since(t, base, ran, 2);
	assert_ratio(ran[0], ran[1], 1.0, 0.10);
}
END_TEST

static const char *const gran_2ms[] = { "min_granularity_us=2000", NULL };

/*
 * Twenty threads, half of them nice 19, whose fair slices would all be
 * below the minimum: none loses its CPU to a commit before
 * min_granularity_us.
 */
START_TEST(test_min_granularity)
{
	__u64 gran = _i ? 2000 * US : 750 * US;
	int i;

	start_opts(1, _i ? gran_2ms : NULL);
	for (i = 0; i < 20; i++)
		sim_new_nice(&s, 1, i % 2 ? 19 : 0);
	sim_run_for(&s, 1000 * MS, 100 * US);
	ck_assert_int_gt(s.x.nr_sliced, 1000 * MS / gran / 2);
	ck_assert_msg(s.x.min_sliced_ns >= gran,
		      "a thread lost its CPU after %llu ns",
		      (unsigned long long)s.x.min_sliced_ns);
}
END_TEST

static const char *const latency_12ms[] = { "latency_us=12000", NULL };

/* Two equal threads take turns of latency * 1024 / 2048: 6 ms here. */
START_TEST(test_slice_is_share_of_latency)
{
	int a, b;

	start_opts(1, latency_12ms);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_run_for(&s, 600 * MS, 100 * US);
	ck_assert_uint_ge(s.x.min_sliced_ns, 6 * MS);
	/* About 600 / 6 turns, none much longer than a slice. */
	ck_assert_int_ge(s.x.nr_sliced, 90);
	ck_assert_int_le(s.x.nr_sliced, 101);
	assert_ratio(sim_ran_ns(&s, a), sim_ran_ns(&s, b), 1.0, 0.05);
}
END_TEST

/*
 * A thread that slept for a second while another ran wakes with at most
 * half a latency of credit: it runs at once, then no more than its share.
 */
START_TEST(test_sleeper_does_not_monopolise)
{
	__u64 base[2], ran[2];
	int t[2];

	start(1);
	t[0] = sim_new(&s, 1);
	t[1] = sim_new(&s, 1);
	sim_run_for(&s, 100 * MS, 250 * US);
	sim_block(&s, t[1]);
	ran_since(t, NULL, base, 2);
	sim_run_for(&s, 1000 * MS, 250 * US);
	ck_assert_uint_eq(sim_ran_ns(&s, t[0]) - base[0], 1000 * MS);
	ran_since(t, NULL, base, 2);
	sim_wakeup(&s, t[1]);
	sim_settle(&s, 10);
	/* Its credit puts it first. */
	ck_assert_int_eq(sim_running(&s, 0), t[1]);
	sim_run_for(&s, 200 * MS, 250 * US);
	ran_since(t, base, ran, 2);
	/* Its half, plus at most its credit and a slice (3 ms each). */
	ck_assert_msg(ran[1] <= 107 * MS, "the sleeper ran %llu ns of 200 ms",
		      (unsigned long long)ran[1]);
	ck_assert_uint_ge(ran[1], 93 * MS);
	ck_assert_uint_eq(ran[0] + ran[1], 200 * MS);
}
END_TEST

/* A sleeper woken again and again still gets only its share. */
START_TEST(test_frequent_sleeper_share)
{
	__u64 ran_a, ran_b;
	int a, b, k;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	for (k = 0; k < 200; k++) {
		sim_run_for(&s, 2 * MS, 250 * US);
		/* b sleeps for a moment whenever it holds the CPU. */
		if (sim_cpu_of(&s, b) >= 0) {
			sim_block(&s, b);
			sim_settle(&s, 10);
			sim_run_for(&s, 250 * US, 250 * US);
			sim_wakeup(&s, b);
		}
	}
	ran_a = sim_ran_ns(&s, a);
	ran_b = sim_ran_ns(&s, b);
	ck_assert_msg(ran_b <= ran_a, "the sleeper ran %llu ns, the other %llu",
		      (unsigned long long)ran_b, (unsigned long long)ran_a);
	ck_assert_uint_gt(ran_b, ran_a / 4);
}
END_TEST

START_TEST(test_yield_lets_the_other_run)
{
	int a, b;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_yield(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	/* Alone, a yielder gets its CPU back. */
	sim_block(&s, b);
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

/* Preempted by the kernel: back in line, and it runs again. */
START_TEST(test_kernel_preemption_requeues)
{
	int a;

	start(2);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 0);
	sim_preempt(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 0);
}
END_TEST

/* New threads spread over idle CPUs; a waking one returns to its CPU. */
START_TEST(test_wakeup_goes_to_last_cpu)
{
	int t[3], i, cpu;

	start(3);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (i = 0; i < 3; i++)
		ck_assert_int_ge(sim_cpu_of(&s, t[i]), 0);
	ck_assert_int_ne(sim_cpu_of(&s, t[0]), sim_cpu_of(&s, t[1]));
	ck_assert_int_ne(sim_cpu_of(&s, t[1]), sim_cpu_of(&s, t[2]));
	ck_assert_int_ne(sim_cpu_of(&s, t[0]), sim_cpu_of(&s, t[2]));
	for (i = 0; i < 3; i++) {
		cpu = sim_cpu_of(&s, t[i]);
		sim_block(&s, t[i]);
		sim_run_for(&s, 5 * MS, 1 * MS);
		sim_wakeup(&s, t[i]);
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_cpu_of(&s, t[i]), cpu);
	}
}
END_TEST

/*
 * A thread whose last CPU its affinity no longer allows wakes where it
 * may run, a busy CPU while its own is idle, and runs only there (the
 * idle CPU may take the other thread).
 */
START_TEST(test_wakeup_honours_affinity)
{
	int t[3], i, busy, idle, k;

	start(3);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	idle = sim_cpu_of(&s, t[1]);
	busy = sim_cpu_of(&s, t[2]);
	sim_block(&s, t[1]);
	sim_set_affinity(&s, t[1], 1u << busy);
	sim_wakeup(&s, t[1]);
	for (k = 0; k < 40; k++) {
		sim_run_for(&s, 1 * MS, 250 * US);
		ck_assert_int_ne(sim_running(&s, idle), t[1]);
		ck_assert(sim_cpu_of(&s, t[1]) < 0 ||
			  sim_cpu_of(&s, t[1]) == busy);
	}
	ck_assert_uint_gt(sim_ran_ns(&s, t[1]), 10 * MS);
}
END_TEST

/* After a thread blocks, an idle CPU pulls one that waits elsewhere. */
START_TEST(test_idle_cpu_pulls)
{
	int t[3], i, cpu;

	start(2);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (cpu = 0; cpu < 2; cpu++) {
		sim_block(&s, sim_running(&s, cpu));
		sim_settle(&s, 10);
		/* Two CPUs, two runnable threads: both busy. */
		ck_assert_int_ge(sim_running(&s, 0), 0);
		ck_assert_int_ge(sim_running(&s, 1), 0);
		for (i = 0; i < 3; i++) {
			if (s.t[t[i]].state == SIM_BLOCKED)
				sim_wakeup(&s, t[i]);
		}
		sim_settle(&s, 10);
	}
}
END_TEST

static const struct {
	int threads, cpus;
} spreads[] = {
	{ 8, 4 }, { 12, 4 }, { 6, 4 }, { 3, 3 }, { 9, 2 },
};

/*
 * N threads that could run only on CPU 0 (and ghost-agent did not know)
 * are all let run everywhere: they spread over the M CPUs, every CPU
 * busy, each thread getting close to M / N of a CPU.
 */
START_TEST(test_balance_spreads_threads)
{
	int n = spreads[_i].threads, m = spreads[_i].cpus;
	__u64 base[16], ran[16], sum = 0, fair;
	int t[16], i, cpu;

	start(m);
	for (i = 0; i < n; i++)
		t[i] = sim_new_allowed(&s, 1, 1u << 0);
	sim_run_for(&s, 10 * MS, 250 * US);
	for (cpu = 1; cpu < m; cpu++)
		ck_assert_int_eq(sim_running(&s, cpu), -1);
	for (i = 0; i < n; i++)
		ck_assert_uint_gt(sim_ran_ns(&s, t[i]), 0);
	for (i = 0; i < n; i++)
		sim_set_affinity(&s, t[i], 0);
	sim_run_for(&s, 20 * MS, 250 * US);
	ran_since(t, NULL, base, n);
	sim_run_for(&s, 400 * MS, 250 * US);
	ran_since(t, base, ran, n);
	for (cpu = 0; cpu < m; cpu++)
		ck_assert_int_ge(sim_running(&s, cpu), 0);
	fair = 400 * MS * m / n;
	if (fair > 400 * MS)
		fair = 400 * MS;
	for (i = 0; i < n; i++) {
		sum += ran[i];
		/* By count: no CPU has two threads more than another. */
		ck_assert_msg(ran[i] >= 400 * MS / ((n + m - 1) / m) * 9 / 10,
			      "thread %d ran %llu ns of 400 ms (fair %llu)", i,
			      (unsigned long long)ran[i],
			      (unsigned long long)fair);
	}
	/* Every CPU busy all the time. */
	ck_assert_uint_eq(sum, 400 * MS * (m < n ? m : n));
}
END_TEST

/*
 * Threads with every kind of affinity (some that ghost-agent learns only
 * from a refused commit), reniced, blocking, waking, yielding and
 * changing their CPUs at random: none is ever asked to run where it may
 * not (the teardown checks), and all finish.
 */
START_TEST(test_affinity_stream)
{
	static const unsigned int masks[] = {
		0, 1u << 0, 1u << 3, 0x6, 0x9, 0xe
	};
	int i, k, t, n = 24, nr_masks = sizeof(masks) / sizeof(masks[0]);

	srand(7 + _i);
	start(4);
	for (i = 0; i < n; i++)
		sim_new_allowed(&s, rand() % 2, masks[rand() % nr_masks]);
	for (k = 0; k < 1500; k++) {
		t = rand() % n;
		switch (rand() % 8) {
		case 0:
			if (s.t[t].state == SIM_BLOCKED)
				sim_wakeup(&s, t);
			break;
		case 1:
			if (s.t[t].state == SIM_RUNNING ||
			    s.t[t].state == SIM_RUNNABLE)
				sim_block(&s, t);
			break;
		case 2:
			if (s.t[t].state == SIM_RUNNING)
				sim_yield(&s, t);
			break;
		case 3:
			sim_set_affinity(&s, t, masks[rand() % nr_masks]);
			break;
		case 4:
			sim_set_nice(&s, t, rand() % 40 - 20);
			break;
		default:
			sim_run_for(&s, (rand() % 8 + 1) * 250 * US, 250 * US);
			break;
		}
	}
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE ||
			      s.log[i].state == GHOST_TXN_CPU_NOT_ALLOWED,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * CPU 1 goes offline with threads on it: they run on CPUs 0 and 2, none
 * on CPU 1, until it is back, when it takes its share again.
 */
START_TEST(test_hotplug_offline_moves_threads)
{
	__u64 base[9], ran[9];
	int t[9], i, k;

	start(3);
	for (i = 0; i < 9; i++)
		t[i] = sim_new(&s, 1);
	sim_run_for(&s, 10 * MS, 250 * US);
	ck_assert_int_ge(sim_running(&s, 1), 0);
	sim_cpu_offline(&s, 1);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	ran_since(t, NULL, base, 9);
	for (k = 0; k < 100; k++) {
		sim_run_for(&s, 1 * MS, 250 * US);
		ck_assert_int_eq(sim_running(&s, 1), -1);
	}
	ran_since(t, base, ran, 9);
	for (i = 0; i < 9; i++)
		ck_assert_uint_gt(ran[i], 10 * MS);
	ck_assert_int_eq(s.nr_unavail, 0);
	sim_cpu_online(&s, 1);
	sim_run_for(&s, 10 * MS, 250 * US);
	ck_assert_int_ge(sim_running(&s, 1), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * A thread that may run only on CPU 1 waits while CPU 1 is offline
 * (nothing is asked of that CPU meanwhile) and runs there once it is back.
 */
START_TEST(test_hotplug_thread_waits_for_its_cpu)
{
	int a, b;

	start(2);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_set_affinity(&s, a, 1u << 1);
	sim_run_for(&s, 5 * MS, 250 * US);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_cpu_offline(&s, 1);
	sim_run_for(&s, 20 * MS, 250 * US);
	ck_assert_int_eq(sim_cpu_of(&s, a), -1);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_cpu_online(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

/*
 * A thread that may run only on an offline CPU waits; when its affinity
 * grows to an online one, it runs there at once.
 */
START_TEST(test_stranded_thread_runs_when_allowed)
{
	int a, b;

	start(2);
	b = sim_new(&s, 1);
	sim_cpu_offline(&s, 1);
	a = sim_new(&s, 0);
	sim_set_affinity(&s, a, 1u << 1);
	sim_wakeup(&s, a);
	sim_run_for(&s, 20 * MS, 250 * US);
	ck_assert_int_eq(sim_cpu_of(&s, a), -1);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_block(&s, b);
	sim_run_for(&s, 5 * MS, 250 * US);
	ck_assert_int_eq(sim_running(&s, 0), -1);
	sim_set_affinity(&s, a, 0x3);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
}
END_TEST

/* Offline, online, swaps and sleeps at random: every thread finishes. */
START_TEST(test_hotplug_stream)
{
	static const char *const names[] = { "cfs", "fifo_per_cpu" };
	int i, k, t, cpu, up = 4, swaps = 0;

	srand(11 + _i);
	start(4);
	for (i = 0; i < 24; i++)
		sim_new_nice(&s, 1, rand() % 11 - 5);
	for (k = 0; k < 2000; k++) {
		t = rand() % 24;
		switch (rand() % 6) {
		case 0:
			if (s.t[t].state == SIM_BLOCKED)
				sim_wakeup(&s, t);
			break;
		case 1:
			if (s.t[t].state == SIM_RUNNING)
				sim_block(&s, t);
			break;
		case 2:
			cpu = rand() % 4;
			if (s.offline[cpu]) {
				sim_cpu_online(&s, cpu);
				up++;
			} else if (up > 1) {
				sim_cpu_offline(&s, cpu);
				up--;
			}
			break;
		default:
			sim_run_for(&s, 500 * US, 250 * US);
			break;
		}
		if (k % 400 == 399) {
			/* fifo_per_cpu, cfs, ... by export or discovery. */
			swaps++;
			(swaps % 3 ? sim_swap : sim_swap_rediscover)
				(&s, names[swaps % 2], NULL);
		}
		for (cpu = 0; cpu < 4; cpu++) {
			if (s.offline[cpu])
				ck_assert_int_eq(sim_running(&s, cpu), -1);
		}
	}
	if (strcmp(s.ops->name, "cfs"))
		sim_swap(&s, "cfs", NULL);
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE ||
			      s.log[i].state == GHOST_TXN_CPU_UNAVAIL,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* A commit refused for a stale barrier is retried under the new one. */
static int victim;

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

/* Not found while its TASK_DEAD is on its way: tried again, not dropped. */
START_TEST(test_not_found_retried)
{
	int a;

	start(1);
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
	sim_run_for(&s, 5 * MS, 250 * US);
	sim_exit(&s, a);
	sim_exit(&s, b);
	sim_run_for(&s, 5 * MS, 250 * US);
	ck_assert_int_eq(sim_running(&s, 0), c);
	for (i = 0; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].state, GHOST_TXN_TARGET_NOT_FOUND);
}
END_TEST

/* Many threads doing short bursts on four CPUs: all finish, all ran. */
START_TEST(test_run_all_finishes)
{
	unsigned int ran_on[SIM_MAX_THREADS];
	int i;

	start(4);
	for (i = 0; i < 40; i++)
		sim_new_nice(&s, i % 3, i % 7 - 3);
	ck_assert_int_eq(sim_run_all(&s, 5, ran_on), 0);
	for (i = 0; i < 40; i++)
		ck_assert_uint_ne(ran_on[i], 0);
}
END_TEST

static const struct {
	const char *opt;
	const char *says;	/* in the message */
} bad_opts[] = {
	{ "min_granularity_us=0", "min_granularity_us must be" },
	{ "min_granularity_us=abc", "min_granularity_us must be" },
	{ "min_granularity_us=-5", "min_granularity_us must be" },
	{ "min_granularity_us=", "min_granularity_us must be" },
	{ "min_granularity_us=1000001", "min_granularity_us must be" },
	{ "min_granularity_us=7000", "at least min_granularity_us" },
	{ "latency_us=100", "at least min_granularity_us" },
	{ "latency_us=10000001", "latency_us must be" },
	{ "latency_us=6ms", "latency_us must be" },
	{ "max_tasks=0", "max_tasks must be" },
	{ "slice_us=1000", "unknown option 'slice_us=1000'" },
};

START_TEST(test_bad_options_refused)
{
	const char *opts[] = { bad_opts[_i].opt, NULL };

	ck_assert_int_eq(sim_init(&s, "cfs", 2, -1, opts), -EINVAL);
	ck_assert_msg(strstr(s.last_log, bad_opts[_i].says),
		      "%s: the policy said '%s'", bad_opts[_i].opt,
		      s.last_log);
	ck_assert_ptr_nonnull(strstr(s.last_log, "cfs: "));
	sim_fini(&s);
	/* The fixture's teardown wants a machine. */
	start(1);
}
END_TEST

START_TEST(test_good_options)
{
	static const char *const opts[] = {
		"min_granularity_us=1000", "latency_us=20000", "max_tasks=16",
		NULL
	};
	int i;

	start_opts(1, opts);
	ck_assert_str_eq(s.last_log, "");
	ck_assert_ptr_nonnull(s.ops->help);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(strstr(s.ops->help, "_"));
	/* Room for 16 threads: the 17th is refused, and said so. */
	for (i = 0; i < 17; i++)
		sim_new(&s, 0);
	sim_drain(&s);
	ck_assert_ptr_nonnull(strstr(s.last_log, "no room"));
}
END_TEST

/*
 * Swaps to fifo_per_cpu and back (rediscovery, both ways: the formats
 * differ) keep every thread, running, waiting or asleep, and its nice
 * value: afterwards a nice 0 and a nice 5 thread share a CPU 3:1 again.
 */
START_TEST(test_swap_with_fifo_per_cpu)
{
	__u64 base[2], ran[2];
	int t[8], i;

	start(2);
	for (i = 0; i < 8; i++)
		t[i] = sim_new_nice(&s, i != 5, i % 2 ? 5 : 0);
	sim_run_for(&s, 20 * MS, 250 * US);
	sim_block(&s, sim_running(&s, 0));
	ck_assert_int_eq(_i ? sim_swap_rediscover(&s, "fifo_per_cpu", NULL) :
			 sim_swap(&s, "fifo_per_cpu", NULL), 0);
	sim_run_for(&s, 20 * MS, 250 * US);
	ck_assert_int_ge(sim_running(&s, 0), 0);
	ck_assert_int_ge(sim_running(&s, 1), 0);
	ck_assert_int_eq(_i ? sim_swap_rediscover(&s, "cfs", NULL) :
			 sim_swap(&s, "cfs", NULL), 0);
	/* Only t[0] (nice 0) and t[1] (nice 5) left runnable, on one CPU. */
	for (i = 2; i < 8; i++)
		sim_exit(&s, t[i]);
	if (s.t[t[0]].state == SIM_BLOCKED)
		sim_wakeup(&s, t[0]);
	if (s.t[t[1]].state == SIM_BLOCKED)
		sim_wakeup(&s, t[1]);
	sim_set_affinity(&s, t[0], 1u << 0);
	sim_set_affinity(&s, t[1], 1u << 0);
	sim_run_for(&s, 50 * MS, 250 * US);
	ran_since(t, NULL, base, 2);
	sim_run_for(&s, 3000 * MS, 250 * US);
	ran_since(t, base, ran, 2);
	assert_ratio(ran[0], ran[1], 1024.0 / 335, 0.10);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

static char state_before[1 << 16], state_after[1 << 16];

static const struct cfs_state_task *find_rec(const void *buf, __u64 gtid)
{
	const struct cfs_state_hdr *h = buf;
	const struct cfs_state_task *r = (const void *)(h + 1);
	unsigned int i;

	for (i = 0; i < h->nr_tasks; i++) {
		if (r[i].gtid == gtid)
			return &r[i];
	}
	return NULL;
}

/*
 * cfs to cfs hands the state over: the new instance exports exactly what
 * the old one did (each thread's kind, CPU, nice, barrier and lag), and
 * every thread then runs to the end.
 */
START_TEST(test_state_round_trip)
{
	const struct cfs_state_hdr *h = (const void *)state_before;
	const struct cfs_state_task *a, *b;
	int t[12], i, kinds[3] = { 0 };
	long n1, n2;

	start(3);
	for (i = 0; i < 12; i++)
		t[i] = sim_new_nice(&s, 1, i % 5 - 2);
	sim_set_affinity(&s, t[11], 1u << 2);
	sim_run_for(&s, 30 * MS, 250 * US);
	sim_block(&s, t[3]);
	sim_block(&s, t[7]);
	sim_settle(&s, 10);
	n1 = s.ops->export_state(&s.ctx, state_before, sizeof(state_before));
	ck_assert_int_eq(n1, cfs_state_size(12));
	/* Too small a buffer: the size it needs. */
	ck_assert_int_eq(s.ops->export_state(&s.ctx, state_after, 8), n1);
	ck_assert_int_eq(sim_swap(&s, "cfs", NULL), 1);
	n2 = s.ops->export_state(&s.ctx, state_after, sizeof(state_after));
	ck_assert_int_eq(n1, n2);
	ck_assert_int_eq(h->magic, CFS_STATE_MAGIC);
	ck_assert_int_eq(h->nr_tasks, 12);
	for (i = 0; i < 12; i++) {
		a = find_rec(state_before, s.t[t[i]].gtid);
		b = find_rec(state_after, s.t[t[i]].gtid);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_int_eq(a->cpu, b->cpu);
		ck_assert_int_eq(a->nice, b->nice);
		ck_assert_int_eq(a->barrier, b->barrier);
		ck_assert_int_eq(a->lag, b->lag);
		ck_assert_int_eq(a->nice, i % 5 - 2);
		kinds[a->kind]++;
	}
	ck_assert_int_eq(kinds[CFS_STATE_BLOCKED], 2);
	ck_assert_int_eq(kinds[CFS_STATE_ONCPU], 3);
	ck_assert_int_eq(kinds[CFS_STATE_QUEUED], 7);
	/* Not a state of ours. */
	ck_assert_int_eq(s.ops->import_state(&s.ctx, "junk", 4), -EINVAL);
	memset(state_after, 0, sizeof(struct cfs_state_hdr));
	ck_assert_int_eq(s.ops->import_state(&s.ctx, state_after,
					     sizeof(state_after)), -EINVAL);
	ck_assert_int_eq(s.ops->import_state(&s.ctx, state_before, n1 - 1),
			 -EINVAL);
	sim_run_for(&s, 50 * MS, 250 * US);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/* The vruntimes come across: the shares go on as they were. */
START_TEST(test_state_keeps_shares)
{
	__u64 base[2], ran[2];
	int t[2];

	start(1);
	t[0] = sim_new_nice(&s, 1, 0);
	t[1] = sim_new_nice(&s, 1, 5);
	sim_run_for(&s, 1000 * MS, 250 * US);
	ck_assert_int_eq(sim_swap(&s, "cfs", NULL), 1);
	ran_since(t, NULL, base, 2);
	sim_run_for(&s, 3000 * MS, 250 * US);
	ran_since(t, base, ran, 2);
	assert_ratio(ran[0], ran[1], 1024.0 / 335, 0.10);
}
END_TEST

/*
 * The describe op: the run queue a thread waits in and its rank there by
 * vruntime (the order cfs picks in), its nice and weight, and its lag.
 */
START_TEST(test_describe)
{
	int a, b, c;

	start(1);
	a = sim_new_nice(&s, 1, 0);
	b = sim_new_nice(&s, 1, 5);
	c = sim_new_nice(&s, 0, -3);
	sim_round(&s);
	ck_assert_str_eq(sim_describe(&s, a), "state=oncpu barrier=1 cpu=0 nice=0 weight=1024 vruntime_lag_ns=0");
	ck_assert_str_eq(sim_describe(&s, b), "state=queued barrier=1 queue=cpu0 pos=0 nice=5 weight=335 vruntime_lag_ns=0");
	ck_assert_str_eq(sim_describe(&s, c), "state=blocked barrier=1 cpu=-1 nice=-3 weight=1991 vruntime_lag_ns=0");
	sim_run_for(&s, 100 * MS, 250 * US);
	ck_assert_int_eq(sim_running(&s, 0), b);
	ck_assert_str_eq(sim_describe(&s, a), "state=queued barrier=17 queue=cpu0 pos=0 nice=0 weight=1024 vruntime_lag_ns=2638816");
	sim_exit(&s, a);
	sim_round(&s);
	ck_assert_str_eq(sim_describe(&s, a), "ENOENT");
}
END_TEST

static Suite *cfs_suite(void)
{
	Suite *suite = suite_create("cfs");
	TCase *tc;

	tc = tcase_create("fairness");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_nice_weighted_shares, 0,
			    sizeof(pairs) / sizeof(pairs[0]));
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_nice_change);
	tcase_add_loop_test(tc, test_min_granularity, 0, 2);
	tcase_add_test(tc, test_slice_is_share_of_latency);
	tcase_add_test(tc, test_sleeper_does_not_monopolise);
	tcase_add_test(tc, test_frequent_sleeper_share);
	tcase_add_test(tc, test_yield_lets_the_other_run);
	tcase_add_test(tc, test_kernel_preemption_requeues);
	suite_add_tcase(suite, tc);

	tc = tcase_create("placement");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wakeup_goes_to_last_cpu);
	tcase_add_test(tc, test_wakeup_honours_affinity);
	tcase_add_test(tc, test_idle_cpu_pulls);
	tcase_add_loop_test(tc, test_balance_spreads_threads, 0,
			    sizeof(spreads) / sizeof(spreads[0]));
	tcase_add_loop_test(tc, test_affinity_stream, 0, 4);
	tcase_add_test(tc, test_hotplug_offline_moves_threads);
	tcase_add_test(tc, test_hotplug_thread_waits_for_its_cpu);
	tcase_add_test(tc, test_stranded_thread_runs_when_allowed);
	tcase_add_loop_test(tc, test_hotplug_stream, 0, 4);
	suite_add_tcase(suite, tc);

	tc = tcase_create("commits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stale_barrier_retried);
	tcase_add_test(tc, test_not_found_retried);
	tcase_add_test(tc, test_dead_threads_forgotten);
	tcase_add_test(tc, test_run_all_finishes);
	suite_add_tcase(suite, tc);

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_options_refused, 0,
			    sizeof(bad_opts) / sizeof(bad_opts[0]));
	tcase_add_test(tc, test_good_options);
	suite_add_tcase(suite, tc);

	tc = tcase_create("hot_swap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_swap_with_fifo_per_cpu, 0, 2);
	tcase_add_test(tc, test_state_round_trip);
	tcase_add_test(tc, test_state_keeps_shares);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(cfs_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
