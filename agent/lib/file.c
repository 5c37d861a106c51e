// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: reading and writing ghostfs files, and small shared helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *libghost_root = GHOST_FS_PATH;

int libghost_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, len, "%s/", libghost_root);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - n)
		return -ENAMETOOLONG;
	return 0;
}

void libghost_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

int libghost_parse_uint(const char **s, unsigned long max,
			unsigned long *out)
{
	const char *p = *s;
	unsigned long v = 0;
	int range = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	/* Consume every digit even past overflow so errors are precise. */
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = *p - '0';

		if (range || v > max / 10 || max - v * 10 < d)
			range = 1;
		else
			v = v * 10 + d;
	}
	*s = p;
	if (range)
		return -ERANGE;
	*out = v;
	return 0;
}

int ghost_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* ghostfs takes a command in one write(): never split it. */
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int ghost_read_file(const char *path, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd, ret = 0;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (off == len - 1) {
			char c;

			/* Full: only fine if the file ends exactly here. */
			n = read(fd, &c, 1);
			if (n > 0)
				ret = -EOVERFLOW;
			else if (n < 0)
				ret = -errno;
			break;
		}
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		off += n;
	}
	close(fd);
	buf[ret ? 0 : off] = '\0';
	return ret ? ret : (int)off;
}

int libghost_read_uint(const char *path, unsigned int *val)
{
	char buf[32];
	const char *p = buf;
	unsigned long v;
	int ret;

	ret = ghost_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	ret = libghost_parse_uint(&p, 0xffffffffUL, &v);
	if (ret)
		return -EINVAL;
	while (libghost_isspace(*p))
		p++;
	if (*p)
		return -EINVAL;
	*val = v;
	return 0;
}
