/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghostctl: what "latency" and "top" show, as data, and how it is printed
 * (view.c); gathering it is watch_cmd.c's.
 */
#ifndef _GHOSTCTL_VIEW_H
#define _GHOSTCTL_VIEW_H

#include <stdio.h>
#include <sys/types.h>

#include <ghost/libghost.h>

/* One CPU of the enclave, as its status-word region says. */
struct top_cpu {
	int cpu;
	int agent;			/* an agent is attached */
	pid_t tid;			/* the thread committed here, or 0 */
	char comm[16];			/* its name, or "?" */
};

/* One screen of "ghostctl top". */
struct top_frame {
	unsigned int id;
	double interval;		/* seconds this frame covers */
	char cpus[GHOST_CPULIST_LEN];
	unsigned int nr_tasks;		/* enclave status: threads */
	unsigned int running, runnable, blocked;	/* status words */
	unsigned long long displaced;

	int agent;			/* the agent answered */
	pid_t agent_pid;
	char policy[64];
	double agent_cpu;		/* % of one CPU, -1 if unknown */
	double msgs_per_s, commits_per_s, decisions_per_s;
	unsigned long long queue_depth, overflow;

	struct ghost_latency_hist runnable_wait, placed_wait;	/* window */

	int nr_cpus;
	struct top_cpu cpu[GHOST_MAX_CPUS];
};

/*
 * Print the window @h of @name ("runnable_to_run"...) as a histogram with
 * its percentiles; @json: one JSON object, no newline.
 */
void ghostctl_print_hist(FILE *f, const char *name,
			 const struct ghost_latency_hist *h, int json);

/* "ghostctl latency": one window of @seconds (0: since creation). */
void ghostctl_print_latency(FILE *f, unsigned int id, double seconds,
			    const struct ghost_latency *lat, int json);

/* "ghostctl top": one frame, as text or as one line of JSON. */
void ghostctl_print_top(FILE *f, const struct top_frame *t, int json);

/* "12 us" for @ns: the largest unit that keeps 1 to 9999 of it. */
void ghostctl_format_ns(char *buf, size_t len, unsigned long long ns);

#endif /* _GHOSTCTL_VIEW_H */
