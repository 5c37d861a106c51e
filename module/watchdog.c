// SPDX-License-Identifier: GPL-2.0
/*
 * The safety nets: an enclave whose last agent is gone survives
 * agent_grace_ms for a new agent to attach, and a runnable thread that no
 * agent runs within runnable_timeout destroys its enclave.  Either way every
 * thread returns to CFS.
 */
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "ghost.h"
#include "ghost_trace.h"

unsigned int ghost_agent_grace_ms = 2000;
module_param_named(agent_grace_ms, ghost_agent_grace_ms, uint, 0644);
MODULE_PARM_DESC(agent_grace_ms,
		 "ms an enclave waits for a new agent after the last one is gone (default 2000)");

#define GHOST_WATCHDOG_PERIOD	msecs_to_jiffies(100)

static void ghost_grace_expired(struct work_struct *work)
{
	struct ghost_enclave *e = container_of(to_delayed_work(work),
					       struct ghost_enclave,
					       grace_work);

	mutex_lock(&ghost_lock);
	if (!e->dead && !READ_ONCE(e->nr_agents)) {
		trace_ghost_safety(e->id, 2, 0, ghost_agent_grace_ms);
		pr_warn("enclave %u: no agent for %u ms; destroying it, its threads return to CFS\n",
			e->id, ghost_agent_grace_ms);
		ghost_enclave_destroy(e, NULL);
	}
	mutex_unlock(&ghost_lock);
}

/* Called when the last agent left; any context. */
void ghost_agent_lost(struct ghost_enclave *e)
{
	if (READ_ONCE(e->dead))
		return;
	trace_ghost_safety(e->id, 0, 0, ghost_agent_grace_ms);
	mod_delayed_work(ghost_wq, &e->grace_work,
			 msecs_to_jiffies(ghost_agent_grace_ms));
}

void ghost_agent_found(struct ghost_enclave *e)
{
	if (cancel_delayed_work(&e->grace_work))
		trace_ghost_safety(e->id, 1, 0, 0);
}

static void ghost_watchdog(struct work_struct *work)
{
	struct ghost_enclave *e = container_of(to_delayed_work(work),
					       struct ghost_enclave,
					       watchdog_work);
	u64 now = get_jiffies_64(), limit;
	struct task_struct *late = NULL;
	char comm[TASK_COMM_LEN];
	struct ghost_thread *gt;
	unsigned long flags;
	u64 waited = 0;

	limit = msecs_to_jiffies(READ_ONCE(e->runnable_timeout_ms));
	raw_spin_lock_irqsave(&e->lock, flags);
	list_for_each_entry(gt, &e->threads, enode) {
		/* Signed: it may have become runnable after @now was read. */
		if (!limit || gt->state != GT_RUNNABLE ||
		    (s64)(now - gt->runnable_since) <= (s64)limit)
			continue;
		late = gt->task;
		get_task_struct(late);
		waited = now - gt->runnable_since;
		break;
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);

	if (!late) {
		if (READ_ONCE(e->nr_threads))
			ghost_watchdog_start(e);
		return;
	}
	/* task_lock() must not nest in e->lock: name it out here. */
	get_task_comm(comm, late);
	mutex_lock(&ghost_lock);
	if (!e->dead) {
		trace_ghost_safety(e->id, 3, task_pid_nr(late),
				   jiffies64_to_msecs(waited));
		pr_warn("enclave %u: thread %d (%s) runnable for %llu ms without being scheduled (runnable_timeout %u ms); destroying the enclave\n",
			e->id, task_pid_nr(late), comm, jiffies64_to_msecs(waited),
			e->runnable_timeout_ms);
		ghost_enclave_destroy(e, NULL);
	}
	mutex_unlock(&ghost_lock);
	put_task_struct(late);
}

void ghost_watchdog_init(struct ghost_enclave *e)
{
	INIT_DELAYED_WORK(&e->grace_work, ghost_grace_expired);
	INIT_DELAYED_WORK(&e->watchdog_work, ghost_watchdog);
}

void ghost_watchdog_start(struct ghost_enclave *e)
{
	if (!READ_ONCE(e->dead))
		queue_delayed_work(ghost_wq, &e->watchdog_work,
				   GHOST_WATCHDOG_PERIOD);
}

void ghost_watchdog_stop(struct ghost_enclave *e)
{
	cancel_delayed_work(&e->grace_work);
	cancel_delayed_work(&e->watchdog_work);
}
