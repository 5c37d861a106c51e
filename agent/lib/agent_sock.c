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
#include <stdlib.h>
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

/* A full backlog (EAGAIN: the agent is busy with other clients) is retried. */
static int connect_by(int fd, const struct sockaddr_un *addr,
		      long long deadline)
{
	struct timespec ts = { 0, 10000000 };

	while (connect(fd, (const struct sockaddr *)addr, sizeof(*addr))) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Send @pass (if >= 0) with the first byte of @s, as SCM_RIGHTS. */
static ssize_t send_first(int fd, const char *s, size_t len, int pass)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)s, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

static int send_all(int fd, const char *s, int pass, long long deadline)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;
	int ret;

	while (off < len) {
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret)
			return ret;
		if (!off && pass >= 0)
			n = send_first(fd, s, len, pass);
		else
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

#define REPLY_MIN	4096

/* Everything up to the peer's EOF, at most @max bytes, into a growing buffer. */
static int recv_all(int fd, char **out, size_t max, long long deadline)
{
	size_t len = 0, size = 0;
	char *buf = NULL, *p;
	ssize_t n;
	int ret;

	for (;;) {
		if (len > max) {
			ret = -EMSGSIZE;
			goto err;
		}
		if (len + 1 >= size) {
			/* Room for a byte past the limit, to see it. */
			size = size ? 2 * size : REPLY_MIN;
			if (size > max + 2)
				size = max + 2;
			p = realloc(buf, size);
			if (!p) {
				ret = -ENOMEM;
				goto err;
			}
			buf = p;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret)
			goto err;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -errno;
			goto err;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
err:
	free(buf);
	return ret;
}

int ghost_agent_request(const char *path, const char *request, char **reply,
			size_t max, int timeout_ms)
{
	return libghost_agent_request_fd(path, request, -1, reply, max,
					 timeout_ms);
}

int libghost_agent_request_fd(const char *path, const char *request, int pass,
			      char **reply, size_t max, int timeout_ms)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	int fd, ret;

	*reply = NULL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = connect_by(fd, &addr, deadline);
	if (!ret)
		ret = send_all(fd, request, pass, deadline);
	if (!ret) {
		shutdown(fd, SHUT_WR);
		ret = recv_all(fd, reply, max, deadline);
	}
	close(fd);
	return ret;
}

int ghost_agent_call(unsigned int id, const char *request, char *reply,
		     size_t len, int timeout_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], *r;
	int ret;

	if (!len)
		return -EINVAL;
	reply[0] = '\0';
	ret = ghost_agent_sock_path(id, path, sizeof(path));
	if (!ret)
		ret = ghost_agent_request(path, request, &r, len - 1,
					  timeout_ms);
	if (ret)
		return ret == -EMSGSIZE ? -ENOSPC : ret;
	memcpy(reply, r, strlen(r) + 1);
	free(r);
	return 0;
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
