// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the wait histograms of enclave_<id>/latency (libghost), and
 * ghostctl's "latency" and "top": their command lines and what they print.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cli_parse.h"
#include "fakefs.h"
#include "view.h"

/* A latency line: @name, then @n buckets from @counts (the rest 0). */
static void lat_line(char *buf, size_t len, const char *name,
		     const unsigned long long *counts, int n,
		     unsigned long long sum)
{
	unsigned long long total = 0;
	size_t off;
	int b;

	for (b = 0; b < n; b++)
		total += counts[b];
	off = snprintf(buf, len, "%s %llu %llu", name, total, sum);
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++)
		off += snprintf(buf + off, len - off, " %llu",
				b < n ? counts[b] : 0ULL);
	snprintf(buf + off, len - off, "\n");
}

/* The file's text: runnable with @r, placed with @p. */
static void lat_text(char *buf, size_t len, const unsigned long long *r,
		     int nr, const unsigned long long *p, int np)
{
	size_t half = len / 2;

	lat_line(buf, half, "runnable_to_run", r, nr, 1000);
	lat_line(buf + strlen(buf), half, "placed_to_run", p, np, 500);
}

START_TEST(test_parse_file)
{
	static const unsigned long long r[] = { 0, 0, 0, 0, 5, 10, 1 };
	static const unsigned long long p[] = { 3 };
	struct ghost_latency lat;
	char text[2048];

	lat_text(text, sizeof(text), r, 7, p, 1);
	ck_assert_int_eq(ghost_latency_parse(text, &lat), 0);
	ck_assert_uint_eq(lat.runnable.count, 16);
	ck_assert_uint_eq(lat.runnable.sum_ns, 1000);
	ck_assert_uint_eq(lat.runnable.buckets[5], 10);
	ck_assert_uint_eq(lat.placed.count, 3);
	ck_assert_uint_eq(lat.placed.buckets[0], 3);
	/* Lines of later versions are skipped. */
	strcat(text, "future_measure 1 2 3\n");
	ck_assert_int_eq(ghost_latency_parse(text, &lat), 0);
}
END_TEST

/* Malformed: each must be refused. */
START_TEST(test_parse_refuses_malformed)
{
	static const unsigned long long r[] = { 1, 2 };
	struct ghost_latency lat;
	char text[2048], bad[2048], *p;

	lat_text(text, sizeof(text), r, 2, r, 2);
	/* A line missing. */
	ck_assert_int_eq(ghost_latency_parse(strchr(text, '\n') + 1, &lat),
			 -EINVAL);
	ck_assert_int_eq(ghost_latency_parse("", &lat), -EINVAL);
	/* A count that is not the sum of the buckets. */
	strcpy(bad, text);
	p = strstr(bad, "runnable_to_run 3 ");
	ck_assert_ptr_nonnull(p);
	p[strlen("runnable_to_run ")] = '4';
	ck_assert_int_eq(ghost_latency_parse(bad, &lat), -EINVAL);
	/* A bucket too few, and one too many. */
	strcpy(bad, text);
	p = strchr(bad, '\n');
	strcpy(p - 2, p);
	ck_assert_int_eq(ghost_latency_parse(bad, &lat), -EINVAL);
	strcpy(bad, text);
	p = strchr(bad, '\n');
	memmove(p + 2, p, strlen(p) + 1);
	memcpy(p, " 0", 2);
	ck_assert_int_eq(ghost_latency_parse(bad, &lat), -EINVAL);
	/* Not a number. */
	strcpy(bad, text);
	p = strstr(bad, " 1000 ");
	p[1] = 'x';
	ck_assert_int_eq(ghost_latency_parse(bad, &lat), -EINVAL);
}
END_TEST

START_TEST(test_read_from_ghostfs)
{
	static const unsigned long long r[] = { 0, 1 };
	struct ghost_latency lat;
	char text[2048];

	lat_text(text, sizeof(text), r, 2, r, 2);
	ck_assert_int_eq(ghost_enclave_latency(4, &lat), -ENOENT);
	fake_mkdir("enclave_4");
	fake_put("enclave_4/latency", text);
	ck_assert_int_eq(ghost_enclave_latency(4, &lat), 0);
	ck_assert_uint_eq(lat.placed.buckets[1], 1);
	fake_put("enclave_4/latency", "runnable_to_run 1 1 1\n");
	ck_assert_int_eq(ghost_enclave_latency(4, &lat), -EINVAL);
}
END_TEST

START_TEST(test_window_and_percentiles)
{
	struct ghost_latency_hist before = { 0 }, now = { 0 }, d;

	before.buckets[10] = 5;
	before.count = 5;
	before.sum_ns = 5000;
	now = before;
	/* 90 waits in [1 us, 2 us), 9 in [64 us, 128 us), 1 of 1 s. */
	now.buckets[10] += 90;
	now.buckets[16] += 9;
	now.buckets[30] += 1;
	now.count += 100;
	now.sum_ns += 2000000000ULL;
	ghost_latency_sub(&d, &now, &before);
	ck_assert_uint_eq(d.count, 100);
	ck_assert_uint_eq(d.buckets[10], 90);
	ck_assert_uint_eq(d.sum_ns, 2000000000ULL);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 50), 2048);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 90), 2048);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 90.5), 131072);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 99), 131072);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 99.9), 1ULL << 31);
	ck_assert_uint_eq(ghost_latency_percentile(&d, 0), 2048);
	/* The last bucket has no end; an empty window no percentile. */
	d.buckets[31] = 1000;
	d.count += 1000;
	ck_assert_uint_eq(ghost_latency_percentile(&d, 99), ~0ULL);
	memset(&d, 0, sizeof(d));
	ck_assert_uint_eq(ghost_latency_percentile(&d, 50), 0);
	/* A new enclave under the same ID counts from zero again. */
	ghost_latency_sub(&d, &before, &now);
	ck_assert_uint_eq(d.count, 5);
}
END_TEST

START_TEST(test_cli_latency)
{
	struct ghostctl_cmd cmd;

	ck_assert_int_eq(PARSE(&cmd, "latency", "3"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_LATENCY);
	ck_assert_uint_eq(cmd.id, 3);
	ck_assert(cmd.interval == 5.0);
	ck_assert_uint_eq(cmd.count, 1);
	ck_assert_int_eq(cmd.total, 0);
	ck_assert_int_eq(PARSE(&cmd, "--json", "latency", "--interval=0.5",
			       "3", "--count", "4"), 0);
	ck_assert(cmd.interval == 0.5);
	ck_assert_uint_eq(cmd.count, 4);
	ck_assert_int_eq(cmd.json, 1);
	ck_assert_int_eq(PARSE(&cmd, "latency", "3", "--total"), 0);
	ck_assert_int_eq(cmd.total, 1);
	ck_assert_int_eq(PARSE(&cmd, "latency", "--help"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TOPIC_HELP);
	ck_assert_ptr_eq(cmd.help, ghostctl_latency_help);
	ck_assert_int_eq(PARSE(&cmd, "help", "latency"), 0);
	ck_assert_ptr_eq(cmd.help, ghostctl_latency_help);

	ck_usage(&cmd, "missing enclave ID for 'latency'", "latency");
	ck_usage(&cmd, "unexpected argument '4'", "latency", "3", "4");
	ck_usage(&cmd, "invalid enclave ID", "latency", "x");
	ck_usage(&cmd, "takes no --interval or --count", "latency", "3",
		 "--total", "--interval", "1");
	ck_usage(&cmd, "option --total is only valid with 'latency'", "top",
		 "3", "--total");
	ck_usage(&cmd, "option --interval is only valid with 'latency' or 'top'",
		 "status", "3", "--interval", "1");
	ck_usage(&cmd, "option --count is only valid", "enclave", "list",
		 "--count", "1");
}
END_TEST

START_TEST(test_cli_intervals)
{
	static const char *const bad[] = {
		"0", "0.09", "3601", "-1", "x", "1s", "", "nan", "inf", "1e9",
		".", "+1",
	};
	static const char *const bad_counts[] = {
		"0", "-1", "1000001", "x", "1.5", "",
	};
	struct ghostctl_cmd cmd;
	size_t i;

	ck_assert_int_eq(PARSE(&cmd, "top", "1"), 0);
	ck_assert_int_eq(cmd.action, GHOSTCTL_TOP);
	ck_assert(cmd.interval == 1.0);
	ck_assert_uint_eq(cmd.count, 0);
	ck_assert_int_eq(PARSE(&cmd, "top", "1", "--interval", "0.1",
			       "--count", "1000000"), 0);
	ck_assert(cmd.interval == 0.1);
	ck_assert_uint_eq(cmd.count, 1000000);
	ck_assert_int_eq(PARSE(&cmd, "top", "1", "--interval", "3600"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_usage(&cmd, "invalid --interval", "top", "1", "--interval",
			 (char *)bad[i]);
	for (i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++)
		ck_usage(&cmd, "invalid --count", "top", "1", "--count",
			 (char *)bad_counts[i]);
	ck_usage(&cmd, "option --interval given twice", "top", "1",
		 "--interval", "1", "--interval", "2");
}
END_TEST

/* What @fn printed into a memory stream. */
#define CAPTURE(buf, call) do {						\
	FILE *f_ = fmemopen(buf, sizeof(buf), "w");			\
	ck_assert_ptr_nonnull(f_);					\
	call;								\
	fclose(f_);							\
} while (0)

START_TEST(test_print_latency)
{
	struct ghost_latency lat;
	static char out[8192];

	memset(&lat, 0, sizeof(lat));
	lat.runnable.buckets[13] = 40;	/* [8192, 16384) ns */
	lat.runnable.buckets[15] = 10;
	lat.runnable.count = 50;
	lat.runnable.sum_ns = 50 * 12000ULL;
	CAPTURE(out, ghostctl_print_latency(f_, 2, 5.0, &lat, 0));
	ck_assert_ptr_nonnull(strstr(out, "enclave 2, 5.0 s:\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"runnable_to_run: 50 waits, mean 12 us, p50 <= 16 us, p90 <= 65 us, p99 <= 65 us, p99.9 <= 65 us\n"));
	/* Rows from the first to the last bucket used, empty ones too. */
	ck_assert_ptr_nonnull(strstr(out,
		"     8192 ns       16 us          40  |****************************************|\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"       16 us       32 us           0  |                                        |\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"       32 us       65 us          10  |**********                              |\n"));
	ck_assert_ptr_nonnull(strstr(out, "placed_to_run: 0 waits\n"));

	CAPTURE(out, ghostctl_print_latency(f_, 2, 0, &lat, 1));
	ck_assert_str_eq(out,
		"{\"enclave\":2,\"window_s\":null,\"runnable_to_run\":{\"count\":50,\"sum_ns\":600000,\"mean_ns\":12000,\"p50_ns\":16384,\"p90_ns\":65536,\"p99_ns\":65536,\"p999_ns\":65536,"
		"\"buckets\":[{\"from_ns\":8192,\"to_ns\":16384,\"count\":40},{\"from_ns\":32768,\"to_ns\":65536,\"count\":10}]},"
		"\"placed_to_run\":{\"count\":0,\"sum_ns\":0,\"mean_ns\":0,\"p50_ns\":0,\"p90_ns\":0,\"p99_ns\":0,\"p999_ns\":0,\"buckets\":[]}}\n");
}
END_TEST

START_TEST(test_format_ns)
{
	char buf[32];

	ghostctl_format_ns(buf, sizeof(buf), 0);
	ck_assert_str_eq(buf, "0 ns");
	ghostctl_format_ns(buf, sizeof(buf), 9999);
	ck_assert_str_eq(buf, "9999 ns");
	ghostctl_format_ns(buf, sizeof(buf), 16384);
	ck_assert_str_eq(buf, "16 us");
	ghostctl_format_ns(buf, sizeof(buf), 1ULL << 31);
	ck_assert_str_eq(buf, "2147 ms");
	ghostctl_format_ns(buf, sizeof(buf), 20000000000000ULL);
	ck_assert_str_eq(buf, "20000 s");
	ghostctl_format_ns(buf, sizeof(buf), ~0ULL);
	ck_assert_str_eq(buf, "inf");
}
END_TEST

static void top_frame(struct top_frame *t, int agent)
{
	memset(t, 0, sizeof(*t));
	t->id = 1;
	t->interval = 1.0;
	strcpy(t->cpus, "1-2");
	t->nr_tasks = 4;
	t->running = 2;
	t->runnable = 1;
	t->blocked = 1;
	t->agent = agent;
	t->agent_pid = 812;
	strcpy(t->policy, "fifo_per_cpu");
	t->agent_cpu = 12.5;
	t->msgs_per_s = 2310;
	t->commits_per_s = 1150;
	t->decisions_per_s = 1163;
	t->queue_depth = 3;
	t->runnable_wait.buckets[12] = 4;
	t->runnable_wait.count = 4;
	t->runnable_wait.sum_ns = 20000;
	t->nr_cpus = 2;
	t->cpu[0] = (struct top_cpu){ .cpu = 1, .agent = 1, .tid = 901,
				      .comm = "wor\"ker" };
	t->cpu[1] = (struct top_cpu){ .cpu = 2, .agent = 1 };
}

START_TEST(test_print_top)
{
	static char out[8192];
	struct top_frame t;

	top_frame(&t, 1);
	CAPTURE(out, ghostctl_print_top(f_, &t, 0));
	ck_assert_ptr_nonnull(strstr(out,
		"ghost top: enclave 1, CPUs 1-2, last 1.0 s\n"
		"agent 812: policy fifo_per_cpu, CPU 12.5%\n"
		"  2310 msgs/s, 1150 commits/s, 1163 decisions/s, queue 3, overflow 0\n"
		"threads 4: 2 running, 1 runnable, 1 blocked; 0 displaced\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"  runnable->run         4  p50 <= 8192 ns, p90 <= 8192 ns"));
	ck_assert_ptr_nonnull(strstr(out, "  placed->run           0  -\n"));
	ck_assert_ptr_nonnull(strstr(out, "    1  yes         901  wor\"ker\n"));
	ck_assert_ptr_nonnull(strstr(out, "    2  yes           -  -\n"));

	top_frame(&t, 0);
	t.agent_cpu = -1;
	CAPTURE(out, ghostctl_print_top(f_, &t, 0));
	ck_assert_ptr_nonnull(strstr(out, "agent: none answers"));

	top_frame(&t, 1);
	CAPTURE(out, ghostctl_print_top(f_, &t, 1));
	ck_assert_ptr_nonnull(strstr(out,
		"{\"enclave\":1,\"interval_s\":1.000,\"cpus\":\"1-2\",\"threads\":4,\"running\":2,\"runnable\":1,\"blocked\":1,\"displaced\":0,"
		"\"agent\":{\"pid\":812,\"policy\":\"fifo_per_cpu\",\"cpu_pct\":12.5,\"msgs_per_s\":2310,\"commits_per_s\":1150,\"decisions_per_s\":1163,\"queue_depth\":3,\"overflow\":0},"
		"\"runnable_to_run\":{\"count\":4,"));
	ck_assert_ptr_nonnull(strstr(out,
		"\"per_cpu\":[{\"cpu\":1,\"agent\":true,\"tid\":901,\"comm\":\"wor\\\"ker\"},{\"cpu\":2,\"agent\":true,\"tid\":null,\"comm\":null}]}\n"));
	/* One line per frame. */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);

	top_frame(&t, 0);
	CAPTURE(out, ghostctl_print_top(f_, &t, 1));
	ck_assert_ptr_nonnull(strstr(out, "\"agent\":null,"));
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc;

	tc = tcase_create("latency_file");
	fake_fixtures(tc);
	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_parse_refuses_malformed);
	tcase_add_test(tc, test_read_from_ghostfs);
	tcase_add_test(tc, test_window_and_percentiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_add_test(tc, test_cli_latency);
	tcase_add_test(tc, test_cli_intervals);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_print_latency);
	tcase_add_test(tc, test_format_ns);
	tcase_add_test(tc, test_print_top);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watch_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
