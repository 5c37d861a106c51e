// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-sim: run a policy plugin on the kernel model of the unit tests
 * (test/unit/sim.c) with no kernel, under a synthetic workload, and check
 * invariants every step: no thread asked onto two CPUs in one round or
 * found on two, no runnable thread waiting past a bound, and on request
 * no CPU idle while allowed work waits, nice-weighted shares and a slice
 * bound.  Deterministic: the same policy, workload and seed give the same
 * run.  Exit 0 when nothing was violated, 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../test/unit/sim.h"
#include "sim_check.h"
#include "workload.h"

#define MAX_OPTS	32
#define MAX_REPORTS	20

static struct sim s;
static struct workload wl;
static struct ghost_policy_host host;
static const struct ghost_policy_host *model_host;

static struct {
	int idle;		/* work-conserving */
	int deadline;		/* earliest hinted deadline first */
	int shares;
	double tolerance;
	__u64 slice_ns;
	__u64 starve_ns;
	int idle_grace;		/* steps a CPU may idle with work waiting */
} chk = { .tolerance = 0.10, .starve_ns = 1000000000ULL, .idle_grace = 2 };

static int violations;
static unsigned long commits;

/* Per thread of the workload. */
static struct {
	const struct wl_class *cls;
	int idx;		/* in s.t[], or -1 before it starts */
	__u64 burst_start;	/* sim_ran_ns() when its burst began */
	__u64 wake_at;		/* blocked: when it wakes */
	__u64 waiting_since;	/* runnable, not running: since */
	int starved;		/* reported */
	__u64 ran_before;	/* of shares: sim_ran_ns() after warm-up */
} th[SIM_MAX_THREADS];

static int idle_steps[SIM_MAX_CPUS];
static int late_steps[SIM_MAX_CPUS];
static __u64 rng;

/* Round and gtids asked to run in it, to find one asked twice. */
static unsigned int asked_round;
static __u64 asked[SIM_MAX_CPUS];
static int nr_asked;

static void violation(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (violations++ >= MAX_REPORTS)
		return;
	printf("violation at %.3f ms: ", (s.now - 1000000000ULL) / 1e6);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void sim_check_failed(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("violation at %.3f ms: the kernel model refused the run (%s:%d: %s %s)\n",
	       (s.now - 1000000000ULL) / 1e6, file, line, expr, why);
	printf("summary: stopped, %d violation(s) before\n", violations);
	exit(1);
}

/* xorshift64*: the same stream for the same seed. */
static unsigned int rnd(unsigned int n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned int)((rng * 2685821657736338717ULL) >> 33) % n;
}

/* The policy asks for @gtid on @cpu: never on two CPUs in one round. */
static int checked_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		       __u32 barrier)
{
	int i;

	if (asked_round != s.round) {
		asked_round = s.round;
		nr_asked = 0;
	}
	if (gtid != GHOST_NULL_GTID) {
		for (i = 0; i < nr_asked; i++) {
			if (asked[i] == gtid)
				violation("thread %llx asked to run on two CPUs in one round (again on CPU %d)",
					  (unsigned long long)gtid, cpu);
		}
		if (nr_asked < SIM_MAX_CPUS)
			asked[nr_asked++] = gtid;
	}
	return model_host->run(ctx, cpu, gtid, barrier);
}

static int allowed(const struct wl_class *c, int cpu)
{
	return !c->allowed || (c->allowed & (1U << cpu));
}

/* A CPU threads may run on: in the enclave, not the agent's. */
static int thread_cpu(int cpu)
{
	return !(s.ops->model == GHOST_POLICY_CENTRALIZED &&
		 cpu == wl.global_cpu);
}

/* A new deadline for thread @k's work, from now: it just became runnable. */
static void set_deadline(int k)
{
	if (th[k].cls->deadline_ns)
		s.hint[th[k].idx].deadline_ns = s.now + th[k].cls->deadline_ns;
}

/* The deadline thread @i published, or 0. */
static __u64 deadline_of(int i)
{
	return s.has_hint[i] ? s.hint[i].deadline_ns : 0;
}

/*
 * Earliest deadline first: no thread with a hinted deadline runs on a CPU
 * for more than the grace steps while one with an earlier deadline that
 * may run there waits.  Threads without a deadline are not compared.
 */
static void check_deadlines(void)
{
	int cpu, k, i, r, late;
	__u64 dr, d;

	for (cpu = 0; cpu < wl.cpus; cpu++) {
		r = s.cur[cpu];
		dr = r >= 0 ? deadline_of(r) : 0;
		late = -1;
		for (k = 0; k < wl.nr_threads && dr; k++) {
			i = th[k].idx;
			if (i < 0 || s.t[i].state != SIM_RUNNABLE ||
			    !allowed(th[k].cls, cpu))
				continue;
			d = deadline_of(i);
			if (d && d < dr && (late < 0 || d < deadline_of(late)))
				late = i;
		}
		if (late < 0) {
			late_steps[cpu] = 0;
		} else if (++late_steps[cpu] == chk.idle_grace + 1) {
			violation("thread %d (deadline %+.3f ms) runs on CPU %d while thread %d with an earlier deadline (%+.3f ms) waits",
				  r, ((double)dr - s.now) / 1e6, cpu, late,
				  ((double)deadline_of(late) - s.now) / 1e6);
		}
	}
}

/* Threads start, burst, block, wake, yield and exit as their class says. */
static void drive(void)
{
	const struct wl_class *c;
	__u64 t = s.now - 1000000000ULL;
	int k, i;

	for (k = 0; k < wl.nr_threads; k++) {
		c = th[k].cls;
		i = th[k].idx;
		if (i < 0) {
			if (t < c->start_ns)
				continue;
			i = th[k].idx = c->allowed ?
				sim_new_allowed(&s, 1, c->allowed) :
				sim_new_nice(&s, 1, c->nice);
			if (c->allowed && c->nice)
				sim_set_nice(&s, i, c->nice);
			if (c->qos >= 0 || c->deadline_ns)
				sim_set_hint(&s, i, c->qos >= 0 ? c->qos :
					     GHOST_HINT_QOS_DEFAULT,
					     GHOST_HINT_F_RUNNABLE);
			set_deadline(k);
			th[k].waiting_since = s.now;
			continue;
		}
		if (s.t[i].state == SIM_GONE)
			continue;
		if (c->exit_ns && t >= c->start_ns + c->exit_ns) {
			sim_exit(&s, i);
			continue;
		}
		if (s.t[i].state == SIM_BLOCKED && s.now >= th[k].wake_at) {
			th[k].burst_start = sim_ran_ns(&s, i);
			th[k].waiting_since = s.now;
			set_deadline(k);
			sim_wakeup(&s, i);
		} else if (s.t[i].state == SIM_RUNNING) {
			if (c->run_ns &&
			    sim_ran_ns(&s, i) - th[k].burst_start >= c->run_ns) {
				/* Half to one and a half the mean: seeded. */
				th[k].wake_at = s.now + c->sleep_ns / 2 +
					(c->sleep_ns ? rnd(c->sleep_ns) : 0);
				sim_block(&s, i);
			} else if (c->yield_pct && rnd(100) < (unsigned)c->yield_pct) {
				th[k].waiting_since = s.now;
				sim_yield(&s, i);
			}
		}
	}
}

/* A thread that waits for a CPU, or -1. */
static int first_waiting(void)
{
	int k;

	for (k = 0; k < wl.nr_threads; k++) {
		if (th[k].idx >= 0 && s.t[th[k].idx].state == SIM_RUNNABLE)
			return th[k].idx;
	}
	return -1;
}

/* Running thread @i has held its CPU past the slice while another waits. */
static void check_slice(int i)
{
	__u64 held = s.now - s.t[i].x.on_since;
	int w;

	if (!chk.slice_ns || !s.t[i].x.on_since || held <= chk.slice_ns)
		return;
	w = first_waiting();
	if (w >= 0)
		violation("thread %d ran %llu us past its slice while thread %d waited",
			  i, (unsigned long long)(held - chk.slice_ns) / 1000,
			  w);
}

static void check_step(void)
{
	int k, i, cpu, other, waiting;

	for (cpu = 0; cpu < wl.cpus; cpu++) {
		for (other = cpu + 1; other < wl.cpus; other++) {
			if (s.cur[cpu] >= 0 && s.cur[cpu] == s.cur[other])
				violation("thread %d on CPUs %d and %d",
					  s.cur[cpu], cpu, other);
		}
	}
	for (k = 0; k < wl.nr_threads; k++) {
		i = th[k].idx;
		if (i >= 0 && s.t[i].state == SIM_RUNNING) {
			th[k].waiting_since = s.now;
			check_slice(i);
		}
		if (i < 0 || s.t[i].state != SIM_RUNNABLE || th[k].starved ||
		    s.now - th[k].waiting_since <= chk.starve_ns)
			continue;
		th[k].starved = 1;
		violation("thread %d runnable for %llu ms without running", i,
			  (unsigned long long)(s.now - th[k].waiting_since) /
			  1000000);
	}
	if (chk.deadline)
		check_deadlines();
	if (!chk.idle)
		return;
	for (cpu = 0; cpu < wl.cpus; cpu++) {
		if (!thread_cpu(cpu) || s.cur[cpu] >= 0) {
			idle_steps[cpu] = 0;
			continue;
		}
		for (waiting = -1, k = 0; k < wl.nr_threads && waiting < 0; k++) {
			i = th[k].idx;
			if (i >= 0 && s.t[i].state == SIM_RUNNABLE &&
			    allowed(th[k].cls, cpu))
				waiting = i;
		}
		if (waiting < 0) {
			idle_steps[cpu] = 0;
		} else if (++idle_steps[cpu] == chk.idle_grace + 1) {
			violation("CPU %d idle for %d steps while thread %d may run there",
				  cpu, idle_steps[cpu], waiting);
		}
	}
}

/* Of threads that never block, exit or wait for a CPU they may not use. */
static void check_shares(void)
{
	static const __u32 w[40] = {
		88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705,
		14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501,
		1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215,
		172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
	};
	double total = 0, wsum = 0, want, got;
	int k, n = 0;

	for (k = 0; k < wl.nr_threads; k++) {
		if (th[k].cls->run_ns || th[k].cls->exit_ns || th[k].idx < 0)
			continue;
		total += sim_ran_ns(&s, th[k].idx) - th[k].ran_before;
		wsum += w[th[k].cls->nice + 20];
		n++;
	}
	if (n < 2 || total <= 0)
		return;
	for (k = 0; k < wl.nr_threads; k++) {
		if (th[k].cls->run_ns || th[k].cls->exit_ns || th[k].idx < 0)
			continue;
		want = w[th[k].cls->nice + 20] / wsum;
		got = (sim_ran_ns(&s, th[k].idx) - th[k].ran_before) / total;
		if (got < want * (1 - chk.tolerance) ||
		    got > want * (1 + chk.tolerance))
			violation("thread %d (nice %d) got %.1f%% of the CPU time, its weight says %.1f%%",
				  th[k].idx, th[k].cls->nice, got * 100, want * 100);
	}
}

static int parse_check(const char *arg)
{
	char *end;

	if (!strcmp(arg, "idle")) {
		chk.idle = 1;
	} else if (!strcmp(arg, "deadline")) {
		chk.deadline = 1;
	} else if (!strcmp(arg, "shares")) {
		chk.shares = 1;
	} else if (!strncmp(arg, "shares=", 7)) {
		chk.shares = 1;
		errno = 0;
		chk.tolerance = strtod(arg + 7, &end);
		if (errno || *end || end == arg + 7 || !(chk.tolerance > 0) ||
		    chk.tolerance >= 1)
			return -1;
	} else if (!strncmp(arg, "slice=", 6) || !strncmp(arg, "starve=", 7)) {
		const char *v = strchr(arg, '=') + 1;
		unsigned long long n;

		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || *end || end == v || *v == '-' || !n ||
		    n > 3600000000ULL)
			return -1;
		if (arg[1] == 'l')
			chk.slice_ns = n * 1000;
		else
			chk.starve_ns = n * 1000;
	} else {
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: ghost-sim [--opt KEY=VALUE]... [--check CHECK]... [--seed N]\n"
	      "                 [--describe] POLICY.so WORKLOAD\n"
	      "Run the policy plugin POLICY.so (a path) with no kernel, on a simulated\n"
	      "machine, under the synthetic WORKLOAD (a text file: see ghost-sim(1)), and\n"
	      "check invariants.  Always checked: no thread asked onto two CPUs in one\n"
	      "round or found on two, no runnable thread waiting past the starvation bound.\n"
	      "  --opt KEY=VALUE   a policy option, as ghost-agent --opt\n"
	      "  --check idle      work conserving: no CPU idle for more than two steps\n"
	      "                    while a runnable thread may run there\n"
	      "  --check shares[=TOL]  threads that never block get CPU time in the ratio\n"
	      "                    of their nice weights, within TOL (0.10)\n"
	      "  --check slice=US  no thread runs more than US past a slice while\n"
	      "                    another waits\n"
	      "  --check starve=US the starvation bound (1000000)\n"
	      "  --check deadline  earliest deadline first: no thread runs more than two\n"
	      "                    steps while one with an earlier hinted deadline that\n"
	      "                    may run on its CPU waits\n"
	      "  --seed N          overrides the workload's seed\n"
	      "  --describe        print the policy's describe() of every thread at the end\n"
	      "Exit status: 0 no violation, 1 violations (each printed), 2 bad usage.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "opt", required_argument, NULL, 'o' },
		{ "check", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "describe", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opts[MAX_OPTS + 1] = { NULL };
	int nr_opts = 0, describe = 0, c, k, n, ret;
	unsigned long long seed = 0;
	int have_seed = 0;
	struct ghost_policy_lib lib;
	__u64 end, warm;
	char msg[512], *e;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (nr_opts == MAX_OPTS || !strchr(optarg, '=')) {
				fprintf(stderr, "ghost-sim: bad --opt '%s' (KEY=VALUE, at most %d)\n",
					optarg, MAX_OPTS);
				return 2;
			}
			opts[nr_opts++] = optarg;
			break;
		case 'c':
			if (parse_check(optarg)) {
				fprintf(stderr, "ghost-sim: bad --check '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &e, 0);
			if (errno || *e || e == optarg || *optarg == '-') {
				fprintf(stderr, "ghost-sim: bad --seed '%s'\n", optarg);
				return 2;
			}
			have_seed = 1;
			break;
		case 'd':
			describe = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (!strchr(argv[optind], '/')) {
		fprintf(stderr, "ghost-sim: POLICY.so must be a path (e.g. ./%s)\n",
			argv[optind]);
		return 2;
	}
	if (workload_read(argv[optind + 1], &wl))
		return 2;
	if (have_seed)
		wl.seed = seed;
	rng = wl.seed * 2 + 1;

	/* A plugin that cannot be loaded is bad usage, not a violation. */
	if (ghost_policy_open(argv[optind], NULL, &lib, msg, sizeof(msg))) {
		fprintf(stderr, "ghost-sim: %s\n", msg);
		return 2;
	}
	ghost_policy_close(&lib);
	ret = sim_init(&s, argv[optind], wl.cpus, wl.global_cpu, opts);
	if (ret) {
		fprintf(stderr, "ghost-sim: the policy's init failed: %s\n",
			strerror(-ret));
		sim_fini(&s);
		return 2;
	}
	model_host = s.ctx.host;
	host = *model_host;
	host.run = checked_run;
	s.ctx.host = &host;

	for (k = 0, n = 0; k < wl.nr_cls; k++) {
		for (c = 0; c < wl.cls[k].count; c++, n++) {
			th[n].cls = &wl.cls[k];
			th[n].idx = -1;
		}
	}
	end = s.now + wl.duration_ns;
	warm = s.now + wl.duration_ns / 10;
	while (s.now < end) {
		drive();
		sim_run_for(&s, wl.step_ns, wl.step_ns);
		/* The model logs commits for tests: keep only a count. */
		commits += s.nr_log;
		s.nr_log = 0;
		check_step();
		if (s.now >= warm && warm) {
			for (k = 0; k < wl.nr_threads; k++)
				th[k].ran_before = th[k].idx >= 0 ?
					sim_ran_ns(&s, th[k].idx) : 0;
			warm = 0;
		}
	}
	if (s.global_violations)
		violation("%d thread(s) asked onto the agent's CPU",
			  s.global_violations);
	if (s.x.affinity_runs)
		violation("%d thread(s) placed on a CPU they may not run on",
			  s.x.affinity_runs);
	if (s.double_decisions)
		violation("%d commit(s) of a thread already in a dispatch list",
			  s.double_decisions);
	if (s.failed)
		violation("the policy reported an error: %s", s.last_log);
	if (chk.shares)
		check_shares();
	if (describe) {
		for (k = 0; k < wl.nr_threads; k++) {
			if (th[k].idx < 0)
				continue;
			printf("thread %d %s\n", th[k].idx, s.ops->describe ?
			       sim_describe(&s, th[k].idx) : "?");
		}
	}
	printf("summary: policy %s, %d CPUs, %d threads, %.0f ms, %u rounds, %lu commits, %d violation(s)\n",
	       s.ops->name, wl.cpus, wl.nr_threads, wl.duration_ns / 1e6,
	       s.round, commits + s.nr_log, violations);
	sim_fini(&s);
	return violations ? 1 : 0;
}
