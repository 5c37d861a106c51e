// SPDX-License-Identifier: GPL-2.0
/*
 * Group commit: an agent commits N parked ghost threads to N other CPUs
 * in one GHOST_IOC_COMMIT, for N = 1 .. every enclave CPU but its own.
 * Two series per N, both from a timestamp taken just before the ioctl:
 *
 *   group_ioctl_N  until the ioctl returns;
 *   group_run_N    until the last of the N threads runs user code.
 *
 * The cost per CPU is a sample divided by N.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../agent/ghost_test.h"
#include "samples.h"

#define WARMUP		20
#define SETTLE_US	500

static void stamp_and_yield(struct gt_worker *w)
{
	for (;;) {
		w->run_ns = gt_now_ns();
		__atomic_add_fetch(&w->counter, 1, __ATOMIC_RELEASE);
		if (__atomic_load_n(&w->cmd, __ATOMIC_ACQUIRE) == GT_CMD_EXIT)
			return;
		sched_yield();
	}
}

static int all_ran(struct gt_worker *w, const uint64_t *seen, int n)
{
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&w[i].counter, __ATOMIC_ACQUIRE) == seen[i])
			return 0;
	return 1;
}

static int measure(struct gt_enclave *e, struct gt_worker *w,
		   const uint64_t *gtid, int n)
{
	char ioctl_name[32], run_name[32];
	struct bench_series si, sr;
	int nr = bench_nr_samples(), i, j, r;
	uint64_t seen[GT_MAX_CPUS], mask = 0;

	snprintf(ioctl_name, sizeof(ioctl_name), "group_ioctl_%d", n);
	snprintf(run_name, sizeof(run_name), "group_run_%d", n);
	bench_series_init(&si, ioctl_name, nr);
	bench_series_init(&sr, run_name, nr);
	for (j = 0; j < n; j++)
		mask |= GT_CPU(gt_cpu(j));
	for (i = 0; i < nr + WARMUP; i++) {
		uint64_t t0, t1, last = 0;
		uint32_t done = 0;

		bench_settle_us(SETTLE_US);
		for (j = 0; j < n; j++) {
			seen[j] = __atomic_load_n(&w[j].counter,
						  __ATOMIC_ACQUIRE);
			gt_txn_set(e, gt_cpu(j), gtid[j],
				   gt_barrier(e, gtid[j]), 0);
		}
		t0 = gt_now_ns();
		r = gt_txn_commit(e, mask, &done);
		t1 = gt_now_ns();
		if (r || done != (uint32_t)n)
			return gt_fail("N=%d sample %d: %d of %d committed%s%s",
				       n, i, done, n, r ? ": " : "",
				       r ? strerror(-r) : "");
		if (!bench_spin_until(all_ran(w, seen, n), 2000000000ULL))
			return gt_fail("N=%d sample %d: a thread did not run",
				       n, i);
		for (j = 0; j < n; j++) {
			if (w[j].run_ns > last)
				last = w[j].run_ns;
			if (gt_wait_msg(e, GHOST_MSG_TASK_YIELD, w[j].tid, 5000,
					NULL))
				return gt_fail("N=%d sample %d: no TASK_YIELD",
					       n, i);
		}
		gt_log_clear(e);
		if (i < WARMUP)
			continue;
		bench_series_add(&si, t1 - t0);
		bench_series_add(&sr, last - t0);
	}
	bench_series_print(&si);
	bench_series_print(&sr);
	return 0;
}

static int test_scaling(void)
{
	struct gt_worker *w;
	uint64_t gtid[GT_MAX_CPUS];
	struct gt_enclave e;
	int r, n, max;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	max = gt_nr_cpus - 1;
	w = gt_workers(max);
	for (n = 0; n < max; n++) {
		w[n].fn = stamp_and_yield;
		gtid[n] = gt_start(&e, &w[n], 0);
		if (!gtid[n])
			return gt_fail("worker %d did not enter", n);
	}
	bench_info("group_commit", "max", "%d", max);
	for (n = 1; n <= max; n++)
		if ((r = measure(&e, w, gtid, n)))
			return r;
	for (n = 0; n < max; n++)
		w[n].cmd = GT_CMD_EXIT;
	return 0;
}

static const struct gt_test tests[] = {
	{ "scaling", test_scaling },
	{ NULL, NULL },
};

GT_MAIN(tests)
