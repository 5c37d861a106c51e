// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: each final state of a txn slot from the situation that
 * should produce it, and group commits; a thread's affinity and cpuset.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "ghost_test.h"

static int expect_state(const char *what, int got, int want)
{
	if (got != want)
		return gt_fail("%s: %s, want %s", what, gt_txn_name(got),
			       gt_txn_name(want));
	return 0;
}

static int test_commit_complete(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a, t0, t1;
	uint32_t nr = 0;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	t0 = gt_now_ns();
	r = gt_txn_commit(&e, GT_CPU(c1), &nr);
	t1 = gt_now_ns();
	if (r)
		return gt_fail("GHOST_IOC_COMMIT: %s", strerror(-r));
	if ((r = expect_state("commit", gt_txn_state(&e, c1),
			      GHOST_TXN_COMPLETE)))
		return r;
	if (nr != 1)
		return gt_fail("nr_committed %u, want 1", nr);
	/* commit_time is CLOCK_MONOTONIC's clock. */
	if (e.txn[c1].commit_time < t0 || e.txn[c1].commit_time > t1)
		return gt_fail("commit_time %llu outside [%llu, %llu]",
			       (unsigned long long)e.txn[c1].commit_time,
			       (unsigned long long)t0, (unsigned long long)t1);
	if (e.txn[c1].cpu != c1)
		return gt_fail("slot %d says cpu %d", c1, e.txn[c1].cpu);
	if (gt_cpu_word(&e, c1)->gtid != a)
		return gt_fail("CPU word does not name the committed thread");
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed thread does not run");
	return 0;
}

static int test_stale_barrier_rejected(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	uint32_t b;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_worker_thread(w, &e) || gt_worker_entering(w, 5000) ||
	    gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w->tid, 5000, &m))
		return gt_fail("worker did not enter");
	a = m.gtid;
	b = gt_barrier(&e, a);
	if ((r = expect_state("barrier - 1",
			      gt_commit_barrier(&e, a, c1, b - 1),
			      GHOST_TXN_TARGET_STALE)) ||
	    (r = expect_state("barrier + 1",
			      gt_commit_barrier(&e, a, c1, b + 1),
			      GHOST_TXN_TARGET_STALE)))
		return r;
	if (!gt_worker_frozen(w, 200) || w->state != GT_W_ENTERING)
		return gt_fail("a stale commit let the thread run");

	/* Once it has run and yielded, TASK_NEW's barrier is old news. */
	if ((r = expect_state("commit", gt_commit_barrier(&e, a, c1, b),
			      GHOST_TXN_COMPLETE)))
		return r;
	gt_worker_cmd(w, GT_CMD_YIELD);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w->tid, 5000, NULL))
		return gt_fail("no TASK_YIELD");
	if ((r = expect_state("TASK_NEW's seqnum after a yield",
			      gt_commit_barrier(&e, a, c1, m.seqnum),
			      GHOST_TXN_TARGET_STALE)))
		return r;
	return expect_state("current barrier", gt_commit(&e, a, c1),
			    GHOST_TXN_COMPLETE);
}

static int test_unknown_gtid_not_found(void)
{
	struct gt_enclave e, e2;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(3)) ||
	    (r = gt_setup(&e, GT_CPU(gt_agent_cpu) | GT_CPU(c1), 1)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)))
		return gt_fail("worker did not enter");
	/* A live thread, a wrong enrolment number. */
	if ((r = expect_state("wrong enrolment number",
			      gt_commit_barrier(&e, a + 1000, c1, 1),
			      GHOST_TXN_TARGET_NOT_FOUND)) ||
	    (r = expect_state("a thread not in ghost",
			      gt_commit_barrier(&e, (uint64_t)getpid() << 32 | 1,
						c1, 1),
			      GHOST_TXN_TARGET_NOT_FOUND)) ||
	    (r = expect_state("no such tid",
			      gt_commit_barrier(&e, 0x3ffffffeULL << 32 | 1,
						c1, 1),
			      GHOST_TXN_TARGET_NOT_FOUND)))
		return r;

	/* A thread of another enclave. */
	if (gt_enclave_create(&e2, 2, GT_CPU(gt_cpu(1))) || gt_enclave_map(&e2))
		return gt_fail("cannot set up enclave 2");
	if (!(b = gt_start(&e2, &w[1], 0)))
		return gt_fail("worker did not enter enclave 2");
	return expect_state("a thread of enclave 2",
			    gt_commit_barrier(&e, b, c1, gt_barrier(&e2, b)),
			    GHOST_TXN_TARGET_NOT_FOUND);
}

static int test_blocked_thread_not_runnable(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = expect_state("commit", gt_commit(&e, a, c1),
			      GHOST_TXN_COMPLETE)))
		return r;
	gt_worker_cmd(w, GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");
	return expect_state("blocked thread", gt_commit(&e, a, c1),
			    GHOST_TXN_TARGET_NOT_RUNNABLE);
}

static int test_dead_thread_not_found(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 1)))
		return gt_fail("worker did not enter");
	gt_worker_cmd(w, GT_CMD_EXIT);
	if ((r = expect_state("commit", gt_commit(&e, a, c1),
			      GHOST_TXN_COMPLETE)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, &m))
		return gt_fail("no TASK_DEAD");
	/* Zombie or reaped, a dead thread is no target. */
	r = gt_commit_barrier(&e, a, c1, m.seqnum);
	if (r != GHOST_TXN_TARGET_NOT_FOUND &&
	    r != GHOST_TXN_TARGET_NOT_RUNNABLE)
		return gt_fail("zombie: %s", gt_txn_name(r));
	gt_worker_join(w, 5000);
	r = gt_commit_barrier(&e, a, c1, m.seqnum);
	if (r != GHOST_TXN_TARGET_NOT_FOUND &&
	    r != GHOST_TXN_TARGET_NOT_RUNNABLE)
		return gt_fail("reaped: %s", gt_txn_name(r));
	return 0;
}

static int test_running_thread_oncpu(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = expect_state("commit", gt_commit(&e, a, c1),
			      GHOST_TXN_COMPLETE)))
		return r;
	if ((r = expect_state("second CPU", gt_commit(&e, a, c2),
			      GHOST_TXN_TARGET_ONCPU)) ||
	    (r = expect_state("same CPU", gt_commit(&e, a, c1),
			      GHOST_TXN_TARGET_ONCPU)))
		return r;
	a = gt_worker_cpus(w, 100);
	if (a != GT_CPU(c1))
		return gt_fail("ran on %#llx after the refused commit",
			       (unsigned long long)a);
	return 0;
}

static int set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return gt_write_file(path, "%d", on);
}

static int test_offline_cpu_unavail(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c = gt_cpu(gt_nr_cpus - 2);
	uint64_t a;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	r = set_online(c, 0);
	if (r)
		return gt_skip("cannot offline CPU %d: %s", c, strerror(-r));
	r = gt_commit(&e, a, c);
	set_online(c, 1);
	if ((r = expect_state("offline CPU", r, GHOST_TXN_CPU_UNAVAIL)))
		return r;
	if (!gt_worker_frozen(w, 100))
		return gt_fail("thread ran after a refused commit");
	return expect_state("back online", gt_commit(&e, a, c),
			    GHOST_TXN_COMPLETE);
}

static int test_cpu_outside_enclave_invalid_cpu(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) ||
	    (r = gt_setup(&e, GT_CPU(gt_agent_cpu) | GT_CPU(c1), 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = expect_state("CPU outside", gt_commit(&e, a, c2),
			      GHOST_TXN_INVALID_CPU)) ||
	    (r = expect_state("idle commit outside", gt_idle(&e, c2),
			      GHOST_TXN_INVALID_CPU)))
		return r;
	return expect_state("CPU inside", gt_commit(&e, a, c1),
			    GHOST_TXN_COMPLETE);
}

/*
 * The agent's gtid is not published; it has an enrolment number between
 * those of a thread that entered before it attached and one after.
 */
static int test_agent_gtid_invalid_target(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	uint64_t a, b, base;
	int r, c1 = gt_cpu(0), hits = 0;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 0)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_attach(&e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	if (!(b = gt_start(&e, &w[1], 0)))
		return gt_fail("worker did not enter");
	base = (uint64_t)gettid() << 32;
	for (uint32_t n = (uint32_t)a + 1; n != (uint32_t)b; n++) {
		r = gt_commit_barrier(&e, base | n, c1, 0);
		if (r == GHOST_TXN_INVALID_TARGET)
			hits++;
		else if (r != GHOST_TXN_TARGET_NOT_FOUND)
			return gt_fail("gtid %#llx: %s",
				       (unsigned long long)(base | n),
				       gt_txn_name(r));
	}
	if (hits != 1)
		return gt_fail("%d agent gtids found between %#llx and %#llx",
			       hits, (unsigned long long)a,
			       (unsigned long long)b);
	return 0;
}

static int test_nonzero_flags_invalid_flags(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	for (int bit = 0; bit < 32; bit++) {
		if (GHOST_TXN_F_ALL & (1U << bit))
			continue;
		gt_txn_set(&e, c1, a, gt_barrier(&e, a), 1U << bit);
		if ((r = gt_txn_commit(&e, GT_CPU(c1), NULL)))
			return gt_fail("GHOST_IOC_COMMIT: %s", strerror(-r));
		if ((r = expect_state("flags", gt_txn_state(&e, c1),
				      GHOST_TXN_INVALID_FLAGS)))
			return r;
	}
	if (!gt_worker_frozen(w, 100))
		return gt_fail("thread ran after a refused commit");
	return 0;
}

struct commit_arg {
	struct gt_enclave *e;
	int ret;
};

/* Capabilities belong to threads: this one commits without CAP_SYS_NICE. */
static void *commit_from_other_thread(void *p)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	struct commit_arg *c = p;

	if (syscall(SYS_capget, &h, d)) {
		c->ret = -errno;
		return NULL;
	}
	d[0].effective &= ~(1U << CAP_SYS_NICE);
	if (syscall(SYS_capset, &h, d)) {
		c->ret = -errno;
		return NULL;
	}
	c->ret = gt_txn_commit(c->e, GT_CPU(gt_cpu(0)), NULL);
	return NULL;
}

/*
 * While no agent is attached, a privileged commit fails every slot with
 * GHOST_TXN_NO_AGENT.  A caller that is neither an agent nor holds
 * CAP_SYS_NICE, even a thread of the agent's process, gets EPERM and the
 * slot stays READY.
 */
static int test_commit_without_agent_no_agent(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct commit_arg c;
	pthread_t t;
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 0)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	if ((r = gt_txn_commit(&e, GT_CPU(c1), NULL)))
		return gt_fail("privileged commit without agent: %s",
			       strerror(-r));
	if ((r = expect_state("commit without agent", gt_txn_state(&e, c1),
			      GHOST_TXN_NO_AGENT)))
		return r;
	if ((r = gt_attach(&e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	c.e = &e;
	pthread_create(&t, NULL, commit_from_other_thread, &c);
	pthread_join(t, NULL);
	if (c.ret != -EPERM)
		return gt_fail("commit without CAP_SYS_NICE: %s, want EPERM",
			       strerror(-c.ret));
	if (gt_txn_state(&e, c1) != GHOST_TXN_READY)
		return gt_fail("refused commit changed the slot to %s",
			       gt_txn_name(gt_txn_state(&e, c1)));
	return expect_state("the agent's commit",
			    (gt_txn_commit(&e, GT_CPU(c1), NULL),
			     gt_txn_state(&e, c1)), GHOST_TXN_COMPLETE);
}

static int test_group_commit_all_enclave_cpus(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(GT_MAX_CPUS);
	uint64_t g[GT_MAX_CPUS], all = gt_all_cpus();
	uint32_t nr = 0;
	int r, n = 0, cpus[GT_MAX_CPUS];

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	/* One thread per enclave CPU, the agent's own CPU too. */
	for (int c = 0; c < GT_MAX_CPUS; c++) {
		if (!(all & GT_CPU(c)))
			continue;
		cpus[n] = c;
		if (!(g[n] = gt_start(&e, &w[n], 0)))
			return gt_fail("worker %d did not enter", n);
		n++;
	}
	for (int i = 0; i < n; i++)
		gt_txn_set(&e, cpus[i], g[i], gt_barrier(&e, g[i]), 0);
	if ((r = gt_txn_commit(&e, all, &nr)))
		return gt_fail("GHOST_IOC_COMMIT: %s", strerror(-r));
	if ((int)nr != n)
		return gt_fail("nr_committed %u, want %d", nr, n);
	for (int i = 0; i < n; i++)
		if ((r = expect_state("group member",
				      gt_txn_state(&e, cpus[i]),
				      GHOST_TXN_COMPLETE)))
			return r;
	/* The agent sleeps, so its CPU's thread runs too. */
	for (int i = 0; i < n; i++)
		if (!gt_worker_progresses(&w[i], 5000))
			return gt_fail("thread of CPU %d does not run",
				       cpus[i]);
	gt_sleep_ms(200);
	for (int i = 0; i < n; i++)
		if (w[i].cpus_seen != GT_CPU(cpus[i]))
			return gt_fail("thread of CPU %d ran on %#llx", cpus[i],
				       (unsigned long long)w[i].cpus_seen);
	return 0;
}

static int test_slots_not_ready_left_alone(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint32_t nr = 0;
	uint64_t a;
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	e.txn[c2].gtid = a;
	e.txn[c2].task_barrier = gt_barrier(&e, a);
	__atomic_store_n(&e.txn[c2].state, 12345, __ATOMIC_RELEASE);
	if ((r = gt_txn_commit(&e, GT_CPU(c1) | GT_CPU(c2), &nr)))
		return gt_fail("GHOST_IOC_COMMIT: %s", strerror(-r));
	if (nr != 1 || gt_txn_state(&e, c1) != GHOST_TXN_COMPLETE)
		return gt_fail("nr_committed %u, READY slot %s", nr,
			       gt_txn_name(gt_txn_state(&e, c1)));
	if (gt_txn_state(&e, c2) != 12345)
		return gt_fail("slot not READY became %s",
			       gt_txn_name(gt_txn_state(&e, c2)));
	return 0;
}

static int test_commit_on_destroyed_enclave_enodev(void)
{
	struct gt_enclave e;
	uint64_t t0;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if ((r = gt_efile_write(&e, "ctl", "destroy")))
		return gt_fail("destroy: %s", strerror(-r));
	gt_txn_set(&e, c1, 0, 0, 0);
	t0 = gt_now_ns();
	if ((r = gt_txn_commit(&e, GT_CPU(c1), NULL)) != -ENODEV)
		return gt_fail("commit after destroy: %s, want ENODEV",
			       strerror(-r));
	if ((r = gt_agent_wait(&e, e.ring->head, 2000)) != -ENODEV)
		return gt_fail("wait after destroy: %s, want ENODEV",
			       strerror(-r));
	if (gt_now_ns() - t0 > 1000000000ULL)
		return gt_fail("wait after destroy slept");
	return 0;
}

#define CG_ROOT	"/sys/fs/cgroup"
#define CG_DIR	CG_ROOT "/ghost-test-cpuset"

/* A cgroup v2 cpuset of its own, CPUs @cpu; 0 or GT_SKIP/GT_FAIL. */
static int cpuset_make(int cpu)
{
	int r = gt_cgroup_make("ghost-test-cpuset", "cpuset");

	if (r)
		return r;
	if (gt_write_file(CG_DIR "/cpuset.cpus", "%d", cpu))
		return gt_fail("cpuset.cpus %d", cpu);
	return 0;
}

static void cpuset_remove(pid_t pid)
{
	gt_write_file(CG_ROOT "/cgroup.procs", "%d", (int)pid);
	rmdir(CG_DIR);
}

static int expect_affinity(struct gt_enclave *e, uint64_t gtid, int cpu)
{
	struct ghost_ioc_task_affinity arg = { .gtid = gtid };
	unsigned char bits[128] = { 0 };

	arg.cpus_ptr = (uintptr_t)bits;
	arg.cpus_len = sizeof(bits);
	if (ioctl(e->ctl_fd, GHOST_IOC_TASK_AFFINITY, &arg))
		return gt_fail("GHOST_IOC_TASK_AFFINITY: %s", strerror(errno));
	for (int i = 0; i < (int)sizeof(bits) * 8; i++) {
		if (!!(bits[i / 8] & (1 << (i % 8))) != (i == cpu))
			return gt_fail("the module says CPU %d is%s allowed, want only %d",
				       i, i == cpu ? " not" : "", cpu);
	}
	return 0;
}

/*
 * A ghost thread moved into a cpuset takes its CPUs: a commit outside them
 * is refused; a change of the cpuset's CPUs takes its CPU from it; it
 * leaves with the cpuset's mask.
 */
static int test_cpuset_is_honoured(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct ghost_ioc_task_affinity bad = { 0 };
	cpu_set_t set;
	uint64_t a;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 1)))
		return gt_fail("worker did not enter");
	if ((r = cpuset_make(c1)))
		return r;
	r = gt_write_file(CG_DIR "/cgroup.procs", "%d", (int)w->pid);
	if (r) {
		cpuset_remove(w->pid);
		return gt_fail("cannot move the worker into the cpuset: %s",
			       strerror(-r));
	}
	if (gt_wait_msg(&e, GHOST_MSG_TASK_AFFINITY_CHANGED, w->tid, 2000,
			NULL)) {
		r = gt_fail("no TASK_AFFINITY_CHANGED when its cpuset changed");
		goto out;
	}
	if ((r = expect_affinity(&e, a, c1)) ||
	    (r = expect_state("outside its cpuset", gt_commit(&e, a, c2),
			      GHOST_TXN_CPU_NOT_ALLOWED)) ||
	    (r = gt_run_on(&e, w, a, c1)))
		goto out;
	/* The cpuset moves to the other CPU while the thread runs. */
	if (gt_write_file(CG_DIR "/cpuset.cpus", "%d", c2)) {
		r = gt_fail("cpuset.cpus %d", c2);
		goto out;
	}
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 2000, NULL)) {
		r = gt_fail("no TASK_PREEMPT when its cpuset left its CPU");
		goto out;
	}
	if (!gt_worker_frozen(w, 200)) {
		r = gt_fail("it runs on after its cpuset left its CPU");
		goto out;
	}
	if ((r = expect_affinity(&e, a, c2)) ||
	    (r = expect_state("its old CPU", gt_commit(&e, a, c1),
			      GHOST_TXN_CPU_NOT_ALLOWED)) ||
	    (r = gt_run_on(&e, w, a, c2)))
		goto out;
	/* Input checks of the query. */
	bad.gtid = a;
	if (ioctl(e.ctl_fd, GHOST_IOC_TASK_AFFINITY, &bad) == 0 ||
	    errno != EINVAL) {
		r = gt_fail("GHOST_IOC_TASK_AFFINITY without a buffer: %s, want EINVAL",
			    strerror(errno));
		goto out;
	}
	/* It leaves with its cpuset's CPUs. */
	if ((r = gt_leave(&e, w->tid))) {
		r = gt_fail("leave: %s", strerror(-r));
		goto out;
	}
	if (!gt_wait_for(sched_getaffinity(w->tid, sizeof(set), &set) == 0 &&
			 CPU_COUNT(&set) == 1 && CPU_ISSET(c2, &set), 2000))
		r = gt_fail("after leaving, its affinity is not its cpuset's CPU %d",
			    c2);
out:
	cpuset_remove(w->pid);
	return r;
}

static const struct gt_test tests[] = {
	{ "cpuset_is_honoured", test_cpuset_is_honoured },
	{ "commit_complete", test_commit_complete },
	{ "stale_barrier_rejected", test_stale_barrier_rejected },
	{ "unknown_gtid_not_found", test_unknown_gtid_not_found },
	{ "blocked_thread_not_runnable", test_blocked_thread_not_runnable },
	{ "dead_thread_not_found", test_dead_thread_not_found },
	{ "running_thread_oncpu", test_running_thread_oncpu },
	{ "offline_cpu_unavail", test_offline_cpu_unavail },
	{ "cpu_outside_enclave_invalid_cpu",
	  test_cpu_outside_enclave_invalid_cpu },
	{ "agent_gtid_invalid_target", test_agent_gtid_invalid_target },
	{ "nonzero_flags_invalid_flags", test_nonzero_flags_invalid_flags },
	{ "commit_without_agent_no_agent",
	  test_commit_without_agent_no_agent },
	{ "group_commit_all_enclave_cpus",
	  test_group_commit_all_enclave_cpus },
	{ "slots_not_ready_left_alone", test_slots_not_ready_left_alone },
	{ "commit_on_destroyed_enclave_enodev",
	  test_commit_on_destroyed_enclave_enodev },
	{ NULL, NULL },
};

GT_MAIN(tests)
