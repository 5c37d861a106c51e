// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: the control socket, /run/ghost/agent-<id>.sock.
 *
 * Root only: the directory is 0700, the socket 0600, and a peer whose
 * uid is not ours is refused.  What changes the agent (swap loads code
 * into it, handover stops it) also needs CAP_SYS_ADMIN in the peer's
 * effective set: root without capabilities may only look.  One request per connection: lines of
 * text, the first the command, the others "key value" arguments; the
 * client then shuts down its side.  The reply is "key value" lines, the
 * first "status ok" or "status error", and on error "error <why>"; it
 * ends where the connection does.  A reply is never cut: one that would
 * exceed REPLY_MAX (64 MiB) is replaced by an error.
 *
 * Clients are served side by side, up to MAX_CLIENTS at a time (others
 * wait in the listen backlog), without ever blocking: the main loop
 * polls their sockets with the signalfd (control_poll()), so a client
 * that is slow or stuck holds off neither the others nor SIGTERM.  A
 * client must send its whole request within REQ_MS and read its whole
 * reply within REPLY_MS, or it is dropped.  Only running a command takes
 * the main thread for a while (a swap, mostly).
 *
 *   status                       the agent's state and rates
 *   threads                      every thread: the kernel's view (status
 *                                word, CPU) and, if the policy has a
 *                                describe op, the policy's
 *   swap / policy P / opt k=v    hot swap to policy P (name or path);
 *   [/ handover discover]        rediscover threads even if the old
 *                                policy could export its state
 *   handover                     a new agent process takes over: we exit
 *                                without destroying the enclave, and the
 *                                reply says whether we had created it
 *   hints                        with a memfd (SCM_RIGHTS): the hint
 *                                region of the sender's process, see
 *                                <ghost/app_hint.h>
 *
 * File descriptors sent with a request are received (never left to the
 * kernel to drop) and kept for "hints"; any other command, or a second
 * one, is closed.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent.h"

#define REQ_MAX		8192
#define REPLY_MIN	4096
#define REPLY_MAX	(64 << 20)
/* The longest "thread" line of do_threads(), newline included. */
#define THREAD_LINE_MAX	(136 + DESCRIBE_MAX)
#define REQ_MS		2000		/* to send the whole request */
#define REPLY_MS	5000		/* to read the whole reply */
#define MAX_CLIENTS	16

int control_fd = -1;
static char sock_path[108];

/* Rates over the last sampling interval (control_sample()). */
static struct {
	uint64_t t, msgs, commits, decisions;
	double msgs_rate, commits_rate, decisions_rate;
} rate;

/* A reply, in a buffer that grows up to REPLY_MAX bytes (and a NUL). */
struct reply {
	char *buf;
	size_t len, size;
	int err;			/* -EMSGSIZE, -ENOMEM: it is lost */
};

/* A connection: its request is read, then its reply written. */
struct client {
	int used;
	int fd;
	int allowed;			/* a peer of ours */
	struct ucred cred;
	char req[REQ_MAX];
	size_t req_len;
	int replying;			/* the request is in, r goes out */
	struct reply r;
	size_t sent;
	int handover;			/* rt->handed_over once r is out */
	int passed_fd;			/* from SCM_RIGHTS, or -1 */
	int extra_fds;			/* more were sent: closed */
	uint64_t deadline;		/* ns: drop it then */
};

static struct client clients[MAX_CLIENTS];

static void put(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Room for @more bytes (and a NUL) after what @r has; 0 or r->err. */
static int reserve(struct reply *r, size_t more)
{
	size_t size = r->size ? r->size : REPLY_MIN;
	char *p;

	if (r->err || r->len + more < r->size)
		return r->err;
	if (r->len + more > REPLY_MAX) {
		r->err = -EMSGSIZE;
		return r->err;
	}
	while (size <= r->len + more)
		size *= 2;
	if (size > REPLY_MAX + 1)
		size = REPLY_MAX + 1;
	p = realloc(r->buf, size);
	if (!p) {
		r->err = -ENOMEM;
		return r->err;
	}
	r->buf = p;
	r->size = size;
	return 0;
}

static void put(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->size ? r->buf + r->len : NULL, r->size - r->len, fmt,
		      ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= r->size - r->len) {
		if (reserve(r, n))
			return;
		va_start(ap, fmt);
		vsnprintf(r->buf + r->len, r->size - r->len, fmt, ap);
		va_end(ap);
	}
	r->len += n;
}

/* A peer that is still connected and not listening: a live agent. */
static int sock_alive(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ret = !connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	close(fd);
	return ret;
}

#define SOCK_WAIT_MS	2000

/*
 * A socket left by an agent that died: nobody answers on it.  One that
 * answers belongs to an agent that is handing over and about to go.
 */
static int clear_old_socket(void)
{
	struct timespec ts = { 0, 10000000 };
	int waited;

	for (waited = 0; !access(sock_path, F_OK); waited += 10) {
		if (!sock_alive(sock_path)) {
			unlink(sock_path);
			return 0;
		}
		if (waited >= SOCK_WAIT_MS)
			return -EADDRINUSE;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int control_open(struct rt *rt)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, ret;

	if (mkdir(GHOST_AGENT_RUN_DIR, 0700) && errno != EEXIST)
		return -errno;
	ret = ghost_agent_sock_path(rt->id, sock_path, sizeof(sock_path));
	if (ret)
		return ret;
	ret = clear_old_socket();
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (ret || listen(fd, 8)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	chmod(sock_path, 0600);
	control_fd = fd;
	return 0;
}

void control_close(struct rt *rt)
{
	int i;

	/* Not client_close(): a hand-over not told is no hand-over. */
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].used) {
			close(clients[i].fd);
			if (clients[i].passed_fd >= 0)
				close(clients[i].passed_fd);
		}
		free(clients[i].r.buf);
		memset(&clients[i].r, 0, sizeof(clients[i].r));
		clients[i].used = 0;
	}
	if (control_fd < 0)
		return;
	close(control_fd);
	control_fd = -1;
	unlink(sock_path);
}

void control_sample(struct rt *rt)
{
	uint64_t now = rt_now_ns();
	uint64_t msgs = atomic_load(&rt->st.msgs);
	uint64_t commits = atomic_load(&rt->st.commits);
	uint64_t decisions = atomic_load(&rt->st.decisions);
	double dt;

	if (rate.t) {
		dt = (now - rate.t) / 1e9;
		if (dt <= 0)
			return;
		rate.msgs_rate = (msgs - rate.msgs) / dt;
		rate.commits_rate = (commits - rate.commits) / dt;
		rate.decisions_rate = (decisions - rate.decisions) / dt;
	}
	rate.t = now;
	rate.msgs = msgs;
	rate.commits = commits;
	rate.decisions = decisions;
}

/* Messages waiting in the enclave's queue and every CPU's own. */
static unsigned long queue_depth(struct rt *rt)
{
	unsigned long n = ghost_queue_pending(&rt->q);
	int cpu;

	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++)
		if (atomic_load(&rt->cpu_q[cpu].ready))
			n += ghost_queue_pending(&rt->cpu_q[cpu].q);
	return n;
}

static void do_status(struct rt *rt, struct reply *r)
{
	char cpus[GHOST_CPULIST_LEN];
	struct instance *in;
	int i;

	ghost_cpulist_format(&rt->enc.cpus, cpus, sizeof(cpus));
	rt_lock(rt);
	in = rt->pol;
	put(r, "status ok\n");
	put(r, "pid %d\n", (int)getpid());
	put(r, "enclave %u\n", rt->id);
	put(r, "policy %s\n", in->ops->name);
	put(r, "policy_path %s\n", in->lib.path);
	for (i = 0; in->opts[i]; i++)
		put(r, "opt %s\n", in->opts[i]);
	put(r, "model %s\n", model_name(in->ops->model));
	put(r, "cpus %s\n", cpus);
	put(r, "global_cpu %d\n", in->ctx.global_cpu);
	put(r, "agents %d\n", rt_nr_agents(rt));
	put(r, "threads %u\n", rt->threads.nr);
	put(r, "hint_regions %u\n", hints_nr(rt));
	rt_unlock(rt);

	put(r, "msgs_per_s %.0f\n", rate.msgs_rate);
	put(r, "commits_per_s %.0f\n", rate.commits_rate);
	put(r, "decisions_per_s %.0f\n", rate.decisions_rate);
	put(r, "msgs %llu\n", (unsigned long long)atomic_load(&rt->st.msgs));
	put(r, "commits %llu\n",
	    (unsigned long long)atomic_load(&rt->st.commits));
	put(r, "decisions %llu\n",
	    (unsigned long long)atomic_load(&rt->st.decisions));
	put(r, "rounds %llu\n", (unsigned long long)atomic_load(&rt->st.rounds));
	put(r, "local_rounds %llu\n",
	    (unsigned long long)atomic_load(&rt->st.local_rounds));
	put(r, "helped_rounds %llu\n",
	    (unsigned long long)atomic_load(&rt->st.helped_rounds));
	put(r, "serial_rounds %d\n", rt->serial_rounds);
	put(r, "idle_sleep_us %llu\n",
	    (unsigned long long)(rt->idle_sleep_ns / 1000));
	put(r, "idle_sleeps %llu\n",
	    (unsigned long long)atomic_load(&rt->st.idle_sleeps));
	put(r, "stepped_aside %llu\n",
	    (unsigned long long)atomic_load(&rt->st.stepped_aside));
	put(r, "routes %llu\n", (unsigned long long)atomic_load(&rt->st.routes));
	put(r, "dispatch_lists %s\n",
	    ghost_dispatch_available(&rt->enc) ? "yes" : "no");
	put(r, "dispatched %llu\n",
	    (unsigned long long)atomic_load(&rt->st.dispatched));
	put(r, "bad_msgs %llu\n",
	    (unsigned long long)atomic_load(&rt->st.bad_msgs));
	put(r, "overflow %u\n", ghost_queue_overflow(&rt->q));
	put(r, "queue_depth %lu\n", queue_depth(rt));
	put(r, "rediscoveries %llu\n",
	    (unsigned long long)atomic_load(&rt->st.overflows));
	put(r, "rediscover_failed %llu\n",
	    (unsigned long long)atomic_load(&rt->st.rediscover_failed));
	put(r, "uptime_s %llu\n",
	    (unsigned long long)((rt_now_ns() - rt->start_ns) / 1000000000ULL));
	put(r, "created %d\n", rt->created);
	put(r, "swaps %u\n", rt->swaps);
	if (rt->swaps) {
		put(r, "last_swap_blackout_us %llu\n",
		    (unsigned long long)(rt->last_blackout_ns / 1000));
		put(r, "last_swap_handover %s\n", rt->last_handover);
	}
	for (i = 1; i < GHOST_TXN_NR_STATES; i++) {
		if (i == GHOST_TXN_COMPLETE)
			continue;
		put(r, "fail.%s %llu\n", ghost_txn_state_name(i),
		    (unsigned long long)atomic_load(&rt->st.failed[i]));
	}
}

static void do_swap(struct rt *rt, char *args, struct reply *r)
{
	char *opts[AGENT_MAX_OPTS + 1], *line, *policy = NULL, msg[1024];
	struct swap_result res;
	int nr = 0, discover = 0;

	while ((line = strsep(&args, "\n"))) {
		if (!strncmp(line, "policy ", 7)) {
			policy = line + 7;
		} else if (!strcmp(line, "handover discover")) {
			discover = 1;
		} else if (!strncmp(line, "opt ", 4)) {
			if (nr == AGENT_MAX_OPTS) {
				put(r, "status error\nerror too many options\n");
				return;
			}
			opts[nr++] = line + 4;
		}
	}
	opts[nr] = NULL;
	if (!policy || !*policy) {
		put(r, "status error\nerror swap needs a policy\n");
		return;
	}
	if (agent_swap(rt, policy, opts, nr, discover, &res, msg,
		       sizeof(msg))) {
		put(r, "status error\nerror %s\n", msg);
		return;
	}
	put(r, "status ok\n");
	put(r, "policy %s\n", rt->pol->ops->name);
	put(r, "policy_path %s\n", rt->pol->lib.path);
	put(r, "model %s\n", model_name(rt->pol->ops->model));
	put(r, "handover %s\n", res.handover);
	put(r, "threads %u\n", res.threads);
	put(r, "blackout_us %.1f\n", res.blackout_ns / 1000.0);
}

/*
 * The policy's view of @gtid through its describe op, as the "policy"
 * fields of a "thread" line: " policy S[ policy_barrier N][ detail W...]".
 * The description is the policy's, so it is not trusted to be well formed:
 * anything but printable ASCII becomes '?', and a thread it does not know,
 * or a policy without the op, is "?".
 */
static void policy_view(struct reply *r, struct instance *in, __u64 gtid)
{
	char buf[DESCRIBE_MAX], *tok, *save, *state = NULL, *pb = NULL;
	char detail[DESCRIBE_MAX];
	size_t dl = 0;
	int n, i;

	n = in->ops->describe ? in->ops->describe(&in->ctx, gtid, buf,
						  sizeof(buf)) : -ENOENT;
	if (n < 0) {
		put(r, " policy %s", n == -ENOENT && in->ops->describe ?
		    "unknown" : "?");
		return;
	}
	buf[sizeof(buf) - 1] = '\0';
	for (i = 0; buf[i]; i++) {
		if (buf[i] < ' ' || buf[i] > '~')
			buf[i] = '?';
	}
	detail[0] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "state=", 6) && !state && tok[6])
			state = tok + 6;
		else if (!strncmp(tok, "barrier=", 8) && !pb && tok[8] &&
			 strspn(tok + 8, "0123456789") == strlen(tok + 8))
			pb = tok + 8;
		else
			dl += snprintf(detail + dl, sizeof(detail) - dl, "%s%s",
				       dl ? " " : "", tok);
	}
	put(r, " policy %s", state ? state : "?");
	if (pb)
		put(r, " policy_barrier %s", pb);
	if (detail[0])
		put(r, " detail %s", detail);
}

/*
 * A debugging aid: what the kernel and the policy think of each thread.
 * The policy's view is what its describe op says.
 */
static void do_threads(struct rt *rt, struct reply *r)
{
	struct instance *in;
	struct ghost_status_word w;
	const struct ghost_status_word *kw;
	unsigned int i, nr;

	/*
	 * Room for every line before taking the lock, rather than under it
	 * while the agents wait for it.
	 */
	rt_lock(rt);
	nr = rt->threads.nr;
	rt_unlock(rt);
	reserve(r, 16 + (size_t)nr * THREAD_LINE_MAX);

	rt_lock(rt);
	in = rt->pol;
	put(r, "status ok\n");
	for (i = 0; i <= rt->threads.mask; i++) {
		__u64 gtid = rt->threads.slots[i].key;
		unsigned int idx;

		if (!gtid)
			continue;
		idx = (unsigned int)((uintptr_t)rt->threads.slots[i].val - 1);
		kw = ghost_sw_word(&rt->enc, idx);
		memset(&w, 0, sizeof(w));
		if (kw)
			ghost_sw_snapshot(kw, &w);
		put(r, "thread %d gtid %llx barrier %u%s%s cpu %d",
		    GHOST_GTID_TID(gtid), (unsigned long long)gtid, w.barrier,
		    w.flags & GHOST_SW_TASK_RUNNABLE ? " runnable" : "",
		    w.flags & GHOST_SW_TASK_ONCPU ? " oncpu" : "",
		    ghost_sw_task_cpu(&rt->enc, gtid));
		policy_view(r, in, gtid);
		put(r, "\n");
	}
	rt_unlock(rt);
}

/* 1: we stop once the reply is out (client_close()), not before. */
static int do_handover(struct rt *rt, struct reply *r)
{
	put(r, "status ok\n");
	put(r, "pid %d\n", (int)getpid());
	put(r, "created %d\n", rt->created);
	return 1;
}

static int peer_cred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) ? -errno :
	       0;
}

static int peer_allowed(const struct ucred *cred)
{
	return cred->uid == 0 || cred->uid == geteuid();
}

/* Does the connected process @pid have CAP_SYS_ADMIN (effective)? */
static int peer_is_admin(pid_t pid)
{
	unsigned long long eff = 0;
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found && (eff >> CAP_SYS_ADMIN & 1);
}

static void client_close(struct rt *rt, struct client *c)
{
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	c->passed_fd = -1;
	close(c->fd);
	free(c->r.buf);
	memset(&c->r, 0, sizeof(c->r));
	c->used = 0;
	if (c->handover)
		atomic_store(&rt->handed_over, 1);
}

/*
 * The region of the sender's process.  Any peer the socket lets in may
 * register (it is root-only): it affects only its own threads, so no
 * CAP_SYS_ADMIN is needed.
 */
static void do_hints(struct rt *rt, struct client *c)
{
	char msg[256];

	if (c->passed_fd < 0 || c->extra_fds) {
		put(&c->r, "status error\nerror hints needs exactly one memfd (SCM_RIGHTS)\n");
		return;
	}
	if (hints_register(rt, c->passed_fd, c->cred.pid, msg, sizeof(msg))) {
		put(&c->r, "status error\nerror hint region refused: %s\n",
		    msg);
		return;
	}
	put(&c->r, "status ok\n");
	put(&c->r, "pid %d\n", (int)c->cred.pid);
}

/* The whole request is in: run it. */
static void client_run(struct rt *rt, struct client *c)
{
	char *args, *cmd;

	c->req[c->req_len] = '\0';
	args = c->req;
	cmd = strsep(&args, "\n");
	if (!c->allowed)
		put(&c->r, "status error\nerror permission denied\ndenied 1\n");
	else if (!strcmp(cmd, "status"))
		do_status(rt, &c->r);
	else if ((!strcmp(cmd, "swap") || !strcmp(cmd, "handover")) &&
		 !peer_is_admin(c->cred.pid))
		put(&c->r, "status error\nerror %s needs CAP_SYS_ADMIN\ndenied 1\n",
		    cmd);
	else if (!strcmp(cmd, "swap"))
		do_swap(rt, args ? args : (char *)"", &c->r);
	else if (!strcmp(cmd, "threads"))
		do_threads(rt, &c->r);
	else if (!strcmp(cmd, "handover"))
		c->handover = do_handover(rt, &c->r);
	else if (!strcmp(cmd, "hints"))
		do_hints(rt, c);
	else
		put(&c->r, "status error\nerror unknown command '%s'\n", cmd);
}

/* As much of the reply as the socket takes now; closed once all is out. */
static void client_write(struct rt *rt, struct client *c)
{
	ssize_t n;

	while (c->sent < c->r.len) {
		n = send(c->fd, c->r.buf + c->sent, c->r.len - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->sent += n;
	}
	client_close(rt, c);
}

static void client_reply(struct rt *rt, struct client *c)
{
	int err = c->r.err;

	/* An error, rather than a reply cut short. */
	if (err) {
		c->r.len = 0;
		c->r.err = 0;
		if (err == -EMSGSIZE)
			put(&c->r, "status error\nerror the reply would exceed %d MiB\n",
			    REPLY_MAX >> 20);
		else
			put(&c->r, "status error\nerror %s\n", strerror(-err));
	}
	c->replying = 1;
	c->deadline = rt_now_ns() + REPLY_MS * 1000000ULL;
	client_write(rt, c);
}

/*
 * read() that also takes the descriptors sent along: the first is kept
 * for "hints", the rest closed at once.
 */
static ssize_t recv_fds(struct client *c, char *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;
	int i, nfd, fd;

	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	if (mh.msg_flags & MSG_CTRUNC)
		c->extra_fds = 1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (c->passed_fd < 0) {
				c->passed_fd = fd;
				continue;
			}
			close(fd);
			c->extra_fds = 1;
		}
	}
	return n;
}

/* What the peer sent so far; at its EOF, run the request and reply. */
static void client_read(struct rt *rt, struct client *c)
{
	ssize_t n;

	for (;;) {
		if (c->req_len == REQ_MAX - 1) {
			put(&c->r, "status error\nerror request too long\n");
			client_reply(rt, c);
			return;
		}
		n = recv_fds(c, c->req + c->req_len, REQ_MAX - 1 - c->req_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_close(rt, c);
			return;
		}
		if (!n)
			break;
		c->req_len += n;
	}
	client_run(rt, c);
	client_reply(rt, c);
}

/* Past its deadline: a word if the socket takes it, and good-bye. */
static void client_expire(struct rt *rt, struct client *c)
{
	static const char msg[] = "status error\nerror request timed out\n";

	if (!c->replying)
		send(c->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(rt, c);
}

/* New connections, as long as there is room for them. */
static void client_accept(struct rt *rt)
{
	struct client *c;
	int i, fd;

	for (i = 0; i < MAX_CLIENTS; i++) {
		c = &clients[i];
		if (c->used)
			continue;
		fd = accept4(control_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		c->used = 1;
		c->fd = fd;
		c->allowed = !peer_cred(fd, &c->cred) &&
			     peer_allowed(&c->cred);
		c->req_len = 0;
		c->replying = 0;
		c->sent = 0;
		c->handover = 0;
		c->passed_fd = -1;
		c->extra_fds = 0;
		c->deadline = rt_now_ns() + REQ_MS * 1000000ULL;
		/* The request is often there already. */
		client_read(rt, c);
	}
}

int control_poll(struct rt *rt, int sfd, int ms)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	struct client *of[2 + MAX_CLIENTS];
	int i, n = 0, lidx = -1, room = 0;
	uint64_t now = rt_now_ns();
	long long left;

	pfd[n].fd = sfd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (!c->used) {
			room = 1;
			continue;
		}
		left = c->deadline > now ?
		       (long long)((c->deadline - now + 999999) / 1000000) : 0;
		if (ms < 0 || left < ms)
			ms = left;
		of[n] = c;
		pfd[n].fd = c->fd;
		pfd[n++].events = c->replying ? POLLOUT : POLLIN;
	}
	if (control_fd >= 0 && room) {
		lidx = n;
		pfd[n].fd = control_fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, n, ms) < 0)
		return 0;
	/* A signal first: nothing else to do then. */
	if (pfd[0].revents)
		return 1;
	for (i = 1; i < n; i++) {
		if (i == lidx || !pfd[i].revents)
			continue;
		if (of[i]->replying)
			client_write(rt, of[i]);
		else
			client_read(rt, of[i]);
	}
	now = rt_now_ns();
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].used && now >= clients[i].deadline)
			client_expire(rt, &clients[i]);
	}
	if (lidx >= 0 && pfd[lidx].revents)
		client_accept(rt);
	return 0;
}
