// SPDX-License-Identifier: GPL-2.0
/*
 * Preemption: a commit takes a remote CPU away from the ghost thread
 * spinning there, whether it gives the CPU to another thread or to nobody.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "ghost_test.h"

static int expect_preempted(struct gt_enclave *e, struct gt_worker *w,
			    uint64_t gtid, int cpu)
{
	const volatile struct ghost_status_word *sw;
	struct gt_msg m;

	if (gt_wait_msg(e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, &m))
		return gt_fail("no TASK_PREEMPT for %d", w->tid);
	if (m.cpu != cpu)
		return gt_fail("TASK_PREEMPT cpu %d, want %d", m.cpu, cpu);
	if (!gt_worker_frozen(w, 200))
		return gt_fail("preempted thread %d still runs", w->tid);
	sw = gt_sw_of(e, gtid);
	if (!sw || sw->barrier != m.seqnum ||
	    sw->flags != (GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE))
		return gt_fail("preempted: barrier %u seqnum %u flags %#x",
			       sw ? sw->barrier : 0, m.seqnum,
			       sw ? sw->flags : 0);
	return 0;
}

static int test_commit_of_other_thread_preempts_remote_spinner(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b, mask;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)))
		return gt_fail("workers did not enter");
	if ((r = gt_run_on(&e, &w[0], a, c1)) || (r = gt_run_on(&e, &w[1], b, c1)))
		return r;
	if ((r = expect_preempted(&e, &w[0], a, c1)))
		return r;
	mask = gt_worker_cpus(&w[1], 100);
	if (mask != GT_CPU(c1))
		return gt_fail("the new thread ran on %#llx",
			       (unsigned long long)mask);
	if (gt_cpu_word(&e, c1)->gtid != b)
		return gt_fail("CPU word does not name the new thread");
	return 0;
}

static int test_idle_commit_stops_remote_spinner(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_run_on(&e, w, a, c1)))
		return r;
	r = gt_idle(&e, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("idle commit: %s", gt_txn_name(r));
	if ((r = expect_preempted(&e, w, a, c1)))
		return r;
	if (gt_cpu_word(&e, c1)->gtid)
		return gt_fail("CPU word still names a thread");
	/* An idle commit of an idle CPU is harmless. */
	r = gt_idle(&e, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("second idle commit: %s", gt_txn_name(r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 200, NULL) == 0)
		return gt_fail("second TASK_PREEMPT for a parked thread");
	return 0;
}

static int test_preempted_thread_recommitted_elsewhere(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b, mask;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)))
		return gt_fail("workers did not enter");
	/* Ten rounds of A and B swapping CPUs through preemption. */
	for (int i = 0; i < 10; i++) {
		int ca = i & 1 ? c2 : c1, cb = i & 1 ? c1 : c2;

		if ((r = gt_run_on(&e, &w[0], a, ca)) ||
		    (r = gt_run_on(&e, &w[1], b, cb)))
			return r;
		if ((r = gt_idle(&e, ca)) != GHOST_TXN_COMPLETE ||
		    (r = gt_idle(&e, cb)) != GHOST_TXN_COMPLETE)
			return gt_fail("idle commit: %s", gt_txn_name(r));
		if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w[0].tid, 5000,
				NULL) ||
		    gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w[1].tid, 5000,
				NULL))
			return gt_fail("round %d: no TASK_PREEMPT", i);
	}
	if ((r = gt_run_on(&e, &w[0], a, c2)))
		return r;
	mask = gt_worker_cpus(&w[0], 100);
	if (mask != GT_CPU(c2))
		return gt_fail("ran on %#llx, committed to %d",
			       (unsigned long long)mask, c2);
	return 0;
}

static int test_agent_cpu_thread_runs_only_while_agent_sleeps(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a, c0, t;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	r = gt_commit(&e, a, gt_agent_cpu);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit to the agent's CPU: %s", gt_txn_name(r));
	/* The agent (SCHED_FIFO) spins: the thread cannot run. */
	c0 = w->counter;
	for (t = gt_now_ns(); gt_now_ns() - t < 100000000ULL;)
		;
	if (w->counter != c0)
		return gt_fail("ran while its CPU's agent was busy");
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("did not run while the agent slept");
	if (w->cpus_seen != GT_CPU(gt_agent_cpu))
		return gt_fail("ran on %#llx", (unsigned long long)w->cpus_seen);
	return 0;
}

static int set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return gt_write_file(path, "%d", on);
}

/* A CPU that goes offline is taken from its thread: it may not run on. */
static int test_cpu_offline_takes_cpu_from_its_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c = gt_cpu(gt_nr_cpus - 2);
	uint64_t a, mask;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_run_on(&e, w, a, c)))
		return r;
	if ((r = set_online(c, 0)))
		return gt_skip("cannot offline CPU %d: %s", c, strerror(-r));
	mask = gt_worker_cpus(w, 200);
	r = gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 2000, NULL);
	set_online(c, 1);
	if (mask != ~0ULL)
		return gt_fail("runs on CPUs %#llx after CPU %d went offline",
			       (unsigned long long)mask, c);
	if (r)
		return gt_fail("no TASK_PREEMPT when CPU %d went offline", c);
	return 0;
}

/* Body: sched_setaffinity() on another user's thread, again and again. */
static void setaffinity_as_nobody(struct gt_worker *w)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(gt_agent_cpu, &set);
	while (!__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE))
		gt_sleep_ms(1);
	for (int i = 0; i < 2000; i++) {
		if (sched_setaffinity(w->child->tid, sizeof(set), &set) == 0) {
			w->fn_errno[0] = -1;	/* it was allowed */
			return;
		}
		if (errno != EPERM) {
			w->fn_errno[0] = errno;
			return;
		}
	}
}

/* A call the kernel refuses changes nothing: the thread keeps its CPU. */
static int test_refused_setaffinity_does_not_preempt(void)
{
	struct gt_worker *w = gt_workers(2);
	struct gt_enclave e;
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)))
		return gt_fail("worker did not enter");
	/*
	 * Forked first: a fork write-protects the thread's pages, and the
	 * faults that follow may block it (a real block, then a wakeup).
	 */
	w[1].uid = 65534;
	w[1].fn = setaffinity_as_nobody;
	w[1].child = &w[0];
	if (gt_worker_proc(&w[1], NULL) < 0)
		return gt_fail("fork");
	if ((r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	__atomic_store_n(&w[1].futex, 1, __ATOMIC_RELEASE);
	if (gt_proc_wait(w[1].pid, 30000, NULL))
		return gt_fail("the unprivileged caller did not finish");
	if (w[1].fn_errno[0])
		return gt_fail("nobody's sched_setaffinity: %s, want EPERM",
			       w[1].fn_errno[0] < 0 ? "allowed" :
			       strerror(w[1].fn_errno[0]));
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w[0].tid, 200, NULL))
		return gt_fail("a refused call preempted the thread");
	if (!gt_worker_progresses(&w[0], 1000))
		return gt_fail("the thread stopped (state %d, sw flags %#x)",
			       w[0].state, gt_sw_of(&e, a) ?
			       gt_sw_of(&e, a)->flags : 0);
	if (gt_cpu_word(&e, c1)->gtid != a)
		return gt_fail("CPU %d's word names %#llx, not the thread",
			       c1, (unsigned long long)gt_cpu_word(&e, c1)->gtid);
	return 0;
}

static const struct gt_test tests[] = {
	{ "commit_of_other_thread_preempts_remote_spinner",
	  test_commit_of_other_thread_preempts_remote_spinner },
	{ "idle_commit_stops_remote_spinner",
	  test_idle_commit_stops_remote_spinner },
	{ "preempted_thread_recommitted_elsewhere",
	  test_preempted_thread_recommitted_elsewhere },
	{ "agent_cpu_thread_runs_only_while_agent_sleeps",
	  test_agent_cpu_thread_runs_only_while_agent_sleeps },
	{ "cpu_offline_takes_cpu_from_its_thread",
	  test_cpu_offline_takes_cpu_from_its_thread },
	{ "refused_setaffinity_does_not_preempt",
	  test_refused_setaffinity_does_not_preempt },
	{ NULL, NULL },
};

GT_MAIN(tests)
