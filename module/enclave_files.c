// SPDX-License-Identifier: GPL-2.0
/*
 * The files of an enclave_<id>/ directory: what each one shows and how a
 * write to it is parsed.  Called with ghost_lock held (but for "unlocked"
 * stores) and @e alive.
 */
#include <linux/capability.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ghost.h"

/* How long "destroy" waits for the enclave's threads to leave. */
#define GHOST_DESTROY_WAIT_MS	5000

static int ctl_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->id);
	return 0;
}

static int ctl_destroy(struct ghost_enclave *e)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&ghost_lock);
	if (e->dead) {
		mutex_unlock(&ghost_lock);
		return -ENODEV;
	}
	ghost_enclave_destroy(e, NULL);
	mutex_unlock(&ghost_lock);
	/* Threads blocked in the kernel leave when they next wake. */
	ghost_enclave_wait_empty(e, GHOST_DESTROY_WAIT_MS);
	return 0;
}

/* "destroy" or "leave <tid>" */
static int ctl_store(struct ghost_enclave *e, char *buf)
{
	char *args = strim(buf), *cmd = strsep(&args, " \t");
	pid_t tid;

	if (!strcmp(cmd, "destroy") && !args)
		return ctl_destroy(e);
	if (!strcmp(cmd, "leave") && args) {
		if (kstrtoint(skip_spaces(args), 10, &tid) || tid < 0)
			return -EINVAL;
		return ghost_thread_leave(e, tid);
	}
	return -EINVAL;
}

static int cpulist_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%*pbl\n", cpumask_pr_args(e->cpus));
	return 0;
}

static int cpus_store(struct ghost_enclave *e, char *buf, bool list)
{
	cpumask_var_t cpus;
	int err;

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	buf = strim(buf);
	err = list ? cpulist_parse(buf, cpus) : cpumask_parse(buf, cpus);
	/* A CPU number past the kernel's limit cannot exist. */
	if (err == -ERANGE || err == -EOVERFLOW)
		err = -ENODEV;
	if (!err)
		err = ghost_enclave_set_cpus(e, cpus);
	free_cpumask_var(cpus);
	return err;
}

static int cpulist_store(struct ghost_enclave *e, char *buf)
{
	return cpus_store(e, buf, true);
}

static int cpumask_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%*pb\n", cpumask_pr_args(e->cpus));
	return 0;
}

static int cpumask_store(struct ghost_enclave *e, char *buf)
{
	return cpus_store(e, buf, false);
}

static int status_show(struct ghost_enclave *e, struct seq_file *m)
{
	u64 samples, violations, displaced;
	pid_t tid;

	seq_printf(m, "id %u\n", e->id);
	seq_printf(m, "abi %u\n", e->abi);
	seq_printf(m, "nr_cpus %u\n", cpumask_weight(e->cpus));
	seq_printf(m, "nr_tasks %u\n", READ_ONCE(e->nr_threads));
	seq_printf(m, "nr_agents %u\n", READ_ONCE(e->nr_agents));
	seq_printf(m, "agent_online %u\n", !!READ_ONCE(e->nr_agents));
	seq_printf(m, "audit %u\n", READ_ONCE(e->audit));
	raw_spin_lock_irq(&e->lock);
	samples = e->audit_samples;
	violations = e->audit_violations;
	tid = e->audit_last_tid;
	displaced = e->nr_displaced;
	raw_spin_unlock_irq(&e->lock);
	seq_printf(m, "displaced %llu\n", displaced);
	seq_printf(m, "probes_missed %lu\n", ghost_probes_missed());
	seq_printf(m, "audit_samples %llu\n", samples);
	seq_printf(m, "audit_violations %llu\n", violations);
	seq_printf(m, "audit_last_violator %d\n", tid);
	return 0;
}

static int tasks_show(struct ghost_enclave *e, struct seq_file *m)
{
	ghost_thread_tasks_show(e, m);
	return 0;
}

/*
 * A tid enters; 0 is the writer.  The write itself is a grant (see
 * ghostfs_enclave_write()); others' threads also need CAP_SYS_NICE.
 */
static int tasks_store(struct ghost_enclave *e, char *buf)
{
	pid_t tid;

	if (kstrtoint(strim(buf), 10, &tid) || tid < 0)
		return -EINVAL;
	return ghost_thread_enter(e, tid);
}

static int agent_online_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", !!READ_ONCE(e->nr_agents));
	return 0;
}

static int runnable_timeout_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->runnable_timeout_ms);
	return 0;
}

static int runnable_timeout_store(struct ghost_enclave *e, char *buf)
{
	u32 ms;

	if (kstrtou32(strim(buf), 10, &ms) ||
	    ms > GHOST_RUNNABLE_TIMEOUT_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(e->runnable_timeout_ms, ms);
	return 0;
}

static int deliver_ticks_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->deliver_ticks);
	return 0;
}

static int deliver_ticks_store(struct ghost_enclave *e, char *buf)
{
	u32 v;

	if (kstrtou32(strim(buf), 10, &v) || v > 1)
		return -EINVAL;
	WRITE_ONCE(e->deliver_ticks, v);
	ghost_ticks_update(e);
	return 0;
}

static int audit_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->audit);
	return 0;
}

static int audit_store(struct ghost_enclave *e, char *buf)
{
	u32 v;

	if (kstrtou32(strim(buf), 10, &v) || v > 1)
		return -EINVAL;
	WRITE_ONCE(e->audit, v);
	ghost_ticks_update(e);
	return 0;
}

static int cpu_avail_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->deliver_cpu_avail);
	return 0;
}

static int cpu_avail_store(struct ghost_enclave *e, char *buf)
{
	u32 v;

	if (kstrtou32(strim(buf), 10, &v) || v > 1)
		return -EINVAL;
	WRITE_ONCE(e->deliver_cpu_avail, v);
	return 0;
}

static int region_show(struct ghost_enclave *e, struct seq_file *m)
{
	return 0;
}

const struct ghost_enclave_attr ghost_enclave_attrs[] = {
	/* Anyone may open it: "leave" of one's own threads needs nothing. */
	{ .name = "ctl", .mode = 0666, .show = ctl_show, .store = ctl_store,
	  .ioctl = ghost_enclave_ioctl, .own_privileges = true,
	  .unlocked = true },
	{ .name = "cpulist", .mode = 0644, .show = cpulist_show,
	  .store = cpulist_store },
	{ .name = "cpumask", .mode = 0644, .show = cpumask_show,
	  .store = cpumask_store },
	{ .name = "status", .mode = 0444, .show = status_show },
	/* Entering is a grant: CAP_SYS_NICE, or a delegated tasks file. */
	{ .name = "tasks", .mode = 0644, .show = tasks_show,
	  .store = tasks_store, .own_privileges = true, .delegable = true,
	  .unlocked = true },
	{ .name = "agent_online", .mode = 0444, .show = agent_online_show },
	{ .name = "runnable_timeout", .mode = 0644,
	  .show = runnable_timeout_show, .store = runnable_timeout_store },
	{ .name = "deliver_ticks", .mode = 0644, .show = deliver_ticks_show,
	  .store = deliver_ticks_store },
	{ .name = "audit", .mode = 0644, .show = audit_show,
	  .store = audit_store },
	{ .name = "deliver_cpu_availability", .mode = 0644,
	  .show = cpu_avail_show, .store = cpu_avail_store },
	{ .name = "latency", .mode = 0444, .show = ghost_lat_show },
	{ .name = "sw", .mode = 0444, .show = region_show,
	  .mmap = ghost_sw_mmap },
	{ .name = "txn", .mode = 0600, .show = region_show,
	  .mmap = ghost_txn_mmap },
	{ .name = "dispatch", .mode = 0600, .show = region_show,
	  .mmap = ghost_dispatch_mmap },
};
const unsigned int ghost_nr_enclave_attrs = ARRAY_SIZE(ghost_enclave_attrs);
