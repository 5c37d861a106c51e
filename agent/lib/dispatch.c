// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: dispatch lists, the in-kernel fast path (see "Dispatch lists"
 * in <linux/ghost.h>).  Each CPU's list is a single-producer ring: we own
 * tail and the entries between head and tail, the kernel owns head.  We
 * fill an entry, then store tail with release; we read head with acquire
 * to learn which slots are free again.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <ghost/barrier.h>

#include "internal.h"

#define DL_MASK		(GHOST_DISPATCH_SLOTS - 1)

int ghost_dispatch_available(const struct ghost_enclave *e)
{
	return e->dl != NULL;
}

struct ghost_dispatch_list *ghost_dispatch_list(const struct ghost_enclave *e,
						int cpu)
{
	if (!e->dl || cpu < 0 || (unsigned int)cpu >= e->nr_dl)
		return NULL;
	return &e->dl[cpu];
}

int ghost_dl_outstanding(const struct ghost_dispatch_list *dl)
{
	__u32 head = ghost_load_acquire(&dl->head);
	__u32 tail = ghost_load_relaxed(&dl->tail);

	return (int)(tail - head) < 0 ? 0 : (int)(tail - head);
}

int ghost_dl_push(struct ghost_dispatch_list *dl, __u64 gtid, __u32 barrier)
{
	__u32 tail = ghost_load_relaxed(&dl->tail);
	struct ghost_dispatch_entry *ent;

	if (!gtid)
		return -EINVAL;
	if (tail - ghost_load_acquire(&dl->head) >= GHOST_DISPATCH_SLOTS)
		return -ENOSPC;
	ent = &dl->ent[tail & DL_MASK];
	ent->gtid = gtid;
	ent->barrier = barrier;
	ent->resv = 0;
	ghost_store_release(&dl->tail, tail + 1);
	return 0;
}

int ghost_dl_entries(const struct ghost_dispatch_list *dl,
		     struct ghost_dispatch_entry *out, int max)
{
	__u32 head = ghost_load_acquire(&dl->head);
	__u32 tail = ghost_load_relaxed(&dl->tail);
	int n = 0;

	if (tail - head > GHOST_DISPATCH_SLOTS)
		return 0;
	for (; head != tail && n < max; head++, n++)
		out[n] = dl->ent[head & DL_MASK];
	return n;
}

int ghost_dl_set_flags(struct ghost_dispatch_list *dl, __u32 flags)
{
	if (flags & ~GHOST_DL_F_ALL)
		return -EINVAL;
	ghost_store_release(&dl->flags, flags);
	return 0;
}

int ghost_dispatch_set_flags(struct ghost_enclave *e, int cpu, __u32 flags)
{
	struct ghost_dispatch_list *dl = ghost_dispatch_list(e, cpu);

	if (!dl)
		return e->dl ? -EINVAL : -EOPNOTSUPP;
	return ghost_dl_set_flags(dl, flags);
}

int ghost_dispatch_push(struct ghost_enclave *e, int cpu, __u64 gtid,
			__u32 barrier)
{
	struct ghost_dispatch_list *dl = ghost_dispatch_list(e, cpu);

	if (!dl)
		return e->dl ? -EINVAL : -EOPNOTSUPP;
	return ghost_dl_push(dl, gtid, barrier);
}

int ghost_dispatch_outstanding(const struct ghost_enclave *e, int cpu)
{
	struct ghost_dispatch_list *dl = ghost_dispatch_list(e, cpu);

	if (!dl)
		return e->dl ? -EINVAL : -EOPNOTSUPP;
	return ghost_dl_outstanding(dl);
}

/*
 * The CPUs of @cpus that the kernel will not notice by itself: enabled,
 * entries outstanding, and no ghost thread.  The full barrier orders our
 * tail stores before the CPU word loads; the kernel clears the CPU's
 * thread, then (full barrier) reads tail, so one side sees the other.
 */
int libghost_dispatch_to_kick(const struct ghost_enclave *e,
			      const struct ghost_cpuset *cpus,
			      struct ghost_cpuset *out)
{
	const struct ghost_cpu_word *w;
	struct ghost_dispatch_list *dl;
	int cpu, n = 0;

	ghost_cpuset_zero(out);
	ghost_smp_mb();
	for (cpu = ghost_cpuset_next(cpus, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(cpus, cpu + 1)) {
		dl = ghost_dispatch_list(e, cpu);
		w = ghost_sw_cpu(e, cpu);
		if (!dl || !w ||
		    !(ghost_load_relaxed(&dl->flags) & GHOST_DL_F_ENABLE) ||
		    !ghost_dl_outstanding(dl) ||
		    ghost_load_relaxed(&w->gtid))
			continue;
		ghost_cpuset_set(out, cpu);
		n++;
	}
	return n;
}

int ghost_dispatch_kick(struct ghost_enclave *e,
			const struct ghost_cpuset *cpus)
{
	struct ghost_ioc_dispatch arg;
	struct ghost_cpuset idle;

	if (!e->dl)
		return -EOPNOTSUPP;
	if (!libghost_dispatch_to_kick(e, cpus, &idle))
		return 0;
	memset(&arg, 0, sizeof(arg));
	arg.cpus_ptr = (__u64)(unsigned long)idle.bits;
	arg.cpus_len = libghost_cpuset_len(&idle);
	if (ioctl(e->ctl_fd, GHOST_IOC_DISPATCH, &arg) < 0)
		return -errno;
	return arg.nr_dispatched;
}

int ghost_dispatch_kick_one(struct ghost_enclave *e, int cpu)
{
	struct ghost_cpuset set;

	if (!ghost_dispatch_list(e, cpu))
		return e->dl ? -EINVAL : -EOPNOTSUPP;
	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, cpu);
	return ghost_dispatch_kick(e, &set);
}

int ghost_enclave_init_dispatch_mem(struct ghost_enclave *e, void *mem,
				    size_t size)
{
	unsigned int n = size / sizeof(struct ghost_dispatch_list);

	if (!mem || !n)
		return -EINVAL;
	e->dl = mem;
	e->nr_dl = n < e->nr_cpu_words ? n : e->nr_cpu_words;
	e->dl_size = size;
	return 0;
}
