// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: application hints (<ghost/app_hint.h>).  The application
 * creates a sealed memfd and writes one seqcount-protected slot per
 * thread; the agent validates and maps it read-only and reads slots
 * without locks.  Every field of the shared memory is accessed with
 * __atomic builtins: the other side writes it concurrently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "internal.h"

#define HINT_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define HINT_REPLY_MAX	4096
#define HINT_TIMEOUT_MS	5000

static struct ghost_hint_header *hdr_of(const struct ghost_hint_region *r)
{
	return r->mem;
}

static struct ghost_hint_slot *slot_of(const struct ghost_hint_region *r,
				       unsigned int i)
{
	return (struct ghost_hint_slot *)((char *)r->mem +
					  sizeof(struct ghost_hint_header)) + i;
}

static size_t region_size(unsigned int nr_slots)
{
	return sizeof(struct ghost_hint_header) +
	       (size_t)nr_slots * sizeof(struct ghost_hint_slot);
}

int ghost_hint_create(struct ghost_hint_region *r, unsigned int nr_slots)
{
	struct ghost_hint_header *h;
	size_t size = region_size(nr_slots);
	int fd, ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!nr_slots || nr_slots > GHOST_HINT_MAX_SLOTS)
		return -EINVAL;
	fd = memfd_create("ghost-hints", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) || fcntl(fd, F_ADD_SEALS, HINT_SEALS)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	r->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->mem == MAP_FAILED) {
		ret = -errno;
		r->mem = NULL;
		close(fd);
		return ret;
	}
	h = r->mem;
	h->version = GHOST_HINT_VERSION;
	h->hdr_size = sizeof(struct ghost_hint_header);
	h->slot_size = sizeof(struct ghost_hint_slot);
	h->nr_slots = nr_slots;
	/* The magic last: a reader never sees a half-initialised header. */
	__atomic_store_n(&h->magic, GHOST_HINT_MAGIC, __ATOMIC_RELEASE);
	r->fd = fd;
	r->size = size;
	r->nr_slots = nr_slots;
	r->writable = 1;
	return 0;
}

int ghost_hint_register(struct ghost_hint_region *r, unsigned int id,
			char *msg, size_t len)
{
	char path[108], val[256], *reply;
	int ret;

	libghost_msg(msg, len, "%s", "");
	if (r->fd < 0)
		return -EBADF;
	ret = ghost_agent_sock_path(id, path, sizeof(path));
	if (ret)
		return ret;
	ret = libghost_agent_request_fd(path, "hints\n", r->fd, &reply,
					HINT_REPLY_MAX, HINT_TIMEOUT_MS);
	if (ret) {
		libghost_msg(msg, len, "agent of enclave %u: %s", id,
			     strerror(-ret));
		return ret;
	}
	if (!ghost_kv_get(reply, "status", val, sizeof(val)) &&
	    !strcmp(val, "ok")) {
		free(reply);
		return 0;
	}
	if (ghost_kv_get(reply, "error", val, sizeof(val)))
		snprintf(val, sizeof(val), "no reason given");
	libghost_msg(msg, len, "%s", val);
	ret = ghost_kv_get(reply, "denied", val, sizeof(val)) ? -EINVAL :
	      -EPERM;
	free(reply);
	return ret;
}

static int self_tid(int tid)
{
	return tid ? tid : (int)syscall(SYS_gettid);
}

/* @tid's slot, or with @take a free one claimed for it; NULL if none. */
static struct ghost_hint_slot *find_slot(struct ghost_hint_region *r, int tid,
					 int take)
{
	struct ghost_hint_slot *s;
	unsigned int i;
	__s32 zero;

	for (i = 0; i < r->nr_slots; i++) {
		s = slot_of(r, i);
		if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) == tid)
			return s;
	}
	if (!take)
		return NULL;
	for (i = 0; i < r->nr_slots; i++) {
		s = slot_of(r, i);
		zero = 0;
		if (__atomic_compare_exchange_n(&s->tid, &zero, tid, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			__atomic_add_fetch(&hdr_of(r)->gen, 1,
					   __ATOMIC_RELEASE);
			return s;
		}
	}
	return NULL;
}

/* The writer's half of the seqcount: odd, fields, even. */
static void write_slot(struct ghost_hint_slot *s, __s32 tid,
		       const struct ghost_app_hint *h)
{
	__u32 seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->qos, h->qos, __ATOMIC_RELAXED);
	__atomic_store_n(&s->flags, h->flags, __ATOMIC_RELAXED);
	__atomic_store_n(&s->deadline_ns, h->deadline_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->estimate_ns, h->estimate_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->period_ns, h->period_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&s->tid, tid, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

int ghost_hint_set(struct ghost_hint_region *r, int tid,
		   const struct ghost_app_hint *h)
{
	struct ghost_hint_slot *s;

	if (!r->writable || h->qos > GHOST_HINT_QOS_MAX ||
	    (h->flags & ~GHOST_HINT_F_ALL) ||
	    (h->flags & GHOST_HINT_F_ALL) == GHOST_HINT_F_ALL || tid < 0)
		return -EINVAL;
	tid = self_tid(tid);
	s = find_slot(r, tid, 1);
	if (!s)
		return -ENOSPC;
	write_slot(s, tid, h);
	return 0;
}

/*
 * What @tid's slot says now, into @h (defaults if it has none).  Only
 * this thread writes its slot: plain reads are current.
 */
static void current_hint(struct ghost_hint_region *r, int tid,
			 struct ghost_app_hint *h)
{
	struct ghost_hint_slot *s = find_slot(r, tid, 0);

	memset(h, 0, sizeof(*h));
	h->qos = GHOST_HINT_QOS_DEFAULT;
	if (!s)
		return;
	h->qos = __atomic_load_n(&s->qos, __ATOMIC_RELAXED);
	h->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
	h->deadline_ns = __atomic_load_n(&s->deadline_ns, __ATOMIC_RELAXED);
	h->estimate_ns = __atomic_load_n(&s->estimate_ns, __ATOMIC_RELAXED);
	h->period_ns = __atomic_load_n(&s->period_ns, __ATOMIC_RELAXED);
}

int ghost_hint_set_runnable(struct ghost_hint_region *r, int tid,
			    int runnable)
{
	struct ghost_app_hint h;

	if (!r->writable || tid < 0)
		return -EINVAL;
	tid = self_tid(tid);
	current_hint(r, tid, &h);
	h.flags = runnable ? GHOST_HINT_F_RUNNABLE : GHOST_HINT_F_IDLE;
	return ghost_hint_set(r, tid, &h);
}

int ghost_hint_set_period(struct ghost_hint_region *r, int tid,
			  __u64 period_ns)
{
	struct ghost_app_hint h;

	if (!r->writable || tid < 0)
		return -EINVAL;
	tid = self_tid(tid);
	current_hint(r, tid, &h);
	h.period_ns = period_ns;
	return ghost_hint_set(r, tid, &h);
}

int ghost_hint_clear(struct ghost_hint_region *r, int tid)
{
	struct ghost_app_hint none = { 0 };
	struct ghost_hint_slot *s;

	if (!r->writable || tid < 0)
		return -EINVAL;
	tid = self_tid(tid);
	s = find_slot(r, tid, 0);
	if (!s)
		return -ENOENT;
	write_slot(s, 0, &none);
	__atomic_add_fetch(&hdr_of(r)->gen, 1, __ATOMIC_RELEASE);
	return 0;
}

void ghost_hint_destroy(struct ghost_hint_region *r)
{
	if (r->mem)
		munmap(r->mem, r->size);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int ghost_hint_map(int fd, struct ghost_hint_region *r, char *msg,
		   size_t len)
{
	const struct ghost_hint_header *h;
	struct statfs sfs;
	struct stat st;
	size_t size;
	void *mem;
	int seals;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	/*
	 * Plain shmem only: a hugetlb memfd can be sealed too, but reading
	 * it faults with SIGBUS when the huge page pool runs dry.
	 */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &sfs) ||
	    sfs.f_type != TMPFS_MAGIC) {
		libghost_msg(msg, len, "not a memfd");
		return -EBADFD;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0) {
		libghost_msg(msg, len, "not a memfd that can be sealed");
		return -EBADFD;
	}
	if (!(seals & F_SEAL_SHRINK)) {
		libghost_msg(msg, len, "not sealed against shrinking (F_SEAL_SHRINK)");
		return -EBADFD;
	}
	if (st.st_size < (off_t)region_size(1)) {
		libghost_msg(msg, len, "too small: %lld bytes",
			     (long long)st.st_size);
		return -EINVAL;
	}
	/* It may have grown: map no more than the most we accept. */
	size = st.st_size > (off_t)GHOST_HINT_MAX_SIZE ? GHOST_HINT_MAX_SIZE :
	       (size_t)st.st_size;
	mem = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		libghost_msg(msg, len, "cannot map it: %s", strerror(errno));
		return -errno;
	}
	h = mem;
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != GHOST_HINT_MAGIC ||
	    h->version != GHOST_HINT_VERSION ||
	    h->hdr_size != sizeof(struct ghost_hint_header) ||
	    h->slot_size != sizeof(struct ghost_hint_slot)) {
		libghost_msg(msg, len, "not a ghost hint region of version %d",
			     GHOST_HINT_VERSION);
		munmap(mem, size);
		return -EINVAL;
	}
	r->nr_slots = __atomic_load_n(&h->nr_slots, __ATOMIC_RELAXED);
	if (!r->nr_slots || r->nr_slots > GHOST_HINT_MAX_SLOTS ||
	    region_size(r->nr_slots) > size) {
		libghost_msg(msg, len, "%u slots do not fit in %zu bytes (1..%d)",
			     r->nr_slots, size, GHOST_HINT_MAX_SLOTS);
		munmap(mem, size);
		return -EINVAL;
	}
	r->mem = mem;
	r->size = size;
	return 0;
}

/* The reader's half of the seqcount; -EAGAIN if it never settled. */
static int read_slot(const struct ghost_hint_slot *s, int tid,
		     struct ghost_app_hint *out)
{
	__u32 seq;
	__s32 who;
	int i;

	for (i = 0; i < GHOST_HINT_READ_TRIES; i++) {
		seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		who = __atomic_load_n(&s->tid, __ATOMIC_RELAXED);
		out->qos = __atomic_load_n(&s->qos, __ATOMIC_RELAXED);
		out->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
		out->deadline_ns = __atomic_load_n(&s->deadline_ns,
						   __ATOMIC_RELAXED);
		out->estimate_ns = __atomic_load_n(&s->estimate_ns,
						   __ATOMIC_RELAXED);
		out->period_ns = __atomic_load_n(&s->period_ns,
						 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
			continue;
		if (who != tid)
			return -ENOENT;
		/* Never trust the writer: known flags, qos in range. */
		out->flags &= GHOST_HINT_F_ALL;
		if (out->qos > GHOST_HINT_QOS_MAX)
			out->qos = GHOST_HINT_QOS_MAX;
		return 0;
	}
	return -EAGAIN;
}

int ghost_hint_read(const struct ghost_hint_region *r, int tid, int *slot,
		    struct ghost_app_hint *out)
{
	const struct ghost_hint_slot *s;
	unsigned int i;
	int ret;

	if (!r->mem || tid <= 0)
		return -ENOENT;
	if (*slot >= 0 && (unsigned int)*slot < r->nr_slots) {
		ret = read_slot(slot_of(r, *slot), tid, out);
		if (ret != -ENOENT)
			return ret;
	}
	*slot = -1;
	for (i = 0; i < r->nr_slots; i++) {
		s = slot_of(r, i);
		if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) != tid)
			continue;
		ret = read_slot(s, tid, out);
		if (ret == -ENOENT)
			continue;
		if (!ret)
			*slot = i;
		return ret;
	}
	return -ENOENT;
}
