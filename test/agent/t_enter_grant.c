// SPDX-License-Identifier: GPL-2.0
/*
 * Entering an enclave is a grant: CAP_SYS_NICE, or a tasks file that the
 * administrator delegated with chown/chmod, as cgroup v2 delegates.  What
 * an entry costs the kernel is bounded (one pending entry per thread) and
 * charged to the writer's memory cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ghost_test.h"

#define NOBODY	65534

/* The tasks file that the bodies below write, set before they fork. */
static char tasks_path[128];

/*
 * Start @w as a process of @uid that enters by itself: 0 when it entered
 * (its gtid in *@gtid), its errno when it was refused, -1 on no answer.
 */
static int enter_as(struct gt_enclave *e, struct gt_worker *w, uid_t uid,
		    uint64_t *gtid)
{
	struct gt_msg m;

	w->uid = uid;
	if (gt_worker_proc(w, e) < 0)
		return -1;
	for (int i = 0; i < 50; i++) {
		if (w->state == GT_W_FAILED)
			return w->enter_errno;
		if (w->tid && !gt_wait_msg(e, GHOST_MSG_TASK_NEW, w->tid, 100,
					   &m)) {
			if (gtid)
				*gtid = m.gtid;
			return 0;
		}
		gt_sleep_ms(10);
	}
	return -1;
}

static const char *outcome(int r)
{
	return r > 0 ? strerror(r) : r ? "no answer" : "entered";
}

/* Body: drop CAP_SYS_NICE, stay root, enter by itself. */
static void enter_without_cap_sys_nice(struct gt_worker *w)
{
	int fd = open(tasks_path, O_WRONLY);

	w->fn_errno[0] = gt_drop_caps(1ULL << CAP_SYS_NICE) ? errno : 0;
	if (fd < 0) {
		w->fn_errno[1] = errno;
		return;
	}
	w->fn_errno[1] = write(fd, "0", 1) == 1 ? 0 : errno;
	close(fd);
}

static int test_entering_needs_cap_sys_nice_by_default(void)
{
	struct gt_worker *w = gt_workers(2);
	struct gt_enclave e;
	struct stat st;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	snprintf(tasks_path, sizeof(tasks_path), "%s/tasks", e.dir);
	if (stat(tasks_path, &st) || st.st_uid || st.st_gid ||
	    (st.st_mode & 07777) != 0644)
		return gt_fail("tasks is %o %u:%u, want 0644 root:root",
			       st.st_mode & 07777, st.st_uid, st.st_gid);
	r = enter_as(&e, &w[0], NOBODY, NULL);
	if (r != EACCES)
		return gt_fail("nobody entering: %s, want EACCES", outcome(r));
	/* Root without CAP_SYS_NICE: the file opens, the write is refused. */
	w[1].fn = enter_without_cap_sys_nice;
	if (gt_worker_proc(&w[1], NULL) < 0 || gt_proc_wait(w[1].pid, 5000, NULL))
		return gt_fail("the capless worker did not finish");
	if (w[1].fn_errno[0] || w[1].fn_errno[1] != EPERM)
		return gt_fail("capless root entering: %s (capset %s), want EPERM",
			       strerror(w[1].fn_errno[1]),
			       strerror(w[1].fn_errno[0]));
	if (gt_tasks_contains(&e, w[0].pid) || gt_tasks_contains(&e, w[1].pid))
		return gt_fail("a refused thread is in the enclave");
	return 0;
}

static int test_delegated_tasks_file_lets_its_owner_enter(void)
{
	struct gt_worker *w = gt_workers(2);
	struct gt_enclave e;
	uint64_t a;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	snprintf(tasks_path, sizeof(tasks_path), "%s/tasks", e.dir);
	if (chown(tasks_path, NOBODY, NOBODY))
		return gt_fail("chown tasks: %s", strerror(errno));
	r = enter_as(&e, &w[0], NOBODY, &a);
	if (r)
		return gt_fail("nobody entering a delegated enclave: %s",
			       outcome(r));
	if ((r = gt_commit(&e, a, gt_cpu(0))) != GHOST_TXN_COMPLETE)
		return gt_fail("commit of nobody's thread: %s", gt_txn_name(r));
	if (!gt_worker_progresses(&w[0], 5000))
		return gt_fail("nobody's thread does not run");
	/* Taken back: nobody cannot even open it any more. */
	if (chown(tasks_path, 0, 0))
		return gt_fail("chown tasks back: %s", strerror(errno));
	r = enter_as(&e, &w[1], NOBODY, NULL);
	if (r != EACCES)
		return gt_fail("nobody after the grant was taken back: %s, want EACCES",
			       outcome(r));
	return 0;
}

/* o+w delegates to everyone; another process's thread still needs more. */
static void enter_other(struct gt_worker *w)
{
	char text[32];
	int fd = open(tasks_path, O_WRONLY), n;

	if (fd < 0) {
		w->fn_errno[0] = errno;
		return;
	}
	n = snprintf(text, sizeof(text), "%d", getppid());
	w->fn_errno[0] = write(fd, text, n) == n ? 0 : errno;
	close(fd);
}

static int test_world_writable_tasks_is_still_only_ones_own(void)
{
	struct gt_worker *w = gt_workers(1);
	struct gt_enclave e;
	int r;

	if ((r = gt_need_cpus(2)) || (r = gt_setup(&e, 0, 1)))
		return r;
	snprintf(tasks_path, sizeof(tasks_path), "%s/tasks", e.dir);
	if (chmod(tasks_path, 0666))
		return gt_fail("chmod tasks: %s", strerror(errno));
	w->uid = NOBODY;
	w->fn = enter_other;
	if (gt_worker_proc(w, NULL) < 0 || gt_proc_wait(w->pid, 5000, NULL))
		return gt_fail("the worker did not finish");
	if (w->fn_errno[0] != EPERM)
		return gt_fail("nobody moving root's thread: %s, want EPERM",
			       strerror(w->fn_errno[0]));
	if (gt_tasks_contains(&e, getpid()))
		return gt_fail("root's thread was moved in");
	return 0;
}

static int write_tid(const char *dir, pid_t tid)
{
	char path[128], text[32];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), "%s/tasks", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = snprintf(text, sizeof(text), "%d", tid);
	if (write(fd, text, n) != n)
		err = errno;
	close(fd);
	return err;
}

/*
 * A thread asleep outside ghost joins at its next return to user mode:
 * until then its entry is pending, and another write of its tid, to this
 * enclave or another, is EBUSY and holds nothing more.
 */
static int test_second_enter_of_pending_thread_is_ebusy(void)
{
	struct gt_worker *w = gt_workers(1);
	struct gt_enclave e, e2;
	int r;

	if ((r = gt_need_cpus(3)) || (r = gt_setup(&e, GT_CPU(gt_agent_cpu) |
						    GT_CPU(gt_cpu(0)), 1)))
		return r;
	if (gt_enclave_create(&e2, 2, GT_CPU(gt_cpu(1))))
		return gt_fail("cannot create enclave 2");
	/* Outside ghost, asleep in read(). */
	w->cmd = GT_CMD_PIPE;
	if (gt_worker_thread(w, NULL) < 0 ||
	    !gt_wait_for(w->tid && w->state == GT_W_RUNNING, 5000))
		return gt_fail("worker did not start");
	gt_sleep_ms(50);
	if ((r = write_tid(e.dir, w->tid)))
		return gt_fail("first enter: %s", strerror(r));
	for (int i = 0; i < 1000; i++) {
		r = write_tid(e.dir, w->tid);
		if (r != EBUSY)
			return gt_fail("enter #%d of a pending thread: %s, want EBUSY",
				       i + 2, r ? strerror(r) : "accepted");
	}
	r = write_tid(e2.dir, w->tid);
	if (r != EBUSY)
		return gt_fail("enter into a second enclave: %s, want EBUSY",
			       r ? strerror(r) : "accepted");
	gt_worker_poke(w);
	if (!gt_wait_new(&e, w->tid, 5000))
		return gt_fail("the pending thread did not join");
	if (gt_wait_msg(&e, GHOST_MSG_TASK_NEW, w->tid, 200, NULL) == 0)
		return gt_fail("a second TASK_NEW: it joined twice");
	if (gt_tasks_contains(&e2, w->tid))
		return gt_fail("it is in the second enclave too");
	gt_enclave_destroy(&e2);
	return 0;
}

#define MEMCG		"ghost-test-memcg"
#define MEMCG_DIR	"/sys/fs/cgroup/" MEMCG
#define MEMCG_THREADS	1000
/* Bytes of slab a thread's record takes at least, on any build. */
#define RECORD_MIN	192

/* The memory cgroup's unreclaimable slab, in bytes; -1 if unreadable. */
static long long memcg_slab(void)
{
	char buf[8192], *p;

	if (gt_read_file(MEMCG_DIR "/memory.stat", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nslab_unreclaimable ");
	return p ? strtoll(p + 20, NULL, 10) : -1;
}

static int block_fd;
static pid_t block_tids[MEMCG_THREADS];

static void *block_in_read(void *arg)
{
	char c;

	__atomic_store_n(&block_tids[(intptr_t)arg], gettid(),
			 __ATOMIC_RELEASE);
	while (read(block_fd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/*
 * In its own memory cgroup: enter every blocked thread, then wait until
 * the group's slab shows what that took.  Exits with 0, or 1 after
 * saying why; the growth goes to @out.
 */
static void enter_from_memcg(struct gt_enclave *e, int out)
{
	long long before, after = -1;
	int r;

	if ((r = gt_write_file(MEMCG_DIR "/cgroup.procs", "0"))) {
		fprintf(stderr, "cannot join %s: %s\n", MEMCG_DIR,
			strerror(-r));
		_exit(1);
	}
	before = memcg_slab();
	for (int i = 0; i < MEMCG_THREADS; i++) {
		r = write_tid(e->dir, block_tids[i]);
		if (r) {
			fprintf(stderr, "enter of thread %d: %s\n", i,
				strerror(r));
			_exit(1);
		}
	}
	/* memory.stat may lag by up to its 2 s flush period. */
	for (int i = 0; i < 30; i++) {
		after = memcg_slab();
		if (after - before >= (long long)MEMCG_THREADS * RECORD_MIN)
			break;
		gt_sleep_ms(100);
	}
	after -= before;
	_exit(write(out, &after, sizeof(after)) == sizeof(after) ? 0 : 1);
}

/*
 * A write to tasks allocates the thread's record for whoever wrote: it
 * is charged to the writer's memory cgroup, so a cgroup's limit bounds
 * what its processes make the module allocate.
 */
static int test_thread_records_are_charged_to_the_writer(void)
{
	pthread_t th[MEMCG_THREADS];
	pthread_attr_t attr;
	struct gt_enclave e;
	long long grown = -1;
	int p[2], res[2], n = 0, r, status;
	pid_t child;

	if ((r = gt_need_cpus(2)) || (r = gt_cgroup_make(MEMCG, "memory")))
		return r;
	if (memcg_slab() < 0)
		return gt_fail("no slab_unreclaimable in %s/memory.stat",
			       MEMCG_DIR);
	if (gt_enclave_create(&e, 1, GT_CPU(gt_cpu(0))))
		return gt_fail("cannot create enclave 1");
	if (pipe(p) || pipe(res))
		return gt_fail("pipe: %s", strerror(errno));
	block_fd = p[0];
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (; n < MEMCG_THREADS; n++) {
		if (pthread_create(&th[n], &attr, block_in_read,
				   (void *)(intptr_t)n))
			break;
	}
	r = n < MEMCG_THREADS ? gt_fail("only %d threads", n) : 0;
	for (int i = 0; !r && i < n; i++) {
		if (!gt_wait_for(__atomic_load_n(&block_tids[i],
						 __ATOMIC_ACQUIRE), 5000))
			r = gt_fail("thread %d did not start", i);
	}
	gt_sleep_ms(50);		/* all asleep in read() */
	if (!r) {
		child = fork();
		if (child < 0)
			r = gt_fail("fork: %s", strerror(errno));
		else if (!child)
			enter_from_memcg(&e, res[1]);
		else if (waitpid(child, &status, 0) != child ||
			 !WIFEXITED(status) || WEXITSTATUS(status) ||
			 read(res[0], &grown, sizeof(grown)) != sizeof(grown))
			r = gt_fail("the writer in %s failed", MEMCG_DIR);
	}
	/* Woken, they join and park; destroy sends them back. */
	close(p[1]);
	gt_sleep_ms(100);
	gt_enclave_destroy(&e);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	close(p[0]);
	close(res[0]);
	close(res[1]);
	rmdir(MEMCG_DIR);
	if (!r && grown < (long long)MEMCG_THREADS * RECORD_MIN)
		r = gt_fail("entering %d threads grew the writer's memory cgroup by %lld bytes of slab, want >= %d: not charged to it",
			    MEMCG_THREADS, grown, MEMCG_THREADS * RECORD_MIN);
	return r;
}

static const struct gt_test tests[] = {
	{ "entering_needs_cap_sys_nice_by_default",
	  test_entering_needs_cap_sys_nice_by_default },
	{ "delegated_tasks_file_lets_its_owner_enter",
	  test_delegated_tasks_file_lets_its_owner_enter },
	{ "world_writable_tasks_is_still_only_ones_own",
	  test_world_writable_tasks_is_still_only_ones_own },
	{ "second_enter_of_pending_thread_is_ebusy",
	  test_second_enter_of_pending_thread_is_ebusy },
	{ "thread_records_are_charged_to_the_writer",
	  test_thread_records_are_charged_to_the_writer },
	{ NULL, NULL },
};

GT_MAIN(tests)
