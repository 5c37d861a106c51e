/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost-sim: the synthetic workload, as read from its text file (see
 * ghost-sim(1)).
 */
#ifndef _GHOST_SIM_WORKLOAD_H
#define _GHOST_SIM_WORKLOAD_H

#include <linux/types.h>

#define WL_MAX_CLASSES	64

/* One "thread" line: @count threads that behave alike. */
struct wl_class {
	int count;
	int nice;
	unsigned int allowed;	/* CPU bit mask; 0: all */
	__u64 run_ns;		/* CPU time per burst; 0: never blocks */
	__u64 sleep_ns;		/* then blocked this long */
	int yield_pct;		/* chance to yield per step while running */
	__u64 exit_ns;		/* exits this long after the start; 0: never */
	__u64 start_ns;		/* created this long after the start */
	int qos;		/* hint QoS class, or -1 for no hint */
	__u64 deadline_ns;	/* hinted deadline, this long after each
				 * wakeup; 0: none */
};

struct workload {
	int cpus;
	int global_cpu;		/* centralized policies' agent CPU */
	__u64 seed;
	__u64 duration_ns;
	__u64 step_ns;
	struct wl_class cls[WL_MAX_CLASSES];
	int nr_cls;
	int nr_threads;
};

/* Parse @path into @wl; 0, or -1 after printing "file:line: why". */
int workload_read(const char *path, struct workload *wl);

#endif /* _GHOST_SIM_WORKLOAD_H */
