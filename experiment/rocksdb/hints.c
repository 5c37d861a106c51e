// SPDX-License-Identifier: GPL-2.0
/*
 * The hint back end: each worker owns its slot of a ghost hint region and
 * says RUNNABLE (with the request's expected cost) when it starts a
 * request and IDLE just before it waits for the next one.
 *
 * A worker marked IDLE is left off CPUs by the policy even once the
 * kernel wakes it, so it cannot mark itself runnable again: someone else
 * must, before it is woken.  Workers block on the queue's condition
 * variable, so the waker does not know which one will wake; instead the
 * load generator calls the wake hook before it releases requests, and
 * that marks every IDLE worker RUNNABLE (a runnable hint on a blocked
 * thread costs nothing).  A worker marked IDLE may also be preempted
 * before it blocks (it found a request, or the policy gave its CPU away
 * first); a rescuer thread outside the enclave then does the same every
 * RESCUE_NS, so no worker can stay off CPUs for good whatever the load.
 *
 * A slot has one writer at a time (its seqcount needs it): the worker,
 * except while it is IDLE, when a waker may claim it (IDLE -> TAKEN),
 * write RUNNABLE and hand it back (OWNED).  The worker claims its slot
 * back before writing it again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <ghost/libghost.h>

#include "affinity.h"
#include "hints.h"
#include "hooks.h"
#include "relax.h"

#define RESCUE_NS	1000000ULL
/* Expected service times given as estimates (the policy may use them). */
#define GET_EST_NS	10000ULL
#define SCAN_EST_NS	10000000ULL

enum { SLOT_OWNED, SLOT_IDLE, SLOT_TAKEN };

struct hint_worker {
	atomic_int state;
	atomic_int tid;		/* 0 until the worker starts */
};

static struct ghost_hint_region region;
static struct hint_worker *hw;
static unsigned int nworkers, hint_qos;
static pthread_t rescuer;
static atomic_int stopping;
static int started;

static void hint_fail(const char *what, int err)
{
	/* A worker cannot serve with its hint unknown: stop loudly. */
	fprintf(stderr, "rocksdb_server: --hints: %s: %s\n", what,
		strerror(-err));
	exit(1);
}

/* Take worker @w's slot back from any waker; then only @w writes it. */
static void claim(struct hint_worker *w)
{
	int s;

	for (;;) {
		s = SLOT_IDLE;
		if (atomic_compare_exchange_strong(&w->state, &s, SLOT_OWNED))
			return;
		if (s == SLOT_OWNED)
			return;
		rdb_cpu_relax();	/* TAKEN: a waker is writing it */
	}
}

/* Mark every IDLE worker RUNNABLE. */
static void wake_idle(void *arg)
{
	unsigned int i;
	int s, err;

	for (i = 0; i < nworkers; i++) {
		s = SLOT_IDLE;
		if (!atomic_compare_exchange_strong(&hw[i].state, &s,
						    SLOT_TAKEN))
			continue;
		err = ghost_hint_set_runnable(&region, atomic_load(&hw[i].tid),
					      1);
		atomic_store(&hw[i].state, SLOT_OWNED);
		if (err)
			hint_fail("marking a worker runnable", err);
	}
}

static void set_self(unsigned int flags, uint64_t estimate_ns)
{
	struct ghost_app_hint h = {
		.qos = hint_qos, .flags = flags, .estimate_ns = estimate_ns,
	};
	int err = ghost_hint_set(&region, 0, &h);

	if (err)
		hint_fail("publishing a worker's hint", err);
}

static void hints_worker_start(void *arg, unsigned int worker)
{
	atomic_store(&hw[worker].tid, (int)syscall(SYS_gettid));
	set_self(GHOST_HINT_F_RUNNABLE, 0);
}

static void hints_worker_idle(void *arg, unsigned int worker)
{
	int err = ghost_hint_set_runnable(&region, 0, 0);

	if (err)
		hint_fail("marking a worker idle", err);
	atomic_store(&hw[worker].state, SLOT_IDLE);
}

static void hints_request_start(void *arg, unsigned int worker,
				const struct rdb_req *req)
{
	claim(&hw[worker]);
	set_self(GHOST_HINT_F_RUNNABLE,
		 req->kind == RDB_SCAN ? SCAN_EST_NS : GET_EST_NS);
}

static void hints_request_done(void *arg, unsigned int worker,
			       const struct rdb_req *req)
{
}

static void hints_worker_stop(void *arg, unsigned int worker)
{
	claim(&hw[worker]);
	ghost_hint_clear(&region, 0);
}

static const struct rdb_hooks hints_hooks = {
	.worker_start = hints_worker_start,
	.worker_idle = hints_worker_idle,
	.request_start = hints_request_start,
	.request_done = hints_request_done,
	.worker_stop = hints_worker_stop,
	.wake = wake_idle,
};

static void *rescue_main(void *arg)
{
	struct timespec ts = { .tv_nsec = RESCUE_NS };

	while (!atomic_load(&stopping)) {
		nanosleep(&ts, NULL);
		wake_idle(NULL);
	}
	return NULL;
}

int rdb_hints_start(unsigned int enclave, unsigned int workers,
		    unsigned int qos, int cpu)
{
	struct ghost_cpuset one = { 0 };
	char msg[256] = "";
	int err;

	hw = calloc(workers, sizeof(*hw));
	if (!hw) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		return -1;
	}
	nworkers = workers;
	hint_qos = qos;
	/* A slot per worker, none for the other threads. */
	err = ghost_hint_create(&region, workers);
	if (err) {
		fprintf(stderr, "rocksdb_server: --hints: creating the hint region: %s\n",
			strerror(-err));
		goto fail;
	}
	err = ghost_hint_register(&region, enclave, msg, sizeof(msg));
	if (err) {
		fprintf(stderr,
			"rocksdb_server: --hints: registering hints with the agent of enclave %u: %s (is ghost-agent running with that enclave, and are we root?)\n",
			enclave, *msg ? msg : strerror(-err));
		ghost_hint_destroy(&region);
		goto fail;
	}
	if (cpu >= 0)
		ghost_cpuset_set(&one, cpu);
	err = rdb_thread_create(&rescuer, cpu >= 0 ? &one : NULL, rescue_main,
				NULL);
	if (err) {
		fprintf(stderr, "rocksdb_server: --hints: starting the rescuer: %s\n",
			strerror(err));
		ghost_hint_destroy(&region);
		goto fail;
	}
	started = 1;
	rdb_hooks_set(&hints_hooks);
	return 0;
fail:
	free(hw);
	hw = NULL;
	return -1;
}

void rdb_hints_stop(void)
{
	if (!started)
		return;
	atomic_store(&stopping, 1);
	pthread_join(rescuer, NULL);
	rdb_hooks_set(&rdb_hooks_none);
	ghost_hint_destroy(&region);
	free(hw);
	hw = NULL;
	started = 0;
}
