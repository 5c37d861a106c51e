// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the fifo_centralized policy driven by the kernel model of
 * sim.h.  One global FIFO over every CPU but the global one (which never
 * gets a thread), preempted threads first, and with slice_us a thread
 * that used its slice while others wait goes to the back of the line.
 * "schedule" and "slice" model a module without dispatch lists;
 * "fast_path" one whose lists the policy feeds instead of committing.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"

#define GLOBAL	0

static struct sim s;

static void start(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "fifo_centralized", nr_cpus, GLOBAL,
				  opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_CENTRALIZED);
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
	ck_assert_int_eq(s.global_violations, 0);
	ck_assert_int_eq(s.double_decisions, 0);
	ck_assert_int_eq(s.nr_bad, 0);
	/* The agent's CPU has no list of its own. */
	ck_assert_uint_eq(s.dl[GLOBAL].flags, 0);
	ck_assert_uint_eq(s.dl[GLOBAL].tail, 0);
	sim_fini(&s);
}

static void advance_us(unsigned int us)
{
	s.now += us * 1000ULL;
}

START_TEST(test_never_on_global_cpu)
{
	int i, k;

	start(4, NULL);
	for (i = 0; i < 10; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), i - 1);
	for (k = 0; k < 50; k++) {
		for (i = 1; i < 4; i++) {
			if (sim_running(&s, i) >= 0)
				sim_yield(&s, sim_running(&s, i));
		}
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_running(&s, GLOBAL), -1);
	}
	for (i = 0; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
}
END_TEST

START_TEST(test_global_fifo_order)
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

START_TEST(test_preempted_goes_to_front)
{
	int a, b;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_preempt(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	(void)b;
}
END_TEST

START_TEST(test_not_found_retried)
{
	int a, b;

	start(3, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	s.t[a].hidden = 1;
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert_int_ge(sim_cpu_of(&s, b), 1);
}
END_TEST

START_TEST(test_slice_preempts_to_back)
{
	static const char *const opts[] = { "slice_us=1000", NULL };
	int a, b, c, n;

	start(2, opts);		/* one CPU for threads: CPU 1 */
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(600);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(600);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	advance_us(1100);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	/* a went to the back of the line, behind c but before b. */
	advance_us(1100);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(1100);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

START_TEST(test_no_slice_when_nobody_waits)
{
	static const char *const opts[] = { "slice_us=1000", NULL };
	int a, n, k;

	start(2, opts);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	n = s.nr_log;
	for (k = 0; k < 20; k++) {
		advance_us(5000);
		sim_round(&s);
	}
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

START_TEST(test_no_slice_by_default)
{
	int a, b, n, k;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	n = s.nr_log;
	for (k = 0; k < 20; k++) {
		advance_us(100000);
		sim_round(&s);
	}
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 1), a);
	(void)b;
}
END_TEST

START_TEST(test_bad_options_refused)
{
	static const char *const bad[] = { "slice_us=abc", NULL };
	static const char *const unknown[] = { "slice=5", NULL };
	struct sim x;

	ck_assert_int_ne(sim_init(&x, "fifo_centralized", 2, GLOBAL, bad), 0);
	ck_assert_ptr_nonnull(strstr(x.last_log, "slice_us must be"));
	ghost_policy_close(&x.lib);
	free(x.ring_mem);
	ck_assert_int_ne(sim_init(&x, "fifo_centralized", 2, GLOBAL, unknown),
			 0);
	ck_assert_ptr_nonnull(strstr(x.last_log, "unknown option 'slice=5'"));
	ghost_policy_close(&x.lib);
	free(x.ring_mem);
	start(2, NULL);
}
END_TEST

/* Random events with a slice: the invariants of a global FIFO hold. */
START_TEST(test_stream)
{
	static const char *const opts[] = { "slice_us=500", NULL };
	int i, k, t, idle;

	start(4, opts);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 7);
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
			break;
		default:
			break;
		}
		if (rand() % 40 == 0 && s.t[t].state != SIM_GONE)
			sim_exit(&s, t);
		advance_us(rand() % 300);
		if (k % 2 == 0)
			sim_round(&s);
	}
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	}
	/*
	 * Work conserving: a CPU idles only if nothing is runnable, or (with
	 * lists) what is runnable is promised to a busy CPU by its entry.
	 */
	idle = 0;
	for (i = 1; i < 4; i++)
		idle += sim_running(&s, i) < 0;
	for (i = 0; idle && i < s.nr_threads; i++) {
		if (sim_lists && s.t[i].state == SIM_RUNNABLE)
			ck_assert(sim_is_listed(&s, i));
		else
			ck_assert_int_ne(s.t[i].state, SIM_RUNNABLE);
	}
}
END_TEST

/* Idle CPUs get threads by their lists and a kick, not by commits. */
START_TEST(test_fp_idle_cpus_fed_by_lists)
{
	int t[5], i;

	start(3, NULL);
	for (i = 0; i < 5; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 0);
	ck_assert_int_eq(sim_running(&s, 1), t[0]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	/* One more listed per busy CPU (dispatch_depth 1). */
	ck_assert_int_eq(sim_listed(&s, 1), 1);
	ck_assert_int_eq(sim_listed(&s, 2), 1);
	sim_block(&s, t[0]);
	ck_assert_int_eq(sim_running(&s, 1), t[2]);
	sim_yield(&s, t[1]);
	ck_assert_int_eq(sim_running(&s, 2), t[3]);
	sim_settle(&s, 10);
	/* t[4] and then the yielder t[1], one per CPU. */
	sim_block(&s, t[2]);
	ck_assert_int_eq(sim_running(&s, 1), t[4]);
	sim_block(&s, t[3]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* A thread waking on its idle CPU runs there at once. */
START_TEST(test_fp_run_on_wake)
{
	int a;

	start(3, NULL);
	a = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	sim_wakeup(&s, a);
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(s.nr_run_on_wake, 1);
	ck_assert_int_eq(sim_round(&s), 0);
}
END_TEST

/* A slice still preempts by commit, never with a listed thread. */
START_TEST(test_fp_slice_commits_unlisted)
{
	static const char *const opts[] = { "slice_us=100", NULL };
	int a, b, c;

	start(2, opts);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(sim_listed(&s, 1), 1);
	advance_us(200);
	sim_settle(&s, 10);
	/* b is listed: the slice gave the CPU to c. */
	ck_assert_int_eq(sim_running(&s, 1), c);
	ck_assert_int_eq(s.nr_log, 1);
	sim_block(&s, c);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/* dispatch_depth=0: no list is enabled, idle CPUs get commits. */
START_TEST(test_fp_depth_zero_commits)
{
	static const char *const opts[] = { "dispatch_depth=0", NULL };
	int i;

	start(3, opts);
	for (i = 0; i < 4; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, 2);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(s.dl[i].flags, 0);
	ck_assert_int_eq(sim_listed(&s, 1) + sim_listed(&s, 2), 0);
}
END_TEST

static Suite *cfifo_suite(void)
{
	Suite *suite = suite_create("fifo_centralized");
	TCase *tc;

	tc = tcase_create("fast_path");
	tcase_add_checked_fixture(tc, fast_path, teardown);
	tcase_add_test(tc, test_fp_idle_cpus_fed_by_lists);
	tcase_add_test(tc, test_fp_run_on_wake);
	tcase_add_test(tc, test_fp_slice_commits_unlisted);
	tcase_add_test(tc, test_fp_depth_zero_commits);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	suite_add_tcase(suite, tc);

	tc = tcase_create("schedule");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_test(tc, test_global_fifo_order);
	tcase_add_test(tc, test_preempted_goes_to_front);
	tcase_add_test(tc, test_not_found_retried);
	tcase_add_test(tc, test_no_slice_by_default);
	tcase_add_test(tc, test_bad_options_refused);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	suite_add_tcase(suite, tc);

	tc = tcase_create("slice");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_slice_preempts_to_back);
	tcase_add_test(tc, test_no_slice_when_nobody_waits);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(cfifo_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
