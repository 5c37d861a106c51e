// SPDX-License-Identifier: GPL-2.0
/*
 * Signals: kill -9 ends a ghost process whatever its thread's state;
 * SIGSTOP/SIGCONT stop and resume it; handlers are user code, so they run
 * only on a committed CPU.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ghost_test.h"

/* Wait for a state change of @pid matching @flags (WUNTRACED, ...). */
static int wait_change(pid_t pid, int flags, int timeout_ms, int *status)
{
	uint64_t end = gt_now_ns() + (uint64_t)timeout_ms * 1000000ULL;

	while (gt_now_ns() < end) {
		if (waitpid(pid, status, flags | WNOHANG) == pid)
			return 0;
		gt_sleep_ms(2);
	}
	return -1;
}

static int start_proc(struct gt_enclave *e, struct gt_worker *w,
		      uint64_t *gtid, int commit)
{
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(e, 0, 1)))
		return r;
	if (!(*gtid = gt_start(e, w, 1)))
		return gt_fail("worker did not enter");
	if (!commit)
		return 0;
	if ((r = gt_commit(e, *gtid, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed worker does not run");
	return 0;
}

static int expect_killed(struct gt_enclave *e, struct gt_worker *w)
{
	int status;

	kill(w->pid, SIGKILL);
	if (gt_proc_wait(w->pid, 5000, &status))
		return gt_fail("kill -9: process %d did not die", w->pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return gt_fail("kill -9: status %#x", status);
	if (gt_wait_msg(e, GHOST_MSG_TASK_DEAD, w->tid, 5000, NULL))
		return gt_fail("kill -9: no TASK_DEAD");
	if (gt_status(e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld", gt_status(e, "nr_tasks"));
	return 0;
}

static int test_sigkill_parked_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 0)))
		return r;
	return expect_killed(&e, w);
}

static int test_sigkill_running_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 1)))
		return r;
	return expect_killed(&e, w);
}

static int test_sigkill_blocked_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 1)))
		return r;
	gt_worker_cmd(w, GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");
	return expect_killed(&e, w);
}

/* Stopped: reported, blocked, frozen; continued: woken, runs once committed. */
static int stop_and_continue(struct gt_enclave *e, struct gt_worker *w,
			     uint64_t a)
{
	int r, status, c1 = gt_cpu(0);

	if (wait_change(w->pid, WUNTRACED, 5000, &status) ||
	    !WIFSTOPPED(status))
		return gt_fail("SIGSTOP: not reported stopped");
	if (gt_wait_msg(e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("SIGSTOP: no TASK_BLOCKED");
	if (!gt_worker_frozen(w, 200))
		return gt_fail("SIGSTOP: still running");
	if ((r = gt_commit(e, a, c1)) != GHOST_TXN_TARGET_NOT_RUNNABLE)
		return gt_fail("commit of a stopped thread: %s",
			       gt_txn_name(r));
	kill(w->pid, SIGCONT);
	if (wait_change(w->pid, WCONTINUED, 5000, &status) ||
	    !WIFCONTINUED(status))
		return gt_fail("SIGCONT: not reported continued");
	if (gt_wait_msg(e, GHOST_MSG_TASK_WAKEUP, w->tid, 5000, NULL))
		return gt_fail("SIGCONT: no TASK_WAKEUP");
	if ((r = gt_commit(e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit after SIGCONT: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("SIGCONT: does not run once committed");
	return 0;
}

static int test_sigstop_sigcont_running_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 1)))
		return r;
	kill(w->pid, SIGSTOP);
	return stop_and_continue(&e, w, a);
}

/* A parked thread acts on SIGSTOP when it next gets a CPU, as in ghOSt. */
static int test_sigstop_sigcont_parked_thread(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 0)))
		return r;
	kill(w->pid, SIGSTOP);
	gt_sleep_ms(100);
	r = gt_commit(&e, a, gt_cpu(0));
	if (r != GHOST_TXN_COMPLETE && r != GHOST_TXN_TARGET_NOT_RUNNABLE)
		return gt_fail("commit of a stopping thread: %s",
			       gt_txn_name(r));
	if ((r = stop_and_continue(&e, w, a)))
		return r;
	if (w->state != GT_W_RUNNING)
		return gt_fail("the write to tasks did not return");
	return 0;
}

static int test_signal_handler_waits_for_commit(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_proc(&e, w, &a, 0)))
		return r;
	kill(w->pid, SIGUSR1);
	gt_sleep_ms(200);
	if (w->sig_seen)
		return gt_fail("the handler ran in a parked thread (CPU %d)",
			       w->sig_cpu);
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->sig_seen == 1, 5000))
		return gt_fail("the handler did not run once committed");
	if (w->sig_cpu != c1)
		return gt_fail("the handler ran on CPU %d, want %d", w->sig_cpu,
			       c1);
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("no progress after the handler");
	return 0;
}

static int test_signal_handler_runs_on_committed_cpu(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_proc(&e, w, &a, 1)))
		return r;
	for (int i = 1; i <= 10; i++) {
		kill(w->pid, SIGUSR1);
		if (!gt_wait_for(w->sig_seen == i, 5000))
			return gt_fail("handler %d did not run", i);
		if (w->sig_cpu != gt_cpu(0))
			return gt_fail("the handler ran on CPU %d", w->sig_cpu);
	}
	/* Handlers do not give the CPU away. */
	if (gt_count_msgs(&e, -1, w->tid))
		return gt_fail("messages for a thread that only handled signals");
	return 0;
}

static const struct gt_test tests[] = {
	{ "sigkill_parked_thread", test_sigkill_parked_thread },
	{ "sigkill_running_thread", test_sigkill_running_thread },
	{ "sigkill_blocked_thread", test_sigkill_blocked_thread },
	{ "sigstop_sigcont_running_thread", test_sigstop_sigcont_running_thread },
	{ "sigstop_sigcont_parked_thread", test_sigstop_sigcont_parked_thread },
	{ "signal_handler_waits_for_commit",
	  test_signal_handler_waits_for_commit },
	{ "signal_handler_runs_on_committed_cpu",
	  test_signal_handler_runs_on_committed_cpu },
	{ NULL, NULL },
};

GT_MAIN(tests)
