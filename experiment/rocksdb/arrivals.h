/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The open-loop arrival schedule of one run: Poisson arrivals at a given
 * rate (exponential gaps, independent of how fast the server answers),
 * each a GET of a uniformly random key or, with probability scan_ratio,
 * a scan of scan_keys keys from a uniformly random first key.  Drawn up
 * front from a seed, so that a run is reproducible and the generator
 * thread only has to release requests on time.
 */
#ifndef RDB_ARRIVALS_H
#define RDB_ARRIVALS_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct rdb_schedule_spec {
	double rate;		/* requests per second */
	double duration;	/* seconds of arrivals */
	double scan_ratio;	/* probability that a request is a scan */
	uint32_t nkeys;
	uint32_t scan_keys;
	uint64_t seed;
};

/*
 * The requests due in [0, duration) into a new array (free()), their
 * number into @n.  Returns NULL if out of memory.
 */
struct rdb_req *rdb_schedule(const struct rdb_schedule_spec *spec, size_t *n);

/* An upper bound of the number of requests rdb_schedule() may make. */
double rdb_schedule_bound(double rate, double duration);

#endif /* RDB_ARRIVALS_H */
