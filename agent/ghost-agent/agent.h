/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost-agent: the state shared by its parts.
 *
 *   main.c      command line, start-up, signals, shutdown
 *   runtime.c   agent threads, the message/decision/commit loop
 *   instance.c  loading a policy and setting up its context
 *   swap.c      hot swap of the policy of a running agent
 *   control.c   the UNIX control socket (status, swap, handover, hints)
 *   hints.c     the hint regions applications registered
 *
 * Locking: rt->lock serialises everything that touches the queues, the
 * transaction slots and the policy, i.e. one "round" of an agent, and the
 * swap.  Agents park on rt->park_cond while rt->paused is set.  One
 * exception: a per-CPU agent commits the slot of its own CPU after the
 * round, without the lock, as it goes to sleep; the slot is "in flight"
 * (rt->inflight) until a round or the swap reports its outcome under the
 * lock, and nobody else fills it meanwhile.
 *
 * Local rounds (rt->local): a per-CPU policy with GHOST_POLICY_F_CONCURRENT
 * is driven without rt->lock.  The agent of CPU c takes rt->round_lock[c]
 * only, drains its own queue and decides for c alone; agents of different
 * CPUs run their rounds at the same time.  rt->q, drained by whoever has
 * no queue of its own, takes rt->q_lock too, and the CPU-hotplug news of
 * the policy rt->hp_lock.  Whatever must see no round at all (a swap,
 * "status", hint regions) takes rt->lock and every round lock: rt_lock().
 * The runtime's tables (threads, routes, affinity, hint cache, offline
 * CPUs) are under rt->tab_lock in both kinds of round, a leaf lock.
 *
 * Queues: the default queue (rt->q) gets new threads, and is the one the
 * agent of the global CPU waits on.  Every other CPU gets a queue of its
 * own (rt->cpu_q) when its first per-CPU agent starts: its agent waits on
 * it, and it has the CPU's messages and those of the threads last
 * committed to the CPU, so a message wakes one agent, not all.  A CPU's
 * queue lives as long as the process: under a centralized policy the
 * spinning agent keeps draining it.  A round drains every queue, whoever
 * runs it.
 *
 * With --idle-sleep the centralized agent sleeps on rt->q once it has had
 * nothing to do for that long and nothing waits for a CPU; every CPU
 * queue then names the global CPU in its wakeup list, so that a message
 * in any queue wakes it (rt->wake_global, under lock).
 */
#ifndef _GHOST_AGENT_AGENT_H
#define _GHOST_AGENT_AGENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <ghost/libghost.h>
#include <ghost/policy.h>
#include <ghost/policy_util.h>

#define AGENT_NAME		"ghost-agent"
#define AGENT_MAX_OPTS		32
#define AGENT_QUEUE_ELEMS	65536
#define AGENT_CPU_QUEUE_ELEMS	8192	/* each per-CPU agent's own */
#define AGENT_DEFAULT_QID	1	/* rt->routes value of rt->q */
#define AGENT_MAX_THREADS	16384
/* The longest policy description of a thread (describe op), NUL included. */
#define DESCRIBE_MAX		160
#define AGENT_WAIT_MS		100	/* idle agents re-check flags */
#define AGENT_IDLE_MS		1000	/* longest wait of a per-CPU agent */
#define AGENT_NAP_MS		1	/* first sleep of an idle centralized agent */
#define AGENT_NAP_MAX_MS	32	/* its longest, after naps that found nothing */
#define STEP_ASIDE_MS		1	/* longest the agent lets others run */
#define STEP_ASIDE_POLL_MS	10	/* and how often it does unasked */
#define STEP_ASIDE_ROUNDS	1024	/* rounds between looks at the clock */
#define AGENT_MAX_HINT_PROCS	64	/* processes with a hint region */

struct recorder;

/* A policy loaded and initialised for this enclave. */
struct instance {
	struct ghost_policy_lib lib;
	const struct ghost_policy_ops *ops;
	struct ghost_policy_ctx ctx;
	char *opts[AGENT_MAX_OPTS + 1];	/* "key=value", NULL-terminated */
	int cpus[GHOST_MAX_CPUS];	/* ctx.cpus */
	int initialised;
	struct rt *rt;
	/* The offline CPUs as told to the policy, at rt->hotplug_gen. */
	struct ghost_cpuset offline;
	unsigned int hotplug_gen;
};

struct agent_thread {
	struct rt *rt;
	pthread_t th;
	int cpu;
	int started;
	atomic_int attached;
	atomic_int retire;		/* leave: the model changed */
	atomic_int done;		/* the thread is finished */
	int err;			/* why attaching failed */
	int own_q;			/* waits on rt->cpu_q[cpu] */
	atomic_int round_asked;		/* local rounds: another CPU's asked */
	uint64_t idle_since;		/* first round with no decision, or 0 */
	unsigned int nap_ms;		/* its next sleep; 0: AGENT_NAP_MS */
	int napped;			/* its last sleep ended with nothing */
	__u32 wanted_seen;		/* its CPU word's wanted, last look */
	unsigned int step_rounds;	/* rounds, for step_aside_due() */
	uint64_t step_next_ns;		/* when to step aside unasked */
};

/* The queue of one CPU's agents (see above). */
struct cpu_queue {
	struct ghost_queue q;
	atomic_int ready;		/* q is usable (release/acquire) */
	uintptr_t qid;			/* > AGENT_DEFAULT_QID, unique */
	unsigned int overflow_seen;
};

/* A process's hint region (hints.c). */
struct hint_proc {
	struct ghost_hint_region region;	/* mapped read-only */
	pid_t tgid;
	int pidfd;			/* readable once the process is gone */
};

struct stats {
	atomic_uint_fast64_t msgs;
	atomic_uint_fast64_t commits;	/* slots that reached COMPLETE */
	atomic_uint_fast64_t failed[GHOST_TXN_NR_STATES];
	atomic_uint_fast64_t bad_msgs;	/* too short for their type */
	atomic_uint_fast64_t rounds;
	atomic_uint_fast64_t overflows;	/* recoveries by rediscovery */
	atomic_uint_fast64_t rediscover_failed;	/* DISCOVERs that failed */
	atomic_uint_fast64_t routes;	/* threads moved to another queue */
	atomic_uint_fast64_t dispatched;	/* CPUs fed by GHOST_IOC_DISPATCH */
	/* Requests a policy made: ghost_policy_run() and _dl_push() taken. */
	atomic_uint_fast64_t decisions;
	atomic_uint_fast64_t idle_sleeps;	/* --idle-sleep: naps taken */
	/* Times the spinning agent let other tasks have its CPU. */
	atomic_uint_fast64_t stepped_aside;
	atomic_uint_fast64_t local_rounds;	/* rounds without rt->lock */
	/* Local: decisions made for a CPU by another CPU's agent. */
	atomic_uint_fast64_t helped_rounds;
};

struct rt {
	unsigned int id;
	int created;			/* we created the enclave: destroy it */
	struct ghost_enclave enc;
	struct ghost_queue q;
	struct ghost_topology topo;
	int cpu_node[GHOST_MAX_CPUS];
	int ecpus[GHOST_MAX_CPUS];	/* the enclave's CPUs, ascending */
	int nr_ecpus;
	int global_cpu;			/* for centralized policies */
	uint64_t idle_sleep_ns;		/* --idle-sleep, 0: always spin */
	int serial_rounds;		/* --serial-rounds: never local */
	int wake_global;		/* CPU queues wake the global CPU */
	const char *const *policy_dirs;

	pthread_mutex_t lock;
	struct instance *pol;		/* under lock */
	atomic_int model;		/* pol's, readable without lock */
	atomic_int local;		/* pol's rounds are local (see above) */
	pthread_mutex_t round_lock[GHOST_MAX_CPUS];	/* local rounds, by CPU */
	pthread_mutex_t q_lock;		/* drains of rt->q in local rounds */
	pthread_mutex_t hp_lock;	/* hotplug_sync() in local rounds */
	pthread_mutex_t tab_lock;	/* tables: threads .. hint_cache */

	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	atomic_int paused;
	atomic_int stop;

	struct agent_thread agents[GHOST_MAX_CPUS];	/* by CPU */

	/*
	 * One round's requests, by CPU: what the round of that CPU's agent
	 * (local) or the one round at a time (rt->lock) asked for.  Which
	 * CPUs have one is the round's own (runtime.c).
	 */
	__u64 pending_gtid[GHOST_MAX_CPUS];
	__u32 pending_barrier[GHOST_MAX_CPUS];
	unsigned int overflow_seen;	/* of rt->q */
	int rediscover_err;		/* last failed DISCOVER, or 0 */
	struct cpu_queue cpu_q[GHOST_MAX_CPUS];	/* by CPU */
	int commit_err;			/* last GHOST_IOC_COMMIT errno */
	/*
	 * Own-CPU commits an agent makes as it sleeps: a CPU's bit and
	 * entries change under its round (atomic bit operations).
	 */
	struct ghost_cpuset inflight;
	__u64 inflight_gtid[GHOST_MAX_CPUS];
	__u32 inflight_barrier[GHOST_MAX_CPUS];
	int kick_err;			/* last GHOST_IOC_DISPATCH errno */
	/* Enclave CPUs hotplug took away (CPU_OFFLINE), under lock. */
	struct ghost_cpuset offline;
	unsigned int hotplug_gen;	/* bumped at each change */

	/* Threads the kernel told us about: gtid -> status word + 1. */
	struct gp_table threads;
	/* gtid -> qid of the queue it is associated with (unknown: none). */
	struct gp_table routes;
	/* gtid -> malloc'd ghost_cpuset: threads not allowed on every CPU. */
	struct gp_table affinity;

	struct stats st;
	uint64_t start_ns;
	unsigned int swaps;
	uint64_t last_blackout_ns;
	const char *last_handover;	/* "export" or "discover" */

	atomic_int failed;		/* a policy gave up */
	char fail_reason[256];
	atomic_int handed_over;		/* a new agent process took over */
	void *state_buf;		/* hand-over buffer */
	size_t state_len;

	/* Hint regions (hints.c), under lock. */
	struct hint_proc hints[AGENT_MAX_HINT_PROCS];
	int nr_hints;
	struct gp_table hint_cache;	/* gtid -> tgid, slot (hints.c) */

	/* --record: every policy instance is recorded, or NULL. */
	struct recorder *rec;
	const char *rec_path;
};

/* runtime.c */
uint64_t rt_now_ns(void);
int rt_init(struct rt *rt);
void rt_destroy(struct rt *rt);
int rt_start_agent(struct rt *rt, int cpu);
int rt_wait_attached(struct rt *rt, int cpu);
void rt_retire_agent(struct rt *rt, int cpu);
void rt_kick_agent(struct rt *rt, int cpu);
void rt_reap_agents(struct rt *rt);
void rt_stop_agents(struct rt *rt);
void rt_pause(struct rt *rt);
void rt_resume(struct rt *rt);
void rt_lock(struct rt *rt);
void rt_unlock(struct rt *rt);
void rt_install(struct rt *rt, struct instance *in);
int rt_drain(struct rt *rt);
int rt_discover(struct rt *rt);
int rt_nr_agents(struct rt *rt);
void rt_apply_ticks(struct rt *rt, const struct ghost_policy_ops *ops);
void rt_apply_dispatch(struct rt *rt, struct instance *in);
void rt_settle_inflight(struct rt *rt, int all);
void rt_reset_slots(struct rt *rt);
void rt_check_throttling(void);
int rt_wake_global(struct rt *rt, int on);
extern const struct ghost_policy_host rt_host;

/* instance.c */
struct instance *instance_load(struct rt *rt, const char *name,
			       char *const opts[], int nr_opts, char *msg,
			       size_t len);
void instance_free(struct instance *in);
const char *model_name(int model);

/* swap.c */
struct swap_result {
	uint64_t blackout_ns;
	const char *handover;		/* "export" or "discover" */
	unsigned int threads;
};

int agent_swap(struct rt *rt, const char *name, char *const opts[],
	       int nr_opts, int rediscover, struct swap_result *res, char *msg,
	       size_t len);

/* hints.c */
/*
 * Map the region behind @fd (validated) for process @tgid, replacing the
 * one it had.  0, or -errno with the reason in @msg.
 */
int hints_register(struct rt *rt, int fd, pid_t tgid, char *msg, size_t len);
/* Drop the regions of processes that are gone. */
void hints_reap(struct rt *rt);
void hints_free(struct rt *rt);
/* @gtid is gone: forget what was cached of it (under lock). */
void hints_forget(struct rt *rt, __u64 gtid);
/* @gtid's hint (under lock): 0, or -ENOENT if it published none. */
int hints_lookup(struct rt *rt, __u64 gtid, struct ghost_app_hint *out);
unsigned int hints_nr(struct rt *rt);

/* control.c */
int control_open(struct rt *rt);
void control_close(struct rt *rt);
/*
 * Wait up to @ms (< 0: no limit) for signalfd @sfd to be readable while
 * serving the clients of the control socket; 1 if it is.  Never blocks
 * on a client.
 */
int control_poll(struct rt *rt, int sfd, int ms);
void control_sample(struct rt *rt);
extern int control_fd;

#endif /* _GHOST_AGENT_AGENT_H */
