// SPDX-License-Identifier: GPL-2.0
/*
 * Scale: a thousand threads through one enclave, scheduled by a FIFO
 * agent loop; more spinners than CPUs shared round-robin.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ghost_test.h"

#define NR_MANY		1000

struct many {
	struct gt_worker *w;
	int n;
	pid_t pid;
};

/* Each thread, once it runs: say so and exit. */
static void ran_once(struct gt_worker *w)
{
	w->counter = 1;
	w->cpu = sched_getcpu();
}

static int all_dead(struct gt_fifo *f, void *arg)
{
	struct many *m = arg;

	return (int)f->nr_dead >= m->n;
}

static int test_thousand_threads_scheduled_and_exited(void)
{
	struct gt_enclave e;
	struct many m = { gt_workers(NR_MANY + 1), NR_MANY, 0 };
	struct gt_fifo f;
	unsigned int never = 0;
	uint64_t t0 = gt_now_ns();
	int r, status;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 0)))
		return r;
	if (gt_queue_create(&e, GHOST_MAX_QUEUE_ELEMS))
		return gt_fail("cannot create a large queue");
	if ((r = gt_attach(&e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	for (int i = 0; i < NR_MANY; i++) {
		m.w[i].fn = ran_once;
		gt_worker_prepare(&m.w[i], &e);
	}
	/* A process creates them all while the agent schedules. */
	m.pid = fork();
	if (m.pid == 0) {
		gt_reset_sched();
		for (int i = 0; i < NR_MANY; i++) {
			if (gt_worker_thread(&m.w[i], &e))
				_exit(2);
			pthread_detach(m.w[i].thread);
		}
		while (!m.w[NR_MANY].cmd)
			gt_sleep_ms(5);
		_exit(0);
	}
	gt_fifo_init(&f, &e, gt_all_cpus() & ~GT_CPU(gt_agent_cpu), 0,
		     NR_MANY + 16);
	r = gt_fifo_run(&f, 90000, all_dead, &m);
	gt_worker_cmd(&m.w[NR_MANY], 1);
	printf("%u threads: %u commits, %u stale, %u dead in %llu ms\n",
	       f.nr_new, f.nr_commits, f.nr_stale, f.nr_dead,
	       (unsigned long long)(gt_now_ns() - t0) / 1000000);
	if (r == -ENODEV)
		return gt_fail("the enclave was destroyed with %u of %d threads done",
			       f.nr_dead, NR_MANY);
	if (r)
		return gt_fail("only %u of %d threads done: %s", f.nr_dead,
			       NR_MANY, strerror(-r));
	if (f.nr_new != NR_MANY || f.nr_errors)
		return gt_fail("%u TASK_NEW (want %d), %u errors", f.nr_new,
			       NR_MANY, f.nr_errors);
	for (int i = 0; i < NR_MANY; i++) {
		struct gt_fifo_task *t = NULL;

		for (unsigned int s = 0; s < f.cap && !t; s++)
			if (f.tasks[s].gtid &&
			    GHOST_GTID_TID(f.tasks[s].gtid) == m.w[i].tid)
				t = &f.tasks[s];
		if (!t || !t->commits || !m.w[i].counter)
			never++;
	}
	if (never)
		return gt_fail("%u threads never committed or never ran", never);
	if (e.ring->overflow)
		return gt_fail("%u messages lost", e.ring->overflow);
	if (gt_proc_wait(m.pid, 10000, &status) || status)
		return gt_fail("the creating process failed: %#x", status);
	if (gt_status(&e, "nr_tasks") != 0)
		return gt_fail("nr_tasks %ld", gt_status(&e, "nr_tasks"));
	return 0;
}

struct spin {
	struct gt_worker *w;
	int n;
	uint64_t until;
};

static int spun_long_enough(struct gt_fifo *f, void *arg)
{
	struct spin *s = arg;

	return gt_now_ns() > s->until;
}

static int test_spinners_outnumbering_cpus_all_progress(void)
{
	struct gt_enclave e;
	struct spin s = { gt_workers(12), 12, 0 };
	uint64_t before[12];
	struct gt_fifo f;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < s.n; i++)
		if (gt_worker_thread(&s.w[i], &e))
			return gt_fail("worker %d", i);
	gt_fifo_init(&f, &e, gt_all_cpus() & ~GT_CPU(gt_agent_cpu), 10, 64);
	s.until = gt_now_ns() + 1000000000ULL;
	r = gt_fifo_run(&f, 5000, spun_long_enough, &s);
	for (int i = 0; i < s.n; i++)
		before[i] = s.w[i].counter;
	s.until = gt_now_ns() + 1000000000ULL;
	if (!r)
		r = gt_fifo_run(&f, 5000, spun_long_enough, &s);
	if (r)
		return gt_fail("agent loop: %s", r == -ENODEV ?
			       "the enclave was destroyed" : strerror(-r));
	for (int i = 0; i < s.n; i++) {
		struct gt_fifo_task *t = NULL;

		for (unsigned int k = 0; k < f.cap && !t; k++)
			if (GHOST_GTID_TID(f.tasks[k].gtid) == s.w[i].tid)
				t = &f.tasks[k];
		if (!t || t->commits < 2 || s.w[i].counter == before[i])
			return gt_fail("worker %d: %u commits, no progress in the last second",
				       i, t ? t->commits : 0);
		if (s.w[i].cpus_seen & GT_CPU(gt_agent_cpu))
			return gt_fail("worker %d ran on the agent's CPU", i);
	}
	if (f.nr_errors)
		return gt_fail("%u errors", f.nr_errors);
	return 0;
}

static const struct gt_test tests[] = {
	{ "thousand_threads_scheduled_and_exited",
	  test_thousand_threads_scheduled_and_exited },
	{ "spinners_outnumbering_cpus_all_progress",
	  test_spinners_outnumbering_cpus_all_progress },
	{ NULL, NULL },
};

GT_MAIN(tests)
