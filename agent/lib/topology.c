// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: which NUMA node each CPU belongs to, from libnuma.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <numa.h>

#include "internal.h"

int ghost_topology_load(struct ghost_topology *t)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	int cpu, node, numa;

	memset(t, 0, sizeof(*t));
	if (n <= 0)
		return -EINVAL;
	if (n > GHOST_MAX_CPUS)
		n = GHOST_MAX_CPUS;
	t->nr_cpu_ids = n;
	t->nr_nodes = 1;
	numa = numa_available() >= 0;
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		if (cpu >= n) {
			t->node[cpu] = -1;
			continue;
		}
		node = numa ? numa_node_of_cpu(cpu) : 0;
		if (node < 0)
			node = 0;
		t->node[cpu] = node;
		if (node + 1 > t->nr_nodes)
			t->nr_nodes = node + 1;
	}
	return 0;
}

int ghost_topology_node(const struct ghost_topology *t, int cpu)
{
	if (cpu < 0 || cpu >= t->nr_cpu_ids)
		return -1;
	return t->node[cpu];
}
