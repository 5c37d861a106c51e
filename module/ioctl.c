// SPDX-License-Identifier: GPL-2.0
/* ioctls on an enclave's ctl file.  No ghost_lock: some of them sleep. */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ghost.h"

/*
 * A CPU bitmap from user space, at least nr_cpu_ids bits (bits beyond are
 * ignored), kfree() it.  An empty one (@len 0) only if @may_be_empty.
 */
unsigned long *ghost_copy_cpu_bitmap(u64 uptr, u32 len, bool may_be_empty)
{
	size_t size = BITS_TO_LONGS(nr_cpu_ids) * sizeof(long);
	unsigned long *mask;

	if ((!len && !may_be_empty) || len > GHOST_MAX_WRITE)
		return ERR_PTR(-EINVAL);
	mask = kzalloc(max_t(size_t, size, len), GFP_KERNEL);
	if (!mask)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(mask, u64_to_user_ptr(uptr), len)) {
		kfree(mask);
		return ERR_PTR(-EFAULT);
	}
	return mask;
}

static long ghost_ioc_enclave_info(struct ghost_enclave *e, void __user *arg)
{
	struct ghost_enclave_info info;

	BUILD_BUG_ON(sizeof(info) != 64);
	if (copy_from_user(&info, arg, sizeof(info)))
		return -EFAULT;
	/* Nothing is an input yet: all of it must be zero. */
	if (memchr_inv(&info, 0, sizeof(info)))
		return -EINVAL;

	info.abi_version = e->abi;
	info.id = e->id;
	info.nr_cpus = cpumask_weight(e->cpus);
	info.nr_tasks = READ_ONCE(e->nr_threads);
	info.runnable_timeout_ms = READ_ONCE(e->runnable_timeout_ms);
	if (READ_ONCE(e->nr_agents))
		info.flags |= GHOST_ENCLAVE_F_AGENT_ONLINE;
	if (e->deliver_ticks)
		info.flags |= GHOST_ENCLAVE_F_DELIVER_TICKS;

	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long ghost_ioc_agent_attach(struct ghost_enclave *e, void __user *uarg)
{
	struct ghost_ioc_agent arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.resv[0] || arg.resv[1] || arg.resv[2])
		return -EINVAL;
	return ghost_agent_attach(e, arg.cpu);
}

/*
 * Take every thread of @e back to the default queue.  The references go
 * after e->lock: a last put queues work, and the workqueue's lock must not
 * nest inside e->lock (which nests inside runqueue locks).
 */
static void ghost_queues_reset(struct ghost_enclave *e)
{
	struct ghost_queue *batch[16];
	struct ghost_thread *gt;
	unsigned long flags;
	unsigned int n, i;

	do {
		n = 0;
		raw_spin_lock_irqsave(&e->lock, flags);
		list_for_each_entry(gt, &e->threads, enode) {
			if (!gt->queue)
				continue;
			batch[n++] = gt->queue;
			gt->queue = NULL;
			if (n == ARRAY_SIZE(batch))
				break;
		}
		raw_spin_unlock_irqrestore(&e->lock, flags);
		for (i = 0; i < n; i++)
			ghost_queue_put(batch[i]);
	} while (n == ARRAY_SIZE(batch));
}

/*
 * A new view of every thread for whoever reads the default queue: each
 * goes back to the default queue (its old queue may belong to an agent
 * that is leaving) and is announced there with TASK_NEW.  Every dispatch
 * list is dropped.
 */
static long ghost_ioc_discover(struct ghost_enclave *e)
{
	struct ghost_thread *gt;
	unsigned long flags;

	if (!capable(CAP_SYS_NICE))
		return -EPERM;
	ghost_queues_reset(e);
	raw_spin_lock_irqsave(&e->lock, flags);
	/* The lists were decisions made on the old view. */
	ghost_dispatch_drop_locked(e);
	list_for_each_entry(gt, &e->threads, enode) {
		/* Associated since the reset: the new agent's own doing. */
		if (!gt->queue)
			ghost_emit_task_new(e, gt, false);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	return 0;
}

static long ghost_ioc_commit(struct ghost_enclave *e,
			     struct ghost_ioc_commit __user *uarg)
{
	struct ghost_ioc_commit arg;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = ghost_txn_commit(e, &arg, NULL);
	if (!ret && put_user(arg.nr_committed, &uarg->nr_committed))
		ret = -EFAULT;
	return ret;
}

static long ghost_ioc_agent_wait(struct ghost_enclave *e,
				 struct ghost_ioc_wait __user *uarg)
{
	struct ghost_ioc_wait arg;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	return ghost_agent_wait(e, &arg);
}

/* The CPUs a thread may run on (see the uapi header). */
static long ghost_ioc_task_affinity(struct ghost_enclave *e,
				    struct ghost_ioc_task_affinity __user *uarg)
{
	struct ghost_ioc_task_affinity arg;
	size_t size = BITS_TO_LONGS(nr_cpu_ids) * sizeof(long);
	struct ghost_thread *gt;
	unsigned long *mask, flags;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.resv || !arg.cpus_len || arg.cpus_len > GHOST_MAX_WRITE)
		return -EINVAL;
	if (!ghost_may_drive(e))
		return -EPERM;
	gt = ghost_thread_find_gtid(e, arg.gtid);
	if (!gt)
		return -ESRCH;
	mask = kzalloc(max_t(size_t, size, arg.cpus_len), GFP_KERNEL_ACCOUNT);
	if (!mask) {
		ret = -ENOMEM;
		goto out;
	}
	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_GONE || test_bit(GT_F_AGENT, &gt->flags))
		ret = -ESRCH;
	else
		bitmap_copy(mask, cpumask_bits(gt->saved_mask), nr_cpu_ids);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* Bits past the caller's buffer are dropped (little endian). */
	if (!ret && copy_to_user(u64_to_user_ptr(arg.cpus_ptr), mask,
				 arg.cpus_len))
		ret = -EFAULT;
	kfree(mask);
out:
	ghost_thread_put(gt);
	return ret;
}

/*
 * Commit, then wait: one system call for a per-CPU agent's round.  A slot
 * that failed leaves its CPU without the thread the agent meant for it:
 * the agent decides again at once instead of sleeping beside that CPU.
 */
static long ghost_ioc_commit_wait(struct ghost_enclave *e,
				  struct ghost_ioc_commit_wait __user *uarg)
{
	struct ghost_ioc_commit_wait arg;
	u32 failed;
	long ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* Both halves are checked before either acts; no step aside here. */
	if (!ghost_wait_args_valid(&arg.wait) ||
	    (arg.wait.flags & GHOST_WAIT_F_STEP_ASIDE))
		return -EINVAL;
	ret = ghost_txn_commit(e, &arg.commit, &failed);
	if (ret)
		return ret;
	if (put_user(arg.commit.nr_committed, &uarg->commit.nr_committed))
		return -EFAULT;
	if (failed)
		return -EAGAIN;
	return ghost_agent_wait(e, &arg.wait);
}

long ghost_enclave_ioctl(struct ghost_enclave *e, struct file *file,
			 unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (READ_ONCE(e->dead))
		return -ENODEV;
	switch (cmd) {
	case GHOST_IOC_NULL:
		return 0;
	case GHOST_IOC_ENCLAVE_INFO:
		return ghost_ioc_enclave_info(e, uarg);
	case GHOST_IOC_CREATE_QUEUE:
		return ghost_queue_create(e, uarg);
	case GHOST_IOC_COMMIT:
		return ghost_ioc_commit(e, uarg);
	case GHOST_IOC_COMMIT_WAIT:
		return ghost_ioc_commit_wait(e, uarg);
	case GHOST_IOC_TASK_AFFINITY:
		return ghost_ioc_task_affinity(e, uarg);
	case GHOST_IOC_DISPATCH:
		return ghost_dispatch_ioctl(e, uarg);
	case GHOST_IOC_AGENT_ATTACH:
		return ghost_ioc_agent_attach(e, uarg);
	case GHOST_IOC_AGENT_WAIT:
		return ghost_ioc_agent_wait(e, uarg);
	case GHOST_IOC_SW_GET:
	case GHOST_IOC_SW_FREE:
		return ghost_sw_ioctl(e, cmd, uarg);
	case GHOST_IOC_DISCOVER:
		return ghost_ioc_discover(e);
	case GHOST_IOC_ASSOC_QUEUE:
		return ghost_queue_assoc(e, uarg);
	case GHOST_IOC_CONFIG_QUEUE_WAKEUP:
		return ghost_queue_config_wakeup(e, uarg);
	default:
		return -ENOTTY;
	}
}
