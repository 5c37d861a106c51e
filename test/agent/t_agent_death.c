// SPDX-License-Identifier: GPL-2.0
/*
 * Agents: what attaching does, and what happens to the threads when the
 * last agent dies (grace period, then CFS) or is replaced in time.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <ghost/barrier.h>

#include "ghost_test.h"

static int test_attach_makes_caller_fifo_99_pinned(void)
{
	struct sched_param sp = { 0 };
	struct gt_enclave e;
	int r;

	if ((r = gt_setup(&e, 0, 0)))
		return r;
	if (gt_status(&e, "agent_online") != 0)
		return gt_fail("agent_online before any attach");
	if ((r = gt_attach(&e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	sched_getparam(0, &sp);
	if (sched_getscheduler(0) != SCHED_FIFO || sp.sched_priority != 99)
		return gt_fail("agent policy %d prio %d, want SCHED_FIFO 99",
			       sched_getscheduler(0), sp.sched_priority);
	if (gt_affinity_of(0) != GT_CPU(gt_agent_cpu))
		return gt_fail("agent affinity %#llx, want CPU %d",
			       (unsigned long long)gt_affinity_of(0),
			       gt_agent_cpu);
	if (sched_getcpu() != gt_agent_cpu)
		return gt_fail("agent runs on CPU %d", sched_getcpu());
	if (gt_status(&e, "agent_online") != 1)
		return gt_fail("agent_online %ld", gt_status(&e, "agent_online"));
	if (!(gt_cpu_word(&e, gt_agent_cpu)->flags & GHOST_CPU_F_AGENT))
		return gt_fail("CPU word lacks GHOST_CPU_F_AGENT");
	return 0;
}

struct attach_arg {
	struct gt_enclave *e;
	int cpu;
	int ret;
	volatile int done;
	volatile int quit;
};

static void *attach_thread(void *p)
{
	struct attach_arg *a = p;

	a->ret = gt_attach(a->e, a->cpu);
	a->done = 1;
	while (!a->quit)
		gt_sleep_ms(1);
	return NULL;
}

static int test_attach_busy_cpu_ebusy(void)
{
	struct attach_arg a1, a2;
	struct gt_enclave e;
	pthread_t t1, t2;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	a1 = (struct attach_arg){ .e = &e, .cpu = gt_agent_cpu };
	pthread_create(&t1, NULL, attach_thread, &a1);
	a1.quit = 1;
	pthread_join(t1, NULL);
	if (a1.ret != -EBUSY)
		return gt_fail("second agent on CPU %d: %s, want EBUSY",
			       gt_agent_cpu, strerror(-a1.ret));
	/* Another CPU takes a second agent. */
	a2 = (struct attach_arg){ .e = &e, .cpu = gt_cpu(0) };
	pthread_create(&t2, NULL, attach_thread, &a2);
	gt_wait_for(a2.done, 5000);
	if (a2.ret)
		return gt_fail("agent on CPU %d: %s", gt_cpu(0),
			       strerror(-a2.ret));
	if (gt_status(&e, "nr_agents") != 2)
		return gt_fail("nr_agents %ld, want 2", gt_status(&e, "nr_agents"));
	/* Agents detach by exiting. */
	a2.quit = 1;
	pthread_join(t2, NULL);
	if (!gt_wait_for(gt_status(&e, "nr_agents") == 1, 5000))
		return gt_fail("nr_agents %ld after an agent exited",
			       gt_status(&e, "nr_agents"));
	if (gt_cpu_word(&e, gt_cpu(0))->flags & GHOST_CPU_F_AGENT)
		return gt_fail("CPU word keeps GHOST_CPU_F_AGENT");
	if (gt_status(&e, "agent_online") != 1)
		return gt_fail("agent_online dropped with an agent left");
	return 0;
}

static int test_attach_errors(void)
{
	struct ghost_ioc_agent arg = { 0 };
	struct gt_enclave e;
	int r, c1 = gt_cpu(0);

	if ((r = gt_need_cpus(2)) ||
	    (r = gt_setup(&e, GT_CPU(gt_agent_cpu), 0)))
		return r;
	if ((r = gt_attach(&e, c1)) != -EINVAL)
		return gt_fail("CPU outside the enclave: %s, want EINVAL",
			       strerror(-r));
	if ((r = gt_attach(&e, -1)) != -EINVAL ||
	    (r = gt_attach(&e, gt_nr_cpu_ids)) != -EINVAL)
		return gt_fail("no such CPU: %s, want EINVAL", strerror(-r));
	arg.cpu = gt_agent_cpu;
	arg.flags = 1;
	if (!ioctl(e.ctl_fd, GHOST_IOC_AGENT_ATTACH, &arg) || errno != EINVAL)
		return gt_fail("flags 1: %s, want EINVAL", strerror(errno));
	if (gt_status(&e, "agent_online") != 0)
		return gt_fail("a refused attach left an agent");
	if ((r = gt_attach(&e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	if ((r = gt_attach(&e, gt_agent_cpu)) != -EBUSY)
		return gt_fail("attaching twice: %s, want EBUSY", strerror(-r));
	/* An agent's CPU stays in the enclave while the agent lives. */
	if ((r = gt_efile_write(&e, "cpulist", "%d", c1)) != -EBUSY)
		return gt_fail("removing the agent's CPU: %s, want EBUSY",
			       strerror(-r));
	return 0;
}

/* The agent process: attach, rediscover the threads, run them FIFO. */
static pid_t start_agent(int quantum_ms)
{
	pid_t pid = fork();
	struct gt_enclave e;
	struct gt_fifo f;

	if (pid)
		return pid;
	if (gt_enclave_open(&e, 1) || gt_enclave_map(&e))
		_exit(2);
	if (gt_attach(&e, gt_agent_cpu))
		_exit(3);
	if (ioctl(e.ctl_fd, GHOST_IOC_DISCOVER))
		_exit(4);
	if (gt_fifo_init(&f, &e, gt_all_cpus() & ~GT_CPU(gt_agent_cpu),
			 quantum_ms, 4096))
		_exit(5);
	gt_fifo_run(&f, 3600 * 1000, NULL, NULL);
	_exit(0);
}

struct load {
	struct gt_worker *w;
	int n;
	uint64_t mask[8];
	int nice[8];
	int policy[8];
};

/* Worker processes with various originals, each with ~@ms of work. */
static int start_load(struct gt_enclave *e, struct load *l, int n, int ms)
{
	uint64_t work = gt_calibrate(50) * ms / 50;

	l->n = n;
	l->w = gt_workers(n);
	for (int i = 0; i < n; i++) {
		struct gt_worker *w = &l->w[i];

		w->work = work;
		w->nice = i == 0 ? 5 : 0;
		w->policy = i == 2 ? SCHED_BATCH : SCHED_OTHER;
		if (i == 1 && gt_nr_cpus >= 3)
			w->affinity = GT_CPU(gt_cpu(0)) | GT_CPU(gt_cpu(1));
		l->mask[i] = w->affinity ? w->affinity : gt_all_cpus();
		l->nice[i] = w->nice;
		l->policy[i] = w->policy;
		if (gt_worker_proc(w, e) < 0 || gt_worker_entering(w, 5000))
			return gt_fail("worker %d did not start", i);
	}
	return 0;
}

/* Every worker finishes its work (under CFS: with its own settings). */
static int finish_load(struct load *l, int timeout_ms, int in_cfs)
{
	for (int i = 0; i < l->n; i++) {
		struct gt_worker *w = &l->w[i];
		int status;

		if (gt_proc_wait(w->pid, timeout_ms, &status))
			return gt_fail("worker %d did not finish (%llu of %llu)",
				       i, (unsigned long long)w->counter,
				       (unsigned long long)w->work);
		if (status)
			return gt_fail("worker %d exited with %#x", i, status);
		if (in_cfs && (w->end_policy != l->policy[i] ||
			       w->end_nice != l->nice[i] ||
			       w->end_affinity != l->mask[i]))
			return gt_fail("worker %d ended with policy %d nice %d mask %#llx, want %d %d %#llx",
				       i, w->end_policy, w->end_nice,
				       (unsigned long long)w->end_affinity,
				       l->policy[i], l->nice[i],
				       (unsigned long long)l->mask[i]);
	}
	return 0;
}

static int all_ran(struct load *l)
{
	for (int i = 0; i < l->n; i++)
		if (!l->w[i].counter)
			return 0;
	return 1;
}

static int kill_agent(pid_t agent)
{
	int status;

	kill(agent, SIGKILL);
	if (gt_proc_wait(agent, 5000, &status))
		return gt_fail("the agent did not die");
	if (!WIFSIGNALED(status))
		return gt_fail("the agent exited by itself: %#x", status);
	return 0;
}

static int test_agent_kill_under_load_falls_back_to_cfs(void)
{
	int grace = gt_param_get("agent_grace_ms"), r;
	struct gt_enclave e;
	struct load l;
	uint64_t t0;
	pid_t agent;

	if ((r = gt_need_cpus(2)))
		return r;
	if (grace < 0 || gt_param_set("agent_grace_ms", 2000))
		return gt_skip("agent_grace_ms is not writable");
	gt_klog_mark();
	if (gt_enclave_create(&e, 1, gt_all_cpus()))
		return gt_fail("cannot create enclave 1");
	if ((r = start_load(&e, &l, 2 * (gt_nr_cpus - 1) + 1, 1500)))
		goto out;
	agent = start_agent(10);
	if (!gt_wait_for(gt_status(&e, "agent_online") == 1, 5000)) {
		r = gt_fail("the agent did not attach");
		goto out;
	}
	if (!gt_wait_for(all_ran(&l), 20000)) {
		r = gt_fail("the agent did not run every worker");
		goto out;
	}
	t0 = gt_now_ns();
	if ((r = kill_agent(agent)))
		goto out;
	if (!gt_wait_for(gt_status(&e, "agent_online") == 0, 1000)) {
		r = gt_fail("agent_online stays 1 after the agent died");
		goto out;
	}
	/* Kept for (half) the grace period, then destroyed. */
	gt_sleep_ms(1000);
	if (!gt_enclave_exists(1)) {
		r = gt_fail("enclave gone %llu ms after the agent died",
			    (unsigned long long)(gt_now_ns() - t0) / 1000000);
		goto out;
	}
	if (!gt_wait_for(!gt_enclave_exists(1), 6000)) {
		r = gt_fail("enclave still there 5 s after the grace period");
		goto out;
	}
	if ((r = finish_load(&l, 60000, 1)))
		goto out;
	if (!gt_klog_contains("no agent for"))
		r = gt_fail("the kernel log does not say why the enclave went");
out:
	gt_param_set("agent_grace_ms", grace);
	return r;
}

static int test_agent_restart_within_grace_reattaches(void)
{
	int grace = gt_param_get("agent_grace_ms"), r, done;
	struct gt_enclave e;
	struct load l;
	pid_t agent;

	if ((r = gt_need_cpus(2)))
		return r;
	if (grace < 0 || gt_param_set("agent_grace_ms", 5000))
		return gt_skip("agent_grace_ms is not writable");
	gt_klog_mark();
	if (gt_enclave_create(&e, 1, gt_all_cpus()))
		return gt_fail("cannot create enclave 1");
	if ((r = start_load(&e, &l, 2 * (gt_nr_cpus - 1) + 1, 1000)))
		goto out;
	agent = start_agent(10);
	if (!gt_wait_for(all_ran(&l), 20000)) {
		r = gt_fail("the first agent did not run every worker");
		goto out;
	}
	if ((r = kill_agent(agent)))
		goto out;
	agent = start_agent(10);
	/* The enclave must never go while the new agent runs the load. */
	for (uint64_t end = gt_now_ns() + 60000000000ULL;
	     gt_now_ns() < end; gt_sleep_ms(5)) {
		int status;

		if (waitpid(agent, &status, WNOHANG) == agent) {
			r = gt_fail("the new agent exited with %#x", status);
			goto out;
		}
		if (!gt_enclave_exists(1)) {
			r = gt_fail("the enclave went away");
			goto out;
		}
		done = 0;
		for (int i = 0; i < l.n; i++)
			done += l.w[i].state == GT_W_DONE;
		if (done == l.n)
			break;
	}
	if ((r = finish_load(&l, 5000, 0)))
		goto out;
	/* Only enclave CPUs the agent committed: never the agent's own. */
	for (int i = 0; i < l.n; i++)
		if (l.w[i].cpus_seen & GT_CPU(gt_agent_cpu)) {
			r = gt_fail("worker %d ran outside ghost", i);
			goto out;
		}
	if (gt_klog_contains("no agent for"))
		r = gt_fail("the enclave fell back to CFS");
out:
	gt_param_set("agent_grace_ms", grace);
	return r;
}

static int test_grace_keeps_parked_threads_then_returns_them(void)
{
	int grace = gt_param_get("agent_grace_ms"), r, status;
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	pid_t agent;

	if ((r = gt_need_cpus(2)))
		return r;
	if (grace < 0 || gt_param_set("agent_grace_ms", 1000))
		return gt_skip("agent_grace_ms is not writable");
	if ((r = gt_setup(&e, 0, 0)))
		goto out;
	w->nice = 4;
	if (!gt_start(&e, w, 1)) {
		r = gt_fail("worker did not enter");
		goto out;
	}
	/* An agent that attaches and exits without scheduling anything. */
	agent = fork();
	if (agent == 0)
		_exit(gt_attach(&e, gt_agent_cpu) ? 3 : 0);
	if (gt_proc_wait(agent, 5000, &status) || status) {
		r = gt_fail("the agent failed: %#x", status);
		goto out;
	}
	if (gt_status(&e, "agent_online") != 0) {
		r = gt_fail("agent_online after the agent exited");
		goto out;
	}
	if (!gt_worker_frozen(w, 500) || !gt_enclave_exists(1)) {
		r = gt_fail("the thread ran, or the enclave went, in the grace period");
		goto out;
	}
	if (!gt_wait_for(!gt_enclave_exists(1), 5000) ||
	    !gt_worker_progresses(w, 5000)) {
		r = gt_fail("the thread did not come back after the grace period");
		goto out;
	}
	errno = 0;
	if (getpriority(PRIO_PROCESS, w->tid) != 4 ||
	    gt_affinity_of(w->tid) != gt_all_cpus())
		r = gt_fail("the thread came back with nice %d mask %#llx",
			    getpriority(PRIO_PROCESS, w->tid),
			    (unsigned long long)gt_affinity_of(w->tid));
out:
	gt_param_set("agent_grace_ms", grace);
	return r;
}

/* A thread outside ghost on the agent's CPU that sleeps and wakes. */
struct sleeper {
	pthread_t th;
	int cpu;
	atomic_int go, ran;
};

#define SLEEPER_ROUNDS	20
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"

static void *sleeper_main(void *p)
{
	struct sleeper *s = p;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return NULL;
	while (!atomic_load(&s->go))
		gt_sleep_ms(1);
	while (atomic_load(&s->ran) < SLEEPER_ROUNDS) {
		usleep(2000);
		atomic_fetch_add(&s->ran, 1);
	}
	return NULL;
}

/* 1 if it napped, 0 if nothing else was runnable, or -errno. */
static int step_aside(struct gt_enclave *e, uint32_t flags)
{
	struct ghost_ioc_wait w = {
		.timeout_ms = 1,
		.flags = GHOST_WAIT_F_STEP_ASIDE | flags,
	};
	int ret = ioctl(e->ctl_fd, GHOST_IOC_AGENT_WAIT, &w);

	return ret < 0 ? -errno : ret;
}

/* The refusals, then a call that succeeds: 0, or GT_FAIL. */
static int step_aside_args(struct gt_enclave *e)
{
	struct ghost_ioc_commit_wait cw = { 0 };
	int r;

	if ((r = step_aside(e, 0)) != -EINVAL)
		return gt_fail("step aside by a non-agent: %s, want EINVAL",
			       r ? strerror(-r) : "0");
	if ((r = gt_attach(e, gt_agent_cpu)))
		return gt_fail("attach: %s", strerror(-r));
	if ((r = step_aside(e, GHOST_WAIT_F_AGENT_SEQ)) != -EINVAL)
		return gt_fail("step aside with AGENT_SEQ: %s, want EINVAL",
			       r ? strerror(-r) : "0");
	cw.wait.flags = GHOST_WAIT_F_STEP_ASIDE;
	if (!ioctl(e->ctl_fd, GHOST_IOC_COMMIT_WAIT, &cw) || errno != EINVAL)
		return gt_fail("COMMIT_WAIT with STEP_ASIDE: %s, want EINVAL",
			       strerror(errno));
	/* Other tasks may want the CPU for longer than the 1 ms allowed. */
	if ((r = step_aside(e, 0)) < 0 && r != -ETIMEDOUT)
		return gt_fail("step aside: %s", strerror(-r));
	return 0;
}

/* Spin as a centralized agent does until the sleeper is done: 0 or r. */
static int spin_stepping_aside(struct gt_enclave *e, struct sleeper *s,
			       int *stepped)
{
	const volatile struct ghost_cpu_word *w = gt_cpu_word(e, gt_agent_cpu);
	uint64_t end = gt_now_ns() + 20ULL * 1000000000ULL;
	uint32_t seen = w->wanted;
	int r = 0;

	atomic_store(&s->go, 1);
	while (atomic_load(&s->ran) < SLEEPER_ROUNDS && gt_now_ns() < end) {
		/* Out of time with the thread still runnable: again. */
		if (w->wanted != seen || r == -ETIMEDOUT) {
			seen = w->wanted;
			r = step_aside(e, 0);
			if (r < 0 && r != -ETIMEDOUT)
				return gt_fail("step aside: %s", strerror(-r));
			(*stepped)++;
		}
		ghost_cpu_relax();
	}
	return 0;
}

/*
 * The agent spins at SCHED_FIFO 99 with real-time throttling off: a
 * thread outside ghost that sleeps on the agent's CPU would never run
 * again.  Each of its wakeups moves the CPU word's wanted; the agent
 * steps aside when it moved (GHOST_WAIT_F_STEP_ASIDE), and the thread
 * runs all its rounds.  A non-agent, a flag beside it and COMMIT_WAIT
 * with it are refused.
 */
static int test_agent_steps_aside_for_task_woken_on_its_cpu(void)
{
	struct sleeper s = { .cpu = gt_agent_cpu };
	int r, stepped = 0;
	char runtime[32];
	struct gt_enclave e;

	/* Made before the caller is an agent: it stays SCHED_OTHER. */
	if (pthread_create(&s.th, NULL, sleeper_main, &s))
		return gt_fail("pthread_create");
	if ((r = gt_setup(&e, 0, 0)) || (r = step_aside_args(&e)))
		goto out;
	if (gt_read_file(RT_RUNTIME, runtime, sizeof(runtime)) < 0 ||
	    gt_write_file(RT_RUNTIME, "-1")) {
		r = gt_fail("cannot turn real-time throttling off");
		goto out;
	}
	r = spin_stepping_aside(&e, &s, &stepped);
	gt_write_file(RT_RUNTIME, "%s", runtime);
	if (!r && atomic_load(&s.ran) < SLEEPER_ROUNDS)
		r = gt_fail("the thread ran %d of its %d rounds beside the spinning agent, which stepped aside %d times",
			    atomic_load(&s.ran), SLEEPER_ROUNDS, stepped);
	else if (!r && !stepped)
		r = gt_fail("its wakeups never moved wanted");
out:
	atomic_store(&s.ran, SLEEPER_ROUNDS);
	atomic_store(&s.go, 1);
	pthread_join(s.th, NULL);
	return r;
}

static const struct gt_test tests[] = {
	{ "attach_makes_caller_fifo_99_pinned",
	  test_attach_makes_caller_fifo_99_pinned },
	{ "attach_busy_cpu_ebusy", test_attach_busy_cpu_ebusy },
	{ "attach_errors", test_attach_errors },
	{ "agent_kill_under_load_falls_back_to_cfs",
	  test_agent_kill_under_load_falls_back_to_cfs },
	{ "agent_restart_within_grace_reattaches",
	  test_agent_restart_within_grace_reattaches },
	{ "grace_keeps_parked_threads_then_returns_them",
	  test_grace_keeps_parked_threads_then_returns_them },
	{ "agent_steps_aside_for_task_woken_on_its_cpu",
	  test_agent_steps_aside_for_task_woken_on_its_cpu },
	{ NULL, NULL },
};

GT_MAIN(tests)
