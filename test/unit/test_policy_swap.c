// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: hot swap between policies, as ghost-agent does it, over the
 * kernel model of sim.h.  Policies with the same state format hand their
 * threads over (export/import); others rediscover them from TASK_NEW.
 * Either way no thread is lost, and a centralized policy moves a thread
 * off its global CPU rather than leave it there.  With dispatch lists
 * ("fast_path"), entries the old policy listed may still run after the
 * swap: the new one adopts them, learns from TASK_LATCHED, and never
 * decides a listed thread a second time.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sim.h"
#include "plugins/plugin.h"

#ifndef GHOST_TEST_PLUGIN_DIR
#define GHOST_TEST_PLUGIN_DIR "build/test/unit/plugins"
#endif

static struct sim s;

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
	sim_fini(&s);
}

/*
 * Every thread that is not gone must get a CPU eventually: wake the
 * blocked ones, then keep blocking whatever runs.
 */
static void check_none_lost(void)
{
	int ran[SIM_MAX_THREADS] = { 0 };
	int i, cpu, k, t;

	for (i = 0; i < s.nr_threads; i++) {
		if (s.t[i].state == SIM_BLOCKED)
			sim_wakeup(&s, i);
	}
	for (k = 0; k < 4 * SIM_MAX_THREADS; k++) {
		sim_settle(&s, 10);
		for (cpu = 0; cpu < SIM_MAX_CPUS; cpu++) {
			t = sim_running(&s, cpu);
			if (t >= 0) {
				ran[t] = 1;
				sim_block(&s, t);
			}
		}
	}
	for (i = 0; i < s.nr_threads; i++) {
		if (s.t[i].state != SIM_GONE)
			ck_assert_msg(ran[i], "thread %d never ran again", i);
	}
}

START_TEST(test_per_cpu_to_centralized_hands_over)
{
	int i, t[6], idle_commit = 0, n;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 4, -1, NULL), 0);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 0), t[0]);

	ck_assert_int_eq(sim_swap(&s, "fifo_centralized", NULL), 1);
	ck_assert_int_eq(s.ctx.global_cpu, 0);
	n = s.nr_log;
	sim_settle(&s, 10);
	/* The thread on the new global CPU is sent away, others stay. */
	for (i = n; i < s.nr_log; i++)
		idle_commit += s.log[i].cpu == 0 && !s.log[i].gtid;
	ck_assert_int_eq(idle_commit, 1);
	ck_assert_int_eq(sim_running(&s, 0), -1);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i]);
	/* The preempted t[0] is first in line. */
	sim_block(&s, t[2]);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[0]);
	check_none_lost();
}
END_TEST

START_TEST(test_centralized_to_per_cpu_hands_over)
{
	int i, t[6];

	ck_assert_int_eq(sim_init(&s, "fifo_centralized", 4, 0, NULL), 0);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 1);
	sim_settle(&s, 10);
	/* Running threads keep their CPUs; CPU 0 gets work again. */
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i - 1]);
	ck_assert_int_ge(sim_running(&s, 0), 0);
	check_none_lost();
}
END_TEST

START_TEST(test_same_policy_swap)
{
	int i, before[4];

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 4, -1, NULL), 0);
	for (i = 0; i < 10; i++)
		sim_new(&s, i % 2);
	sim_settle(&s, 10);
	for (i = 0; i < 4; i++)
		before[i] = sim_running(&s, i);
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 1);
	sim_settle(&s, 10);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), before[i]);
	check_none_lost();
}
END_TEST

/* No common state format: the new policy learns every thread again. */
START_TEST(test_incompatible_rediscovers)
{
	int i, live = 0;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 2, -1, NULL), 0);
	for (i = 0; i < 7; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_exit(&s, 3);
	for (i = 0; i < s.nr_threads; i++)
		live += s.t[i].state != SIM_GONE;
	ck_assert_int_eq(sim_swap(&s, GHOST_TEST_PLUGIN_DIR "/good.so", NULL),
			 0);
	sim_drain(&s);
	ck_assert_int_eq(counts(&s.ctx)->task_new, live);
	ck_assert_int_eq(counts(&s.ctx)->dead, 0);
}
END_TEST

/* Swaps back and forth in a stream of events lose nobody. */
START_TEST(test_swaps_in_stream)
{
	static const char *const slice[] = { "slice_us=300", NULL };
	int i, k, t;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 4, -1, NULL), 0);
	/* Half the runs read LATCHED before the leaver's message. */
	s.latched_first = _i % 2;
	for (i = 0; i < 24; i++)
		sim_new(&s, i % 2);
	srand(_i + 11);
	for (k = 0; k < 2000; k++) {
		t = rand() % s.nr_threads;
		if (s.t[t].state == SIM_BLOCKED)
			sim_wakeup(&s, t);
		else if (s.t[t].state == SIM_RUNNING)
			rand() % 2 ? sim_block(&s, t) : sim_yield(&s, t);
		s.now += (rand() % 200) * 1000ULL;
		if (rand() % 3 == 0)
			sim_round(&s);
		if (k % 250 == 249)
			sim_swap(&s, s.ops->model == GHOST_POLICY_PER_CPU ?
				 "fifo_centralized" : "fifo_per_cpu",
				 s.ops->model == GHOST_POLICY_PER_CPU ?
				 slice : NULL);
	}
	check_none_lost();
}
END_TEST

/* The new instance takes the old one's entries as its own. */
START_TEST(test_fp_same_policy_adopts_entries)
{
	int i, before[2], listed[2];

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 2, -1, NULL), 0);
	for (i = 0; i < 8; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	for (i = 0; i < 2; i++) {
		before[i] = sim_running(&s, i);
		listed[i] = sim_listed(&s, i);
		ck_assert_int_eq(listed[i], 3);
	}
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 1);
	sim_settle(&s, 10);
	/* Nothing listed twice, nothing committed. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(sim_running(&s, i), before[i]);
		ck_assert_int_eq(sim_listed(&s, i), listed[i]);
	}
	ck_assert_int_eq(s.nr_log, 0);
	/* The old entries run now, under the new policy. */
	sim_block(&s, before[0]);
	ck_assert_int_ge(sim_running(&s, 0), 0);
	sim_settle(&s, 10);
	check_none_lost();
}
END_TEST

/* Entries consumed between the old policy's last look and the hand-over. */
START_TEST(test_fp_latched_during_swap)
{
	int i, run;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 2, -1, NULL), 0);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	run = sim_running(&s, 1);
	ck_assert_int_eq(sim_swap(&s, "fifo_centralized", NULL), 1);
	/* The old CPU 1 list runs its next thread: LATCHED to the new one. */
	sim_block(&s, run);
	ck_assert_int_ge(sim_running(&s, 1), 0);
	sim_settle(&s, 10);
	check_none_lost();
}
END_TEST

/*
 * Threads the centralized policy listed stay promised to their CPUs:
 * they run there, under the per-CPU policy, and nobody is lost.
 */
START_TEST(test_fp_centralized_to_per_cpu)
{
	int i, t[6];

	ck_assert_int_eq(sim_init(&s, "fifo_centralized", 4, 0, NULL), 0);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_swap(&s, "fifo_per_cpu", NULL), 1);
	sim_settle(&s, 10);
	for (i = 1; i < 4; i++)
		ck_assert_int_eq(sim_running(&s, i), t[i - 1]);
	/* The next in line were listed on CPUs 1 and 2: they run there. */
	sim_block(&s, t[0]);
	ck_assert_int_eq(sim_running(&s, 1), t[3]);
	sim_block(&s, t[1]);
	ck_assert_int_eq(sim_running(&s, 2), t[4]);
	check_none_lost();
}
END_TEST

/* A hand-over by discovery drops the lists with the old decisions. */
START_TEST(test_fp_rediscover_drops_lists)
{
	int i;

	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 2, -1, NULL), 0);
	for (i = 0; i < 7; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_gt(sim_listed(&s, 0), 0);
	ck_assert_int_eq(sim_swap(&s, GHOST_TEST_PLUGIN_DIR "/good.so", NULL),
			 0);
	ck_assert_int_eq(sim_listed(&s, 0), 0);
	ck_assert_int_eq(sim_listed(&s, 1), 0);
	/* The good plugin asks for no fast path: the flags are off. */
	ck_assert_uint_eq(s.dl[0].flags, 0);
	ck_assert_uint_eq(s.dl[1].flags, 0);
}
END_TEST

static Suite *swap_suite(void)
{
	Suite *suite = suite_create("policy_swap");
	TCase *tc;

	tc = tcase_create("fast_path");
	tcase_add_checked_fixture(tc, fast_path, teardown);
	tcase_add_test(tc, test_fp_same_policy_adopts_entries);
	tcase_add_test(tc, test_fp_latched_during_swap);
	tcase_add_test(tc, test_fp_rediscover_drops_lists);
	tcase_add_test(tc, test_fp_centralized_to_per_cpu);
	tcase_add_test(tc, test_same_policy_swap);
	tcase_add_loop_test(tc, test_swaps_in_stream, 0, 10);
	suite_add_tcase(suite, tc);

	tc = tcase_create("hand_over");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_per_cpu_to_centralized_hands_over);
	tcase_add_test(tc, test_centralized_to_per_cpu_hands_over);
	tcase_add_test(tc, test_same_policy_swap);
	tcase_add_test(tc, test_incompatible_rediscovers);
	tcase_add_loop_test(tc, test_swaps_in_stream, 0, 5);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(swap_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
