// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the shinjuku policy driven by the kernel model of sim.h,
 * with hints set by sim_set_hint().  One FIFO per QoS class, higher
 * classes first, every idle CPU filled in one round; a thread that used
 * its slice while one of its class or higher waits goes to the tail of
 * its class; a thread whose hint says IDLE is left off CPUs (once it
 * blocks, or at once if another thread waits); threads
 * without hints are class 0, runnable as the kernel says.  Hotplug, and
 * hot swaps to and from fifo_centralized, keep every thread.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"

#define GLOBAL	0

static struct sim s;

static void start(int nr_cpus, const char *const opts[])
{
	ck_assert_int_eq(sim_init(&s, "shinjuku", nr_cpus, GLOBAL, opts), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_CENTRALIZED);
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

static void advance_us(unsigned int us)
{
	s.now += us * 1000ULL;
}

/* A blocked thread with a hint, then woken: it queues in its class. */
static int new_with(__u32 qos, __u32 flags)
{
	int i = sim_new(&s, 0);

	sim_set_hint(&s, i, qos, flags);
	sim_wakeup(&s, i);
	return i;
}

/* Every thread finishes @work slices; none is left behind. */
static void check_all_finish(int work)
{
	ck_assert_int_eq(sim_run_all(&s, work, NULL), 0);
}

/* All idle CPUs get a thread in the same round, never the global one. */
START_TEST(test_group_commit)
{
	int i, n;

	start(5, NULL);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	n = sim_round(&s);
	ck_assert_int_eq(n, 4);
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_uint_eq(s.log[i].round, s.log[0].round);
	}
	for (i = 1; i < 5; i++)
		ck_assert_int_eq(sim_running(&s, i), i - 1);
	check_all_finish(3);
}
END_TEST

/* Higher classes first; FIFO within a class. */
START_TEST(test_qos_order)
{
	int a, b, c, d, e;

	start(2, NULL);		/* CPU 1 runs threads */
	e = new_with(0, 0);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), e);
	a = new_with(0, GHOST_HINT_F_RUNNABLE);
	b = new_with(2, GHOST_HINT_F_RUNNABLE);
	c = new_with(2, 0);
	d = new_with(5, GHOST_HINT_F_RUNNABLE);
	sim_settle(&s, 10);
	sim_block(&s, e);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), d);
	sim_block(&s, d);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

/* A waiting thread whose class changes follows its hint. */
START_TEST(test_qos_change_while_waiting)
{
	int a, b, c;

	start(2, NULL);
	a = new_with(0, 0);
	sim_settle(&s, 10);
	b = new_with(0, 0);
	c = new_with(0, 0);
	sim_settle(&s, 10);
	sim_set_hint(&s, c, 4, 0);
	sim_settle(&s, 10);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	(void)b;
}
END_TEST

START_TEST(test_slice_preempts_to_tail_of_class)
{
	static const char *const opts[] = { "slice_us=100", NULL };
	int a, b, c, n;

	start(2, opts);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(60);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(s.nr_log, n);
	advance_us(60);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	advance_us(110);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), c);
	/* a went to the tail: after c, before b. */
	advance_us(110);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(110);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/* Only a thread of the same class or higher takes a slice's end. */
START_TEST(test_slice_spares_higher_class)
{
	static const char *const opts[] = { "slice_us=100", NULL };
	int a, b, n, k;

	start(2, opts);
	a = new_with(3, 0);
	sim_settle(&s, 10);
	b = new_with(1, 0);
	sim_settle(&s, 10);
	n = s.nr_log;
	for (k = 0; k < 10; k++) {
		advance_us(500);
		sim_round(&s);
	}
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 1), a);
	/* Nobody waiting: no preemption either. */
	sim_exit(&s, b);
	for (k = 0; k < 10; k++) {
		advance_us(500);
		sim_round(&s);
	}
	ck_assert_int_eq(s.nr_log, n);
	ck_assert_int_eq(sim_running(&s, 1), a);
}
END_TEST

START_TEST(test_default_slice)
{
	int a, b;

	start(2, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(49);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	advance_us(2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
}
END_TEST

/* IDLE: not run though the kernel has it runnable; taken off its CPU. */
START_TEST(test_idle_hint)
{
	int a, b;

	start(2, NULL);
	a = new_with(0, GHOST_HINT_F_IDLE);
	sim_settle(&s, 10);
	ck_assert_int_eq(s.t[a].state, SIM_RUNNABLE);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	sim_set_hint(&s, a, 0, GHOST_HINT_F_RUNNABLE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);

	/* Turned idle while running, another waiting: replaced. */
	b = new_with(0, 0);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_set_hint(&s, a, 0, GHOST_HINT_F_IDLE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);

	/* Nobody else waits: it keeps its CPU until it blocks. */
	sim_set_hint(&s, b, 0, GHOST_HINT_F_IDLE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_block(&s, b);
	sim_wakeup(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), -1);
	ck_assert_int_eq(s.t[b].state, SIM_RUNNABLE);

	/* Runnable again: it runs again, without any kernel event. */
	sim_clear_hint(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	sim_clear_hint(&s, a);
	check_all_finish(2);
}
END_TEST

/*
 * A thread preempted in the middle of rewriting its hint keeps its class:
 * demoted to class 0 it would wait behind every thread of its own class,
 * and so would everyone waiting for its write to end.
 */
START_TEST(test_hint_being_rewritten_keeps_class)
{
	static const char *const opts[] = { "slice_us=100", NULL };
	int a, b, c, k;

	start(2, opts);
	a = new_with(1, GHOST_HINT_F_RUNNABLE);
	sim_settle(&s, 10);
	b = new_with(1, GHOST_HINT_F_RUNNABLE);
	c = new_with(1, GHOST_HINT_F_RUNNABLE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	/* a's slice ends while it writes its hint: to the tail of class 1. */
	sim_busy_hint(&s, a);
	advance_us(110);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	/* It runs again in its turn, its write unfinished. */
	for (k = 0; k < 2; k++) {
		advance_us(110);
		sim_settle(&s, 10);
	}
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_set_hint(&s, a, 1, GHOST_HINT_F_RUNNABLE);
	(void)c;
}
END_TEST

/* No thread publishes anything: a plain FIFO with a slice. */
START_TEST(test_no_hints)
{
	int t[6], i;

	start(3, NULL);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[0]);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[2]);
	/* It did ask. */
	ck_assert_int_gt(s.nr_hint_reads, 0);
	check_all_finish(5);
}
END_TEST

START_TEST(test_hotplug)
{
	int t[6], i, n;

	start(4, NULL);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_cpu_offline(&s, 2);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	/* t[1] was preempted by the kernel: head of its class. */
	sim_block(&s, t[0]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), t[1]);
	for (i = n; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].cpu, 2);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, 2), 0);
	sim_wakeup(&s, t[0]);
	check_all_finish(3);
}
END_TEST

/* A commit that fails is tried again; a thread that dies is forgotten. */
START_TEST(test_commit_failures_and_deaths)
{
	int a, b, c;

	start(3, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	c = sim_new(&s, 1);
	s.t[a].hidden = 2;
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, a), 1);
	ck_assert(sim_cpu_of(&s, b) >= 1 || sim_cpu_of(&s, c) >= 1);
	/* Dead while running and while waiting: the others go on. */
	sim_exit(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_cpu_of(&s, b), 1);
	ck_assert_int_ge(sim_cpu_of(&s, c), 1);
	a = sim_new(&s, 1);
	sim_exit(&s, a);
	check_all_finish(2);
}
END_TEST

/* To fifo_centralized and back, by state and by rediscovery. */
START_TEST(test_swap)
{
	int i, k;

	start(4, NULL);
	for (i = 0; i < 10; i++)
		sim_new(&s, i % 3 != 0);
	sim_set_hint(&s, 1, 3, 0);
	sim_settle(&s, 10);
	for (k = 0; k < 4; k++) {
		if (_i)
			sim_swap_rediscover(&s, k % 2 ? "shinjuku" :
					    "fifo_centralized", NULL);
		else
			ck_assert_int_eq(sim_swap(&s, k % 2 ? "shinjuku" :
						  "fifo_centralized", NULL), 1);
		sim_settle(&s, 10);
		for (i = 0; i < s.nr_threads; i++) {
			if (s.t[i].state == SIM_RUNNABLE)
				break;
		}
		/* Work conserving right after the swap. */
		if (i < s.nr_threads)
			for (i = 1; i < 4; i++)
				ck_assert_int_ge(sim_running(&s, i), 0);
	}
	ck_assert_str_eq(s.ops->name, "shinjuku");
	check_all_finish(4);
}
END_TEST

START_TEST(test_bad_options_refused)
{
	static const char *const zero[] = { "slice_us=0", NULL };
	static const char *const bad[] = { "slice_us=5x", NULL };
	static const char *const big[] = { "slice_us=10000001", NULL };
	static const char *const unknown[] = { "dispatch_depth=1", NULL };
	const char *const *opts[] = { zero, bad, big, unknown };
	struct sim x;
	int i;

	for (i = 0; i < 4; i++) {
		ck_assert_int_ne(sim_init(&x, "shinjuku", 2, GLOBAL, opts[i]),
				 0);
		ck_assert_ptr_nonnull(strstr(x.last_log, i < 3 ?
					     "slice_us must be 1..10000000" :
					     "unknown option 'dispatch_depth=1'"));
		ghost_policy_close(&x.lib);
		free(x.ring_mem);
	}
	start(2, NULL);
}
END_TEST

/*
 * Random events and hints: commits only succeed or go stale, and no CPU
 * idles while a thread runnable for both the kernel and its hint waits.
 */
START_TEST(test_stream)
{
	static const char *const opts[] = { "slice_us=200", NULL };
	int i, k, t, idle;

	start(4, opts);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 11);
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
		if (rand() % 10 == 0)
			sim_set_hint(&s, t, rand() % 8, rand() % 4 == 0 ?
				     GHOST_HINT_F_IDLE : 0);
		if (rand() % 60 == 0 && s.t[t].state != SIM_GONE)
			sim_exit(&s, t);
		if (rand() % 500 == 0 && !s.offline[3])
			sim_cpu_offline(&s, 3);
		if (rand() % 100 == 0 && s.offline[3])
			sim_cpu_online(&s, 3);
		advance_us(rand() % 150);
		if (k % 2 == 0)
			sim_round(&s);
	}
	if (s.offline[3])
		sim_cpu_online(&s, 3);
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	}
	idle = 0;
	for (i = 1; i < 4; i++)
		idle += sim_running(&s, i) < 0;
	for (i = 0; idle && i < s.nr_threads; i++) {
		if (s.t[i].state == SIM_RUNNABLE)
			ck_assert(s.has_hint[i] &&
				  s.hint[i].flags == GHOST_HINT_F_IDLE);
	}
	for (i = 0; i < s.nr_threads; i++)
		sim_clear_hint(&s, i);
	check_all_finish(3);
}
END_TEST

/*
 * The describe op: the line of its class a thread waits in and its place
 * there, its class, and how long it has run in its slice.
 */
START_TEST(test_describe)
{
	int e, a, b, c;

	start(2, NULL);		/* CPU 1 runs threads */
	e = new_with(0, 0);
	sim_settle(&s, 10);
	a = new_with(2, GHOST_HINT_F_RUNNABLE);
	b = new_with(2, GHOST_HINT_F_RUNNABLE);
	c = new_with(5, GHOST_HINT_F_RUNNABLE);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, e), "state=oncpu barrier=2 cpu=1 qos=0 ran_us=0");
	ck_assert_str_eq(sim_describe(&s, a), "state=queued barrier=2 queue=qos2 pos=0 qos=2");
	ck_assert_str_eq(sim_describe(&s, b), "state=queued barrier=2 queue=qos2 pos=1 qos=2");
	ck_assert_str_eq(sim_describe(&s, c), "state=queued barrier=2 queue=qos5 pos=0 qos=5");
	s.now += 30000;
	ck_assert_str_eq(sim_describe(&s, e), "state=oncpu barrier=2 cpu=1 qos=0 ran_us=30");
	sim_block(&s, e);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, e), "state=blocked barrier=3 qos=0");
	ck_assert_int_eq(sim_running(&s, 1), c);
	ck_assert_str_eq(sim_describe(&s, b), "state=queued barrier=2 queue=qos2 pos=1 qos=2");
	sim_exit(&s, e);
	sim_settle(&s, 10);
	ck_assert_str_eq(sim_describe(&s, e), "ENOENT");
}
END_TEST

static Suite *shinjuku_suite(void)
{
	Suite *suite = suite_create("shinjuku");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_qos_order);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_qos_change_while_waiting);
	tcase_add_test(tc, test_slice_preempts_to_tail_of_class);
	tcase_add_test(tc, test_slice_spares_higher_class);
	tcase_add_test(tc, test_default_slice);
	tcase_add_test(tc, test_idle_hint);
	tcase_add_test(tc, test_hint_being_rewritten_keeps_class);
	tcase_add_test(tc, test_no_hints);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_commit_failures_and_deaths);
	tcase_add_loop_test(tc, test_swap, 0, 2);
	tcase_add_test(tc, test_bad_options_refused);
	tcase_add_loop_test(tc, test_stream, 0, 4);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(shinjuku_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
