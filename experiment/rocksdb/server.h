/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server: a pool of worker threads that serve requests from a queue
 * against the database, and the load generator that fills the queue on
 * schedule, one run at a time.
 */
#ifndef RDB_SERVER_H
#define RDB_SERVER_H

#include <stddef.h>

#include <ghost/libghost.h>

#include "db.h"
#include "request.h"

struct rdb_server;

struct rdb_run {
	struct rdb_req *reqs;	/* the schedule, served in place */
	size_t n;
	double duration;	/* seconds of arrivals */
	double drain;		/* seconds to wait for answers afterwards */
	int gen_cpu;		/* the generator's CPU, -1 anywhere */
	double elapsed;		/* out: seconds from start to last answer */
};

/*
 * Start @workers threads (on @cpus, NULL anywhere; each entering ghost
 * enclave @enclave first unless it is 0) serving scans of @scan_keys keys
 * from @db, with the hooks installed now.  Returns NULL after printing
 * why on failure.
 */
struct rdb_server *rdb_server_start(struct rdb_db *db, unsigned int workers,
				    const struct ghost_cpuset *cpus,
				    unsigned int enclave, uint32_t scan_keys);

/*
 * Release @run's requests at their scheduled times and wait for the
 * answers; each request ends RDB_OK, RDB_ERROR or RDB_DROPPED (still
 * queued @run->drain seconds after the last arrival).  Returns 0 or -1
 * after printing why.
 */
int rdb_server_run(struct rdb_server *s, struct rdb_run *run);

void rdb_server_stop(struct rdb_server *s);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t rdb_now_ns(void);

#endif /* RDB_SERVER_H */
