// SPDX-License-Identifier: GPL-2.0
/*
 * Futex wake to run, the CFS baseline of commit_to_run and
 * wakeup_to_msg: two pinned SCHED_OTHER threads on two CPUs, the waker
 * where the agent would be.  Each sample runs from a timestamp taken
 * just before FUTEX_WAKE to the first user instruction of the woken
 * thread after its FUTEX_WAIT returns.  No enclave is involved.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "../agent/ghost_test.h"
#include "samples.h"

#define WARMUP		20
#define SETTLE_US	500

struct wake {
	volatile uint32_t word;		/* 1: go */
	volatile uint64_t run_ns;
	volatile uint64_t counter;
	volatile int quit;
	int cpu;
};

static void *sleeper(void *p)
{
	struct wake *x = p;
	uint64_t t;

	if (bench_pin(x->cpu))
		return NULL;
	for (;;) {
		syscall(SYS_futex, &x->word, FUTEX_WAIT_PRIVATE, 0, NULL,
			NULL, 0);
		t = gt_now_ns();
		if (!__atomic_load_n(&x->word, __ATOMIC_ACQUIRE))
			continue;	/* spurious */
		x->run_ns = t;
		__atomic_store_n(&x->word, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&x->counter, 1, __ATOMIC_RELEASE);
		if (x->quit)
			return NULL;
	}
}

static int test_cfs(void)
{
	struct wake x = { 0 };
	int r, i, n = bench_nr_samples(), waker;
	struct bench_series s;
	pthread_t t;

	if ((r = gt_need_cpus(2)))
		return r;
	/* The same CPUs as commit_to_run's agent and thread. */
	gt_destroy_all();
	waker = gt_agent_cpu;
	x.cpu = gt_cpu(0);
	if ((r = bench_pin(waker)))
		return gt_fail("pin to CPU %d: %s", waker, strerror(-r));
	bench_series_init(&s, "futex_wake", n);
	if ((r = pthread_create(&t, NULL, sleeper, &x)))
		return gt_fail("pthread_create: %s", strerror(r));
	for (i = 0; i < n + WARMUP; i++) {
		uint64_t seen = __atomic_load_n(&x.counter, __ATOMIC_ACQUIRE);
		uint64_t t0;

		bench_settle_us(SETTLE_US);
		if (i == n + WARMUP - 1)
			x.quit = 1;
		t0 = gt_now_ns();
		__atomic_store_n(&x.word, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &x.word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
			0);
		if (!bench_spin_until(__atomic_load_n(&x.counter,
						      __ATOMIC_ACQUIRE) != seen,
				      2000000000ULL))
			return gt_fail("sample %d: the thread did not run", i);
		if (i >= WARMUP)
			bench_series_add(&s, x.run_ns - t0);
	}
	pthread_join(t, NULL);
	bench_info("futex_wake", "cpus", "waker %d thread %d", waker, x.cpu);
	bench_series_print(&s);
	return 0;
}

static const struct gt_test tests[] = {
	{ "cfs", test_cfs },
	{ NULL, NULL },
};

GT_MAIN(tests)
