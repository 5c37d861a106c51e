// SPDX-License-Identifier: GPL-2.0
/*
 * The workers' hint hooks, none by default.
 */
#include "hooks.h"

static void none_worker(void *arg, unsigned int worker)
{
}

static void none_wake(void *arg)
{
}

static void none_request(void *arg, unsigned int worker,
			 const struct rdb_req *req)
{
}

const struct rdb_hooks rdb_hooks_none = {
	.worker_start = none_worker,
	.worker_idle = none_worker,
	.request_start = none_request,
	.request_done = none_request,
	.worker_stop = none_worker,
	.wake = none_wake,
};

static const struct rdb_hooks *current = &rdb_hooks_none;

void rdb_hooks_set(const struct rdb_hooks *hooks)
{
	current = hooks;
}

const struct rdb_hooks *rdb_hooks_get(void)
{
	return current;
}
