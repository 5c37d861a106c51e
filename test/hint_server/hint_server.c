// SPDX-License-Identifier: GPL-2.0
/*
 * hint_server: an example server that publishes application hints, as
 * ghOSt's Shinjuku experiments do with their PrioTable.
 *
 * The main thread dispatches requests (spin for -u µs) to a pool of
 * worker threads, and alone writes their hint slots (one writer per
 * slot): it marks a worker runnable just before it hands it a request,
 * and idle when the worker reports it is done; the policy (shinjuku,
 * edf) then never gives a CPU to a worker that has nothing to do, and
 * shinjuku serves the workers' QoS class (-q) before threads without
 * hints.  A worker reports first and is marked idle after, so a worker
 * that the policy parks between its report and its block (its hint says
 * idle, it is still runnable) holds nobody up: it runs again when it is
 * next marked runnable, and it only ever blocks in read() of its own
 * eventfd, never on a lock the dispatcher needs.
 *
 * Each request also carries a deadline, -d µs after it is dispatched
 * (default: ten times its work), and its work as the estimate: under edf
 * the worker with the earliest deadline runs first, before the
 * dispatcher, which publishes no deadline.  A worker counts the requests
 * it finishes after their deadline; the summary reports them (a missed
 * deadline is not a failure: an emulated CPU is slow).
 *
 * With -P the deadlines are periodic instead (ghOSt's repeating work
 * classes): a worker's first request publishes its deadline with a
 * period of -P µs, and later requests leave both as they are, so that
 * edf moves a deadline that has passed on by whole periods when the
 * worker wakes.  A request is then due at the first such deadline after
 * it is dispatched (ghost_app_hint_next_deadline()), and misses are
 * counted against that.  With -P equal to -p and -d under it, each
 * request is due about -d µs after it is dispatched, as without -P.
 *
 * By default the dispatcher hands out the next request as soon as a
 * worker is free (a closed loop: every CPU the workers can have stays
 * busy).  With -p it dispatches one request every -p µs instead (an open
 * loop at a known load: -u over -p of one CPU), so that the load can be
 * set well under what the enclave serves.
 *
 * Run it inside the enclave of a ghost-agent, as root (the control socket
 * is root's): "ghostctl run ID -- hint_server -e ID".  It registers its
 * region with that agent, checks that the agent reports it, serves -n
 * requests and prints a summary line, then the longest time from a
 * dispatch to the end of its request and how late the dispatcher woke up
 * at most (-p): what a missed deadline is made of.  Exit status 1 on any
 * failure.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <ghost/libghost.h>

#define MAX_WORKERS	64

struct worker {
	pthread_t th;
	int idx;
	int efd;		/* the dispatcher's "go" */
	atomic_int tid;
	unsigned long served;
	unsigned long missed;	/* finished after their deadline */
	uint64_t deadline;	/* of the request it serves, CLOCK_MONOTONIC */
	uint64_t sent;		/* when the dispatcher woke it for that request */
	uint64_t worst;		/* longest dispatch-to-finish, ns */
	uint64_t first;		/* -P: the deadline it published, 0: none yet */
};

static struct ghost_hint_region region;
static struct worker workers[MAX_WORKERS];
static int done_pipe[2];	/* indexes of workers free for a request */
static atomic_int stopping;
static unsigned int work_us = 100, qos = 1, deadline_us, period_us;
static unsigned int hint_period_us;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "hint_server: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Done: the dispatcher marks us idle and may hand us the next request. */
static void worker_free(struct worker *w)
{
	if (write(done_pipe[1], &w->idx, sizeof(w->idx)) != sizeof(w->idx))
		die("write", errno);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t v, end;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	for (;;) {
		worker_free(w);
		while (read(w->efd, &v, sizeof(v)) != sizeof(v)) {
			if (errno != EINTR)
				die("read", errno);
		}
		if (atomic_load(&stopping))
			return NULL;
		end = now_ns() + work_us * 1000ULL;
		while (now_ns() < end)
			;
		w->served++;
		/* Written by the dispatcher before it woke us (eventfd). */
		v = now_ns();
		if (v > w->deadline)
			w->missed++;
		if (v - w->sent > w->worst)
			w->worst = v - w->sent;
	}
}

/* Sleep until CLOCK_MONOTONIC reads @t ns (now if it is past). */
static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL,
			       .tv_nsec = t % 1000000000ULL };
	int ret;

	do {
		ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				      NULL);
	} while (ret == EINTR);
	if (ret)
		die("clock_nanosleep", ret);
}

/* Mark worker @i runnable in its slot, then wake it. */
static void dispatch(int i)
{
	struct ghost_app_hint h = { .qos = qos,
				    .flags = GHOST_HINT_F_RUNNABLE };
	struct worker *w = &workers[i];
	uint64_t one = 1, now = now_ns();
	int ret;

	h.estimate_ns = work_us * 1000ULL;
	h.deadline_ns = now + deadline_us * 1000ULL;
	if (hint_period_us) {
		/* Published once; the policy rolls it on by periods. */
		if (w->first)
			h.deadline_ns = w->first;
		w->first = h.deadline_ns;
		h.period_ns = hint_period_us * 1000ULL;
	}
	w->deadline = ghost_app_hint_next_deadline(h.deadline_ns, h.period_ns,
						   now);
	w->sent = now;
	ret = ghost_hint_set(&region, atomic_load(&workers[i].tid), &h);
	if (ret)
		die("marking a worker runnable", -ret);
	if (write(workers[i].efd, &one, sizeof(one)) != sizeof(one))
		die("write", errno);
}

/* A worker that is done, marked idle: it has nothing to do until dispatch(). */
static int next_free(void)
{
	int i, ret;

	while (read(done_pipe[0], &i, sizeof(i)) != sizeof(i)) {
		if (errno != EINTR)
			die("read", errno);
	}
	if (i < 0 || i >= MAX_WORKERS)
		die("bad worker index", EINVAL);
	ret = ghost_hint_set_runnable(&region, atomic_load(&workers[i].tid), 0);
	if (ret)
		die("marking a worker idle", -ret);
	return i;
}

static void usage(void)
{
	fprintf(stderr, "usage: hint_server -e ID [-w WORKERS] [-n REQUESTS] [-u WORK_US] [-q QOS] [-d DEADLINE_US] [-p PERIOD_US] [-P HINT_PERIOD_US]\n");
	exit(2);
}

static unsigned long arg_num(const char *s, unsigned long min,
			     unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v < min || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct ghost_app_hint self = { .flags = GHOST_HINT_F_RUNNABLE };
	unsigned long nr_workers = 4, requests = 400, k, total = 0, missed = 0;
	char msg[256], reply[8192], val[32];
	int c, i, ret, id = -1;
	uint64_t start, late = 0, worst = 0, t;

	while ((c = getopt(argc, argv, "e:w:n:u:q:d:p:P:")) != -1) {
		switch (c) {
		case 'e':
			id = arg_num(optarg, 0, 0x7fffffff);
			break;
		case 'w':
			nr_workers = arg_num(optarg, 1, MAX_WORKERS);
			break;
		case 'n':
			requests = arg_num(optarg, 1, 100000000);
			break;
		case 'u':
			work_us = arg_num(optarg, 1, 1000000);
			break;
		case 'q':
			qos = arg_num(optarg, 0, GHOST_HINT_QOS_MAX);
			break;
		case 'd':
			deadline_us = arg_num(optarg, 1, 100000000);
			break;
		case 'p':
			period_us = arg_num(optarg, 1, 100000000);
			break;
		case 'P':
			hint_period_us = arg_num(optarg, 1, 100000000);
			break;
		default:
			usage();
		}
	}
	if (id < 0 || optind != argc)
		usage();
	if (!deadline_us)
		deadline_us = 10 * work_us;

	ret = ghost_hint_create(&region, nr_workers + 1);
	if (ret)
		die("creating the hint region", -ret);
	ret = ghost_hint_register(&region, id, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "hint_server: registering hints with the agent of enclave %d: %s\n",
			id, *msg ? msg : strerror(-ret));
		return 1;
	}
	ret = ghost_agent_call(id, "status\n", reply, sizeof(reply), 5000);
	if (ret || ghost_kv_get(reply, "hint_regions", val, sizeof(val)) ||
	    atoi(val) < 1) {
		fprintf(stderr, "hint_server: the agent does not report our region\n");
		return 1;
	}
	/* The dispatcher is as urgent as its workers. */
	self.qos = qos;
	ret = ghost_hint_set(&region, 0, &self);
	if (ret)
		die("publishing the dispatcher's hint", -ret);

	if (pipe(done_pipe))
		die("pipe", errno);
	for (i = 0; i < (int)nr_workers; i++) {
		workers[i].idx = i;
		workers[i].efd = eventfd(0, EFD_CLOEXEC);
		if (workers[i].efd < 0)
			die("eventfd", errno);
		ret = pthread_create(&workers[i].th, NULL, worker_main,
				     &workers[i]);
		if (ret)
			die("pthread_create", ret);
	}

	start = now_ns();
	for (k = 0; k < requests; k++) {
		i = next_free();
		if (period_us) {
			t = start + k * period_us * 1000ULL;
			sleep_until(t);
			if (now_ns() - t > late)
				late = now_ns() - t;
		}
		dispatch(i);
	}
	/* Every worker free again: all requests served. */
	for (i = 0; i < (int)nr_workers; i++)
		next_free();
	atomic_store(&stopping, 1);
	for (i = 0; i < (int)nr_workers; i++) {
		dispatch(i);
		pthread_join(workers[i].th, NULL);
		total += workers[i].served;
		missed += workers[i].missed;
		if (workers[i].worst > worst)
			worst = workers[i].worst;
	}
	if (total != requests) {
		fprintf(stderr, "hint_server: %lu of %lu requests served\n",
			total, requests);
		return 1;
	}
	if (hint_period_us)
		snprintf(val, sizeof(val), "period %u us, ", hint_period_us);
	else
		*val = 0;
	printf("hint_server: %lu requests of %u us by %lu workers (qos %u, %sdeadline %u us, %lu missed) in %.1f ms, hints registered with enclave %d\n",
	       requests, work_us, nr_workers, qos, val, deadline_us, missed,
	       (now_ns() - start) / 1e6, id);
	/* What a miss is made of: the dispatcher's lateness, then the worker's. */
	printf("hint_server: longest dispatch to finish %.1f ms, dispatcher woke up to %.1f ms late\n",
	       worst / 1e6, late / 1e6);
	ghost_hint_destroy(&region);
	return 0;
}
