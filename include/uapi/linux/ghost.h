/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
#ifndef _UAPI_LINUX_GHOST_H
#define _UAPI_LINUX_GHOST_H

/*
 * ghost: user-space delegation of thread scheduling, as a loadable module.
 *
 * Documentation
 * =============
 *
 * The module registers the filesystem type "ghost" and a mount point at
 * /sys/fs/ghost (GHOST_FS_PATH).  Everything is driven through files there:
 *
 *   version           read: every ABI version this module speaks, one per line
 *   ctl               write "create <id> [<abi>]": make enclave_<id>/
 *   enclave_<id>/     one directory per enclave:
 *     ctl             read: "<id>\n"; write "destroy"; ioctls below
 *     cpulist         read/write the enclave's CPUs as a list ("0-3,6")
 *     cpumask         read/write the same set as a hex mask ("4f")
 *     status          read: "key value" lines (see ghostctl enclave show)
 *     tasks           read: tids of the threads in the enclave; write a
 *                     tid to enter it (see Threads)
 *     agent_online    read: 1 while an agent serves the enclave
 *     runnable_timeout read/write: watchdog in ms (0 = off)
 *     deliver_ticks   read/write: 0 or 1 (CPU_TICK messages)
 *     deliver_cpu_availability read/write: 0 or 1 (CPU_BUSY/CPU_AVAILABLE)
 *     audit           read/write: 0 or 1.  While 1, each enclave CPU samples
 *                     itself about once a millisecond; a ghost thread found
 *                     in user mode without a commit to that CPU (and no park
 *                     pending) counts in status as audit_violations.
 *     sw              mmap read-only: status words (struct ghost_sw_region_header first)
 *     txn             mmap read/write: transaction slots, one per CPU
 *     dispatch        mmap read/write: dispatch lists, one per CPU
 *
 * Errors of ctl "create": EEXIST (id taken), EINVAL (malformed command or
 * id 0), EPROTONOSUPPORT (ABI not spoken by this module), ENOSPC (already
 * GHOST_MAX_ENCLAVES enclaves).  Errors of cpulist/cpumask: EINVAL
 * (malformed), ENODEV (CPU absent or offline), EBUSY (CPU owned by another
 * enclave).  Any write larger than GHOST_MAX_WRITE bytes fails with EINVAL.
 * Every write to enclave state needs CAP_SYS_ADMIN (EPERM otherwise), but
 * tasks (see Threads) and ctl's "leave" (the thread's own process, or
 * CAP_SYS_NICE); a file of a destroyed enclave that is still open fails
 * with ENODEV.
 */

#include <linux/ioctl.h>
#include <linux/types.h>

/* The ABI version of this header; /sys/fs/ghost/version lists it. */
#define GHOST_VERSION		1

#define GHOST_FS_NAME		"ghost"
#define GHOST_FS_PATH		"/sys/fs/ghost"
#define GHOST_FS_MAGIC		0x67686f73	/* "ghos" */

#define GHOST_MAX_ENCLAVES	64
#define GHOST_MAX_ENCLAVE_ID	0x7fffffffU
#define GHOST_MAX_WRITE		4096

/* Default and bounds of enclave_<id>/runnable_timeout, in ms. */
#define GHOST_RUNNABLE_TIMEOUT_DEFAULT_MS	10000
#define GHOST_RUNNABLE_TIMEOUT_MAX_MS		3600000

/*
 * enclave_<id>/latency (read-only): one line per measure, "<name> <count>
 * <sum_ns> <bucket 0> ... <bucket GHOST_LATENCY_BUCKETS - 1>", where
 * bucket N counts waits of [2^N, 2^(N+1)) ns (bucket 0 also 0 ns, the last
 * every longer wait).  runnable_to_run: from becoming runnable (woken,
 * preempted, yielding, entering) to running on a CPU; placed_to_run: from
 * being given a CPU (a commit, or the module taking the thread from a
 * dispatch list) to running there.  The counts only grow: a window is the
 * difference of two reads.
 */
#define GHOST_LATENCY_BUCKETS	32

/* struct ghost_enclave_info->flags */
#define GHOST_ENCLAVE_F_AGENT_ONLINE	(1U << 0)
#define GHOST_ENCLAVE_F_DELIVER_TICKS	(1U << 1)

/*
 * GHOST_IOC_ENCLAVE_INFO: a snapshot of one enclave.  Every field of the
 * argument must be zero on input (EINVAL otherwise), so that later
 * versions can give meaning to them.
 */
struct ghost_enclave_info {
	__u32	abi_version;
	__u32	id;
	__u32	nr_cpus;
	__u32	nr_tasks;
	__u32	runnable_timeout_ms;
	__u32	flags;
	__u64	resv[5];
};

#define GHOST_IOC_MAGIC		'g'

/* No-op: measures the cost of the ioctl path. */
#define GHOST_IOC_NULL		_IO(GHOST_IOC_MAGIC, 0)
#define GHOST_IOC_ENCLAVE_INFO	_IOWR(GHOST_IOC_MAGIC, 1, struct ghost_enclave_info)

/*
 * Threads
 * =======
 *
 * A thread enters an enclave when its tid is written to enclave_<id>/tasks
 * ("0" means the writer itself).  Entering is a grant: the writer needs
 * CAP_SYS_NICE, unless an administrator delegated the tasks file (root
 * owned, mode 0644, by default: a chown to a user or group, or o+w, hands
 * entering to whoever may open it for writing; EPERM otherwise).  Another
 * process's thread always needs CAP_SYS_NICE.  Leaving by oneself needs
 * nothing.  A second write of a thread that is in, or on its way into, an
 * enclave fails with EBUSY; one over its user's max_threads_per_user (a
 * module parameter; root is not limited) with EUSERS.  From then on it
 * runs user code only on the CPU an agent committed it to (see "CPU
 * hotplug" and "affinity" below for how it loses that CPU).  It leaves by
 * exiting, by a write of "leave <tid>" to the enclave's ctl, or when the
 * enclave goes away; it then gets back the scheduling policy, priority and
 * CPU affinity it had when it entered (or was given since: a
 * sched_setaffinity() or cpuset change made while inside).
 *
 * Every thread has a gtid (its tid in the initial pid namespace in the high
 * 32 bits, an enrolment number in the low 32: one identity whatever pid
 * namespace the thread, the writer of tasks or the agent is in) and a
 * status word.  Reads of tasks list tids as the reader's namespace sees
 * them, and leave out threads it cannot see.  Its barrier counts state changes; each
 * task message carries the new barrier and a commit must name the current
 * one, so an agent never acts on old information.
 */
#define GHOST_GTID_TID(gtid)	((__s32)((__u64)(gtid) >> 32))
#define GHOST_NULL_GTID		0	/* in a txn: leave the CPU idle */

/* enclave_<id>/sw: read-only shared memory, GHOST_SW_REGION_SIZE(...) */
struct ghost_status_word {
	__u32	barrier;
	__u32	flags;
	__u64	gtid;
	__u64	switch_time;	/* ns, CLOCK_MONOTONIC, last time on a CPU */
	__u64	runtime;	/* ns of CPU time, as the thread's clock */
};

/* struct ghost_status_word->flags */
#define GHOST_SW_F_INUSE	(1U << 0)	/* set last: the word is complete */
#define GHOST_SW_F_CANFREE	(1U << 1)	/* thread gone: GHOST_IOC_SW_FREE */
#define GHOST_SW_TASK_ONCPU	(1U << 16)
#define GHOST_SW_TASK_RUNNABLE	(1U << 17)

/* Per-CPU word in the same region. */
struct ghost_cpu_word {
	__u32	barrier;	/* bumped for every CPU message */
	__u32	flags;
	__u64	gtid;		/* the ghost thread committed here, or 0 */
	__u64	commit_time;
	__u32	agent_seq;	/* bumped whenever this CPU's agent is woken */
	__u32	wanted;		/* bumped when another task may run here */
};

#define GHOST_CPU_F_IN_ENCLAVE	(1U << 0)
#define GHOST_CPU_F_AGENT	(1U << 1)	/* an agent is attached */

/*
 * An agent is SCHED_FIFO at the top priority: while it spins, nothing
 * else runs on its CPU, not even the kernel's per-CPU threads (workqueue
 * items, softirqs, RCU) that other CPUs may wait for, but under real-time
 * throttling, and never without it.  So the module bumps the CPU word's
 * wanted whenever a task outside ghost becomes runnable on an enclave CPU
 * that has an agent (it wakes up, is new, or moves there); an agent that
 * spins reads it, and when it moved steps aside (GHOST_WAIT_F_STEP_ASIDE)
 * before it goes on.  Other ways onto a runqueue exist (a CFS bandwidth
 * limit lifted, say): such an agent also steps aside now and then.
 */

struct ghost_sw_region_header {
	__u32	version;	/* GHOST_VERSION */
	__u32	nr_cpus;	/* entries of cpu_words[] (nr_cpu_ids) */
	__u32	nr_words;	/* entries of words[] */
	__u32	cpu_words_offset;	/* bytes from the region start */
	__u32	words_offset;
	__u32	resv[11];
};

/*
 * Messages
 * ========
 *
 * Rings in shared memory (GHOST_IOC_CREATE_QUEUE): the kernel writes
 * messages at head, the agent consumes at tail.  Both are free-running
 * __u32 counts of 8-byte slots; ring index = count & (nr_slots - 1).  A
 * message takes (length + 7) / 8 slots and never wraps: the kernel pads the
 * ring's end with GHOST_MSG_NOP.  The kernel stores the message, then
 * head with release semantics; the agent loads head with acquire semantics,
 * reads, then stores tail with release semantics.  When a message does not
 * fit it is dropped and overflow is incremented: loss is never silent.
 * The queue fd is pollable (POLLIN while head != tail).
 */
struct ghost_msg {
	__u16	type;
	__u16	length;		/* bytes, header included */
	__u32	seqnum;		/* task: thread barrier; CPU: CPU barrier */
	/* payload */
};

enum ghost_msg_type {
	GHOST_MSG_NOP			= 0,

	GHOST_MSG_TASK_DEAD		= 64,
	GHOST_MSG_TASK_BLOCKED,
	GHOST_MSG_TASK_WAKEUP,
	GHOST_MSG_TASK_NEW,
	GHOST_MSG_TASK_PREEMPT,
	GHOST_MSG_TASK_YIELD,
	GHOST_MSG_TASK_DEPARTED,
	GHOST_MSG_TASK_SWITCHTO,	/* reserved: not produced */
	GHOST_MSG_TASK_AFFINITY_CHANGED,
	GHOST_MSG_TASK_ON_CPU,
	GHOST_MSG_TASK_PRIORITY_CHANGED,
	GHOST_MSG_TASK_LATCHED,		/* placed by the module (dispatch) */

	GHOST_MSG_CPU_TICK		= 128,
	GHOST_MSG_CPU_AVAILABLE		= 131,
	GHOST_MSG_CPU_BUSY,
	GHOST_MSG_CPU_OFFLINE,		/* hotplug took the CPU away */
	GHOST_MSG_CPU_ONLINE,		/* and gave it back, active again */
};

/*
 * CPU hotplug.  Before an enclave CPU goes offline, its ghost thread is
 * preempted (TASK_PREEMPT) and its dispatch list emptied, then
 * GHOST_MSG_CPU_OFFLINE is sent; commits to it fail with
 * GHOST_TXN_CPU_UNAVAIL and the module runs nothing there until it is
 * back.  GHOST_MSG_CPU_ONLINE comes once the CPU is active again (its
 * list emptied once more: entries published while it was offline are
 * dropped).  The CPU stays in the enclave throughout; a CPU's agent that
 * the kernel moved away re-pins itself at its next GHOST_IOC_AGENT_WAIT.
 */

/*
 * Routing.  A thread's messages go to the queue it is associated with
 * (GHOST_IOC_ASSOC_QUEUE), else to the enclave's default queue.  A thread
 * created by a ghost thread starts associated with its parent's queue (as
 * it is when the child joins, TASK_NEW included): with a queue per CPU,
 * its agent is the one of the CPU it starts on.  CPU
 * messages go to the queue of that CPU's agent, else to the default queue.
 * Once every fd of a queue is closed, what was associated with it goes to
 * the default queue.
 * Messages produced while there is no queue at all are not kept: an agent
 * that attaches later rebuilds its view with GHOST_IOC_DISCOVER.
 */

/* Payload of every task message but TASK_NEW and TASK_WAKEUP. */
struct ghost_msg_task {
	__u64	gtid;
	__u64	runtime;
	__s32	cpu;		/* where it happened, or -1 */
	__u32	resv;
};

struct ghost_msg_task_new {
	__u64	gtid;
	__u64	parent_gtid;	/* 0 unless forked by a ghost thread */
	__u64	runtime;
	__u32	sw_index;	/* of the thread's status word */
	__s32	nice;
	__u16	runnable;
	__u16	resv[3];
};

/* TASK_PRIORITY_CHANGED: the thread's nice value changed. */
struct ghost_msg_task_priority {
	__u64	gtid;
	__u64	runtime;
	__s32	nice;
	__u32	resv;
};

struct ghost_msg_task_wakeup {
	__u64	gtid;
	__s32	last_ran_cpu;
	__s32	waker_cpu;
};

struct ghost_msg_cpu {
	__s32	cpu;
	__u32	resv;
};

#define GHOST_MAX_QUEUE_ELEMS	65536

struct ghost_ring {
	__u32	head;		/* kernel writes */
	__u32	tail;		/* agent writes */
	__u32	overflow;
	__u32	nr_slots;	/* power of two */
	__u32	resv[12];
	struct ghost_msg msgs[];
};

struct ghost_ioc_create_queue {
	__u32	elems;		/* slots, a power of two <= GHOST_MAX_QUEUE_ELEMS */
	__u32	flags;		/* 0 or GHOST_QUEUE_F_DEFAULT */
	__u64	mapsize;	/* out: bytes to mmap from the returned fd */
	__u64	resv[2];
};

/*
 * Make it the enclave's default queue (replacing the previous one), which
 * gets the messages of every thread and CPU not associated elsewhere.
 * Without it, the queue only gets what GHOST_IOC_ASSOC_QUEUE sends to it.
 */
#define GHOST_QUEUE_F_DEFAULT	(1U << 0)

/*
 * GHOST_IOC_ASSOC_QUEUE: from now on, the messages of thread @gtid go to
 * the queue @fd (a queue of this enclave; -1: the default queue again).
 * @barrier must be the thread's current barrier (ESTALE otherwise), so the
 * agent moves a thread only with everything its old queue said about it
 * consumed.  @gtid 0 is the calling agent: CPU messages of its CPU go to
 * @fd, and GHOST_IOC_AGENT_WAIT waits on it; @barrier is then ignored.
 * Errors: EBADF, EINVAL (not a queue of this enclave; flags or resv not
 * 0), ENOENT (no such thread in the enclave), ESTALE, EPERM (neither an
 * agent of the enclave nor CAP_SYS_NICE).
 */
struct ghost_ioc_assoc_queue {
	__s32	fd;
	__u32	barrier;
	__u64	gtid;
	__u32	flags;		/* must be 0 */
	__u32	status;		/* out: GHOST_ASSOC_SF_* */
	__u64	resv;
};

#define GHOST_ASSOC_SF_ALREADY	(1U << 0)	/* it was on that queue */

/*
 * GHOST_IOC_CONFIG_QUEUE_WAKEUP: the agents of the CPUs in the bitmap are
 * woken (from GHOST_IOC_AGENT_WAIT, agent_seq bumped) whenever queue @fd
 * gets a message, besides the agents that wait on @fd itself.  An empty
 * bitmap (cpus_len 0) clears the list.  Errors as for ASSOC_QUEUE, and
 * EINVAL for a CPU outside the enclave.
 */
struct ghost_ioc_queue_wakeup {
	__s32	fd;
	__u32	flags;		/* must be 0 */
	__u64	cpus_ptr;	/* user pointer to a CPU bitmap */
	__u32	cpus_len;	/* its size in bytes */
	__u32	resv[3];
};

/*
 * Transactions
 * ============
 *
 * enclave_<id>/txn maps nr_cpu_ids struct ghost_txn, one per CPU,
 * read-write.  The agent fills a CPU's slot (gtid, task_barrier) then
 * stores state = GHOST_TXN_READY; GHOST_IOC_COMMIT commits the READY slots
 * of a CPU set (remote CPUs first, the caller's last) and writes each
 * slot's state to a status below.  The caller is an agent of the enclave
 * or has CAP_SYS_NICE (EPERM otherwise); while the enclave has no agent,
 * every slot fails with GHOST_TXN_NO_AGENT.
 */
struct ghost_txn {
	__s32	state;		/* GHOST_TXN_READY, then a status */
	__s32	cpu;		/* read-only: the slot's CPU */
	__u64	gtid;		/* thread to run, or GHOST_NULL_GTID for idle */
	__u32	task_barrier;
	__u32	flags;		/* GHOST_TXN_F_* */
	__u64	commit_time;	/* out: ns, CLOCK_MONOTONIC */
	__u64	resv[4];
};

/* struct ghost_txn->flags */
#define GHOST_TXN_F_SEND_ON_CPU	(1U << 0)	/* TASK_ON_CPU when it runs */
#define GHOST_TXN_F_ALL		GHOST_TXN_F_SEND_ON_CPU

enum ghost_txn_state {
	GHOST_TXN_COMPLETE = 1,
	GHOST_TXN_TARGET_STALE,
	GHOST_TXN_TARGET_NOT_FOUND,
	GHOST_TXN_TARGET_NOT_RUNNABLE,
	GHOST_TXN_TARGET_ONCPU,
	GHOST_TXN_CPU_UNAVAIL,
	GHOST_TXN_INVALID_CPU,
	GHOST_TXN_INVALID_TARGET,
	GHOST_TXN_INVALID_FLAGS,
	GHOST_TXN_NO_AGENT,
	GHOST_TXN_ABORTED,
	GHOST_TXN_CPU_NOT_ALLOWED,	/* outside the thread's affinity */
	GHOST_TXN_READY = 0x7fffffff,
};

/*
 * A thread's affinity is honoured: the CPUs it may run on are those the
 * kernel allows it (its own sched_setaffinity() mask, which the kernel
 * keeps within its cpuset), as they were when it entered and as they
 * changed since (TASK_AFFINITY_CHANGED).  A commit to another CPU fails
 * with GHOST_TXN_CPU_NOT_ALLOWED; a dispatch list entry for another CPU
 * is skipped (nr_stale) with a TASK_AFFINITY_CHANGED under a new barrier;
 * GHOST_IOC_TASK_AFFINITY tells which CPUs they are.  A cpuset change
 * that moves a ghost thread takes its CPU from it (TASK_PREEMPT).  When a
 * thread leaves, it gets that mask back.
 */
struct ghost_ioc_commit {
	__u64	cpus_ptr;	/* user pointer to a CPU bitmap */
	__u32	cpus_len;	/* its size in bytes */
	__u32	flags;		/* must be 0 */
	__u32	nr_committed;	/* out: slots that reached COMPLETE */
	__u32	resv[3];
};

/* The calling thread becomes the agent of @cpu (SCHED_FIFO, pinned). */
struct ghost_ioc_agent {
	__s32	cpu;
	__u32	flags;		/* must be 0 */
	__u64	resv[3];
};

/*
 * Sleep until the head of the caller's queue differs from @head (or a
 * signal), so a message produced after the agent looked is never missed:
 * -ESTALE at once when it already differs.  The caller's queue is the one
 * its agent is associated with, else the default queue.  With
 * GHOST_WAIT_F_AGENT_SEQ, an agent also returns (-ESTALE at once) when its
 * CPU word's agent_seq differs from @agent_seq: woken for another queue.
 *
 * GHOST_WAIT_F_SEQ_ONLY (with AGENT_SEQ): only agent_seq ends the wait,
 * not the head.  Every message that wakes agents moves agent_seq before
 * it does, so an agent that read agent_seq before it drained its queues
 * misses none of them; quiet messages (GHOST_DL_F_QUIET), which need no
 * decision and move nothing, stay in the ring until then (or until it is
 * half full, which wakes the agents).  For an idle agent that must not
 * wake for the fast path's bookkeeping.
 *
 * GHOST_WAIT_F_STEP_ASIDE (alone; agents only, on their CPU): no wait for
 * messages.  While other tasks are runnable on the agent's CPU, the agent
 * sleeps in naps of about 50 us, and they run; it returns 1 once none is,
 * 0 at once if none was, -ETIMEDOUT when @timeout_ms (0: 1 ms) ran out
 * first, -EINTR on a signal.  @head and @agent_seq are ignored.
 */
struct ghost_ioc_wait {
	__u32	head;
	__u32	timeout_ms;	/* 0: no timeout */
	__u32	agent_seq;
	__u32	flags;		/* GHOST_WAIT_F_* */
	__u64	resv;
};

#define GHOST_WAIT_F_AGENT_SEQ	(1U << 0)
#define GHOST_WAIT_F_SEQ_ONLY	(1U << 1)
#define GHOST_WAIT_F_STEP_ASIDE	(1U << 2)
#define GHOST_WAIT_F_ALL	(GHOST_WAIT_F_AGENT_SEQ | \
				 GHOST_WAIT_F_SEQ_ONLY | \
				 GHOST_WAIT_F_STEP_ASIDE)

/*
 * Dispatch lists
 * ==============
 *
 * The in-kernel fast path.  enclave_<id>/dispatch maps nr_cpu_ids struct
 * ghost_dispatch_list, one per CPU, read-write: an ordered list of
 * threads the agent has decided should run next on that CPU.  It is a
 * single-producer ring: the agent writes entries at tail and publishes
 * them with a release store of tail; the kernel consumes at head and
 * publishes its progress with a release store of head.  Free-running
 * __u32 counts, index = count & (GHOST_DISPATCH_SLOTS - 1); the agent
 * never has more than GHOST_DISPATCH_SLOTS entries between head and tail
 * (a list that claims more is dropped whole and counted in nr_bad).
 *
 * With GHOST_DL_F_ENABLE in flags, whenever the CPU's ghost thread blocks,
 * yields, exits or loses its CPU other than to a commit, the module runs
 * the next valid entry there itself, with no agent round trip: an entry is
 * valid when its thread is in the enclave, runnable, and its barrier
 * still equal to the entry's.  Invalid (stale) entries are skipped and
 * counted in nr_stale.  The thread that runs gets GHOST_MSG_TASK_LATCHED
 * (payload struct ghost_msg_task, cpu = the list's CPU) once head has moved
 * past its entry.  An entry is a decision, like a commit: the thread runs
 * user code only on that CPU.  A sched_yield() with no valid entry keeps
 * the CPU and sends no message (there is nothing else to run).
 *
 * Entries published while the CPU has no ghost thread are not noticed by
 * the kernel (it learns nothing from a store): the agent stores tail, then
 * (full barrier) reads the CPU's word, and if its gtid is 0 it issues
 * GHOST_IOC_DISPATCH for that CPU.  The kernel clears the CPU's thread,
 * then (full barrier) reads tail: one of the two always sees the other.
 *
 * GHOST_DL_F_RUN_ON_WAKE: a thread last placed on this CPU (and still
 * pinned to it) that wakes while the CPU has no ghost thread runs at once,
 * under a new barrier, instead of parking for a decision: the agent gets
 * TASK_WAKEUP followed by TASK_LATCHED.  One woken by the CPU's own thread
 * as that thread exits (a join), while nothing is listed or lined up
 * there, runs once the exiting thread is gone, under the barrier of its
 * TASK_WAKEUP (quiet with QUIET), unless an entry listed meanwhile comes
 * first.
 *
 * GHOST_DL_F_RUN_NEW: a thread that joins the enclave while it is on this
 * CPU (a ghost thread's child at its first return to user mode, or a
 * thread that enters), allowed there by its own mask, runs there at once
 * if the CPU has no ghost thread and nothing listed or lined up: the
 * agent gets TASK_NEW (runnable 0, its status word on this CPU) followed
 * by TASK_LATCHED, both quiet with QUIET.  For a policy that would give a
 * new thread the first free CPU anyway: no round trip before its first
 * instruction.
 *
 * GHOST_DL_F_QUIET: messages that need no decision (what the module did
 * by itself from this list or at a wakeup, and the TASK_BLOCKED,
 * TASK_DEAD or TASK_DEPARTED of the thread that ran on this CPU: its list
 * says what runs next) do not wake the CPU's agents; they wait in the
 * queue for its next wakeup.  Agents are still woken when the fast path empties
 * the list, for every other message, and when a queue is half full.
 *
 * GHOST_DL_F_DEFER_WAKEUP (with QUIET): the TASK_WAKEUP of a thread last
 * placed on this CPU that cannot run at once is quiet too while the CPU
 * runs a thread and its list still holds entries: the CPU has work lined
 * up, and a FIFO policy would queue the thread behind it anyway.  The
 * agents hear of it at their next wakeup: when the list runs out
 * (TASK_LATCHED is not quiet then) or, if only stale entries were left,
 * when the CPU would go idle (the module wakes every agent).  Not for a
 * policy that places a waking thread elsewhere or preempts for it.
 *
 * GHOST_DL_F_DEFER_BUSY (with DEFER_WAKEUP): for a policy with one line
 * for all its CPUs, that gives a waking thread to any free CPU: a wakeup
 * is deferred as above only while every CPU the thread may run on (by its
 * own mask) whose list has DEFER_BUSY runs a thread; it wakes the agents
 * when one is free.  Once one was deferred, the first such CPU that would
 * go idle with nothing to run wakes every agent, so that no CPU idles
 * while a thread the agents have not heard of waits.
 *
 * GHOST_DL_F_IDLE_WAKE (with QUIET): the CPU going idle is news.  The
 * TASK_BLOCKED, TASK_DEAD or TASK_DEPARTED of its running thread wakes
 * the agents when the list holds no entry (and, if only stale entries
 * were left, the module wakes every agent when the CPU would go idle): a
 * policy that moves waiting threads to idle CPUs sets it while threads
 * wait elsewhere, and clears it when none do, so that a CPU going idle
 * costs no wakeup when there is nothing to move.  The module clears the
 * CPU's word, then (full barrier) reads the flags: an agent that stores
 * IDLE_WAKE, then (full barrier) finds every CPU's word taken may sleep;
 * a CPU freed since wakes it.
 *
 * GHOST_DL_F_RUN_WOKEN (with DEFER_WAKEUP): the module lines up a thread
 * whose wakeup it deferred itself, if the thread is still pinned to this
 * CPU, and defers such a wakeup also while the list is empty: once the
 * list holds no valid entry, the CPU runs the threads lined up, in the
 * order they woke, each under the barrier of its TASK_WAKEUP (a thread
 * whose barrier moved since, by a commit, an entry elsewhere or any
 * other message, is skipped), with TASK_LATCHED as for an entry.  For a
 * FIFO policy: the wakeup joins the back of its CPU's line without an
 * agent round trip.  Agents are woken as when the list runs out, once the
 * line is empty too.
 *
 * GHOST_DL_AFFINE(n), n in 1..255 (bits 16-23 of flags): the module runs
 * the first valid entry whose thread is still pinned to this CPU (it ran
 * here last and needs no move to run here again), ahead of the valid
 * entries before it, which stay listed, if each of those is pinned to
 * another CPU (it runs there without a move) and was passed over fewer
 * than n times since its thread last got a CPU; each is passed over once
 * more.  Else the first valid entry runs: no thread is passed over more
 * than n times, and none that must move wherever it runs.  For a policy
 * that lists one line on several CPUs: moving a thread to another CPU
 * costs a worker on that CPU (its mask is set in process context), so a
 * CPU takes its own threads first.  0: entries run in list order.
 *
 * All lists of an enclave are dropped (head = tail) when its last agent
 * goes away and by GHOST_IOC_DISCOVER: they were the old agent's decisions
 * (and so are the threads lined up by RUN_WOKEN).
 */
#define GHOST_DISPATCH_SLOTS	32

struct ghost_dispatch_entry {
	__u64	gtid;
	__u32	barrier;
	__u32	resv;
};

struct ghost_dispatch_list {
	__u32	tail;		/* agent writes */
	__u32	head;		/* kernel writes */
	__u32	flags;		/* agent writes: GHOST_DL_F_* */
	__u32	nr_taken;	/* kernel: entries that ran */
	__u32	nr_stale;	/* kernel: entries skipped */
	__u32	nr_bad;		/* kernel: lists dropped as malformed */
	__u32	resv[10];
	struct ghost_dispatch_entry ent[GHOST_DISPATCH_SLOTS];
};

#define GHOST_DL_F_ENABLE	(1U << 0)
#define GHOST_DL_F_RUN_ON_WAKE	(1U << 1)
#define GHOST_DL_F_QUIET	(1U << 2)
#define GHOST_DL_F_DEFER_WAKEUP	(1U << 3)
#define GHOST_DL_F_IDLE_WAKE	(1U << 4)
#define GHOST_DL_F_RUN_WOKEN	(1U << 5)
#define GHOST_DL_F_RUN_NEW	(1U << 6)
#define GHOST_DL_F_DEFER_BUSY	(1U << 7)
#define GHOST_DL_AFFINE_SHIFT	16
#define GHOST_DL_AFFINE_MASK	(0xffU << GHOST_DL_AFFINE_SHIFT)
#define GHOST_DL_AFFINE(n)	(((__u32)(n) << GHOST_DL_AFFINE_SHIFT) & \
				 GHOST_DL_AFFINE_MASK)
#define GHOST_DL_F_ALL		(GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE | \
				 GHOST_DL_F_QUIET | GHOST_DL_F_DEFER_WAKEUP | \
				 GHOST_DL_F_IDLE_WAKE | GHOST_DL_F_RUN_WOKEN | \
				 GHOST_DL_F_RUN_NEW | GHOST_DL_F_DEFER_BUSY | \
				 GHOST_DL_AFFINE_MASK)

/*
 * GHOST_IOC_DISPATCH: run the next valid entry of each CPU in the bitmap
 * that has no ghost thread now (enabled lists only).  nr_dispatched: how
 * many CPUs got a thread.  Errors: EINVAL, EPERM as for GHOST_IOC_COMMIT.
 */
struct ghost_ioc_dispatch {
	__u64	cpus_ptr;
	__u32	cpus_len;
	__u32	flags;		/* must be 0 */
	__u32	nr_dispatched;	/* out */
	__u32	resv[3];
};

/*
 * GHOST_IOC_COMMIT_WAIT: GHOST_IOC_COMMIT, then GHOST_IOC_AGENT_WAIT, in
 * one call: a per-CPU agent hands its CPU to the thread it committed
 * there and sleeps.  Returns what the wait returns (the commit's outcome
 * is in the slots and nr_committed); a failed commit returns its error
 * without waiting, and a slot that did not complete EAGAIN without
 * waiting: its CPU needs another decision.
 */
struct ghost_ioc_commit_wait {
	struct ghost_ioc_commit	commit;
	struct ghost_ioc_wait	wait;
};

/* Status word index of @gtid, and the free protocol. */
struct ghost_ioc_sw {
	__u64	gtid;
	__u32	index;		/* out (GET) / in (FREE) */
	__u32	resv;
};

/*
 * GHOST_IOC_TASK_AFFINITY: the CPUs thread @gtid may run on, as a bitmap
 * of @cpus_len bytes at @cpus_ptr (bits past it are dropped; the rest of
 * the buffer is zeroed).  ESRCH if @gtid is not a thread of the enclave.
 */
struct ghost_ioc_task_affinity {
	__u64	gtid;
	__u64	cpus_ptr;	/* user pointer to a CPU bitmap (out) */
	__u32	cpus_len;	/* its size in bytes, 1..GHOST_MAX_WRITE */
	__u32	resv;		/* must be 0 */
};

/*
 * GHOST_IOC_DISCOVER: every thread of the enclave goes back to the default
 * queue and is announced there again with TASK_NEW (current barrier,
 * runnable or not): how a new agent learns what an old one knew.
 */
#define GHOST_IOC_CREATE_QUEUE	_IOWR(GHOST_IOC_MAGIC, 2, struct ghost_ioc_create_queue)
#define GHOST_IOC_COMMIT	_IOWR(GHOST_IOC_MAGIC, 3, struct ghost_ioc_commit)
#define GHOST_IOC_AGENT_ATTACH	_IOW(GHOST_IOC_MAGIC, 4, struct ghost_ioc_agent)
#define GHOST_IOC_AGENT_WAIT	_IOW(GHOST_IOC_MAGIC, 5, struct ghost_ioc_wait)
#define GHOST_IOC_SW_GET	_IOWR(GHOST_IOC_MAGIC, 6, struct ghost_ioc_sw)
#define GHOST_IOC_SW_FREE	_IOW(GHOST_IOC_MAGIC, 7, struct ghost_ioc_sw)
#define GHOST_IOC_DISCOVER	_IO(GHOST_IOC_MAGIC, 8)
#define GHOST_IOC_ASSOC_QUEUE	_IOWR(GHOST_IOC_MAGIC, 9, struct ghost_ioc_assoc_queue)
#define GHOST_IOC_CONFIG_QUEUE_WAKEUP \
	_IOW(GHOST_IOC_MAGIC, 10, struct ghost_ioc_queue_wakeup)
#define GHOST_IOC_DISPATCH	_IOWR(GHOST_IOC_MAGIC, 11, struct ghost_ioc_dispatch)
#define GHOST_IOC_COMMIT_WAIT	_IOWR(GHOST_IOC_MAGIC, 12, struct ghost_ioc_commit_wait)
#define GHOST_IOC_TASK_AFFINITY	_IOW(GHOST_IOC_MAGIC, 13, struct ghost_ioc_task_affinity)

#endif /* _UAPI_LINUX_GHOST_H */
