// SPDX-License-Identifier: GPL-2.0
/*
 * Poisson arrivals drawn from a seeded xoshiro256** stream.
 */
#include <math.h>
#include <stdlib.h>

#include "arrivals.h"

struct rng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Seed the state from splitmix64, which never yields an all-zero state. */
static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

/* Uniform in (0, 1]: never 0, so that its logarithm is finite. */
static double rng_unit(struct rng *r)
{
	return ((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0 (multiply-shift; its bias is below 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

double rdb_schedule_bound(double rate, double duration)
{
	double mean = rate * duration;

	/* The mean plus ten standard deviations of a Poisson count. */
	return mean + 10 * sqrt(mean) + 16;
}

struct rdb_req *rdb_schedule(const struct rdb_schedule_spec *spec, size_t *n)
{
	size_t cap = (size_t)rdb_schedule_bound(spec->rate, spec->duration);
	double t = 0, end = spec->duration * 1e9, mean_gap = 1e9 / spec->rate;
	struct rdb_req *reqs = calloc(cap, sizeof(*reqs)), *r;
	struct rng rng;
	size_t i = 0;

	if (!reqs)
		return NULL;
	rng_seed(&rng, spec->seed);
	for (;;) {
		/* Exponential gaps make the arrivals a Poisson process. */
		t += -log(rng_unit(&rng)) * mean_gap;
		if (t >= end)
			break;
		if (i == cap) {
			struct rdb_req *more = realloc(reqs, 2 * cap * sizeof(*reqs));

			if (!more) {
				free(reqs);
				return NULL;
			}
			reqs = more;
			cap *= 2;
		}
		r = &reqs[i++];
		*r = (struct rdb_req){ .sched_ns = (uint64_t)t };
		if (rng_unit(&rng) <= spec->scan_ratio) {
			r->kind = RDB_SCAN;
			r->key = rng_below(&rng, spec->nkeys - spec->scan_keys + 1);
		} else {
			r->kind = RDB_GET;
			r->key = rng_below(&rng, spec->nkeys);
		}
	}
	*n = i;
	return reqs;
}
