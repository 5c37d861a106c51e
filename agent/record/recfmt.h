/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file format of a policy recording (ghost-agent --record), read by
 * ghost-replay.  Described for users in ghost-replay(1).
 *
 * A recording is what one policy saw and decided through the plugin ABI
 * of <ghost/policy.h>: every call the runtime made into the policy (its
 * inputs), every answer the policy got from the runtime's services (the
 * kernel's facts it read: time, a thread's CPU, list state, affinity,
 * hints) and every request it made (commits, list entries, flags).
 * Policies can see nothing else, so feeding the same inputs and answers
 * to the same plugin reproduces its decisions.
 *
 * Layout, little-endian:
 *
 *	struct rec_file_hdr
 *	__s32 ecpus[nr_ecpus]		the enclave's CPUs, ascending
 *	__s32 cpu_node[nr_cpu_ids]	NUMA node of each CPU number
 *	events: struct rec_ev, then ev.len bytes of payload
 *
 * The last event is REC_END (the recording was closed) or REC_LIMIT (it
 * reached its maximum size and stopped there).  A file that ends
 * otherwise is truncated.
 *
 * Each event names the policy instance it belongs to (ev.inst, from 1):
 * during a hot swap the new policy initialises while the old one still
 * decides, so events of two instances interleave.  REC_INSTANCE
 * introduces an instance before any of its events.
 */
#ifndef _GHOST_RECFMT_H
#define _GHOST_RECFMT_H

#include <linux/types.h>
#include <ghost/app_hint.h>

#define REC_MAGIC	"GHOSTREC"	/* 8 bytes, no NUL */
/*
 * Bumped whenever a structure below changes, including those it embeds
 * (2: struct ghost_app_hint in struct rec_hint grew period_ns).
 */
#define REC_VERSION	2
#define REC_MAX_INST	65535

struct rec_file_hdr {
	char magic[8];
	__u32 version;		/* REC_VERSION */
	__u32 hdr_size;		/* this struct and the two arrays after it */
	__u64 max_size;		/* the size limit, 0: none */
	__u64 start_ns;		/* CLOCK_REALTIME when recording started */
	__u32 enclave_id;
	__u32 policy_abi;	/* GHOST_POLICY_ABI_VERSION of the agent */
	__s32 nr_cpu_ids;
	__s32 nr_ecpus;
	__s32 global_cpu;	/* the agent's global CPU */
	__u32 resv;
};

struct rec_ev {
	__u16 type;		/* enum rec_type */
	__u16 inst;		/* policy instance, 1.. */
	__u32 len;		/* payload bytes after this header */
	__u64 time_ns;		/* CLOCK_MONOTONIC since start_ns was read */
};

/*
 * Event types.  "In": a call into the policy, replayed.  "Out": what the
 * policy did or was told during the last "in" event of its instance,
 * compared (decisions) or answered from the recording (facts).
 */
enum rec_type {
	/* Markers. */
	REC_INSTANCE	= 1,	/* struct rec_instance + cpus + strings */
	REC_SWAP	= 2,	/* struct rec_swap + policy name + handover */
	REC_LIMIT	= 3,	/* no payload: stopped early (size limit), last */
	REC_END		= 4,	/* no payload: closed, last */

	/* In. */
	REC_INIT	= 16,	/* no payload: init(opts of REC_INSTANCE) */
	REC_FINI	= 17,	/* no payload */
	REC_MSG		= 18,	/* the struct ghost_msg, m->length bytes */
	REC_SCHEDULE	= 19,	/* struct rec_cpu */
	REC_TICK	= 20,	/* struct rec_u64: tick(now) */
	REC_COMMIT_DONE	= 21,	/* struct rec_commit_done */
	REC_EXPORT	= 22,	/* struct rec_u64: export_state(len) */
	REC_IMPORT	= 23,	/* the state given to import_state() */

	/* Out: decisions. */
	REC_RET		= 32,	/* struct rec_ret: init, export, import */
	REC_RUN		= 33,	/* struct rec_run: ghost_policy_run() */
	REC_DL_PUSH	= 34,	/* struct rec_run: ghost_policy_dl_push() */
	REC_DL_FLAGS	= 35,	/* struct rec_dl_flags */
	REC_ERROR	= 36,	/* the reason, NUL-terminated */

	/* Out: facts the policy read. */
	REC_NOW		= 48,	/* struct rec_u64 */
	REC_TASK_CPU	= 49,	/* struct rec_task */
	REC_ALLOWED	= 50,	/* struct rec_task */
	REC_DL_OUT	= 51,	/* struct rec_cpu (cpu, ret) */
	REC_DL_ENTRIES	= 52,	/* struct rec_dl_entries + entries */
	REC_HINT	= 53,	/* struct rec_hint */
};

struct rec_instance {
	__s32 model;		/* enum ghost_policy_model */
	__s32 global_cpu;	/* ctx->global_cpu */
	__s32 nr_cpus;		/* ctx->cpus[], __s32 each, follow */
	__u32 dispatch_flags;	/* ctx->dispatch_flags before init */
	__u32 nr_opts;
	__u32 resv;
	/* then: name, path, nr_opts "key=value", each NUL-terminated */
};

struct rec_swap {
	__u32 from;		/* the instance replaced */
	__u32 to;		/* the instance installed */
	/* then: the new policy's name and "export" or "discover", NUL each */
};

struct rec_cpu {
	__s32 cpu;
	__s32 ret;		/* REC_DL_OUT: the answer; else 0 */
};

struct rec_u64 {
	__u64 v;
};

struct rec_commit_done {
	__u64 gtid;
	__s32 cpu;
	__s32 state;		/* enum ghost_txn_state */
};

struct rec_ret {
	__s64 ret;
	__u32 dispatch_flags;	/* ctx->dispatch_flags after the call */
	__u32 resv;
};

struct rec_run {
	__u64 gtid;
	__s32 cpu;
	__u32 barrier;
	__s32 ret;		/* what the runtime answered */
	__u32 resv;
};

struct rec_dl_flags {
	__s32 cpu;
	__u32 flags;
	__s32 ret;
	__u32 resv;
};

struct rec_task {
	__u64 gtid;
	__s32 cpu;		/* REC_ALLOWED: the CPU asked about */
	__s32 ret;
};

struct rec_dl_entries {
	__s32 cpu;
	__s32 max;
	__s32 ret;		/* entries that follow if > 0 */
	__u32 resv;
	/* then: struct ghost_dispatch_entry[ret] */
};

struct rec_hint {
	__u64 gtid;
	__s32 ret;
	__u32 resv;
	struct ghost_app_hint hint;	/* valid if ret == 0 */
};

#endif /* _GHOST_RECFMT_H */
