// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: replacing the policy of a running agent.
 *
 *   1. Load and initialise the new policy (its init tried in a child
 *      first).  Nothing has changed yet: any failure leaves the old
 *      policy running.
 *   2. Quiesce: stop every round.  Threads keep running where they were
 *      committed; only decisions stop.  The blackout starts here.
 *   3. Tell the old policy the outcome of every commit it asked for
 *      (an agent's commit of its own CPU that has not happened yet is
 *      withdrawn), and drain the queue into it, so it is up to date.
 *   4. Hand over: if both policies name the same state format, the old
 *      one exports its state and the new one imports it.  Otherwise (or if
 *      that fails) the new policy starts empty and the kernel re-sends
 *      TASK_NEW for every thread (GHOST_IOC_DISCOVER).  If that fails
 *      too, the swap does: the old policy, which has lost nothing, is
 *      resumed and the new one dropped.
 *   5. Give the dispatch lists the new policy's flags, install it and
 *      resume: the blackout ends.  Entries the old policy published stay
 *      (no DISCOVER after an export): the new one reads them and learns
 *      from TASK_LATCHED which ran.
 *   6. Start or retire agent threads if the model changed, and free the
 *      old policy.  Agents that slept through the swap wake up into the
 *      new model at their next message.
 *
 * No thread leaves the enclave at any point.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "recorder.h"

#define STATE_BUF_INIT	(1024 * 1024)
/* The swapping thread's priority during the blackout: below agents. */
#define SWAP_PRIO	(sched_get_priority_max(SCHED_FIFO) - 1)

/* Export from @old into rt->state_buf, growing it if needed. */
static long export_state(struct rt *rt, struct instance *old)
{
	long n;
	void *p;

	n = old->ops->export_state(&old->ctx, rt->state_buf, rt->state_len);
	if (n <= (long)rt->state_len)
		return n;
	/* Rare: more threads than the buffer prepared for. */
	p = realloc(rt->state_buf, n);
	if (!p)
		return -ENOMEM;
	rt->state_buf = p;
	rt->state_len = n;
	return old->ops->export_state(&old->ctx, rt->state_buf, rt->state_len);
}

/* An import failed half-way: start the new policy over, empty. */
static int reinit(struct instance *in)
{
	if (in->ops->fini)
		in->ops->fini(&in->ctx);
	in->ctx.priv = NULL;
	in->initialised = 0;
	if (in->ops->init(&in->ctx, (const char *const *)in->opts))
		return -EINVAL;
	in->initialised = 1;
	return 0;
}

/*
 * Step 4, under rt->lock: "export" or "discover" into *@how.  On failure
 * the old policy has lost nothing (exporting leaves it as it was, and a
 * failed DISCOVER changed nothing), so it can go on: @msg says why.
 */
static int hand_over(struct rt *rt, struct instance *old, struct instance *in,
		     int rediscover, const char **how, char *msg, size_t len)
{
	int ret, exported = 0;
	long n;

	if (!rediscover && ghost_policy_state_compatible(old->ops, in->ops)) {
		n = export_state(rt, old);
		if (n >= 0 && !in->ops->import_state(&in->ctx, rt->state_buf, n)) {
			*how = "export";
			return 0;
		}
		fprintf(stderr, AGENT_NAME ": state hand-over from %s to %s failed; rediscovering threads\n",
			old->ops->name, in->ops->name);
		if (reinit(in)) {
			snprintf(msg, len, "policy %s failed to start again after a failed hand-over; %s stays",
				 in->ops->name, old->ops->name);
			return -EINVAL;
		}
		exported = 1;
	}
	/* The new policy would never hear of the threads it has not got. */
	ret = rt_discover(rt);
	if (ret) {
		if (exported)
			snprintf(msg, len, "state hand-over to %s failed, and so did rediscovering the threads of enclave %u: %s; %s stays",
				 in->ops->name, rt->id, strerror(-ret),
				 old->ops->name);
		else
			snprintf(msg, len, "cannot rediscover the threads of enclave %u for policy %s: %s; %s stays",
				 rt->id, in->ops->name, strerror(-ret),
				 old->ops->name);
		return ret;
	}
	*how = "discover";
	return 0;
}

/* Step 6: agent threads for the new model. */
static int adjust_agents(struct rt *rt, int old_model, int model)
{
	int i, cpu, ret = 0;

	if (old_model == model)
		return 0;
	/* The agent of the global CPU starts spinning, or stops. */
	rt_kick_agent(rt, rt->global_cpu);
	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		if (cpu == rt->global_cpu)
			continue;
		if (model == GHOST_POLICY_CENTRALIZED) {
			rt_retire_agent(rt, cpu);
		} else if (!rt->agents[cpu].started) {
			ret = rt_start_agent(rt, cpu);
			if (!ret)
				ret = rt_wait_attached(rt, cpu);
			if (ret)
				fprintf(stderr, AGENT_NAME ": cannot start the agent of CPU %d: %s\n",
					cpu, strerror(-ret));
		}
	}
	rt_reap_agents(rt);
	return ret;
}

int agent_swap(struct rt *rt, const char *name, char *const opts[],
	       int nr_opts, int rediscover, struct swap_result *res, char *msg,
	       size_t len)
{
	struct sched_param param, old_param;
	struct instance *in, *old;
	int old_model, policy, boosted, i, ret;
	const char *how;
	uint64_t t0, t1;

	if (!rt->state_buf) {
		rt->state_buf = malloc(STATE_BUF_INIT);
		if (!rt->state_buf) {
			snprintf(msg, len, "out of memory");
			return -ENOMEM;
		}
		rt->state_len = STATE_BUF_INIT;
	}
	in = instance_load(rt, name, opts, nr_opts, msg, len);
	if (!in)
		return -EINVAL;

	/*
	 * The blackout should not depend on how busy the CPUs are: get
	 * ahead of every thread but the agents for its duration.
	 */
	param.sched_priority = SWAP_PRIO;
	boosted = !pthread_getschedparam(pthread_self(), &policy, &old_param) &&
		  !pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);

	t0 = rt_now_ns();
	rt_pause(rt);
	old = rt->pol;
	rt_settle_inflight(rt, 1);
	rt_drain(rt);
	ret = hand_over(rt, old, in, rediscover, &how, msg, len);
	if (ret) {
		rt_resume(rt);
		if (boosted)
			pthread_setschedparam(pthread_self(), policy, &old_param);
		/*
		 * The old policy was told its agents' pending commits were
		 * withdrawn: wake them, so that it decides again at once.
		 */
		for (i = 0; i < rt->nr_ecpus; i++)
			rt_kick_agent(rt, rt->ecpus[i]);
		fprintf(stderr, AGENT_NAME ": enclave %u: swap to %s failed: %s\n",
			rt->id, in->ops->name, msg);
		instance_free(in);
		return ret;
	}
	old_model = old->ops->model;
	rec_swap(rt->rec, &old->ctx, &in->ctx, how);
	rt_apply_dispatch(rt, in);
	rt_install(rt, in);
	if (in->ops->model != GHOST_POLICY_CENTRALIZED)
		rt_wake_global(rt, 0);
	rt_resume(rt);
	t1 = rt_now_ns();
	if (boosted)
		pthread_setschedparam(pthread_self(), policy, &old_param);

	adjust_agents(rt, old_model, in->ops->model);
	if (old_model != in->ops->model &&
	    in->ops->model == GHOST_POLICY_CENTRALIZED)
		rt_check_throttling();
	if ((old->ops->flags ^ in->ops->flags) & GHOST_POLICY_F_TICKS)
		rt_apply_ticks(rt, in->ops);
	instance_free(old);

	rt->swaps++;
	rt->last_blackout_ns = t1 - t0;
	rt->last_handover = how;
	res->blackout_ns = t1 - t0;
	res->handover = how;
	res->threads = rt->threads.nr;
	fprintf(stderr, AGENT_NAME ": enclave %u: policy %s (%s), hand-over by %s, blackout %llu us\n",
		rt->id, in->ops->name, model_name(in->ops->model), how,
		(unsigned long long)(res->blackout_ns / 1000));
	return 0;
}
