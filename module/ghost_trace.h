/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost's tracepoints, in the trace system "ghost": what the module did
 * and decided, for perf (perf record -e 'ghost:*'), trace-cmd and
 * tracefs (events/ghost/).  Each event names its enclave; thread events
 * name the thread by pid (as the initial pid namespace sees it) and gtid.
 * Disabled events cost a static branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ghost

#if !defined(_GHOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GHOST_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/ghost.h>

#define ghost_msg_types							\
	{ GHOST_MSG_NOP,			"NOP" },		\
	{ GHOST_MSG_TASK_DEAD,			"TASK_DEAD" },		\
	{ GHOST_MSG_TASK_BLOCKED,		"TASK_BLOCKED" },	\
	{ GHOST_MSG_TASK_WAKEUP,		"TASK_WAKEUP" },	\
	{ GHOST_MSG_TASK_NEW,			"TASK_NEW" },		\
	{ GHOST_MSG_TASK_PREEMPT,		"TASK_PREEMPT" },	\
	{ GHOST_MSG_TASK_YIELD,			"TASK_YIELD" },		\
	{ GHOST_MSG_TASK_DEPARTED,		"TASK_DEPARTED" },	\
	{ GHOST_MSG_TASK_AFFINITY_CHANGED,	"TASK_AFFINITY_CHANGED" }, \
	{ GHOST_MSG_TASK_ON_CPU,		"TASK_ON_CPU" },	\
	{ GHOST_MSG_TASK_PRIORITY_CHANGED,	"TASK_PRIORITY_CHANGED" }, \
	{ GHOST_MSG_TASK_LATCHED,		"TASK_LATCHED" },	\
	{ GHOST_MSG_CPU_TICK,			"CPU_TICK" },		\
	{ GHOST_MSG_CPU_AVAILABLE,		"CPU_AVAILABLE" },	\
	{ GHOST_MSG_CPU_BUSY,			"CPU_BUSY" },		\
	{ GHOST_MSG_CPU_OFFLINE,		"CPU_OFFLINE" },	\
	{ GHOST_MSG_CPU_ONLINE,			"CPU_ONLINE" }

#define ghost_txn_states						\
	{ GHOST_TXN_COMPLETE,			"COMPLETE" },		\
	{ GHOST_TXN_TARGET_STALE,		"TARGET_STALE" },	\
	{ GHOST_TXN_TARGET_NOT_FOUND,		"TARGET_NOT_FOUND" },	\
	{ GHOST_TXN_TARGET_NOT_RUNNABLE,	"TARGET_NOT_RUNNABLE" }, \
	{ GHOST_TXN_TARGET_ONCPU,		"TARGET_ONCPU" },	\
	{ GHOST_TXN_CPU_UNAVAIL,		"CPU_UNAVAIL" },	\
	{ GHOST_TXN_INVALID_CPU,		"INVALID_CPU" },	\
	{ GHOST_TXN_INVALID_TARGET,		"INVALID_TARGET" },	\
	{ GHOST_TXN_INVALID_FLAGS,		"INVALID_FLAGS" },	\
	{ GHOST_TXN_NO_AGENT,			"NO_AGENT" },		\
	{ GHOST_TXN_ABORTED,			"ABORTED" },		\
	{ GHOST_TXN_CPU_NOT_ALLOWED,		"CPU_NOT_ALLOWED" }

/*
 * A message for the agents: the thread's gtid (task messages) or the CPU
 * (CPU messages) and the barrier it carries; @quiet ones wake no agent,
 * @lost ones did not fit in the queue.
 */
TRACE_EVENT(ghost_msg,
	TP_PROTO(u32 enclave, const struct ghost_msg *m, bool quiet, bool lost),
	TP_ARGS(enclave, m, quiet, lost),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(u16, type)
		__field(u32, seqnum)
		__field(u64, id)
		__field(bool, quiet)
		__field(bool, lost)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->type = m->type;
		__entry->seqnum = m->seqnum;
		/* Every payload starts with the gtid, or with the CPU. */
		__entry->id = m->type >= GHOST_MSG_CPU_TICK ?
			      *(const u32 *)(m + 1) : *(const u64 *)(m + 1);
		__entry->quiet = quiet;
		__entry->lost = lost;
	),
	TP_printk("enclave=%u type=%s %s=%llx seqnum=%u%s%s", __entry->enclave,
		  __print_symbolic(__entry->type, ghost_msg_types),
		  __entry->type >= GHOST_MSG_CPU_TICK ? "cpu" : "gtid",
		  __entry->id, __entry->seqnum,
		  __entry->quiet ? " quiet" : "", __entry->lost ? " lost" : "")
);

/* A sleeping agent is woken for a message (through an irq_work). */
TRACE_EVENT(ghost_agent_wake,
	TP_PROTO(u32 enclave, int cpu),
	TP_ARGS(enclave, cpu),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(int, cpu)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->cpu = cpu;
	),
	TP_printk("enclave=%u agent_cpu=%d", __entry->enclave, __entry->cpu)
);

/* The outcome of one transaction of a commit. */
TRACE_EVENT(ghost_commit,
	TP_PROTO(u32 enclave, int cpu, u64 gtid, int status),
	TP_ARGS(enclave, cpu, gtid, status),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(int, cpu)
		__field(u64, gtid)
		__field(int, status)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->cpu = cpu;
		__entry->gtid = gtid;
		__entry->status = status;
	),
	TP_printk("enclave=%u cpu=%d gtid=%llx status=%s", __entry->enclave,
		  __entry->cpu, __entry->gtid,
		  __print_symbolic(__entry->status, ghost_txn_states))
);

/*
 * A thread runs on @cpu, first time since it was given that CPU: it waited
 * @runnable_ns since it became runnable and @placed_ns since it was placed
 * (the samples of enclave_<id>/latency).
 */
TRACE_EVENT(ghost_run,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu, u64 runnable_ns,
		 u64 placed_ns),
	TP_ARGS(enclave, pid, gtid, cpu, runnable_ns, placed_ns),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(pid_t, pid)
		__field(u64, gtid)
		__field(int, cpu)
		__field(u64, runnable_ns)
		__field(u64, placed_ns)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->pid = pid;
		__entry->gtid = gtid;
		__entry->cpu = cpu;
		__entry->runnable_ns = runnable_ns;
		__entry->placed_ns = placed_ns;
	),
	TP_printk("enclave=%u pid=%d gtid=%llx cpu=%d runnable_ns=%llu placed_ns=%llu",
		  __entry->enclave, __entry->pid, __entry->gtid, __entry->cpu,
		  __entry->runnable_ns, __entry->placed_ns)
);

DECLARE_EVENT_CLASS(ghost_thread,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu),
	TP_ARGS(enclave, pid, gtid, cpu),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(pid_t, pid)
		__field(u64, gtid)
		__field(int, cpu)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->pid = pid;
		__entry->gtid = gtid;
		__entry->cpu = cpu;
	),
	TP_printk("enclave=%u pid=%d gtid=%llx cpu=%d", __entry->enclave,
		  __entry->pid, __entry->gtid, __entry->cpu)
);

/* A thread joined its enclave (@cpu: where it was). */
DEFINE_EVENT(ghost_thread, ghost_enter,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu),
	TP_ARGS(enclave, pid, gtid, cpu));

/* A thread left its enclave, back to its own policy, or died in it. */
DEFINE_EVENT(ghost_thread, ghost_leave,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu),
	TP_ARGS(enclave, pid, gtid, cpu));

/* A thread without a decision went to sleep in its park. */
DEFINE_EVENT(ghost_thread, ghost_park,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu),
	TP_ARGS(enclave, pid, gtid, cpu));

/* A thread left its park, to run on @cpu (or -1: to leave or die). */
DEFINE_EVENT(ghost_thread, ghost_unpark,
	TP_PROTO(u32 enclave, pid_t pid, u64 gtid, int cpu),
	TP_ARGS(enclave, pid, gtid, cpu));

/*
 * The safety nets: the grace period after the last agent left started
 * (@what 0), ended with a new agent (1) or expired (2); or a thread
 * waited @ms runnable past runnable_timeout (@what 3).  Both of the
 * latter destroy the enclave.
 */
TRACE_EVENT(ghost_safety,
	TP_PROTO(u32 enclave, int what, pid_t pid, u64 ms),
	TP_ARGS(enclave, what, pid, ms),
	TP_STRUCT__entry(
		__field(u32, enclave)
		__field(int, what)
		__field(pid_t, pid)
		__field(u64, ms)
	),
	TP_fast_assign(
		__entry->enclave = enclave;
		__entry->what = what;
		__entry->pid = pid;
		__entry->ms = ms;
	),
	TP_printk("enclave=%u %s pid=%d ms=%llu", __entry->enclave,
		  __print_symbolic(__entry->what, { 0, "grace_started" },
				   { 1, "grace_ended" },
				   { 2, "grace_expired" },
				   { 3, "watchdog" }),
		  __entry->pid, __entry->ms)
);

#endif /* _GHOST_TRACE_H */

/* Out of tree: the header is found through the module's include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ghost_trace
#include <trace/define_trace.h>
