// SPDX-License-Identifier: GPL-2.0
/*
 * Enclaves: a set of CPUs and the threads that an agent schedules on them.
 * This file owns their lifetime and the CPU ownership map.
 */
#include <linux/cpuhotplug.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "ghost.h"

DEFINE_MUTEX(ghost_lock);
LIST_HEAD(ghost_enclaves);
static unsigned int ghost_nr_enclaves;

/* The enclave that owns each CPU, or NULL: ghost_lock + owner lock. */
static DEFINE_PER_CPU(struct ghost_enclave *, ghost_cpu_owners);
static DEFINE_RAW_SPINLOCK(ghost_owner_lock);
static enum cpuhp_state ghost_cpuhp_state;

bool ghost_abi_supported(u32 abi)
{
	return abi == GHOST_VERSION;
}

struct ghost_enclave *ghost_enclave_find(u32 id)
{
	struct ghost_enclave *e;

	lockdep_assert_held(&ghost_lock);
	list_for_each_entry(e, &ghost_enclaves, node) {
		if (e->id == id)
			return e;
	}
	return NULL;
}

/* Process context, once nothing can reach the enclave any more. */
static void ghost_enclave_free(struct work_struct *work)
{
	struct ghost_enclave *e = container_of(work, struct ghost_enclave,
					       free_work);

	/* Hooks that found it through ghost_cpu_owner() are done. */
	synchronize_rcu();
	cancel_delayed_work_sync(&e->grace_work);
	cancel_delayed_work_sync(&e->watchdog_work);
	ghost_ticks_free(e);
	ghost_agent_wake_free(e);
	if (e->queue)
		ghost_queue_put(e->queue);
	ghost_lat_free(e);
	ghost_dispatch_free(e);
	ghost_txn_free_region(e);
	ghost_sw_free_region(e);
	kfree(e->cpu_agent);
	kfree(e->cpu_cur);
	free_cpumask_var(e->cpu_busy);
	free_cpumask_var(e->cpus);
	kfree(e);
}

static void ghost_enclave_release(struct kref *ref)
{
	struct ghost_enclave *e = container_of(ref, struct ghost_enclave, ref);

	/* The last reference may go in an RCU callback. */
	queue_work(ghost_wq, &e->free_work);
}

void ghost_enclave_get(struct ghost_enclave *e)
{
	kref_get(&e->ref);
}

void ghost_enclave_put(struct ghost_enclave *e)
{
	kref_put(&e->ref, ghost_enclave_release);
}

/* For scheduler hooks: valid until the end of the RCU read side. */
struct ghost_enclave *ghost_cpu_owner(int cpu)
{
	return READ_ONCE(per_cpu(ghost_cpu_owners, cpu));
}

static void ghost_set_owner(int cpu, struct ghost_enclave *e)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ghost_owner_lock, flags);
	per_cpu(ghost_cpu_owners, cpu) = e;
	raw_spin_unlock_irqrestore(&ghost_owner_lock, flags);
}

/* e->cpus changes under e->lock: commits and the fast path test it there. */
static void ghost_enclave_release_cpus(struct ghost_enclave *e)
{
	unsigned long flags;
	int cpu;

	for_each_cpu(cpu, e->cpus)
		ghost_set_owner(cpu, NULL);
	raw_spin_lock_irqsave(&e->lock, flags);
	cpumask_clear(e->cpus);
	raw_spin_unlock_irqrestore(&e->lock, flags);
}

/* Set when an enclave CPU comes online; cleared once it is active. */
DEFINE_PER_CPU(bool, ghost_cpu_back);

/* The owner of @cpu with a reference, or NULL. */
static struct ghost_enclave *ghost_cpu_owner_get(unsigned int cpu)
{
	struct ghost_enclave *e;
	unsigned long flags;

	raw_spin_lock_irqsave(&ghost_owner_lock, flags);
	e = per_cpu(ghost_cpu_owners, cpu);
	if (e)
		ghost_enclave_get(e);
	raw_spin_unlock_irqrestore(&ghost_owner_lock, flags);
	return e;
}

/*
 * An enclave CPU goes offline (it is no longer active: commits, the fast
 * path and run-on-wake all refuse it now).  The ghost thread committed
 * there gives it up before the kernel moves it elsewhere, so it parks
 * instead of running on a CPU nobody chose; the list, decided for a CPU
 * that is going, is dropped.  Runs with the hotplug lock held: no
 * ghost_lock.
 */
static int ghost_cpu_down_prep(unsigned int cpu)
{
	struct ghost_enclave *e = ghost_cpu_owner_get(cpu);
	unsigned long flags;

	per_cpu(ghost_cpu_back, cpu) = false;
	if (!e)
		return 0;
	raw_spin_lock_irqsave(&e->lock, flags);
	if (e->cpu_cur[cpu])
		ghost_preempt_locked(e, e->cpu_cur[cpu]);
	ghost_dispatch_drop_cpu_locked(e, cpu);
	ghost_emit_cpu(e, GHOST_MSG_CPU_OFFLINE, cpu);
	raw_spin_unlock_irqrestore(&e->lock, flags);
	ghost_enclave_put(e);
	return 0;
}

/*
 * An enclave CPU is back, on that CPU, not active yet: its timers, which
 * hotplug moved away, return; the agent hears of it at the CPU's first
 * context switch once it is active (ghost_cpu_returned()).
 */
static int ghost_cpu_online(unsigned int cpu)
{
	struct ghost_enclave *e = ghost_cpu_owner_get(cpu);

	if (!e)
		return 0;
	ghost_ticks_cpu_online(e, cpu);
	per_cpu(ghost_cpu_back, cpu) = true;
	ghost_enclave_put(e);
	return 0;
}

/*
 * First context switch of a returned CPU that is active: drop what was
 * listed for it while it was away, and tell the agent.  Scheduler hook.
 */
void ghost_cpu_returned(int cpu)
{
	struct ghost_enclave *e;
	unsigned long flags;

	__this_cpu_write(ghost_cpu_back, false);
	rcu_read_lock();
	e = ghost_cpu_owner(cpu);
	if (e && !READ_ONCE(e->dead)) {
		raw_spin_lock_irqsave(&e->lock, flags);
		ghost_dispatch_drop_cpu_locked(e, cpu);
		ghost_emit_cpu(e, GHOST_MSG_CPU_ONLINE, cpu);
		raw_spin_unlock_irqrestore(&e->lock, flags);
	}
	rcu_read_unlock();
}

int ghost_enclave_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "ghost:online",
					ghost_cpu_online, ghost_cpu_down_prep);
	if (ret < 0)
		return ret;
	ghost_cpuhp_state = ret;
	return 0;
}

void ghost_enclave_exit(void)
{
	cpuhp_remove_state_nocalls(ghost_cpuhp_state);
}

static struct ghost_enclave *ghost_enclave_alloc(void)
{
	struct ghost_enclave *e;

	e = kzalloc(struct_size(e, files, ghost_nr_enclave_attrs), GFP_KERNEL);
	if (!e)
		return NULL;
	e->cpu_cur = kcalloc(nr_cpu_ids, sizeof(*e->cpu_cur), GFP_KERNEL);
	e->cpu_agent = kcalloc(nr_cpu_ids, sizeof(*e->cpu_agent), GFP_KERNEL);
	if (!e->cpu_cur || !e->cpu_agent ||
	    !zalloc_cpumask_var(&e->cpus, GFP_KERNEL) ||
	    !zalloc_cpumask_var(&e->cpu_busy, GFP_KERNEL))
		goto err;
	if (ghost_sw_init(e))
		goto err;
	if (ghost_txn_init(e))
		goto err_sw;
	if (ghost_ticks_init(e))
		goto err_txn;
	if (ghost_agent_wake_init(e))
		goto err_ticks;
	if (ghost_dispatch_init(e))
		goto err_wake;
	if (ghost_lat_init(e))
		goto err_dispatch;
	return e;
err_dispatch:
	ghost_dispatch_free(e);
err_wake:
	ghost_agent_wake_free(e);
err_ticks:
	ghost_ticks_free(e);
err_txn:
	ghost_txn_free_region(e);
err_sw:
	ghost_sw_free_region(e);
err:
	free_cpumask_var(e->cpu_busy);
	free_cpumask_var(e->cpus);
	kfree(e->cpu_agent);
	kfree(e->cpu_cur);
	kfree(e);
	return NULL;
}

/*
 * A live enclave pins the module: `rmmod ghost` is refused until every
 * enclave has been destroyed, so no thread can be left in ghost by an
 * unload.  (Open files pin it through their file_operations.)
 */
int ghost_enclave_create(u32 id, u32 abi)
{
	struct ghost_enclave *e;
	unsigned int i;
	int err;

	lockdep_assert_held(&ghost_lock);
	if (!ghost_abi_supported(abi))
		return -EPROTONOSUPPORT;
	if (ghost_enclave_find(id))
		return -EEXIST;
	if (ghost_nr_enclaves >= GHOST_MAX_ENCLAVES)
		return -ENOSPC;

	e = ghost_enclave_alloc();
	if (!e)
		return -ENOMEM;
	kref_init(&e->ref);
	e->id = id;
	e->abi = abi;
	e->runnable_timeout_ms = GHOST_RUNNABLE_TIMEOUT_DEFAULT_MS;
	raw_spin_lock_init(&e->lock);
	INIT_LIST_HEAD(&e->threads);
	init_waitqueue_head(&e->detach_wq);
	INIT_WORK(&e->free_work, ghost_enclave_free);
	ghost_watchdog_init(e);
	for (i = 0; i < ghost_nr_enclave_attrs; i++) {
		e->files[i].e = e;
		e->files[i].attr = &ghost_enclave_attrs[i];
	}

	list_add_tail(&e->node, &ghost_enclaves);
	ghost_nr_enclaves++;
	__module_get(THIS_MODULE);

	err = ghostfs_add_enclave(e);
	if (err) {
		ghost_enclave_destroy(e, NULL);
		return err;
	}
	pr_debug("enclave %u created\n", id);
	return 0;
}

/*
 * Mark the enclave dead, take its directory away and send every thread
 * back to where it came from.  Threads leave by themselves; destroyers that
 * can sleep wait for them with ghost_enclave_wait_empty().
 */
void ghost_enclave_destroy(struct ghost_enclave *e, const char *why)
{
	struct ghost_queue *q;
	unsigned long flags;

	lockdep_assert_held(&ghost_lock);
	raw_spin_lock_irqsave(&e->lock, flags);
	e->dead = true;
	q = e->queue;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	ghost_watchdog_stop(e);
	if (q)
		wake_up_all(&q->wq);
	ghost_agent_wake_all(e);

	ghost_enclave_release_cpus(e);
	ghost_ticks_update(e);
	list_del(&e->node);
	ghost_nr_enclaves--;
	ghostfs_remove_enclave(e);
	ghost_thread_detach_all(e);
	if (why)
		pr_info("enclave %u destroyed: %s\n", e->id, why);
	ghost_enclave_put(e);
	module_put(THIS_MODULE);
}

/* Wait, killably and at most @ms, until every thread has left. */
/*
 * Has every thread that can run left?  Blocked ones leave when they wake,
 * without user code in between: nobody need wait for them.
 */
static bool ghost_enclave_settled(struct ghost_enclave *e)
{
	struct ghost_thread *gt;
	unsigned long flags;
	bool settled;

	raw_spin_lock_irqsave(&e->lock, flags);
	settled = !e->nr_agents;
	list_for_each_entry(gt, &e->threads, enode) {
		if (!settled || gt->state != GT_BLOCKED) {
			settled = false;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	return settled;
}

/*
 * Wait up to @ms for ghost_enclave_settled().  Departures wake detach_wq;
 * a thread that blocks instead cannot wake anyone from its hook, so the
 * condition is looked at again every few ms too.
 */
bool ghost_enclave_wait_empty(struct ghost_enclave *e, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	long ret;

	do {
		ret = wait_event_killable_timeout(e->detach_wq,
				ghost_enclave_settled(e), msecs_to_jiffies(10));
		if (ret)
			return ret > 0;
	} while (time_before(jiffies, end));
	return ghost_enclave_settled(e);
}

void ghost_enclave_destroy_all(void)
{
	struct ghost_enclave *e, *tmp;

	mutex_lock(&ghost_lock);
	list_for_each_entry_safe(e, tmp, &ghost_enclaves, node)
		ghost_enclave_destroy(e, NULL);
	mutex_unlock(&ghost_lock);
}

/*
 * Replace the enclave's CPU set.  All or nothing: ENODEV if a CPU is absent
 * or offline, EBUSY if another enclave owns one.
 */
int ghost_enclave_set_cpus(struct ghost_enclave *e, const struct cpumask *cpus)
{
	unsigned long flags;
	int cpu, err = 0;

	lockdep_assert_held(&ghost_lock);
	if (e->dead)
		return -ENODEV;
	if (!cpumask_subset(cpus, cpu_online_mask))
		return -ENODEV;
	for_each_cpu(cpu, cpus) {
		struct ghost_enclave *owner = per_cpu(ghost_cpu_owners, cpu);

		if (owner && owner != e)
			return -EBUSY;
	}

	raw_spin_lock_irqsave(&e->lock, flags);
	/* A CPU with an agent stays until the agent leaves. */
	for_each_cpu(cpu, e->cpus) {
		if (!cpumask_test_cpu(cpu, cpus) && e->cpu_agent[cpu])
			err = -EBUSY;
	}
	if (!err) {
		/*
		 * One section: no commit can place a thread on a CPU between
		 * its leaving the set and its thread being taken off it.
		 */
		for_each_cpu(cpu, e->cpus) {
			if (!cpumask_test_cpu(cpu, cpus) && e->cpu_cur[cpu])
				ghost_preempt_locked(e, e->cpu_cur[cpu]);
			if (!cpumask_test_cpu(cpu, cpus))
				ghost_set_owner(cpu, NULL);
		}
		cpumask_copy(e->cpus, cpus);
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			ghost_sw_cpu_update(e, cpu);
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	if (err)
		return err;
	for_each_cpu(cpu, cpus)
		ghost_set_owner(cpu, e);
	ghost_ticks_update(e);
	return 0;
}
