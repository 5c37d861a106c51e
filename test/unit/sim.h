/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests: a small deterministic model of the kernel side of ghost, to
 * drive a policy plugin with synthetic message streams.
 *
 * Threads change state when a test says so (sim_block(), sim_wakeup(),
 * ...); each change bumps the thread's barrier and writes the message the
 * module would into a real ring in memory.  sim_round() then plays the
 * agent: it drains the ring into the policy with libghost's queue and
 * dispatch code, calls schedule(), and commits the policy's requests as
 * the module's GHOST_IOC_COMMIT would (barrier check, preempting the
 * thread on the CPU, ...), logging each commit and reporting it back.
 *
 * Dispatch lists are modelled as the module keeps them: when a CPU's
 * thread blocks, yields, exits or is preempted by the kernel, its enabled
 * list is consumed (stale entries skipped, TASK_LATCHED for the one that
 * runs); a thread that wakes while its last CPU is free runs at once
 * under RUN_ON_WAKE; entries published for a CPU without a thread are run
 * by the kick the agent issues after its round.
 *
 * CPU hotplug is modelled as the module does it: sim_cpu_offline()
 * preempts the CPU's thread (TASK_PREEMPT), empties its list and sends
 * CPU_OFFLINE; until sim_cpu_online() (which empties the list again and
 * sends CPU_ONLINE) commits to the CPU fail with GHOST_TXN_CPU_UNAVAIL and
 * neither its list nor a wakeup runs anything there.
 */
#ifndef _GHOST_TEST_SIM_H
#define _GHOST_TEST_SIM_H

#include <ghost/libghost.h>
#include <ghost/policy.h>

#define SIM_MAX_THREADS	256
#define SIM_MAX_CPUS	16
#define SIM_MAX_LOG	4096
#define SIM_RING_SLOTS	1024

/* Per thread, for the block "Time, nice and affinity" at the end. */
struct sim_thread_x {
	int nice;		/* TASK_NEW and TASK_PRIORITY_CHANGED say it */
	unsigned int allowed;	/* CPUs it may run on, a bit each; 0: all */
	unsigned int known;	/* what ghost-agent knows of them; 0: all */
	__u64 on_since;		/* when it got the CPU it holds */
	__u64 ran_ns;		/* CPU time, as the clock moved */
};

/* Per machine, for the same block. */
struct sim_x {
	int nr_ticks;		/* CPU_TICK messages sent */
	int nr_sliced;		/* threads a commit took a CPU from */
	__u64 min_sliced_ns;	/* the shortest time one of those had it */
	int nr_not_allowed;	/* commits refused: GHOST_TXN_CPU_NOT_ALLOWED */
	int affinity_asks;	/* commits, entries where ghost-agent knew
				 * the thread may not run */
	int affinity_runs;	/* threads placed where they may not run */
};

enum sim_state {
	SIM_BLOCKED,
	SIM_RUNNABLE,
	SIM_RUNNING,
	SIM_GONE,
};

struct sim_thread {
	__u64 gtid;
	__u32 barrier;
	int state;		/* enum sim_state */
	int cpu;		/* SIM_RUNNING: where */
	int hidden;		/* commits fail TARGET_NOT_FOUND this often */
	int last_cpu;		/* where it last ran (RUN_ON_WAKE), or -1 */
	__u32 passed;		/* GHOST_DL_AFFINE: passed over since placed */
	int parent;		/* the thread that created it, or -1 */
	struct sim_thread_x x;
};

struct sim_commit {
	int cpu;
	__u64 gtid;
	int state;		/* enum ghost_txn_state */
	unsigned int round;
};

struct sim {
	struct ghost_policy_lib lib;
	const struct ghost_policy_ops *ops;
	struct ghost_policy_ctx ctx;
	int cpus[SIM_MAX_CPUS];
	int old_cpus[SIM_MAX_CPUS];	/* the swapped-out instance's */
	int cpu_node[SIM_MAX_CPUS];
	int enclave[SIM_MAX_CPUS];	/* 1 if the CPU is in the enclave */

	struct sim_thread t[SIM_MAX_THREADS];
	int nr_threads;
	int cur[SIM_MAX_CPUS];		/* thread index running there, or -1 */

	struct ghost_queue q;
	void *ring_mem;
	__u32 head;			/* the "kernel's" copy */

	struct {
		int used;
		__u64 gtid;
		__u32 barrier;
	} req[SIM_MAX_CPUS];

	struct sim_commit log[SIM_MAX_LOG];
	int nr_log;
	unsigned int round;
	int global_violations;		/* threads asked onto the global CPU */
	int failed;			/* the policy called error() */
	__u64 now;			/* ns */
	char last_log[256];
	/* Called once between schedule() and the commits, if set. */
	void (*before_commit)(struct sim *s);

	struct ghost_dispatch_list dl[SIM_MAX_CPUS];
	int pushed[SIM_MAX_CPUS];	/* pushed to this round: kick */
	int no_lists;			/* an older module: no dispatch lists */
	int latched_first;		/* LATCHED overtakes the leaver's message */
	int nr_latched;			/* threads run from a list */
	int nr_run_on_wake;
	int nr_run_new;
	int nr_stale;			/* entries skipped */
	int nr_bad;			/* lists dropped as malformed */
	int nr_kicks;			/* GHOST_IOC_DISPATCH that ran a thread */
	int double_decisions;		/* commit of a thread validly listed */

	/* CPU hotplug: the kernel's view, and what the policy was told. */
	int offline[SIM_MAX_CPUS];	/* not active: nothing runs there */
	int told_offline[SIM_MAX_CPUS];	/* the policy heard CPU_OFFLINE */
	int nr_unavail;			/* commits refused: offline */
	int offline_asks;		/* commits, entries for it then */
	int offline_runs;		/* threads placed on an offline CPU */

	struct sim_x x;			/* time, nice and affinity */
	unsigned long host_calls;	/* host calls, once sim_count_host() */
	/* Application hints: what ghost_policy_hint() returns per thread. */
	struct ghost_app_hint hint[SIM_MAX_THREADS];
	int has_hint[SIM_MAX_THREADS];	/* 1 set, 2 being rewritten */
	int nr_hint_reads;
};

/*
 * 1 (the default): the module has dispatch lists.  0: an older module
 * without them, so policies decide by commits.  Read by sim_init().
 */
extern int sim_lists;

/*
 * If set, sim_init() and the swaps call it once the new policy's context
 * is set up, just before the policy's init: it may wrap s->ops and s->ctx.host (as the
 * recorder of ghost-agent --record does).
 */
extern void (*sim_before_init)(struct sim *s, const char *const opts[]);

/*
 * Load the policy @name from the build's policies and set up a machine of
 * CPUs 0 .. @nr_cpus - 1, all in the enclave; @global_cpu is the
 * centralized agent's (ignored for per-CPU policies).  Returns init's
 * result; ck_assert()s on everything else.
 */
int sim_init(struct sim *s, const char *name, int nr_cpus, int global_cpu,
	     const char *const opts[]);
void sim_fini(struct sim *s);

/* A new thread (TASK_NEW); returns its index. */
int sim_new(struct sim *s, int runnable);
/* A runnable thread created by thread @parent (TASK_NEW names it). */
int sim_child(struct sim *s, int parent);
/*
 * A runnable thread that joins on @cpu: with GHOST_DL_F_RUN_NEW there,
 * @cpu free and nothing listed, the module runs it at once (TASK_NEW not
 * runnable, then TASK_LATCHED), as ghost_dispatch_run_new_locked().
 */
int sim_new_on(struct sim *s, int cpu);
void sim_wakeup(struct sim *s, int i);
void sim_block(struct sim *s, int i);
void sim_yield(struct sim *s, int i);
/* Preempted by the kernel (not by a commit), e.g. an affinity change. */
void sim_preempt(struct sim *s, int i);
void sim_exit(struct sim *s, int i);
void sim_tick(struct sim *s, int cpu);

/* Drain, schedule, commit; returns the number of commits. */
int sim_round(struct sim *s);
/* Rounds until one commits nothing (at most @max). */
void sim_settle(struct sim *s, int max);
/* Only deliver the pending messages. */
void sim_drain(struct sim *s);

/* The thread index running on @cpu, or -1. */
int sim_running(const struct sim *s, int cpu);
/* CPU of thread @i if running, else -1. */
int sim_cpu_of(const struct sim *s, int i);
/*
 * The policy's describe op on thread @i (a static buffer), or "ENOENT";
 * ck_assert()s that the op exists and its length is right.
 */
const char *sim_describe(struct sim *s, int i);

/* 1 if an enabled list holds a valid entry of thread @i. */
int sim_is_listed(const struct sim *s, int i);
/* Entries of @cpu's list not consumed yet. */
int sim_listed(const struct sim *s, int cpu);
/* The module drops every list (last agent gone, DISCOVER). */
void sim_drop_lists(struct sim *s);

/*
 * Every thread not gone has @work slices to do: wake the blocked ones,
 * then run rounds, each running thread doing a slice (then sleeping and
 * waking again) and exiting after its last.  @ran_on[i] (if not NULL)
 * gets bit 1 << cpu for each CPU thread i ran on meanwhile.  Returns how
 * many threads did not finish.
 */
int sim_run_all(struct sim *s, int work, unsigned int *ran_on);

/*
 * Hotplug takes @cpu (an enclave CPU, online) away, or gives it back.
 * The policy hears of it at the next drain.
 */
void sim_cpu_offline(struct sim *s, int cpu);
void sim_cpu_online(struct sim *s, int cpu);

/*
 * Swap policies as ghost-agent does; returns 1 if state was exported.
 * The new policy is told of the CPUs offline before any other message,
 * as ghost-agent's hotplug_sync() does.
 */
int sim_swap(struct sim *s, const char *name, const char *const opts[]);
/* The same, rediscovering the threads even if state could be handed over. */
int sim_swap_rediscover(struct sim *s, const char *name,
			const char *const opts[]);

/* ------------------------------------------------------------------ */
/* Time, nice and affinity                                             */
/* ------------------------------------------------------------------ */

/*
 * The clock (s->now) moves only when a test says so.  sim_run_for() lets
 * every thread that holds a CPU run for a while, in steps; after each
 * step every online enclave CPU gets a CPU_TICK if the policy asked for
 * ticks (GHOST_POLICY_F_TICKS, as ghost-agent sets deliver_ticks), and
 * rounds run until nothing more is decided.  A thread's CPU time is the
 * clock's progress while it held a CPU; a thread a commit takes a CPU
 * from is counted with the time it had it (nr_sliced, min_sliced_ns).
 *
 * Nice values travel as the module sends them: in TASK_NEW (discovery
 * included) and in TASK_PRIORITY_CHANGED, under a new barrier.
 *
 * Affinity is modelled as the module and ghost-agent see it: a commit to
 * a CPU the thread may not run on fails with GHOST_TXN_CPU_NOT_ALLOWED, a
 * list entry for one is skipped with TASK_AFFINITY_CHANGED under a new
 * barrier, RUN_ON_WAKE does not run it there, and sched_setaffinity()
 * preempts a running thread (its CPU runs its list's next entry), then
 * sends TASK_AFFINITY_CHANGED.  ghost_policy_task_allowed() answers what
 * ghost-agent knows: the thread's CPUs as of its last
 * TASK_AFFINITY_CHANGED delivered or commit refused, all CPUs before.
 */

/* A new thread (TASK_NEW) with nice value @nice; returns its index. */
int sim_new_nice(struct sim *s, int runnable, int nice);
/*
 * A new thread that may run only on the CPUs of @allowed (bit n: CPU n),
 * entered with that affinity: ghost-agent does not know it yet.
 */
int sim_new_allowed(struct sim *s, int runnable, unsigned int allowed);
/* setpriority(): TASK_PRIORITY_CHANGED if @nice is new. */
void sim_set_nice(struct sim *s, int i, int nice);
/* sched_setaffinity() to @allowed (0: every CPU). */
void sim_set_affinity(struct sim *s, int i, unsigned int allowed);
/*
 * Run for @ns of simulated time in steps of @step_ns, the running
 * threads CPU-bound (they neither block nor yield meanwhile).
 */
void sim_run_for(struct sim *s, __u64 ns, __u64 step_ns);
/* CPU time of thread @i, the time on its CPU now included. */
__u64 sim_ran_ns(const struct sim *s, int i);

/*
 * sim_count_host() counts in s->host_calls every call the policy makes to
 * its host (run, task_allowed, now, ...) from then on, until a swap: a
 * deterministic measure of the work of a round.
 */
void sim_count_host(struct sim *s);

/*
 * Application hints.  Thread @i publishes @qos and GHOST_HINT_F_* @flags
 * from now on (no deadline, no estimate), or nothing again.  A policy
 * reads them with ghost_policy_hint() whenever it likes.
 */
void sim_set_hint(struct sim *s, int i, __u32 qos, __u32 flags);
void sim_clear_hint(struct sim *s, int i);
/*
 * Thread @i's hint is being rewritten: reads fail with -EAGAIN until the
 * next sim_set_hint() or sim_clear_hint().
 */
void sim_busy_hint(struct sim *s, int i);

/*
 * Thread @i publishes GHOST_HINT_F_* @flags with a deadline (absolute,
 * on the simulated clock s->now; 0: none) and an estimate of its work
 * (0: unknown), qos 0, from now on.
 */
void sim_set_hint_deadline(struct sim *s, int i, __u32 flags,
			   __u64 deadline_ns, __u64 estimate_ns);

/* 1 if @cpu's list holds a valid entry of thread @i (enabled or not). */
int sim_listed_on(const struct sim *s, int i, int cpu);

#endif /* _GHOST_TEST_SIM_H */
