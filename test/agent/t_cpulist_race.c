// SPDX-License-Identifier: GPL-2.0
/*
 * Commits racing writes of cpulist: once a write that takes a CPU out of
 * the enclave has returned, no thread is, or can be, committed there.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "ghost_test.h"

#define ROUNDS	200

struct race {
	struct gt_enclave *e;
	int cpu;		/* the CPU that comes and goes */
	char with[64], without[64];
	volatile int stop;
	volatile int violations;
	volatile int rounds;
	volatile int err;
};

/* Take the CPU out and put it back; look at its word while it is out. */
static void *toggle(void *arg)
{
	struct race *r = arg;
	const volatile struct ghost_cpu_word *w = gt_cpu_word(r->e, r->cpu);

	for (int i = 0; i < ROUNDS && !r->err; i++) {
		if ((r->err = -gt_efile_write(r->e, "cpulist", "%s",
					      r->without)))
			break;
		for (int k = 0; k < 3; k++) {
			if (w->gtid || (w->flags & GHOST_CPU_F_IN_ENCLAVE))
				r->violations++;
			gt_sleep_ms(1);
		}
		if ((r->err = -gt_efile_write(r->e, "cpulist", "%s", r->with)))
			break;
		r->rounds++;
		/* In for a while too, so that commits land there. */
		gt_sleep_ms(2);
	}
	r->stop = 1;
	return NULL;
}

static int test_commit_racing_cpulist_never_lands_outside(void)
{
	struct gt_worker *w = gt_workers(1);
	struct race r = { 0 };
	struct gt_enclave e;
	int res, c1 = gt_cpu(0), c2 = gt_cpu(1), done = 0;
	int st = GHOST_TXN_COMPLETE;
	pthread_t t;
	uint64_t a;

	if ((res = gt_need_cpus(3)) ||
	    (res = gt_setup(&e, GT_CPU(gt_agent_cpu) | GT_CPU(c1) |
			    GT_CPU(c2), 1)))
		return res;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	r.e = &e;
	r.cpu = c1;
	snprintf(r.with, sizeof(r.with), "%d,%d,%d", gt_agent_cpu, c1, c2);
	snprintf(r.without, sizeof(r.without), "%d,%d", gt_agent_cpu, c2);
	if (pthread_create(&t, NULL, toggle, &r))
		return gt_fail("pthread_create");
	while (!r.stop) {
		/*
		 * The toggler inherited this agent's SCHED_FIFO and CPU:
		 * give it its turn on every round.
		 */
		sched_yield();
		st = gt_commit(&e, a, c1);
		if (st == GHOST_TXN_COMPLETE) {
			done++;
			st = gt_idle(&e, c1);
		}
		if (st != GHOST_TXN_COMPLETE && st != GHOST_TXN_INVALID_CPU &&
		    st != GHOST_TXN_TARGET_STALE)
			break;
		gt_drain(&e);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	if (r.err)
		return gt_fail("cpulist write: %s", strerror(r.err));
	if (st != GHOST_TXN_COMPLETE && st != GHOST_TXN_INVALID_CPU &&
	    st != GHOST_TXN_TARGET_STALE)
		return gt_fail("commit: %s", gt_txn_name(st));
	if (r.violations)
		return gt_fail("%d looks found a thread on CPU %d out of the enclave (%d rounds, %d commits)",
			       r.violations, c1, r.rounds, done);
	printf("%d rounds, %d commits landed\n", r.rounds, done);
	return 0;
}

static const struct gt_test tests[] = {
	{ "commit_racing_cpulist_never_lands_outside",
	  test_commit_racing_cpulist_never_lands_outside },
	{ NULL, NULL },
};

GT_MAIN(tests)
