// SPDX-License-Identifier: GPL-2.0
/*
 * simple_exp: ghOSt's hello-world workload.  Sub-tests that spin, sleep,
 * yield, block on pipes and futexes, create and exit threads and fork,
 * each checking that its threads really ran under ghost: while running,
 * a thread must be listed in enclave_<id>/tasks, be pinned to one CPU
 * (the one its agent committed it to) and run on an enclave CPU.
 *
 * Run it inside an enclave with "ghostctl run ID -- simple_exp", or give
 * the enclave with -e ID: its worker threads then enter it themselves,
 * as ghOSt's GhostThread does.  Prints one line per test with its wall
 * time, then a summary with the total, and exits 1 if any failed.
 *
 * With -c the same work runs outside ghost, under the normal scheduler,
 * without the checks: the baseline that `make bench` compares with.
 * With -x it runs in ghost without the checks, so that a timed run does
 * exactly the work of the baseline.
 *
 * A test whose threads have not finished after 60 s (times -n) fails the
 * run; the shell command in SIMPLE_EXP_ON_TIMEOUT, if set, runs first,
 * while they are still there to look at.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <ghost/barrier.h>
#include <ghost/libghost.h>

#include "still_look.h"

#define MAX_TIDS	16384
#define TIMEOUT_S	60

static unsigned int enclave_id;
static struct ghost_cpuset enclave_cpus;
static int scale = 1;
static int cfs_baseline;	/* -c: no enclave, no checks */
static int no_checks;		/* -x, or -c */
static int show_cost;		/* -k */

/* The first failure of the current test, reported by its threads. */
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static char fail_msg[512];
static atomic_int checks;

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	if (!fail_msg[0]) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fail_lock);
}

/* Is @tid in the enclave's tasks file? */
static int in_enclave(pid_t tid)
{
	pid_t *tids = malloc(MAX_TIDS * sizeof(*tids));
	int i, n, found = 0;

	if (!tids)
		return 0;
	n = ghost_task_list(enclave_id, tids, MAX_TIDS);
	for (i = 0; i < n && i < MAX_TIDS; i++) {
		if (tids[i] == tid)
			found = 1;
	}
	free(tids);
	return found;
}

/* The one CPU the calling thread may run on, or -1 (-2 on error). */
static int pinned_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -2;
	if (CPU_COUNT(&set) != 1)
		return -1;
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set))
			return i;
	}
	return -1;
}

/*
 * The proof that the calling thread runs under ghost, checked while it
 * runs: listed in the enclave, pinned to one enclave CPU, running there
 * (from a still look: an agent may move it meanwhile).
 */
static void check_ghost(const char *where)
{
	int pinned = -1, after = -1;
	pid_t tid = gettid_();

	if (no_checks)
		return;
	atomic_fetch_add(&checks, 1);
	if (!in_enclave(tid)) {
		fail("thread %d not in enclave %u %s", tid, enclave_id, where);
		return;
	}
	if (!still_look(pinned_cpu, &after, &pinned))
		return;		/* moved at every look: nothing proven */
	if (pinned == -2)
		fail("sched_getaffinity: %s", strerror(errno));
	else if (pinned < 0)
		fail("thread %d may run on several CPUs %s: not committed by an agent",
		     tid, where);
	else if (!ghost_cpuset_test(&enclave_cpus, pinned))
		fail("thread %d pinned to CPU %d, outside enclave %u %s", tid,
		     pinned, enclave_id, where);
	else if (after != pinned)
		fail("thread %d runs on CPU %d but is pinned to %d %s", tid,
		     after, pinned, where);
}

/* Worker threads of -e mode join the enclave themselves. */
static void enter_ghost(void)
{
	int ret;

	if (cfs_baseline)
		return;
	ret = ghost_task_enter(enclave_id, 0);
	/* EBUSY: already in it, inherited from a ghost parent. */
	if (ret && ret != -EBUSY)
		fail("thread %d cannot enter enclave %u: %s", gettid_(),
		     enclave_id, strerror(-ret));
}

/*
 * Spin for @ns of the thread's own CPU time: the same work under any
 * scheduler.  A wall-clock spin would do less of it when it is preempted
 * (the time another thread ran counts as spun), so a preemptive scheduler
 * would finish the same test sooner for having done less.
 */
static void spin_for(uint64_t ns)
{
	uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		ghost_cpu_relax();
}

typedef void *(*thread_fn)(void *);

struct worker {
	pthread_t th;
	thread_fn fn;
	void *arg;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	void *ret;

	enter_ghost();
	check_ghost("at start");
	ret = w->fn(w->arg);
	check_ghost("at end");
	return ret;
}

static void start(struct worker *w, thread_fn fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	if (pthread_create(&w->th, NULL, worker_main, w)) {
		fprintf(stderr, "simple_exp: pthread_create failed\n");
		exit(2);
	}
}

static void join(struct worker *w)
{
	pthread_join(w->th, NULL);
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

static void *spin_fn(void *arg)
{
	spin_for(50000000ULL * scale);
	check_ghost("while spinning");
	return NULL;
}

static void test_spin(void)
{
	struct worker w;

	start(&w, spin_fn, NULL);
	join(&w);
}

static void *sleep_fn(void *arg)
{
	int i;

	for (i = 0; i < 20 * scale; i++) {
		usleep(1000);
		if (i % 5 == 0)
			check_ghost("after a sleep");
	}
	return NULL;
}

static void test_sleep(void)
{
	struct worker w;

	start(&w, sleep_fn, NULL);
	join(&w);
}

static void *yield_fn(void *arg)
{
	int i;

	for (i = 0; i < 200 * scale; i++) {
		sched_yield();
		if (i % 50 == 0)
			check_ghost("after a yield");
	}
	return NULL;
}

/* Two yielding threads: each must get the CPU back. */
static void test_yield(void)
{
	struct worker w[2];

	start(&w[0], yield_fn, NULL);
	start(&w[1], yield_fn, NULL);
	join(&w[0]);
	join(&w[1]);
}

struct pingpong {
	int to[2], from[2];	/* pipes */
	atomic_int word;	/* futex: whose turn (0 ping, 1 pong) */
	int rounds;
};

static void *pipe_ping(void *arg)
{
	struct pingpong *pp = arg;
	char c = 'x';
	int i;

	for (i = 0; i < pp->rounds; i++) {
		if (write(pp->to[1], &c, 1) != 1 || read(pp->from[0], &c, 1) != 1) {
			fail("pipe ping: %s", strerror(errno));
			break;
		}
		if (i % 100 == 0)
			check_ghost("between pipe round trips");
	}
	return NULL;
}

static void *pipe_pong(void *arg)
{
	struct pingpong *pp = arg;
	char c;
	int i;

	for (i = 0; i < pp->rounds; i++) {
		if (read(pp->to[0], &c, 1) != 1 || write(pp->from[1], &c, 1) != 1) {
			fail("pipe pong: %s", strerror(errno));
			break;
		}
	}
	return NULL;
}

static void test_pipe(void)
{
	struct pingpong pp = { .rounds = 500 * scale };
	struct worker w[2];

	if (pipe(pp.to) || pipe(pp.from)) {
		fail("pipe: %s", strerror(errno));
		return;
	}
	start(&w[0], pipe_ping, &pp);
	start(&w[1], pipe_pong, &pp);
	join(&w[0]);
	join(&w[1]);
	close(pp.to[0]);
	close(pp.to[1]);
	close(pp.from[0]);
	close(pp.from[1]);
}

static void futex_wait(atomic_int *w, int val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* word is 1 while pong has the turn, 0 while ping has it. */
static void *futex_ping(void *arg)
{
	struct pingpong *pp = arg;
	int i;

	for (i = 0; i < pp->rounds; i++) {
		atomic_store(&pp->word, 1);
		futex_wake(&pp->word);
		while (atomic_load(&pp->word) != 0)
			futex_wait(&pp->word, 1);
		if (i % 100 == 0)
			check_ghost("between futex round trips");
	}
	return NULL;
}

static void *futex_pong(void *arg)
{
	struct pingpong *pp = arg;
	int i;

	for (i = 0; i < pp->rounds; i++) {
		while (atomic_load(&pp->word) != 1)
			futex_wait(&pp->word, 0);
		atomic_store(&pp->word, 0);
		futex_wake(&pp->word);
	}
	return NULL;
}

static void test_futex(void)
{
	struct pingpong pp = { .rounds = 500 * scale };
	struct worker w[2];

	atomic_store(&pp.word, 0);
	start(&w[1], futex_pong, &pp);
	start(&w[0], futex_ping, &pp);
	join(&w[0]);
	join(&w[1]);
}

static void *many_fn(void *arg)
{
	int i;

	for (i = 0; i < 5; i++) {
		spin_for(2000000);
		usleep(1000);
	}
	return NULL;
}

/* More threads than CPUs, spinning and sleeping. */
static void test_many(void)
{
	int i, n = 50 * scale;
	struct worker *w = calloc(n, sizeof(*w));

	if (!w) {
		fail("out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		start(&w[i], many_fn, NULL);
	for (i = 0; i < n; i++)
		join(&w[i]);
	free(w);
}

/* Threads that create a thread that creates a thread, and exit. */
static void *nest_fn(void *arg)
{
	long depth = (long)arg;
	pthread_t th;

	check_ghost("in a thread created by a ghost thread");
	if (depth > 0) {
		if (pthread_create(&th, NULL, nest_fn, (void *)(depth - 1))) {
			fail("pthread_create: out of resources");
			return NULL;
		}
		pthread_join(th, NULL);
	}
	return NULL;
}

static void *create_fn(void *arg)
{
	int i;

	for (i = 0; i < 20 * scale; i++)
		nest_fn((void *)2L);
	return NULL;
}

static void test_create(void)
{
	struct worker w;

	start(&w, create_fn, NULL);
	join(&w);
}

/* A process forked by a ghost thread is in the enclave too. */
static void *fork_fn(void *arg)
{
	int status, i;
	pid_t pid;

	for (i = 0; i < 5; i++) {
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			return NULL;
		}
		if (!pid) {
			check_ghost("in a child process of a ghost thread");
			_exit(fail_msg[0] ? 1 : 0);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail("child %d of a ghost thread did not run under ghost",
			     pid);
	}
	return NULL;
}

static void test_fork(void)
{
	struct worker w;

	start(&w, fork_fn, NULL);
	join(&w);
}

static const struct test {
	const char *name;
	void (*fn)(void);
	const char *what;
} tests[] = {
	{ "spin",	test_spin,	"one thread spins 50 ms (CPU time)" },
	{ "sleep",	test_sleep,	"one thread sleeps 1 ms, 20 times" },
	{ "yield",	test_yield,	"two threads yield 200 times each" },
	{ "pipe",	test_pipe,	"two threads ping-pong 500 times on pipes" },
	{ "futex",	test_futex,	"two threads ping-pong 500 times on a futex" },
	{ "many",	test_many,	"50 threads spin 2 ms (CPU time), sleep 1 ms, 5 times" },
	{ "create",	test_create,	"threads create threads and exit, 3 deep, 20 times" },
	{ "fork",	test_fork,	"a ghost thread forks 5 children" },
};

#define NR_TESTS	(sizeof(tests) / sizeof(tests[0]))

/* The test running now, and SIMPLE_EXP_ON_TIMEOUT, for the timeout. */
static const char *volatile current_test = "?";
static char *on_timeout;

extern char **environ;

/*
 * A test's threads never finished.  Say which test, and let
 * SIMPLE_EXP_ON_TIMEOUT (a shell command) look at the enclave while they
 * are still stuck in it: vfork() and execve() are safe in a handler.
 */
static void timeout(int sig)
{
	static const char msg[] = "simple_exp: test timed out: threads were not scheduled (is an agent running?)\n";
	static char *argv[] = { "sh", "-c", NULL, NULL };
	const char *name = current_test;
	pid_t pid;

	if (write(2, "simple_exp: ", 12) < 0 ||
	    write(2, name, strlen(name)) < 0 || write(2, ": ", 2) < 0 ||
	    write(2, msg + 12, sizeof(msg) - 13) < 0)
		_exit(1);
	argv[2] = on_timeout;
	if (argv[2] && argv[2][0]) {
		pid = vfork();
		if (pid == 0) {
			execve("/bin/sh", argv, environ);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	_exit(1);
}

/* What the whole machine did: context switches and some interrupts. */
struct cost {
	unsigned long long ctxt;	/* /proc/stat */
	unsigned long long ipis;	/* rescheduling and function calls */
	unsigned long long iwi;		/* irq_work */
};

/* The per-CPU counts of an /proc/interrupts line after its label. */
static unsigned long long irq_sum(const char *p)
{
	unsigned long long n = 0, v;
	int len;

	while (sscanf(p, " %llu%n", &v, &len) == 1) {
		n += v;
		p += len;
	}
	return n;
}

static void cost_read(struct cost *c)
{
	char line[4096];
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen("/proc/stat", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "ctxt %llu", &c->ctxt) == 1)
				break;
		fclose(f);
	}
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "RES:", 4) || !strncmp(p, "CAL:", 4))
			c->ipis += irq_sum(p + 4);
		else if (!strncmp(p, "IWI:", 4))
			c->iwi += irq_sum(p + 4);
	}
	fclose(f);
}

static int run_test(const struct test *t)
{
	struct cost c0, c1;
	uint64_t t0;
	double ms;

	fail_msg[0] = '\0';
	atomic_store(&checks, 0);
	current_test = t->name;
	alarm(TIMEOUT_S * scale);
	if (show_cost)
		cost_read(&c0);
	t0 = now_ns();
	t->fn();
	ms = (now_ns() - t0) / 1e6;
	if (show_cost)
		cost_read(&c1);
	alarm(0);
	if (!no_checks && !fail_msg[0] && !atomic_load(&checks))
		fail("no check ran");
	if (fail_msg[0]) {
		printf("simple_exp: %s: FAIL: %s (%.1f ms)\n", t->name,
		       fail_msg, ms);
		return 1;
	}
	if (no_checks)
		printf("simple_exp: %s: pass (%.1f ms)\n", t->name, ms);
	else
		printf("simple_exp: %s: pass (%.1f ms, %d checks)\n", t->name,
		       ms, atomic_load(&checks));
	if (show_cost)
		printf("simple_exp: %s: cost %llu switches, %llu ipis, %llu irq_works\n",
		       t->name, c1.ctxt - c0.ctxt, c1.ipis - c0.ipis,
		       c1.iwi - c0.iwi);
	fflush(stdout);
	return 0;
}

/* The enclave we were started in, found by our tid. */
static int find_enclave(void)
{
	unsigned int ids[GHOST_MAX_ENCLAVES];
	int i, n;

	n = ghost_enclave_list(ids, GHOST_MAX_ENCLAVES);
	for (i = 0; i < n && i < GHOST_MAX_ENCLAVES; i++) {
		enclave_id = ids[i];
		if (in_enclave(gettid_()))
			return 0;
	}
	enclave_id = 0;
	return -ENOENT;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: simple_exp [-e ID | -c] [-x] [-k] [-t TEST]... [-n SCALE] [-l]\n"
		"  -e ID     enclave to run in (default: the one simple_exp was\n"
		"            started in with 'ghostctl run ID -- simple_exp')\n"
		"  -c        CFS baseline: the same work outside ghost, under\n"
		"            the normal scheduler, without the checks\n"
		"  -x        no checks in ghost either: the work of -c alone\n"
		"  -k        after each test, the whole machine's context\n"
		"            switches, IPIs and irq_works during it\n"
		"  -t TEST   run only this test (may be repeated)\n"
		"  -n SCALE  multiply every test's work by SCALE (default 1)\n"
		"  -l        list the tests\n"
		"A test not done in 60 s (times SCALE) fails; the shell command in\n"
		"SIMPLE_EXP_ON_TIMEOUT runs first, with its threads still there.\n"
		"tests:\n");
	for (i = 0; i < NR_TESTS; i++)
		fprintf(f, "  %-8s %s\n", tests[i].name, tests[i].what);
}

int main(int argc, char **argv)
{
	const char *only[NR_TESTS + 1];
	struct ghost_enclave_status st;
	int nr_only = 0, failed = 0, passed = 0, c, ret;
	uint64_t t0;
	size_t i;
	int j;

	while ((c = getopt(argc, argv, "cxke:t:n:lh")) != -1) {
		switch (c) {
		case 'c':
			cfs_baseline = 1;
			no_checks = 1;
			break;
		case 'x':
			no_checks = 1;
			break;
		case 'k':
			show_cost = 1;
			break;
		case 'e':
			if (ghost_enclave_id_parse(optarg, &enclave_id)) {
				fprintf(stderr, "simple_exp: invalid enclave ID '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			if (nr_only < (int)NR_TESTS)
				only[nr_only++] = optarg;
			break;
		case 'n':
			scale = atoi(optarg);
			if (scale < 1 || scale > 1000) {
				fprintf(stderr, "simple_exp: -n takes 1..1000\n");
				return 2;
			}
			break;
		case 'l':
			usage(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (cfs_baseline) {
		if (enclave_id) {
			fprintf(stderr,
				"simple_exp: -c and -e exclude each other\n");
			return 2;
		}
		/* Started by 'ghostctl run', it would not be a baseline. */
		if (!find_enclave()) {
			fprintf(stderr,
				"simple_exp: -c, but running in enclave %u\n",
				enclave_id);
			return 2;
		}
		printf("simple_exp: CFS baseline, outside ghost, no checks\n");
	} else if (!enclave_id && find_enclave()) {
		fprintf(stderr, "simple_exp: not in an enclave: give -e ID, or start it with 'ghostctl run ID -- simple_exp'\n");
		return 2;
	}
	if (!cfs_baseline) {
		ret = ghost_enclave_status(enclave_id, &st);
		if (ret) {
			fprintf(stderr, "simple_exp: enclave %u: %s\n",
				enclave_id, strerror(-ret));
			return 2;
		}
		enclave_cpus = st.cpus;
		printf("simple_exp: enclave %u, main thread %s ghost%s\n",
		       enclave_id, in_enclave(gettid_()) ? "in" : "outside",
		       no_checks ? ", no checks" : "");
	}
	on_timeout = getenv("SIMPLE_EXP_ON_TIMEOUT");
	signal(SIGALRM, timeout);
	t0 = now_ns();

	for (i = 0; i < NR_TESTS; i++) {
		for (j = 0; j < nr_only; j++) {
			if (!strcmp(only[j], tests[i].name))
				break;
		}
		if (nr_only && j == nr_only)
			continue;
		if (run_test(&tests[i]))
			failed++;
		else
			passed++;
	}
	for (j = 0; j < nr_only; j++) {
		for (i = 0; i < NR_TESTS && strcmp(only[j], tests[i].name); i++)
			;
		if (i == NR_TESTS) {
			fprintf(stderr, "simple_exp: no test named '%s' (see -l)\n",
				only[j]);
			failed++;
		}
	}
	printf("simple_exp: %d passed, %d failed in %.1f ms\n", passed, failed,
	       (now_ns() - t0) / 1e6);
	return failed ? 1 : 0;
}
