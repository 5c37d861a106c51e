/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line of rocksdb_server.
 */
#ifndef RDB_OPTS_H
#define RDB_OPTS_H

#include <stdint.h>

#include <ghost/libghost.h>

#define RDB_MAX_RATES	64

enum rdb_mode {
	RDB_MODE_RUN,		/* serve the load, one run per rate */
	RDB_MODE_CALIBRATE,	/* measure GET and scan service times */
	RDB_MODE_SCHEDULE,	/* only draw the arrivals and describe them */
};

struct rdb_opts {
	enum rdb_mode mode;
	const char *db_path;	/* NULL: in memory */
	uint32_t keys;
	unsigned int workers;
	double rates[RDB_MAX_RATES];
	unsigned int nrates;
	double duration;	/* seconds of arrivals per run */
	double drain;		/* seconds to wait for stragglers after that */
	double scan_ratio;
	uint32_t scan_keys;
	uint64_t seed;
	int gen_cpu;		/* -1: anywhere */
	unsigned int enclave;	/* the workers' enclave, 0: none */
	unsigned int antagonist_enclave;
	int hints;		/* publish hints to the enclave's agent */
	unsigned int hint_qos;	/* the workers' class with --hints, 0: unset */
	struct ghost_cpuset worker_cpus;
	int have_worker_cpus;
	unsigned int antagonists;
	int antagonist_nice;
	struct ghost_cpuset antagonist_cpus;
	int have_antagonist_cpus;
	const char *samples;	/* NULL: no sample file */
};

/* Exit statuses. */
enum {
	RDB_EXIT_OK = 0,
	RDB_EXIT_FAIL = 1,	/* a wrong answer, a dropped request, a failure */
	RDB_EXIT_USAGE = 2,	/* a bad command line */
};

/*
 * Parse the command line into @o.  Returns 0, 1 if it asked for --help
 * (printed), or -1 after printing what is wrong.
 */
int rdb_opts_parse(int argc, char **argv, struct rdb_opts *o);

#endif /* RDB_OPTS_H */
