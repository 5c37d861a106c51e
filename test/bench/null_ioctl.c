// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of a ghost ioctl that does nothing (GHOST_IOC_NULL on an
 * enclave's ctl) next to the cheapest system call, getppid(), on one
 * CPU.  A sample is the mean of a batch of calls (a clock read costs
 * more than either call), batches of the two alternate so that both see
 * the same noise.  Also the cost of a CLOCK_MONOTONIC read: the module
 * reads the clocksource on every scheduling event, and what that costs
 * depends on the clocksource (under an emulator, the HPET is a device
 * access of microseconds).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "../agent/ghost_test.h"
#include "samples.h"

#define BATCH		100
#define WARMUP		20

static int test_compare(void)
{
	struct bench_series si, sg, sc;
	int r, i, j, n = bench_nr_samples();
	struct gt_enclave e;
	struct timespec ts;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	if ((r = bench_pin(gt_cpu(0) >= 0 ? gt_cpu(0) : gt_agent_cpu)))
		return gt_fail("pin: %s", strerror(-r));
	bench_series_init(&si, "null_ioctl", n);
	bench_series_init(&sg, "getppid", n);
	bench_series_init(&sc, "clock_read", n);
	for (i = 0; i < n + WARMUP; i++) {
		uint64_t t0, t1, t2, t3;

		t0 = gt_now_ns();
		for (j = 0; j < BATCH; j++)
			if (ioctl(e.ctl_fd, GHOST_IOC_NULL, 0))
				return gt_fail("GHOST_IOC_NULL: %s",
					       strerror(errno));
		t1 = gt_now_ns();
		for (j = 0; j < BATCH; j++)
			syscall(SYS_getppid);
		t2 = gt_now_ns();
		for (j = 0; j < BATCH; j++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		t3 = gt_now_ns();
		if (i < WARMUP)
			continue;
		bench_series_add(&si, (t1 - t0) / BATCH);
		bench_series_add(&sg, (t2 - t1) / BATCH);
		bench_series_add(&sc, (t3 - t2) / BATCH);
	}
	bench_info("null_ioctl", "batch", "%d", BATCH);
	bench_info("getppid", "batch", "%d", BATCH);
	bench_info("clock_read", "batch", "%d", BATCH);
	bench_series_print(&si);
	bench_series_print(&sg);
	bench_series_print(&sc);
	return 0;
}

static const struct gt_test tests[] = {
	{ "compare", test_compare },
	{ NULL, NULL },
};

GT_MAIN(tests)
