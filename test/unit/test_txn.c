// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: transaction and status-word helpers over synthetic regions
 * laid out as the module lays them out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <ghost/barrier.h>
#include <ghost/libghost.h>

#define NR_SLOTS		4
#define NR_WORDS	16

struct regions {
	struct ghost_txn txn[NR_SLOTS];
	union {
		struct ghost_sw_region_header h;
		char bytes[64 + NR_SLOTS * sizeof(struct ghost_cpu_word) +
			   NR_WORDS * sizeof(struct ghost_status_word)];
	} sw;
};

static struct regions *r;
static struct ghost_enclave e;

static struct ghost_cpu_word *cpu_word(int cpu)
{
	return (struct ghost_cpu_word *)(r->sw.bytes + 64) + cpu;
}

static struct ghost_status_word *word(int i)
{
	return (struct ghost_status_word *)(r->sw.bytes + 64 +
		NR_SLOTS * sizeof(struct ghost_cpu_word)) + i;
}

static void setup(void)
{
	int cpu;

	r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->sw.h.version = GHOST_VERSION;
	r->sw.h.nr_cpus = NR_SLOTS;
	r->sw.h.nr_words = NR_WORDS;
	r->sw.h.cpu_words_offset = 64;
	r->sw.h.words_offset = 64 + NR_SLOTS * sizeof(struct ghost_cpu_word);
	for (cpu = 0; cpu < NR_SLOTS; cpu++) {
		r->txn[cpu].cpu = cpu;
		cpu_word(cpu)->flags = GHOST_CPU_F_IN_ENCLAVE;
	}
	ck_assert_int_eq(ghost_enclave_init_mem(&e, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), 0);
}

static void teardown(void)
{
	free(r);
}

START_TEST(test_layout)
{
	ck_assert_uint_eq(e.nr_txn, NR_SLOTS);
	ck_assert_uint_eq(e.nr_cpu_words, NR_SLOTS);
	ck_assert_uint_eq(e.nr_words, NR_WORDS);
	ck_assert_int_eq(e.ctl_fd, -1);
	ck_assert_ptr_eq(ghost_txn_slot(&e, 2), &r->txn[2]);
	ck_assert_ptr_null(ghost_txn_slot(&e, NR_SLOTS));
	ck_assert_ptr_null(ghost_txn_slot(&e, -1));
	ck_assert_ptr_eq(ghost_sw_cpu(&e, 3), cpu_word(3));
	ck_assert_ptr_null(ghost_sw_cpu(&e, 4));
	ck_assert_ptr_eq(ghost_sw_word(&e, 5), word(5));
	ck_assert_ptr_null(ghost_sw_word(&e, NR_WORDS));
}
END_TEST

START_TEST(test_bad_regions_refused)
{
	struct ghost_enclave x;

	r->sw.h.version = GHOST_VERSION + 1;
	ck_assert_int_eq(ghost_enclave_init_mem(&x, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), -EPROTO);
	r->sw.h.version = GHOST_VERSION;
	r->sw.h.nr_words = NR_WORDS + 1;
	ck_assert_int_eq(ghost_enclave_init_mem(&x, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), -EPROTO);
	r->sw.h.nr_words = NR_WORDS;
	r->sw.h.cpu_words_offset = 8;
	ck_assert_int_eq(ghost_enclave_init_mem(&x, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), -EPROTO);
	ck_assert_int_eq(ghost_enclave_init_mem(&x, r->txn, sizeof(r->txn),
						&r->sw, 16), -EPROTO);
}
END_TEST

START_TEST(test_open_fills_slot)
{
	struct ghost_txn *t = &r->txn[1];

	t->resv[2] = 99;
	ck_assert_int_eq(ghost_txn_state(&e, 1), 0);
	ck_assert_int_eq(ghost_txn_open(&e, 1, 0x1234500000001ULL, 7,
					GHOST_TXN_F_SEND_ON_CPU), 0);
	ck_assert_int_eq(t->state, GHOST_TXN_READY);
	ck_assert_uint_eq(t->gtid, 0x1234500000001ULL);
	ck_assert_uint_eq(t->task_barrier, 7);
	ck_assert_uint_eq(t->flags, GHOST_TXN_F_SEND_ON_CPU);
	ck_assert_uint_eq(t->resv[2], 0);
	ck_assert_int_eq(t->cpu, 1);
	ck_assert_int_eq(ghost_txn_state(&e, 1), GHOST_TXN_READY);
}
END_TEST

START_TEST(test_open_busy_until_committed)
{
	ck_assert_int_eq(ghost_txn_open(&e, 0, 1ULL << 32, 1, 0), 0);
	ck_assert_int_eq(ghost_txn_open(&e, 0, 2ULL << 32, 1, 0), -EBUSY);
	/* The kernel claimed it: still busy. */
	r->txn[0].state = -1;
	ck_assert_int_eq(ghost_txn_open(&e, 0, 2ULL << 32, 1, 0), -EBUSY);
	/* Committed (any final state): free again. */
	__atomic_store_n(&r->txn[0].state, GHOST_TXN_TARGET_STALE,
			 __ATOMIC_RELEASE);
	ck_assert_int_eq(ghost_txn_state(&e, 0), GHOST_TXN_TARGET_STALE);
	ck_assert_int_eq(ghost_txn_open(&e, 0, 2ULL << 32, 2, 0), 0);
	ck_assert_uint_eq(r->txn[0].gtid, 2ULL << 32);
}
END_TEST

START_TEST(test_open_bad_args)
{
	ck_assert_int_eq(ghost_txn_open(&e, NR_SLOTS, 1, 1, 0), -EINVAL);
	ck_assert_int_eq(ghost_txn_open(&e, -1, 1, 1, 0), -EINVAL);
	ck_assert_int_eq(ghost_txn_open(&e, 0, 1, 1, 1U << 5), -EINVAL);
	ck_assert_int_eq(ghost_txn_state(&e, 9), -EINVAL);
	ck_assert_int_eq(ghost_txn_abort(&e, 9), -EINVAL);
}
END_TEST

START_TEST(test_abort)
{
	ck_assert_int_eq(ghost_txn_open(&e, 2, 1ULL << 32, 1, 0), 0);
	ck_assert_int_eq(ghost_txn_abort(&e, 2), 0);
	ck_assert_int_eq(ghost_txn_state(&e, 2), GHOST_TXN_ABORTED);
	ck_assert_int_eq(ghost_txn_abort(&e, 2), -EALREADY);
	ck_assert_int_eq(ghost_txn_open(&e, 2, 1ULL << 32, 1, 0), 0);
}
END_TEST

START_TEST(test_commit_needs_ctl)
{
	struct ghost_cpuset set;

	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, 1);
	ck_assert_int_eq(ghost_txn_commit(&e, &set), -EBADF);
	ck_assert_int_eq(ghost_txn_commit_one(&e, 1), -EBADF);
	ck_assert_int_eq(ghost_txn_commit_one(&e, 7), -EINVAL);
}
END_TEST

START_TEST(test_state_names)
{
	static const char *const names[] = {
		"unused", "complete", "target_stale", "target_not_found",
		"target_not_runnable", "target_oncpu", "cpu_unavail",
		"invalid_cpu", "invalid_target", "invalid_flags", "no_agent",
		"aborted", "cpu_not_allowed",
	};
	int i;

	for (i = 0; i < GHOST_TXN_NR_STATES; i++)
		ck_assert_str_eq(ghost_txn_state_name(i), names[i]);
	ck_assert_str_eq(ghost_txn_state_name(GHOST_TXN_READY), "ready");
	ck_assert_str_eq(ghost_txn_state_name(-1), "claimed");
	ck_assert_str_eq(ghost_txn_state_name(GHOST_TXN_NR_STATES), "unknown");
	ck_assert_str_eq(ghost_txn_state_name(-5), "unknown");
}
END_TEST

START_TEST(test_sw_lookup)
{
	struct ghost_status_word snap;
	__u64 gtid = (42ULL << 32) | 3;

	word(5)->gtid = gtid;
	word(5)->barrier = 9;
	word(5)->runtime = 1234;
	/* Not in use yet: invisible. */
	ck_assert_ptr_null(ghost_sw_find(&e, gtid));
	word(5)->flags = GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE;
	ck_assert_ptr_eq(ghost_sw_find(&e, gtid), word(5));
	ck_assert_ptr_null(ghost_sw_find(&e, gtid + 1));
	ghost_sw_snapshot(word(5), &snap);
	ck_assert_uint_eq(snap.barrier, 9);
	ck_assert_uint_eq(snap.gtid, gtid);
	ck_assert_uint_eq(snap.runtime, 1234);
	ck_assert_uint_eq(snap.flags, GHOST_SW_F_INUSE | GHOST_SW_TASK_RUNNABLE);
}
END_TEST

START_TEST(test_task_cpu_from_cpu_words)
{
	__u64 gtid = (7ULL << 32) | 1;

	ck_assert_int_eq(ghost_sw_task_cpu(&e, gtid), -1);
	cpu_word(2)->gtid = gtid;
	ck_assert_int_eq(ghost_sw_task_cpu(&e, gtid), 2);
	/* A CPU that left the enclave does not count. */
	cpu_word(2)->flags = 0;
	ck_assert_int_eq(ghost_sw_task_cpu(&e, gtid), -1);
}
END_TEST

static Suite *txn_suite(void)
{
	Suite *s = suite_create("txn");
	TCase *tc;

	tc = tcase_create("txn");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_bad_regions_refused);
	tcase_add_test(tc, test_open_fills_slot);
	tcase_add_test(tc, test_open_busy_until_committed);
	tcase_add_test(tc, test_open_bad_args);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_commit_needs_ctl);
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("status_words");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sw_lookup);
	tcase_add_test(tc, test_task_cpu_from_cpu_words);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(txn_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
