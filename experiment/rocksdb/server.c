// SPDX-License-Identifier: GPL-2.0
/*
 * Workers, and the open-loop generator: it releases every request at its
 * scheduled time whatever the workers are doing, and never waits for an
 * answer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "affinity.h"
#include "enter.h"
#include "hooks.h"
#include "queue.h"
#include "relax.h"
#include "server.h"

/* Sleep until this close to an arrival, then spin: sleeps overshoot. */
#define SPIN_NS		100000
/* Requests released with one lock of the queue. */
#define BATCH		64

struct worker {
	struct rdb_server *s;
	unsigned int id;
	pthread_t thread;
	atomic_int ready;	/* 1 serving, -errno could not start */
};

struct rdb_server {
	struct rdb_db *db;
	uint32_t scan_keys;
	unsigned int enclave;
	const struct rdb_hooks *hooks;
	struct rdb_queue q;
	uint64_t t0;		/* start of the current run */
	unsigned int nworkers;
	struct worker *w;
};

uint64_t rdb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rdb_server *s = w->s;
	const struct rdb_hooks *h = s->hooks;
	struct rdb_req *r;
	char who[32];
	int rc;

	snprintf(who, sizeof(who), "worker %u", w->id);
	rc = rdb_enter_enclave(s->enclave, who);
	atomic_store(&w->ready, rc ? rc : 1);
	if (rc)
		return NULL;
	h->worker_start(h->arg, w->id);
	for (;;) {
		/*
		 * Idle only when there is nothing to take: a busy server's
		 * worker goes from one request to the next without a hint
		 * saying IDLE in between, which would let a scheduler
		 * preempt it for every request.
		 */
		r = rdb_queue_trypop(&s->q);
		if (!r) {
			h->worker_idle(h->arg, w->id);
			r = rdb_queue_pop(&s->q);
		}
		if (!r)
			break;
		/* The queue's lock orders this read after the run's start. */
		r->start_ns = rdb_now_ns() - s->t0;
		r->worker = w->id;
		h->request_start(h->arg, w->id, r);
		if (r->kind == RDB_GET)
			rc = rdb_db_get(s->db, r->key);
		else
			rc = rdb_db_scan(s->db, r->key, s->scan_keys);
		r->done_ns = rdb_now_ns() - s->t0;
		r->status = rc ? RDB_ERROR : RDB_OK;
		h->request_done(h->arg, w->id, r);
		rdb_queue_done(&s->q);
	}
	h->worker_stop(h->arg, w->id);
	return NULL;
}

struct gen {
	struct rdb_server *s;
	struct rdb_run *run;
};

/* Sleep until @deadline_ns, CLOCK_MONOTONIC. */
static void sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / 1000000000,
		.tv_nsec = deadline_ns % 1000000000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *gen_main(void *arg)
{
	struct gen *g = arg;
	struct rdb_req *batch[BATCH], *reqs = g->run->reqs;
	uint64_t t0 = g->s->t0, now;
	size_t i = 0, n = g->run->n, k;

	while (i < n) {
		now = rdb_now_ns() - t0;
		if (now < reqs[i].sched_ns) {
			if (reqs[i].sched_ns - now > SPIN_NS)
				sleep_until(t0 + reqs[i].sched_ns - SPIN_NS / 2);
			else
				rdb_cpu_relax();
			continue;
		}
		/* Everything due by now, the late ones included. */
		for (k = 0; k < BATCH && i < n && reqs[i].sched_ns <= now; k++) {
			reqs[i].release_ns = now;
			batch[k] = &reqs[i++];
		}
		g->s->hooks->wake(g->s->hooks->arg);
		rdb_queue_push(&g->s->q, batch, k);
	}
	return NULL;
}

int rdb_server_run(struct rdb_server *s, struct rdb_run *run)
{
	struct ghost_cpuset one = { 0 }, *cpus = NULL;
	struct gen g = { .s = s, .run = run };
	uint64_t last = 0;
	pthread_t thread;
	size_t i;
	int err;

	if (rdb_queue_reserve(&s->q, run->n)) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		return -1;
	}
	rdb_queue_reset(&s->q);
	if (run->gen_cpu >= 0) {
		ghost_cpuset_set(&one, run->gen_cpu);
		cpus = &one;
	}
	s->t0 = rdb_now_ns();
	err = rdb_thread_create(&thread, cpus, gen_main, &g);
	if (err) {
		fprintf(stderr, "rocksdb_server: starting the load generator: %s\n",
			strerror(err));
		return -1;
	}
	pthread_join(thread, NULL);
	rdb_queue_drain(&s->q, run->n, rdb_now_ns() + run->drain * 1e9);

	for (i = 0; i < run->n; i++) {
		struct rdb_req *r = &run->reqs[i];

		if (r->status == RDB_PENDING)
			r->status = RDB_DROPPED;
		else if (r->done_ns > last)
			last = r->done_ns;
	}
	run->elapsed = last / 1e9 > run->duration ? last / 1e9 : run->duration;
	return 0;
}

struct rdb_server *rdb_server_start(struct rdb_db *db, unsigned int workers,
				    const struct ghost_cpuset *cpus,
				    unsigned int enclave, uint32_t scan_keys)
{
	struct rdb_server *s = calloc(1, sizeof(*s));
	unsigned int i;
	int err;

	if (s)
		s->w = calloc(workers, sizeof(*s->w));
	if (!s || !s->w) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		free(s);
		return NULL;
	}
	s->db = db;
	s->scan_keys = scan_keys;
	s->enclave = enclave;
	s->hooks = rdb_hooks_get();
	rdb_queue_init(&s->q);
	for (i = 0; i < workers; i++) {
		s->w[i] = (struct worker){ .s = s, .id = i };
		err = rdb_thread_create(&s->w[i].thread, cpus, worker_main,
					&s->w[i]);
		if (err) {
			fprintf(stderr, "rocksdb_server: starting worker %u: %s\n",
				i, strerror(err));
			rdb_server_stop(s);
			return NULL;
		}
		s->nworkers++;
	}
	/* Serve only with every worker where it should be. */
	for (i = 0; i < workers; i++) {
		while (!(err = atomic_load(&s->w[i].ready)))
			sched_yield();
		if (err < 0) {
			rdb_server_stop(s);
			return NULL;
		}
	}
	return s;
}

void rdb_server_stop(struct rdb_server *s)
{
	unsigned int i;

	rdb_queue_close(&s->q);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->w[i].thread, NULL);
	rdb_queue_destroy(&s->q);
	free(s->w);
	free(s);
}
