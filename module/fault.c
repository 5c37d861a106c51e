// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for the tests: the next N allocations of one kind fail.
 * Stock kernels give a test no way to fail a GFP_ATOMIC allocation at fork
 * or one made while an enclave is destroyed, yet what the module does then
 * (kill the child before its first instruction, release the threads one
 * by one) must be shown to work.  Root only; every count is 0 by default.
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>

#include "ghost.h"

static unsigned int fault_fork;
module_param(fault_fork, uint, 0600);
MODULE_PARM_DESC(fault_fork,
		 "For tests: fail the next N allocations that enrol a ghost thread's child");

static unsigned int fault_destroy;
module_param(fault_destroy, uint, 0600);
MODULE_PARM_DESC(fault_destroy,
		 "For tests: fail the next N allocations of an enclave's teardown");

/* Should this allocation fail?  Takes one from the count of @f. */
bool ghost_fault(enum ghost_fault f)
{
	unsigned int *n = f == GHOST_FAULT_FORK ? &fault_fork : &fault_destroy;
	unsigned int old = READ_ONCE(*n);

	while (old) {
		if (try_cmpxchg(n, &old, old - 1))
			return true;
	}
	return false;
}
