/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread's look at where it runs and where it is pinned, taken while
 * it did not leave its CPU: the proof that a ghost thread runs where its
 * agent committed it, for the workloads of the tests.
 *
 * A thread that an agent moves between two looks (a slice preemption, a
 * commit elsewhere) shows its old CPU next to its new mask: that proves
 * nothing.  A look counts only if the thread's context switches did not
 * change across it; it is then on one CPU throughout, and a mask without
 * that CPU is a real fault.  The count is read twice at the end: a move
 * whose mask came before its switch is switched out by then.
 */
#ifndef _GHOST_TEST_STILL_LOOK_H
#define _GHOST_TEST_STILL_LOOK_H

#include <sched.h>
#include <sys/resource.h>

#define STILL_LOOK_TRIES	100

/* The calling thread's context switches so far, or -1. */
static inline long still_look_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/*
 * Sets *@cpu to the CPU the thread runs on and *@pinned to what
 * @pinned_cpu() says (the one CPU it may run on, or below 0), from a
 * still look.  Returns 1, or 0 if the thread was moved during every try
 * (nothing proven either way).
 */
static inline int still_look(int (*pinned_cpu)(void), int *cpu, int *pinned)
{
	long sw;
	int tries;

	for (tries = 0; tries < STILL_LOOK_TRIES; tries++) {
		sw = still_look_switches();
		*cpu = sched_getcpu();
		*pinned = pinned_cpu();
		if (sched_getcpu() == *cpu && still_look_switches() == sw &&
		    still_look_switches() == sw && sw >= 0)
			return 1;
	}
	return 0;
}

#endif /* _GHOST_TEST_STILL_LOOK_H */
