// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: ghost-agent's control socket, in-process and without a
 * kernel.  The agent runs no agent thread; its enclave has two CPUs, a
 * default queue in plain memory and a ctl that is /dev/null (every ioctl
 * fails with ENOTTY), its policy is fifo_per_cpu, and its control socket
 * listens in the test's scratch directory.  The test plays both the main
 * loop (control_poll()) and the clients.  And ghostctl's side of the
 * socket (ghost_agent_request(), as ghostctl calls it) against a plain
 * server, and the swap of the policy and the recovery from a full queue
 * when rediscovering threads fails (as DISCOVER does here).  And "hints":
 * this process registers hint regions (memfds passed with SCM_RIGHTS)
 * and reads its own threads' hints back through the policy's helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>

#include "agent.h"
#include "cmd.h"
#include "fakefs.h"
#include "internal.h"

#ifndef GHOST_TEST_POLICY_DIR
#define GHOST_TEST_POLICY_DIR "build/policies"
#endif
#ifndef GHOST_TEST_PLUGIN_DIR
#define GHOST_TEST_PLUGIN_DIR "build/test/unit/plugins"
#endif

#define RING_SLOTS	64
/* The agent's limit, which ghostctl reads up to. */
#define REPLY_MAX	(64 << 20)

static struct rt rt;
static void *ring;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static long long now_ms(void)
{
	return (long long)(rt_now_ns() / 1000000);
}

/* Checked fixture: a fresh agent, listening. */
static void agent_setup(void)
{
	static const char *const dirs[] = {
		GHOST_TEST_POLICY_DIR, GHOST_TEST_PLUGIN_DIR, NULL,
	};
	size_t size = sizeof(struct ghost_ring) +
		      RING_SLOTS * sizeof(struct ghost_msg);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char msg[1024];
	int cpu, fd;

	fake_setup();
	memset(&rt, 0, sizeof(rt));
	ck_assert_int_eq(rt_init(&rt), 0);
	rt.id = 1;
	rt.enc.ctl_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(rt.enc.ctl_fd, 0);
	ring = calloc(1, size);
	ck_assert_ptr_nonnull(ring);
	((struct ghost_ring *)ring)->nr_slots = RING_SLOTS;
	ck_assert_int_eq(ghost_queue_init_mem(&rt.q, ring, size), 0);
	for (cpu = 0; cpu < 2; cpu++) {
		ghost_cpuset_set(&rt.enc.cpus, cpu);
		rt.ecpus[rt.nr_ecpus++] = cpu;
	}
	rt.global_cpu = 0;
	rt.topo.nr_cpu_ids = 2;
	rt.policy_dirs = dirs;
	rt.pol = instance_load(&rt, "fifo_per_cpu", NULL, 0, msg, sizeof(msg));
	ck_assert_msg(rt.pol, "%s", msg);
	atomic_store(&rt.model, rt.pol->ops->model);
	atomic_store(&rt.paused, 0);

	snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", fake_root);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	control_fd = fd;
}

static void agent_teardown(void)
{
	control_close(&rt);
	instance_free(rt.pol);
	rt_destroy(&rt);
	close(rt.enc.ctl_fd);
	free(ring);
}

/* A client connected to the agent; blocking. */
static int client(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	return fd;
}

static void client_send(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL),
			 (ssize_t)strlen(s));
}

/* A whole request: sent, then our side shut down. */
static int client_request(const char *req)
{
	int fd = client();

	client_send(fd, req);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	return fd;
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

/* Play the main loop until @fd has something to read; how long it took. */
static long long serve_until_readable(int fd, int max_ms)
{
	long long start = now_ms();

	while (!readable(fd) && now_ms() - start < max_ms)
		ck_assert_int_eq(control_poll(&rt, -1, 10), 0);
	return now_ms() - start;
}

/* The reply on @fd, up to the agent's EOF (into a static buffer). */
static const char *reply_of(int fd)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		ck_assert_uint_lt(len, sizeof(buf) - 1);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		ck_assert_int_ge(n, 0);
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

#define ck_reply_has(reply, want) \
	ck_assert_msg(strstr(reply, want), "reply \"%s\" lacks \"%s\"", \
		      reply, want)

START_TEST(test_status)
{
	const char *r;
	int fd;

	fd = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	r = reply_of(fd);
	ck_assert_msg(!strncmp(r, "status ok\npid ", 14), "reply: %s", r);
	ck_reply_has(r, "\npolicy fifo_per_cpu\n");
	ck_reply_has(r, "\ncpus 0-1\n");

	fd = client_request("nonsense\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	ck_assert_str_eq(reply_of(fd),
			 "status error\nerror unknown command 'nonsense'\n");
}
END_TEST

/*
 * Every request the agent takes from its policy is a decision, and
 * status shows them: one it refuses (its CPU asked for already) is not.
 */
START_TEST(test_decisions_counted)
{
	struct ghost_txn txn[2];
	struct ghost_policy_ctx *ctx = &rt.pol->ctx;
	const char *r;
	int fd;

	memset(txn, 0, sizeof(txn));
	rt.enc.txn = txn;
	rt.enc.nr_txn = 2;
	ck_assert_int_eq(rt_host.run(ctx, 1, 0x1234, 7), 0);
	ck_assert_int_eq(rt_host.run(ctx, 1, 0x1235, 7), -EBUSY);
	ck_assert_int_eq(rt_host.run(ctx, 0, GHOST_NULL_GTID, 0), 0);
	ck_assert_int_eq(rt_host.run(ctx, 5, 0x1234, 7), -EINVAL);
	rt.enc.txn = NULL;
	rt.enc.nr_txn = 0;

	fd = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	r = reply_of(fd);
	ck_reply_has(r, "\ndecisions 2\n");
	ck_reply_has(r, "\ndecisions_per_s ");
}
END_TEST

/* A client that is slow to send its request holds nobody off. */
START_TEST(test_slow_client_holds_off_no_other)
{
	int slow, fast;

	slow = client();
	client_send(slow, "sta");
	fast = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(fast, 1500), 500);
	ck_reply_has(reply_of(fast), "status ok\n");
	/* The slow one is still being listened to. */
	ck_assert(!readable(slow));
	client_send(slow, "tus\n");
	ck_assert_int_eq(shutdown(slow, SHUT_WR), 0);
	ck_assert_int_lt(serve_until_readable(slow, 1000), 1000);
	ck_reply_has(reply_of(slow), "status ok\n");
}
END_TEST

struct trickle {
	int fd;
	atomic_int stop;
};

/* A byte of request every 300 ms, for 4 s at most. */
static void *trickle(void *arg)
{
	struct timespec ts = { 0, 300000000L };
	struct trickle *t = arg;
	int i;

	for (i = 0; i < 13 && !atomic_load(&t->stop); i++) {
		if (send(t->fd, "s", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * A request that does not come whole in time is answered so, and
 * dropped; bytes now and then do not keep it alive.
 */
START_TEST(test_incomplete_request_is_dropped)
{
	struct trickle t = { .fd = client() };
	long long start = now_ms(), took;
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, trickle, &t), 0);
	serve_until_readable(t.fd, 6000);
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	took = now_ms() - start;
	ck_assert_int_ge(took, 1900);
	ck_assert_int_lt(took, 3000);
	ck_assert_str_eq(reply_of(t.fd),
			 "status error\nerror request timed out\n");
}
END_TEST

struct delayed_write {
	int fd, ms;
	long long at;
};

static void *write_later(void *arg)
{
	struct delayed_write *d = arg;
	struct timespec ts = { 0, d->ms * 1000000L };

	nanosleep(&ts, NULL);
	d->at = now_ms();
	ck_assert_int_eq(write(d->fd, "x", 1), 1);
	return NULL;
}

/*
 * A signal comes (the signalfd, here a pipe, is readable) while a client
 * is connected and says nothing, another has sent half a request: the
 * main loop hears of it at once.
 */
START_TEST(test_signal_with_idle_clients)
{
	struct delayed_write d = { .ms = 100 };
	int p[2], idle, half, got = 0;
	long long end;
	pthread_t th;

	ck_assert_int_eq(pipe(p), 0);
	d.fd = p[1];
	idle = client();
	half = client();
	client_send(half, "stat");
	ck_assert_int_eq(pthread_create(&th, NULL, write_later, &d), 0);
	end = now_ms() + 3000;
	while (!got && now_ms() < end)
		got = control_poll(&rt, p[0], 200);
	end = now_ms();
	pthread_join(th, NULL);
	ck_assert_int_eq(got, 1);
	ck_assert_msg(end - d.at < 500, "the signal waited %lld ms",
		      end - d.at);
	close(idle);
	close(half);
}
END_TEST

/* The agent stops once the new one has its answer, not before. */
START_TEST(test_handover_after_reply)
{
	const char *r;
	int fd;

	fd = client_request("handover\n");
	serve_until_readable(fd, 1000);
	r = reply_of(fd);
	if (strstr(r, "needs CAP_SYS_ADMIN")) {
		/* Not root: the request is refused, nothing happens. */
		ck_assert_int_eq(atomic_load(&rt.handed_over), 0);
		return;
	}
	ck_assert_msg(!strncmp(r, "status ok\n", 10), "reply: %s", r);
	ck_reply_has(r, "\ncreated 0\n");
	ck_assert_int_eq(atomic_load(&rt.handed_over), 1);
}
END_TEST

/* @n threads the kernel told the agent about. */
static void add_threads(unsigned int n)
{
	unsigned int i;
	__u64 gtid;

	for (i = 0; i < n; i++) {
		gtid = (__u64)(100000 + i) << 32 | (i + 1);
		ck_assert_int_eq(gp_table_insert(&rt.threads, gtid,
						 (void *)(uintptr_t)(i + 1)),
				 0);
	}
}

/* Play the main loop (in a thread) until told to stop on @stop. */
struct main_loop {
	int stop[2];
	pthread_t th;
};

static void *main_loop(void *arg)
{
	struct main_loop *m = arg;

	while (!control_poll(&rt, m->stop[0], 100))
		;
	return NULL;
}

static void main_loop_start(struct main_loop *m)
{
	ck_assert_int_eq(pipe(m->stop), 0);
	ck_assert_int_eq(pthread_create(&m->th, NULL, main_loop, m), 0);
}

static void main_loop_stop(struct main_loop *m)
{
	ck_assert_int_eq(write(m->stop[1], "x", 1), 1);
	pthread_join(m->th, NULL);
	close(m->stop[0]);
	close(m->stop[1]);
}

/* Bytes until EOF on @fd. */
static size_t drain(int fd)
{
	char buf[65536];
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		len += n;
	ck_assert_int_eq(n, 0);
	close(fd);
	return len;
}

/*
 * Every thread, well past the 64 KiB the agent's replies used to be cut
 * at: the lines of 16000 threads, close to 1 MiB.
 */
START_TEST(test_threads_reply_is_whole)
{
	struct main_loop m;
	unsigned int n = 0, want = AGENT_MAX_THREADS - 384;
	char *reply, *p, line[64];
	int tid = -1;

	add_threads(want);
	main_loop_start(&m);
	ck_assert_int_eq(ghost_agent_request(sock_path, "threads\n", &reply,
					     REPLY_MAX, 5000), 0);
	main_loop_stop(&m);
	ck_assert_msg(!strncmp(reply, "status ok\n", 10), "reply: %.64s",
		      reply);
	ck_assert_uint_gt(strlen(reply), 900 << 10);
	for (p = strstr(reply, "\nthread "); p; p = strstr(p + 1, "\nthread ")) {
		ck_assert_int_eq(sscanf(p, "\nthread %d gtid %63s", &tid, line),
				 2);
		ck_assert_int_ge(tid, 100000);
		n++;
	}
	ck_assert_uint_eq(n, want);
	/* Nothing cut in the middle of a line. */
	ck_assert_int_eq(reply[strlen(reply) - 1], '\n');
	free(reply);
}
END_TEST

/* The threads reply, for the low words of gtid @n threads. */
static char *threads_of(const unsigned int *low, int n)
{
	struct main_loop m;
	char *reply;
	int i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(gp_table_insert(&rt.threads,
						 (__u64)(100 + i) << 32 | low[i],
						 (void *)(uintptr_t)(i + 1)),
				 0);
	main_loop_start(&m);
	ck_assert_int_eq(ghost_agent_request(sock_path, "threads\n", &reply,
					     REPLY_MAX, 5000), 0);
	main_loop_stop(&m);
	return reply;
}

/*
 * The policy's view of a thread is what its describe op says, split into
 * state, barrier and the rest, and cleaned of anything that could break
 * the reply's lines; no op, or a thread it does not know, is said so.
 */
START_TEST(test_threads_describe)
{
	static const unsigned int low[] = { 1, 2, 3, 4 };
	struct instance *fifo = rt.pol;
	char msg[1024], *reply, line[256], *p;

	/* fifo_per_cpu has the op but was told of no thread. */
	reply = threads_of(low, 1);
	ck_reply_has(reply, "thread 100 gtid 6400000001 barrier 0 cpu -1 policy unknown\n");
	free(reply);

	rt.pol = instance_load(&rt, "describe", NULL, 0, msg, sizeof(msg));
	ck_assert_msg(rt.pol, "%s", msg);
	gp_table_clear(&rt.threads);
	reply = threads_of(low, 4);
	instance_free(rt.pol);
	rt.pol = fifo;
	ck_reply_has(reply, "thread 100 gtid 6400000001 barrier 0 cpu -1 policy queued policy_barrier 9 detail queue=cpu1 pos=3 vruntime=7\n");
	ck_reply_has(reply, "thread 101 gtid 6500000002 barrier 0 cpu -1 policy oncpu?thread detail 1 gtid 1 barrier=x1 k=?v\n");
	snprintf(line, sizeof(line), "thread 102 gtid 6600000003 barrier 0 cpu -1 policy ? detail ");
	memset(line + strlen(line), 'a', DESCRIBE_MAX - 1);
	line[strlen("thread 102 gtid 6600000003 barrier 0 cpu -1 policy ? detail ") +
	     DESCRIBE_MAX - 1] = '\0';
	p = strstr(reply, line);
	ck_assert_msg(p && p[strlen(line)] == '\n', "reply: %s", reply);
	ck_reply_has(reply, "thread 103 gtid 6700000004 barrier 0 cpu -1 policy unknown\n");
	/* Every line is a thread's, or the status. */
	for (p = reply; *p; p = strchr(p, '\n') + 1)
		ck_assert_msg(!strncmp(p, "thread 10", 9) ||
			      !strncmp(p, "status ok\n", 10), "line: %s", p);
	free(reply);

	/* A policy without the op. */
	rt.pol = instance_load(&rt, "good", NULL, 0, msg, sizeof(msg));
	ck_assert_msg(rt.pol, "%s", msg);
	reply = threads_of(low, 0);
	instance_free(rt.pol);
	rt.pol = fifo;
	ck_reply_has(reply, "thread 101 gtid 6500000002 barrier 0 cpu -1 policy ?\n");
	free(reply);
}
END_TEST

/*
 * A client that does not read its reply, more than a socket buffer
 * holds, holds off no other client and is dropped after 5 s.
 */
START_TEST(test_unread_reply_is_dropped)
{
	long long start;
	size_t got;
	int fd, other;

	add_threads(16000);
	fd = client_request("threads\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	start = now_ms();
	other = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(other, 1000), 500);
	ck_reply_has(reply_of(other), "status ok\n");
	while (now_ms() - start < 5500)
		ck_assert_int_eq(control_poll(&rt, -1, 100), 0);
	/* Part of it, then the end of the connection. */
	got = drain(fd);
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_lt(got, 16000 * 50);
}
END_TEST

/* A thread the agent moved to a CPU's queue: a failed swap keeps it so. */
#define ROUTED_GTID	((__u64)4242 << 32 | 1)

static void check_old_policy_stays(struct instance *old)
{
	ck_assert_ptr_eq(rt.pol, old);
	ck_assert_str_eq(rt.pol->ops->name, "fifo_per_cpu");
	ck_assert_int_eq(atomic_load(&rt.model), GHOST_POLICY_PER_CPU);
	ck_assert_uint_eq(rt.swaps, 0);
	/* Resumed. */
	ck_assert_int_eq(atomic_load(&rt.paused), 0);
	ck_assert_int_eq(pthread_mutex_trylock(&rt.lock), 0);
	pthread_mutex_unlock(&rt.lock);
	ck_assert_ptr_nonnull(gp_table_find(&rt.routes, ROUTED_GTID));
}

/*
 * A swap that needs the kernel to announce every thread again fails when
 * it cannot, and says so: the new policy would know no thread.  Asked
 * for (--rediscover), for want of a common state format, or after the
 * new policy refused the old one's state.
 */
START_TEST(test_swap_fails_without_rediscovery)
{
	static const struct {
		const char *policy;
		int rediscover;
		const char *msg;
	} c[] = {
		{ "fifo_per_cpu", 1,
		  "cannot rediscover the threads of enclave 1 for policy fifo_per_cpu: Inappropriate ioctl for device; fifo_per_cpu stays" },
		{ "good", 0,
		  "cannot rediscover the threads of enclave 1 for policy good: Inappropriate ioctl for device; fifo_per_cpu stays" },
		{ "import_fails", 0,
		  "state hand-over to import_fails failed, and so did rediscovering the threads of enclave 1: Inappropriate ioctl for device; fifo_per_cpu stays" },
	};
	struct instance *old = rt.pol;
	struct swap_result res;
	char msg[1024] = "";

	ck_assert_int_eq(gp_table_insert(&rt.routes, ROUTED_GTID, (void *)2),
			 0);
	ck_assert_int_eq(agent_swap(&rt, c[_i].policy, NULL, 0,
				    c[_i].rediscover, &res, msg, sizeof(msg)),
			 -ENOTTY);
	ck_assert_str_eq(msg, c[_i].msg);
	check_old_policy_stays(old);
}
END_TEST

/* The same policy by export needs no kernel: it works here. */
START_TEST(test_swap_by_export)
{
	struct instance *old = rt.pol;
	struct swap_result res;
	char msg[1024] = "";

	ck_assert_int_eq(gp_table_insert(&rt.routes, ROUTED_GTID, (void *)2),
			 0);
	ck_assert_int_eq(agent_swap(&rt, "fifo_per_cpu", NULL, 0, 0, &res, msg,
				    sizeof(msg)), 0);
	ck_assert_str_eq(res.handover, "export");
	ck_assert_ptr_ne(rt.pol, old);
	ck_assert_uint_eq(rt.swaps, 1);
	ck_assert_ptr_nonnull(gp_table_find(&rt.routes, ROUTED_GTID));
}
END_TEST

/* What ghostctl is told, and what the agent says afterwards. */
START_TEST(test_swap_failure_reply)
{
	const char *r;
	int fd;

	fd = client_request("swap\npolicy good\n");
	serve_until_readable(fd, 5000);
	r = reply_of(fd);
	if (strstr(r, "needs CAP_SYS_ADMIN"))
		return;		/* not root: nothing to see */
	ck_assert_str_eq(r, "status error\n"
			 "error cannot rediscover the threads of enclave 1 for policy good: Inappropriate ioctl for device; fifo_per_cpu stays\n");
	fd = client_request("status\n");
	serve_until_readable(fd, 1000);
	r = reply_of(fd);
	ck_reply_has(r, "\npolicy fifo_per_cpu\n");
	ck_reply_has(r, "\nswaps 0\n");
}
END_TEST

/*
 * Messages lost to a full queue: the agent asks the kernel to describe
 * every thread again.  When that fails (DISCOVER does here), the loss is
 * not forgotten: the agent counts the failure and tries again at the
 * next drain, and status shows it.
 */
START_TEST(test_failed_rediscovery_is_retried)
{
	const char *r;
	int fd;

	((struct ghost_ring *)ring)->overflow = 3;
	rt_drain(&rt);
	ck_assert_uint_eq(atomic_load(&rt.st.rediscover_failed), 1);
	ck_assert_uint_eq(atomic_load(&rt.st.overflows), 0);
	rt_drain(&rt);
	ck_assert_uint_eq(atomic_load(&rt.st.rediscover_failed), 2);
	ck_assert_uint_eq(rt.overflow_seen, 0);

	fd = client_request("status\n");
	serve_until_readable(fd, 1000);
	r = reply_of(fd);
	ck_reply_has(r, "\noverflow 3\n");
	ck_reply_has(r, "\nrediscoveries 0\n");
	ck_reply_has(r, "\nrediscover_failed 2\n");
}
END_TEST

/* ghostctl's end: a server that answers @len bytes, or nothing. */
struct server {
	int lfd;
	size_t len;
	int silent;
	atomic_int done;		/* the silent one may go */
	char req[256];
};

static char reply_byte(size_t i)
{
	return i % 64 == 63 ? '\n' : 'a' + i % 26;
}

static void *serve_once(void *arg)
{
	struct server *s = arg;
	size_t off = 0, i, n;
	char chunk[4096];
	ssize_t r;
	int fd;

	fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	while (off < sizeof(s->req) - 1 &&
	       (r = read(fd, s->req + off, sizeof(s->req) - 1 - off)) > 0)
		off += r;
	/* Until the client gives up. */
	while (s->silent && !atomic_load(&s->done))
		poll(NULL, 0, 10);
	for (off = 0; !s->silent && off < s->len; off += n) {
		n = s->len - off < sizeof(chunk) ? s->len - off : sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = reply_byte(off + i);
		if (send(fd, chunk, n, MSG_NOSIGNAL) != (ssize_t)n)
			break;
	}
	close(fd);
	return NULL;
}

static pthread_t server_start(struct server *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	pthread_t th;

	snprintf(sock_path, sizeof(sock_path), "%s/plain.sock", fake_root);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	ck_assert_int_eq(listen(s->lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, serve_once, s), 0);
	return th;
}

/* Replies of any length, well past 1 MiB, come whole. */
START_TEST(test_ghostctl_reads_whole_reply)
{
	static const size_t lens[] = { 0, 10, 65536, 65537, 3 << 20 };
	struct server s = { .len = lens[_i] };
	pthread_t th = server_start(&s);
	char *reply;
	size_t i;

	ck_assert_int_eq(ghost_agent_request(sock_path, "threads\n", &reply,
					     REPLY_MAX, 5000), 0);
	pthread_join(th, NULL);
	ck_assert_str_eq(s.req, "threads\n");
	ck_assert_ptr_nonnull(reply);
	ck_assert_uint_eq(strlen(reply), s.len);
	for (i = 0; i < s.len; i++)
		if (reply[i] != reply_byte(i))
			ck_abort_msg("byte %zu is '%c'", i, reply[i]);
	free(reply);
	close(s.lfd);
}
END_TEST

/* Past the agent's limit, the reply is refused rather than cut. */
START_TEST(test_ghostctl_refuses_huge_reply)
{
	struct server s = { .len = (64 << 20) + 1 };
	pthread_t th = server_start(&s);
	char *reply;

	ck_assert_int_eq(ghost_agent_request(sock_path, "threads\n", &reply,
					     REPLY_MAX, 10000), -EMSGSIZE);
	ck_assert_ptr_null(reply);
	pthread_join(th, NULL);
	close(s.lfd);
}
END_TEST

START_TEST(test_ghostctl_errors)
{
	struct server s = { .silent = 1 };
	long long start;
	pthread_t th;
	char *reply;

	snprintf(sock_path, sizeof(sock_path), "%s/none.sock", fake_root);
	ck_assert_int_eq(ghost_agent_request(sock_path, "status\n", &reply,
					     REPLY_MAX, 1000), -ENOENT);
	ck_assert_ptr_null(reply);
	th = server_start(&s);
	start = now_ms();
	ck_assert_int_eq(ghost_agent_request(sock_path, "status\n", &reply,
					     REPLY_MAX, 300), -ETIMEDOUT);
	ck_assert_int_lt(now_ms() - start, 1000);
	ck_assert_ptr_null(reply);
	atomic_store(&s.done, 1);
	pthread_join(th, NULL);
	close(s.lfd);
}
END_TEST


/* ------------------------------------------------------------------ */
/* hints: a process's hint region, passed with SCM_RIGHTS               */
/* ------------------------------------------------------------------ */

/* "hints" with @nr (0..2) copies of @pass; the agent's reply. */
static const char *hints_request(int pass, int nr)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	static const char req[] = "hints\n";
	struct iovec iov = { .iov_base = (void *)req, .iov_len = 6 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2] = { pass, pass }, fd = client();
	struct cmsghdr *cm;

	if (nr) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nr * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
	}
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), 6);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	return reply_of(fd);
}

static __u64 my_gtid(void)
{
	return (__u64)syscall(SYS_gettid) << 32 | 1;
}

/* The policy's view of thread @gtid, as ghost_policy_hint() gives it. */
static int policy_hint(__u64 gtid, struct ghost_app_hint *out)
{
	int ret;

	pthread_mutex_lock(&rt.lock);
	ret = ghost_policy_hint(&rt.pol->ctx, gtid, out);
	pthread_mutex_unlock(&rt.lock);
	return ret;
}

struct register_args {
	struct ghost_hint_region *r;
	int ret;
	char *reply;
};

/* libghost's client, on a thread of its own while the test serves. */
static void *register_thread(void *arg)
{
	struct register_args *a = arg;

	a->ret = libghost_agent_request_fd(sock_path, "hints\n", a->r->fd,
					   &a->reply, 4096, 5000);
	return NULL;
}

START_TEST(test_hints_register)
{
	struct ghost_app_hint h = { .qos = 4, .flags = GHOST_HINT_F_IDLE,
				    .deadline_ns = 7, .estimate_ns = 9 }, out;
	struct ghost_hint_region r, r2;
	struct register_args a = { .r = &r };
	pthread_t th;
	const char *rep;
	int fd;

	/* Nothing registered: nothing to read, for any thread. */
	ck_assert_int_eq(policy_hint(my_gtid(), &out), -ENOENT);

	ck_assert_int_eq(ghost_hint_create(&r, 8), 0);
	ck_assert_int_eq(ghost_hint_set(&r, 0, &h), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, register_thread, &a), 0);
	while (!a.reply && !a.ret) {
		ck_assert_int_eq(control_poll(&rt, -1, 10), 0);
		/* The thread sets reply (or ret) last; join to be sure. */
		if (!pthread_tryjoin_np(th, NULL))
			break;
	}
	ck_assert_int_eq(a.ret, 0);
	ck_assert_msg(!strncmp(a.reply, "status ok\npid ", 14), "%s", a.reply);
	free(a.reply);

	ck_assert_int_eq(policy_hint(my_gtid(), &out), 0);
	ck_assert_uint_eq(out.qos, 4);
	ck_assert(ghost_app_hint_idle(&out));
	ck_assert_uint_eq(out.deadline_ns, 7);
	ck_assert_uint_eq(out.estimate_ns, 9);
	/* Changes show at once: the agent maps the same memory. */
	ck_assert_int_eq(ghost_hint_set_runnable(&r, 0, 1), 0);
	ck_assert_int_eq(policy_hint(my_gtid(), &out), 0);
	ck_assert(!ghost_app_hint_idle(&out));
	/* A thread of another process, whatever this one's slots say. */
	ck_assert_int_eq(ghost_hint_set(&r, 1, &h), 0);
	ck_assert_int_eq(policy_hint((__u64)1 << 32 | 1, &out), -ENOENT);
	/* A thread that does not exist. */
	ck_assert_int_eq(policy_hint((__u64)0x7ffffff0 << 32 | 1, &out),
			 -ENOENT);

	fd = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	ck_reply_has(reply_of(fd), "\nhint_regions 1\n");

	/* Registering again replaces the region. */
	ck_assert_int_eq(ghost_hint_create(&r2, 2), 0);
	h.qos = 6;
	ck_assert_int_eq(ghost_hint_set(&r2, 0, &h), 0);
	rep = hints_request(r2.fd, 1);
	ck_assert_msg(!strncmp(rep, "status ok\n", 10), "%s", rep);
	ck_assert_int_eq(policy_hint(my_gtid(), &out), 0);
	ck_assert_uint_eq(out.qos, 6);
	ck_assert_int_eq(rt.nr_hints, 1);
	/* The process is alive: reaping keeps it. */
	hints_reap(&rt);
	ck_assert_int_eq(rt.nr_hints, 1);
	ghost_hint_destroy(&r);
	ghost_hint_destroy(&r2);
}
END_TEST

START_TEST(test_hints_refused)
{
	struct ghost_hint_region r;
	const char *rep;
	int p[2], fd;

	rep = hints_request(-1, 0);
	ck_assert_str_eq(rep, "status error\nerror hints needs exactly one memfd (SCM_RIGHTS)\n");

	ck_assert_int_eq(ghost_hint_create(&r, 2), 0);
	rep = hints_request(r.fd, 2);
	ck_reply_has(rep, "exactly one memfd");

	ck_assert_int_eq(pipe(p), 0);
	rep = hints_request(p[0], 1);
	ck_assert_str_eq(rep, "status error\nerror hint region refused: not a memfd\n");
	close(p[0]);
	close(p[1]);

	fd = memfd_create("x", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	rep = hints_request(fd, 1);
	ck_reply_has(rep, "F_SEAL_SHRINK");
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	rep = hints_request(fd, 1);
	ck_reply_has(rep, "not a ghost hint region");
	close(fd);

	((struct ghost_hint_header *)r.mem)->nr_slots = 1000;
	rep = hints_request(r.fd, 1);
	ck_reply_has(rep, "do not fit");
	ck_assert_int_eq(rt.nr_hints, 0);

	/* Nothing taken over or left open by another command with an fd. */
	fd = client();
	{
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { .iov_base = "status\n", .iov_len = 7 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &r.fd, sizeof(int));
		ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), 7);
	}
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	ck_reply_has(reply_of(fd), "status ok\n");
	ck_assert_int_eq(rt.nr_hints, 0);
	ghost_hint_destroy(&r);
}
END_TEST

/* A process that registers and exits: its region goes with it. */
START_TEST(test_hints_process_gone)
{
	struct ghost_hint_region r;
	pid_t pid;
	int status, fd, tries;
	char *reply;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (ghost_hint_create(&r, 1) ||
		    libghost_agent_request_fd(sock_path, "hints\n", r.fd,
					      &reply, 4096, 5000) ||
		    strncmp(reply, "status ok\n", 10))
			_exit(1);
		_exit(0);
	}
	for (tries = 0; tries < 500 && waitpid(pid, &status, WNOHANG) == 0;
	     tries++)
		control_poll(&rt, -1, 10);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(rt.nr_hints, 1);
	ck_assert_int_eq(rt.hints[0].tgid, pid);
	hints_reap(&rt);
	ck_assert_int_eq(rt.nr_hints, 0);
	fd = client_request("status\n");
	ck_assert_int_lt(serve_until_readable(fd, 1000), 1000);
	ck_reply_has(reply_of(fd), "\nhint_regions 0\n");
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *suite = suite_create("agent");
	TCase *tc;

	tc = tcase_create("clients");
	tcase_add_unchecked_fixture(tc, fake_base_setup, fake_base_teardown);
	tcase_add_checked_fixture(tc, agent_setup, agent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_decisions_counted);
	tcase_add_test(tc, test_slow_client_holds_off_no_other);
	tcase_add_test(tc, test_incomplete_request_is_dropped);
	tcase_add_test(tc, test_signal_with_idle_clients);
	tcase_add_test(tc, test_handover_after_reply);
	suite_add_tcase(suite, tc);

	tc = tcase_create("replies");
	tcase_add_unchecked_fixture(tc, fake_base_setup, fake_base_teardown);
	tcase_add_checked_fixture(tc, agent_setup, agent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_threads_reply_is_whole);
	tcase_add_test(tc, test_threads_describe);
	tcase_add_test(tc, test_unread_reply_is_dropped);
	suite_add_tcase(suite, tc);

	tc = tcase_create("swap");
	tcase_add_unchecked_fixture(tc, fake_base_setup, fake_base_teardown);
	tcase_add_checked_fixture(tc, agent_setup, agent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_swap_fails_without_rediscovery, 0, 3);
	tcase_add_test(tc, test_swap_by_export);
	tcase_add_test(tc, test_swap_failure_reply);
	tcase_add_test(tc, test_failed_rediscovery_is_retried);
	suite_add_tcase(suite, tc);

	tc = tcase_create("hints");
	tcase_add_unchecked_fixture(tc, fake_base_setup, fake_base_teardown);
	tcase_add_checked_fixture(tc, agent_setup, agent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hints_register);
	tcase_add_test(tc, test_hints_refused);
	tcase_add_test(tc, test_hints_process_gone);
	suite_add_tcase(suite, tc);

	tc = tcase_create("ghostctl");
	fake_fixtures(tc);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_ghostctl_reads_whole_reply, 0, 5);
	tcase_add_test(tc, test_ghostctl_refuses_huge_reply);
	tcase_add_test(tc, test_ghostctl_errors);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(agent_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
