// SPDX-License-Identifier: GPL-2.0
/*
 * Where ghost.ko observes the scheduler: preempt notifiers on each ghost
 * thread, the sched tracepoints (found by name: they are not exported), a
 * kprobe on sched_yield and kretprobes on affinity and priority changes.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/tracepoint.h>

#include "compat.h"
#include "ghost.h"

static void ghost_pn_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct ghost_thread *gt = container_of(pn, struct ghost_thread, pn);
	u64 now = ktime_get_mono_fast_ns();
	unsigned long flags;

	/* Moved off its commit by an affinity change the module missed. */
	if (unlikely(READ_ONCE(gt->state) == GT_RUNNING &&
		     READ_ONCE(gt->cpu) != cpu &&
		     test_bit(GT_F_PINNED, &gt->flags) &&
		     !ghost_thread_in_module(gt)))
		ghost_sched_displaced(gt, cpu);

	/*
	 * Its own word and per-CPU counters: no e->lock, which every CPU of
	 * the enclave takes, unless a message is due.  The word is the
	 * thread's until it leaves, which unregisters this notifier first.
	 */
	ghost_sw_switch_in(gt->e, gt, now);
	ghost_lat_ran(gt, cpu, now);
	if (likely(!test_bit(GT_F_SEND_ON_CPU, &gt->flags)))
		return;
	raw_spin_lock_irqsave(&gt->e->lock, flags);
	/* Not while it moves itself: on its CPU, then. */
	if (gt->state == GT_RUNNING && !test_bit(GT_F_PINNING, &gt->flags) &&
	    test_and_clear_bit(GT_F_SEND_ON_CPU, &gt->flags))
		ghost_emit_task(gt->e, gt, GHOST_MSG_TASK_ON_CPU, cpu);
	raw_spin_unlock_irqrestore(&gt->e->lock, flags);
}

static void ghost_pn_sched_out(struct preempt_notifier *pn,
			       struct task_struct *next)
{
	struct ghost_thread *gt = container_of(pn, struct ghost_thread, pn);

	/* Sleeping in ghost_park(), or moving itself, is not blocking. */
	if (ghost_thread_in_module(gt))
		return;
	ghost_sched_out(gt, ghost_task_blocked(current), next);
}

struct preempt_ops ghost_preempt_ops = {
	.sched_in	= ghost_pn_sched_in,
	.sched_out	= ghost_pn_sched_out,
};

static struct ghost_thread *ghost_hook_thread(struct task_struct *p)
{
	struct ghost_thread *gt = ghost_thread_lookup(p);

	if (!gt || test_bit(GT_F_AGENT, &gt->flags) ||
	    !test_bit(GT_F_ENROLLED, &gt->flags))
		return NULL;
	return gt;
}

/*
 * A blocked ghost thread is being woken.  sched_waking fires on the
 * waker's CPU before any IPI, so the agent hears of it as early as it
 * can; sched_wakeup catches a wakeup that raced the thread's own switch
 * out (its block was not recorded yet at sched_waking).  Acting on the
 * first one that finds the thread blocked, each is a no-op after it.
 * Returns whether @p is ghost's (a thread or an agent).  RCU read side.
 */
static bool ghost_hook_wakeup(struct task_struct *p)
{
	struct ghost_thread *gt = ghost_thread_lookup(p);

	if (!gt)
		return false;
	if (!test_bit(GT_F_AGENT, &gt->flags) &&
	    test_bit(GT_F_ENROLLED, &gt->flags) && !ghost_thread_in_module(gt))
		ghost_sched_wakeup(gt, raw_smp_processor_id());
	return true;
}

static void ghost_tp_waking(void *data, struct task_struct *p)
{
	rcu_read_lock();
	ghost_hook_wakeup(p);
	rcu_read_unlock();
}

/*
 * @p, runnable on @cpu, may be a task outside ghost: if an agent has that
 * enclave CPU, it is told, as it would keep the task off the CPU if it
 * spins there.  Two per-CPU loads for a CPU outside any enclave; the
 * lookup only for one with an agent.  @known: @p is ghost's.
 */
static void ghost_cpu_wanted(struct task_struct *p, int cpu, bool known)
{
	struct ghost_enclave *e = ghost_cpu_owner(cpu);

	if (!e || !READ_ONCE(e->cpu_agent[cpu]))
		return;
	rcu_read_lock();
	if (!known && !ghost_thread_lookup(p))
		ghost_sw_cpu_wanted(e, cpu);
	rcu_read_unlock();
}

/* At sched_wakeup the task is on the runqueue of the CPU it runs on. */
static void ghost_tp_wakeup(void *data, struct task_struct *p)
{
	bool known;

	rcu_read_lock();
	known = ghost_hook_wakeup(p);
	rcu_read_unlock();
	ghost_cpu_wanted(p, task_cpu(p), known);
}

/* A new task, or one moved (balancing, affinity): runnable, no wakeup. */
static void ghost_tp_wakeup_new(void *data, struct task_struct *p)
{
	ghost_cpu_wanted(p, task_cpu(p), false);
}

static void ghost_tp_migrate(void *data, struct task_struct *p, int cpu)
{
	ghost_cpu_wanted(p, cpu, false);
}

/*
 * CPU_BUSY / CPU_AVAILABLE: a thread outside ghost takes or gives back an
 * enclave CPU; CPU_ONLINE once a CPU back from hotplug is active.  Runs
 * on every context switch: two per-CPU loads when no enclave owns the
 * CPU.
 */
static void ghost_tp_switch(void *data, bool preempt, struct task_struct *prev,
			    struct task_struct *next, unsigned int prev_state)
{
	int cpu = raw_smp_processor_id();
	struct ghost_enclave *e = ghost_cpu_owner(cpu);
	struct ghost_thread *gt;
	bool busy;

	if (unlikely(__this_cpu_read(ghost_cpu_back)) && cpu_active(cpu))
		ghost_cpu_returned(cpu);
	if (!e || !READ_ONCE(e->deliver_cpu_avail))
		return;
	rcu_read_lock();
	gt = ghost_thread_lookup(next);
	busy = !is_idle_task(next) &&
	       !(gt && test_bit(GT_F_ENROLLED, &gt->flags));
	rcu_read_unlock();
	ghost_cpu_set_busy(e, cpu, busy);
}

static void ghost_tp_fork(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	rcu_read_lock();
	ghost_thread_fork(parent, child);
	rcu_read_unlock();
}

static void ghost_tp_exit(void *data, struct task_struct *p)
{
	rcu_read_lock();
	ghost_thread_exit_hook(p);
	rcu_read_unlock();
}

static int ghost_kp_yield(struct kprobe *kp, struct pt_regs *regs)
{
	struct ghost_thread *gt;

	rcu_read_lock();
	gt = ghost_hook_thread(current);
	if (gt)
		ghost_sched_yield(gt);
	rcu_read_unlock();
	return 0;
}

static struct kprobe ghost_kp_yield_probe = {
	.symbol_name	= "do_sched_yield",
	.pre_handler	= ghost_kp_yield,
};

/*
 * A user's sched_setaffinity() on a ghost thread: the thread gives up its
 * CPU before the mask changes (so it never runs user code outside its
 * commit), and the agent learns about it when the call succeeded.
 */
struct ghost_aff_call {
	pid_t pid;
};

static struct ghost_thread *ghost_aff_target(pid_t pid)
{
	struct task_struct *p = pid ? pid_task(find_vpid(pid), PIDTYPE_PID) :
				current;

	return p ? ghost_hook_thread(p) : NULL;
}

/*
 * The permission sched_setaffinity() is about to check (same owner, or
 * CAP_SYS_NICE over the target): a caller that will be refused must not
 * take the target off its CPU.
 */
static bool ghost_aff_permitted(struct task_struct *p)
{
	const struct cred *cred = current_cred(), *pcred;
	bool ok;

	rcu_read_lock();
	pcred = __task_cred(p);
	ok = uid_eq(cred->euid, pcred->euid) ||
	     uid_eq(cred->euid, pcred->uid) ||
	     ns_capable_noaudit(pcred->user_ns, CAP_SYS_NICE);
	rcu_read_unlock();
	return ok;
}

static int ghost_krp_aff_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct ghost_aff_call *call = (void *)ri->data;
	struct ghost_thread *gt;

	call->pid = (pid_t)regs_get_kernel_argument(regs, 0);
	rcu_read_lock();
	gt = ghost_aff_target(call->pid);
	if (gt && ghost_aff_permitted(gt->task))
		ghost_sched_affinity(gt, false);
	rcu_read_unlock();
	/* Not a ghost thread: no return probe (non-zero skips it). */
	return !gt;
}

static int ghost_krp_aff_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct ghost_aff_call *call = (void *)ri->data;
	struct ghost_thread *gt;

	if (regs_return_value(regs))
		return 0;
	rcu_read_lock();
	gt = ghost_aff_target(call->pid);
	if (gt)
		ghost_sched_affinity(gt, true);
	rcu_read_unlock();
	return 0;
}

static struct kretprobe ghost_krp_aff = {
	.kp.symbol_name	= "sched_setaffinity",
	.entry_handler	= ghost_krp_aff_entry,
	.handler	= ghost_krp_aff_ret,
	.data_size	= sizeof(struct ghost_aff_call),
};

/*
 * An in-kernel change of a ghost thread's mask: a cpuset's CPUs changed,
 * or the thread moved to another cpuset (set_cpus_allowed_ptr(), which
 * does not go through sched_setaffinity()).  Like a user's call: the
 * thread gives up its CPU first, and its allowed CPUs are the new mask.
 * The module's own pinning (one CPU of cpumask_of()) and a leaving
 * thread's restore (its saved mask) are not such changes.
 */
static int ghost_krp_sca_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct task_struct *p = (void *)regs_get_kernel_argument(regs, 0);
	const struct cpumask *mask = (void *)regs_get_kernel_argument(regs, 1);
	struct ghost_thread *gt;
	int first, skip = 1;

	/*
	 * Every pin of the kernel's and the module's comes here: return
	 * non-zero for all but a ghost thread's, so that they pay for no
	 * return probe.
	 */
	first = cpumask_first(mask);
	if (first < nr_cpu_ids && mask == cpumask_of(first))
		return 1;
	rcu_read_lock();
	gt = ghost_hook_thread(p);
	if (gt && mask != gt->saved_mask) {
		*(struct task_struct **)ri->data = p;
		ghost_sched_affinity(gt, false);
		skip = 0;
	}
	rcu_read_unlock();
	return skip;
}

static int ghost_krp_sca_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct task_struct *p = *(struct task_struct **)ri->data;
	struct ghost_thread *gt;

	if (regs_return_value(regs))
		return 0;
	rcu_read_lock();
	gt = ghost_hook_thread(p);
	if (gt)
		ghost_sched_affinity(gt, true);
	rcu_read_unlock();
	return 0;
}

static struct kretprobe ghost_krp_sca = {
	.kp.symbol_name	= "set_cpus_allowed_ptr",
	.entry_handler	= ghost_krp_sca_entry,
	.handler	= ghost_krp_sca_ret,
	.data_size	= sizeof(struct task_struct *),
};

/*
 * A nice change of a ghost thread: set_user_nice() (setpriority, nice) and
 * __sched_setscheduler() (sched_setattr) both take the task first.  The
 * task is pinned by the caller for the whole call.
 */
static int ghost_krp_prio_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	*(struct task_struct **)ri->data =
		(struct task_struct *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int ghost_krp_prio_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct task_struct *p = *(struct task_struct **)ri->data;
	struct ghost_thread *gt;

	rcu_read_lock();
	gt = ghost_hook_thread(p);
	if (gt)
		ghost_sched_priority(gt);
	rcu_read_unlock();
	return 0;
}

static struct kretprobe ghost_krp_nice = {
	.kp.symbol_name	= "set_user_nice",
	.entry_handler	= ghost_krp_prio_entry,
	.handler	= ghost_krp_prio_ret,
	.data_size	= sizeof(struct task_struct *),
};

static struct kretprobe ghost_krp_setattr = {
	.kp.symbol_name	= "__sched_setscheduler",
	.entry_handler	= ghost_krp_prio_entry,
	.handler	= ghost_krp_prio_ret,
	.data_size	= sizeof(struct task_struct *),
};

static struct kretprobe *ghost_krps[] = {
	&ghost_krp_aff, &ghost_krp_sca, &ghost_krp_nice, &ghost_krp_setattr,
};

struct ghost_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct ghost_tp ghost_tps[] = {
	{ "sched_waking",	ghost_tp_waking },
	{ "sched_wakeup",	ghost_tp_wakeup },
	{ "sched_wakeup_new",	ghost_tp_wakeup_new },
	{ "sched_migrate_task",	ghost_tp_migrate },
	{ "sched_switch",	ghost_tp_switch },
	{ "sched_process_fork",	ghost_tp_fork },
	{ "sched_process_exit",	ghost_tp_exit },
};

static void ghost_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ghost_tps); i++) {
		if (!strcmp(tp->name, ghost_tps[i].name))
			ghost_tps[i].tp = tp;
	}
}

static void ghost_unregister_tps(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ghost_tps); i++) {
		if (ghost_tps[i].tp)
			tracepoint_probe_unregister(ghost_tps[i].tp,
						    ghost_tps[i].probe, NULL);
	}
	tracepoint_synchronize_unregister();
}

/*
 * Calls of a probed function in flight at once (they may sleep); a call
 * beyond them is missed (counted in nmissed), and the thread it moves is
 * then caught at its next sched_in (ghost_sched_displaced()).
 */
static unsigned int probe_instances;
module_param(probe_instances, uint, 0444);
MODULE_PARM_DESC(probe_instances,
		 "calls in flight per affinity/priority probe (0: 4 per possible CPU, at least 64)");

/* Calls the affinity and priority probes missed since the module loaded. */
unsigned long ghost_probes_missed(void)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ghost_krps); i++)
		n += READ_ONCE(ghost_krps[i]->nmissed) +
		     READ_ONCE(ghost_krps[i]->kp.nmissed);
	return n;
}

int ghost_hooks_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(ghost_krps); i++)
		ghost_krps[i]->maxactive = probe_instances ?:
			max_t(int, 64, 4 * num_possible_cpus());

	for_each_kernel_tracepoint(ghost_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(ghost_tps); i++) {
		if (!ghost_tps[i].tp) {
			pr_err("tracepoint %s not found\n", ghost_tps[i].name);
			err = -ENOENT;
			goto err_tps;
		}
		err = tracepoint_probe_register(ghost_tps[i].tp,
						ghost_tps[i].probe, NULL);
		if (err) {
			ghost_tps[i].tp = NULL;
			goto err_tps;
		}
	}
	err = register_kprobe(&ghost_kp_yield_probe);
	if (err) {
		pr_err("cannot probe do_sched_yield: %d\n", err);
		goto err_tps;
	}
	err = register_kretprobes(ghost_krps, ARRAY_SIZE(ghost_krps));
	if (err) {
		pr_err("cannot probe affinity and priority changes: %d\n", err);
		goto err_yield;
	}
	preempt_notifier_inc();
	return 0;

err_yield:
	unregister_kprobe(&ghost_kp_yield_probe);
err_tps:
	ghost_unregister_tps();
	return err;
}

void ghost_hooks_exit(void)
{
	unregister_kretprobes(ghost_krps, ARRAY_SIZE(ghost_krps));
	unregister_kprobe(&ghost_kp_yield_probe);
	ghost_unregister_tps();
	/* Every ghost thread has removed its notifier: none is left. */
	preempt_notifier_dec();
}
