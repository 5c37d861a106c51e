// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: errno hints and capability names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <ghost/libghost.h>

static const struct {
	int err;
	const char *op;
	const char *hint;	/* NULL: none expected */
} cases[] = {
	{ EBUSY, "cpulist", "a CPU in the list belongs to another enclave" },
	{ ENODEV, "cpulist", "CPU absent or offline" },
	{ EEXIST, "create", "enclave id already exists" },
	{ ENOSPC, "create", "too many enclaves: at most 64" },
	{ EPERM, "create", "needs CAP_SYS_ADMIN" },
	{ EACCES, "destroy", "needs CAP_SYS_ADMIN" },
	{ EINVAL, "cpulist", "malformed value" },
	{ EINVAL, "create", "malformed command or id 0" },
	{ ENOENT, "destroy", "no such enclave" },
	{ ENODEV, "status", "the enclave was destroyed meanwhile" },
	{ ENOMEM, "create", NULL },
	{ EEXIST, "cpulist", NULL },
	{ EBUSY, "destroy", "the enclave is still in use, e.g. by its agent" },
	{ EPERM, "task",
	  "moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE" },
	{ EACCES, "task", "this user may not write the enclave's tasks or ctl file" },
};

START_TEST(test_hint_table)
{
	const char *got = ghost_strerror_hint(-cases[_i].err, cases[_i].op);

	if (!cases[_i].hint)
		ck_assert_ptr_null(got);
	else
		ck_assert_pstr_eq(got, cases[_i].hint);
}
END_TEST

START_TEST(test_hint_sign_and_null_op)
{
	ck_assert_pstr_eq(ghost_strerror_hint(EBUSY, "cpulist"),
			  ghost_strerror_hint(-EBUSY, "cpulist"));
	/* Without an operation only generic hints apply. */
	ck_assert_pstr_eq(ghost_strerror_hint(-EPERM, NULL), "needs CAP_SYS_ADMIN");
	ck_assert_ptr_null(ghost_strerror_hint(-EEXIST, NULL));
	ck_assert_ptr_null(ghost_strerror_hint(0, NULL));
}
END_TEST

START_TEST(test_hint_abi)
{
	const char *h = ghost_strerror_hint(-EPROTONOSUPPORT, "create");

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "ABI 1"));
}
END_TEST

START_TEST(test_cap_names)
{
	ck_assert_str_eq(ghost_cap_name(GHOST_CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	ck_assert_str_eq(ghost_cap_name(GHOST_CAP_SYS_NICE), "CAP_SYS_NICE");
	ck_assert_int_eq(ghost_has_cap((enum ghost_cap)42), -EINVAL);
}
END_TEST

START_TEST(test_require_cap_message)
{
	char msg[256] = "";
	int ret, has = ghost_has_cap(GHOST_CAP_SYS_ADMIN);

	ck_assert_int_ge(has, 0);
	ret = ghost_require_cap(GHOST_CAP_SYS_ADMIN, "enclave create", msg,
				sizeof(msg));
	if (has) {
		ck_assert_int_eq(ret, 0);
		return;
	}
	ck_assert_int_eq(ret, -EPERM);
	ck_assert_str_eq(msg, "enclave create needs CAP_SYS_ADMIN (run as root or grant the capability)");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *hint_suite(void)
{
	Suite *s = suite_create("hint");
	TCase *tc;

	tc = tcase_create("hint");
	tcase_add_loop_test(tc, test_hint_table, 0, N(cases));
	tcase_add_test(tc, test_hint_sign_and_null_op);
	tcase_add_test(tc, test_hint_abi);
	suite_add_tcase(s, tc);

	tc = tcase_create("caps");
	tcase_add_test(tc, test_cap_names);
	tcase_add_test(tc, test_require_cap_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hint_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
