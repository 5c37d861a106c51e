// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-agent: the daemon that schedules the threads of one enclave with
 * a policy plugin.  See the help text below for what it does.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>

#include "agent.h"
#include "recorder.h"

#ifndef GHOST_PKG_VERSION
#define GHOST_PKG_VERSION "unknown"
#endif

#define MSG_LEN		1024

/* Exit status, as documented below. */
enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,
	EXIT_USAGE	= 2,
	EXIT_PERM	= 3,
	EXIT_MODULE	= 4,
};

static const char help_text[] =
"NAME\n"
"       ghost-agent - schedule the threads of a ghost enclave with a policy\n"
"\n"
"SYNOPSIS\n"
"       ghost-agent --cpus LIST --policy NAME|PATH [--opt KEY=VALUE]...\n"
"                   [--global-cpu N] [--idle-sleep US] [--serial-rounds]\n"
"                   [--enclave ID] [--record FILE [--record-max SIZE]]\n"
"       ghost-agent --enclave ID --policy NAME|PATH [--opt KEY=VALUE]...\n"
"                   [--global-cpu N] [--idle-sleep US] [--serial-rounds]\n"
"                   [--record FILE [--record-max SIZE]]\n"
"\n"
"DESCRIPTION\n"
"       ghost-agent creates an enclave on the CPUs of LIST (or attaches to\n"
"       enclave ID), loads a scheduling policy plugin and schedules every\n"
"       thread of the enclave with it until SIGINT or SIGTERM.  Threads\n"
"       enter the enclave with 'ghostctl task add' or 'ghostctl run'.\n"
"\n"
"       A per-CPU policy gets one agent thread on each enclave CPU; a\n"
"       centralized policy one agent thread that spins on the global CPU\n"
"       and places threads on the other CPUs.  Agent threads run SCHED_FIFO\n"
"       at the top priority, pinned to their CPU.\n"
"\n"
"       At start the agent asks the kernel to describe every thread already\n"
"       in the enclave, so it can take over an enclave from a previous\n"
"       agent: if one is running, it is asked to hand over through its\n"
"       control socket and exits; otherwise (for instance after kill -9)\n"
"       the new agent waits until each CPU is free.  An enclave whose agent\n"
"       is gone survives /sys/module/ghost/parameters/agent_grace_ms for a\n"
"       new one, then returns its threads to the normal scheduler.\n"
"\n"
"       When it is ready the agent prints one line on standard output:\n"
"           ghost-agent: ready: enclave ID, policy NAME, CPUs LIST\n"
"\n"
"       On exit it destroys the enclave if it created it (its threads go\n"
"       back to the normal scheduler); otherwise it leaves it for the next\n"
"       agent.\n"
"\n"
"OPTIONS\n"
"       --cpus LIST\n"
"              Create an enclave on these CPUs (\"0-3\", \"1,3-5\"), with the\n"
"              lowest free ID or with --enclave ID.\n"
"\n"
"       --enclave ID\n"
"              Attach to enclave ID (with --cpus: create it if it does not\n"
"              exist).\n"
"\n"
"       --policy NAME|PATH\n"
"              The policy: a path to a .so, or a NAME looked up as NAME.so\n"
"              in $GHOST_POLICY_PATH (colon-separated), then next to this\n"
"              program in ../policies and ../lib/ghost/policies.\n"
"              Shipped: fifo_per_cpu, fifo_centralized, sol, shinjuku,\n"
"              cfs, edf, biff.\n"
"\n"
"       --opt KEY=VALUE\n"
"              An option for the policy; may be repeated.  Unknown options\n"
"              are refused by the policy.\n"
"\n"
"       --global-cpu N\n"
"              The CPU of the spinning agent of a centralized policy (also\n"
"              after a hot swap to one).  Default: the first enclave CPU.\n"
"\n"
"       --idle-sleep US\n"
"              Let the agent of a centralized policy sleep once it has\n"
"              decided nothing for US microseconds (1 to 1000000) while no\n"
"              decision can be made (every runnable thread has a CPU, or\n"
"              every CPU a thread and its list asks to hear when it has\n"
"              none); the next message that needs a decision wakes it.  Its\n"
"              CPU is then free for other work (and spends no real-time\n"
"              budget), at the price of a wakeup before the next decision.\n"
"              Default: 0, it spins, as ghOSt's do.\n"
"\n"
"       --serial-rounds\n"
"              Run the rounds of a per-CPU policy one at a time, each for\n"
"              every CPU, even if the policy allows concurrent callbacks\n"
"              (local rounds, e.g. fifo_per_cpu): to compare the two, or to\n"
"              rule out a race in a policy.  Kept across hot swaps;\n"
"              implied by --record.\n"
"\n"
"       --record FILE\n"
"              Record what the policy sees and decides into FILE (created\n"
"              or truncated, mode 0600): every message and call it gets,\n"
"              the time and the other facts it reads, every commit and\n"
"              dispatch list entry it asks for and each outcome, and hot\n"
"              swaps.  'ghost-replay POLICY FILE' replays it with no\n"
"              kernel.  The file is complete once the agent has stopped.\n"
"\n"
"       --record-max SIZE\n"
"              The size FILE may reach, in bytes or with a K, M or G\n"
"              suffix (default 256M, at least 64K; 0: no limit).  When it\n"
"              is reached, recording stops there and scheduling goes on.\n"
"\n"
"       -h, --help\n"
"              Print this help and exit.\n"
"\n"
"       -V, --version\n"
"              Print the version and the ABIs spoken and exit.\n"
"\n"
"NOTES\n"
"       A centralized policy's agent spins at real-time priority: with the\n"
"       kernel's default real-time throttling (kernel.sched_rt_runtime_us\n"
"       950000) it is stopped for 50 ms of every second, during which no\n"
"       decision is made.  On a machine dedicated to ghost, set\n"
"       kernel.sched_rt_runtime_us to -1; the agent warns otherwise.\n"
"\n"
"       Per-CPU agents wait with GHOST_IOC_AGENT_WAIT, each on a queue of\n"
"       its own that gets its CPU's messages and those of the threads last\n"
"       committed to its CPU; new threads arrive on the default queue of\n"
"       the agent of the global CPU.  A message wakes one agent, which\n"
"       decides for every CPU.  The enclave's CPUs are read when the\n"
"       agent starts; restart it after changing them.\n"
"\n"
"CONTROL\n"
"       The agent serves ghostctl on /run/ghost/agent-ID.sock (root only):\n"
"       'ghostctl status ID' shows its policy, CPUs, threads, message and\n"
"       commit rates and failed commits by status; 'ghostctl policy swap ID\n"
"       NAME' replaces the policy without stopping any thread and prints\n"
"       the blackout.  Clients are served side by side; one that does not\n"
"       send its whole request within 2 s, or read its whole reply within\n"
"       5 s, is dropped.\n"
"\n"
"EXIT STATUS\n"
"       0   stopped by SIGINT or SIGTERM, or handed over to a new agent\n"
"       1   failed: the enclave, the policy or the kernel refused (the\n"
"           message says why)\n"
"       2   usage error\n"
"       3   missing privilege (CAP_SYS_NICE and CAP_SYS_ADMIN: run as root)\n"
"       4   the ghost module is missing or speaks another ABI\n"
"\n"
"EXAMPLES\n"
"       ghost-agent --cpus 0-1 --policy fifo_per_cpu\n"
"              ghOSt's per-CPU FIFO on a new enclave on CPUs 0 and 1.\n"
"\n"
"       ghost-agent --cpus 0-3 --policy fifo_centralized --opt slice_us=500\n"
"              A global FIFO decided on CPU 0 for CPUs 1-3, with 500 us\n"
"              time slices.\n"
"\n"
"       ghost-agent --enclave 1 --policy ./my_policy.so\n"
"              Take over enclave 1 from the agent running it.\n";

struct opts {
	const char *policy;
	char *popts[AGENT_MAX_OPTS + 1];
	int nr_popts;
	int have_id;
	unsigned int id;
	int have_cpus;
	struct ghost_cpuset cpus;
	int global_cpu;
	long idle_sleep_us;
	int serial_rounds;
	const char *record;
	uint64_t record_max;
};

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs(AGENT_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see '" AGENT_NAME " --help')\n", stderr);
	return EXIT_USAGE;
}

/* "SIZE", "SIZEK", "SIZEM" or "SIZEG" (powers of 1024) into *@out. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		end++;
		break;
	case 'M': case 'm':
		shift = 20;
		end++;
		break;
	case 'G': case 'g':
		shift = 30;
		end++;
		break;
	}
	if (*end || (v && v > (~0ULL >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "enclave",	required_argument, NULL, 'e' },
		{ "cpus",	required_argument, NULL, 'c' },
		{ "policy",	required_argument, NULL, 'p' },
		{ "opt",	required_argument, NULL, 'o' },
		{ "global-cpu",	required_argument, NULL, 'g' },
		{ "idle-sleep",	required_argument, NULL, 'i' },
		{ "serial-rounds", no_argument,	   NULL, 's' },
		{ "record",	required_argument, NULL, 'r' },
		{ "record-max",	required_argument, NULL, 'm' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, have_max = 0;
	char *end;
	long v;

	memset(o, 0, sizeof(*o));
	o->global_cpu = -1;
	o->record_max = REC_DEFAULT_MAX;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (ghost_enclave_id_parse(optarg, &o->id))
				return usage("invalid enclave ID '%s'", optarg);
			o->have_id = 1;
			break;
		case 'c':
			if (ghost_cpulist_parse(optarg, &o->cpus) ||
			    !ghost_cpuset_count(&o->cpus))
				return usage("invalid CPU list '%s'", optarg);
			o->have_cpus = 1;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'o':
			if (o->nr_popts == AGENT_MAX_OPTS)
				return usage("too many --opt (at most %d)",
					     AGENT_MAX_OPTS);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage("--opt takes KEY=VALUE, not '%s'",
					     optarg);
			o->popts[o->nr_popts++] = optarg;
			break;
		case 'g':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v >= GHOST_MAX_CPUS)
				return usage("invalid --global-cpu '%s'", optarg);
			o->global_cpu = v;
			break;
		case 'i':
			v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 1000000)
				return usage("invalid --idle-sleep '%s' (microseconds, 0 to 1000000)",
					     optarg);
			o->idle_sleep_us = v;
			break;
		case 's':
			o->serial_rounds = 1;
			break;
		case 'r':
			if (!*optarg)
				return usage("--record takes a FILE");
			o->record = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o->record_max) ||
			    (o->record_max && o->record_max < REC_MIN_MAX))
				return usage("invalid --record-max '%s' (bytes, or with a K, M or G suffix; at least 64K, or 0 for no limit)",
					     optarg);
			have_max = 1;
			break;
		case 'h':
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf(AGENT_NAME " %s\nABI: %d\npolicy ABI: %d\n",
			       GHOST_PKG_VERSION, GHOST_VERSION,
			       GHOST_POLICY_ABI_VERSION);
			exit(EXIT_OK);
		default:
			return usage("unknown or incomplete option '%s'",
				     argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!o->policy)
		return usage("--policy NAME|PATH is required");
	if (!o->have_id && !o->have_cpus)
		return usage("give --cpus LIST (new enclave) or --enclave ID");
	if (have_max && !o->record)
		return usage("--record-max needs --record FILE");
	return 0;
}

/* Create or find the enclave; 0 or an exit status. */
static int setup_enclave(struct rt *rt, const struct opts *o)
{
	struct ghost_enclave_status st;
	char list[GHOST_CPULIST_LEN];
	int ret;

	ghost_cpulist_format(&o->cpus, list, sizeof(list));
	if (o->have_id) {
		rt->id = o->id;
		ret = ghost_enclave_status(o->id, &st);
		if (!ret)
			return 0;
		if (ret != -ENOENT || !o->have_cpus) {
			fprintf(stderr, AGENT_NAME ": enclave %u: %s%s\n", o->id,
				strerror(-ret), ret == -ENOENT ?
				" (create it with --cpus LIST)" : "");
			return EXIT_FAIL;
		}
		ret = ghost_enclave_create(o->id, &o->cpus);
	} else {
		ret = ghost_enclave_create_any(&o->cpus, &rt->id);
	}
	if (ret) {
		fprintf(stderr, AGENT_NAME ": cannot create an enclave on CPUs %s: %s%s%s\n",
			list, strerror(-ret),
			ghost_strerror_hint(ret, "cpulist") ? ": " : "",
			ghost_strerror_hint(ret, "cpulist") ?: "");
		return ret == -EPERM ? EXIT_PERM : EXIT_FAIL;
	}
	rt->created = 1;
	return 0;
}

static int setup_cpus(struct rt *rt, const struct opts *o)
{
	int cpu;

	rt->nr_ecpus = 0;
	for (cpu = ghost_cpuset_next(&rt->enc.cpus, 0); cpu >= 0;
	     cpu = ghost_cpuset_next(&rt->enc.cpus, cpu + 1))
		rt->ecpus[rt->nr_ecpus++] = cpu;
	if (!rt->nr_ecpus) {
		fprintf(stderr, AGENT_NAME ": enclave %u has no CPUs (set them with its cpulist)\n",
			rt->id);
		return EXIT_FAIL;
	}
	rt->global_cpu = o->global_cpu >= 0 ? o->global_cpu : rt->ecpus[0];
	rt->idle_sleep_ns = o->idle_sleep_us * 1000ULL;
	/* A recording is replayed one call at a time: so it must happen. */
	rt->serial_rounds = o->serial_rounds || o->record;
	if (!ghost_cpuset_test(&rt->enc.cpus, rt->global_cpu)) {
		fprintf(stderr, AGENT_NAME ": --global-cpu %d is not a CPU of enclave %u\n",
			rt->global_cpu, rt->id);
		return EXIT_USAGE;
	}
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++)
		rt->cpu_node[cpu] = ghost_topology_node(&rt->topo, cpu);
	return 0;
}

/* Ask a running agent to hand the enclave over to us. */
static void take_over(struct rt *rt)
{
	struct ghost_enclave_status st;
	char reply[1024], val[32];
	int ret;

	if (ghost_enclave_status(rt->id, &st) || !st.agent_online)
		return;
	ret = ghost_agent_call(rt->id, "handover\n", reply, sizeof(reply),
			       2000);
	if (ret || ghost_kv_get(reply, "status", val, sizeof(val)) ||
	    strcmp(val, "ok")) {
		fprintf(stderr, AGENT_NAME ": enclave %u has an agent that does not answer on its control socket; waiting for it to exit\n",
			rt->id);
		return;
	}
	if (!ghost_kv_get(reply, "created", val, sizeof(val)) &&
	    !strcmp(val, "1"))
		rt->created = 1;
	ghost_kv_get(reply, "pid", val, sizeof(val));
	fprintf(stderr, AGENT_NAME ": taking over enclave %u from agent pid %s\n",
		rt->id, val);
}

/* Poll for a signal for up to @ms; 1 if one came. */
static int signalled(int sfd, int ms)
{
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return read(sfd, &si, sizeof(si)) == sizeof(si);
}

/* Start the agent threads of the policy's model and wait for them. */
static int start_agents(struct rt *rt, int sfd)
{
	int i, cpu, ret, model = rt->pol->ops->model;

	for (i = 0; i < rt->nr_ecpus; i++) {
		cpu = rt->ecpus[i];
		if (model == GHOST_POLICY_CENTRALIZED && cpu != rt->global_cpu)
			continue;
		ret = rt_start_agent(rt, cpu);
		if (ret) {
			fprintf(stderr, AGENT_NAME ": cannot start a thread: %s\n",
				strerror(-ret));
			return EXIT_FAIL;
		}
	}
	for (i = 0; i < rt->nr_ecpus; i++) {
		struct agent_thread *a = &rt->agents[rt->ecpus[i]];

		if (!a->started)
			continue;
		while (!atomic_load(&a->attached)) {
			if (signalled(sfd, 10)) {
				fprintf(stderr, AGENT_NAME ": interrupted while waiting for CPU %d\n",
					a->cpu);
				return EXIT_FAIL;
			}
		}
		ret = rt_wait_attached(rt, a->cpu);
		if (ret) {
			fprintf(stderr, AGENT_NAME ": cannot become the agent of CPU %d: %s%s\n",
				a->cpu, strerror(-ret), ret == -EPERM ?
				" (needs CAP_SYS_NICE)" : "");
			return ret == -EPERM ? EXIT_PERM : EXIT_FAIL;
		}
	}
	return 0;
}

/* Keep the control thread off the CPU a centralized agent spins on. */
static void place_main_thread(struct rt *rt)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	cpu = rt->global_cpu;
	if (CPU_COUNT(&set) > 1 && CPU_ISSET(cpu, &set)) {
		CPU_CLR(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

static int check_privileges(int create)
{
	char msg[MSG_LEN];
	int ret;

	ret = ghost_require_cap(GHOST_CAP_SYS_NICE, AGENT_NAME, msg,
				sizeof(msg));
	if (!ret && create)
		ret = ghost_require_cap(GHOST_CAP_SYS_ADMIN,
					"creating an enclave", msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, AGENT_NAME ": %s\n", msg);
		return ret == -EPERM ? EXIT_PERM : EXIT_FAIL;
	}
	ret = ghost_open(msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, AGENT_NAME ": %s\n", msg);
		return ret == -EPERM || ret == -EACCES ? EXIT_PERM : EXIT_MODULE;
	}
	return 0;
}

static int block_signals(void)
{
	sigset_t set;
	int sfd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	return sfd;
}

/* Serve the control socket until a signal, a failure or a hand-over. */
static int serve(struct rt *rt, int sfd)
{
	struct signalfd_siginfo si;
	uint64_t next = rt_now_ns();

	for (;;) {
		if (atomic_load(&rt->failed)) {
			fprintf(stderr, AGENT_NAME ": policy %s gave up: %s\n",
				rt->pol->ops->name, rt->fail_reason);
			return EXIT_FAIL;
		}
		if (atomic_load(&rt->handed_over))
			return EXIT_OK;
		if (atomic_load(&rt->stop)) {
			fprintf(stderr, AGENT_NAME ": enclave %u went away\n",
				rt->id);
			return EXIT_FAIL;
		}
		if (rt_now_ns() >= next) {
			control_sample(rt);
			next = rt_now_ns() + 1000000000ULL;
		}
		/* Processes gone: their hints too (tgids get reused). */
		hints_reap(rt);
		/* Clients are served in there, never for long. */
		if (control_poll(rt, sfd, 200) &&
		    read(sfd, &si, sizeof(si)) == sizeof(si))
			return EXIT_OK;
	}
}

static void shut_down(struct rt *rt, int destroy)
{
	int ret;

	/* First, so that an agent taking over can bind the socket. */
	control_close(rt);
	atomic_store(&rt->stop, 1);
	if (destroy) {
		/* Threads go straight from their CPU to the normal scheduler. */
		ret = ghost_enclave_destroy(rt->id);
		if (!ret)
			fprintf(stderr, AGENT_NAME ": enclave %u destroyed; its threads are back to the normal scheduler\n",
				rt->id);
		else if (ret != -ENOENT)
			fprintf(stderr, AGENT_NAME ": cannot destroy enclave %u: %s\n",
				rt->id, strerror(-ret));
	}
	rt_stop_agents(rt);
	if (!destroy && !atomic_load(&rt->handed_over))
		fprintf(stderr, AGENT_NAME ": left enclave %u; its threads wait for a new agent for agent_grace_ms\n",
			rt->id);
}

/* The end of --record: say where it is and how big. */
static void close_recording(struct rt *rt)
{
	uint64_t size;
	int stopped, ret;

	if (!rt->rec)
		return;
	size = rec_size(rt->rec, &stopped);
	ret = rec_close(rt->rec);
	rt->rec = NULL;
	if (ret)
		fprintf(stderr, AGENT_NAME ": cannot finish the recording %s: %s\n",
			rt->rec_path, strerror(-ret));
	else
		fprintf(stderr, AGENT_NAME ": recorded %llu bytes into %s%s\n",
			(unsigned long long)size, rt->rec_path,
			stopped ? " (stopped early)" : "");
}

static struct rt rt;

int main(int argc, char **argv)
{
	char msg[MSG_LEN];
	struct opts o;
	int ret, sfd;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	ret = check_privileges(!o.have_id || o.have_cpus);
	if (ret)
		return ret;
	/* A recording that cannot be written is refused before anything. */
	if (o.record) {
		ret = rec_open(&rt.rec, o.record, o.record_max, msg,
			       sizeof(msg));
		if (ret) {
			fprintf(stderr, AGENT_NAME ": %s\n", msg);
			return EXIT_FAIL;
		}
		rt.rec_path = o.record;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		fprintf(stderr, AGENT_NAME ": warning: cannot lock memory: %s\n",
			strerror(errno));
	sfd = block_signals();
	ghost_topology_load(&rt.topo);
	rt.policy_dirs = ghost_policy_search_path();
	/* The hand-over buffer, also used by the control socket. */
	rt.state_len = 1 << 20;
	rt.state_buf = malloc(rt.state_len);
	ret = rt_init(&rt);
	if (ret || sfd < 0) {
		fprintf(stderr, AGENT_NAME ": cannot set up: %s\n",
			strerror(ret ? -ret : errno));
		return EXIT_FAIL;
	}

	ret = setup_enclave(&rt, &o);
	if (ret)
		return ret;
	ret = ghost_enclave_open(rt.id, &rt.enc);
	if (ret) {
		fprintf(stderr, AGENT_NAME ": cannot open enclave %u: %s\n",
			rt.id, strerror(-ret));
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	ret = setup_cpus(&rt, &o);
	if (ret)
		goto out_destroy;
	if (rt.rec) {
		ret = rec_begin(rt.rec, rt.id, rt.ecpus, rt.nr_ecpus,
				rt.global_cpu, rt.cpu_node, rt.topo.nr_cpu_ids);
		if (ret) {
			ret = EXIT_FAIL;
			goto out_destroy;
		}
	}
	rt.pol = instance_load(&rt, o.policy, o.popts, o.nr_popts, msg,
			       sizeof(msg));
	if (!rt.pol) {
		fprintf(stderr, AGENT_NAME ": %s\n", msg);
		ret = EXIT_FAIL;
		goto out_destroy;
	}
	rt_install(&rt, rt.pol);
	place_main_thread(&rt);
	/* Agents park until the queue exists and discovery ran. */
	rt_pause(&rt);
	if (!rt.created)
		take_over(&rt);

	ret = start_agents(&rt, sfd);
	if (ret)
		goto out_stop;
	rt_reset_slots(&rt);
	ret = ghost_queue_create(&rt.enc, AGENT_QUEUE_ELEMS, &rt.q);
	if (ret) {
		fprintf(stderr, AGENT_NAME ": cannot create the message queue: %s\n",
			strerror(-ret));
		ret = EXIT_FAIL;
		goto out_stop;
	}
	ret = rt_discover(&rt);
	if (ret)
		fprintf(stderr, AGENT_NAME ": warning: discovery failed: %s\n",
			strerror(-ret));
	rt_apply_ticks(&rt, rt.pol->ops);
	rt_apply_dispatch(&rt, rt.pol);
	if (!ghost_dispatch_available(&rt.enc))
		fprintf(stderr, AGENT_NAME ": enclave %u: the module has no dispatch lists (%s): fast path unavailable, every decision is a commit\n",
			rt.id, strerror(-rt.enc.dl_err));
	if (rt.pol->ops->model == GHOST_POLICY_CENTRALIZED)
		rt_check_throttling();
	ret = control_open(&rt);
	if (ret)
		fprintf(stderr, AGENT_NAME ": warning: no control socket: %s\n",
			strerror(-ret));
	rt_resume(&rt);

	ghost_cpulist_format(&rt.enc.cpus, msg, sizeof(msg));
	printf(AGENT_NAME ": ready: enclave %u, policy %s, CPUs %s\n", rt.id,
	       rt.pol->ops->name, msg);
	fflush(stdout);

	ret = serve(&rt, sfd);
	shut_down(&rt, rt.created && !atomic_load(&rt.handed_over));
	instance_free(rt.pol);
	close_recording(&rt);
	ghost_queue_close(&rt.q);
	ghost_enclave_close(&rt.enc);
	rt_destroy(&rt);
	return ret;

out_stop:
	rt_stop_agents(&rt);
out_destroy:
	if (rt.created)
		ghost_enclave_destroy(rt.id);
	close_recording(&rt);
	return ret;
}
