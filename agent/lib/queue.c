// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: message rings.  The kernel produces at head, we consume at
 * tail; ordering follows <ghost/barrier.h>.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <ghost/barrier.h>

#include "internal.h"

static int is_pow2(unsigned int n)
{
	return n && !(n & (n - 1));
}

int ghost_queue_init_mem(struct ghost_queue *q, void *mem, size_t size)
{
	struct ghost_ring *ring = mem;
	unsigned int n;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (size < sizeof(*ring))
		return -EINVAL;
	n = ring->nr_slots;
	if (!is_pow2(n) || n > GHOST_MAX_QUEUE_ELEMS ||
	    sizeof(*ring) + (size_t)n * sizeof(struct ghost_msg) > size)
		return -EPROTO;
	q->ring = ring;
	q->khead = &ring->head;
	q->ktail = &ring->tail;
	q->koverflow = &ring->overflow;
	q->nr_slots = n;
	q->mask = n - 1;
	return 0;
}

static int queue_create(struct ghost_enclave *e, unsigned int elems,
			unsigned int flags, struct ghost_queue *q)
{
	struct ghost_ioc_create_queue arg;
	void *p;
	int fd, ret;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	memset(&arg, 0, sizeof(arg));
	arg.elems = elems;
	arg.flags = flags;
	fd = ioctl(e->ctl_fd, GHOST_IOC_CREATE_QUEUE, &arg);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, arg.mapsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = ghost_queue_init_mem(q, p, arg.mapsize);
	if (ret) {
		munmap(p, arg.mapsize);
		close(fd);
		return ret;
	}
	q->fd = fd;
	q->map = p;
	q->map_size = arg.mapsize;
	return 0;
}

int ghost_queue_create(struct ghost_enclave *e, unsigned int elems,
		       struct ghost_queue *q)
{
	return queue_create(e, elems, GHOST_QUEUE_F_DEFAULT, q);
}

int ghost_queue_create_extra(struct ghost_enclave *e, unsigned int elems,
			     struct ghost_queue *q)
{
	return queue_create(e, elems, 0, q);
}

int ghost_queue_assoc(struct ghost_enclave *e, const struct ghost_queue *q,
		      __u64 gtid, __u32 barrier, int *already)
{
	struct ghost_ioc_assoc_queue arg;

	memset(&arg, 0, sizeof(arg));
	arg.fd = q ? q->fd : -1;
	arg.gtid = gtid;
	arg.barrier = barrier;
	if (ioctl(e->ctl_fd, GHOST_IOC_ASSOC_QUEUE, &arg) < 0)
		return -errno;
	if (already)
		*already = !!(arg.status & GHOST_ASSOC_SF_ALREADY);
	return 0;
}

int ghost_queue_set_wakeup(struct ghost_enclave *e, const struct ghost_queue *q,
			   const struct ghost_cpuset *cpus)
{
	struct ghost_ioc_queue_wakeup arg;

	memset(&arg, 0, sizeof(arg));
	arg.fd = q->fd;
	if (cpus) {
		arg.cpus_ptr = (__u64)(unsigned long)cpus->bits;
		arg.cpus_len = sizeof(cpus->bits);
	}
	if (ioctl(e->ctl_fd, GHOST_IOC_CONFIG_QUEUE_WAKEUP, &arg) < 0)
		return -errno;
	return 0;
}

void ghost_queue_close(struct ghost_queue *q)
{
	if (q->map)
		munmap(q->map, q->map_size);
	if (q->fd >= 0)
		close(q->fd);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

unsigned int ghost_queue_head(const struct ghost_queue *q)
{
	return ghost_load_acquire(q->khead);
}

unsigned int ghost_queue_pending(const struct ghost_queue *q)
{
	if (!q->khead)
		return 0;
	return ghost_load_acquire(q->khead) - ghost_load_relaxed(q->ktail);
}

unsigned int ghost_queue_overflow(const struct ghost_queue *q)
{
	return ghost_load_relaxed(q->koverflow);
}

/* Slots @m takes, never running past the end of the ring. */
static unsigned int msg_slots(const struct ghost_queue *q, unsigned int tail,
			      const struct ghost_msg *m)
{
	unsigned int n = ghost_msg_slots(m->length);
	unsigned int room = q->nr_slots - (tail & q->mask);

	return n > room ? room : n;
}

const struct ghost_msg *ghost_queue_peek(struct ghost_queue *q)
{
	unsigned int tail = ghost_load_relaxed(q->ktail);
	unsigned int head = ghost_load_acquire(q->khead);
	const struct ghost_msg *m;

	while (tail != head) {
		m = &q->ring->msgs[tail & q->mask];
		if (m->type != GHOST_MSG_NOP)
			return m;
		tail += msg_slots(q, tail, m);
		ghost_store_release(q->ktail, tail);
	}
	return NULL;
}

void ghost_queue_consume(struct ghost_queue *q, const struct ghost_msg *m)
{
	unsigned int tail = ghost_load_relaxed(q->ktail);

	/* Our reads of @m are done before the kernel may reuse its slots. */
	ghost_store_release(q->ktail, tail + msg_slots(q, tail, m));
}

int ghost_queue_wait(struct ghost_enclave *e, struct ghost_ioc_wait *w)
{
	return ioctl(e->ctl_fd, GHOST_IOC_AGENT_WAIT, w) < 0 ? -errno : 0;
}

int ghost_agent_step_aside(struct ghost_enclave *e, unsigned int timeout_ms)
{
	struct ghost_ioc_wait w = {
		.timeout_ms	= timeout_ms,
		.flags		= GHOST_WAIT_F_STEP_ASIDE,
	};
	int ret = ioctl(e->ctl_fd, GHOST_IOC_AGENT_WAIT, &w);

	return ret < 0 ? -errno : ret;
}

int ghost_queue_poll(struct ghost_queue *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	int n;

	if (q->fd < 0)
		return -EBADF;
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	return n > 0;
}

const char *ghost_msg_type_name(unsigned int type)
{
	static const char *const task[] = {
		"TASK_DEAD", "TASK_BLOCKED", "TASK_WAKEUP", "TASK_NEW",
		"TASK_PREEMPT", "TASK_YIELD", "TASK_DEPARTED", "TASK_SWITCHTO",
		"TASK_AFFINITY_CHANGED", "TASK_ON_CPU",
		"TASK_PRIORITY_CHANGED", "TASK_LATCHED",
	};

	if (type == GHOST_MSG_NOP)
		return "NOP";
	if (type >= GHOST_MSG_TASK_DEAD &&
	    type < GHOST_MSG_TASK_DEAD + sizeof(task) / sizeof(task[0]))
		return task[type - GHOST_MSG_TASK_DEAD];
	switch (type) {
	case GHOST_MSG_CPU_TICK:
		return "CPU_TICK";
	case GHOST_MSG_CPU_AVAILABLE:
		return "CPU_AVAILABLE";
	case GHOST_MSG_CPU_BUSY:
		return "CPU_BUSY";
	case GHOST_MSG_CPU_OFFLINE:
		return "CPU_OFFLINE";
	case GHOST_MSG_CPU_ONLINE:
		return "CPU_ONLINE";
	default:
		return "UNKNOWN";
	}
}
