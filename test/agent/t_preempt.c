// SPDX-License-Identifier: GPL-2.0
/*
 * Preemption: a commit takes a remote CPU away from the ghost thread
 * spinning there, whether it gives the CPU to another thread or to nobody;
 * so do hotplug and affinity changes, even those the probes miss.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

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

/*
 * A decoy the hammers move back and forth: sched_setaffinity() of a
 * running thread waits for its migration, and holds a probe instance
 * meanwhile.
 */
struct decoy {
	pid_t tid;
	int cpus[2];
	volatile int stop;
};

static void *decoy_spin(void *arg)
{
	struct decoy *d = arg;

	__atomic_store_n(&d->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!d->stop)
		__builtin_ia32_pause();
	return NULL;
}

static void *decoy_hammer(void *arg)
{
	struct decoy *d = arg;
	cpu_set_t set;

	for (unsigned int i = 0; !d->stop; i++) {
		CPU_ZERO(&set);
		CPU_SET(d->cpus[i & 1], &set);
		sched_setaffinity(d->tid, sizeof(set), &set);
	}
	return NULL;
}

/*
 * An affinity change the probe misses (its one instance is busy moving a
 * decoy) still takes the thread off its commit: the thread is caught
 * when it arrives on the CPU it was moved to, before any user code.
 * Needs ghost.ko loaded with probe_instances=1.
 */
static int test_missed_affinity_probe_preempts(void)
{
	struct gt_worker *w = gt_workers(1);
	struct gt_enclave e;
	pthread_t spin, hammer[3];
	pthread_attr_t attr;
	struct decoy d = { 0 };
	long missed0, displaced;
	int r, i, round, c1 = gt_cpu(0), c2 = gt_cpu(1);
	char buf[32];
	cpu_set_t set;
	uint64_t a;

	if (gt_read_file("/sys/module/ghost/parameters/probe_instances", buf,
			 sizeof(buf)) < 0 || atoi(buf) != 1)
		return gt_skip("ghost.ko not loaded with probe_instances=1");
	if ((r = gt_need_cpus(4)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if ((r = gt_efile_write(&e, "audit", "1")))
		return gt_fail("audit 1: %s", strerror(-r));
	gt_efile_write(&e, "runnable_timeout", "0");
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	/* Never the agent's CPU: a real-time agent would starve the decoy. */
	d.cpus[0] = gt_cpu(2);
	d.cpus[1] = c2;
	/* Ordinary threads, off the agent's CPU: not the agent's policy. */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &(struct sched_param){ 0 });
	CPU_ZERO(&set);
	CPU_SET(c2, &set);
	CPU_SET(d.cpus[0], &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (pthread_create(&spin, &attr, decoy_spin, &d))
		return gt_fail("pthread_create");
	while (!__atomic_load_n(&d.tid, __ATOMIC_ACQUIRE))
		gt_sleep_ms(1);
	for (i = 0; i < 3; i++)
		pthread_create(&hammer[i], &attr, decoy_hammer, &d);
	pthread_attr_destroy(&attr);

	missed0 = gt_status(&e, "probes_missed");
	r = 0;
	for (round = 0; round < 400 && !r; round++) {
		if (gt_status(&e, "displaced") >= 3)
			break;
		if (round % 50 == 0)
			fprintf(stderr, "round %d: %ld missed, %ld displaced\n",
				round, gt_status(&e, "probes_missed") - missed0,
				gt_status(&e, "displaced"));
		/* Its CPU, then the other one: its allowed CPUs alternate. */
		if ((r = gt_run_on(&e, w, a, round % 2 ? c2 : c1)))
			break;
		CPU_ZERO(&set);
		CPU_SET(round % 2 ? c1 : c2, &set);
		if (sched_setaffinity(w->tid, sizeof(set), &set)) {
			r = gt_fail("sched_setaffinity: %s", strerror(errno));
			break;
		}
		/* Seen or missed, the thread is off its commit now. */
		if (!gt_worker_frozen(w, 50))
			r = gt_fail("round %d: the thread runs on after its affinity changed",
				    round);
	}
	d.stop = 1;
	for (i = 0; i < 3; i++)
		pthread_join(hammer[i], NULL);
	pthread_join(spin, NULL);
	if (r)
		return r;
	displaced = gt_status(&e, "displaced");
	if (gt_status(&e, "probes_missed") == missed0 || displaced <= 0)
		return gt_skip("no affinity change was missed in %d rounds",
			       round);
	if (gt_status(&e, "audit_violations") != 0)
		return gt_fail("%ld audit samples found user code without a commit",
			       gt_status(&e, "audit_violations"));
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
	{ "missed_affinity_probe_preempts",
	  test_missed_affinity_probe_preempts },
	{ NULL, NULL },
};

GT_MAIN(tests)
