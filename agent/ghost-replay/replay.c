// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-replay's engine (replay.h).
 *
 * Scopes.  The "out" events (recfmt.h) of an instance that follow one of
 * its "in" events, up to its next "in" event, are what happened during
 * that call: the scope of the call.  While the plugin runs a call, its
 * requests are compared with the scope's decisions in order, and its
 * questions are answered with the scope's facts of the same kind and
 * arguments, in order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ghost/libghost.h>
#include <ghost/policy.h>

#include "replay.h"

/* The largest state a replayed export_state() may write. */
#define EXPORT_MAX	(64U << 20)

struct rinst {
	unsigned int id;
	struct ghost_policy_lib lib;
	const struct ghost_policy_ops *ops;
	struct ghost_policy_ctx ctx;
	struct recinst rec;
	const char *opts[GHOST_REC_MAX_OPTS + 1];
	struct replay *rp;
};

struct replay {
	const struct recfile *f;
	const struct replay_opts *o;
	struct replay_result *res;
	struct rinst *inst[REC_MAX_INST + 1];
	size_t *scope_end;		/* of each "in" event */
	/* The call being replayed. */
	size_t in;			/* its event */
	size_t end;			/* its scope is (in, end) */
	size_t dcur;			/* next decision to compare */
	size_t qcur[64];		/* next fact, by type - REC_NOW */
	__u64 last_now;
	int diverged;
};

static int is_in(unsigned int type)
{
	return type >= REC_INIT && type <= REC_IMPORT;
}

static int is_decision(unsigned int type)
{
	return type >= REC_RET && type <= REC_ERROR;
}

static struct rinst *rinst_of(struct ghost_policy_ctx *ctx)
{
	return ctx->host_data;
}

/* ------------------------------------------------------------------ */
/* Describing events and requests                                      */
/* ------------------------------------------------------------------ */

static const char *txn_state_name(int state)
{
	static const char *const names[] = {
		[GHOST_TXN_COMPLETE] = "committed",
		[GHOST_TXN_TARGET_STALE] = "TARGET_STALE",
		[GHOST_TXN_TARGET_NOT_FOUND] = "TARGET_NOT_FOUND",
		[GHOST_TXN_TARGET_NOT_RUNNABLE] = "TARGET_NOT_RUNNABLE",
		[GHOST_TXN_TARGET_ONCPU] = "TARGET_ONCPU",
		[GHOST_TXN_CPU_UNAVAIL] = "CPU_UNAVAIL",
		[GHOST_TXN_INVALID_CPU] = "INVALID_CPU",
		[GHOST_TXN_INVALID_TARGET] = "INVALID_TARGET",
		[GHOST_TXN_INVALID_FLAGS] = "INVALID_FLAGS",
		[GHOST_TXN_NO_AGENT] = "NO_AGENT",
		[GHOST_TXN_ABORTED] = "ABORTED",
		[GHOST_TXN_CPU_NOT_ALLOWED] = "CPU_NOT_ALLOWED",
	};

	if (state > 0 && state < (int)(sizeof(names) / sizeof(names[0])) &&
	    names[state])
		return names[state];
	return "unknown";
}

static const char *msg_name(unsigned int type)
{
	switch (type) {
	case GHOST_MSG_TASK_NEW:		return "TASK_NEW";
	case GHOST_MSG_TASK_WAKEUP:		return "TASK_WAKEUP";
	case GHOST_MSG_TASK_BLOCKED:		return "TASK_BLOCKED";
	case GHOST_MSG_TASK_PREEMPT:		return "TASK_PREEMPT";
	case GHOST_MSG_TASK_YIELD:		return "TASK_YIELD";
	case GHOST_MSG_TASK_DEAD:		return "TASK_DEAD";
	case GHOST_MSG_TASK_DEPARTED:		return "TASK_DEPARTED";
	case GHOST_MSG_TASK_AFFINITY_CHANGED:	return "TASK_AFFINITY_CHANGED";
	case GHOST_MSG_TASK_ON_CPU:		return "TASK_ON_CPU";
	case GHOST_MSG_TASK_PRIORITY_CHANGED:	return "TASK_PRIORITY_CHANGED";
	case GHOST_MSG_TASK_LATCHED:		return "TASK_LATCHED";
	case GHOST_MSG_CPU_TICK:		return "CPU_TICK";
	case GHOST_MSG_CPU_AVAILABLE:		return "CPU_AVAILABLE";
	case GHOST_MSG_CPU_BUSY:		return "CPU_BUSY";
	case GHOST_MSG_CPU_OFFLINE:		return "CPU_OFFLINE";
	case GHOST_MSG_CPU_ONLINE:		return "CPU_ONLINE";
	default:				return "unknown message";
	}
}

/* The call of "in" event @e, e.g. "schedule(cpu 1)". */
static void describe_in(const struct recev *e, char *buf, size_t len)
{
	struct rec_commit_done cd;
	struct rec_cpu c;
	struct rec_u64 u;
	struct ghost_msg m;
	__u64 gtid = 0;

	switch (e->type) {
	case REC_MSG:
		memcpy(&m, e->p, sizeof(m));
		if (m.type < GHOST_MSG_CPU_TICK &&
		    e->len >= sizeof(m) + sizeof(gtid))
			memcpy(&gtid, (const char *)e->p + sizeof(m),
			       sizeof(gtid));
		if (gtid)
			snprintf(buf, len, "message %s of thread %llu (barrier %u)",
				 msg_name(m.type), (unsigned long long)gtid,
				 m.seqnum);
		else
			snprintf(buf, len, "message %s", msg_name(m.type));
		break;
	case REC_SCHEDULE:
		memcpy(&c, e->p, sizeof(c));
		snprintf(buf, len, "schedule(cpu %d)", c.cpu);
		break;
	case REC_TICK:
		memcpy(&u, e->p, sizeof(u));
		snprintf(buf, len, "tick(%llu)", (unsigned long long)u.v);
		break;
	case REC_COMMIT_DONE:
		memcpy(&cd, e->p, sizeof(cd));
		snprintf(buf, len, "commit_done(cpu %d, thread %llu, %s)",
			 cd.cpu, (unsigned long long)cd.gtid,
			 txn_state_name(cd.state));
		break;
	default:
		snprintf(buf, len, "%s()", recfile_type_name(e->type));
		break;
	}
}

/* A request: "run thread 12 on CPU 1 (barrier 3)". */
struct req {
	unsigned int type;
	__u64 gtid;
	int cpu;
	__u32 arg;			/* barrier, flags */
	long ret;			/* REC_RET */
	const char *reason;		/* REC_ERROR */
	unsigned int call;		/* REC_RET: the "in" type */
};

static void describe_req(const struct req *r, char *buf, size_t len)
{
	switch (r->type) {
	case REC_RUN:
		if (r->gtid == GHOST_NULL_GTID)
			snprintf(buf, len, "leave CPU %d idle", r->cpu);
		else
			snprintf(buf, len, "run thread %llu on CPU %d (barrier %u)",
				 (unsigned long long)r->gtid, r->cpu, r->arg);
		break;
	case REC_DL_PUSH:
		snprintf(buf, len, "list thread %llu next on CPU %d (barrier %u)",
			 (unsigned long long)r->gtid, r->cpu, r->arg);
		break;
	case REC_DL_FLAGS:
		snprintf(buf, len, "set the dispatch list flags of CPU %d to %#x",
			 r->cpu, r->arg);
		break;
	case REC_ERROR:
		snprintf(buf, len, "give up: %s", r->reason);
		break;
	case REC_RET:
		snprintf(buf, len, "return %ld from %s (dispatch flags %#x)",
			 r->ret, recfile_type_name(r->call), r->arg);
		break;
	default:
		snprintf(buf, len, "nothing more in this call");
		break;
	}
}

/* The recorded request of event @e. */
static void req_of(const struct recev *e, unsigned int call, struct req *r)
{
	struct rec_dl_flags fl;
	struct rec_run run;
	struct rec_ret ret;

	memset(r, 0, sizeof(*r));
	r->type = e->type;
	switch (e->type) {
	case REC_RUN:
	case REC_DL_PUSH:
		memcpy(&run, e->p, sizeof(run));
		r->gtid = run.gtid;
		r->cpu = run.cpu;
		r->arg = run.barrier;
		r->ret = run.ret;
		break;
	case REC_DL_FLAGS:
		memcpy(&fl, e->p, sizeof(fl));
		r->cpu = fl.cpu;
		r->arg = fl.flags;
		r->ret = fl.ret;
		break;
	case REC_ERROR:
		r->reason = e->p;
		break;
	case REC_RET:
		memcpy(&ret, e->p, sizeof(ret));
		r->ret = ret.ret;
		r->arg = ret.dispatch_flags;
		r->call = call;
		break;
	}
}

static int req_equal(const struct req *a, const struct req *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case REC_RUN:
	case REC_DL_PUSH:
		return a->gtid == b->gtid && a->cpu == b->cpu &&
		       a->arg == b->arg;
	case REC_DL_FLAGS:
		return a->cpu == b->cpu && a->arg == b->arg;
	case REC_ERROR:
		return !strcmp(a->reason, b->reason);
	case REC_RET:
		return a->ret == b->ret && a->arg == b->arg;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Comparing                                                           */
/* ------------------------------------------------------------------ */

static void diverge(struct replay *rp, size_t at, const char *recorded,
		    const char *replayed)
{
	const struct recev *in = &rp->f->ev[rp->in];
	struct replay_result *res = rp->res;
	struct rinst *ri = rp->inst[in->inst];
	char call[160];

	if (rp->diverged)
		return;
	rp->diverged = 1;
	describe_in(in, call, sizeof(call));
	res->differs = 1;
	res->event = at;
	res->time_ns = in->time_ns;
	snprintf(res->what, sizeof(res->what),
		 "first difference at event %zu, t=%llu.%06llu s, in %s of policy %s (event %zu):\n"
		 "  recorded: %s\n"
		 "  replayed: %s",
		 at, (unsigned long long)(in->time_ns / 1000000000ULL),
		 (unsigned long long)(in->time_ns % 1000000000ULL / 1000),
		 call, ri ? ri->ops->name : "?", rp->in, recorded, replayed);
}

/* The next decision of the scope, or rp->end. */
static size_t next_decision(struct replay *rp)
{
	const struct recev *ev = rp->f->ev;
	unsigned int inst = ev[rp->in].inst;
	size_t i;

	for (i = rp->dcur; i < rp->end; i++) {
		if (ev[i].inst == inst && is_decision(ev[i].type))
			return i;
	}
	return rp->end;
}

/*
 * The plugin made request @r: compare it with the next recorded one.
 * Returns what the runtime answered then (or, past a difference, a
 * refusal: nothing the plugin does from then on is compared).
 */
static long decide(struct replay *rp, const struct req *r)
{
	char want[300], got[300];
	struct req rec;
	size_t i;

	if (rp->diverged)
		return -ECANCELED;
	i = next_decision(rp);
	describe_req(r, got, sizeof(got));
	if (i == rp->end) {
		diverge(rp, rp->in, "nothing more in this call", got);
		return -ECANCELED;
	}
	req_of(&rp->f->ev[i], rp->f->ev[rp->in].type, &rec);
	if (!req_equal(&rec, r)) {
		describe_req(&rec, want, sizeof(want));
		diverge(rp, i, want, got);
		return -ECANCELED;
	}
	rp->dcur = i + 1;
	rp->res->decisions++;
	return rec.ret;
}

/* After a call: the recorded decisions the plugin did not make. */
static void check_missing(struct replay *rp)
{
	char want[300];
	struct req rec;
	size_t i;

	if (rp->diverged)
		return;
	i = next_decision(rp);
	if (i == rp->end)
		return;
	req_of(&rp->f->ev[i], rp->f->ev[rp->in].type, &rec);
	describe_req(&rec, want, sizeof(want));
	diverge(rp, i, want, "nothing more in this call");
}

/*
 * The next recorded fact of @type in the scope for which @match() holds
 * (the plugin's question), or NULL: then the plugin asks what the
 * recorded policy did not, and gets a neutral answer.
 */
static const struct recev *fact(struct replay *rp, unsigned int type,
				int (*match)(const struct recev *, const void *),
				const void *arg)
{
	const struct recev *ev = rp->f->ev;
	unsigned int inst = ev[rp->in].inst;
	size_t *cur = &rp->qcur[type - REC_NOW];
	size_t i;

	if (rp->diverged)
		return NULL;
	if (*cur <= rp->in)
		*cur = rp->in + 1;
	for (i = *cur; i < rp->end; i++) {
		if (ev[i].inst != inst || ev[i].type != type)
			continue;
		if (!match || match(&ev[i], arg)) {
			*cur = i + 1;
			return &ev[i];
		}
		break;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The services the plugin gets                                        */
/* ------------------------------------------------------------------ */

static int r_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		 __u32 barrier)
{
	struct req r = { .type = REC_RUN, .gtid = gtid, .cpu = cpu,
			 .arg = barrier };

	return decide(rinst_of(ctx)->rp, &r);
}

static int r_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		     __u32 barrier)
{
	struct req r = { .type = REC_DL_PUSH, .gtid = gtid, .cpu = cpu,
			 .arg = barrier };

	return decide(rinst_of(ctx)->rp, &r);
}

static int r_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			  __u32 flags)
{
	struct req r = { .type = REC_DL_FLAGS, .cpu = cpu, .arg = flags };

	return decide(rinst_of(ctx)->rp, &r);
}

static void r_error(struct ghost_policy_ctx *ctx, const char *reason)
{
	struct req r = { .type = REC_ERROR, .reason = reason };

	decide(rinst_of(ctx)->rp, &r);
}

static void r_log(struct ghost_policy_ctx *ctx, const char *msg)
{
	struct rinst *ri = rinst_of(ctx);

	if (ri->rp->o->verbose)
		fprintf(ri->rp->o->verbose, "policy %s: %s\n", ri->ops->name,
			msg);
}

static __u64 r_now(struct ghost_policy_ctx *ctx)
{
	struct replay *rp = rinst_of(ctx)->rp;
	const struct recev *e = fact(rp, REC_NOW, NULL, NULL);
	struct rec_u64 u;

	if (e) {
		memcpy(&u, e->p, sizeof(u));
		rp->last_now = u.v;
	}
	return rp->last_now;
}

static int match_task(const struct recev *e, const void *arg)
{
	const struct rec_task *want = arg;
	struct rec_task t;

	memcpy(&t, e->p, sizeof(t));
	return t.gtid == want->gtid && t.cpu == want->cpu;
}

static int r_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	struct rec_task t = { .gtid = gtid, .cpu = -1 };
	const struct recev *e;

	e = fact(rinst_of(ctx)->rp, REC_TASK_CPU, match_task, &t);
	if (!e)
		return -1;
	memcpy(&t, e->p, sizeof(t));
	return t.ret;
}

static int r_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid, int cpu)
{
	struct rec_task t = { .gtid = gtid, .cpu = cpu };
	const struct recev *e;

	e = fact(rinst_of(ctx)->rp, REC_ALLOWED, match_task, &t);
	if (!e)
		return 1;
	memcpy(&t, e->p, sizeof(t));
	return t.ret;
}

static int match_cpu(const struct recev *e, const void *arg)
{
	__s32 cpu;

	memcpy(&cpu, e->p, sizeof(cpu));
	return cpu == *(const int *)arg;
}

static int r_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	const struct recev *e;
	struct rec_cpu c;

	e = fact(rinst_of(ctx)->rp, REC_DL_OUT, match_cpu, &cpu);
	if (!e)
		return 0;
	memcpy(&c, e->p, sizeof(c));
	return c.ret;
}

static int r_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			struct ghost_dispatch_entry *out, int max)
{
	struct rec_dl_entries d;
	const struct recev *e;

	e = fact(rinst_of(ctx)->rp, REC_DL_ENTRIES, match_cpu, &cpu);
	if (!e)
		return 0;
	memcpy(&d, e->p, sizeof(d));
	if (d.max != max)
		return 0;
	if (d.ret > 0)
		memcpy(out, (const char *)e->p + sizeof(d),
		       d.ret * sizeof(*out));
	return d.ret;
}

static int match_gtid(const struct recev *e, const void *arg)
{
	__u64 gtid;

	memcpy(&gtid, e->p, sizeof(gtid));
	return gtid == *(const __u64 *)arg;
}

static int r_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
		  struct ghost_app_hint *out)
{
	const struct recev *e;
	struct rec_hint h;

	e = fact(rinst_of(ctx)->rp, REC_HINT, match_gtid, &gtid);
	if (!e)
		return -ENOENT;
	memcpy(&h, e->p, sizeof(h));
	if (!h.ret)
		*out = h.hint;
	return h.ret;
}

static const struct ghost_policy_host replay_host = {
	.run		= r_run,
	.now_ns		= r_now,
	.task_cpu	= r_task_cpu,
	.log		= r_log,
	.error		= r_error,
	.dl_push	= r_dl_push,
	.dl_outstanding	= r_dl_outstanding,
	.dl_set_flags	= r_dl_set_flags,
	.dl_entries	= r_dl_entries,
	.task_allowed	= r_task_allowed,
	.hint		= r_hint,
};

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

static const char *model_name(int model)
{
	return model == GHOST_POLICY_CENTRALIZED ? "centralized" : "per_cpu";
}

/* REC_INSTANCE @i: load its plugin.  0, 1 (differs) or -errno. */
static int new_instance(struct replay *rp, size_t i, char *msg, size_t len)
{
	const struct recev *e = &rp->f->ev[i];
	const struct replay_opts *o = rp->o;
	char why[600], a[300], b[300];
	struct ghost_policy_ctx *ctx;
	const char *name;
	struct rinst *ri;
	int first = e->inst == 1, n, ret;

	ri = calloc(1, sizeof(*ri));
	if (!ri) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	ri->id = e->inst;
	ri->rp = rp;
	recfile_instance(e, &ri->rec);
	rp->inst[e->inst] = ri;
	/*
	 * The first policy is the plugin under test; those swapped in
	 * later are the recorded ones, by path, or else by name.
	 */
	name = first ? o->policy : ri->rec.path;
	if (!first && access(name, R_OK))
		name = ri->rec.name;
	ret = ghost_policy_open(name, o->dirs, &ri->lib, why, sizeof(why));
	if (ret) {
		snprintf(msg, len, "%s%s", first ? "" :
			 "the recording swaps to a policy that cannot be loaded: ",
			 why);
		return ret;
	}
	ri->ops = ri->lib.ops;
	for (n = 0; first && o->use_opts && o->opts[n] &&
	     n < GHOST_REC_MAX_OPTS; n++)
		ri->opts[n] = o->opts[n];
	for (n = 0; !(first && o->use_opts) && ri->rec.opts[n]; n++)
		ri->opts[n] = ri->rec.opts[n];

	ctx = &ri->ctx;
	ctx->size = sizeof(*ctx);
	ctx->enclave_id = rp->f->hdr->enclave_id;
	ctx->model = ri->ops->model;
	ctx->global_cpu = ri->rec.ri.global_cpu;
	ctx->nr_cpu_ids = rp->f->hdr->nr_cpu_ids;
	ctx->nr_cpus = ri->rec.ri.nr_cpus;
	ctx->cpus = ri->rec.cpus;
	ctx->cpu_node = rp->f->cpu_node;
	ctx->host = &replay_host;
	ctx->host_size = sizeof(replay_host);
	ctx->host_data = ri;
	ctx->dispatch_flags = ri->ops->dispatch_flags;

	if (ri->ops->model != ri->rec.ri.model) {
		rp->in = i;
		snprintf(a, sizeof(a), "policy %s, model %s", ri->rec.name,
			 model_name(ri->rec.ri.model));
		snprintf(b, sizeof(b), "policy %s, model %s: its decisions are for other CPUs",
			 ri->ops->name, model_name(ri->ops->model));
		diverge(rp, i, a, b);
		return 1;
	}
	return 0;
}

static void free_instances(struct replay *rp)
{
	int i;

	for (i = 0; i <= REC_MAX_INST; i++) {
		if (!rp->inst[i])
			continue;
		ghost_policy_close(&rp->inst[i]->lib);
		free(rp->inst[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

static void ret_decision(struct replay *rp, struct rinst *ri, long ret)
{
	struct req r = {
		.type = REC_RET,
		.ret = ret,
		.arg = ri->ctx.dispatch_flags,
		.call = rp->f->ev[rp->in].type,
	};

	decide(rp, &r);
}

/* Replay "in" event @e into @ri; 0 or -ENOMEM. */
static int call(struct replay *rp, struct rinst *ri, const struct recev *e)
{
	const struct ghost_policy_ops *ops = ri->ops;
	struct ghost_policy_ctx *ctx = &ri->ctx;
	struct rec_commit_done cd;
	struct rec_cpu c;
	struct rec_u64 u;
	union {
		struct ghost_msg m;
		__u64 align;
		char b[65536];
	} *mbuf;
	void *buf;
	long ret;

	switch (e->type) {
	case REC_INIT:
		ctx->priv = NULL;
		ret_decision(rp, ri, ops->init(ctx, ri->opts));
		break;
	case REC_FINI:
		if (ops->fini)
			ops->fini(ctx);
		ctx->priv = NULL;
		break;
	case REC_MSG:
		mbuf = malloc(sizeof(*mbuf));
		if (!mbuf)
			return -ENOMEM;
		memcpy(mbuf->b, e->p, e->len);
		ghost_policy_dispatch(ops, ctx, &mbuf->m);
		free(mbuf);
		break;
	case REC_SCHEDULE:
		memcpy(&c, e->p, sizeof(c));
		ops->schedule(ctx, c.cpu);
		break;
	case REC_TICK:
		memcpy(&u, e->p, sizeof(u));
		if (ops->tick)
			ops->tick(ctx, u.v);
		break;
	case REC_COMMIT_DONE:
		memcpy(&cd, e->p, sizeof(cd));
		if (ops->commit_done)
			ops->commit_done(ctx, cd.cpu, cd.gtid, cd.state);
		break;
	case REC_EXPORT:
		memcpy(&u, e->p, sizeof(u));
		if (u.v > EXPORT_MAX)
			u.v = EXPORT_MAX;
		buf = malloc(u.v ? u.v : 1);
		if (!buf)
			return -ENOMEM;
		ret = ops->export_state ? ops->export_state(ctx, buf, u.v) :
		      -EOPNOTSUPP;
		free(buf);
		ret_decision(rp, ri, ret);
		break;
	case REC_IMPORT:
		buf = malloc(e->len ? e->len : 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, e->p, e->len);
		ret = ops->import_state ? ops->import_state(ctx, buf, e->len) :
		      -EOPNOTSUPP;
		free(buf);
		ret_decision(rp, ri, ret);
		break;
	}
	return 0;
}

/* Where each "in" event's scope ends: the next "in" of its instance. */
static int scopes(struct replay *rp)
{
	const struct recfile *f = rp->f;
	size_t *next, i;

	rp->scope_end = malloc(f->nr_ev * sizeof(*rp->scope_end));
	next = malloc((REC_MAX_INST + 1) * sizeof(*next));
	if (!rp->scope_end || !next) {
		free(next);
		return -ENOMEM;
	}
	for (i = 0; i <= REC_MAX_INST; i++)
		next[i] = f->nr_ev - 1;		/* the end marker */
	for (i = f->nr_ev; i-- > 0;) {
		rp->scope_end[i] = next[f->ev[i].inst];
		if (is_in(f->ev[i].type))
			next[f->ev[i].inst] = i;
	}
	free(next);
	return 0;
}

int replay_run(const struct recfile *f, const struct replay_opts *o,
	       struct replay_result *res, char *msg, size_t len)
{
	struct replay *rp;
	const struct recev *e;
	struct rec_swap sw;
	size_t i;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	rp = calloc(1, sizeof(*rp));
	if (!rp || (rp->f = f, scopes(rp))) {
		free(rp);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	rp->o = o;
	rp->res = res;
	for (i = 0; i < f->nr_ev && !ret && !rp->diverged; i++) {
		e = &f->ev[i];
		if (e->type == REC_INSTANCE) {
			ret = new_instance(rp, i, msg, len);
			continue;
		}
		if (e->type == REC_SWAP) {
			memcpy(&sw, e->p, sizeof(sw));
			res->swaps++;
			if (o->verbose)
				fprintf(o->verbose, "event %zu: swap to policy %s, hand-over by %s\n",
					i, (const char *)e->p + sizeof(sw),
					(const char *)e->p + sizeof(sw) +
					strlen((const char *)e->p +
					       sizeof(sw)) + 1);
			continue;
		}
		if (!is_in(e->type))
			continue;
		/* A call the recording stopped in the middle of: stop. */
		if (f->limited && rp->scope_end[i] == f->nr_ev - 1) {
			res->stopped_early = 1;
			break;
		}
		rp->in = i;
		rp->end = rp->scope_end[i];
		rp->dcur = i + 1;
		ret = call(rp, rp->inst[e->inst], e);
		if (ret)
			snprintf(msg, len, "out of memory");
		else
			check_missing(rp);
	}
	if (f->limited)
		res->stopped_early = 1;
	free_instances(rp);
	free(rp->scope_end);
	free(rp);
	if (ret < 0)
		return ret;
	return res->differs ? 1 : 0;
}
