// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: enclave status text, enclave ids and directory names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "internal.h"

START_TEST(test_status_full)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(ghost_status_parse("id 3\nabi 1\nnr_tasks 12\nnr_cpus 2\nagent_online 1\n",
					    &st), 0);
	ck_assert_uint_eq(st.id, 3);
	ck_assert_uint_eq(st.abi, 1);
	ck_assert_uint_eq(st.nr_tasks, 12);
	ck_assert_uint_eq(st.nr_cpus, 2);
	ck_assert_uint_eq(st.agent_online, 1);
}
END_TEST

START_TEST(test_status_unknown_keys)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(ghost_status_parse("future_key some text\nnr_tasks 4\nids 9\nx\n",
					    &st), 0);
	ck_assert_uint_eq(st.nr_tasks, 4);
	/* "ids" is not "id". */
	ck_assert_uint_eq(st.id, 0);
}
END_TEST

START_TEST(test_status_absent_untouched)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	st.abi = 7;
	st.nr_cpus = 5;
	ck_assert_int_eq(ghost_status_parse("nr_tasks 1\n", &st), 0);
	ck_assert_uint_eq(st.abi, 7);
	ck_assert_uint_eq(st.nr_cpus, 5);
	ck_assert_int_eq(ghost_status_parse("", &st), 0);
	ck_assert_uint_eq(st.nr_tasks, 1);
}
END_TEST

START_TEST(test_status_layout)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	/* Blank lines, tabs, CRLF, "key: value", no final newline. */
	ck_assert_int_eq(ghost_status_parse("\n  id\t\t8\r\n\nabi: 2\nnr_cpus   3",
					    &st), 0);
	ck_assert_uint_eq(st.id, 8);
	ck_assert_uint_eq(st.abi, 2);
	ck_assert_uint_eq(st.nr_cpus, 3);
}
END_TEST

START_TEST(test_status_last_wins)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(ghost_status_parse("nr_tasks 1\nnr_tasks 2\n", &st), 0);
	ck_assert_uint_eq(st.nr_tasks, 2);
}
END_TEST

static const char *const bad_status[] = {
	"id\n", "id x\n", "nr_tasks -1\n", "abi 1 2\n", "nr_cpus 99999999999\n",
	"agent_online yes\n", "id 3\nabi\n",
};

START_TEST(test_status_malformed)
{
	struct ghost_enclave_status st;

	memset(&st, 0, sizeof(st));
	ck_assert_msg(ghost_status_parse(bad_status[_i], &st) == -EINVAL,
		      "accepted \"%s\"", bad_status[_i]);
}
END_TEST

START_TEST(test_id_parse_good)
{
	unsigned int id = 0;

	ck_assert_int_eq(ghost_enclave_id_parse("1", &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(ghost_enclave_id_parse("42", &id), 0);
	ck_assert_uint_eq(id, 42);
	ck_assert_int_eq(ghost_enclave_id_parse("2147483647", &id), 0);
	ck_assert_uint_eq(id, GHOST_MAX_ENCLAVE_ID);
}
END_TEST

START_TEST(test_id_parse_bad)
{
	unsigned int id = 77;

	ck_assert_int_eq(ghost_enclave_id_parse("abc", &id), -EINVAL);
	ck_assert_int_eq(ghost_enclave_id_parse("-1", &id), -EINVAL);
	ck_assert_int_eq(ghost_enclave_id_parse("", &id), -EINVAL);
	ck_assert_int_eq(ghost_enclave_id_parse("1x", &id), -EINVAL);
	ck_assert_int_eq(ghost_enclave_id_parse(" 1", &id), -EINVAL);
	ck_assert_int_eq(ghost_enclave_id_parse("0", &id), -ERANGE);
	ck_assert_int_eq(ghost_enclave_id_parse("2147483648", &id), -ERANGE);
	ck_assert_int_eq(ghost_enclave_id_parse("99999999999999999999", &id),
			 -ERANGE);
	ck_assert_uint_eq(id, 77);
}
END_TEST

START_TEST(test_dirname)
{
	unsigned int id = 0;

	ck_assert_int_eq(libghost_enclave_dirname("enclave_1", &id), 0);
	ck_assert_uint_eq(id, 1);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_123", &id), 0);
	ck_assert_uint_eq(id, 123);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_0", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_01", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_x", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("enclave_1.bak", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("ctl", &id), -EINVAL);
	ck_assert_int_eq(libghost_enclave_dirname("Enclave_1", &id), -EINVAL);
	ck_assert_uint_eq(id, 123);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc;

	tc = tcase_create("status");
	tcase_add_test(tc, test_status_full);
	tcase_add_test(tc, test_status_unknown_keys);
	tcase_add_test(tc, test_status_absent_untouched);
	tcase_add_test(tc, test_status_layout);
	tcase_add_test(tc, test_status_last_wins);
	tcase_add_loop_test(tc, test_status_malformed, 0, N(bad_status));
	suite_add_tcase(s, tc);

	tc = tcase_create("id");
	tcase_add_test(tc, test_id_parse_good);
	tcase_add_test(tc, test_id_parse_bad);
	tcase_add_test(tc, test_dirname);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(status_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
