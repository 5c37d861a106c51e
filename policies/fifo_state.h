/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state that the FIFO policies hand each other in a hot swap
 * (state_format "ghost-fifo-v1"): every thread they know, with its barrier,
 * whether it is blocked, queued or on a CPU, and its place in line.
 *
 * A header, then nr_tasks records.  Queued threads carry an order key:
 * smaller runs first, whatever CPU queue they were on.
 */
#ifndef _GHOST_POLICIES_FIFO_STATE_H
#define _GHOST_POLICIES_FIFO_STATE_H

#include <linux/types.h>

#define FIFO_STATE_FORMAT	"ghost-fifo-v1"
#define FIFO_STATE_MAGIC	0x6f666966	/* "fifo" */

enum fifo_state_kind {
	FIFO_STATE_BLOCKED	= 0,
	FIFO_STATE_QUEUED	= 1,
	FIFO_STATE_ONCPU	= 2,
};

struct fifo_state_hdr {
	__u32	magic;
	__u32	nr_tasks;
	__u64	resv;
};

struct fifo_state_task {
	__u64	gtid;
	__u32	barrier;
	__u16	kind;		/* enum fifo_state_kind */
	__u16	resv;
	__s32	cpu;		/* ONCPU: where; else the preferred CPU or -1 */
	__u32	resv2;
	__s64	order;		/* QUEUED: position in line */
};

/* Bytes of a state with @nr tasks. */
static inline unsigned long fifo_state_size(unsigned int nr)
{
	return sizeof(struct fifo_state_hdr) +
	       (unsigned long)nr * sizeof(struct fifo_state_task);
}

#endif /* _GHOST_POLICIES_FIFO_STATE_H */
