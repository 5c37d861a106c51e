/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small data structures for policies, header-only so that a policy .so
 * depends on nothing but libc: an intrusive list, a gtid hash table and a
 * fixed pool of objects.  None of them allocates after setup, so a policy
 * built on them does not allocate on the scheduling path.
 */
#ifndef _GHOST_POLICY_UTIL_H
#define _GHOST_POLICY_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

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

#endif /* _GHOST_POLICY_UTIL_H */
