// SPDX-License-Identifier: GPL-2.0
/*
 * Ghost threads: entering and leaving an enclave.
 *
 * A thread's preempt notifier can only be added or removed by the thread
 * itself, so every enrolment and every departure runs in the thread's own
 * context: directly when it writes its own tid, otherwise from a task_work
 * that it runs at its next return to user mode.  Hooks find threads through
 * an RCU hash keyed by task_struct.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/task_work.h>
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
static int ghost_thread_claim(struct ghost_thread *gt)
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

static void ghost_thread_unhash(struct ghost_thread *gt)
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
	put_task_struct(gt->task);
	ghost_enclave_put(gt->e);
	free_cpumask_var(gt->saved_mask);
	kfree(gt);
}

static void ghost_thread_get(struct ghost_thread *gt)
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

static struct ghost_thread *ghost_thread_alloc(struct ghost_enclave *e,
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
	preempt_notifier_init(&gt->pn, &ghost_preempt_ops);
	return gt;
}

static void ghost_thread_save_sched(struct ghost_thread *gt,
				    struct task_struct *p)
{
	gt->saved_policy = p->policy;
	gt->saved_rt_priority = p->rt_priority;
	gt->saved_nice = task_nice(p);
	cpumask_copy(gt->saved_mask, &p->cpus_mask);
}

/* Give the thread back what it had when it entered (current only). */
static void ghost_thread_restore_sched(struct ghost_thread *gt)
{
	struct sched_attr attr = {
		.size		= sizeof(attr),
		.sched_policy	= gt->saved_policy,
		.sched_priority	= gt->saved_rt_priority,
		.sched_nice	= gt->saved_nice,
	};

	if (current->policy != gt->saved_policy ||
	    current->rt_priority != gt->saved_rt_priority)
		sched_setattr_nocheck(current, &attr);
	set_cpus_allowed_ptr(current, gt->saved_mask);
}

/*
 * Enrol current, claimed already (ghost_thread_claim()).  It is findable
 * by gtid before its notifier fires, and it is runnable: it parks before
 * returning to user mode.
 */
static int ghost_thread_enrol(struct ghost_thread *gt, bool agent)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	int err = 0;

	if (current->flags & (PF_EXITING | PF_KTHREAD))
		return -ESRCH;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->dead) {
		err = -ENODEV;
	} else if (!agent) {
		err = ghost_sw_alloc(e, gt);
	}
	if (!err) {
		/* The tid of the initial namespace: one identity for all. */
		gt->gtid = ((u64)task_pid_nr(current) << 32) |
			   (u32)atomic_inc_return(&ghost_enrolments);
		gt->state = GT_RUNNABLE;
		gt->runnable_since = get_jiffies_64();
		gt->nice = task_nice(current);
		if (agent)
			set_bit(GT_F_AGENT, &gt->flags);
		/* Findable by its gtid before an agent can learn it. */
		raw_spin_lock(&ghost_hash_lock);
		hash_add_rcu(ghost_gtid_hash, &gt->gnode, gt->gtid);
		raw_spin_unlock(&ghost_hash_lock);
		set_bit(GT_F_ENROLLED, &gt->flags);
		if (!agent) {
			list_add_tail(&gt->enode, &e->threads);
			e->nr_threads++;
			gt->barrier++;
			ghost_sw_update(e, gt);
			ghost_emit_task_new(e, gt);
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (err)
		return err;

	if (!agent) {
		preempt_disable();
		preempt_notifier_register(&gt->pn);
		preempt_enable();
		ghost_watchdog_start(e);
	}
	return 0;
}

/*
 * Take @gt out of its enclave's state, e->lock held: a thread is gone
 * (@type TASK_DEAD or TASK_DEPARTED), an agent gives up its CPU.  Without
 * agents, committed threads park until a new agent decides for them.
 */
static void ghost_thread_unlink_locked(struct ghost_enclave *e,
				       struct ghost_thread *gt, u16 type)
{
	int cpu;

	if (test_bit(GT_F_AGENT, &gt->flags)) {
		if (gt->cpu >= 0 && e->cpu_agent[gt->cpu] == gt)
			e->cpu_agent[gt->cpu] = NULL;
		ghost_sw_cpu_update(e, gt->cpu);
		if (--e->nr_agents)
			return;
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			if (e->cpu_cur[cpu])
				ghost_preempt_locked(e, e->cpu_cur[cpu]);
		}
		ghost_dispatch_drop_locked(e);
		return;
	}
	cpu = gt->state == GT_RUNNING ? gt->cpu : -1;
	ghost_release_cpu_locked(e, gt);
	gt->state = GT_GONE;
	gt->barrier++;
	/* The word first: an agent that reads the message sees it current. */
	ghost_sw_release(e, gt);
	ghost_emit_task(e, gt, type, raw_smp_processor_id());
	list_del_init(&gt->enode);
	e->nr_threads--;
	if (cpu >= 0 && ghost_dispatch_next_locked(e, cpu))
		ghost_dispatch_wake_cpu(e, cpu);
}

/* Undo ghost_thread_enrol(), as the thread itself. */
static bool ghost_thread_unenrol(struct ghost_thread *gt, u16 type)
{
	struct ghost_enclave *e = gt->e;
	bool agent = test_bit(GT_F_AGENT, &gt->flags);
	unsigned long flags;

	if (!test_and_clear_bit(GT_F_ENROLLED, &gt->flags))
		return false;
	if (!agent) {
		preempt_disable();
		preempt_notifier_unregister(&gt->pn);
		preempt_enable();
	}
	raw_spin_lock_irqsave(&e->lock, flags);
	ghost_thread_unlink_locked(e, gt, type);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	ghost_thread_unhash(gt);

	if (agent && !READ_ONCE(e->nr_agents))
		ghost_agent_lost(e);
	wake_up_all(&e->detach_wq);
	return true;
}

/* Leave the enclave and get the old scheduling back (current only). */
static void ghost_thread_depart(struct ghost_thread *gt)
{
	if (!ghost_thread_unenrol(gt, GHOST_MSG_TASK_DEPARTED))
		return;
	ghost_thread_restore_sched(gt);
	ghost_thread_put(gt);	/* the enrolment's reference */
}

/*
 * The one task_work of a thread: join (not enrolled yet), detach, or park.
 * Runs in the thread's context at its return to user mode, or in do_exit().
 */
static void ghost_thread_work(struct callback_head *cb)
{
	struct ghost_thread *gt = container_of(cb, struct ghost_thread, work);

	clear_bit(GT_F_WORK_QUEUED, &gt->flags);
	if (!test_and_set_bit(GT_F_JOINED, &gt->flags)) {
		/* A join: the first time this ghost_thread runs. */
		if ((current->flags & PF_EXITING) ||
		    test_bit(GT_F_DETACH, &gt->flags) ||
		    ghost_thread_enrol(gt, false)) {
			/* Never enrolled: drop the claim and its reference. */
			ghost_thread_unhash(gt);
			ghost_thread_put(gt);
			goto out;
		}
	}
	if (current->flags & PF_EXITING)
		goto out;
	if (!test_bit(GT_F_DETACH, &gt->flags))
		ghost_park(gt);
	if (test_bit(GT_F_DETACH, &gt->flags))
		ghost_thread_depart(gt);
out:
	ghost_thread_put(gt);	/* the queued work's reference */
}

/*
 * Queue the thread's work once.  TWA_RESUME is safe under scheduler locks;
 * TWA_SIGNAL also interrupts a sleep and is used for teardown only.
 */
static bool ghost_thread_queue_work(struct ghost_thread *gt, int notify)
{
	if (test_and_set_bit(GT_F_WORK_QUEUED, &gt->flags))
		return true;
	ghost_thread_get(gt);
	init_task_work(&gt->work, ghost_thread_work);
	if (task_work_add(gt->task, &gt->work, notify)) {
		/* Exiting: it will never run the work. */
		clear_bit(GT_F_WORK_QUEUED, &gt->flags);
		ghost_thread_put(gt);
		return false;
	}
	return true;
}

void ghost_queue_park(struct ghost_thread *gt)
{
	ghost_thread_queue_work(gt, TWA_RESUME);
}

static int ghost_thread_check_target(struct task_struct *p)
{
	if (p->flags & (PF_KTHREAD | PF_EXITING | GHOST_PF_WORKER))
		return -EINVAL;
	if (!same_thread_group(p, current) && !capable(CAP_SYS_NICE))
		return -EPERM;
	return 0;
}

static struct task_struct *ghost_get_task(pid_t tid)
{
	struct task_struct *p;
	struct pid *pid;

	if (!tid) {
		get_task_struct(current);
		return current;
	}
	pid = find_get_pid(tid);
	if (!pid)
		return NULL;
	p = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	return p;
}

/* Drop a claim that never led to an enrolment. */
static void ghost_thread_abandon(struct ghost_thread *gt)
{
	ghost_thread_unhash(gt);
	ghost_thread_put(gt);
}

/* Write of <tid> to enclave_<id>/tasks. */
int ghost_thread_enter(struct ghost_enclave *e, pid_t tid)
{
	struct ghost_thread *gt;
	struct task_struct *p;
	int err;

	if (tid < 0)
		return -EINVAL;
	p = ghost_get_task(tid);
	if (!p)
		return -ESRCH;
	err = ghost_thread_check_target(p);
	if (err)
		goto out;

	err = -ENOMEM;
	gt = ghost_thread_alloc(e, p, GFP_KERNEL_ACCOUNT);
	if (!gt)
		goto out;
	ghost_thread_save_sched(gt, p);
	/* One pending or enrolled entry per thread: a second write is EBUSY. */
	err = ghost_thread_claim(gt);
	if (err) {
		ghost_thread_put(gt);
		goto out;
	}
	if (p == current) {
		set_bit(GT_F_JOINED, &gt->flags);
		err = ghost_thread_enrol(gt, false);
		if (err)
			ghost_thread_abandon(gt);
		else
			ghost_queue_park(gt);
	} else if (!ghost_thread_queue_work(gt, TWA_RESUME)) {
		/* It enrols itself at its next return to user mode. */
		ghost_thread_abandon(gt);
		err = -ESRCH;
	} else {
		err = 0;
	}
out:
	put_task_struct(p);
	return err;
}

/* "leave <tid>" on the enclave's ctl. */
int ghost_thread_leave(struct ghost_enclave *e, pid_t tid)
{
	struct ghost_thread *gt;
	struct task_struct *p;
	int err = 0;

	p = ghost_get_task(tid);
	if (!p)
		return -ESRCH;
	if (!same_thread_group(p, current) && !capable(CAP_SYS_NICE)) {
		err = -EPERM;
		goto out;
	}
	rcu_read_lock();
	gt = ghost_thread_lookup(p);
	if (!gt || gt->e != e || test_bit(GT_F_AGENT, &gt->flags) ||
	    !ghost_thread_tryget(gt))
		err = -ESRCH;
	rcu_read_unlock();
	if (err)
		goto out;

	set_bit(GT_F_DETACH, &gt->flags);
	if (p == current) {
		ghost_thread_depart(gt);
	} else {
		ghost_thread_queue_work(gt, TWA_SIGNAL);
		wake_up_all(&gt->wq);
	}
	ghost_thread_put(gt);
out:
	put_task_struct(p);
	return err;
}

/* The calling thread becomes the agent of @cpu. */
int ghost_agent_attach(struct ghost_enclave *e, int cpu)
{
	struct sched_attr attr = {
		.size		= sizeof(attr),
		.sched_policy	= SCHED_FIFO,
		.sched_priority	= MAX_RT_PRIO - 1,
	};
	struct ghost_thread *gt;
	unsigned long flags;
	int err;

	if (!capable(CAP_SYS_NICE))
		return -EPERM;
	if (cpu < 0 || cpu >= nr_cpu_ids)
		return -EINVAL;

	gt = ghost_thread_alloc(e, current, GFP_KERNEL_ACCOUNT);
	if (!gt)
		return -ENOMEM;
	err = ghost_thread_claim(gt);
	if (err) {
		ghost_thread_put(gt);
		return err;
	}
	set_bit(GT_F_JOINED, &gt->flags);
	ghost_thread_save_sched(gt, current);

	mutex_lock(&ghost_lock);
	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->dead)
		err = -ENODEV;
	else if (!cpumask_test_cpu(cpu, e->cpus))
		err = -EINVAL;
	else if (e->cpu_agent[cpu])
		err = -EBUSY;
	if (!err) {
		e->cpu_agent[cpu] = gt;
		e->nr_agents++;
		gt->cpu = cpu;
		ghost_sw_cpu_update(e, cpu);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	mutex_unlock(&ghost_lock);
	if (!err)
		err = ghost_thread_enrol(gt, true);
	if (err) {
		raw_spin_lock_irqsave(&e->lock, flags);
		if (e->cpu_agent[cpu] == gt) {
			e->cpu_agent[cpu] = NULL;
			e->nr_agents--;
		}
		raw_spin_unlock_irqrestore(&e->lock, flags);
		ghost_thread_abandon(gt);
		return err;
	}

	err = set_cpus_allowed_ptr(current, cpumask_of(cpu));
	if (!err)
		err = sched_setattr_nocheck(current, &attr);
	if (err) {
		ghost_thread_depart(gt);
		return err;
	}
	ghost_agent_found(e);
	return 0;
}

/*
 * sched_process_fork: a ghost thread's child joins the same enclave at its
 * first return to user mode, before it runs any user code.  Opt out with
 * SCHED_RESET_ON_FORK on the parent.
 */
void ghost_thread_fork(struct task_struct *parent, struct task_struct *child)
{
	struct ghost_thread *pgt, *gt;

	pgt = ghost_thread_lookup(parent);
	if (!pgt || test_bit(GT_F_AGENT, &pgt->flags) ||
	    !test_bit(GT_F_ENROLLED, &pgt->flags) || pgt->e->dead ||
	    parent->sched_reset_on_fork || (child->flags & PF_KTHREAD))
		return;

	gt = ghost_thread_alloc(pgt->e, child, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!gt) {
		pr_warn_ratelimited("no memory to enrol child %d of ghost thread %d\n",
				    task_pid_nr(child), task_pid_nr(parent));
		return;
	}
	gt->saved_policy = pgt->saved_policy;
	gt->saved_rt_priority = pgt->saved_rt_priority;
	gt->saved_nice = pgt->saved_nice;
	cpumask_copy(gt->saved_mask, pgt->saved_mask);
	gt->parent_gtid = pgt->gtid;
	if (ghost_thread_claim(gt))
		ghost_thread_put(gt);
	else if (!ghost_thread_queue_work(gt, TWA_RESUME))
		ghost_thread_abandon(gt);
}

/* sched_process_exit, as the exiting thread, preemption off. */
void ghost_thread_exit_hook(struct task_struct *p)
{
	struct ghost_thread *gt = ghost_thread_lookup(p);

	if (gt && ghost_thread_unenrol(gt, GHOST_MSG_TASK_DEAD))
		ghost_thread_put(gt);	/* the enrolment's reference */
}

/*
 * Enclave teardown: every thread leaves by itself.  Parked ones are woken;
 * the others run their detach work at their next return to user mode, and
 * a sleep is interrupted (TWA_SIGNAL; syscalls restart).
 */
void ghost_thread_detach_all(struct ghost_enclave *e)
{
	struct ghost_thread *gt, **all;
	unsigned long flags;
	unsigned int n = 0, i, max;

again:
	raw_spin_lock_irqsave(&e->lock, flags);
	max = e->nr_threads + e->nr_agents;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	all = kcalloc(max + 1, sizeof(*all), GFP_KERNEL);
	if (!all)
		return;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->nr_threads + e->nr_agents > max) {
		raw_spin_unlock_irqrestore(&e->lock, flags);
		kfree(all);
		goto again;
	}
	list_for_each_entry(gt, &e->threads, enode) {
		ghost_thread_get(gt);
		all[n++] = gt;
	}
	for (i = 0; i < nr_cpu_ids; i++) {
		gt = e->cpu_agent[i];
		if (gt) {
			ghost_thread_get(gt);
			all[n++] = gt;
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);

	for (i = 0; i < n; i++) {
		gt = all[i];
		set_bit(GT_F_DETACH, &gt->flags);
		if (gt->task == current)
			ghost_thread_depart(gt);
		else if (!test_bit(GT_F_PARKED, &gt->flags))
			ghost_thread_queue_work(gt, TWA_SIGNAL);
		wake_up_all(&gt->wq);
		ghost_thread_put(gt);
	}
	kfree(all);
}

/* Tids as the reader's pid namespace sees them; others are not listed. */
void ghost_thread_tasks_show(struct ghost_enclave *e, struct seq_file *m)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct ghost_thread *gt;
	unsigned long flags;
	pid_t tid;

	raw_spin_lock_irqsave(&e->lock, flags);
	list_for_each_entry(gt, &e->threads, enode) {
		tid = task_pid_nr_ns(gt->task, ns);
		if (tid > 0)
			seq_printf(m, "%d\n", tid);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

/* The calling thread if it is an agent of @e, with a reference, or NULL. */
struct ghost_thread *ghost_current_agent(struct ghost_enclave *e)
{
	struct ghost_thread *gt;

	rcu_read_lock();
	gt = ghost_thread_lookup(current);
	if (gt && (gt->e != e || !test_bit(GT_F_AGENT, &gt->flags) ||
		   !test_bit(GT_F_ENROLLED, &gt->flags) ||
		   !ghost_thread_tryget(gt)))
		gt = NULL;
	rcu_read_unlock();
	return gt;
}

/* May the caller drive @e: one of its agents, or CAP_SYS_NICE? */
bool ghost_may_drive(struct ghost_enclave *e)
{
	struct ghost_thread *agent = ghost_current_agent(e);

	if (!agent)
		return capable(CAP_SYS_NICE);
	ghost_thread_put(agent);
	return true;
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
