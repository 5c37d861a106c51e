// SPDX-License-Identifier: GPL-2.0
/*
 * The files of an enclave_<id>/ directory: what each one shows and how a
 * write to it is parsed.  Called with ghost_lock held; @e is alive.
 */
#include <linux/capability.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ghost.h"

static int ctl_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_printf(m, "%u\n", e->id);
	return 0;
}

static int ctl_store(struct ghost_enclave *e, char *buf)
{
	if (strcmp(strim(buf), "destroy"))
		return -EINVAL;
	ghost_enclave_destroy(e);
	return 0;
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
	seq_printf(m, "id %u\n", e->id);
	seq_printf(m, "abi %u\n", e->abi);
	seq_printf(m, "nr_cpus %u\n", cpumask_weight(e->cpus));
	seq_printf(m, "nr_tasks %u\n", 0);
	seq_printf(m, "agent_online %u\n", 0);
	return 0;
}

static int tasks_show(struct ghost_enclave *e, struct seq_file *m)
{
	return 0;
}

/* Threads enter ghost once the delegation core is loaded; not yet. */
static int tasks_store(struct ghost_enclave *e, char *buf)
{
	return -EOPNOTSUPP;
}

static int agent_online_show(struct ghost_enclave *e, struct seq_file *m)
{
	seq_puts(m, "0\n");
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
	e->runnable_timeout_ms = ms;
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
	e->deliver_ticks = v;
	return 0;
}

const struct ghost_enclave_attr ghost_enclave_attrs[] = {
	{ "ctl",		0644, ctl_show,		ctl_store, ghost_enclave_ioctl },
	{ "cpulist",		0644, cpulist_show,	cpulist_store },
	{ "cpumask",		0644, cpumask_show,	cpumask_store },
	{ "status",		0444, status_show,	NULL },
	{ "tasks",		0644, tasks_show,	tasks_store },
	{ "agent_online",	0444, agent_online_show, NULL },
	{ "runnable_timeout",	0644, runnable_timeout_show, runnable_timeout_store },
	{ "deliver_ticks",	0644, deliver_ticks_show, deliver_ticks_store },
};
const unsigned int ghost_nr_enclave_attrs = ARRAY_SIZE(ghost_enclave_attrs);
