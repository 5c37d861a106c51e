// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: /sys/fs/ghost/version parsing and the ABI check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fakefs.h"

START_TEST(test_parse_one)
{
	unsigned int v[4] = { 0 };

	ck_assert_int_eq(ghost_versions_parse("1\n", v, 4), 1);
	ck_assert_uint_eq(v[0], 1);
}
END_TEST

START_TEST(test_parse_many)
{
	unsigned int v[4] = { 0 };

	ck_assert_int_eq(ghost_versions_parse("1\n2\n17\n", v, 4), 3);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(v[1], 2);
	ck_assert_uint_eq(v[2], 17);
}
END_TEST

START_TEST(test_parse_tolerant)
{
	unsigned int v[4] = { 0 };

	/* Blank lines, surrounding blanks, CRLF and no final newline. */
	ck_assert_int_eq(ghost_versions_parse("\n 3 \r\n\n\t4", v, 4), 2);
	ck_assert_uint_eq(v[0], 3);
	ck_assert_uint_eq(v[1], 4);
	ck_assert_int_eq(ghost_versions_parse("", v, 4), 0);
	ck_assert_int_eq(ghost_versions_parse("\n\n", v, 4), 0);
}
END_TEST

START_TEST(test_parse_more_than_max)
{
	unsigned int v[2] = { 0 };

	ck_assert_int_eq(ghost_versions_parse("1\n2\n3\n", v, 2), 3);
	ck_assert_uint_eq(v[0], 1);
	ck_assert_uint_eq(v[1], 2);
	ck_assert_int_eq(ghost_versions_parse("1\n2\n3\n", NULL, 0), 3);
}
END_TEST

static const char *const bad_texts[] = {
	"x\n", "1a\n", "1 2\n", "-1\n", "1\nv2\n", "1.0\n", "99999999999\n",
};

START_TEST(test_parse_malformed)
{
	unsigned int v[4];

	ck_assert_int_eq(ghost_versions_parse(bad_texts[_i], v, 4), -EINVAL);
	ck_assert_int_eq(ghost_version_supported(bad_texts[_i], 1), -EINVAL);
}
END_TEST

START_TEST(test_supported)
{
	ck_assert_int_eq(ghost_version_supported("1\n", 1), 1);
	ck_assert_int_eq(ghost_version_supported("0\n1\n2\n", 1), 1);
	ck_assert_int_eq(ghost_version_supported("2\n", 1), 0);
	ck_assert_int_eq(ghost_version_supported("", 1), 0);
	ck_assert_int_eq(ghost_version_supported("11\n", 1), 0);
	/* A malformed line after a match still counts as malformed. */
	ck_assert_int_eq(ghost_version_supported("1\nx\n", 1), -EINVAL);
}
END_TEST

START_TEST(test_mismatch_message)
{
	char msg[512];
	static const char want[] =
		"ghost ABI mismatch: this ghostctl speaks ABI 1, the loaded module speaks 2. Install matching versions: rebuild the module with 'dkms install ghost/";

	libghost_version_msg("ghostctl", "2\n", msg, sizeof(msg));
	ck_assert_msg(!strncmp(msg, want, sizeof(want) - 1), "got: %s", msg);
	ck_assert_ptr_nonnull(strstr(msg, "dkms install ghost/" GHOST_PKG_VERSION));
	ck_assert_ptr_nonnull(strstr(msg, "upgrade ghostctl"));
}
END_TEST

START_TEST(test_mismatch_message_many)
{
	char msg[512];

	libghost_version_msg("agent", "2\n3\n", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "this agent speaks ABI 1, the loaded module speaks 2, 3."));
	libghost_version_msg("ghostctl", "", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "speaks no readable version"));
	/* A short buffer is truncated, never overrun. */
	memset(msg, 'x', sizeof(msg));
	libghost_version_msg("ghostctl", "2\n", msg, 10);
	ck_assert_int_eq(strlen(msg), 9);
}
END_TEST

START_TEST(test_check_version_ok)
{
	char msg[256] = "";

	fake_put("version", "1\n");
	ck_assert_int_eq(ghost_check_version(msg, sizeof(msg)), 0);
	fake_put("version", "0\n1\n2\n");
	ck_assert_int_eq(ghost_check_version(msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_check_version_mismatch)
{
	char msg[512] = "";

	fake_put("version", "2\n");
	ck_assert_int_eq(ghost_check_version(msg, sizeof(msg)), -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(msg, "ghost ABI mismatch"));
	ck_assert_ptr_nonnull(strstr(msg, "module speaks 2"));
	/* msg may be left out. */
	ck_assert_int_eq(ghost_check_version(NULL, 0), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_check_version_missing)
{
	char msg[512] = "";

	ck_assert_int_eq(ghost_check_version(msg, sizeof(msg)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(msg, "cannot read"));
	ck_assert_ptr_nonnull(strstr(msg, "/version"));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *version_suite(void)
{
	Suite *s = suite_create("version");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_one);
	tcase_add_test(tc, test_parse_many);
	tcase_add_test(tc, test_parse_tolerant);
	tcase_add_test(tc, test_parse_more_than_max);
	tcase_add_loop_test(tc, test_parse_malformed, 0, N(bad_texts));
	tcase_add_test(tc, test_supported);
	tcase_add_test(tc, test_mismatch_message);
	tcase_add_test(tc, test_mismatch_message_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	fake_fixtures(tc);
	tcase_add_test(tc, test_check_version_ok);
	tcase_add_test(tc, test_check_version_mismatch);
	tcase_add_test(tc, test_check_version_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(version_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
