// SPDX-License-Identifier: GPL-2.0
/*
 * ghost CPU sets as the kernel's affinity masks.
 */
#include <sched.h>
#include <stdio.h>

#include "affinity.h"

static void to_cpu_set(const struct ghost_cpuset *cpus, cpu_set_t *set)
{
	unsigned int cpu;

	CPU_ZERO(set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (ghost_cpuset_test(cpus, cpu))
			CPU_SET(cpu, set);
}

int rdb_thread_create(pthread_t *thread, const struct ghost_cpuset *cpus,
		      void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	if (cpus) {
		to_cpu_set(cpus, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (!err)
		err = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

int rdb_cpus_usable(const struct ghost_cpuset *cpus, const char *what)
{
	cpu_set_t allowed;
	unsigned int cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		perror("rocksdb_server: sched_getaffinity");
		return -1;
	}
	if (!ghost_cpuset_count(cpus)) {
		fprintf(stderr, "rocksdb_server: %s: no CPU given\n", what);
		return -1;
	}
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		if (!ghost_cpuset_test(cpus, cpu))
			continue;
		if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
			fprintf(stderr,
				"rocksdb_server: %s: CPU %u is not one this process may use\n",
				what, cpu);
			return -1;
		}
	}
	return 0;
}
