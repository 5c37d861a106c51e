// SPDX-License-Identifier: GPL-2.0
/*
 * CPU_TICK messages: while enclave_<id>/deliver_ticks is 1, a timer pinned
 * to each enclave CPU produces one message per scheduler tick.
 */
#include <linux/slab.h>
#include <linux/timer.h>

#include "compat.h"
#include "ghost.h"

struct ghost_tick {
	struct timer_list timer;
	struct ghost_enclave *e;
	int cpu;
};

static bool ghost_tick_wanted(struct ghost_enclave *e, int cpu)
{
	return READ_ONCE(e->deliver_ticks) && !READ_ONCE(e->dead) &&
	       cpumask_test_cpu(cpu, e->cpus) && cpu_online(cpu);
}

static void ghost_tick_fn(struct timer_list *timer)
{
	struct ghost_tick *t = from_timer(t, timer, timer);
	struct ghost_enclave *e = t->e;
	unsigned long flags;

	if (!ghost_tick_wanted(e, t->cpu))
		return;
	raw_spin_lock_irqsave(&e->lock, flags);
	ghost_emit_cpu(e, GHOST_MSG_CPU_TICK, t->cpu);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* A pinned timer re-armed from its callback stays on this CPU. */
	mod_timer(timer, jiffies + 1);
}

int ghost_ticks_init(struct ghost_enclave *e)
{
	unsigned int cpu;

	e->ticks = kcalloc(nr_cpu_ids, sizeof(*e->ticks), GFP_KERNEL);
	if (!e->ticks)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		e->ticks[cpu].e = e;
		e->ticks[cpu].cpu = cpu;
		timer_setup(&e->ticks[cpu].timer, ghost_tick_fn, TIMER_PINNED);
	}
	return 0;
}

/* Start or stop each CPU's timer; ghost_lock held (process context). */
void ghost_ticks_update(struct ghost_enclave *e)
{
	unsigned int cpu;

	lockdep_assert_held(&ghost_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct timer_list *timer = &e->ticks[cpu].timer;

		if (!ghost_tick_wanted(e, cpu)) {
			timer_delete_sync(timer);
		} else if (!timer_pending(timer)) {
			timer->expires = jiffies + 1;
			add_timer_on(timer, cpu);
		}
	}
}

void ghost_ticks_free(struct ghost_enclave *e)
{
	unsigned int cpu;

	if (!e->ticks)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		timer_delete_sync(&e->ticks[cpu].timer);
	kfree(e->ticks);
}
