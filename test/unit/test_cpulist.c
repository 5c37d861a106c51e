// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: CPU sets, CPU list parsing and formatting, hex masks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <ghost/libghost.h>

/* Parse @s, expecting success, and return the set formatted. */
static const char *canon(const char *s)
{
	static char buf[GHOST_CPULIST_LEN];
	struct ghost_cpuset set;
	int ret;

	ret = ghost_cpulist_parse(s, &set);
	ck_assert_msg(ret == 0, "parse \"%s\": %d", s, ret);
	ret = ghost_cpulist_format(&set, buf, sizeof(buf));
	ck_assert_int_ge(ret, 0);
	ck_assert_int_eq(ret, (int)strlen(buf));
	return buf;
}

START_TEST(test_cpuset_helpers)
{
	struct ghost_cpuset a, b;

	ghost_cpuset_zero(&a);
	ck_assert_int_eq(ghost_cpuset_count(&a), 0);
	ck_assert_int_eq(ghost_cpuset_set(&a, 0), 0);
	ck_assert_int_eq(ghost_cpuset_set(&a, 63), 0);
	ck_assert_int_eq(ghost_cpuset_set(&a, 64), 0);
	ck_assert_int_eq(ghost_cpuset_set(&a, GHOST_MAX_CPUS - 1), 0);
	ck_assert_int_eq(ghost_cpuset_set(&a, GHOST_MAX_CPUS), -EINVAL);
	ck_assert_int_eq(ghost_cpuset_count(&a), 4);
	ck_assert_int_eq(ghost_cpuset_test(&a, 63), 1);
	ck_assert_int_eq(ghost_cpuset_test(&a, 62), 0);
	ck_assert_int_eq(ghost_cpuset_test(&a, GHOST_MAX_CPUS), 0);
	ck_assert_int_eq(ghost_cpuset_clear(&a, 63), 0);
	ck_assert_int_eq(ghost_cpuset_test(&a, 63), 0);
	ck_assert_int_eq(ghost_cpuset_clear(&a, GHOST_MAX_CPUS), -EINVAL);
	ghost_cpuset_zero(&b);
	ck_assert(!ghost_cpuset_equal(&a, &b));
	ghost_cpuset_set(&b, 0);
	ghost_cpuset_set(&b, 64);
	ghost_cpuset_set(&b, GHOST_MAX_CPUS - 1);
	ck_assert(ghost_cpuset_equal(&a, &b));
}
END_TEST

START_TEST(test_cpuset_next)
{
	struct ghost_cpuset set;

	ghost_cpuset_zero(&set);
	ck_assert_int_eq(ghost_cpuset_next(&set, 0), -ENOENT);
	ghost_cpuset_set(&set, 5);
	ghost_cpuset_set(&set, 200);
	ck_assert_int_eq(ghost_cpuset_next(&set, 0), 5);
	ck_assert_int_eq(ghost_cpuset_next(&set, 5), 5);
	ck_assert_int_eq(ghost_cpuset_next(&set, 6), 200);
	ck_assert_int_eq(ghost_cpuset_next(&set, 201), -ENOENT);
	ck_assert_int_eq(ghost_cpuset_next(&set, GHOST_MAX_CPUS), -ENOENT);
}
END_TEST

START_TEST(test_parse_single_and_range)
{
	struct ghost_cpuset set;

	ck_assert_int_eq(ghost_cpulist_parse("0-3,6", &set), 0);
	ck_assert_int_eq(ghost_cpuset_count(&set), 5);
	ck_assert(ghost_cpuset_test(&set, 0));
	ck_assert(ghost_cpuset_test(&set, 3));
	ck_assert(!ghost_cpuset_test(&set, 4));
	ck_assert(ghost_cpuset_test(&set, 6));
}
END_TEST

START_TEST(test_parse_canonical)
{
	ck_assert_str_eq(canon("3"), "3");
	ck_assert_str_eq(canon("0-3,6,8-15"), "0-3,6,8-15");
	ck_assert_str_eq(canon("0,1"), "0-1");
	ck_assert_str_eq(canon("5,4,3"), "3-5");
	ck_assert_str_eq(canon("0-4,2-7"), "0-7");
	ck_assert_str_eq(canon("2-2"), "2");
	ck_assert_str_eq(canon("1023"), "1023");
	ck_assert_str_eq(canon("0-1023"), "0-1023");
}
END_TEST

START_TEST(test_parse_empty)
{
	struct ghost_cpuset set;

	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, 1);
	ck_assert_int_eq(ghost_cpulist_parse("", &set), 0);
	ck_assert_int_eq(ghost_cpuset_count(&set), 0);
	ck_assert_int_eq(ghost_cpulist_parse("\n", &set), 0);
	ck_assert_int_eq(ghost_cpuset_count(&set), 0);
	ck_assert_int_eq(ghost_cpulist_parse("  \t\n", &set), 0);
	ck_assert_int_eq(ghost_cpuset_count(&set), 0);
}
END_TEST

START_TEST(test_parse_whitespace_ends)
{
	ck_assert_str_eq(canon("0-3\n"), "0-3");
	ck_assert_str_eq(canon("  1,2 \n"), "1-2");
	ck_assert_str_eq(canon("\t7\r\n"), "7");
}
END_TEST

START_TEST(test_parse_stride)
{
	ck_assert_str_eq(canon("8-15:2"), "8,10,12,14");
	ck_assert_str_eq(canon("0-15:4"), "0,4,8,12");
	/* The kernel's used/group form: 2 of every 4. */
	ck_assert_str_eq(canon("0-11:2/4"), "0-1,4-5,8-9");
	ck_assert_str_eq(canon("0-7:1"), "0-7");
	ck_assert_str_eq(canon("0-3:4/4"), "0-3");
	ck_assert_str_eq(canon("1-2:8,20"), "1,20");
}
END_TEST

static const char *const malformed[] = {
	"1-", "-1", "3-1", "a", "1,,2", "1 2", ",", "1,", ",1", "1-2-3",
	"0x1", "1;2", "+1", "1 ,2", "1-3:", "1-3:0", "1-3:3/2", "1-3:0/2",
	"1-3:/2", "1-3:2/", "4:2", "1-3:2/0", "\xd9\xa1",
};

START_TEST(test_parse_malformed)
{
	struct ghost_cpuset set;
	const char *s = malformed[_i];

	ck_assert_msg(ghost_cpulist_parse(s, &set) == -EINVAL,
		      "\"%s\" was accepted", s);
	ck_assert_int_eq(ghost_cpuset_count(&set), 0);
}
END_TEST

static const char *const out_of_range[] = {
	"1024", "99999999999", "0-1024", "5,2000", "18446744073709551616",
	"1-99999999999999999999999",
};

START_TEST(test_parse_out_of_range)
{
	struct ghost_cpuset set;
	const char *s = out_of_range[_i];

	ck_assert_msg(ghost_cpulist_parse(s, &set) == -ERANGE,
		      "\"%s\" not -ERANGE", s);
}
END_TEST

START_TEST(test_format_empty)
{
	struct ghost_cpuset set;
	char buf[8] = "junk";

	ghost_cpuset_zero(&set);
	ck_assert_int_eq(ghost_cpulist_format(&set, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(ghost_cpulist_format(&set, buf, 0), -ENOSPC);
}
END_TEST

START_TEST(test_format_nospc)
{
	struct ghost_cpuset set;
	char buf[GHOST_CPULIST_LEN];

	ck_assert_int_eq(ghost_cpulist_parse("0-3,6", &set), 0);
	/* "0-3,6" needs 6 bytes with its NUL. */
	ck_assert_int_eq(ghost_cpulist_format(&set, buf, 6), 5);
	ck_assert_str_eq(buf, "0-3,6");
	ck_assert_int_eq(ghost_cpulist_format(&set, buf, 5), -ENOSPC);
	ck_assert_int_eq(ghost_cpulist_format(&set, buf, 1), -ENOSPC);
}
END_TEST

START_TEST(test_format_worst_case_fits)
{
	struct ghost_cpuset set;
	char buf[GHOST_CPULIST_LEN];
	int cpu;

	/* Pairs with gaps give the longest list: "0-1,3-4,...". */
	ghost_cpuset_zero(&set);
	for (cpu = 0; cpu < GHOST_MAX_CPUS; cpu++)
		if (cpu % 3 != 2)
			ghost_cpuset_set(&set, cpu);
	ck_assert_int_gt(ghost_cpulist_format(&set, buf, sizeof(buf)), 0);
	ck_assert_int_eq(strncmp(buf, "0-1,3-4,6-7,", 12), 0);
}
END_TEST

static const char *const round_trips[] = {
	"0", "0-1", "0-3,6", "1,3,5,7", "0-1023", "2-5,7-9,31-33,63-65,1000",
	"127-128", "4-6,1022-1023",
};

START_TEST(test_round_trip)
{
	struct ghost_cpuset a, b;
	char buf[GHOST_CPULIST_LEN];
	const char *s = round_trips[_i];

	ck_assert_int_eq(ghost_cpulist_parse(s, &a), 0);
	ck_assert_int_ge(ghost_cpulist_format(&a, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, s);
	ck_assert_int_eq(ghost_cpulist_parse(buf, &b), 0);
	ck_assert(ghost_cpuset_equal(&a, &b));
}
END_TEST

/* Parse hex @hex, expecting success, and return it as a CPU list. */
static const char *mask_list(const char *hex)
{
	static char buf[GHOST_CPULIST_LEN];
	struct ghost_cpuset set;
	int ret;

	ret = ghost_cpumask_parse(hex, &set);
	ck_assert_msg(ret == 0, "mask \"%s\": %d", hex, ret);
	ck_assert_int_ge(ghost_cpulist_format(&set, buf, sizeof(buf)), 0);
	return buf;
}

START_TEST(test_mask_simple)
{
	ck_assert_str_eq(mask_list("1"), "0");
	ck_assert_str_eq(mask_list("4f"), "0-3,6");
	ck_assert_str_eq(mask_list("4F\n"), "0-3,6");
	ck_assert_str_eq(mask_list("0"), "");
	ck_assert_str_eq(mask_list(""), "");
	ck_assert_str_eq(mask_list("000000ff"), "0-7");
}
END_TEST

START_TEST(test_mask_groups)
{
	ck_assert_str_eq(mask_list("ff,00000001"), "0,32-39");
	ck_assert_str_eq(mask_list("00000000,00000003"), "0-1");
	ck_assert_str_eq(mask_list("1,0,0"), "64");
	ck_assert_str_eq(mask_list("80000000,00000000\n"), "63");
	/* The same CPUs without commas. */
	ck_assert_str_eq(mask_list("ff00000001"), "0,32-39");
	ck_assert_str_eq(mask_list("8000000000000000"), "63");
}
END_TEST

START_TEST(test_mask_high_cpus)
{
	char hex[300];

	/* CPU 1023: the top bit of 256 hex digits. */
	memset(hex, '0', 256);
	hex[0] = '8';
	hex[256] = '\0';
	ck_assert_str_eq(mask_list(hex), "1023");
	/* Leading zero groups past the last CPU are fine. */
	ck_assert_str_eq(mask_list("0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1"), "0");
}
END_TEST

static const char *const bad_masks[] = {
	"xyz", "ff,", ",ff", "ff,,1", "123456789,0", "0x1f", "f f", "1,g",
};

START_TEST(test_mask_malformed)
{
	struct ghost_cpuset set;
	const char *s = bad_masks[_i];

	ck_assert_msg(ghost_cpumask_parse(s, &set) == -EINVAL,
		      "\"%s\" was accepted", s);
	ck_assert_int_eq(ghost_cpuset_count(&set), 0);
}
END_TEST

START_TEST(test_mask_out_of_range)
{
	struct ghost_cpuset set;
	char hex[300];

	/* CPU 1024 is one past GHOST_MAX_CPUS. */
	memset(hex, '0', 256);
	hex[0] = '1';
	hex[256] = '0';
	hex[257] = '\0';
	ck_assert_int_eq(ghost_cpumask_parse(hex + 1, &set), 0);
	hex[0] = '1';
	ck_assert_int_eq(ghost_cpumask_parse(hex, &set), -ERANGE);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *cpulist_suite(void)
{
	Suite *s = suite_create("cpulist");
	TCase *tc;

	tc = tcase_create("cpuset");
	tcase_add_test(tc, test_cpuset_helpers);
	tcase_add_test(tc, test_cpuset_next);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_single_and_range);
	tcase_add_test(tc, test_parse_canonical);
	tcase_add_test(tc, test_parse_empty);
	tcase_add_test(tc, test_parse_whitespace_ends);
	tcase_add_test(tc, test_parse_stride);
	tcase_add_loop_test(tc, test_parse_malformed, 0, N(malformed));
	tcase_add_loop_test(tc, test_parse_out_of_range, 0, N(out_of_range));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_empty);
	tcase_add_test(tc, test_format_nospc);
	tcase_add_test(tc, test_format_worst_case_fits);
	tcase_add_loop_test(tc, test_round_trip, 0, N(round_trips));
	suite_add_tcase(s, tc);

	tc = tcase_create("cpumask");
	tcase_add_test(tc, test_mask_simple);
	tcase_add_test(tc, test_mask_groups);
	tcase_add_test(tc, test_mask_high_cpus);
	tcase_add_loop_test(tc, test_mask_malformed, 0, N(bad_masks));
	tcase_add_test(tc, test_mask_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cpulist_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
