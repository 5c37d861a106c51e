// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of sched_yield() for a thread alone on its CPU: under CFS it
 * returns at once, under ghost the agent decides what runs next.  A
 * sample is the mean of a batch of calls, from a timestamp before the
 * first to one after the last (a clock read costs as much as a call).
 *
 * usage: yield_loop -s NAME [-c CPU]     (-c pins it, for CFS)
 * BENCH_SAMPLES batches are kept, after a warm-up.
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

#define BATCH		10
#define WARMUP		20

int main(int argc, char **argv)
{
	int c, i, j, cpu = -1, n = bench_nr_samples(), r;
	const char *name = NULL;
	struct bench_series s;
	uint64_t ran_on = 0;
	char cpus[256];

	while ((c = getopt(argc, argv, "s:c:")) != -1) {
		switch (c) {
		case 's':
			name = optarg;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		default:
			name = NULL;
			optind = argc;
			break;
		}
	}
	if (!name) {
		fprintf(stderr, "usage: yield_loop -s NAME [-c CPU]\n");
		return 2;
	}
	if (cpu >= 0 && (r = bench_pin(cpu))) {
		fprintf(stderr, "yield_loop: pin to CPU %d: %s\n", cpu,
			strerror(-r));
		return 1;
	}
	bench_series_init(&s, name, n);
	for (i = 0; i < n + WARMUP; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		for (j = 0; j < BATCH; j++)
			sched_yield();
		t1 = bench_now_ns();
		if (i >= WARMUP)
			bench_series_add(&s, (t1 - t0) / BATCH);
		c = sched_getcpu();
		if (c >= 0 && c < 64)
			ran_on |= 1ULL << c;
	}
	bench_info(name, "batch", "%d", BATCH);
	cpus[0] = 0;
	for (c = 0, i = 0; c < 64; c++)
		if (ran_on & (1ULL << c))
			i += snprintf(cpus + i, sizeof(cpus) - i, "%s%d",
				      i ? "," : "", c);
	bench_info(name, "cpus", "%s", cpus);
	bench_series_print(&s);
	return 0;
}
