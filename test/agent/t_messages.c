// SPDX-License-Identifier: GPL-2.0
/*
 * Messages: each type comes from the event that should produce it, and a
 * task message's seqnum is the barrier its status word shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "ghost_test.h"

/* @m is the last event of its thread: its seqnum is the word's barrier. */
static int check_seqnum(struct gt_enclave *e, const struct gt_msg *m)
{
	const volatile struct ghost_status_word *sw;
	int idx = gt_sw_index(e, m->gtid);

	if (idx < 0)
		return gt_fail("%s: no status word for gtid %#llx",
			       gt_msg_name(m->type),
			       (unsigned long long)m->gtid);
	sw = gt_sw(e, idx);
	if (sw->barrier != m->seqnum)
		return gt_fail("%s: seqnum %u, status word barrier %u",
			       gt_msg_name(m->type), m->seqnum, sw->barrier);
	if (sw->gtid != m->gtid)
		return gt_fail("%s: status word of another gtid",
			       gt_msg_name(m->type));
	return 0;
}

/* One worker committed to gt_cpu(0) and spinning. */
static int start_running(struct gt_enclave *e, struct gt_worker *w,
			 uint64_t *gtid)
{
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(e, 0, 1)))
		return r;
	*gtid = gt_start(e, w, 0);
	if (!*gtid)
		return gt_fail("worker did not enter");
	r = gt_commit(e, *gtid, gt_cpu(0));
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed worker does not run");
	return 0;
}

/* Wait for @type from @w; check its CPU (unless -2) and its seqnum. */
static int expect_msg(struct gt_enclave *e, struct gt_worker *w, int type,
		      int cpu, struct gt_msg *out)
{
	struct gt_msg m;

	if (gt_wait_msg(e, type, w->tid, 5000, &m))
		return gt_fail("no %s for %d", gt_msg_name(type), w->tid);
	if (cpu != -2 && m.cpu != cpu)
		return gt_fail("%s: cpu %d, want %d", gt_msg_name(type), m.cpu,
			       cpu);
	if (out)
		*out = m;
	return check_seqnum(e, &m);
}

static int test_task_new_on_enter(void)
{
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w->nice = 3;
	if (gt_worker_thread(w, &e) || gt_worker_entering(w, 5000))
		return gt_fail("worker did not start");
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_NEW, -2, &m)))
		return r;
	if (GHOST_GTID_TID(m.gtid) != w->tid)
		return gt_fail("gtid %#llx is not of tid %d",
			       (unsigned long long)m.gtid, w->tid);
	if (m.u.new.parent_gtid || !m.u.new.runnable || m.u.new.nice != 3)
		return gt_fail("payload: parent %#llx runnable %u nice %d",
			       (unsigned long long)m.u.new.parent_gtid,
			       m.u.new.runnable, m.u.new.nice);
	if ((int)m.u.new.sw_index != gt_sw_index(&e, m.gtid))
		return gt_fail("sw_index %u, GHOST_IOC_SW_GET says %d",
			       m.u.new.sw_index, gt_sw_index(&e, m.gtid));
	sw = gt_sw(&e, m.u.new.sw_index);
	if (sw->flags != (GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE))
		return gt_fail("status word flags %#x", sw->flags);
	return 0;
}

static int test_task_blocked_and_wakeup_on_pipe(void)
{
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_running(&e, w, &a)))
		return r;
	gt_worker_cmd(w, GT_CMD_PIPE);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_BLOCKED, c1, NULL)))
		return r;
	sw = gt_sw_of(&e, a);
	if (sw->flags != GHOST_SW_F_INUSE)
		return gt_fail("blocked: status word flags %#x", sw->flags);
	if (gt_cpu_word(&e, c1)->gtid)
		return gt_fail("blocked thread still owns CPU %d", c1);

	gt_worker_poke(w);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_WAKEUP, c1, &m)))
		return r;
	if (sw->flags != (GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE))
		return gt_fail("woken: status word flags %#x", sw->flags);
	/* Woken, but it runs only once committed again. */
	gt_sleep_ms(100);
	if (w->wakeups)
		return gt_fail("read() returned before a commit");
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("recommit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->wakeups == 1, 5000))
		return gt_fail("read() did not return after the commit");
	return 0;
}

static int test_task_blocked_and_wakeup_on_futex(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_running(&e, w, &a)))
		return r;
	gt_worker_cmd(w, GT_CMD_FUTEX);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_BLOCKED, c1, NULL)))
		return r;
	__atomic_store_n(&w->futex, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &w->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_WAKEUP, -2, NULL)))
		return r;
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("recommit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->wakeups == 1, 5000))
		return gt_fail("futex wait did not return after the commit");
	return 0;
}

static int test_task_blocked_and_wakeup_on_nanosleep(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_running(&e, w, &a)))
		return r;
	gt_worker_cmd(w, GT_CMD_SLEEP);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_BLOCKED, c1, NULL)))
		return r;
	/* The timer wakes it. */
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_WAKEUP, -2, NULL)))
		return r;
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("recommit: %s", gt_txn_name(r));
	if (!gt_wait_for(w->cmd == GT_CMD_SPIN, 5000))
		return gt_fail("nanosleep did not return after the commit");
	return 0;
}

static int test_task_preempt_on_idle_commit(void)
{
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_running(&e, w, &a)))
		return r;
	r = gt_idle(&e, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("idle commit: %s", gt_txn_name(r));
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_PREEMPT, c1, NULL)))
		return r;
	sw = gt_sw_of(&e, a);
	if (sw->flags != (GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE))
		return gt_fail("preempted: status word flags %#x", sw->flags);
	return 0;
}

static int test_task_yield_on_sched_yield(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = start_running(&e, w, &a)))
		return r;
	gt_worker_cmd(w, GT_CMD_YIELD);
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_YIELD, c1, NULL)))
		return r;
	/* It gave its CPU back: parked until committed again. */
	if (!gt_worker_frozen(w, 200))
		return gt_fail("still running after sched_yield()");
	r = gt_commit(&e, a, c1);
	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("recommit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run after the recommit");
	return 0;
}

static int test_task_dead_on_exit(void)
{
	const volatile struct ghost_status_word *sw;
	struct ghost_ioc_sw s = { 0 };
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	int r, c1 = gt_cpu(0), idx;

	if ((r = start_running(&e, w, &a)))
		return r;
	idx = gt_sw_index(&e, a);
	gt_worker_cmd(w, GT_CMD_EXIT);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, &m))
		return gt_fail("no TASK_DEAD");
	if (m.cpu != c1)
		return gt_fail("TASK_DEAD cpu %d, want %d", m.cpu, c1);
	sw = gt_sw(&e, idx);
	if (sw->barrier != m.seqnum)
		return gt_fail("TASK_DEAD seqnum %u, barrier %u", m.seqnum,
			       sw->barrier);
	if (!(sw->flags & GHOST_SW_F_CANFREE))
		return gt_fail("dead thread's word lacks CANFREE: %#x",
			       sw->flags);
	s.index = idx;
	if (ioctl(e.ctl_fd, GHOST_IOC_SW_FREE, &s))
		return gt_fail("GHOST_IOC_SW_FREE: %s", strerror(errno));
	if (sw->flags)
		return gt_fail("freed word has flags %#x", sw->flags);
	gt_worker_join(w, 5000);
	return 0;
}

static int test_task_departed_on_leave(void)
{
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct gt_msg m;
	uint64_t a;
	int r;

	if ((r = start_running(&e, w, &a)))
		return r;
	/* Its gtid is unknown once it is gone: take the word now. */
	sw = gt_sw_of(&e, a);
	r = gt_leave(&e, w->tid);
	if (r)
		return gt_fail("leave: %s", strerror(-r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEPARTED, w->tid, 5000, &m))
		return gt_fail("no TASK_DEPARTED");
	if (sw->barrier != m.seqnum || !(sw->flags & GHOST_SW_F_CANFREE))
		return gt_fail("TASK_DEPARTED seqnum %u, barrier %u, flags %#x",
			       m.seqnum, sw->barrier, sw->flags);
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("departed thread does not run");
	return 0;
}

static int test_task_affinity_changed_on_setaffinity(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	cpu_set_t set;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!gt_start(&e, w, 0))
		return gt_fail("worker did not enter");
	CPU_ZERO(&set);
	CPU_SET(gt_cpu(0), &set);
	if (sched_setaffinity(w->tid, sizeof(set), &set))
		return gt_fail("sched_setaffinity: %s", strerror(errno));
	return expect_msg(&e, w, GHOST_MSG_TASK_AFFINITY_CHANGED, -2, NULL);
}

/* Is the last TASK_PRIORITY_CHANGED of @w for @nice, with its barrier? */
static int expect_nice(struct gt_enclave *e, struct gt_worker *w, uint64_t a,
		       int nice)
{
	struct gt_msg m;

	if (gt_wait_msg(e, GHOST_MSG_TASK_PRIORITY_CHANGED, w->tid, 5000, &m))
		return gt_fail("no TASK_PRIORITY_CHANGED for nice %d", nice);
	if (m.u.prio.nice != nice)
		return gt_fail("TASK_PRIORITY_CHANGED says nice %d, want %d",
			       m.u.prio.nice, nice);
	if (m.seqnum != gt_barrier(e, a))
		return gt_fail("TASK_PRIORITY_CHANGED seqnum %u, barrier %u",
			       m.seqnum, gt_barrier(e, a));
	return 0;
}

static int test_task_priority_changed_on_nice(void)
{
	struct sched_attr {
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t prio;
		uint64_t runtime, deadline, period;
	} attr = { .size = sizeof(attr), .nice = -3 };
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r;

	if ((r = start_running(&e, w, &a)))
		return r;
	if (setpriority(PRIO_PROCESS, w->tid, 7))
		return gt_fail("setpriority: %s", strerror(errno));
	if ((r = expect_nice(&e, w, a, 7)))
		return r;
	if (syscall(SYS_sched_setattr, w->tid, &attr, 0))
		return gt_fail("sched_setattr: %s", strerror(errno));
	if ((r = expect_nice(&e, w, a, -3)))
		return r;
	/* The same value again is no change. */
	gt_log_clear(&e);
	if (setpriority(PRIO_PROCESS, w->tid, -3))
		return gt_fail("setpriority: %s", strerror(errno));
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_PRIORITY_CHANGED, w->tid, 200,
			 NULL))
		return gt_fail("TASK_PRIORITY_CHANGED without a change");
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("worker stopped running");
	return 0;
}

static int test_task_on_cpu_with_send_on_cpu_flag(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	/* Without the flag: none. */
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("does not run");
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_ON_CPU, w->tid, 200, NULL))
		return gt_fail("TASK_ON_CPU without GHOST_TXN_F_SEND_ON_CPU");
	if ((r = gt_idle(&e, c1)) != GHOST_TXN_COMPLETE ||
	    gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("idle commit: %s", gt_txn_name(r));
	/* With it: once, when it runs there. */
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), GHOST_TXN_F_SEND_ON_CPU);
	if ((r = gt_txn_commit(&e, GT_CPU(c1), NULL)) ||
	    gt_txn_state(&e, c1) != GHOST_TXN_COMPLETE)
		return gt_fail("commit with GHOST_TXN_F_SEND_ON_CPU: %s",
			       gt_txn_name(r ? r : gt_txn_state(&e, c1)));
	if ((r = expect_msg(&e, w, GHOST_MSG_TASK_ON_CPU, c1, NULL)))
		return r;
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_ON_CPU, w->tid, 300, NULL))
		return gt_fail("a second TASK_ON_CPU for one commit");
	return 0;
}

static int test_cpu_busy_and_available_for_cfs_threads(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0), busy = 0, avail = 0;
	uint32_t last = 0;
	struct gt_msg m;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	r = gt_efile_write(&e, "deliver_cpu_availability", "1");
	if (r == -ENOENT)
		return gt_skip("no deliver_cpu_availability");
	if (r)
		return gt_fail("deliver_cpu_availability 1: %s", strerror(-r));
	gt_sleep_ms(100);
	gt_log_clear(&e);
	/* A plain CFS process spins on an enclave CPU, then exits. */
	w->affinity = GT_CPU(c1);
	if (gt_worker_proc(w, NULL) < 0 || !gt_worker_progresses(w, 5000))
		return gt_fail("CFS spinner does not run");
	while (!busy && !gt_wait_msg(&e, GHOST_MSG_CPU_BUSY, 0, 2000, &m))
		busy = m.cpu == c1;
	if (!busy)
		return gt_fail("no CPU_BUSY for CPU %d", c1);
	gt_worker_cmd(w, GT_CMD_EXIT);
	if (gt_proc_wait(w->pid, 5000, NULL))
		return gt_fail("CFS spinner did not exit");
	while (!avail &&
	       !gt_wait_msg(&e, GHOST_MSG_CPU_AVAILABLE, 0, 2000, &m))
		avail = m.cpu == c1;
	if (!avail)
		return gt_fail("no CPU_AVAILABLE for CPU %d", c1);
	gt_efile_write(&e, "deliver_cpu_availability", "0");
	gt_sleep_ms(100);
	while (!gt_find_msg(&e, -1, 0, &m))
		if (m.type >= GHOST_MSG_CPU_TICK && m.cpu == c1)
			last = m.seqnum;
	if (last && gt_cpu_word(&e, c1)->barrier != last)
		return gt_fail("CPU %d: last seqnum %u, barrier %u", c1, last,
			       gt_cpu_word(&e, c1)->barrier);
	return 0;
}

static int test_cpu_tick_when_deliver_ticks(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(GT_MAX_CPUS);
	uint32_t last[GT_MAX_CPUS] = { 0 };
	uint64_t want = 0, seen = 0, g;
	struct gt_msg m;
	int r, n;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	/* Busy CPUs tick even with NO_HZ. */
	for (n = 0; gt_cpu(n) >= 0; n++) {
		if (!(g = gt_start(&e, &w[n], 0)))
			return gt_fail("worker did not enter");
		if ((r = gt_commit(&e, g, gt_cpu(n))) != GHOST_TXN_COMPLETE)
			return gt_fail("commit: %s", gt_txn_name(r));
		want |= GT_CPU(gt_cpu(n));
	}
	r = gt_efile_write(&e, "deliver_ticks", "1");
	if (r)
		return gt_skip("deliver_ticks: %s", strerror(-r));
	while ((seen & want) != want &&
	       !gt_wait_msg(&e, GHOST_MSG_CPU_TICK, 0, 3000, &m))
		if (m.cpu >= 0 && m.cpu < GT_MAX_CPUS)
			seen |= GT_CPU(m.cpu);
	if ((seen & want) != want)
		return gt_fail("CPU_TICK from CPUs %#llx, want %#llx",
			       (unsigned long long)seen,
			       (unsigned long long)want);
	gt_efile_write(&e, "deliver_ticks", "0");
	gt_sleep_ms(100);
	while (!gt_find_msg(&e, -1, 0, &m))
		if (m.type >= GHOST_MSG_CPU_TICK && m.cpu >= 0 &&
		    m.cpu < GT_MAX_CPUS)
			last[m.cpu] = m.seqnum;
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if ((want & GT_CPU(c)) && last[c] &&
		    gt_cpu_word(&e, c)->barrier != last[c])
			return gt_fail("CPU %d: last seqnum %u, barrier %u", c,
				       last[c], gt_cpu_word(&e, c)->barrier);
	/* Off again: no more ticks. */
	if (!gt_wait_msg(&e, GHOST_MSG_CPU_TICK, 0, 300, NULL))
		return gt_fail("CPU_TICK after deliver_ticks 0");
	return 0;
}

static int test_seqnum_increases_with_each_event(void)
{
	static const int want[] = {
		GHOST_MSG_TASK_NEW, GHOST_MSG_TASK_YIELD,
		GHOST_MSG_TASK_BLOCKED, GHOST_MSG_TASK_WAKEUP,
		GHOST_MSG_TASK_PREEMPT, GHOST_MSG_TASK_DEAD,
	};
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint32_t prev = 0, barrier = 0;
	unsigned int i = 0;
	struct gt_msg m;
	uint64_t a;
	int r, c1 = gt_cpu(0), idx;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_worker_thread(w, &e) || gt_worker_entering(w, 5000))
		return gt_fail("worker did not start");
	if (gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w->tid, 5000, &m))
		return gt_fail("no TASK_NEW");
	a = m.gtid;
	idx = gt_sw_index(&e, a);
	gt_log_clear(&e);
	/* Drive it through every event once. */
#define STEP(cond) do { if (cond) return gt_fail("failed: %s", #cond); } while (0)
	STEP(gt_commit(&e, a, c1) != GHOST_TXN_COMPLETE);
	gt_worker_cmd(w, GT_CMD_YIELD);
	STEP(gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w->tid, 5000, NULL));
	STEP(gt_commit(&e, a, c1) != GHOST_TXN_COMPLETE);
	gt_worker_cmd(w, GT_CMD_PIPE);
	STEP(gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL));
	gt_worker_poke(w);
	STEP(gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w->tid, 5000, NULL));
	STEP(gt_commit(&e, a, c1) != GHOST_TXN_COMPLETE);
	STEP(gt_idle(&e, c1) != GHOST_TXN_COMPLETE);
	STEP(gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL));
	barrier = gt_sw(&e, idx)->barrier;
	gt_worker_cmd(w, GT_CMD_EXIT);
	STEP(gt_commit(&e, a, c1) != GHOST_TXN_COMPLETE);
	STEP(gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, NULL));
#undef STEP
	/* The log, in ring order (TASK_NEW was claimed above). */
	prev = m.seqnum;
	for (size_t k = 0; k < e.nr_log; k++) {
		const struct gt_msg *l = &e.log[k];

		if (GHOST_GTID_TID(l->gtid) != w->tid)
			continue;
		while (i < sizeof(want) / sizeof(want[0]) && want[i] != l->type)
			i++;
		if ((int32_t)(l->seqnum - prev) <= 0)
			return gt_fail("%s seqnum %u after %u",
				       gt_msg_name(l->type), l->seqnum, prev);
		prev = l->seqnum;
	}
	if (i != sizeof(want) / sizeof(want[0]) - 1)
		return gt_fail("messages out of order or missing");
	if (prev != gt_sw(&e, idx)->barrier || (int32_t)(prev - barrier) <= 0)
		return gt_fail("last seqnum %u, barrier %u", prev,
			       gt_sw(&e, idx)->barrier);
	return 0;
}

static int test_agent_wait_estale_etimedout_and_wakes(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t t0;
	uint32_t head;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	head = e.ring->head;
	if ((r = gt_agent_wait(&e, head + 8, 5000)) != -ESTALE)
		return gt_fail("old head: %s, want ESTALE", strerror(-r));
	t0 = gt_now_ns();
	if ((r = gt_agent_wait(&e, head, 100)) != -ETIMEDOUT)
		return gt_fail("quiet queue: %s, want ETIMEDOUT", strerror(-r));
	if (gt_now_ns() - t0 < 90000000ULL)
		return gt_fail("timed out after %llu ms, not 100",
			       (unsigned long long)(gt_now_ns() - t0) / 1000000);

	/* A thread entering from elsewhere wakes the wait. */
	if (gt_worker_proc(w, NULL) < 0 || !gt_worker_progresses(w, 5000))
		return gt_fail("the entering process does not run");
	t0 = gt_now_ns();
	if (gt_efile_write(&e, "tasks", "%d", w->pid))
		return gt_fail("cannot enter the process");
	r = gt_agent_wait(&e, head, 10000);
	if (r && r != -ESTALE)
		return gt_fail("wait for TASK_NEW: %s", strerror(-r));
	if (gt_now_ns() - t0 > 5000000000ULL)
		return gt_fail("woken after %llu ms",
			       (unsigned long long)(gt_now_ns() - t0) / 1000000);
	if (e.ring->head == head)
		return gt_fail("woken with no message");
	return 0;
}

static int test_queue_fd_polls_readable(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct pollfd pfd;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	pfd = (struct pollfd){ .fd = e.qfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0)
		return gt_fail("empty queue polls readable");
	if (gt_worker_thread(w, &e) || gt_worker_entering(w, 5000))
		return gt_fail("worker did not start");
	/* Blocks until TASK_NEW arrives. */
	if (poll(&pfd, 1, 5000) != 1 || !(pfd.revents & POLLIN))
		return gt_fail("no POLLIN after TASK_NEW");
	gt_drain(&e);
	if (poll(&pfd, 1, 0) != 0)
		return gt_fail("drained queue polls readable");
	return 0;
}

static int test_discover_resends_task_new(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(3);
	uint64_t g[3];
	struct gt_msg m;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < 3; i++)
		if (!(g[i] = gt_start(&e, &w[i], 0)))
			return gt_fail("worker %d did not enter", i);
	if (ioctl(e.ctl_fd, GHOST_IOC_DISCOVER))
		return gt_fail("GHOST_IOC_DISCOVER: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		if (gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w[i].tid, 5000, &m))
			return gt_fail("no second TASK_NEW for %d", w[i].tid);
		if (m.gtid != g[i] || !m.u.new.runnable)
			return gt_fail("rediscovered %d differs", w[i].tid);
		if ((r = check_seqnum(&e, &m)))
			return r;
	}
	return 0;
}

static int test_sw_get_and_free(void)
{
	struct ghost_ioc_sw s = { 0 };
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	uint64_t a;
	int r, idx;

	if ((r = start_running(&e, w, &a)))
		return r;
	idx = gt_sw_index(&e, a);
	s.index = idx;
	if (!ioctl(e.ctl_fd, GHOST_IOC_SW_FREE, &s) || errno != EINVAL)
		return gt_fail("freeing a live word: %s, want EINVAL",
			       strerror(errno));
	s = (struct ghost_ioc_sw){ .gtid = a + 1 };
	if (!ioctl(e.ctl_fd, GHOST_IOC_SW_GET, &s))
		return gt_fail("SW_GET of an unknown gtid succeeded");
	gt_worker_cmd(w, GT_CMD_EXIT);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w->tid, 5000, NULL))
		return gt_fail("no TASK_DEAD");
	gt_worker_join(w, 5000);
	s = (struct ghost_ioc_sw){ .gtid = a };
	if (!gt_wait_for(ioctl(e.ctl_fd, GHOST_IOC_SW_GET, &s) && errno == ENOENT,
			 2000))
		return gt_fail("SW_GET of a dead gtid: %s, want ENOENT",
			       strerror(errno));
	s = (struct ghost_ioc_sw){ .index = idx };
	if (ioctl(e.ctl_fd, GHOST_IOC_SW_FREE, &s))
		return gt_fail("freeing a dead word: %s", strerror(errno));
	if (!ioctl(e.ctl_fd, GHOST_IOC_SW_FREE, &s) || errno != EINVAL)
		return gt_fail("freeing twice: %s, want EINVAL",
			       strerror(errno));
	return 0;
}

static int test_sw_region_is_read_only(void)
{
	struct gt_enclave e;
	char path[128];
	void *p;
	int r, fd;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	snprintf(path, sizeof(path), "%s/sw", e.dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		fd = open(path, O_RDONLY);
	if (fd < 0)
		return gt_fail("open sw: %s", strerror(errno));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		return gt_fail("sw mapped writable");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return gt_fail("sw read-only mapping: %s", strerror(errno));
	if (!mprotect(p, 4096, PROT_READ | PROT_WRITE))
		return gt_fail("mprotect made sw writable");
	if (((const struct ghost_sw_region_header *)p)->version !=
	    GHOST_VERSION)
		return gt_fail("sw header version %u",
			       ((const struct ghost_sw_region_header *)p)->version);
	return 0;
}

static int test_queue_overflow_is_counted(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(4);
	uint32_t head;
	int r, n = 0;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < 4; i++)
		if (!gt_start(&e, &w[i], 0))
			return gt_fail("worker %d did not enter", i);
	/* 16 slots hold two 48-byte TASK_NEWs: the other two are lost. */
	if (gt_queue_create(&e, 16))
		return gt_fail("cannot create a 16-slot queue");
	if (ioctl(e.ctl_fd, GHOST_IOC_DISCOVER))
		return gt_fail("GHOST_IOC_DISCOVER: %s", strerror(errno));
	head = __atomic_load_n(&e.ring->head, __ATOMIC_ACQUIRE);
	if (head - e.tail > 16)
		return gt_fail("head %u ran past a 16-slot ring", head);
	if (e.ring->overflow != 2)
		return gt_fail("overflow %u, want 2", e.ring->overflow);
	while (!gt_find_msg(&e, GHOST_MSG_TASK_NEW, 0, NULL))
		n++;
	if (n != 2)
		return gt_fail("%d messages in the ring, want 2", n);
	return 0;
}

static const struct gt_test tests[] = {
	{ "task_new_on_enter", test_task_new_on_enter },
	{ "task_blocked_and_wakeup_on_pipe",
	  test_task_blocked_and_wakeup_on_pipe },
	{ "task_blocked_and_wakeup_on_futex",
	  test_task_blocked_and_wakeup_on_futex },
	{ "task_blocked_and_wakeup_on_nanosleep",
	  test_task_blocked_and_wakeup_on_nanosleep },
	{ "task_preempt_on_idle_commit", test_task_preempt_on_idle_commit },
	{ "task_yield_on_sched_yield", test_task_yield_on_sched_yield },
	{ "task_dead_on_exit", test_task_dead_on_exit },
	{ "task_departed_on_leave", test_task_departed_on_leave },
	{ "task_affinity_changed_on_setaffinity",
	  test_task_affinity_changed_on_setaffinity },
	{ "task_priority_changed_on_nice", test_task_priority_changed_on_nice },
	{ "task_on_cpu_with_send_on_cpu_flag",
	  test_task_on_cpu_with_send_on_cpu_flag },
	{ "cpu_busy_and_available_for_cfs_threads",
	  test_cpu_busy_and_available_for_cfs_threads },
	{ "cpu_tick_when_deliver_ticks", test_cpu_tick_when_deliver_ticks },
	{ "seqnum_increases_with_each_event",
	  test_seqnum_increases_with_each_event },
	{ "agent_wait_estale_etimedout_and_wakes",
	  test_agent_wait_estale_etimedout_and_wakes },
	{ "queue_fd_polls_readable", test_queue_fd_polls_readable },
	{ "discover_resends_task_new", test_discover_resends_task_new },
	{ "sw_get_and_free", test_sw_get_and_free },
	{ "sw_region_is_read_only", test_sw_region_is_read_only },
	{ "queue_overflow_is_counted", test_queue_overflow_is_counted },
	{ NULL, NULL },
};

GT_MAIN(tests)
