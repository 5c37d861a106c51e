// SPDX-License-Identifier: GPL-2.0
/* Agents: a thread becomes the agent of one enclave CPU. */
#include <linux/capability.h>
#include <linux/hrtimer.h>
#include <linux/sched/stat.h>
#include <uapi/linux/sched/types.h>

#include "ghost.h"

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
		/* A destroy may be waiting for the agents to go. */
		wake_up_all(&e->detach_wq);
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
 * Hotplug took @agent's CPU and the kernel moved it elsewhere: back to its
 * CPU once that is active again.  @agent is current.
 */
void ghost_agent_repin(struct ghost_thread *agent)
{
	int cpu = agent->cpu;

	if (current->nr_cpus_allowed == 1 &&
	    cpumask_test_cpu(cpu, &current->cpus_mask))
		return;
	if (cpu_active(cpu))
		set_cpus_allowed_ptr(current, cpumask_of(cpu));
}

/* How long a stepping-aside agent sleeps before it looks again. */
#define GHOST_STEP_ASIDE_NAP_NS		(50 * NSEC_PER_USEC)
#define GHOST_STEP_ASIDE_SLACK_NS	(20 * NSEC_PER_USEC)

/*
 * GHOST_WAIT_F_STEP_ASIDE: the calling agent, SCHED_FIFO at the top
 * priority on its CPU, lets the other tasks runnable there run, for at
 * most @timeout_ms (0: 1 ms).  It naps while any is, and looks again
 * after each nap: a kernel worker's item is often done within one.
 * Returns 1 if it napped, 0 if nothing else was runnable.
 */
long ghost_agent_step_aside(unsigned int timeout_ms)
{
	ktime_t end = ktime_add_ms(ktime_get(), timeout_ms ?: 1);
	ktime_t nap;
	long ret = 0;

	while (!single_task_running()) {
		if (signal_pending(current))
			return -EINTR;
		if (ktime_after(ktime_get(), end))
			return -ETIMEDOUT;
		nap = GHOST_STEP_ASIDE_NAP_NS;
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_hrtimeout_range(&nap, GHOST_STEP_ASIDE_SLACK_NS,
					 HRTIMER_MODE_REL);
		ret = 1;
	}
	return ret;
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
