// SPDX-License-Identifier: GPL-2.0
/*
 * Leaving: a thread gets back exactly the policy, priority, nice and CPU
 * affinity it entered with, or those its user set while it was in ghost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "ghost_test.h"

struct sched_state {
	int policy;
	int prio;
	int nice;
	uint64_t mask;
};

static void sched_state_of(pid_t tid, struct sched_state *s)
{
	struct sched_param sp = { 0 };

	s->policy = sched_getscheduler(tid);
	sched_getparam(tid, &sp);
	s->prio = sp.sched_priority;
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, tid);
	s->mask = gt_affinity_of(tid);
}

/* The thread leaves asynchronously: allow it a moment to get there. */
static int expect_sched(pid_t tid, const struct sched_state *want)
{
	struct sched_state s;

	if (gt_wait_for((sched_state_of(tid, &s),
			 s.policy == want->policy && s.prio == want->prio &&
			 s.nice == want->nice && s.mask == want->mask), 5000))
		return 0;
	return gt_fail("thread %d: policy %d prio %d nice %d mask %#llx; want %d %d %d %#llx",
		       tid, s.policy, s.prio, s.nice,
		       (unsigned long long)s.mask, want->policy, want->prio,
		       want->nice, (unsigned long long)want->mask);
}

/*
 * In an enclave a SCHED_OTHER thread runs as SCHED_BATCH (the run class),
 * SCHED_RESET_ON_FORK kept; other policies are left alone.
 */
static int expect_run_class(pid_t tid, int policy)
{
	int want = policy, got;

	if ((policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER)
		want = SCHED_BATCH | (policy & SCHED_RESET_ON_FORK);
	if (gt_wait_for((got = sched_getscheduler(tid)) == want, 5000))
		return 0;
	return gt_fail("thread %d in the enclave: policy %#x, want %#x",
		       tid, got, want);
}

/* Enter, run on @cpu, leave, and check what the thread got back. */
static int enter_run_leave(struct gt_worker *w, int cpu,
			   const struct sched_state *want)
{
	struct gt_enclave e;
	struct gt_msg m;
	uint64_t a, mask;
	int r;

	if ((r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = expect_run_class(w->tid, want->policy)))
		return r;
	if (cpu >= 0) {
		if ((r = gt_commit(&e, a, cpu)) != GHOST_TXN_COMPLETE)
			return gt_fail("commit: %s", gt_txn_name(r));
		if (!gt_worker_progresses(w, 5000))
			return gt_fail("committed worker does not run");
	}
	if ((r = gt_leave(&e, w->tid)))
		return gt_fail("leave: %s", strerror(-r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEPARTED, w->tid, 5000, &m))
		return gt_fail("no TASK_DEPARTED");
	if (!gt_wait_for(gt_sw_index(&e, a) < 0, 5000))
		return gt_fail("a departed thread is still found by its gtid");
	if ((r = expect_sched(w->tid, want)))
		return r;
	if (!gt_wait_for(w->state == GT_W_RUNNING, 5000))
		return gt_fail("the write to tasks did not return");
	mask = gt_worker_cpus(w, 100);
	if (mask == ~0ULL || (mask & ~want->mask))
		return gt_fail("after leaving, ran on %#llx (allowed %#llx)",
			       (unsigned long long)mask,
			       (unsigned long long)want->mask);
	if (gt_tasks_contains(&e, w->tid) || gt_status(&e, "nr_tasks"))
		return gt_fail("the thread is still listed");
	return 0;
}

static int test_leave_restores_affinity_and_policy(void)
{
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER, 0, 0, 0 };
	int r;

	if ((r = gt_need_cpus(3)))
		return r;
	/* Pinned to one CPU of its own affinity, which it gets back whole. */
	w->affinity = want.mask = GT_CPU(gt_cpu(0)) | GT_CPU(gt_cpu(1));
	return enter_run_leave(w, gt_cpu(1), &want);
}

static int test_leave_restores_fifo_policy(void)
{
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_FIFO, 10, 0, 0 };
	int r;

	if ((r = gt_need_cpus(3)))
		return r;
	w->policy = SCHED_FIFO;
	w->rt_prio = 10;
	w->affinity = want.mask = GT_CPU(gt_cpu(0)) | GT_CPU(gt_cpu(1));
	r = enter_run_leave(w, gt_cpu(1), &want);
	gt_worker_cmd(w, GT_CMD_EXIT);	/* a spinning FIFO thread */
	return r;
}

static int test_leave_restores_nice(void)
{
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER, 0, 5, gt_all_cpus() };
	int r;

	if ((r = gt_need_cpus(2)))
		return r;
	w->nice = 5;
	return enter_run_leave(w, gt_cpu(0), &want);
}

/* sched_setattr() clears SCHED_RESET_ON_FORK unless told to keep it. */
static int test_leave_restores_reset_on_fork(void)
{
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER | SCHED_RESET_ON_FORK, 0, 3,
				    gt_all_cpus() };
	int r;

	if ((r = gt_need_cpus(2)))
		return r;
	w->policy = SCHED_OTHER | SCHED_RESET_ON_FORK;
	w->nice = 3;
	return enter_run_leave(w, gt_cpu(0), &want);
}

static int test_leave_of_parked_thread_runs_it_under_cfs(void)
{
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER, 0, 2, 0 };
	int r;

	if ((r = gt_need_cpus(3)))
		return r;
	w->nice = 2;
	w->affinity = want.mask = GT_CPU(gt_cpu(0)) | GT_CPU(gt_cpu(1));
	return enter_run_leave(w, -1, &want);
}

static int test_user_setaffinity_on_ghost_thread_kept_after_leave(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER, 0, 0, 0 };
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct gt_msg m;
	cpu_set_t set;
	uint64_t a;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run");

	CPU_ZERO(&set);
	CPU_SET(c1, &set);
	CPU_SET(c2, &set);
	want.mask = GT_CPU(c1) | GT_CPU(c2);
	if (sched_setaffinity(w->tid, sizeof(set), &set))
		return gt_fail("sched_setaffinity: %s", strerror(errno));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_AFFINITY_CHANGED, w->tid, 5000, &m))
		return gt_fail("no TASK_AFFINITY_CHANGED");
	if (m.seqnum != gt_barrier(&e, a))
		return gt_fail("seqnum %u, barrier %u", m.seqnum,
			       gt_barrier(&e, a));
	/* It keeps working, placed again by the agent if need be. */
	r = gt_commit(&e, a, c2);
	if (r != GHOST_TXN_COMPLETE && r != GHOST_TXN_TARGET_ONCPU)
		return gt_fail("commit after the change: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run after the change");
	if ((r = gt_leave(&e, w->tid)))
		return gt_fail("leave: %s", strerror(-r));
	return expect_sched(w->tid, &want);
}

static int test_user_setpriority_on_ghost_thread_kept_after_leave(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct sched_state want = { SCHED_OTHER, 0, 7, gt_all_cpus() };
	uint64_t a;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, a, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (setpriority(PRIO_PROCESS, w->tid, 7))
		return gt_fail("setpriority: %s", strerror(errno));
	errno = 0;
	if (getpriority(PRIO_PROCESS, w->tid) != 7)
		return gt_fail("nice %d after setpriority 7",
			       getpriority(PRIO_PROCESS, w->tid));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run after setpriority");
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 100, NULL) ||
	    !gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 0, NULL))
		return gt_fail("setpriority took the CPU away");
	if ((r = gt_leave(&e, w->tid)))
		return gt_fail("leave: %s", strerror(-r));
	return expect_sched(w->tid, &want);
}

static int test_leave_errors(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!gt_start(&e, w, 0))
		return gt_fail("worker did not enter");
	if ((r = gt_leave(&e, gettid())) != -ESRCH)
		return gt_fail("leave of the agent: %s, want ESRCH",
			       strerror(-r));
	if ((r = gt_leave(&e, getppid())) != -ESRCH)
		return gt_fail("leave of a thread not in ghost: %s, want ESRCH",
			       strerror(-r));
	if ((r = gt_leave(&e, 0x3fffffff)) != -ESRCH)
		return gt_fail("leave of no thread: %s, want ESRCH",
			       strerror(-r));
	if ((r = gt_efile_write(&e, "ctl", "leave abc")) != -EINVAL ||
	    (r = gt_efile_write(&e, "ctl", "leave")) != -EINVAL ||
	    (r = gt_efile_write(&e, "ctl", "leave -4")) != -EINVAL)
		return gt_fail("malformed leave: %s, want EINVAL",
			       strerror(-r));
	if ((r = gt_leave(&e, w->tid)))
		return gt_fail("leave: %s", strerror(-r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEPARTED, w->tid, 5000, NULL))
		return gt_fail("no TASK_DEPARTED");
	if ((r = gt_leave(&e, w->tid)) != -ESRCH)
		return gt_fail("second leave: %s, want ESRCH", strerror(-r));
	return 0;
}

/* Write @cmd to the ctl file next to @w's tasks file: 0 or errno. */
static int ctl_write(struct gt_worker *w, const char *cmd)
{
	char path[sizeof(w->tasks_path)];
	char *slash;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s", w->tasks_path);
	slash = strrchr(path, '/');
	if (!slash)
		return EINVAL;
	snprintf(slash + 1, sizeof(path) - (slash + 1 - path), "ctl");
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Body of an unprivileged worker: what it may and may not do. */
static void leave_as_nobody(struct gt_worker *w)
{
	char cmd[32];

	w->fn_errno[0] = ctl_write(w, "destroy");
	snprintf(cmd, sizeof(cmd), "leave %d", getppid());
	w->fn_errno[1] = ctl_write(w, cmd);
	snprintf(cmd, sizeof(cmd), "leave %d", gettid());
	w->fn_errno[2] = ctl_write(w, cmd);
	w->end_policy = sched_getscheduler(0);
}

static int test_unprivileged_thread_leaves_by_itself(void)
{
	char path[128];
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	/* Entering is a grant: the enclave is delegated to nobody. */
	snprintf(path, sizeof(path), "%s/tasks", e.dir);
	if (chown(path, 65534, 65534))
		return gt_fail("chown tasks: %s", strerror(errno));
	w->uid = 65534;
	w->fn = leave_as_nobody;
	if (!(a = gt_start(&e, w, 1)))
		return gt_fail("nobody's worker did not enter");
	if ((r = gt_commit(&e, a, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEPARTED, w->tid, 5000, NULL))
		return gt_fail("no TASK_DEPARTED (leave: %s)",
			       strerror(w->fn_errno[2]));
	if (gt_proc_wait(w->pid, 5000, NULL))
		return gt_fail("the worker did not finish");
	if (w->fn_errno[0] != EPERM)
		return gt_fail("destroy by nobody: %s, want EPERM",
			       strerror(w->fn_errno[0]));
	if (w->fn_errno[1] != EPERM)
		return gt_fail("nobody's leave of another process: %s, want EPERM",
			       strerror(w->fn_errno[1]));
	if (w->fn_errno[2])
		return gt_fail("nobody's own leave: %s",
			       strerror(w->fn_errno[2]));
	if (!gt_enclave_exists(1))
		return gt_fail("enclave destroyed by nobody");
	return 0;
}

static const struct gt_test tests[] = {
	{ "leave_restores_affinity_and_policy",
	  test_leave_restores_affinity_and_policy },
	{ "leave_restores_fifo_policy", test_leave_restores_fifo_policy },
	{ "leave_restores_nice", test_leave_restores_nice },
	{ "leave_restores_reset_on_fork", test_leave_restores_reset_on_fork },
	{ "leave_of_parked_thread_runs_it_under_cfs",
	  test_leave_of_parked_thread_runs_it_under_cfs },
	{ "user_setaffinity_on_ghost_thread_kept_after_leave",
	  test_user_setaffinity_on_ghost_thread_kept_after_leave },
	{ "user_setpriority_on_ghost_thread_kept_after_leave",
	  test_user_setpriority_on_ghost_thread_kept_after_leave },
	{ "leave_errors", test_leave_errors },
	{ "unprivileged_thread_leaves_by_itself",
	  test_unprivileged_thread_leaves_by_itself },
	{ NULL, NULL },
};

GT_MAIN(tests)
