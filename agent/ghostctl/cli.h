/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghostctl: command line parsing and output, free of side effects so
 * that unit tests can drive them.
 */
#ifndef _GHOSTCTL_CLI_H
#define _GHOSTCTL_CLI_H

#include <stdio.h>
#include <sys/types.h>

#include <ghost/libghost.h>

#ifndef GHOST_PKG_VERSION
#define GHOST_PKG_VERSION "unknown"
#endif

/* Exit status of ghostctl, as documented in ghostctl --help. */
enum ghostctl_exit {
	GHOSTCTL_EXIT_OK	= 0,	/* success */
	GHOSTCTL_EXIT_FAIL	= 1,	/* the kernel refused the operation */
	GHOSTCTL_EXIT_USAGE	= 2,	/* bad command line */
	GHOSTCTL_EXIT_PERM	= 3,	/* missing privilege */
	GHOSTCTL_EXIT_MODULE	= 4,	/* module missing or ABI mismatch */
	GHOSTCTL_EXIT_NOEXEC	= 127,	/* run: the program cannot be run */
};

enum ghostctl_action {
	GHOSTCTL_HELP,
	GHOSTCTL_ENCLAVE_HELP,
	GHOSTCTL_VERSION,
	GHOSTCTL_CREATE,
	GHOSTCTL_LIST,
	GHOSTCTL_SHOW,
	GHOSTCTL_SET,
	GHOSTCTL_DESTROY,
	GHOSTCTL_TOPIC_HELP,		/* cmd->help: task, run, policy, status */
	GHOSTCTL_TASK_ADD,
	GHOSTCTL_TASK_REMOVE,
	GHOSTCTL_TASK_LIST,
	GHOSTCTL_RUN,
	GHOSTCTL_POLICY_SWAP,
	GHOSTCTL_STATUS,
	GHOSTCTL_LATENCY,
	GHOSTCTL_TOP,
};

#define GHOSTCTL_MAX_TIDS	256	/* PIDs/TIDs on one command line */
#define GHOSTCTL_MAX_OPTS	32	/* --opt of policy swap */

/* ghostctl_cmd->set: which tunables "enclave set" writes. */
#define GHOSTCTL_SET_TIMEOUT	(1U << 0)
#define GHOSTCTL_SET_TICKS	(1U << 1)

struct ghostctl_cmd {
	enum ghostctl_action action;
	int json;			/* --json */
	int threads;			/* status --threads */
	int rediscover;			/* policy swap --rediscover */
	int all;			/* destroy --all */
	int have_id;			/* @id given (positional or --id) */
	unsigned int id;
	struct ghost_cpuset cpus;	/* create --cpus */
	unsigned int set;		/* GHOSTCTL_SET_* */
	unsigned int runnable_timeout_ms;
	unsigned int deliver_ticks;
	const char *help;		/* GHOSTCTL_TOPIC_HELP: the text */
	pid_t tids[GHOSTCTL_MAX_TIDS];	/* task add/remove */
	int nr_tids;
	const char *policy;		/* policy swap */
	const char *opts[GHOSTCTL_MAX_OPTS + 1];
	int nr_opts;
	char *const *run_argv;		/* run: the command, NULL-terminated */
	double interval;		/* latency, top: seconds per window */
	unsigned int count;		/* latency, top: windows (0: no end) */
	int total;			/* latency --total */
	char err[256];			/* why parsing failed */
};

/*
 * Parse @argv into @cmd.  Returns 0, or -EINVAL with a one-line reason
 * (without the "ghostctl: " prefix) in cmd->err.
 */
int ghostctl_parse(int argc, char *const argv[], struct ghostctl_cmd *cmd);

/*
 * "<what>: <strerror> (<hint>)" for errno @err of ghostfs operation @op
 * (see ghost_strerror_hint()); without a hint if @op is NULL, for what
 * is not a ghostfs or agent operation.
 */
void ghostctl_errmsg(char *buf, size_t len, const char *what, int err,
		     const char *op);

/* Exit status for a failed operation with errno @err. */
int ghostctl_exit_code(int err);

/*
 * Which CPUs of @want the enclaves @st[0..@n) other than enclave @self
 * own, as "CPU 1 belongs to enclave 1, CPUs 2-3 belong to enclave 4",
 * into @buf.  Returns 0, or -ENOENT if none of them owns one.
 */
int ghostctl_busy_cpus(char *buf, size_t len, const struct ghost_cpuset *want,
		       const struct ghost_enclave_status *st, int n,
		       unsigned int self);

/*
 * Whether execvp() would find a program @file to run, searching @path
 * (the value of PATH; NULL: execvp's default) when @file has no '/'.
 * Returns 0, or the errno execvp() would fail with: -ENOENT, -EACCES (a
 * file that is not executable, or a directory), -ENOTDIR, ...  (program.c)
 */
int ghostctl_find_program(const char *file, const char *path);

/* Help texts (help.c). */
extern const char ghostctl_help[];
extern const char ghostctl_enclave_help[];
extern const char ghostctl_task_help[];
extern const char ghostctl_run_help[];
extern const char ghostctl_policy_help[];
extern const char ghostctl_status_help[];
extern const char ghostctl_latency_help[];
extern const char ghostctl_top_help[];

/* Output of the commands, plain or JSON (output.c). */
void ghostctl_json_string(FILE *f, const char *s);	/* quoted, escaped */
void ghostctl_print_created(FILE *f, const struct ghost_enclave_status *st,
			    int json);
void ghostctl_print_list(FILE *f, const struct ghost_enclave_status *st,
			 int n, int json);
void ghostctl_print_show(FILE *f, const struct ghost_enclave_status *st,
			 int json);
void ghostctl_print_set(FILE *f, const struct ghostctl_cmd *cmd);
/*
 * @module_versions: content of the module's version file, or NULL if it
 * cannot be read; @loaded: whether the module is loaded at all.
 */
void ghostctl_print_version(FILE *f, const char *module_versions, int loaded,
			    int json);

/*
 * The reply of an agent's control socket ("key value" lines): @reply of
 * "status", or of a policy swap.
 */
void ghostctl_print_status(FILE *f, const char *reply, int json);
void ghostctl_print_threads(FILE *f, const char *reply, int json);
void ghostctl_print_swap(FILE *f, unsigned int id, const char *reply,
			 int json);

/* The threads of an enclave (task list). */
void ghostctl_print_tasks(FILE *f, unsigned int id, const pid_t *tids, int n,
			  int json);

#endif /* _GHOSTCTL_CLI_H */
