// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile callers: random ioctls and writes on every ghost fd must leave
 * the kernel and the module working, and callers without CAP_SYS_NICE or
 * CAP_SYS_ADMIN are refused with EPERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "ghost_test.h"

#define NR_CALLS	24000

static const unsigned int ghost_cmds[] = {
	GHOST_IOC_NULL, GHOST_IOC_ENCLAVE_INFO, GHOST_IOC_CREATE_QUEUE,
	GHOST_IOC_COMMIT, GHOST_IOC_AGENT_ATTACH, GHOST_IOC_AGENT_WAIT,
	GHOST_IOC_SW_GET, GHOST_IOC_SW_FREE, GHOST_IOC_DISCOVER,
	GHOST_IOC_ASSOC_QUEUE, GHOST_IOC_CONFIG_QUEUE_WAKEUP,
	GHOST_IOC_DISPATCH, GHOST_IOC_COMMIT_WAIT, GHOST_IOC_TASK_AFFINITY,
};
#define NR_CMDS	(sizeof(ghost_cmds) / sizeof(ghost_cmds[0]))

static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static uint64_t gtids[16];

/* A field value: mostly edges, some plausible, some noise. */
static uint64_t rnd_value(void)
{
	switch (rnd() % 12) {
	case 0: return 0;
	case 1: return 1;
	case 2: return -1ULL;
	case 3: return rnd() % 64;
	case 4: return 0x7fffffff;
	case 5: return 0x80000000;
	case 6: return 1ULL << (rnd() % 64);
	case 7: return gtids[rnd() % 16];
	case 8: return gtids[rnd() % 16] + 1;
	case 9: return (uint64_t)gt_nr_cpu_ids + rnd() % 4 - 2;
	default: return rnd();
	}
}

static int cmd_index(unsigned int cmd)
{
	for (unsigned int i = 0; i < NR_CMDS; i++)
		if (ghost_cmds[i] == cmd)
			return i;
	return -1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

struct fuzz_fd {
	int fd;
	const char *name;
	int is_ctl;
};

/* The fuzzing itself, in a child: attaching changes the caller for good. */
static int fuzz(struct gt_enclave *e, long *calls, long *ok)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	size_t pg = sysconf(_SC_PAGESIZE);
	struct fuzz_fd fds[8];
	uint8_t *buf, *ro, *bitmap;
	char path[128];
	int nfds = 0;

	/* A read-write page between a read-only one and a guard. */
	buf = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bitmap = malloc(8192);
	if (buf == MAP_FAILED || !bitmap)
		return gt_fail("no memory");
	ro = buf;
	buf += pg;
	mprotect(ro, pg, PROT_READ);
	mprotect(buf + pg, pg, PROT_NONE);

	fds[nfds++] = (struct fuzz_fd){ e->ctl_fd, "ctl", 1 };
	snprintf(path, sizeof(path), "%s/ctl", e->dir);
	fds[nfds++] = (struct fuzz_fd){ open(path, O_RDONLY), "ctl ro", 1 };
	fds[nfds++] = (struct fuzz_fd){ e->qfd, "queue", 0 };
	snprintf(path, sizeof(path), "%s/tasks", e->dir);
	fds[nfds++] = (struct fuzz_fd){ open(path, O_RDWR), "tasks", 0 };
	snprintf(path, sizeof(path), "%s/txn", e->dir);
	fds[nfds++] = (struct fuzz_fd){ open(path, O_RDWR), "txn", 0 };
	fds[nfds++] = (struct fuzz_fd){ open(GHOST_FS_PATH "/ctl", O_WRONLY),
					"top ctl", 0 };
	fds[nfds++] = (struct fuzz_fd){ open(GHOST_FS_PATH "/version",
					     O_RDONLY), "version", 0 };

	/* Sleeping ioctls (GHOST_IOC_AGENT_WAIT) end with EINTR. */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);

	for (long i = 0; i < NR_CALLS; i++) {
		struct fuzz_fd *f = &fds[rnd() % nfds];
		unsigned int cmd, size;
		void *arg;
		int bad = 0, idx;
		long ret;

		if (rnd() % 10 < 6) {
			cmd = ghost_cmds[rnd() % NR_CMDS];
		} else {
			size = rnd() % 5 ? rnd() % 128 : rnd() % 0x3fff;
			cmd = _IOC(rnd() % 4, GHOST_IOC_MAGIC, rnd() % 32, size);
		}
		size = _IOC_SIZE(cmd);
		switch (rnd() % 10) {
		case 0:
			arg = NULL;
			bad = 1;
			break;
		case 1:
			arg = (void *)(uintptr_t)(rnd() % 2 ?
					0xffff888000000000ULL : 16);
			bad = 1;
			break;
		case 2:
			arg = buf + pg;	/* the guard page */
			bad = 1;
			break;
		case 3:
			arg = ro;
			break;
		default:
			/* Random fields, ending right before the guard. */
			arg = buf + pg - (size < pg ? size : pg);
			for (size_t k = 0; k + 8 <= pg; k += 8)
				*(uint64_t *)(buf + k) = rnd_value();
			if (cmd == GHOST_IOC_COMMIT) {
				struct ghost_ioc_commit *c = arg;

				for (int k = 0; k < 8192; k++)
					bitmap[k] = rnd();
				c->cpus_ptr = rnd() % 4 ? (uintptr_t)bitmap :
					      rnd_value();
				c->cpus_len = rnd() % 3 ? rnd() % 64 : rnd_value();
				if (rnd() % 2)
					c->flags = c->nr_committed = c->resv[0] =
					c->resv[1] = c->resv[2] = 0;
			}
			if (cmd == GHOST_IOC_DISPATCH ||
			    cmd == GHOST_IOC_COMMIT_WAIT) {
				struct ghost_ioc_dispatch *d = arg;

				for (int k = 0; k < 8192; k++)
					bitmap[k] = rnd();
				d->cpus_ptr = rnd() % 4 ? (uintptr_t)bitmap :
					      rnd_value();
				d->cpus_len = rnd() % 3 ? rnd() % 64 : rnd_value();
				if (rnd() % 2)
					d->flags = d->nr_dispatched =
					d->resv[0] = d->resv[1] = d->resv[2] = 0;
			}
			if (cmd == GHOST_IOC_AGENT_WAIT && rnd() % 2) {
				struct ghost_ioc_wait *w = arg;

				w->flags = rnd() % 2;
				w->resv = 0;
			}
			if (cmd == GHOST_IOC_ASSOC_QUEUE && rnd() % 2) {
				struct ghost_ioc_assoc_queue *a = arg;

				a->fd = rnd() % 2 ? -1 : (int)(rnd() % 16);
				a->gtid = rnd() % 2 ? 0 : a->gtid;
				a->flags = a->status = 0;
				a->resv = 0;
			}
			if (cmd == GHOST_IOC_CONFIG_QUEUE_WAKEUP && rnd() % 2) {
				struct ghost_ioc_queue_wakeup *q = arg;

				for (int k = 0; k < 8192; k++)
					bitmap[k] = rnd();
				q->fd = (int)(rnd() % 16);
				q->cpus_ptr = (uintptr_t)bitmap;
				q->cpus_len = rnd() % 64;
				q->flags = q->resv[0] = q->resv[1] =
					q->resv[2] = 0;
			}
			break;
		}
		/* Random txn slots for the commits to chew on. */
		if (e->txn && rnd() % 4 == 0) {
			int c = rnd() % gt_nr_cpu_ids;

			e->txn[c].gtid = rnd_value();
			e->txn[c].task_barrier = rnd_value();
			e->txn[c].flags = rnd() % 4 ? 0 : rnd_value();
			e->txn[c].state = rnd() % 3 ? GHOST_TXN_READY :
					  (int)rnd_value();
		}

		/* Hostile dispatch lists for the fast path to chew on. */
		if (e->dl && rnd() % 4 == 0) {
			struct ghost_dispatch_list *l =
				&e->dl[rnd() % gt_nr_cpu_ids];

			l->ent[rnd() % GHOST_DISPATCH_SLOTS].gtid = rnd_value();
			l->ent[rnd() % GHOST_DISPATCH_SLOTS].barrier = rnd_value();
			l->flags = rnd_value();
			l->tail = rnd() % 2 ? l->head + rnd() % 40 : rnd_value();
			l->head = rnd() % 8 ? l->head : rnd_value();
		}

		errno = 0;
		ret = ioctl(f->fd, cmd, arg);
		(*calls)++;
		if (ret >= 0)
			(*ok)++;
		idx = cmd_index(cmd);
		if (ret > 2 && cmd == GHOST_IOC_CREATE_QUEUE && f->is_ctl)
			close(ret);	/* a new queue fd */
		else if (ret > 0)
			return gt_fail("%s: ioctl %#x returned %ld", f->name, cmd,
				       ret);
		/* What is certain whatever the random fields hold. */
		if (idx < 0 && ret >= 0)
			return gt_fail("%s: unknown ioctl %#x succeeded",
				       f->name, cmd);
		if (idx < 0 && errno != ENOTTY)
			return gt_fail("%s: unknown ioctl %#x: %s, want ENOTTY",
				       f->name, cmd, strerror(errno));
		if (!f->is_ctl && ret >= 0)
			return gt_fail("%s: ioctl %#x succeeded", f->name, cmd);
		if (f->is_ctl && bad && idx >= 0 && size &&
		    errno != EFAULT && errno != ENODEV)
			return gt_fail("%s: ioctl %#x with a bad pointer: %s",
				       f->name, cmd, strerror(errno));
	}
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	return 0;
}

static int test_random_ioctls_on_ghost_fds(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(4);
	long *counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t a;
	int r, status;
	pid_t pid;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 0)))
		return r;
	seed ^= gt_now_ns();
	printf("seed %#llx\n", (unsigned long long)seed);
	for (int i = 0; i < 4; i++) {
		if (!(gtids[i] = gt_start(&e, &w[i], 1)))
			return gt_fail("worker %d did not enter", i);
	}
	gtids[4] = (uint64_t)getpid() << 32 | 1;
	pid = fork();
	if (pid == 0)
		_exit(fuzz(&e, &counts[0], &counts[1]));
	if (gt_proc_wait(pid, 90000, &status))
		return gt_fail("the fuzzer hangs after %ld calls", counts[0]);
	printf("%ld ioctls, %ld succeeded\n", counts[0], counts[1]);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return gt_fail("the fuzzer failed: %#x", status);
	if (counts[0] < 20000)
		return gt_fail("only %ld calls", counts[0]);

	/* Whatever it left, ghost still works. */
	gt_destroy_all();
	gt_enclave_close(&e);
	if ((r = gt_setup(&e, 0, 1)))
		return r;
	w = gt_workers(1);
	if (!(a = gt_start(&e, w, 0)))
		return gt_fail("a thread cannot enter after the fuzzing");
	if ((r = gt_commit(&e, a, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit after the fuzzing: %s", gt_txn_name(r));
	if (!gt_worker_progresses(w, 5000))
		return gt_fail("a thread does not run after the fuzzing");
	return 0;
}

/* Not runnable_timeout: a small one would rightly end the enclave. */
static const char *const files[] = {
	"ctl", "tasks", "cpulist", "cpumask", "deliver_ticks", "status",
	"agent_online", "runnable_timeout",
};

static int test_random_writes_to_enclave_files(void)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(3);
	char text[128], path[128];
	long writes = 0, ok = 0;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	for (int i = 0; i < 3; i++)
		if (!gt_start(&e, &w[i], 1))
			return gt_fail("worker %d did not enter", i);
	seed ^= gt_now_ns();
	printf("seed %#llx\n", (unsigned long long)seed);
	for (int i = 0; i < 3000; i++) {
		const char *f = files[rnd() % 7];
		/* Our workers, or no thread at all: never someone else's. */
		pid_t tid = rnd() % 2 ? w[rnd() % 3].tid :
			    rnd() % 2 ? -(pid_t)(rnd() % 1000) :
			    0x3ff00000 + (pid_t)(rnd() % 1000);

		switch (rnd() % 6) {
		case 0:
			snprintf(text, sizeof(text), "leave %d", tid);
			break;
		case 1:
			snprintf(text, sizeof(text), "%d", tid);
			break;
		case 2:
			snprintf(text, sizeof(text), "%llx",
				 (unsigned long long)rnd_value());
			break;
		case 3:
			snprintf(text, sizeof(text), "%d-%d",
				 (int)(rnd() % 8), (int)(rnd() % 8));
			break;
		case 4:
			for (int k = 0; k < 32; k++)
				text[k] = rnd() % 255 + 1;
			text[32] = 0;
			break;
		default:
			snprintf(text, sizeof(text), "%lld",
				 (long long)rnd_value());
			break;
		}
		if (!strcmp(f, "tasks") && rnd() % 4)
			snprintf(text, sizeof(text), "%d", tid);
		else if (!strcmp(f, "tasks"))
			text[0] = 'x';	/* garbage, never a pid */
		snprintf(path, sizeof(path), "%s/%s", e.dir, f);
		r = gt_write_file(path, "%s", text);
		writes++;
		ok += !r;
		if (r == -ENOENT)
			return gt_fail("enclave_1 went away");
		gt_efile_read(&e, files[rnd() % 8], text, sizeof(text));
		if (rnd() % 16 == 0)
			gt_drain(&e);
	}
	printf("%ld writes, %ld accepted\n", writes, ok);
	/* The workers that left run; the enclave still takes threads. */
	gt_log_clear(&e);
	w = gt_workers(1);
	gt_efile_write(&e, "cpulist", "%d-%d", 0, gt_nr_cpus - 1);
	if (!gt_start(&e, w, 0))
		return gt_fail("a thread cannot enter after the fuzzing");
	return 0;
}

#define CAP(c)	(1ULL << (c))

/* Everything that needs a privilege fails with EPERM; run as the caller. */
static int expect_refused(struct gt_enclave *e, int tasks_fd, pid_t other,
			  int check_admin)
{
	struct ghost_ioc_create_queue cq = { .elems = 64,
					     .flags = GHOST_QUEUE_F_DEFAULT };
	struct ghost_ioc_agent ag = { .cpu = gt_agent_cpu };
	struct ghost_ioc_assoc_queue aq = { .fd = e->qfd, .gtid = 0 };
	struct ghost_ioc_queue_wakeup qw = { .fd = e->qfd };
	uint64_t mask = GT_CPU(gt_cpu(0));
	struct ghost_ioc_dispatch dp = { .cpus_ptr = (uintptr_t)&mask,
					 .cpus_len = sizeof(mask) };
	struct ghost_ioc_commit_wait cw = {
		.commit = { .cpus_ptr = (uintptr_t)&mask,
			    .cpus_len = sizeof(mask) },
		.wait = { .timeout_ms = 1 },
	};
	struct ghost_ioc_task_affinity ta = { .cpus_ptr = (uintptr_t)&mask,
					      .cpus_len = sizeof(mask) };
	char text[32];
	int n;

	if (!ioctl(e->ctl_fd, GHOST_IOC_AGENT_ATTACH, &ag) || errno != EPERM)
		return gt_fail("attach: %s, want EPERM", strerror(errno));
	gt_txn_set(e, gt_cpu(0), 0, 0, 0);
	if (gt_txn_commit(e, GT_CPU(gt_cpu(0)), NULL) != -EPERM)
		return gt_fail("commit not refused with EPERM");
	if (ioctl(e->ctl_fd, GHOST_IOC_CREATE_QUEUE, &cq) >= 0 ||
	    errno != EPERM)
		return gt_fail("create queue: %s, want EPERM", strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_DISPATCH, &dp) || errno != EPERM)
		return gt_fail("dispatch: %s, want EPERM", strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_COMMIT_WAIT, &cw) || errno != EPERM)
		return gt_fail("commit and wait: %s, want EPERM",
			       strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_DISCOVER) || errno != EPERM)
		return gt_fail("discover: %s, want EPERM", strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_TASK_AFFINITY, &ta) || errno != EPERM)
		return gt_fail("task affinity: %s, want EPERM", strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_ASSOC_QUEUE, &aq) || errno != EPERM)
		return gt_fail("assoc queue: %s, want EPERM", strerror(errno));
	if (!ioctl(e->ctl_fd, GHOST_IOC_CONFIG_QUEUE_WAKEUP, &qw) ||
	    errno != EPERM)
		return gt_fail("queue wakeup: %s, want EPERM", strerror(errno));
	n = snprintf(text, sizeof(text), "%d", other);
	if (write(tasks_fd, text, n) >= 0 || errno != EPERM)
		return gt_fail("entering another process's thread: %s, want EPERM",
			       strerror(errno));
	n = snprintf(text, sizeof(text), "leave %d", other);
	if (write(e->ctl_fd, text, n) >= 0 || errno != EPERM)
		return gt_fail("leave of another process's thread: %s, want EPERM",
			       strerror(errno));
	if (!check_admin)
		return 0;
	if (write(e->ctl_fd, "destroy", 7) >= 0 || errno != EPERM)
		return gt_fail("destroy: %s, want EPERM", strerror(errno));
	return 0;
}

/* A child opens the files as root, drops privileges, then tries. */
static int run_unprivileged(int mode)
{
	struct gt_enclave e;
	struct gt_worker *w = gt_workers(2);
	char path[128];
	int r, status, tasks_fd;
	pid_t pid;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 0)))
		return r;
	if (!gt_start(&e, &w[0], 1))
		return gt_fail("worker did not enter");
	if (gt_worker_proc(&w[1], NULL) < 0)	/* not in ghost */
		return gt_fail("fork");
	snprintf(path, sizeof(path), "%s/tasks", e.dir);
	pid = fork();
	if (pid == 0) {
		tasks_fd = open(path, O_WRONLY);
		if (tasks_fd < 0)
			_exit(gt_fail("open tasks: %s", strerror(errno)));
		if (mode == 0) {
			if (gt_drop_caps(CAP(CAP_SYS_NICE)))
				_exit(gt_fail("capset: %s", strerror(errno)));
			_exit(expect_refused(&e, tasks_fd, w[1].pid, 0));
		}
		if (mode == 1) {
			if (gt_drop_caps(CAP(CAP_SYS_NICE) | CAP(CAP_SYS_ADMIN)))
				_exit(gt_fail("capset: %s", strerror(errno)));
			_exit(expect_refused(&e, tasks_fd, w[1].pid, 1));
		}
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(gt_fail("setuid 65534: %s", strerror(errno)));
		if (expect_refused(&e, tasks_fd, w[1].pid, 1) ||
		    expect_refused(&e, tasks_fd, w[0].pid, 1))
			_exit(GT_FAIL);
		/* ctl is 0666 (for "leave"): its own fd gets no further. */
		snprintf(path, sizeof(path), "%s/ctl", e.dir);
		e.ctl_fd = open(path, O_RDWR);
		if (e.ctl_fd < 0)
			_exit(gt_fail("nobody cannot open ctl: %s",
				      strerror(errno)));
		_exit(expect_refused(&e, tasks_fd, w[0].pid, 1));
	}
	if (gt_proc_wait(pid, 10000, &status))
		return gt_fail("the unprivileged child hangs");
	if (status)
		return GT_FAIL;
	/* Nothing changed. */
	if (gt_status(&e, "agent_online") != 0 || !gt_enclave_exists(1) ||
	    gt_tasks_contains(&e, w[1].pid) || !gt_tasks_contains(&e, w[0].pid))
		return gt_fail("a refused call had an effect");
	return 0;
}

static int test_without_cap_sys_nice_refused_eperm(void)
{
	return run_unprivileged(0);
}

static int test_without_caps_refused_eperm(void)
{
	return run_unprivileged(1);
}

static int test_nobody_refused_eperm(void)
{
	return run_unprivileged(2);
}

static const struct gt_test tests[] = {
	{ "random_ioctls_on_ghost_fds", test_random_ioctls_on_ghost_fds },
	{ "random_writes_to_enclave_files",
	  test_random_writes_to_enclave_files },
	{ "without_cap_sys_nice_refused_eperm",
	  test_without_cap_sys_nice_refused_eperm },
	{ "without_caps_refused_eperm", test_without_caps_refused_eperm },
	{ "nobody_refused_eperm", test_nobody_refused_eperm },
	{ NULL, NULL },
};

GT_MAIN(tests)
