// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: talking to a running ghost-agent through its UNIX control
 * socket.  A request is text lines, the first being the command; the
 * client then shuts its side down and reads "key value" lines until the
 * agent closes the connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "internal.h"

int ghost_agent_sock_path(unsigned int id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/agent-%u.sock", GHOST_AGENT_RUN_DIR, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for @events on @fd until @deadline (ms); 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const char *s, long long deadline)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;
	int ret;

	while (off < len) {
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret)
			return ret;
		n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		off += n;
	}
	return 0;
}

static int recv_all(int fd, char *buf, size_t len, long long deadline)
{
	size_t off = 0;
	ssize_t n;
	int ret;

	for (;;) {
		if (off == len - 1)
			return -ENOSPC;
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret)
			return ret;
		n = recv(fd, buf + off, len - 1 - off, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (!n)
			break;
		off += n;
		buf[off] = '\0';
	}
	buf[off] = '\0';
	return off;
}

int ghost_agent_call(unsigned int id, const char *request, char *reply,
		     size_t len, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	int fd, ret;

	if (!len)
		return -EINVAL;
	reply[0] = '\0';
	ret = ghost_agent_sock_path(id, addr.sun_path, sizeof(addr.sun_path));
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		goto out;
	}
	ret = send_all(fd, request, deadline);
	if (ret)
		goto out;
	shutdown(fd, SHUT_WR);
	ret = recv_all(fd, reply, len, deadline);
out:
	close(fd);
	return ret < 0 ? ret : 0;
}

int ghost_kv_get(const char *text, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key), vlen;
	const char *p = text, *end;

	while (p && *p) {
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) &&
		    p[klen] == ' ') {
			p += klen + 1;
			vlen = end - p;
			if (vlen >= len)
				return -ENOSPC;
			memcpy(val, p, vlen);
			val[vlen] = '\0';
			return 0;
		}
		if ((size_t)(end - p) == klen && !strncmp(p, key, klen)) {
			if (!len)
				return -ENOSPC;
			val[0] = '\0';
			return 0;
		}
		p = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}
