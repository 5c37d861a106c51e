/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a worker can tell a scheduler what it is doing: application hints
 * such as ghOSt's "runnable" and "idle" around each request.  The server
 * calls these at fixed points of every worker's loop; by default they do
 * nothing (rdb_hooks_none), and a hint back end installs its own with
 * rdb_hooks_set() before the workers start.
 */
#ifndef RDB_HOOKS_H
#define RDB_HOOKS_H

#include "request.h"

struct rdb_hooks {
	/* A worker thread starts, before its first request. */
	void (*worker_start)(void *arg, unsigned int worker);
	/* It is about to wait for a request (it has nothing to do). */
	void (*worker_idle)(void *arg, unsigned int worker);
	/* It took @req and starts serving it. */
	void (*request_start)(void *arg, unsigned int worker,
			      const struct rdb_req *req);
	/* It has answered @req. */
	void (*request_done)(void *arg, unsigned int worker,
			     const struct rdb_req *req);
	/* It exits. */
	void (*worker_stop)(void *arg, unsigned int worker);
	/*
	 * The generator (not a worker) is about to release requests: workers
	 * told to stay off CPUs while waiting must be allowed to run again.
	 */
	void (*wake)(void *arg);
	void *arg;
};

/* Hooks that do nothing: the server without hints. */
extern const struct rdb_hooks rdb_hooks_none;

/* Install @hooks (every member set) for the workers started afterwards. */
void rdb_hooks_set(const struct rdb_hooks *hooks);
const struct rdb_hooks *rdb_hooks_get(void);

#endif /* RDB_HOOKS_H */
