// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: an enclave as an agent uses it, i.e. its ctl file opened
 * read-write and its shared regions mapped, and the agent ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "internal.h"


static size_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (size_t)n : 4096;
}

static size_t page_align(size_t n)
{
	size_t p = page_size();

	return (n + p - 1) / p * p;
}

/* Lay @e's pointers out over a status-word region of @size bytes. */
static int sw_layout(struct ghost_enclave *e, const void *sw, size_t size)
{
	const struct ghost_sw_region_header *h = sw;
	size_t cpu_end, words_end;

	if (size < sizeof(*h) || h->version != GHOST_VERSION)
		return -EPROTO;
	cpu_end = (size_t)h->cpu_words_offset +
		  (size_t)h->nr_cpus * sizeof(struct ghost_cpu_word);
	words_end = (size_t)h->words_offset +
		    (size_t)h->nr_words * sizeof(struct ghost_status_word);
	if (h->cpu_words_offset < sizeof(*h) || h->words_offset < sizeof(*h) ||
	    cpu_end > size || words_end > size)
		return -EPROTO;
	e->sw = sw;
	e->sw_size = size;
	e->cpu_words = (const void *)((const char *)sw + h->cpu_words_offset);
	e->nr_cpu_words = h->nr_cpus;
	e->words = (const void *)((const char *)sw + h->words_offset);
	e->nr_words = h->nr_words;
	return 0;
}

int ghost_enclave_init_mem(struct ghost_enclave *e, void *txn,
			   size_t txn_size, const void *sw, size_t sw_size)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->ctl_fd = -1;
	ret = sw_layout(e, sw, sw_size);
	if (ret)
		return ret;
	e->txn = txn;
	e->txn_size = txn_size;
	e->nr_txn = txn_size / sizeof(struct ghost_txn);
	if (e->nr_txn > e->nr_cpu_words)
		e->nr_txn = e->nr_cpu_words;
	return 0;
}

static int open_file(unsigned int id, const char *file, int flags)
{
	char path[PATH_LEN];
	int ret, fd;

	ret = libghost_path(path, sizeof(path), "enclave_%u/%s", id, file);
	if (ret)
		return ret;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * The region's size is in its header: map the first page to read it,
 * then the whole region.
 */
static int map_sw(struct ghost_enclave *e, unsigned int id)
{
	const struct ghost_sw_region_header *h;
	size_t size;
	void *p;
	int fd, ret;

	fd = open_file(id, "sw", O_RDONLY);
	if (fd < 0)
		return fd;
	p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	h = p;
	size = page_align((size_t)h->words_offset +
			  (size_t)h->nr_words * sizeof(struct ghost_status_word));
	if (h->version != GHOST_VERSION || h->words_offset < sizeof(*h)) {
		munmap(p, page_size());
		ret = -EPROTO;
		goto out;
	}
	munmap(p, page_size());
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	ret = sw_layout(e, p, size);
	if (ret)
		munmap(p, size);
out:
	close(fd);
	return ret;
}

static int map_txn(struct ghost_enclave *e, unsigned int id)
{
	size_t size = page_align(e->nr_cpu_words * sizeof(struct ghost_txn));
	void *p;
	int fd;

	fd = open_file(id, "txn", O_RDWR);
	if (fd < 0)
		return fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	e->txn = p;
	e->txn_size = size;
	e->nr_txn = e->nr_cpu_words;
	return 0;
}

/*
 * The dispatch lists.  A module older than the fast path has no such
 * file: not an error, the agent then decides everything by commits.
 */
static void map_dispatch(struct ghost_enclave *e, unsigned int id)
{
	size_t size = page_align(e->nr_cpu_words *
				 sizeof(struct ghost_dispatch_list));
	void *p;
	int fd;

	fd = open_file(id, "dispatch", O_RDWR);
	if (fd < 0) {
		e->dl_err = fd;
		return;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e->dl_err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (p == MAP_FAILED)
		return;
	e->dl = p;
	e->dl_size = size;
	e->nr_dl = e->nr_cpu_words;
}

static int read_cpus(struct ghost_enclave *e, unsigned int id)
{
	char path[PATH_LEN], buf[GHOST_CPULIST_LEN];
	int ret;

	ret = libghost_path(path, sizeof(path), "enclave_%u/cpulist", id);
	if (ret)
		return ret;
	ret = ghost_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return ghost_cpulist_parse(buf, &e->cpus);
}

int ghost_enclave_open(unsigned int id, struct ghost_enclave *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->id = id;
	e->ctl_fd = open_file(id, "ctl", O_RDWR);
	if (e->ctl_fd < 0) {
		ret = e->ctl_fd;
		e->ctl_fd = -1;
		return ret;
	}
	e->mapped = 1;
	ret = map_sw(e, id);
	if (!ret)
		ret = map_txn(e, id);
	if (!ret)
		map_dispatch(e, id);
	if (!ret)
		ret = read_cpus(e, id);
	if (ret)
		ghost_enclave_close(e);
	return ret;
}

int ghost_enclave_observe(unsigned int id, struct ghost_enclave *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->id = id;
	e->ctl_fd = -1;
	e->mapped = 1;
	ret = map_sw(e, id);
	if (!ret)
		ret = read_cpus(e, id);
	if (ret)
		ghost_enclave_close(e);
	return ret;
}

void ghost_enclave_close(struct ghost_enclave *e)
{
	if (e->mapped) {
		if (e->txn)
			munmap(e->txn, e->txn_size);
		if (e->sw)
			munmap((void *)e->sw, e->sw_size);
		if (e->dl)
			munmap(e->dl, e->dl_size);
	}
	if (e->ctl_fd >= 0)
		close(e->ctl_fd);
	memset(e, 0, sizeof(*e));
	e->ctl_fd = -1;
}

int ghost_agent_attach(struct ghost_enclave *e, int cpu)
{
	struct ghost_ioc_agent arg;

	memset(&arg, 0, sizeof(arg));
	arg.cpu = cpu;
	return ioctl(e->ctl_fd, GHOST_IOC_AGENT_ATTACH, &arg) < 0 ? -errno : 0;
}

int ghost_discover(struct ghost_enclave *e)
{
	return ioctl(e->ctl_fd, GHOST_IOC_DISCOVER) < 0 ? -errno : 0;
}

int ghost_task_affinity(struct ghost_enclave *e, __u64 gtid,
			struct ghost_cpuset *set)
{
	struct ghost_ioc_task_affinity arg;

	memset(&arg, 0, sizeof(arg));
	arg.gtid = gtid;
	arg.cpus_ptr = (__u64)(uintptr_t)set->bits;
	arg.cpus_len = sizeof(set->bits);
	return ioctl(e->ctl_fd, GHOST_IOC_TASK_AFFINITY, &arg) < 0 ? -errno : 0;
}
