/* SPDX-License-Identifier: GPL-2.0 */
/* Objects shared by the parts of ghost.ko. */
#ifndef _GHOST_GHOST_H
#define _GHOST_GHOST_H

#include <linux/cpumask.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/ghost.h>

struct dentry;
struct file;
struct seq_file;
struct ghost_tick;
struct vm_area_struct;
struct ghost_enclave;
struct ghost_lat;

/* One file of an enclave directory: formats and parses its text. */
struct ghost_enclave_attr {
	const char *name;
	umode_t mode;
	int (*show)(struct ghost_enclave *e, struct seq_file *m);
	int (*store)(struct ghost_enclave *e, char *buf);
	long (*ioctl)(struct ghost_enclave *e, struct file *file,
		      unsigned int cmd, unsigned long arg);
	int (*mmap)(struct ghost_enclave *e, struct vm_area_struct *vma);
	/* Stores that check privileges themselves (tasks). */
	bool own_privileges;
	/*
	 * Writes need CAP_SYS_NICE, unless an administrator delegated the
	 * file (chown/chmod, as cgroup v2 delegates a subtree).
	 */
	bool delegable;
	/* Stores that run without ghost_lock (they may sleep long). */
	bool unlocked;
};

/* What an enclave file's inode points at; holds a reference on @e. */
struct ghost_enclave_file {
	struct ghost_enclave *e;
	const struct ghost_enclave_attr *attr;
};

/* A message ring shared with agents through an anonymous fd. */
struct ghost_queue {
	struct kref ref;
	const void *owner;		/* its enclave: compared, never used */
	bool orphan;			/* no fd left: nobody reads it */
	struct ghost_ring *ring;	/* vmalloc_user */
	size_t size;
	u32 nr_slots;
	u32 head;			/* the kernel's copy: never read back */
	u32 overflow;
	wait_queue_head_t wq;		/* poll, and AGENT_WAIT of non-agents */
	struct irq_work wake;		/* wakes wq from scheduler hooks */
	cpumask_var_t wake_cpus;	/* their agents are woken too */
	struct work_struct free_work;	/* the last put may be in a hook */
};

/*
 * A thread in an enclave, or an agent.  States of a scheduled thread:
 *   RUNNABLE    wants a CPU; parks before running user code
 *   COMMITTING  being placed on @cpu by a commit; still parked
 *   RUNNING     committed to @cpu: may run user code there
 *   BLOCKED     asleep outside ghost
 *   GONE        exited or left; waits for its last reference
 */
enum ghost_thread_state {
	GT_RUNNABLE,
	GT_COMMITTING,
	GT_RUNNING,
	GT_BLOCKED,
	GT_GONE,
};

/* ghost_thread->flags */
enum {
	GT_F_WORK_QUEUED,	/* ->work is on the task's task_work list */
	GT_F_PARKED,		/* sleeping in ghost_park() */
	GT_F_DETACH,		/* leave the enclave at the next chance */
	GT_F_ENROLLED,		/* notifier registered, in the hash */
	GT_F_AGENT,		/* an agent, not a scheduled thread */
	GT_F_JOINED,		/* the enrolment was attempted */
	GT_F_SEND_ON_CPU,	/* TASK_ON_CPU at the next sched_in */
	GT_F_PINNING,		/* moving itself to its CPU (ghost_park()) */
	GT_F_PINNED,		/* its mask is its CPU, since it was placed */
	GT_F_LAT,		/* placed, not run yet: latency.c measures */
};


struct ghost_thread {
	struct hlist_node hnode;	/* ghost_thread_hash, RCU */
	struct hlist_node gnode;	/* ghost_gtid_hash, RCU */
	struct list_head enode;		/* enclave->threads, under e->lock */
	struct list_head wnode;		/* a CPU's woken line, under e->lock */
	u32 woken_barrier;		/* its barrier when it joined that line */
	struct task_struct *task;	/* reference held */
	struct ghost_enclave *e;	/* reference held */
	refcount_t ref;
	struct preempt_notifier pn;
	struct callback_head work;	/* join, park or detach */
	unsigned long flags;
	wait_queue_head_t wq;		/* ghost_park() sleeps here */
	enum ghost_thread_state state;	/* under e->lock */
	int cpu;			/* committed CPU (agent: its CPU), or -1 */
	int last_cpu;			/* last CPU it was placed on, or -1 */
	u32 passed;			/* AFFINE lists ran later entries first */
	int nice;			/* as last told to the agent */
	u32 barrier;
	u32 agent_seq;			/* agents: bumped by each wakeup */
	struct ghost_queue *queue;	/* its messages go here, or NULL */
	u32 sw_index;
	u64 gtid;
	u64 parent_gtid;
	u64 runnable_since;		/* jiffies, for the watchdog */
	u64 runnable_ns;		/* latency.c: became runnable, mono ns */
	u64 placed_ns;			/* latency.c: given a CPU, mono ns */
	int quota;			/* its user's slot in e->quota + 1, or 0 */
	atomic_t pinners;		/* others setting its mask right now */

	/* What the thread gets back when it leaves. */
	int saved_policy;
	unsigned int saved_rt_priority;
	int saved_nice;
	cpumask_var_t saved_mask;

	struct rcu_head rcu;
};

/*
 * Asleep or switched out inside the module (parked, or waiting for the
 * migration stopper while it moves itself): hooks do not take that for
 * the thread blocking or waking.
 */
static inline bool ghost_thread_in_module(const struct ghost_thread *gt)
{
	return test_bit(GT_F_PARKED, &gt->flags) ||
	       test_bit(GT_F_PINNING, &gt->flags);
}

/*
 * Pinning a thread from another context (a commit, a kick) before it
 * runs: ghost_pin_begin() under e->lock while it is in the enclave, then
 * ghost_pin_other() outside it.  A leaving thread waits for such pins to
 * end before it takes its own mask back, so none lands after that.
 */
bool ghost_pin_begin(struct ghost_thread *gt, int cpu);
int ghost_pin_other(struct ghost_thread *gt, int cpu);

/* Allocations a test can make fail (fault.c). */
enum ghost_fault {
	GHOST_FAULT_FORK,
	GHOST_FAULT_DESTROY,
};

bool ghost_fault(enum ghost_fault f);

/* The kernel's side of one CPU's dispatch list. */
struct ghost_dispatch_cpu {
	struct ghost_enclave *e;
	int cpu;
	u32 head;			/* the kernel's copy: never read back */
	bool deferred;			/* a quiet wakeup waits for the agent */
	struct list_head woken;		/* GHOST_DL_F_RUN_WOKEN: lined up */
	struct list_head heir;		/* woken by the exiting thread */
	struct irq_work wake;		/* wakes the thread placed from a hook */
	struct work_struct pin;		/* or pins it here first, then wakes */
};

/* Distinct users (root aside) that may hold threads of one enclave. */
#define GHOST_QUOTA_USERS	64

struct ghost_quota {
	kuid_t uid;
	unsigned int nr;		/* its threads; 0: the slot is free */
};

struct ghost_enclave {
	struct kref ref;
	struct list_head node;		/* in ghost_enclaves, under ghost_lock */
	u32 id;
	u32 abi;
	bool dead;			/* destroyed; files fail with ENODEV */
	cpumask_var_t cpus;		/* under ghost_lock, read under lock */
	u32 runnable_timeout_ms;
	bool deliver_ticks;
	bool audit;			/* sample user mode: tick.c */
	bool deliver_cpu_avail;
	cpumask_var_t cpu_busy;		/* under lock: non-ghost thread runs */
	struct dentry *dir;		/* ghostfs directory while mounted */

	/* Thread state; taken in scheduler hooks, so raw and irqsave. */
	raw_spinlock_t lock;
	struct list_head threads;
	unsigned int nr_threads;
	unsigned int nr_agents;
	struct ghost_thread **cpu_cur;	/* committed thread per CPU */
	struct ghost_thread **cpu_agent;
	struct ghost_queue *queue;	/* default queue, or NULL */
	wait_queue_head_t *agent_wq;	/* per CPU: its agent's AGENT_WAIT */
	cpumask_var_t agent_wake;	/* agents to wake, atomic bits */
	struct irq_work agent_wake_work;
	wait_queue_head_t detach_wq;	/* destroy waits for nr_threads 0 */

	struct ghost_sw_region_header *sw;	/* vmalloc_user */
	size_t sw_size;
	u32 sw_next;
	struct ghost_txn *txn;			/* vmalloc_user */
	size_t txn_size;
	struct ghost_dispatch_list *dl;		/* vmalloc_user, per CPU */
	size_t dl_size;
	struct ghost_dispatch_cpu *dcpu;	/* per CPU, under lock */
	bool deferred_busy;			/* under lock: DEFER_BUSY */

	struct ghost_tick *ticks;		/* per CPU: ticks and audit */
	struct ghost_lat __percpu *lat;		/* latency.c */
	struct mutex ticks_lock;		/* starts and stops them */
	u64 nr_displaced;			/* under lock: sched.c */
	struct ghost_quota quota[GHOST_QUOTA_USERS];	/* under lock */
	u64 audit_samples;			/* under lock */
	u64 audit_violations;
	pid_t audit_last_tid;

	struct delayed_work grace_work;
	struct delayed_work watchdog_work;
	struct work_struct free_work;

	struct ghost_enclave_file files[];
};

/* Serialises enclave creation, destruction, CPU ownership and ghostfs. */
extern struct mutex ghost_lock;
extern struct list_head ghost_enclaves;
extern struct workqueue_struct *ghost_wq;
extern unsigned int ghost_agent_grace_ms;

/* enclave.c */
int ghost_enclave_init(void);
void ghost_enclave_exit(void);
struct ghost_enclave *ghost_enclave_find(u32 id);
struct ghost_enclave *ghost_cpu_owner(int cpu);
DECLARE_PER_CPU(bool, ghost_cpu_back);
void ghost_cpu_returned(int cpu);
int ghost_enclave_create(u32 id, u32 abi);
void ghost_enclave_destroy(struct ghost_enclave *e, const char *why);
void ghost_enclave_destroy_all(void);
bool ghost_enclave_wait_empty(struct ghost_enclave *e, unsigned int ms);
int ghost_enclave_set_cpus(struct ghost_enclave *e, const struct cpumask *cpus);
void ghost_enclave_get(struct ghost_enclave *e);
void ghost_enclave_put(struct ghost_enclave *e);
bool ghost_abi_supported(u32 abi);

/* enclave_files.c */
extern const struct ghost_enclave_attr ghost_enclave_attrs[];
extern const unsigned int ghost_nr_enclave_attrs;

/* ioctl.c */
unsigned long *ghost_copy_cpu_bitmap(u64 uptr, u32 len, bool may_be_empty);
long ghost_enclave_ioctl(struct ghost_enclave *e, struct file *file,
			 unsigned int cmd, unsigned long arg);

/* ctl.c: the top-level ctl and version files. */
extern const struct file_operations ghost_top_ctl_fops;
extern const struct file_operations ghost_version_fops;

/* ghostfs.c */
int ghostfs_init(void);
void ghostfs_exit(void);
int ghostfs_add_enclave(struct ghost_enclave *e);
void ghostfs_remove_enclave(struct ghost_enclave *e);
char *ghostfs_copy_write(const char __user *ubuf, size_t len);

/* thread.c: lookup and lifetime */
struct ghost_thread *ghost_thread_lookup(struct task_struct *p);
struct ghost_thread *ghost_thread_alloc(struct ghost_enclave *e,
					struct task_struct *p, gfp_t gfp);
int ghost_thread_claim(struct ghost_thread *gt);
void ghost_thread_hash_gtid(struct ghost_thread *gt);
void ghost_thread_unhash(struct ghost_thread *gt);
void ghost_thread_abandon(struct ghost_thread *gt);
void ghost_thread_get(struct ghost_thread *gt);
void ghost_thread_save_sched(struct ghost_thread *gt, struct task_struct *p);
void ghost_thread_run_class(void);
void ghost_thread_restore_sched(struct ghost_thread *gt);
struct ghost_thread *ghost_thread_find_gtid(struct ghost_enclave *e, u64 gtid);
struct ghost_thread *ghost_thread_lookup_gtid(u64 gtid);
bool ghost_thread_tryget(struct ghost_thread *gt);
struct ghost_thread *ghost_current_agent(struct ghost_enclave *e);
bool ghost_may_drive(struct ghost_enclave *e);
void ghost_thread_put(struct ghost_thread *gt);

/* enrol.c: joining and leaving, in the thread's own context */
int ghost_thread_enrol(struct ghost_thread *gt, bool agent);
void ghost_thread_depart(struct ghost_thread *gt);
bool ghost_thread_queue_work(struct ghost_thread *gt, int notify);
void ghost_thread_fork(struct task_struct *parent, struct task_struct *child);
void ghost_thread_exit_hook(struct task_struct *p);
void ghost_thread_detach_all(struct ghost_enclave *e);

/* enter.c: requests to move threads */
int ghost_thread_enter(struct ghost_enclave *e, pid_t tid);
int ghost_thread_leave(struct ghost_enclave *e, pid_t tid);
void ghost_thread_tasks_show(struct ghost_enclave *e, struct seq_file *m);

/* agent.c */
int ghost_agent_attach(struct ghost_enclave *e, int cpu);
long ghost_agent_step_aside(unsigned int timeout_ms);

/* sched.c: state changes driven by hooks and commits (e->lock held). */
void ghost_sched_out(struct ghost_thread *gt, bool blocked,
		     struct task_struct *next_task);
void ghost_sched_wakeup(struct ghost_thread *gt, int waker_cpu);
void ghost_sched_yield(struct ghost_thread *gt);
void ghost_sched_affinity(struct ghost_thread *gt, bool done);
void ghost_sched_priority(struct ghost_thread *gt);
void ghost_sched_displaced(struct ghost_thread *gt, int cpu);
void ghost_affinity_news_locked(struct ghost_enclave *e,
				struct ghost_thread *gt, int cpu);
unsigned long ghost_probes_missed(void);
void ghost_cpu_set_busy(struct ghost_enclave *e, int cpu, bool busy);
void ghost_queue_park(struct ghost_thread *gt);
void ghost_park(struct ghost_thread *gt);
void ghost_preempt_locked(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_make_runnable_at(struct ghost_enclave *e, struct ghost_thread *gt,
			    u64 now);
void ghost_make_runnable(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_place_at(struct ghost_enclave *e, struct ghost_thread *gt,
		    int cpu, u64 now);
void ghost_place_locked(struct ghost_enclave *e, struct ghost_thread *gt,
			int cpu);
int ghost_release_cpu_locked(struct ghost_enclave *e, struct ghost_thread *gt);
u64 ghost_runtime(struct ghost_thread *gt);

/* quota.c */
int ghost_quota_charge(struct ghost_thread *gt);
void ghost_quota_uncharge(struct ghost_thread *gt);

/* hooks.c */
int ghost_hooks_init(void);
void ghost_hooks_exit(void);
extern struct preempt_ops ghost_preempt_ops;

/* queue.c */
int ghost_queue_create(struct ghost_enclave *e,
		       struct ghost_ioc_create_queue __user *uarg);
long ghost_queue_assoc(struct ghost_enclave *e,
		       struct ghost_ioc_assoc_queue __user *uarg);
long ghost_queue_config_wakeup(struct ghost_enclave *e,
			       struct ghost_ioc_queue_wakeup __user *uarg);
int ghost_agent_wake_init(struct ghost_enclave *e);
void ghost_agent_wake_all(struct ghost_enclave *e);
void ghost_agents_kick_locked(struct ghost_enclave *e);
void ghost_agent_wake_free(struct ghost_enclave *e);
void ghost_queue_put(struct ghost_queue *q);
void ghost_emit_task(struct ghost_enclave *e, struct ghost_thread *gt,
		     u16 type, int cpu);
void ghost_emit_task_quiet(struct ghost_enclave *e, struct ghost_thread *gt,
			   u16 type, int cpu, bool quiet);
void ghost_emit_task_new(struct ghost_enclave *e, struct ghost_thread *gt,
			 bool quiet);
void ghost_emit_wakeup(struct ghost_enclave *e, struct ghost_thread *gt,
		       int waker_cpu, bool quiet);
void ghost_emit_cpu(struct ghost_enclave *e, u16 type, int cpu);
void ghost_emit_priority(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_agent_repin(struct ghost_thread *agent);
bool ghost_wait_args_valid(const struct ghost_ioc_wait *arg);
long ghost_agent_wait(struct ghost_enclave *e,
		      const struct ghost_ioc_wait *arg);

/* sw.c: status words */
int ghost_sw_init(struct ghost_enclave *e);
void ghost_sw_free_region(struct ghost_enclave *e);
int ghost_sw_alloc(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_sw_update(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_sw_release(struct ghost_enclave *e, struct ghost_thread *gt);
void ghost_sw_cpu_update_at(struct ghost_enclave *e, int cpu, u64 now);
void ghost_sw_cpu_update(struct ghost_enclave *e, int cpu);
u32 ghost_sw_cpu_barrier_inc(struct ghost_enclave *e, int cpu);
void ghost_sw_cpu_agent_seq(struct ghost_enclave *e, int cpu, u32 seq);
void ghost_sw_cpu_wanted(struct ghost_enclave *e, int cpu);
void ghost_sw_switch_in(struct ghost_enclave *e, struct ghost_thread *gt,
			u64 now);
int ghost_sw_mmap(struct ghost_enclave *e, struct vm_area_struct *vma);
long ghost_sw_ioctl(struct ghost_enclave *e, unsigned int cmd,
		    void __user *uarg);

/* txn.c */
int ghost_txn_init(struct ghost_enclave *e);
void ghost_txn_free_region(struct ghost_enclave *e);
int ghost_txn_mmap(struct ghost_enclave *e, struct vm_area_struct *vma);
long ghost_txn_commit(struct ghost_enclave *e, struct ghost_ioc_commit *arg,
		      u32 *failed);

/* dispatch.c: the fast path */
int ghost_dispatch_init(struct ghost_enclave *e);
void ghost_dispatch_free(struct ghost_enclave *e);
int ghost_dispatch_mmap(struct ghost_enclave *e, struct vm_area_struct *vma);
u32 ghost_dispatch_flags(struct ghost_enclave *e, int cpu);
void ghost_dispatch_drop_cpu_locked(struct ghost_enclave *e, int cpu);
void ghost_dispatch_drop_locked(struct ghost_enclave *e);
bool ghost_dispatch_listed(struct ghost_enclave *e, int cpu);
bool ghost_dispatch_next_at(struct ghost_enclave *e, int cpu, u64 now);
bool ghost_dispatch_next_locked(struct ghost_enclave *e, int cpu);
bool ghost_dispatch_quiet_leave(struct ghost_enclave *e, int cpu);
void ghost_dispatch_wake_cpu(struct ghost_enclave *e, int cpu);
bool ghost_dispatch_yield_locked(struct ghost_enclave *e,
				 struct ghost_thread *gt, int cpu, u64 now);
bool ghost_dispatch_defer_wakeup_locked(struct ghost_enclave *e,
				       struct ghost_thread *gt, int cpu);
void ghost_dispatch_forget_locked(struct ghost_thread *gt);
bool ghost_dispatch_heir_locked(struct ghost_enclave *e,
				struct ghost_thread *gt, int cpu, bool *quiet);
int ghost_dispatch_run_new_locked(struct ghost_enclave *e,
				  struct ghost_thread *gt, u64 now,
				  bool *quiet);
bool ghost_dispatch_run_on_wake_locked(struct ghost_enclave *e,
				       struct ghost_thread *gt, int cpu,
				       int waker_cpu, u64 now);
long ghost_dispatch_ioctl(struct ghost_enclave *e,
			  struct ghost_ioc_dispatch __user *uarg);

/* tick.c */
int ghost_ticks_init(struct ghost_enclave *e);
void ghost_ticks_update(struct ghost_enclave *e);
void ghost_ticks_cpu_online(struct ghost_enclave *e, int cpu);
void ghost_ticks_free(struct ghost_enclave *e);

/* latency.c: wait histograms, enclave_<id>/latency */
enum ghost_lat_kind {
	GHOST_LAT_RUNNABLE,
	GHOST_LAT_PLACED,
	GHOST_LAT_KINDS
};
int ghost_lat_init(struct ghost_enclave *e);
void ghost_lat_free(struct ghost_enclave *e);
void ghost_lat_placed(struct ghost_thread *gt, u64 now);
void ghost_lat_ran(struct ghost_thread *gt, int cpu, u64 now);
int ghost_lat_show(struct ghost_enclave *e, struct seq_file *m);

/* watchdog.c: agent grace period and runnable timeout */
void ghost_watchdog_init(struct ghost_enclave *e);
void ghost_watchdog_start(struct ghost_enclave *e);
void ghost_watchdog_stop(struct ghost_enclave *e);
void ghost_agent_lost(struct ghost_enclave *e);
void ghost_agent_found(struct ghost_enclave *e);

#endif /* _GHOST_GHOST_H */
