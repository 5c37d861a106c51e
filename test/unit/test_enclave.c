// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: enclave operations and file helpers against a scratch
 * directory laid out like ghostfs.  Plain files cannot act like the
 * module, so these check what libghost reads and writes, and where.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fakefs.h"

/* An enclave directory as the module would show it. */
static void fake_enclave(unsigned int id, const char *cpus)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "enclave_%u", id);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "enclave_%u/ctl", id);
	fake_put(rel, "");
	snprintf(rel, sizeof(rel), "enclave_%u/cpulist", id);
	fake_put(rel, cpus);
	snprintf(rel, sizeof(rel), "enclave_%u/status", id);
	fake_put(rel, "id 0\nabi 1\nnr_tasks 3\nnr_cpus 2\nagent_online 0\nnew_key 5\n");
	snprintf(rel, sizeof(rel), "enclave_%u/agent_online", id);
	fake_put(rel, "1\n");
	snprintf(rel, sizeof(rel), "enclave_%u/runnable_timeout", id);
	fake_put(rel, "10000\n");
	snprintf(rel, sizeof(rel), "enclave_%u/deliver_ticks", id);
	fake_put(rel, "0\n");
}

START_TEST(test_write_read_file)
{
	char buf[8];

	fake_put("f", "");
	ck_assert_int_eq(ghost_write_file(fake_path("f"), "hello"), 0);
	ck_assert_int_eq(ghost_read_file(fake_path("f"), buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");
	/* Exactly fitting, then one byte too many. */
	fake_put("f", "1234567");
	ck_assert_int_eq(ghost_read_file(fake_path("f"), buf, sizeof(buf)), 7);
	fake_put("f", "12345678");
	ck_assert_int_eq(ghost_read_file(fake_path("f"), buf, sizeof(buf)),
			 -EOVERFLOW);
	ck_assert_int_eq(ghost_read_file(fake_path("none"), buf, sizeof(buf)),
			 -ENOENT);
	/* Never creates a file: ghostfs files exist or the op is wrong. */
	ck_assert_int_eq(ghost_write_file(fake_path("none"), "x"), -ENOENT);
	ck_assert_int_eq(ghost_write_file(fake_root, "x"), -EISDIR);
}
END_TEST

START_TEST(test_list_sorted)
{
	unsigned int ids[8] = { 0 };

	fake_put("ctl", "");
	fake_put("version", "1\n");
	fake_mkdir("enclave_10");
	fake_mkdir("enclave_2");
	fake_mkdir("enclave_1");
	fake_mkdir("enclave_01");
	fake_mkdir("enclave_x");
	fake_put("enclave_3", "not a directory");
	ck_assert_int_eq(ghost_enclave_list(ids, 8), 3);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_uint_eq(ids[1], 2);
	ck_assert_uint_eq(ids[2], 10);
	/* Fewer slots than enclaves: the lowest ids, and the full count. */
	memset(ids, 0, sizeof(ids));
	ck_assert_int_eq(ghost_enclave_list(ids, 2), 3);
	ck_assert_uint_eq(ids[1], 2);
	ck_assert_uint_eq(ids[2], 0);
	ck_assert_int_eq(ghost_enclave_list(NULL, 0), 3);
}
END_TEST

START_TEST(test_list_empty_and_missing)
{
	unsigned int ids[4];

	ck_assert_int_eq(ghost_enclave_list(ids, 4), 0);
	libghost_root = "/nonexistent/ghost";
	ck_assert_int_eq(ghost_enclave_list(ids, 4), -ENOENT);
}
END_TEST

START_TEST(test_status_reads_files)
{
	struct ghost_enclave_status st;
	char buf[32];

	fake_enclave(4, "0-1,5\n");
	ck_assert_int_eq(ghost_enclave_status(4, &st), 0);
	ck_assert_uint_eq(st.id, 0);	/* as the status file says */
	ck_assert_uint_eq(st.abi, 1);
	ck_assert_uint_eq(st.nr_tasks, 3);
	ck_assert_uint_eq(st.nr_cpus, 2);
	ck_assert_uint_eq(st.agent_online, 1);	/* the file wins */
	ck_assert_uint_eq(st.runnable_timeout_ms, 10000);
	ck_assert_uint_eq(st.deliver_ticks, 0);
	ghost_cpulist_format(&st.cpus, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0-1,5");
	/* A plain file knows no ioctl. */
	ck_assert_int_eq(st.info_err, -ENOTTY);
}
END_TEST

START_TEST(test_status_errors)
{
	struct ghost_enclave_status st;

	ck_assert_int_eq(ghost_enclave_status(9, &st), -ENOENT);
	ck_assert_int_eq(ghost_enclave_status(0, &st), -ENOENT);
	fake_enclave(5, "zero\n");
	ck_assert_int_eq(ghost_enclave_status(5, &st), -EINVAL);
	fake_enclave(6, "0\n");
	fake_put("enclave_6/runnable_timeout", "ten\n");
	ck_assert_int_eq(ghost_enclave_status(6, &st), -EINVAL);
}
END_TEST

START_TEST(test_create_writes_ctl_and_cpulist)
{
	struct ghost_cpuset cpus;

	fake_put("ctl", "");
	fake_enclave(5, "");
	ghost_cpulist_parse("2,0-1", &cpus);
	ck_assert_int_eq(ghost_enclave_create(5, &cpus), 0);
	ck_assert_str_eq(fake_get("ctl"), "create 5 1");
	ck_assert_str_eq(fake_get("enclave_5/cpulist"), "0-2");
	ck_assert_str_eq(fake_get("enclave_5/ctl"), "");
}
END_TEST

START_TEST(test_create_rolls_back)
{
	struct ghost_cpuset cpus;

	fake_put("ctl", "");
	fake_mkdir("enclave_5");
	fake_put("enclave_5/ctl", "");
	/* A cpulist that cannot be written. */
	fake_mkdir("enclave_5/cpulist");
	ghost_cpulist_parse("0", &cpus);
	ck_assert_int_eq(ghost_enclave_create(5, &cpus), -EISDIR);
	ck_assert_str_eq(fake_get("enclave_5/ctl"), "destroy");
}
END_TEST

START_TEST(test_create_bad_id)
{
	ck_assert_int_eq(ghost_enclave_create(0, NULL), -EINVAL);
	ck_assert_int_eq(ghost_enclave_create(GHOST_MAX_ENCLAVE_ID + 1, NULL),
			 -EINVAL);
	/* No ctl file: the module is not there. */
	ck_assert_int_eq(ghost_enclave_create(1, NULL), -ENOENT);
}
END_TEST

START_TEST(test_create_any_lowest_free)
{
	unsigned int id = 0;

	fake_put("ctl", "");
	fake_mkdir("enclave_1");
	fake_mkdir("enclave_2");
	fake_mkdir("enclave_4");
	ck_assert_int_eq(ghost_enclave_create_any(NULL, &id), 0);
	ck_assert_uint_eq(id, 3);
	ck_assert_str_eq(fake_get("ctl"), "create 3 1");
}
END_TEST

START_TEST(test_set_cpus_empty)
{
	struct ghost_cpuset cpus;

	fake_enclave(2, "");
	ghost_cpuset_zero(&cpus);
	ck_assert_int_eq(ghost_enclave_set_cpus(2, &cpus), 0);
	ck_assert_str_eq(fake_get("enclave_2/cpulist"), "\n");
	ck_assert_int_eq(ghost_enclave_set_cpus(0, &cpus), -EINVAL);
}
END_TEST

START_TEST(test_destroy)
{
	fake_enclave(7, "");
	ck_assert_int_eq(ghost_enclave_destroy(7), 0);
	ck_assert_str_eq(fake_get("enclave_7/ctl"), "destroy");
	ck_assert_int_eq(ghost_enclave_destroy(8), -ENOENT);
	ck_assert_int_eq(ghost_enclave_destroy(0), -ENOENT);
}
END_TEST

START_TEST(test_set_tunable)
{
	fake_enclave(3, "");
	fake_put("enclave_3/runnable_timeout", "");
	ck_assert_int_eq(ghost_enclave_set_tunable(3, "runnable_timeout", 5000),
			 0);
	ck_assert_str_eq(fake_get("enclave_3/runnable_timeout"), "5000");
	fake_put("enclave_3/deliver_ticks", "");
	ck_assert_int_eq(ghost_enclave_set_tunable(3, "deliver_ticks", 1), 0);
	ck_assert_str_eq(fake_get("enclave_3/deliver_ticks"), "1");
	ck_assert_int_eq(ghost_enclave_set_tunable(3, "cpulist", 1), -EINVAL);
	ck_assert_int_eq(ghost_enclave_set_tunable(3, "../ctl", 1), -EINVAL);
	ck_assert_int_eq(ghost_enclave_set_tunable(9, "deliver_ticks", 1),
			 -ENOENT);
}
END_TEST

static Suite *enclave_suite(void)
{
	Suite *s = suite_create("enclave");
	TCase *tc;

	tc = tcase_create("files");
	fake_fixtures(tc);
	tcase_add_test(tc, test_write_read_file);
	tcase_add_test(tc, test_list_sorted);
	tcase_add_test(tc, test_list_empty_and_missing);
	tcase_add_test(tc, test_status_reads_files);
	tcase_add_test(tc, test_status_errors);
	tcase_add_test(tc, test_create_writes_ctl_and_cpulist);
	tcase_add_test(tc, test_create_rolls_back);
	tcase_add_test(tc, test_create_bad_id);
	tcase_add_test(tc, test_create_any_lowest_free);
	tcase_add_test(tc, test_set_cpus_empty);
	tcase_add_test(tc, test_destroy);
	tcase_add_test(tc, test_set_tunable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(enclave_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
