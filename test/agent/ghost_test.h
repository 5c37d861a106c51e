/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small agent library for the integration tests of ghost: just enough to
 * drive an enclave from a test program (rings, status words, transactions,
 * worker threads and processes).  Not libghost: it talks to the ABI
 * directly so that the tests check the kernel, not a library.
 */
#ifndef GHOST_TEST_H
#define GHOST_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <pthread.h>
#include <linux/ghost.h>

#define GT_PASS		0
#define GT_FAIL		1
#define GT_SKIP		77

/* CPU sets of the tests are 64-bit masks: the VMs have a few CPUs. */
#define GT_MAX_CPUS	64
#define GT_CPU(c)	(1ULL << (c))

/* Report a failure with the test's name and line, and return GT_FAIL. */
#define gt_fail(fmt, ...) ({						\
	fprintf(stderr, "%s:%d: " fmt "\n", __func__, __LINE__,	\
		##__VA_ARGS__);						\
	GT_FAIL;							\
})

#define gt_skip(fmt, ...) ({						\
	fprintf(stderr, "skip: " fmt "\n", ##__VA_ARGS__);		\
	GT_SKIP;							\
})

/* Poll @cond every millisecond for up to @ms; true if it became true. */
#define gt_wait_for(cond, ms) ({					\
	uint64_t __end = gt_now_ns() + (uint64_t)(ms) * 1000000ULL;	\
	int __ok;							\
	while (!(__ok = !!(cond)) && gt_now_ns() < __end)		\
		gt_sleep_ms(1);						\
	__ok;								\
})

/* One test of a program; main() is GT_MAIN(tests). */
struct gt_test {
	const char *name;
	int (*fn)(void);
};

int gt_main(int argc, char **argv, const struct gt_test *tests);
#define GT_MAIN(tests)							\
	int main(int argc, char **argv) { return gt_main(argc, argv, tests); }

/* Machine and module */
extern int gt_nr_cpu_ids;	/* possible CPUs, the txn region's size */
extern int gt_nr_cpus;		/* online CPUs, all < GT_MAX_CPUS */

uint64_t gt_now_ns(void);	/* CLOCK_MONOTONIC */
void gt_sleep_ms(unsigned int ms);
int gt_init(void);		/* GT_SKIP unless ghost is loaded */
int gt_need_cpus(int n);	/* GT_SKIP with fewer than @n online CPUs */
uint64_t gt_all_cpus(void);
int gt_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));	/* 0 or -errno */
int gt_read_file(const char *path, char *buf, size_t len);
/*
 * A fresh cgroup v2 group /sys/fs/cgroup/@name with @controller enabled
 * above it: 0, or GT_SKIP without cgroup2 or that controller.
 */
int gt_cgroup_make(const char *name, const char *controller);
int gt_param_get(const char *name);	/* ghost module parameter, or -1 */
int gt_param_set(const char *name, int val);
/* Kernel log lines after the last gt_klog_mark() that contain @needle. */
void gt_klog_mark(void);
int gt_klog_contains(const char *needle);
/* Iterations of the worker loop in @ms of one CPU, for ->work. */
uint64_t gt_calibrate(int ms);

/*
 * The usual layout: the agent on the first online CPU, workers committed
 * to the others, gt_cpu(0), gt_cpu(1), ...
 */
extern int gt_agent_cpu;
int gt_cpu(int i);

/* A message copied out of the ring. */
struct gt_msg {
	uint16_t type;
	uint16_t length;
	uint32_t seqnum;
	uint64_t gtid;		/* task messages */
	int cpu;		/* task: where it happened; CPU messages: the CPU */
	int claimed;		/* returned by gt_wait_msg() already */
	uint64_t recv_ns;
	union {
		struct ghost_msg_task task;
		struct ghost_msg_task_new new;
		struct ghost_msg_task_wakeup wakeup;
		struct ghost_msg_task_priority prio;
		struct ghost_msg_cpu cpu;
		uint8_t raw[64];
	} u;
};

struct gt_enclave {
	int id;
	char dir[64];
	int ctl_fd;		/* enclave_<id>/ctl, O_RDWR */
	int qfd;		/* default queue, or -1 */
	struct ghost_ring *ring;
	size_t ring_size;
	struct ghost_txn *txn;
	size_t txn_size;
	const struct ghost_sw_region_header *sw;
	size_t sw_size;
	struct ghost_dispatch_list *dl;	/* per CPU */
	size_t dl_size;
	uint32_t tail;		/* our copy of ring->tail */
	uint64_t overflow_seen;

	/* Messages drained from the ring, for gt_wait_msg(). */
	struct gt_msg *log;
	size_t nr_log, log_cap;
};

/* Enclaves */
int gt_enclave_create(struct gt_enclave *e, int id, uint64_t cpus);
int gt_enclave_open(struct gt_enclave *e, int id);	/* existing one */
int gt_enclave_map(struct gt_enclave *e);	/* default queue, txn, sw */
int gt_enclave_map_shared(struct gt_enclave *e);	/* txn, sw, lists */
void gt_enclave_close(struct gt_enclave *e);
int gt_enclave_destroy(struct gt_enclave *e);	/* 0 or -errno */
int gt_enclave_exists(int id);
void gt_destroy_all(void);
int gt_efile_write(struct gt_enclave *e, const char *file, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
int gt_efile_read(struct gt_enclave *e, const char *file, char *buf,
		  size_t len);
long gt_status(struct gt_enclave *e, const char *key);	/* -1 if absent */
int gt_tasks_contains(struct gt_enclave *e, pid_t tid);
int gt_leave(struct gt_enclave *e, pid_t tid);	/* 0 or -errno */
int gt_queue_create(struct gt_enclave *e, uint32_t elems);
/*
 * A queue that is not the default one (flags 0) in @view, a copy of @e
 * with its own ring and message log: gt_wait_msg(@view, ...) reads it.
 */
int gt_queue_extra(struct gt_enclave *e, struct gt_enclave *view,
		   uint32_t elems);

/*
 * Enclave 1 over @cpus (0: every online CPU), mapped, with the caller as
 * the agent of gt_agent_cpu if @attach.  0, or a failure already reported.
 */
int gt_setup(struct gt_enclave *e, uint64_t cpus, int attach);

/* Agent */
int gt_attach(struct gt_enclave *e, int cpu);	/* 0 or -errno */
int gt_agent_wait(struct gt_enclave *e, uint32_t head, uint32_t timeout_ms);
/* AGENT_WAIT with GHOST_WAIT_F_* @flags and agent_seq @seq. */
int gt_agent_wait_seq(struct gt_enclave *e, uint32_t head, uint32_t seq,
		      uint32_t flags, uint32_t timeout_ms);
/* agent_seq of gt_agent_cpu's word. */
uint32_t gt_agent_seq(struct gt_enclave *e);

/* Messages: peek/consume are the raw protocol, the rest logs them. */
struct ghost_msg *gt_msg_peek(struct gt_enclave *e);
void gt_msg_consume(struct gt_enclave *e, struct ghost_msg *m);
void gt_msg_copy(const struct ghost_msg *m, struct gt_msg *out);
int gt_drain(struct gt_enclave *e);
int gt_wait_msg(struct gt_enclave *e, int type, pid_t tid, int timeout_ms,
		struct gt_msg *out);
int gt_count_msgs(struct gt_enclave *e, int type, pid_t tid);
int gt_find_msg(struct gt_enclave *e, int type, pid_t tid,
		struct gt_msg *out);
void gt_log_clear(struct gt_enclave *e);
uint64_t gt_wait_new(struct gt_enclave *e, pid_t tid, int timeout_ms);
const char *gt_msg_name(int type);
const char *gt_txn_name(int state);

/* Status words */
int gt_sw_index(struct gt_enclave *e, uint64_t gtid);	/* -1 on error */
const volatile struct ghost_status_word *gt_sw(struct gt_enclave *e,
						int index);
const volatile struct ghost_status_word *gt_sw_of(struct gt_enclave *e,
						   uint64_t gtid);
const volatile struct ghost_cpu_word *gt_cpu_word(struct gt_enclave *e,
						  int cpu);
uint32_t gt_barrier(struct gt_enclave *e, uint64_t gtid);

/* Transactions */
void gt_txn_set(struct gt_enclave *e, int cpu, uint64_t gtid,
		uint32_t barrier, uint32_t flags);
int gt_txn_state(struct gt_enclave *e, int cpu);
int gt_txn_commit(struct gt_enclave *e, uint64_t cpus, uint32_t *nr_done);
int gt_commit(struct gt_enclave *e, uint64_t gtid, int cpu);
int gt_commit_barrier(struct gt_enclave *e, uint64_t gtid, int cpu,
		      uint32_t barrier);
int gt_keep_running(struct gt_enclave *e, uint64_t gtid, int cpu);
int gt_idle(struct gt_enclave *e, int cpu);

/* Append to @cpu's dispatch list; GHOST_IOC_DISPATCH for @cpu. */
void gt_dl_push(struct gt_enclave *e, int cpu, uint64_t gtid,
		uint32_t barrier);
int gt_dl_kick(struct gt_enclave *e, int cpu, uint32_t *nr);

/* Workers: threads or processes that enter ghost, then obey ->cmd. */
enum gt_cmd {
	GT_CMD_SPIN,		/* count and record the CPU */
	GT_CMD_EXIT,
	GT_CMD_PIPE,		/* read one byte from ->pipefd[0], then spin */
	GT_CMD_FUTEX,		/* wait while ->futex is 0, then spin */
	GT_CMD_SLEEP,		/* nanosleep 20 ms, then spin */
	GT_CMD_YIELD,		/* sched_yield() once, then spin */
	GT_CMD_FORK,		/* fork a child worker at ->child, then spin */
};

enum gt_wstate {
	GT_W_NEW,
	GT_W_ENTERING,		/* about to write its tid to tasks */
	GT_W_RUNNING,		/* the write returned: it runs user code */
	GT_W_FAILED,		/* entering failed: ->enter_errno */
	GT_W_DONE,
};

struct gt_worker {
	/* Set before the worker starts. */
	char tasks_path[80];	/* empty: do not enter ghost */
	char name[16];
	int policy;		/* SCHED_OTHER (0), SCHED_FIFO, ... */
	int rt_prio;
	int nice;
	uid_t uid;		/* 0: stay root; else this uid, no capabilities */
	uint64_t affinity;	/* 0: every online CPU */
	uint64_t work;		/* GT_CMD_SPIN: exit after this many (0: never) */
	void (*fn)(struct gt_worker *w);	/* body instead of the loop */
	struct gt_worker *child;	/* GT_CMD_FORK */

	volatile int cmd;
	int pipefd[2];
	volatile uint32_t futex;

	/* Written by the worker. */
	volatile pid_t tid;
	volatile pid_t pid;
	volatile int state;
	volatile int enter_errno;
	volatile uint64_t counter;
	volatile int cpu;
	volatile uint64_t cpus_seen;
	volatile int reset_seen;	/* set: the worker clears cpus_seen */
	volatile uint64_t run_ns;	/* CLOCK_MONOTONIC at a command's end */
	volatile uint64_t wakeups;
	volatile int sig_seen;
	volatile int sig_cpu;
	volatile pid_t forked;		/* GT_CMD_FORK: the child's pid */
	volatile int fn_errno[4];	/* what ->fn wants to report */

	/* What the worker saw when it finished (->work reached). */
	volatile int end_policy;
	volatile int end_prio;
	volatile int end_nice;
	volatile uint64_t end_affinity;

	pthread_t thread;
	int is_proc;
};

struct gt_worker *gt_workers(int n);	/* zeroed, shared with children */
void gt_worker_prepare(struct gt_worker *w, struct gt_enclave *e);
int gt_worker_thread(struct gt_worker *w, struct gt_enclave *e);
pid_t gt_worker_proc(struct gt_worker *w, struct gt_enclave *e);
void gt_worker_main(struct gt_worker *w);	/* set up, enter, run */
int gt_worker_entering(struct gt_worker *w, int timeout_ms);
/* Start @w as a thread (or process) in @e; its gtid from TASK_NEW, or 0. */
uint64_t gt_start(struct gt_enclave *e, struct gt_worker *w, int proc);
void gt_worker_cmd(struct gt_worker *w, int cmd);
int gt_run_on(struct gt_enclave *e, struct gt_worker *w, uint64_t gtid,
	      int cpu);	/* commit and see it run: 0 or GT_FAIL */
int gt_worker_poke(struct gt_worker *w);	/* one byte into its pipe */
int gt_worker_progresses(struct gt_worker *w, int timeout_ms);
int gt_worker_runs_on(struct gt_enclave *e, struct gt_worker *w,
		      uint64_t gtid, int cpu, int timeout_ms);
int gt_worker_frozen(struct gt_worker *w, int ms);
/* The CPUs @w runs on during @ms from now; ~0 if it does not run. */
uint64_t gt_worker_cpus(struct gt_worker *w, int ms);
int gt_worker_join(struct gt_worker *w, int timeout_ms);
int gt_proc_wait(pid_t pid, int timeout_ms, int *status);
void gt_kill_children(void);
uint64_t gt_affinity_of(pid_t tid);
void gt_reset_sched(void);	/* SCHED_OTHER, nice 0, every online CPU */
int gt_drop_caps(uint64_t caps);	/* bit mask of CAP_*: 0 or -1 */

/* A FIFO round-robin agent loop over @cpus (never the caller's CPU). */
struct gt_fifo_task {
	uint64_t gtid;
	int sw_index;
	int state;		/* GT_FT_* */
	int cpu;
	int queued;
	int new_seen;
	unsigned int commits;	/* COMPLETE commits */
	uint64_t since;
	uint64_t allowed;	/* CPUs it may run on; 0: not asked yet */
};

enum { GT_FT_RUNNABLE, GT_FT_RUNNING, GT_FT_BLOCKED, GT_FT_DEAD };

struct gt_fifo {
	struct gt_enclave *e;
	uint64_t cpus;
	unsigned int quantum_ms;
	struct gt_fifo_task *tasks;	/* open hash on gtid */
	unsigned int cap;
	unsigned int nr_tasks, nr_new, nr_dead, nr_departed;
	unsigned int nr_commits, nr_stale, nr_errors;
	int *rq;			/* indices into tasks */
	unsigned int rq_head, rq_tail;
	int cur[GT_MAX_CPUS];		/* task index per CPU, or -1 */
};

int gt_fifo_init(struct gt_fifo *f, struct gt_enclave *e, uint64_t cpus,
		 unsigned int quantum_ms, unsigned int max_tasks);
void gt_fifo_free(struct gt_fifo *f);
/*
 * Run until @done returns true (0), @timeout_ms passes (-ETIMEDOUT) or the
 * enclave is destroyed (-ENODEV).
 */
int gt_fifo_run(struct gt_fifo *f, int timeout_ms,
		int (*done)(struct gt_fifo *f, void *arg), void *arg);
struct gt_fifo_task *gt_fifo_find(struct gt_fifo *f, uint64_t gtid);

#endif /* GHOST_TEST_H */
