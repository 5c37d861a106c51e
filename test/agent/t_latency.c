// SPDX-License-Identifier: GPL-2.0
/*
 * Latencies, printed and never judged: commit to run on a remote CPU,
 * wakeup to the agent seeing TASK_WAKEUP, and a futex wake between two
 * pinned CFS threads as the baseline.  Fails only if it cannot measure.
 * The benchmarks of `make bench` are in test/bench; this is the quick
 * look the VM tests take.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include <ghost/barrier.h>

#include "ghost_test.h"

#define NR_SAMPLES	300

struct series {
	const char *name;
	int n;
	int64_t ns[NR_SAMPLES];
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_header(void)
{
	printf("%-34s %5s %10s %10s\n", "latency (us)", "n", "median",
	       "p99");
}

static void print_series(struct series *s)
{
	int64_t med, p99;

	if (!s->n) {
		printf("%-34s %5d %10s %10s\n", s->name, 0, "-", "-");
		return;
	}
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_i64);
	med = s->ns[s->n / 2];
	p99 = s->ns[(s->n * 99) / 100 < s->n ? (s->n * 99) / 100 : s->n - 1];
	printf("%-34s %5d %10.1f %10.1f\n", s->name, s->n, med / 1000.0,
	       p99 / 1000.0);
}

/* Record when it runs, then give the CPU back. */
static void stamp_and_yield(struct gt_worker *w)
{
	for (;;) {
		w->run_ns = gt_now_ns();
		__atomic_add_fetch(&w->counter, 1, __ATOMIC_RELEASE);
		if (w->cmd == GT_CMD_EXIT)
			return;
		sched_yield();
	}
}

static int measure_commit_to_run(struct series *by_txn,
				 struct series *by_call)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	uint64_t a;

	by_txn->name = "commit to run (txn commit_time)";
	by_call->name = "commit to run (before the ioctl)";
	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w->fn = stamp_and_yield;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	for (int i = 0; i < NR_SAMPLES + 1; i++) {
		uint64_t seen = w->counter, t0;

		/* Let it settle in its park. */
		gt_sleep_ms(1);
		t0 = gt_now_ns();
		r = gt_commit(&e, a, c1);
		if (r != GHOST_TXN_COMPLETE)
			return gt_fail("commit %d: %s", i, gt_txn_name(r));
		/* Pausing: an emulated CPU would otherwise starve the rest. */
		while (__atomic_load_n(&w->counter, __ATOMIC_ACQUIRE) == seen) {
			if (gt_now_ns() - t0 > 2000000000ULL)
				return gt_fail("sample %d: did not run", i);
			ghost_cpu_relax();
		}
		if (gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w->tid, 5000, NULL))
			return gt_fail("sample %d: no TASK_YIELD", i);
		if (i == 0)	/* the first run returns from tasks */
			continue;
		by_txn->ns[by_txn->n++] = w->run_ns - e.txn[c1].commit_time;
		by_call->ns[by_call->n++] = w->run_ns - t0;
		gt_log_clear(&e);
	}
	w->cmd = GT_CMD_EXIT;	/* when it next runs, here or in CFS */
	return 0;
}

struct writer {
	struct gt_worker *w;
	volatile int go;
	volatile int quit;
	volatile uint64_t t_write;
};

/* A CFS thread on another CPU that wakes the ghost thread on demand. */
static void *writer_fn(void *p)
{
	struct writer *x = p;
	int done = 0;

	while (!x->quit) {
		if (x->go == done) {
			usleep(50);
			continue;
		}
		x->t_write = gt_now_ns();
		if (write(x->w->pipefd[1], "x", 1) != 1)
			break;
		done++;
	}
	return NULL;
}

/* Read forever: every byte is one wakeup. */
static void read_loop(struct gt_worker *w)
{
	char c;

	while (read(w->pipefd[0], &c, 1) == 1)
		__atomic_add_fetch(&w->counter, 1, __ATOMIC_RELEASE);
}

static int measure_wakeup_delivery(struct series *s)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	struct writer x = { w, 0, 0, 0 };
	struct sched_param sp = { 0 };
	int r, c1 = gt_cpu(0);
	pthread_attr_t attr;
	pthread_t t;
	cpu_set_t set;
	uint64_t a;

	s->name = "wakeup to TASK_WAKEUP seen";
	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 1)))
		return r;
	w->fn = read_loop;
	if (pipe(w->pipefd))
		return gt_fail("pipe");
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	if ((r = gt_commit(&e, a, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");

	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &sp);
	CPU_ZERO(&set);
	CPU_SET(gt_cpu(1), &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	pthread_create(&t, &attr, writer_fn, &x);

	for (int i = 0; i < NR_SAMPLES; i++) {
		struct ghost_msg *m;
		uint64_t seen = 0, end = gt_now_ns() + 5000000000ULL;

		gt_log_clear(&e);
		x.go = i + 1;
		/* Poll the ring as an agent would, sleeping in AGENT_WAIT. */
		while (!seen && gt_now_ns() < end) {
			uint32_t head;

			while ((m = gt_msg_peek(&e))) {
				if (m->type == GHOST_MSG_TASK_WAKEUP &&
				    GHOST_GTID_TID(((struct ghost_msg_task_wakeup *)
						    (m + 1))->gtid) == w->tid)
					seen = gt_now_ns();
				gt_msg_consume(&e, m);
			}
			head = __atomic_load_n(&e.ring->head, __ATOMIC_ACQUIRE);
			if (!seen && head == e.tail)
				gt_agent_wait(&e, head, 100);
		}
		if (!seen) {
			r = gt_fail("sample %d: no TASK_WAKEUP", i);
			break;
		}
		s->ns[s->n++] = seen - x.t_write;
		r = gt_commit(&e, a, c1);
		if (r != GHOST_TXN_COMPLETE) {
			r = gt_fail("sample %d: commit %s", i, gt_txn_name(r));
			break;
		}
		if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000,
				NULL)) {
			r = gt_fail("sample %d: no TASK_BLOCKED", i);
			break;
		}
		r = 0;
	}
	x.quit = 1;
	pthread_join(t, NULL);
	return r;
}

struct pingpong {
	volatile uint32_t word;
	volatile uint64_t t_wake;
	struct series *s;
	int cpu;
};

static void pin(int cpu)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	sched_setscheduler(0, SCHED_OTHER, &sp);
}

static void futex_wait(volatile uint32_t *w, uint32_t val)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == val)
		syscall(SYS_futex, w, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake(volatile uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The woken side: 0 -> 1 wakes it, it measures and answers with 0. */
static void *pong(void *p)
{
	struct pingpong *pp = p;

	pin(pp->cpu);
	for (int i = 0; i < NR_SAMPLES; i++) {
		futex_wait(&pp->word, 0);
		pp->s->ns[pp->s->n++] = gt_now_ns() - pp->t_wake;
		__atomic_store_n(&pp->word, 0, __ATOMIC_RELEASE);
		futex_wake(&pp->word);
	}
	return NULL;
}

static int measure_futex_wake(struct series *s)
{
	struct pingpong pp = { 0, 0, s, 0 };
	pthread_t t;
	int r;

	s->name = "futex wake, CFS (baseline)";
	if ((r = gt_need_cpus(3)))
		return r;
	pp.cpu = gt_cpu(1);
	pin(gt_cpu(0));
	pthread_create(&t, NULL, pong, &pp);
	for (int i = 0; i < NR_SAMPLES; i++) {
		/* Let the other side go to sleep first. */
		usleep(200);
		pp.t_wake = gt_now_ns();
		__atomic_store_n(&pp.word, 1, __ATOMIC_RELEASE);
		futex_wake(&pp.word);
		futex_wait(&pp.word, 1);
	}
	pthread_join(t, NULL);
	return 0;
}

static struct series a_txn, a_call, b_wake, c_futex;

static int test_commit_to_run(void)
{
	int r = measure_commit_to_run(&a_txn, &a_call);

	print_header();
	print_series(&a_txn);
	print_series(&a_call);
	return r;
}

static int test_wakeup_delivery(void)
{
	int r = measure_wakeup_delivery(&b_wake);

	print_header();
	print_series(&b_wake);
	return r;
}

static int test_futex_wake_baseline(void)
{
	int r = measure_futex_wake(&c_futex);

	print_header();
	print_series(&c_futex);
	return r;
}

/* All of them, one table. */
static int test_table(void)
{
	int r = measure_commit_to_run(&a_txn, &a_call);

	gt_destroy_all();
	if (!r)
		r = gt_init();
	if (!r)
		r = measure_wakeup_delivery(&b_wake);
	/* The baseline without any enclave (this thread is an agent). */
	gt_destroy_all();
	if (!r)
		r = measure_futex_wake(&c_futex);
	printf("\n");
	print_header();
	print_series(&a_txn);
	print_series(&a_call);
	print_series(&b_wake);
	print_series(&c_futex);
	return r;
}

static const struct gt_test tests[] = {
	{ "commit_to_run", test_commit_to_run },
	{ "wakeup_delivery", test_wakeup_delivery },
	{ "futex_wake_baseline", test_futex_wake_baseline },
	{ "table", test_table },
	{ NULL, NULL },
};

GT_MAIN(tests)
