// SPDX-License-Identifier: GPL-2.0
/*
 * A mutex, two condition variables and a ring of request pointers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"

int rdb_queue_init(struct rdb_queue *q)
{
	pthread_condattr_t ca;

	*q = (struct rdb_queue){ 0 };
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	/* Deadlines are CLOCK_MONOTONIC, as every time of the experiment. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->finished, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void rdb_queue_destroy(struct rdb_queue *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->finished);
	free(q->ring);
}

int rdb_queue_reserve(struct rdb_queue *q, size_t n)
{
	struct rdb_req **ring;

	if (n <= q->cap)
		return 0;
	ring = realloc(q->ring, n * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	q->ring = ring;
	q->cap = n;
	q->head = q->tail = 0;
	return 0;
}

void rdb_queue_push(struct rdb_queue *q, struct rdb_req **reqs, size_t n)
{
	size_t i;

	pthread_mutex_lock(&q->lock);
	for (i = 0; i < n; i++)
		q->ring[q->tail++ % q->cap] = reqs[i];
	if (n == 1)
		pthread_cond_signal(&q->nonempty);
	else if (n)
		pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

struct rdb_req *rdb_queue_pop(struct rdb_queue *q)
{
	struct rdb_req *r = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->head == q->tail && !q->closed)
		pthread_cond_wait(&q->nonempty, &q->lock);
	if (q->head != q->tail) {
		r = q->ring[q->head++ % q->cap];
		q->taken++;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

struct rdb_req *rdb_queue_trypop(struct rdb_queue *q)
{
	struct rdb_req *r = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->head != q->tail) {
		r = q->ring[q->head++ % q->cap];
		q->taken++;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

void rdb_queue_done(struct rdb_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->done++;
	pthread_cond_broadcast(&q->finished);
	pthread_mutex_unlock(&q->lock);
}

size_t rdb_queue_drain(struct rdb_queue *q, size_t n, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / 1000000000,
		.tv_nsec = deadline_ns % 1000000000,
	};
	size_t dropped;

	pthread_mutex_lock(&q->lock);
	while (q->done < n &&
	       pthread_cond_timedwait(&q->finished, &q->lock, &ts) != ETIMEDOUT)
		;
	/* Late: what no worker has taken is not served in this run. */
	dropped = q->tail - q->head;
	q->head = q->tail;
	while (q->done < q->taken)
		pthread_cond_wait(&q->finished, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return dropped;
}

void rdb_queue_reset(struct rdb_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->taken = q->done = 0;
	q->head = q->tail = 0;
	pthread_mutex_unlock(&q->lock);
}

void rdb_queue_close(struct rdb_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}
