/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch antagonist: threads that want every cycle, spinning with a pause
 * instruction and counting their iterations, beside the server.  How much
 * CPU they got, against how much the server's tail suffered, says whether
 * a scheduler lends idle cycles without taking them from latency-critical
 * work.
 */
#ifndef RDB_ANTAGONIST_H
#define RDB_ANTAGONIST_H

#include <stdint.h>

#include <ghost/libghost.h>

struct rdb_antagonist;

/* What the threads did over an interval. */
struct rdb_antagonist_sample {
	uint64_t iterations;	/* loop iterations of all threads */
	double cpu_s;		/* CPU time of all threads, seconds */
	double wall_s;		/* the interval */
};

/*
 * Start @n threads at nice @nice, on the CPUs of @cpus (NULL: anywhere),
 * each entering ghost enclave @enclave unless it is 0.  Returns NULL
 * after printing why on failure.
 */
struct rdb_antagonist *rdb_antagonist_start(unsigned int n, int nice,
					    const struct ghost_cpuset *cpus,
					    unsigned int enclave);

/* Totals since the start, to subtract two of them into an interval. */
void rdb_antagonist_read(struct rdb_antagonist *a,
			 struct rdb_antagonist_sample *s);

void rdb_antagonist_stop(struct rdb_antagonist *a);

#endif /* RDB_ANTAGONIST_H */
