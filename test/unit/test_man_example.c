// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the example policy of ghost_policy(3), extracted from the
 * page as it is printed (test/unit/man-example.sh) and built with the
 * tests' warnings, driven by the kernel model of sim.h.  The page says it
 * is one FIFO for the whole enclave in which each CPU that has nothing to
 * run takes the first waiting thread that may run on it: these tests hold
 * it to that, and to the rules the page gives every policy (barriers,
 * refused commits, hotplug, hot swap, unknown options).
 */
#include <errno.h>
#include <stdlib.h>

#include <check.h>

#include "sim.h"

#define EXAMPLE	GHOST_TEST_PLUGIN_DIR "/man_example.so"

static struct sim s;

static void start(int nr_cpus)
{
	ck_assert_int_eq(sim_init(&s, EXAMPLE, nr_cpus, -1, NULL), 0);
	ck_assert_int_eq(s.ops->model, GHOST_POLICY_PER_CPU);
}

static void teardown(void)
{
	ck_assert_int_eq(s.failed, 0);
	ck_assert_int_eq(s.double_decisions, 0);
	/* Nothing asked for or run on a CPU hotplug took away. */
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	sim_fini(&s);
}

START_TEST(test_loads_as_documented)
{
	start(2);
	ck_assert_str_eq(s.ops->name, "fifo_global");
	ck_assert_ptr_null(s.ops->state_format);
	ck_assert_uint_eq(s.ctx.dispatch_flags, 0);
}
END_TEST

START_TEST(test_unknown_option_refused)
{
	static const char *const opts[] = { "slice_us=10", NULL };

	ck_assert_int_eq(sim_init(&s, EXAMPLE, 2, -1, opts), -EINVAL);
	/* fini after a failed init, as sim_fini() calls it. */
	sim_fini(&s);
	start(1);
}
END_TEST

/* One queue: every idle CPU takes a thread in one round. */
START_TEST(test_every_cpu_takes_one)
{
	int i;

	start(4);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	ck_assert_int_eq(sim_round(&s), 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), i);
	/* The first CPU that frees up takes the head of the line. */
	sim_block(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), 4);
	sim_block(&s, 0);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), 5);
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
	/* A yield goes to the back of the line. */
	sim_yield(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
	sim_block(&s, b);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), c);
	sim_block(&s, c);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	/* So does a wakeup. */
	sim_wakeup(&s, b);
	sim_wakeup(&s, c);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
}
END_TEST

START_TEST(test_preempted_goes_to_front)
{
	int a, b;

	start(1);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_preempt(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), b);
}
END_TEST

static int victim;

/* Between the decision and the commit, the thread changes state. */
static void bump(struct sim *x)
{
	sim_block(x, victim);
	sim_wakeup(x, victim);
	x->before_commit = NULL;
}

/* A refused commit puts the thread back; its new barrier wins. */
START_TEST(test_stale_barrier_retried)
{
	start(1);
	victim = sim_new(&s, 1);
	s.before_commit = bump;
	sim_round(&s);
	ck_assert_int_eq(s.log[0].state, GHOST_TXN_TARGET_STALE);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), victim);
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

START_TEST(test_everything_runs)
{
	int i;

	start(4);
	for (i = 0; i < 24; i++)
		sim_new(&s, i % 3 != 0);
	ck_assert_int_eq(sim_run_all(&s, 6, NULL), 0);
}
END_TEST

START_TEST(test_hotplug)
{
	unsigned int ran_on[SIM_MAX_THREADS] = { 0 };
	int i, used = 0;

	start(4);
	for (i = 0; i < 8; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 2);
	ck_assert_int_eq(sim_run_all(&s, 4, NULL), 0);
	/* Back: it is given threads again. */
	sim_cpu_online(&s, 2);
	for (i = 0; i < 8; i++)
		sim_new(&s, 1);
	ck_assert_int_eq(sim_run_all(&s, 4, ran_on), 0);
	for (i = 0; i < s.nr_threads; i++)
		used |= ran_on[i];
	ck_assert_uint_ne(used & (1U << 2), 0);
}
END_TEST

/* No state format: a swap either way rediscovers, and nothing is lost. */
START_TEST(test_hot_swap)
{
	int i;

	start(3);
	for (i = 0; i < 9; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 0);
	ck_assert_int_eq(sim_run_all(&s, 2, NULL), 0);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_swap(&s, EXAMPLE, NULL), 0);
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

static Suite *example_suite(void)
{
	Suite *suite = suite_create("man_example");
	TCase *tc = tcase_create("fifo_global");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_loads_as_documented);
	tcase_add_test(tc, test_unknown_option_refused);
	tcase_add_test(tc, test_every_cpu_takes_one);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_preempted_goes_to_front);
	tcase_add_test(tc, test_stale_barrier_retried);
	tcase_add_test(tc, test_dead_threads_forgotten);
	tcase_add_test(tc, test_everything_runs);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_hot_swap);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(example_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
