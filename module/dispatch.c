// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatch lists: the in-kernel fast path.  Per CPU, the agent publishes
 * an ordered list of runnable threads in shared memory (see "Dispatch
 * lists" in the uapi header); when the CPU's ghost thread blocks, yields,
 * exits or loses its CPU other than to a commit, the module takes the next
 * valid entry itself and runs it there, with no agent round trip.
 *
 * Entries are taken under e->lock, often in a scheduler hook with a
 * runqueue lock held: the thread that was placed is woken from a per-CPU
 * irq_work, never from the hook.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ghost.h"

/*
 * Is @gt, placed on @cpu, off any CPU with a mask that keeps it elsewhere
 * (a new thread, one the agent moved)?  Parked, or woken and still
 * waiting to run its way to its park, it would first have to run where
 * it is, behind whatever runs there (each thread placed there takes the
 * CPU from it again), to move itself, while @cpu idles.  e->lock held.
 */
static bool ghost_dispatch_must_move(struct ghost_thread *gt, int cpu)
{
	struct task_struct *p = gt->task;

	return gt->state == GT_RUNNING && gt->cpu == cpu &&
	       !READ_ONCE(p->on_cpu) &&
	       !(p->nr_cpus_allowed == 1 && cpumask_test_cpu(cpu, &p->cpus_mask));
}

/* Wake whatever is committed to the CPU, pinned there first if it can be. */
static void ghost_dispatch_pin_wake(struct ghost_dispatch_cpu *dc, bool pin)
{
	struct ghost_enclave *e = dc->e;
	struct ghost_thread *gt;
	unsigned long flags;

	raw_spin_lock_irqsave(&e->lock, flags);
	gt = e->cpu_cur[dc->cpu];
	if (gt && !ghost_thread_tryget(gt))
		gt = NULL;
	pin = pin && gt && gt->state == GT_RUNNING &&
	      ghost_pin_begin(gt, dc->cpu);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (!gt)
		return;
	if (pin)
		ghost_pin_other(gt, dc->cpu);
	wake_up(&gt->wq);
	ghost_thread_put(gt);
}

/* Process context, on the CPU if it is online: pinning may sleep. */
static void ghost_dispatch_pin(struct work_struct *work)
{
	ghost_dispatch_pin_wake(container_of(work, struct ghost_dispatch_cpu,
					     pin), true);
}

/*
 * Wake whatever is committed to the CPU: it may be parked.  One parked or
 * waiting elsewhere is pinned here first, by a worker on this CPU, so
 * that it wakes up (or is moved) where it runs.
 */
static void ghost_dispatch_wake(struct irq_work *work)
{
	struct ghost_dispatch_cpu *dc = container_of(work,
						     struct ghost_dispatch_cpu,
						     wake);
	struct ghost_enclave *e = dc->e;
	struct ghost_thread *gt;
	unsigned long flags;
	bool move;

	raw_spin_lock_irqsave(&e->lock, flags);
	gt = e->cpu_cur[dc->cpu];
	move = gt && ghost_dispatch_must_move(gt, dc->cpu);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* Already queued: that worker wakes whatever is committed then. */
	if (move)
		queue_work_on(dc->cpu, system_highpri_wq, &dc->pin);
	else
		ghost_dispatch_pin_wake(dc, false);
}

int ghost_dispatch_init(struct ghost_enclave *e)
{
	unsigned int cpu;

	e->dl_size = PAGE_ALIGN(nr_cpu_ids * sizeof(*e->dl));
	e->dl = vmalloc_user(e->dl_size);
	if (!e->dl)
		return -ENOMEM;
	e->dcpu = kcalloc(nr_cpu_ids, sizeof(*e->dcpu), GFP_KERNEL);
	if (!e->dcpu) {
		vfree(e->dl);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		e->dcpu[cpu].e = e;
		e->dcpu[cpu].cpu = cpu;
		INIT_LIST_HEAD(&e->dcpu[cpu].woken);
		INIT_LIST_HEAD(&e->dcpu[cpu].heir);
		init_irq_work(&e->dcpu[cpu].wake, ghost_dispatch_wake);
		INIT_WORK(&e->dcpu[cpu].pin, ghost_dispatch_pin);
	}
	return 0;
}

void ghost_dispatch_free(struct ghost_enclave *e)
{
	unsigned int cpu;

	if (!e->dcpu)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		irq_work_sync(&e->dcpu[cpu].wake);
	/* Only the irq_work queues it. */
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		cancel_work_sync(&e->dcpu[cpu].pin);
	kfree(e->dcpu);
	vfree(e->dl);
}

int ghost_dispatch_mmap(struct ghost_enclave *e, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_end - vma->vm_start > e->dl_size)
		return -EINVAL;
	return remap_vmalloc_range(vma, e->dl, vma->vm_pgoff);
}

/* The agent's flags for @cpu's list, or 0 while they cannot apply. */
u32 ghost_dispatch_flags(struct ghost_enclave *e, int cpu)
{
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpumask_test_cpu(cpu, e->cpus) ||
	    e->dead || !e->nr_agents)
		return 0;
	return READ_ONCE(e->dl[cpu].flags) & GHOST_DL_F_ALL;
}

static void ghost_dispatch_set_head(struct ghost_enclave *e, int cpu,
				    u32 head)
{
	e->dcpu[cpu].head = head;
	smp_store_release(&e->dl[cpu].head, head);
}

/* @gt leaves the woken line it is in, if any.  e->lock held. */
void ghost_dispatch_forget_locked(struct ghost_thread *gt)
{
	list_del_init(&gt->wnode);
}

static void ghost_dispatch_forget_line(struct list_head *line)
{
	struct ghost_thread *gt, *tmp;

	list_for_each_entry_safe(gt, tmp, line, wnode)
		list_del_init(&gt->wnode);
}

/* Forget @cpu's list: what it holds is not to run (there) any more. */
void ghost_dispatch_drop_cpu_locked(struct ghost_enclave *e, int cpu)
{
	ghost_dispatch_set_head(e, cpu, smp_load_acquire(&e->dl[cpu].tail));
	ghost_dispatch_forget_line(&e->dcpu[cpu].woken);
	ghost_dispatch_forget_line(&e->dcpu[cpu].heir);
	e->dcpu[cpu].deferred = false;
}

/* Nothing listed for @cpu, nobody lined up there.  e->lock held. */
static bool ghost_dispatch_empty(struct ghost_enclave *e, int cpu)
{
	return smp_load_acquire(&e->dl[cpu].tail) == e->dcpu[cpu].head &&
	       list_empty(&e->dcpu[cpu].woken) &&
	       list_empty(&e->dcpu[cpu].heir);
}

/* Forget every list: its entries were the decisions of agents now gone. */
void ghost_dispatch_drop_locked(struct ghost_enclave *e)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		ghost_dispatch_drop_cpu_locked(e, cpu);
	e->deferred_busy = false;
}

/* May the entry's thread run on @cpu now?  e->lock held. */
static bool ghost_dispatch_valid(struct ghost_enclave *e,
				 struct ghost_thread *gt, u32 barrier)
{
	return gt && gt->e == e && !test_bit(GT_F_AGENT, &gt->flags) &&
	       test_bit(GT_F_ENROLLED, &gt->flags) &&
	       gt->state == GT_RUNNABLE && gt->barrier == barrier;
}

/*
 * Is @gt, last placed on @cpu, still pinned there (by the module, and
 * allowed there by its own mask)?  Then it may run there again without a
 * move.  e->lock held.
 */
static bool ghost_dispatch_pinned(struct ghost_thread *gt, int cpu)
{
	struct task_struct *p = gt->task;

	return gt->last_cpu == cpu && !test_bit(GT_F_DETACH, &gt->flags) &&
	       p->nr_cpus_allowed == 1 && cpumask_test_cpu(cpu, &p->cpus_mask) &&
	       cpumask_test_cpu(cpu, gt->saved_mask);
}

/*
 * The first thread of @cpu's woken line (GHOST_DL_F_RUN_WOKEN) that may
 * still run there under the barrier it joined with; the others leave the
 * line.  Without the flag any more, the line is the agents' to decide:
 * they are kicked when the CPU would go idle.  e->lock held.
 */
static struct ghost_thread *ghost_dispatch_take_woken(struct ghost_enclave *e,
						      int cpu)
{
	struct ghost_dispatch_cpu *dc = &e->dcpu[cpu];
	struct ghost_thread *gt, *tmp;

	if (!(ghost_dispatch_flags(e, cpu) & GHOST_DL_F_RUN_WOKEN)) {
		if (!list_empty(&dc->woken))
			dc->deferred = true;
		ghost_dispatch_forget_line(&dc->woken);
		return NULL;
	}
	list_for_each_entry_safe(gt, tmp, &dc->woken, wnode) {
		list_del_init(&gt->wnode);
		if (ghost_dispatch_valid(e, gt, gt->woken_barrier) &&
		    ghost_dispatch_pinned(gt, cpu))
			return gt;
	}
	return NULL;
}

static struct ghost_dispatch_entry *ghost_dispatch_ent(
	struct ghost_dispatch_list *l, u32 i)
{
	return &l->ent[i & (GHOST_DISPATCH_SLOTS - 1)];
}

/*
 * The thread of a valid entry that may run on @cpu by its own mask, or
 * NULL; one that may not is news for the agent if @report.  e->lock held,
 * in an RCU read section.
 */
static struct ghost_thread *ghost_dispatch_ent_thread(struct ghost_enclave *e,
	int cpu, const struct ghost_dispatch_entry *ent, bool report)
{
	struct ghost_thread *gt = ghost_thread_lookup_gtid(READ_ONCE(ent->gtid));

	if (!ghost_dispatch_valid(e, gt, READ_ONCE(ent->barrier)))
		return NULL;
	if (cpumask_test_cpu(cpu, gt->saved_mask))
		return gt;
	if (report)
		ghost_affinity_news_locked(e, gt, cpu);
	return NULL;
}

/*
 * May GHOST_DL_AFFINE(@limit) pass @gt over on @cpu: it is pinned to
 * another CPU, online, where it runs without a move, and was passed over
 * fewer than @limit times?  A thread that has to move wherever it runs
 * gains nothing by waiting.  e->lock held.
 */
static bool ghost_dispatch_passable(struct ghost_thread *gt, int cpu,
				    u32 limit)
{
	return gt->passed < limit && gt->last_cpu >= 0 &&
	       gt->last_cpu != cpu && cpu_active(gt->last_cpu) &&
	       ghost_dispatch_pinned(gt, gt->last_cpu);
}

/*
 * GHOST_DL_AFFINE(@limit): the first valid entry at or after @from whose
 * thread is still pinned to @cpu, if @first and every valid entry up to
 * it may be passed over; else @first.  The threads passed over count it.
 * e->lock held, in an RCU read section.
 */
static struct ghost_thread *ghost_dispatch_affine(struct ghost_enclave *e,
	int cpu, struct ghost_thread *first, u32 from, u32 tail, u32 limit)
{
	struct ghost_dispatch_list *l = &e->dl[cpu];
	struct ghost_thread *gt = NULL;
	u32 i, end;

	if (!ghost_dispatch_passable(first, cpu, limit))
		return first;
	for (end = from; end != tail; end++) {
		gt = ghost_dispatch_ent_thread(e, cpu,
					       ghost_dispatch_ent(l, end), false);
		if (!gt || gt == first)
			continue;
		if (ghost_dispatch_pinned(gt, cpu))
			break;
		if (!ghost_dispatch_passable(gt, cpu, limit))
			return first;
	}
	if (end == tail)
		return first;
	first->passed++;
	for (i = from; i != end; i++) {
		struct ghost_thread *p = ghost_dispatch_ent_thread(e, cpu,
					ghost_dispatch_ent(l, i), false);

		if (p && p != first && p != gt &&
		    ghost_dispatch_passable(p, cpu, limit))
			p->passed++;
	}
	return gt;
}

/*
 * Consume @cpu's list up to its first valid entry and return that thread
 * (not placed yet), or NULL: the list is empty or held only stale entries.
 * Under GHOST_DL_AFFINE a later entry's thread may run instead; the first
 * valid entry then stays.  *@emptied tells whether nothing is left after
 * it.  e->lock held.
 */
static struct ghost_thread *ghost_dispatch_take(struct ghost_enclave *e,
						int cpu, bool *emptied)
{
	struct ghost_dispatch_list *l = &e->dl[cpu];
	struct ghost_thread *gt = NULL, *pick;
	u32 head = e->dcpu[cpu].head, tail, limit;

	/* The CPU's word was cleared before: pairs with the agent's kick. */
	smp_mb();
	tail = smp_load_acquire(&l->tail);
	if (tail - head > GHOST_DISPATCH_SLOTS) {
		WRITE_ONCE(l->nr_bad, READ_ONCE(l->nr_bad) + 1);
		ghost_dispatch_set_head(e, cpu, tail);
		*emptied = true;
		return NULL;
	}
	limit = (ghost_dispatch_flags(e, cpu) & GHOST_DL_AFFINE_MASK) >>
		GHOST_DL_AFFINE_SHIFT;
	rcu_read_lock();
	while (head != tail) {
		gt = ghost_dispatch_ent_thread(e, cpu,
					       ghost_dispatch_ent(l, head++),
					       true);
		if (gt)
			break;
		WRITE_ONCE(l->nr_stale, READ_ONCE(l->nr_stale) + 1);
	}
	pick = gt && limit ?
	       ghost_dispatch_affine(e, cpu, gt, head, tail, limit) : gt;
	rcu_read_unlock();
	/* The first valid entry stays: its thread's turn is still to come. */
	if (pick != gt)
		head--;
	ghost_dispatch_set_head(e, cpu, head);
	*emptied = head == tail;
	return pick;
}

/*
 * The next thread for @cpu: its list's next valid entry, else the first
 * of its woken line.  *@emptied: nothing is left after it in either.
 * e->lock held.
 */
static struct ghost_thread *ghost_dispatch_pick(struct ghost_enclave *e,
						int cpu, bool *emptied)
{
	struct ghost_thread *gt = ghost_dispatch_take(e, cpu, emptied);

	if (!gt)
		gt = ghost_dispatch_take_woken(e, cpu);
	*emptied = *emptied && list_empty(&e->dcpu[cpu].woken) &&
		   list_empty(&e->dcpu[cpu].heir);
	return gt;
}

/*
 * The thread woken by @cpu's exiting thread (ghost_dispatch_heir_locked()),
 * if it may still run there under the barrier it woke with.  e->lock held.
 */
static struct ghost_thread *ghost_dispatch_take_heir(struct ghost_enclave *e,
						     int cpu)
{
	struct ghost_thread *gt;

	gt = list_first_entry_or_null(&e->dcpu[cpu].heir, struct ghost_thread,
				      wnode);
	if (!gt)
		return NULL;
	list_del_init(&gt->wnode);
	if (ghost_dispatch_valid(e, gt, gt->woken_barrier) &&
	    ghost_dispatch_pinned(gt, cpu))
		return gt;
	return NULL;
}

/*
 * May @cpu's list hold an entry?  Read without e->lock: a caller that
 * reads the clock before taking it asks this first.
 */
bool ghost_dispatch_listed(struct ghost_enclave *e, int cpu)
{
	return cpu >= 0 && cpu < nr_cpu_ids &&
	       (READ_ONCE(e->dl[cpu].tail) != READ_ONCE(e->dcpu[cpu].head) ||
		!list_empty(&e->dcpu[cpu].woken) ||
		!list_empty(&e->dcpu[cpu].heir));
}

/*
 * Run @gt on @cpu as the module's own decision, at @now (0: read the
 * clock): TASK_LATCHED tells the agent, quietly unless the list ran
 * empty.  e->lock held; the caller wakes it (ghost_dispatch_wake_cpu()),
 * outside any scheduler lock.
 */
static void ghost_dispatch_place(struct ghost_enclave *e,
				 struct ghost_thread *gt, int cpu, bool emptied,
				 u64 now)
{
	struct ghost_dispatch_list *l = &e->dl[cpu];
	bool quiet = (READ_ONCE(l->flags) & GHOST_DL_F_QUIET) && !emptied;

	ghost_place_at(e, gt, cpu, now ?: ktime_get_mono_fast_ns());
	WRITE_ONCE(l->nr_taken, READ_ONCE(l->nr_taken) + 1);
	ghost_emit_task_quiet(e, gt, GHOST_MSG_TASK_LATCHED, cpu, quiet);
	/* That woke the agents: they see the wakeups left for later. */
	if (!quiet)
		e->dcpu[cpu].deferred = false;
}

/*
 * @cpu has no ghost thread any more: run its next valid entry, if its
 * list is enabled, placed at @now (0: read the clock if one is placed).
 * Returns whether a thread was placed (then wake it).
 */
bool ghost_dispatch_next_at(struct ghost_enclave *e, int cpu, u64 now)
{
	u32 flags = ghost_dispatch_flags(e, cpu), head;
	struct ghost_thread *gt;
	bool emptied, heir = false;

	if (!(flags & GHOST_DL_F_ENABLE) || e->cpu_cur[cpu] || !cpu_active(cpu))
		return false;
	head = e->dcpu[cpu].head;
	gt = ghost_dispatch_pick(e, cpu, &emptied);
	if (!gt) {
		heir = !list_empty(&e->dcpu[cpu].heir);
		gt = ghost_dispatch_take_heir(e, cpu);
		/* Quiet as its wakeup was: nothing is left to decide. */
		emptied = false;
	}
	if (!gt) {
		/*
		 * The CPU idles: a wakeup left for later needs a decision, and
		 * so does the idle CPU under IDLE_WAKE when stale entries or
		 * a stale heir made its thread's leave quiet.
		 */
		if (e->dcpu[cpu].deferred ||
		    ((flags & GHOST_DL_F_DEFER_BUSY) && e->deferred_busy) ||
		    ((flags & GHOST_DL_F_IDLE_WAKE) &&
		     (head != e->dcpu[cpu].head || heir))) {
			e->dcpu[cpu].deferred = false;
			if (flags & GHOST_DL_F_DEFER_BUSY)
				e->deferred_busy = false;
			ghost_agents_kick_locked(e);
		}
		return false;
	}
	ghost_dispatch_place(e, gt, cpu, emptied, now);
	return true;
}

bool ghost_dispatch_next_locked(struct ghost_enclave *e, int cpu)
{
	return ghost_dispatch_next_at(e, cpu, 0);
}

/*
 * May the thread that was running on @cpu leave it (block, exit) without
 * waking an agent?  With QUIET its list says what runs next; with
 * IDLE_WAKE too, an empty list means the CPU goes idle, which the agents
 * want to hear.  Called after the CPU's word was cleared: the full
 * barrier pairs with an agent's store of IDLE_WAKE before it reads the
 * words (and sleeps if every CPU looks taken): one of the two sees the
 * other.  e->lock held.
 */
bool ghost_dispatch_quiet_leave(struct ghost_enclave *e, int cpu)
{
	u32 flags;

	smp_mb();
	flags = ghost_dispatch_flags(e, cpu);

	if (!(flags & GHOST_DL_F_QUIET))
		return false;
	return !(flags & GHOST_DL_F_IDLE_WAKE) ||
	       !ghost_dispatch_empty(e, cpu);
}

/* From a hook: the wakeup of @cpu's new thread runs after the hook. */
void ghost_dispatch_wake_cpu(struct ghost_enclave *e, int cpu)
{
	irq_work_queue(&e->dcpu[cpu].wake);
}

/*
 * sched_yield() by @gt, running on @cpu with an enabled list, at @now (0:
 * read the clock if needed): the next valid entry takes the CPU and @gt
 * waits for a decision (TASK_YIELD), or, with nothing else to run, @gt
 * keeps it.  Returns whether the CPU changed hands.  e->lock held.
 */
bool ghost_dispatch_yield_locked(struct ghost_enclave *e,
				 struct ghost_thread *gt, int cpu, u64 now)
{
	struct ghost_thread *next;
	bool emptied, quiet;

	if (!cpu_active(cpu))
		return false;
	next = ghost_dispatch_pick(e, cpu, &emptied);
	if (!next)
		return false;
	quiet = READ_ONCE(e->dl[cpu].flags) & GHOST_DL_F_QUIET;
	if (!now)
		now = ktime_get_mono_fast_ns();
	ghost_release_cpu_locked(e, gt);
	ghost_make_runnable_at(e, gt, now);
	ghost_emit_task_quiet(e, gt, GHOST_MSG_TASK_YIELD, cpu,
			      quiet && !emptied);
	ghost_queue_park(gt);
	ghost_dispatch_place(e, next, cpu, emptied, now);
	return true;
}

/*
 * Is a CPU with GHOST_DL_F_DEFER_BUSY free that @gt may run on?  Every
 * CPU's thread changes under e->lock, which is held: a CPU freed after
 * this looks sees e->deferred_busy.
 */
static bool ghost_dispatch_free_for(struct ghost_enclave *e,
				    struct ghost_thread *gt)
{
	int cpu;

	for_each_cpu_and(cpu, e->cpus, gt->saved_mask) {
		if (!e->cpu_cur[cpu] && cpu_active(cpu) &&
		    (ghost_dispatch_flags(e, cpu) & GHOST_DL_F_DEFER_BUSY))
			return true;
	}
	return false;
}

/*
 * @gt, whose last CPU is @cpu, woke up and cannot run at once: may its
 * TASK_WAKEUP be quiet (GHOST_DL_F_DEFER_WAKEUP)?  If so, it joins @cpu's
 * woken line (GHOST_DL_F_RUN_WOKEN, still pinned there), or @cpu
 * remembers that a decision waits, for when it would go idle (with
 * DEFER_BUSY, any such CPU does).  Its barrier is final here: the caller
 * made it runnable.  e->lock held.
 */
bool ghost_dispatch_defer_wakeup_locked(struct ghost_enclave *e,
				       struct ghost_thread *gt, int cpu)
{
	const u32 want = GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET |
			 GHOST_DL_F_DEFER_WAKEUP;
	u32 flags = ghost_dispatch_flags(e, cpu);
	bool busy = flags & GHOST_DL_F_DEFER_BUSY;

	if ((flags & want) != want || !e->cpu_cur[cpu] || !cpu_active(cpu))
		return false;
	if (busy && ghost_dispatch_free_for(e, gt))
		return false;
	if ((flags & GHOST_DL_F_RUN_WOKEN) && ghost_dispatch_pinned(gt, cpu)) {
		list_move_tail(&gt->wnode, &e->dcpu[cpu].woken);
		gt->woken_barrier = gt->barrier;
	} else if (smp_load_acquire(&e->dl[cpu].tail) != e->dcpu[cpu].head) {
		e->dcpu[cpu].deferred = true;
	} else {
		return false;
	}
	if (busy)
		e->deferred_busy = true;
	return true;
}

/*
 * A blocked @gt wakes up on @cpu at @now: with RUN_ON_WAKE, and @cpu free
 * and still the CPU it was last placed on (and pinned to), it runs at once
 * under a new barrier instead of parking.  e->lock held.
 */
bool ghost_dispatch_run_on_wake_locked(struct ghost_enclave *e,
				       struct ghost_thread *gt, int cpu,
				       int waker_cpu, u64 now)
{
	bool quiet;

	if (!(ghost_dispatch_flags(e, cpu) & GHOST_DL_F_RUN_ON_WAKE) ||
	    e->cpu_cur[cpu] || !cpu_active(cpu) ||
	    !ghost_dispatch_pinned(gt, cpu))
		return false;
	quiet = READ_ONCE(e->dl[cpu].flags) & GHOST_DL_F_QUIET;
	gt->barrier++;
	gt->runnable_ns = now;
	/* The status word first: an agent that reads the messages sees it. */
	ghost_place_at(e, gt, cpu, now);
	ghost_emit_wakeup(e, gt, waker_cpu, quiet);
	ghost_emit_task_quiet(e, gt, GHOST_MSG_TASK_LATCHED, cpu, quiet);
	return true;
}

/*
 * A blocked @gt, last placed on @cpu, is woken by @cpu's own thread as it
 * exits (a join): with RUN_ON_WAKE, and nothing listed or lined up there,
 * it runs on @cpu once the exiting thread is gone instead of waiting for
 * a decision.  *@quiet: its TASK_WAKEUP may be quiet.  Its barrier is
 * final here: the caller made it runnable.  e->lock held.
 */
bool ghost_dispatch_heir_locked(struct ghost_enclave *e,
				struct ghost_thread *gt, int cpu, bool *quiet)
{
	const u32 want = GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE;
	u32 flags = ghost_dispatch_flags(e, cpu);
	struct ghost_thread *cur;

	if ((flags & want) != want || !cpu_active(cpu))
		return false;
	cur = e->cpu_cur[cpu];
	if (!cur || cur->task != current || !(current->flags & PF_EXITING) ||
	    !ghost_dispatch_pinned(gt, cpu) || !ghost_dispatch_empty(e, cpu))
		return false;
	/* It may still be in a line it was never taken from (stale). */
	list_move_tail(&gt->wnode, &e->dcpu[cpu].heir);
	gt->woken_barrier = gt->barrier;
	*quiet = flags & GHOST_DL_F_QUIET;
	return true;
}

/*
 * @gt joins the enclave on the CPU it runs on, in its own context at
 * @now: with RUN_NEW there, the CPU free with nothing listed or lined up,
 * and the CPU one its own mask allows, it runs there at once.  Returns
 * the CPU, or -1 (it waits for a decision).  *@quiet: its TASK_NEW and
 * TASK_LATCHED may be quiet.  e->lock held (irqs off: it stays put).
 */
int ghost_dispatch_run_new_locked(struct ghost_enclave *e,
				  struct ghost_thread *gt, u64 now,
				  bool *quiet)
{
	const u32 want = GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_NEW;
	int cpu = raw_smp_processor_id();
	u32 flags = ghost_dispatch_flags(e, cpu);

	if ((flags & want) != want || e->cpu_cur[cpu] || !cpu_active(cpu) ||
	    test_bit(GT_F_DETACH, &gt->flags) ||
	    !cpumask_test_cpu(cpu, gt->saved_mask) ||
	    !ghost_dispatch_empty(e, cpu))
		return -1;
	ghost_place_at(e, gt, cpu, now);
	*quiet = flags & GHOST_DL_F_QUIET;
	return cpu;
}

/* GHOST_IOC_DISPATCH: lists published while their CPU had no thread. */
long ghost_dispatch_ioctl(struct ghost_enclave *e,
			  struct ghost_ioc_dispatch __user *uarg)
{
	struct ghost_ioc_dispatch arg;
	struct ghost_thread *gt;
	unsigned long *mask, flags;
	u32 done = 0;
	bool placed;
	int cpu;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.nr_dispatched || arg.resv[0] || arg.resv[1] ||
	    arg.resv[2])
		return -EINVAL;
	if (!ghost_may_drive(e))
		return -EPERM;
	mask = ghost_copy_cpu_bitmap(arg.cpus_ptr, arg.cpus_len, false);
	if (IS_ERR(mask))
		return PTR_ERR(mask);
	for_each_set_bit(cpu, mask, nr_cpu_ids) {
		gt = NULL;
		raw_spin_lock_irqsave(&e->lock, flags);
		placed = ghost_dispatch_next_locked(e, cpu);
		/*
		 * In process context, unlike the hooks: pin it now, so that
		 * it wakes up where it runs instead of moving itself there.
		 */
		if (placed && ghost_pin_begin(e->cpu_cur[cpu], cpu)) {
			gt = e->cpu_cur[cpu];
			ghost_thread_get(gt);
		}
		raw_spin_unlock_irqrestore(&e->lock, flags);
		if (gt) {
			ghost_pin_other(gt, cpu);
			ghost_thread_put(gt);
		}
		if (placed) {
			ghost_dispatch_wake(&e->dcpu[cpu].wake);
			done++;
		}
	}
	kfree(mask);
	return put_user(done, &uarg->nr_dispatched);
}
