// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: status words, read-only memory the kernel updates under its
 * lock and publishes with a release store of barrier, then flags.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <ghost/barrier.h>

#include "internal.h"

const struct ghost_status_word *ghost_sw_word(const struct ghost_enclave *e,
					      unsigned int index)
{
	return e->words && index < e->nr_words ? &e->words[index] : NULL;
}

const struct ghost_status_word *ghost_sw_find(const struct ghost_enclave *e,
					      __u64 gtid)
{
	unsigned int i;

	for (i = 0; i < e->nr_words; i++) {
		const struct ghost_status_word *w = &e->words[i];

		if ((ghost_load_acquire(&w->flags) & GHOST_SW_F_INUSE) &&
		    ghost_load_relaxed(&w->gtid) == gtid)
			return w;
	}
	return NULL;
}

const struct ghost_cpu_word *ghost_sw_cpu(const struct ghost_enclave *e,
					  int cpu)
{
	if (!e->cpu_words || cpu < 0 || (unsigned int)cpu >= e->nr_cpu_words)
		return NULL;
	return &e->cpu_words[cpu];
}

void ghost_sw_snapshot(const struct ghost_status_word *w,
		       struct ghost_status_word *out)
{
	unsigned int tries = 0;
	__u32 b;

	do {
		b = ghost_load_acquire(&w->barrier);
		out->flags = ghost_load_acquire(&w->flags);
		out->gtid = ghost_load_relaxed(&w->gtid);
		out->switch_time = ghost_load_relaxed(&w->switch_time);
		out->runtime = ghost_load_relaxed(&w->runtime);
		ghost_smp_mb();
		out->barrier = ghost_load_relaxed(&w->barrier);
	} while (out->barrier != b && ++tries < 1000);
}

int ghost_sw_task_cpu(const struct ghost_enclave *e, __u64 gtid)
{
	unsigned int cpu;

	for (cpu = 0; cpu < e->nr_cpu_words; cpu++) {
		const struct ghost_cpu_word *c = &e->cpu_words[cpu];

		if ((ghost_load_acquire(&c->flags) & GHOST_CPU_F_IN_ENCLAVE) &&
		    ghost_load_relaxed(&c->gtid) == gtid)
			return cpu;
	}
	return -1;
}

int ghost_sw_index(struct ghost_enclave *e, __u64 gtid, unsigned int *index)
{
	struct ghost_ioc_sw arg;

	memset(&arg, 0, sizeof(arg));
	arg.gtid = gtid;
	if (ioctl(e->ctl_fd, GHOST_IOC_SW_GET, &arg) < 0)
		return -errno;
	*index = arg.index;
	return 0;
}

int ghost_sw_free(struct ghost_enclave *e, __u64 gtid, unsigned int index)
{
	struct ghost_ioc_sw arg;

	memset(&arg, 0, sizeof(arg));
	arg.gtid = gtid;
	arg.index = index;
	return ioctl(e->ctl_fd, GHOST_IOC_SW_FREE, &arg) < 0 ? -errno : 0;
}
