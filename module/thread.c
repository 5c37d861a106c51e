// SPDX-License-Identifier: GPL-2.0
/*
 * Ghost threads: lookup and lifetime.
 *
 * Hooks find a thread through an RCU hash keyed by task_struct, agents and
 * the fast path through one keyed by gtid.  A task has one ghost_thread at
 * most, from the moment its join is queued (claimed) until it leaves.  The
 * other concerns: enrol.c (enrolment, the thread's own task_work, fork and
 * exit, teardown), enter.c (tasks and leave requests), agent.c (agents).
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "compat.h"
#include "ghost.h"

#define GHOST_HASH_BITS	10

static DEFINE_HASHTABLE(ghost_thread_hash, GHOST_HASH_BITS);
/* By gtid: one identity, whatever pid namespace looks it up. */
static DEFINE_HASHTABLE(ghost_gtid_hash, GHOST_HASH_BITS);
/* Taken under e->lock, itself taken under runqueue locks. */
static DEFINE_RAW_SPINLOCK(ghost_hash_lock);
static atomic_t ghost_enrolments = ATOMIC_INIT(0);

struct ghost_thread *ghost_thread_lookup(struct task_struct *p)
{
	struct ghost_thread *gt;

	hash_for_each_possible_rcu(ghost_thread_hash, gt, hnode,
				   (unsigned long)p) {
		if (gt->task == p)
			return gt;
	}
	return NULL;
}

/* Under RCU; the thread may be gone (GT_F_ENROLLED clear) already. */
struct ghost_thread *ghost_thread_lookup_gtid(u64 gtid)
{
	struct ghost_thread *gt;

	hash_for_each_possible_rcu(ghost_gtid_hash, gt, gnode, gtid) {
		if (gt->gtid == gtid)
			return gt;
	}
	return NULL;
}

/*
 * Claim @gt->task for @gt: a task has at most one ghost_thread, enrolled
 * or pending (a join queued by a write to tasks or by fork), so a second
 * enter of the same thread, into any enclave, gets EBUSY and allocates
 * nothing more.  Hooks ignore an entry until it is enrolled.
 */
int ghost_thread_claim(struct ghost_thread *gt)
{
	unsigned long flags;
	int err = 0;

	raw_spin_lock_irqsave(&ghost_hash_lock, flags);
	if (ghost_thread_lookup(gt->task))
		err = -EBUSY;
	else
		hash_add_rcu(ghost_thread_hash, &gt->hnode,
			     (unsigned long)gt->task);
	raw_spin_unlock_irqrestore(&ghost_hash_lock, flags);
	return err;
}

/*
 * Give current's @gt its gtid, the tid of the initial namespace (one
 * identity for all) and an enrolment number, and make it findable by it.
 */
void ghost_thread_hash_gtid(struct ghost_thread *gt)
{
	unsigned long flags;

	gt->gtid = ((u64)task_pid_nr(current) << 32) |
		   (u32)atomic_inc_return(&ghost_enrolments);
	raw_spin_lock_irqsave(&ghost_hash_lock, flags);
	hash_add_rcu(ghost_gtid_hash, &gt->gnode, gt->gtid);
	raw_spin_unlock_irqrestore(&ghost_hash_lock, flags);
}

void ghost_thread_unhash(struct ghost_thread *gt)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ghost_hash_lock, flags);
	if (!hlist_unhashed(&gt->hnode))
		hash_del_rcu(&gt->hnode);
	if (!hlist_unhashed(&gt->gnode))
		hash_del_rcu(&gt->gnode);
	raw_spin_unlock_irqrestore(&ghost_hash_lock, flags);
}

static void ghost_thread_free_rcu(struct rcu_head *rcu)
{
	struct ghost_thread *gt = container_of(rcu, struct ghost_thread, rcu);

	if (gt->queue)
		ghost_queue_put(gt->queue);
	ghost_quota_uncharge(gt);
	put_task_struct(gt->task);
	ghost_enclave_put(gt->e);
	free_cpumask_var(gt->saved_mask);
	kfree(gt);
}

void ghost_thread_get(struct ghost_thread *gt)
{
	refcount_inc(&gt->ref);
}

/* For RCU lookups: the last reference may be gone already. */
bool ghost_thread_tryget(struct ghost_thread *gt)
{
	return refcount_inc_not_zero(&gt->ref);
}

/*
 * The module reference goes with the last thread reference: what is left
 * to run (the RCU callback, the end of a task_work callback) is waited for
 * by ghost_exit().
 */
void ghost_thread_put(struct ghost_thread *gt)
{
	if (refcount_dec_and_test(&gt->ref)) {
		call_rcu(&gt->rcu, ghost_thread_free_rcu);
		module_put(THIS_MODULE);
	}
}

struct ghost_thread *ghost_thread_alloc(struct ghost_enclave *e,
					       struct task_struct *p, gfp_t gfp)
{
	struct ghost_thread *gt;

	gt = kzalloc(sizeof(*gt), gfp);
	if (!gt)
		return NULL;
	if (!zalloc_cpumask_var(&gt->saved_mask, gfp)) {
		kfree(gt);
		return NULL;
	}
	__module_get(THIS_MODULE);
	refcount_set(&gt->ref, 1);
	get_task_struct(p);
	gt->task = p;
	ghost_enclave_get(e);
	gt->e = e;
	gt->cpu = -1;
	gt->last_cpu = -1;
	INIT_HLIST_NODE(&gt->hnode);
	INIT_HLIST_NODE(&gt->gnode);
	init_waitqueue_head(&gt->wq);
	INIT_LIST_HEAD(&gt->enode);
	INIT_LIST_HEAD(&gt->wnode);
	preempt_notifier_init(&gt->pn, &ghost_preempt_ops);
	return gt;
}

void ghost_thread_save_sched(struct ghost_thread *gt,
				    struct task_struct *p)
{
	gt->saved_policy = p->policy;
	gt->saved_rt_priority = p->rt_priority;
	gt->saved_nice = task_nice(p);
	cpumask_copy(gt->saved_mask, &p->cpus_mask);
}

/*
 * Set current's policy, keeping what sched_setattr() would reset:
 * SCHED_RESET_ON_FORK and, for a fair policy, its own slice.
 */
static void ghost_set_policy(int policy, unsigned int rt_priority, int nice)
{
	struct sched_attr attr = {
		.size		= sizeof(attr),
		.sched_policy	= policy,
		.sched_priority	= rt_priority,
		.sched_nice	= nice,
	};

	if (current->sched_reset_on_fork)
		attr.sched_flags |= SCHED_FLAG_RESET_ON_FORK;
	if (policy == SCHED_NORMAL || policy == SCHED_BATCH)
		attr.sched_runtime = ghost_task_fair_slice(current);
	sched_setattr_nocheck(current, &attr);
}

/*
 * The run class of a ghost thread (current only): a SCHED_NORMAL thread
 * runs as SCHED_BATCH at its own nice.  A ghost thread that wakes while
 * another runs on its CPU mostly wakes only to park (the agent has not
 * given it the CPU): as SCHED_BATCH it does not preempt the running one
 * for that, and runs when the CPU is free or at a tick, by which time it
 * may be the one placed there.  Other policies are kept.
 */
void ghost_thread_run_class(void)
{
	if (current->policy == SCHED_NORMAL)
		ghost_set_policy(SCHED_BATCH, 0, task_nice(current));
}

/* Give the thread back what it had when it entered (current only). */
void ghost_thread_restore_sched(struct ghost_thread *gt)
{
	if (current->policy != gt->saved_policy ||
	    current->rt_priority != gt->saved_rt_priority)
		ghost_set_policy(gt->saved_policy, gt->saved_rt_priority,
				 gt->saved_nice);
	set_cpus_allowed_ptr(current, gt->saved_mask);
}

/* Drop a claim that never led to an enrolment. */
void ghost_thread_abandon(struct ghost_thread *gt)
{
	ghost_thread_unhash(gt);
	ghost_thread_put(gt);
}

/* The enclave thread with @gtid, with a reference, or NULL. */
struct ghost_thread *ghost_thread_find_gtid(struct ghost_enclave *e, u64 gtid)
{
	struct ghost_thread *gt;

	if (GHOST_GTID_TID(gtid) <= 0)
		return NULL;
	rcu_read_lock();
	gt = ghost_thread_lookup_gtid(gtid);
	/* A thread that is gone keeps its hash entry for a moment. */
	if (gt && (gt->e != e || !test_bit(GT_F_ENROLLED, &gt->flags) ||
		   !ghost_thread_tryget(gt)))
		gt = NULL;
	rcu_read_unlock();
	return gt;
}
