// SPDX-License-Identifier: GPL-2.0
/*
 * Enrolment: a thread joins and leaves an enclave in its own context.
 *
 * A thread's preempt notifier can only be added or removed by the thread
 * itself, so every enrolment and every departure runs in the thread's own
 * context: directly when it writes its own tid, otherwise from a task_work
 * that it runs at its next return to user mode.  Children of ghost threads
 * join the same way; teardown asks every thread to leave.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "ghost.h"
#include "ghost_trace.h"

/*
 * A child's messages start where its parent's go: to the agent of the CPU
 * it starts on, with per-CPU queues, rather than through the default
 * queue's agent on another CPU.  e->lock held.
 */
static void ghost_inherit_queue(struct ghost_enclave *e,
				struct ghost_thread *gt)
{
	struct ghost_thread *pgt;
	struct ghost_queue *q;

	if (!gt->parent_gtid || gt->queue)
		return;
	rcu_read_lock();
	pgt = ghost_thread_lookup_gtid(gt->parent_gtid);
	q = pgt && pgt->e == e ? pgt->queue : NULL;
	if (q && !READ_ONCE(q->orphan)) {
		kref_get(&q->ref);
		gt->queue = q;
	}
	rcu_read_unlock();
}

/*
 * Enrol current, claimed already (ghost_thread_claim()).  It is findable
 * by gtid before its notifier fires, and it is runnable: it parks before
 * returning to user mode.
 */
int ghost_thread_enrol(struct ghost_thread *gt, bool agent)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	bool quiet = false;
	int err = 0, cpu;

	if (current->flags & (PF_EXITING | PF_KTHREAD))
		return -ESRCH;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->dead) {
		err = -ENODEV;
	} else if (!agent) {
		err = ghost_sw_alloc(e, gt);
	}
	if (!err) {
		if (!agent)
			ghost_inherit_queue(e, gt);
		gt->state = GT_RUNNABLE;
		gt->runnable_since = get_jiffies_64();
		gt->runnable_ns = ktime_get_mono_fast_ns();
		gt->nice = task_nice(current);
		if (agent)
			set_bit(GT_F_AGENT, &gt->flags);
		/* Findable by its gtid before an agent can learn it. */
		ghost_thread_hash_gtid(gt);
		set_bit(GT_F_ENROLLED, &gt->flags);
		if (!agent) {
			list_add_tail(&gt->enode, &e->threads);
			e->nr_threads++;
			gt->barrier++;
			/* Its CPU's list may let it run there at once. */
			cpu = ghost_dispatch_run_new_locked(e, gt,
							    gt->runnable_ns,
							    &quiet);
			ghost_sw_update(e, gt);
			ghost_emit_task_new(e, gt, quiet);
			if (cpu >= 0)
				ghost_emit_task_quiet(e, gt,
						      GHOST_MSG_TASK_LATCHED,
						      cpu, quiet);
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
		trace_ghost_enter(e->id, task_pid_nr(current), gt->gtid,
				  raw_smp_processor_id());
		ghost_thread_run_class();
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
	int cpu, leave_cpu = gt->cpu;
	bool quiet, running = gt->state == GT_RUNNING;

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
	trace_ghost_leave(e->id, task_pid_nr(gt->task), gt->gtid,
			  gt->state == GT_RUNNING ? gt->cpu : -1);
	/* Running there, or being committed there. */
	cpu = ghost_release_cpu_locked(e, gt);
	/*
	 * As a block: leaving a CPU with a quiet list needs no decision
	 * (its list says what runs next, or the agent heard it run empty).
	 * Asked after the CPU's word changed: see ghost_dispatch_quiet_leave().
	 */
	quiet = running && ghost_dispatch_quiet_leave(e, leave_cpu);
	gt->state = GT_GONE;
	gt->barrier++;
	/* The word first: an agent that reads the message sees it current. */
	ghost_sw_release(e, gt);
	ghost_emit_task_quiet(e, gt, type, raw_smp_processor_id(), quiet);
	list_del_init(&gt->enode);
	ghost_dispatch_forget_locked(gt);
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
void ghost_thread_depart(struct ghost_thread *gt)
{
	if (!ghost_thread_unenrol(gt, GHOST_MSG_TASK_DEPARTED))
		return;
	/* Gone now: no new pin; one under way must not land after ours. */
	wait_var_event(&gt->pinners, !atomic_read(&gt->pinners));
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
			/*
			 * Never enrolled: drop the claim and its reference.
			 * A child gets what its parent has outside ghost.
			 */
			if (gt->parent_gtid && !(current->flags & PF_EXITING))
				ghost_thread_restore_sched(gt);
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
 * Queue the thread's work once, to run at its next return to user mode
 * (TWA_RESUME kicks a thread in user mode, and is safe under scheduler
 * locks).  Never TWA_SIGNAL: that interrupts what the thread sleeps in,
 * and a call such as epoll_wait() would return a spurious EINTR.
 */
bool ghost_thread_queue_work(struct ghost_thread *gt, int notify)
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

/*
 * A child of a ghost thread that will not be one inherited its parent's
 * run class and its mask, pinned to the parent's CPU: give it what its
 * parent has outside ghost, the policy and the mask (not into another
 * cgroup, whose cpuset may differ, nor a mask with no active CPU).
 * Before it is first woken, under its pi_lock, which every change of a
 * policy or a mask holds: as sched_fork() resets a policy and
 * kthread_bind() sets a mask; it is on no runqueue.
 */
static void ghost_thread_fork_unmanaged(struct ghost_thread *pgt,
					struct task_struct *child)
{
	struct ghost_enclave *e = pgt->e;
	unsigned long flags;
	bool same_cgroup;

	rcu_read_lock();
	same_cgroup = rcu_access_pointer(child->cgroups) ==
		      rcu_access_pointer(current->cgroups);
	rcu_read_unlock();
	raw_spin_lock_irqsave(&child->pi_lock, flags);
	if (READ_ONCE(child->__state) != TASK_NEW)
		goto out;
	if (child->policy == SCHED_BATCH && pgt->saved_policy == SCHED_NORMAL)
		child->policy = SCHED_NORMAL;
	raw_spin_lock(&e->lock);	/* the saved mask */
	if (same_cgroup && child->cpus_ptr == &child->cpus_mask &&
	    cpumask_intersects(pgt->saved_mask, cpu_active_mask)) {
		cpumask_copy(&child->cpus_mask, pgt->saved_mask);
		child->nr_cpus_allowed = cpumask_weight(&child->cpus_mask);
	}
	raw_spin_unlock(&e->lock);
out:
	raw_spin_unlock_irqrestore(&child->pi_lock, flags);
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
	    (child->flags & PF_KTHREAD))
		return;
	if (!test_bit(GT_F_ENROLLED, &pgt->flags) || pgt->e->dead ||
	    parent->sched_reset_on_fork) {
		ghost_thread_fork_unmanaged(pgt, child);
		return;
	}

	gt = ghost_fault(GHOST_FAULT_FORK) ? NULL :
	     ghost_thread_alloc(pgt->e, child, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!gt) {
		/*
		 * It must not run unmanaged, and a fork cannot fail from
		 * here: the child dies before its first user instruction.
		 */
		pr_warn_ratelimited("no memory to enrol child %d of ghost thread %d: killing the child\n",
				    task_pid_nr(child), task_pid_nr(parent));
		send_sig(SIGKILL, child, 1);
		return;
	}
	gt->saved_policy = pgt->saved_policy;
	gt->saved_rt_priority = pgt->saved_rt_priority;
	gt->saved_nice = pgt->saved_nice;
	cpumask_copy(gt->saved_mask, pgt->saved_mask);
	gt->parent_gtid = pgt->gtid;
	if (ghost_quota_charge(gt)) {
		/* As above: over its user's limit, it may not run at all. */
		pr_warn_ratelimited("user %u is at max_threads_per_user in enclave %u: killing child %d of ghost thread %d\n",
				    from_kuid(&init_user_ns, task_uid(child)),
				    pgt->e->id, task_pid_nr(child),
				    task_pid_nr(parent));
		send_sig(SIGKILL, child, 1);
		ghost_thread_put(gt);
		return;
	}
	if (ghost_thread_claim(gt)) {
		ghost_thread_put(gt);
		ghost_thread_fork_unmanaged(pgt, child);
	} else if (!ghost_thread_queue_work(gt, TWA_RESUME))
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
 * the others run their detach work at their next return to user mode: at
 * once if they run, when they wake if they are blocked (their sleep is
 * not interrupted).
 */
/* Ask @gt to leave; a reference is held. */
static void ghost_thread_detach(struct ghost_thread *gt)
{
	set_bit(GT_F_DETACH, &gt->flags);
	if (gt->task == current)
		ghost_thread_depart(gt);
	else if (!test_bit(GT_F_PARKED, &gt->flags))
		ghost_thread_queue_work(gt, TWA_RESUME);
	wake_up_all(&gt->wq);
}

/*
 * Without memory for the list: one thread at a time, each found under
 * the lock as one not asked yet (wakeups must happen outside it).
 */
static void ghost_thread_detach_one_by_one(struct ghost_enclave *e)
{
	struct ghost_thread *gt, *found;
	unsigned long flags;
	unsigned int i;

	do {
		found = NULL;
		raw_spin_lock_irqsave(&e->lock, flags);
		list_for_each_entry(gt, &e->threads, enode) {
			if (!test_and_set_bit(GT_F_DETACH, &gt->flags)) {
				found = gt;
				break;
			}
		}
		for (i = 0; !found && i < nr_cpu_ids; i++) {
			gt = e->cpu_agent[i];
			if (gt && !test_and_set_bit(GT_F_DETACH, &gt->flags))
				found = gt;
		}
		if (found)
			ghost_thread_get(found);
		raw_spin_unlock_irqrestore(&e->lock, flags);
		if (found) {
			ghost_thread_detach(found);
			ghost_thread_put(found);
		}
	} while (found);
}

void ghost_thread_detach_all(struct ghost_enclave *e)
{
	struct ghost_thread *gt, **all;
	unsigned long flags;
	unsigned int n = 0, i, max;

again:
	raw_spin_lock_irqsave(&e->lock, flags);
	max = e->nr_threads + e->nr_agents;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	all = ghost_fault(GHOST_FAULT_DESTROY) ? NULL :
	      kcalloc(max + 1, sizeof(*all), GFP_KERNEL);
	if (!all) {
		ghost_thread_detach_one_by_one(e);
		return;
	}

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
		ghost_thread_detach(all[i]);
		ghost_thread_put(all[i]);
	}
	kfree(all);
}
