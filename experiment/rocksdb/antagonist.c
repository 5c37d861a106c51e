// SPDX-License-Identifier: GPL-2.0
/*
 * The antagonist's threads and their accounting: iterations counted by
 * each thread, CPU time read from each thread's CPU-time clock.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "affinity.h"
#include "antagonist.h"
#include "enter.h"
#include "relax.h"

/* Iterations between two looks at the stop flag and two counter updates. */
#define BATCH	1024

struct spinner {
	pthread_t thread;
	clockid_t clock;
	atomic_uint_fast64_t iterations;
	int nice;
	unsigned int enclave;
	atomic_int *stop;
	atomic_int ready;	/* 1 set up, -errno failed */
};

struct rdb_antagonist {
	unsigned int n;
	atomic_int stop;
	struct timespec start;
	struct spinner *s;
};

static void *spin(void *arg)
{
	struct spinner *s = arg;
	uint64_t i;
	int err;

	/* nice applies to this thread alone on Linux. */
	if (setpriority(PRIO_PROCESS, syscall(SYS_gettid), s->nice)) {
		err = errno;
		fprintf(stderr, "rocksdb_server: antagonist at nice %d: %s\n",
			s->nice, strerror(err));
		atomic_store(&s->ready, -err);
		return NULL;
	}
	err = rdb_enter_enclave(s->enclave, "an antagonist");
	atomic_store(&s->ready, err ? err : 1);
	if (err)
		return NULL;
	while (!atomic_load_explicit(s->stop, memory_order_relaxed)) {
		for (i = 0; i < BATCH; i++)
			rdb_cpu_relax();
		atomic_fetch_add_explicit(&s->iterations, BATCH,
					  memory_order_relaxed);
	}
	return NULL;
}

struct rdb_antagonist *rdb_antagonist_start(unsigned int n, int nice,
					    const struct ghost_cpuset *cpus,
					    unsigned int enclave)
{
	struct rdb_antagonist *a = calloc(1, sizeof(*a));
	unsigned int i;
	int err = 0;

	if (a)
		a->s = calloc(n, sizeof(*a->s));
	if (!a || !a->s) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		free(a);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	for (i = 0; i < n && !err; i++) {
		struct spinner *s = &a->s[i];
		int ready;

		s->nice = nice;
		s->enclave = enclave;
		s->stop = &a->stop;
		err = rdb_thread_create(&s->thread, cpus, spin, s);
		if (err) {
			fprintf(stderr, "rocksdb_server: starting an antagonist: %s\n",
				strerror(err));
			break;
		}
		a->n++;
		while (!(ready = atomic_load(&s->ready)))
			sched_yield();
		if (ready < 0) {
			err = -ready;
			break;
		}
		err = pthread_getcpuclockid(s->thread, &s->clock);
		if (err)
			fprintf(stderr, "rocksdb_server: antagonist CPU clock: %s\n",
				strerror(err));
	}
	if (err) {
		rdb_antagonist_stop(a);
		return NULL;
	}
	return a;
}

static double ts_s(const struct timespec *t)
{
	return t->tv_sec + t->tv_nsec / 1e9;
}

void rdb_antagonist_read(struct rdb_antagonist *a,
			 struct rdb_antagonist_sample *out)
{
	struct timespec now, t;
	unsigned int i;

	*out = (struct rdb_antagonist_sample){ 0 };
	if (!a)
		return;
	for (i = 0; i < a->n; i++) {
		out->iterations += atomic_load(&a->s[i].iterations);
		if (!clock_gettime(a->s[i].clock, &t))
			out->cpu_s += ts_s(&t);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	out->wall_s = ts_s(&now) - ts_s(&a->start);
}

void rdb_antagonist_stop(struct rdb_antagonist *a)
{
	unsigned int i;

	if (!a)
		return;
	atomic_store(&a->stop, 1);
	for (i = 0; i < a->n; i++)
		pthread_join(a->s[i].thread, NULL);
	free(a->s);
	free(a);
}
