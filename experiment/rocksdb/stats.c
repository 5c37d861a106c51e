// SPDX-License-Identifier: GPL-2.0
/*
 * Percentiles by sorting: a run has at most a few million requests.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "stats.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t rdb_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * n);

	return sorted[rank ? rank - 1 : 0];
}

uint64_t rdb_sort_pct(uint64_t *vals, size_t n, double p)
{
	qsort(vals, n, sizeof(*vals), cmp_u64);
	return rdb_pct(vals, n, p);
}

int rdb_latency_pcts(const struct rdb_req *reqs, size_t n, int kind,
		     struct rdb_pcts *out)
{
	uint64_t *lat = malloc((n ? n : 1) * sizeof(*lat));
	const double ps[] = { 0.5, 0.99, 0.999 };
	double *dst[] = { &out->p50, &out->p99, &out->p999 };
	size_t i, m = 0;
	int j;

	if (!lat)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (kind >= 0 && reqs[i].kind != kind)
			continue;
		/* Unserved ones sort last, as the largest latency. */
		lat[m++] = reqs[i].status == RDB_OK || reqs[i].status == RDB_ERROR ?
			   reqs[i].done_ns - reqs[i].sched_ns : UINT64_MAX;
	}
	qsort(lat, m, sizeof(*lat), cmp_u64);
	out->n = m;
	for (j = 0; j < 3; j++) {
		uint64_t v = m ? rdb_pct(lat, m, ps[j]) : 0;

		/* No request of the kind: no percentile, not a zero one. */
		*dst[j] = !m ? NAN : v == UINT64_MAX ? INFINITY : v / 1e3;
	}
	free(lat);
	return 0;
}

void rdb_print_us(FILE *f, double us)
{
	if (isinf(us))
		fputs("inf", f);
	else if (isnan(us))
		fputs("nan", f);
	else
		fprintf(f, "%.1f", us);
}
