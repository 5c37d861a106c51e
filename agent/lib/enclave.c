// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: creating, listing, inspecting and destroying enclaves through
 * the files of ghostfs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "internal.h"

#define STATUS_LEN	4096

static int valid_id(unsigned int id)
{
	return id >= 1 && id <= GHOST_MAX_ENCLAVE_ID;
}

/* Path of enclave_<id>/<file>, or of the directory if @file is NULL. */
static int enclave_path(char *buf, size_t len, unsigned int id,
			const char *file)
{
	if (!file)
		return libghost_path(buf, len, "enclave_%u", id);
	return libghost_path(buf, len, "enclave_%u/%s", id, file);
}

/* 0 if enclave_<id>/ exists, -ENOENT if not (or another -errno). */
static int enclave_exists(unsigned int id)
{
	char path[PATH_LEN];
	struct stat st;
	int ret;

	if (!valid_id(id))
		return -ENOENT;
	ret = enclave_path(path, sizeof(path), id, NULL);
	if (ret)
		return ret;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOENT;
}

static int enclave_write(unsigned int id, const char *file, const char *s)
{
	char path[PATH_LEN];
	int ret;

	ret = enclave_path(path, sizeof(path), id, file);
	if (ret)
		return ret;
	return ghost_write_file(path, s);
}

int ghost_enclave_id_parse(const char *s, unsigned int *id)
{
	const char *p = s;
	unsigned long v;
	int ret;

	ret = libghost_parse_uint(&p, GHOST_MAX_ENCLAVE_ID, &v);
	if (ret == -EINVAL || *p)
		return -EINVAL;
	if (ret)
		return ret;
	if (!v)
		return -ERANGE;
	*id = v;
	return 0;
}

int libghost_enclave_dirname(const char *name, unsigned int *id)
{
	static const char prefix[] = "enclave_";

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	name += sizeof(prefix) - 1;
	/* The module writes ids without leading zeros. */
	if (name[0] == '0')
		return -EINVAL;
	return ghost_enclave_id_parse(name, id) ? -EINVAL : 0;
}

int ghost_enclave_set_cpus(unsigned int id, const struct ghost_cpuset *cpus)
{
	char list[GHOST_CPULIST_LEN];
	int ret;

	if (!valid_id(id))
		return -EINVAL;
	ret = ghost_cpulist_format(cpus, list, sizeof(list));
	if (ret < 0)
		return ret;
	/* An empty write may never reach the module: send "\n" instead. */
	if (!ret)
		strcpy(list, "\n");
	return enclave_write(id, "cpulist", list);
}

int ghost_enclave_create(unsigned int id, const struct ghost_cpuset *cpus)
{
	char path[PATH_LEN], cmd[64];
	int ret;

	if (!valid_id(id))
		return -EINVAL;
	ret = libghost_path(path, sizeof(path), "ctl");
	if (ret)
		return ret;
	/* Name our ABI so a module that does not speak it refuses. */
	snprintf(cmd, sizeof(cmd), "create %u %u", id, GHOST_VERSION);
	ret = ghost_write_file(path, cmd);
	if (ret || !cpus || !ghost_cpuset_count(cpus))
		return ret;
	ret = ghost_enclave_set_cpus(id, cpus);
	if (ret)
		ghost_enclave_destroy(id);
	return ret;
}

int ghost_enclave_create_any(const struct ghost_cpuset *cpus,
			     unsigned int *id)
{
	unsigned int i;
	int ret = -ENOSPC;

	for (i = 1; i <= GHOST_MAX_ENCLAVE_ID; i++) {
		if (!enclave_exists(i))
			continue;
		ret = ghost_enclave_create(i, cpus);
		/* Lost a race for this id: try the next one. */
		if (ret != -EEXIST)
			break;
	}
	if (!ret)
		*id = i;
	return ret;
}

int ghost_enclave_destroy(unsigned int id)
{
	int ret;

	ret = enclave_exists(id);
	if (ret)
		return ret;
	return enclave_write(id, "ctl", "destroy");
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static int is_dir(DIR *dir, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	if (fstatat(dirfd(dir), de->d_name, &st, 0))
		return 0;
	return S_ISDIR(st.st_mode);
}

/* Collect the enclave ids of @dir into a malloc()ed array in *@out. */
static int collect_ids(DIR *dir, unsigned int **out)
{
	unsigned int *ids = NULL, *tmp, id;
	struct dirent *de;
	int n = 0, cap = 0;

	while ((de = readdir(dir))) {
		if (libghost_enclave_dirname(de->d_name, &id) ||
		    !is_dir(dir, de))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			tmp = realloc(ids, cap * sizeof(*ids));
			if (!tmp) {
				free(ids);
				return -ENOMEM;
			}
			ids = tmp;
		}
		ids[n++] = id;
	}
	*out = ids;
	return n;
}

int ghost_enclave_list(unsigned int *ids, int max)
{
	unsigned int *all = NULL;
	DIR *dir;
	int n;

	dir = opendir(libghost_root);
	if (!dir)
		return -errno;
	n = collect_ids(dir, &all);
	closedir(dir);
	if (n < 0)
		return n;
	if (n) {
		qsort(all, n, sizeof(*all), cmp_uint);
		if (ids && max > 0)
			memcpy(ids, all, (n < max ? n : max) * sizeof(*ids));
	}
	free(all);
	return n;
}

static int read_enclave_uint(unsigned int id, const char *file,
			     unsigned int *val)
{
	char path[PATH_LEN];
	int ret;

	ret = enclave_path(path, sizeof(path), id, file);
	if (ret)
		return ret;
	return libghost_read_uint(path, val);
}

static int read_enclave_file(unsigned int id, const char *file, char *buf,
			     size_t len)
{
	char path[PATH_LEN];
	int ret;

	ret = enclave_path(path, sizeof(path), id, file);
	if (ret)
		return ret;
	ret = ghost_read_file(path, buf, len);
	return ret < 0 ? ret : 0;
}

/* GHOST_IOC_ENCLAVE_INFO on enclave_<id>/ctl into st->info. */
static void read_info(unsigned int id, struct ghost_enclave_status *st)
{
	struct ghost_enclave_info info;
	char path[PATH_LEN];
	int fd;

	st->info_err = enclave_path(path, sizeof(path), id, "ctl");
	if (st->info_err)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st->info_err = -errno;
		return;
	}
	/* The module wants every input field zero. */
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, GHOST_IOC_ENCLAVE_INFO, &info) < 0)
		st->info_err = -errno;
	else
		st->info = info;
	close(fd);
}

int ghost_enclave_status(unsigned int id, struct ghost_enclave_status *st)
{
	char buf[STATUS_LEN];
	int ret;

	memset(st, 0, sizeof(*st));
	ret = enclave_exists(id);
	if (ret)
		return ret;
	st->id = id;
	ret = read_enclave_file(id, "cpulist", buf, sizeof(buf));
	if (!ret)
		ret = ghost_cpulist_parse(buf, &st->cpus);
	if (ret)
		return ret;
	st->nr_cpus = ghost_cpuset_count(&st->cpus);
	ret = read_enclave_file(id, "status", buf, sizeof(buf));
	if (!ret)
		ret = ghost_status_parse(buf, st);
	if (!ret)
		ret = read_enclave_uint(id, "agent_online", &st->agent_online);
	if (!ret)
		ret = read_enclave_uint(id, "runnable_timeout",
					&st->runnable_timeout_ms);
	if (!ret)
		ret = read_enclave_uint(id, "deliver_ticks",
					&st->deliver_ticks);
	if (ret)
		return ret;
	read_info(id, st);
	return 0;
}

int ghost_enclave_set_tunable(unsigned int id, const char *name,
			      unsigned int value)
{
	char val[16];

	if (strcmp(name, "runnable_timeout") && strcmp(name, "deliver_ticks"))
		return -EINVAL;
	if (!valid_id(id))
		return -EINVAL;
	snprintf(val, sizeof(val), "%u", value);
	return enclave_write(id, name, val);
}
