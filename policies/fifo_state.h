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

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <linux/types.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

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

/*
 * Fill @rec for a thread on a CPU (@oncpu), blocked (@blocked), or else
 * waiting in line at @order; @cpu is where it runs or waits, or -1.
 */
static inline void fifo_state_fill(struct fifo_state_task *rec, __u64 gtid,
				   __u32 barrier, int cpu, __s64 order,
				   int oncpu, int blocked)
{
	rec->gtid = gtid;
	rec->barrier = barrier;
	rec->cpu = cpu;
	rec->order = order;
	if (oncpu)
		rec->kind = FIFO_STATE_ONCPU;
	else if (blocked)
		rec->kind = FIFO_STATE_BLOCKED;
	else
		rec->kind = FIFO_STATE_QUEUED;
}

/*
 * The code every policy of this format runs around it; what differs is
 * only how each keeps a thread, which it tells through callbacks.
 */

/* Fill @rec's gtid, barrier, kind, cpu and order from the policy's @task. */
typedef void (*fifo_state_describe_fn)(const void *task,
				       struct fifo_state_task *rec);

/*
 * Export every thread of @tasks (the policy's gtid table, whose values
 * @describe understands) into @buf.  Returns the size of the state, or
 * the size needed if @len is too small.
 */
static inline long fifo_state_export(const struct gp_table *tasks, void *buf,
				     size_t len,
				     fifo_state_describe_fn describe)
{
	struct fifo_state_hdr *h = buf;
	struct fifo_state_task *out;
	size_t need = fifo_state_size(tasks->nr);
	unsigned int i, n = 0;

	if (len < need)
		return need;
	out = (struct fifo_state_task *)(h + 1);
	for (i = 0; i <= tasks->mask; i++) {
		if (!tasks->slots[i].key)
			continue;
		describe(tasks->slots[i].val, &out[n]);
		out[n].resv = 0;
		out[n].resv2 = 0;
		n++;
	}
	h->magic = FIFO_STATE_MAGIC;
	h->nr_tasks = n;
	h->resv = 0;
	return fifo_state_size(n);
}

/*
 * Start tracking the thread of @rec, on its CPU if it is FIFO_STATE_ONCPU.
 * Returns 0, or non-zero if the policy has no room for it.
 */
typedef int (*fifo_state_add_fn)(struct ghost_policy_ctx *ctx,
				 const struct fifo_state_task *rec);

/* Put the tracked thread of @rec at the back of the line. */
typedef void (*fifo_state_requeue_fn)(struct ghost_policy_ctx *ctx,
				      const struct fifo_state_task *rec);

static inline int fifo_state_cmp_order(const void *a, const void *b)
{
	const struct fifo_state_task *x = *(const struct fifo_state_task **)a;
	const struct fifo_state_task *y = *(const struct fifo_state_task **)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Import the state in @buf: @add every thread in it, then @requeue the
 * queued ones that were added, in their order in line (one line across
 * all CPUs before: everyone keeps their place in it).  Returns 0,
 * -EINVAL if @buf is no such state, or -ENOMEM.
 */
static inline int fifo_state_import(struct ghost_policy_ctx *ctx,
				    const void *buf, size_t len,
				    fifo_state_add_fn add,
				    fifo_state_requeue_fn requeue)
{
	const struct fifo_state_hdr *h = buf;
	const struct fifo_state_task *in, **queued;
	unsigned int i, nq = 0;

	if (len < sizeof(*h) || h->magic != FIFO_STATE_MAGIC ||
	    len < fifo_state_size(h->nr_tasks))
		return -EINVAL;
	in = (const struct fifo_state_task *)(h + 1);
	queued = calloc(h->nr_tasks + 1, sizeof(*queued));
	if (!queued)
		return -ENOMEM;
	for (i = 0; i < h->nr_tasks; i++) {
		if (add(ctx, &in[i]))
			continue;
		if (in[i].kind == FIFO_STATE_QUEUED)
			queued[nq++] = &in[i];
	}
	qsort(queued, nq, sizeof(*queued), fifo_state_cmp_order);
	for (i = 0; i < nq; i++)
		requeue(ctx, queued[i]);
	free(queued);
	return 0;
}

#endif /* _GHOST_POLICIES_FIFO_STATE_H */
