/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Application hints: what a process tells the scheduling policy about its
 * threads, in shared memory (ghOSt's PrioTable, simplified).
 *
 * The region is a sealed memfd the application creates and hands to
 * ghost-agent over its control socket ("hints", with SCM_RIGHTS); the
 * agent maps it read-only and reads it for the threads of the process
 * that sent it (its tgid, from SO_PEERCRED).  Layout, little-endian as
 * the host:
 *
 *   struct ghost_hint_header            64 bytes
 *   struct ghost_hint_slot [nr_slots]   64 bytes each
 *
 * A slot belongs to one thread (tid, as the agent's pid namespace sees
 * it; 0: free).  Only the thread's process writes it, one writer per
 * slot; the agent only reads.  Each slot is a seqcount:
 *
 *   writer: seq = seq + 1 (odd), release fence, fields (relaxed),
 *           seq = seq + 1 (even) with release
 *   reader: s = seq (acquire), retry if odd; fields (relaxed);
 *           acquire fence; retry if seq != s
 *
 * The agent gives up after GHOST_HINT_READ_TRIES and treats the slot as
 * absent, so a writer that stalls mid-update cannot hang it.  header.gen
 * is bumped (release) whenever a slot changes hands (tid set or cleared);
 * readers may cache a thread's slot index until gen moves.
 *
 * The agent refuses a region that is not a regular memfd sealed against
 * shrinking (F_SEAL_SHRINK: truncating it would make the agent's reads
 * fault), smaller than its header claims, larger than GHOST_HINT_MAX_SIZE,
 * or with a wrong magic, version or sizes.  Slot contents are never
 * trusted: unknown flags are ignored and a qos above GHOST_HINT_QOS_MAX
 * is clamped; a deadline or period is just a number.
 *
 * period_ns took the first of the slot's reserved words.  Readers never
 * required those to be zero and writers always left them zero (the
 * memfd starts zeroed, nothing wrote there), so a region of an older
 * writer reads as "no period" and the version stays 1: both sides of
 * the region keep working with either library.
 */
#ifndef _GHOST_APP_HINT_H
#define _GHOST_APP_HINT_H

#include <linux/types.h>

#define GHOST_HINT_MAGIC	0x544e4847U	/* "GHNT" */
#define GHOST_HINT_VERSION	1
#define GHOST_HINT_MAX_SLOTS	4096
#define GHOST_HINT_MAX_SIZE	(sizeof(struct ghost_hint_header) + \
				 GHOST_HINT_MAX_SLOTS * \
				 sizeof(struct ghost_hint_slot))
#define GHOST_HINT_READ_TRIES	64

/* QoS classes: higher is served first; threads without a hint get DEFAULT. */
#define GHOST_HINT_QOS_DEFAULT	0
#define GHOST_HINT_QOS_MAX	7

/* ghost_hint_slot.flags */
#define GHOST_HINT_F_RUNNABLE	(1U << 0)	/* has work: schedule it */
#define GHOST_HINT_F_IDLE	(1U << 1)	/* no work: leave it off CPUs */
#define GHOST_HINT_F_ALL	(GHOST_HINT_F_RUNNABLE | GHOST_HINT_F_IDLE)

struct ghost_hint_header {
	__u32	magic;		/* GHOST_HINT_MAGIC */
	__u32	version;	/* GHOST_HINT_VERSION */
	__u32	hdr_size;	/* sizeof(struct ghost_hint_header) */
	__u32	slot_size;	/* sizeof(struct ghost_hint_slot) */
	__u32	nr_slots;	/* 1 .. GHOST_HINT_MAX_SLOTS */
	__u32	resv0;
	__u64	gen;		/* bumped when a slot's tid changes */
	__u64	resv[4];
};

struct ghost_hint_slot {
	__u32	seq;		/* odd while being written */
	__s32	tid;		/* the thread, 0: free */
	__u32	qos;		/* 0 .. GHOST_HINT_QOS_MAX */
	__u32	flags;		/* GHOST_HINT_F_* */
	__u64	deadline_ns;	/* CLOCK_MONOTONIC, 0: none */
	__u64	estimate_ns;	/* expected run time of its work, 0: unknown */
	__u64	period_ns;	/* deadline repeats this often, 0: no period */
	__u64	resv[3];
};

/* One thread's hint as a policy reads it (ghost_policy_hint()). */
struct ghost_app_hint {
	__u32	qos;
	__u32	flags;
	__u64	deadline_ns;
	__u64	estimate_ns;
	__u64	period_ns;
};

/* Does @h say "leave this thread off CPUs"? IDLE without RUNNABLE. */
static inline int ghost_app_hint_idle(const struct ghost_app_hint *h)
{
	return (h->flags & GHOST_HINT_F_ALL) == GHOST_HINT_F_IDLE;
}

/*
 * The deadline in force at @now for periodic work that published
 * @deadline and @period: @deadline while it is still ahead of @now, else
 * the first @deadline + k * @period after @now (k >= 1), UINT64_MAX if
 * that does not fit.  A @deadline or @period of 0 stands as it is.  No
 * loop and no overflow, whatever numbers an application wrote.
 */
static inline __u64 ghost_app_hint_next_deadline(__u64 deadline,
						 __u64 period, __u64 now)
{
	__u64 base;

	if (!deadline || !period || deadline > now)
		return deadline;
	/* The last deadline + k * period at or before @now. */
	base = deadline + (now - deadline) / period * period;
	return base > ~0ULL - period ? ~0ULL : base + period;
}

#endif /* _GHOST_APP_HINT_H */
