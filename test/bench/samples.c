// SPDX-License-Identifier: GPL-2.0
/*
 * Samples of the benchmark programs: see samples.h.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "samples.h"

#define PER_LINE	32

int bench_nr_samples(void)
{
	const char *s = getenv("BENCH_SAMPLES");
	int n = s ? atoi(s) : 0;

	return n > 0 ? n : 1000;
}

void bench_series_init(struct bench_series *s, const char *name, int cap)
{
	s->name = name;
	s->n = 0;
	s->cap = cap;
	s->ns = calloc(cap, sizeof(*s->ns));
	if (!s->ns) {
		perror("calloc");
		exit(1);
	}
}

void bench_series_add(struct bench_series *s, int64_t ns)
{
	if (s->n < s->cap)
		s->ns[s->n++] = ns;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void bench_series_print(struct bench_series *s)
{
	int i, p99;

	for (i = 0; i < s->n; i++) {
		if (i % PER_LINE == 0)
			printf("%ssample %s", i ? "\n" : "", s->name);
		printf(" %lld", (long long)s->ns[i]);
	}
	if (s->n)
		printf("\n");
	if (s->n) {
		qsort(s->ns, s->n, sizeof(*s->ns), cmp_i64);
		/* Nearest rank. */
		p99 = (s->n * 99 + 99) / 100 - 1;
		printf("summary %s %d %lld %lld %lld\n", s->name, s->n,
		       (long long)s->ns[(s->n - 1) / 2],
		       (long long)s->ns[p99], (long long)s->ns[s->n - 1]);
	} else {
		printf("summary %s 0 - - -\n", s->name);
	}
	fflush(stdout);
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
}

void bench_info(const char *name, const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("info %s %s ", name, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int bench_pin(int cpu)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_OTHER, &sp))
		return -errno;
	return 0;
}

void bench_settle_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
