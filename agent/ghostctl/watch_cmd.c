// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: the commands that watch an enclave over time, "latency" (the
 * module's wait histograms over a window) and "top" (a live view of its
 * CPUs, threads, agent and waits).  Both read what needs no privilege
 * (ghostfs's read-only files, the status words); top adds the agent's
 * counters when its control socket answers (root).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/un.h>

#include "cmd.h"
#include "view.h"

#define AGENT_MS	500
#define AGENT_REPLY_MAX	(1 << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until @deadline (CLOCK_MONOTONIC seconds); with @keys, return
 * early on 'q' from standard input.  1 when asked to stop.
 */
static int wait_until(double deadline, int keys)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	double left;
	char c;

	while (!stop && (left = deadline - now_s()) > 0) {
		if (!keys) {
			struct timespec ts = {
				.tv_sec = (time_t)left,
				.tv_nsec = (long)((left - (time_t)left) * 1e9),
			};

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0) {
			if (read(STDIN_FILENO, &c, 1) != 1 || c == 'q' ||
			    c == 'Q' || c == 3)
				return 1;
		}
	}
	return stop;
}

static int read_latency(unsigned int id, struct ghost_latency *lat)
{
	int ret = ghost_enclave_latency(id, lat);

	if (ret == -EINVAL)
		return ghostctl_fail(ret, NULL,
				     "malformed %s/enclave_%u/latency",
				     GHOST_FS_PATH, id);
	if (ret)
		return ghostctl_fail(ret, "status",
				     "cannot read the waits of enclave %u", id);
	return 0;
}

int ghostctl_latency(const struct ghostctl_cmd *cmd)
{
	struct ghost_latency before, now, d;
	double t0, t1;
	unsigned int i;
	int ret;

	ret = ghostctl_prepare(NULL);
	if (ret)
		return ret;
	ret = read_latency(cmd->id, &before);
	if (ret)
		return ret;
	if (cmd->total) {
		ghostctl_print_latency(stdout, cmd->id, 0, &before, cmd->json);
		return GHOSTCTL_EXIT_OK;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	for (i = 0; i < cmd->count && !stop; i++) {
		if (wait_until(t0 + cmd->interval, 0))
			break;
		ret = read_latency(cmd->id, &now);
		if (ret)
			return ret;
		t1 = now_s();
		ghost_latency_sub(&d.runnable, &now.runnable, &before.runnable);
		ghost_latency_sub(&d.placed, &now.placed, &before.placed);
		if (i && !cmd->json)
			putchar('\n');
		ghostctl_print_latency(stdout, cmd->id, t1 - t0, &d, cmd->json);
		fflush(stdout);
		before = now;
		t0 = t1;
	}
	return GHOSTCTL_EXIT_OK;
}

/* What top keeps from one sample to the next, to make rates. */
struct top_sample {
	double t;
	struct ghost_latency lat;
	pid_t agent_pid;
	unsigned long long msgs, commits, decisions;
	unsigned long long agent_ticks;	/* utime + stime, -1ULL unknown */
};

static unsigned long long kv_ull(const char *reply, const char *key)
{
	char v[32];

	if (ghost_kv_get(reply, key, v, sizeof(v)))
		return 0;
	return strtoull(v, NULL, 10);
}

/* User and system clock ticks of process @pid, or -1ULL. */
static unsigned long long proc_ticks(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1ULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields follow the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1ULL;
	return ut + st;
}

static void thread_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
	n = ghost_read_file(path, buf, len);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* The agent's counters, if it answers: rates against @prev. */
static void top_agent(struct top_frame *t, struct top_sample *s,
		      const struct top_sample *prev)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], v[16];
	double dt = s->t - prev->t;
	char *reply = NULL;

	s->agent_pid = 0;
	s->agent_ticks = -1ULL;
	if (ghost_agent_sock_path(t->id, path, sizeof(path)) ||
	    ghost_agent_request(path, "status\n", &reply, AGENT_REPLY_MAX,
				AGENT_MS) ||
	    ghost_kv_get(reply, "status", v, sizeof(v)) || strcmp(v, "ok")) {
		free(reply);
		return;
	}
	t->agent = 1;
	s->agent_pid = t->agent_pid = kv_ull(reply, "pid");
	if (ghost_kv_get(reply, "policy", t->policy, sizeof(t->policy)))
		snprintf(t->policy, sizeof(t->policy), "?");
	s->msgs = kv_ull(reply, "msgs");
	s->commits = kv_ull(reply, "commits");
	s->decisions = kv_ull(reply, "decisions");
	t->queue_depth = kv_ull(reply, "queue_depth");
	t->overflow = kv_ull(reply, "overflow");
	s->agent_ticks = proc_ticks(s->agent_pid);
	if (prev->agent_pid == s->agent_pid && dt > 0) {
		t->msgs_per_s = (s->msgs - prev->msgs) / dt;
		t->commits_per_s = (s->commits - prev->commits) / dt;
		t->decisions_per_s = (s->decisions - prev->decisions) / dt;
	} else {
		/* A new agent: its own rates of the last second. */
		t->msgs_per_s = kv_ull(reply, "msgs_per_s");
		t->commits_per_s = kv_ull(reply, "commits_per_s");
		t->decisions_per_s = kv_ull(reply, "decisions_per_s");
	}
	t->agent_cpu = -1;
	if (prev->agent_pid == s->agent_pid && dt > 0 &&
	    s->agent_ticks != -1ULL && prev->agent_ticks != -1ULL)
		t->agent_cpu = (s->agent_ticks - prev->agent_ticks) * 100.0 /
			       (dt * sysconf(_SC_CLK_TCK));
	free(reply);
}

/* Threads by state, from the status words. */
static void top_threads(struct top_frame *t, const struct ghost_enclave *e)
{
	struct ghost_status_word w;
	unsigned int i;

	for (i = 0; i < e->nr_words; i++) {
		ghost_sw_snapshot(ghost_sw_word(e, i), &w);
		if (!(w.flags & GHOST_SW_F_INUSE) ||
		    (w.flags & GHOST_SW_F_CANFREE))
			continue;
		if (w.flags & GHOST_SW_TASK_ONCPU)
			t->running++;
		else if (w.flags & GHOST_SW_TASK_RUNNABLE)
			t->runnable++;
		else
			t->blocked++;
	}
}

static void top_cpus(struct top_frame *t, const struct ghost_enclave *e,
		     const struct ghost_cpuset *cpus)
{
	const struct ghost_cpu_word *c;
	struct top_cpu *row;
	__u64 gtid;
	int cpu;

	for (cpu = ghost_cpuset_next(cpus, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(cpus, cpu + 1)) {
		c = ghost_sw_cpu(e, cpu);
		if (!c)
			continue;
		row = &t->cpu[t->nr_cpus++];
		row->cpu = cpu;
		row->agent = !!(__atomic_load_n(&c->flags, __ATOMIC_ACQUIRE) &
				GHOST_CPU_F_AGENT);
		gtid = __atomic_load_n(&c->gtid, __ATOMIC_RELAXED);
		row->tid = gtid ? GHOST_GTID_TID(gtid) : 0;
		if (row->tid)
			thread_comm(row->tid, row->comm, sizeof(row->comm));
	}
}

/* One frame over the window since @prev; @s becomes the next @prev. */
static int top_collect(unsigned int id, const struct ghost_enclave *e,
		       struct top_frame *t, struct top_sample *s,
		       const struct top_sample *prev)
{
	struct ghost_enclave_status st;
	char path[128], text[2048], v[32];
	int ret;

	memset(t, 0, sizeof(*t));
	t->id = id;
	memset(&st, 0, sizeof(st));
	ret = ghost_enclave_status(id, &st);
	if (ret)
		return ret;
	ret = read_latency(id, &s->lat);
	if (ret)
		return -ECANCELED;
	s->t = now_s();
	t->interval = s->t - prev->t;
	t->nr_tasks = st.nr_tasks;
	ghost_cpulist_format(&st.cpus, t->cpus, sizeof(t->cpus));
	snprintf(path, sizeof(path), GHOST_FS_PATH "/enclave_%u/status", id);
	if (ghost_read_file(path, text, sizeof(text)) >= 0 &&
	    !ghost_kv_get(text, "displaced", v, sizeof(v)))
		t->displaced = strtoull(v, NULL, 10);
	ghost_latency_sub(&t->runnable_wait, &s->lat.runnable,
			  &prev->lat.runnable);
	ghost_latency_sub(&t->placed_wait, &s->lat.placed, &prev->lat.placed);
	top_threads(t, e);
	top_cpus(t, e, &st.cpus);
	top_agent(t, s, prev);
	return 0;
}

static struct termios saved_tio;
static int tio_saved;

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = 0;
	fputs("\033[?25h", stdout);	/* the cursor back */
	fflush(stdout);
}

/* Keys without Enter and without echo, for 'q'. */
static void raw_keys(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio = saved_tio;
	tio.c_lflag &= ~(ICANON | ECHO);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &tio))
		tio_saved = 1;
}

int ghostctl_top(const struct ghostctl_cmd *cmd)
{
	static struct top_frame frame;
	struct top_sample prev, s;
	int screen = !cmd->json && isatty(STDOUT_FILENO);
	int keys = screen && isatty(STDIN_FILENO);
	struct ghost_enclave e;
	unsigned int n = 0;
	int ret;

	ret = ghostctl_prepare(NULL);
	if (ret)
		return ret;
	ret = ghost_enclave_observe(cmd->id, &e);
	if (ret)
		return ghostctl_fail(ret, "status", "cannot watch enclave %u",
				     cmd->id);
	memset(&prev, 0, sizeof(prev));
	ret = top_collect(cmd->id, &e, &frame, &prev, &prev);
	if (ret) {
		ghost_enclave_close(&e);
		return ret == -ECANCELED ? GHOSTCTL_EXIT_FAIL :
		       ghostctl_fail(ret, "status", "cannot watch enclave %u",
				     cmd->id);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (keys)
		raw_keys();
	if (screen) {
		/* A frame reaches the terminal whole, at the fflush(). */
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		atexit(restore_terminal);
		fputs("\033[?25l", stdout);
	}
	while (!cmd->count || n < cmd->count) {
		if (wait_until(prev.t + cmd->interval, keys))
			break;
		memset(&s, 0, sizeof(s));
		ret = top_collect(cmd->id, &e, &frame, &s, &prev);
		if (ret == -ENOENT || ret == -ENODEV) {
			ret = ghostctl_fail(-ENOENT, "status",
					    "enclave %u went away", cmd->id);
			break;
		}
		if (ret) {
			ret = ret == -ECANCELED ? GHOSTCTL_EXIT_FAIL :
			      ghostctl_fail(ret, "status",
					    "cannot watch enclave %u", cmd->id);
			break;
		}
		if (screen)
			fputs("\033[H\033[2J", stdout);
		else if (n && !cmd->json)
			putchar('\n');
		ghostctl_print_top(stdout, &frame, cmd->json);
		fflush(stdout);
		prev = s;
		n++;
	}
	if (screen)
		restore_terminal();
	ghost_enclave_close(&e);
	return ret;
}
