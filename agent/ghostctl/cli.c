// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: turning the command line into a struct ghostctl_cmd.
 *
 * Options may appear anywhere, before or after the command words, as
 * "--opt value" or "--opt=value".  Nothing here touches the system.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_WORDS	(4 + GHOSTCTL_MAX_TIDS)

/* The command line split into words and options. */
struct args {
	const char *words[MAX_WORDS];
	int nr_words;
	int help, version, all, threads, rediscover, total;
	const char *cpus, *id, *timeout, *ticks, *interval, *count;
	const char *opts[GHOSTCTL_MAX_OPTS];	/* --opt, repeatable */
	int nr_opts;
	char *const *rest;	/* run: what follows "--" */
};

/* Options that take a value, and where in struct args it goes. */
static const struct value_opt {
	const char *name;
	size_t off;
} value_opts[] = {
	{ "--cpus",		offsetof(struct args, cpus) },
	{ "--id",		offsetof(struct args, id) },
	{ "--runnable-timeout",	offsetof(struct args, timeout) },
	{ "--deliver-ticks",	offsetof(struct args, ticks) },
	{ "--interval",		offsetof(struct args, interval) },
	{ "--count",		offsetof(struct args, count) },
};

static int usage(struct ghostctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage(struct ghostctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd->err, sizeof(cmd->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "-1" is an (invalid) id rather than an option. */
static int is_option(const char *a)
{
	return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

/* Match @a against a value option; 1 if it is one (value stored). */
static int value_option(struct ghostctl_cmd *cmd, struct args *args,
			char *const argv[], int argc, int *i)
{
	const char *a = argv[*i], *val;
	const char **slot;
	size_t k, n;

	for (k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++) {
		n = strlen(value_opts[k].name);
		if (strncmp(a, value_opts[k].name, n) ||
		    (a[n] && a[n] != '='))
			continue;
		if (a[n] == '=') {
			val = a + n + 1;
		} else if (*i + 1 < argc) {
			val = argv[++*i];
		} else {
			return usage(cmd, "option %s needs a value",
				     value_opts[k].name);
		}
		slot = (const char **)((char *)args + value_opts[k].off);
		if (*slot)
			return usage(cmd, "option %s given twice",
				     value_opts[k].name);
		*slot = val;
		return 1;
	}
	return 0;
}

static int flag_option(struct args *args, struct ghostctl_cmd *cmd,
		       const char *a)
{
	if (!strcmp(a, "--json"))
		cmd->json = 1;
	else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
		args->help = 1;
	else if (!strcmp(a, "-V") || !strcmp(a, "--version"))
		args->version = 1;
	else if (!strcmp(a, "--all"))
		args->all = 1;
	else if (!strcmp(a, "--threads"))
		args->threads = 1;
	else if (!strcmp(a, "--rediscover"))
		args->rediscover = 1;
	else if (!strcmp(a, "--total"))
		args->total = 1;
	else
		return 0;
	return 1;
}

/* --opt KEY=VALUE (policy swap), which may be repeated. */
static int opt_option(struct args *args, struct ghostctl_cmd *cmd,
		      char *const argv[], int argc, int *i)
{
	const char *a = argv[*i], *val;

	if (strncmp(a, "--opt", 5) || (a[5] && a[5] != '='))
		return 0;
	if (a[5] == '=')
		val = a + 6;
	else if (*i + 1 < argc)
		val = argv[++*i];
	else
		return usage(cmd, "option --opt needs a value");
	if (!strchr(val, '=') || val[0] == '=')
		return usage(cmd, "option --opt takes KEY=VALUE, not '%s'", val);
	if (args->nr_opts == GHOSTCTL_MAX_OPTS)
		return usage(cmd, "too many --opt (at most %d)",
			     GHOSTCTL_MAX_OPTS);
	args->opts[args->nr_opts++] = val;
	return 1;
}

static int split_args(int argc, char *const argv[], struct args *args,
		      struct ghostctl_cmd *cmd)
{
	int i, ret, dashdash = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || !is_option(a)) {
			if (args->nr_words == MAX_WORDS)
				return usage(cmd, "unexpected argument '%s'", a);
			args->words[args->nr_words++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			/* run: the rest is the command, options and all. */
			if (args->nr_words && !strcmp(args->words[0], "run")) {
				args->rest = &argv[i + 1];
				return 0;
			}
			dashdash = 1;
			continue;
		}
		if (flag_option(args, cmd, a))
			continue;
		ret = opt_option(args, cmd, argv, argc, &i);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		ret = value_option(cmd, args, argv, argc, &i);
		if (ret < 0)
			return ret;
		if (!ret)
			return usage(cmd, "unknown option '%s' (see 'ghostctl --help')",
				     a);
	}
	return 0;
}

static int parse_id(struct ghostctl_cmd *cmd, const char *s)
{
	if (ghost_enclave_id_parse(s, &cmd->id))
		return usage(cmd, "invalid enclave ID '%s': expected a number from 1 to %u",
			     s, GHOST_MAX_ENCLAVE_ID);
	cmd->have_id = 1;
	return 0;
}

static int parse_cpus(struct ghostctl_cmd *cmd, const char *s)
{
	int ret = ghost_cpulist_parse(s, &cmd->cpus);

	if (ret == -ERANGE)
		return usage(cmd, "invalid CPU list '%s': CPU numbers must be below %d",
			     s, GHOST_MAX_CPUS);
	if (ret)
		return usage(cmd, "invalid CPU list '%s': expected CPUs and ranges such as 0-3,6",
			     s);
	if (!ghost_cpuset_count(&cmd->cpus))
		return usage(cmd, "empty CPU list: give at least one CPU, such as --cpus 0-1");
	return 0;
}

/* A decimal in 0 .. @max, or -EINVAL. */
static int parse_number(const char *s, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_tunables(struct ghostctl_cmd *cmd, const struct args *args)
{
	if (args->timeout) {
		if (parse_number(args->timeout, GHOST_RUNNABLE_TIMEOUT_MAX_MS,
				 &cmd->runnable_timeout_ms))
			return usage(cmd, "invalid --runnable-timeout '%s': expected milliseconds from 0 (off) to %u",
				     args->timeout,
				     (unsigned int)GHOST_RUNNABLE_TIMEOUT_MAX_MS);
		cmd->set |= GHOSTCTL_SET_TIMEOUT;
	}
	if (args->ticks) {
		if (parse_number(args->ticks, 1, &cmd->deliver_ticks))
			return usage(cmd, "invalid --deliver-ticks '%s': expected 0 or 1",
				     args->ticks);
		cmd->set |= GHOSTCTL_SET_TICKS;
	}
	if (!cmd->set)
		return usage(cmd, "'enclave set' needs --runnable-timeout MS or --deliver-ticks 0|1");
	return 0;
}

/* Options only some commands take: refuse them elsewhere. */
static int check_options(struct ghostctl_cmd *cmd, const struct args *args)
{
	enum ghostctl_action a = cmd->action;

	if ((args->cpus || args->id) && a != GHOSTCTL_CREATE)
		return usage(cmd, "option %s is only valid with 'enclave create'",
			     args->cpus ? "--cpus" : "--id");
	if (args->all && a != GHOSTCTL_DESTROY)
		return usage(cmd, "option --all is only valid with 'enclave destroy'");
	if ((args->timeout || args->ticks) && a != GHOSTCTL_SET)
		return usage(cmd, "option %s is only valid with 'enclave set'",
			     args->timeout ? "--runnable-timeout" :
			     "--deliver-ticks");
	if (args->threads && a != GHOSTCTL_STATUS)
		return usage(cmd, "option --threads is only valid with 'status'");
	cmd->threads = args->threads;
	if (args->rediscover && a != GHOSTCTL_POLICY_SWAP)
		return usage(cmd, "option --rediscover is only valid with 'policy swap'");
	cmd->rediscover = args->rediscover;
	if (args->nr_opts && a != GHOSTCTL_POLICY_SWAP)
		return usage(cmd, "option --opt is only valid with 'policy swap'");
	if ((args->interval || args->count) && a != GHOSTCTL_LATENCY &&
	    a != GHOSTCTL_TOP)
		return usage(cmd, "option %s is only valid with 'latency' or 'top'",
			     args->interval ? "--interval" : "--count");
	if (args->total && a != GHOSTCTL_LATENCY)
		return usage(cmd, "option --total is only valid with 'latency'");
	return 0;
}

/* Words after "enclave <sub>": how many the subcommand takes. */
static int want_words(struct ghostctl_cmd *cmd, const struct args *args,
		      int n)
{
	int have = args->nr_words - 2;

	if (have > n)
		return usage(cmd, "unexpected argument '%s' for 'enclave %s'",
			     args->words[2 + n], args->words[1]);
	if (have < n)
		return usage(cmd, "missing enclave ID for 'enclave %s' (see 'ghostctl enclave --help')",
			     args->words[1]);
	return 0;
}

static int parse_create(struct ghostctl_cmd *cmd, const struct args *args)
{
	int ret;

	cmd->action = GHOSTCTL_CREATE;
	ret = want_words(cmd, args, 0);
	if (ret)
		return ret;
	if (!args->cpus)
		return usage(cmd, "'enclave create' needs --cpus LIST, such as --cpus 0-1");
	ret = parse_cpus(cmd, args->cpus);
	if (ret)
		return ret;
	return args->id ? parse_id(cmd, args->id) : 0;
}

static int parse_destroy(struct ghostctl_cmd *cmd, const struct args *args)
{
	cmd->action = GHOSTCTL_DESTROY;
	if (args->all) {
		cmd->all = 1;
		if (args->nr_words > 2)
			return usage(cmd, "'enclave destroy' takes an ID or --all, not both");
		return 0;
	}
	if (args->nr_words == 2)
		return usage(cmd, "'enclave destroy' needs an enclave ID or --all");
	return want_words(cmd, args, 1) ?: parse_id(cmd, args->words[2]);
}

static int parse_enclave(struct ghostctl_cmd *cmd, const struct args *args)
{
	const char *sub = args->words[1];

	if (args->help) {
		cmd->action = GHOSTCTL_ENCLAVE_HELP;
		return 0;
	}
	if (!sub)
		return usage(cmd, "missing enclave command: create, list, show, set or destroy");
	if (!strcmp(sub, "create"))
		return parse_create(cmd, args);
	if (!strcmp(sub, "destroy"))
		return parse_destroy(cmd, args);
	if (!strcmp(sub, "list")) {
		cmd->action = GHOSTCTL_LIST;
		return want_words(cmd, args, 0);
	}
	if (!strcmp(sub, "show")) {
		cmd->action = GHOSTCTL_SHOW;
		return want_words(cmd, args, 1) ?: parse_id(cmd, args->words[2]);
	}
	if (!strcmp(sub, "set")) {
		cmd->action = GHOSTCTL_SET;
		return want_words(cmd, args, 1) ?:
		       parse_id(cmd, args->words[2]) ?:
		       parse_tunables(cmd, args);
	}
	return usage(cmd, "unknown enclave command '%s': expected create, list, show, set or destroy",
		     sub);
}

/* A PID or TID: a decimal from 1 to 2^31 - 1. */
static int parse_tid(struct ghostctl_cmd *cmd, const char *s)
{
	unsigned int v;

	if (ghost_enclave_id_parse(s, &v))
		return usage(cmd, "invalid PID/TID '%s': expected a number from 1 to %u",
			     s, GHOST_MAX_ENCLAVE_ID);
	if (cmd->nr_tids == GHOSTCTL_MAX_TIDS)
		return usage(cmd, "too many PIDs/TIDs (at most %d at once)",
			     GHOSTCTL_MAX_TIDS);
	cmd->tids[cmd->nr_tids++] = v;
	return 0;
}

/* "task add|remove ID PID...", "task list ID" */
static int parse_task(struct ghostctl_cmd *cmd, const struct args *args)
{
	const char *sub = args->words[1];
	int i, ret;

	if (args->help) {
		cmd->action = GHOSTCTL_TOPIC_HELP;
		cmd->help = ghostctl_task_help;
		return 0;
	}
	if (!sub)
		return usage(cmd, "missing task command: add, remove or list");
	if (!strcmp(sub, "list")) {
		cmd->action = GHOSTCTL_TASK_LIST;
		if (args->nr_words < 3)
			return usage(cmd, "missing enclave ID for 'task list'");
		if (args->nr_words > 3)
			return usage(cmd, "unexpected argument '%s' for 'task list'",
				     args->words[3]);
		return parse_id(cmd, args->words[2]);
	}
	if (!strcmp(sub, "add"))
		cmd->action = GHOSTCTL_TASK_ADD;
	else if (!strcmp(sub, "remove"))
		cmd->action = GHOSTCTL_TASK_REMOVE;
	else
		return usage(cmd, "unknown task command '%s': expected add, remove or list",
			     sub);
	if (args->nr_words < 3)
		return usage(cmd, "missing enclave ID for 'task %s' (see 'ghostctl task --help')",
			     sub);
	ret = parse_id(cmd, args->words[2]);
	if (ret)
		return ret;
	if (args->nr_words < 4)
		return usage(cmd, "'task %s' needs at least one PID or TID", sub);
	for (i = 3; i < args->nr_words; i++) {
		ret = parse_tid(cmd, args->words[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* "run ID -- CMD [ARG...]" */
static int parse_run(struct ghostctl_cmd *cmd, const struct args *args)
{
	int ret;

	if (args->help) {
		cmd->action = GHOSTCTL_TOPIC_HELP;
		cmd->help = ghostctl_run_help;
		return 0;
	}
	cmd->action = GHOSTCTL_RUN;
	if (args->nr_words < 2)
		return usage(cmd, "missing enclave ID for 'run' (see 'ghostctl run --help')");
	if (args->nr_words > 2)
		return usage(cmd, "unexpected argument '%s' for 'run': put the command after '--'",
			     args->words[2]);
	ret = parse_id(cmd, args->words[1]);
	if (ret)
		return ret;
	if (!args->rest || !args->rest[0])
		return usage(cmd, "'run' needs a command after '--', such as: ghostctl run %u -- ./app",
			     cmd->id);
	cmd->run_argv = args->rest;
	return 0;
}

/* "policy swap ID NAME|PATH [--opt K=V]..." */
static int parse_policy(struct ghostctl_cmd *cmd, const struct args *args)
{
	const char *sub = args->words[1];
	int i, ret;

	if (args->help) {
		cmd->action = GHOSTCTL_TOPIC_HELP;
		cmd->help = ghostctl_policy_help;
		return 0;
	}
	if (!sub)
		return usage(cmd, "missing policy command: swap");
	if (strcmp(sub, "swap"))
		return usage(cmd, "unknown policy command '%s': expected swap",
			     sub);
	cmd->action = GHOSTCTL_POLICY_SWAP;
	if (args->nr_words < 4)
		return usage(cmd, "'policy swap' needs an enclave ID and a policy NAME or PATH");
	if (args->nr_words > 4)
		return usage(cmd, "unexpected argument '%s' for 'policy swap'",
			     args->words[4]);
	ret = parse_id(cmd, args->words[2]);
	if (ret)
		return ret;
	cmd->policy = args->words[3];
	if (!*cmd->policy)
		return usage(cmd, "empty policy name");
	for (i = 0; i < args->nr_opts; i++)
		cmd->opts[i] = args->opts[i];
	cmd->nr_opts = args->nr_opts;
	cmd->opts[cmd->nr_opts] = NULL;
	return 0;
}

static int parse_status(struct ghostctl_cmd *cmd, const struct args *args)
{
	if (args->help) {
		cmd->action = GHOSTCTL_TOPIC_HELP;
		cmd->help = ghostctl_status_help;
		return 0;
	}
	cmd->action = GHOSTCTL_STATUS;
	if (args->nr_words < 2)
		return usage(cmd, "missing enclave ID for 'status'");
	if (args->nr_words > 2)
		return usage(cmd, "unexpected argument '%s' for 'status'",
			     args->words[2]);
	return parse_id(cmd, args->words[1]);
}

/* Seconds, as a decimal with an optional fraction: 0.1 to 3600. */
static int parse_interval(struct ghostctl_cmd *cmd, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = (*s >= '0' && *s <= '9') || *s == '.' ? strtod(s, &end) : -1;
	if (v < 0 || errno || *end || !(v >= 0.1 && v <= 3600))
		return usage(cmd, "invalid --interval '%s': expected seconds from 0.1 to 3600, such as 0.5",
			     s);
	cmd->interval = v;
	return 0;
}

/*
 * "latency ID [--interval S] [--count N] [--total]" and
 * "top ID [--interval S] [--count N]": windows of S seconds, N of them.
 */
static int parse_watch(struct ghostctl_cmd *cmd, const struct args *args,
		       enum ghostctl_action action, const char *help)
{
	const char *name = args->words[0];
	int ret;

	if (args->help) {
		cmd->action = GHOSTCTL_TOPIC_HELP;
		cmd->help = help;
		return 0;
	}
	cmd->action = action;
	if (args->nr_words < 2)
		return usage(cmd, "missing enclave ID for '%s' (see 'ghostctl %s --help')",
			     name, name);
	if (args->nr_words > 2)
		return usage(cmd, "unexpected argument '%s' for '%s'",
			     args->words[2], name);
	ret = parse_id(cmd, args->words[1]);
	if (ret)
		return ret;
	cmd->interval = action == GHOSTCTL_TOP ? 1.0 : 5.0;
	cmd->count = action == GHOSTCTL_TOP ? 0 : 1;
	cmd->total = args->total;
	if (args->total && (args->interval || args->count))
		return usage(cmd, "'latency --total' reads the counts since the enclave was created: it takes no --interval or --count");
	if (args->interval) {
		ret = parse_interval(cmd, args->interval);
		if (ret)
			return ret;
	}
	if (args->count && (parse_number(args->count, 1000000, &cmd->count) ||
			    !cmd->count))
		return usage(cmd, "invalid --count '%s': expected a number from 1 to 1000000",
			     args->count);
	return 0;
}

/* "help [TOPIC]" */
static int parse_help(struct ghostctl_cmd *cmd, const struct args *args)
{
	static const struct {
		const char *topic;
		const char *text;
	} topics[] = {
		{ "task",	ghostctl_task_help },
		{ "run",	ghostctl_run_help },
		{ "policy",	ghostctl_policy_help },
		{ "status",	ghostctl_status_help },
		{ "latency",	ghostctl_latency_help },
		{ "top",	ghostctl_top_help },
	};
	size_t i;

	cmd->action = GHOSTCTL_HELP;
	if (args->nr_words == 1)
		return 0;
	if (args->nr_words == 2 && !strcmp(args->words[1], "enclave")) {
		cmd->action = GHOSTCTL_ENCLAVE_HELP;
		return 0;
	}
	for (i = 0; args->nr_words == 2 && i < sizeof(topics) / sizeof(topics[0]);
	     i++) {
		if (!strcmp(args->words[1], topics[i].topic)) {
			cmd->action = GHOSTCTL_TOPIC_HELP;
			cmd->help = topics[i].text;
			return 0;
		}
	}
	return usage(cmd, "no help on '%s'", args->words[1]);
}

static int parse_words(struct ghostctl_cmd *cmd, const struct args *args)
{
	const char *word = args->words[0];

	if (!word) {
		if (args->help) {
			cmd->action = GHOSTCTL_HELP;
			return 0;
		}
		if (args->version) {
			cmd->action = GHOSTCTL_VERSION;
			return 0;
		}
		return usage(cmd, "missing command (see 'ghostctl --help')");
	}
	if (args->version)
		return usage(cmd, "option --version takes no command");
	if (!strcmp(word, "enclave"))
		return parse_enclave(cmd, args);
	if (!strcmp(word, "help"))
		return parse_help(cmd, args);
	if (!strcmp(word, "task"))
		return parse_task(cmd, args);
	if (!strcmp(word, "run"))
		return parse_run(cmd, args);
	if (!strcmp(word, "policy"))
		return parse_policy(cmd, args);
	if (!strcmp(word, "status"))
		return parse_status(cmd, args);
	if (!strcmp(word, "latency"))
		return parse_watch(cmd, args, GHOSTCTL_LATENCY,
				   ghostctl_latency_help);
	if (!strcmp(word, "top"))
		return parse_watch(cmd, args, GHOSTCTL_TOP, ghostctl_top_help);
	if (!strcmp(word, "version")) {
		cmd->action = args->help ? GHOSTCTL_HELP : GHOSTCTL_VERSION;
		if (args->nr_words > 1)
			return usage(cmd, "unexpected argument '%s' for 'version'",
				     args->words[1]);
		return 0;
	}
	return usage(cmd, "unknown command '%s' (see 'ghostctl --help')", word);
}

int ghostctl_parse(int argc, char *const argv[], struct ghostctl_cmd *cmd)
{
	struct args args;
	int ret;

	memset(cmd, 0, sizeof(*cmd));
	memset(&args, 0, sizeof(args));
	ret = split_args(argc, argv, &args, cmd);
	if (ret)
		return ret;
	ret = parse_words(cmd, &args);
	if (ret)
		return ret;
	if (cmd->action == GHOSTCTL_HELP ||
	    cmd->action == GHOSTCTL_ENCLAVE_HELP ||
	    cmd->action == GHOSTCTL_TOPIC_HELP)
		return 0;
	return check_options(cmd, &args);
}

void ghostctl_errmsg(char *buf, size_t len, const char *what, int err,
		     const char *op)
{
	/* The hints explain ghostfs and agents, nothing else. */
	const char *hint = op ? ghost_strerror_hint(err, op) : NULL;

	if (err < 0)
		err = -err;
	if (hint)
		snprintf(buf, len, "%s: %s (%s)", what, strerror(err), hint);
	else
		snprintf(buf, len, "%s: %s", what, strerror(err));
}

int ghostctl_exit_code(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		return GHOSTCTL_EXIT_PERM;
	case EPROTONOSUPPORT:
		return GHOSTCTL_EXIT_MODULE;
	default:
		return GHOSTCTL_EXIT_FAIL;
	}
}

int ghostctl_busy_cpus(char *buf, size_t len, const struct ghost_cpuset *want,
		       const struct ghost_enclave_status *st, int n,
		       unsigned int self)
{
	char list[GHOST_CPULIST_LEN];
	struct ghost_cpuset both;
	size_t off = 0;
	int i, cpu, nr;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (st[i].id == self)
			continue;
		ghost_cpuset_zero(&both);
		for (cpu = ghost_cpuset_next(want, 0); cpu >= 0;
		     cpu = ghost_cpuset_next(want, cpu + 1))
			if (ghost_cpuset_test(&st[i].cpus, cpu))
				ghost_cpuset_set(&both, cpu);
		nr = ghost_cpuset_count(&both);
		if (!nr || ghost_cpulist_format(&both, list, sizeof(list)) < 0)
			continue;
		off += snprintf(buf + off, len - off,
				"%sCPU%s %s belong%s to enclave %u",
				off ? ", " : "", nr > 1 ? "s" : "", list,
				nr > 1 ? "" : "s", st[i].id);
	}
	return off ? 0 : -ENOENT;
}
