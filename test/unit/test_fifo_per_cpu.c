// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the fifo_per_cpu policy driven by the kernel model of
 * sim.h.  It assigns CPUs round-robin at TASK_NEW or first wakeup, runs
 * each CPU's queue in FIFO order, puts preempted threads at the front and
 * yielding ones at the back, and commits to a CPU only once its thread
 * gave it up.
 */
#include <stdlib.h>

#include <check.h>

#include "sim.h"

static struct sim s;

static void start(int nr_cpus)
{
	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", nr_cpus, -1, NULL), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_PER_CPU);
}

static void teardown(void)
{
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
		int cpu = last_cpu(s.t[i].gtid);

		if (s.t[i].state == SIM_RUNNABLE && cpu >= 0)
			ck_assert_int_ge(sim_running(&s, cpu), 0);
		running += s.t[i].state == SIM_RUNNING;
	}
	ck_assert_int_gt(running, 0);
}
END_TEST

static Suite *fifo_suite(void)
{
	Suite *suite = suite_create("fifo_per_cpu");
	TCase *tc;

	tc = tcase_create("schedule");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_round_robin_assignment);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_no_commit_while_cpu_busy);
	tcase_add_test(tc, test_preempted_goes_to_front);
	tcase_add_test(tc, test_yield_goes_to_back);
	tcase_add_test(tc, test_cpu_kept_across_sleeps);
	tcase_add_test(tc, test_stale_barrier_retried);
	tcase_add_test(tc, test_not_found_retried);
	tcase_add_test(tc, test_dead_threads_forgotten);
	tcase_add_loop_test(tc, test_stream, 0, 5);
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
