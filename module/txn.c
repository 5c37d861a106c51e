// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: the agent writes "run gtid on CPU c" into c's slot of a
 * shared region, then GHOST_IOC_COMMIT commits the READY slots of a CPU
 * set.  A commit parks whatever ghost thread ran on c, pins the target to
 * c and wakes it from its park.
 */
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ghost.h"
#include "ghost_trace.h"

/* A slot's state while the kernel works on it. */
#define GHOST_TXN_CLAIMED	(-1)

int ghost_txn_init(struct ghost_enclave *e)
{
	unsigned int cpu;

	e->txn_size = PAGE_ALIGN(nr_cpu_ids * sizeof(struct ghost_txn));
	e->txn = vmalloc_user(e->txn_size);
	if (!e->txn)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		e->txn[cpu].cpu = cpu;
	return 0;
}

void ghost_txn_free_region(struct ghost_enclave *e)
{
	vfree(e->txn);
}

int ghost_txn_mmap(struct ghost_enclave *e, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_end - vma->vm_start > e->txn_size)
		return -EINVAL;
	return remap_vmalloc_range(vma, e->txn, vma->vm_pgoff);
}

/* Give @cpu no ghost thread: idle commit. */
static int ghost_commit_idle(struct ghost_enclave *e, int cpu)
{
	struct ghost_thread *prev;
	unsigned long flags;

	raw_spin_lock_irqsave(&e->lock, flags);
	prev = e->cpu_cur[cpu];
	if (prev)
		ghost_preempt_locked(e, prev);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	return GHOST_TXN_COMPLETE;
}

/* e->lock held; the thread sees SEND_ON_CPU before it can run. */
static void ghost_commit_place(struct ghost_enclave *e,
			       struct ghost_thread *gt, int cpu, u32 txn_flags,
			       u64 now)
{
	if (txn_flags & GHOST_TXN_F_SEND_ON_CPU)
		set_bit(GT_F_SEND_ON_CPU, &gt->flags);
	ghost_place_at(e, gt, cpu, now);
}

/*
 * Commit one CPU's slot.  *@now is the time the commit is stamped with:
 * one clock read, outside e->lock, for the CPU's word, the latency
 * histograms and the slot's commit_time.
 */
static int ghost_commit_one(struct ghost_enclave *e, int cpu,
			    struct ghost_txn *txn, u64 *now)
{
	u64 gtid = READ_ONCE(txn->gtid);
	u32 barrier = READ_ONCE(txn->task_barrier);
	u32 txn_flags = READ_ONCE(txn->flags);
	struct ghost_thread *gt, *prev;
	unsigned long flags;
	int status = 0, err;
	bool pin = false, next = false;

	if (txn_flags & ~GHOST_TXN_F_ALL)
		return GHOST_TXN_INVALID_FLAGS;
	if (!cpumask_test_cpu(cpu, e->cpus))
		return GHOST_TXN_INVALID_CPU;
	if (!cpu_active(cpu))
		return GHOST_TXN_CPU_UNAVAIL;
	if (!READ_ONCE(e->nr_agents))
		return GHOST_TXN_NO_AGENT;
	if (gtid == GHOST_NULL_GTID)
		return ghost_commit_idle(e, cpu);

	gt = ghost_thread_find_gtid(e, gtid);
	if (!gt)
		return GHOST_TXN_TARGET_NOT_FOUND;
	if (test_bit(GT_F_AGENT, &gt->flags)) {
		status = GHOST_TXN_INVALID_TARGET;
		goto out;
	}

	*now = ktime_get_mono_fast_ns();
	raw_spin_lock_irqsave(&e->lock, flags);
	if (!cpumask_test_cpu(cpu, e->cpus))
		status = GHOST_TXN_INVALID_CPU;	/* a cpulist write raced */
	else if (!cpu_active(cpu))
		status = GHOST_TXN_CPU_UNAVAIL;	/* hotplug raced */
	else if (gt->state == GT_GONE)
		status = GHOST_TXN_TARGET_NOT_FOUND;
	else if (gt->barrier != barrier)
		status = GHOST_TXN_TARGET_STALE;
	else if (gt->state == GT_RUNNING || gt->state == GT_COMMITTING)
		status = GHOST_TXN_TARGET_ONCPU;
	else if (gt->state != GT_RUNNABLE)
		status = GHOST_TXN_TARGET_NOT_RUNNABLE;
	else if (!cpumask_test_cpu(cpu, gt->saved_mask))
		status = GHOST_TXN_CPU_NOT_ALLOWED;
	if (!status) {
		prev = e->cpu_cur[cpu];
		if (prev)
			ghost_preempt_locked(e, prev);
		pin = ghost_pin_begin(gt, cpu);
		if (pin) {
			gt->state = GT_COMMITTING;
			gt->cpu = cpu;
			e->cpu_cur[cpu] = gt;
			ghost_sw_cpu_update_at(e, cpu, *now);
		} else {
			ghost_commit_place(e, gt, cpu, txn_flags, *now);
			status = GHOST_TXN_COMPLETE;
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (!pin)
		goto wake;

	/* Asleep in its park: nothing to wait for, no user code meanwhile. */
	err = ghost_pin_other(gt, cpu);

	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state != GT_COMMITTING || gt->cpu != cpu) {
		/* It blocked, left or died while being placed. */
		status = GHOST_TXN_TARGET_STALE;
	} else {
		if (!cpumask_test_cpu(cpu, e->cpus))
			status = GHOST_TXN_INVALID_CPU;
		else if (err || !cpu_active(cpu))
			status = GHOST_TXN_CPU_UNAVAIL;
		if (status) {
			ghost_release_cpu_locked(e, gt);
			gt->state = GT_RUNNABLE;
			/* A list the CPU kept while it was taken may run. */
			next = ghost_dispatch_next_locked(e, cpu);
		} else {
			ghost_commit_place(e, gt, cpu, txn_flags, *now);
			status = GHOST_TXN_COMPLETE;
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (next)
		ghost_dispatch_wake_cpu(e, cpu);
wake:
	if (status == GHOST_TXN_COMPLETE)
		wake_up(&gt->wq);
out:
	ghost_thread_put(gt);
	return status;
}

/* The slot's outcome, or 0 if it was not READY (nothing to commit). */
static int ghost_commit_slot(struct ghost_enclave *e, int cpu)
{
	struct ghost_txn *txn = &e->txn[cpu];
	u64 now = 0;
	int status;

	if (cmpxchg(&txn->state, GHOST_TXN_READY, GHOST_TXN_CLAIMED) !=
	    GHOST_TXN_READY)
		return 0;
	status = ghost_commit_one(e, cpu, txn, &now);
	trace_ghost_commit(e->id, cpu, READ_ONCE(txn->gtid), status);
	WRITE_ONCE(txn->commit_time, now ?: ktime_get_mono_fast_ns());
	smp_store_release(&txn->state, status);
	return status;
}

/* Count @status (ghost_commit_slot()) into @done or @failed. */
static void ghost_commit_count(int status, u32 *done, u32 *failed)
{
	if (status == GHOST_TXN_COMPLETE)
		(*done)++;
	else if (status)
		(*failed)++;
}

/*
 * Remote CPUs first, the caller's own CPU last (group commit).  @arg is
 * copied in already; nr_committed is filled in, and *@failed (if given)
 * with the number of slots claimed that did not complete.
 */
long ghost_txn_commit(struct ghost_enclave *e, struct ghost_ioc_commit *arg,
		      u32 *failed)
{
	unsigned long *mask;
	int cpu, self;
	u32 done = 0, bad = 0;

	if (arg->flags || arg->nr_committed || arg->resv[0] || arg->resv[1] ||
	    arg->resv[2])
		return -EINVAL;
	if (!arg->cpus_len || arg->cpus_len > GHOST_MAX_WRITE)
		return -EINVAL;
	/* Agents commit; so may a privileged tool (NO_AGENT without one). */
	if (!ghost_may_drive(e))
		return -EPERM;

	mask = ghost_copy_cpu_bitmap(arg->cpus_ptr, arg->cpus_len, false);
	if (IS_ERR(mask))
		return PTR_ERR(mask);

	self = raw_smp_processor_id();
	for_each_set_bit(cpu, mask, nr_cpu_ids) {
		if (cpu != self)
			ghost_commit_count(ghost_commit_slot(e, cpu), &done,
					   &bad);
	}
	if (self < nr_cpu_ids && test_bit(self, mask))
		ghost_commit_count(ghost_commit_slot(e, self), &done, &bad);
	kfree(mask);
	arg->nr_committed = done;
	if (failed)
		*failed = bad;
	return 0;
}
