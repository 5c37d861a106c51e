// SPDX-License-Identifier: GPL-2.0
/*
 * Everything at once: several processes race enters, leaves, commits,
 * agent attaches and exits, queue operations, dispatch lists, cpulist
 * writes, rediscoveries and destroys of one enclave, while a CPU goes
 * offline and comes back, for at least 100,000 operations.  Errors are
 * expected and counted; what must hold is that the kernel stays clean (the
 * VM lane checks its log: lockdep and KASAN on the debug lane), that the
 * module still works afterwards, and that it unloads (the VM case).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "ghost_test.h"

#define NR_PROCS	5
#define OPS		100000	/* in all; GT_RACE_OPS says otherwise */
#define NR_WORKERS	4	/* ordinary threads per process to move */
#define ENCLAVE_ID	1

/* Shared by the racing processes: what got through. */
struct totals {
	long ops, refused, entered, committed, dispatched;
};

static struct totals *totals;
static long ops_per_proc = OPS / NR_PROCS;

struct proc {
	int index;
	uint64_t seed;
	uint64_t cpus;		/* the enclave CPUs it may use */
	struct gt_enclave e;
	int open;		/* e is open and mapped */
	pid_t workers[NR_WORKERS];
	volatile int stop;
	long ops, errors;
};

static uint64_t rnd(struct proc *p)
{
	p->seed ^= p->seed << 13;
	p->seed ^= p->seed >> 7;
	p->seed ^= p->seed << 17;
	return p->seed;
}

/* Ordinary work: spin a little, sleep a little, yield. */
static void *worker(void *arg)
{
	struct proc *p = arg;
	volatile unsigned long n = 0;
	int i;

	for (i = 0; i < NR_WORKERS; i++) {
		if (__sync_bool_compare_and_swap(&p->workers[i], 0,
						 (pid_t)syscall(SYS_gettid)))
			break;
	}
	/* Mostly asleep: the racing calls, not the work, are the test. */
	while (!p->stop) {
		for (int k = 0; k < 200; k++)
			n++;
		if (n % 3)
			usleep(1000);
		else
			sched_yield();
	}
	return NULL;
}

/*
 * The enclave again, after a destroy: made anew if it is missing (the
 * CPU that comes and goes may be offline: then without it).
 */
static void recreate(struct proc *p)
{
	char path[64], list[64] = "";
	uint64_t cpus = p->cpus;

	gt_write_file(GHOST_FS_PATH "/ctl", "create %d", ENCLAVE_ID);
	snprintf(path, sizeof(path), GHOST_FS_PATH "/enclave_%d/cpulist",
		 ENCLAVE_ID);
	for (int pass = 0; pass < 2; pass++) {
		list[0] = 0;
		for (int c = 0; c < GT_MAX_CPUS; c++)
			if (cpus & GT_CPU(c))
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%d",
					 list[0] ? "," : "", c);
		if (!gt_write_file(path, "%s", list))
			return;
		cpus &= ~GT_CPU(gt_cpu(gt_nr_cpus - 2));
	}
}

/* The enclave as it is now: reopen it after a destroy. */
static int proc_open(struct proc *p)
{
	char path[64];

	if (p->open)
		return 0;
	snprintf(path, sizeof(path), GHOST_FS_PATH "/enclave_%d/ctl",
		 ENCLAVE_ID);
	if (access(path, F_OK)) {
		if (p->index == 0)
			recreate(p);
		return -ENODEV;
	}
	if (gt_enclave_open(&p->e, ENCLAVE_ID))
		return -1;
	if (gt_enclave_map_shared(&p->e)) {
		gt_enclave_close(&p->e);
		return -1;
	}
	p->open = 1;
	return 0;
}

static void proc_close(struct proc *p)
{
	if (p->open)
		gt_enclave_close(&p->e);
	p->open = 0;
}

/* A gtid the enclave knows, from its status words, or noise. */
static uint64_t some_gtid(struct proc *p, uint32_t *barrier)
{
	const struct ghost_sw_region_header *h = p->e.sw;
	const volatile struct ghost_status_word *w;
	uint32_t i;

	*barrier = (uint32_t)rnd(p);
	if (!h || rnd(p) % 8 == 0)
		return rnd(p) % 4 ? rnd(p) : 0;
	for (int tries = 0; tries < 16; tries++) {
		i = rnd(p) % h->nr_words;
		w = gt_sw(&p->e, i);
		if (w && (w->flags & GHOST_SW_F_INUSE) && w->gtid) {
			*barrier = w->barrier;
			return w->gtid;
		}
	}
	return rnd(p);
}

static int some_cpu(struct proc *p)
{
	int c;

	if (rnd(p) % 16 == 0)
		return (int)(rnd(p) % (gt_nr_cpu_ids + 2)) - 1;
	do {
		c = rnd(p) % GT_MAX_CPUS;
	} while (!(p->cpus & GT_CPU(c)));
	return c;
}

/* A thread becomes an agent for a moment, then leaves by exiting. */
static void *agent_blip(void *arg)
{
	struct proc *p = arg;
	int cpu = some_cpu(p);

	if (!gt_attach(&p->e, cpu)) {
		gt_agent_wait(&p->e, 0, 1);
		sched_yield();
	}
	return NULL;
}

static int one_op(struct proc *p)
{
	struct gt_enclave *e = &p->e;
	uint32_t barrier, nr;
	pthread_t th;
	uint64_t gtid;
	char list[64];
	int cpu, r = 0, fd, k;

	if (proc_open(p)) {
		usleep(100);	/* the enclave is being made again */
		return -ENODEV;
	}
	switch (rnd(p) % 20) {
	case 0: case 1: case 2:		/* enter one of our threads */
		r = gt_efile_write(e, "tasks", "%d",
				   p->workers[rnd(p) % NR_WORKERS]);
		if (!r)
			__atomic_add_fetch(&totals->entered, 1, __ATOMIC_RELAXED);
		break;
	case 3: case 4:			/* and take it out again */
		r = gt_leave(e, p->workers[rnd(p) % NR_WORKERS]);
		break;
	case 5: case 6: case 7: case 8:	/* commit, one CPU or several */
		k = 1 + rnd(p) % 3;
		for (int i = 0; i < k; i++) {
			cpu = some_cpu(p);
			if (cpu < 0 || cpu >= gt_nr_cpu_ids)
				continue;
			gtid = some_gtid(p, &barrier);
			gt_txn_set(e, cpu, gtid, barrier, 0);
			r = gt_txn_commit(e, GT_CPU(cpu), &nr);
			if (!r && nr)
				__atomic_add_fetch(&totals->committed, 1,
						   __ATOMIC_RELAXED);
		}
		break;
	case 9:				/* an agent comes and goes */
		if (rnd(p) % 4 == 0 &&
		    !pthread_create(&th, NULL, agent_blip, p))
			pthread_join(th, NULL);
		break;
	case 10: {			/* a queue, a route, its end */
		struct ghost_ioc_create_queue cq = {
			.elems = 64,
			.flags = rnd(p) % 2 ? GHOST_QUEUE_F_DEFAULT : 0,
		};
		struct ghost_ioc_assoc_queue aq = { 0 };

		fd = ioctl(e->ctl_fd, GHOST_IOC_CREATE_QUEUE, &cq);
		if (fd < 0) {
			r = -errno;
			break;
		}
		aq.fd = fd;
		aq.gtid = some_gtid(p, &barrier);
		aq.barrier = barrier;
		r = ioctl(e->ctl_fd, GHOST_IOC_ASSOC_QUEUE, &aq) ? -errno : 0;
		close(fd);
		break;
	}
	case 11:			/* the CPUs change */
		list[0] = 0;
		for (int c = 0; c < GT_MAX_CPUS; c++)
			if ((p->cpus & GT_CPU(c)) && rnd(p) % 3)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%d",
					 list[0] ? "," : "", c);
		r = gt_efile_write(e, "cpulist", "%s", list);
		break;
	case 12: case 13:		/* the fast path */
		cpu = some_cpu(p);
		if (cpu < 0 || cpu >= gt_nr_cpu_ids)
			break;
		gtid = some_gtid(p, &barrier);
		gt_dl_push(e, cpu, gtid, barrier);
		if (rnd(p) % 2)
			__atomic_store_n(&e->dl[cpu].flags,
					 (uint32_t)(rnd(p) % 8),
					 __ATOMIC_RELEASE);
		r = gt_dl_kick(e, cpu, &nr);
		if (!r && nr)
			__atomic_add_fetch(&totals->dispatched, 1,
					   __ATOMIC_RELAXED);
		break;
	case 14:			/* a new agent's view */
		r = ioctl(e->ctl_fd, GHOST_IOC_DISCOVER) ? -errno : 0;
		break;
	case 15: {			/* status words */
		struct ghost_ioc_sw sw = { .gtid = some_gtid(p, &barrier) };

		r = ioctl(e->ctl_fd, GHOST_IOC_SW_GET, &sw) ? -errno : 0;
		if (rnd(p) % 4 == 0)
			ioctl(e->ctl_fd, GHOST_IOC_SW_FREE, &sw);
		break;
	}
	case 16: {			/* readers */
		char buf[4096];

		r = gt_efile_read(e, rnd(p) % 2 ? "tasks" : "status", buf,
				  sizeof(buf));
		r = r < 0 ? r : 0;
		break;
	}
	case 17:			/* one enclave goes, another comes */
		if (p->index == 0 && rnd(p) % 200 == 0) {
			gt_efile_write(e, "ctl", "destroy");
			proc_close(p);
			recreate(p);
		}
		break;
	default: {
		struct ghost_enclave_info info = { 0 };

		r = ioctl(e->ctl_fd, GHOST_IOC_ENCLAVE_INFO, &info) ?
		    -errno : 0;
		break;
	}
	}
	/* Destroyed under us: open the one that follows. */
	if (r == -ENODEV)
		proc_close(p);
	return r;
}

/*
 * An agent that stays (re-attaching after a destroy), so that commits and
 * lists really run threads: it sleeps, never decides anything.
 */
static void *steady_agent(void *arg)
{
	struct proc *p = arg;
	struct gt_enclave e = { 0 };
	int attached = 0;

	while (!p->stop) {
		if (!attached) {
			gt_enclave_close(&e);
			if (!access(GHOST_FS_PATH "/enclave_1/ctl", F_OK) &&
			    !gt_enclave_open(&e, ENCLAVE_ID))
				attached = !gt_attach(&e, some_cpu(p));
		}
		usleep(2000);
		/* Destroyed: attach to the one that follows. */
		if (attached &&
		    ioctl(e.ctl_fd, GHOST_IOC_ENCLAVE_INFO,
			  &(struct ghost_enclave_info){ 0 }) && errno == ENODEV)
			attached = 0;
	}
	return NULL;
}

/* One racing process; exits 0 after its operations. */
static int run_proc(int index, uint64_t cpus)
{
	struct proc p = { .index = index, .cpus = cpus };
	pthread_t th[NR_WORKERS], agent;
	int i;

	p.seed = 0x9e3779b97f4a7c15ULL * (index + 1);
	gt_reset_sched();
	for (i = 0; i < NR_WORKERS; i++)
		pthread_create(&th[i], NULL, worker, &p);
	if (index == 1)
		pthread_create(&agent, NULL, steady_agent, &p);
	while (!gt_wait_for(p.workers[NR_WORKERS - 1] != 0, 1))
		;
	for (p.ops = 0; p.ops < ops_per_proc; p.ops++) {
		if (one_op(&p) < 0)
			p.errors++;
	}
	__atomic_add_fetch(&totals->ops, p.ops, __ATOMIC_RELAXED);
	__atomic_add_fetch(&totals->refused, p.errors, __ATOMIC_RELAXED);
	/* Workers parked without an agent go with the process. */
	_exit(0);
}

/* CPU @cpu goes offline and comes back until @stop is set. */
static void run_hotplug(int cpu)
{
	char path[96];
	int n = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	for (;;) {
		if (gt_write_file(path, "0"))
			break;
		gt_sleep_ms(50);
		gt_write_file(path, "1");
		n++;
		/* Hotplug stops every CPU: often, but not all the time. */
		gt_sleep_ms(1000);
	}
	_exit(0);
}

static int test_race_fuzz_100k_operations(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(1);
	pid_t pids[NR_PROCS], hp = -1;
	uint64_t cpus = 0, a;
	int r, i, status, bad = 0;
	char path[96];

	if ((r = gt_need_cpus(3)))
		return r;
	if (getenv("GT_RACE_OPS"))
		ops_per_proc = atol(getenv("GT_RACE_OPS")) / NR_PROCS;
	if (ops_per_proc <= 0)
		return gt_fail("GT_RACE_OPS must be a positive number");
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		return gt_fail("mmap: %s", strerror(errno));
	for (i = 0; i < gt_nr_cpus - 1; i++)
		cpus |= GT_CPU(gt_cpu(i));
	if (gt_enclave_create(&e, ENCLAVE_ID, cpus))
		return gt_fail("cannot create enclave %d", ENCLAVE_ID);
	gt_enclave_close(&e);
	fflush(NULL);
	for (i = 0; i < NR_PROCS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return gt_fail("fork: %s", strerror(errno));
		if (!pids[i])
			run_proc(i, cpus);
	}
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 gt_cpu(gt_nr_cpus - 2));
	if (!access(path, W_OK)) {
		hp = fork();
		if (!hp)
			run_hotplug(gt_cpu(gt_nr_cpus - 2));
	}
	for (i = 0; i < NR_PROCS; i++) {
		if (gt_proc_wait(pids[i], 600000, &status) ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	if (hp > 0) {
		kill(hp, SIGKILL);
		waitpid(hp, NULL, 0);
		gt_write_file(path, "1");
	}
	if (bad)
		return gt_fail("%d racing processes did not finish", bad);
	printf("%ld operations (%ld refused): %ld enters, %ld commits and %ld list kicks that ran a thread\n",
	       totals->ops, totals->refused, totals->entered,
	       totals->committed, totals->dispatched);
	if (totals->ops < ops_per_proc * NR_PROCS)
		return gt_fail("only %ld operations", totals->ops);
	if (!totals->entered || !totals->committed)
		return gt_fail("nothing got through: the race tested nothing");

	/* The module still does its job. */
	gt_destroy_all();
	if ((r = gt_setup(&e, 0, 1)))
		return r;
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("no thread enters after the race");
	return gt_run_on(&e, w, a, gt_cpu(0));
}

static const struct gt_test tests[] = {
	{ "race_fuzz_100k_operations", test_race_fuzz_100k_operations },
	{ NULL, NULL },
};

GT_MAIN(tests)
