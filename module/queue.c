// SPDX-License-Identifier: GPL-2.0
/*
 * Message queues: rings in memory shared with the agent (see the
 * "Messages" section of the uapi header for the protocol).  Producers run
 * in scheduler hooks under e->lock; the agent is woken through an irq_work
 * because a wakeup there could deadlock on a runqueue lock.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ghost.h"

static void ghost_queue_wake(struct irq_work *work)
{
	struct ghost_queue *q = container_of(work, struct ghost_queue, wake);

	wake_up_interruptible_poll(&q->wq, EPOLLIN | EPOLLRDNORM);
}

static void ghost_queue_release_ref(struct kref *ref)
{
	struct ghost_queue *q = container_of(ref, struct ghost_queue, ref);

	irq_work_sync(&q->wake);
	vfree(q->ring);
	kfree(q);
}

void ghost_queue_put(struct ghost_queue *q)
{
	kref_put(&q->ref, ghost_queue_release_ref);
}

/* Append one message; e->lock held. */
static void ghost_queue_push(struct ghost_queue *q, const void *msg, u16 len)
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
		irq_work_queue(&q->wake);
		return;
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
	irq_work_queue(&q->wake);
}

static void ghost_emit(struct ghost_enclave *e, const void *msg, u16 len)
{
	if (e->queue && !e->dead)
		ghost_queue_push(e->queue, msg, len);
}

void ghost_emit_task(struct ghost_enclave *e, struct ghost_thread *gt,
		     u16 type, int cpu)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task p;
	} m = {
		.h = { type, sizeof(m), gt->barrier },
		.p = { gt->gtid, ghost_runtime(gt), cpu, 0 },
	};

	ghost_emit(e, &m, sizeof(m));
}

void ghost_emit_task_new(struct ghost_enclave *e, struct ghost_thread *gt)
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

	ghost_emit(e, &m, sizeof(m));
}

void ghost_emit_wakeup(struct ghost_enclave *e, struct ghost_thread *gt,
		       int waker_cpu)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_task_wakeup p;
	} m = {
		.h = { GHOST_MSG_TASK_WAKEUP, sizeof(m), gt->barrier },
		.p = { gt->gtid, task_cpu(gt->task), waker_cpu },
	};

	ghost_emit(e, &m, sizeof(m));
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

	ghost_emit(e, &m, sizeof(m));
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

static int ghost_queue_release(struct inode *inode, struct file *file)
{
	ghost_queue_put(file->private_data);
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
	if (arg.flags != GHOST_QUEUE_F_DEFAULT || arg.mapsize ||
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
	q->nr_slots = arg.elems;
	q->size = PAGE_ALIGN(sizeof(*q->ring) +
			     (size_t)arg.elems * sizeof(struct ghost_msg));
	q->ring = vmalloc_user(q->size);
	if (!q->ring) {
		kfree(q);
		return -ENOMEM;
	}
	q->ring->nr_slots = arg.elems;
	kref_init(&q->ref);
	init_waitqueue_head(&q->wq);
	init_irq_work(&q->wake, ghost_queue_wake);

	arg.mapsize = q->size;
	if (copy_to_user(&uarg->mapsize, &arg.mapsize, sizeof(arg.mapsize))) {
		ghost_queue_put(q);
		return -EFAULT;
	}
	fd = anon_inode_getfd("[ghost_queue]", &ghost_queue_fops, q,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ghost_queue_put(q);
		return fd;
	}

	/* The file has the first reference; the enclave takes one more. */
	kref_get(&q->ref);
	raw_spin_lock_irqsave(&e->lock, flags);
	old = e->queue;
	e->queue = q;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (old)
		ghost_queue_put(old);
	return fd;
}

/*
 * Sleep until the default queue has a message the agent has not seen:
 * no wakeup is lost between the agent's look at head and this call.
 */
long ghost_agent_wait(struct ghost_enclave *e,
		      struct ghost_ioc_wait __user *uarg)
{
	struct ghost_ioc_wait arg;
	struct ghost_queue *q;
	unsigned long flags;
	long ret, timeout;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.resv[0] || arg.resv[1])
		return -EINVAL;

	raw_spin_lock_irqsave(&e->lock, flags);
	q = e->queue;
	if (q)
		kref_get(&q->ref);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (!q)
		return -ENOENT;

	timeout = arg.timeout_ms ? msecs_to_jiffies(arg.timeout_ms) :
		  MAX_SCHEDULE_TIMEOUT;
	if (READ_ONCE(q->head) != arg.head) {
		ret = -ESTALE;
	} else {
		ret = wait_event_interruptible_timeout(q->wq,
				READ_ONCE(q->head) != arg.head ||
				READ_ONCE(e->dead), timeout);
		if (ret > 0)
			ret = READ_ONCE(e->dead) ? -ENODEV : 0;
		else if (!ret)
			ret = -ETIMEDOUT;
	}
	ghost_queue_put(q);
	return ret;
}
