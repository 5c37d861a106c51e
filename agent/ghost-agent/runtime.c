// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: agent threads and their loop.
 *
 * A round, under rt->lock: drain every queue into the policy, let it
 * decide (schedule()), commit what it asked for in one group commit, and
 * tell it the outcome of each slot (local rounds, below, are the
 * exception).  A thread committed to a CPU is
 * then associated with the queue of that CPU's agent (see agent.h).
 *
 * Per-CPU policies get one agent thread per enclave CPU.  Each reads the
 * head of the queue it waits on, runs a round, and sleeps in
 * GHOST_IOC_AGENT_WAIT until that head moves past the value it read before
 * draining, so no message is missed.  A message wakes the agent whose
 * queue it is in; that agent decides for every CPU.  What the round
 * committed to the agent's own CPU is committed by the agent as it goes
 * to sleep (GHOST_IOC_COMMIT_WAIT), so the thread gets the CPU in the
 * same call; its outcome reaches the policy at the next round, and until
 * then the CPU takes no other request (rt->inflight).
 *
 * Threads a policy puts on dispatch lists are kicked after the round's
 * commits when their CPU has no thread (ghost_dispatch_kick()).
 *
 * Centralized policies get one agent thread, on the global CPU, that runs
 * rounds back to back without ever sleeping.
 *
 * Local rounds, for per-CPU policies that allow concurrent callbacks
 * (GHOST_POLICY_F_CONCURRENT): the agent of a CPU takes that CPU's round
 * lock only, drains its own queue (rt->q if it has none), decides for its
 * CPU alone and commits it as it goes to sleep.  A policy that gives work
 * to another CPU asks for that CPU's decision (ghost_policy_wake()).  At
 * the end of its round the agent takes that CPU's round lock if it is
 * free (its agent asleep) and runs that CPU's round there and then,
 * without waking it; if not, the agent of that CPU is in a round, or
 * about to be, and is flagged (and signalled) to run one more.  Before
 * its own, a round runs those of sleeping agents whose queues hold
 * messages (help_sleepers()): quiet messages wake no agent, and some of
 * them wait for a decision in another CPU's queue.
 *
 * Nothing on this path allocates: the policy's requests go straight into
 * the transaction slots, and the thread table is sized at start-up.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ghost/barrier.h>

#include "agent.h"

#define AGENT_STACK	(256 * 1024)
#define ATTACH_WARN_MS	1000
#define MAX_RETRIES	3
#define PAUSE_SPIN_NS	2000000ULL

/*
 * The wait a per-CPU agent is in (alone, or after the commit of its own
 * CPU); SIGUSR1 makes it return at once.
 */
static __thread struct ghost_ioc_commit_wait agent_cw;

/*
 * The round this thread runs: the CPUs it asked for, the lists it pushed
 * to, whether a commit failed, and in a local round the one CPU it
 * decides for (else -1).
 */
static __thread struct {
	struct ghost_cpuset pending;
	struct ghost_cpuset pushed;
	struct ghost_cpuset wanted;	/* local: CPUs given work */
	int nr_pending;
	int retry;
	int cpu;
} rs = { .cpu = -1 };

uint64_t rt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void wake_handler(int sig)
{
	/*
	 * A head and an agent_seq the kernel cannot have reached: the wait
	 * ends at once, whichever of them it compares.
	 */
	agent_cw.wait.head += 0x80000000U;
	agent_cw.wait.agent_seq += 0x80000000U;
}

/* ------------------------------------------------------------------ */
/* Services for the policy                                             */
/* ------------------------------------------------------------------ */

static struct rt *ctx_rt(struct ghost_policy_ctx *ctx)
{
	return ctx->host_data;
}

/* rt->inflight: each CPU's bit changes in that CPU's round. */
static unsigned long *inflight_word(struct rt *rt, int cpu,
				    unsigned long *bit)
{
	*bit = 1UL << (cpu % (8 * sizeof(long)));
	return &rt->inflight.bits[cpu / (8 * sizeof(long))];
}

static void inflight_set(struct rt *rt, int cpu, int on)
{
	unsigned long bit, *w = inflight_word(rt, cpu, &bit);

	if (on)
		__atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(w, ~bit, __ATOMIC_RELAXED);
}

static int inflight_test(struct rt *rt, int cpu)
{
	unsigned long bit, *w = inflight_word(rt, cpu, &bit);

	return !!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit);
}

/* A local round decides for its own CPU only. */
static int foreign_cpu(int cpu)
{
	return rs.cpu >= 0 && cpu != rs.cpu;
}

static int host_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		    __u32 barrier)
{
	struct rt *rt = ctx_rt(ctx);
	int ret;

	if (cpu < 0 || cpu >= GHOST_MAX_CPUS ||
	    !ghost_cpuset_test(&rt->enc.cpus, cpu))
		return -EINVAL;
	/* The spinning agent owns its CPU: a thread there would starve. */
	if (ctx->model == GHOST_POLICY_CENTRALIZED &&
	    cpu == ctx->global_cpu && gtid != GHOST_NULL_GTID)
		return -EINVAL;
	if (foreign_cpu(cpu))
		return -EXDEV;
	/* A request of this round, or one its agent is committing. */
	if (ghost_cpuset_test(&rs.pending, cpu) || inflight_test(rt, cpu))
		return -EBUSY;
	ret = ghost_txn_open(&rt->enc, cpu, gtid, barrier, 0);
	if (ret)
		return ret;
	ghost_cpuset_set(&rs.pending, cpu);
	rt->pending_gtid[cpu] = gtid;
	rt->pending_barrier[cpu] = barrier;
	rs.nr_pending++;
	atomic_fetch_add(&rt->st.decisions, 1);
	return 0;
}

/* A CPU the current policy places threads on. */
static int policy_cpu(struct ghost_policy_ctx *ctx, int cpu)
{
	struct rt *rt = ctx_rt(ctx);

	if (cpu < 0 || cpu >= GHOST_MAX_CPUS ||
	    !ghost_cpuset_test(&rt->enc.cpus, cpu))
		return 0;
	return !(ctx->model == GHOST_POLICY_CENTRALIZED &&
		 cpu == ctx->global_cpu);
}

/* Entries are kicked, if their CPU needs it, once schedule() returns. */
static int host_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			__u32 barrier)
{
	struct rt *rt = ctx_rt(ctx);
	int ret;

	if (!policy_cpu(ctx, cpu))
		return -EINVAL;
	/* A list has one writer: the round of its CPU. */
	if (foreign_cpu(cpu))
		return -EXDEV;
	ret = ghost_dispatch_push(&rt->enc, cpu, gtid, barrier);
	if (!ret) {
		ghost_cpuset_set(&rs.pushed, cpu);
		atomic_fetch_add(&rt->st.decisions, 1);
	}
	return ret;
}

static int host_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	if (!policy_cpu(ctx, cpu))
		return -EINVAL;
	return ghost_dispatch_outstanding(&ctx_rt(ctx)->enc, cpu);
}

static int host_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			     __u32 flags)
{
	if (!policy_cpu(ctx, cpu))
		return -EINVAL;
	if (foreign_cpu(cpu))
		return -EXDEV;
	return ghost_dispatch_set_flags(&ctx_rt(ctx)->enc, cpu, flags);
}

static int host_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			   struct ghost_dispatch_entry *out, int max)
{
	struct ghost_dispatch_list *dl;

	if (!policy_cpu(ctx, cpu))
		return -EINVAL;
	dl = ghost_dispatch_list(&ctx_rt(ctx)->enc, cpu);
	if (!dl)
		return -EOPNOTSUPP;
	return ghost_dl_entries(dl, out, max);
}

static __u64 host_now(struct ghost_policy_ctx *ctx)
{
	return rt_now_ns();
}

static int host_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid,
			     int cpu)
{
	struct rt *rt = ctx_rt(ctx);
	const struct ghost_cpuset *set;
	int ret;

	pthread_mutex_lock(&rt->tab_lock);
	set = gp_table_find(&rt->affinity, gtid);
	ret = !set || ghost_cpuset_test(set, cpu);
	pthread_mutex_unlock(&rt->tab_lock);
	return ret;
}

static int host_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return ghost_sw_task_cpu(&ctx_rt(ctx)->enc, gtid);
}

static int host_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
		     struct ghost_app_hint *out)
{
	struct rt *rt = ctx_rt(ctx);
	int ret;

	/* The cache changes on lookups, which local rounds make at once. */
	pthread_mutex_lock(&rt->tab_lock);
	ret = hints_lookup(rt, gtid, out);
	pthread_mutex_unlock(&rt->tab_lock);
	return ret;
}

static void request_round(struct agent_thread *a);
static void kick_agent(struct agent_thread *a);
static int my_turn(struct rt *rt, struct agent_thread *a, int model);

/*
 * A decision for @cpu soon: its agent may be asleep while the policy gave
 * its CPU work.  Made at the end of this round (help_rounds()); nothing
 * to do in a round that decides for every CPU, or for the round's own.
 */
static int host_wake(struct ghost_policy_ctx *ctx, int cpu)
{
	if (!policy_cpu(ctx, cpu))
		return -EINVAL;
	if (foreign_cpu(cpu))
		ghost_cpuset_set(&rs.wanted, cpu);
	return 0;
}

static void host_log(struct ghost_policy_ctx *ctx, const char *msg)
{
	fprintf(stderr, AGENT_NAME ": policy: %s\n", msg);
}

static void host_error(struct ghost_policy_ctx *ctx, const char *reason)
{
	struct rt *rt = ctx_rt(ctx);

	if (atomic_exchange(&rt->failed, 1))
		return;
	snprintf(rt->fail_reason, sizeof(rt->fail_reason), "%s", reason);
}

const struct ghost_policy_host rt_host = {
	.run		= host_run,
	.now_ns		= host_now,
	.task_cpu	= host_task_cpu,
	.log		= host_log,
	.error		= host_error,
	.dl_push	= host_dl_push,
	.dl_outstanding	= host_dl_outstanding,
	.dl_set_flags	= host_dl_set_flags,
	.dl_entries	= host_dl_entries,
	.task_allowed	= host_task_allowed,
	.hint		= host_hint,
	.wake		= host_wake,
};

/*
 * The lists of the CPUs @in places threads on get its ctx.dispatch_flags,
 * every other list none: a policy never inherits the fast path of the
 * one before.  Called before @in makes its first decision.
 */
void rt_apply_dispatch(struct rt *rt, struct instance *in)
{
	__u32 flags;
	int i, cpu;

	if (!ghost_dispatch_available(&rt->enc))
		return;
	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		flags = policy_cpu(&in->ctx, cpu) ?
			in->ctx.dispatch_flags & GHOST_DL_F_ALL : 0;
		ghost_dispatch_set_flags(&rt->enc, cpu, flags);
	}
}

/* ------------------------------------------------------------------ */
/* Rounds                                                              */
/* ------------------------------------------------------------------ */

static void route(struct rt *rt, __u64 gtid, int cpu, __u32 barrier);

static void forget_affinity(struct rt *rt, __u64 gtid)
{
	free(gp_table_remove(&rt->affinity, gtid));
}

/*
 * Ask the kernel which CPUs @gtid may run on; keep it only if that is not
 * every enclave CPU (most threads are allowed everywhere).
 */
static void refresh_affinity(struct rt *rt, __u64 gtid)
{
	struct ghost_cpuset set, *keep;
	int i;

	if (ghost_task_affinity(&rt->enc, gtid, &set)) {
		forget_affinity(rt, gtid);
		return;
	}
	for (i = 0; i < rt->nr_ecpus; i++) {
		if (!ghost_cpuset_test(&set, rt->ecpus[i]))
			break;
	}
	if (i == rt->nr_ecpus) {
		forget_affinity(rt, gtid);
		return;
	}
	keep = gp_table_find(&rt->affinity, gtid);
	if (!keep) {
		keep = malloc(sizeof(*keep));
		if (!keep)
			return;
		if (gp_table_insert(&rt->affinity, gtid, keep)) {
			free(keep);
			return;
		}
	}
	*keep = set;
}

/*
 * Keep the thread table and recycle status words of gone threads, before
 * the policy hears of @m.  rt->tab_lock held.
 */
static void track_locked(struct rt *rt, const struct ghost_msg *m)
{
	const struct ghost_msg_task_new *n = ghost_msg_payload(m);
	const struct ghost_msg_task *t = ghost_msg_payload(m);
	const struct ghost_msg_cpu *c = ghost_msg_payload(m);
	void *v;

	switch (m->type) {
	case GHOST_MSG_CPU_OFFLINE:
	case GHOST_MSG_CPU_ONLINE:
		if (m->length < sizeof(*m) + sizeof(*c) || c->cpu < 0 ||
		    c->cpu >= GHOST_MAX_CPUS)
			return;
		if (m->type == GHOST_MSG_CPU_OFFLINE)
			ghost_cpuset_set(&rt->offline, c->cpu);
		else
			ghost_cpuset_clear(&rt->offline, c->cpu);
		__atomic_store_n(&rt->hotplug_gen, rt->hotplug_gen + 1,
				 __ATOMIC_RELAXED);
		break;
	case GHOST_MSG_TASK_NEW:
		if (m->length < sizeof(*m) + sizeof(*n))
			return;
		gp_table_remove(&rt->threads, n->gtid);
		gp_table_insert(&rt->threads, n->gtid,
				(void *)(uintptr_t)(n->sw_index + 1));
		break;
	case GHOST_MSG_TASK_AFFINITY_CHANGED:
		if (m->length >= sizeof(*m) + sizeof(*t))
			refresh_affinity(rt, t->gtid);
		break;
	case GHOST_MSG_TASK_DEAD:
	case GHOST_MSG_TASK_DEPARTED:
		if (m->length < sizeof(*m) + sizeof(*t))
			return;
		forget_affinity(rt, t->gtid);
		hints_forget(rt, t->gtid);
		gp_table_remove(&rt->routes, t->gtid);
		v = gp_table_remove(&rt->threads, t->gtid);
		if (v)
			ghost_sw_free(&rt->enc, t->gtid,
				      (unsigned int)((uintptr_t)v - 1));
		break;
	}
}

/* The messages track_locked() keeps something of: the others take no lock. */
static int tracked(const struct ghost_msg *m)
{
	switch (m->type) {
	case GHOST_MSG_CPU_OFFLINE:
	case GHOST_MSG_CPU_ONLINE:
	case GHOST_MSG_TASK_NEW:
	case GHOST_MSG_TASK_AFFINITY_CHANGED:
	case GHOST_MSG_TASK_DEAD:
	case GHOST_MSG_TASK_DEPARTED:
		return 1;
	}
	return 0;
}

static void track(struct rt *rt, const struct ghost_msg *m)
{
	if (!tracked(m))
		return;
	pthread_mutex_lock(&rt->tab_lock);
	track_locked(rt, m);
	pthread_mutex_unlock(&rt->tab_lock);
}

/*
 * After the policy heard of @m.  A thread the module placed: its messages
 * follow it, as a commit's.  Not before: in local rounds the agent of the
 * new queue could hear of its next message while the policy is still
 * taking this one.
 */
static void track_after(struct rt *rt, const struct ghost_msg *m)
{
	const struct ghost_msg_task *t = ghost_msg_payload(m);

	if (m->type != GHOST_MSG_TASK_LATCHED ||
	    m->length < sizeof(*m) + sizeof(*t) || t->cpu < 0 ||
	    t->cpu >= GHOST_MAX_CPUS)
		return;
	route(rt, t->gtid, t->cpu, m->seqnum);
}

/*
 * TASK_NEW for every thread, on the default queue where they all are now.
 * A DISCOVER that fails has changed nothing: neither do we then.
 */
int rt_discover(struct rt *rt)
{
	int ret = ghost_discover(&rt->enc);

	if (!ret) {
		pthread_mutex_lock(&rt->tab_lock);
		gp_table_clear(&rt->routes);
		pthread_mutex_unlock(&rt->tab_lock);
	}
	return ret;
}

/*
 * A full ring lost messages: ask the kernel to tell everything again.
 * Until that succeeds the policy may not know some threads, so a failed
 * rediscovery is said once and tried again at every drain.
 */
static void check_overflow(struct rt *rt, struct ghost_queue *q,
			   unsigned int *seen)
{
	unsigned int ov = ghost_queue_overflow(q);
	int ret;

	if (ov == *seen)
		return;
	if (!rt->rediscover_err)
		fprintf(stderr, AGENT_NAME ": enclave %u: %u message(s) lost to a full queue; rediscovering threads\n",
			rt->id, ov - *seen);
	ret = rt_discover(rt);
	if (ret) {
		if (ret != rt->rediscover_err)
			fprintf(stderr, AGENT_NAME ": enclave %u: cannot rediscover threads: %s; trying again\n",
				rt->id, strerror(-ret));
		rt->rediscover_err = ret;
		atomic_fetch_add(&rt->st.rediscover_failed, 1);
		return;
	}
	if (rt->rediscover_err)
		fprintf(stderr, AGENT_NAME ": enclave %u: threads rediscovered\n",
			rt->id);
	rt->rediscover_err = 0;
	*seen = ov;
	atomic_fetch_add(&rt->st.overflows, 1);
}

/*
 * Tell @in which enclave CPUs went offline or came back since it last
 * heard: a policy installed while a CPU is offline learns it here too.
 * One at a time (rt->hp_lock): local rounds may get such news at once.
 */
static void hotplug_sync(struct rt *rt, struct instance *in)
{
	struct {
		struct ghost_msg h;
		struct ghost_msg_cpu p;
	} m = { .h = { .length = sizeof(m) } };
	struct ghost_cpuset offline;
	unsigned int gen;
	int i, cpu, off;

	/*
	 * Nothing new, as rounds mostly find: no lock.  A change this misses
	 * is seen by the hotplug_sync() that follows its message.
	 */
	if (__atomic_load_n(&in->hotplug_gen, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&rt->hotplug_gen, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&rt->tab_lock);
	gen = rt->hotplug_gen;
	offline = rt->offline;
	pthread_mutex_unlock(&rt->tab_lock);
	pthread_mutex_lock(&rt->hp_lock);
	if (in->hotplug_gen == gen)
		goto out;
	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		off = ghost_cpuset_test(&offline, cpu);
		if (off == ghost_cpuset_test(&in->offline, cpu))
			continue;
		m.h.type = off ? GHOST_MSG_CPU_OFFLINE : GHOST_MSG_CPU_ONLINE;
		m.p.cpu = cpu;
		ghost_policy_dispatch(in->ops, &in->ctx, &m.h);
		if (off)
			ghost_cpuset_set(&in->offline, cpu);
		else
			ghost_cpuset_clear(&in->offline, cpu);
	}
	__atomic_store_n(&in->hotplug_gen, gen, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&rt->hp_lock);
}

static int is_hotplug_msg(const struct ghost_msg *m)
{
	return m->type == GHOST_MSG_CPU_OFFLINE ||
	       m->type == GHOST_MSG_CPU_ONLINE;
}

static int drain_queue(struct rt *rt, struct ghost_queue *q,
		       unsigned int *overflow_seen)
{
	struct instance *in = rt->pol;
	const struct ghost_msg *m;
	int n = 0;

	while ((m = ghost_queue_peek(q))) {
		track(rt, m);
		if (is_hotplug_msg(m))
			hotplug_sync(rt, in);
		else if (ghost_policy_dispatch(in->ops, &in->ctx, m) < 0)
			atomic_fetch_add(&rt->st.bad_msgs, 1);
		track_after(rt, m);
		ghost_queue_consume(q, m);
		n++;
	}
	check_overflow(rt, q, overflow_seen);
	return n;
}

static struct cpu_queue *cpu_queue(struct rt *rt, int cpu)
{
	struct cpu_queue *cq = &rt->cpu_q[cpu];

	return atomic_load_explicit(&cq->ready, memory_order_acquire) ? cq :
	       NULL;
}

/*
 * Every queue, the default one first.  A thread's messages are in one
 * queue at a time (it moves only when the old one holds nothing newer
 * than what the policy saw), so each thread's order is kept.
 */
int rt_drain(struct rt *rt)
{
	struct cpu_queue *cq;
	int i, n;

	n = drain_queue(rt, &rt->q, &rt->overflow_seen);
	for (i = 0; i < rt->nr_ecpus; i++) {
		cq = cpu_queue(rt, rt->ecpus[i]);
		if (cq)
			n += drain_queue(rt, &cq->q, &cq->overflow_seen);
	}
	if (n)
		atomic_fetch_add(&rt->st.msgs, n);
	return n;
}

/*
 * After a commit of @gtid to @cpu with @barrier: its messages go to the
 * queue of that CPU from now on.  @barrier is what the policy last saw,
 * so the kernel refuses (ESTALE) while a newer message waits in the old
 * queue; the move is then tried at the next commit.
 */
static void route(struct rt *rt, __u64 gtid, int cpu, __u32 barrier)
{
	struct cpu_queue *cq = cpu_queue(rt, cpu);
	uintptr_t qid = cq ? cq->qid : AGENT_DEFAULT_QID, cur;

	pthread_mutex_lock(&rt->tab_lock);
	cur = (uintptr_t)gp_table_find(&rt->routes, gtid);
	/* Unknown is the default queue, or one nobody reads any more. */
	if (cur == qid || (!cur && !cq))
		goto out;
	if (ghost_queue_assoc(&rt->enc, cq ? &cq->q : NULL, gtid, barrier,
			      NULL))
		goto out;
	gp_table_remove(&rt->routes, gtid);
	gp_table_insert(&rt->routes, gtid, (void *)qid);
	atomic_fetch_add(&rt->st.routes, 1);
out:
	pthread_mutex_unlock(&rt->tab_lock);
}

static void commit_error(struct rt *rt, int ret)
{
	if (ret < 0 && ret != rt->commit_err) {
		fprintf(stderr, AGENT_NAME ": enclave %u: commit failed: %s\n",
			rt->id, strerror(-ret));
		rt->commit_err = ret;
	}
	/* The enclave was destroyed under us. */
	if (ret == -ENODEV)
		atomic_store(&rt->stop, 1);
}

/* The final state of @cpu's committed slot; withdraw it if still READY. */
static int slot_outcome(struct rt *rt, int cpu)
{
	int state = ghost_txn_state(&rt->enc, cpu);

	if (state == GHOST_TXN_READY && !ghost_txn_abort(&rt->enc, cpu))
		return GHOST_TXN_ABORTED;
	/* The kernel claimed it meanwhile: its store of the outcome follows. */
	while (state == GHOST_TXN_READY || state == -1) {
		ghost_cpu_relax();
		state = ghost_txn_state(&rt->enc, cpu);
	}
	return state;
}

/* Count, route and report the outcome of one request. */
static void outcome(struct rt *rt, int cpu, __u64 gtid, __u32 barrier,
		    int state)
{
	struct instance *in = rt->pol;

	if (state == GHOST_TXN_COMPLETE) {
		atomic_fetch_add(&rt->st.commits, 1);
		if (gtid != GHOST_NULL_GTID)
			route(rt, gtid, cpu, barrier);
	} else if (state > 0 && state < GHOST_TXN_NR_STATES) {
		atomic_fetch_add(&rt->st.failed[state], 1);
	}
	/* Before the policy hears of it: where may it run, then? */
	if (state == GHOST_TXN_CPU_NOT_ALLOWED) {
		pthread_mutex_lock(&rt->tab_lock);
		refresh_affinity(rt, gtid);
		pthread_mutex_unlock(&rt->tab_lock);
	}
	if (state != GHOST_TXN_COMPLETE)
		rs.retry = 1;
	if (in->ops->commit_done)
		in->ops->commit_done(&in->ctx, cpu, gtid, state);
}

/*
 * Commit the slots the policy filled and report each outcome.  The slot
 * of @own (the calling per-CPU agent's CPU, or -1) is left READY for the
 * agent to commit as it goes to sleep (GHOST_IOC_COMMIT_WAIT): it is in
 * flight until rt_settle_inflight() reports it.  Returns 1 if it did so.
 */
static int commit(struct rt *rt, int own)
{
	int ret, cpu, deferred = 0;

	if (own >= 0 && ghost_cpuset_test(&rs.pending, own)) {
		ghost_cpuset_clear(&rs.pending, own);
		rt->inflight_gtid[own] = rt->pending_gtid[own];
		rt->inflight_barrier[own] = rt->pending_barrier[own];
		inflight_set(rt, own, 1);
		deferred = 1;
	}
	if (ghost_cpuset_next(&rs.pending, 0) >= 0) {
		ret = ghost_txn_commit(&rt->enc, &rs.pending);
		commit_error(rt, ret);
	}
	for (cpu = ghost_cpuset_next(&rs.pending, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(&rs.pending, cpu + 1))
		outcome(rt, cpu, rt->pending_gtid[cpu], rt->pending_barrier[cpu],
			slot_outcome(rt, cpu));
	ghost_cpuset_zero(&rs.pending);
	rs.nr_pending = 0;
	return deferred;
}

/* The commit @cpu's agent made as it slept, if it is over (or @all). */
static void settle(struct rt *rt, int cpu, int all)
{
	int state = ghost_txn_state(&rt->enc, cpu);

	if (!all && (state == GHOST_TXN_READY || state == -1))
		return;
	inflight_set(rt, cpu, 0);
	outcome(rt, cpu, rt->inflight_gtid[cpu], rt->inflight_barrier[cpu],
		slot_outcome(rt, cpu));
}

/*
 * Report the commits agents made of their own CPU as they went to sleep.
 * Those still READY are not committed yet: left in flight, unless @all
 * (a swap), which withdraws them so that the policy that asked for them
 * learns every outcome before it hands over.  rt->lock held, and in
 * local rounds every round lock.
 */
void rt_settle_inflight(struct rt *rt, int all)
{
	int cpu;

	for (cpu = ghost_cpuset_next(&rt->inflight, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(&rt->inflight, cpu + 1))
		settle(rt, cpu, all);
}

/*
 * Withdraw the READY slots a previous agent left when it died between
 * its decision and its commit: nobody will commit them, and they would
 * refuse every request for their CPU.  Rounds paused, old agents gone.
 */
void rt_reset_slots(struct rt *rt)
{
	int i;

	for (i = 0; i < rt->nr_ecpus; i++) {
		if (ghost_txn_state(&rt->enc, rt->ecpus[i]) == GHOST_TXN_READY)
			ghost_txn_abort(&rt->enc, rt->ecpus[i]);
	}
}

/*
 * Entries published this round, for CPUs with no ghost thread: the
 * module would not notice them by itself.  After the commits, so that a
 * CPU that just got a thread is not kicked.
 */
static void kick(struct rt *rt)
{
	int ret;

	ret = ghost_dispatch_kick(&rt->enc, &rs.pushed);
	if (ret > 0)
		atomic_fetch_add(&rt->st.dispatched, ret);
	else if (ret < 0 && ret != rt->kick_err)
		fprintf(stderr, AGENT_NAME ": enclave %u: dispatch failed: %s\n",
			rt->id, strerror(-ret));
	if (ret < 0)
		rt->kick_err = ret;
	ghost_cpuset_zero(&rs.pushed);
}

/*
 * One round; rt->lock held.  Returns messages + commits seen, and in
 * *@own_commit whether the slot of @own is left for its agent to commit
 * (see commit()).
 */
static int round_locked(struct rt *rt, int own, int *own_commit)
{
	struct instance *in = rt->pol;
	int n, i, deferred = 0;

	rs.retry = 0;
	if (ghost_cpuset_next(&rt->inflight, 0) >= 0)
		rt_settle_inflight(rt, 0);
	hotplug_sync(rt, in);
	n = rt_drain(rt);
	if (in->ops->tick)
		in->ops->tick(&in->ctx, rt_now_ns());
	if (in->ops->model == GHOST_POLICY_CENTRALIZED) {
		in->ops->schedule(&in->ctx, -1);
	} else {
		for (i = 0; i < in->ctx.nr_cpus; i++)
			in->ops->schedule(&in->ctx, in->ctx.cpus[i]);
	}
	n += rs.nr_pending;
	if (rs.nr_pending)
		deferred = commit(rt, own);
	if (ghost_cpuset_count(&rs.pushed))
		kick(rt);
	atomic_fetch_add(&rt->st.rounds, 1);
	if (own_commit)
		*own_commit = deferred;
	return n;
}

/*
 * schedule() for @cpu, whose round lock the caller holds, and what it
 * asked for: committed (but for @own's, see commit()) or kicked from
 * here.  Its queue stays its agent's.  Returns the number of requests,
 * and in *@deferred whether @own's is left for its agent.
 */
static int decide_for(struct rt *rt, struct instance *in, int cpu, int own,
		      int *deferred)
{
	int n;

	rs.cpu = cpu;
	in->ops->schedule(&in->ctx, cpu);
	n = rs.nr_pending;
	*deferred = n ? commit(rt, own) : 0;
	if (ghost_cpuset_count(&rs.pushed))
		kick(rt);
	return n;
}

/* The queue @cpu's agent reads: its own, or the default one (rt->q_lock). */
static struct ghost_queue *round_queue(struct rt *rt, int cpu,
				       unsigned int **overflow_seen)
{
	struct cpu_queue *cq = cpu_queue(rt, cpu);

	*overflow_seen = cq ? &cq->overflow_seen : &rt->overflow_seen;
	return cq ? &cq->q : &rt->q;
}

/*
 * @cpu's local round, run by another agent while @cpu's sleeps (its round
 * lock is free; the caller now holds it): report its commit, read its
 * queue, decide for it.
 */
static void round_for(struct rt *rt, struct instance *in, int cpu)
{
	unsigned int *seen;
	struct ghost_queue *q = round_queue(rt, cpu, &seen);
	int n, deferred;

	rs.cpu = cpu;
	if (inflight_test(rt, cpu))
		settle(rt, cpu, 0);
	if (q == &rt->q)
		pthread_mutex_lock(&rt->q_lock);
	n = drain_queue(rt, q, seen);
	if (q == &rt->q)
		pthread_mutex_unlock(&rt->q_lock);
	if (n)
		atomic_fetch_add(&rt->st.msgs, n);
	decide_for(rt, in, cpu, -1, &deferred);
	atomic_fetch_add(&rt->st.helped_rounds, 1);
}

/*
 * Read the queues of the other CPUs whose agents sleep with messages
 * waiting.  Quiet ones wake no agent; some still need a decision: the
 * module defers a wakeup onto a CPU with entries listed, and wakes that
 * CPU's agents when the list runs out (or the CPU idles), but the wakeup
 * is in the queue of the thread's route, which follows the thread only
 * once the policy heard where it ran: often another CPU's queue.  Quiet
 * news of a block or an exit also leaves the policy's view of a CPU
 * stale (busy while it idles) until read, and this round's placements
 * would avoid it.
 */
static void help_sleepers(struct rt *rt, struct instance *in, int self)
{
	unsigned int *seen;
	int i, cpu;

	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		if (cpu == self ||
		    !ghost_queue_pending(round_queue(rt, cpu, &seen)) ||
		    pthread_mutex_trylock(&rt->round_lock[cpu]))
			continue;
		if (atomic_load(&rt->local) &&
		    my_turn(rt, &rt->agents[cpu], GHOST_POLICY_PER_CPU))
			round_for(rt, in, cpu);
		pthread_mutex_unlock(&rt->round_lock[cpu]);
	}
}

/*
 * The CPUs this round gave work to (ghost_policy_wake()).  One whose
 * round lock is free has its agent asleep: run its round here, which
 * saves waking that agent for it.  One whose lock is taken is in a round
 * of its own agent, which runs another before sleeping (request_round()),
 * or excluded by rt_lock(), after which it is told the same way.  Each
 * CPU once: what those decisions want in turn goes to its agent.
 */
static void help_rounds(struct rt *rt, struct instance *in, int self)
{
	struct ghost_cpuset done;
	struct agent_thread *b;
	int cpu;

	ghost_cpuset_zero(&done);
	while ((cpu = ghost_cpuset_next(&rs.wanted, 0)) >= 0) {
		ghost_cpuset_clear(&rs.wanted, cpu);
		b = &rt->agents[cpu];
		if (cpu == self) {
			/* Its own work, found late: one more round. */
			atomic_store(&b->round_asked, 1);
			continue;
		}
		if (ghost_cpuset_test(&done, cpu) ||
		    pthread_mutex_trylock(&rt->round_lock[cpu])) {
			request_round(b);
			continue;
		}
		ghost_cpuset_set(&done, cpu);
		if (atomic_load(&rt->local) &&
		    my_turn(rt, b, GHOST_POLICY_PER_CPU))
			round_for(rt, in, cpu);
		pthread_mutex_unlock(&rt->round_lock[cpu]);
	}
}

/*
 * A local round of @a's CPU; rt->round_lock[a->cpu] held.  The rounds of
 * sleeping agents with messages waiting (help_sleepers()), its own queue
 * (rt->q if it has none), its own CPU, then the CPUs it gave work to
 * (help_rounds()).  As round_locked().
 */
static int local_round(struct rt *rt, struct agent_thread *a, int *own_commit)
{
	struct instance *in = rt->pol;
	struct cpu_queue *cq = &rt->cpu_q[a->cpu];
	int n, deferred = 0;

	rs.retry = 0;
	rs.cpu = a->cpu;
	if (inflight_test(rt, a->cpu))
		settle(rt, a->cpu, 0);
	hotplug_sync(rt, in);
	help_sleepers(rt, in, a->cpu);
	rs.cpu = a->cpu;
	if (a->own_q) {
		n = drain_queue(rt, &cq->q, &cq->overflow_seen);
	} else {
		pthread_mutex_lock(&rt->q_lock);
		n = drain_queue(rt, &rt->q, &rt->overflow_seen);
		pthread_mutex_unlock(&rt->q_lock);
	}
	if (n)
		atomic_fetch_add(&rt->st.msgs, n);
	if (in->ops->tick)
		in->ops->tick(&in->ctx, rt_now_ns());
	n += decide_for(rt, in, a->cpu, a->cpu, &deferred);
	help_rounds(rt, in, a->cpu);
	rs.cpu = -1;
	atomic_fetch_add(&rt->st.rounds, 1);
	atomic_fetch_add(&rt->st.local_rounds, 1);
	*own_commit = deferred;
	return n;
}

/* ------------------------------------------------------------------ */
/* Agent threads                                                       */
/* ------------------------------------------------------------------ */

static void park(struct rt *rt, struct agent_thread *a)
{
	pthread_mutex_lock(&rt->park_lock);
	while (atomic_load(&rt->paused) && !atomic_load(&rt->stop) &&
	       !atomic_load(&a->retire))
		pthread_cond_wait(&rt->park_cond, &rt->park_lock);
	pthread_mutex_unlock(&rt->park_lock);
}

static int should_run(struct rt *rt, struct agent_thread *a)
{
	return !atomic_load(&rt->stop) && !atomic_load(&a->retire);
}

/* Is @a the agent that runs rounds under the current model? */
static int my_turn(struct rt *rt, struct agent_thread *a, int model)
{
	if (atomic_load(&rt->paused) || !should_run(rt, a) ||
	    atomic_load(&rt->model) != model)
		return 0;
	return model == GHOST_POLICY_PER_CPU || a->cpu == rt->global_cpu;
}

/*
 * The agent hands its CPU to the thread the round committed there and
 * sleeps, in one call.  The outcome is reported at the next round, at
 * once if the commit failed (the call does not sleep then: EAGAIN).
 */
static int commit_own_and_wait(struct rt *rt, struct agent_thread *a)
{
	struct ghost_cpuset set;
	int ret;

	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, a->cpu);
	ret = ghost_commit_wait(&rt->enc, &set, &agent_cw);
	/*
	 * Failed before committing: withdraw it; the next round reports it
	 * aborted.  A swap may have withdrawn it already.  A READY slot
	 * with the commit no longer in flight is not ours: another agent
	 * reported our commit while we slept and asked for the CPU again
	 * (the state's acquire orders the flag's clearing before it).
	 */
	if (ghost_txn_state(&rt->enc, a->cpu) == GHOST_TXN_READY &&
	    inflight_test(rt, a->cpu))
		ghost_txn_abort(&rt->enc, a->cpu);
	return ret;
}

/*
 * Another CPU's round gave @a's CPU work: @a runs a round before it
 * sleeps again.  The flag is set before the signal and read after the
 * head the agent waits for is set, so that neither is missed.
 */
static void request_round(struct agent_thread *a)
{
	if (!atomic_exchange(&a->round_asked, 1))
		kick_agent(a);
}

/* One round of a per-CPU agent, local or under rt->lock: 1 if it ran. */
static int per_cpu_round(struct rt *rt, struct agent_thread *a, int *own)
{
	int ran = 0;

	*own = 0;
	if (atomic_load(&rt->local)) {
		pthread_mutex_lock(&rt->round_lock[a->cpu]);
		if (atomic_load(&rt->local) &&
		    my_turn(rt, a, GHOST_POLICY_PER_CPU)) {
			local_round(rt, a, own);
			ran = 1;
		}
		pthread_mutex_unlock(&rt->round_lock[a->cpu]);
	} else {
		pthread_mutex_lock(&rt->lock);
		if (!atomic_load(&rt->local) &&
		    my_turn(rt, a, GHOST_POLICY_PER_CPU)) {
			round_locked(rt, a->cpu, own);
			ran = 1;
		}
		pthread_mutex_unlock(&rt->lock);
	}
	return ran;
}

static void per_cpu_iteration(struct rt *rt, struct agent_thread *a)
{
	struct ghost_queue *q = a->own_q ? &rt->cpu_q[a->cpu].q : &rt->q;
	unsigned int head;
	int again = 0, retries = 0, own = 0, ret;

	do {
		atomic_store(&a->round_asked, 0);
		head = ghost_queue_head(q);
		again = per_cpu_round(rt, a, &own) && rs.retry;
	} while (again && !own && ++retries < MAX_RETRIES);

	agent_cw.wait.head = head;
	agent_cw.wait.timeout_ms = again ? 1 : AGENT_IDLE_MS;
	/* Asked for a round meanwhile: do not sleep, as the signal would. */
	if (atomic_load(&a->round_asked))
		agent_cw.wait.head += 0x80000000U;
	if (own && atomic_load(&rt->stop)) {
		/* Leave no READY slot behind for the next agent. */
		ghost_txn_abort(&rt->enc, a->cpu);
		return;
	}
	if (own) {
		ret = commit_own_and_wait(rt, a);
	} else {
		if (atomic_load(&rt->paused) || !should_run(rt, a))
			return;
		ret = ghost_queue_wait(&rt->enc, &agent_cw.wait);
	}
	if (ret == -ENODEV || ret == -ENOENT) {
		/* The enclave is gone, or has no queue any more. */
		atomic_store(&rt->stop, 1);
	}
}

/*
 * Let a message in any CPU's queue wake the agent of the global CPU (@on),
 * or only that CPU's own agent: a centralized agent that sleeps must hear
 * of every message; under a per-CPU model the global CPU's agent must not
 * be woken for other CPUs' messages (it would preempt its CPU's thread
 * for nothing).  rt->lock held.  Returns 0, or the error that left it
 * off.
 */
int rt_wake_global(struct rt *rt, int on)
{
	struct ghost_cpuset set;
	struct cpu_queue *cq;
	int i, cpu, ret;

	if (rt->wake_global == on)
		return 0;
	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, rt->global_cpu);
	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		cq = cpu_queue(rt, cpu);
		if (cpu == rt->global_cpu || !cq)
			continue;
		ret = ghost_queue_set_wakeup(&rt->enc, &cq->q, on ? &set : NULL);
		if (ret && on) {
			rt->wake_global = 1;
			rt_wake_global(rt, 0);
			return ret;
		}
	}
	rt->wake_global = on;
	return 0;
}

/*
 * Has the policy nothing to decide until a CPU it serves becomes free,
 * and would the agent hear of that?  Each CPU has a ghost thread, and its
 * list says IDLE_WAKE: the policy's word that no decision is due before
 * a CPU goes idle (no time slice runs out), and the module's to wake the
 * agent when the thread leaves the CPU with nothing listed.  A CPU freed
 * between the policy's flag store and this look is missed only until
 * the agent's nap ends.
 */
static int every_cpu_taken(struct rt *rt)
{
	const struct ghost_cpu_word *w;
	const struct ghost_dispatch_list *dl;
	int i, cpu;
	__u32 f;

	ghost_smp_mb();
	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		if (cpu == rt->global_cpu)
			continue;
		w = ghost_sw_cpu(&rt->enc, cpu);
		if (!w || !ghost_load_relaxed(&w->gtid))
			return 0;
		dl = ghost_dispatch_list(&rt->enc, cpu);
		f = dl ? ghost_load_relaxed(&dl->flags) : 0;
		if (!(f & GHOST_DL_F_ENABLE) || !(f & GHOST_DL_F_IDLE_WAKE))
			return 0;
	}
	return 1;
}

/*
 * May the idle centralized agent sleep?  Only if no decision could be
 * made: every runnable thread is on a CPU (status words), or every CPU is
 * taken and the policy says it will have nothing to decide before one is
 * free (every_cpu_taken()).  Then only a message that wakes agents can
 * give it work, and that message moves agent_seq.  Messages still in the
 * queues are quiet ones (a message that wakes agents and came after the
 * round's agent_seq ends the sleep at once): the fast path's record of
 * what it did, which can wait for the next wakeup.
 */
static int nothing_waits(struct rt *rt)
{
	const struct ghost_status_word *w;
	unsigned int i;
	__u32 f;

	for (i = 0; (w = ghost_sw_word(&rt->enc, i)); i++) {
		f = ghost_load_acquire(&w->flags);
		if ((f & GHOST_SW_F_INUSE) && (f & GHOST_SW_TASK_RUNNABLE) &&
		    !(f & GHOST_SW_TASK_ONCPU))
			return every_cpu_taken(rt);
	}
	return 1;
}

/*
 * Sleep until a message that wakes agents arrives in any queue (the
 * global CPU's agent_seq as it was before the round that found nothing
 * to decide; quiet messages do not end the sleep), SIGUSR1 or the end of
 * a nap.  A nap that ends with nothing to do doubles the next, from
 * AGENT_NAP_MS up to AGENT_NAP_MAX_MS, and the agent goes back to sleep
 * at once: an idle enclave costs its vCPU few wakeups.  With a policy
 * tick() the nap stays AGENT_NAP_MS, what tick() may have to wait for.
 */
static void idle_sleep(struct rt *rt, struct agent_thread *a, __u32 seq,
		       int tick)
{
	unsigned int nap = a->nap_ms ? a->nap_ms : AGENT_NAP_MS;
	int ret;

	agent_cw.wait.head = ghost_queue_head(&rt->q);
	agent_cw.wait.agent_seq = seq;
	agent_cw.wait.flags = GHOST_WAIT_F_AGENT_SEQ | GHOST_WAIT_F_SEQ_ONLY;
	agent_cw.wait.timeout_ms = nap;
	/* After the fields: a kick from now on ends the wait. */
	if (atomic_load(&rt->paused) || !should_run(rt, a) ||
	    atomic_load(&rt->model) != GHOST_POLICY_CENTRALIZED)
		goto out;
	atomic_fetch_add(&rt->st.idle_sleeps, 1);
	ret = ghost_queue_wait(&rt->enc, &agent_cw.wait);
	if (ret == -ENODEV)
		atomic_store(&rt->stop, 1);
	a->napped = ret == -ETIMEDOUT;
	if (a->napped && !tick && nap < AGENT_NAP_MAX_MS)
		a->nap_ms = nap * 2;
out:
	agent_cw.wait.flags = 0;
	a->idle_since = 0;
}

/*
 * The centralized agent spins at the top real-time priority: a task
 * outside ghost that became runnable on its CPU (a kernel worker other
 * CPUs wait for, a user's task pinned there) would wait for real-time
 * throttling, or forever without it.  When the CPU word says one did, it
 * runs first, for up to STEP_ASIDE_MS; one still runnable then, or one
 * the module could not see arrive, gets its turn at the next look, which
 * comes STEP_ASIDE_MS later, or STEP_ASIDE_POLL_MS.
 */
static void step_aside(struct rt *rt, struct agent_thread *a,
		       const struct ghost_cpu_word *cw)
{
	int ret;

	a->wanted_seen = ghost_load_relaxed(&cw->wanted);
	ret = ghost_agent_step_aside(&rt->enc, STEP_ASIDE_MS);
	if (ret == 1 || ret == -ETIMEDOUT)
		atomic_fetch_add(&rt->st.stepped_aside, 1);
	a->step_next_ns = rt_now_ns() + (ret == -ETIMEDOUT ? STEP_ASIDE_MS :
					 STEP_ASIDE_POLL_MS) * 1000000ULL;
}

/* Step aside now?  The clock is read every STEP_ASIDE_ROUNDS rounds. */
static int step_aside_due(struct agent_thread *a,
			  const struct ghost_cpu_word *cw)
{
	if (ghost_load_relaxed(&cw->wanted) != a->wanted_seen)
		return 1;
	return !(++a->step_rounds % STEP_ASIDE_ROUNDS) &&
	       rt_now_ns() >= a->step_next_ns;
}

/*
 * One round of the centralized agent.  With --idle-sleep, the time it
 * has been idle counts from its last decision (a commit or a list entry):
 * the quiet messages it drains meanwhile, the fast path's record of what
 * it ran by itself, are no work for it.
 */
static void centralized_iteration(struct rt *rt, struct agent_thread *a)
{
	const struct ghost_cpu_word *cw = ghost_sw_cpu(&rt->enc, a->cpu);
	__u32 seq = cw ? ghost_load_acquire(&cw->agent_seq) : 0;
	int n = 0, busy = 0, turn, sleep = 0, tick = 0;
	uint64_t now, decided;

	if (cw && step_aside_due(a, cw))
		step_aside(rt, a, cw);
	pthread_mutex_lock(&rt->lock);
	turn = my_turn(rt, a, GHOST_POLICY_CENTRALIZED);
	if (turn) {
		decided = atomic_load(&rt->st.decisions);
		n = round_locked(rt, -1, NULL) || rs.retry;
		busy = rs.retry || atomic_load(&rt->st.decisions) != decided;
	}
	if (turn && !busy && rt->idle_sleep_ns && cw) {
		now = rt_now_ns();
		if (!a->idle_since)
			a->idle_since = now;
		/* Straight back to sleep after a nap that found nothing. */
		if (a->napped || now - a->idle_since >= rt->idle_sleep_ns) {
			/* Lists first: a message after them moves seq. */
			sleep = !rt_wake_global(rt, 1) && nothing_waits(rt);
			/* The look costs a scan: not again before a while. */
			a->idle_since = now;
			tick = rt->pol->ops->tick != NULL;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	if (busy || !sleep) {
		a->napped = 0;
		a->nap_ms = 0;
	}
	if (busy)
		a->idle_since = 0;
	else if (sleep)
		idle_sleep(rt, a, seq, tick);
	else if (!n)
		ghost_cpu_relax();
}

/* Idle agent of a centralized enclave: sleep until needed. */
static void idle_iteration(struct rt *rt, struct agent_thread *a)
{
	struct timespec ts = { 0, AGENT_WAIT_MS * 1000000L };

	nanosleep(&ts, NULL);
}

static int attach(struct rt *rt, struct agent_thread *a)
{
	struct timespec ts = { 0, 1000000 };
	int ret, waited = 0;

	for (;;) {
		ret = ghost_agent_attach(&rt->enc, a->cpu);
		if (ret != -EBUSY || atomic_load(&rt->stop))
			return ret;
		/* The previous agent of this CPU has not left yet. */
		if (++waited == ATTACH_WARN_MS)
			fprintf(stderr, AGENT_NAME ": CPU %d still has an agent; waiting for it to exit\n",
				a->cpu);
		nanosleep(&ts, NULL);
	}
}

/*
 * The agent waits on its CPU's queue, made by the CPU's first agent:
 * it gets the CPU's messages and those of threads committed to the CPU.
 * Without one it waits on the default queue.
 */
static void use_cpu_queue(struct rt *rt, struct agent_thread *a)
{
	struct cpu_queue *cq = &rt->cpu_q[a->cpu];
	int ret;

	if (!atomic_load_explicit(&cq->ready, memory_order_acquire)) {
		ret = ghost_queue_create_extra(&rt->enc, AGENT_CPU_QUEUE_ELEMS,
					       &cq->q);
		if (ret) {
			fprintf(stderr, AGENT_NAME ": CPU %d: no queue of its own (%s); using the default queue\n",
				a->cpu, strerror(-ret));
			return;
		}
		cq->qid = a->cpu + AGENT_DEFAULT_QID + 1;
		cq->overflow_seen = ghost_queue_overflow(&cq->q);
		atomic_store_explicit(&cq->ready, 1, memory_order_release);
	}
	ret = ghost_queue_assoc(&rt->enc, &cq->q, 0, 0, NULL);
	a->own_q = !ret;
	if (ret)
		fprintf(stderr, AGENT_NAME ": CPU %d: cannot wait on its queue (%s); using the default queue\n",
			a->cpu, strerror(-ret));
}

static void *agent_main(void *arg)
{
	struct agent_thread *a = arg;
	struct rt *rt = a->rt;
	sigset_t set;
	int model;

	a->err = attach(rt, a);
	if (a->err) {
		atomic_store(&a->done, 1);
		atomic_store(&a->attached, -1);
		return NULL;
	}
	if (a->cpu != rt->global_cpu)
		use_cpu_queue(rt, a);
	atomic_store(&a->attached, 1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (should_run(rt, a)) {
		if (atomic_load(&rt->paused)) {
			park(rt, a);
			continue;
		}
		model = atomic_load(&rt->model);
		if (model == GHOST_POLICY_PER_CPU)
			per_cpu_iteration(rt, a);
		else if (a->cpu == rt->global_cpu)
			centralized_iteration(rt, a);
		else
			idle_iteration(rt, a);
	}
	/* Exiting takes this thread out of the enclave's agents. */
	atomic_store(&a->done, 1);
	return NULL;
}

int rt_start_agent(struct rt *rt, int cpu)
{
	struct agent_thread *a = &rt->agents[cpu];
	pthread_attr_t attr;
	int ret;

	memset(a, 0, sizeof(*a));
	a->rt = rt;
	a->cpu = cpu;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, AGENT_STACK);
	ret = pthread_create(&a->th, &attr, agent_main, a);
	pthread_attr_destroy(&attr);
	if (ret)
		return -ret;
	a->started = 1;
	return 0;
}

/* 0 once @cpu's agent attached, or the error of its attach. */
int rt_wait_attached(struct rt *rt, int cpu)
{
	struct agent_thread *a = &rt->agents[cpu];
	struct timespec ts = { 0, 1000000 };
	int v;

	while (!(v = atomic_load(&a->attached)))
		nanosleep(&ts, NULL);
	return v > 0 ? 0 : (a->err ? a->err : -EIO);
}

static void kick_agent(struct agent_thread *a)
{
	if (a->started && !atomic_load(&a->done))
		pthread_kill(a->th, SIGUSR1);
}

/* Make @cpu's agent look at the state of things now, not at its next message. */
void rt_kick_agent(struct rt *rt, int cpu)
{
	kick_agent(&rt->agents[cpu]);
}

void rt_retire_agent(struct rt *rt, int cpu)
{
	struct agent_thread *a = &rt->agents[cpu];

	if (!a->started)
		return;
	atomic_store(&a->retire, 1);
	pthread_mutex_lock(&rt->park_lock);
	pthread_cond_broadcast(&rt->park_cond);
	pthread_mutex_unlock(&rt->park_lock);
	kick_agent(a);
}

/* Join the threads that finished. */
void rt_reap_agents(struct rt *rt)
{
	int cpu;

	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		struct agent_thread *a = &rt->agents[cpu];

		if (a->started && atomic_load(&a->retire)) {
			pthread_join(a->th, NULL);
			a->started = 0;
		}
	}
}

int rt_nr_agents(struct rt *rt)
{
	int cpu, n = 0;

	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		if (rt->agents[cpu].started &&
		    atomic_load(&rt->agents[cpu].attached) > 0 &&
		    !atomic_load(&rt->agents[cpu].done))
			n++;
	}
	return n;
}

void rt_stop_agents(struct rt *rt)
{
	struct timespec ts = { 0, 1000000 };
	int cpu;

	atomic_store(&rt->stop, 1);
	pthread_mutex_lock(&rt->park_lock);
	pthread_cond_broadcast(&rt->park_cond);
	pthread_mutex_unlock(&rt->park_lock);
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++)
		kick_agent(&rt->agents[cpu]);
	/*
	 * Join none before all are done: an agent in a local round may still
	 * signal another (request_round()), which must not be gone by then.
	 */
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		while (rt->agents[cpu].started &&
		       !atomic_load(&rt->agents[cpu].done))
			nanosleep(&ts, NULL);
	}
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		if (rt->agents[cpu].started) {
			pthread_join(rt->agents[cpu].th, NULL);
			rt->agents[cpu].started = 0;
		}
	}
}

/*
 * A round is short: spin for its lock rather than sleep, so that a swap's
 * blackout does not include waking this thread up.
 */
static void lock_spinning(pthread_mutex_t *m)
{
	uint64_t until = rt_now_ns() + PAUSE_SPIN_NS;

	while (pthread_mutex_trylock(m)) {
		if (rt_now_ns() > until) {
			pthread_mutex_lock(m);
			return;
		}
		ghost_cpu_relax();
	}
}

/*
 * Wait until no round runs, and keep it so until rt_unlock(): rt->lock
 * and every enclave CPU's round lock, in CPU order.
 */
static void lock_rounds(struct rt *rt)
{
	int i;

	lock_spinning(&rt->lock);
	for (i = 0; i < rt->nr_ecpus; i++)
		lock_spinning(&rt->round_lock[rt->ecpus[i]]);
}

void rt_lock(struct rt *rt)
{
	lock_rounds(rt);
}

void rt_unlock(struct rt *rt)
{
	int i;

	for (i = rt->nr_ecpus - 1; i >= 0; i--)
		pthread_mutex_unlock(&rt->round_lock[rt->ecpus[i]]);
	pthread_mutex_unlock(&rt->lock);
}

/*
 * Stop every round: once this returns no agent is in one, and none
 * starts another until rt_resume().  Returns with every round excluded
 * (rt_lock()).  Agents asleep in their wait stay asleep: they hold no
 * lock, and the first message after rt_resume() wakes them into the
 * current model.
 */
void rt_pause(struct rt *rt)
{
	atomic_store(&rt->paused, 1);
	lock_rounds(rt);
}

/*
 * Make @in the policy; every round excluded.  Its rounds are local if it
 * is per-CPU and says its callbacks may run at once (unless
 * --serial-rounds).
 */
void rt_install(struct rt *rt, struct instance *in)
{
	rt->pol = in;
	atomic_store(&rt->model, in->ops->model);
	atomic_store(&rt->local, in->ops->model == GHOST_POLICY_PER_CPU &&
		     (in->ops->flags & GHOST_POLICY_F_CONCURRENT) &&
		     !rt->serial_rounds);
}

void rt_resume(struct rt *rt)
{
	atomic_store(&rt->paused, 0);
	rt_unlock(rt);
	pthread_mutex_lock(&rt->park_lock);
	pthread_cond_broadcast(&rt->park_cond);
	pthread_mutex_unlock(&rt->park_lock);
}

/*
 * A spinning agent uses up the real-time budget of its CPU: with the
 * default sched_rt_runtime_us the kernel stops it for the rest of every
 * period, and no decision is made meanwhile.  Said once per process.
 */
void rt_check_throttling(void)
{
	static int warned;
	long runtime = -1, period = 0;
	FILE *f;

	if (warned)
		return;
	f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "r");
	if (f) {
		if (fscanf(f, "%ld", &runtime) != 1)
			runtime = -1;
		fclose(f);
	}
	f = fopen("/proc/sys/kernel/sched_rt_period_us", "r");
	if (f) {
		if (fscanf(f, "%ld", &period) != 1)
			period = 0;
		fclose(f);
	}
	if (runtime < 0 || runtime >= period)
		return;
	warned = 1;
	fprintf(stderr, AGENT_NAME ": warning: kernel.sched_rt_runtime_us is %ld of %ld: the spinning agent of a centralized policy stops for %ld ms of every %ld ms; set it to -1 on a machine dedicated to ghost\n",
		runtime, period, (period - runtime) / 1000, period / 1000);
}

/* CPU_TICK messages only for a policy that wants them. */
void rt_apply_ticks(struct rt *rt, const struct ghost_policy_ops *ops)
{
	unsigned int want = !!(ops->flags & GHOST_POLICY_F_TICKS);
	int ret;

	ret = ghost_enclave_set_tunable(rt->id, "deliver_ticks", want);
	if (ret && want)
		fprintf(stderr, AGENT_NAME ": enclave %u: cannot turn ticks on: %s\n",
			rt->id, strerror(-ret));
}

int rt_init(struct rt *rt)
{
	struct sigaction sa;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the wait must return with EINTR. */
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	pthread_mutex_init(&rt->lock, NULL);
	for (ret = 0; ret < GHOST_MAX_CPUS; ret++)
		pthread_mutex_init(&rt->round_lock[ret], NULL);
	pthread_mutex_init(&rt->q_lock, NULL);
	pthread_mutex_init(&rt->hp_lock, NULL);
	pthread_mutex_init(&rt->tab_lock, NULL);
	pthread_mutex_init(&rt->park_lock, NULL);
	pthread_cond_init(&rt->park_cond, NULL);
	ret = gp_table_init(&rt->threads, AGENT_MAX_THREADS);
	if (ret)
		return ret;
	ret = gp_table_init(&rt->routes, AGENT_MAX_THREADS);
	if (ret) {
		gp_table_free(&rt->threads);
		return ret;
	}
	ret = gp_table_init(&rt->affinity, AGENT_MAX_THREADS);
	if (ret) {
		gp_table_free(&rt->threads);
		gp_table_free(&rt->routes);
		return ret;
	}
	atomic_store(&rt->paused, 1);
	rt->start_ns = rt_now_ns();
	return 0;
}

static void free_affinity(struct rt *rt)
{
	unsigned int i;

	if (!rt->affinity.slots)
		return;
	for (i = 0; i <= rt->affinity.mask; i++) {
		if (rt->affinity.slots[i].key)
			free(rt->affinity.slots[i].val);
	}
	gp_table_free(&rt->affinity);
}

void rt_destroy(struct rt *rt)
{
	int cpu;

	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++) {
		if (atomic_load(&rt->cpu_q[cpu].ready))
			ghost_queue_close(&rt->cpu_q[cpu].q);
		atomic_store(&rt->cpu_q[cpu].ready, 0);
	}
	gp_table_free(&rt->threads);
	gp_table_free(&rt->routes);
	free_affinity(rt);
	hints_free(rt);
	free(rt->state_buf);
	rt->state_buf = NULL;
}
