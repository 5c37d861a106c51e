// SPDX-License-Identifier: GPL-2.0
/*
 * A busy CPU and nothing else: spins, pausing on every turn as a
 * centralized agent does, until killed.  The bench runs it on the agent's
 * CPU beside CFS on the other CPUs, to show what the emulator alone makes
 * of one busy vCPU (it takes a host CPU from the others).
 *
 * usage: busy_cpu
 */
#include <ghost/barrier.h>

int main(void)
{
	for (;;)
		ghost_cpu_relax();
}
