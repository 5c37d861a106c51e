// SPDX-License-Identifier: GPL-2.0
/*
 * The runnable watchdog: an agent that leaves a runnable thread unserved
 * for runnable_timeout ms loses its enclave, and the thread goes back to
 * CFS.  Served, blocked and parked-with-timeout-0 threads do not trip it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "ghost_test.h"

static int test_watchdog_destroys_enclave_ignoring_runnable_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	char name[16];
	uint64_t t0;
	int r, status;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	gt_klog_mark();
	if ((r = gt_efile_write(&e, "runnable_timeout", "500")))
		return gt_fail("runnable_timeout 500: %s", strerror(-r));
	snprintf(name, sizeof(name), "starved%d", getpid() % 100000);
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->nice = 3;
	t0 = gt_now_ns();
	if (!gt_start(&e, w, 1))
		return gt_fail("worker did not enter");
	/* The agent ignores it. */
	if (!gt_wait_for(!gt_enclave_exists(1), 10000))
		return gt_fail("enclave still there after 10 s");
	if (gt_now_ns() - t0 < 450000000ULL)
		return gt_fail("destroyed after %llu ms, before the timeout",
			       (unsigned long long)(gt_now_ns() - t0) / 1000000);
	if (!gt_wait_for(w->state == GT_W_RUNNING, 5000) ||
	    !gt_worker_progresses(w, 5000))
		return gt_fail("the starved thread does not run under CFS");
	errno = 0;
	if (getpriority(PRIO_PROCESS, w->tid) != 3 ||
	    gt_affinity_of(w->tid) != gt_all_cpus())
		return gt_fail("back with nice %d mask %#llx",
			       getpriority(PRIO_PROCESS, w->tid),
			       (unsigned long long)gt_affinity_of(w->tid));
	gt_worker_cmd(w, GT_CMD_EXIT);
	if (gt_proc_wait(w->pid, 5000, &status) || status)
		return gt_fail("the starved thread did not finish");
	if (!gt_klog_contains(name))
		return gt_fail("the kernel log does not name %s", name);
	return 0;
}

static int test_watchdog_off_when_timeout_zero(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if ((r = gt_efile_write(&e, "runnable_timeout", "0")))
		return gt_fail("runnable_timeout 0: %s", strerror(-r));
	if (!gt_start(&e, w, 0))
		return gt_fail("worker did not enter");
	gt_sleep_ms(1500);
	if (!gt_enclave_exists(1))
		return gt_fail("destroyed with the watchdog off");
	if (w->counter)
		return gt_fail("the unserved thread ran");
	return 0;
}

struct served {
	struct gt_worker *w;
	uint64_t until;
};

static int served_long_enough(struct gt_fifo *f, void *arg)
{
	struct served *s = arg;

	return gt_now_ns() > s->until || !gt_enclave_exists(1);
}

static int test_watchdog_spares_served_and_blocked_threads(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(4);
	struct served s = { w, 0 };
	struct gt_fifo f;
	uint64_t g;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if ((r = gt_efile_write(&e, "runnable_timeout", "500")))
		return gt_fail("runnable_timeout 500: %s", strerror(-r));
	/* One blocked for the whole time: not runnable, not starved. */
	if (!(g = gt_start(&e, &w[0], 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, g, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");
	/* More spinners than CPUs, shared by a round-robin agent. */
	gt_fifo_init(&f, &e, gt_all_cpus() & ~GT_CPU(gt_agent_cpu), 20, 64);
	for (int i = 1; i < 4; i++)
		if (gt_worker_thread(&w[i], &e) || gt_worker_entering(&w[i], 5000))
			return gt_fail("worker %d did not start", i);
	s.until = gt_now_ns() + 2000000000ULL;
	gt_fifo_run(&f, 5000, served_long_enough, &s);
	if (!gt_enclave_exists(1))
		return gt_fail("the watchdog fired although every thread was served");
	for (int i = 1; i < 4; i++)
		if (!w[i].counter)
			return gt_fail("worker %d never ran", i);
	return 0;
}

/* Runnable again and again, served at once each time. */
static void yield_loop(struct gt_worker *w)
{
	while (w->cmd != GT_CMD_EXIT) {
		w->counter++;
		sched_yield();
	}
}

/*
 * Threads that are runnable for microseconds, thousands of times: the
 * watchdog must not take a fresh runnable_since for a very old one.
 */
static int test_watchdog_spares_thread_runnable_for_an_instant(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(GT_MAX_CPUS);
	uint64_t g[GT_MAX_CPUS], set = 0, end;
	long rounds = 0;
	int r, n;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (n = 0; gt_cpu(n) >= 0; n++) {
		w[n].fn = yield_loop;
		if (!(g[n] = gt_start(&e, &w[n], 0)))
			return gt_fail("worker %d did not enter", n);
		set |= GT_CPU(gt_cpu(n));
	}
	for (end = gt_now_ns() + 10000000000ULL; gt_now_ns() < end; rounds++) {
		for (int i = 0; i < n; i++)
			gt_txn_set(&e, gt_cpu(i), g[i], gt_barrier(&e, g[i]), 0);
		r = gt_txn_commit(&e, set, NULL);
		for (int i = 0; i < n && !r; i++)
			if (gt_txn_state(&e, gt_cpu(i)) == GHOST_TXN_COMPLETE &&
			    gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w[i].tid, 5000,
					NULL))
				r = -ETIMEDOUT;
		if (r && !gt_enclave_exists(1))
			return gt_fail("enclave destroyed after %ld rounds of threads never runnable for 1 ms",
				       rounds);
		if (r)
			return gt_fail("round %ld: %s", rounds, strerror(-r));
		gt_log_clear(&e);
	}
	printf("%ld rounds\n", rounds);
	if (!gt_enclave_exists(1))
		return gt_fail("enclave destroyed");
	return 0;
}

static int test_runnable_timeout_bounds(void)
{
	struct gt_enclave e;
	char buf[32];
	int r;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	if (gt_efile_read(&e, "runnable_timeout", buf, sizeof(buf)) <= 0 ||
	    atoi(buf) != GHOST_RUNNABLE_TIMEOUT_DEFAULT_MS)
		return gt_fail("default runnable_timeout %s", buf);
	if ((r = gt_efile_write(&e, "runnable_timeout", "%d",
				GHOST_RUNNABLE_TIMEOUT_MAX_MS)))
		return gt_fail("the maximum: %s", strerror(-r));
	if ((r = gt_efile_write(&e, "runnable_timeout", "%d",
				GHOST_RUNNABLE_TIMEOUT_MAX_MS + 1)) != -EINVAL ||
	    (r = gt_efile_write(&e, "runnable_timeout", "-1")) != -EINVAL ||
	    (r = gt_efile_write(&e, "runnable_timeout", "x")) != -EINVAL)
		return gt_fail("out of bounds: %s, want EINVAL", strerror(-r));
	gt_efile_read(&e, "runnable_timeout", buf, sizeof(buf));
	if (atoi(buf) != GHOST_RUNNABLE_TIMEOUT_MAX_MS)
		return gt_fail("a refused write changed the timeout to %s", buf);
	return 0;
}

static const struct gt_test tests[] = {
	{ "watchdog_destroys_enclave_ignoring_runnable_thread",
	  test_watchdog_destroys_enclave_ignoring_runnable_thread },
	{ "watchdog_off_when_timeout_zero", test_watchdog_off_when_timeout_zero },
	{ "watchdog_spares_served_and_blocked_threads",
	  test_watchdog_spares_served_and_blocked_threads },
	{ "watchdog_spares_thread_runnable_for_an_instant",
	  test_watchdog_spares_thread_runnable_for_an_instant },
	{ "runnable_timeout_bounds", test_runnable_timeout_bounds },
	{ NULL, NULL },
};

GT_MAIN(tests)
