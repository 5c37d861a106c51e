// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: ghostctl's command line parsing, messages and output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "cli_parse.h"

START_TEST(test_create)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "create", "--cpus", "0-1"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_CREATE);
	ck_assert_int_eq(ghost_cpuset_count(&cmd.cpus), 2);
	ck_assert(ghost_cpuset_test(&cmd.cpus, 1));
	ck_assert_int_eq(cmd.have_id, 0);
	ck_assert_int_eq(cmd.json, 0);
}
END_TEST

START_TEST(test_create_with_id)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "create", "--cpus=0-3,6",
			       "--id=7"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_CREATE);
	ck_assert_int_eq(ghost_cpuset_count(&cmd.cpus), 5);
	ck_assert_int_eq(cmd.have_id, 1);
	ck_assert_uint_eq(cmd.id, 7);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "create", "--id", "9",
			       "--cpus", "2"), 0);
	ck_assert_uint_eq(cmd.id, 9);
}
END_TEST

START_TEST(test_json_anywhere)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "--json", "enclave", "list"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_LIST);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "list", "--json"), 0);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "--json", "show", "2"), 0);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(cmd.action, GHOSTCTL_SHOW);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "list"), 0);
	ck_assert_int_eq(cmd.json, 0);
}
END_TEST

START_TEST(test_show)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "show", "3"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_SHOW);
	ck_assert_uint_eq(cmd.id, 3);
	ck_usage(&cmd, "missing enclave ID for 'enclave show'", "enclave",
		 "show");
	ck_usage(&cmd, "unexpected argument '4'", "enclave", "show", "3", "4");
}
END_TEST

START_TEST(test_destroy)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "destroy", "12"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_DESTROY);
	ck_assert_uint_eq(cmd.id, 12);
	ck_assert_int_eq(cmd.all, 0);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "destroy", "--all"), 0);
	ck_assert_int_eq(cmd.all, 1);
	ck_usage(&cmd, "an ID or --all, not both", "enclave", "destroy", "1",
		 "--all");
	ck_usage(&cmd, "needs an enclave ID or --all", "enclave", "destroy");
}
END_TEST

START_TEST(test_set)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "set", "2",
			       "--runnable-timeout", "5000",
			       "--deliver-ticks=1"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_SET);
	ck_assert_uint_eq(cmd.id, 2);
	ck_assert_uint_eq(cmd.set, GHOSTCTL_SET_TIMEOUT | GHOSTCTL_SET_TICKS);
	ck_assert_uint_eq(cmd.runnable_timeout_ms, 5000);
	ck_assert_uint_eq(cmd.deliver_ticks, 1);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "set", "2",
			       "--runnable-timeout", "0"), 0);
	ck_assert_uint_eq(cmd.set, GHOSTCTL_SET_TIMEOUT);
}
END_TEST

START_TEST(test_set_errors)
{
	struct ghostctl_cmd cmd;

	ck_usage(&cmd, "needs --runnable-timeout MS or --deliver-ticks", "enclave",
		 "set", "2");
	ck_usage(&cmd, "invalid --runnable-timeout 'abc'", "enclave", "set", "2",
		 "--runnable-timeout", "abc");
	ck_usage(&cmd, "from 0 (off) to 3600000", "enclave", "set", "2",
		 "--runnable-timeout", "3600001");
	ck_usage(&cmd, "invalid --runnable-timeout '-5'", "enclave", "set", "2",
		 "--runnable-timeout=-5");
	ck_usage(&cmd, "invalid --deliver-ticks '2': expected 0 or 1", "enclave",
		 "set", "2", "--deliver-ticks", "2");
}
END_TEST

START_TEST(test_version)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "version"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_VERSION);
	ck_assert_int_eq(PARSE(&cmd, "--json", "version"), 0);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(PARSE(&cmd, "--version"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_VERSION);
	ck_assert_int_eq(PARSE(&cmd, "-V"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_VERSION);
	ck_usage(&cmd, "unexpected argument 'now' for 'version'", "version",
		 "now");
	ck_usage(&cmd, "--version takes no command", "--version", "enclave",
		 "list");
}
END_TEST

START_TEST(test_help)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "--help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_HELP);
	ck_assert_int_eq(PARSE(&cmd, "-h"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_HELP);
	ck_assert_int_eq(PARSE(&cmd, "help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_HELP);
	ck_assert_int_eq(PARSE(&cmd, "enclave", "--help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_ENCLAVE_HELP);
	ck_assert_int_eq(PARSE(&cmd, "--help", "enclave"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_ENCLAVE_HELP);
	ck_assert_int_eq(PARSE(&cmd, "help", "enclave"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_ENCLAVE_HELP);
	/* Help wins over a command line that is otherwise incomplete. */
	ck_assert_int_eq(PARSE(&cmd, "enclave", "create", "--help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_ENCLAVE_HELP);
	ck_usage(&cmd, "no help on 'foo'", "help", "foo");
}
END_TEST

START_TEST(test_missing)
{
	struct ghostctl_cmd cmd;

	ck_usage(&cmd, "missing command", "--json");
	ck_assert_int_eq(parse_argv(&cmd, (char *[]){ "ghostctl", NULL }),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(cmd.err, "missing command"));
	ck_usage(&cmd, "missing enclave command: create, list, show, set or destroy",
		 "enclave");
	ck_usage(&cmd, "'enclave create' needs --cpus LIST", "enclave",
		 "create");
	ck_usage(&cmd, "'enclave create' needs --cpus LIST", "enclave",
		 "create", "--id", "3");
	ck_usage(&cmd, "option --cpus needs a value", "enclave", "create",
		 "--cpus");
	ck_usage(&cmd, "option --id needs a value", "enclave", "create",
		 "--cpus", "1", "--id");
}
END_TEST

START_TEST(test_unknown)
{
	struct ghostctl_cmd cmd;

	ck_usage(&cmd, "unknown command 'frobnicate'", "frobnicate");
	ck_usage(&cmd, "unknown enclave command 'frob'", "enclave", "frob");
	ck_usage(&cmd, "unknown option '--frob'", "--frob", "enclave", "list");
	ck_usage(&cmd, "unknown option '-x'", "enclave", "list", "-x");
	ck_usage(&cmd, "unknown option '--cpu'", "enclave", "create", "--cpu",
		 "1");
	ck_usage(&cmd, "unknown option '--jsonx'", "--jsonx", "version");
	ck_usage(&cmd, "unexpected argument 'extra'", "enclave", "list",
		 "extra");
}
END_TEST

static char *const bad_ids[] = {
	"abc", "-1", "0", "2147483648", "99999999999999999999", "1.5", "",
	"0x10", "+3", "3 ",
};

START_TEST(test_bad_id)
{
	struct ghostctl_cmd cmd;
	char want[64];

	snprintf(want, sizeof(want), "invalid enclave ID '%s'", bad_ids[_i]);
	ck_usage(&cmd, want, "enclave", "show", bad_ids[_i]);
	ck_assert_ptr_nonnull(strstr(cmd.err, "expected a number from 1 to 2147483647"));
	ck_usage(&cmd, want, "enclave", "destroy", bad_ids[_i]);
	ck_usage(&cmd, want, "enclave", "create", "--cpus", "0", "--id",
		 bad_ids[_i]);
}
END_TEST

START_TEST(test_bad_cpus)
{
	struct ghostctl_cmd cmd;

	ck_usage(&cmd, "invalid CPU list '1-': expected CPUs and ranges such as 0-3,6",
		 "enclave", "create", "--cpus", "1-");
	ck_usage(&cmd, "invalid CPU list 'a'", "enclave", "create", "--cpus",
		 "a");
	ck_usage(&cmd, "invalid CPU list '1,,2'", "enclave", "create",
		 "--cpus", "1,,2");
	ck_usage(&cmd, "invalid CPU list '2000': CPU numbers must be below 1024",
		 "enclave", "create", "--cpus", "2000");
	ck_usage(&cmd, "empty CPU list", "enclave", "create", "--cpus=");
	ck_usage(&cmd, "empty CPU list", "enclave", "create", "--cpus", "\n");
}
END_TEST

START_TEST(test_misplaced_options)
{
	struct ghostctl_cmd cmd;

	ck_usage(&cmd, "option --cpus is only valid with 'enclave create'",
		 "enclave", "list", "--cpus", "0");
	ck_usage(&cmd, "option --id is only valid with 'enclave create'",
		 "enclave", "show", "1", "--id", "1");
	ck_usage(&cmd, "option --all is only valid with 'enclave destroy'",
		 "enclave", "list", "--all");
	ck_usage(&cmd, "option --deliver-ticks is only valid with 'enclave set'",
		 "enclave", "show", "1", "--deliver-ticks", "1");
	ck_usage(&cmd, "option --cpus given twice", "enclave", "create",
		 "--cpus", "0", "--cpus", "1");
	ck_usage(&cmd, "unexpected argument", "enclave", "create", "4",
		 "--cpus", "1");
}
END_TEST

START_TEST(test_dashdash)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "show", "--", "5"), 0);
	ck_assert_uint_eq(cmd.id, 5);
	ck_usage(&cmd, "invalid enclave ID '--json'", "enclave", "show", "--",
		 "--json");
}
END_TEST

START_TEST(test_errmsg)
{
	char buf[256];

	ghostctl_errmsg(buf, sizeof(buf), "cannot set CPUs 0-1 of enclave 2",
			-EBUSY, "cpulist");
	ck_assert_str_eq(buf, "cannot set CPUs 0-1 of enclave 2: Device or resource busy (a CPU in the list belongs to another enclave)");
	ghostctl_errmsg(buf, sizeof(buf), "cannot create enclave 3", -EEXIST,
			"create");
	ck_assert_str_eq(buf, "cannot create enclave 3: File exists (enclave id already exists)");
	ghostctl_errmsg(buf, sizeof(buf), "x", -ENOMEM, "create");
	ck_assert_str_eq(buf, "x: Cannot allocate memory");
	/* Positive errnos work too. */
	ghostctl_errmsg(buf, sizeof(buf), "x", ENODEV, "cpulist");
	ck_assert_str_eq(buf, "x: No such device (CPU absent or offline)");
	/* No operation, no hint: ENOENT is not "no such enclave" here. */
	ghostctl_errmsg(buf, sizeof(buf), "cannot read policy ./p.so", -ENOENT,
			NULL);
	ck_assert_str_eq(buf, "cannot read policy ./p.so: No such file or directory");
}
END_TEST

START_TEST(test_exit_codes)
{
	ck_assert_int_eq(ghostctl_exit_code(-EPERM), GHOSTCTL_EXIT_PERM);
	ck_assert_int_eq(ghostctl_exit_code(-EACCES), 3);
	ck_assert_int_eq(ghostctl_exit_code(-EPROTONOSUPPORT), 4);
	ck_assert_int_eq(ghostctl_exit_code(-EBUSY), 1);
	ck_assert_int_eq(ghostctl_exit_code(-EEXIST), 1);
	ck_assert_int_eq(ghostctl_exit_code(EPERM), 3);
}
END_TEST

static void set_cpus(struct ghost_enclave_status *st, unsigned int id,
		     const char *list)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	ck_assert_int_eq(ghost_cpulist_parse(list, &st->cpus), 0);
}

START_TEST(test_busy_cpus)
{
	struct ghost_enclave_status st[3];
	struct ghost_cpuset want;
	char buf[256];

	set_cpus(&st[0], 1, "0-1");
	set_cpus(&st[1], 2, "2");	/* the new enclave itself */
	set_cpus(&st[2], 4, "3-5");
	ck_assert_int_eq(ghost_cpulist_parse("1-4", &want), 0);
	ck_assert_int_eq(ghostctl_busy_cpus(buf, sizeof(buf), &want, st, 3, 2),
			 0);
	ck_assert_str_eq(buf, "CPU 1 belongs to enclave 1, CPUs 3-4 belong to enclave 4");

	/* Nobody else owns one (they left meanwhile). */
	ck_assert_int_eq(ghost_cpulist_parse("2,6", &want), 0);
	ck_assert_int_eq(ghostctl_busy_cpus(buf, sizeof(buf), &want, st, 3, 2),
			 -ENOENT);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(ghostctl_busy_cpus(buf, sizeof(buf), &want, st, 0, 2),
			 -ENOENT);

	/* A short buffer is cut, never overrun. */
	ck_assert_int_eq(ghost_cpulist_parse("0-5", &want), 0);
	ck_assert_int_eq(ghostctl_busy_cpus(buf, 12, &want, st, 3, 0), 0);
	ck_assert_str_eq(buf, "CPUs 0-1 be");
}
END_TEST

/* A scratch directory with an executable, a plain file and a directory. */
static char prog_dir[64];

static void make_file(const char *name, mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", prog_dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void prog_setup(void)
{
	char path[128];

	snprintf(prog_dir, sizeof(prog_dir), "/tmp/ghostctl-run.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(prog_dir));
	make_file("tool", 0755);
	make_file("plain", 0644);
	snprintf(path, sizeof(path), "%s/dir", prog_dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void prog_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", prog_dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", prog_dir);
}

START_TEST(test_find_program)
{
	char path[256], file[128];

	/* Found through PATH: the first entry that has it wins. */
	snprintf(path, sizeof(path), "/nonexistent:%s", prog_dir);
	ck_assert_int_eq(ghostctl_find_program("tool", path), 0);
	ck_assert_int_eq(ghostctl_find_program("nope", path), -ENOENT);
	ck_assert_int_eq(ghostctl_find_program("", path), -ENOENT);
	/* Only a file that may not run, or a directory: EACCES. */
	ck_assert_int_eq(ghostctl_find_program("plain", path), -EACCES);
	ck_assert_int_eq(ghostctl_find_program("dir", path), -EACCES);
	/* An empty entry is the current directory. */
	ck_assert_int_eq(ghostctl_find_program("tool", ":"), -ENOENT);
	snprintf(path, sizeof(path), "%s::", prog_dir);
	ck_assert_int_eq(ghostctl_find_program("tool", path), 0);
	/* A name with a '/' is not searched for. */
	snprintf(file, sizeof(file), "%s/tool", prog_dir);
	ck_assert_int_eq(ghostctl_find_program(file, "/nonexistent"), 0);
	snprintf(file, sizeof(file), "%s/plain", prog_dir);
	ck_assert_int_eq(ghostctl_find_program(file, NULL), -EACCES);
	snprintf(file, sizeof(file), "%s/nope", prog_dir);
	ck_assert_int_eq(ghostctl_find_program(file, NULL), -ENOENT);
	snprintf(file, sizeof(file), "%s/tool/x", prog_dir);
	ck_assert_int_eq(ghostctl_find_program(file, NULL), -ENOTDIR);
	/* Without PATH, execvp's default: sh is in /bin. */
	ck_assert_int_eq(ghostctl_find_program("sh", NULL), 0);
}
END_TEST

/* Run @print into a memory stream and return what it wrote (malloc()ed). */
#define CAPTURE(buf, call) do {						\
	size_t _len;							\
	FILE *f = open_memstream(&(buf), &_len);			\
	ck_assert_ptr_nonnull(f);					\
	call;								\
	ck_assert_int_eq(fclose(f), 0);					\
} while (0)

static void sample(struct ghost_enclave_status *st, unsigned int id,
		   const char *cpus)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	st->abi = 1;
	ghost_cpulist_parse(cpus, &st->cpus);
	st->nr_cpus = ghost_cpuset_count(&st->cpus);
	st->nr_tasks = 4;
	st->agent_online = id & 1;
	st->runnable_timeout_ms = 10000;
}

START_TEST(test_print_created)
{
	struct ghost_enclave_status st;
	char *out = NULL;

	sample(&st, 3, "0-1");
	CAPTURE(out, ghostctl_print_created(f, &st, 0));
	ck_assert_str_eq(out, "enclave 3 created on CPUs 0-1\n");
	free(out);
	CAPTURE(out, ghostctl_print_created(f, &st, 1));
	ck_assert_str_eq(out, "{\"id\":3,\"cpus\":\"0-1\"}\n");
	free(out);
}
END_TEST

START_TEST(test_print_show)
{
	struct ghost_enclave_status st;
	char *out = NULL;

	sample(&st, 2, "4-5,7");
	CAPTURE(out, ghostctl_print_show(f, &st, 0));
	ck_assert_str_eq(out, "id: 2\nabi: 1\ncpus: 4-5,7\nnr_cpus: 3\ntasks: 4\n"
			 "agent_online: 0\nrunnable_timeout_ms: 10000\ndeliver_ticks: 0\n");
	free(out);
	CAPTURE(out, ghostctl_print_show(f, &st, 1));
	ck_assert_str_eq(out, "{\"id\":2,\"abi\":1,\"cpus\":\"4-5,7\",\"nr_cpus\":3,\"tasks\":4,"
			 "\"agent_online\":false,\"runnable_timeout_ms\":10000,\"deliver_ticks\":0}\n");
	free(out);
}
END_TEST

START_TEST(test_print_list)
{
	struct ghost_enclave_status st[2];
	char *out = NULL;

	sample(&st[0], 1, "0-1");
	sample(&st[1], 2, "2");
	CAPTURE(out, ghostctl_print_list(f, st, 2, 0));
	ck_assert_str_eq(out,
		"ID     CPUS                     TASKS AGENT\n"
		"1      0-1                          4 yes\n"
		"2      2                            4 no\n");
	free(out);
	CAPTURE(out, ghostctl_print_list(f, st, 2, 1));
	ck_assert_str_eq(out,
		"[{\"id\":1,\"cpus\":\"0-1\",\"nr_cpus\":2,\"tasks\":4,\"agent_online\":true},"
		"{\"id\":2,\"cpus\":\"2\",\"nr_cpus\":1,\"tasks\":4,\"agent_online\":false}]\n");
	free(out);
	CAPTURE(out, ghostctl_print_list(f, st, 0, 1));
	ck_assert_str_eq(out, "[]\n");
	free(out);
}
END_TEST

START_TEST(test_print_version)
{
	char *out = NULL;

	CAPTURE(out, ghostctl_print_version(f, NULL, 0, 0));
	ck_assert_str_eq(out, "ghostctl " GHOST_PKG_VERSION "\nABI: 1\nmodule: not loaded\n");
	free(out);
	CAPTURE(out, ghostctl_print_version(f, NULL, 1, 0));
	ck_assert_ptr_nonnull(strstr(out, "module: loaded, ghostfs not mounted"));
	free(out);
	CAPTURE(out, ghostctl_print_version(f, "1\n2\n", 1, 0));
	ck_assert_ptr_nonnull(strstr(out, "module ABIs: 1, 2\n"));
	free(out);
	CAPTURE(out, ghostctl_print_version(f, "2\n", 1, 0));
	ck_assert_ptr_nonnull(strstr(out, "module ABIs: 2 (mismatch"));
	free(out);
	CAPTURE(out, ghostctl_print_version(f, "1\n2\n", 1, 1));
	ck_assert_str_eq(out, "{\"ghostctl\":\"" GHOST_PKG_VERSION "\",\"abi\":1,\"module_loaded\":true,\"module_abis\":[1,2],\"compatible\":true}\n");
	free(out);
	CAPTURE(out, ghostctl_print_version(f, NULL, 0, 1));
	ck_assert_str_eq(out, "{\"ghostctl\":\"" GHOST_PKG_VERSION "\",\"abi\":1,\"module_loaded\":false,\"module_abis\":null,\"compatible\":null}\n");
	free(out);
}
END_TEST

START_TEST(test_print_set)
{
	struct ghostctl_cmd cmd;
	char *out = NULL;

	ck_assert_int_eq(PARSE(&cmd, "enclave", "set", "2", "--deliver-ticks",
			       "1"), 0);
	CAPTURE(out, ghostctl_print_set(f, &cmd));
	ck_assert_str_eq(out, "enclave 2: deliver_ticks 1\n");
	free(out);
	cmd.json = 1;
	CAPTURE(out, ghostctl_print_set(f, &cmd));
	ck_assert_str_eq(out, "{\"id\":2,\"deliver_ticks\":1}\n");
	free(out);
}
END_TEST

START_TEST(test_help_text)
{
	static const char *const want[] = {
		"SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES",
		"--json", "0   success", "2   usage error", "3   missing privilege",
		"4   the ghost module",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(strstr(ghostctl_help, want[i]),
			      "ghostctl --help lacks \"%s\"", want[i]);
		ck_assert_msg(strstr(ghostctl_enclave_help, want[i]),
			      "enclave --help lacks \"%s\"", want[i]);
	}
	ck_assert_ptr_nonnull(strstr(ghostctl_enclave_help, "destroy ID|--all"));
	ck_assert_ptr_nonnull(strstr(ghostctl_enclave_help, "--cpus LIST"));
}
END_TEST

START_TEST(test_task_commands)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "task", "add", "3", "100", "200"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TASK_ADD);
	ck_assert_uint_eq(cmd.id, 3);
	ck_assert_int_eq(cmd.nr_tids, 2);
	ck_assert_int_eq(cmd.tids[0], 100);
	ck_assert_int_eq(cmd.tids[1], 200);
	ck_assert_int_eq(PARSE(&cmd, "--json", "task", "remove", "1", "7"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TASK_REMOVE);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(PARSE(&cmd, "task", "list", "2"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TASK_LIST);
	ck_usage(&cmd, "needs at least one PID or TID", "task", "add", "1");
	ck_usage(&cmd, "missing enclave ID for 'task add'", "task", "add");
	ck_usage(&cmd, "invalid PID/TID 'x'", "task", "add", "1", "x");
	ck_usage(&cmd, "invalid PID/TID '-5'", "task", "add", "1", "-5");
	ck_usage(&cmd, "invalid PID/TID '0'", "task", "remove", "1", "0");
	ck_usage(&cmd, "unknown task command 'move'", "task", "move", "1");
	ck_usage(&cmd, "missing task command", "task");
	ck_usage(&cmd, "unexpected argument '4' for 'task list'", "task",
		 "list", "1", "4");
}
END_TEST

START_TEST(test_run_command)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "run", "2", "--", "ls", "-l", "--json"),
			 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_RUN);
	ck_assert_uint_eq(cmd.id, 2);
	ck_assert_str_eq(cmd.run_argv[0], "ls");
	ck_assert_str_eq(cmd.run_argv[1], "-l");
	/* Options after "--" are the command's, not ghostctl's. */
	ck_assert_str_eq(cmd.run_argv[2], "--json");
	ck_assert_ptr_null(cmd.run_argv[3]);
	ck_assert_int_eq(cmd.json, 0);
	ck_usage(&cmd, "needs a command after '--'", "run", "2", "--");
	ck_usage(&cmd, "needs a command after '--'", "run", "2");
	ck_usage(&cmd, "put the command after '--'", "run", "2", "ls");
	ck_usage(&cmd, "missing enclave ID for 'run'", "run");
}
END_TEST

START_TEST(test_policy_swap_command)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "policy", "swap", "1", "fifo_centralized",
			       "--opt", "slice_us=50", "--opt=max_tasks=9"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_POLICY_SWAP);
	ck_assert_str_eq(cmd.policy, "fifo_centralized");
	ck_assert_int_eq(cmd.nr_opts, 2);
	ck_assert_str_eq(cmd.opts[0], "slice_us=50");
	ck_assert_str_eq(cmd.opts[1], "max_tasks=9");
	ck_assert_ptr_null(cmd.opts[2]);
	ck_assert_int_eq(cmd.rediscover, 0);
	ck_assert_int_eq(PARSE(&cmd, "policy", "swap", "1", "./x.so",
			       "--rediscover"), 0);
	ck_assert_int_eq(cmd.rediscover, 1);
	ck_usage(&cmd, "option --opt takes KEY=VALUE, not 'slice'", "policy",
		 "swap", "1", "p", "--opt", "slice");
	ck_usage(&cmd, "option --opt is only valid with 'policy swap'",
		 "status", "1", "--opt", "a=b");
	ck_usage(&cmd, "option --rediscover is only valid with 'policy swap'",
		 "status", "1", "--rediscover");
	ck_usage(&cmd, "needs an enclave ID and a policy", "policy", "swap",
		 "1");
	ck_usage(&cmd, "unknown policy command 'load'", "policy", "load");
}
END_TEST

START_TEST(test_status_command)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "status", "4"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_STATUS);
	ck_assert_uint_eq(cmd.id, 4);
	ck_assert_int_eq(cmd.threads, 0);
	ck_assert_int_eq(PARSE(&cmd, "status", "--threads", "4"), 0);
	ck_assert_int_eq(cmd.threads, 1);
	ck_usage(&cmd, "missing enclave ID for 'status'", "status");
	ck_usage(&cmd, "option --threads is only valid with 'status'",
		 "enclave", "list", "--threads");
}
END_TEST

START_TEST(test_topic_help)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "task", "--help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TOPIC_HELP);
	ck_assert_ptr_eq(cmd.help, ghostctl_task_help);
	ck_assert_int_eq(PARSE(&cmd, "help", "policy"), 0);
	ck_assert_ptr_eq(cmd.help, ghostctl_policy_help);
	ck_assert_int_eq(PARSE(&cmd, "run", "-h"), 0);
	ck_assert_ptr_eq(cmd.help, ghostctl_run_help);
	ck_assert_int_eq(PARSE(&cmd, "status", "--help"), 0);
	ck_assert_ptr_eq(cmd.help, ghostctl_status_help);
}
END_TEST

START_TEST(test_agent_help_texts)
{
	const char *texts[] = { ghostctl_task_help, ghostctl_run_help,
				ghostctl_policy_help, ghostctl_status_help };
	static const char *const want[] = {
		"NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES", "EXIT STATUS",
	};
	size_t i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			ck_assert_msg(strstr(texts[i], want[j]),
				      "help %zu lacks \"%s\"", i, want[j]);
	ck_assert_ptr_nonnull(strstr(ghostctl_help, "policy swap ID NAME|PATH"));
	ck_assert_ptr_nonnull(strstr(ghostctl_help, "run ID -- COMMAND"));
}
END_TEST

static const char status_reply[] =
	"status ok\n"
	"pid 812\n"
	"enclave 1\n"
	"policy fifo_centralized\n"
	"policy_path /x/fifo_centralized.so\n"
	"opt slice_us=500\n"
	"model centralized\n"
	"cpus 0-3\n"
	"global_cpu 0\n"
	"agents 1\n"
	"threads 9\n"
	"msgs_per_s 2310\n"
	"commits_per_s 1150\n"
	"decisions_per_s 1163\n"
	"msgs 48211\n"
	"commits 24003\n"
	"decisions 24290\n"
	"overflow 0\n"
	"swaps 1\n"
	"last_swap_blackout_us 85\n"
	"last_swap_handover export\n"
	"fail.target_stale 12\n"
	"fail.cpu_unavail 0\n";

START_TEST(test_print_status)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ghostctl_print_status(f, status_reply, 0);
	fclose(f);
	ck_assert_str_eq(out,
		"enclave 1: agent pid 812, policy fifo_centralized (centralized)\n"
		"  cpus:      0-3 (global CPU 0)\n"
		"  options:   slice_us=500\n"
		"  threads:   9\n"
		"  messages:  2310/s, 48211 total\n"
		"  commits:   1150/s, 24003 total\n"
		"  decisions: 1163/s, 24290 total\n"
		"  failures:  target_stale 12\n"
		"  swaps:     1, last: blackout 85 us, hand-over by export\n");
	free(out);

	f = open_memstream(&out, &len);
	ghostctl_print_status(f, status_reply, 1);
	fclose(f);
	ck_assert_str_eq(out,
		"{\"pid\":812,\"enclave\":1,\"policy\":\"fifo_centralized\","
		"\"policy_path\":\"/x/fifo_centralized.so\","
		"\"model\":\"centralized\",\"cpus\":\"0-3\",\"global_cpu\":0,"
		"\"agents\":1,\"threads\":9,\"msgs_per_s\":2310,"
		"\"commits_per_s\":1150,\"decisions_per_s\":1163,"
		"\"msgs\":48211,\"commits\":24003,\"decisions\":24290,"
		"\"overflow\":0,\"swaps\":1,\"last_swap_blackout_us\":85,"
		"\"last_swap_handover\":\"export\",\"opts\":[\"slice_us=500\"],"
		"\"failures\":{\"target_stale\":12,\"cpu_unavail\":0}}\n");
	free(out);

	/* An agent that does not count decisions: no line for them. */
	f = open_memstream(&out, &len);
	ghostctl_print_status(f, "status ok\npolicy fifo_per_cpu\n"
			      "commits_per_s 3\ncommits 9\n", 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "  commits:   3/s, 9 total\n"));
	ck_assert_ptr_null(strstr(out, "decisions"));
	free(out);
}
END_TEST

START_TEST(test_print_swap_and_tasks)
{
	static const char reply[] = "status ok\npolicy fifo_per_cpu\n"
		"policy_path /p.so\nmodel per_cpu\nhandover discover\n"
		"threads 4\nblackout_us 120.5\n";
	static const pid_t tids[] = { 5, 6 };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ghostctl_print_swap(f, 2, reply, 0);
	fclose(f);
	ck_assert_str_eq(out, "enclave 2: policy fifo_per_cpu (per_cpu), hand-over by discover, 4 threads, blackout 120.5 us\n");
	free(out);
	f = open_memstream(&out, &len);
	ghostctl_print_swap(f, 2, reply, 1);
	ghostctl_print_tasks(f, 2, tids, 2, 1);
	ghostctl_print_tasks(f, 2, tids, 2, 0);
	fclose(f);
	ck_assert_str_eq(out,
		"{\"enclave\":2,\"policy\":\"fifo_per_cpu\",\"policy_path\":\"/p.so\","
		"\"model\":\"per_cpu\",\"handover\":\"discover\",\"threads\":4,"
		"\"blackout_us\":120.5,\"opts\":[],\"failures\":{}}\n"
		"{\"enclave\":2,\"tids\":[5,6]}\n"
		"5\n6\n");
	free(out);
}
END_TEST

START_TEST(test_print_threads)
{
	static const char reply[] = "status ok\n"
		"thread 12 gtid c00000003 barrier 5 runnable oncpu cpu 2 policy oncpu policy_barrier 5 detail cpu=2 qos=1\n"
		"thread 14 gtid e00000005 barrier 7 runnable cpu -1 policy queued policy_barrier 7 detail queue=cpu1 pos=0 x=\"y\"\n"
		"thread 13 gtid d00000004 barrier 2 cpu -1 policy ?\n";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ghostctl_print_threads(f, reply, 0);
	ghostctl_print_threads(f, reply, 1);
	fclose(f);
	ck_assert_str_eq(out,
		"TID      GTID                BARRIER STATE             CPU POLICY     POLICY_BARRIER DETAIL\n"
		"12       c00000003                 5 runnable,oncpu      2 oncpu      5              cpu=2 qos=1\n"
		"14       e00000005                 7 runnable           -1 queued     7              queue=cpu1 pos=0 x=\"y\"\n"
		"13       d00000004                 2 blocked            -1 ?          -              -\n"
		"[{\"tid\":12,\"gtid\":\"c00000003\",\"barrier\":5,\"state\":\"runnable,oncpu\",\"cpu\":2,\"policy\":\"oncpu\",\"policy_barrier\":5,\"detail\":\"cpu=2 qos=1\"},"
		"{\"tid\":14,\"gtid\":\"e00000005\",\"barrier\":7,\"state\":\"runnable\",\"cpu\":-1,\"policy\":\"queued\",\"policy_barrier\":7,\"detail\":\"queue=cpu1 pos=0 x=\\\"y\\\"\"},"
		"{\"tid\":13,\"gtid\":\"d00000004\",\"barrier\":2,\"state\":\"blocked\",\"cpu\":-1,\"policy\":\"?\",\"policy_barrier\":null,\"detail\":\"\"}]\n");
	free(out);
}
END_TEST

START_TEST(test_kv_get)
{
	char v[16];

	ck_assert_int_eq(ghost_kv_get(status_reply, "status", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "ok");
	ck_assert_int_eq(ghost_kv_get(status_reply, "msgs", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "48211");
	ck_assert_int_eq(ghost_kv_get(status_reply, "fail.target_stale", v,
				      sizeof(v)), 0);
	ck_assert_str_eq(v, "12");
	ck_assert_int_eq(ghost_kv_get(status_reply, "nope", v, sizeof(v)),
			 -ENOENT);
	ck_assert_int_eq(ghost_kv_get(status_reply, "policy_path", v, 4),
			 -ENOSPC);
	ck_assert_int_eq(ghost_kv_get("a\nb 2", "b", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "2");
	ck_assert_int_eq(ghost_kv_get("a\nb 2", "a", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_create_with_id);
	tcase_add_test(tc, test_json_anywhere);
	tcase_add_test(tc, test_show);
	tcase_add_test(tc, test_destroy);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_unknown);
	tcase_add_loop_test(tc, test_bad_id, 0, N(bad_ids));
	tcase_add_test(tc, test_bad_cpus);
	tcase_add_test(tc, test_misplaced_options);
	tcase_add_test(tc, test_dashdash);
	suite_add_tcase(s, tc);

	tc = tcase_create("agent_commands");
	tcase_add_test(tc, test_task_commands);
	tcase_add_test(tc, test_run_command);
	tcase_add_test(tc, test_policy_swap_command);
	tcase_add_test(tc, test_status_command);
	tcase_add_test(tc, test_topic_help);
	tcase_add_test(tc, test_agent_help_texts);
	tcase_add_test(tc, test_print_status);
	tcase_add_test(tc, test_print_swap_and_tasks);
	tcase_add_test(tc, test_print_threads);
	tcase_add_test(tc, test_kv_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_add_test(tc, test_errmsg);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_help_text);
	tcase_add_test(tc, test_busy_cpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_checked_fixture(tc, prog_setup, prog_teardown);
	tcase_add_test(tc, test_find_program);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_print_created);
	tcase_add_test(tc, test_print_show);
	tcase_add_test(tc, test_print_list);
	tcase_add_test(tc, test_print_version);
	tcase_add_test(tc, test_print_set);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
