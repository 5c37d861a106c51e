// SPDX-License-Identifier: GPL-2.0
/*
 * Requests to move threads: a tid written to an enclave's tasks file,
 * "leave <tid>" on its ctl, and the tasks listing.
 */
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/task_work.h>

#include "compat.h"
#include "ghost.h"

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
	err = ghost_quota_charge(gt);
	if (err) {
		ghost_thread_put(gt);
		goto out;
	}
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
	/* Gone already, though its entry is still hashed for a moment. */
	if (!gt || gt->e != e || test_bit(GT_F_AGENT, &gt->flags) ||
	    (test_bit(GT_F_JOINED, &gt->flags) &&
	     !test_bit(GT_F_ENROLLED, &gt->flags)) ||
	    !ghost_thread_tryget(gt))
		err = -ESRCH;
	rcu_read_unlock();
	if (err)
		goto out;

	set_bit(GT_F_DETACH, &gt->flags);
	if (p == current) {
		ghost_thread_depart(gt);
	} else {
		ghost_thread_queue_work(gt, TWA_RESUME);
		wake_up_all(&gt->wq);
	}
	ghost_thread_put(gt);
out:
	put_task_struct(p);
	return err;
}

/*
 * Tids as the reader's pid namespace sees them; others are not listed.
 * The lock is held only to take a reference on each task: the text is
 * made after it, so a large enclave does not keep interrupts off.
 */
void ghost_thread_tasks_show(struct ghost_enclave *e, struct seq_file *m)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct **tasks;
	struct ghost_thread *gt;
	unsigned int max, n = 0, i;
	unsigned long flags;
	pid_t tid;

again:
	max = READ_ONCE(e->nr_threads);
	tasks = kvmalloc_array(max + 1, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return;
	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->nr_threads > max + 1) {
		raw_spin_unlock_irqrestore(&e->lock, flags);
		kvfree(tasks);
		goto again;
	}
	list_for_each_entry(gt, &e->threads, enode) {
		get_task_struct(gt->task);
		tasks[n++] = gt->task;
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);

	for (i = 0; i < n; i++) {
		tid = task_pid_nr_ns(tasks[i], ns);
		if (tid > 0)
			seq_printf(m, "%d\n", tid);
		put_task_struct(tasks[i]);
	}
	kvfree(tasks);
}
