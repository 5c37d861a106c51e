// SPDX-License-Identifier: GPL-2.0
/*
 * The hint back end: each worker has a slot of a ghost hint region and
 * says RUNNABLE (with the request's expected cost) when it starts a
 * request and IDLE just before it waits for the next one.
 *
 * A worker marked IDLE is left off CPUs by the policy even once the
 * kernel wakes it, so it cannot mark itself runnable again: someone else
 * must.  Workers block on the queue's condition variable, so the waker
 * does not know which one will wake; instead the load generator calls
 * the wake hook before it releases requests, and that marks every IDLE
 * worker RUNNABLE (a runnable hint on a blocked thread costs nothing).
 * A worker marked IDLE may also be preempted before it blocks (it found
 * a request, or the policy gave its CPU away first), or mark itself IDLE
 * just after a wake; a rescuer thread outside the enclave does the same
 * every RESCUE_NS, so no worker stays off CPUs for good.
 *
 * A slot thus has two writers, the worker and a waker, where the
 * seqcount of <ghost/app_hint.h> expects one: here a writer takes the
 * slot by moving its seq from even to odd with a compare-and-swap, so
 * writes never interleave.  A writer preempted while it holds the slot
 * (seq odd) is no danger: the policy reads such a slot as no hint, which
 * lets its thread run.
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

#define RESCUE_NS	1000000L
/* Expected service times given as estimates (the policy may use them). */
#define GET_EST_NS	10000ULL
#define SCAN_EST_NS	10000000ULL

static struct ghost_hint_region region;
/* Each worker's slot, set by the worker before its first request. */
static struct ghost_hint_slot *_Atomic *slots;
static unsigned int nworkers, hint_qos;
static pthread_t rescuer;
static atomic_int stopping;
static int started;

/*
 * Write @flags and @estimate_ns to @s, or with @only_if_idle only if it
 * says IDLE; the seqcount's writer side, taken with a compare-and-swap.
 */
static void slot_write(struct ghost_hint_slot *s, unsigned int flags,
		       uint64_t estimate_ns, int only_if_idle)
{
	__u32 seq;

	for (;;) {
		seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (!(seq & 1) &&
		    __atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		rdb_cpu_relax();
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!only_if_idle ||
	    (__atomic_load_n(&s->flags, __ATOMIC_RELAXED) &
	     GHOST_HINT_F_ALL) == GHOST_HINT_F_IDLE) {
		__atomic_store_n(&s->qos, hint_qos, __ATOMIC_RELAXED);
		__atomic_store_n(&s->flags, flags, __ATOMIC_RELAXED);
		__atomic_store_n(&s->deadline_ns, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->estimate_ns, estimate_ns,
				 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Mark every IDLE worker RUNNABLE. */
static void wake_idle(void *arg)
{
	struct ghost_hint_slot *s;
	unsigned int i;

	for (i = 0; i < nworkers; i++) {
		s = atomic_load(&slots[i]);
		if (s && (__atomic_load_n(&s->flags, __ATOMIC_RELAXED) &
			  GHOST_HINT_F_IDLE))
			slot_write(s, GHOST_HINT_F_RUNNABLE, 0, 1);
	}
}

static void hints_worker_start(void *arg, unsigned int worker)
{
	struct ghost_app_hint h = {
		.qos = hint_qos, .flags = GHOST_HINT_F_RUNNABLE,
	};
	int tid = (int)syscall(SYS_gettid), err;
	unsigned int i;

	/* libghost takes a slot for this thread; then we write it. */
	err = ghost_hint_set(&region, tid, &h);
	if (err) {
		/* A worker cannot serve with its hint unknown: stop loudly. */
		fprintf(stderr, "rocksdb_server: --hints: publishing worker %u's hint: %s\n",
			worker, strerror(-err));
		exit(1);
	}
	for (i = 0; i < region.nr_slots; i++) {
		struct ghost_hint_slot *s = (struct ghost_hint_slot *)
			((char *)region.mem + sizeof(struct ghost_hint_header)) + i;

		if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) == tid) {
			atomic_store(&slots[worker], s);
			return;
		}
	}
	fprintf(stderr, "rocksdb_server: --hints: worker %u has no slot\n",
		worker);
	exit(1);
}

static void hints_worker_idle(void *arg, unsigned int worker)
{
	slot_write(atomic_load(&slots[worker]), GHOST_HINT_F_IDLE, 0, 0);
}

static void hints_request_start(void *arg, unsigned int worker,
				const struct rdb_req *req)
{
	slot_write(atomic_load(&slots[worker]), GHOST_HINT_F_RUNNABLE,
		   req->kind == RDB_SCAN ? SCAN_EST_NS : GET_EST_NS, 0);
}

static void hints_request_done(void *arg, unsigned int worker,
			       const struct rdb_req *req)
{
}

/* Nothing left to do: no IDLE hint outlives the worker's loop. */
static void hints_worker_stop(void *arg, unsigned int worker)
{
	slot_write(atomic_load(&slots[worker]), GHOST_HINT_F_RUNNABLE, 0, 0);
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

	slots = calloc(workers, sizeof(*slots));
	if (!slots) {
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
	free(slots);
	slots = NULL;
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
	free(slots);
	slots = NULL;
	started = 0;
}
