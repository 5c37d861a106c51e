// SPDX-License-Identifier: GPL-2.0
/*
 * hint_server: an example server that publishes application hints, as
 * ghOSt's Shinjuku experiments do with their PrioTable.
 *
 * The main thread dispatches requests (spin for -u µs) to a pool of
 * worker threads.  A worker is marked runnable in the hint region by the
 * dispatcher just before it is handed a request, and marks itself idle
 * when it is done, just before it blocks for the next one; the policy
 * (shinjuku) then never gives a CPU to a worker that has nothing to do,
 * and serves the workers' QoS class (-q) before threads without hints.
 * A worker only ever blocks in read() of its own eventfd, never on a
 * lock the dispatcher needs, so a worker preempted between marking
 * itself idle and blocking holds nobody up.
 *
 * Run it inside the enclave of a ghost-agent, as root (the control socket
 * is root's): "ghostctl run ID -- hint_server -e ID".  It registers its
 * region with that agent, checks that the agent reports it, serves -n
 * requests and prints one summary line; exit status 1 on any failure.
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
};

static struct ghost_hint_region region;
static struct worker workers[MAX_WORKERS];
static int done_pipe[2];	/* indexes of workers free for a request */
static atomic_int stopping;
static unsigned int work_us = 100, qos = 1;

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

/* Idle, then free: the dispatcher may write our slot from now on. */
static void worker_free(struct worker *w)
{
	int ret = ghost_hint_set_runnable(&region, 0, 0);

	if (ret)
		die("marking a worker idle", -ret);
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
	}
}

/* Mark worker @i runnable in its slot, then wake it. */
static void dispatch(int i)
{
	struct ghost_app_hint h = { .qos = qos,
				    .flags = GHOST_HINT_F_RUNNABLE };
	uint64_t one = 1;
	int ret;

	h.estimate_ns = work_us * 1000ULL;
	h.deadline_ns = now_ns() + 10 * h.estimate_ns;
	ret = ghost_hint_set(&region, atomic_load(&workers[i].tid), &h);
	if (ret)
		die("marking a worker runnable", -ret);
	if (write(workers[i].efd, &one, sizeof(one)) != sizeof(one))
		die("write", errno);
}

static int next_free(void)
{
	int i;

	while (read(done_pipe[0], &i, sizeof(i)) != sizeof(i)) {
		if (errno != EINTR)
			die("read", errno);
	}
	if (i < 0 || i >= MAX_WORKERS)
		die("bad worker index", EINVAL);
	return i;
}

static void usage(void)
{
	fprintf(stderr, "usage: hint_server -e ID [-w WORKERS] [-n REQUESTS] [-u WORK_US] [-q QOS]\n");
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
	unsigned long nr_workers = 4, requests = 400, k, total = 0;
	char msg[256], reply[8192], val[32];
	int c, i, ret, id = -1;
	uint64_t start;

	while ((c = getopt(argc, argv, "e:w:n:u:q:")) != -1) {
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
		default:
			usage();
		}
	}
	if (id < 0 || optind != argc)
		usage();

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
	for (k = 0; k < requests; k++)
		dispatch(next_free());
	/* Every worker free again: all requests served. */
	for (i = 0; i < (int)nr_workers; i++)
		next_free();
	atomic_store(&stopping, 1);
	for (i = 0; i < (int)nr_workers; i++) {
		dispatch(i);
		pthread_join(workers[i].th, NULL);
		total += workers[i].served;
	}
	if (total != requests) {
		fprintf(stderr, "hint_server: %lu of %lu requests served\n",
			total, requests);
		return 1;
	}
	printf("hint_server: %lu requests of %u us by %lu workers (qos %u) in %.1f ms, hints registered with enclave %d\n",
	       requests, work_us, nr_workers, qos,
	       (now_ns() - start) / 1e6, id);
	ghost_hint_destroy(&region);
	return 0;
}
