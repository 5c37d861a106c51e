// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: transactions.  A slot is ours to fill while its state is not
 * GHOST_TXN_READY (nor claimed by the kernel, which marks it -1 while it
 * works on it); the READY store publishes it.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <ghost/barrier.h>

#include "internal.h"

/* The kernel's mark of a slot it is committing. */
#define TXN_CLAIMED	(-1)

struct ghost_txn *ghost_txn_slot(const struct ghost_enclave *e, int cpu)
{
	if (cpu < 0 || (unsigned int)cpu >= e->nr_txn || !e->txn)
		return NULL;
	return &e->txn[cpu];
}

int ghost_txn_open(struct ghost_enclave *e, int cpu, __u64 gtid,
		   __u32 barrier, __u32 flags)
{
	struct ghost_txn *txn = ghost_txn_slot(e, cpu);
	int state;

	if (!txn || (flags & ~GHOST_TXN_F_ALL))
		return -EINVAL;
	state = ghost_load_acquire(&txn->state);
	if (state == GHOST_TXN_READY || state == TXN_CLAIMED)
		return -EBUSY;
	txn->gtid = gtid;
	txn->task_barrier = barrier;
	txn->flags = flags;
	txn->commit_time = 0;
	memset(txn->resv, 0, sizeof(txn->resv));
	ghost_store_release(&txn->state, GHOST_TXN_READY);
	return 0;
}

int ghost_txn_abort(struct ghost_enclave *e, int cpu)
{
	struct ghost_txn *txn = ghost_txn_slot(e, cpu);

	if (!txn)
		return -EINVAL;
	if (!ghost_cmpxchg(&txn->state, GHOST_TXN_READY, GHOST_TXN_ABORTED))
		return -EALREADY;
	return 0;
}

int ghost_txn_state(const struct ghost_enclave *e, int cpu)
{
	struct ghost_txn *txn = ghost_txn_slot(e, cpu);

	if (!txn)
		return -EINVAL;
	return ghost_load_acquire(&txn->state);
}

unsigned int libghost_cpuset_len(const struct ghost_cpuset *cpus)
{
	int w;

	for (w = GHOST_CPUSET_WORDS - 1; w > 0 && !cpus->bits[w]; w--)
		;
	return (w + 1) * sizeof(unsigned long);
}

int ghost_txn_commit(struct ghost_enclave *e, const struct ghost_cpuset *cpus)
{
	struct ghost_ioc_commit arg;

	memset(&arg, 0, sizeof(arg));
	arg.cpus_ptr = (__u64)(unsigned long)cpus->bits;
	arg.cpus_len = libghost_cpuset_len(cpus);
	if (ioctl(e->ctl_fd, GHOST_IOC_COMMIT, &arg) < 0)
		return -errno;
	return arg.nr_committed;
}

/*
 * A module without GHOST_IOC_COMMIT_WAIT answers ENOTTY (unknown ioctl):
 * commit and wait in two calls from then on.  EINVAL (a module that
 * refuses something in the combined call) gets the two calls this time
 * only, which report the commit's own error if that is what it was.
 */
int ghost_commit_wait(struct ghost_enclave *e, const struct ghost_cpuset *cpus,
		      struct ghost_ioc_commit_wait *cw)
{
	unsigned int ready;
	int ret, cpu;

	memset(&cw->commit, 0, sizeof(cw->commit));
	cw->commit.cpus_ptr = (__u64)(unsigned long)cpus->bits;
	cw->commit.cpus_len = libghost_cpuset_len(cpus);
	if (!e->no_commit_wait) {
		if (ioctl(e->ctl_fd, GHOST_IOC_COMMIT_WAIT, cw) == 0)
			return 0;
		ret = -errno;
		if (ret != -ENOTTY && ret != -EINVAL)
			return ret;
		if (ret == -ENOTTY)
			e->no_commit_wait = 1;
		memset(&cw->commit, 0, sizeof(cw->commit));
		cw->commit.cpus_ptr = (__u64)(unsigned long)cpus->bits;
		cw->commit.cpus_len = libghost_cpuset_len(cpus);
	}
	ready = 0;
	for (cpu = ghost_cpuset_next(cpus, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(cpus, cpu + 1))
		ready += ghost_txn_state(e, cpu) == GHOST_TXN_READY;
	if (ioctl(e->ctl_fd, GHOST_IOC_COMMIT, &cw->commit) < 0)
		return -errno;
	/* As the combined call: a slot that did not complete, no wait. */
	if (cw->commit.nr_committed < ready)
		return -EAGAIN;
	return ghost_queue_wait(e, &cw->wait);
}

int ghost_txn_commit_one(struct ghost_enclave *e, int cpu)
{
	struct ghost_cpuset set;
	int ret;

	if (!ghost_txn_slot(e, cpu))
		return -EINVAL;
	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, cpu);
	ret = ghost_txn_commit(e, &set);
	if (ret < 0)
		return ret;
	return ghost_txn_state(e, cpu);
}

const char *ghost_txn_state_name(int state)
{
	static const char *const names[GHOST_TXN_NR_STATES] = {
		[GHOST_TXN_COMPLETE]		= "complete",
		[GHOST_TXN_TARGET_STALE]	= "target_stale",
		[GHOST_TXN_TARGET_NOT_FOUND]	= "target_not_found",
		[GHOST_TXN_TARGET_NOT_RUNNABLE]	= "target_not_runnable",
		[GHOST_TXN_TARGET_ONCPU]	= "target_oncpu",
		[GHOST_TXN_CPU_UNAVAIL]		= "cpu_unavail",
		[GHOST_TXN_INVALID_CPU]		= "invalid_cpu",
		[GHOST_TXN_INVALID_TARGET]	= "invalid_target",
		[GHOST_TXN_INVALID_FLAGS]	= "invalid_flags",
		[GHOST_TXN_NO_AGENT]		= "no_agent",
		[GHOST_TXN_ABORTED]		= "aborted",
		[GHOST_TXN_CPU_NOT_ALLOWED]	= "cpu_not_allowed",
	};

	if (state == GHOST_TXN_READY)
		return "ready";
	if (state == 0)
		return "unused";
	if (state == TXN_CLAIMED)
		return "claimed";
	if (state > 0 && state < GHOST_TXN_NR_STATES && names[state])
		return names[state];
	return "unknown";
}
