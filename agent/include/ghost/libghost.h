/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libghost: user-space access to the ghost module through ghostfs
 * (/sys/fs/ghost).  See <linux/ghost.h> for the file protocol.
 *
 * Every function that can fail returns 0 (or a positive count) on success
 * and a negative errno on failure; errno itself is not used.  Functions
 * taking "char *msg, size_t len" also leave a one-line, human-readable
 * explanation in msg on failure (msg may be NULL when len is 0).
 */
#ifndef _GHOST_LIBGHOST_H
#define _GHOST_LIBGHOST_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/ghost.h>
#include <ghost/app_hint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* CPU sets                                                            */
/* ------------------------------------------------------------------ */

#define GHOST_MAX_CPUS		1024

/* Buffer size that holds any CPU list of a struct ghost_cpuset. */
#define GHOST_CPULIST_LEN	4096

#define GHOST_CPUSET_WORDS	(GHOST_MAX_CPUS / (8 * sizeof(unsigned long)))

/* A fixed bitmap of CPUs 0 .. GHOST_MAX_CPUS - 1. */
struct ghost_cpuset {
	unsigned long bits[GHOST_CPUSET_WORDS];
};

void ghost_cpuset_zero(struct ghost_cpuset *set);
/* Add/remove @cpu; -EINVAL if @cpu >= GHOST_MAX_CPUS. */
int ghost_cpuset_set(struct ghost_cpuset *set, unsigned int cpu);
int ghost_cpuset_clear(struct ghost_cpuset *set, unsigned int cpu);
/* 1 if @cpu is in @set, 0 if not (or out of range). */
int ghost_cpuset_test(const struct ghost_cpuset *set, unsigned int cpu);
/* Number of CPUs in @set. */
int ghost_cpuset_count(const struct ghost_cpuset *set);
/* 1 if @a and @b hold the same CPUs, else 0. */
int ghost_cpuset_equal(const struct ghost_cpuset *a,
		       const struct ghost_cpuset *b);
/* First CPU >= @cpu in @set, or -ENOENT if there is none. */
int ghost_cpuset_next(const struct ghost_cpuset *set, unsigned int cpu);

/*
 * Parse a kernel-style CPU list: comma-separated CPUs and ranges, e.g.
 * "0-3,6,8-15".  A range may carry a stride: "a-b:u/g" takes the first
 * u CPUs of every group of g (as the kernel's bitmap_parselist does) and
 * "a-b:s" is short for "a-b:1/s" (every s-th CPU).  Whitespace around the
 * whole list (such as a trailing newline) is ignored; "" is the empty set.
 * Returns 0, -EINVAL if malformed or -ERANGE if a CPU >= GHOST_MAX_CPUS.
 */
int ghost_cpulist_parse(const char *s, struct ghost_cpuset *set);

/*
 * Format @set canonically ("0-3,6"; "" for the empty set) into @buf.
 * Returns the string length or -ENOSPC if @len is too small.
 */
int ghost_cpulist_format(const struct ghost_cpuset *set, char *buf,
			 size_t len);

/*
 * Parse a kernel "%*pb" hex mask: either one hex number ("4f") or
 * comma-separated 32-bit groups, most significant first ("ff,00000001").
 * Returns 0, -EINVAL if malformed or -ERANGE if a CPU >= GHOST_MAX_CPUS.
 */
int ghost_cpumask_parse(const char *hex, struct ghost_cpuset *set);

/* ------------------------------------------------------------------ */
/* ABI versions                                                        */
/* ------------------------------------------------------------------ */

/*
 * Parse the content of /sys/fs/ghost/version (one decimal per line).
 * Stores up to @max versions in @out and returns how many the text lists
 * (which may exceed @max), or -EINVAL if malformed.
 */
int ghost_versions_parse(const char *text, unsigned int *out, int max);

/* 1 if @text (as above) lists @ver, 0 if not, -EINVAL if malformed. */
int ghost_version_supported(const char *text, unsigned int ver);

/*
 * Read /sys/fs/ghost/version and check that it lists GHOST_VERSION.
 * Returns 0, -EPROTONOSUPPORT on mismatch, or the read error.
 */
int ghost_check_version(char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* Module and filesystem                                               */
/* ------------------------------------------------------------------ */

/*
 * Load the module "ghost" through libkmod, as modprobe does (options and
 * blacklist of /etc/modprobe.d apply), unless it is loaded already.
 */
int ghost_module_load(char *msg, size_t len);

/* Mount ghostfs on GHOST_FS_PATH unless it is mounted there already. */
int ghost_mount(void);

/* ghost_module_load(), ghost_mount() and ghost_check_version(). */
int ghost_open(char *msg, size_t len);

/* ------------------------------------------------------------------ */
/* Enclaves                                                            */
/* ------------------------------------------------------------------ */

/*
 * Parse an enclave id: a decimal in 1 .. GHOST_MAX_ENCLAVE_ID.
 * Returns 0, -EINVAL if not a number or -ERANGE if out of range.
 */
int ghost_enclave_id_parse(const char *s, unsigned int *id);

/*
 * Create enclave @id and give it @cpus (nothing is written if @cpus is
 * NULL or empty).  If the CPUs cannot be set, the enclave is destroyed
 * again and the error of the cpulist write is returned.
 */
int ghost_enclave_create(unsigned int id, const struct ghost_cpuset *cpus);

/* As ghost_enclave_create() with the lowest free id (>= 1), put in @id. */
int ghost_enclave_create_any(const struct ghost_cpuset *cpus,
			     unsigned int *id);

/*
 * Write @cpus to enclave_<id>/cpulist, replacing the enclave's CPUs (an
 * empty set is written as "\n").
 */
int ghost_enclave_set_cpus(unsigned int id, const struct ghost_cpuset *cpus);

/* Destroy enclave @id; -ENOENT if it does not exist. */
int ghost_enclave_destroy(unsigned int id);

/*
 * Store the ids of the existing enclaves, ascending, in @ids (at most
 * @max of them) and return how many exist (which may exceed @max).
 */
int ghost_enclave_list(unsigned int *ids, int max);

struct ghost_enclave_status {
	unsigned int id;
	unsigned int abi;		/* ABI the enclave was created with */
	unsigned int nr_tasks;
	unsigned int nr_cpus;
	unsigned int agent_online;	/* 0 or 1 */
	unsigned int runnable_timeout_ms;
	unsigned int deliver_ticks;	/* 0 or 1 */
	struct ghost_cpuset cpus;
	int info_err;			/* 0 if @info is valid, else -errno */
	struct ghost_enclave_info info;	/* GHOST_IOC_ENCLAVE_INFO */
};

/*
 * Parse the "key value" lines of enclave_<id>/status into @st.  Known
 * keys: id, abi, nr_tasks, nr_cpus, agent_online; others are ignored, as
 * are blank lines.  Fields of absent keys are left untouched.
 * Returns 0 or -EINVAL if a known key has a malformed value.
 */
int ghost_status_parse(const char *text, struct ghost_enclave_status *st);

/*
 * Fill @st from the files of enclave_<id>/ and GHOST_IOC_ENCLAVE_INFO.
 * A failing ioctl is reported in st->info_err only.  -ENOENT if the
 * enclave does not exist.
 */
int ghost_enclave_status(unsigned int id, struct ghost_enclave_status *st);

/*
 * The wait histograms of enclave_<id>/latency (see <linux/ghost.h>):
 * @buckets[N] counts waits of [2^N, 2^(N+1)) ns.  The counts only grow:
 * a window is ghost_latency_sub() of two reads.
 */
struct ghost_latency_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 buckets[GHOST_LATENCY_BUCKETS];
};

struct ghost_latency {
	struct ghost_latency_hist runnable;	/* runnable -> running */
	struct ghost_latency_hist placed;	/* given a CPU -> running */
};

/* Parse the file's text; -EINVAL if a line is missing or malformed. */
int ghost_latency_parse(const char *text, struct ghost_latency *lat);

/* Read enclave_<id>/latency; -ENOENT without that enclave (or file). */
int ghost_enclave_latency(unsigned int id, struct ghost_latency *lat);

/* @d = @now - @before, bucket by bucket. */
void ghost_latency_sub(struct ghost_latency_hist *d,
		       const struct ghost_latency_hist *now,
		       const struct ghost_latency_hist *before);

/* The first wait too long for bucket @b, in ns (~0 for the last one). */
__u64 ghost_latency_bucket_ceil(int b);

/*
 * An upper bound of the @p-th percentile (0 to 100) of @h: the end of the
 * bucket that holds it, in ns; 0 without samples.
 */
__u64 ghost_latency_percentile(const struct ghost_latency_hist *h, double p);

/* Write @value to enclave_<id>/@name: "runnable_timeout" or "deliver_ticks". */
int ghost_enclave_set_tunable(unsigned int id, const char *name,
			      unsigned int value);

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* Write @s to @path with a single write(); 0 or the -errno of it. */
int ghost_write_file(const char *path, const char *s);

/*
 * Read all of @path into @buf, NUL-terminated.  Returns the length, or
 * -EOVERFLOW if the content does not fit in @len - 1 bytes.
 */
int ghost_read_file(const char *path, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Privileges and messages                                             */
/* ------------------------------------------------------------------ */

enum ghost_cap {
	GHOST_CAP_SYS_ADMIN,
	GHOST_CAP_SYS_NICE,
};

/* "CAP_SYS_ADMIN", ... */
const char *ghost_cap_name(enum ghost_cap cap);

/* 1 if the calling thread has @cap in its effective set, 0 if not. */
int ghost_has_cap(enum ghost_cap cap);

/*
 * 0 if the caller has @cap; otherwise -EPERM and a message such as
 * "enclave create needs CAP_SYS_ADMIN (run as root or grant the
 * capability)", @action naming what was attempted.
 */
int ghost_require_cap(enum ghost_cap cap, const char *action, char *msg,
		      size_t len);

/*
 * A short hint explaining errno @err (sign ignored) for a ghostfs
 * operation, or NULL if there is none.  @op is one of "create",
 * "cpulist", "destroy", "status", "tunable", "mount", "module", "task"
 * (entering or leaving), "agent" (its control socket) or NULL.
 */
const char *ghost_strerror_hint(int err, const char *op);

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

/*
 * Move thread @tid into enclave @id (0: the calling thread).  Another
 * process's thread needs CAP_SYS_NICE.
 */
int ghost_task_enter(unsigned int id, pid_t tid);

/* Take thread @tid out of enclave @id ("leave <tid>" on its ctl). */
int ghost_task_leave(unsigned int id, pid_t tid);

/*
 * The thread ids of enclave @id, up to @max of them in @tids; returns how
 * many the enclave has (which may exceed @max).
 */
int ghost_task_list(unsigned int id, pid_t *tids, int max);

/*
 * The threads of process @pid (from /proc/<pid>/task), up to @max in
 * @tids; returns how many it has or -ESRCH.  When @pid is a thread but
 * not a process (thread group leader), only @pid itself is returned.
 */
int ghost_process_threads(pid_t pid, pid_t *tids, int max);

/* ------------------------------------------------------------------ */
/* Agents: an enclave's shared regions                                 */
/* ------------------------------------------------------------------ */

/* An enclave as an agent sees it: its ctl file and mapped regions. */
struct ghost_enclave {
	unsigned int id;
	int ctl_fd;			/* enclave_<id>/ctl, read-write */
	struct ghost_txn *txn;		/* one slot per CPU number */
	unsigned int nr_txn;
	size_t txn_size;
	const void *sw;			/* status words, read-only */
	size_t sw_size;
	const struct ghost_cpu_word *cpu_words;
	unsigned int nr_cpu_words;
	const struct ghost_status_word *words;
	unsigned int nr_words;
	struct ghost_cpuset cpus;	/* the enclave's CPUs when opened */
	int mapped;			/* 1: unmap the regions on close */
	struct ghost_dispatch_list *dl;	/* one per CPU number, or NULL */
	unsigned int nr_dl;
	size_t dl_size;
	int dl_err;			/* why dl is NULL (0: not tried) */
	int no_commit_wait;		/* the module lacks COMMIT_WAIT */
};

/*
 * Open enclave @id for an agent: its ctl read-write, the transaction
 * region and the dispatch lists read-write and the status words
 * read-only.  Needs CAP_SYS_NICE for what follows (queues, attach,
 * commits) and root for the txn file.  A module without dispatch lists
 * (older than the fast path) is no error: e->dl stays NULL, e->dl_err
 * says why, and the ghost_dispatch_*() calls return -EOPNOTSUPP.
 */
int ghost_enclave_open(unsigned int id, struct ghost_enclave *e);
/*
 * Open enclave @id to watch it: its status words, read-only, and its
 * CPUs; no ctl, no transactions (ghostctl top).  Needs no privilege.
 */
int ghost_enclave_observe(unsigned int id, struct ghost_enclave *e);
void ghost_enclave_close(struct ghost_enclave *e);

/*
 * Set up @e over regions that are already in memory (laid out as the
 * module does), without a ctl file: for tests and tools.
 */
int ghost_enclave_init_mem(struct ghost_enclave *e, void *txn,
			   size_t txn_size, const void *sw, size_t sw_size);

/*
 * The calling thread becomes the agent of @cpu: SCHED_FIFO at the top
 * priority, pinned to @cpu.  -EBUSY while another agent holds @cpu (or
 * the caller is already in ghost).
 */
int ghost_agent_attach(struct ghost_enclave *e, int cpu);

/* Make the kernel send TASK_NEW for every thread of the enclave again. */
int ghost_discover(struct ghost_enclave *e);

/*
 * The CPUs thread @gtid may run on (its affinity within its cpuset): a
 * commit elsewhere fails with GHOST_TXN_CPU_NOT_ALLOWED.  -ESRCH if it is
 * not a thread of the enclave.
 */
int ghost_task_affinity(struct ghost_enclave *e, __u64 gtid,
			struct ghost_cpuset *set);

/* ------------------------------------------------------------------ */
/* Agents: message queues                                              */
/* ------------------------------------------------------------------ */

/*
 * A ring the kernel writes messages into (see "Messages" in
 * <linux/ghost.h>).  One consumer at a time: callers that share a queue
 * serialise peek and consume themselves.
 */
struct ghost_queue {
	int fd;				/* -1 for a queue in plain memory */
	void *map;
	size_t map_size;
	struct ghost_ring *ring;
	unsigned int *khead;		/* kernel's: load-acquire */
	unsigned int *ktail;		/* ours: store-release */
	unsigned int *koverflow;
	unsigned int nr_slots;
	unsigned int mask;
};

/*
 * Create the enclave's default queue of @elems slots (a power of two,
 * 8 .. GHOST_MAX_QUEUE_ELEMS) and map it.  It receives every message of
 * the enclave from now on and replaces any previous default queue.
 */
int ghost_queue_create(struct ghost_enclave *e, unsigned int elems,
		       struct ghost_queue *q);

/*
 * Create and map a queue that gets only what is associated with it
 * (ghost_queue_assoc()), e.g. the queue of one agent.
 */
int ghost_queue_create_extra(struct ghost_enclave *e, unsigned int elems,
			     struct ghost_queue *q);

/*
 * Send the messages of thread @gtid to @q (NULL: the default queue) from
 * now on.  @barrier is the thread's barrier as last seen in a message:
 * -ESTALE when the thread has news in its old queue.  @gtid 0 is the
 * calling agent: its CPU's messages go to @q and its ghost_queue_wait()
 * waits on @q.  *@already (may be NULL) says it was there already.
 */
int ghost_queue_assoc(struct ghost_enclave *e, const struct ghost_queue *q,
		      __u64 gtid, __u32 barrier, int *already);

/* Wake the agents of @cpus (NULL: none) whenever @q gets a message. */
int ghost_queue_set_wakeup(struct ghost_enclave *e, const struct ghost_queue *q,
			   const struct ghost_cpuset *cpus);

/* Use @size bytes at @mem, laid out as struct ghost_ring, as a queue. */
int ghost_queue_init_mem(struct ghost_queue *q, void *mem, size_t size);

void ghost_queue_close(struct ghost_queue *q);

/* The kernel's head (acquire): pass it to ghost_queue_wait(). */
unsigned int ghost_queue_head(const struct ghost_queue *q);

/* Messages the kernel dropped because the ring was full, ever. */
unsigned int ghost_queue_overflow(const struct ghost_queue *q);

/* Slots written by the kernel and not consumed yet (0 if not mapped). */
unsigned int ghost_queue_pending(const struct ghost_queue *q);

/*
 * The oldest unconsumed message, or NULL if there is none.  Padding
 * (GHOST_MSG_NOP) is consumed on the way.  The message stays valid until
 * ghost_queue_consume().
 */
const struct ghost_msg *ghost_queue_peek(struct ghost_queue *q);

/* Give @m's slots back to the kernel. */
void ghost_queue_consume(struct ghost_queue *q, const struct ghost_msg *m);

/* Slots a message of @length bytes takes (at least one). */
static inline unsigned int ghost_msg_slots(unsigned int length)
{
	unsigned int n = (length + sizeof(struct ghost_msg) - 1) /
			 sizeof(struct ghost_msg);

	return n ? n : 1;
}

static inline const void *ghost_msg_payload(const struct ghost_msg *m)
{
	return m + 1;
}

/* "TASK_NEW", "CPU_TICK", ...; "UNKNOWN" for other types. */
const char *ghost_msg_type_name(unsigned int type);

/*
 * Sleep until the head of the caller's queue (its agent queue, else the
 * default queue) differs from w->head (GHOST_IOC_AGENT_WAIT), or with
 * GHOST_WAIT_F_AGENT_SEQ until the agent's agent_seq differs from
 * w->agent_seq (with GHOST_WAIT_F_SEQ_ONLY too, only then: quiet messages
 * do not end the wait).  0 when it moved, -ESTALE if it had already
 * moved, -ETIMEDOUT after w->timeout_ms, -EINTR on a signal.  @w goes to
 * the kernel as is, so a signal handler may set w->head and w->agent_seq
 * to values they cannot have to make a wait that is about to start return
 * at once.
 */
int ghost_queue_wait(struct ghost_enclave *e, struct ghost_ioc_wait *w);

/*
 * For an agent that spins: when its CPU word's wanted moved (a task
 * outside ghost became runnable on its CPU), and now and then, let such
 * tasks run for at most @timeout_ms (0: 1 ms) before going on
 * (GHOST_WAIT_F_STEP_ASIDE).  1 once none is runnable there, 0 if none
 * was, -ETIMEDOUT when the time ran out first, -EINTR on a signal,
 * -EINVAL from a module without it.
 */
int ghost_agent_step_aside(struct ghost_enclave *e, unsigned int timeout_ms);

/* poll() the queue fd for messages: 1 if there are some, 0 on timeout. */
int ghost_queue_poll(struct ghost_queue *q, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Agents: transactions                                                */
/* ------------------------------------------------------------------ */

/* Size of tables indexed by enum ghost_txn_state. */
#define GHOST_TXN_NR_STATES	(GHOST_TXN_CPU_NOT_ALLOWED + 1)

/* The slot of @cpu, or NULL if out of range. */
struct ghost_txn *ghost_txn_slot(const struct ghost_enclave *e, int cpu);

/*
 * Fill the slot of @cpu with "run @gtid (barrier @barrier)" and mark it
 * GHOST_TXN_READY.  -EBUSY if the slot is READY or being committed,
 * -EINVAL if @cpu has no slot or @flags unknown bits.
 */
int ghost_txn_open(struct ghost_enclave *e, int cpu, __u64 gtid,
		   __u32 barrier, __u32 flags);

/* Withdraw a READY slot: 0, or -EALREADY if the kernel took it. */
int ghost_txn_abort(struct ghost_enclave *e, int cpu);

/*
 * The state of @cpu's slot (acquire): GHOST_TXN_READY, a final
 * enum ghost_txn_state, 0 if never used, or -EINVAL for a bad @cpu.
 */
int ghost_txn_state(const struct ghost_enclave *e, int cpu);

/*
 * Commit the READY slots of @cpus (GHOST_IOC_COMMIT: remote CPUs first,
 * the caller's own last).  Only an agent of the enclave may commit.
 * Returns how many reached GHOST_TXN_COMPLETE, or -errno; each slot's
 * state tells its outcome.
 */
int ghost_txn_commit(struct ghost_enclave *e, const struct ghost_cpuset *cpus);

/* Commit the slot of @cpu alone: its final state, or -errno. */
int ghost_txn_commit_one(struct ghost_enclave *e, int cpu);

/*
 * Commit the READY slots of @cpus, then wait as ghost_queue_wait() does
 * with cw->wait, in one call (GHOST_IOC_COMMIT_WAIT): a per-CPU agent
 * hands its CPU to the thread it committed there and sleeps.  The caller
 * fills cw->wait and keeps @cw where a signal handler can reach it (as
 * for ghost_queue_wait()); cw->commit is filled here.  Returns what the
 * wait returns; cw->commit.nr_committed and each slot's state tell the
 * commit's outcome.  A failed commit returns its error without waiting,
 * and so does a slot that did not complete, with -EAGAIN (its CPU needs
 * another decision).  On a module without the call (ENOTTY) it commits and waits in two
 * calls, from then on for @e; after EINVAL, for this call only.
 */
int ghost_commit_wait(struct ghost_enclave *e, const struct ghost_cpuset *cpus,
		      struct ghost_ioc_commit_wait *cw);

/* "complete", "target_stale", ...; "ready", "unused" or "unknown". */
const char *ghost_txn_state_name(int state);

/* ------------------------------------------------------------------ */
/* Agents: dispatch lists (the in-kernel fast path)                    */
/* ------------------------------------------------------------------ */

/*
 * Per CPU, an ordered list of decisions the module takes by itself when
 * the CPU's ghost thread blocks, yields, exits or is preempted (see
 * "Dispatch lists" in <linux/ghost.h>).  The agent appends at tail; only
 * the kernel moves head, so the agent can neither remove nor reorder an
 * entry once published.  An entry it no longer wants is made harmless by
 * the thread's barrier moving on (every message moves it): the kernel
 * skips it as stale.  The kernel drops whole lists (head = tail) when the
 * enclave's last agent leaves and at GHOST_IOC_DISCOVER; a hot swap in
 * one process keeps them, so the next policy reads the outstanding entries
 * (ghost_dl_entries()) and learns their fate from TASK_LATCHED or the
 * threads' next messages.  One writer per list: callers serialise pushes
 * to the same CPU.
 */

/* 1 if @e has the dispatch region mapped, else 0. */
int ghost_dispatch_available(const struct ghost_enclave *e);

/* The list of @cpu, or NULL (no region or no such CPU). */
struct ghost_dispatch_list *ghost_dispatch_list(const struct ghost_enclave *e,
						int cpu);

/*
 * Set @cpu's GHOST_DL_F_* flags (store-release).  -EINVAL for unknown
 * flags or CPU, -EOPNOTSUPP without dispatch lists.
 */
int ghost_dispatch_set_flags(struct ghost_enclave *e, int cpu, __u32 flags);

/*
 * Append "run @gtid if its barrier is still @barrier" to @cpu's list and
 * publish it (store-release of tail).  -ENOSPC while GHOST_DISPATCH_SLOTS
 * entries are outstanding, -EINVAL for gtid 0 or a bad CPU, -EOPNOTSUPP
 * without dispatch lists.  Call ghost_dispatch_kick() after a batch.
 */
int ghost_dispatch_push(struct ghost_enclave *e, int cpu, __u64 gtid,
			__u32 barrier);

/* Entries of @cpu's list the kernel has not consumed yet, or -errno. */
int ghost_dispatch_outstanding(const struct ghost_enclave *e, int cpu);

/*
 * After pushing to the lists of @cpus: a full barrier, then for each of
 * them whose list is enabled and not empty, the CPU word; the CPUs that
 * have no ghost thread would not notice the entries, so they get one
 * GHOST_IOC_DISPATCH.  Returns how many CPUs got a thread from it (0 when
 * none needed the call), or -errno.
 */
int ghost_dispatch_kick(struct ghost_enclave *e,
			const struct ghost_cpuset *cpus);
int ghost_dispatch_kick_one(struct ghost_enclave *e, int cpu);

/* The same on one list in memory (tests, tools, the agent's own view). */
int ghost_dl_push(struct ghost_dispatch_list *dl, __u64 gtid, __u32 barrier);
int ghost_dl_outstanding(const struct ghost_dispatch_list *dl);
int ghost_dl_set_flags(struct ghost_dispatch_list *dl, __u32 flags);

/*
 * Copy up to @max outstanding entries, oldest first, into @out; returns
 * how many.  A snapshot: the kernel may consume some meanwhile.
 */
int ghost_dl_entries(const struct ghost_dispatch_list *dl,
		     struct ghost_dispatch_entry *out, int max);

/*
 * Use @size bytes at @mem, laid out as the module's dispatch region, as
 * @e's lists (after ghost_enclave_init_mem()).
 */
int ghost_enclave_init_dispatch_mem(struct ghost_enclave *e, void *mem,
				    size_t size);

/* ------------------------------------------------------------------ */
/* Agents: status words                                                */
/* ------------------------------------------------------------------ */

/* Word @index, or NULL if out of range. */
const struct ghost_status_word *ghost_sw_word(const struct ghost_enclave *e,
					      unsigned int index);

/* The in-use word of @gtid (a scan of the region), or NULL. */
const struct ghost_status_word *ghost_sw_find(const struct ghost_enclave *e,
					      __u64 gtid);

/* The word of CPU @cpu, or NULL if out of range. */
const struct ghost_cpu_word *ghost_sw_cpu(const struct ghost_enclave *e,
					  int cpu);

/*
 * Copy @w into @out so that all fields belong to one barrier: retries
 * while the kernel updates it.
 */
void ghost_sw_snapshot(const struct ghost_status_word *w,
		       struct ghost_status_word *out);

/* The CPU @gtid is committed to (from the CPU words), or -1. */
int ghost_sw_task_cpu(const struct ghost_enclave *e, __u64 gtid);

/* GHOST_IOC_SW_GET: the word index of live thread @gtid. */
int ghost_sw_index(struct ghost_enclave *e, __u64 gtid, unsigned int *index);

/* GHOST_IOC_SW_FREE: recycle the word of a dead/departed thread. */
int ghost_sw_free(struct ghost_enclave *e, __u64 gtid, unsigned int index);

/* ------------------------------------------------------------------ */
/* CPU topology                                                        */
/* ------------------------------------------------------------------ */

struct ghost_topology {
	int nr_cpu_ids;			/* CPU numbers are below this */
	int nr_nodes;
	short node[GHOST_MAX_CPUS];	/* NUMA node of each CPU; -1 absent */
};

/* Read the NUMA node of every CPU (libnuma; all node 0 without NUMA). */
int ghost_topology_load(struct ghost_topology *t);

/* Node of @cpu, or -1. */
int ghost_topology_node(const struct ghost_topology *t, int cpu);

/* ------------------------------------------------------------------ */
/* The control socket of a running ghost-agent                         */
/* ------------------------------------------------------------------ */

#define GHOST_AGENT_RUN_DIR	"/run/ghost"

/* "/run/ghost/agent-<id>.sock" into @buf. */
int ghost_agent_sock_path(unsigned int id, char *buf, size_t len);

/*
 * Send @request ("status\n", "swap\npolicy fifo\n", ...) to the agent of
 * enclave @id and read its whole reply, NUL-terminated, into @reply.
 * -ENOENT/-ECONNREFUSED if no agent listens; -ETIMEDOUT after
 * @timeout_ms; -ENOSPC if the reply does not fit.  Replies are "key value" lines, the first "status ok" or
 * "status error", see ghost-agent(8).
 */
int ghost_agent_call(unsigned int id, const char *request, char *reply,
		     size_t len, int timeout_ms);

/*
 * Send @request to the agent listening on @path and read its whole reply,
 * NUL-terminated, into *@reply (malloc()ed; NULL on error), at most @max
 * bytes.  0, or -ENOENT/-ECONNREFUSED (no agent, or a stale socket),
 * -EACCES, -ETIMEDOUT after @timeout_ms (connecting, sending and reading
 * together), -EMSGSIZE past @max, -ENOMEM.
 */
int ghost_agent_request(const char *path, const char *request, char **reply,
			size_t max, int timeout_ms);

/*
 * The value of the first "@key value" line of @text, into @val.  -ENOENT
 * if absent, -ENOSPC if it does not fit.
 */
int ghost_kv_get(const char *text, const char *key, char *val, size_t len);

/* ------------------------------------------------------------------ */
/* Application hints (see <ghost/app_hint.h>)                          */
/* ------------------------------------------------------------------ */

/* A hint region, as the application that writes it or the agent maps it. */
struct ghost_hint_region {
	int fd;				/* the memfd, -1 once registered/closed */
	void *mem;
	size_t size;
	unsigned int nr_slots;		/* as validated, not as the header says now */
	int writable;			/* the application's mapping */
};

/*
 * Application side.  Create a region of @nr_slots (1 ..
 * GHOST_HINT_MAX_SLOTS) slots: a memfd sealed against shrinking, growing
 * and further sealing, mapped read-write.  0 or -errno.
 */
int ghost_hint_create(struct ghost_hint_region *r, unsigned int nr_slots);

/*
 * Hand @r to the agent of enclave @id ("hints" on its control socket):
 * from then on its policy may read the hints of this process's threads.
 * Registering again replaces the earlier region.  0, -errno of the
 * socket, or -EPERM/-EINVAL when the agent refuses (@msg says why).
 */
int ghost_hint_register(struct ghost_hint_region *r, unsigned int id,
			char *msg, size_t len);

/*
 * Publish thread @tid's hint (0: the caller): qos, GHOST_HINT_F_* flags,
 * deadline, estimate and period.  The thread's slot is taken on first use.  Only
 * one thread may write a given tid's slot at a time.  0, -EINVAL (bad
 * qos or flags), -ENOSPC (no free slot).
 */
int ghost_hint_set(struct ghost_hint_region *r, int tid,
		   const struct ghost_app_hint *h);

/* Mark @tid (0: the caller) runnable (1) or idle (0), keeping the rest. */
int ghost_hint_set_runnable(struct ghost_hint_region *r, int tid,
			    int runnable);

/*
 * Give @tid's deadline (0: the caller) a period of @period_ns, keeping
 * the rest (0: no period): its work repeats, and a policy that honours
 * periods (edf) moves a deadline that has passed on by whole periods
 * when the thread wakes, so the application may publish it once.
 */
int ghost_hint_set_period(struct ghost_hint_region *r, int tid,
			  __u64 period_ns);

/* Free @tid's slot (0: the caller): it publishes nothing. -ENOENT if none. */
int ghost_hint_clear(struct ghost_hint_region *r, int tid);

/* Unmap @r and close its fd (the agent keeps its own mapping). */
void ghost_hint_destroy(struct ghost_hint_region *r);

/*
 * Agent side.  Validate the region behind @fd (see <ghost/app_hint.h>) and
 * map it read-only into @r; @fd stays the caller's.  0 or -EINVAL,
 * -EBADFD (not a sealed memfd), -EFBIG, with the reason in @msg.
 */
int ghost_hint_map(int fd, struct ghost_hint_region *r, char *msg,
		   size_t len);

/*
 * Read @tid's hint consistently (seqcount).  *@slot caches the slot
 * index between calls (start with -1).  0, or -ENOENT if @tid has no
 * slot, -EAGAIN if its writer did not let a consistent read happen.
 */
int ghost_hint_read(const struct ghost_hint_region *r, int tid, int *slot,
		    struct ghost_app_hint *out);

/* ------------------------------------------------------------------ */
/* Policy plugins (see <ghost/policy.h>)                               */
/* ------------------------------------------------------------------ */

struct ghost_policy_ops;
struct ghost_policy_ctx;

/* A loaded policy .so. */
struct ghost_policy_lib {
	void *dl;
	const struct ghost_policy_ops *ops;
	char path[4096];
};

/*
 * Check an ops table: ABI version, size, name, model and the required
 * callbacks.  0 or -EINVAL with the reason in @msg.
 */
int ghost_policy_validate(const struct ghost_policy_ops *ops, char *msg,
			  size_t len);

/*
 * Load policy @name: a path if it contains '/', else "<dir>/<name>.so"
 * for the first of @dirs (NULL-terminated) that has it.  dlopen()s it,
 * looks up "ghost_policy" and validates it.  -ENOENT if there is no
 * such policy, -ELIBBAD if it cannot be loaded, lacks the symbol or fails
 * validation; @msg says which.
 */
int ghost_policy_open(const char *name, const char *const dirs[],
		      struct ghost_policy_lib *lib, char *msg, size_t len);

void ghost_policy_close(struct ghost_policy_lib *lib);

/*
 * Where tools look for a policy given by name, NULL-terminated: the
 * directories of $GHOST_POLICY_PATH (colon-separated), then ../policies
 * and ../lib/ghost/policies beside the running program.  Worked out at
 * the first call; the strings are static.
 */
const char *const *ghost_policy_search_path(void);

/*
 * Run @ops->init (and fini) on a copy of @ctx in a forked child, so that
 * a policy that crashes or fails in init is caught without harm: 0, or
 * -EINVAL (init failed) / -ECHILD (it crashed) with the reason in @msg.
 */
int ghost_policy_probe(const struct ghost_policy_ops *ops,
		       const struct ghost_policy_ctx *ctx,
		       const char *const opts[], char *msg, size_t len);

/*
 * Deliver message @m to its callback: 1 if delivered, 0 if the policy
 * has no callback for it (or the type is unknown), -EINVAL if @m is too
 * short for its type.
 */
int ghost_policy_dispatch(const struct ghost_policy_ops *ops,
			  struct ghost_policy_ctx *ctx,
			  const struct ghost_msg *m);

/* 1 if state exported by @from can be imported by @to. */
int ghost_policy_state_compatible(const struct ghost_policy_ops *from,
				  const struct ghost_policy_ops *to);

#ifdef __cplusplus
}
#endif

#endif /* _GHOST_LIBGHOST_H */
