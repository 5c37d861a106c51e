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
 * first "status ok" or "status error", and on error "error <why>".
 *
 *   status                       the agent's state and rates
 *   threads                      every thread: the kernel's view (status
 *                                word, CPU) and, if the policy can export
 *                                its state, the policy's
 *   swap / policy P / opt k=v    hot swap to policy P (name or path);
 *   [/ handover discover]        rediscover threads even if the old
 *                                policy could export its state
 *   handover                     a new agent process takes over: we exit
 *                                without destroying the enclave, and the
 *                                reply says whether we had created it
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
#include "../../policies/fifo_state.h"

#define REQ_MAX		8192
#define REPLY_MAX	65536
#define IO_TIMEOUT_MS	1000

int control_fd = -1;
static char sock_path[108];

/* Rates over the last sampling interval (control_sample()). */
static struct {
	uint64_t t, msgs, commits;
	double msgs_rate, commits_rate;
} rate;

struct reply {
	char buf[REPLY_MAX];
	size_t len;
};

static void put(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += n;
	if (r->len > sizeof(r->buf))
		r->len = sizeof(r->buf);
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
	double dt;

	if (rate.t) {
		dt = (now - rate.t) / 1e9;
		if (dt <= 0)
			return;
		rate.msgs_rate = (msgs - rate.msgs) / dt;
		rate.commits_rate = (commits - rate.commits) / dt;
	}
	rate.t = now;
	rate.msgs = msgs;
	rate.commits = commits;
}

static void do_status(struct rt *rt, struct reply *r)
{
	char cpus[GHOST_CPULIST_LEN];
	struct instance *in;
	int i;

	ghost_cpulist_format(&rt->enc.cpus, cpus, sizeof(cpus));
	pthread_mutex_lock(&rt->lock);
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
	pthread_mutex_unlock(&rt->lock);

	put(r, "msgs_per_s %.0f\n", rate.msgs_rate);
	put(r, "commits_per_s %.0f\n", rate.commits_rate);
	put(r, "msgs %llu\n", (unsigned long long)atomic_load(&rt->st.msgs));
	put(r, "commits %llu\n",
	    (unsigned long long)atomic_load(&rt->st.commits));
	put(r, "rounds %llu\n", (unsigned long long)atomic_load(&rt->st.rounds));
	put(r, "routes %llu\n", (unsigned long long)atomic_load(&rt->st.routes));
	put(r, "dispatch_lists %s\n",
	    ghost_dispatch_available(&rt->enc) ? "yes" : "no");
	put(r, "dispatched %llu\n",
	    (unsigned long long)atomic_load(&rt->st.dispatched));
	put(r, "bad_msgs %llu\n",
	    (unsigned long long)atomic_load(&rt->st.bad_msgs));
	put(r, "overflow %u\n", ghost_queue_overflow(&rt->q));
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

/* The policy's view of @gtid from an exported FIFO state. */
static const char *policy_view(const void *buf, long len, __u64 gtid,
			       __u32 *barrier)
{
	static const char *const kinds[] = { "blocked", "queued", "oncpu" };
	const struct fifo_state_hdr *h = buf;
	const struct fifo_state_task *t = (const void *)(h + 1);
	__u32 i;

	if (len < (long)sizeof(*h) || h->magic != FIFO_STATE_MAGIC ||
	    (unsigned long)len < fifo_state_size(h->nr_tasks))
		return "?";
	for (i = 0; i < h->nr_tasks; i++) {
		if (t[i].gtid == gtid) {
			*barrier = t[i].barrier;
			return t[i].kind < 3 ? kinds[t[i].kind] : "?";
		}
	}
	return "unknown";
}

/*
 * A debugging aid: what the kernel and the policy think of each thread.
 * The policy's view is read from its exported state, which only the
 * FIFO format is decoded from here.
 */
static void do_threads(struct rt *rt, struct reply *r)
{
	struct instance *in;
	struct ghost_status_word w;
	const struct ghost_status_word *kw;
	long len = -1;
	__u32 pb;
	unsigned int i;

	pthread_mutex_lock(&rt->lock);
	in = rt->pol;
	if (in->ops->state_format && rt->state_buf &&
	    !strcmp(in->ops->state_format, FIFO_STATE_FORMAT))
		len = in->ops->export_state(&in->ctx, rt->state_buf,
					    rt->state_len);
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
		pb = 0;
		put(r, "thread %d gtid %llx barrier %u%s%s cpu %d policy %s",
		    GHOST_GTID_TID(gtid), (unsigned long long)gtid, w.barrier,
		    w.flags & GHOST_SW_TASK_RUNNABLE ? " runnable" : "",
		    w.flags & GHOST_SW_TASK_ONCPU ? " oncpu" : "",
		    ghost_sw_task_cpu(&rt->enc, gtid),
		    len > 0 && len <= (long)rt->state_len ?
		    policy_view(rt->state_buf, len, gtid, &pb) : "?");
		put(r, pb ? " policy_barrier %u\n" : "\n", pb);
	}
	pthread_mutex_unlock(&rt->lock);
}

static void do_handover(struct rt *rt, struct reply *r)
{
	put(r, "status ok\n");
	put(r, "pid %d\n", (int)getpid());
	put(r, "created %d\n", rt->created);
	atomic_store(&rt->handed_over, 1);
}

/* Read the request until the peer's EOF. */
static int read_request(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (off == len - 1)
			return -E2BIG;
		if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + off, len - 1 - off);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (!n)
			break;
		off += n;
	}
	buf[off] = '\0';
	return 0;
}

static void send_reply(int fd, const struct reply *r)
{
	size_t off = 0;
	ssize_t n;

	while (off < r->len) {
		n = send(fd, r->buf + off, r->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += n;
	}
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

void control_serve(struct rt *rt, int lfd)
{
	static char req[REQ_MAX];
	static struct reply r;
	struct ucred cred;
	char *args, *cmd;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	r.len = 0;
	if (peer_cred(fd, &cred) || !peer_allowed(&cred)) {
		put(&r, "status error\nerror permission denied\n");
	} else if (read_request(fd, req, sizeof(req))) {
		put(&r, "status error\nerror malformed request\n");
	} else {
		args = req;
		cmd = strsep(&args, "\n");
		if (!strcmp(cmd, "status"))
			do_status(rt, &r);
		else if ((!strcmp(cmd, "swap") || !strcmp(cmd, "handover")) &&
			 !peer_is_admin(cred.pid))
			put(&r, "status error\nerror %s needs CAP_SYS_ADMIN\n",
			    cmd);
		else if (!strcmp(cmd, "swap"))
			do_swap(rt, args ? args : (char *)"", &r);
		else if (!strcmp(cmd, "threads"))
			do_threads(rt, &r);
		else if (!strcmp(cmd, "handover"))
			do_handover(rt, &r);
		else
			put(&r, "status error\nerror unknown command '%s'\n", cmd);
	}
	send_reply(fd, &r);
	close(fd);
}
