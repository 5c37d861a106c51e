// SPDX-License-Identifier: GPL-2.0
/*
 * req_order: one long CPU-bound request, then short ones, and the order
 * in which they finish.
 *
 *   req_order [-l LONG_MS] [-s SHORT_MS] [-n SHORTS]
 *
 * A thread serves the long request: it spins until its own CPU clock has
 * counted LONG_MS (default 1500).  Once it has run 1/10 of that, the
 * main thread starts SHORTS threads (default 4), each spinning until its
 * own CPU clock has counted SHORT_MS (default 40).  Each request takes a
 * rank as it finishes.  Prints "order: ..." with L for the long request
 * and S for a short one, in the order they finished, then "long request
 * finished K of N".  On one CPU, a scheduler that preempts a long request
 * for waiting short ones finishes every short one first; one that runs
 * each request to completion finishes the long one first.  Work is
 * counted in CPU time, never wall time, so a slow or busy machine changes
 * nothing but how long it takes.  Exit status 0 when every request
 * finished, 1 on a failure, 2 on usage errors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SHORTS	64

struct request {
	pthread_t th;
	uint64_t work_ns;	/* CPU time it needs */
	int rank;		/* 0: the first to finish */
};

static struct request requests[MAX_SHORTS + 1];
static atomic_int next_rank;
static atomic_int long_ran;	/* the long request has done 1/10 */

static void die(const char *what, int err)
{
	fprintf(stderr, "req_order: %s: %s\n", what, strerror(err));
	exit(1);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: req_order [-l LONG_MS] [-s SHORT_MS] [-n SHORTS (1..%d)]\n",
		MAX_SHORTS);
	exit(2);
}

static long arg_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		usage();
	return v;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		die("clock_gettime", errno);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *serve(void *arg)
{
	struct request *r = arg;
	int is_long = r == &requests[0];
	uint64_t start = thread_cpu_ns(), used;

	do {
		used = thread_cpu_ns() - start;
		if (is_long && used >= r->work_ns / 10)
			atomic_store(&long_ran, 1);
	} while (used < r->work_ns);
	r->rank = atomic_fetch_add(&next_rank, 1);
	return NULL;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long long_ms = 1500, short_ms = 40;
	int shorts = 4;
	char order[MAX_SHORTS + 1];
	int c, i, err;

	while ((c = getopt(argc, argv, "l:s:n:")) != -1) {
		switch (c) {
		case 'l':
			long_ms = arg_num(optarg, 1, 600000);
			break;
		case 's':
			short_ms = arg_num(optarg, 1, 600000);
			break;
		case 'n':
			shorts = (int)arg_num(optarg, 1, MAX_SHORTS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (short_ms >= long_ms) {
		fprintf(stderr, "req_order: a short request (%ld ms) must be shorter than the long one (%ld ms)\n",
			short_ms, long_ms);
		return 2;
	}

	requests[0].work_ns = long_ms * 1000000ULL;
	err = pthread_create(&requests[0].th, NULL, serve, &requests[0]);
	if (err)
		die("pthread_create", err);
	/* The long request is under way before any short one arrives. */
	while (!atomic_load(&long_ran))
		nap_ms(5);
	for (i = 1; i <= shorts; i++) {
		requests[i].work_ns = short_ms * 1000000ULL;
		err = pthread_create(&requests[i].th, NULL, serve,
				     &requests[i]);
		if (err)
			die("pthread_create", err);
	}
	for (i = 0; i <= shorts; i++) {
		err = pthread_join(requests[i].th, NULL);
		if (err)
			die("pthread_join", err);
	}

	if (atomic_load(&next_rank) != shorts + 1) {
		fprintf(stderr, "req_order: %d of %d requests finished\n",
			atomic_load(&next_rank), shorts + 1);
		return 1;
	}
	for (i = 0; i <= shorts; i++)
		order[requests[i].rank] = i ? 'S' : 'L';
	printf("order:");
	for (i = 0; i <= shorts; i++)
		printf(" %c", order[i]);
	printf("\nlong request finished %d of %d\n", requests[0].rank + 1,
	       shorts + 1);
	return 0;
}
