// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: record and replay (ghost-agent --record, ghost-replay).
 * Policies run on the kernel model of sim.h with the recorder between
 * them and the model, as ghost-agent puts it between them and the kernel;
 * the recording then replays with the same policy to the same decisions
 * (time-reading policies included, and up to the end of a recording that
 * hit its size limit), and reports the first difference for another
 * policy, other options or another model.  Damaged files (wrong magic or
 * version, truncated anywhere, trailing bytes, unknown events) are
 * refused, and ghost-replay's exit status says which case it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>

#include "sim.h"
#include "recorder.h"
#include "recfile.h"
#include "replay.h"

#ifndef GHOST_TEST_BIN_DIR
#define GHOST_TEST_BIN_DIR "build/bin"
#endif

static struct sim s;
static struct recorder *rec;
static char dir[64];
static char path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ghost-rec-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.rec", dir);
	sim_lists = 1;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void bind_recorder(struct sim *x, const char *const opts[])
{
	x->ops = rec_bind(rec, &x->ctx, x->ops, x->lib.path, opts);
}

struct run {
	const char *policy;
	int global;		/* -1: per-CPU */
	int timed;		/* also run CPU-bound on the clock */
};

static const struct run runs[] = {
	{ "fifo_per_cpu",	-1, 0 },
	{ "fifo_centralized",	0, 1 },
	{ "sol",		0, 0 },
	{ "shinjuku",		0, 1 },
	{ "cfs",		-1, 1 },
	{ "edf",		0, 1 },
	{ "biff",		-1, 0 },
};

/* Record @nr_threads threads of @r doing @work slices into @file. */
static void record_to(const char *file, const struct run *r,
		      const char *const opts[], uint64_t max, int nr_threads,
		      int work)
{
	static int cpu_node[SIM_MAX_CPUS];
	static const int ecpus[] = { 0, 1, 2, 3 };
	char msg[256];
	int i;

	ck_assert_msg(!rec_open(&rec, file, max, msg, sizeof(msg)), "%s", msg);
	ck_assert_int_eq(rec_begin(rec, 1, ecpus, 4, r->global < 0 ? 0 :
				   r->global, cpu_node, SIM_MAX_CPUS), 0);
	sim_before_init = bind_recorder;
	ck_assert_int_eq(sim_init(&s, r->policy, 4, r->global, opts), 0);
	sim_before_init = NULL;
	for (i = 0; i < nr_threads; i++)
		sim_new(&s, 1);
	if (r->timed)
		sim_run_for(&s, 20000000, 1000000);
	ck_assert_int_eq(sim_run_all(&s, work, NULL), 0);
	sim_fini(&s);
	rec_unbind(&s.ctx);
	ck_assert_int_eq(rec_close(rec), 0);
	rec = NULL;
}

static void record(const struct run *r, const char *const opts[])
{
	record_to(path, r, opts, REC_DEFAULT_MAX, 12, 4);
}

/* Replay @file into @policy; 0 identical, 1 differs. */
static int replay(const char *file, const char *policy,
		  const char *const opts[], struct replay_result *res)
{
	static const char *const dirs[] = { GHOST_TEST_POLICY_DIR, NULL };
	struct replay_opts o = {
		.policy = policy, .dirs = dirs, .use_opts = !!opts,
		.opts = opts,
	};
	struct recfile f;
	char msg[1024];
	int ret;

	ck_assert_msg(!recfile_load(file, &f, msg, sizeof(msg)), "%s", msg);
	ret = replay_run(&f, &o, res, msg, sizeof(msg));
	recfile_free(&f);
	ck_assert_msg(ret >= 0, "%s", msg);
	return ret;
}

START_TEST(test_same_policy_replays_identically)
{
	const struct run *r = &runs[_i];
	struct replay_result res;

	record(r, NULL);
	ck_assert_msg(replay(path, r->policy, NULL, &res) == 0, "%s: %s",
		      r->policy, res.what);
	/* Every request the policy made was compared. */
	ck_assert_uint_gt(res.decisions, 12);
	ck_assert_int_eq(res.stopped_early, 0);
}
END_TEST

/* Without dispatch lists every decision is a commit with an outcome. */
START_TEST(test_commits_only_replay_identically)
{
	struct replay_result res;

	sim_lists = 0;
	record(&runs[_i], NULL);
	ck_assert_msg(replay(path, runs[_i].policy, NULL, &res) == 0, "%s",
		      res.what);
	ck_assert_uint_gt(res.decisions, 12);
}
END_TEST

/* The recording has what the policy read: the clock among it. */
START_TEST(test_time_is_recorded)
{
	struct recfile f;
	char msg[512];
	size_t i, nows = 0, ticks = 0;

	record(&runs[3], NULL);		/* shinjuku slices by the clock */
	ck_assert_msg(!recfile_load(path, &f, msg, sizeof(msg)), "%s", msg);
	for (i = 0; i < f.nr_ev; i++) {
		nows += f.ev[i].type == REC_NOW;
		ticks += f.ev[i].type == REC_TICK;
	}
	recfile_free(&f);
	ck_assert_uint_gt(nows + ticks, 0);
}
END_TEST

START_TEST(test_other_policy_differs)
{
	struct replay_result res;

	record(&runs[0], NULL);
	ck_assert_int_eq(replay(path, "cfs", NULL, &res), 1);
	ck_assert_int_eq(res.differs, 1);
	ck_assert_ptr_nonnull(strstr(res.what, "first difference at event"));
	ck_assert_ptr_nonnull(strstr(res.what, "recorded: "));
	ck_assert_ptr_nonnull(strstr(res.what, "replayed: "));
}
END_TEST

START_TEST(test_other_option_differs)
{
	static const char *const depth1[] = { "dispatch_depth=1", NULL };
	struct replay_result res;

	record(&runs[0], NULL);
	ck_assert_int_eq(replay(path, "fifo_per_cpu", depth1, &res), 1);
	ck_assert_ptr_nonnull(strstr(res.what, "recorded: "));
	/* Recorded with the option, it replays identically with it. */
	record(&runs[0], depth1);
	ck_assert_msg(replay(path, "fifo_per_cpu", NULL, &res) == 0, "%s",
		      res.what);
}
END_TEST

START_TEST(test_other_model_differs)
{
	struct replay_result res;

	record(&runs[0], NULL);
	ck_assert_int_eq(replay(path, "fifo_centralized", NULL, &res), 1);
	ck_assert_ptr_nonnull(strstr(res.what, "model per_cpu"));
	ck_assert_uint_eq(res.decisions, 0);
}
END_TEST

/*
 * A hot swap in the middle: the policy swapped in is replayed from its
 * recorded path, whichever way the state was handed over.
 */
START_TEST(test_swap_replays_identically)
{
	static int cpu_node[SIM_MAX_CPUS];
	static const int ecpus[] = { 0, 1, 2, 3 };
	static const char *const to[] = { "fifo_centralized", "cfs" };
	struct replay_result res;
	struct recfile f;
	char msg[512];
	size_t i, inst2 = 0;

	ck_assert_msg(!rec_open(&rec, path, 0, msg, sizeof(msg)), "%s", msg);
	ck_assert_int_eq(rec_begin(rec, 1, ecpus, 4, 0, cpu_node,
				   SIM_MAX_CPUS), 0);
	sim_before_init = bind_recorder;
	ck_assert_int_eq(sim_init(&s, "fifo_per_cpu", 4, -1, NULL), 0);
	for (i = 0; i < 12; i++)
		sim_new(&s, 1);
	ck_assert_int_eq(sim_run_all(&s, 2, NULL), 0);
	/* fifo_centralized takes fifo_per_cpu's state; cfs rediscovers. */
	ck_assert_int_eq(sim_swap(&s, to[_i], NULL), !_i);
	sim_before_init = NULL;
	sim_run_for(&s, 10000000, 1000000);
	ck_assert_int_eq(sim_run_all(&s, 2, NULL), 0);
	sim_fini(&s);
	rec_unbind(&s.ctx);
	ck_assert_int_eq(rec_close(rec), 0);
	rec = NULL;

	ck_assert_msg(!recfile_load(path, &f, msg, sizeof(msg)), "%s", msg);
	for (i = 0; i < f.nr_ev; i++)
		inst2 += f.ev[i].inst == 2 && f.ev[i].type == REC_SCHEDULE;
	recfile_free(&f);
	ck_assert_uint_gt(inst2, 0);
	ck_assert_msg(replay(path, "fifo_per_cpu", NULL, &res) == 0, "%s",
		      res.what);
	ck_assert_uint_gt(res.decisions, 12);
}
END_TEST

/* The size limit: the file stays within it and replays up to there. */
START_TEST(test_size_limit_stops_recording)
{
	struct replay_result res;
	struct recfile f;
	struct stat st;
	char msg[512];

	record_to(path, &runs[0], NULL, REC_MIN_MAX, 64, 40);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_le(st.st_size, REC_MIN_MAX);
	ck_assert_msg(!recfile_load(path, &f, msg, sizeof(msg)), "%s", msg);
	ck_assert_int_eq(f.limited, 1);
	recfile_free(&f);
	ck_assert_msg(replay(path, "fifo_per_cpu", NULL, &res) == 0, "%s",
		      res.what);
	ck_assert_int_eq(res.stopped_early, 1);
	ck_assert_uint_gt(res.decisions, 0);
}
END_TEST

START_TEST(test_bad_path_refused)
{
	char msg[512], p[192];

	snprintf(p, sizeof(p), "%s/no/such/dir/x.rec", dir);
	ck_assert_int_eq(rec_open(&rec, p, 0, msg, sizeof(msg)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(msg, "cannot create the recording"));
	ck_assert_int_eq(rec_open(&rec, dir, 0, msg, sizeof(msg)), -EISDIR);
	ck_assert_int_eq(rec_open(&rec, path, 1000, msg, sizeof(msg)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "too small"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Damaged files                                                       */
/* ------------------------------------------------------------------ */

static void *slurp(const char *file, size_t *len)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(file, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = malloc(st.st_size);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(read(fd, p, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return p;
}

static void spill(const char *file, const void *p, size_t len)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
	close(fd);
}

/* recfile_load() of @p refuses it with a message holding @what. */
static void refused(const void *p, size_t len, const char *what)
{
	char bad[160], msg[512];
	struct recfile f;

	snprintf(bad, sizeof(bad), "%s/bad.rec", dir);
	spill(bad, p, len);
	ck_assert_int_eq(recfile_load(bad, &f, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, what), "'%s' lacks '%s'", msg, what);
}

START_TEST(test_truncated_anywhere_refused)
{
	size_t len, cut, step;
	char *p;

	record(&runs[0], NULL);
	p = slurp(path, &len);
	/* Every cut of the header, then cuts all over the events. */
	for (cut = 0; cut < sizeof(struct rec_file_hdr) + 8; cut++)
		refused(p, cut, cut < 8 ? "not a ghost recording" :
			"truncated");
	step = len / 500 + 1;
	for (cut = sizeof(struct rec_file_hdr) + 8; cut < len; cut += step)
		refused(p, cut, "truncated");
	refused(p, len - 1, "truncated");
	/* Without its end marker, even at an event boundary. */
	refused(p, len - sizeof(struct rec_ev), "without an end marker");
	free(p);
}
END_TEST

START_TEST(test_damaged_refused)
{
	struct rec_file_hdr h;
	struct rec_ev ev;
	size_t len;
	char *p, *q;

	record(&runs[0], NULL);
	p = slurp(path, &len);
	memcpy(&h, p, sizeof(h));

	q = malloc(len + 16);
	ck_assert_ptr_nonnull(q);
	memcpy(q, p, len);
	memcpy(q, "GHOSTRED", 8);
	refused(q, len, "not a ghost recording");

	memcpy(q, p, len);
	((struct rec_file_hdr *)q)->version = REC_VERSION + 1;
	refused(q, len, "format version 3; this ghost-replay reads version 2");

	/* Version 1 had a shorter struct rec_hint: refused, not misread. */
	memcpy(q, p, len);
	((struct rec_file_hdr *)q)->version = 1;
	refused(q, len, "format version 1; this ghost-replay reads version 2 (an older ghost-agent recorded it");

	memcpy(q, p, len);
	((struct rec_file_hdr *)q)->hdr_size += 4;
	refused(q, len, "bad header");

	memcpy(q, p, len);
	memset(q + len, 0, 16);
	refused(q, len + 16, "after the end marker");

	/* The first event (the policy instance) of an unknown type. */
	memcpy(q, p, len);
	memcpy(&ev, q + h.hdr_size, sizeof(ev));
	ck_assert_uint_eq(ev.type, REC_INSTANCE);
	ev.type = 999;
	memcpy(q + h.hdr_size, &ev, sizeof(ev));
	refused(q, len, "unknown type 999");

	/* A schedule() of a CPU the machine does not have. */
	memcpy(q, p, len);
	{
		struct rec_cpu c = { .cpu = 5000 };
		size_t off = h.hdr_size;

		for (;;) {
			memcpy(&ev, q + off, sizeof(ev));
			ck_assert_uint_ne(ev.type, REC_END);
			if (ev.type == REC_SCHEDULE)
				break;
			off += sizeof(ev) + ev.len;
		}
		memcpy(q + off + sizeof(ev), &c, sizeof(c));
	}
	refused(q, len, "schedule, offset");
	refused(q, len, "CPU out of range");

	/* An event of a policy instance never declared. */
	memcpy(&ev, p + h.hdr_size, sizeof(ev));
	memcpy(q, p, len);
	ev.type = REC_INSTANCE;
	ev.inst = 7;
	memcpy(q + h.hdr_size, &ev, sizeof(ev));
	refused(q, len, "never declared");
	free(q);
	free(p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The tool                                                            */
/* ------------------------------------------------------------------ */

/* ghost-replay @args; its exit status, its output in @out. */
static int tool(const char *args, char *out, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *pf;
	int st;

	snprintf(cmd, sizeof(cmd), "%s/ghost-replay %s 2>&1",
		 GHOST_TEST_BIN_DIR, args);
	pf = popen(cmd, "r");
	ck_assert_ptr_nonnull(pf);
	n = fread(out, 1, len - 1, pf);
	out[n] = '\0';
	st = pclose(pf);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_tool_exit_status)
{
	char args[384], out[4096];
	size_t len;
	char *p;

	record(&runs[0], NULL);
	snprintf(args, sizeof(args), "fifo_per_cpu %s", path);
	ck_assert_msg(tool(args, out, sizeof(out)) == 0, "%s", out);
	ck_assert_msg(!strncmp(out, "identical: ", 11), "%s", out);

	snprintf(args, sizeof(args), "%s/cfs.so %s", GHOST_TEST_POLICY_DIR,
		 path);
	ck_assert_msg(tool(args, out, sizeof(out)) == 1, "%s", out);
	ck_assert_msg(strstr(out, "first difference at event"), "%s", out);

	snprintf(args, sizeof(args), "--opt dispatch_depth=1 fifo_per_cpu %s",
		 path);
	ck_assert_msg(tool(args, out, sizeof(out)) == 1, "%s", out);

	p = slurp(path, &len);
	spill(path, p, len / 2);
	snprintf(args, sizeof(args), "fifo_per_cpu %s", path);
	ck_assert_msg(tool(args, out, sizeof(out)) == 2, "%s", out);
	ck_assert_msg(strstr(out, "truncated"), "%s", out);

	((struct rec_file_hdr *)p)->version = 9;
	spill(path, p, len);
	ck_assert_msg(tool(args, out, sizeof(out)) == 2, "%s", out);
	ck_assert_msg(strstr(out, "format version 9"), "%s", out);

	memcpy(p, "#!/bin/s", 8);
	spill(path, p, len);
	ck_assert_msg(tool(args, out, sizeof(out)) == 2, "%s", out);
	ck_assert_msg(strstr(out, "not a ghost recording"), "%s", out);
	free(p);

	snprintf(args, sizeof(args), "fifo_per_cpu %s/none.rec", dir);
	ck_assert_msg(tool(args, out, sizeof(out)) == 2, "%s", out);
	ck_assert_msg(strstr(out, "cannot open"), "%s", out);
	ck_assert_int_eq(tool("fifo_per_cpu", out, sizeof(out)), 2);
	ck_assert_int_eq(tool("--opt x fifo_per_cpu f", out, sizeof(out)), 2);
	ck_assert_int_eq(tool("--bogus fifo_per_cpu f", out, sizeof(out)), 2);
	ck_assert_int_eq(tool("--help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "EXIT STATUS"));
}
END_TEST

/* A plugin that cannot be loaded is not a difference: status 2. */
START_TEST(test_tool_bad_plugin)
{
	char args[384], out[4096];

	record(&runs[0], NULL);
	snprintf(args, sizeof(args), "no_such_policy %s", path);
	ck_assert_msg(tool(args, out, sizeof(out)) == 2, "%s", out);
	ck_assert_msg(strstr(out, "no policy named no_such_policy"), "%s",
		      out);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *suite = suite_create("record");
	TCase *tc = tcase_create("replay");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_same_policy_replays_identically, 0,
			    sizeof(runs) / sizeof(runs[0]));
	tcase_add_loop_test(tc, test_commits_only_replay_identically, 0, 2);
	tcase_add_test(tc, test_time_is_recorded);
	tcase_add_test(tc, test_other_policy_differs);
	tcase_add_test(tc, test_other_option_differs);
	tcase_add_test(tc, test_other_model_differs);
	tcase_add_loop_test(tc, test_swap_replays_identically, 0, 2);
	tcase_add_test(tc, test_size_limit_stops_recording);
	tcase_add_test(tc, test_bad_path_refused);
	tcase_add_test(tc, test_truncated_anywhere_refused);
	tcase_add_test(tc, test_damaged_refused);
	tcase_add_test(tc, test_tool_exit_status);
	tcase_add_test(tc, test_tool_bad_plugin);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
