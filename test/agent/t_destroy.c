// SPDX-License-Identifier: GPL-2.0
/*
 * Destroy and unload: destroying an enclave returns every thread to CFS
 * whatever it is doing, and the module cannot go while an enclave lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "ghost_test.h"

static int check_back(struct gt_worker *w, int nice, uint64_t mask)
{
	if (!gt_wait_for(w->state == GT_W_RUNNING, 5000) ||
	    !gt_worker_progresses(w, 5000))
		return gt_fail("thread %d does not run after destroy", w->tid);
	errno = 0;
	if (getpriority(PRIO_PROCESS, w->tid) != nice ||
	    sched_getscheduler(w->tid) != SCHED_OTHER ||
	    gt_affinity_of(w->tid) != mask)
		return gt_fail("thread %d back with nice %d policy %d mask %#llx",
			       w->tid, getpriority(PRIO_PROCESS, w->tid),
			       sched_getscheduler(w->tid),
			       (unsigned long long)gt_affinity_of(w->tid));
	return 0;
}

/*
 * One thread runs, one is parked, one blocked; the enclave is destroyed,
 * with the teardown's allocation failing if @fault (the threads are then
 * asked to leave one at a time).
 */
static int destroy_three(int fault)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(3);
	uint64_t g[3], t0, mask;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w[0].nice = 2;
	w[1].affinity = GT_CPU(c1);
	w[2].nice = 1;
	w[2].affinity = GT_CPU(c1) | GT_CPU(c2);
	for (int i = 0; i < 3; i++)
		if (!(g[i] = gt_start(&e, &w[i], 1)))
			return gt_fail("worker %d did not enter", i);
	/* w[0] runs, w[1] stays parked, w[2] blocks in read(). */
	if ((r = gt_commit(&e, g[0], c1)) != GHOST_TXN_COMPLETE ||
	    (r = gt_commit(&e, g[2], c2)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	gt_worker_cmd(&w[2], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[2].tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");
	if (!gt_worker_runs_on(&e, &w[0], g[0], c1, 5000))
		return gt_fail("the committed thread does not run");

	if (fault && gt_param_set("fault_destroy", 1))
		return gt_fail("cannot set fault_destroy");
	t0 = gt_now_ns();
	if ((r = gt_efile_write(&e, "ctl", "destroy")))
		return gt_fail("destroy: %s", strerror(-r));
	if (fault && gt_param_get("fault_destroy") != 0)
		return gt_fail("the teardown made no allocation to fail");
	if (gt_now_ns() - t0 > 4000000000ULL)
		return gt_fail("destroy took %llu ms: a thread did not leave",
			       (unsigned long long)(gt_now_ns() - t0) / 1000000);
	if (gt_enclave_exists(1))
		return gt_fail("enclave_1 still there");
	if ((r = check_back(&w[0], 2, gt_all_cpus())) ||
	    (r = check_back(&w[1], 0, GT_CPU(c1))))
		return r;
	/* The read() goes on under CFS and returns when data comes. */
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("the blocked thread runs without data");
	gt_worker_poke(&w[2]);
	if (!gt_wait_for(w[2].wakeups == 1, 5000))
		return gt_fail("read() does not return after destroy");
	if ((r = check_back(&w[2], 1, GT_CPU(c1) | GT_CPU(c2))))
		return r;
	mask = gt_worker_cpus(&w[1], 100);
	if (mask & ~GT_CPU(c1))
		return gt_fail("back in CFS, ran on %#llx",
			       (unsigned long long)mask);
	/* The agent, the destroyer here, is a plain thread again. */
	if (sched_getscheduler(0) != SCHED_OTHER ||
	    gt_affinity_of(0) != gt_all_cpus())
		return gt_fail("the agent kept policy %d mask %#llx",
			       sched_getscheduler(0),
			       (unsigned long long)gt_affinity_of(0));
	return 0;
}

static int test_destroy_with_running_parked_and_blocked_threads(void)
{
	return destroy_three(0);
}

static int test_destroy_without_memory_releases_every_thread(void)
{
	int r = destroy_three(1);

	gt_param_set("fault_destroy", 0);
	return r;
}

static int test_destroy_without_agent_releases_parked_threads(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(3);
	int r;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	for (int i = 0; i < 3; i++)
		if (!gt_start(&e, &w[i], 0))
			return gt_fail("worker %d did not enter", i);
	if (!gt_worker_frozen(&w[0], 100))
		return gt_fail("a parked thread ran");
	if ((r = gt_efile_write(&e, "ctl", "destroy")))
		return gt_fail("destroy: %s", strerror(-r));
	for (int i = 0; i < 3; i++)
		if ((r = check_back(&w[i], 0, gt_all_cpus())))
			return r;
	return 0;
}

static int test_open_files_of_destroyed_enclave_enodev(void)
{
	struct gt_enclave e;
	char buf[128];
	int r, fd;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	snprintf(buf, sizeof(buf), "%s/status", e.dir);
	fd = open(buf, O_RDONLY);
	if (fd < 0)
		return gt_fail("open status: %s", strerror(errno));
	if ((r = gt_efile_write(&e, "ctl", "destroy")))
		return gt_fail("destroy: %s", strerror(-r));
	if (read(fd, buf, sizeof(buf)) >= 0 || errno != ENODEV)
		return gt_fail("read of a destroyed status: %s, want ENODEV",
			       strerror(errno));
	if (!ioctl(e.ctl_fd, GHOST_IOC_NULL) || errno != ENODEV)
		return gt_fail("ioctl on a destroyed ctl: %s, want ENODEV",
			       strerror(errno));
	if (write(e.ctl_fd, "destroy", 7) >= 0 || errno != ENODEV)
		return gt_fail("second destroy: %s, want ENODEV",
			       strerror(errno));
	close(fd);
	return 0;
}

static long delete_module(void)
{
	return syscall(SYS_delete_module, "ghost", O_NONBLOCK) ? -errno : 0;
}

/*
 * Leaves ghost.ko unloaded: the caller loads it again.  An enclave with a
 * parked thread survives the unmount and pins the module.
 */
static int test_rmmod_refused_while_enclave_alive(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	long r;

	/* No file of it open or mapped, by us or by the worker. */
	if (gt_enclave_create(&e, 1, gt_all_cpus()))
		return gt_fail("cannot create enclave 1");
	gt_enclave_close(&e);
	if ((r = gt_efile_write(&e, "runnable_timeout", "0")))
		return gt_fail("runnable_timeout 0: %s", strerror(-r));
	/* Entered from outside: its own write would keep tasks open. */
	if (gt_worker_proc(w, NULL) < 0 || !gt_worker_progresses(w, 5000))
		return gt_fail("worker does not run");
	if ((r = gt_efile_write(&e, "tasks", "%d", w->pid)))
		return gt_fail("enter %d: %s", w->pid, strerror(-r));
	if (!gt_wait_for(gt_tasks_contains(&e, w->pid), 5000) ||
	    !gt_wait_for(gt_worker_frozen(w, 50), 5000))
		return gt_fail("worker did not enter");
	if (umount(GHOST_FS_PATH))
		return gt_fail("umount with an enclave alive: %s",
			       strerror(errno));
	r = delete_module();
	if (r != -EWOULDBLOCK && r != -EBUSY)
		return gt_fail("rmmod with an enclave alive: %s",
			       r ? strerror(-r) : "unloaded");
	if (mount("ghost", GHOST_FS_PATH, "ghost", 0, NULL))
		return gt_fail("mount again: %s", strerror(errno));
	if (!gt_enclave_exists(1) || !gt_tasks_contains(&e, w->pid))
		return gt_fail("enclave_1 or its thread lost over the remount");
	if (!gt_worker_frozen(w, 100))
		return gt_fail("the parked thread ran");
	if ((r = gt_write_file(GHOST_FS_PATH "/enclave_1/ctl", "destroy")))
		return gt_fail("destroy: %s", strerror(-r));
	if ((r = check_back(w, 0, gt_all_cpus())))
		return r;
	if (umount(GHOST_FS_PATH))
		return gt_fail("umount: %s", strerror(errno));
	if ((r = delete_module()))
		return gt_fail("rmmod after destroy and umount: %s",
			       strerror(-r));
	if (!access("/sys/module/ghost", F_OK))
		return gt_fail("ghost still loaded");
	return 0;
}

/* Body: sleep in epoll_wait() on a pipe nobody writes, 3 s at most. */
static void epoll_wait_body(struct gt_worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0), p[2];

	if (ep < 0 || pipe(p) || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)) {
		w->fn_errno[0] = errno;
		w->fn_errno[1] = 1;
		return;
	}
	__atomic_store_n(&w->futex, 1, __ATOMIC_RELEASE);
	w->fn_errno[0] = epoll_wait(ep, &out, 1, 3000) < 0 ? errno : 0;
	__atomic_store_n(&w->fn_errno[1], 1, __ATOMIC_RELEASE);
}

/*
 * Leaving, by destroy or by "leave", does not interrupt what a thread
 * sleeps in: no spurious EINTR from a call that is not restarted.
 */
static int sleeper_not_interrupted(int by_destroy)
{
	struct gt_worker *w = gt_workers(1);
	struct gt_enclave e;
	uint64_t a;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w->fn = epoll_wait_body;
	if (!(a = gt_start(&e, w, 1)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, a, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->futex, 5000) ||
	    gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("the worker did not go to sleep in epoll_wait()");
	r = by_destroy ? gt_efile_write(&e, "ctl", "destroy") :
			 gt_leave(&e, w->tid);
	if (r)
		return gt_fail("%s: %s", by_destroy ? "destroy" : "leave",
			       strerror(-r));
	if (!gt_wait_for(w->fn_errno[1], 10000))
		return gt_fail("epoll_wait() never returned");
	if (w->fn_errno[0])
		return gt_fail("epoll_wait() failed with %s after %s",
			       strerror(w->fn_errno[0]),
			       by_destroy ? "destroy" : "leave");
	if (gt_proc_wait(w->pid, 5000, NULL))
		return gt_fail("the worker did not finish");
	return 0;
}

static int test_destroy_does_not_interrupt_epoll_wait(void)
{
	return sleeper_not_interrupted(1);
}

static int test_leave_does_not_interrupt_epoll_wait(void)
{
	return sleeper_not_interrupted(0);
}

static const struct gt_test tests[] = {
	{ "destroy_with_running_parked_and_blocked_threads",
	  test_destroy_with_running_parked_and_blocked_threads },
	{ "destroy_without_memory_releases_every_thread",
	  test_destroy_without_memory_releases_every_thread },
	{ "destroy_without_agent_releases_parked_threads",
	  test_destroy_without_agent_releases_parked_threads },
	{ "open_files_of_destroyed_enclave_enodev",
	  test_open_files_of_destroyed_enclave_enodev },
	{ "rmmod_refused_while_enclave_alive",
	  test_rmmod_refused_while_enclave_alive },
	{ "destroy_does_not_interrupt_epoll_wait",
	  test_destroy_does_not_interrupt_epoll_wait },
	{ "leave_does_not_interrupt_epoll_wait",
	  test_leave_does_not_interrupt_epoll_wait },
	{ NULL, NULL },
};

GT_MAIN(tests)
