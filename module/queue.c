// SPDX-License-Identifier: GPL-2.0
/*
 * Message queues: rings in memory shared with the agent (see the
 * "Messages" section of the uapi header for the protocol), their routing
 * (a thread's queue, a CPU's agent's queue, the default queue) and agent
 * wakeups.  Producers run in scheduler hooks under e->lock; agents are
 * woken through irq_work because a wakeup there could deadlock on a
 * runqueue lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "ghost.h"
#include "ghost_trace.h"

static void ghost_queue_wake(struct irq_work *work)
{
	struct ghost_queue *q = container_of(work, struct ghost_queue, wake);

	wake_up_interruptible_poll(&q->wq, EPOLLIN | EPOLLRDNORM);
}

static void ghost_queue_free(struct work_struct *work)
{
	struct ghost_queue *q = container_of(work, struct ghost_queue,
					     free_work);

	irq_work_sync(&q->wake);
	free_cpumask_var(q->wake_cpus);
	vfree(q->ring);
	kfree(q);
}

/* The last reference may go in a hook or an RCU callback: free later. */
static void ghost_queue_release_ref(struct kref *ref)
{
	struct ghost_queue *q = container_of(ref, struct ghost_queue, ref);

	queue_work(ghost_wq, &q->free_work);
}

void ghost_queue_put(struct ghost_queue *q)
{
	kref_put(&q->ref, ghost_queue_release_ref);
}

/*
 * Append one message; e->lock held.  Returns true when the reader must be
 * woken even for a quiet message: the ring is half full or overflowed.
 */
static bool ghost_queue_push(struct ghost_queue *q, const void *msg, u16 len)
{
	struct ghost_ring *ring = q->ring;
	u32 n = q->nr_slots, slots = DIV_ROUND_UP(len, 8);
	u32 head = q->head, tail = READ_ONCE(ring->tail);
	u32 idx = head & (n - 1), pad = 0, used = head - tail;

	if (idx + slots > n)
		pad = n - idx;
	/* A tail the agent moved past head counts as a full ring. */
	if (used > n || used + pad + slots > n) {
		WRITE_ONCE(ring->overflow, ++q->overflow);
		return true;
	}
	if (pad) {
		struct ghost_msg nop = { GHOST_MSG_NOP, pad * 8, 0 };

		memcpy(&ring->msgs[idx], &nop, sizeof(nop));
		head += pad;
		idx = 0;
	}
	memcpy(&ring->msgs[idx], msg, len);
	head += slots;
	q->head = head;
	/* The message is visible before the head that covers it. */
	smp_store_release(&ring->head, head);
	/* Half full: whoever reads it must hear of it, quiet or not. */
	return (head - tail) * 2 >= n;
}

static void ghost_agent_wake_fn(struct irq_work *work)
{
	struct ghost_enclave *e = container_of(work, struct ghost_enclave,
					       agent_wake_work);
	int cpu;

	for_each_cpu(cpu, e->agent_wake) {
		if (cpumask_test_and_clear_cpu(cpu, e->agent_wake))
			wake_up(&e->agent_wq[cpu]);
	}
}

int ghost_agent_wake_init(struct ghost_enclave *e)
{
	unsigned int cpu;

	e->agent_wq = kcalloc(nr_cpu_ids, sizeof(*e->agent_wq), GFP_KERNEL);
	if (!e->agent_wq)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&e->agent_wake, GFP_KERNEL)) {
		kfree(e->agent_wq);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		init_waitqueue_head(&e->agent_wq[cpu]);
	init_irq_work(&e->agent_wake_work, ghost_agent_wake_fn);
	return 0;
}

/* Teardown: every agent looks again (and finds the enclave dead). */
void ghost_agent_wake_all(struct ghost_enclave *e)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		wake_up_all(&e->agent_wq[cpu]);
}

void ghost_agent_wake_free(struct ghost_enclave *e)
{
	if (!e->agent_wq)
		return;
	irq_work_sync(&e->agent_wake_work);
	free_cpumask_var(e->agent_wake);
	kfree(e->agent_wq);
}

static struct ghost_queue *ghost_agent_queue(struct ghost_enclave *e,
					     struct ghost_thread *agent)
{
	struct ghost_queue *q = agent->queue;

	return q && !READ_ONCE(q->orphan) ? q : e->queue;
}

/*
 * @q got a message: wake the agents that wait on it and those its wakeup
 * list names (every agent if @q is NULL).  Each one's agent_seq moves
 * first, so an agent that looked at its queues before this is told to
 * look again.
 */
static void ghost_wake_agents(struct ghost_enclave *e, struct ghost_queue *q)
{
	struct ghost_thread *agent;
	bool any = false;
	int cpu;

	for_each_cpu(cpu, e->cpus) {
		agent = e->cpu_agent[cpu];
		if (!agent || (q && ghost_agent_queue(e, agent) != q &&
			       !cpumask_test_cpu(cpu, q->wake_cpus)))
			continue;
		ghost_sw_cpu_agent_seq(e, cpu, ++agent->agent_seq);
		/* A spinning agent sees agent_seq: no interrupt for it. */
		if (!wq_has_sleeper(&e->agent_wq[cpu]))
			continue;
		cpumask_set_cpu(cpu, e->agent_wake);
		trace_ghost_agent_wake(e->id, cpu);
		any = true;
	}
	if (any)
		irq_work_queue(&e->agent_wake_work);
}

/*
 * e->lock held.  A @quiet message needs no decision (the fast path's own
 * work): it waits in the ring for the agent's next wakeup.
 */
static void ghost_emit_to(struct ghost_enclave *e, struct ghost_queue *q,
			  const void *msg, u16 len, bool quiet)
{
	u32 overflow;
	bool wake;

	if (e->dead)
		return;
	if (!q) {
		trace_ghost_msg(e->id, msg, quiet, true);
		return;
	}
	overflow = q->overflow;
	wake = ghost_queue_push(q, msg, len);
	trace_ghost_msg(e->id, msg, quiet, q->overflow != overflow);
	if (!wake && quiet)
		return;
	/* Full barrier: pairs with a poller's queueing before its look. */
	if (wq_has_sleeper(&q->wq))
		irq_work_queue(&q->wake);
	ghost_wake_agents(e, q);
}

/*
 * Every agent looks at its queues again, from a hook: what a quiet
 * message left for later is needed now.  e->lock held.
 */
void ghost_agents_kick_locked(struct ghost_enclave *e)
{
	if (e->queue && wq_has_sleeper(&e->queue->wq))
		irq_work_queue(&e->queue->wake);
	ghost_wake_agents(e, NULL);
}

/* A thread's queue; once its agent closed it, the default queue. */
static void ghost_emit(struct ghost_enclave *e, struct ghost_thread *gt,
		       const void *msg, u16 len, bool quiet)
{
	struct ghost_queue *q = gt->queue;

	ghost_emit_to(e, q && !READ_ONCE(q->orphan) ? q : e->queue, msg, len,
		      quiet);
}

void ghost_emit_task_quiet(struct ghost_enclave *e, struct ghost_thread *gt,
			   u16 type, int cpu, bool quiet)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task p;
	} m = {
		.h = { type, sizeof(m), gt->barrier },
		.p = { gt->gtid, ghost_runtime(gt), cpu, 0 },
	};

	ghost_emit(e, gt, &m, sizeof(m), quiet);
}

void ghost_emit_task(struct ghost_enclave *e, struct ghost_thread *gt,
		     u16 type, int cpu)
{
	ghost_emit_task_quiet(e, gt, type, cpu, false);
}

void ghost_emit_task_new(struct ghost_enclave *e, struct ghost_thread *gt,
			 bool quiet)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_new p;
	} m = {
		.h = { GHOST_MSG_TASK_NEW, sizeof(m), gt->barrier },
		.p = {
			.gtid		= gt->gtid,
			.parent_gtid	= gt->parent_gtid,
			.runtime	= ghost_runtime(gt),
			.sw_index	= gt->sw_index,
			.nice		= task_nice(gt->task),
			.runnable	= gt->state == GT_RUNNABLE,
		},
	};

	ghost_emit(e, gt, &m, sizeof(m), quiet);
}

void ghost_emit_wakeup(struct ghost_enclave *e, struct ghost_thread *gt,
		       int waker_cpu, bool quiet)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_wakeup p;
	} m = {
		.h = { GHOST_MSG_TASK_WAKEUP, sizeof(m), gt->barrier },
		.p = { gt->gtid, task_cpu(gt->task), waker_cpu },
	};

	ghost_emit(e, gt, &m, sizeof(m), quiet);
}

void ghost_emit_priority(struct ghost_enclave *e, struct ghost_thread *gt)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_priority p;
	} m = {
		.h = { GHOST_MSG_TASK_PRIORITY_CHANGED, sizeof(m), gt->barrier },
		.p = { gt->gtid, ghost_runtime(gt), gt->nice, 0 },
	};

	ghost_emit(e, gt, &m, sizeof(m), false);
}

void ghost_emit_cpu(struct ghost_enclave *e, u16 type, int cpu)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_cpu p;
	} m = {
		.h = { type, sizeof(m), ghost_sw_cpu_barrier_inc(e, cpu) },
		.p = { cpu, 0 },
	};
	struct ghost_thread *agent = e->cpu_agent[cpu];

	ghost_emit_to(e, agent ? ghost_agent_queue(e, agent) : e->queue,
		      &m, sizeof(m), false);
}

static __poll_t ghost_queue_poll(struct file *file, poll_table *wait)
{
	struct ghost_queue *q = file->private_data;

	poll_wait(file, &q->wq, wait);
	return READ_ONCE(q->head) != READ_ONCE(q->ring->tail) ?
	       EPOLLIN | EPOLLRDNORM : 0;
}

static int ghost_queue_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ghost_queue *q = file->private_data;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_end - vma->vm_start > q->size)
		return -EINVAL;
	return remap_vmalloc_range(vma, q->ring, vma->vm_pgoff);
}

/*
 * The last fd is gone, so is the agent that read it: threads associated
 * with it fall back to the default queue, which a new agent reads.
 */
static int ghost_queue_release(struct inode *inode, struct file *file)
{
	struct ghost_queue *q = file->private_data;

	WRITE_ONCE(q->orphan, true);
	ghost_queue_put(q);
	return 0;
}

static const struct file_operations ghost_queue_fops = {
	.owner		= THIS_MODULE,
	.poll		= ghost_queue_poll,
	.mmap		= ghost_queue_mmap,
	.release	= ghost_queue_release,
	.llseek		= noop_llseek,
};

int ghost_queue_create(struct ghost_enclave *e,
		       struct ghost_ioc_create_queue __user *uarg)
{
	struct ghost_ioc_create_queue arg;
	struct ghost_queue *q, *old;
	unsigned long flags;
	int fd;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~GHOST_QUEUE_F_DEFAULT) || arg.mapsize ||
	    arg.resv[0] || arg.resv[1])
		return -EINVAL;
	if (arg.elems < 8 || arg.elems > GHOST_MAX_QUEUE_ELEMS ||
	    !is_power_of_2(arg.elems))
		return -EINVAL;
	if (!capable(CAP_SYS_NICE))
		return -EPERM;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&q->wake_cpus, GFP_KERNEL)) {
		kfree(q);
		return -ENOMEM;
	}
	q->owner = e;
	q->nr_slots = arg.elems;
	q->size = PAGE_ALIGN(sizeof(*q->ring) +
			     (size_t)arg.elems * sizeof(struct ghost_msg));
	q->ring = vmalloc_user(q->size);
	if (!q->ring) {
		free_cpumask_var(q->wake_cpus);
		kfree(q);
		return -ENOMEM;
	}
	q->ring->nr_slots = arg.elems;
	kref_init(&q->ref);
	init_waitqueue_head(&q->wq);
	init_irq_work(&q->wake, ghost_queue_wake);
	INIT_WORK(&q->free_work, ghost_queue_free);

	arg.mapsize = q->size;
	if (copy_to_user(&uarg->mapsize, &arg.mapsize, sizeof(arg.mapsize))) {
		ghost_queue_put(q);
		return -EFAULT;
	}
	/* A reference for the enclave, before the fd can be closed. */
	if (arg.flags & GHOST_QUEUE_F_DEFAULT)
		kref_get(&q->ref);
	fd = anon_inode_getfd("[ghost_queue]", &ghost_queue_fops, q,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (arg.flags & GHOST_QUEUE_F_DEFAULT)
			ghost_queue_put(q);
		ghost_queue_put(q);
		return fd;
	}
	if (!(arg.flags & GHOST_QUEUE_F_DEFAULT))
		return fd;

	raw_spin_lock_irqsave(&e->lock, flags);
	old = e->queue;
	e->queue = q;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (old)
		ghost_queue_put(old);
	return fd;
}

/* The queue of @e behind @fd, with a reference; -1 is NULL (the default). */
static int ghost_queue_fget(struct ghost_enclave *e, int fd,
			    struct ghost_queue **qp)
{
	struct fd f;
	int ret = 0;

	*qp = NULL;
	if (fd == -1)
		return 0;
	f = fdget(fd);
	if (!fd_file(f))
		return -EBADF;
	if (fd_file(f)->f_op != &ghost_queue_fops) {
		ret = -EINVAL;
	} else {
		*qp = fd_file(f)->private_data;
		if ((*qp)->owner == e)
			kref_get(&(*qp)->ref);
		else
			ret = -EINVAL;
	}
	fdput(f);
	if (ret)
		*qp = NULL;
	return ret;
}

/*
 * The thread @gtid of @e, or the calling agent for gtid 0, with a
 * reference.  Callers that are not an agent of @e need CAP_SYS_NICE.
 */
static int ghost_queue_target(struct ghost_enclave *e, u64 gtid,
			      struct ghost_thread **gtp)
{
	struct ghost_thread *self = ghost_current_agent(e);

	*gtp = NULL;
	if (!self && !capable(CAP_SYS_NICE))
		return -EPERM;
	if (!gtid) {
		*gtp = self;
		return self ? 0 : -EINVAL;
	}
	if (self)
		ghost_thread_put(self);
	*gtp = ghost_thread_find_gtid(e, gtid);
	if (!*gtp)
		return -ENOENT;
	if (test_bit(GT_F_AGENT, &(*gtp)->flags)) {
		ghost_thread_put(*gtp);
		*gtp = NULL;
		return -EINVAL;
	}
	return 0;
}

long ghost_queue_assoc(struct ghost_enclave *e,
		       struct ghost_ioc_assoc_queue __user *uarg)
{
	struct ghost_ioc_assoc_queue arg;
	struct ghost_queue *q;
	struct ghost_thread *gt;
	unsigned long flags;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.status || arg.resv)
		return -EINVAL;
	ret = ghost_queue_target(e, arg.gtid, &gt);
	if (ret)
		return ret;
	ret = ghost_queue_fget(e, arg.fd, &q);
	if (ret)
		goto out;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (gt->state == GT_GONE) {
		ret = -ENOENT;
	} else if (arg.gtid && gt->barrier != arg.barrier) {
		ret = -ESTALE;
	} else if (gt->queue == q) {
		arg.status = GHOST_ASSOC_SF_ALREADY;
	} else {
		swap(gt->queue, q);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	/* The reference we took, or the one of the old queue. */
	if (q)
		ghost_queue_put(q);
	if (!ret && put_user(arg.status, &uarg->status))
		ret = -EFAULT;
out:
	ghost_thread_put(gt);
	return ret;
}

long ghost_queue_config_wakeup(struct ghost_enclave *e,
			       struct ghost_ioc_queue_wakeup __user *uarg)
{
	struct ghost_ioc_queue_wakeup arg;
	struct ghost_queue *q;
	unsigned long *mask, flags;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.resv[0] || arg.resv[1] || arg.resv[2] ||
	    arg.fd == -1)
		return -EINVAL;
	if (!ghost_may_drive(e))
		return -EPERM;
	mask = ghost_copy_cpu_bitmap(arg.cpus_ptr, arg.cpus_len, true);
	if (IS_ERR(mask))
		return PTR_ERR(mask);
	ret = ghost_queue_fget(e, arg.fd, &q);
	if (ret)
		goto out;

	raw_spin_lock_irqsave(&e->lock, flags);
	if (find_next_bit(mask, (size_t)arg.cpus_len * 8, nr_cpu_ids) <
	    (size_t)arg.cpus_len * 8 ||
	    !bitmap_subset(mask, cpumask_bits(e->cpus), nr_cpu_ids))
		ret = -EINVAL;
	else
		bitmap_copy(cpumask_bits(q->wake_cpus), mask, nr_cpu_ids);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	ghost_queue_put(q);
out:
	kfree(mask);
	return ret;
}

/*
 * The flags of AGENT_WAIT and COMMIT_WAIT: SEQ_ONLY needs AGENT_SEQ,
 * STEP_ASIDE comes alone.
 */
bool ghost_wait_args_valid(const struct ghost_ioc_wait *arg)
{
	if ((arg->flags & ~GHOST_WAIT_F_ALL) || arg->resv)
		return false;
	if ((arg->flags & GHOST_WAIT_F_STEP_ASIDE) &&
	    arg->flags != GHOST_WAIT_F_STEP_ASIDE)
		return false;
	return !(arg->flags & GHOST_WAIT_F_SEQ_ONLY) ||
	       (arg->flags & GHOST_WAIT_F_AGENT_SEQ);
}

static bool ghost_agent_should_wake(struct ghost_enclave *e,
				    struct ghost_thread *agent,
				    struct ghost_queue *q,
				    const struct ghost_ioc_wait *arg)
{
	return (!(arg->flags & GHOST_WAIT_F_SEQ_ONLY) &&
		READ_ONCE(q->head) != arg->head) ||
	       ((arg->flags & GHOST_WAIT_F_AGENT_SEQ) &&
		READ_ONCE(agent->agent_seq) != arg->agent_seq) ||
	       READ_ONCE(e->dead) || test_bit(GT_F_DETACH, &agent->flags);
}

/*
 * Sleep until the caller's queue has a message it has not seen, or (for an
 * agent) until it is woken for another queue: no wakeup is lost between
 * the caller's look at its queues and this call.  @uarg is copied in.
 */
long ghost_agent_wait(struct ghost_enclave *e,
		      const struct ghost_ioc_wait *uarg)
{
	struct ghost_ioc_wait arg = *uarg;
	struct ghost_thread *agent;
	struct ghost_queue *q;
	wait_queue_head_t *wq;
	unsigned long flags;
	long ret, timeout;

	if (!ghost_wait_args_valid(&arg))
		return -EINVAL;
	agent = ghost_current_agent(e);
	if (!agent && arg.flags)
		return -EINVAL;
	if (!agent && !capable(CAP_SYS_NICE))
		return -EPERM;
	if (agent)
		ghost_agent_repin(agent);
	if (arg.flags & GHOST_WAIT_F_STEP_ASIDE) {
		ret = ghost_agent_step_aside(arg.timeout_ms);
		goto out;
	}

	raw_spin_lock_irqsave(&e->lock, flags);
	q = agent ? ghost_agent_queue(e, agent) : e->queue;
	if (q)
		kref_get(&q->ref);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (!q) {
		ret = -ENOENT;
		goto out;
	}
	wq = agent ? &e->agent_wq[agent->cpu] : &q->wq;

	timeout = arg.timeout_ms ? msecs_to_jiffies(arg.timeout_ms) :
		  MAX_SCHEDULE_TIMEOUT;
	if (agent && ghost_agent_should_wake(e, agent, q, &arg)) {
		ret = -ESTALE;
	} else if (!agent && READ_ONCE(q->head) != arg.head) {
		ret = -ESTALE;
	} else if (agent) {
		ret = wait_event_interruptible_timeout(*wq,
				ghost_agent_should_wake(e, agent, q, &arg),
				timeout);
	} else {
		ret = wait_event_interruptible_timeout(*wq,
				READ_ONCE(q->head) != arg.head ||
				READ_ONCE(e->dead), timeout);
	}
	if (ret > 0)
		ret = READ_ONCE(e->dead) ? -ENODEV : 0;
	else if (!ret)
		ret = -ETIMEDOUT;
	ghost_queue_put(q);
out:
	if (agent)
		ghost_thread_put(agent);
	return ret;
}
