/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every benchmark program of `make bench` shares: a series of
 * latency samples in nanoseconds, printed raw for the host to tabulate
 * and plot, and the few primitives a measurement needs (the clock, a
 * polite busy-wait, pinning).
 *
 * Output, on stdout, one series at a time:
 *   sample NAME V V V ...      raw values in ns, at most 32 a line
 *   info NAME KEY VALUE        what the host should know about a series
 *   summary NAME N MEDIAN P99 MAX   for a human reading the console
 * Nothing is judged: a program fails only when it cannot measure.
 */
#ifndef GHOST_BENCH_SAMPLES_H
#define GHOST_BENCH_SAMPLES_H

#include <stdint.h>
#include <time.h>

#include <ghost/barrier.h>

struct bench_series {
	const char *name;
	int n, cap;
	int64_t *ns;
};

/* Samples a series takes (BENCH_SAMPLES, default 1000, at least 1). */
int bench_nr_samples(void);

void bench_series_init(struct bench_series *s, const char *name, int cap);
void bench_series_add(struct bench_series *s, int64_t ns);
/* Print @s as above, then free its samples. */
void bench_series_print(struct bench_series *s);
void bench_info(const char *name, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC: one clock for every thread of one VM. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Every busy-wait pauses: under emulation a spin without it keeps the
 * other vCPUs of its host thread from running.
 */
#define bench_spin_until(cond, timeout_ns) ({				\
	uint64_t __end = bench_now_ns() + (timeout_ns);			\
	int __ok;							\
	while (!(__ok = !!(cond)) && bench_now_ns() < __end)		\
		ghost_cpu_relax();					\
	__ok;								\
})

/* The calling thread on @cpu alone, SCHED_OTHER; 0 or -errno. */
int bench_pin(int cpu);

/* Let a thread that was just woken or parked settle: sleep @us. */
void bench_settle_us(unsigned int us);

#endif /* GHOST_BENCH_SAMPLES_H */
