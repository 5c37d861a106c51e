// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: loading policy plugins.  A good plugin loads; one built for
 * another ABI, with a short ops table, without the ghost_policy symbol or
 * without a required callback is refused with a message that says why;
 * one that crashes or fails in init is caught by the probe, and the
 * loader (this process) survives.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <check.h>

#include <ghost/libghost.h>
#include <ghost/policy.h>

#include "plugins/plugin.h"

#ifndef GHOST_TEST_PLUGIN_DIR
#define GHOST_TEST_PLUGIN_DIR "build/test/unit/plugins"
#endif

static const char *const dirs[] = { "/nonexistent", GHOST_TEST_PLUGIN_DIR,
				    NULL };

/* Expect @name to be refused with @err and a message containing @want. */
static void expect_refused(const char *name, int err, const char *want)
{
	struct ghost_policy_lib lib;
	char msg[1024] = "";

	ck_assert_int_eq(ghost_policy_open(name, dirs, &lib, msg, sizeof(msg)),
			 err);
	ck_assert_msg(strstr(msg, want), "message \"%s\" lacks \"%s\"", msg,
		      want);
	ck_assert_ptr_null(lib.dl);
	ck_assert_ptr_null(lib.ops);
}

static int dummy_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		     __u32 barrier)
{
	return 0;
}

static __u64 dummy_now(struct ghost_policy_ctx *ctx)
{
	return 0;
}

static int dummy_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return -1;
}

static void dummy_log(struct ghost_policy_ctx *ctx, const char *msg)
{
}

static void dummy_error(struct ghost_policy_ctx *ctx, const char *reason)
{
}

static int dummy_dl_push(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
			 __u32 barrier)
{
	return -EOPNOTSUPP;
}

static int dummy_dl_outstanding(struct ghost_policy_ctx *ctx, int cpu)
{
	return -EOPNOTSUPP;
}

static int dummy_dl_set_flags(struct ghost_policy_ctx *ctx, int cpu,
			      __u32 flags)
{
	return -EOPNOTSUPP;
}

static int dummy_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			    struct ghost_dispatch_entry *out, int max)
{
	return -EOPNOTSUPP;
}

static const struct ghost_policy_host dummy_host = {
	dummy_run, dummy_now, dummy_task_cpu, dummy_log, dummy_error,
	dummy_dl_push, dummy_dl_outstanding, dummy_dl_set_flags,
	dummy_dl_entries, NULL, NULL, NULL,
};

static int cpus[] = { 0, 1 };

static void ctx_init(struct ghost_policy_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->size = sizeof(*ctx);
	ctx->model = GHOST_POLICY_PER_CPU;
	ctx->global_cpu = -1;
	ctx->nr_cpu_ids = 2;
	ctx->nr_cpus = 2;
	ctx->cpus = cpus;
	ctx->host = &dummy_host;
}

START_TEST(test_good_plugin_loads)
{
	static const char *const opts[] = { "x=42", NULL };
	struct ghost_policy_lib lib;
	struct ghost_policy_ctx ctx;
	char msg[512];

	ck_assert_int_eq(ghost_policy_open("good", dirs, &lib, msg,
					   sizeof(msg)), 0);
	ck_assert_ptr_nonnull(lib.ops);
	ck_assert_str_eq(lib.ops->name, "good");
	ck_assert_int_eq(lib.ops->model, GHOST_POLICY_PER_CPU);
	ck_assert_ptr_nonnull(strstr(lib.path, "/good.so"));
	ctx_init(&ctx);
	ck_assert_int_eq(ghost_policy_probe(lib.ops, &ctx, opts, msg,
					    sizeof(msg)), 0);
	ck_assert_int_eq(lib.ops->init(&ctx, opts), 0);
	ck_assert_str_eq(counts(&ctx)->opt_x, "42");
	lib.ops->fini(&ctx);
	ghost_policy_close(&lib);
	ck_assert_ptr_null(lib.dl);
}
END_TEST

START_TEST(test_good_plugin_by_path)
{
	struct ghost_policy_lib lib;
	char msg[512];

	ck_assert_int_eq(ghost_policy_open(GHOST_TEST_PLUGIN_DIR "/good.so",
					   NULL, &lib, msg, sizeof(msg)), 0);
	ck_assert_str_eq(lib.ops->name, "good");
	ghost_policy_close(&lib);
}
END_TEST

START_TEST(test_wrong_abi_refused)
{
	expect_refused("wrong_abi", -ELIBBAD, "policy ABI version 6, but this agent speaks version 5");
}
END_TEST

/* Built before struct ghost_app_hint grew: told to rebuild, not loaded. */
START_TEST(test_old_abi_refused)
{
	expect_refused("old_abi", -ELIBBAD, "policy ABI version 4, but this agent speaks version 5: rebuild the policy");
}
END_TEST

START_TEST(test_short_table_refused)
{
	expect_refused("short_table", -ELIBBAD, "is too short");
}
END_TEST

START_TEST(test_missing_symbol_refused)
{
	expect_refused("no_symbol", -ELIBBAD,
		       "does not export the symbol ghost_policy");
}
END_TEST

START_TEST(test_missing_callback_refused)
{
	expect_refused("missing_callback", -ELIBBAD,
		       "lacks the required callback task_blocked");
}
END_TEST

START_TEST(test_unknown_policy)
{
	expect_refused("nosuchpolicy", -ENOENT, "no policy named nosuchpolicy");
	expect_refused("/nonexistent/x.so", -ENOENT, "cannot read policy");
}
END_TEST

START_TEST(test_not_a_shared_object)
{
	char path[] = "/tmp/ghost-unit-policy-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not ELF\n", 8), 8);
	close(fd);
	expect_refused(path, -ELIBBAD, "cannot load policy");
	unlink(path);
}
END_TEST

/* A copy of the good plugin at a temporary path, with @mode. */
static void copy_good(char *path, mode_t mode)
{
	char buf[65536];
	int in = open(GHOST_TEST_PLUGIN_DIR "/good.so", O_RDONLY);
	int out = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, n), n);
	ck_assert_int_eq(fchmod(out, mode), 0);
	close(in);
	close(out);
}

/* Like a kernel module: only a file nobody else may change is loaded. */
START_TEST(test_writable_plugin_refused)
{
	char path[] = "/tmp/ghost-unit-policy-XXXXXX";

	copy_good(path, 0664);
	expect_refused(path, -EPERM, "is writable by group or others (mode 664)");
	ck_assert_int_eq(chmod(path, 0646), 0);
	expect_refused(path, -EPERM, "is writable by group or others (mode 646)");
	ck_assert_int_eq(chmod(path, 0644), 0);
	{
		struct ghost_policy_lib lib;
		char msg[512] = "";

		ck_assert_msg(!ghost_policy_open(path, dirs, &lib, msg,
						 sizeof(msg)), "%s", msg);
		ghost_policy_close(&lib);
	}
	unlink(path);
}
END_TEST

START_TEST(test_plugin_of_another_user_refused)
{
	char path[] = "/tmp/ghost-unit-policy-XXXXXX";

	if (geteuid())
		return;	/* only root can give a file away */
	copy_good(path, 0644);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	expect_refused(path, -EPERM, "belongs to uid 65534");
	unlink(path);
}
END_TEST

/*
 * A policy is loaded by name, so the directories above it must be as
 * trusted as the file: nobody else may rename another file into place.
 * A sticky directory (as /tmp) is fine; a symbolic link is followed to
 * the file's own directory.
 */
START_TEST(test_plugin_in_writable_dir_refused)
{
	char dir[] = "/tmp/ghost-unit-dir-XXXXXX";
	char path[sizeof(dir) + 32], link[] = "/tmp/ghost-unit-link-XXXXXX";
	struct ghost_policy_lib lib;
	char msg[512] = "", want[128];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy-XXXXXX", dir);
	copy_good(path, 0644);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(want, sizeof(want), "directory %s of policy", dir);
	expect_refused(path, -EPERM, want);
	expect_refused(path, -EPERM, "is writable by group or others (mode 777)");

	/* Through a link from a trusted directory: still the file's dir. */
	fd = mkstemp(link);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(path, link), 0);
	expect_refused(link, -EPERM, want);

	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_msg(!ghost_policy_open(link, dirs, &lib, msg, sizeof(msg)),
		      "%s", msg);
	ghost_policy_close(&lib);
	if (!geteuid()) {
		ck_assert_int_eq(chmod(dir, 0755), 0);
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		expect_refused(path, -EPERM, "belongs to uid 65534");
	}
	unlink(link);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The child crashes; this process must not. */
START_TEST(test_crash_in_init_caught)
{
	struct ghost_policy_lib lib;
	struct ghost_policy_ctx ctx;
	char msg[512] = "";

	ck_assert_int_eq(ghost_policy_open("crash_init", dirs, &lib, msg,
					   sizeof(msg)), 0);
	ctx_init(&ctx);
	ck_assert_int_eq(ghost_policy_probe(lib.ops, &ctx, NULL, msg,
					    sizeof(msg)), -ECHILD);
	ck_assert_msg(strstr(msg, "policy crash_init crashed in init: Segmentation fault"),
		      "%s", msg);
	ghost_policy_close(&lib);
}
END_TEST

START_TEST(test_fail_in_init_caught)
{
	struct ghost_policy_lib lib;
	struct ghost_policy_ctx ctx;
	char msg[512] = "";

	ck_assert_int_eq(ghost_policy_open("fail_init", dirs, &lib, msg,
					   sizeof(msg)), 0);
	ctx_init(&ctx);
	ck_assert_int_eq(ghost_policy_probe(lib.ops, &ctx, NULL, msg,
					    sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "policy fail_init refused to start: Invalid argument"),
		      "%s", msg);
	ghost_policy_close(&lib);
}
END_TEST

START_TEST(test_validate)
{
	struct ghost_policy_lib lib;
	struct ghost_policy_ops ops;
	char msg[512];

	ck_assert_int_eq(ghost_policy_validate(NULL, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_int_eq(ghost_policy_open("good", dirs, &lib, msg,
					   sizeof(msg)), 0);
	ops = *lib.ops;
	ck_assert_int_eq(ghost_policy_validate(&ops, msg, sizeof(msg)), 0);
	ops.name = "";
	ck_assert_int_eq(ghost_policy_validate(&ops, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_str_eq(msg, "the policy has no name");
	ops = *lib.ops;
	ops.model = 7;
	ck_assert_int_eq(ghost_policy_validate(&ops, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "unknown model 7"));
	ops = *lib.ops;
	ops.state_format = "x-v1";
	ck_assert_int_eq(ghost_policy_validate(&ops, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "lacks export_state or import_state"));
	ops = *lib.ops;
	ops.schedule = NULL;
	ck_assert_int_eq(ghost_policy_validate(&ops, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "required callback schedule"));
	ghost_policy_close(&lib);
}
END_TEST

/* Each message type reaches its callback; short ones are refused. */
START_TEST(test_dispatch)
{
	struct ghost_policy_lib lib;
	struct ghost_policy_ctx ctx;
	char msg[512];
	struct {
		struct ghost_msg h;
		union {
			struct ghost_msg_task t;
			struct ghost_msg_task_new n;
			struct ghost_msg_task_wakeup w;
			struct ghost_msg_cpu c;
		} p;
	} m;

	ck_assert_int_eq(ghost_policy_open("good", dirs, &lib, msg,
					   sizeof(msg)), 0);
	ctx_init(&ctx);
	ck_assert_int_eq(lib.ops->init(&ctx, NULL), 0);
	memset(&m, 0, sizeof(m));

	m.h.type = GHOST_MSG_TASK_NEW;
	m.h.length = sizeof(m.h) + sizeof(m.p.n);
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_WAKEUP;
	m.h.length = sizeof(m.h) + sizeof(m.p.w);
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.length = sizeof(m.h) + sizeof(m.p.t);
	m.h.type = GHOST_MSG_TASK_BLOCKED;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_PREEMPT;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_YIELD;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_DEAD;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_DEPARTED;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	m.h.type = GHOST_MSG_TASK_LATCHED;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 1);
	/* Optional callbacks it lacks, unknown types: not delivered. */
	m.h.type = GHOST_MSG_TASK_AFFINITY_CHANGED;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 0);
	m.h.type = GHOST_MSG_CPU_TICK;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 0);
	m.h.type = 99;
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), 0);
	/* Too short for its payload. */
	m.h.type = GHOST_MSG_TASK_NEW;
	m.h.length = sizeof(m.h) + sizeof(m.p.t);
	ck_assert_int_eq(ghost_policy_dispatch(lib.ops, &ctx, &m.h), -EINVAL);

	ck_assert_int_eq(counts(&ctx)->task_new, 1);
	ck_assert_int_eq(counts(&ctx)->wakeup, 1);
	ck_assert_int_eq(counts(&ctx)->blocked, 1);
	ck_assert_int_eq(counts(&ctx)->preempt, 1);
	ck_assert_int_eq(counts(&ctx)->yield, 1);
	ck_assert_int_eq(counts(&ctx)->dead, 1);
	ck_assert_int_eq(counts(&ctx)->departed, 1);
	ck_assert_int_eq(counts(&ctx)->latched, 1);
	lib.ops->fini(&ctx);
	ghost_policy_close(&lib);
}
END_TEST

START_TEST(test_state_compatible)
{
	struct ghost_policy_ops a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(ghost_policy_state_compatible(&a, &b), 0);
	a.state_format = b.state_format = "ghost-fifo-v1";
	ck_assert_int_eq(ghost_policy_state_compatible(&a, &b), 0);
	a.export_state = (void *)1;
	b.import_state = (void *)1;
	ck_assert_int_eq(ghost_policy_state_compatible(&a, &b), 1);
	b.state_format = "ghost-fifo-v2";
	ck_assert_int_eq(ghost_policy_state_compatible(&a, &b), 0);
}
END_TEST

START_TEST(test_opt_helpers)
{
	static const char *const opts[] = { "slice_us=50", "max=3", NULL };
	static const char *const known[] = { "slice_us", "max", NULL };
	static const char *const fewer[] = { "slice_us", NULL };

	ck_assert_str_eq(ghost_policy_opt(opts, "slice_us"), "50");
	ck_assert_str_eq(ghost_policy_opt(opts, "max"), "3");
	ck_assert_ptr_null(ghost_policy_opt(opts, "slice"));
	ck_assert_ptr_null(ghost_policy_opt(NULL, "max"));
	ck_assert_ptr_null(ghost_policy_opt_unknown(opts, known));
	ck_assert_str_eq(ghost_policy_opt_unknown(opts, fewer), "max=3");
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("policy_loader");
	TCase *tc;

	tc = tcase_create("load");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_good_plugin_loads);
	tcase_add_test(tc, test_good_plugin_by_path);
	tcase_add_test(tc, test_writable_plugin_refused);
	tcase_add_test(tc, test_plugin_of_another_user_refused);
	tcase_add_test(tc, test_plugin_in_writable_dir_refused);
	tcase_add_test(tc, test_wrong_abi_refused);
	tcase_add_test(tc, test_old_abi_refused);
	tcase_add_test(tc, test_short_table_refused);
	tcase_add_test(tc, test_missing_symbol_refused);
	tcase_add_test(tc, test_missing_callback_refused);
	tcase_add_test(tc, test_unknown_policy);
	tcase_add_test(tc, test_not_a_shared_object);
	tcase_add_test(tc, test_crash_in_init_caught);
	tcase_add_test(tc, test_fail_in_init_caught);
	tcase_add_test(tc, test_validate);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch");
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_state_compatible);
	tcase_add_test(tc, test_opt_helpers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
