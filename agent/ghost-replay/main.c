// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-replay: replay a recording of ghost-agent --record into a policy
 * plugin, with no kernel, and say whether it decides as recorded.  See
 * the help text below.
 */
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ghost/libghost.h>
#include <ghost/policy.h>

#include "replay.h"

#ifndef GHOST_PKG_VERSION
#define GHOST_PKG_VERSION "unknown"
#endif

#define NAME		"ghost-replay"

/* Exit status, as documented below. */
enum {
	EXIT_SAME	= 0,
	EXIT_DIFFERS	= 1,
	EXIT_USAGE	= 2,
};

static const char help_text[] =
"NAME\n"
"       ghost-replay - replay a recorded policy run and compare decisions\n"
"\n"
"SYNOPSIS\n"
"       ghost-replay [--opt KEY=VALUE]... [--verbose] POLICY FILE\n"
"\n"
"DESCRIPTION\n"
"       ghost-replay loads the policy plugin POLICY (a path to a .so, or a\n"
"       name looked up as ghost-agent does) and feeds it, with no kernel and\n"
"       no module, what the policy of a recording FILE saw: every message,\n"
"       schedule() call, tick and commit outcome, in the recorded order,\n"
"       with the time and the other facts the policy read from the agent\n"
"       answered from the recording.  It compares each decision the plugin\n"
"       makes (commit a thread to a CPU, leave a CPU idle, push a dispatch\n"
"       list entry, change list flags, give up, what init and the state\n"
"       hand-over return) with the recorded one.\n"
"\n"
"       Record with 'ghost-agent --record FILE ...'.  Replaying with the\n"
"       policy that was recorded shows whether it is deterministic; with a\n"
"       changed build of it, whether the change alters its decisions, and\n"
"       where first.\n"
"\n"
"       POLICY replaces the first policy of the recording.  Policies that a\n"
"       hot swap installed later are loaded from their recorded path (or\n"
"       name) and replayed too.\n"
"\n"
"OPTIONS\n"
"       --opt KEY=VALUE\n"
"              Start POLICY with these options instead of the recorded ones\n"
"              (may be repeated).\n"
"\n"
"       -v, --verbose\n"
"              Print the policy's log lines and the hot swaps.\n"
"\n"
"       -h, --help\n"
"              Print this help and exit.\n"
"\n"
"       -V, --version\n"
"              Print the version, the recording format and the policy ABI\n"
"              and exit.\n"
"\n"
"OUTPUT\n"
"       identical: N decisions\n"
"              Every decision was the recorded one.\n"
"\n"
"       first difference at event I, t=SECONDS s, in CALL of policy P ...\n"
"              recorded: what the recorded policy did\n"
"              replayed: what POLICY did instead\n"
"              I is the event's index in FILE, SECONDS its time since the\n"
"              recording started, CALL the call of the policy being\n"
"              replayed (e.g. schedule(cpu 1)).\n"
"\n"
"EXIT STATUS\n"
"       0   identical decisions\n"
"       1   a decision differs (the first is printed)\n"
"       2   usage error, a file that is not a recording of this format\n"
"           version, truncated or damaged, or a plugin that cannot be\n"
"           loaded\n"
"\n"
"EXAMPLES\n"
"       ghost-agent --cpus 0-1 --policy fifo_per_cpu --record /tmp/fifo.rec\n"
"       ghost-replay fifo_per_cpu /tmp/fifo.rec\n"
"              Record a run, then replay it: identical: N decisions.\n"
"\n"
"       ghost-replay ./build/policies/fifo_per_cpu.so /tmp/fifo.rec\n"
"              Check a rebuilt policy against the recording.\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs(NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see '" NAME " --help')\n", stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "opt",	required_argument, NULL, 'o' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *opts[GHOST_REC_MAX_OPTS + 1] = { NULL };
	struct replay_opts ro = { .opts = opts };
	struct replay_result res;
	struct recfile f;
	char msg[1024];
	int c, nr = 0, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (nr == GHOST_REC_MAX_OPTS)
				return usage("too many --opt (at most %d)",
					     GHOST_REC_MAX_OPTS);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage("--opt takes KEY=VALUE, not '%s'",
					     optarg);
			opts[nr++] = optarg;
			ro.use_opts = 1;
			break;
		case 'v':
			ro.verbose = stderr;
			break;
		case 'h':
			fputs(help_text, stdout);
			return EXIT_SAME;
		case 'V':
			printf(NAME " %s\nrecording format: %d\npolicy ABI: %d\n",
			       GHOST_PKG_VERSION, REC_VERSION,
			       GHOST_POLICY_ABI_VERSION);
			return EXIT_SAME;
		default:
			return usage("unknown or incomplete option '%s'",
				     argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage("give a POLICY and a recording FILE");
	if (!*argv[optind])
		return usage("empty POLICY");
	ro.policy = argv[optind];
	ro.dirs = ghost_policy_search_path();

	ret = recfile_load(argv[optind + 1], &f, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, NAME ": %s\n", msg);
		return EXIT_USAGE;
	}
	ret = replay_run(&f, &ro, &res, msg, sizeof(msg));
	recfile_free(&f);
	if (ret < 0) {
		fprintf(stderr, NAME ": %s\n", msg);
		return EXIT_USAGE;
	}
	if (ret) {
		printf("%s\n", res.what);
		printf("identical before it: %lu decisions\n", res.decisions);
		return EXIT_DIFFERS;
	}
	printf("identical: %lu decisions%s\n", res.decisions,
	       res.stopped_early ? " (the recording stopped early, at its size limit: replayed up to there)" : "");
	return EXIT_SAME;
}
