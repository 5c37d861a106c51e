// SPDX-License-Identifier: GPL-2.0
/*
 * Status words: a read-only region the agent maps to see every thread's
 * barrier, state, switch time and runtime, and every CPU's, without a
 * system call.  Written under e->lock; a word is complete before INUSE.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "ghost.h"

#define GHOST_SW_WORDS	8192

static struct ghost_cpu_word *ghost_cpu_words(struct ghost_enclave *e)
{
	return (void *)e->sw + e->sw->cpu_words_offset;
}

static struct ghost_status_word *ghost_words(struct ghost_enclave *e)
{
	return (void *)e->sw + e->sw->words_offset;
}

int ghost_sw_init(struct ghost_enclave *e)
{
	size_t cpu_off = round_up(sizeof(*e->sw), 64);
	size_t words_off = round_up(cpu_off + nr_cpu_ids *
				    sizeof(struct ghost_cpu_word), 64);

	e->sw_size = PAGE_ALIGN(words_off + GHOST_SW_WORDS *
				sizeof(struct ghost_status_word));
	e->sw = vmalloc_user(e->sw_size);
	if (!e->sw)
		return -ENOMEM;
	e->sw->version = GHOST_VERSION;
	e->sw->nr_cpus = nr_cpu_ids;
	e->sw->nr_words = GHOST_SW_WORDS;
	e->sw->cpu_words_offset = cpu_off;
	e->sw->words_offset = words_off;
	return 0;
}

void ghost_sw_free_region(struct ghost_enclave *e)
{
	vfree(e->sw);
}

/*
 * Find a free word.  Words of gone threads wait for the agent's
 * GHOST_IOC_SW_FREE; when none is free, the oldest such word is taken back.
 */
int ghost_sw_alloc(struct ghost_enclave *e, struct ghost_thread *gt)
{
	struct ghost_status_word *w = ghost_words(e);
	u32 i, idx, reclaim = U32_MAX;

	for (i = 0; i < GHOST_SW_WORDS; i++) {
		idx = (e->sw_next + i) % GHOST_SW_WORDS;
		if (!READ_ONCE(w[idx].flags))
			goto found;
		if (reclaim == U32_MAX &&
		    (READ_ONCE(w[idx].flags) & GHOST_SW_F_CANFREE))
			reclaim = idx;
	}
	if (reclaim == U32_MAX)
		return -ENOSPC;
	idx = reclaim;
found:
	e->sw_next = idx + 1;
	gt->sw_index = idx;
	WRITE_ONCE(w[idx].flags, 0);
	WRITE_ONCE(w[idx].gtid, 0);
	return 0;
}

static u32 ghost_sw_flags(struct ghost_thread *gt)
{
	switch (gt->state) {
	case GT_RUNNABLE:
	case GT_COMMITTING:
		return GHOST_SW_TASK_RUNNABLE;
	case GT_RUNNING:
		return GHOST_SW_TASK_RUNNABLE | GHOST_SW_TASK_ONCPU;
	default:
		return 0;
	}
}

void ghost_sw_update(struct ghost_enclave *e, struct ghost_thread *gt)
{
	struct ghost_status_word *w = &ghost_words(e)[gt->sw_index];

	WRITE_ONCE(w->gtid, gt->gtid);
	WRITE_ONCE(w->runtime, ghost_runtime(gt));
	smp_store_release(&w->barrier, gt->barrier);
	smp_store_release(&w->flags, GHOST_SW_F_INUSE | ghost_sw_flags(gt));
}

void ghost_sw_switch_in(struct ghost_enclave *e, struct ghost_thread *gt,
			u64 now)
{
	struct ghost_status_word *w = &ghost_words(e)[gt->sw_index];

	WRITE_ONCE(w->switch_time, now);
}

/* The thread is gone: the agent frees its word (GHOST_IOC_SW_FREE). */
void ghost_sw_release(struct ghost_enclave *e, struct ghost_thread *gt)
{
	struct ghost_status_word *w = &ghost_words(e)[gt->sw_index];

	WRITE_ONCE(w->runtime, ghost_runtime(gt));
	smp_store_release(&w->barrier, gt->barrier);
	smp_store_release(&w->flags, GHOST_SW_F_INUSE | GHOST_SW_F_CANFREE);
}

/*
 * @cpu's word, with @now as the commit time of its thread if it has one.
 * The caller reads the clock once for all it stamps: under an emulator
 * the clocksource (the HPET) is a device access, dearer than a syscall.
 */
void ghost_sw_cpu_update_at(struct ghost_enclave *e, int cpu, u64 now)
{
	struct ghost_cpu_word *c;
	struct ghost_thread *cur;
	u32 flags = 0;

	if (cpu < 0 || cpu >= nr_cpu_ids)
		return;
	c = &ghost_cpu_words(e)[cpu];
	cur = e->cpu_cur[cpu];
	if (cpumask_test_cpu(cpu, e->cpus))
		flags |= GHOST_CPU_F_IN_ENCLAVE;
	if (e->cpu_agent[cpu])
		flags |= GHOST_CPU_F_AGENT;
	WRITE_ONCE(c->gtid, cur ? cur->gtid : 0);
	if (cur)
		WRITE_ONCE(c->commit_time, now);
	smp_store_release(&c->flags, flags);
}

void ghost_sw_cpu_update(struct ghost_enclave *e, int cpu)
{
	if (cpu >= 0 && cpu < nr_cpu_ids)
		ghost_sw_cpu_update_at(e, cpu, e->cpu_cur[cpu] ?
				       ktime_get_mono_fast_ns() : 0);
}

u32 ghost_sw_cpu_barrier_inc(struct ghost_enclave *e, int cpu)
{
	struct ghost_cpu_word *c = &ghost_cpu_words(e)[cpu];
	u32 barrier = READ_ONCE(c->barrier) + 1;

	smp_store_release(&c->barrier, barrier);
	return barrier;
}

void ghost_sw_cpu_agent_seq(struct ghost_enclave *e, int cpu, u32 seq)
{
	smp_store_release(&ghost_cpu_words(e)[cpu].agent_seq, seq);
}

/*
 * A task outside ghost is runnable on @cpu, which has an agent: tell it
 * (any change will do: concurrent wakeups may share one).  No lock; a
 * hook with @e found through ghost_cpu_owner().
 */
void ghost_sw_cpu_wanted(struct ghost_enclave *e, int cpu)
{
	struct ghost_cpu_word *c = &ghost_cpu_words(e)[cpu];

	WRITE_ONCE(c->wanted, READ_ONCE(c->wanted) + 1);
}

int ghost_sw_mmap(struct ghost_enclave *e, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	if (vma->vm_end - vma->vm_start > e->sw_size)
		return -EINVAL;
	ghost_vma_deny_write(vma);
	return remap_vmalloc_range(vma, e->sw, vma->vm_pgoff);
}

long ghost_sw_ioctl(struct ghost_enclave *e, unsigned int cmd,
		    void __user *uarg)
{
	struct ghost_status_word *w;
	struct ghost_ioc_sw arg;
	struct ghost_thread *gt;
	unsigned long flags;
	long ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.resv)
		return -EINVAL;

	if (cmd == GHOST_IOC_SW_GET) {
		if (arg.index)
			return -EINVAL;
		gt = ghost_thread_find_gtid(e, arg.gtid);
		if (!gt)
			return -ENOENT;
		arg.index = gt->sw_index;
		ghost_thread_put(gt);
		return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
	}

	/* GHOST_IOC_SW_FREE: the agent's part of the protocol. */
	if (arg.index >= GHOST_SW_WORDS)
		return -EINVAL;
	if (!ghost_may_drive(e))
		return -EPERM;
	raw_spin_lock_irqsave(&e->lock, flags);
	w = &ghost_words(e)[arg.index];
	if (!(w->flags & GHOST_SW_F_CANFREE) ||
	    (arg.gtid && arg.gtid != w->gtid))
		ret = -EINVAL;
	else
		smp_store_release(&w->flags, 0);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	return ret;
}
