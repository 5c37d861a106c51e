// SPDX-License-Identifier: GPL-2.0
/*
 * mixed_load: many threads with a mix of scheduling patterns, each doing
 * an exactly known amount of work, for tests that change what schedules
 * them (a policy hot swap) while they run.
 *
 * Threads are laid out in groups of eight: a spinner (CPU work, then a
 * yield so that policies without a time slice still interleave), a
 * sleeper (short sleeps), a yielder, a pipe ping-pong pair, a futex
 * wait/wake pair and a creator (creates and joins a short-lived child per
 * unit).  A thread works in rounds of UNITS units.  It does at least
 * ROUNDS rounds; with -w FILE it goes on, a whole round at a time, until
 * FILE exists.  In a pair, the first thread decides the rounds and tells
 * the other over the pair's own channel.
 *
 * Every count is kept by the thread that did the work and checked at the
 * end: units done == rounds * UNITS, pipe messages sent == received ==
 * echoed, futex hand-overs == hand-overs taken, children created == ran
 * == joined.  Each thread also checks, before its first unit and after
 * its last, that it runs under ghost: listed in enclave_<id>/tasks,
 * pinned by a commit to one enclave CPU and running there; each child
 * checks the pinning.
 *
 * Run it with "ghostctl run ID -- mixed_load ...".  Prints one line per
 * pattern with expected and done counts, and "mixed_load: pass" last when
 * everything matched (exit 0); exit 1 on any mismatch, failed check or a
 * thread that did not finish within the drain timeout, 2 on usage errors.
 * The shell command in MIXED_LOAD_ON_TIMEOUT, if set, runs before such a
 * thread is reported, while it is still stuck.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "still_look.h"

#define GHOST_FS_PATH	"/sys/fs/ghost"
#define STACK_SIZE	(256 * 1024)
#define MAX_CPUS	1024
#define GROUP		8
#define SLEEP_US	500	/* a sleeper's unit */

enum pattern {
	P_SPIN,
	P_SLEEP,
	P_YIELD,
	P_PIPE,
	P_FUTEX,
	P_CREATE,
	NR_PATTERNS,
};

static const char *const pattern_names[NR_PATTERNS] = {
	"spin", "sleep", "yield", "pipe", "futex", "create",
};

/* The pattern of each slot of a group; pairs take two slots. */
static const enum pattern group_layout[GROUP] = {
	P_SPIN, P_SLEEP, P_YIELD, P_PIPE, P_PIPE, P_FUTEX, P_FUTEX, P_CREATE,
};

/* futex word of a pair: whose turn it is, or the end. */
enum { TURN_LEADER, TURN_FOLLOWER, TURN_QUIT };

struct pair {
	int ab[2];		/* pipe: leader to follower */
	int ba[2];		/* pipe: follower to leader */
	atomic_int word;	/* futex: TURN_* */
};

struct worker {
	pthread_t th;
	enum pattern pat;
	int leader;		/* the side of a pair that decides the rounds */
	struct worker *peer;	/* the other side of a pair */
	struct pair *pair;
	pid_t tid;
	long rounds;		/* rounds done (not counted by followers) */
	long done;		/* units done; pairs: messages sent */
	long recv;		/* pairs: messages received */
	atomic_long ran;	/* creators: children that ran */
	atomic_long progress;	/* units done so far, for a stuck report */
	atomic_int finished;
};

static unsigned int enclave_id;
static char enclave_dir[256];
static unsigned char enclave_cpus[MAX_CPUS];
static long units = 10, min_rounds = 1, spin_iters = 200000;
static atomic_int stop, started, finished;
static atomic_long checks;

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static char fail_msg[512];
static atomic_int nr_failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&nr_failures, 1);
	pthread_mutex_lock(&fail_lock);
	if (!fail_msg[0]) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fail_lock);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* The whole of a small ghostfs file, NUL-terminated; NULL on error. */
static char *read_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	ssize_t n = 0;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 2) {
			p = realloc(buf, cap * 2);
			if (!p) {
				n = -1;
				break;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Is @tid listed in the tasks file of enclave directory @dir? */
static int listed_in(const char *dir, pid_t tid)
{
	char path[512], *buf, *p, *end;
	int found = 0;
	long v;

	snprintf(path, sizeof(path), "%s/tasks", dir);
	buf = read_file(path);
	if (!buf)
		return -1;
	for (p = buf; *p; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v == tid) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}

/* Finds the enclave whose tasks list the calling thread. */
static int find_enclave(void)
{
	char dir[512];
	struct dirent *d;
	DIR *fs;

	fs = opendir(GHOST_FS_PATH);
	if (!fs)
		return -errno;
	while ((d = readdir(fs))) {
		if (strncmp(d->d_name, "enclave_", 8))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", GHOST_FS_PATH, d->d_name);
		if (listed_in(dir, gettid_()) == 1) {
			enclave_id = strtoul(d->d_name + 8, NULL, 10);
			closedir(fs);
			return 0;
		}
	}
	closedir(fs);
	return -ENOENT;
}

/* Is the calling thread listed in its enclave's tasks? */
static int listed_here(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/enclave_%u", GHOST_FS_PATH, enclave_id);
	return listed_in(dir, gettid_());
}

/* enclave_<id>/cpulist ("0-1,3") into enclave_cpus[]. */
static int read_cpulist(void)
{
	char path[512], *buf, *p, *end;
	long a, b;
	int n = 0;

	snprintf(path, sizeof(path), "%s/cpulist", enclave_dir);
	buf = read_file(path);
	if (!buf)
		return -1;
	for (p = buf; *p && *p != '\n'; p = end) {
		a = strtol(p, &end, 10);
		if (end == p || a < 0 || a >= MAX_CPUS)
			break;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= MAX_CPUS)
				break;
		}
		for (; a <= b; a++, n++)
			enclave_cpus[a] = 1;
		if (*end == ',')
			end++;
	}
	free(buf);
	return n ? 0 : -1;
}

/*
 * The one CPU the calling thread may run on, -1 if several, -2 on error.
 * From /proc, not sched_getaffinity(), which hides a CPU that is going
 * offline (inactive) while its thread may still run there under its
 * commit, until the module takes the CPU from it.
 */
static int pinned_cpu(void)
{
	char path[64], line[256];
	int cpu = -1, end = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status",
		 (long)gettid_());
	f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Cpus_allowed_list: %d%n", &cpu, &end) != 1)
			continue;
		if (line[end] != '\n')
			cpu = -1;	/* a range or a list */
		break;
	}
	fclose(f);
	return cpu;
}

/*
 * The calling thread runs under a commit: pinned to one enclave CPU and
 * running there (from a still look: the agent may move it meanwhile).
 */
static void check_pinned(const char *who, const char *where)
{
	int pinned = -1, after = -1;

	if (!still_look(pinned_cpu, &after, &pinned))
		return;		/* moved at every look: nothing proven */
	if (pinned == -2)
		fail("cannot read its allowed CPUs: %s", strerror(errno));
	else if (pinned < 0)
		fail("%s %d may run on several CPUs %s: not committed (%s)",
		     who, gettid_(), where, listed_here() == 1 ?
		     "listed in the enclave" : "not in the enclave");
	else if (pinned >= MAX_CPUS || !enclave_cpus[pinned])
		fail("%s %d pinned to CPU %d, outside enclave %u %s", who,
		     gettid_(), pinned, enclave_id, where);
	else if (after != pinned)
		fail("%s %d runs on CPU %d but is pinned to %d %s", who,
		     gettid_(), after, pinned, where);
}

/* Listed in the enclave and running under a commit. */
static void check_ghost(const char *where)
{
	pid_t tid = gettid_();

	atomic_fetch_add(&checks, 1);
	if (listed_in(enclave_dir, tid) != 1) {
		fail("thread %d not in enclave %u %s", tid, enclave_id, where);
		return;
	}
	check_pinned("thread", where);
}

/* A thread goes on after @done_rounds rounds? */
static int another_round(long done_rounds)
{
	return done_rounds < min_rounds || !atomic_load(&stop);
}

static void spin_unit(void)
{
	/* volatile: the compiler must not fold the loop away. */
	volatile unsigned long sink = 0;
	long i;

	for (i = 0; i < spin_iters; i++)
		sink += i;
}

static void single_unit(struct worker *w)
{
	struct timespec ts = { 0, SLEEP_US * 1000 };

	switch (w->pat) {
	case P_SPIN:
		spin_unit();
		sched_yield();
		break;
	case P_SLEEP:
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		break;
	case P_YIELD:
		sched_yield();
		break;
	default:
		break;
	}
}

static void *child_fn(void *arg)
{
	struct worker *w = arg;

	spin_unit();
	check_pinned("child of thread", "in a thread created by a ghost thread");
	atomic_fetch_add(&w->ran, 1);
	return NULL;
}

static pthread_attr_t attr;

static void create_unit(struct worker *w)
{
	pthread_t th;
	int ret;

	ret = pthread_create(&th, &attr, child_fn, w);
	if (ret) {
		fail("thread %d: pthread_create: %s", w->tid, strerror(ret));
		return;
	}
	ret = pthread_join(th, NULL);
	if (ret) {
		fail("thread %d: pthread_join: %s", w->tid, strerror(ret));
		return;
	}
	w->done++;
}

/* Spinners, sleepers, yielders and creators. */
static void run_single(struct worker *w)
{
	long round, unit;

	check_ghost("at its first unit");
	for (round = 0; another_round(round); round++) {
		for (unit = 0; unit < units; unit++) {
			if (w->pat == P_CREATE) {
				create_unit(w);
			} else {
				single_unit(w);
				w->done++;
			}
			atomic_fetch_add(&w->progress, 1);
		}
		w->rounds++;
	}
	check_ghost("after its last unit");
}

static int read_byte(int fd, char *c)
{
	ssize_t n;

	do {
		n = read(fd, c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static int write_byte(int fd, char c)
{
	ssize_t n;

	do {
		n = write(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* One pipe round trip from the leader: 'd' out, 'd' back. */
static int pipe_lead_unit(struct worker *w)
{
	char c;

	if (write_byte(w->pair->ab[1], 'd'))
		return -1;
	w->done++;
	if (read_byte(w->pair->ba[0], &c) || c != 'd')
		return -1;
	w->recv++;
	return 0;
}

static void futex_wait(atomic_int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Hand the turn to the follower, then wait until it hands it back. */
static int futex_lead_unit(struct worker *w)
{
	atomic_int *word = &w->pair->word;

	atomic_store(word, TURN_FOLLOWER);
	futex_wake(word);
	w->done++;
	while (atomic_load(word) != TURN_LEADER)
		futex_wait(word, TURN_FOLLOWER);
	w->recv++;
	return 0;
}

static void run_leader(struct worker *w)
{
	long round, unit;

	check_ghost("at its first unit");
	for (round = 0; another_round(round); round++) {
		for (unit = 0; unit < units; unit++) {
			if (w->pat == P_PIPE ? pipe_lead_unit(w) :
					       futex_lead_unit(w)) {
				fail("%s leader %d: %s",
				     pattern_names[w->pat], w->tid,
				     strerror(errno));
				break;
			}
			atomic_fetch_add(&w->progress, 1);
		}
		w->rounds++;
		if (unit < units)
			break;
	}
	/* The end, over the same channel. */
	if (w->pat == P_PIPE) {
		if (write_byte(w->pair->ab[1], 'q'))
			fail("pipe leader %d: %s", w->tid, strerror(errno));
	} else {
		atomic_store(&w->pair->word, TURN_QUIT);
		futex_wake(&w->pair->word);
	}
	check_ghost("after its last unit");
}

/* Echo until the leader says it is the end. */
static void run_follower(struct worker *w)
{
	atomic_int *word = &w->pair->word;
	int v;
	char c;

	check_ghost("at its first unit");
	for (;;) {
		if (w->pat == P_PIPE) {
			if (read_byte(w->pair->ab[0], &c)) {
				fail("pipe follower %d: %s", w->tid,
				     strerror(errno));
				break;
			}
			if (c == 'q')
				break;
			w->recv++;
			if (c != 'd' || write_byte(w->pair->ba[1], c)) {
				fail("pipe follower %d: bad byte or %s",
				     w->tid, strerror(errno));
				break;
			}
		} else {
			while ((v = atomic_load(word)) == TURN_LEADER)
				futex_wait(word, TURN_LEADER);
			if (v == TURN_QUIT)
				break;
			w->recv++;
			atomic_store(word, TURN_LEADER);
			futex_wake(word);
		}
		w->done++;
		atomic_fetch_add(&w->progress, 1);
	}
	check_ghost("after its last unit");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid = gettid_();
	atomic_fetch_add(&started, 1);
	if (w->pat != P_PIPE && w->pat != P_FUTEX)
		run_single(w);
	else if (w->leader)
		run_leader(w);
	else
		run_follower(w);
	atomic_store(&w->finished, 1);
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static struct worker *workers;
static int nr_workers = 200;

/* Patterns of the threads, by groups; an unpaired last slot spins. */
static int lay_out(void)
{
	struct pair *pair;
	int i;

	workers = calloc(nr_workers, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	for (i = 0; i < nr_workers; i++) {
		struct worker *w = &workers[i];
		int slot = i % GROUP;

		w->pat = group_layout[slot];
		if (w->pat != P_PIPE && w->pat != P_FUTEX)
			continue;
		if (slot > 0 && group_layout[slot - 1] == w->pat &&
		    w[-1].leader) {
			w->peer = &w[-1];
			w->pair = w[-1].pair;
			w[-1].peer = w;
			continue;
		}
		if (i + 1 >= nr_workers) {
			w->pat = P_SPIN;
			continue;
		}
		pair = calloc(1, sizeof(*pair));
		if (!pair)
			return -ENOMEM;
		if (pipe2(pair->ab, O_CLOEXEC) || pipe2(pair->ba, O_CLOEXEC))
			return -errno;
		atomic_store(&pair->word, TURN_LEADER);
		w->pair = pair;
		w->leader = 1;
	}
	return 0;
}

struct tally {
	int threads;
	long expected, done, recv, ran;
	long peer_done, peer_recv;
};

static int report(void)
{
	struct tally t[NR_PATTERNS];
	int i, bad = 0;

	memset(t, 0, sizeof(t));
	for (i = 0; i < nr_workers; i++) {
		struct worker *w = &workers[i];
		struct tally *p = &t[w->pat];

		/* A pair counts once, from its leader. */
		if ((w->pat == P_PIPE || w->pat == P_FUTEX) && !w->leader)
			continue;
		p->threads++;
		p->expected += w->rounds * units;
		p->done += w->done;
		p->recv += w->recv;
		p->ran += atomic_load(&w->ran);
		if (w->peer) {
			p->peer_done += w->peer->done;
			p->peer_recv += w->peer->recv;
		}
		/* Per thread, so that two errors cannot cancel out. */
		if (w->done != w->rounds * units ||
		    (w->peer && (w->recv != w->done ||
				 w->peer->recv != w->done ||
				 w->peer->done != w->done)) ||
		    (w->pat == P_CREATE && atomic_load(&w->ran) != w->done))
			bad++;
	}
	for (i = 0; i < NR_PATTERNS; i++) {
		struct tally *p = &t[i];

		if (!p->threads)
			continue;
		if (i == P_PIPE)
			printf("mixed_load: pipe: %d pairs, messages expected %ld, sent %ld, received %ld, echoed %ld, echoes received %ld\n",
			       p->threads, p->expected, p->done, p->peer_recv,
			       p->peer_done, p->recv);
		else if (i == P_FUTEX)
			printf("mixed_load: futex: %d pairs, hand-overs expected %ld, made %ld, taken %ld, returned %ld, taken back %ld\n",
			       p->threads, p->expected, p->done, p->peer_recv,
			       p->peer_done, p->recv);
		else if (i == P_CREATE)
			printf("mixed_load: create: %d threads, children expected %ld, ran %ld, joined %ld\n",
			       p->threads, p->expected, p->ran, p->done);
		else
			printf("mixed_load: %s: %d threads, units expected %ld, done %ld\n",
			       pattern_names[i], p->threads, p->expected,
			       p->done);
	}
	if (bad)
		fail("%d threads (or pairs) did not do exactly the work of their rounds",
		     bad);
	return bad;
}

/* Names the threads still at work after the drain timeout. */
static void report_stuck(void)
{
	int i, n = 0;

	for (i = 0; i < nr_workers; i++) {
		struct worker *w = &workers[i];

		if (atomic_load(&w->finished))
			continue;
		if (n++ < 10)
			printf("mixed_load: thread %d (%s%s) not finished, at unit %ld\n",
			       w->tid, pattern_names[w->pat],
			       w->peer ? (w->leader ? " leader" : " follower") : "",
			       atomic_load(&w->progress));
	}
	printf("mixed_load: FAIL: %d of %d threads did not finish\n", n,
	       nr_workers);
}

/* The tids of every worker into @path, at once (written, then renamed). */
static int write_tids(const char *path)
{
	char tmp[4096];
	FILE *f;
	int i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (i = 0; i < nr_workers; i++)
		fprintf(f, "%d\n", workers[i].tid);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mixed_load [-n THREADS] [-u UNITS] [-r ROUNDS] [-w FILE]\n"
		"                  [-T FILE] [-t SECONDS] [-s ITERS] [-e ID]\n"
		"  -n THREADS  worker threads, at least %d (default 200)\n"
		"  -u UNITS    units of work a round (default 10)\n"
		"  -r ROUNDS   rounds each thread does at least (default 1)\n"
		"  -w FILE     go on, round by round, until FILE exists\n"
		"  -T FILE     write the workers' tids there once all run\n"
		"  -t SECONDS  fail if threads are still at work that long after\n"
		"              FILE appeared (default 60, 0: wait for ever)\n"
		"  -s ITERS    loop iterations of a spin unit (default 200000)\n"
		"  -e ID       the enclave (default: the one this process is in)\n",
		GROUP);
}

static int parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || !*s || *end || *v < min || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *stop_file = NULL, *tids_file = NULL;
	const char *on_timeout = getenv("MIXED_LOAD_ON_TIMEOUT");
	long v, drain_s = 60;
	uint64_t t0, t_stop;
	int c, i, ret;

	while ((c = getopt(argc, argv, "n:u:r:w:T:t:s:e:h")) != -1) {
		switch (c) {
		case 'n':
			if (parse_long(optarg, GROUP, 4096, &v))
				goto bad;
			nr_workers = v;
			break;
		case 'u':
			if (parse_long(optarg, 1, 1000000, &units))
				goto bad;
			break;
		case 'r':
			if (parse_long(optarg, 1, 1000000, &min_rounds))
				goto bad;
			break;
		case 'w':
			stop_file = optarg;
			break;
		case 'T':
			tids_file = optarg;
			break;
		case 't':
			if (parse_long(optarg, 0, 86400, &drain_s))
				goto bad;
			break;
		case 's':
			if (parse_long(optarg, 0, 1000000000, &spin_iters))
				goto bad;
			break;
		case 'e':
			if (parse_long(optarg, 1, 0x7fffffff, &v))
				goto bad;
			enclave_id = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	if (!enclave_id && find_enclave()) {
		fprintf(stderr, "mixed_load: not in an enclave: start it with 'ghostctl run ID -- mixed_load'\n");
		return 2;
	}
	snprintf(enclave_dir, sizeof(enclave_dir), "%s/enclave_%u",
		 GHOST_FS_PATH, enclave_id);
	if (read_cpulist()) {
		fprintf(stderr, "mixed_load: cannot read the CPUs of enclave %u\n",
			enclave_id);
		return 2;
	}
	if (listed_in(enclave_dir, gettid_()) != 1) {
		fprintf(stderr, "mixed_load: the main thread is not in enclave %u\n",
			enclave_id);
		return 2;
	}
	ret = lay_out();
	if (ret) {
		fprintf(stderr, "mixed_load: %s\n", strerror(-ret));
		return 2;
	}
	/* Without a stop file, exactly ROUNDS rounds. */
	atomic_store(&stop, !stop_file);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);

	t0 = now_ms();
	for (i = 0; i < nr_workers; i++) {
		ret = pthread_create(&workers[i].th, &attr, worker_main,
				     &workers[i]);
		if (ret) {
			/* Those started cannot be stopped half-way: give up. */
			fprintf(stderr, "mixed_load: pthread_create: %s\n",
				strerror(ret));
			_exit(1);
		}
	}
	while (atomic_load(&started) < nr_workers)
		usleep(10000);
	ret = tids_file ? write_tids(tids_file) : 0;
	if (ret) {
		fprintf(stderr, "mixed_load: %s: %s\n", tids_file,
			strerror(-ret));
		_exit(1);
	}
	printf("mixed_load: enclave %u, pid %d, %d threads running, %ld units a round\n",
	       enclave_id, (int)getpid(), nr_workers, units);
	fflush(stdout);

	while (!atomic_load(&stop)) {
		if (!access(stop_file, F_OK))
			atomic_store(&stop, 1);
		else
			usleep(50000);
	}
	t_stop = now_ms();
	while (atomic_load(&finished) < nr_workers) {
		if (drain_s && now_ms() - t_stop > (uint64_t)drain_s * 1000) {
			fflush(stdout);
			/* A look at the enclave while they are still stuck. */
			if (on_timeout && on_timeout[0] && system(on_timeout))
				fprintf(stderr, "mixed_load: MIXED_LOAD_ON_TIMEOUT failed\n");
			report_stuck();
			fflush(stdout);
			_exit(1);
		}
		usleep(20000);
	}
	for (i = 0; i < nr_workers; i++)
		pthread_join(workers[i].th, NULL);

	report();
	printf("mixed_load: %ld enclave checks, %.1f s\n", atomic_load(&checks),
	       (now_ms() - t0) / 1000.0);
	if (fail_msg[0]) {
		printf("mixed_load: FAIL: %s (%d failures)\n", fail_msg,
		       atomic_load(&nr_failures));
		return 1;
	}
	printf("mixed_load: pass\n");
	return 0;

bad:
	usage(stderr);
	return 2;
}
