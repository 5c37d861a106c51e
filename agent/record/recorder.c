// SPDX-License-Identifier: GPL-2.0
/*
 * The recorder of ghost-agent --record (recorder.h, format in recfmt.h).
 *
 * Events are appended to a buffer under one mutex and written out when it
 * fills and at the end, so a round of the agent costs a few copies, not
 * system calls.  The file never grows past its maximum size: the event
 * that would not fit is replaced by REC_LIMIT and recording stops, while
 * scheduling goes on.  A write error stops it too (the file is then
 * incomplete, and ghost-replay says so).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <ghost/libghost.h>

#include "recfmt.h"
#include "recorder.h"

#define REC_BUF_SIZE	(1 << 20)

struct recorder {
	pthread_mutex_t lock;
	int fd;
	char *path;
	uint64_t max;
	uint64_t size;		/* bytes written or buffered */
	uint64_t t0;		/* CLOCK_MONOTONIC at rec_begin() */
	int begun;
	int stopped;
	unsigned int next_inst;
	size_t fill;
	char buf[REC_BUF_SIZE];
};

/* One policy instance followed: ctx->host points at @host. */
struct rec_bind {
	struct ghost_policy_host host;	/* first: see bind_of() */
	struct ghost_policy_ops ops;
	const struct ghost_policy_ops *real;
	const struct ghost_policy_host *inner;
	__u32 inner_size;
	struct recorder *r;
	unsigned int inst;
};

static struct rec_bind *bind_of(struct ghost_policy_ctx *ctx)
{
	return (struct rec_bind *)ctx->host;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Write out the buffer; lock held.  Stops the recording on error. */
static int flush_locked(struct recorder *r)
{
	size_t off = 0;
	ssize_t n;

	while (off < r->fill) {
		n = write(r->fd, r->buf + off, r->fill - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			fprintf(stderr, "ghost-agent: cannot write the recording %s: %s; recording stopped (the file is incomplete)\n",
				r->path, strerror(err));
			r->stopped = 1;
			r->fill = 0;
			return -err;
		}
		off += n;
	}
	r->fill = 0;
	return 0;
}

static void put_locked(struct recorder *r, const void *p, size_t len)
{
	size_t n;

	while (len && !r->stopped) {
		if (r->fill == sizeof(r->buf) && flush_locked(r))
			return;
		n = sizeof(r->buf) - r->fill;
		if (n > len)
			n = len;
		memcpy(r->buf + r->fill, p, n);
		r->fill += n;
		p = (const char *)p + n;
		len -= n;
	}
}

static void put_ev_locked(struct recorder *r, unsigned int inst,
			  unsigned int type, size_t len)
{
	struct rec_ev ev = {
		.type = type,
		.inst = inst,
		.len = len,
		.time_ns = mono_ns() - r->t0,
	};

	put_locked(r, &ev, sizeof(ev));
	r->size += sizeof(ev) + len;
}

/*
 * Append one event whose payload is @a then @b (either may be empty).
 * Room is always kept for REC_LIMIT.
 */
static void emit(struct recorder *r, unsigned int inst, unsigned int type,
		 const void *a, size_t al, const void *b, size_t bl)
{
	size_t need = sizeof(struct rec_ev) + al + bl;

	pthread_mutex_lock(&r->lock);
	if (r->stopped || !r->begun)
		goto out;
	if (r->max && r->size + need + sizeof(struct rec_ev) > r->max) {
		put_ev_locked(r, inst, REC_LIMIT, 0);
		flush_locked(r);
		r->stopped = 1;
		fprintf(stderr, "ghost-agent: the recording %s reached its maximum size (%llu bytes): recording stopped, scheduling goes on\n",
			r->path, (unsigned long long)r->max);
		goto out;
	}
	put_ev_locked(r, inst, type, al + bl);
	put_locked(r, a, al);
	put_locked(r, b, bl);
out:
	pthread_mutex_unlock(&r->lock);
}

static void emit_b(struct rec_bind *b, unsigned int type, const void *p,
		   size_t len)
{
	emit(b->r, b->inst, type, p, len, NULL, 0);
}

int rec_open(struct recorder **out, const char *path, uint64_t max,
	     char *msg, size_t len)
{
	struct recorder *r;
	struct stat st;

	if (max && max < REC_MIN_MAX) {
		snprintf(msg, len, "--record-max %llu is too small: at least %llu bytes",
			 (unsigned long long)max,
			 (unsigned long long)REC_MIN_MAX);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		     O_NOFOLLOW, 0600);
	if (r->fd < 0) {
		int err = errno;

		snprintf(msg, len, "cannot create the recording %s: %s", path,
			 strerror(err));
		free(r);
		return -err;
	}
	if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(msg, len, "the recording %s is not a regular file",
			 path);
		close(r->fd);
		free(r);
		return -EINVAL;
	}
	r->path = strdup(path);
	if (!r->path) {
		close(r->fd);
		free(r);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->max = max;
	*out = r;
	return 0;
}

int rec_begin(struct recorder *r, unsigned int enclave_id, const int *ecpus,
	      int nr_ecpus, int global_cpu, const int *cpu_node,
	      int nr_cpu_ids)
{
	struct rec_file_hdr h = {
		.magic = REC_MAGIC,
		.version = REC_VERSION,
		.max_size = r->max,
		.enclave_id = enclave_id,
		.policy_abi = GHOST_POLICY_ABI_VERSION,
		.nr_cpu_ids = nr_cpu_ids,
		.nr_ecpus = nr_ecpus,
		.global_cpu = global_cpu,
	};
	struct timespec ts;
	__s32 v;
	int i, ret;

	h.hdr_size = sizeof(h) + (nr_ecpus + nr_cpu_ids) * sizeof(__s32);
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	pthread_mutex_lock(&r->lock);
	r->t0 = mono_ns();
	put_locked(r, &h, sizeof(h));
	for (i = 0; i < nr_ecpus; i++) {
		v = ecpus[i];
		put_locked(r, &v, sizeof(v));
	}
	for (i = 0; i < nr_cpu_ids; i++) {
		v = cpu_node[i];
		put_locked(r, &v, sizeof(v));
	}
	r->size = h.hdr_size;
	/* A header alone is already a sign the file can be written. */
	ret = flush_locked(r);
	r->begun = !ret;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The policy's side: its callbacks                                    */
/* ------------------------------------------------------------------ */

static void ret_event(struct rec_bind *b, struct ghost_policy_ctx *ctx,
		      long ret)
{
	struct rec_ret e = { .ret = ret, .dispatch_flags = ctx->dispatch_flags };

	emit_b(b, REC_RET, &e, sizeof(e));
}

static int w_init(struct ghost_policy_ctx *ctx, const char *const opts[])
{
	struct rec_bind *b = bind_of(ctx);
	int ret;

	emit_b(b, REC_INIT, NULL, 0);
	ret = b->real->init(ctx, opts);
	ret_event(b, ctx, ret);
	return ret;
}

static void w_fini(struct ghost_policy_ctx *ctx)
{
	struct rec_bind *b = bind_of(ctx);

	emit_b(b, REC_FINI, NULL, 0);
	b->real->fini(ctx);
}

/* The message as the policy gets it. */
static void msg_event(struct ghost_policy_ctx *ctx, const struct ghost_msg *m)
{
	emit_b(bind_of(ctx), REC_MSG, m, m->length);
}

/*
 * Every message the runtime delivers is recorded, also those the policy
 * has no callback for: another policy replayed in its place may have one.
 */
#define MSG_OP(op, type)						\
static void w_##op(struct ghost_policy_ctx *ctx,			\
		   const struct ghost_msg *m, const type *p)		\
{									\
	const struct ghost_policy_ops *real = bind_of(ctx)->real;	\
									\
	msg_event(ctx, m);						\
	if (real->op)							\
		real->op(ctx, m, p);					\
}

MSG_OP(task_new, struct ghost_msg_task_new)
MSG_OP(task_wakeup, struct ghost_msg_task_wakeup)
MSG_OP(task_blocked, struct ghost_msg_task)
MSG_OP(task_preempt, struct ghost_msg_task)
MSG_OP(task_yield, struct ghost_msg_task)
MSG_OP(task_dead, struct ghost_msg_task)
MSG_OP(task_departed, struct ghost_msg_task)
MSG_OP(task_affinity_changed, struct ghost_msg_task)
MSG_OP(task_on_cpu, struct ghost_msg_task)
MSG_OP(task_priority_changed, struct ghost_msg_task_priority)
MSG_OP(task_latched, struct ghost_msg_task)
MSG_OP(cpu_tick, struct ghost_msg_cpu)
MSG_OP(cpu_available, struct ghost_msg_cpu)
MSG_OP(cpu_busy, struct ghost_msg_cpu)
MSG_OP(cpu_offline, struct ghost_msg_cpu)
MSG_OP(cpu_online, struct ghost_msg_cpu)

static void w_schedule(struct ghost_policy_ctx *ctx, int cpu)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_cpu e = { .cpu = cpu };

	emit_b(b, REC_SCHEDULE, &e, sizeof(e));
	b->real->schedule(ctx, cpu);
}

static void w_commit_done(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			  int state)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_commit_done e = { .gtid = gtid, .cpu = cpu, .state = state };

	emit_b(b, REC_COMMIT_DONE, &e, sizeof(e));
	b->real->commit_done(ctx, cpu, gtid, state);
}

static void w_tick(struct ghost_policy_ctx *ctx, __u64 now_ns)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_u64 e = { .v = now_ns };

	emit_b(b, REC_TICK, &e, sizeof(e));
	b->real->tick(ctx, now_ns);
}

static long w_export_state(struct ghost_policy_ctx *ctx, void *buf,
			   size_t len)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_u64 e = { .v = len };
	long ret;

	emit_b(b, REC_EXPORT, &e, sizeof(e));
	ret = b->real->export_state(ctx, buf, len);
	ret_event(b, ctx, ret);
	return ret;
}

static int w_import_state(struct ghost_policy_ctx *ctx, const void *buf,
			  size_t len)
{
	struct rec_bind *b = bind_of(ctx);
	int ret;

	emit_b(b, REC_IMPORT, buf, len);
	ret = b->real->import_state(ctx, buf, len);
	ret_event(b, ctx, ret);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The runtime's side: its services                                    */
/* ------------------------------------------------------------------ */

static int run_event(struct ghost_policy_ctx *ctx, unsigned int type,
		     int cpu, __u64 gtid, __u32 barrier, int ret)
{
	struct rec_run e = {
		.gtid = gtid, .cpu = cpu, .barrier = barrier, .ret = ret,
	};

	emit_b(bind_of(ctx), type, &e, sizeof(e));
	return ret;
}

static int h_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		 __u32 barrier)
{
	return run_event(ctx, REC_RUN, cpu, gtid, barrier,
			 bind_of(ctx)->inner->run(ctx, cpu, gtid, barrier));
}

static int h_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		     __u32 barrier)
{
	return run_event(ctx, REC_DL_PUSH, cpu, gtid, barrier,
			 bind_of(ctx)->inner->dl_push(ctx, cpu, gtid,
						      barrier));
}

static int h_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			  __u32 flags)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_dl_flags e = { .cpu = cpu, .flags = flags };

	e.ret = b->inner->dl_set_flags(ctx, cpu, flags);
	emit_b(b, REC_DL_FLAGS, &e, sizeof(e));
	return e.ret;
}

static void h_error(struct ghost_policy_ctx *ctx, const char *reason)
{
	struct rec_bind *b = bind_of(ctx);

	emit_b(b, REC_ERROR, reason, strlen(reason) + 1);
	b->inner->error(ctx, reason);
}

static void h_log(struct ghost_policy_ctx *ctx, const char *msg)
{
	bind_of(ctx)->inner->log(ctx, msg);
}

static __u64 h_now(struct ghost_policy_ctx *ctx)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_u64 e = { .v = b->inner->now_ns(ctx) };

	emit_b(b, REC_NOW, &e, sizeof(e));
	return e.v;
}

static int h_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_task e = { .gtid = gtid, .cpu = -1 };

	e.ret = b->inner->task_cpu(ctx, gtid);
	emit_b(b, REC_TASK_CPU, &e, sizeof(e));
	return e.ret;
}

static int h_task_allowed(struct ghost_policy_ctx *ctx, __u64 gtid, int cpu)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_task e = { .gtid = gtid, .cpu = cpu };

	e.ret = b->inner->task_allowed(ctx, gtid, cpu);
	emit_b(b, REC_ALLOWED, &e, sizeof(e));
	return e.ret;
}

static int h_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_cpu e = { .cpu = cpu };

	e.ret = b->inner->dl_outstanding(ctx, cpu);
	emit_b(b, REC_DL_OUT, &e, sizeof(e));
	return e.ret;
}

static int h_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			struct ghost_dispatch_entry *out, int max)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_dl_entries e = { .cpu = cpu, .max = max };

	e.ret = b->inner->dl_entries(ctx, cpu, out, max);
	emit(b->r, b->inst, REC_DL_ENTRIES, &e, sizeof(e), out,
	     e.ret > 0 ? e.ret * sizeof(*out) : 0);
	return e.ret;
}

static int h_hint(struct ghost_policy_ctx *ctx, __u64 gtid,
		  struct ghost_app_hint *out)
{
	struct rec_bind *b = bind_of(ctx);
	struct rec_hint e = { .gtid = gtid };

	e.ret = b->inner->hint(ctx, gtid, out);
	if (!e.ret)
		e.hint = *out;
	emit_b(b, REC_HINT, &e, sizeof(e));
	return e.ret;
}

/* A service the runtime offers, within the size it declared. */
#define HAS_HOST(b, f)							\
	((b)->inner_size >= offsetof(struct ghost_policy_host, f) +	\
			    sizeof((b)->inner->f) && (b)->inner->f)

static void wrap_host(struct rec_bind *b)
{
	struct ghost_policy_host *h = &b->host;

	h->run = h_run;
	h->now_ns = h_now;
	h->task_cpu = h_task_cpu;
	h->log = h_log;
	h->error = h_error;
	h->dl_push = h_dl_push;
	h->dl_outstanding = h_dl_outstanding;
	h->dl_set_flags = h_dl_set_flags;
	h->dl_entries = h_dl_entries;
	h->task_allowed = HAS_HOST(b, task_allowed) ? h_task_allowed : NULL;
	h->hint = HAS_HOST(b, hint) ? h_hint : NULL;
}

#define WRAP(f)	(o->f = b->real->f ? w_##f : NULL)
#define WRAP_MSG(f)	(o->f = w_##f)

static void wrap_ops(struct rec_bind *b)
{
	struct ghost_policy_ops *o = &b->ops;

	*o = *b->real;
	WRAP(init);
	WRAP(fini);
	WRAP_MSG(task_new);
	WRAP_MSG(task_wakeup);
	WRAP_MSG(task_blocked);
	WRAP_MSG(task_preempt);
	WRAP_MSG(task_yield);
	WRAP_MSG(task_dead);
	WRAP_MSG(task_departed);
	WRAP_MSG(task_affinity_changed);
	WRAP_MSG(task_on_cpu);
	WRAP_MSG(task_priority_changed);
	WRAP_MSG(task_latched);
	WRAP_MSG(cpu_tick);
	WRAP_MSG(cpu_available);
	WRAP_MSG(cpu_busy);
	WRAP_MSG(cpu_offline);
	WRAP_MSG(cpu_online);
	WRAP(schedule);
	WRAP(commit_done);
	WRAP(tick);
	WRAP(export_state);
	WRAP(import_state);
	/* describe only reads the policy's state: not an input. */
}

static void stop(struct recorder *r, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (!r->stopped) {
		fprintf(stderr, "ghost-agent: recording %s stopped: %s\n",
			r->path, why);
		if (r->begun)
			put_ev_locked(r, 0, REC_LIMIT, 0);
		flush_locked(r);
		r->stopped = 1;
	}
	pthread_mutex_unlock(&r->lock);
}

const struct ghost_policy_ops *rec_bind(struct recorder *r,
					struct ghost_policy_ctx *ctx,
					const struct ghost_policy_ops *ops,
					const char *path,
					const char *const opts[])
{
	struct rec_instance ri = {
		.model = ctx->model,
		.global_cpu = ctx->global_cpu,
		.nr_cpus = ctx->nr_cpus,
		.dispatch_flags = ctx->dispatch_flags,
	};
	struct rec_bind *b;
	size_t slen = 0, off;
	char *p;
	int i;

	if (!r)
		return ops;
	pthread_mutex_lock(&r->lock);
	i = r->next_inst < REC_MAX_INST ? ++r->next_inst : 0;
	pthread_mutex_unlock(&r->lock);
	if (!i) {
		stop(r, "too many policy instances");
		return ops;
	}
	b = calloc(1, sizeof(*b));
	for (; opts && opts[ri.nr_opts]; ri.nr_opts++)
		slen += strlen(opts[ri.nr_opts]) + 1;
	slen += strlen(ops->name) + 1 + strlen(path) + 1;
	p = malloc(ri.nr_cpus * sizeof(__s32) + slen);
	if (!b || !p) {
		free(b);
		free(p);
		stop(r, "out of memory");
		return ops;
	}
	b->r = r;
	b->inst = i;
	b->real = ops;
	b->inner = ctx->host;
	b->inner_size = ctx->host_size;
	wrap_host(b);
	wrap_ops(b);

	off = 0;
	for (i = 0; i < ri.nr_cpus; i++) {
		__s32 v = ctx->cpus[i];

		memcpy(p + off, &v, sizeof(v));
		off += sizeof(v);
	}
	off += sprintf(p + off, "%s", ops->name) + 1;
	off += sprintf(p + off, "%s", path) + 1;
	for (i = 0; i < (int)ri.nr_opts; i++)
		off += sprintf(p + off, "%s", opts[i]) + 1;
	emit(r, b->inst, REC_INSTANCE, &ri, sizeof(ri), p, off);
	free(p);

	ctx->host = &b->host;
	return &b->ops;
}

void rec_unbind(struct ghost_policy_ctx *ctx)
{
	struct rec_bind *b;

	if (!ctx->host || ctx->host->run != h_run)
		return;
	b = bind_of(ctx);
	ctx->host = b->inner;
	free(b);
}

void rec_swap(struct recorder *r, const struct ghost_policy_ctx *from,
	      const struct ghost_policy_ctx *to, const char *how)
{
	struct rec_bind *bf, *bt;
	struct rec_swap e;
	char s[256];
	int n;

	if (!r || from->host->run != h_run || to->host->run != h_run)
		return;
	bf = (struct rec_bind *)from->host;
	bt = (struct rec_bind *)to->host;
	e.from = bf->inst;
	e.to = bt->inst;
	n = snprintf(s, sizeof(s), "%s%c%s", bt->real->name, 0, how);
	if (n < 0 || (size_t)n >= sizeof(s))
		return;
	emit(r, bt->inst, REC_SWAP, &e, sizeof(e), s, n + 1);
}

uint64_t rec_size(struct recorder *r, int *stopped)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->size;
	if (stopped)
		*stopped = r->stopped;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int rec_close(struct recorder *r)
{
	int ret = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	if (!r->stopped && r->begun)
		put_ev_locked(r, 0, REC_END, 0);
	if (!r->stopped)
		ret = flush_locked(r);
	pthread_mutex_unlock(&r->lock);
	if (close(r->fd) && !ret)
		ret = -errno;
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
	return ret;
}
