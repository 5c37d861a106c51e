// SPDX-License-Identifier: GPL-2.0
/*
 * How long an enclave's threads wait, from the module's own timestamps:
 * runnable -> running (a wakeup, preemption, yield or entry until the
 * thread runs user code again) and placed -> running (a commit, or the
 * module taking the thread from a dispatch list, until it runs on that
 * CPU).  Log2 buckets of nanoseconds, per CPU so that recording takes no
 * lock; enclave_<id>/latency sums them (ghostctl latency reads it).
 */
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "ghost.h"
#include "ghost_trace.h"

struct ghost_lat {
	u64 count[GHOST_LAT_KINDS][GHOST_LATENCY_BUCKETS];
	u64 sum_ns[GHOST_LAT_KINDS];
};

static const char *const ghost_lat_names[GHOST_LAT_KINDS] = {
	[GHOST_LAT_RUNNABLE]	= "runnable_to_run",
	[GHOST_LAT_PLACED]	= "placed_to_run",
};

int ghost_lat_init(struct ghost_enclave *e)
{
	e->lat = alloc_percpu(struct ghost_lat);
	return e->lat ? 0 : -ENOMEM;
}

void ghost_lat_free(struct ghost_enclave *e)
{
	free_percpu(e->lat);
}

/* Bucket N holds [2^N, 2^(N+1)) ns; 0 also holds 0, the last all above. */
static unsigned int ghost_lat_bucket(u64 ns)
{
	if (ns < 2)
		return 0;
	return min_t(unsigned int, ilog2(ns), GHOST_LATENCY_BUCKETS - 1);
}

static void ghost_lat_add(struct ghost_enclave *e, int kind, u64 ns)
{
	this_cpu_inc(e->lat->count[kind][ghost_lat_bucket(ns)]);
	this_cpu_add(e->lat->sum_ns[kind], ns);
}

/*
 * @gt was given a CPU: its first run there is measured.  e->lock held.
 * The timestamp is stored before the flag that says it is valid.
 */
void ghost_lat_placed(struct ghost_thread *gt, u64 now)
{
	WRITE_ONCE(gt->placed_ns, now);
	smp_mb__before_atomic();
	set_bit(GT_F_LAT, &gt->flags);
}

/*
 * @gt runs on @cpu from @now: its sched_in, or its way out of the park
 * when it never slept there.  Only the first run after a placement on
 * that CPU counts; a thread on its way to its CPU counts there.
 */
void ghost_lat_ran(struct ghost_thread *gt, int cpu, u64 now)
{
	u64 runnable, placed;

	if (READ_ONCE(gt->state) != GT_RUNNING || READ_ONCE(gt->cpu) != cpu ||
	    !test_and_clear_bit(GT_F_LAT, &gt->flags))
		return;
	runnable = READ_ONCE(gt->runnable_ns);
	placed = READ_ONCE(gt->placed_ns);
	runnable = now > runnable ? now - runnable : 0;
	placed = now > placed ? now - placed : 0;
	ghost_lat_add(gt->e, GHOST_LAT_RUNNABLE, runnable);
	ghost_lat_add(gt->e, GHOST_LAT_PLACED, placed);
	trace_ghost_run(gt->e->id, task_pid_nr(gt->task), gt->gtid, cpu,
			runnable, placed);
}

/* "<name> <count> <sum_ns> <bucket 0> ... <bucket N-1>" per kind. */
int ghost_lat_show(struct ghost_enclave *e, struct seq_file *m)
{
	u64 count[GHOST_LATENCY_BUCKETS], sum, n;
	int kind, cpu, b;

	for (kind = 0; kind < GHOST_LAT_KINDS; kind++) {
		memset(count, 0, sizeof(count));
		sum = 0;
		for_each_possible_cpu(cpu) {
			struct ghost_lat *l = per_cpu_ptr(e->lat, cpu);

			for (b = 0; b < GHOST_LATENCY_BUCKETS; b++)
				count[b] += READ_ONCE(l->count[kind][b]);
			sum += READ_ONCE(l->sum_ns[kind]);
		}
		for (n = 0, b = 0; b < GHOST_LATENCY_BUCKETS; b++)
			n += count[b];
		seq_printf(m, "%s %llu %llu", ghost_lat_names[kind], n, sum);
		for (b = 0; b < GHOST_LATENCY_BUCKETS; b++)
			seq_printf(m, " %llu", count[b]);
		seq_putc(m, '\n');
	}
	return 0;
}
