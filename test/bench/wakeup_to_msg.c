// SPDX-License-Identifier: GPL-2.0
/*
 * Wakeup to message seen: a ghost thread blocked in FUTEX_WAIT on CPU B
 * is woken by a CFS thread on CPU A; each sample runs from a timestamp
 * taken just before FUTEX_WAKE until the agent has TASK_WAKEUP in hand.
 *
 *   wait  the agent sleeps in GHOST_IOC_AGENT_WAIT on CPU B, the
 *         thread's own CPU, as a per-CPU agent does;
 *   spin  the agent polls the ring's head on its own CPU (pausing), as
 *         a centralized agent does.
 *
 * The agent then commits the thread to B again, and it blocks again.
 * The baseline is futex_wake.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "../agent/ghost_test.h"
#include "samples.h"

#define WARMUP		20
#define SETTLE_US	500
#define TIMEOUT_NS	5000000000ULL

struct waker {
	struct gt_worker *w;
	volatile uint32_t armed;	/* sample number the agent is ready for */
	volatile uint64_t t_wake;
	volatile int quit;
	int cpu;
};

static void futex_wait(volatile uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(volatile uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The ghost thread: block until woken, count, block again. */
static void wait_loop(struct gt_worker *w)
{
	for (;;) {
		while (!__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE))
			futex_wait(&w->futex, 0);
		__atomic_store_n(&w->futex, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&w->counter, 1, __ATOMIC_RELEASE);
		if (__atomic_load_n(&w->cmd, __ATOMIC_ACQUIRE) == GT_CMD_EXIT)
			return;
	}
}

/* The CFS thread that wakes it, once per sample the agent arms. */
static void *waker_fn(void *p)
{
	struct waker *x = p;
	uint32_t done = 0;

	if (bench_pin(x->cpu))
		return NULL;
	for (;;) {
		while (__atomic_load_n(&x->armed, __ATOMIC_ACQUIRE) == done &&
		       !x->quit)
			futex_wait(&x->armed, done);
		if (x->quit)
			return NULL;
		done = x->armed;
		/* The agent is asleep or spinning by now. */
		bench_settle_us(SETTLE_US);
		x->t_wake = gt_now_ns();
		__atomic_store_n(&x->w->futex, 1, __ATOMIC_RELEASE);
		futex_wake(&x->w->futex);
	}
}

/*
 * Find @type of @tid in the ring, consuming everything up to it; *@seen
 * is when it was found.  Every task message starts with the gtid.
 */
static int scan(struct gt_enclave *e, int type, pid_t tid, uint64_t *seen)
{
	struct ghost_msg *m;
	int found = 0;

	while (!found && (m = gt_msg_peek(e))) {
		if (m->type == type &&
		    GHOST_GTID_TID(((struct ghost_msg_task *)(m + 1))->gtid) ==
		    tid) {
			*seen = gt_now_ns();
			found = 1;
		}
		gt_msg_consume(e, m);
	}
	return found;
}

/* Until @type of @tid shows: in AGENT_WAIT, or polling with a pause. */
static int await(struct gt_enclave *e, int spin, int type, pid_t tid,
		 uint64_t *seen)
{
	uint64_t end = gt_now_ns() + TIMEOUT_NS;
	uint32_t head;

	for (;;) {
		if (scan(e, type, tid, seen))
			return 0;
		if (gt_now_ns() > end)
			return -1;
		head = __atomic_load_n(&e->ring->head, __ATOMIC_ACQUIRE);
		if (head != e->tail)
			continue;
		if (spin)
			ghost_cpu_relax();
		else
			gt_agent_wait(e, head, 100);
	}
}

/*
 * Commit @gtid to @cpu.  An agent on @cpu itself commits the thread
 * before it could finish waking up there: give it a moment if the
 * kernel says so, as an agent would retry.
 */
static int commit_retry(struct gt_enclave *e, uint64_t gtid, int cpu)
{
	int r = 0;

	for (int i = 0; i < 100; i++) {
		r = gt_commit(e, gtid, cpu);
		if (r == GHOST_TXN_COMPLETE)
			break;
		bench_settle_us(100);
	}
	return r;
}

static int measure(int spin)
{
	const char *name = spin ? "wakeup_msg_spin" : "wakeup_msg_wait";
	struct gt_worker *w = gt_workers(1);
	struct waker x = { .w = w };
	int r, i, n = bench_nr_samples(), cpu, agent_cpu;
	struct bench_series s;
	struct gt_enclave e;
	uint64_t gtid, seen;
	pthread_t t;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, 0, 0)))
		return r;
	cpu = gt_cpu(0);
	x.cpu = gt_cpu(1);
	agent_cpu = spin ? gt_agent_cpu : cpu;
	if ((r = gt_attach(&e, agent_cpu)))
		return gt_fail("attach to CPU %d: %s", agent_cpu,
			       strerror(-r));
	bench_series_init(&s, name, n);
	w->fn = wait_loop;
	gtid = gt_start(&e, w, 0);
	if (!gtid)
		return gt_fail("worker did not enter");
	if ((r = commit_retry(&e, gtid, cpu)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit: %s", gt_txn_name(r));
	if (await(&e, spin, GHOST_MSG_TASK_BLOCKED, w->tid, &seen))
		return gt_fail("no TASK_BLOCKED");
	if ((r = pthread_create(&t, NULL, waker_fn, &x)))
		return gt_fail("pthread_create: %s", strerror(r));

	for (i = 0; i < n + WARMUP; i++) {
		__atomic_store_n(&x.armed, i + 1, __ATOMIC_RELEASE);
		futex_wake(&x.armed);
		/*
		 * A spinning agent spins from half-way through the waker's
		 * pause: a real-time spinner throttled for 50 ms a second
		 * (sched_rt_runtime_us) would measure the throttling.
		 */
		if (spin)
			bench_settle_us(SETTLE_US / 2);
		if (await(&e, spin, GHOST_MSG_TASK_WAKEUP, w->tid, &seen)) {
			r = gt_fail("sample %d: no TASK_WAKEUP", i);
			break;
		}
		if (i >= WARMUP)
			bench_series_add(&s, seen - x.t_wake);
		r = commit_retry(&e, gtid, cpu);
		if (r != GHOST_TXN_COMPLETE) {
			r = gt_fail("sample %d: commit %s", i, gt_txn_name(r));
			break;
		}
		if (await(&e, spin, GHOST_MSG_TASK_BLOCKED, w->tid, &seen)) {
			r = gt_fail("sample %d: no TASK_BLOCKED", i);
			break;
		}
		r = 0;
	}
	x.quit = 1;
	__atomic_store_n(&x.armed, 0, __ATOMIC_RELEASE);
	futex_wake(&x.armed);
	pthread_join(t, NULL);
	if (r)
		return r;
	bench_info(name, "cpus", "agent %d thread %d waker %d", agent_cpu,
		   cpu, x.cpu);
	bench_series_print(&s);
	return 0;
}

static int test_wait(void)
{
	return measure(0);
}

static int test_spin(void)
{
	return measure(1);
}

static const struct gt_test tests[] = {
	{ "wait", test_wait },
	{ "spin", test_spin },
	{ NULL, NULL },
};

GT_MAIN(tests)
