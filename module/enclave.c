// SPDX-License-Identifier: GPL-2.0
/*
 * Enclaves: a set of CPUs and the threads that an agent schedules on them.
 * This file owns their lifetime and the CPU ownership map.
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "ghost.h"

DEFINE_MUTEX(ghost_lock);
LIST_HEAD(ghost_enclaves);
static unsigned int ghost_nr_enclaves;

/* The enclave that owns each CPU, or NULL. */
static DEFINE_PER_CPU(struct ghost_enclave *, ghost_cpu_owner);

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

static void ghost_enclave_release(struct kref *ref)
{
	struct ghost_enclave *e = container_of(ref, struct ghost_enclave, ref);

	free_cpumask_var(e->cpus);
	kfree(e);
}

void ghost_enclave_put(struct ghost_enclave *e)
{
	kref_put(&e->ref, ghost_enclave_release);
}

static void ghost_enclave_release_cpus(struct ghost_enclave *e)
{
	int cpu;

	for_each_cpu(cpu, e->cpus)
		per_cpu(ghost_cpu_owner, cpu) = NULL;
	cpumask_clear(e->cpus);
}

/*
 * A live enclave pins the module: `rmmod ghost` is refused until every
 * enclave has been destroyed, so no thread can be left in ghost by an
 * unload.
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

	e = kzalloc(struct_size(e, files, ghost_nr_enclave_attrs), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&e->cpus, GFP_KERNEL)) {
		kfree(e);
		return -ENOMEM;
	}
	kref_init(&e->ref);
	e->id = id;
	e->abi = abi;
	e->runnable_timeout_ms = GHOST_RUNNABLE_TIMEOUT_DEFAULT_MS;
	for (i = 0; i < ghost_nr_enclave_attrs; i++) {
		e->files[i].e = e;
		e->files[i].attr = &ghost_enclave_attrs[i];
	}

	list_add_tail(&e->node, &ghost_enclaves);
	ghost_nr_enclaves++;
	__module_get(THIS_MODULE);

	err = ghostfs_add_enclave(e);
	if (err) {
		ghost_enclave_destroy(e);
		return err;
	}
	pr_debug("enclave %u created\n", id);
	return 0;
}

void ghost_enclave_destroy(struct ghost_enclave *e)
{
	lockdep_assert_held(&ghost_lock);
	e->dead = true;
	ghost_enclave_release_cpus(e);
	list_del(&e->node);
	ghost_nr_enclaves--;
	ghostfs_remove_enclave(e);
	pr_debug("enclave %u destroyed\n", e->id);
	ghost_enclave_put(e);
	module_put(THIS_MODULE);
}

void ghost_enclave_destroy_all(void)
{
	struct ghost_enclave *e, *tmp;

	mutex_lock(&ghost_lock);
	list_for_each_entry_safe(e, tmp, &ghost_enclaves, node)
		ghost_enclave_destroy(e);
	mutex_unlock(&ghost_lock);
}

/*
 * Replace the enclave's CPU set.  All or nothing: ENODEV if a CPU is absent
 * or offline, EBUSY if another enclave owns one.
 */
int ghost_enclave_set_cpus(struct ghost_enclave *e, const struct cpumask *cpus)
{
	int cpu;

	lockdep_assert_held(&ghost_lock);
	if (e->dead)
		return -ENODEV;
	if (!cpumask_subset(cpus, cpu_online_mask))
		return -ENODEV;
	for_each_cpu(cpu, cpus) {
		struct ghost_enclave *owner = per_cpu(ghost_cpu_owner, cpu);

		if (owner && owner != e)
			return -EBUSY;
	}
	ghost_enclave_release_cpus(e);
	for_each_cpu(cpu, cpus)
		per_cpu(ghost_cpu_owner, cpu) = e;
	cpumask_copy(e->cpus, cpus);
	return 0;
}
