// SPDX-License-Identifier: GPL-2.0
/*
 * The per-thread state machine, driven by scheduler hooks and commits, and
 * the park: where a ghost thread waits until an agent gives it a CPU.
 *
 * Everything but ghost_park() runs under e->lock, often from scheduler
 * hooks that hold a runqueue lock: no wakeups, no allocation, no printk.
 */
#include <linux/sched/signal.h>
#include <linux/wait_bit.h>

#include "ghost.h"
#include "ghost_trace.h"

u64 ghost_runtime(struct ghost_thread *gt)
{
	return READ_ONCE(gt->task->se.sum_exec_runtime);
}

/*
 * @gt gives up its CPU, running there or still being committed to it.
 * Returns that CPU if @gt held it, else -1: whoever frees a CPU of a
 * thread that blocks or leaves runs its dispatch list next, or its
 * entries would wait for a thread that never comes.
 */
int ghost_release_cpu_locked(struct ghost_enclave *e, struct ghost_thread *gt)
{
	int cpu = gt->cpu, held = -1;

	if (cpu < 0)
		return -1;
	if (e->cpu_cur[cpu] == gt) {
		e->cpu_cur[cpu] = NULL;
		ghost_sw_cpu_update(e, cpu);
		held = cpu;
	}
	/* Taken back before it ran: no wait to measure. */
	clear_bit(GT_F_LAT, &gt->flags);
	gt->cpu = -1;
	return held;
}

/* Runnable from @now (mono ns), waiting for a decision.  e->lock held. */
void ghost_make_runnable_at(struct ghost_enclave *e, struct ghost_thread *gt,
			    u64 now)
{
	gt->state = GT_RUNNABLE;
	gt->runnable_since = get_jiffies_64();
	gt->runnable_ns = now;
	gt->barrier++;
	ghost_sw_update(e, gt);
}

void ghost_make_runnable(struct ghost_enclave *e, struct ghost_thread *gt)
{
	ghost_make_runnable_at(e, gt, ktime_get_mono_fast_ns());
}

/*
 * @gt runs on @cpu from @now (mono ns) on: a commit or the fast path
 * decided it.  e->lock held.
 */
void ghost_place_at(struct ghost_enclave *e, struct ghost_thread *gt,
		    int cpu, u64 now)
{
	struct task_struct *p = gt->task;

	gt->state = GT_RUNNING;
	gt->cpu = cpu;
	gt->last_cpu = cpu;
	gt->passed = 0;
	/* Else it pins itself on its way out of its park. */
	if (p->nr_cpus_allowed == 1 && cpumask_test_cpu(cpu, &p->cpus_mask))
		set_bit(GT_F_PINNED, &gt->flags);
	else
		clear_bit(GT_F_PINNED, &gt->flags);
	e->cpu_cur[cpu] = gt;
	ghost_sw_cpu_update_at(e, cpu, now);
	ghost_lat_placed(gt, now);
	ghost_sw_update(e, gt);
}

void ghost_place_locked(struct ghost_enclave *e, struct ghost_thread *gt,
			int cpu)
{
	ghost_place_at(e, gt, cpu, ktime_get_mono_fast_ns());
}

/*
 * Should @gt be pinned to @cpu by whoever places it there?  Not when it
 * is pinned there already, nor while it is still on a CPU on its way to
 * park: set_cpus_allowed_ptr() would wait for the migration stopper, so
 * the thread moves itself when it leaves its park (ghost_pin_self()).
 * e->lock held; if so, the caller calls ghost_pin_other() after it.
 */
bool ghost_pin_begin(struct ghost_thread *gt, int cpu)
{
	struct task_struct *p = gt->task;

	if (gt->state == GT_GONE || test_bit(GT_F_DETACH, &gt->flags) ||
	    (p->nr_cpus_allowed == 1 && cpumask_test_cpu(cpu, &p->cpus_mask)) ||
	    READ_ONCE(p->on_cpu))
		return false;
	atomic_inc(&gt->pinners);
	return true;
}

int ghost_pin_other(struct ghost_thread *gt, int cpu)
{
	int err = set_cpus_allowed_ptr(gt->task, cpumask_of(cpu));

	if (atomic_dec_and_test(&gt->pinners))
		wake_up_var(&gt->pinners);
	return err;
}

/* Take @gt's CPU away; it parks at its next return to user mode. */
void ghost_preempt_locked(struct ghost_enclave *e, struct ghost_thread *gt)
{
	int cpu = gt->cpu;

	ghost_release_cpu_locked(e, gt);
	ghost_make_runnable(e, gt);
	ghost_emit_task(e, gt, GHOST_MSG_TASK_PREEMPT, cpu);
	/* TWA_RESUME kicks a thread that runs in user mode. */
	ghost_queue_park(gt);
}

/*
 * Is @gt, just placed on @cpu, the thread this CPU switches to now (@next),
 * and not on its way to sleep (between its park's last look at its state
 * and schedule())?  Then it runs at once and finds itself placed: no one
 * has to wake it.  Under @cpu's runqueue lock: @next runs nowhere yet.
 */
static bool ghost_switches_in(struct ghost_thread *gt, int cpu,
			      struct task_struct *next)
{
	return gt && gt->task == next && cpu == raw_smp_processor_id() &&
	       READ_ONCE(next->__state) == TASK_RUNNING;
}

/*
 * sched_out of a thread that blocked, before @next runs: rq lock held,
 * irqs off.  The CPU it held runs the next entry of its dispatch list,
 * woken after the hook unless it is @next.  With a quiet list the block
 * needs no decision: the list says what runs next, and an empty one that
 * nothing does (unless IDLE_WAKE asks to hear of an idle CPU).
 */
void ghost_sched_out(struct ghost_thread *gt, bool blocked,
		     struct task_struct *next_task)
{
	struct ghost_enclave *e = gt->e;
	bool next = false, quiet, running;
	int cpu, held = -1;
	u64 now;

	if (!blocked)
		return;
	/* The next entry is placed at this time: read outside e->lock. */
	now = ghost_dispatch_listed(e, READ_ONCE(gt->cpu)) ?
	      ktime_get_mono_fast_ns() : 0;
	raw_spin_lock(&e->lock);
	switch (gt->state) {
	case GT_RUNNABLE:
	case GT_COMMITTING:
	case GT_RUNNING:
		cpu = gt->cpu >= 0 ? gt->cpu : raw_smp_processor_id();
		running = gt->state == GT_RUNNING;
		/* Also a CPU it was being committed to: a kick found it taken. */
		held = ghost_release_cpu_locked(e, gt);
		/* After the CPU's word: see ghost_dispatch_quiet_leave(). */
		quiet = running && ghost_dispatch_quiet_leave(e, cpu);
		gt->state = GT_BLOCKED;
		gt->barrier++;
		ghost_sw_update(e, gt);
		ghost_emit_task_quiet(e, gt, GHOST_MSG_TASK_BLOCKED, cpu, quiet);
		if (held >= 0)
			next = ghost_dispatch_next_at(e, held, now) &&
			       !ghost_switches_in(e->cpu_cur[held], held,
						  next_task);
		break;
	default:
		break;
	}
	raw_spin_unlock(&e->lock);
	if (next)
		ghost_dispatch_wake_cpu(e, held);
}

/* sched_wakeup of a thread; our own unparks are filtered by the caller. */
void ghost_sched_wakeup(struct ghost_thread *gt, int waker_cpu)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	bool park = false, quiet = false;
	int cpu = task_cpu(gt->task);
	u64 now;

	/*
	 * Only a blocked thread has anything to wake, and this is read
	 * without e->lock, which every CPU of the enclave takes: a block that
	 * sched_waking misses (the thread still on its way out of its CPU) is
	 * seen at sched_wakeup, which the waker reaches after acquiring the
	 * thread's on_cpu or its runqueue lock, released after the block was
	 * recorded, or which runs on the thread's own CPU after its switch.
	 * So the second call for one wakeup takes no lock.
	 */
	if (READ_ONCE(gt->state) != GT_BLOCKED)
		return;
	/* Woken now, whether the fast path places it or an agent does. */
	now = ktime_get_mono_fast_ns();
	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_BLOCKED &&
	    !ghost_dispatch_run_on_wake_locked(e, gt, cpu, waker_cpu, now)) {
		ghost_make_runnable_at(e, gt, now);
		if (!ghost_dispatch_heir_locked(e, gt, cpu, &quiet))
			quiet = gt->last_cpu >= 0 &&
				ghost_dispatch_defer_wakeup_locked(e, gt,
								   gt->last_cpu);
		ghost_emit_wakeup(e, gt, waker_cpu, quiet);
		park = true;
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (park)
		ghost_queue_park(gt);
}

/*
 * sched_yield() by a committed thread: it gives its CPU back, or with an
 * enabled dispatch list, to the list's next thread (if there is none it
 * keeps the CPU, as under CFS with nothing else runnable).
 */
void ghost_sched_yield(struct ghost_thread *gt)
{
	struct ghost_enclave *e = gt->e;
	bool next = false;
	unsigned long flags;
	int cpu = -1;
	u64 now;

	/* A yield to a listed thread stamps both: read outside e->lock. */
	now = ghost_dispatch_listed(e, READ_ONCE(gt->cpu)) ?
	      ktime_get_mono_fast_ns() : 0;
	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_RUNNING) {
		cpu = gt->cpu;
		if (ghost_dispatch_flags(e, cpu) & GHOST_DL_F_ENABLE) {
			next = ghost_dispatch_yield_locked(e, gt, cpu, now);
		} else {
			ghost_release_cpu_locked(e, gt);
			ghost_make_runnable(e, gt);
			ghost_emit_task(e, gt, GHOST_MSG_TASK_YIELD, cpu);
			ghost_queue_park(gt);
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (next)
		ghost_dispatch_wake_cpu(e, cpu);
}

/*
 * The CPUs @gt may run on changed, or a decision for one it may not was
 * refused: a new barrier, and TASK_AFFINITY_CHANGED says to look again.
 * e->lock held.
 */
void ghost_affinity_news_locked(struct ghost_enclave *e,
				struct ghost_thread *gt, int cpu)
{
	gt->barrier++;
	ghost_sw_update(e, gt);
	ghost_emit_task(e, gt, GHOST_MSG_TASK_AFFINITY_CHANGED, cpu);
}

/*
 * sched_setaffinity() on a ghost thread, before (@done false) and after
 * the mask changed.  The new mask is what the thread gets back when it
 * leaves: the user asked for it.
 */
void ghost_sched_affinity(struct ghost_thread *gt, bool done)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	bool next = false;
	int cpu = -1;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_RUNNING) {
		cpu = gt->cpu;
		ghost_preempt_locked(e, gt);
		next = ghost_dispatch_next_locked(e, cpu);
	}
	if (done && gt->state != GT_GONE) {
		cpumask_copy(gt->saved_mask, &gt->task->cpus_mask);
		ghost_affinity_news_locked(e, gt, -1);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (next)
		ghost_dispatch_wake_cpu(e, cpu);
}

/*
 * sched_in of @gt, committed and pinned to another CPU than @cpu, where it
 * now runs: its affinity changed without the module seeing it (a probe
 * that missed, a cpuset change), so it is off its commit.  It gives the
 * CPU up before any user code, its CPU runs its next entry, and the
 * thread's new mask is what it gets back when it leaves.  Preemption off,
 * no runqueue lock.
 */
void ghost_sched_displaced(struct ghost_thread *gt, int cpu)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	bool next;
	int held;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state != GT_RUNNING || gt->cpu == cpu ||
	    !test_bit(GT_F_PINNED, &gt->flags)) {
		raw_spin_unlock_irqrestore(&e->lock, flags);
		return;
	}
	held = gt->cpu;
	e->nr_displaced++;
	ghost_preempt_locked(e, gt);
	next = ghost_dispatch_next_locked(e, held);
	cpumask_copy(gt->saved_mask, &gt->task->cpus_mask);
	ghost_affinity_news_locked(e, gt, -1);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (next)
		ghost_dispatch_wake_cpu(e, held);
}

/*
 * After a change of the thread's nice value (setpriority(), nice(),
 * sched_setattr()).  It is also what the thread keeps when it leaves.
 */
void ghost_sched_priority(struct ghost_thread *gt)
{
	struct ghost_enclave *e = gt->e;
	int nice = task_nice(gt->task);
	unsigned long flags;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state != GT_GONE && nice != gt->nice) {
		gt->nice = nice;
		gt->saved_nice = nice;
		gt->barrier++;
		ghost_sw_update(e, gt);
		ghost_emit_priority(e, gt);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

/* Scheduler hook, rq lock held: tell the agent when the CPU changes hands. */
void ghost_cpu_set_busy(struct ghost_enclave *e, int cpu, bool busy)
{
	raw_spin_lock(&e->lock);
	if (!e->dead && busy != cpumask_test_cpu(cpu, e->cpu_busy)) {
		if (busy)
			cpumask_set_cpu(cpu, e->cpu_busy);
		else
			cpumask_clear_cpu(cpu, e->cpu_busy);
		ghost_emit_cpu(e, busy ? GHOST_MSG_CPU_BUSY :
				   GHOST_MSG_CPU_AVAILABLE, cpu);
	}
	raw_spin_unlock(&e->lock);
}

static bool ghost_may_run(struct ghost_thread *gt)
{
	return READ_ONCE(gt->state) == GT_RUNNING ||
	       test_bit(GT_F_DETACH, &gt->flags) || READ_ONCE(gt->e->dead);
}

/*
 * Placed on a CPU it is not pinned to, or woken elsewhere: a commit that
 * found it still on a CPU, or the fast path (which runs in interrupt
 * context), left the pinning to the thread itself.  It moves there before
 * it returns to user mode; if it cannot, it gives the CPU back.
 */
static void ghost_pin_self(struct ghost_thread *gt)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;
	int cpu = READ_ONCE(gt->cpu), err;
	bool next = false;

	if (READ_ONCE(gt->state) != GT_RUNNING || cpu < 0 ||
	    test_bit(GT_F_DETACH, &gt->flags) || READ_ONCE(e->dead))
		return;
	if (current->nr_cpus_allowed == 1 &&
	    cpumask_test_cpu(cpu, &current->cpus_mask) &&
	    raw_smp_processor_id() == cpu) {
		set_bit(GT_F_PINNED, &gt->flags);
		return;
	}
	/* It may sleep for the migration stopper: that is no block. */
	set_bit(GT_F_PINNING, &gt->flags);
	err = set_cpus_allowed_ptr(current, cpumask_of(cpu));
	if (!err)
		set_bit(GT_F_PINNED, &gt->flags);
	clear_bit(GT_F_PINNING, &gt->flags);
	smp_mb__after_atomic();
	/*
	 * Hotplug may have pushed it off @cpu (widening its mask) before
	 * PINNING was clear, when its sched_in could not call that
	 * displaced.  From here on, its sched_in does.
	 */
	if (!err && (raw_smp_processor_id() != cpu ||
		     current->nr_cpus_allowed != 1))
		err = -EAGAIN;
	if (!err)
		return;
	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_RUNNING && gt->cpu == cpu) {
		ghost_preempt_locked(e, gt);
		next = ghost_dispatch_next_locked(e, cpu);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (next)
		ghost_dispatch_wake_cpu(e, cpu);
}

/*
 * Sleep until committed, in the thread's own context on its way to user
 * mode.  Killable so that kill -9 works, freezable so that suspend does;
 * other signals wait for the agent, as in ghOSt.
 */
void ghost_park(struct ghost_thread *gt)
{
	if (!ghost_may_run(gt)) {
		trace_ghost_park(gt->e->id, task_pid_nr(current), gt->gtid,
				 raw_smp_processor_id());
		set_bit(GT_F_PARKED, &gt->flags);
		smp_mb__after_atomic();
		wait_event_state(gt->wq, ghost_may_run(gt),
				 (TASK_KILLABLE | TASK_FREEZABLE));
		clear_bit(GT_F_PARKED, &gt->flags);
		trace_ghost_unpark(gt->e->id, task_pid_nr(current), gt->gtid,
				   READ_ONCE(gt->state) == GT_RUNNING ?
				   READ_ONCE(gt->cpu) : -1);
	} else {
		/* Placed before it slept: it runs from here, no sched_in. */
		ghost_lat_ran(gt, raw_smp_processor_id(),
			      ktime_get_mono_fast_ns());
	}
	ghost_pin_self(gt);
}
