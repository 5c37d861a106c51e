/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state one cfs instance hands the next in a hot swap (state_format
 * "ghost-cfs-v1"): every thread it knows, with its barrier, whether it is
 * blocked, waiting or on a CPU, which CPU, its nice value and its
 * vruntime relative to its queue's min_vruntime.
 *
 * A header, then nr_tasks records of rec_size bytes.  A lag is read
 * against the min_vruntime of the queue the record names: a thread keeps
 * its distance to the threads it shared that queue with.
 */
#ifndef _GHOST_POLICIES_CFS_STATE_H
#define _GHOST_POLICIES_CFS_STATE_H

#include <linux/types.h>

#define CFS_STATE_FORMAT	"ghost-cfs-v1"
#define CFS_STATE_MAGIC		0x31736663	/* "cfs1" */

enum cfs_state_kind {
	CFS_STATE_BLOCKED	= 0,
	CFS_STATE_QUEUED	= 1,	/* runnable, waiting for a CPU */
	CFS_STATE_ONCPU		= 2,
};

struct cfs_state_hdr {
	__u32	magic;
	__u32	nr_tasks;
	__u32	rec_size;	/* sizeof(struct cfs_state_task) */
	__u32	resv;
};

struct cfs_state_task {
	__u64	gtid;
	__s64	lag;		/* vruntime - min_vruntime of its queue */
	__u32	barrier;
	__u16	kind;		/* enum cfs_state_kind */
	__s16	nice;
	__s32	cpu;		/* ONCPU: where; QUEUED: its queue; BLOCKED:
				 * where it last ran; or -1 */
	__u32	resv;
};

/* Bytes of a state with @nr tasks. */
static inline unsigned long cfs_state_size(unsigned int nr)
{
	return sizeof(struct cfs_state_hdr) +
	       (unsigned long)nr * sizeof(struct cfs_state_task);
}

#endif /* _GHOST_POLICIES_CFS_STATE_H */
