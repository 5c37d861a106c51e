// SPDX-License-Identifier: GPL-2.0
/*
 * rocksdb_server's options: every value checked, with the option named in
 * the message, before anything starts.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "affinity.h"
#include "opts.h"

#define DEFAULT_KEYS		200000
#define DEFAULT_WORKERS		2
#define DEFAULT_DURATION	5.0
#define DEFAULT_DRAIN		10.0
#define DEFAULT_SCAN_RATIO	0.005
/* About 1000 GETs' worth of work on an x86 server (see README.md). */
#define DEFAULT_SCAN_KEYS	12000
#define MAX_KEYS		10000000
#define MAX_WORKERS		1024
#define MAX_ANTAGONISTS		1024
#define MAX_RATE		1e7
#define MAX_SECONDS		3600.0
/* Requests of one run, at about 48 bytes each plus the queue's 8. */
#define MAX_REQUESTS		2e7

static const char usage[] =
"Usage: rocksdb_server [OPTION]...\n"
"A RocksDB server with an open-loop Poisson load generator in one process.\n"
"\n"
"Modes (default: serve the load at each rate of --rate, one run each):\n"
"  --calibrate             measure the service time of a GET and of a scan\n"
"  --schedule-only         draw each rate's arrivals, describe them, exit\n"
"Database:\n"
"  --db DIR                keep the database in DIR (a tmpfs) instead of memory\n"
"  --keys N                keys to load (default 200000)\n"
"Load:\n"
"  --rate R[,R]...         offered loads in requests/s, one run each (required\n"
"                          but for --calibrate)\n"
"  --duration S            seconds of arrivals per run (default 5)\n"
"  --drain S               seconds to wait for the last answers (default 10);\n"
"                          then requests still queued count as dropped\n"
"  --scan-ratio F          fraction of requests that are scans (default 0.005)\n"
"  --scan-keys K           keys per scan (default 12000)\n"
"  --seed N                seed of the arrivals (default 1)\n"
"Threads:\n"
"  --workers N             worker threads (default 2)\n"
"  --enclave ID            the workers enter ghost enclave ID themselves\n"
"  --hints                 publish ghOSt hints (runnable/idle) to the agent of\n"
"                          the workers' enclave (needs --enclave)\n"
"  --hint-qos Q            the workers' hint class, 1..7 (default 1): above\n"
"                          threads without hints, such as antagonists\n"
"  --gen-cpu CPU           pin the load generator to CPU\n"
"  --worker-cpus LIST      run the workers on LIST (e.g. 1-3)\n"
"  --antagonists M         also run M spinning batch threads (default 0)\n"
"  --antagonist-nice N     their nice value, -20..19 (default 0)\n"
"  --antagonist-cpus LIST  run them on LIST\n"
"  --antagonist-enclave ID they enter ghost enclave ID themselves\n"
"Output:\n"
"  --samples FILE          write every request's times to FILE\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 every request served and verified, 1 a wrong answer, a\n"
"dropped request or a failure, 2 a bad command line.\n";

enum {
	OPT_CALIBRATE = 256, OPT_SCHEDULE, OPT_DB, OPT_KEYS, OPT_RATE,
	OPT_DURATION, OPT_DRAIN, OPT_SCAN_RATIO, OPT_SCAN_KEYS, OPT_SEED,
	OPT_WORKERS, OPT_GEN_CPU, OPT_WORKER_CPUS, OPT_ANTAGONISTS,
	OPT_ANTAGONIST_NICE, OPT_ANTAGONIST_CPUS, OPT_SAMPLES, OPT_ENCLAVE,
	OPT_ANTAGONIST_ENCLAVE, OPT_HINTS, OPT_HINT_QOS,
};

static const struct option longopts[] = {
	{ "calibrate",		no_argument,		NULL, OPT_CALIBRATE },
	{ "schedule-only",	no_argument,		NULL, OPT_SCHEDULE },
	{ "db",			required_argument,	NULL, OPT_DB },
	{ "keys",		required_argument,	NULL, OPT_KEYS },
	{ "rate",		required_argument,	NULL, OPT_RATE },
	{ "duration",		required_argument,	NULL, OPT_DURATION },
	{ "drain",		required_argument,	NULL, OPT_DRAIN },
	{ "scan-ratio",		required_argument,	NULL, OPT_SCAN_RATIO },
	{ "scan-keys",		required_argument,	NULL, OPT_SCAN_KEYS },
	{ "seed",		required_argument,	NULL, OPT_SEED },
	{ "workers",		required_argument,	NULL, OPT_WORKERS },
	{ "gen-cpu",		required_argument,	NULL, OPT_GEN_CPU },
	{ "worker-cpus",	required_argument,	NULL, OPT_WORKER_CPUS },
	{ "antagonists",	required_argument,	NULL, OPT_ANTAGONISTS },
	{ "antagonist-nice",	required_argument,	NULL, OPT_ANTAGONIST_NICE },
	{ "antagonist-cpus",	required_argument,	NULL, OPT_ANTAGONIST_CPUS },
	{ "samples",		required_argument,	NULL, OPT_SAMPLES },
	{ "enclave",		required_argument,	NULL, OPT_ENCLAVE },
	{ "antagonist-enclave",	required_argument,	NULL, OPT_ANTAGONIST_ENCLAVE },
	{ "hints",		no_argument,		NULL, OPT_HINTS },
	{ "hint-qos",		required_argument,	NULL, OPT_HINT_QOS },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "rocksdb_server: --%s '%s': %s\n", opt, val, want);
	return -1;
}

/* An integer in [min, max], in decimal, the whole of @s. */
static int parse_int(const char *opt, const char *s, long long min,
		     long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || isspace((unsigned char)*s) || *end || errno ||
	    v < min || v > max) {
		char want[96];

		snprintf(want, sizeof(want), "want an integer from %lld to %lld",
			 min, max);
		return bad(opt, s, want);
	}
	*out = v;
	return 0;
}

/* A finite number in [min, max] (or (min, max] if @open_min). */
static int parse_double(const char *opt, const char *s, double min,
			double max, int open_min, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || isspace((unsigned char)*s) || *end || errno || !isfinite(v) ||
	    v < min || v > max || (open_min && v == min)) {
		char want[96];

		snprintf(want, sizeof(want), "want a number %s %g and at most %g",
			 open_min ? "above" : "from", min, max);
		return bad(opt, s, want);
	}
	*out = v;
	return 0;
}

static int parse_rates(const char *s, struct rdb_opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int rc = 0;

	if (!copy) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		return -1;
	}
	o->nrates = 0;
	if (!*s || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,"))
		rc = bad("rate", s, "want rates separated by single commas");
	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nrates == RDB_MAX_RATES) {
			rc = bad("rate", s, "too many rates (at most 64)");
			break;
		}
		rc = parse_double("rate", tok, 0, MAX_RATE, 1,
				  &o->rates[o->nrates++]);
	}
	free(copy);
	return rc;
}

static int parse_cpus(const char *opt, const char *s, struct ghost_cpuset *set)
{
	char what[32];

	if (ghost_cpulist_parse(s, set))
		return bad(opt, s, "want a CPU list such as 0-3,6");
	snprintf(what, sizeof(what), "--%s", opt);
	return rdb_cpus_usable(set, what);
}

/* The checks that involve more than one option. */
static int check_together(struct rdb_opts *o, int have_scan_keys)
{
	unsigned int i;

	if (!have_scan_keys && o->scan_keys > o->keys)
		o->scan_keys = o->keys;
	if (o->scan_keys > o->keys) {
		fprintf(stderr,
			"rocksdb_server: --scan-keys %u: more than the %u keys loaded\n",
			o->scan_keys, o->keys);
		return -1;
	}
	if (o->mode != RDB_MODE_CALIBRATE && !o->nrates) {
		fprintf(stderr, "rocksdb_server: --rate is required (see --help)\n");
		return -1;
	}
	for (i = 0; i < o->nrates; i++) {
		if (o->rates[i] * o->duration > MAX_REQUESTS) {
			fprintf(stderr,
				"rocksdb_server: --rate %g for --duration %g: more than %g requests in a run\n",
				o->rates[i], o->duration, MAX_REQUESTS);
			return -1;
		}
	}
	if (o->hints && !o->enclave) {
		fprintf(stderr,
			"rocksdb_server: --hints needs --enclave (the agent to register with)\n");
		return -1;
	}
	if (o->hint_qos && !o->hints) {
		fprintf(stderr, "rocksdb_server: --hint-qos needs --hints\n");
		return -1;
	}
	if (o->hints && !o->hint_qos)
		o->hint_qos = 1;
	if (o->hints && o->mode != RDB_MODE_RUN) {
		fprintf(stderr,
			"rocksdb_server: --hints only serves a load (not with --calibrate or --schedule-only)\n");
		return -1;
	}
	if (o->antagonists == 0 && (o->antagonist_nice || o->have_antagonist_cpus ||
				    o->antagonist_enclave)) {
		fprintf(stderr,
			"rocksdb_server: --antagonist-nice, --antagonist-cpus and --antagonist-enclave need --antagonists\n");
		return -1;
	}
	return 0;
}

int rdb_opts_parse(int argc, char **argv, struct rdb_opts *o)
{
	int c, have_scan_keys = 0;
	long long v;

	*o = (struct rdb_opts){
		.mode = RDB_MODE_RUN,
		.keys = DEFAULT_KEYS,
		.workers = DEFAULT_WORKERS,
		.duration = DEFAULT_DURATION,
		.drain = DEFAULT_DRAIN,
		.scan_ratio = DEFAULT_SCAN_RATIO,
		.scan_keys = DEFAULT_SCAN_KEYS,
		.seed = 1,
		.gen_cpu = -1,
	};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		const char *name = c >= 256 ? longopts[c - 256].name : "";
		int rc = 0;

		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_CALIBRATE:
		case OPT_SCHEDULE:
			if (o->mode != RDB_MODE_RUN) {
				fprintf(stderr,
					"rocksdb_server: --calibrate and --schedule-only exclude each other\n");
				return -1;
			}
			o->mode = c == OPT_CALIBRATE ? RDB_MODE_CALIBRATE :
						       RDB_MODE_SCHEDULE;
			break;
		case OPT_DB:
			if (!*optarg)
				return bad(name, optarg, "want a directory");
			o->db_path = optarg;
			break;
		case OPT_KEYS:
			rc = parse_int(name, optarg, 1, MAX_KEYS, &v);
			o->keys = v;
			break;
		case OPT_RATE:
			rc = parse_rates(optarg, o);
			break;
		case OPT_DURATION:
			rc = parse_double(name, optarg, 0, MAX_SECONDS, 1,
					  &o->duration);
			break;
		case OPT_DRAIN:
			rc = parse_double(name, optarg, 0, MAX_SECONDS, 0,
					  &o->drain);
			break;
		case OPT_SCAN_RATIO:
			rc = parse_double(name, optarg, 0, 1, 0, &o->scan_ratio);
			break;
		case OPT_SCAN_KEYS:
			rc = parse_int(name, optarg, 1, MAX_KEYS, &v);
			o->scan_keys = v;
			have_scan_keys = 1;
			break;
		case OPT_SEED:
			rc = parse_int(name, optarg, 0, INT64_MAX, &v);
			o->seed = v;
			break;
		case OPT_WORKERS:
			rc = parse_int(name, optarg, 1, MAX_WORKERS, &v);
			o->workers = v;
			break;
		case OPT_GEN_CPU: {
			struct ghost_cpuset one = { 0 };

			rc = parse_int(name, optarg, 0, GHOST_MAX_CPUS - 1, &v);
			if (!rc) {
				ghost_cpuset_set(&one, v);
				rc = rdb_cpus_usable(&one, "--gen-cpu");
			}
			o->gen_cpu = v;
			break;
		}
		case OPT_WORKER_CPUS:
			rc = parse_cpus(name, optarg, &o->worker_cpus);
			o->have_worker_cpus = 1;
			break;
		case OPT_ANTAGONISTS:
			rc = parse_int(name, optarg, 0, MAX_ANTAGONISTS, &v);
			o->antagonists = v;
			break;
		case OPT_ANTAGONIST_NICE:
			rc = parse_int(name, optarg, -20, 19, &v);
			o->antagonist_nice = v;
			break;
		case OPT_ANTAGONIST_CPUS:
			rc = parse_cpus(name, optarg, &o->antagonist_cpus);
			o->have_antagonist_cpus = 1;
			break;
		case OPT_ENCLAVE:
			if (ghost_enclave_id_parse(optarg, &o->enclave))
				return bad(name, optarg, "want an enclave id from 1");
			break;
		case OPT_ANTAGONIST_ENCLAVE:
			if (ghost_enclave_id_parse(optarg, &o->antagonist_enclave))
				return bad(name, optarg, "want an enclave id from 1");
			break;
		case OPT_HINTS:
			o->hints = 1;
			break;
		case OPT_HINT_QOS:
			rc = parse_int(name, optarg, 1, GHOST_HINT_QOS_MAX, &v);
			o->hint_qos = v;
			break;
		case OPT_SAMPLES:
			if (!*optarg)
				return bad(name, optarg, "want a file name");
			o->samples = optarg;
			break;
		case ':':
			fprintf(stderr, "rocksdb_server: %s needs a value\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "rocksdb_server: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (rc)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "rocksdb_server: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return check_together(o, have_scan_keys);
}
