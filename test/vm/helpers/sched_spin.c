// SPDX-License-Identifier: GPL-2.0
/*
 * sched_spin: threads with scheduling attributes of their own, working.
 *
 *   sched_spin POLICY/NICE/CPUS...
 *
 * Starts one thread per argument.  It sets its own policy (other, batch
 * or idle), nice value and CPU affinity (a list such as "0-1,3"), then
 * alternates spinning with 1 ms sleeps, so that an agent scheduling it
 * sees it run, block and wake up.  Once every thread has set itself up,
 * prints "ready" and their TIDs on one line; the main thread keeps its
 * inherited attributes and wakes up every 100 ms.  Runs until killed.
 * Busybox has neither chrt nor nice: tests use this to give threads
 * attributes that differ from the defaults and from each other.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define MAX_THREADS	64
#define SPIN_LOOPS	200000

/* Keeps the compiler from optimising the busy loop away. */
#define barrier()	__asm__ __volatile__("" : : : "memory")

struct spec {
	int policy;
	int nice;
	cpu_set_t cpus;
	pid_t tid;
};

static struct spec specs[MAX_THREADS];
static pthread_barrier_t setup_done;

static void die(const char *what, int err)
{
	fprintf(stderr, "sched_spin: %s: %s\n", what, strerror(err));
	exit(1);
}

/* "0-1,3" into @set; 0 or -EINVAL. */
static int parse_cpus(const char *s, cpu_set_t *set)
{
	unsigned long a, b;
	char *end;

	CPU_ZERO(set);
	for (;;) {
		a = strtoul(s, &end, 10);
		if (end == s)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return -EINVAL;
		}
		if (b >= CPU_SETSIZE)
			return -EINVAL;
		for (; a <= b; a++)
			CPU_SET(a, set);
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		s = end + 1;
	}
}

static int parse_spec(const char *arg, struct spec *sp)
{
	char policy[16], *end;
	const char *p = strchr(arg, '/'), *q;

	if (!p || p - arg >= (long)sizeof(policy))
		return -EINVAL;
	memcpy(policy, arg, p - arg);
	policy[p - arg] = '\0';
	if (!strcmp(policy, "other"))
		sp->policy = SCHED_OTHER;
	else if (!strcmp(policy, "batch"))
		sp->policy = SCHED_BATCH;
	else if (!strcmp(policy, "idle"))
		sp->policy = SCHED_IDLE;
	else
		return -EINVAL;
	q = strchr(p + 1, '/');
	if (!q)
		return -EINVAL;
	sp->nice = strtol(p + 1, &end, 10);
	if (end != q || sp->nice < -20 || sp->nice > 19)
		return -EINVAL;
	return parse_cpus(q + 1, &sp->cpus);
}

static void nap(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static void *spinner(void *arg)
{
	struct sched_param param = { 0 };
	struct spec *sp = arg;
	unsigned long n;

	sp->tid = gettid();
	/* Each call acts on the calling thread only. */
	if (sched_setaffinity(0, sizeof(sp->cpus), &sp->cpus))
		die("sched_setaffinity", errno);
	if (setpriority(PRIO_PROCESS, sp->tid, sp->nice))
		die("setpriority", errno);
	if (sched_setscheduler(0, sp->policy, &param))
		die("sched_setscheduler", errno);
	pthread_barrier_wait(&setup_done);
	for (;;) {
		for (n = 0; n < SPIN_LOOPS; n++)
			barrier();
		nap(1000000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t thread;
	int i, nr = argc - 1, err;

	if (nr < 1 || nr > MAX_THREADS) {
		fprintf(stderr, "usage: sched_spin POLICY/NICE/CPUS... (at most %d)\n",
			MAX_THREADS);
		return 2;
	}
	for (i = 0; i < nr; i++) {
		if (parse_spec(argv[i + 1], &specs[i])) {
			fprintf(stderr, "sched_spin: bad spec '%s': want other|batch|idle/NICE/CPUS\n",
				argv[i + 1]);
			return 2;
		}
	}
	pthread_barrier_init(&setup_done, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		err = pthread_create(&thread, NULL, spinner, &specs[i]);
		if (err)
			die("pthread_create", err);
	}
	pthread_barrier_wait(&setup_done);
	printf("ready");
	for (i = 0; i < nr; i++)
		printf(" %d", (int)specs[i].tid);
	printf("\n");
	fflush(stdout);
	for (;;)
		nap(100000000);
}
