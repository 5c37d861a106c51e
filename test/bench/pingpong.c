// SPDX-License-Identifier: GPL-2.0
/*
 * Ping-pong between two threads, over a pair of pipes or a futex: each
 * sample is one round trip, from a timestamp taken just before ping's
 * write (or futex wake) to ping's first instruction after the answer
 * woke it.  Both sides block; nothing spins.
 *
 * Under CFS, -a and -b pin ping and pong to two CPUs.  Started in an
 * enclave ("ghostctl run ID -- pingpong ..."), its threads are in it and
 * the agent's policy places them: give no CPUs.  The CPUs each side ran
 * on are reported with the samples.
 *
 * usage: pingpong -m pipe|futex -s NAME [-a CPU -b CPU]
 * BENCH_SAMPLES round trips are kept, after a warm-up.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "samples.h"

#define WARMUP		50

struct pingpong {
	int use_futex;
	int to[2], from[2];		/* pipes: ping -> pong, pong -> ping */
	volatile uint32_t word;		/* futex: 1 pong's turn, 0 ping's */
	int rounds;
	int cpu[2];			/* pinned CPUs of ping and pong, or -1 */
	uint64_t ran_on[2];		/* CPUs seen, a bit each (< 64) */
	struct bench_series s;
	int err;
};

static void futex_wait(volatile uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(volatile uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void note_cpu(struct pingpong *pp, int side)
{
	int c = sched_getcpu();

	if (c >= 0 && c < 64)
		pp->ran_on[side] |= 1ULL << c;
}

static int side_start(struct pingpong *pp, int side)
{
	int r;

	if (pp->cpu[side] >= 0 && (r = bench_pin(pp->cpu[side]))) {
		fprintf(stderr, "pingpong: pin to CPU %d: %s\n", pp->cpu[side],
			strerror(-r));
		pp->err = 1;
		return -1;
	}
	return 0;
}

static void *ping(void *p)
{
	struct pingpong *pp = p;
	char c = 'x';
	int i;

	if (side_start(pp, 0))
		return NULL;
	for (i = 0; i < pp->rounds; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		if (pp->use_futex) {
			__atomic_store_n(&pp->word, 1, __ATOMIC_RELEASE);
			futex_wake(&pp->word);
			while (__atomic_load_n(&pp->word, __ATOMIC_ACQUIRE))
				futex_wait(&pp->word, 1);
		} else if (write(pp->to[1], &c, 1) != 1 ||
			   read(pp->from[0], &c, 1) != 1) {
			perror("pingpong: ping");
			pp->err = 1;
			break;
		}
		t1 = bench_now_ns();
		if (i >= WARMUP)
			bench_series_add(&pp->s, t1 - t0);
		if (i % 64 == 0)
			note_cpu(pp, 0);
	}
	return NULL;
}

static void *pong(void *p)
{
	struct pingpong *pp = p;
	char c;
	int i;

	if (side_start(pp, 1))
		return NULL;
	for (i = 0; i < pp->rounds; i++) {
		if (pp->use_futex) {
			while (!__atomic_load_n(&pp->word, __ATOMIC_ACQUIRE))
				futex_wait(&pp->word, 0);
			__atomic_store_n(&pp->word, 0, __ATOMIC_RELEASE);
			futex_wake(&pp->word);
		} else if (read(pp->to[0], &c, 1) != 1 ||
			   write(pp->from[1], &c, 1) != 1) {
			perror("pingpong: pong");
			pp->err = 1;
			break;
		}
		if (i % 64 == 0)
			note_cpu(pp, 1);
	}
	return NULL;
}

static void cpus_str(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int c = 0; c < 64 && n < len; c++)
		if (mask & (1ULL << c))
			n += snprintf(buf + n, len - n, "%s%d", n ? "," : "", c);
}

static int usage(void)
{
	fprintf(stderr, "usage: pingpong -m pipe|futex -s NAME [-a CPU -b CPU]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct pingpong pp = { .cpu = { -1, -1 } };
	const char *name = NULL, *mode = "pipe";
	char a[128], b[128];
	pthread_t t[2];
	int c;

	while ((c = getopt(argc, argv, "m:s:a:b:")) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 's':
			name = optarg;
			break;
		case 'a':
			pp.cpu[0] = atoi(optarg);
			break;
		case 'b':
			pp.cpu[1] = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	if (!name || (strcmp(mode, "pipe") && strcmp(mode, "futex")))
		return usage();
	pp.use_futex = !strcmp(mode, "futex");
	if (!pp.use_futex && (pipe(pp.to) || pipe(pp.from))) {
		perror("pingpong: pipe");
		return 1;
	}
	pp.rounds = bench_nr_samples() + WARMUP;
	bench_series_init(&pp.s, name, pp.rounds);
	if (pthread_create(&t[1], NULL, pong, &pp) ||
	    pthread_create(&t[0], NULL, ping, &pp)) {
		fprintf(stderr, "pingpong: pthread_create failed\n");
		return 1;
	}
	pthread_join(t[0], NULL);
	if (pp.err) {
		/* pong may wait forever for a ping that will not come. */
		fprintf(stderr, "pingpong: %s did not finish\n", name);
		return 1;
	}
	pthread_join(t[1], NULL);
	cpus_str(pp.ran_on[0], a, sizeof(a));
	cpus_str(pp.ran_on[1], b, sizeof(b));
	bench_info(name, "cpus", "ping %s pong %s", a, b);
	bench_series_print(&pp.s);
	return 0;
}
