// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: finding the program of "run" before its thread enters the
 * enclave.  A thread that enters an enclave parks until an agent runs it,
 * so an exec that is bound to fail would only fail once an agent (or the
 * watchdog, destroying the whole enclave) let it go on.  Reads the file
 * system only.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"

/* What execvp() searches when PATH is unset (glibc's _CS_PATH). */
#define DEFAULT_PATH	"/bin:/usr/bin"

/* 0 if execve() may run @path, else the -errno it would fail with. */
static int can_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EACCES;
	if (access(path, X_OK))
		return -errno;
	return 0;
}

int ghostctl_find_program(const char *file, const char *path)
{
	const char *dir, *end;
	char buf[PATH_MAX];
	int ret, eacces = 0, n;

	if (!*file)
		return -ENOENT;
	if (strchr(file, '/'))
		return can_exec(file);
	if (!path)
		path = DEFAULT_PATH;
	/* As execvp(): the first hit wins, EACCES if only those were found. */
	for (dir = path;; dir = end + 1) {
		end = strchrnul(dir, ':');
		/* An empty entry is the current directory. */
		n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(end - dir), dir,
			     end > dir ? "/" : "", file);
		if (n > 0 && (size_t)n < sizeof(buf)) {
			ret = can_exec(buf);
			if (!ret)
				return 0;
			if (ret == -EACCES)
				eacces = 1;
		}
		if (!*end)
			break;
	}
	return eacces ? -EACCES : -ENOENT;
}
