/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy plugin ABI of ghost-agent.
 *
 * A policy is a shared object that exports exactly one symbol,
 * "ghost_policy": a struct ghost_policy_ops defined with
 * GHOST_POLICY_DEFINE().  ghost-agent dlopen()s it, checks abi_version and
 * size before calling anything, and then drives it:
 *
 *   init(ctx, opts)            once, before any message; opts are the
 *                              "key=value" strings of --opt, NULL-terminated
 *   task_*(ctx, msg, payload)  one call per message from the kernel
 *   cpu_*(ctx, msg, payload)
 *   schedule(ctx, cpu)         after each batch of messages: decide what
 *                              runs where by calling ghost_policy_run(),
 *                              or publish what runs next by
 *                              ghost_policy_dl_push()
 *   commit_done(ctx, cpu, ...) the outcome of every ghost_policy_run()
 *   export_state / import_state  hand-over to the next policy (hot swap)
 *   ghost_policy_hint()        what an application published for one of
 *                              its threads (<ghost/app_hint.h>), any time
 *   describe(ctx, gtid, ...)   the policy's view of one thread, for
 *                              "ghostctl status --threads" (optional)
 *   fini(ctx)                  once, last (optional)
 *
 * All callbacks of one policy instance are serialised by the runtime: a
 * policy needs no locking of its own, unless it sets
 * GHOST_POLICY_F_CONCURRENT (below).  A policy keeps its state in
 * ctx->priv, never in globals: during a hot swap two instances (possibly
 * of the same .so) exist at once.
 *
 * Concurrent callbacks (GHOST_POLICY_F_CONCURRENT, PER_CPU model only).
 * The agent of each CPU then drains its own queue and calls schedule()
 * for its own CPU only, at the same time as the agents of the other
 * CPUs: the callbacks of one CPU's agent are serialised, those of
 * different CPUs are not.  schedule(ctx, c) (and the commit_done() of
 * what it asked for) may also come from another CPU's agent, after that
 * one's ghost_policy_wake(ctx, c), while c's agent sleeps: still never
 * at the same time as c's own round.  The messages of one thread are in one queue at
 * a time, so they still come one after the other, in order; but any
 * state two CPUs may reach (a thread's record while another CPU's
 * schedule() runs it, another CPU's runqueue, a table of threads) is the
 * policy's to lock.  In schedule(ctx, cpu) and the callbacks of that
 * agent, ghost_policy_run(), ghost_policy_dl_push() and
 * ghost_policy_dl_set_flags() accept only that @cpu (-EXDEV otherwise).
 * A policy that gives another CPU work (a thread on its runqueue) calls
 * ghost_policy_wake() for it: that CPU's agent may be asleep.  init,
 * fini, export_state, import_state and describe still run while no other
 * callback does; so do hot swaps.  Without the flag (or under a runtime
 * that does not know it) callbacks are serialised as above, which the
 * policy's locks must allow too.
 *
 * Models.  GHOST_POLICY_PER_CPU: one agent thread per enclave CPU, each
 * blocking until a message arrives; schedule() is called once per CPU
 * with that CPU.  GHOST_POLICY_CENTRALIZED: one agent thread spins on
 * ctx->global_cpu; schedule() is called with cpu == -1 on every iteration
 * and decides for all of ctx->cpus, which never include the global CPU.
 *
 * Barriers.  Every task message carries the thread's barrier in
 * msg->seqnum; ghost_policy_run() must pass the last one seen, or the
 * kernel refuses the commit with GHOST_TXN_TARGET_STALE (a newer message
 * is on its way).
 *
 * Dispatch lists (the fast path, "Dispatch lists" in <linux/ghost.h>).
 * A policy that sets dispatch_flags (or ctx->dispatch_flags in init) gets
 * them on each of its CPUs when it is installed (the runtime clears them
 * on every other CPU), and may
 * publish, per CPU, the threads that should run next there with
 * ghost_policy_dl_push(): when the CPU's thread blocks, yields or is
 * preempted, the module runs the next valid entry itself and the policy
 * learns it from task_latched().  The runtime kicks a CPU that has no
 * thread after schedule() returns.  An entry cannot be taken back: it
 * goes stale when the thread's barrier moves (a message is then on its
 * way) and the module skips it.  So a policy must never commit a thread
 * it has published with its current barrier, and a thread runs at most
 * once from its entries.  To move a listed thread, list it on its new
 * CPU too: the module runs it from whichever list reaches it first and
 * skips the other entry (the thread is no longer runnable, or its
 * barrier moved).  Without dispatch lists (an older module) the
 * ghost_policy_dl_*() calls return -EOPNOTSUPP: decide by commits.
 * Entries outlive a hot swap within one agent process; the new policy
 * reads them with ghost_policy_dl_entries() and may get TASK_LATCHED for
 * threads it holds as runnable, or does not know.
 */
#ifndef _GHOST_POLICY_H
#define _GHOST_POLICY_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/ghost.h>
#include <ghost/app_hint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bumped on any incompatible change of the structures below or of those
 * they pass, such as struct ghost_app_hint (5: its period_ns).
 */
#define GHOST_POLICY_ABI_VERSION	5
#define GHOST_POLICY_SYMBOL		"ghost_policy"

enum ghost_policy_model {
	GHOST_POLICY_PER_CPU		= 1,
	GHOST_POLICY_CENTRALIZED	= 2,
};

/* struct ghost_policy_ops->flags */
#define GHOST_POLICY_F_TICKS	(1U << 0)	/* wants CPU_TICK messages */
#define GHOST_POLICY_F_CONCURRENT (1U << 1)	/* see "Concurrent callbacks" */

struct ghost_policy_ctx;

/* What the runtime offers a policy; call through the wrappers below. */
struct ghost_policy_host {
	int (*run)(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		   __u32 barrier);
	__u64 (*now_ns)(struct ghost_policy_ctx *ctx);
	int (*task_cpu)(struct ghost_policy_ctx *ctx, __u64 gtid);
	void (*log)(struct ghost_policy_ctx *ctx, const char *msg);
	void (*error)(struct ghost_policy_ctx *ctx, const char *reason);
	int (*dl_push)(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		       __u32 barrier);
	int (*dl_outstanding)(struct ghost_policy_ctx *ctx, int cpu);
	int (*dl_set_flags)(struct ghost_policy_ctx *ctx, int cpu,
			    __u32 flags);
	int (*dl_entries)(struct ghost_policy_ctx *ctx, int cpu,
			  struct ghost_dispatch_entry *out, int max);
	int (*task_allowed)(struct ghost_policy_ctx *ctx, __u64 gtid, int cpu);
	/*
	 * Appended later: present only if ctx->host_size covers it (see
	 * ghost_policy_hint()).
	 */
	int (*hint)(struct ghost_policy_ctx *ctx, __u64 gtid,
		    struct ghost_app_hint *out);
	int (*wake)(struct ghost_policy_ctx *ctx, int cpu);
};

/* One policy instance, as the runtime sets it up before init(). */
struct ghost_policy_ctx {
	__u32 size;		/* sizeof(struct ghost_policy_ctx) of the runtime */
	__u32 enclave_id;
	int model;		/* enum ghost_policy_model */
	int global_cpu;		/* CENTRALIZED: the agent's CPU; else -1 */
	int nr_cpu_ids;		/* every CPU number is below this */
	int nr_cpus;		/* entries of cpus[] */
	const int *cpus;	/* CPUs to run threads on, ascending */
	const int *cpu_node;	/* NUMA node of each CPU number */
	const struct ghost_policy_host *host;
	void *host_data;	/* the runtime's */
	void *priv;		/* the policy's */
	/*
	 * GHOST_DL_F_* of the dispatch lists of cpus[]: ops->dispatch_flags
	 * until init changes it (e.g. from an option); the runtime applies
	 * it when the instance is installed.
	 */
	__u32 dispatch_flags;
	/*
	 * sizeof(struct ghost_policy_host) of the runtime: callbacks past
	 * it do not exist (0 from runtimes older than the field).
	 */
	__u32 host_size;
	__u64 resv[3];
};

struct ghost_policy_ops {
	__u32 abi_version;	/* GHOST_POLICY_ABI_VERSION */
	__u32 size;		/* sizeof(struct ghost_policy_ops) */
	const char *name;
	int model;		/* enum ghost_policy_model */
	__u32 flags;		/* GHOST_POLICY_F_* */
	/*
	 * Name of the export_state() format, e.g. "ghost-fifo-v1", or NULL.
	 * A hot swap hands state over only between equal formats; otherwise
	 * the new policy rediscovers every thread from TASK_NEW messages.
	 */
	const char *state_format;
	const char *help;	/* one line per --opt, or NULL */
	/* GHOST_DL_F_* for the dispatch list of each of ctx->cpus. */
	__u32 dispatch_flags;
	__u32 resv;

	/* Required. 0 or a negative errno (the agent then refuses it). */
	int (*init)(struct ghost_policy_ctx *ctx, const char *const opts[]);
	/* Optional: frees what init() and the run made, once, last. */
	void (*fini)(struct ghost_policy_ctx *ctx);

	/* Required: the life of a thread. */
	void (*task_new)(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
			 const struct ghost_msg_task_new *p);
	void (*task_wakeup)(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task_wakeup *p);
	void (*task_blocked)(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p);
	void (*task_preempt)(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p);
	void (*task_yield)(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_task *p);
	void (*task_dead)(struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m,
			  const struct ghost_msg_task *p);
	void (*task_departed)(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_task *p);

	/* Optional. */
	void (*task_affinity_changed)(struct ghost_policy_ctx *ctx,
				      const struct ghost_msg *m,
				      const struct ghost_msg_task *p);
	void (*task_on_cpu)(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_task *p);
	void (*task_priority_changed)(struct ghost_policy_ctx *ctx,
				      const struct ghost_msg *m,
				      const struct ghost_msg_task_priority *p);
	/* The module ran @p->gtid on @p->cpu from that CPU's dispatch list. */
	void (*task_latched)(struct ghost_policy_ctx *ctx,
			     const struct ghost_msg *m,
			     const struct ghost_msg_task *p);
	void (*cpu_tick)(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
			 const struct ghost_msg_cpu *p);
	void (*cpu_available)(struct ghost_policy_ctx *ctx,
			      const struct ghost_msg *m,
			      const struct ghost_msg_cpu *p);
	void (*cpu_busy)(struct ghost_policy_ctx *ctx, const struct ghost_msg *m,
			 const struct ghost_msg_cpu *p);
	/*
	 * Hotplug took @p->cpu away: run nothing there (commits fail with
	 * GHOST_TXN_CPU_UNAVAIL, its list was emptied) until cpu_online().
	 * A new instance is told of CPUs offline when it starts (@m->seqnum
	 * 0).  A policy without it keeps threads waiting for that CPU.
	 */
	void (*cpu_offline)(struct ghost_policy_ctx *ctx,
			    const struct ghost_msg *m,
			    const struct ghost_msg_cpu *p);
	/* @p->cpu is back, its list empty. */
	void (*cpu_online)(struct ghost_policy_ctx *ctx,
			   const struct ghost_msg *m,
			   const struct ghost_msg_cpu *p);

	/* Required: decide (PER_CPU: for @cpu; CENTRALIZED: @cpu is -1). */
	void (*schedule)(struct ghost_policy_ctx *ctx, int cpu);
	/*
	 * The outcome (enum ghost_txn_state) of each ghost_policy_run().
	 * What a per-CPU agent asked for its own CPU is committed as it
	 * goes to sleep and reported at that CPU's next round: the thread
	 * may have run, and its later messages (drained by another agent)
	 * may have reached the policy first, even a new request for it on
	 * another CPU.  A CPU has one request in flight at a time, so an
	 * outcome whose @cpu is not the CPU the policy last asked for the
	 * thread is an earlier request's, and says nothing of the thread
	 * now.
	 */
	void (*commit_done)(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			    int state);
	/* Optional: called with the time on every agent loop iteration. */
	void (*tick)(struct ghost_policy_ctx *ctx, __u64 now_ns);

	/*
	 * Required with a state_format.  export_state() writes at most @len
	 * bytes and returns how many it needs (call again with a larger
	 * buffer if that is more than @len), or a negative errno.
	 * import_state() runs on a freshly initialised instance.
	 */
	long (*export_state)(struct ghost_policy_ctx *ctx, void *buf,
			     size_t len);
	int (*import_state)(struct ghost_policy_ctx *ctx, const void *buf,
			    size_t len);

	/*
	 * Optional: describe thread @gtid as the policy sees it, into @buf
	 * (at most @len bytes, NUL included), as space-separated key=value
	 * words whose values hold no space:
	 *
	 *	state=S      first, always: blocked, queued, oncpu, or a
	 *	             policy's own word (e.g. committing, idle)
	 *	barrier=N    the last barrier the policy saw for it
	 *	queue=NAME   where it waits when queued (e.g. cpu2, qos1)
	 *	pos=N        its place there, 0 first to run
	 *	...          anything else the policy keeps (vruntime=,
	 *	             deadline=, qos=, ...)
	 *
	 * Returns the length of the whole description (like snprintf: more
	 * than @len - 1 if it was cut), or -ENOENT for a thread the policy
	 * does not know.  Called under the same serialisation as the rest;
	 * it must not change the policy's state.
	 */
	int (*describe)(struct ghost_policy_ctx *ctx, __u64 gtid, char *buf,
			size_t len);
};

/*
 * The one symbol of a policy:
 *
 *	GHOST_POLICY_DEFINE(fifo_per_cpu,
 *		.model		= GHOST_POLICY_PER_CPU,
 *		.init		= fifo_init,
 *		...);
 *
 * Build with -fvisibility=hidden so that nothing else is exported.
 */
#define GHOST_POLICY_DEFINE(__name, ...)				\
	__attribute__((visibility("default")))				\
	const struct ghost_policy_ops ghost_policy = {			\
		.abi_version	= GHOST_POLICY_ABI_VERSION,		\
		.size		= sizeof(struct ghost_policy_ops),	\
		.name		= #__name,				\
		__VA_ARGS__						\
	}

/*
 * Ask for @gtid (with its last seen @barrier) to run on @cpu, committed
 * after schedule() returns; GHOST_NULL_GTID leaves @cpu idle.  -EBUSY if
 * @cpu already has a request in this round, -EINVAL if the runtime does
 * not serve @cpu (e.g. the global CPU of a centralized policy).
 */
static inline int ghost_policy_run(struct ghost_policy_ctx *ctx, int cpu,
				   __u64 gtid, __u32 barrier)
{
	return ctx->host->run(ctx, cpu, gtid, barrier);
}

/*
 * May @gtid run on @cpu?  Its affinity (within its cpuset) is honoured:
 * a commit or list entry elsewhere fails.  The runtime learns a thread's
 * CPUs from TASK_AFFINITY_CHANGED and refused commits, before the policy
 * sees either.  1 if the runtime does not know of a restriction.
 */
static inline int ghost_policy_task_allowed(struct ghost_policy_ctx *ctx,
					    __u64 gtid, int cpu)
{
	return !ctx->host->task_allowed ||
	       ctx->host->task_allowed(ctx, gtid, cpu);
}

/*
 * The hint thread @gtid's process published (<ghost/app_hint.h>) into
 * @out: 0, or -ENOENT if it published none (no region, no slot, or a
 * slot being rewritten too often to be read), or if the runtime reads no
 * hints.  Policies must work without: treat a thread without a hint as
 * GHOST_HINT_QOS_DEFAULT, runnable as the kernel says.
 */
static inline int ghost_policy_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
				    struct ghost_app_hint *out)
{
	if (ctx->host_size < offsetof(struct ghost_policy_host, hint) +
			     sizeof(ctx->host->hint) || !ctx->host->hint)
		return -ENOENT;
	return ctx->host->hint(ctx, gtid, out);
}

/*
 * @cpu has new work (GHOST_POLICY_F_CONCURRENT): schedule(ctx, @cpu)
 * soon, from the calling agent at the end of its round if @cpu's sleeps,
 * else from @cpu's agent.  Nothing happens when every CPU is decided for
 * in each round (without the flag, or a runtime older than this call),
 * or for the CPU whose round calls it.  0, or -EINVAL for a CPU the
 * runtime does not serve.
 */
static inline int ghost_policy_wake(struct ghost_policy_ctx *ctx, int cpu)
{
	if (ctx->host_size < offsetof(struct ghost_policy_host, wake) +
			     sizeof(ctx->host->wake) || !ctx->host->wake)
		return 0;
	return ctx->host->wake(ctx, cpu);
}

/* CLOCK_MONOTONIC in ns (a simulated clock in tests). */
static inline __u64 ghost_policy_now(struct ghost_policy_ctx *ctx)
{
	return ctx->host->now_ns(ctx);
}

/* The CPU @gtid is committed to according to the kernel, or -1. */
static inline int ghost_policy_task_cpu(struct ghost_policy_ctx *ctx,
					__u64 gtid)
{
	return ctx->host->task_cpu(ctx, gtid);
}

/*
 * Append "run @gtid (barrier @barrier) next" to @cpu's dispatch list.
 * -ENOSPC when GHOST_DISPATCH_SLOTS entries are outstanding, -EINVAL if
 * the runtime does not serve @cpu, -EOPNOTSUPP without dispatch lists.
 */
static inline int ghost_policy_dl_push(struct ghost_policy_ctx *ctx, int cpu,
				       __u64 gtid, __u32 barrier)
{
	return ctx->host->dl_push(ctx, cpu, gtid, barrier);
}

/* Entries of @cpu's list the module has not consumed yet, or -errno. */
static inline int ghost_policy_dl_outstanding(struct ghost_policy_ctx *ctx,
					      int cpu)
{
	return ctx->host->dl_outstanding(ctx, cpu);
}

/* Change @cpu's GHOST_DL_F_* flags from what dispatch_flags set. */
static inline int ghost_policy_dl_set_flags(struct ghost_policy_ctx *ctx,
					    int cpu, __u32 flags)
{
	return ctx->host->dl_set_flags(ctx, cpu, flags);
}

/* Up to @max outstanding entries of @cpu's list, oldest first. */
static inline int ghost_policy_dl_entries(struct ghost_policy_ctx *ctx,
					  int cpu,
					  struct ghost_dispatch_entry *out,
					  int max)
{
	return ctx->host->dl_entries(ctx, cpu, out, max);
}

static inline void ghost_policy_log(struct ghost_policy_ctx *ctx,
				    const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void ghost_policy_log(struct ghost_policy_ctx *ctx,
				    const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->host->log(ctx, buf);
}

/*
 * An error the policy cannot recover from: the agent reports @reason and
 * shuts down cleanly (the enclave's threads go back to the normal
 * scheduler if the agent created it).
 */
static inline void ghost_policy_error(struct ghost_policy_ctx *ctx,
				      const char *reason)
{
	ctx->host->error(ctx, reason);
}

/* The value of option @key in @opts ("key=value"), or NULL. */
static inline const char *ghost_policy_opt(const char *const opts[],
					   const char *key)
{
	size_t n = strlen(key);

	for (; opts && *opts; opts++) {
		if (!strncmp(*opts, key, n) && (*opts)[n] == '=')
			return *opts + n + 1;
	}
	return NULL;
}

/*
 * The first option of @opts whose key is not in @known (NULL-terminated),
 * or NULL if all are known.
 */
static inline const char *ghost_policy_opt_unknown(const char *const opts[],
						   const char *const known[])
{
	const char *const *k;
	size_t n;

	for (; opts && *opts; opts++) {
		n = strcspn(*opts, "=");
		for (k = known; *k; k++) {
			if (strlen(*k) == n && !strncmp(*opts, *k, n))
				break;
		}
		if (!*k)
			return *opts;
	}
	return NULL;
}

#ifdef __cplusplus
}
#endif

#endif /* _GHOST_POLICY_H */
