// SPDX-License-Identifier: GPL-2.0
/*
 * Queues beyond the default one: a thread's messages follow its queue
 * association (barrier-checked), CPU messages go to the queue of that CPU's
 * agent, and a queue's wakeup list wakes agents that wait elsewhere.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ghost_test.h"

static int assoc(struct gt_enclave *e, int fd, uint64_t gtid,
		 uint32_t barrier, uint32_t *status)
{
	struct ghost_ioc_assoc_queue a = {
		.fd = fd, .gtid = gtid, .barrier = barrier,
	};

	if (ioctl(e->ctl_fd, GHOST_IOC_ASSOC_QUEUE, &a))
		return -errno;
	if (status)
		*status = a.status;
	return 0;
}

static int config_wakeup(struct gt_enclave *e, int fd, uint64_t cpus)
{
	struct ghost_ioc_queue_wakeup w = {
		.fd = fd,
		.cpus_ptr = (uintptr_t)&cpus,
		.cpus_len = cpus ? sizeof(cpus) : 0,
	};

	return ioctl(e->ctl_fd, GHOST_IOC_CONFIG_QUEUE_WAKEUP, &w) ? -errno : 0;
}

/* AGENT_WAIT on the caller's queue, also returning when @seq moved. */
static int wait_seq(struct gt_enclave *e, uint32_t head, uint32_t seq,
		    uint32_t timeout_ms)
{
	return gt_agent_wait_seq(e, head, seq, GHOST_WAIT_F_AGENT_SEQ,
				 timeout_ms);
}

/* Commit @gtid to @cpu and make it leave the CPU: a TASK_PREEMPT. */
static int preempt_once(struct gt_enclave *e, struct gt_worker *w,
			uint64_t gtid, int cpu)
{
	int r;

	if ((r = gt_commit(e, gtid, cpu)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed worker does not run");
	if ((r = gt_idle(e, cpu)) != GHOST_TXN_COMPLETE)
		return gt_fail("idle commit: %s", gt_txn_name(r));
	return 0;
}

static int test_assoc_queue_routes_a_threads_messages(void)
{
	struct gt_enclave e, q2;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	uint32_t status = ~0U, b;
	uint64_t a;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a second queue");
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");

	b = gt_barrier(&e, a);
	if ((r = assoc(&e, q2.qfd, a, b + 1, NULL)) != -ESTALE)
		return gt_fail("stale barrier: %s, want ESTALE", strerror(-r));
	if ((r = assoc(&e, q2.qfd, a, b, &status)) || status)
		return gt_fail("assoc: %s, status %#x", strerror(-r), status);
	if ((r = assoc(&e, q2.qfd, a, b, &status)) ||
	    status != GHOST_ASSOC_SF_ALREADY)
		return gt_fail("assoc again: %s, status %#x, want ALREADY",
			       strerror(-r), status);

	gt_drain(&e);
	gt_log_clear(&e);
	if ((r = preempt_once(&e, w, a, c1)))
		return r;
	if (gt_wait_msg(&q2, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("no TASK_PREEMPT on the associated queue");
	gt_drain(&e);
	if (gt_count_msgs(&e, GHOST_MSG_TASK_PREEMPT, w->tid))
		return gt_fail("TASK_PREEMPT also on the default queue");

	/* Back to the default queue. */
	if ((r = assoc(&e, -1, a, gt_barrier(&e, a), &status)) || status)
		return gt_fail("assoc -1: %s, status %#x", strerror(-r),
			       status);
	gt_log_clear(&q2);
	if ((r = preempt_once(&e, w, a, c1)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("no TASK_PREEMPT on the default queue again");
	gt_drain(&q2);
	if (gt_count_msgs(&q2, GHOST_MSG_TASK_PREEMPT, w->tid))
		return gt_fail("TASK_PREEMPT still on the second queue");
	return 0;
}

/*
 * What moves a thread back to the default queue: its queue closed by its
 * last fd (the agent that read it is gone), and GHOST_IOC_DISCOVER.
 */
static int test_threads_fall_back_to_the_default_queue(void)
{
	struct gt_enclave e, q2;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	uint64_t a;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");

	/* The queue's last fd closes. */
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a second queue");
	if ((r = assoc(&e, q2.qfd, a, gt_barrier(&e, a), NULL)))
		return gt_fail("assoc: %s", strerror(-r));
	munmap(q2.ring, q2.ring_size);
	close(q2.qfd);
	gt_drain(&e);
	gt_log_clear(&e);
	if ((r = preempt_once(&e, w, a, c1)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("closed queue: no TASK_PREEMPT on the default queue");

	/* DISCOVER takes it back from a queue that is still open. */
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a third queue");
	if ((r = assoc(&e, q2.qfd, a, gt_barrier(&e, a), NULL)))
		return gt_fail("assoc: %s", strerror(-r));
	gt_drain(&e);
	gt_log_clear(&e);
	if (ioctl(e.ctl_fd, GHOST_IOC_DISCOVER))
		return gt_fail("discover: %s", strerror(errno));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w->tid, 5000, NULL))
		return gt_fail("no TASK_NEW on the default queue");
	if ((r = preempt_once(&e, w, a, c1)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("after discover: no TASK_PREEMPT on the default queue");
	gt_drain(&q2);
	if (q2.nr_log)
		return gt_fail("%zu message(s) on the old queue after discover",
			       q2.nr_log);
	return 0;
}

static int test_assoc_queue_errors(void)
{
	struct gt_enclave e, q2;
	struct gt_worker *w = gt_workers(1);
	struct ghost_ioc_assoc_queue bad;
	struct ghost_ioc_create_queue cq = { .elems = 64, .flags = 2 };
	int r, pfd[2];
	uint64_t a;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a second queue");
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if (pipe(pfd))
		return gt_fail("pipe: %s", strerror(errno));

	if ((r = assoc(&e, 1000, a, gt_barrier(&e, a), NULL)) != -EBADF)
		return gt_fail("closed fd: %s, want EBADF", strerror(-r));
	if ((r = assoc(&e, pfd[0], a, gt_barrier(&e, a), NULL)) != -EINVAL)
		return gt_fail("a pipe: %s, want EINVAL", strerror(-r));
	if ((r = assoc(&e, q2.qfd, a + 1, 0, NULL)) != -ENOENT)
		return gt_fail("unknown gtid: %s, want ENOENT", strerror(-r));
	memset(&bad, 0, sizeof(bad));
	bad.fd = q2.qfd;
	bad.gtid = a;
	bad.barrier = gt_barrier(&e, a);
	bad.flags = 1;
	if (!ioctl(e.ctl_fd, GHOST_IOC_ASSOC_QUEUE, &bad) || errno != EINVAL)
		return gt_fail("flags 1: %s, want EINVAL", strerror(errno));
	bad.flags = 0;
	bad.resv = 1;
	if (!ioctl(e.ctl_fd, GHOST_IOC_ASSOC_QUEUE, &bad) || errno != EINVAL)
		return gt_fail("resv 1: %s, want EINVAL", strerror(errno));
	if (ioctl(e.ctl_fd, GHOST_IOC_CREATE_QUEUE, &cq) >= 0 ||
	    errno != EINVAL)
		return gt_fail("queue flags 2: %s, want EINVAL",
			       strerror(errno));
	if ((r = config_wakeup(&e, pfd[0], 0)) != -EINVAL)
		return gt_fail("wakeup list of a pipe: %s, want EINVAL",
			       strerror(-r));
	if ((r = config_wakeup(&e, q2.qfd, 1ULL << 63)) != -EINVAL)
		return gt_fail("wakeup CPU outside the enclave: %s, want EINVAL",
			       strerror(-r));
	return 0;
}

static int test_cpu_messages_go_to_the_agents_queue(void)
{
	struct gt_enclave e, q2;
	int r, c = gt_agent_cpu;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_queue_extra(&e, &q2, 256))
		return gt_fail("cannot create a second queue");
	if ((r = gt_efile_write(&e, "deliver_ticks", "1")))
		return gt_fail("deliver_ticks: %s", strerror(-r));
	if (gt_wait_msg(&e, GHOST_MSG_CPU_TICK, 0, 5000, NULL))
		return gt_fail("no CPU_TICK on the default queue");

	/* gtid 0: the calling agent, and with it the CPU's messages. */
	if ((r = assoc(&e, q2.qfd, 0, 0, NULL)))
		return gt_fail("agent assoc: %s", strerror(-r));
	gt_drain(&e);
	gt_log_clear(&e);
	gt_sleep_ms(100);
	gt_drain(&q2);
	gt_drain(&e);
	for (size_t i = 0; i < e.nr_log; i++) {
		if (e.log[i].type == GHOST_MSG_CPU_TICK && e.log[i].cpu == c)
			return gt_fail("CPU_TICK of the agent's CPU %d on the default queue",
				       c);
	}
	for (size_t i = 0; i < q2.nr_log; i++) {
		if (q2.log[i].type == GHOST_MSG_CPU_TICK &&
		    q2.log[i].cpu != c)
			return gt_fail("CPU_TICK of CPU %d on agent %d's queue",
				       q2.log[i].cpu, c);
	}
	if (gt_wait_msg(&q2, GHOST_MSG_CPU_TICK, 0, 5000, NULL))
		return gt_fail("no CPU_TICK on the agent's queue");
	gt_efile_write(&e, "deliver_ticks", "0");
	return 0;
}

static int test_queue_wakeup_list_wakes_an_agent(void)
{
	struct gt_enclave e, q2;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	uint32_t seq;
	uint64_t a;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a second queue");
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	/* The agent now waits on q2; the worker's messages go elsewhere. */
	if ((r = assoc(&e, q2.qfd, 0, 0, NULL)))
		return gt_fail("agent assoc: %s", strerror(-r));
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed worker does not run");

	/* Not on the list: messages on the default queue let it sleep. */
	gt_drain(&e);
	gt_log_clear(&e);
	seq = gt_agent_seq(&e);
	gt_worker_cmd(w, GT_CMD_SLEEP);
	r = wait_seq(&e, q2.ring->head, seq, 500);
	if (r != -ETIMEDOUT)
		return gt_fail("agent woken (%s) by a queue that is not its own",
			       strerror(-r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w->tid, 5000, NULL))
		return gt_fail("no TASK_WAKEUP on the default queue");
	if (gt_agent_seq(&e) != seq)
		return gt_fail("agent_seq moved from %u to %u", seq,
			       gt_agent_seq(&e));

	/* On the list: the next message wakes it and moves agent_seq. */
	if ((r = config_wakeup(&e, e.qfd, 1ULL << gt_agent_cpu)))
		return gt_fail("wakeup list: %s", strerror(-r));
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("recommitted worker does not run");
	gt_drain(&e);
	seq = gt_agent_seq(&e);
	gt_worker_cmd(w, GT_CMD_SLEEP);
	r = wait_seq(&e, q2.ring->head, seq, 5000);
	if (r && r != -ESTALE)
		return gt_fail("agent on the wakeup list not woken: %s",
			       strerror(-r));
	if (gt_agent_seq(&e) == seq)
		return gt_fail("woken, but agent_seq still %u", seq);
	/* A stale agent_seq returns at once. */
	if ((r = wait_seq(&e, q2.ring->head, seq, 5000)) != -ESTALE)
		return gt_fail("stale agent_seq: %s, want ESTALE",
			       strerror(-r));
	if ((r = config_wakeup(&e, e.qfd, 0)))
		return gt_fail("clearing the wakeup list: %s", strerror(-r));
	return 0;
}

/*
 * A child starts on its parent's queue, TASK_NEW included; a parent back
 * on the default queue has its next children there.
 */
static int test_child_starts_on_its_parents_queue(void)
{
	struct gt_enclave e, q2;
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	uint32_t status = ~0U;
	pid_t first;
	uint64_t p;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	if (gt_queue_extra(&e, &q2, 64))
		return gt_fail("cannot create a second queue");
	w[0].child = &w[1];
	if (!(p = gt_start(&e, &w[0], 1)))
		return gt_fail("parent did not enter");
	if ((r = assoc(&e, q2.qfd, p, gt_barrier(&e, p), &status)) || status)
		return gt_fail("assoc: %s, status %#x", strerror(-r), status);
	if ((r = gt_commit(&e, p, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit of the parent: %s", gt_txn_name(r));
	gt_drain(&e);
	gt_log_clear(&e);
	gt_worker_cmd(&w[0], GT_CMD_FORK);
	if (!gt_wait_for(gt_keep_running(&e, p, c1) && w[0].forked > 0,
			 5000))
		return gt_fail("the parent did not fork");
	if (gt_wait_msg(&q2, GHOST_MSG_TASK_NEW, w[0].forked, 5000, NULL))
		return gt_fail("no TASK_NEW for child %d on its parent's queue",
			       w[0].forked);
	gt_drain(&e);
	if (gt_count_msgs(&e, GHOST_MSG_TASK_NEW, w[0].forked))
		return gt_fail("TASK_NEW of the child also on the default queue");

	/* Back on the default queue: so are the parent's next children. */
	if ((r = assoc(&e, -1, p, gt_barrier(&e, p), &status)) || status)
		return gt_fail("assoc -1: %s, status %#x", strerror(-r),
			       status);
	first = w[0].forked;
	w[0].child = &w[2];
	gt_log_clear(&q2);
	gt_worker_cmd(&w[0], GT_CMD_FORK);
	if (!gt_wait_for(gt_keep_running(&e, p, c1) &&
			 w[0].forked != first, 5000))
		return gt_fail("the parent did not fork again");
	if (gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w[0].forked, 5000, NULL))
		return gt_fail("no TASK_NEW for child %d on the default queue",
			       w[0].forked);
	if (gt_count_msgs(&q2, GHOST_MSG_TASK_NEW, w[0].forked))
		return gt_fail("TASK_NEW of the second child on the parent's old queue");
	return 0;
}

static const struct gt_test tests[] = {
	{ "assoc_queue_routes_a_threads_messages",
	  test_assoc_queue_routes_a_threads_messages },
	{ "threads_fall_back_to_the_default_queue",
	  test_threads_fall_back_to_the_default_queue },
	{ "assoc_queue_errors", test_assoc_queue_errors },
	{ "cpu_messages_go_to_the_agents_queue",
	  test_cpu_messages_go_to_the_agents_queue },
	{ "queue_wakeup_list_wakes_an_agent",
	  test_queue_wakeup_list_wakes_an_agent },
	{ "child_starts_on_its_parents_queue",
	  test_child_starts_on_its_parents_queue },
	{ NULL, NULL },
};

GT_MAIN(tests)
