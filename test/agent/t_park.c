// SPDX-License-Identifier: GPL-2.0
/*
 * Parking: a ghost thread runs user code only on the CPU an agent
 * committed it to, and not at all before.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ghost_test.h"

static int test_uncommitted_thread_makes_no_progress(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	a = gt_start(&e, &w[0], 0);
	b = gt_start(&e, &w[1], 0);
	if (!a || !b)
		return gt_fail("workers did not enter");

	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit of A: %s", gt_txn_name(r));
	if (!gt_worker_progresses(&w[0], 5000))
		return gt_fail("committed thread A does not run");

	/* B never returned from its write to tasks: no user code at all. */
	if (!gt_worker_frozen(&w[1], 200) || w[1].counter)
		return gt_fail("uncommitted B ran: counter %llu",
			       (unsigned long long)w[1].counter);
	if (w[1].state != GT_W_ENTERING)
		return gt_fail("uncommitted B returned to user mode");
	if (!gt_worker_progresses(&w[0], 1000))
		return gt_fail("A stopped while B was parked");
	if (w[0].cpus_seen != GT_CPU(c1))
		return gt_fail("A ran on CPUs %#llx, committed to %d",
			       (unsigned long long)w[0].cpus_seen, c1);

	/* B was parked, not lost. */
	r = gt_commit(&e, b, c2);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit of B: %s", gt_txn_name(r));
	if (!gt_worker_progresses(&w[1], 5000))
		return gt_fail("B does not run once committed");
	if (w[1].cpus_seen != GT_CPU(c2))
		return gt_fail("B ran on CPUs %#llx, committed to %d",
			       (unsigned long long)w[1].cpus_seen, c2);
	return 0;
}

static int test_committed_thread_runs_only_on_its_cpu(void)
{
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	uint64_t a, mask;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	a = gt_start(&e, w, 0);
	if (!a)
		return gt_fail("worker did not enter");
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed thread does not run");
	gt_sleep_ms(300);
	if (w->cpus_seen != GT_CPU(c1) || w->cpu != c1)
		return gt_fail("ran on CPUs %#llx, committed to %d",
			       (unsigned long long)w->cpus_seen, c1);
	sw = gt_sw_of(&e, a);
	if (!sw || !(sw->flags & GHOST_SW_TASK_ONCPU))
		return gt_fail("status word does not say ONCPU");
	if (gt_cpu_word(&e, c1)->gtid != a)
		return gt_fail("CPU word of %d does not name the thread", c1);

	/* Move it: take CPU c1 away, then commit it to c2. */
	r = gt_idle(&e, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("idle commit: %s", gt_txn_name(r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 2000, NULL))
		return gt_fail("no TASK_PREEMPT");
	if (!gt_worker_frozen(w, 100))
		return gt_fail("still running after the idle commit");
	r = gt_commit(&e, a, c2);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit to %d: %s", c2, gt_txn_name(r));
	mask = gt_worker_cpus(w, 200);
	if (mask != GT_CPU(c2))
		return gt_fail("ran on CPUs %#llx after the move to %d",
			       (unsigned long long)mask, c2);
	if (gt_cpu_word(&e, c1)->gtid)
		return gt_fail("CPU word of %d still names a thread", c1);
	return 0;
}

static int test_enter_write_returns_only_after_commit(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	a = gt_start(&e, w, 0);
	if (!a)
		return gt_fail("worker did not enter");
	gt_sleep_ms(200);
	if (w->state != GT_W_ENTERING)
		return gt_fail("the write to tasks returned without a commit");
	if (gt_status(&e, "nr_tasks") != 1)
		return gt_fail("nr_tasks %ld, want 1", gt_status(&e, "nr_tasks"));
	if (!gt_tasks_contains(&e, w->tid))
		return gt_fail("tasks does not list %d", w->tid);
	r = gt_commit(&e, a, gt_cpu(0));
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->state == GT_W_RUNNING, 5000))
		return gt_fail("the write did not return after the commit");
	return 0;
}

static int test_other_process_thread_parks_at_return_to_user(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	uint64_t a, mask;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	/* A plain process, spinning in user mode: not in ghost yet. */
	if (gt_worker_proc(w, NULL) < 0)
		return gt_fail("fork");
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("the process does not run");
	r = gt_efile_write(&e, "tasks", "%d", w->pid);
	if (r)
		return gt_fail("write of pid %d to tasks: %s", w->pid,
			       strerror(-r));
	a = gt_wait_new(&e, w->pid, 5000);
	if (!a)
		return gt_fail("no TASK_NEW for pid %d", w->pid);
	if (!gt_worker_frozen(w, 200))
		return gt_fail("the process kept running after entering");
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("the process does not run once committed");
	mask = gt_worker_cpus(w, 100);
	if (mask != GT_CPU(c1))
		return gt_fail("ran on CPUs %#llx, committed to %d",
			       (unsigned long long)mask, c1);
	return 0;
}

static int test_tasks_and_status_follow_threads(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(3);
	uint64_t g[3];
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_status(&e, "nr_tasks") != 0 || gt_status(&e, "agent_online") != 1)
		return gt_fail("fresh enclave: nr_tasks %ld agent_online %ld",
			       gt_status(&e, "nr_tasks"),
			       gt_status(&e, "agent_online"));
	for (int i = 0; i < 3; i++)
		if (!(g[i] = gt_start(&e, &w[i], i == 2)))
			return gt_fail("worker %d did not enter", i);
	if (gt_status(&e, "nr_tasks") != 3)
		return gt_fail("nr_tasks %ld, want 3", gt_status(&e, "nr_tasks"));
	for (int i = 0; i < 3; i++)
		if (!gt_tasks_contains(&e, w[i].tid))
			return gt_fail("tasks does not list %d", w[i].tid);

	/* One exits: it goes from both. */
	gt_worker_cmd(&w[0], GT_CMD_EXIT);
	r = gt_commit(&e, g[0], gt_cpu(0));
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_DEAD");
	gt_worker_join(&w[0], 5000);
	if (gt_status(&e, "nr_tasks") != 2 || gt_tasks_contains(&e, w[0].tid))
		return gt_fail("exited thread still counted or listed");
	return 0;
}

static int test_tasks_write_errors(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!gt_start(&e, w, 0))
		return gt_fail("worker did not enter");
	if ((r = gt_efile_write(&e, "tasks", "%d", w->tid)) != -EBUSY)
		return gt_fail("entering twice: %s, want EBUSY", strerror(-r));
	if ((r = gt_efile_write(&e, "tasks", "%d", gettid())) != -EBUSY)
		return gt_fail("an agent entering: %s, want EBUSY",
			       strerror(-r));
	if ((r = gt_efile_write(&e, "tasks", "2")) != -EINVAL)
		return gt_fail("kthreadd entering: %s, want EINVAL",
			       strerror(-r));
	if ((r = gt_efile_write(&e, "tasks", "%d", 0x3fffffff)) != -ESRCH)
		return gt_fail("no such tid: %s, want ESRCH", strerror(-r));
	if ((r = gt_efile_write(&e, "tasks", "-1")) != -EINVAL ||
	    (r = gt_efile_write(&e, "tasks", "abc")) != -EINVAL)
		return gt_fail("malformed tid: %s, want EINVAL", strerror(-r));
	if (gt_status(&e, "nr_tasks") != 1)
		return gt_fail("nr_tasks %ld, want 1", gt_status(&e, "nr_tasks"));
	return 0;
}

/*
 * The module's own audit: while two threads take turns on one CPU by
 * commits, every sample of a ghost thread in user mode finds it committed
 * there.  Samples must have been taken, or the check proved nothing.
 */
static int test_audit_finds_user_code_only_under_commit(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b, gtid;
	int r, i, c1 = gt_cpu(0);
	long samples, bad;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if ((r = gt_efile_write(&e, "audit", "2")) != -EINVAL)
		return gt_fail("audit 2: %s, want EINVAL", strerror(-r));
	if ((r = gt_efile_write(&e, "audit", "1")))
		return gt_fail("audit 1: %s", strerror(-r));
	a = gt_start(&e, &w[0], 0);
	b = gt_start(&e, &w[1], 0);
	if (!a || !b)
		return gt_fail("workers did not enter");
	for (i = 0; i < 40; i++) {
		gtid = i & 1 ? b : a;
		r = gt_commit(&e, gtid, c1);
		if (r != GHOST_TXN_COMPLETE)
			return gt_fail("commit %d: %s", i, gt_txn_name(r));
		if (!gt_worker_progresses(&w[i & 1], 5000))
			return gt_fail("committed worker %d does not run",
				       i & 1);
		gt_sleep_ms(20);
	}
	samples = gt_status(&e, "audit_samples");
	bad = gt_status(&e, "audit_violations");
	if (samples <= 0)
		return gt_fail("the audit took no sample (%ld)", samples);
	if (bad)
		return gt_fail("%ld of %ld samples found user code without a commit (tid %ld)",
			       bad, samples, gt_status(&e, "audit_last_violator"));
	if ((r = gt_efile_write(&e, "audit", "0")))
		return gt_fail("audit 0: %s", strerror(-r));
	return 0;
}

static const struct gt_test tests[] = {
	{ "uncommitted_thread_makes_no_progress",
	  test_uncommitted_thread_makes_no_progress },
	{ "committed_thread_runs_only_on_its_cpu",
	  test_committed_thread_runs_only_on_its_cpu },
	{ "enter_write_returns_only_after_commit",
	  test_enter_write_returns_only_after_commit },
	{ "other_process_thread_parks_at_return_to_user",
	  test_other_process_thread_parks_at_return_to_user },
	{ "tasks_and_status_follow_threads",
	  test_tasks_and_status_follow_threads },
	{ "tasks_write_errors", test_tasks_write_errors },
	{ "audit_finds_user_code_only_under_commit",
	  test_audit_finds_user_code_only_under_commit },
	{ NULL, NULL },
};

GT_MAIN(tests)
