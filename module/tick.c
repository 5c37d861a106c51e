// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU timers of an enclave.
 *
 * CPU_TICK messages: while enclave_<id>/deliver_ticks is 1, a timer pinned
 * to each enclave CPU produces one message per scheduler tick.
 *
 * The audit: while enclave_<id>/audit is 1, a hard-irq hrtimer on each
 * enclave CPU samples what the CPU was doing.  A ghost thread caught in user
 * mode must be committed to this CPU, or have its park pending (it was just
 * preempted and parks at this very interrupt's return).  Anything else is a
 * thread running user code without a commit: counted in status.
 */
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <asm/irq_regs.h>

#include "compat.h"
#include "ghost.h"

/* Not a divisor of the tick period: samples drift across it. */
#define GHOST_AUDIT_PERIOD_NS	997000

struct ghost_tick {
	struct timer_list timer;
	struct hrtimer audit;
	struct ghost_enclave *e;
	int cpu;
};

static bool ghost_cpu_wanted(struct ghost_enclave *e, int cpu)
{
	return !READ_ONCE(e->dead) && cpumask_test_cpu(cpu, e->cpus) &&
	       cpu_online(cpu);
}

static bool ghost_tick_wanted(struct ghost_enclave *e, int cpu)
{
	return READ_ONCE(e->deliver_ticks) && ghost_cpu_wanted(e, cpu);
}

static bool ghost_audit_wanted(struct ghost_enclave *e, int cpu)
{
	return READ_ONCE(e->audit) && ghost_cpu_wanted(e, cpu);
}

static void ghost_tick_fn(struct timer_list *timer)
{
	struct ghost_tick *t = from_timer(t, timer, timer);
	struct ghost_enclave *e = t->e;
	unsigned long flags;

	/* Hotplug moved it: it comes back with its CPU. */
	if (smp_processor_id() != t->cpu || !ghost_tick_wanted(e, t->cpu))
		return;
	raw_spin_lock_irqsave(&e->lock, flags);
	ghost_emit_cpu(e, GHOST_MSG_CPU_TICK, t->cpu);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* A pinned timer re-armed from its callback stays on this CPU. */
	mod_timer(timer, jiffies + 1);
}

/* @gt was interrupted in user mode on @cpu; hard irq. */
static void ghost_audit_sample(struct ghost_enclave *e, struct ghost_thread *gt,
			       int cpu)
{
	raw_spin_lock(&e->lock);
	e->audit_samples++;
	if (!e->dead && !test_bit(GT_F_DETACH, &gt->flags) &&
	    !test_bit(GT_F_WORK_QUEUED, &gt->flags) &&
	    !(gt->state == GT_RUNNING && gt->cpu == cpu)) {
		e->audit_violations++;
		e->audit_last_tid = task_pid_nr(gt->task);
	}
	raw_spin_unlock(&e->lock);
}

static enum hrtimer_restart ghost_audit_fn(struct hrtimer *timer)
{
	struct ghost_tick *t = container_of(timer, struct ghost_tick, audit);
	struct pt_regs *regs = get_irq_regs();
	struct ghost_enclave *e = t->e;
	struct ghost_thread *gt;

	/* Hotplug moved it, or the audit was turned off. */
	if (smp_processor_id() != t->cpu || !ghost_audit_wanted(e, t->cpu))
		return HRTIMER_NORESTART;
	if (regs && user_mode(regs)) {
		rcu_read_lock();
		gt = ghost_thread_lookup(current);
		if (gt && gt->e == e && !test_bit(GT_F_AGENT, &gt->flags) &&
		    test_bit(GT_F_ENROLLED, &gt->flags))
			ghost_audit_sample(e, gt, t->cpu);
		rcu_read_unlock();
	}
	hrtimer_forward_now(timer, ns_to_ktime(GHOST_AUDIT_PERIOD_NS));
	return HRTIMER_RESTART;
}

/* On the timer's CPU: a pinned hrtimer stays where it was started. */
static void ghost_audit_start(void *arg)
{
	struct ghost_tick *t = arg;

	hrtimer_start(&t->audit, ns_to_ktime(GHOST_AUDIT_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

int ghost_ticks_init(struct ghost_enclave *e)
{
	unsigned int cpu;

	mutex_init(&e->ticks_lock);
	e->ticks = kcalloc(nr_cpu_ids, sizeof(*e->ticks), GFP_KERNEL);
	if (!e->ticks)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		e->ticks[cpu].e = e;
		e->ticks[cpu].cpu = cpu;
		timer_setup(&e->ticks[cpu].timer, ghost_tick_fn, TIMER_PINNED);
		hrtimer_init(&e->ticks[cpu].audit, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		e->ticks[cpu].audit.function = ghost_audit_fn;
	}
	return 0;
}

/* Start or stop each CPU's timer; ghost_lock held (process context). */
void ghost_ticks_update(struct ghost_enclave *e)
{
	unsigned int cpu;

	lockdep_assert_held(&ghost_lock);
	mutex_lock(&e->ticks_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct ghost_tick *t = &e->ticks[cpu];

		if (!ghost_tick_wanted(e, cpu)) {
			timer_delete_sync(&t->timer);
		} else if (!timer_pending(&t->timer)) {
			t->timer.expires = jiffies + 1;
			add_timer_on(&t->timer, cpu);
		}
		if (!ghost_audit_wanted(e, cpu))
			hrtimer_cancel(&t->audit);
		else if (!hrtimer_active(&t->audit))
			smp_call_function_single(cpu, ghost_audit_start, t, 1);
	}
	mutex_unlock(&e->ticks_lock);
}

/*
 * @cpu is back from hotplug (on it, process context): its timers were
 * moved away when it went and stopped there; start them here again.
 */
void ghost_ticks_cpu_online(struct ghost_enclave *e, int cpu)
{
	struct ghost_tick *t = &e->ticks[cpu];

	mutex_lock(&e->ticks_lock);
	if (ghost_tick_wanted(e, cpu)) {
		timer_delete_sync(&t->timer);
		t->timer.expires = jiffies + 1;
		add_timer_on(&t->timer, cpu);
	}
	if (ghost_audit_wanted(e, cpu)) {
		hrtimer_cancel(&t->audit);
		smp_call_function_single(cpu, ghost_audit_start, t, 1);
	}
	mutex_unlock(&e->ticks_lock);
}

void ghost_ticks_free(struct ghost_enclave *e)
{
	unsigned int cpu;

	if (!e->ticks)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		timer_delete_sync(&e->ticks[cpu].timer);
		hrtimer_cancel(&e->ticks[cpu].audit);
	}
	kfree(e->ticks);
}
