// SPDX-License-Identifier: GPL-2.0
/*
 * Fork and exit: children of ghost threads enter with them, and threads
 * that exit in any state leave cleanly, with a TASK_DEAD each.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ghost_test.h"

/*
 * Worker 0 enters, runs on @cpu and forks worker 1 while it keeps that
 * CPU; returns once the child's TASK_NEW is in *@m (the parent's gtid in
 * *@p).
 */
static int fork_on(struct gt_enclave *e, struct gt_worker *w, int cpu,
		   uint64_t *p, struct gt_msg *m)
{
	int r;

	w[0].child = &w[1];
	if (!(*p = gt_start(e, &w[0], 1)))
		return gt_fail("parent did not enter");
	if ((r = gt_run_on(e, &w[0], *p, cpu)))
		return r;
	gt_worker_cmd(&w[0], GT_CMD_FORK);
	if (!gt_wait_for(gt_keep_running(e, *p, cpu) && w[0].forked > 0,
			 5000))
		return gt_fail("the parent did not fork");
	if (gt_wait_msg(e, GHOST_MSG_TASK_NEW, w[0].forked, 5000, m))
		return gt_fail("no TASK_NEW for child %d", w[0].forked);
	return 0;
}

/*
 * The child (worker 1, *@m its TASK_NEW), committed to @cpu, runs there
 * only, pinned, then exits.
 */
static int child_runs_on(struct gt_enclave *e, struct gt_worker *w,
			 const struct gt_msg *m, int cpu)
{
	cpu_set_t set;
	int r;

	if ((r = gt_commit(e, m->gtid, cpu)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit of the child: %s", gt_txn_name(r));
	if (!gt_wait_for(w[1].state == GT_W_RUNNING, 5000) ||
	    !gt_worker_progresses(&w[1], 5000))
		return gt_fail("committed child does not run");
	if (w[1].cpus_seen != GT_CPU(cpu))
		return gt_fail("child ran on %#llx",
			       (unsigned long long)w[1].cpus_seen);
	if (sched_getaffinity(w[0].forked, sizeof(set), &set) ||
	    CPU_COUNT(&set) != 1 || !CPU_ISSET(cpu, &set))
		return gt_fail("the running child is not pinned to CPU %d", cpu);
	gt_worker_cmd(&w[1], GT_CMD_EXIT);
	if (gt_wait_msg(e, GHOST_MSG_TASK_DEAD, w[0].forked, 5000, NULL))
		return gt_fail("no TASK_DEAD for the child");
	return 0;
}

static int test_forked_child_enters_with_parent_gtid(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	struct gt_msg m;
	uint64_t p;
	int r;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)) ||
	    (r = fork_on(&e, w, gt_cpu(0), &p, &m)))
		return r;
	if (m.u.new.parent_gtid != p || !m.u.new.runnable)
		return gt_fail("child: parent_gtid %#llx (want %#llx) runnable %u",
			       (unsigned long long)m.u.new.parent_gtid,
			       (unsigned long long)p, m.u.new.runnable);
	/* fork() has not returned in the child: it is parked. */
	gt_sleep_ms(200);
	if (w[1].state != GT_W_NEW)
		return gt_fail("child ran before being committed");
	if (!gt_tasks_contains(&e, w[0].forked))
		return gt_fail("tasks does not list the child");
	return child_runs_on(&e, w, &m, gt_cpu(1));
}

/* @pid is dead: a zombie of its parent, or reaped already. */
static int dead(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (gt_read_file(path, buf, sizeof(buf)) < 0)
		return 1;
	p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

/*
 * Without memory to enrol a ghost thread's child (a GFP_ATOMIC allocation
 * at fork), the child dies before its first instruction rather than run
 * outside the enclave.
 */
static int child_without_memory(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t p;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w[0].child = &w[1];
	if (!(p = gt_start(&e, &w[0], 1)))
		return gt_fail("parent did not enter");
	if ((r = gt_run_on(&e, &w[0], p, c1)))
		return r;
	gt_klog_mark();
	if (gt_param_set("fault_fork", 1))
		return gt_fail("cannot set fault_fork");
	gt_worker_cmd(&w[0], GT_CMD_FORK);
	if (!gt_wait_for(gt_keep_running(&e, p, c1) && w[0].forked > 0,
			 5000))
		return gt_fail("the parent did not fork");
	if (gt_param_get("fault_fork") != 0)
		return gt_fail("the fork made no allocation to fail");
	if (!gt_wait_for(dead(w[0].forked), 5000))
		return gt_fail("child %d still alive", w[0].forked);
	if (w[1].state != GT_W_NEW)
		return gt_fail("the child ran user code");
	if (!gt_klog_contains("killing the child"))
		return gt_fail("no kernel message about the killed child");
	if (gt_count_msgs(&e, GHOST_MSG_TASK_NEW, w[0].forked))
		return gt_fail("TASK_NEW for a child that never joined");
	/* The parent goes on in the enclave. */
	if (!gt_worker_progresses(&w[0], 5000))
		return gt_fail("the parent does not run after its fork");
	return 0;
}

static int test_child_killed_when_its_enrolment_fails(void)
{
	int r = child_without_memory();

	gt_param_set("fault_fork", 0);
	return r;
}

static int test_reset_on_fork_child_stays_out(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t p;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w[0].policy = SCHED_OTHER | SCHED_RESET_ON_FORK;
	w[0].child = &w[1];
	if (!(p = gt_start(&e, &w[0], 1)))
		return gt_fail("parent did not enter");
	if ((r = gt_commit(&e, p, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit of the parent: %s", gt_txn_name(r));
	gt_worker_cmd(&w[0], GT_CMD_FORK);
	if (!gt_wait_for(gt_keep_running(&e, p, gt_cpu(0)) &&
			 w[0].forked > 0, 5000))
		return gt_fail("the parent did not fork");
	/* No agent needed: the child runs under CFS. */
	if (!gt_wait_for(w[1].state == GT_W_RUNNING, 5000) ||
	    !gt_worker_progresses(&w[1], 5000))
		return gt_fail("the child does not run");
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w[0].forked, 300, NULL))
		return gt_fail("TASK_NEW for a SCHED_RESET_ON_FORK child");
	if (gt_tasks_contains(&e, w[0].forked) ||
	    gt_status(&e, "nr_tasks") != 1)
		return gt_fail("the child is in the enclave");
	/* Not the parent's run class and CPU: what it has outside. */
	if (sched_getscheduler(w[0].forked) != SCHED_OTHER)
		return gt_fail("the child runs with policy %#x, want SCHED_OTHER",
			       sched_getscheduler(w[0].forked));
	if (gt_affinity_of(w[0].forked) != gt_all_cpus())
		return gt_fail("the child runs on %#llx, want %#llx",
			       (unsigned long long)gt_affinity_of(w[0].forked),
			       (unsigned long long)gt_all_cpus());
	if (sched_getscheduler(w[0].tid) != (SCHED_BATCH | SCHED_RESET_ON_FORK))
		return gt_fail("the parent runs with policy %#x in the enclave",
			       sched_getscheduler(w[0].tid));
	gt_worker_cmd(&w[1], GT_CMD_EXIT);
	return 0;
}

/* A process whose only ghost thread is parked exits by its main thread. */
static int test_thread_exit_while_parked(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	int r, status;
	pid_t pid;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	gt_worker_prepare(&w[0], &e);
	pid = fork();
	if (pid == 0) {
		gt_reset_sched();
		if (gt_worker_thread(&w[0], &e) || gt_worker_entering(&w[0], 5000))
			_exit(2);
		while (!w[1].cmd)
			gt_sleep_ms(1);
		_exit(0);
	}
	if (!gt_wait_for(w[0].state >= GT_W_ENTERING, 5000) ||
	    !gt_wait_new(&e, w[0].tid, 5000))
		return gt_fail("no TASK_NEW for the thread");
	gt_worker_cmd(&w[1], 1);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_DEAD for the parked thread");
	if (gt_proc_wait(pid, 5000, &status))
		return gt_fail("the process did not exit");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return gt_fail("the process exited with status %#x", status);
	if (w[0].counter || w[0].state != GT_W_ENTERING)
		return gt_fail("the parked thread ran user code");
	if (gt_status(&e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld after the exit",
			       gt_status(&e, "nr_tasks"));
	return 0;
}

static int test_thread_exit_while_running(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run");
	gt_worker_cmd(w, GT_CMD_EXIT);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, &m))
		return gt_fail("no TASK_DEAD");
	if (m.cpu != c1)
		return gt_fail("TASK_DEAD on CPU %d, want %d", m.cpu, c1);
	if (gt_worker_join(w, 5000))
		return gt_fail("thread not joined");
	if (gt_cpu_word(&e, c1)->gtid)
		return gt_fail("CPU %d still names the dead thread", c1);
	if (gt_status(&e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld", gt_status(&e, "nr_tasks"));
	/* The CPU is free for another thread. */
	w = gt_workers(1);
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("second worker did not enter");
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit after the exit: %s", gt_txn_name(r));
	return 0;
}

/* Exit and commit race: SIGKILL right before the commit, or exit at once. */
static int test_thread_exit_while_being_committed(void)
{
	struct gt_enclave e;
	int r, status, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < 20; i++) {
		struct gt_worker *w = gt_workers(1);
		int kill9 = i & 1;
		uint64_t a;

		if (!kill9)
			w->cmd = GT_CMD_EXIT;
		if (!(a = gt_start(&e, w, 1)))
			return gt_fail("round %d: worker did not enter", i);
		if (kill9)
			kill(w->pid, SIGKILL);
		r = gt_commit(&e, a, c1);
		if (r != GHOST_TXN_COMPLETE && r != GHOST_TXN_TARGET_NOT_FOUND &&
		    r != GHOST_TXN_TARGET_NOT_RUNNABLE &&
		    r != GHOST_TXN_TARGET_STALE)
			return gt_fail("round %d: commit %s", i, gt_txn_name(r));
		if (!kill9 && r != GHOST_TXN_COMPLETE)
			return gt_fail("round %d: commit %s", i, gt_txn_name(r));
		if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, NULL))
			return gt_fail("round %d: no TASK_DEAD", i);
		if (gt_proc_wait(w->pid, 5000, &status))
			return gt_fail("round %d: not reaped", i);
		if (kill9 ? !WIFSIGNALED(status) : status)
			return gt_fail("round %d: status %#x", i, status);
		munmap(w, sizeof(*w));
	}
	if (gt_status(&e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld", gt_status(&e, "nr_tasks"));
	return 0;
}

#define NR_THREADS	100

static int test_process_exit_with_100_threads(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(NR_THREADS + 1);
	uint64_t g[NR_THREADS];
	int r, status, dead = 0;
	pid_t pid;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < NR_THREADS; i++)
		gt_worker_prepare(&w[i], &e);
	pid = fork();
	if (pid == 0) {
		gt_reset_sched();
		for (int i = 0; i < NR_THREADS; i++)
			if (gt_worker_thread(&w[i], &e))
				_exit(2);
		while (!w[NR_THREADS].cmd)
			gt_sleep_ms(1);
		_exit(0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		if (!gt_wait_for(w[i].state >= GT_W_ENTERING, 10000) ||
		    !(g[i] = gt_wait_new(&e, w[i].tid, 10000)))
			return gt_fail("thread %d did not enter", i);
	}
	/* A few run, the rest stay parked. */
	for (int i = 0; gt_cpu(i) >= 0; i++)
		if ((r = gt_commit(&e, g[i], gt_cpu(i))) != GHOST_TXN_COMPLETE)
			return gt_fail("commit: %s", gt_txn_name(r));
	gt_worker_cmd(&w[NR_THREADS], 1);
	if (gt_proc_wait(pid, 10000, &status))
		return gt_fail("the process did not exit");
	if (status)
		return gt_fail("the process exited with status %#x", status);
	for (int i = 0; i < NR_THREADS; i++)
		if (!gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w[i].tid, 5000, NULL))
			dead++;
	if (dead != NR_THREADS)
		return gt_fail("%d TASK_DEAD, want %d", dead, NR_THREADS);
	if (gt_status(&e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld", gt_status(&e, "nr_tasks"));
	if (e.ring->overflow)
		return gt_fail("%u messages lost", e.ring->overflow);
	return 0;
}

static const struct gt_test tests[] = {
	{ "forked_child_enters_with_parent_gtid",
	  test_forked_child_enters_with_parent_gtid },
	{ "child_killed_when_its_enrolment_fails",
	  test_child_killed_when_its_enrolment_fails },
	{ "reset_on_fork_child_stays_out", test_reset_on_fork_child_stays_out },
	{ "thread_exit_while_parked", test_thread_exit_while_parked },
	{ "thread_exit_while_running", test_thread_exit_while_running },
	{ "thread_exit_while_being_committed",
	  test_thread_exit_while_being_committed },
	{ "process_exit_with_100_threads", test_process_exit_with_100_threads },
	{ NULL, NULL },
};

GT_MAIN(tests)
