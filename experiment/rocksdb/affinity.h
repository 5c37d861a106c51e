/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Threads started on a given set of CPUs.
 */
#ifndef RDB_AFFINITY_H
#define RDB_AFFINITY_H

#include <pthread.h>

#include <ghost/libghost.h>

/*
 * pthread_create() of a thread that runs only on @cpus (NULL: wherever
 * the process may) from its first instruction.  Returns 0 or an errno.
 */
int rdb_thread_create(pthread_t *thread, const struct ghost_cpuset *cpus,
		      void *(*fn)(void *), void *arg);

/*
 * Check that this process may run on every CPU of @cpus; prints what is
 * wrong, with @what naming the option, and returns -1 if not.
 */
int rdb_cpus_usable(const struct ghost_cpuset *cpus, const char *what);

#endif /* RDB_AFFINITY_H */
