// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the helpers of <ghost/policy_util.h> that every policy
 * shares, called with a host that records what they ask of it: option
 * parsing and its messages, the meaning of each failed commit, the
 * records of threads, list moves, the walk over list entries, the global
 * CPU's hand-over and the hotplug callbacks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <ghost/policy.h>
#include <ghost/policy_util.h>

#define NR_CPU_IDS	4

static char last_log[256];
static int nr_logs;
static int task_cpu_answer;
static int run_answer;
static int nr_runs;
static int run_cpu;
static __u64 run_gtid;
/* Outstanding list entries, by CPU. */
static struct ghost_dispatch_entry entries[NR_CPU_IDS][2];
static int nr_entries[NR_CPU_IDS];

static void host_log(struct ghost_policy_ctx *ctx, const char *msg)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
	nr_logs++;
}

static int host_task_cpu(struct ghost_policy_ctx *ctx, __u64 gtid)
{
	return task_cpu_answer;
}

static int host_run(struct ghost_policy_ctx *ctx, int cpu, __u64 gtid,
		    __u32 barrier)
{
	nr_runs++;
	run_cpu = cpu;
	run_gtid = gtid;
	return run_answer;
}

static int host_dl_entries(struct ghost_policy_ctx *ctx, int cpu,
			   struct ghost_dispatch_entry *out, int max)
{
	int n = nr_entries[cpu] < max ? nr_entries[cpu] : max;

	memcpy(out, entries[cpu], n * sizeof(*out));
	return n;
}

static const struct ghost_policy_host host = {
	.run		= host_run,
	.task_cpu	= host_task_cpu,
	.log		= host_log,
	.dl_entries	= host_dl_entries,
};

static const int cpus[] = { 1, 3 };
static struct ghost_policy_ctx pctx;

static void setup(void)
{
	memset(&pctx, 0, sizeof(pctx));
	pctx.size = sizeof(pctx);
	pctx.model = GHOST_POLICY_CENTRALIZED;
	pctx.global_cpu = 0;
	pctx.nr_cpu_ids = NR_CPU_IDS;
	pctx.nr_cpus = 2;
	pctx.cpus = cpus;
	pctx.host = &host;
	pctx.host_size = sizeof(host);
	last_log[0] = '\0';
	nr_logs = 0;
	task_cpu_answer = -1;
	run_answer = 0;
	nr_runs = 0;
	memset(nr_entries, 0, sizeof(nr_entries));
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

static const struct {
	const char *opt;
	int ok;
	unsigned long want;
} numbers[] = {
	{ "n=5",		1, 5 },
	{ "n=1",		1, 1 },
	{ "n=10",		1, 10 },
	{ "n=007",		1, 7 },
	{ "n=0",		0, 0 },
	{ "n=11",		0, 0 },
	{ "n=",			0, 0 },
	{ "n=-1",		0, 0 },
	{ "n=+5",		0, 0 },
	{ "n= 5",		0, 0 },
	{ "n=5x",		0, 0 },
	{ "n=5 ",		0, 0 },
	{ "n=0x5",		0, 0 },
	{ "n=99999999999999999999999", 0, 0 },
};

START_TEST(test_opt_ulong)
{
	const char *opts[] = { numbers[_i].opt, NULL };
	unsigned long out = 42;
	int ret = gp_opt_ulong(&pctx, "pol", opts, "n", 1, 10, &out);
	char want[128];

	if (numbers[_i].ok) {
		ck_assert_int_eq(ret, 0);
		ck_assert_uint_eq(out, numbers[_i].want);
		ck_assert_int_eq(nr_logs, 0);
		return;
	}
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_uint_eq(out, 42);
	snprintf(want, sizeof(want), "pol: n must be 1..10, not '%s'",
		 numbers[_i].opt + 2);
	ck_assert_str_eq(last_log, want);
}
END_TEST

START_TEST(test_opt_ulong_absent)
{
	const char *opts[] = { "m=3", NULL };
	unsigned long out = 42;

	ck_assert_int_eq(gp_opt_ulong(&pctx, "pol", opts, "n", 1, 10, &out), 0);
	ck_assert_uint_eq(out, 42);
	ck_assert_int_eq(gp_opt_ulong(&pctx, "pol", NULL, "n", 1, 10, &out), 0);
	ck_assert_uint_eq(out, 42);
	ck_assert_int_eq(nr_logs, 0);
	/* The whole range, zero included. */
	opts[0] = "m=0";
	ck_assert_int_eq(gp_opt_ulong(&pctx, "pol", opts, "m", 0, 0, &out), 0);
	ck_assert_uint_eq(out, 0);
}
END_TEST

START_TEST(test_opts_known)
{
	static const char *const known[] = { "max_tasks", "slice_us", NULL };
	static const char *const none[] = { NULL };
	const char *good[] = { "slice_us=3", "max_tasks=1", NULL };
	const char *bad[] = { "slice_us=3", "slice=5", "frob=1", NULL };

	ck_assert_int_eq(gp_opts_known(&pctx, "pol", good, known), 0);
	ck_assert_int_eq(gp_opts_known(&pctx, "pol", NULL, known), 0);
	ck_assert_int_eq(nr_logs, 0);
	ck_assert_int_eq(gp_opts_known(&pctx, "pol", bad, known), -EINVAL);
	ck_assert_str_eq(last_log,
			 "pol: unknown option 'slice=5' (known: max_tasks, slice_us)");
	ck_assert_int_eq(gp_opts_known(&pctx, "pol", good, none), -EINVAL);
	ck_assert_str_eq(last_log,
			 "pol: unknown option 'slice_us=3' (known: none)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Failed commits                                                      */
/* ------------------------------------------------------------------ */

START_TEST(test_commit_failed)
{
	static const int retry[] = {
		GHOST_TXN_TARGET_STALE, GHOST_TXN_TARGET_NOT_FOUND,
		GHOST_TXN_CPU_UNAVAIL, GHOST_TXN_INVALID_CPU,
		GHOST_TXN_INVALID_FLAGS, GHOST_TXN_NO_AGENT,
		GHOST_TXN_ABORTED, GHOST_TXN_CPU_NOT_ALLOWED,
	};
	unsigned int i;
	int cpu = -7;

	ck_assert_int_eq(gp_commit_failed(&pctx, 9, GHOST_TXN_INVALID_TARGET,
					  &cpu), GP_FAILED_WAIT);
	ck_assert_int_eq(gp_commit_failed(&pctx, 9,
					  GHOST_TXN_TARGET_NOT_RUNNABLE, &cpu),
			 GP_FAILED_WAIT);
	for (i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
		ck_assert_int_eq(gp_commit_failed(&pctx, 9, retry[i], &cpu),
				 GP_FAILED_RETRY);
	ck_assert_int_eq(cpu, -7);
	/* On a CPU: where the kernel says, unless it says none. */
	task_cpu_answer = 3;
	ck_assert_int_eq(gp_commit_failed(&pctx, 9, GHOST_TXN_TARGET_ONCPU,
					  &cpu), GP_FAILED_ONCPU);
	ck_assert_int_eq(cpu, 3);
	task_cpu_answer = -1;
	ck_assert_int_eq(gp_commit_failed(&pctx, 9, GHOST_TXN_TARGET_ONCPU,
					  &cpu), GP_FAILED_RETRY);
}
END_TEST

START_TEST(test_clear_global_cpu)
{
	int idling = 0;

	gp_clear_global_cpu(&pctx, 0, &idling);
	ck_assert_int_eq(nr_runs, 0);
	/* Refused this round: tried again next time. */
	run_answer = -EBUSY;
	gp_clear_global_cpu(&pctx, 1, &idling);
	ck_assert_int_eq(nr_runs, 1);
	ck_assert_int_eq(idling, 0);
	run_answer = 0;
	gp_clear_global_cpu(&pctx, 1, &idling);
	ck_assert_int_eq(nr_runs, 2);
	ck_assert_int_eq(run_cpu, 0);
	ck_assert_uint_eq(run_gtid, GHOST_NULL_GTID);
	ck_assert_int_eq(idling, 1);
	/* Pending: not asked twice. */
	gp_clear_global_cpu(&pctx, 1, &idling);
	ck_assert_int_eq(nr_runs, 2);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Records, lists, entries, hotplug                                    */
/* ------------------------------------------------------------------ */

struct rec {
	struct gp_list node;
	__u64 gtid;
	int mark;
};

START_TEST(test_tasks)
{
	struct gp_tasks ts;
	struct rec *a, *b, *c;

	memset(&ts, 0, sizeof(ts));
	ck_assert_int_eq(gp_tasks_init(&ts, sizeof(struct rec), 2), 0);
	a = gp_tasks_new(&pctx, "pol", &ts, 1);
	b = gp_tasks_new(&pctx, "pol", &ts, 2);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_eq(gp_tasks_find(&ts, 1), a);
	ck_assert_ptr_eq(gp_tasks_find(&ts, 2), b);
	ck_assert_uint_eq(ts.table.nr, 2);
	/* Full. */
	ck_assert_ptr_null(gp_tasks_new(&pctx, "pol", &ts, 0x3f));
	ck_assert_str_eq(last_log, "pol: no room for thread 3f");
	ck_assert_ptr_null(gp_tasks_find(&ts, 0x3f));
	/* A record comes back zeroed. */
	a->mark = 5;
	gp_tasks_del(&ts, 1);
	ck_assert_ptr_null(gp_tasks_find(&ts, 1));
	gp_tasks_del(&ts, 1);
	c = gp_tasks_new(&pctx, "pol", &ts, 7);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->mark, 0);
	/* A gtid it has already: refused, and no record is lost. */
	gp_tasks_del(&ts, 2);
	ck_assert_ptr_null(gp_tasks_new(&pctx, "pol", &ts, 7));
	ck_assert_ptr_nonnull(gp_tasks_new(&pctx, "pol", &ts, 8));
	ck_assert_uint_eq(ts.table.nr, 2);
	gp_tasks_free(&ts);
	/* Also after a failed init of a zeroed one. */
	memset(&ts, 0, sizeof(ts));
	gp_tasks_free(&ts);
}
END_TEST

START_TEST(test_list_move)
{
	struct gp_list p, q, a, b, c;

	gp_list_init(&p);
	gp_list_init(&q);
	gp_list_init(&a);
	gp_list_init(&b);
	gp_list_init(&c);
	gp_list_move(&p, &a, 0);
	gp_list_move(&p, &b, 0);
	gp_list_move(&p, &c, 1);
	ck_assert_int_eq(gp_list_pos(&p, &c), 0);
	ck_assert_int_eq(gp_list_pos(&p, &a), 1);
	ck_assert_int_eq(gp_list_pos(&p, &b), 2);
	/* From one list to the other, and within one. */
	gp_list_move(&q, &a, 1);
	ck_assert_int_eq(gp_list_pos(&p, &a), -1);
	ck_assert_int_eq(gp_list_pos(&q, &a), 0);
	gp_list_move(&p, &c, 0);
	ck_assert_int_eq(gp_list_pos(&p, &b), 0);
	ck_assert_int_eq(gp_list_pos(&p, &c), 1);
}
END_TEST

static int seen_cpu[8];
static __u64 seen_gtid[8];
static int nr_seen;

static void seen(struct ghost_policy_ctx *c, int cpu,
		 const struct ghost_dispatch_entry *e)
{
	ck_assert_ptr_eq(c, &pctx);
	ck_assert_int_lt(nr_seen, 8);
	seen_cpu[nr_seen] = cpu;
	seen_gtid[nr_seen++] = e->gtid;
}

START_TEST(test_dl_for_each_entry)
{
	entries[1][0].gtid = 10;
	entries[1][1].gtid = 11;
	nr_entries[1] = 2;
	entries[3][0].gtid = 30;
	nr_entries[3] = 1;
	/* Not a CPU of the policy's: not looked at. */
	entries[2][0].gtid = 20;
	nr_entries[2] = 1;
	nr_seen = 0;
	gp_dl_for_each_entry(&pctx, seen);
	ck_assert_int_eq(nr_seen, 3);
	ck_assert_int_eq(seen_cpu[0], 1);
	ck_assert_uint_eq(seen_gtid[0], 10);
	ck_assert_int_eq(seen_cpu[1], 1);
	ck_assert_uint_eq(seen_gtid[1], 11);
	ck_assert_int_eq(seen_cpu[2], 3);
	ck_assert_uint_eq(seen_gtid[2], 30);
}
END_TEST

static int hotplug_cpu = -1, hotplug_offline = -1;

static void pol_cpu_hotplug(struct ghost_policy_ctx *c, int cpu, int offline)
{
	hotplug_cpu = cpu;
	hotplug_offline = offline;
}

GP_DEFINE_CPU_HOTPLUG(pol)

START_TEST(test_cpu_hotplug)
{
	struct ghost_msg m = { 0 };
	struct ghost_msg_cpu p = { .cpu = 3 };

	pol_cpu_offline(&pctx, &m, &p);
	ck_assert_int_eq(hotplug_cpu, 3);
	ck_assert_int_eq(hotplug_offline, 1);
	p.cpu = 1;
	pol_cpu_online(&pctx, &m, &p);
	ck_assert_int_eq(hotplug_cpu, 1);
	ck_assert_int_eq(hotplug_offline, 0);
}
END_TEST

static Suite *policy_util_suite(void)
{
	Suite *s = suite_create("policy_util");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_opt_ulong, 0,
			    sizeof(numbers) / sizeof(numbers[0]));
	tcase_add_test(tc, test_opt_ulong_absent);
	tcase_add_test(tc, test_opts_known);
	suite_add_tcase(s, tc);

	tc = tcase_create("commits");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_commit_failed);
	tcase_add_test(tc, test_clear_global_cpu);
	suite_add_tcase(s, tc);

	tc = tcase_create("records");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_tasks);
	tcase_add_test(tc, test_list_move);
	tcase_add_test(tc, test_dl_for_each_entry);
	tcase_add_test(tc, test_cpu_hotplug);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_util_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
