// SPDX-License-Identifier: GPL-2.0
/*
 * nice_share: CPU-bound threads at given nice values, and the CPU time
 * each one got over the same window.
 *
 *   nice_share [-w WARMUP_MS] [-t WINDOW_MS] NICE...
 *
 * Starts one thread per NICE.  Each sets its own nice value and spins,
 * never blocking, until told to stop.  Once every thread has set itself
 * up, the main thread sleeps WARMUP_MS (default 500), reads every
 * thread's CPU clock, sleeps WINDOW_MS (default 4000), reads the clocks
 * again and stops the threads.  It prints one line per thread,
 * "thread I nice N cpu_ms MS", and with two threads "ratio R", the first
 * thread's CPU time over the second's.  Run under a scheduler that honours
 * nice values on one CPU, R is near the ratio of their weights (1024 for
 * nice 0, 335 for nice 5: about 3.06).  Nothing is judged on time: the
 * caller checks the ratio.  Exit status 0 when every thread ran in the
 * window and stopped, 1 on a failure, 2 on usage errors.
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
#include <sys/resource.h>
#include <sys/syscall.h>

#define MAX_THREADS	16

struct spinner {
	pthread_t th;
	int nice;
	clockid_t clock;
	uint64_t cpu_ns;	/* over the window */
};

static struct spinner spinners[MAX_THREADS];
static pthread_barrier_t setup_done;
static atomic_int stop;

static void die(const char *what, int err)
{
	fprintf(stderr, "nice_share: %s: %s\n", what, strerror(err));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: nice_share [-w WARMUP_MS] [-t WINDOW_MS] NICE... (1 to %d, each -20..19)\n",
		MAX_THREADS);
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

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t cpu_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts))
		die("clock_gettime of a thread's CPU clock", errno);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;

	/* Acts on the calling thread only. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), s->nice))
		die("setpriority", errno);
	pthread_barrier_wait(&setup_done);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

int main(int argc, char **argv)
{
	long warmup_ms = 500, window_ms = 4000;
	uint64_t start[MAX_THREADS];
	int c, i, nr, err, ret = 0;

	while ((c = getopt(argc, argv, "w:t:")) != -1) {
		switch (c) {
		case 'w':
			warmup_ms = arg_num(optarg, 0, 600000);
			break;
		case 't':
			window_ms = arg_num(optarg, 1, 600000);
			break;
		default:
			usage();
		}
	}
	nr = argc - optind;
	if (nr < 1 || nr > MAX_THREADS)
		usage();
	for (i = 0; i < nr; i++)
		spinners[i].nice = arg_num(argv[optind + i], -20, 19);

	err = pthread_barrier_init(&setup_done, NULL, nr + 1);
	if (err)
		die("pthread_barrier_init", err);
	for (i = 0; i < nr; i++) {
		err = pthread_create(&spinners[i].th, NULL, spin, &spinners[i]);
		if (err)
			die("pthread_create", err);
		err = pthread_getcpuclockid(spinners[i].th, &spinners[i].clock);
		if (err)
			die("pthread_getcpuclockid", err);
	}
	pthread_barrier_wait(&setup_done);

	nap_ms(warmup_ms);
	for (i = 0; i < nr; i++)
		start[i] = cpu_ns(spinners[i].clock);
	nap_ms(window_ms);
	for (i = 0; i < nr; i++)
		spinners[i].cpu_ns = cpu_ns(spinners[i].clock) - start[i];
	atomic_store(&stop, 1);
	for (i = 0; i < nr; i++) {
		err = pthread_join(spinners[i].th, NULL);
		if (err)
			die("pthread_join", err);
	}

	for (i = 0; i < nr; i++) {
		printf("thread %d nice %d cpu_ms %.1f\n", i, spinners[i].nice,
		       spinners[i].cpu_ns / 1e6);
		if (!spinners[i].cpu_ns) {
			fprintf(stderr, "nice_share: thread %d (nice %d) never ran in the window\n",
				i, spinners[i].nice);
			ret = 1;
		}
	}
	if (nr == 2 && !ret)
		printf("ratio %.2f\n",
		       (double)spinners[0].cpu_ns / spinners[1].cpu_ns);
	return ret;
}
