// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: a policy instance, i.e. a loaded .so and the context it
 * runs in.  Its init is tried in a forked child first, so that a policy
 * that crashes while starting is refused instead of killing the agent
 * (and, during a hot swap, the scheduling of the enclave with it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "recorder.h"

const char *model_name(int model)
{
	switch (model) {
	case GHOST_POLICY_PER_CPU:
		return "per_cpu";
	case GHOST_POLICY_CENTRALIZED:
		return "centralized";
	default:
		return "unknown";
	}
}

void instance_free(struct instance *in)
{
	int i;

	if (!in)
		return;
	if (in->initialised && in->ops->fini)
		in->ops->fini(&in->ctx);
	rec_unbind(&in->ctx);
	ghost_policy_close(&in->lib);
	for (i = 0; in->opts[i]; i++)
		free(in->opts[i]);
	free(in);
}

/* The CPUs the policy places threads on, for its model. */
static void setup_ctx(struct rt *rt, struct instance *in)
{
	struct ghost_policy_ctx *ctx = &in->ctx;
	int i, n = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->enclave_id = rt->id;
	ctx->model = in->ops->model;
	ctx->global_cpu = ctx->model == GHOST_POLICY_CENTRALIZED ?
			  rt->global_cpu : -1;
	ctx->nr_cpu_ids = rt->topo.nr_cpu_ids;
	for (i = 0; i < rt->nr_ecpus; i++) {
		if (rt->ecpus[i] != ctx->global_cpu)
			in->cpus[n++] = rt->ecpus[i];
	}
	ctx->nr_cpus = n;
	ctx->cpus = in->cpus;
	ctx->cpu_node = rt->cpu_node;
	ctx->host = &rt_host;
	ctx->host_size = sizeof(rt_host);
	ctx->host_data = rt;
	ctx->dispatch_flags = in->ops->dispatch_flags;
}

struct instance *instance_load(struct rt *rt, const char *name,
			       char *const opts[], int nr_opts, char *msg,
			       size_t len)
{
	struct instance *in;
	char why[512];
	int i, ret;

	if (nr_opts > AGENT_MAX_OPTS) {
		snprintf(msg, len, "too many --opt (at most %d)", AGENT_MAX_OPTS);
		return NULL;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	in->rt = rt;
	for (i = 0; i < nr_opts; i++) {
		if (!strchr(opts[i], '=')) {
			snprintf(msg, len, "option '%s' is not key=value", opts[i]);
			goto err;
		}
		in->opts[i] = strdup(opts[i]);
		if (!in->opts[i]) {
			snprintf(msg, len, "out of memory");
			goto err;
		}
	}
	ret = ghost_policy_open(name, (const char *const *)rt->policy_dirs,
				&in->lib, msg, len);
	if (ret)
		goto err;
	in->ops = in->lib.ops;
	setup_ctx(rt, in);
	if (in->ops->model == GHOST_POLICY_CENTRALIZED && !in->ctx.nr_cpus) {
		snprintf(msg, len, "policy %s is centralized: it needs an enclave CPU besides the global CPU %d",
			 in->ops->name, rt->global_cpu);
		goto err;
	}

	ret = ghost_policy_probe(in->ops, &in->ctx,
				 (const char *const *)in->opts, why,
				 sizeof(why));
	if (ret) {
		snprintf(msg, len, "%s", why);
		goto err;
	}
	/* Recorded from init on; the probe's child above is not. */
	if (rt->rec)
		in->ops = rec_bind(rt->rec, &in->ctx, in->ops, in->lib.path,
				   (const char *const *)in->opts);
	ret = in->ops->init(&in->ctx, (const char *const *)in->opts);
	if (ret) {
		snprintf(msg, len, "policy %s refused to start: %s",
			 in->ops->name, strerror(ret < 0 ? -ret : EINVAL));
		goto err;
	}
	in->initialised = 1;
	return in;
err:
	instance_free(in);
	return NULL;
}
