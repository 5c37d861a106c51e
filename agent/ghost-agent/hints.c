// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: the hint regions of applications (<ghost/app_hint.h>).
 *
 * A process registers one region ("hints" on the control socket); it is
 * mapped read-only and kept with the process's tgid and a pidfd, so that
 * it is dropped once the process is gone (hints_reap(), from the main
 * loop) or when the process registers another.  A policy asks for the
 * hint of a thread (ghost_policy_hint()): its tgid is read once from
 * /proc and cached with the slot index it was last found at, so a
 * process can only publish hints for its own threads, whatever tids it
 * writes.  All of this is under rt_lock(), but for lookups: rt->tab_lock.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "agent.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif

/*
 * rt->hint_cache value: tgid in the low 32 bits, slot index + 1 above
 * (0: not looked up); 0 itself cannot be stored, so the tgid is never 0.
 */
#define CACHE(tgid, slot)	((uintptr_t)(__u32)(tgid) | \
				 (uintptr_t)((__u64)((slot) + 1) << 32))
#define CACHE_TGID(v)		((pid_t)((__u64)(v) & 0xffffffffU))
#define CACHE_SLOT(v)		((int)((__u64)(v) >> 32) - 1)

static void drop(struct rt *rt, int i)
{
	struct hint_proc *p = &rt->hints[i];

	ghost_hint_destroy(&p->region);
	if (p->pidfd >= 0)
		close(p->pidfd);
	rt->hints[i] = rt->hints[--rt->nr_hints];
}

static struct hint_proc *find_proc(struct rt *rt, pid_t tgid)
{
	int i;

	for (i = 0; i < rt->nr_hints; i++) {
		if (rt->hints[i].tgid == tgid)
			return &rt->hints[i];
	}
	return NULL;
}

int hints_register(struct rt *rt, int fd, pid_t tgid, char *msg, size_t len)
{
	struct ghost_hint_region r;
	struct hint_proc *p;
	int ret, pidfd;

	if (tgid <= 0) {
		snprintf(msg, len, "the sender's process is unknown");
		return -EINVAL;
	}
	ret = ghost_hint_map(fd, &r, msg, len);
	if (ret)
		return ret;
	pidfd = syscall(SYS_pidfd_open, tgid, 0);
	if (pidfd < 0) {
		snprintf(msg, len, "cannot watch process %d: %s", (int)tgid,
			 strerror(errno));
		ghost_hint_destroy(&r);
		return -ESRCH;
	}
	rt_lock(rt);
	if (!rt->hint_cache.slots &&
	    gp_table_init(&rt->hint_cache, AGENT_MAX_THREADS)) {
		rt_unlock(rt);
		snprintf(msg, len, "out of memory");
		ghost_hint_destroy(&r);
		close(pidfd);
		return -ENOMEM;
	}
	p = find_proc(rt, tgid);
	if (p) {
		drop(rt, p - rt->hints);
	} else if (rt->nr_hints == AGENT_MAX_HINT_PROCS) {
		rt_unlock(rt);
		snprintf(msg, len, "%d processes have hints already",
			 AGENT_MAX_HINT_PROCS);
		ghost_hint_destroy(&r);
		close(pidfd);
		return -ENOSPC;
	}
	p = &rt->hints[rt->nr_hints++];
	p->region = r;
	p->tgid = tgid;
	p->pidfd = pidfd;
	/* Slot indexes of the old region mean nothing in the new one. */
	gp_table_clear(&rt->hint_cache);
	rt_unlock(rt);
	return 0;
}

void hints_reap(struct rt *rt)
{
	struct pollfd pfd;
	int i;

	/* Only the main thread changes the list: no lock to look. */
	if (!rt->nr_hints)
		return;
	rt_lock(rt);
	for (i = 0; i < rt->nr_hints; i++) {
		pfd.fd = rt->hints[i].pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) <= 0)
			continue;
		drop(rt, i--);
		/* Its tgid may come back as another process. */
		gp_table_clear(&rt->hint_cache);
	}
	rt_unlock(rt);
}

void hints_free(struct rt *rt)
{
	while (rt->nr_hints)
		drop(rt, 0);
	gp_table_free(&rt->hint_cache);
}

void hints_forget(struct rt *rt, __u64 gtid)
{
	if (rt->hint_cache.slots)
		gp_table_remove(&rt->hint_cache, gtid);
}

/* The process @tid belongs to, from /proc; 0 if it is gone. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid > 0 ? tgid : 0;
}

int hints_lookup(struct rt *rt, __u64 gtid, struct ghost_app_hint *out)
{
	pid_t tid = GHOST_GTID_TID(gtid), tgid;
	struct hint_proc *p;
	uintptr_t v;
	int slot, ret;

	if (!rt->nr_hints || tid <= 0)
		return -ENOENT;
	v = (uintptr_t)gp_table_find(&rt->hint_cache, gtid);
	if (v) {
		tgid = CACHE_TGID(v);
		slot = CACHE_SLOT(v);
	} else {
		tgid = tgid_of(tid);
		slot = -1;
		if (!tgid)
			return -ENOENT;
	}
	p = find_proc(rt, tgid);
	if (!p)
		ret = -ENOENT;
	else
		ret = ghost_hint_read(&p->region, tid, &slot, out);
	if (!v || CACHE_SLOT(v) != slot) {
		gp_table_remove(&rt->hint_cache, gtid);
		gp_table_insert(&rt->hint_cache, gtid,
				(void *)CACHE(tgid, slot));
	}
	return ret ? -ENOENT : 0;
}

unsigned int hints_nr(struct rt *rt)
{
	return rt->nr_hints;
}
