/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queue between the load generator and the workers: FIFO, unbounded
 * within a run (an open loop never waits for the server), and idle workers
 * sleep on it rather than spin, so that a scheduler sees them block and
 * wake as a real server's threads do.  It also counts the requests
 * finished, so that a run can wait until all of them are.
 */
#ifndef RDB_QUEUE_H
#define RDB_QUEUE_H

#include <pthread.h>
#include <stddef.h>

#include "request.h"

struct rdb_queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;	/* workers wait here */
	pthread_cond_t finished;	/* the run's owner waits here */
	struct rdb_req **ring;
	size_t cap, head, tail;		/* tail - head entries, ring[head % cap] */
	size_t taken, done;		/* popped, and of those finished */
	int closed;
};

int rdb_queue_init(struct rdb_queue *q);
void rdb_queue_destroy(struct rdb_queue *q);

/* Make room for @n requests: call between runs, with the queue empty. */
int rdb_queue_reserve(struct rdb_queue *q, size_t n);

/* Queue @n requests, waking as many idle workers. */
void rdb_queue_push(struct rdb_queue *q, struct rdb_req **reqs, size_t n);

/*
 * The oldest request, sleeping while there is none; NULL once the queue
 * is closed.  The caller calls rdb_queue_done() when it has served it.
 */
struct rdb_req *rdb_queue_pop(struct rdb_queue *q);
/* The oldest request if there is one, NULL otherwise: never sleeps. */
struct rdb_req *rdb_queue_trypop(struct rdb_queue *q);
void rdb_queue_done(struct rdb_queue *q);

/*
 * Wait until @n requests have been popped and finished since the last
 * rdb_queue_reset(), or until @deadline_ns (CLOCK_MONOTONIC); then take
 * the ones still queued out (returned: the caller marks them dropped) and
 * wait for those in service.
 */
size_t rdb_queue_drain(struct rdb_queue *q, size_t n, uint64_t deadline_ns);

/* Zero the counts for a new run. */
void rdb_queue_reset(struct rdb_queue *q);

/* Wake every worker with NULL from now on. */
void rdb_queue_close(struct rdb_queue *q);

#endif /* RDB_QUEUE_H */
