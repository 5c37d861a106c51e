// SPDX-License-Identifier: GPL-2.0
/*
 * Remote commit to run: an agent on one CPU commits a parked ghost
 * thread to another CPU.  Each sample runs from a timestamp taken just
 * before the GHOST_IOC_COMMIT ioctl to the first user instruction of the
 * thread, on its CPU.  The baseline is futex_wake.
 */
#include "../agent/ghost_test.h"
#include "samples.h"

#define WARMUP		20
#define SETTLE_US	500

/* The first thing after the park: the time; then park again. */
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

static int test_remote(void)
{
	struct gt_worker *w = gt_workers(1);
	int r, i, n = bench_nr_samples(), cpu;
	struct bench_series s;
	struct gt_enclave e;
	uint64_t gtid;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	cpu = gt_cpu(0);
	bench_series_init(&s, "commit_to_run", n);
	w->fn = stamp_and_yield;
	gtid = gt_start(&e, w, 0);
	if (!gtid)
		return gt_fail("worker did not enter");
	for (i = 0; i < n + WARMUP; i++) {
		uint64_t seen = __atomic_load_n(&w->counter, __ATOMIC_ACQUIRE);
		uint64_t t0;

		bench_settle_us(SETTLE_US);
		t0 = gt_now_ns();
		r = gt_commit(&e, gtid, cpu);
		if (r != GHOST_TXN_COMPLETE)
			return gt_fail("commit %d: %s", i, gt_txn_name(r));
		if (!bench_spin_until(__atomic_load_n(&w->counter,
						      __ATOMIC_ACQUIRE) != seen,
				      2000000000ULL))
			return gt_fail("sample %d: the thread did not run", i);
		if (gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w->tid, 5000, NULL))
			return gt_fail("sample %d: no TASK_YIELD", i);
		gt_log_clear(&e);
		/* The first runs return from the write to tasks. */
		if (i >= WARMUP)
			bench_series_add(&s, w->run_ns - t0);
	}
	bench_info("commit_to_run", "cpus", "agent %d thread %d",
		   gt_agent_cpu, cpu);
	bench_series_print(&s);
	w->cmd = GT_CMD_EXIT;
	return 0;
}

static const struct gt_test tests[] = {
	{ "remote", test_remote },
	{ NULL, NULL },
};

GT_MAIN(tests)
