/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small data structures and helpers for policies, header-only so that a
 * policy .so depends on nothing but libc: an intrusive list, a gtid hash
 * table and a fixed pool of objects (together, the records of the threads
 * a policy knows), none of which allocates after setup, so a policy built
 * on them does not allocate on the scheduling path; and the code every
 * policy needs around them: option parsing, the meaning of a failed
 * commit, the adoption of list entries, CPU hotplug callbacks.
 */
#ifndef _GHOST_POLICY_UTIL_H
#define _GHOST_POLICY_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include <ghost/policy.h>

#define gp_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* ------------------------------------------------------------------ */
/* Doubly linked list with a head node                                 */
/* ------------------------------------------------------------------ */

struct gp_list {
	struct gp_list *prev, *next;
};

static inline void gp_list_init(struct gp_list *l)
{
	l->prev = l->next = l;
}

static inline int gp_list_empty(const struct gp_list *l)
{
	return l->next == l;
}

/* 1 if @node is on some list (nodes are gp_list_init()ed when off). */
static inline int gp_list_linked(const struct gp_list *node)
{
	return node->next != node;
}

static inline void gp_list_insert(struct gp_list *node, struct gp_list *prev,
				  struct gp_list *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

static inline void gp_list_add_tail(struct gp_list *head, struct gp_list *node)
{
	gp_list_insert(node, head->prev, head);
}

static inline void gp_list_add_head(struct gp_list *head, struct gp_list *node)
{
	gp_list_insert(node, head, head->next);
}

static inline void gp_list_del(struct gp_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	gp_list_init(node);
}

/* @node, off any list it is on, at the head (@front) or tail of @head. */
static inline void gp_list_move(struct gp_list *head, struct gp_list *node,
				int front)
{
	if (gp_list_linked(node))
		gp_list_del(node);
	if (front)
		gp_list_add_head(head, node);
	else
		gp_list_add_tail(head, node);
}

/* First node of @head, or NULL if empty. */
static inline struct gp_list *gp_list_first(const struct gp_list *head)
{
	return gp_list_empty(head) ? NULL : head->next;
}

#define gp_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Nodes before @node on the list @head (its "pos=" in describe()), or -1. */
static inline int gp_list_pos(const struct gp_list *head,
			      const struct gp_list *node)
{
	const struct gp_list *pos;
	int n = 0;

	for (pos = head->next; pos != head; pos = pos->next, n++) {
		if (pos == node)
			return n;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* gtid -> pointer, open addressing with backward-shift deletion       */
/* ------------------------------------------------------------------ */

struct gp_table_slot {
	__u64 key;		/* 0: empty (no thread has gtid 0) */
	void *val;
};

struct gp_table {
	struct gp_table_slot *slots;
	unsigned int mask;	/* capacity - 1, a power of two */
	unsigned int nr;
	unsigned int max;	/* at most half full */
};

static inline unsigned int gp_hash(__u64 key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (unsigned int)key;
}

/* Room for @max entries; 0 or -ENOMEM. */
static inline int gp_table_init(struct gp_table *t, unsigned int max)
{
	unsigned int cap = 16;

	while (cap < 2 * max)
		cap <<= 1;
	t->slots = (struct gp_table_slot *)calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cap - 1;
	t->nr = 0;
	t->max = max;
	return 0;
}

static inline void gp_table_clear(struct gp_table *t)
{
	memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	t->nr = 0;
}

static inline void gp_table_free(struct gp_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

static inline void *gp_table_find(const struct gp_table *t, __u64 key)
{
	unsigned int i = gp_hash(key) & t->mask;

	for (; t->slots[i].key; i = (i + 1) & t->mask) {
		if (t->slots[i].key == key)
			return t->slots[i].val;
	}
	return NULL;
}

/* 0, -EEXIST if @key is there already, -ENOSPC if full. */
static inline int gp_table_insert(struct gp_table *t, __u64 key, void *val)
{
	unsigned int i = gp_hash(key) & t->mask;

	if (!key)
		return -EINVAL;
	for (; t->slots[i].key; i = (i + 1) & t->mask) {
		if (t->slots[i].key == key)
			return -EEXIST;
	}
	if (t->nr >= t->max)
		return -ENOSPC;
	t->slots[i].key = key;
	t->slots[i].val = val;
	t->nr++;
	return 0;
}

/* The removed value, or NULL if @key was absent. */
static inline void *gp_table_remove(struct gp_table *t, __u64 key)
{
	unsigned int i = gp_hash(key) & t->mask, j, home;
	void *val;

	for (; t->slots[i].key != key; i = (i + 1) & t->mask) {
		if (!t->slots[i].key)
			return NULL;
	}
	val = t->slots[i].val;
	/* Pull later entries of the probe chain back into the hole. */
	for (j = (i + 1) & t->mask; t->slots[j].key; j = (j + 1) & t->mask) {
		home = gp_hash(t->slots[j].key) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].key = 0;
	t->slots[i].val = NULL;
	t->nr--;
	return val;
}

/* ------------------------------------------------------------------ */
/* A fixed pool of equal objects                                       */
/* ------------------------------------------------------------------ */

struct gp_pool {
	char *mem;
	size_t obj_size;
	unsigned int nr;
	void *free;		/* singly linked through the objects */
};

static inline int gp_pool_init(struct gp_pool *p, size_t obj_size,
			       unsigned int nr)
{
	unsigned int i;

	if (obj_size < sizeof(void *))
		obj_size = sizeof(void *);
	p->mem = (char *)calloc(nr, obj_size);
	if (!p->mem)
		return -ENOMEM;
	p->obj_size = obj_size;
	p->nr = nr;
	p->free = NULL;
	for (i = nr; i-- > 0;) {
		void **obj = (void **)(p->mem + i * obj_size);

		*obj = p->free;
		p->free = obj;
	}
	return 0;
}

static inline void gp_pool_destroy(struct gp_pool *p)
{
	free(p->mem);
	p->mem = NULL;
}

/* A zeroed object, or NULL if the pool is exhausted. */
static inline void *gp_pool_get(struct gp_pool *p)
{
	void **obj = (void **)p->free;
	size_t i;

	if (!obj)
		return NULL;
	p->free = *obj;
	for (i = 0; i < p->obj_size; i++)
		((char *)obj)[i] = 0;
	return obj;
}

static inline void gp_pool_put(struct gp_pool *p, void *obj)
{
	*(void **)obj = p->free;
	p->free = obj;
}

/* ------------------------------------------------------------------ */
/* The threads a policy knows                                          */
/* ------------------------------------------------------------------ */

/* Up to max records of one size, one per thread, found by gtid. */
struct gp_tasks {
	struct gp_pool pool;
	struct gp_table table;	/* gtid -> record */
};

/* Room for @max records of @obj_size bytes; 0, or -ENOMEM. */
static inline int gp_tasks_init(struct gp_tasks *ts, size_t obj_size,
				unsigned int max)
{
	if (gp_pool_init(&ts->pool, obj_size, max))
		return -ENOMEM;
	if (gp_table_init(&ts->table, max)) {
		gp_pool_destroy(&ts->pool);
		return -ENOMEM;
	}
	return 0;
}

/* Free them; also right for a zeroed @ts that gp_tasks_init() failed. */
static inline void gp_tasks_free(struct gp_tasks *ts)
{
	gp_table_free(&ts->table);
	gp_pool_destroy(&ts->pool);
}

/* The record of @gtid, or NULL. */
static inline void *gp_tasks_find(const struct gp_tasks *ts, __u64 gtid)
{
	return gp_table_find(&ts->table, gtid);
}

/*
 * A zeroed record for @gtid, which has none yet; NULL, after logging
 * "@name: no room for thread <gtid>", if max records are taken.
 */
static inline void *gp_tasks_new(struct ghost_policy_ctx *ctx,
				 const char *name, struct gp_tasks *ts,
				 __u64 gtid)
{
	void *t = gp_pool_get(&ts->pool);

	if (t && gp_table_insert(&ts->table, gtid, t)) {
		gp_pool_put(&ts->pool, t);
		t = NULL;
	}
	if (!t)
		ghost_policy_log(ctx, "%s: no room for thread %llx",
				 name, (unsigned long long)gtid);
	return t;
}

/* Forget @gtid: its record goes back to the pool. */
static inline void gp_tasks_del(struct gp_tasks *ts, __u64 gtid)
{
	void *t = gp_table_remove(&ts->table, gtid);

	if (t)
		gp_pool_put(&ts->pool, t);
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/*
 * 0 if every option of @opts has a key in @known (NULL-terminated); else
 * -EINVAL, after logging "@name: unknown option 'k=v' (known: a, b)".
 */
static inline int gp_opts_known(struct ghost_policy_ctx *ctx,
				const char *name, const char *const opts[],
				const char *const known[])
{
	const char *bad = ghost_policy_opt_unknown(opts, known);
	char list[160] = "none";
	size_t n = 0;
	int ret;

	if (!bad)
		return 0;
	for (; *known && n < sizeof(list); known++) {
		ret = snprintf(list + n, sizeof(list) - n, "%s%s",
			       n ? ", " : "", *known);
		if (ret < 0)
			break;
		n += ret;
	}
	ghost_policy_log(ctx, "%s: unknown option '%s' (known: %s)", name, bad,
			 list);
	return -EINVAL;
}

/*
 * Option @key of @opts, a decimal number in @lo..@hi (digits only: no
 * sign, space or suffix), into *@out; an absent option leaves *@out as it
 * is.  0, or -EINVAL after logging "@name: @key must be @lo..@hi".
 */
static inline int gp_opt_ulong(struct ghost_policy_ctx *ctx, const char *name,
			       const char *const opts[], const char *key,
			       unsigned long lo, unsigned long hi,
			       unsigned long *out)
{
	const char *v = ghost_policy_opt(opts, key);
	unsigned long x;
	char *end;

	if (!v)
		return 0;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || x < lo || x > hi) {
		ghost_policy_log(ctx, "%s: %s must be %lu..%lu, not '%s'",
				 name, key, lo, hi, v);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Failed commits                                                      */
/* ------------------------------------------------------------------ */

/* What to do with a thread whose commit failed. */
enum gp_failed {
	GP_FAILED_WAIT,		/* not ours to run, or asleep: its message
				 * is on the way; do not queue it */
	GP_FAILED_ONCPU,	/* it runs already, on the CPU given */
	GP_FAILED_RETRY,	/* stale (a newer message is queued), CPU busy
				 * or away, not allowed, aborted, not found:
				 * it is runnable, first in line again */
};

/*
 * The meaning of commit outcome @state (not GHOST_TXN_COMPLETE) for
 * @gtid; for GP_FAILED_ONCPU, *@cpu is where it runs.  A thread that died
 * is forgotten at its TASK_DEAD: until then it is retried like any other.
 */
static inline enum gp_failed gp_commit_failed(struct ghost_policy_ctx *ctx,
					      __u64 gtid, int state, int *cpu)
{
	switch (state) {
	case GHOST_TXN_INVALID_TARGET:
	case GHOST_TXN_TARGET_NOT_RUNNABLE:
		return GP_FAILED_WAIT;
	case GHOST_TXN_TARGET_ONCPU:
		*cpu = ghost_policy_task_cpu(ctx, gtid);
		if (*cpu >= 0)
			return GP_FAILED_ONCPU;
		break;
	}
	return GP_FAILED_RETRY;
}

/*
 * A centralized policy's agent CPU runs no thread; one left there by a
 * previous agent (hand-over) is sent away by a commit of nothing there.
 * @busy: a thread is there; *@idling: that commit is pending, which the
 * policy clears when its outcome (for GHOST_NULL_GTID) comes.
 */
static inline void gp_clear_global_cpu(struct ghost_policy_ctx *ctx, int busy,
				       int *idling)
{
	if (busy && !*idling &&
	    !ghost_policy_run(ctx, ctx->global_cpu, GHOST_NULL_GTID, 0))
		*idling = 1;
}

/* ------------------------------------------------------------------ */
/* Dispatch lists                                                      */
/* ------------------------------------------------------------------ */

/* Called for one entry of @cpu's list; see gp_dl_for_each_entry(). */
typedef void (*gp_dl_entry_fn)(struct ghost_policy_ctx *ctx, int cpu,
			       const struct ghost_dispatch_entry *e);

/*
 * Call @fn for each entry still outstanding in the list of each CPU of
 * ctx->cpus, oldest first: how a policy takes over (after a hot swap) the
 * entries a previous one listed, which may still run.
 */
static inline void gp_dl_for_each_entry(struct ghost_policy_ctx *ctx,
					gp_dl_entry_fn fn)
{
	struct ghost_dispatch_entry ent[GHOST_DISPATCH_SLOTS];
	int i, k, n;

	for (i = 0; i < ctx->nr_cpus; i++) {
		n = ghost_policy_dl_entries(ctx, ctx->cpus[i], ent,
					    GHOST_DISPATCH_SLOTS);
		for (k = 0; k < n; k++)
			fn(ctx, ctx->cpus[i], &ent[k]);
	}
}

/* ------------------------------------------------------------------ */
/* CPU hotplug                                                         */
/* ------------------------------------------------------------------ */

/*
 * GP_DEFINE_CPU_HOTPLUG(prefix) defines the callbacks prefix_cpu_offline
 * and prefix_cpu_online for a policy that handles both in one function,
 * prefix_cpu_hotplug(ctx, cpu, offline), defined before it.
 */
#define GP_DEFINE_CPU_HOTPLUG(prefix)					\
static void prefix##_cpu_offline(struct ghost_policy_ctx *ctx,		\
				 const struct ghost_msg *m,		\
				 const struct ghost_msg_cpu *p)		\
{									\
	(void)m;							\
	prefix##_cpu_hotplug(ctx, p->cpu, 1);				\
}									\
static void prefix##_cpu_online(struct ghost_policy_ctx *ctx,		\
				const struct ghost_msg *m,		\
				const struct ghost_msg_cpu *p)		\
{									\
	(void)m;							\
	prefix##_cpu_hotplug(ctx, p->cpu, 0);				\
}

#endif /* _GHOST_POLICY_UTIL_H */
