// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the fifo_centralized policy driven by the kernel model of
 * sim.h.  One global FIFO over every CPU but the global one (which never
 * gets a thread), preempted threads first, and with slice_us a thread
 * that used its slice while others wait goes to the back of the line.
 * "schedule" and "slice" model a module without dispatch lists;
 * "fast_path" one whose lists the policy feeds instead of committing.
 * A CPU that hotplug takes away is given nothing until it is back; its
 * thread rejoins the line at the front.
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
	/* Nothing asked for or run on a CPU hotplug took away. */
	ck_assert_int_eq(s.offline_asks, 0);
	ck_assert_int_eq(s.offline_runs, 0);
	/* The agent's CPU has no list of its own. */
	ck_assert_uint_eq(s.dl[GLOBAL].flags, 0);
	ck_assert_uint_eq(s.dl[GLOBAL].tail, 0);
	sim_fini(&s);
}

static void advance_us(unsigned int us)
{
	s.now += us * 1000ULL;
}

/*
 * The threads of @cpu's list that may still run from it, in order, into
 * @out (at most @max); returns how many.
 */
static int valid_entries(int cpu, int *out, int max)
{
	const struct ghost_dispatch_list *dl = &s.dl[cpu];
	const struct ghost_dispatch_entry *ent;
	int i, n = 0;
	__u32 k;

	for (k = dl->head; k != dl->tail && n < max; k++) {
		ent = &dl->ent[k % GHOST_DISPATCH_SLOTS];
		for (i = 0; i < s.nr_threads; i++) {
			if (s.t[i].gtid == ent->gtid &&
			    s.t[i].barrier == ent->barrier &&
			    s.t[i].state == SIM_RUNNABLE)
				out[n++] = i;
		}
	}
	return n;
}

/* @cpu's list holds exactly @n threads that may run: @a, then @b... */
static void lists_in_order(int cpu, int n, int a, int b, int c)
{
	int want[3] = { a, b, c }, got[SIM_MAX_THREADS], i;

	ck_assert_int_eq(valid_entries(cpu, got, SIM_MAX_THREADS), n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(got[i], want[i]);
}

/*
 * While threads wait, every CPU's list says IDLE_WAKE (the agent may
 * sleep while every CPU is taken); once none waits, none does (a CPU
 * going idle then is no news).  With a time slice never: the agent
 * checks it on every iteration.
 */
START_TEST(test_fp_idle_wake_while_threads_wait)
{
	static const char *const slice[] = { "slice_us=1000", NULL };
	int i, t[5];

	start(3, _i ? slice : NULL);
	for (i = 0; i < 5; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	for (i = 1; i < 3; i++)
		ck_assert_uint_eq(s.dl[i].flags, s.ctx.dispatch_flags |
				  (_i ? 0 : GHOST_DL_F_IDLE_WAKE));
	for (i = 0; i < 5; i++)
		sim_exit(&s, t[i]);
	sim_settle(&s, 10);
	for (i = 1; i < 3; i++)
		ck_assert_uint_eq(s.dl[i].flags, s.ctx.dispatch_flags);
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
	static const char *const affinity[] = { "affinity=256", NULL };
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
	ck_assert_int_ne(sim_init(&x, "fifo_centralized", 2, GLOBAL, affinity),
			 0);
	ck_assert_ptr_nonnull(strstr(x.last_log, "affinity must be"));
	ghost_policy_close(&x.lib);
	free(x.ring_mem);
	start(2, NULL);
}

/* The lists say how often a thread may be passed over: never, or affinity=N. */
START_TEST(test_affinity_in_list_flags)
{
	static const char *const a0[] = { "affinity=0", NULL };
	static const char *const a9[] = { "affinity=9", NULL };
	const char *const *opts[] = { NULL, a0, a9 };
	const __u32 want[] = { 0, 0, GHOST_DL_AFFINE(9) };

	start(3, opts[_i]);
	sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_uint_eq(s.ctx.dispatch_flags & GHOST_DL_AFFINE_MASK, want[_i]);
	ck_assert_uint_eq(s.dl[1].flags & GHOST_DL_AFFINE_MASK, want[_i]);
}
END_TEST

/*
 * One random event: a blocked thread wakes, a running one yields (one in
 * three) or else blocks (one in @block_one_in); one in @exit_one_in (0:
 * never) exits.  Then time passes.
 */
static void stream_event(int block_one_in, int exit_one_in)
{
	int t = rand() % s.nr_threads;

	switch (s.t[t].state) {
	case SIM_BLOCKED:
		sim_wakeup(&s, t);
		break;
	case SIM_RUNNING:
		if (rand() % 3 == 0)
			sim_yield(&s, t);
		else if (rand() % block_one_in == 0)
			sim_block(&s, t);
		break;
	default:
		break;
	}
	if (exit_one_in && rand() % exit_one_in == 0 &&
	    s.t[t].state != SIM_GONE)
		sim_exit(&s, t);
	advance_us(rand() % 300);
}

/* If one of CPUs 1-3 idles, no thread waits, listed or not. */
static void assert_no_cpu_idles_while_one_waits(void)
{
	int i, t;

	for (i = 1; i < 4 && sim_running(&s, i) >= 0; i++)
		;
	for (t = 0; i < 4 && t < s.nr_threads; t++)
		ck_assert_int_ne(s.t[t].state, SIM_RUNNABLE);
}

/*
 * Random events without a slice, the lists four deep: no CPU idles while
 * a thread waits, and the CPUs take the waiting threads in line order
 * (each list is the line's front).
 */
START_TEST(test_fp_stream_work_conserving)
{
	int i, k, got[SIM_MAX_THREADS], n, m, other[SIM_MAX_THREADS];

	start(4, NULL);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 11);
	for (k = 0; k < 3000; k++) {
		stream_event(1, 0);
		sim_round(&s);
		/* Every list starts with the same threads, in one order. */
		n = valid_entries(1, got, SIM_MAX_THREADS);
		m = valid_entries(2, other, SIM_MAX_THREADS);
		for (i = 0; i < n && i < m; i++)
			ck_assert_int_eq(got[i], other[i]);
		assert_no_cpu_idles_while_one_waits();
	}
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/*
 * The same with affinity=2: CPUs run their own threads first, still
 * without idling while a thread waits, and pass none over more than
 * twice.
 */
START_TEST(test_fp_stream_affinity)
{
	static const char *const opts[] = { "affinity=2", NULL };
	int i, k, t;
	__u32 most = 0;

	start(4, opts);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 13);
	for (k = 0; k < 3000; k++) {
		stream_event(1, 0);
		sim_round(&s);
		assert_no_cpu_idles_while_one_waits();
		for (t = 0; t < s.nr_threads; t++) {
			ck_assert_uint_le(s.t[t].passed, 2);
			if (s.t[t].passed > most)
				most = s.t[t].passed;
		}
	}
	/* It did pass threads over. */
	ck_assert_uint_gt(most, 0);
	ck_assert_int_eq(s.nr_log, 0);
}
END_TEST

/* Random events with a slice: the invariants of a global FIFO hold. */
START_TEST(test_stream)
{
	static const char *const opts[] = { "slice_us=500", NULL };
	int i, k, idle;

	start(4, opts);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 7);
	for (k = 0; k < 3000; k++) {
		stream_event(5, 40);
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
	/* Both lists hold the whole line, in its order. */
	lists_in_order(1, 3, t[2], t[3], t[4]);
	lists_in_order(2, 3, t[2], t[3], t[4]);
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

/*
 * A new thread that starts on a free CPU runs there at once (RUN_NEW):
 * the policy takes it as that CPU's thread and lists the next one there
 * behind it; one that starts on a taken CPU gets a free one from the
 * agent.  No commit.
 */
START_TEST(test_fp_run_new)
{
	int a, b, c;

	start(3, NULL);
	sim_settle(&s, 10);
	ck_assert_uint_ne(s.dl[1].flags & GHOST_DL_F_RUN_NEW, 0);
	a = sim_new_on(&s, 1);
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(s.nr_run_new, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	ck_assert_int_eq(sim_listed(&s, 1), 0);
	b = sim_new_on(&s, 1);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), b);
	c = sim_new_on(&s, 2);
	ck_assert_int_eq(s.nr_run_new, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_is_listed(&s, c), 1);
	sim_block(&s, sim_listed(&s, 1) ? a : b);
	ck_assert_int_ge(sim_cpu_of(&s, c), 1);
	ck_assert_int_eq(s.nr_log, 0);
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

static unsigned int ran_on[SIM_MAX_THREADS];

/* Every thread left finished its @work, none on CPU @off nor the global one. */
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
		ck_assert(!(ran_on[i] & (1u << GLOBAL)));
		if (off >= 0)
			ck_assert_msg(!(ran_on[i] & (1u << off)),
				      "thread %d ran on CPU %d offline", i,
				      off);
	}
}

/*
 * CPU 2 goes offline: its thread is preempted and, first in line, takes
 * the next CPU that frees up; the line is served by CPUs 1 and 3 alone.
 */
START_TEST(test_hotplug_offline_serves_line_elsewhere)
{
	int t[9], i, n;

	start(4, NULL);
	for (i = 0; i < 9; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_cpu_offline(&s, 2);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNABLE);
	ck_assert_int_eq(sim_listed(&s, 2), 0);
	n = s.nr_log;
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(sim_running(&s, 1), t[0]);
	ck_assert_int_eq(sim_running(&s, 3), t[2]);
	/* Without lists nothing else is promised: t[1] comes first. */
	if (!sim_lists) {
		sim_block(&s, t[0]);
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_running(&s, 1), t[1]);
	}
	check_all_finish(3, 2);
	ck_assert(ran_on[t[1]] & (1u << 1 | 1u << 3));
	for (i = n; i < s.nr_log; i++)
		ck_assert_int_ne(s.log[i].cpu, 2);
	ck_assert_int_eq(s.nr_unavail, 0);
}
END_TEST

/*
 * Back online, a CPU serves the line again: it takes its old thread (with
 * lists too: every list holds the front of the line) and a new one.
 */
START_TEST(test_hotplug_online_serves_again)
{
	int t[3], u, i;

	start(4, NULL);
	for (i = 0; i < 3; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	/* CPUs 1 and 3 are busy: t[1] waits rather than go to CPU 2. */
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(s.t[t[1]].state, SIM_RUNNABLE);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), t[1]);
	sim_block(&s, t[1]);
	sim_settle(&s, 10);
	u = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), u);
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

	start(3, NULL);
	a = sim_new(&s, 1);
	b = sim_new(&s, 1);
	hp_cpu = 2;
	s.before_commit = offline_hp_cpu;
	sim_round(&s);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	ck_assert_int_eq(s.nr_unavail, sim_lists ? 0 : 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), a);
	sim_block(&s, a);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), b);
	check_all_finish(2, 2);
}
END_TEST

/* A slice rotates the line over the CPUs left, never the one offline. */
START_TEST(test_hotplug_slice)
{
	static const char *const opts[] = { "slice_us=1000", NULL };
	int t[4], i, k;

	start(3, opts);
	for (i = 0; i < 4; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	for (k = 0; k < 8; k++) {
		advance_us(1100);
		sim_settle(&s, 10);
		ck_assert_int_eq(sim_running(&s, 2), -1);
		ck_assert_int_ge(sim_running(&s, 1), 0);
	}
	check_all_finish(2, 2);
	for (i = 0; i < 4; i++)
		ck_assert(ran_on[t[i]] & (1u << 1));
}
END_TEST

/*
 * A swap while a CPU is offline: the new policy is told at its start and
 * gives that CPU nothing until it is back.  _i: 0 hands state over, 1
 * rediscovers the threads.
 */
START_TEST(test_hotplug_swap_while_offline)
{
	int t[6], i, ret, n;

	start(4, NULL);
	for (i = 0; i < 6; i++)
		t[i] = sim_new(&s, 1);
	sim_settle(&s, 10);
	sim_block(&s, t[1]);	/* on CPU 2 */
	sim_settle(&s, 10);
	sim_cpu_offline(&s, 2);
	sim_settle(&s, 10);
	if (_i)
		ret = sim_swap_rediscover(&s, "fifo_centralized", NULL);
	else
		ret = sim_swap(&s, "fifo_centralized", NULL);
	ck_assert_int_eq(ret, !_i);
	sim_wakeup(&s, t[1]);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 2), -1);
	check_all_finish(1, 2);
	sim_cpu_online(&s, 2);
	sim_settle(&s, 10);
	n = sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_eq(sim_running(&s, 1), n);
	for (i = 0; i < 6; i++)
		sim_new(&s, 1);
	sim_settle(&s, 10);
	ck_assert_int_ge(sim_running(&s, 2), 0);
	check_all_finish(2, -1);
}
END_TEST

/*
 * Random events with a slice while CPUs go and come back (one at least
 * stays), with an occasional swap: no thread is lost, nothing runs where
 * it may not, and every commit finds its CPU.
 */
START_TEST(test_hotplug_stream)
{
	static const char *const opts[] = { "slice_us=500", NULL };
	int i, k, cpu, up = 3, swaps = 0;

	start(4, opts);
	for (i = 0; i < 30; i++)
		sim_new(&s, i % 3 != 0);
	srand(_i + 107);
	for (k = 0; k < 3000; k++) {
		stream_event(5, 0);
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
		if (k % 700 == 699)
			(swaps++ % 2 ? sim_swap_rediscover : sim_swap)
				(&s, "fifo_centralized", opts);
		if (k % 2 == 0)
			sim_round(&s);
		for (cpu = 1; cpu < 4; cpu++) {
			if (s.offline[cpu])
				ck_assert_int_eq(sim_running(&s, cpu), -1);
		}
	}
	sim_settle(&s, 20);
	for (i = 0; i < s.nr_log; i++) {
		ck_assert_int_ne(s.log[i].cpu, GLOBAL);
		ck_assert_msg(s.log[i].state == GHOST_TXN_COMPLETE ||
			      s.log[i].state == GHOST_TXN_TARGET_STALE,
			      "commit %d: %s", i,
			      ghost_txn_state_name(s.log[i].state));
	}
	ck_assert_int_eq(sim_run_all(&s, 3, NULL), 0);
}
END_TEST

/*
 * The describe op: the one global line and each thread's place in it,
 * where the running ones run, and the barrier the policy saw.
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

static Suite *cfifo_suite(void)
{
	Suite *suite = suite_create("fifo_centralized");
	TCase *tc;

	tc = tcase_create("fast_path");
	tcase_add_checked_fixture(tc, fast_path, teardown);
	tcase_add_loop_test(tc, test_affinity_in_list_flags, 0, 3);
	tcase_add_test(tc, test_fp_idle_cpus_fed_by_lists);
	tcase_add_test(tc, test_fp_run_on_wake);
	tcase_add_test(tc, test_fp_run_new);
	tcase_add_loop_test(tc, test_fp_idle_wake_while_threads_wait, 0, 2);
	tcase_add_test(tc, test_fp_slice_commits_unlisted);
	tcase_add_loop_test(tc, test_fp_stream_work_conserving, 0, 5);
	tcase_add_loop_test(tc, test_fp_stream_affinity, 0, 5);
	tcase_add_test(tc, test_fp_depth_zero_commits);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	tcase_add_test(tc, test_hotplug_offline_serves_line_elsewhere);
	tcase_add_test(tc, test_hotplug_online_serves_again);
	tcase_add_test(tc, test_hotplug_races_commit);
	tcase_add_loop_test(tc, test_hotplug_swap_while_offline, 0, 2);
	tcase_add_loop_test(tc, test_hotplug_stream, 0, 5);
	tcase_add_test(tc, test_hotplug_slice);
	suite_add_tcase(suite, tc);

	tc = tcase_create("schedule");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_never_on_global_cpu);
	tcase_add_test(tc, test_global_fifo_order);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_preempted_goes_to_front);
	tcase_add_test(tc, test_not_found_retried);
	tcase_add_test(tc, test_no_slice_by_default);
	tcase_add_test(tc, test_bad_options_refused);
	tcase_add_loop_test(tc, test_stream, 0, 5);
	tcase_add_test(tc, test_hotplug_offline_serves_line_elsewhere);
	tcase_add_test(tc, test_hotplug_online_serves_again);
	tcase_add_test(tc, test_hotplug_races_commit);
	tcase_add_loop_test(tc, test_hotplug_swap_while_offline, 0, 2);
	tcase_add_loop_test(tc, test_hotplug_stream, 0, 5);
	suite_add_tcase(suite, tc);

	tc = tcase_create("slice");
	tcase_add_checked_fixture(tc, commits_only, teardown);
	tcase_add_test(tc, test_slice_preempts_to_back);
	tcase_add_test(tc, test_no_slice_when_nobody_waits);
	tcase_add_test(tc, test_hotplug_slice);
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
