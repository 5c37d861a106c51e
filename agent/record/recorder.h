/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording what a policy saw and decided (recfmt.h), for ghost-agent
 * --record.  The recorder sits between a runtime and a policy: it wraps
 * the policy's ops table and the runtime's services of one instance, so
 * that every call either way is written down in the order it happened,
 * whichever thread makes it.  The runtime calls the wrapped table as it
 * would the policy's own.
 */
#ifndef _GHOST_RECORDER_H
#define _GHOST_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include <ghost/policy.h>

struct recorder;

/* The default and smallest --record-max. */
#define REC_DEFAULT_MAX		(256ULL << 20)
#define REC_MIN_MAX		(64ULL << 10)

/*
 * Create (or truncate) @path, mode 0600, and check it can be written;
 * @max is the size the file may reach (0: no limit).  0, or -errno with
 * the reason in @msg.
 */
int rec_open(struct recorder **out, const char *path, uint64_t max,
	     char *msg, size_t len);

/*
 * Write the file header: enclave @enclave_id on CPUs @ecpus (ascending),
 * the runtime's global CPU, and the NUMA node of each CPU number.
 */
int rec_begin(struct recorder *r, unsigned int enclave_id, const int *ecpus,
	      int nr_ecpus, int global_cpu, const int *cpu_node,
	      int nr_cpu_ids);

/*
 * A new policy instance: @ctx set up for @ops (loaded from @path, with
 * options @opts), init not called yet.  Points ctx->host at the
 * recorder's services and returns the ops table to call instead of @ops
 * (@ops itself if the recorder cannot follow this instance: the
 * recording then stops with a message).
 */
const struct ghost_policy_ops *rec_bind(struct recorder *r,
					struct ghost_policy_ctx *ctx,
					const struct ghost_policy_ops *ops,
					const char *path,
					const char *const opts[]);

/* Undo rec_bind() once the instance is finished (after fini). */
void rec_unbind(struct ghost_policy_ctx *ctx);

/* Instance @to replaced @from, handing over by @how. */
void rec_swap(struct recorder *r, const struct ghost_policy_ctx *from,
	      const struct ghost_policy_ctx *to, const char *how);

/* Bytes written so far; 1 in *@stopped if the recording stopped. */
uint64_t rec_size(struct recorder *r, int *stopped);

/* Write the end, flush and close; NULL is fine.  0 or -errno. */
int rec_close(struct recorder *r);

#endif /* _GHOST_RECORDER_H */
