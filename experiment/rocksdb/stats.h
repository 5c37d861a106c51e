/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency percentiles of a run, overall and per request kind.
 */
#ifndef RDB_STATS_H
#define RDB_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "request.h"

struct rdb_pcts {
	size_t n;		/* requests counted */
	/* Microseconds; INFINITY if unserved, NAN if n is 0. */
	double p50, p99, p999;
};

/*
 * Percentiles (nearest rank) of the latencies of @reqs (all kinds if
 * @kind < 0, else that kind).  A request not served counts as infinitely
 * late, so that dropping work never improves the tail.
 */
int rdb_latency_pcts(const struct rdb_req *reqs, size_t n, int kind,
		     struct rdb_pcts *out);

/* Nearest-rank percentile @p (0 < p <= 1) of @sorted[0 .. @n - 1]. */
uint64_t rdb_pct(const uint64_t *sorted, size_t n, double p);

/* Sort @vals[0 .. @n - 1] (n > 0) and return percentile @p of them. */
uint64_t rdb_sort_pct(uint64_t *vals, size_t n, double p);

/* Print @us as a number of microseconds ("inf" if infinite, "nan"). */
void rdb_print_us(FILE *f, double us);

#endif /* RDB_STATS_H */
