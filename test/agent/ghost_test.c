// SPDX-License-Identifier: GPL-2.0
/*
 * The test agent library: see ghost_test.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ghost_test.h"

int gt_nr_cpu_ids;
int gt_nr_cpus;
int gt_agent_cpu;

#define GT_MAX_CHILDREN	256
static pid_t gt_children[GT_MAX_CHILDREN];

uint64_t gt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void gt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int gt_write_file(const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	ssize_t n;
	int fd, err = 0;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, strlen(buf));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

int gt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	buf[n] = 0;
	close(fd);
	return n;
}

int gt_cgroup_make(const char *name, const char *controller)
{
	char buf[64], dir[128];

	mkdir("/sys/fs/cgroup", 0755);
	if (gt_read_file("/sys/fs/cgroup/cgroup.controllers", buf,
			 sizeof(buf)) < 0 &&
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		return gt_skip("cannot mount cgroup2: %s", strerror(errno));
	if (gt_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+%s",
			  controller))
		return gt_skip("no %s controller", controller);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", name);
	rmdir(dir);
	if (mkdir(dir, 0755))
		return gt_fail("mkdir %s: %s", dir, strerror(errno));
	return 0;
}

/* Parse a CPU list ("0-3,6") into a mask of the CPUs below 64. */
static uint64_t parse_cpulist(const char *s, int *last)
{
	uint64_t mask = 0;
	char *end;

	*last = -1;
	while (*s && *s != '\n') {
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b; c++)
			if (c < GT_MAX_CPUS)
				mask |= GT_CPU(c);
		if (b > *last)
			*last = b;
		s = *end == ',' ? end + 1 : end;
	}
	return mask;
}

static uint64_t gt_online_mask;

uint64_t gt_all_cpus(void)
{
	return gt_online_mask;
}

int gt_cpu(int i)
{
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if ((gt_online_mask & GT_CPU(c)) && c != gt_agent_cpu && !i--)
			return c;
	return -1;
}

int gt_need_cpus(int n)
{
	if (gt_nr_cpus < n)
		return gt_skip("needs %d CPUs, has %d", n, gt_nr_cpus);
	return 0;
}

int gt_param_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/module/ghost/parameters/%s", name);
	if (gt_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

int gt_param_set(const char *name, int val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/ghost/parameters/%s", name);
	return gt_write_file(path, "%d", val);
}

static char gt_klog_marker[64];

void gt_klog_mark(void)
{
	snprintf(gt_klog_marker, sizeof(gt_klog_marker), "ghost-test-mark %d %llu",
		 getpid(), (unsigned long long)gt_now_ns());
	gt_write_file("/dev/kmsg", "%s\n", gt_klog_marker);
}

int gt_klog_contains(const char *needle)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *from;
	int n, found;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	n = klogctl(3, buf, size);	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0)
		n = 0;
	buf[n] = 0;
	from = gt_klog_marker[0] ? strstr(buf, gt_klog_marker) : buf;
	found = from && strstr(from, needle) != NULL;
	free(buf);
	return found;
}

void gt_destroy_all(void)
{
	char path[128];

	for (int id = 1; id <= 64; id++) {
		snprintf(path, sizeof(path), GHOST_FS_PATH "/enclave_%d/ctl", id);
		if (access(path, F_OK) == 0)
			gt_write_file(path, "destroy");
	}
}

int gt_init(void)
{
	struct statfs sfs;
	char buf[256];
	int last;

	if (gt_read_file("/sys/devices/system/cpu/possible", buf,
			 sizeof(buf)) <= 0)
		return gt_fail("cannot read the possible CPUs");
	parse_cpulist(buf, &last);
	gt_nr_cpu_ids = last + 1;
	if (gt_read_file("/sys/devices/system/cpu/online", buf,
			 sizeof(buf)) <= 0)
		return gt_fail("cannot read the online CPUs");
	gt_online_mask = parse_cpulist(buf, &last);
	gt_nr_cpus = __builtin_popcountll(gt_online_mask);
	gt_agent_cpu = gt_online_mask ? __builtin_ctzll(gt_online_mask) : 0;

	if (access("/sys/module/ghost", F_OK))
		return gt_skip("ghost.ko is not loaded");
	if (statfs(GHOST_FS_PATH, &sfs) || sfs.f_type != GHOST_FS_MAGIC) {
		if (mount("ghost", GHOST_FS_PATH, "ghost", 0, NULL))
			return gt_skip("cannot mount ghostfs: %s",
				       strerror(errno));
	}
	gt_destroy_all();
	return 0;
}

/* Enclaves */

static void enclave_init(struct gt_enclave *e, int id)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->ctl_fd = -1;
	e->qfd = -1;
	snprintf(e->dir, sizeof(e->dir), GHOST_FS_PATH "/enclave_%d", id);
}

int gt_enclave_exists(int id)
{
	char path[80];

	snprintf(path, sizeof(path), GHOST_FS_PATH "/enclave_%d", id);
	return access(path, F_OK) == 0;
}

int gt_efile_write(struct gt_enclave *e, const char *file, const char *fmt,
		   ...)
{
	char path[128], buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", e->dir, file);
	return gt_write_file(path, "%s", buf);
}

int gt_efile_read(struct gt_enclave *e, const char *file, char *buf,
		  size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", e->dir, file);
	return gt_read_file(path, buf, len);
}

long gt_status(struct gt_enclave *e, const char *key)
{
	char buf[4096], *line, *save = NULL;
	size_t klen = strlen(key);

	if (gt_efile_read(e, "status", buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtol(line + klen + 1, NULL, 0);
	return -1;
}

int gt_tasks_contains(struct gt_enclave *e, pid_t tid)
{
	char *buf, *p, *end;
	size_t len = 1 << 16;
	int found = 0;

	buf = malloc(len);
	if (!buf || gt_efile_read(e, "tasks", buf, len) < 0) {
		free(buf);
		return 0;
	}
	for (p = buf; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p) {
			p++;
			end = p;
			continue;
		}
		if (v == tid)
			found = 1;
	}
	free(buf);
	return found;
}

int gt_leave(struct gt_enclave *e, pid_t tid)
{
	return gt_efile_write(e, "ctl", "leave %d", tid);
}

int gt_enclave_create(struct gt_enclave *e, int id, uint64_t cpus)
{
	char list[512] = "";
	int r;

	enclave_init(e, id);
	r = gt_write_file(GHOST_FS_PATH "/ctl", "create %d", id);
	if (r == -EEXIST) {
		gt_efile_write(e, "ctl", "destroy");
		r = gt_write_file(GHOST_FS_PATH "/ctl", "create %d", id);
	}
	if (r) {
		fprintf(stderr, "create %d: %s\n", id, strerror(-r));
		return -1;
	}
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if (cpus & GT_CPU(c))
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%d", list[0] ? "," : "", c);
	if (cpus) {
		r = gt_efile_write(e, "cpulist", "%s", list);
		if (r) {
			fprintf(stderr, "cpulist %s: %s\n", list, strerror(-r));
			return -1;
		}
	}
	return gt_enclave_open(e, id);
}

int gt_enclave_open(struct gt_enclave *e, int id)
{
	char path[128];

	if (e->id != id || !e->dir[0])
		enclave_init(e, id);
	snprintf(path, sizeof(path), "%s/ctl", e->dir);
	e->ctl_fd = open(path, O_RDWR | O_CLOEXEC);
	if (e->ctl_fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int queue_create(struct gt_enclave *e, uint32_t elems,
			uint32_t flags)
{
	struct ghost_ioc_create_queue cq = {
		.elems = elems,
		.flags = flags,
	};
	void *p;
	int fd;

	fd = ioctl(e->ctl_fd, GHOST_IOC_CREATE_QUEUE, &cq);
	if (fd < 0) {
		fprintf(stderr, "GHOST_IOC_CREATE_QUEUE: %s\n", strerror(errno));
		return -1;
	}
	p = mmap(NULL, cq.mapsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap queue (%llu bytes): %s\n",
			(unsigned long long)cq.mapsize, strerror(errno));
		close(fd);
		return -1;
	}
	if (e->ring)
		munmap(e->ring, e->ring_size);
	if (e->qfd >= 0)
		close(e->qfd);
	e->qfd = fd;
	e->ring = p;
	e->ring_size = cq.mapsize;
	e->tail = e->ring->tail;
	e->overflow_seen = 0;
	return 0;
}

int gt_queue_create(struct gt_enclave *e, uint32_t elems)
{
	return queue_create(e, elems, GHOST_QUEUE_F_DEFAULT);
}

int gt_queue_extra(struct gt_enclave *e, struct gt_enclave *view,
		   uint32_t elems)
{
	*view = *e;
	view->qfd = -1;
	view->ring = NULL;
	view->log = NULL;
	view->nr_log = view->log_cap = 0;
	return queue_create(view, elems, 0);
}

static size_t page_round(size_t n)
{
	size_t pg = sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

static int map_sw(struct gt_enclave *e)
{
	const struct ghost_sw_region_header *h;
	char path[128];
	size_t size, pg = sysconf(_SC_PAGESIZE);
	int fd;

	snprintf(path, sizeof(path), "%s/sw", e->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	h = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		fprintf(stderr, "mmap sw header: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	size = h->words_offset +
	       (size_t)h->nr_words * sizeof(struct ghost_status_word);
	if (h->cpu_words_offset + (size_t)h->nr_cpus *
	    sizeof(struct ghost_cpu_word) > size)
		size = h->cpu_words_offset +
		       (size_t)h->nr_cpus * sizeof(struct ghost_cpu_word);
	size = page_round(size);
	munmap((void *)h, pg);
	h = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		fprintf(stderr, "mmap sw (%zu bytes): %s\n", size,
			strerror(errno));
		return -1;
	}
	if (e->sw)
		munmap((void *)e->sw, e->sw_size);
	e->sw = h;
	e->sw_size = size;
	return 0;
}

/* Map enclave file @name read-write: one @size-byte entry per CPU. */
static void *map_rw(struct gt_enclave *e, const char *name, size_t size,
		    size_t *len)
{
	char path[128];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", e->dir, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*len = page_round(gt_nr_cpu_ids * size);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap %s: %s\n", name, strerror(errno));
		return NULL;
	}
	return p;
}

/* Status words, transactions and dispatch lists, but no queue. */
int gt_enclave_map_shared(struct gt_enclave *e)
{
	if (map_sw(e))
		return -1;
	e->txn = map_rw(e, "txn", sizeof(struct ghost_txn), &e->txn_size);
	e->dl = map_rw(e, "dispatch", sizeof(struct ghost_dispatch_list),
		       &e->dl_size);
	return e->txn && e->dl ? 0 : -1;
}

int gt_enclave_map(struct gt_enclave *e)
{
	if (gt_queue_create(e, 16384))
		return -1;
	return gt_enclave_map_shared(e);
}

/* Drop @caps (bit mask) from every set, bounding set included. */
int gt_drop_caps(uint64_t caps)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	for (int c = 0; c < 64; c++)
		if (caps & (1ULL << c))
			prctl(PR_CAPBSET_DROP, c);
	if (syscall(SYS_capget, &h, d))
		return -1;
	for (int i = 0; i < 2; i++) {
		d[i].effective &= ~(uint32_t)(caps >> (32 * i));
		d[i].permitted &= ~(uint32_t)(caps >> (32 * i));
		d[i].inheritable &= ~(uint32_t)(caps >> (32 * i));
	}
	return syscall(SYS_capset, &h, d);
}

/* Commit @w (@gtid) to @cpu and see it run there: 0 or GT_FAIL. */
int gt_run_on(struct gt_enclave *e, struct gt_worker *w, uint64_t gtid,
	      int cpu)
{
	int r = gt_commit(e, gtid, cpu);

	if (r != GHOST_TXN_COMPLETE)
		return gt_fail("commit of %d to CPU %d: %s", w->tid, cpu,
			       gt_txn_name(r));
	if (!gt_worker_runs_on(e, w, gtid, cpu, 5000))
		return gt_fail("%d does not run on CPU %d", w->tid, cpu);
	return 0;
}

/* Dispatch lists */

void gt_dl_push(struct gt_enclave *e, int cpu, uint64_t gtid,
		uint32_t barrier)
{
	struct ghost_dispatch_list *l = &e->dl[cpu];
	uint32_t tail = l->tail;

	l->ent[tail & (GHOST_DISPATCH_SLOTS - 1)].gtid = gtid;
	l->ent[tail & (GHOST_DISPATCH_SLOTS - 1)].barrier = barrier;
	__atomic_store_n(&l->tail, tail + 1, __ATOMIC_RELEASE);
}

int gt_dl_kick(struct gt_enclave *e, int cpu, uint32_t *nr)
{
	uint64_t mask = GT_CPU(cpu);
	struct ghost_ioc_dispatch d = {
		.cpus_ptr = (uintptr_t)&mask,
		.cpus_len = sizeof(mask),
	};

	if (ioctl(e->ctl_fd, GHOST_IOC_DISPATCH, &d))
		return -errno;
	if (nr)
		*nr = d.nr_dispatched;
	return 0;
}

void gt_enclave_close(struct gt_enclave *e)
{
	if (e->ring)
		munmap(e->ring, e->ring_size);
	if (e->txn)
		munmap(e->txn, e->txn_size);
	if (e->sw)
		munmap((void *)e->sw, e->sw_size);
	if (e->dl)
		munmap(e->dl, e->dl_size);
	if (e->qfd >= 0)
		close(e->qfd);
	if (e->ctl_fd >= 0)
		close(e->ctl_fd);
	free(e->log);
	enclave_init(e, e->id);
}

int gt_enclave_destroy(struct gt_enclave *e)
{
	int r = gt_efile_write(e, "ctl", "destroy");

	gt_enclave_close(e);
	return r;
}

int gt_setup(struct gt_enclave *e, uint64_t cpus, int attach)
{
	int r;

	if (gt_enclave_create(e, 1, cpus ? cpus : gt_all_cpus()) ||
	    gt_enclave_map(e))
		return gt_fail("cannot set up enclave 1");
	if (attach) {
		r = gt_attach(e, gt_agent_cpu);
		if (r)
			return gt_fail("attach to CPU %d: %s", gt_agent_cpu,
				       strerror(-r));
	}
	return 0;
}

/* Agent */

int gt_attach(struct gt_enclave *e, int cpu)
{
	struct ghost_ioc_agent a = { .cpu = cpu };

	return ioctl(e->ctl_fd, GHOST_IOC_AGENT_ATTACH, &a) ? -errno : 0;
}

int gt_agent_wait(struct gt_enclave *e, uint32_t head, uint32_t timeout_ms)
{
	return gt_agent_wait_seq(e, head, 0, 0, timeout_ms);
}

int gt_agent_wait_seq(struct gt_enclave *e, uint32_t head, uint32_t seq,
		      uint32_t flags, uint32_t timeout_ms)
{
	struct ghost_ioc_wait w = {
		.head = head,
		.timeout_ms = timeout_ms,
		.agent_seq = seq,
		.flags = flags,
	};

	return ioctl(e->ctl_fd, GHOST_IOC_AGENT_WAIT, &w) ? -errno : 0;
}

uint32_t gt_agent_seq(struct gt_enclave *e)
{
	return __atomic_load_n(&gt_cpu_word(e, gt_agent_cpu)->agent_seq,
			       __ATOMIC_ACQUIRE);
}

/* Messages */

static uint64_t *ring_slots(struct gt_enclave *e)
{
	return (uint64_t *)e->ring->msgs;
}

void gt_msg_consume(struct gt_enclave *e, struct ghost_msg *m)
{
	uint32_t mask = e->ring->nr_slots - 1;
	uint32_t n = (m->length + 7) / 8;

	/* A message never wraps, so a bad length at worst ends the lap. */
	if (!n || n > e->ring->nr_slots - (e->tail & mask)) {
		fprintf(stderr, "ring: message type %u length %u at %u\n",
			m->type, m->length, e->tail & mask);
		n = e->ring->nr_slots - (e->tail & mask);
	}
	e->tail += n;
	__atomic_store_n(&e->ring->tail, e->tail, __ATOMIC_RELEASE);
}

struct ghost_msg *gt_msg_peek(struct gt_enclave *e)
{
	struct ghost_msg *m;
	uint32_t head;

	for (;;) {
		head = __atomic_load_n(&e->ring->head, __ATOMIC_ACQUIRE);
		if (head == e->tail)
			return NULL;
		m = (struct ghost_msg *)&ring_slots(e)[e->tail &
						      (e->ring->nr_slots - 1)];
		if (m->type != GHOST_MSG_NOP)
			return m;
		gt_msg_consume(e, m);
	}
}

void gt_msg_copy(const struct ghost_msg *m, struct gt_msg *out)
{
	size_t len = m->length > sizeof(*m) ? m->length - sizeof(*m) : 0;

	memset(out, 0, sizeof(*out));
	out->type = m->type;
	out->length = m->length;
	out->seqnum = m->seqnum;
	out->recv_ns = gt_now_ns();
	if (len > sizeof(out->u))
		len = sizeof(out->u);
	memcpy(out->u.raw, m + 1, len);
	out->cpu = -1;
	if (m->type >= GHOST_MSG_CPU_TICK) {
		out->cpu = out->u.cpu.cpu;
	} else if (m->type >= GHOST_MSG_TASK_DEAD) {
		out->gtid = out->u.task.gtid;	/* first in every payload */
		if (m->type == GHOST_MSG_TASK_WAKEUP)
			out->cpu = out->u.wakeup.last_ran_cpu;
		else if (m->type != GHOST_MSG_TASK_NEW &&
			 m->type != GHOST_MSG_TASK_PRIORITY_CHANGED)
			out->cpu = out->u.task.cpu;
	}
}

int gt_drain(struct gt_enclave *e)
{
	struct ghost_msg *m;
	int n = 0;

	if (e->ring->overflow != e->overflow_seen) {
		e->overflow_seen = e->ring->overflow;
		fprintf(stderr, "ring overflow: %llu messages lost\n",
			(unsigned long long)e->overflow_seen);
	}
	while ((m = gt_msg_peek(e))) {
		if (e->nr_log == e->log_cap) {
			size_t cap = e->log_cap ? e->log_cap * 2 : 256;
			struct gt_msg *l = realloc(e->log, cap * sizeof(*l));

			if (!l)
				break;
			e->log = l;
			e->log_cap = cap;
		}
		gt_msg_copy(m, &e->log[e->nr_log++]);
		gt_msg_consume(e, m);
		n++;
	}
	return n;
}

static int msg_match(const struct gt_msg *m, int type, pid_t tid)
{
	return !m->claimed && (type < 0 || m->type == type) &&
	       (!tid || GHOST_GTID_TID(m->gtid) == tid);
}

int gt_find_msg(struct gt_enclave *e, int type, pid_t tid, struct gt_msg *out)
{
	gt_drain(e);
	for (size_t i = 0; i < e->nr_log; i++) {
		if (msg_match(&e->log[i], type, tid)) {
			e->log[i].claimed = 1;
			if (out)
				*out = e->log[i];
			return 0;
		}
	}
	return -1;
}

int gt_wait_msg(struct gt_enclave *e, int type, pid_t tid, int timeout_ms,
		struct gt_msg *out)
{
	uint64_t end = gt_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct pollfd pfd = { .fd = e->qfd, .events = POLLIN };

	for (;;) {
		uint64_t now;

		if (!gt_find_msg(e, type, tid, out))
			return 0;
		now = gt_now_ns();
		if (now >= end)
			return -1;
		/* Short steps: a missed wakeup shows as slowness, not a hang. */
		poll(&pfd, 1, (end - now) / 1000000 > 20 ? 20 :
			      (int)((end - now) / 1000000) + 1);
	}
}

int gt_count_msgs(struct gt_enclave *e, int type, pid_t tid)
{
	int n = 0;

	gt_drain(e);
	for (size_t i = 0; i < e->nr_log; i++)
		n += msg_match(&e->log[i], type, tid);
	return n;
}

void gt_log_clear(struct gt_enclave *e)
{
	gt_drain(e);
	e->nr_log = 0;
}

uint64_t gt_wait_new(struct gt_enclave *e, pid_t tid, int timeout_ms)
{
	struct gt_msg m;

	if (gt_wait_msg(e, GHOST_MSG_TASK_NEW, tid, timeout_ms, &m))
		return 0;
	return m.gtid;
}

const char *gt_msg_name(int type)
{
	static const char *const task[] = {
		"TASK_DEAD", "TASK_BLOCKED", "TASK_WAKEUP", "TASK_NEW",
		"TASK_PREEMPT", "TASK_YIELD", "TASK_DEPARTED",
		"TASK_SWITCHTO", "TASK_AFFINITY_CHANGED", "TASK_ON_CPU",
		"TASK_PRIORITY_CHANGED", "TASK_LATCHED",
	};

	if (type >= GHOST_MSG_TASK_DEAD && type <= GHOST_MSG_TASK_LATCHED)
		return task[type - GHOST_MSG_TASK_DEAD];
	switch (type) {
	case GHOST_MSG_NOP: return "NOP";
	case GHOST_MSG_CPU_TICK: return "CPU_TICK";
	case GHOST_MSG_CPU_AVAILABLE: return "CPU_AVAILABLE";
	case GHOST_MSG_CPU_BUSY: return "CPU_BUSY";
	}
	return "?";
}

const char *gt_txn_name(int state)
{
	static const char *const names[] = {
		"0", "COMPLETE", "TARGET_STALE", "TARGET_NOT_FOUND",
		"TARGET_NOT_RUNNABLE", "TARGET_ONCPU", "CPU_UNAVAIL",
		"INVALID_CPU", "INVALID_TARGET", "INVALID_FLAGS", "NO_AGENT",
		"ABORTED", "CPU_NOT_ALLOWED",
	};

	if (state == GHOST_TXN_READY)
		return "READY";
	if (state >= 0 && state <= GHOST_TXN_CPU_NOT_ALLOWED)
		return names[state];
	if (state < 0)
		return strerror(-state);
	return "?";
}

/* Status words */

int gt_sw_index(struct gt_enclave *e, uint64_t gtid)
{
	struct ghost_ioc_sw s = { .gtid = gtid };

	if (ioctl(e->ctl_fd, GHOST_IOC_SW_GET, &s))
		return -1;
	return s.index;
}

const volatile struct ghost_status_word *gt_sw(struct gt_enclave *e,
						int index)
{
	size_t off = e->sw->words_offset +
		     (size_t)index * sizeof(struct ghost_status_word);

	if (index < 0)
		return NULL;
	/* The region may have grown since it was mapped. */
	if (off + sizeof(struct ghost_status_word) > e->sw_size &&
	    (map_sw(e) ||
	     off + sizeof(struct ghost_status_word) > e->sw_size))
		return NULL;
	return (const volatile struct ghost_status_word *)
		((const char *)e->sw + off);
}

const volatile struct ghost_status_word *gt_sw_of(struct gt_enclave *e,
						   uint64_t gtid)
{
	return gt_sw(e, gt_sw_index(e, gtid));
}

const volatile struct ghost_cpu_word *gt_cpu_word(struct gt_enclave *e,
						  int cpu)
{
	return (const volatile struct ghost_cpu_word *)
		((const char *)e->sw + e->sw->cpu_words_offset +
		 (size_t)cpu * sizeof(struct ghost_cpu_word));
}

uint32_t gt_barrier(struct gt_enclave *e, uint64_t gtid)
{
	const volatile struct ghost_status_word *sw = gt_sw_of(e, gtid);

	return sw ? __atomic_load_n(&sw->barrier, __ATOMIC_ACQUIRE) : 0;
}

/* Transactions */

void gt_txn_set(struct gt_enclave *e, int cpu, uint64_t gtid,
		uint32_t barrier, uint32_t flags)
{
	struct ghost_txn *t = &e->txn[cpu];

	t->gtid = gtid;
	t->task_barrier = barrier;
	t->flags = flags;
	__atomic_store_n(&t->state, GHOST_TXN_READY, __ATOMIC_RELEASE);
}

int gt_txn_state(struct gt_enclave *e, int cpu)
{
	return __atomic_load_n(&e->txn[cpu].state, __ATOMIC_ACQUIRE);
}

int gt_txn_commit(struct gt_enclave *e, uint64_t cpus, uint32_t *nr_done)
{
	size_t words = (gt_nr_cpu_ids + 63) / 64;
	uint64_t bitmap[words < 1 ? 1 : words];
	struct ghost_ioc_commit c = { 0 };

	memset(bitmap, 0, sizeof(bitmap));
	bitmap[0] = cpus;
	c.cpus_ptr = (uintptr_t)bitmap;
	c.cpus_len = sizeof(bitmap);
	if (ioctl(e->ctl_fd, GHOST_IOC_COMMIT, &c))
		return -errno;
	if (nr_done)
		*nr_done = c.nr_committed;
	return 0;
}

int gt_commit_barrier(struct gt_enclave *e, uint64_t gtid, int cpu,
		      uint32_t barrier)
{
	int r;

	gt_txn_set(e, cpu, gtid, barrier, 0);
	r = gt_txn_commit(e, GT_CPU(cpu), NULL);
	return r ? r : gt_txn_state(e, cpu);
}

int gt_commit(struct gt_enclave *e, uint64_t gtid, int cpu)
{
	return gt_commit_barrier(e, gtid, cpu, gtid ? gt_barrier(e, gtid) : 0);
}

/*
 * A committed thread that slept in the kernel (fork() may, in an
 * allocation or a lock) wakes parked: commit it again, as an agent would.
 * Returns nonzero so that it can sit in a gt_wait_for() condition.
 */
int gt_keep_running(struct gt_enclave *e, uint64_t gtid, int cpu)
{
	const volatile struct ghost_status_word *sw = gt_sw_of(e, gtid);
	uint32_t f = sw ? sw->flags : 0;

	if ((f & GHOST_SW_TASK_RUNNABLE) && !(f & GHOST_SW_TASK_ONCPU))
		gt_commit(e, gtid, cpu);
	return 1;
}

int gt_idle(struct gt_enclave *e, int cpu)
{
	return gt_commit_barrier(e, GHOST_NULL_GTID, cpu, 0);
}

/* Workers */

static void track_child(pid_t pid)
{
	for (int i = 0; i < GT_MAX_CHILDREN; i++) {
		if (!gt_children[i]) {
			gt_children[i] = pid;
			return;
		}
	}
}

static void untrack_child(pid_t pid)
{
	for (int i = 0; i < GT_MAX_CHILDREN; i++)
		if (gt_children[i] == pid)
			gt_children[i] = 0;
}

uint64_t gt_calibrate(int ms)
{
	struct gt_worker *w = gt_workers(1);
	uint64_t n;

	w->affinity = GT_CPU(gt_cpu(0) >= 0 ? gt_cpu(0) : gt_agent_cpu);
	if (gt_worker_thread(w, NULL))
		return 1000000;
	gt_wait_for(w->state == GT_W_RUNNING && w->counter, 5000);
	n = w->counter;
	gt_sleep_ms(ms);
	n = w->counter - n;
	gt_worker_cmd(w, GT_CMD_EXIT);
	gt_worker_join(w, 5000);
	munmap(w, sizeof(*w));
	return n ? n : 1;
}

struct gt_worker *gt_workers(int n)
{
	struct gt_worker *w;

	w = mmap(NULL, n * sizeof(*w), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		perror("mmap workers");
		exit(GT_FAIL);
	}
	for (int i = 0; i < n; i++) {
		w[i].cpu = -1;
		w[i].sig_cpu = -1;
		w[i].pipefd[0] = w[i].pipefd[1] = -1;
	}
	return w;
}

void gt_worker_prepare(struct gt_worker *w, struct gt_enclave *e)
{
	if (e)
		snprintf(w->tasks_path, sizeof(w->tasks_path), "%s/tasks",
			 e->dir);
	/* Only the default loop reads a pipe (GT_CMD_PIPE). */
	if (!w->fn && w->pipefd[0] < 0 && pipe(w->pipefd)) {
		perror("pipe");
		exit(GT_FAIL);
	}
}

static void cmd_done(struct gt_worker *w, int cmd)
{
	w->run_ns = gt_now_ns();
	__atomic_compare_exchange_n(&w->cmd, &cmd, GT_CMD_SPIN, 0,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void record_end(struct gt_worker *w)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;
	uint64_t mask = 0;

	w->end_policy = sched_getscheduler(0);
	sched_getparam(0, &sp);
	w->end_prio = sp.sched_priority;
	errno = 0;
	w->end_nice = getpriority(PRIO_PROCESS, 0);
	if (!sched_getaffinity(0, sizeof(set), &set))
		for (int c = 0; c < GT_MAX_CPUS; c++)
			if (CPU_ISSET(c, &set))
				mask |= GT_CPU(c);
	w->end_affinity = mask;
}

static void worker_forked(struct gt_worker *c)
{
	/* A ghost thread's child is in the enclave already. */
	c->pid = getpid();
	c->tid = gettid();
	c->state = GT_W_RUNNING;
	c->run_ns = gt_now_ns();
	for (;;) {
		if (__atomic_load_n(&c->cmd, __ATOMIC_ACQUIRE) == GT_CMD_EXIT)
			break;
		c->cpu = sched_getcpu();
		c->cpus_seen |= GT_CPU(c->cpu);
		c->counter++;
	}
	c->state = GT_W_DONE;
	_exit(0);
}

static void worker_loop(struct gt_worker *w)
{
	struct timespec ts = { 0, 20 * 1000000L };
	char c;
	pid_t pid;

	for (;;) {
		int cmd = __atomic_load_n(&w->cmd, __ATOMIC_ACQUIRE);

		switch (cmd) {
		case GT_CMD_EXIT:
			return;
		case GT_CMD_PIPE:
			while (read(w->pipefd[0], &c, 1) < 0 && errno == EINTR)
				;
			w->wakeups++;
			cmd_done(w, cmd);
			break;
		case GT_CMD_FUTEX:
			while (!__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE))
				syscall(SYS_futex, &w->futex, FUTEX_WAIT, 0,
					NULL, NULL, 0);
			w->wakeups++;
			cmd_done(w, cmd);
			break;
		case GT_CMD_SLEEP:
			nanosleep(&ts, NULL);
			cmd_done(w, cmd);
			break;
		case GT_CMD_YIELD:
			sched_yield();
			cmd_done(w, cmd);
			break;
		case GT_CMD_FORK:
			pid = fork();
			if (pid == 0)
				worker_forked(w->child);
			w->forked = pid;
			cmd_done(w, cmd);
			break;
		}
		/* Cleared here: the test's own store could race with ours. */
		if (w->reset_seen) {
			w->cpus_seen = 0;
			__atomic_store_n(&w->reset_seen, 0, __ATOMIC_RELEASE);
		}
		/* Where it ran is recorded before the progress is visible. */
		w->cpu = sched_getcpu();
		w->cpus_seen |= GT_CPU(w->cpu);
		w->counter++;
		if (w->work && w->counter >= w->work) {
			record_end(w);
			return;
		}
	}
}

static __thread struct gt_worker *gt_self;

/* SIGUSR1 is user code too: record where and that it ran. */
static void sigusr1(int sig)
{
	struct gt_worker *w = gt_self;

	(void)sig;
	if (w) {
		w->sig_cpu = sched_getcpu();
		w->sig_seen++;
	}
}

void gt_worker_main(struct gt_worker *w)
{
	struct sched_param sp = { .sched_priority = w->rt_prio };
	struct sigaction sa = { .sa_handler = sigusr1, .sa_flags = SA_RESTART };
	uint64_t mask = w->affinity ? w->affinity : gt_all_cpus();
	cpu_set_t set;
	int fd;

	w->pid = getpid();
	w->tid = gettid();
	gt_self = w;
	sigaction(SIGUSR1, &sa, NULL);
	if (w->name[0])
		prctl(PR_SET_NAME, w->name);
	CPU_ZERO(&set);
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if (mask & GT_CPU(c))
			CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, w->policy, &sp) ||
	    ((w->policy & ~SCHED_RESET_ON_FORK) != SCHED_FIFO &&
	     (w->policy & ~SCHED_RESET_ON_FORK) != SCHED_RR &&
	     setpriority(PRIO_PROCESS, 0, w->nice))) {
		w->enter_errno = errno;
		w->state = GT_W_FAILED;
		return;
	}
	/* A process: setresuid() drops every capability of a uid 0 caller. */
	if (w->uid && (setresgid(w->uid, w->uid, w->uid) ||
		       setresuid(w->uid, w->uid, w->uid))) {
		w->enter_errno = errno;
		w->state = GT_W_FAILED;
		return;
	}
	if (w->tasks_path[0]) {
		__atomic_store_n(&w->state, GT_W_ENTERING, __ATOMIC_RELEASE);
		fd = open(w->tasks_path, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			w->enter_errno = errno;
			w->state = GT_W_FAILED;
			if (fd >= 0)
				close(fd);
			return;
		}
		close(fd);
	}
	w->run_ns = gt_now_ns();
	__atomic_store_n(&w->state, GT_W_RUNNING, __ATOMIC_RELEASE);
	if (w->fn)
		w->fn(w);
	else
		worker_loop(w);
	__atomic_store_n(&w->state, GT_W_DONE, __ATOMIC_RELEASE);
}

static void *worker_thread_fn(void *arg)
{
	gt_worker_main(arg);
	return NULL;
}

int gt_worker_thread(struct gt_worker *w, struct gt_enclave *e)
{
	struct sched_param sp = { 0 };
	pthread_attr_t a;
	cpu_set_t set;
	int r;

	gt_worker_prepare(w, e);
	/* Not the creator's policy or CPU: it may be an agent already. */
	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_OTHER);
	pthread_attr_setschedparam(&a, &sp);
	pthread_attr_setstacksize(&a, 128 * 1024);
	CPU_ZERO(&set);
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if (gt_all_cpus() & GT_CPU(c))
			CPU_SET(c, &set);
	pthread_attr_setaffinity_np(&a, sizeof(set), &set);
	r = pthread_create(&w->thread, &a, worker_thread_fn, w);
	pthread_attr_destroy(&a);
	if (r) {
		fprintf(stderr, "pthread_create: %s\n", strerror(r));
		return -r;
	}
	return 0;
}

pid_t gt_worker_proc(struct gt_worker *w, struct gt_enclave *e)
{
	pid_t pid;

	gt_worker_prepare(w, e);
	w->is_proc = 1;
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		gt_worker_main(w);
		_exit(w->state == GT_W_FAILED ? 2 : 0);
	}
	w->pid = pid;
	track_child(pid);
	return pid;
}

int gt_worker_entering(struct gt_worker *w, int timeout_ms)
{
	if (!gt_wait_for(__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) >=
			 GT_W_ENTERING, timeout_ms))
		return -1;
	if (w->state == GT_W_FAILED) {
		fprintf(stderr, "worker %d: entering failed: %s\n", w->tid,
			strerror(w->enter_errno));
		return -1;
	}
	return 0;
}

uint64_t gt_start(struct gt_enclave *e, struct gt_worker *w, int proc)
{
	uint64_t gtid;

	if (proc ? gt_worker_proc(w, e) < 0 : gt_worker_thread(w, e) < 0)
		return 0;
	if (gt_worker_entering(w, 5000))
		return 0;
	gtid = gt_wait_new(e, w->tid, 5000);
	if (!gtid)
		fprintf(stderr, "no TASK_NEW for worker %d\n", w->tid);
	return gtid;
}

void gt_worker_cmd(struct gt_worker *w, int cmd)
{
	__atomic_store_n(&w->cmd, cmd, __ATOMIC_RELEASE);
}

int gt_worker_poke(struct gt_worker *w)
{
	return write(w->pipefd[1], "x", 1) == 1 ? 0 : -errno;
}

int gt_worker_progresses(struct gt_worker *w, int timeout_ms)
{
	uint64_t c0 = w->counter;

	return gt_wait_for(w->counter != c0, timeout_ms);
}

/*
 * @w, committed to @cpu, makes progress: recommitted meanwhile if it
 * lost the CPU in the kernel (a sleep in a page fault, a preemption by
 * a kernel thread), as an agent would.
 */
int gt_worker_runs_on(struct gt_enclave *e, struct gt_worker *w,
		      uint64_t gtid, int cpu, int timeout_ms)
{
	uint64_t c0 = w->counter;

	return gt_wait_for(gt_keep_running(e, gtid, cpu) && w->counter != c0,
			   timeout_ms);
}

int gt_worker_frozen(struct gt_worker *w, int ms)
{
	uint64_t c0 = w->counter;

	gt_sleep_ms(ms);
	return w->counter == c0;
}

uint64_t gt_worker_cpus(struct gt_worker *w, int ms)
{
	__atomic_store_n(&w->reset_seen, 1, __ATOMIC_RELEASE);
	if (!gt_wait_for(!__atomic_load_n(&w->reset_seen, __ATOMIC_ACQUIRE),
			 5000) || !gt_worker_progresses(w, 5000))
		return ~0ULL;
	gt_sleep_ms(ms);
	return w->cpus_seen;
}

int gt_proc_wait(pid_t pid, int timeout_ms, int *status)
{
	uint64_t end = gt_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			untrack_child(pid);
			if (status)
				*status = st;
			return 0;
		}
		if (r < 0 || gt_now_ns() > end)
			return -1;
		gt_sleep_ms(2);
	}
}

int gt_worker_join(struct gt_worker *w, int timeout_ms)
{
	if (w->is_proc)
		return gt_proc_wait(w->pid, timeout_ms, NULL);
	if (!gt_wait_for(w->state == GT_W_DONE || w->state == GT_W_FAILED,
			 timeout_ms))
		return -1;
	pthread_join(w->thread, NULL);
	return 0;
}

void gt_kill_children(void)
{
	for (int i = 0; i < GT_MAX_CHILDREN; i++) {
		if (!gt_children[i])
			continue;
		kill(gt_children[i], SIGKILL);
		if (gt_proc_wait(gt_children[i], 5000, NULL))
			fprintf(stderr, "child %d did not die after SIGKILL\n",
				gt_children[i]);
		gt_children[i] = 0;
	}
}

uint64_t gt_affinity_of(pid_t tid)
{
	cpu_set_t set;
	uint64_t mask = 0;

	if (sched_getaffinity(tid, sizeof(set), &set))
		return 0;
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if (CPU_ISSET(c, &set))
			mask |= GT_CPU(c);
	return mask;
}

void gt_reset_sched(void)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < GT_MAX_CPUS; c++)
		if (gt_all_cpus() & GT_CPU(c))
			CPU_SET(c, &set);
	sched_setscheduler(0, SCHED_OTHER, &sp);
	setpriority(PRIO_PROCESS, 0, 0);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The FIFO agent loop */

int gt_fifo_init(struct gt_fifo *f, struct gt_enclave *e, uint64_t cpus,
		 unsigned int quantum_ms, unsigned int max_tasks)
{
	memset(f, 0, sizeof(*f));
	f->e = e;
	f->cpus = cpus;
	f->quantum_ms = quantum_ms;
	f->cap = 64;
	while (f->cap < 2 * max_tasks)
		f->cap *= 2;
	f->tasks = calloc(f->cap, sizeof(*f->tasks));
	f->rq = calloc(f->cap, sizeof(*f->rq));
	if (!f->tasks || !f->rq)
		return -1;
	for (int c = 0; c < GT_MAX_CPUS; c++)
		f->cur[c] = -1;
	return 0;
}

void gt_fifo_free(struct gt_fifo *f)
{
	free(f->tasks);
	free(f->rq);
}

static int fifo_slot(struct gt_fifo *f, uint64_t gtid, int create)
{
	unsigned int h = (unsigned int)((gtid * 0x9e3779b97f4a7c15ULL) >> 40);

	for (unsigned int i = 0; i < f->cap; i++) {
		unsigned int s = (h + i) & (f->cap - 1);

		if (f->tasks[s].gtid == gtid)
			return s;
		if (!f->tasks[s].gtid) {
			if (!create || f->nr_tasks >= f->cap / 2)
				return -1;
			f->tasks[s].gtid = gtid;
			f->tasks[s].cpu = -1;
			f->tasks[s].sw_index = -1;
			f->tasks[s].state = GT_FT_BLOCKED;
			f->nr_tasks++;
			return s;
		}
	}
	return -1;
}

struct gt_fifo_task *gt_fifo_find(struct gt_fifo *f, uint64_t gtid)
{
	int s = fifo_slot(f, gtid, 0);

	return s < 0 ? NULL : &f->tasks[s];
}

static void fifo_enqueue(struct gt_fifo *f, int s)
{
	struct gt_fifo_task *t = &f->tasks[s];

	if (t->state == GT_FT_DEAD)
		return;
	t->state = GT_FT_RUNNABLE;
	if (t->queued)
		return;
	t->queued = 1;
	f->rq[f->rq_tail++ & (f->cap - 1)] = s;
}

/* The CPUs @t may run on, as the module says (all if it cannot say). */
static uint64_t fifo_allowed(struct gt_fifo *f, struct gt_fifo_task *t)
{
	struct ghost_ioc_task_affinity arg = { .gtid = t->gtid };
	uint64_t bits = 0;

	arg.cpus_ptr = (uintptr_t)&bits;
	arg.cpus_len = sizeof(bits);
	if (ioctl(f->e->ctl_fd, GHOST_IOC_TASK_AFFINITY, &arg))
		return ~0ULL;
	return bits;
}

/* The first runnable thread in line that may run on @cpu. */
static int fifo_dequeue(struct gt_fifo *f, int cpu)
{
	unsigned int n = f->rq_tail - f->rq_head;

	while (n-- && f->rq_head != f->rq_tail) {
		int s = f->rq[f->rq_head++ & (f->cap - 1)];
		struct gt_fifo_task *t = &f->tasks[s];

		t->queued = 0;
		if (t->state != GT_FT_RUNNABLE)
			continue;
		if (!t->allowed)
			t->allowed = fifo_allowed(f, t);
		if (t->allowed & GT_CPU(cpu))
			return s;
		fifo_enqueue(f, s);	/* another CPU's */
	}
	return -1;
}

static void fifo_off_cpu(struct gt_fifo *f, int s)
{
	struct gt_fifo_task *t = &f->tasks[s];

	if (t->cpu >= 0 && f->cur[t->cpu] == s)
		f->cur[t->cpu] = -1;
	t->cpu = -1;
}

static void fifo_handle(struct gt_fifo *f, const struct gt_msg *m)
{
	struct gt_fifo_task *t;
	int s;

	if (m->type < GHOST_MSG_TASK_DEAD || m->type >= GHOST_MSG_CPU_TICK)
		return;
	s = fifo_slot(f, m->gtid, 1);
	if (s < 0) {
		f->nr_errors++;
		return;
	}
	t = &f->tasks[s];
	if (t->sw_index < 0)
		t->sw_index = m->type == GHOST_MSG_TASK_NEW ?
			      (int)m->u.new.sw_index :
			      gt_sw_index(f->e, m->gtid);
	switch (m->type) {
	case GHOST_MSG_TASK_NEW:
		if (!t->new_seen) {
			t->new_seen = 1;	/* once, even if rediscovered */
			f->nr_new++;
		}
		if (m->u.new.runnable && t->state != GT_FT_RUNNING)
			fifo_enqueue(f, s);
		break;
	case GHOST_MSG_TASK_WAKEUP:
		fifo_enqueue(f, s);
		break;
	case GHOST_MSG_TASK_AFFINITY_CHANGED:
		t->allowed = 0;
		break;
	case GHOST_MSG_TASK_BLOCKED:
		fifo_off_cpu(f, s);
		t->state = GT_FT_BLOCKED;
		break;
	case GHOST_MSG_TASK_PREEMPT:
	case GHOST_MSG_TASK_YIELD:
		fifo_off_cpu(f, s);
		fifo_enqueue(f, s);
		break;
	case GHOST_MSG_TASK_DEAD:
	case GHOST_MSG_TASK_DEPARTED:
		fifo_off_cpu(f, s);
		if (t->state != GT_FT_DEAD) {
			if (m->type == GHOST_MSG_TASK_DEAD)
				f->nr_dead++;
			else
				f->nr_departed++;
		}
		t->state = GT_FT_DEAD;
		if (t->sw_index >= 0) {
			struct ghost_ioc_sw sw = { .index = t->sw_index };

			ioctl(f->e->ctl_fd, GHOST_IOC_SW_FREE, &sw);
		}
		break;
	}
}

static void fifo_dispatch(struct gt_fifo *f)
{
	uint64_t now = gt_now_ns(), set = 0;
	int pick[GT_MAX_CPUS];

	for (int c = 0; c < GT_MAX_CPUS; c++) {
		const volatile struct ghost_status_word *sw;
		int s;

		if (!(f->cpus & GT_CPU(c)))
			continue;
		if (f->cur[c] >= 0 &&
		    (!f->quantum_ms || f->rq_head == f->rq_tail ||
		     now - f->tasks[f->cur[c]].since <
		     f->quantum_ms * 1000000ULL))
			continue;
		s = fifo_dequeue(f, c);
		if (s < 0)
			continue;
		sw = gt_sw(f->e, f->tasks[s].sw_index);
		gt_txn_set(f->e, c, f->tasks[s].gtid,
			   sw ? __atomic_load_n(&sw->barrier, __ATOMIC_ACQUIRE)
			      : 0, 0);
		pick[c] = s;
		set |= GT_CPU(c);
	}
	if (!set)
		return;
	if (gt_txn_commit(f->e, set, NULL)) {
		f->nr_errors++;
		for (int c = 0; c < GT_MAX_CPUS; c++)
			if (set & GT_CPU(c))
				fifo_enqueue(f, pick[c]);
		return;
	}
	for (int c = 0; c < GT_MAX_CPUS; c++) {
		struct gt_fifo_task *t;
		int st;

		if (!(set & GT_CPU(c)))
			continue;
		t = &f->tasks[pick[c]];
		st = gt_txn_state(f->e, c);
		switch (st) {
		case GHOST_TXN_COMPLETE:
			if (f->cur[c] >= 0 && f->cur[c] != pick[c]) {
				/* Preempted: requeued on its TASK_PREEMPT. */
				f->tasks[f->cur[c]].cpu = -1;
				f->tasks[f->cur[c]].state = GT_FT_BLOCKED;
			}
			f->cur[c] = pick[c];
			t->state = GT_FT_RUNNING;
			t->cpu = c;
			t->since = now;
			t->commits++;
			f->nr_commits++;
			break;
		case GHOST_TXN_TARGET_STALE:
			/* A message is on its way: act on it first. */
			f->nr_stale++;
			fifo_enqueue(f, pick[c]);
			break;
		case GHOST_TXN_CPU_NOT_ALLOWED:
			/* Its affinity changed: ask again. */
			t->allowed = 0;
			fifo_enqueue(f, pick[c]);
			break;
		case GHOST_TXN_TARGET_NOT_RUNNABLE:
		case GHOST_TXN_TARGET_NOT_FOUND:
			t->state = GT_FT_BLOCKED;
			break;
		default:
			fprintf(stderr, "fifo: commit of %d on CPU %d: %s\n",
				GHOST_GTID_TID(t->gtid), c, gt_txn_name(st));
			f->nr_errors++;
			t->state = GT_FT_BLOCKED;
			break;
		}
	}
}

int gt_fifo_run(struct gt_fifo *f, int timeout_ms,
		int (*done)(struct gt_fifo *f, void *arg), void *arg)
{
	uint64_t end = gt_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct gt_enclave *e = f->e;
	struct ghost_msg *m;
	struct gt_msg msg;

	for (;;) {
		uint32_t head;

		while ((m = gt_msg_peek(e))) {
			gt_msg_copy(m, &msg);
			gt_msg_consume(e, m);
			fifo_handle(f, &msg);
		}
		if (done && done(f, arg))
			return 0;
		if (gt_now_ns() > end)
			return -ETIMEDOUT;
		fifo_dispatch(f);
		head = __atomic_load_n(&e->ring->head, __ATOMIC_ACQUIRE);
		if (head == e->tail &&
		    gt_agent_wait(e, head, f->quantum_ms ? f->quantum_ms : 5) ==
		    -ENODEV)
			return -ENODEV;	/* the enclave is gone */
	}
}

/* The test runner */

static int run_one(const struct gt_test *t)
{
	const char *tmo = getenv("GT_TEST_TIMEOUT");
	int timeout_ms = (tmo ? atoi(tmo) : 100) * 1000;
	int status, rc;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return gt_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		rc = gt_init();
		if (!rc)
			rc = t->fn();
		fflush(NULL);
		gt_kill_children();
		_exit(rc);
	}
	setpgid(pid, pid);
	if (gt_proc_wait(pid, timeout_ms, &status)) {
		fprintf(stderr, "%s: timed out after %d s\n", t->name,
			timeout_ms / 1000);
		kill(-pid, SIGKILL);
		gt_proc_wait(pid, 5000, &status);
		rc = GT_FAIL;
	} else if (WIFSIGNALED(status)) {
		fprintf(stderr, "%s: killed by signal %d\n", t->name,
			WTERMSIG(status));
		rc = GT_FAIL;
	} else {
		rc = WEXITSTATUS(status);
		if (rc != GT_PASS && rc != GT_SKIP)
			rc = GT_FAIL;
	}
	/* Whatever the test left behind goes, then its enclaves. */
	kill(-pid, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	if (!access(GHOST_FS_PATH "/ctl", F_OK))
		gt_destroy_all();
	return rc;
}

int gt_main(int argc, char **argv, const struct gt_test *tests)
{
	int pass = 0, fail = 0, skip = 0;
	const struct gt_test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Grandchildren orphaned by a test come back here to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (t = tests; t->name; t++)
			printf("%s\n", t->name);
		return 0;
	}
	if (argc > 1) {
		const char *name = argv[1];

		if (!strncmp(name, "test_", 5))
			name += 5;
		for (t = tests; t->name; t++)
			if (!strcmp(t->name, name))
				return run_one(t);
		fprintf(stderr, "%s: no test %s (--list lists them)\n",
			argv[0], argv[1]);
		return GT_FAIL;
	}
	for (t = tests; t->name; t++) {
		int rc = run_one(t);

		printf("%s %s\n", rc == GT_PASS ? "PASS" :
		       rc == GT_SKIP ? "SKIP" : "FAIL", t->name);
		if (rc == GT_PASS)
			pass++;
		else if (rc == GT_SKIP)
			skip++;
		else
			fail++;
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	return fail ? GT_FAIL : pass ? GT_PASS : GT_SKIP;
}
