// SPDX-License-Identifier: GPL-2.0
/*
 * rocksdb_server: ghOSt's RocksDB experiment as one process.  A RocksDB
 * database, a pool of workers and an open-loop Poisson load generator
 * on its own CPU; for each offered load, one line of results (see
 * README.md for the format), and optionally every request's times.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "antagonist.h"
#include "arrivals.h"
#include "db.h"
#include "hints.h"
#include "opts.h"
#include "server.h"
#include "stats.h"

#define CAL_GETS	20000
#define CAL_MIN_SCANS	20
#define CAL_SCAN_NS	1000000000ULL	/* at least this long scanning */

static const char * const status_name[] = {
	[RDB_PENDING] = "pending", [RDB_OK] = "ok",
	[RDB_ERROR] = "error", [RDB_DROPPED] = "dropped",
};

static struct rdb_schedule_spec spec_of(const struct rdb_opts *o, double rate)
{
	return (struct rdb_schedule_spec){
		.rate = rate, .duration = o->duration,
		.scan_ratio = o->scan_ratio, .nkeys = o->keys,
		.scan_keys = o->scan_keys, .seed = o->seed,
	};
}

/* Describe each rate's arrivals: the generator's statistics, no server. */
static int schedule_only(const struct rdb_opts *o)
{
	unsigned int i;
	size_t j, n, scans;

	for (i = 0; i < o->nrates; i++) {
		struct rdb_schedule_spec spec = spec_of(o, o->rates[i]);
		struct rdb_req *r = rdb_schedule(&spec, &n);
		double sum = 0, sq = 0, gap, mean, cv = 0;
		uint64_t prev = 0;
		uint32_t maxkey = 0;

		if (!r) {
			fprintf(stderr, "rocksdb_server: out of memory\n");
			return RDB_EXIT_FAIL;
		}
		for (j = scans = 0; j < n; j++) {
			gap = (r[j].sched_ns - prev) / 1e3;
			prev = r[j].sched_ns;
			sum += gap;
			sq += gap * gap;
			scans += r[j].kind == RDB_SCAN;
			if (r[j].key + (r[j].kind == RDB_SCAN ? o->scan_keys : 1) > maxkey)
				maxkey = r[j].key + (r[j].kind == RDB_SCAN ? o->scan_keys : 1);
		}
		mean = n ? sum / n : 0;
		/* An exponential distribution's deviation equals its mean. */
		if (n > 1 && mean > 0)
			cv = sqrt((sq - n * mean * mean) / (n - 1)) / mean;
		printf("schedule rate=%g duration=%g arrivals=%zu arrival_rate=%.2f"
		       " mean_gap_us=%.3f gap_cv=%.4f scans=%zu scan_ratio=%.5f"
		       " key_end=%u\n",
		       o->rates[i], o->duration, n, n / o->duration, mean, cv,
		       scans, n ? (double)scans / n : 0, maxkey);
		free(r);
	}
	return RDB_EXIT_OK;
}

/* A spread of keys for calibration: a multiplicative hash of i. */
static uint32_t spread(uint64_t i, uint32_t n)
{
	return (uint32_t)((i * 0x9e3779b97f4a7c15ULL >> 32) % n);
}

/* Mean service times of a GET and of a scan, one thread, nothing else. */
static int calibrate(struct rdb_db *db, const struct rdb_opts *o)
{
	uint32_t span = o->keys - o->scan_keys + 1;
	uint64_t t, get_ns, scan_ns;
	double get_us, scan_us, per_key_us;
	size_t i, errors = 0, scans;
	long k1000;

	for (i = 0; i < CAL_GETS / 10; i++)	/* warm up */
		errors += rdb_db_get(db, spread(i, o->keys)) != 0;
	t = rdb_now_ns();
	for (i = 0; i < CAL_GETS; i++)
		errors += rdb_db_get(db, spread(i, o->keys)) != 0;
	get_ns = rdb_now_ns() - t;

	t = rdb_now_ns();
	for (scans = 0; scans < CAL_MIN_SCANS || rdb_now_ns() - t < CAL_SCAN_NS;
	     scans++)
		errors += rdb_db_scan(db, spread(scans, span), o->scan_keys) != 0;
	scan_ns = rdb_now_ns() - t;

	get_us = get_ns / 1e3 / CAL_GETS;
	scan_us = scan_ns / 1e3 / scans;
	/* A scan is a seek (about a GET) plus a step per key. */
	per_key_us = scan_us > get_us ? (scan_us - get_us) / o->scan_keys : 0;
	k1000 = per_key_us > 0 ? lround(999 * get_us / per_key_us) : 0;
	printf("calibrate keys=%u scan_keys=%u gets=%d scans=%zu get_us=%.3f"
	       " scan_us=%.1f ratio=%.0f scan_keys_1000x=%ld errors=%zu\n",
	       o->keys, o->scan_keys, CAL_GETS, scans, get_us, scan_us,
	       scan_us / get_us, k1000, errors);
	return errors ? RDB_EXIT_FAIL : RDB_EXIT_OK;
}

static void write_samples(FILE *f, double rate, const struct rdb_req *reqs,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct rdb_req *r = &reqs[i];

		if (r->status == RDB_DROPPED) {
			fprintf(f, "%g\t%s\t%" PRIu64 "\t%" PRIu64
				"\t-1\t-1\t-1\t%s\t-1\n", rate,
				rdb_kind_name(r->kind), r->sched_ns, r->release_ns,
				status_name[r->status]);
			continue;
		}
		fprintf(f, "%g\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
			"\t%" PRIu64 "\t%" PRIu64 "\t%s\t%u\n", rate,
			rdb_kind_name(r->kind), r->sched_ns, r->release_ns,
			r->start_ns, r->done_ns, r->done_ns - r->sched_ns,
			status_name[r->status], r->worker);
	}
}

static void print_pcts(const char *prefix, const struct rdb_pcts *p)
{
	printf(" %sn=%zu %sp50_us=", prefix, p->n, prefix);
	rdb_print_us(stdout, p->p50);
	printf(" %sp99_us=", prefix);
	rdb_print_us(stdout, p->p99);
	printf(" %sp999_us=", prefix);
	rdb_print_us(stdout, p->p999);
}

/* The 99th percentile of how late the generator released requests. */
static double gen_lag_p99_us(const struct rdb_req *reqs, size_t n)
{
	uint64_t *lag = malloc((n ? n : 1) * sizeof(*lag)), v;
	size_t i;

	if (!lag)
		return NAN;
	for (i = 0; i < n; i++)
		lag[i] = reqs[i].release_ns - reqs[i].sched_ns;
	v = n ? rdb_sort_pct(lag, n, 0.99) : 0;
	free(lag);
	return v / 1e3;
}

/* CPUs the antagonists may use: theirs, or the process's. */
static int antagonist_ncpus(const struct rdb_opts *o)
{
	cpu_set_t set;

	if (o->have_antagonist_cpus)
		return ghost_cpuset_count(&o->antagonist_cpus);
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

/* One run at @rate: serve it, print its line, keep its samples. */
static int one_run(struct rdb_server *srv, struct rdb_antagonist *ant,
		   const struct rdb_opts *o, double rate, FILE *samples,
		   size_t *bad)
{
	struct rdb_schedule_spec spec = spec_of(o, rate);
	struct rdb_antagonist_sample a0, a1;
	struct rdb_pcts all, kind[RDB_NKINDS];
	size_t i, served = 0, errors = 0, dropped = 0;
	struct rdb_run run = {
		.duration = o->duration, .drain = o->drain, .gen_cpu = o->gen_cpu,
	};
	double cpu;
	int k;

	run.reqs = rdb_schedule(&spec, &run.n);
	if (!run.reqs) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		return -1;
	}
	rdb_antagonist_read(ant, &a0);
	if (rdb_server_run(srv, &run)) {
		free(run.reqs);
		return -1;
	}
	rdb_antagonist_read(ant, &a1);
	for (i = 0; i < run.n; i++) {
		served += run.reqs[i].status == RDB_OK;
		errors += run.reqs[i].status == RDB_ERROR;
		dropped += run.reqs[i].status == RDB_DROPPED;
	}
	if (rdb_latency_pcts(run.reqs, run.n, -1, &all) ||
	    rdb_latency_pcts(run.reqs, run.n, RDB_GET, &kind[RDB_GET]) ||
	    rdb_latency_pcts(run.reqs, run.n, RDB_SCAN, &kind[RDB_SCAN])) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		free(run.reqs);
		return -1;
	}
	printf("run rate=%g duration=%g arrivals=%zu arrival_rate=%.1f"
	       " served=%zu errors=%zu dropped=%zu elapsed_s=%.3f throughput=%.1f",
	       rate, o->duration, run.n, run.n / o->duration, served, errors,
	       dropped, run.elapsed, (served + errors) / run.elapsed);
	print_pcts("", &all);
	for (k = 0; k < RDB_NKINDS; k++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "%s_", rdb_kind_name(k));
		print_pcts(prefix, &kind[k]);
	}
	printf(" gen_lag_p99_us=%.1f", gen_lag_p99_us(run.reqs, run.n));
	if (ant) {
		double wall = a1.wall_s - a0.wall_s;

		cpu = wall > 0 ? (a1.cpu_s - a0.cpu_s) / wall : 0;
		printf(" antagonist_cpus=%.3f antagonist_share=%.3f"
		       " antagonist_iters_per_s=%.0f",
		       cpu, cpu / antagonist_ncpus(o),
		       wall > 0 ? (a1.iterations - a0.iterations) / wall : 0);
	}
	putchar('\n');
	fflush(stdout);
	if (samples)
		write_samples(samples, rate, run.reqs, run.n);
	*bad += errors + dropped;
	free(run.reqs);
	return 0;
}

static int serve(struct rdb_db *db, const struct rdb_opts *o, FILE *samples)
{
	struct rdb_antagonist *ant = NULL;
	struct rdb_server *srv;
	size_t bad = 0;
	unsigned int i;
	int rc = 0;

	if (o->antagonists) {
		ant = rdb_antagonist_start(o->antagonists, o->antagonist_nice,
					   o->have_antagonist_cpus ?
					   &o->antagonist_cpus : NULL,
					   o->antagonist_enclave);
		if (!ant)
			return RDB_EXIT_FAIL;
	}
	srv = rdb_server_start(db, o->workers,
			       o->have_worker_cpus ? &o->worker_cpus : NULL,
			       o->enclave, o->scan_keys);
	if (!srv) {
		rdb_antagonist_stop(ant);
		return RDB_EXIT_FAIL;
	}
	for (i = 0; i < o->nrates && !rc; i++)
		rc = one_run(srv, ant, o, o->rates[i], samples, &bad);
	rdb_server_stop(srv);
	rdb_antagonist_stop(ant);
	if (rc)
		return RDB_EXIT_FAIL;
	if (bad)
		fprintf(stderr, "rocksdb_server: %zu requests wrong or dropped\n",
			bad);
	return bad ? RDB_EXIT_FAIL : RDB_EXIT_OK;
}

int main(int argc, char **argv)
{
	FILE *samples = NULL;
	struct rdb_opts o;
	struct rdb_db *db;
	uint64_t t;
	int rc;

	rc = rdb_opts_parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? RDB_EXIT_OK : RDB_EXIT_USAGE;
	if (o.mode == RDB_MODE_SCHEDULE)
		return schedule_only(&o);
	if (o.samples) {
		samples = fopen(o.samples, "w");
		if (!samples) {
			fprintf(stderr, "rocksdb_server: --samples '%s': %s\n",
				o.samples, strerror(errno));
			return RDB_EXIT_USAGE;
		}
		fputs("# rate\tkind\tsched_ns\trelease_ns\tstart_ns\tdone_ns"
		      "\tlatency_ns\tstatus\tworker\n", samples);
	}

	t = rdb_now_ns();
	db = rdb_db_open(o.db_path, o.keys);
	if (!db) {
		if (samples)
			fclose(samples);
		return RDB_EXIT_FAIL;
	}
	printf("config keys=%u db=%s load_s=%.2f workers=%u scan_keys=%u"
	       " scan_ratio=%g seed=%" PRIu64 " gen_cpu=%d enclave=%u antagonists=%u"
	       " antagonist_enclave=%u hints=%d hint_qos=%u\n",
	       o.keys, o.db_path ? o.db_path : "memory",
	       (rdb_now_ns() - t) / 1e9, o.workers, o.scan_keys, o.scan_ratio,
	       o.seed, o.gen_cpu, o.enclave, o.antagonists,
	       o.antagonist_enclave, o.hints, o.hint_qos);
	fflush(stdout);

	if (o.mode == RDB_MODE_CALIBRATE) {
		rc = calibrate(db, &o);
	} else if (o.hints &&
		   rdb_hints_start(o.enclave, o.workers, o.hint_qos, o.gen_cpu)) {
		rc = RDB_EXIT_FAIL;
	} else {
		rc = serve(db, &o, samples);
		rdb_hints_stop();
	}
	rdb_db_close(db);
	if (samples && fclose(samples)) {
		fprintf(stderr, "rocksdb_server: writing %s: %s\n", o.samples,
			strerror(errno));
		rc = RDB_EXIT_FAIL;
	}
	return rc;
}
