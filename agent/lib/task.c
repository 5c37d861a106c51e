// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: moving threads into and out of enclaves.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


int ghost_task_enter(unsigned int id, pid_t tid)
{
	char path[PATH_LEN], val[16];
	int ret;

	if (tid < 0)
		return -EINVAL;
	ret = libghost_path(path, sizeof(path), "enclave_%u/tasks", id);
	if (ret)
		return ret;
	snprintf(val, sizeof(val), "%d", (int)tid);
	return ghost_write_file(path, val);
}

int ghost_task_leave(unsigned int id, pid_t tid)
{
	char path[PATH_LEN], cmd[32];
	int ret;

	if (tid < 0)
		return -EINVAL;
	ret = libghost_path(path, sizeof(path), "enclave_%u/ctl", id);
	if (ret)
		return ret;
	snprintf(cmd, sizeof(cmd), "leave %d", (int)tid);
	return ghost_write_file(path, cmd);
}

/* Parse whitespace-separated tids from @text into @tids. */
static int parse_tids(const char *text, pid_t *tids, int max)
{
	const char *p = text;
	unsigned long v;
	int n = 0;

	for (;;) {
		while (libghost_isspace(*p))
			p++;
		if (!*p)
			return n;
		if (libghost_parse_uint(&p, 0x7fffffffUL, &v))
			return -EPROTO;
		if (n < max)
			tids[n] = v;
		n++;
	}
}

int ghost_task_list(unsigned int id, pid_t *tids, int max)
{
	char path[PATH_LEN], *buf;
	size_t len = 1 << 16;
	int ret;

	ret = libghost_path(path, sizeof(path), "enclave_%u/tasks", id);
	if (ret)
		return ret;
	for (;;) {
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		ret = ghost_read_file(path, buf, len);
		if (ret != -EOVERFLOW || len >= (1U << 24))
			break;
		free(buf);
		len <<= 2;
	}
	if (ret >= 0)
		ret = parse_tids(buf, tids, max);
	free(buf);
	return ret;
}

/* The Tgid of thread @tid from /proc/<tid>/status. */
static int thread_tgid(pid_t tid, pid_t *tgid)
{
	char path[64], buf[4096], *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	ret = ghost_read_file(path, buf, sizeof(buf));
	if (ret == -EOVERFLOW)
		return -EPROTO;
	if (ret < 0)
		return ret == -ENOENT ? -ESRCH : ret;
	p = strstr(buf, "\nTgid:");
	if (!p)
		return -EPROTO;
	*tgid = strtol(p + 6, NULL, 10);
	return 0;
}

int ghost_process_threads(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *de;
	const char *p;
	unsigned long v;
	pid_t tgid;
	DIR *dir;
	int n = 0, ret;

	if (pid <= 0)
		return -ESRCH;
	ret = thread_tgid(pid, &tgid);
	if (ret)
		return ret;
	if (tgid != pid) {
		if (max > 0)
			tids[0] = pid;
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir))) {
		p = de->d_name;
		if (libghost_parse_uint(&p, 0x7fffffffUL, &v) || *p)
			continue;
		if (n < max)
			tids[n] = v;
		n++;
	}
	closedir(dir);
	return n;
}
