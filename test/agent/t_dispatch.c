// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatch fast path: a CPU's list of next threads, which the module
 * runs by itself when the CPU's thread blocks or yields.  The test is the
 * agent and commits only the first thread: everything after that is the
 * module's doing.  The audit runs throughout and must find nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ghost/barrier.h>

#include "ghost_test.h"

static int setup(struct gt_enclave *e, uint32_t flags)
{
	int r;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(e, 0, 1)))
		return r;
	if (gt_efile_write(e, "audit", "1"))
		return gt_fail("cannot turn the audit on");
	e->dl[gt_cpu(0)].flags = flags;
	return 0;
}

/* setup(), with two workers in the enclave: A (*@a) and B (*@b). */
static int setup_two(struct gt_enclave *e, uint32_t flags,
		     struct gt_worker *w, uint64_t *a, uint64_t *b)
{
	int r;

	if ((r = setup(e, flags)))
		return r;
	if (!(*a = gt_start(e, &w[0], 0)) || !(*b = gt_start(e, &w[1], 0)))
		return gt_fail("workers did not enter");
	return 0;
}

static int audit_clean(struct gt_enclave *e)
{
	long v = gt_status(e, "audit_violations");

	if (v != 0)
		return gt_fail("audit_violations %ld", v);
	return 0;
}

static void push(struct gt_enclave *e, int cpu, uint64_t gtid)
{
	gt_dl_push(e, cpu, gtid, gt_barrier(e, gtid));
}

/*
 * setup() with @n workers (gtids in @g): the first runs on gt_cpu(0), the
 * others are listed behind it, in order.
 */
static int setup_listed(struct gt_enclave *e, uint32_t flags,
			struct gt_worker *w, uint64_t *g, int n)
{
	int r, c1 = gt_cpu(0);

	if ((r = setup(e, flags)))
		return r;
	for (int i = 0; i < n; i++)
		if (!(g[i] = gt_start(e, &w[i], 0)))
			return gt_fail("worker %d did not enter", i);
	if ((r = gt_run_on(e, &w[0], g[0], c1)))
		return r;
	for (int i = 1; i < n; i++)
		push(e, c1, g[i]);
	return 0;
}

/* @w runs, on @cpu only, and the agent heard TASK_LATCHED for it. */
static int latched_on(struct gt_enclave *e, struct gt_worker *w, int cpu)
{
	struct gt_msg m;
	uint64_t seen;

	w->reset_seen = 1;
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("%d does not run from the list", w->tid);
	if (gt_wait_msg(e, GHOST_MSG_TASK_LATCHED, w->tid, 5000, &m))
		return gt_fail("no TASK_LATCHED for %d", w->tid);
	if (m.cpu != cpu)
		return gt_fail("TASK_LATCHED cpu %d, want %d", m.cpu, cpu);
	seen = gt_worker_cpus(w, 100);
	if (seen != GT_CPU(cpu))
		return gt_fail("%d ran on %#llx, its entry says CPU %d",
			       w->tid, (unsigned long long)seen, cpu);
	if (gt_cpu_word(e, cpu)->gtid != m.gtid)
		return gt_fail("CPU word does not name %d", w->tid);
	return 0;
}

static int test_list_runs_in_order_without_agent(void)
{
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	struct ghost_dispatch_list *l;
	struct gt_enclave e;
	uint64_t g[3];

	if ((r = setup_listed(&e, GHOST_DL_F_ENABLE, w, g, 3)))
		return r;
	l = &e.dl[c1];
	if (!gt_worker_frozen(&w[1], 100) || !gt_worker_frozen(&w[2], 100))
		return gt_fail("a listed thread runs while the CPU is taken");

	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("the second entry runs before its turn");
	gt_worker_cmd(&w[1], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[2], c1)))
		return r;
	if (l->head != 2 || l->nr_taken != 2 || l->nr_stale)
		return gt_fail("head %u taken %u stale %u", l->head,
			       l->nr_taken, l->nr_stale);
	return audit_clean(&e);
}

static int test_stale_entries_are_skipped(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0);
	struct ghost_dispatch_list *l;
	struct gt_enclave e;
	uint64_t a, b;

	if ((r = setup(&e, GHOST_DL_F_ENABLE)))
		return r;
	l = &e.dl[c1];
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)))
		return gt_fail("workers did not enter");
	if ((r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	gt_dl_push(&e, c1, b, gt_barrier(&e, b) - 1);	/* old barrier */
	gt_dl_push(&e, c1, (12345ULL << 32) | 7, 1);	/* no such thread */
	push(&e, c1, a);				/* running already */
	push(&e, c1, b);
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (l->nr_stale != 3 || l->nr_taken != 1 || l->head != l->tail)
		return gt_fail("stale %u taken %u head %u tail %u",
			       l->nr_stale, l->nr_taken, l->head, l->tail);
	return audit_clean(&e);
}

/* @w runs on @cpu, then loses it to an idle commit: it parks, pinned there. */
static int park_on(struct gt_enclave *e, struct gt_worker *w, uint64_t gtid,
		   int cpu)
{
	int r;

	if ((r = gt_run_on(e, w, gtid, cpu)))
		return r;
	if ((r = gt_idle(e, cpu)) != GHOST_TXN_COMPLETE)
		return gt_fail("idle commit: %s", gt_txn_name(r));
	if (gt_wait_msg(e, GHOST_MSG_TASK_PREEMPT, w->tid, 5000, NULL))
		return gt_fail("no TASK_PREEMPT for %d", w->tid);
	return 0;
}

/*
 * Threads last placed elsewhere, or never placed, run on their entry's
 * CPU and nowhere else.
 */
static int test_entry_runs_only_on_its_cpu(void)
{
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct gt_enclave e;
	uint64_t a, b, c;

	if ((r = setup(&e, GHOST_DL_F_ENABLE)))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)) ||
	    !(c = gt_start(&e, &w[2], 0)))
		return gt_fail("workers did not enter");
	/* B last ran on c2, pinned there. */
	if ((r = park_on(&e, &w[1], b, c2)) ||
	    (r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	push(&e, c1, b);
	push(&e, c1, c);
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	gt_worker_cmd(&w[1], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[2], c1)))
		return r;
	return audit_clean(&e);
}

/*
 * GHOST_DL_AFFINE(1): a listed thread that last ran on the CPU runs
 * before one ahead of it that ran elsewhere, which stays listed and runs
 * next: passed over once, it is not passed over again.
 */
static int test_affine_runs_own_thread_first(void)
{
	struct gt_worker *w = gt_workers(4);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct ghost_dispatch_list *l;
	struct gt_enclave e;
	uint64_t a, b, c, d;

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_AFFINE(1))))
		return r;
	l = &e.dl[c1];
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)) ||
	    !(c = gt_start(&e, &w[2], 0)) || !(d = gt_start(&e, &w[3], 0)))
		return gt_fail("workers did not enter");
	/* B last ran on c2; C and D on c1, pinned there. */
	if ((r = park_on(&e, &w[1], b, c2)) ||
	    (r = park_on(&e, &w[2], c, c1)) ||
	    (r = park_on(&e, &w[3], d, c1)) ||
	    (r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	push(&e, c1, b);
	push(&e, c1, c);
	push(&e, c1, d);

	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[2], c1)))
		return r;
	if (!gt_worker_frozen(&w[1], 100) || !gt_worker_frozen(&w[3], 100))
		return gt_fail("a thread runs beside the one taken");
	if (l->head != 0 || l->nr_taken != 1)
		return gt_fail("head %u taken %u: the first entry must stay",
			       l->head, l->nr_taken);
	/* D ran on c1 too, but B was passed over once already. */
	gt_worker_cmd(&w[2], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (!gt_worker_frozen(&w[3], 100))
		return gt_fail("D runs beside B");
	if (l->head != 1 || l->nr_taken != 2)
		return gt_fail("head %u taken %u", l->head, l->nr_taken);
	/* C's entry went stale when it ran: D's is next. */
	gt_worker_cmd(&w[1], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[3], c1)))
		return r;
	if (l->head != 3 || l->nr_taken != 3 || l->nr_stale != 1)
		return gt_fail("head %u taken %u stale %u", l->head,
			       l->nr_taken, l->nr_stale);
	return audit_clean(&e);
}

/*
 * A thread that never ran must move wherever it runs: waiting gains it
 * nothing, so GHOST_DL_AFFINE does not pass it over.
 */
static int test_affine_keeps_order_for_unplaced(void)
{
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint64_t a, n, c;

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_AFFINE(4))))
		return r;
	if (!(a = gt_start(&e, &w[0], 0)) || !(n = gt_start(&e, &w[1], 0)) ||
	    !(c = gt_start(&e, &w[2], 0)))
		return gt_fail("workers did not enter");
	if ((r = park_on(&e, &w[2], c, c1)) ||
	    (r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	push(&e, c1, n);
	push(&e, c1, c);
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("C runs beside the thread that never ran");
	if (e.dl[c1].head != 1)
		return gt_fail("head %u, want 1", e.dl[c1].head);
	return audit_clean(&e);
}

/* A real-time thread that keeps @cpu from everything else until told. */
struct hog {
	pthread_t th;
	int cpu;
	volatile int running, stop;
};

static void *hog_main(void *p)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct hog *h = p;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_FIFO, &sp))
		return NULL;
	h->running = 1;
	while (!h->stop)
		ghost_cpu_relax();
	return NULL;
}

#define RT_RUNTIME "/proc/sys/kernel/sched_rt_runtime_us"

/* Throttling off and the hog on its CPU; 0, or the failure. */
static int hog_start(struct hog *h, char *runtime, size_t len)
{
	if (gt_read_file(RT_RUNTIME, runtime, len) < 0 ||
	    gt_write_file(RT_RUNTIME, "-1"))
		return gt_fail("cannot turn RT throttling off");
	if (pthread_create(&h->th, NULL, hog_main, h)) {
		gt_write_file(RT_RUNTIME, "%s", runtime);
		return gt_fail("cannot start the real-time thread");
	}
	for (int i = 0; i < 5000 && !h->running; i++)
		gt_sleep_ms(1);
	if (h->running)
		return 0;
	h->stop = 1;
	pthread_join(h->th, NULL);
	gt_write_file(RT_RUNTIME, "%s", runtime);
	return gt_fail("the real-time thread did not start");
}

static void hog_stop(struct hog *h, const char *runtime)
{
	h->stop = 1;
	pthread_join(h->th, NULL);
	gt_write_file(RT_RUNTIME, "%s", runtime);
}

/*
 * A listed thread parked on another CPU runs on its entry's CPU without
 * first running where it parked: here that CPU is taken by a real-time
 * thread, unthrottled, so a thread that had to move itself from there
 * would not run at all while it spins.
 */
static int test_entry_parked_on_a_taken_cpu_runs(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct hog h = { .cpu = c2 };
	char runtime[32];
	struct gt_enclave e;
	uint64_t a, b;

	if ((r = setup_two(&e, GHOST_DL_F_ENABLE, w, &a, &b)))
		return r;
	if ((r = park_on(&e, &w[1], b, c2)) ||
	    (r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	push(&e, c1, b);

	if ((r = hog_start(&h, runtime, sizeof(runtime))))
		return r;
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	r = latched_on(&e, &w[1], c1);
	hog_stop(&h, runtime);
	return r ?: audit_clean(&e);
}

/*
 * The same for a thread that woke up on a CPU taken by a real-time thread
 * and so never got to run its way into its park: it is moved to its
 * entry's CPU from that CPU's runqueue.
 */
static int test_entry_woken_on_a_taken_cpu_runs(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct hog h = { .cpu = c2 };
	char runtime[32];
	struct gt_enclave e;
	uint64_t a, b;

	if ((r = setup_two(&e, GHOST_DL_F_ENABLE, w, &a, &b)))
		return r;
	/* B blocks on c2, where it stays pinned. */
	if ((r = gt_run_on(&e, &w[1], b, c2)))
		return r;
	gt_worker_cmd(&w[1], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[1].tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED for %d", w[1].tid);
	if ((r = gt_run_on(&e, &w[0], a, c1)))
		return r;

	if ((r = hog_start(&h, runtime, sizeof(runtime))))
		return r;
	gt_worker_poke(&w[1]);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[1].tid, 5000, NULL))
		r = gt_fail("no TASK_WAKEUP for %d", w[1].tid);
	if (!r) {
		push(&e, c1, b);
		gt_worker_cmd(&w[0], GT_CMD_PIPE);
		r = latched_on(&e, &w[1], c1);
	}
	hog_stop(&h, runtime);
	return r ?: audit_clean(&e);
}

static int test_yield_hands_cpu_to_next_entry(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint64_t a, b;

	if ((r = setup_two(&e, GHOST_DL_F_ENABLE, w, &a, &b)))
		return r;
	if ((r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	/* Nothing else to run: the yield keeps the CPU, silently. */
	gt_worker_cmd(&w[0], GT_CMD_YIELD);
	if (!gt_wait_for(w[0].cmd == GT_CMD_SPIN, 5000) ||
	    !gt_worker_progresses(&w[0], 5000))
		return gt_fail("a yield with an empty list stopped the thread");
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w[0].tid, 200, NULL))
		return gt_fail("TASK_YIELD for a yield that kept the CPU");

	push(&e, c1, b);
	gt_worker_cmd(&w[0], GT_CMD_YIELD);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_YIELD, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_YIELD for the thread that yielded");
	if (!gt_worker_frozen(&w[0], 200))
		return gt_fail("the yielding thread still runs");
	return audit_clean(&e);
}

static int test_run_on_wake_without_commit(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0);
	const volatile struct ghost_status_word *sw;
	struct gt_enclave e;
	struct gt_msg m;
	uint64_t a, b;

	if ((r = setup_two(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE,
			   w, &a, &b)))
		return r;
	if ((r = gt_run_on(&e, &w[0], a, c1)))
		return r;
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED");
	gt_worker_poke(&w[0]);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[0].tid, 5000, &m))
		return gt_fail("no TASK_WAKEUP");
	if ((r = latched_on(&e, &w[0], c1)))
		return r;
	sw = gt_sw_of(&e, a);
	if (!sw || !(sw->flags & GHOST_SW_TASK_ONCPU))
		return gt_fail("status word not on CPU: %#x", sw ? sw->flags : 0);

	/* The CPU is taken when it wakes: it waits for a decision. */
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[0].tid, 5000, NULL))
		return gt_fail("no second TASK_BLOCKED");
	if ((r = gt_run_on(&e, &w[1], b, c1)))
		return r;
	gt_log_clear(&e);
	gt_worker_poke(&w[0]);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[0].tid, 5000, NULL))
		return gt_fail("no TASK_WAKEUP while the CPU is taken");
	if (!gt_worker_frozen(&w[0], 200))
		return gt_fail("woke onto a CPU that another thread holds");
	if (!gt_wait_msg(&e, GHOST_MSG_TASK_LATCHED, w[0].tid, 100, NULL))
		return gt_fail("TASK_LATCHED while the CPU is taken");
	return audit_clean(&e);
}

/* A list published while its CPU is idle runs on GHOST_IOC_DISPATCH. */
static int test_kick_runs_list_of_idle_cpu(void)
{
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint32_t nr = 99;
	uint64_t a;

	if ((r = setup(&e, GHOST_DL_F_ENABLE)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	push(&e, c1, a);
	if (!gt_worker_frozen(w, 200))
		return gt_fail("ran without a kick or a commit");
	if (gt_cpu_word(&e, c1)->gtid)
		return gt_fail("CPU word names a thread");
	if ((r = gt_dl_kick(&e, c1, &nr)) || nr != 1)
		return gt_fail("kick: %s, %u dispatched", strerror(-r), nr);
	if ((r = latched_on(&e, w, c1)))
		return r;
	/* Taken CPU, empty list: nothing to do. */
	if ((r = gt_dl_kick(&e, c1, &nr)) || nr)
		return gt_fail("second kick: %s, %u dispatched", strerror(-r),
			       nr);
	return audit_clean(&e);
}

static int test_malformed_list_is_dropped(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0);
	struct ghost_dispatch_list *l;
	struct gt_enclave e;
	uint32_t nr = 99;
	uint64_t a, b;

	if ((r = setup(&e, GHOST_DL_F_ENABLE)))
		return r;
	l = &e.dl[c1];
	if (!(a = gt_start(&e, &w[0], 0)) || !(b = gt_start(&e, &w[1], 0)))
		return gt_fail("workers did not enter");
	push(&e, c1, b);
	l->tail += 1000;
	if ((r = gt_dl_kick(&e, c1, &nr)) || nr)
		return gt_fail("kick: %s, %u dispatched", strerror(-r), nr);
	if (l->nr_bad != 1 || l->head != l->tail)
		return gt_fail("bad %u head %u tail %u", l->nr_bad, l->head,
			       l->tail);
	if (!gt_worker_frozen(&w[1], 200))
		return gt_fail("ran from a malformed list");
	/* Reserved flag bits are ignored; the list works again. */
	l->flags = ~0U;
	push(&e, c1, b);
	if ((r = gt_dl_kick(&e, c1, &nr)) || nr != 1)
		return gt_fail("kick: %s, %u dispatched", strerror(-r), nr);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	return audit_clean(&e);
}

static int test_discover_drops_lists(void)
{
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint32_t nr = 99;
	uint64_t a;

	if ((r = setup(&e, GHOST_DL_F_ENABLE)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	push(&e, c1, a);
	if (ioctl(e.ctl_fd, GHOST_IOC_DISCOVER))
		return gt_fail("DISCOVER: %s", strerror(errno));
	if (e.dl[c1].head != e.dl[c1].tail)
		return gt_fail("list kept across DISCOVER");
	if ((r = gt_dl_kick(&e, c1, &nr)) || nr)
		return gt_fail("kick: %s, %u dispatched", strerror(-r), nr);
	return 0;
}

/* Blocks @arg's worker a while after the agent went to sleep. */
static void *block_later(void *arg)
{
	gt_sleep_ms(200);
	gt_worker_cmd(arg, GT_CMD_PIPE);
	return NULL;
}

/*
 * The agent waits for messages while another thread runs @fn(@arg),
 * which acts 200 ms later: the agent must sleep through the @what.
 * 0, GT_SKIP if the wait began too late to tell, else GT_FAIL.
 */
static int agent_sleeps_through(struct gt_enclave *e, void *(*fn)(void *),
				void *arg, const char *what)
{
	uint64_t t0, slept_ms;
	uint32_t head;
	pthread_t t;
	int r;

	gt_drain(e);
	head = __atomic_load_n(&e->ring->head, __ATOMIC_ACQUIRE);
	if (pthread_create(&t, NULL, fn, arg))
		return gt_fail("pthread_create");
	t0 = gt_now_ns();
	r = gt_agent_wait(e, head, 1500);
	slept_ms = (gt_now_ns() - t0) / 1000000;
	pthread_join(t, NULL);
	if (r == -ESTALE)
		return gt_skip("the agent's wait began after the %s", what);
	/* At the timeout the moved head makes it return 0, not ETIMEDOUT. */
	if ((r && r != -ETIMEDOUT) || slept_ms < 1400)
		return gt_fail("agent wait: %s after %llu ms, want the 1500 ms timeout: the %s woke it",
			       r ? strerror(-r) : "woken",
			       (unsigned long long)slept_ms, what);
	return 0;
}

/* Makes @arg's worker exit a while after the agent went to sleep. */
static void *exit_later(void *arg)
{
	gt_sleep_ms(200);
	gt_worker_cmd(arg, GT_CMD_EXIT);
	return NULL;
}

/*
 * A quiet list: a block or an exit that the list answers wakes no agent;
 * the agent finds the messages at its next look.
 */
static int test_quiet_list_wakes_no_agent(void)
{
	struct gt_worker *w = gt_workers(4);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint64_t g[4];

	/* Each still listed after the one before it: never emptied. */
	if ((r = setup_listed(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET, w, g,
			      4)))
		return r;
	if ((r = agent_sleeps_through(&e, block_later, &w[0], "block")) ||
	    (r = latched_on(&e, &w[1], c1)) ||
	    (r = agent_sleeps_through(&e, exit_later, &w[1], "exit")) ||
	    (r = latched_on(&e, &w[2], c1)))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_DEAD, w[1].tid, 5000, NULL))
		return gt_fail("no TASK_DEAD for %d", w[1].tid);
	return audit_clean(&e);
}

/*
 * GHOST_WAIT_F_SEQ_ONLY: the quiet messages of a block that the list
 * answered, in the ring before the wait began, do not end it (a plain
 * wait with the same head returns at once); the message of the block
 * that empties the list wakes agents, and so it.  SEQ_ONLY without
 * AGENT_SEQ, or an unknown flag, is refused.
 */
static int test_seq_only_wait_sleeps_through_quiet_messages(void)
{
	const uint32_t both = GHOST_WAIT_F_AGENT_SEQ | GHOST_WAIT_F_SEQ_ONLY;
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint32_t head, seq;
	uint64_t g[3];
	pthread_t t;

	if ((r = setup_listed(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET, w, g,
			      3)))
		return r;
	gt_drain(&e);
	head = __atomic_load_n(&e.ring->head, __ATOMIC_ACQUIRE);
	seq = gt_agent_seq(&e);
	gt_worker_cmd(&w[0], GT_CMD_PIPE);
	if ((r = latched_on(&e, &w[1], c1)))
		return r;
	if (__atomic_load_n(&e.ring->head, __ATOMIC_ACQUIRE) == head)
		return gt_fail("no message for the block");
	if (gt_agent_seq(&e) != seq)
		return gt_fail("a quiet message moved agent_seq");
	if ((r = gt_agent_wait_seq(&e, head, seq, GHOST_WAIT_F_AGENT_SEQ,
				   100)) != -ESTALE)
		return gt_fail("wait on an old head: %s, want ESTALE",
			       strerror(-r));
	if ((r = gt_agent_wait_seq(&e, head, seq, both, 300)) != -ETIMEDOUT)
		return gt_fail("SEQ_ONLY wait after quiet messages: %s, want ETIMEDOUT",
			       r ? strerror(-r) : "woken");
	if ((r = gt_agent_wait_seq(&e, head, seq, GHOST_WAIT_F_SEQ_ONLY,
				   100)) != -EINVAL ||
	    (r = gt_agent_wait_seq(&e, head, seq, GHOST_WAIT_F_ALL << 1,
				   100)) != -EINVAL)
		return gt_fail("bad wait flags: %s, want EINVAL", strerror(-r));

	/* B's block runs C, the last entry: that wakes agents. */
	if (pthread_create(&t, NULL, block_later, &w[1]))
		return gt_fail("pthread_create");
	r = gt_agent_wait_seq(&e, head, seq, both, 30000);
	pthread_join(t, NULL);
	if (r == -ESTALE)
		return gt_skip("the agent's wait began after the block");
	if (r)
		return gt_fail("SEQ_ONLY wait: %s: the emptied list did not wake it",
			       strerror(-r));
	if (gt_agent_seq(&e) == seq)
		return gt_fail("woken, but agent_seq still %u", seq);
	if ((r = latched_on(&e, &w[2], c1)))
		return r;
	return audit_clean(&e);
}

/*
 * The agent waits for messages while another thread runs @fn(@arg), which
 * acts 200 ms later: the @what must wake it.  0, GT_SKIP if the wait began
 * too late to tell, else GT_FAIL.
 */
static int agent_woken_by(struct gt_enclave *e, void *(*fn)(void *),
			  void *arg, const char *what)
{
	uint32_t head;
	pthread_t t;
	int r;

	gt_drain(e);
	head = __atomic_load_n(&e->ring->head, __ATOMIC_ACQUIRE);
	if (pthread_create(&t, NULL, fn, arg))
		return gt_fail("pthread_create");
	r = gt_agent_wait(e, head, 30000);
	pthread_join(t, NULL);
	if (r == -ESTALE)
		return gt_skip("the agent's wait began after the %s", what);
	if (r)
		return gt_fail("agent wait: %s: the %s did not wake it",
			       strerror(-r), what);
	return 0;
}

/*
 * IDLE_WAKE: a block that the list answers wakes no agent; one that
 * leaves the CPU idle does, with the list empty or only a stale entry
 * left in it.
 */
static int test_idle_wake_wakes_agent_at_idle(void)
{
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint64_t g[3];

	if ((r = setup_listed(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET |
				     GHOST_DL_F_IDLE_WAKE, w, g, 3)))
		return r;
	if ((r = agent_sleeps_through(&e, block_later, &w[0], "block")) ||
	    (r = latched_on(&e, &w[1], c1)))
		return r;
	/* C's entry goes stale: B's block leaves the CPU idle. */
	if (setpriority(PRIO_PROCESS, w[2].tid, 1))
		return gt_fail("setpriority: %s", strerror(errno));
	if ((r = agent_woken_by(&e, block_later, &w[1],
				"block with only a stale entry left")))
		return r;
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("C ran from a stale entry");
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[1].tid, 1000, NULL))
		return gt_fail("no TASK_BLOCKED for B");
	/* Nothing listed: C's block leaves the CPU idle. */
	if ((r = gt_run_on(&e, &w[2], g[2], c1)) ||
	    (r = agent_woken_by(&e, block_later, &w[2],
				"block with nothing listed")))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[2].tid, 1000, NULL))
		return gt_fail("no TASK_BLOCKED for C");
	return audit_clean(&e);
}

/* Wakes @arg's worker (blocked in read()) a while after the agent slept. */
static void *poke_later(void *arg)
{
	gt_sleep_ms(200);
	gt_worker_poke(arg);
	return NULL;
}

/*
 * With DEFER_WAKEUP, the wakeup of a thread whose CPU runs another with
 * an entry still listed wakes no agent; it does once the CPU would idle
 * with only a stale entry left.  @stale: make the listed entry stale.
 */
static int deferred_wakeup(int stale)
{
	struct gt_worker *w = gt_workers(3);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	pthread_t t;
	uint32_t head;
	uint64_t g[3];

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET |
			   GHOST_DL_F_DEFER_WAKEUP)))
		return r;
	for (int i = 0; i < 3; i++)
		if (!(g[i] = gt_start(&e, &w[i], 0)))
			return gt_fail("worker %d did not enter", i);
	/* C last ran on the CPU, and sleeps in read(). */
	if ((r = gt_run_on(&e, &w[2], g[2], c1)))
		return r;
	gt_worker_cmd(&w[2], GT_CMD_PIPE);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[2].tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED for C");
	/* A runs there, B is listed behind it. */
	if ((r = gt_run_on(&e, &w[0], g[0], c1)))
		return r;
	push(&e, c1, g[1]);
	if ((r = agent_sleeps_through(&e, poke_later, &w[2], "wakeup")))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[2].tid, 1000, NULL))
		return gt_fail("no TASK_WAKEUP for C in the queue");
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("C runs without a decision");

	if (stale && setpriority(PRIO_PROCESS, w[1].tid, 1))
		return gt_fail("setpriority: %s", strerror(errno));
	gt_drain(&e);
	head = __atomic_load_n(&e.ring->head, __ATOMIC_ACQUIRE);
	if (pthread_create(&t, NULL, block_later, &w[0]))
		return gt_fail("pthread_create");
	/* Woken either way: by B's TASK_LATCHED, or as the CPU idles. */
	r = gt_agent_wait(&e, head, 30000);
	pthread_join(t, NULL);
	if (r && r != -ESTALE)
		return gt_fail("agent wait after A blocked: %s%s", strerror(-r),
			       stale ? " (no agent was woken when the CPU idled with only a stale entry listed)" :
				       "");
	if (stale) {
		if (!gt_worker_frozen(&w[1], 100))
			return gt_fail("B ran from a stale entry");
	} else if ((r = latched_on(&e, &w[1], c1))) {
		return r;
	}
	return audit_clean(&e);
}

static int test_deferred_wakeup_wakes_no_agent(void)
{
	return deferred_wakeup(0);
}

static int test_deferred_wakeup_kicks_agent_at_idle(void)
{
	return deferred_wakeup(1);
}

/* @w runs on @cpu, then sleeps in read(): it was last placed there. */
static int ran_and_blocked(struct gt_enclave *e, struct gt_worker *w,
			   uint64_t gtid, int cpu)
{
	int r;

	if ((r = gt_run_on(e, w, gtid, cpu)))
		return r;
	gt_worker_cmd(w, GT_CMD_PIPE);
	if (gt_wait_msg(e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED for %d", w->tid);
	return 0;
}

/*
 * DEFER_BUSY on two CPUs: a wakeup waits for the agent's next look only
 * while both run a thread (and its last CPU has an entry left); the
 * other CPU idling then wakes the agent, although its own list needs no
 * decision; a wakeup while a CPU is free wakes it at once.
 */
static int test_deferred_busy_waits_only_while_every_cpu_runs(void)
{
	const uint32_t flags = GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET |
			       GHOST_DL_F_DEFER_WAKEUP | GHOST_DL_F_DEFER_BUSY;
	struct gt_worker *w = gt_workers(5);
	int r, c1 = gt_cpu(0), c2 = gt_cpu(1);
	struct gt_enclave e;
	uint64_t g[5];

	if ((r = setup(&e, flags)))
		return r;
	e.dl[c2].flags = flags;
	for (int i = 0; i < 5; i++)
		if (!(g[i] = gt_start(&e, &w[i], 0)))
			return gt_fail("worker %d did not enter", i);
	/* C and E last ran on c1 and sleep in read(). */
	if ((r = ran_and_blocked(&e, &w[2], g[2], c1)) ||
	    (r = ran_and_blocked(&e, &w[4], g[4], c1)))
		return r;
	/* A runs on c1 with B listed behind it; D runs on c2. */
	if ((r = gt_run_on(&e, &w[0], g[0], c1)) ||
	    (r = gt_run_on(&e, &w[3], g[3], c2)))
		return r;
	push(&e, c1, g[1]);
	if ((r = agent_sleeps_through(&e, poke_later, &w[2],
				      "wakeup while every CPU runs a thread")))
		return r;
	if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[2].tid, 1000, NULL))
		return gt_fail("no TASK_WAKEUP for C in the queue");
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("C runs without a decision");
	/* c2 idles: nothing listed there, yet C waits unheard of. */
	if ((r = agent_woken_by(&e, block_later, &w[3],
				"block that idles c2, a wakeup deferred")))
		return r;
	/* c2 is free: E's wakeup is news at once. */
	if ((r = agent_woken_by(&e, poke_later, &w[4],
				"wakeup while c2 is free")))
		return r;
	if (!gt_worker_frozen(&w[2], 100) || !gt_worker_frozen(&w[4], 100))
		return gt_fail("a woken thread runs without a decision");
	return audit_clean(&e);
}

/* Wakes the three workers at @arg, in order, after the agent slept. */
static void *poke3_later(void *arg)
{
	struct gt_worker *w = arg;

	gt_sleep_ms(200);
	for (int i = 0; i < 3; i++) {
		gt_worker_poke(&w[i]);
		gt_sleep_ms(20);
	}
	return NULL;
}

/*
 * RUN_WOKEN: wakeups onto a busy CPU with nothing listed line up in the
 * kernel and wake no agent; when the CPU's thread blocks they run there
 * in the order they woke, one whose barrier moved is skipped, and the
 * agent is woken when the line runs out.
 */
static int test_run_woken_runs_wakeups_in_order(void)
{
	struct gt_worker *w = gt_workers(4);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint64_t g[4];

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_QUIET |
			   GHOST_DL_F_DEFER_WAKEUP | GHOST_DL_F_RUN_WOKEN)))
		return r;
	for (int i = 0; i < 4; i++)
		if (!(g[i] = gt_start(&e, &w[i], 0)))
			return gt_fail("worker %d did not enter", i);
	/* B, C and D last ran on the CPU and sleep in read(). */
	for (int i = 1; i < 4; i++) {
		if ((r = gt_run_on(&e, &w[i], g[i], c1)))
			return r;
		gt_worker_cmd(&w[i], GT_CMD_PIPE);
		if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w[i].tid, 5000,
				NULL))
			return gt_fail("no TASK_BLOCKED for worker %d", i);
	}
	/* A runs there, nothing is listed: B, C, D wake behind it. */
	if ((r = gt_run_on(&e, &w[0], g[0], c1)) ||
	    (r = agent_sleeps_through(&e, poke3_later, &w[1], "wakeups")))
		return r;
	for (int i = 1; i < 4; i++) {
		if (gt_wait_msg(&e, GHOST_MSG_TASK_WAKEUP, w[i].tid, 1000,
				NULL))
			return gt_fail("no TASK_WAKEUP for worker %d", i);
		if (!gt_worker_frozen(&w[i], 50))
			return gt_fail("worker %d runs without a decision", i);
	}
	/* C's place in the line goes stale. */
	if (setpriority(PRIO_PROCESS, w[2].tid, 1))
		return gt_fail("setpriority: %s", strerror(errno));
	if ((r = agent_sleeps_through(&e, block_later, &w[0], "block")) ||
	    (r = latched_on(&e, &w[1], c1)))
		return r;
	if ((r = agent_woken_by(&e, block_later, &w[1],
				"block that empties the line")) ||
	    (r = latched_on(&e, &w[3], c1)))
		return r;
	if (!gt_worker_frozen(&w[2], 100))
		return gt_fail("C ran from a stale place in the line");
	return audit_clean(&e);
}

/* gt_start(), keeping @w's TASK_NEW in *@m. */
static uint64_t start_new(struct gt_enclave *e, struct gt_worker *w,
			  struct gt_msg *m)
{
	if (gt_worker_thread(w, e) || gt_worker_entering(w, 5000) ||
	    gt_wait_msg(e, GHOST_MSG_TASK_NEW, w->tid, 5000, m))
		return 0;
	return m->gtid;
}

/*
 * With RUN_NEW, a thread that enters on a free CPU runs there at once:
 * TASK_NEW says it is not runnable (it has its CPU), TASK_LATCHED
 * follows, no commit.  One that enters while the CPU is taken waits.
 */
static int test_run_new_runs_thread_entering_free_cpu(void)
{
	struct gt_worker *w = gt_workers(2);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	struct gt_msg m;

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_NEW)))
		return r;
	w[0].affinity = w[1].affinity = GT_CPU(c1);
	if (!start_new(&e, &w[0], &m))
		return gt_fail("worker A did not enter");
	if (m.u.new.runnable)
		return gt_fail("TASK_NEW says A waits for a decision");
	if ((r = latched_on(&e, &w[0], c1)))
		return r;
	if (!start_new(&e, &w[1], &m))
		return gt_fail("worker B did not enter");
	if (!m.u.new.runnable)
		return gt_fail("TASK_NEW says B does not wait for a decision");
	if (!gt_worker_frozen(&w[1], 200))
		return gt_fail("B runs on a taken CPU without a decision");
	if (!gt_find_msg(&e, GHOST_MSG_TASK_LATCHED, w[1].tid, NULL))
		return gt_fail("TASK_LATCHED for B");
	return audit_clean(&e);
}

/* The joined thread: says who it is, spins until told, exits. */
static void *exit_when_told(void *arg)
{
	struct gt_worker *w = arg;

	__atomic_store_n(&w->fn_errno[3], (int)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->futex, __ATOMIC_ACQUIRE))
		ghost_cpu_relax();
	return NULL;
}

/* A worker that spins; on GT_CMD_FORK it joins a new thread once. */
static void spawn_and_join(struct gt_worker *w)
{
	int cmd, done = 0;
	pthread_t t;

	while ((cmd = __atomic_load_n(&w->cmd, __ATOMIC_ACQUIRE)) !=
	       GT_CMD_EXIT) {
		if (cmd == GT_CMD_FORK && !done) {
			done = 1;
			w->fn_errno[0] = pthread_create(&t, NULL,
							exit_when_told, w);
			if (!w->fn_errno[0])
				w->fn_errno[1] = pthread_join(t, NULL);
			__atomic_store_n(&w->fn_errno[2], 1, __ATOMIC_RELEASE);
		}
		if (__atomic_load_n(&w->reset_seen, __ATOMIC_ACQUIRE)) {
			w->cpus_seen = 0;
			__atomic_store_n(&w->reset_seen, 0, __ATOMIC_RELEASE);
		}
		w->cpu = sched_getcpu();
		w->cpus_seen |= GT_CPU(w->cpu);
		__atomic_add_fetch(&w->counter, 1, __ATOMIC_RELEASE);
	}
}

static void *release_later(void *arg)
{
	struct gt_worker *w = arg;

	gt_sleep_ms(200);
	__atomic_store_n(&w->futex, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * With RUN_ON_WAKE (and QUIET), a thread woken by its CPU's thread as
 * that one exits (a join) runs there once it is gone: no decision, and
 * the agent sleeps through the exit, the wakeup and the run.
 */
static int test_join_runs_waiter_after_exiting_thread(void)
{
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	struct gt_msg m;
	uint64_t a, c = 0;

	if ((r = setup(&e, GHOST_DL_F_ENABLE | GHOST_DL_F_RUN_ON_WAKE |
			   GHOST_DL_F_QUIET)))
		return r;
	w->fn = spawn_and_join;
	if (!(a = gt_start(&e, w, 0)) || (r = gt_run_on(&e, w, a, c1)))
		return r ? r : gt_fail("worker did not enter");
	gt_worker_cmd(w, GT_CMD_FORK);
	if (gt_wait_msg(&e, GHOST_MSG_TASK_BLOCKED, w->tid, 5000, NULL))
		return gt_fail("no TASK_BLOCKED: the join did not block");
	while (!c && !gt_wait_msg(&e, GHOST_MSG_TASK_NEW, 0, 5000, &m))
		if (m.u.new.parent_gtid == a)
			c = m.gtid;
	if (!c)
		return gt_fail("no TASK_NEW for the thread to join");
	/* It parked where it was created: let it run there. */
	if ((r = gt_commit(&e, c, c1)) != GHOST_TXN_COMPLETE)
		return gt_fail("commit of the joined thread: %s",
			       gt_txn_name(r));
	if (!gt_wait_for(w->fn_errno[3], 5000))
		return gt_fail("the joined thread does not run");
	if ((r = agent_sleeps_through(&e, release_later, w, "join")) ||
	    (r = latched_on(&e, w, c1)))
		return r;
	if (w->fn_errno[0] || w->fn_errno[1] || !w->fn_errno[2])
		return gt_fail("pthread_create %s, pthread_join %s",
			       strerror(w->fn_errno[0]),
			       strerror(w->fn_errno[1]));
	if (gt_find_msg(&e, GHOST_MSG_TASK_DEAD, GHOST_GTID_TID(c), NULL) ||
	    gt_find_msg(&e, GHOST_MSG_TASK_WAKEUP, w->tid, NULL))
		return gt_fail("no TASK_DEAD of the joined thread or no TASK_WAKEUP of the joiner");
	return audit_clean(&e);
}

struct agent_arg {
	struct gt_enclave *e;
	volatile int ret;
	volatile int attached;
	volatile int quit;
};

/* An agent thread: its exit is the enclave's last agent going away. */
static void *agent_thread(void *p)
{
	struct agent_arg *a = p;

	a->ret = gt_attach(a->e, gt_agent_cpu);
	a->attached = 1;
	while (!a->quit)
		gt_sleep_ms(1);
	return NULL;
}

/*
 * The last agent goes away with threads listed: the lists are dropped
 * (they were its decisions), nothing runs from them, and after the grace
 * period every thread is back under CFS and runs.
 */
static int test_agent_exit_drops_lists_and_loses_no_thread(void)
{
	int grace = gt_param_get("agent_grace_ms"), r, c1 = gt_cpu(0);
	struct gt_worker *w = gt_workers(3);
	struct agent_arg a = { 0 };
	struct ghost_dispatch_list *l;
	struct gt_enclave e;
	pthread_t t;
	uint64_t g[3];

	if ((r = gt_need_cpus(3)))
		return r;
	if (grace < 0 || gt_param_set("agent_grace_ms", 500))
		return gt_skip("agent_grace_ms is not writable");
	if ((r = gt_setup(&e, 0, 0)))
		goto out;
	l = &e.dl[c1];
	l->flags = GHOST_DL_F_ENABLE;
	a.e = &e;
	if (pthread_create(&t, NULL, agent_thread, &a)) {
		r = gt_fail("pthread_create");
		goto out;
	}
	if (!gt_wait_for(a.attached, 5000) || a.ret) {
		r = gt_fail("agent attach: %s", strerror(-a.ret));
		goto out_agent;
	}
	for (int i = 0; i < 3; i++) {
		if (!(g[i] = gt_start(&e, &w[i], 0))) {
			r = gt_fail("worker %d did not enter", i);
			goto out_agent;
		}
	}
	if ((r = gt_run_on(&e, &w[0], g[0], c1)))
		goto out_agent;
	push(&e, c1, g[1]);
	push(&e, c1, g[2]);
out_agent:
	a.quit = 1;
	pthread_join(t, NULL);
	if (r)
		goto out;
	if (!gt_wait_for(l->head == l->tail, 5000)) {
		r = gt_fail("list kept after the last agent left: head %u tail %u",
			    l->head, l->tail);
		goto out;
	}
	if (l->nr_taken) {
		r = gt_fail("%u entries ran without an agent", l->nr_taken);
		goto out;
	}
	if (!gt_wait_for(!gt_enclave_exists(1), 10000)) {
		r = gt_fail("the enclave outlived the grace period");
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		if (!gt_worker_progresses(&w[i], 5000)) {
			r = gt_fail("worker %d is lost: it does not run", i);
			goto out;
		}
	}
out:
	gt_param_set("agent_grace_ms", grace);
	return r;
}

static int commit_wait(struct gt_enclave *e, int cpu, uint32_t wait_flags,
		       uint32_t *nr)
{
	uint64_t mask = GT_CPU(cpu);
	struct ghost_ioc_commit_wait cw = {
		.commit = { .cpus_ptr = (uintptr_t)&mask,
			    .cpus_len = sizeof(mask) },
		.wait = { .head = e->ring->head, .timeout_ms = 50,
			  .flags = wait_flags },
	};
	int r = ioctl(e->ctl_fd, GHOST_IOC_COMMIT_WAIT, &cw) ? -errno : 0;

	*nr = cw.commit.nr_committed;
	return r;
}

static int test_commit_wait_commits_then_waits(void)
{
	struct gt_worker *w = gt_workers(1);
	int r, c1 = gt_cpu(0);
	struct gt_enclave e;
	uint32_t nr = 0;
	uint64_t a;

	if ((r = setup(&e, 0)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("worker did not enter");
	gt_drain(&e);
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	r = commit_wait(&e, c1, 0x80, &nr);
	if (r != -EINVAL || gt_txn_state(&e, c1) != GHOST_TXN_READY)
		return gt_fail("bad wait flags: %s, slot %s", strerror(-r),
			       gt_txn_name(gt_txn_state(&e, c1)));
	/* A slot that fails: no wait, the agent has to decide again. */
	gt_txn_set(&e, c1, a, gt_barrier(&e, a) + 1, 0);
	r = commit_wait(&e, c1, 0, &nr);
	if (r != -EAGAIN || nr != 0 ||
	    gt_txn_state(&e, c1) != GHOST_TXN_TARGET_STALE)
		return gt_fail("stale commit and wait: %s, %u committed, slot %s",
			       strerror(-r), nr,
			       gt_txn_name(gt_txn_state(&e, c1)));
	gt_txn_set(&e, c1, a, gt_barrier(&e, a), 0);
	r = commit_wait(&e, c1, 0, &nr);
	if (r != -ETIMEDOUT || nr != 1)
		return gt_fail("commit and wait: %s, %u committed",
			       strerror(-r), nr);
	if (gt_txn_state(&e, c1) != GHOST_TXN_COMPLETE)
		return gt_fail("slot %s", gt_txn_name(gt_txn_state(&e, c1)));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("committed thread does not run");
	return audit_clean(&e);
}

static const struct gt_test tests[] = {
	{ "list_runs_in_order_without_agent",
	  test_list_runs_in_order_without_agent },
	{ "stale_entries_are_skipped", test_stale_entries_are_skipped },
	{ "entry_runs_only_on_its_cpu", test_entry_runs_only_on_its_cpu },
	{ "affine_runs_own_thread_first", test_affine_runs_own_thread_first },
	{ "affine_keeps_order_for_unplaced",
	  test_affine_keeps_order_for_unplaced },
	{ "entry_parked_on_a_taken_cpu_runs",
	  test_entry_parked_on_a_taken_cpu_runs },
	{ "entry_woken_on_a_taken_cpu_runs",
	  test_entry_woken_on_a_taken_cpu_runs },
	{ "yield_hands_cpu_to_next_entry",
	  test_yield_hands_cpu_to_next_entry },
	{ "run_on_wake_without_commit", test_run_on_wake_without_commit },
	{ "kick_runs_list_of_idle_cpu", test_kick_runs_list_of_idle_cpu },
	{ "malformed_list_is_dropped", test_malformed_list_is_dropped },
	{ "discover_drops_lists", test_discover_drops_lists },
	{ "quiet_list_wakes_no_agent", test_quiet_list_wakes_no_agent },
	{ "seq_only_wait_sleeps_through_quiet_messages",
	  test_seq_only_wait_sleeps_through_quiet_messages },
	{ "idle_wake_wakes_agent_at_idle", test_idle_wake_wakes_agent_at_idle },
	{ "deferred_wakeup_wakes_no_agent",
	  test_deferred_wakeup_wakes_no_agent },
	{ "deferred_wakeup_kicks_agent_at_idle",
	  test_deferred_wakeup_kicks_agent_at_idle },
	{ "deferred_busy_waits_only_while_every_cpu_runs",
	  test_deferred_busy_waits_only_while_every_cpu_runs },
	{ "run_woken_runs_wakeups_in_order",
	  test_run_woken_runs_wakeups_in_order },
	{ "run_new_runs_thread_entering_free_cpu",
	  test_run_new_runs_thread_entering_free_cpu },
	{ "join_runs_waiter_after_exiting_thread",
	  test_join_runs_waiter_after_exiting_thread },
	{ "commit_wait_commits_then_waits",
	  test_commit_wait_commits_then_waits },
	{ "agent_exit_drops_lists_and_loses_no_thread",
	  test_agent_exit_drops_lists_and_loses_no_thread },
	{ NULL, NULL },
};

GT_MAIN(tests)
