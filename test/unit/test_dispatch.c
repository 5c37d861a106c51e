// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: dispatch lists over regions laid out as the module lays
 * them out.  Ring arithmetic with free-running counts (across the __u32
 * wrap), the full-list error, the entries snapshot, flags, and the
 * decision of which CPUs need GHOST_IOC_DISPATCH after a publish.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <ghost/barrier.h>
#include <ghost/libghost.h>

#include "internal.h"
#include "fakefs.h"

#define NR_CPUS		4

struct regions {
	struct ghost_txn txn[NR_CPUS];
	struct ghost_dispatch_list dl[NR_CPUS];
	union {
		struct ghost_sw_region_header h;
		char bytes[64 + NR_CPUS * sizeof(struct ghost_cpu_word) +
			   sizeof(struct ghost_status_word)];
	} sw;
};

static struct regions *r;
static struct ghost_enclave e;

static struct ghost_cpu_word *cpu_word(int cpu)
{
	return (struct ghost_cpu_word *)(r->sw.bytes + 64) + cpu;
}

static void setup(void)
{
	r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->sw.h.version = GHOST_VERSION;
	r->sw.h.nr_cpus = NR_CPUS;
	r->sw.h.nr_words = 1;
	r->sw.h.cpu_words_offset = 64;
	r->sw.h.words_offset = 64 + NR_CPUS * sizeof(struct ghost_cpu_word);
	ck_assert_int_eq(ghost_enclave_init_mem(&e, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), 0);
	ck_assert_int_eq(ghost_enclave_init_dispatch_mem(&e, r->dl,
							 sizeof(r->dl)), 0);
}

static void teardown(void)
{
	free(r);
}

/* The kernel's side: take the entry at head. */
static struct ghost_dispatch_entry consume(struct ghost_dispatch_list *dl)
{
	struct ghost_dispatch_entry ent;
	__u32 head = dl->head;

	ck_assert_uint_ne(head, ghost_load_acquire(&dl->tail));
	ent = dl->ent[head % GHOST_DISPATCH_SLOTS];
	ghost_store_release(&dl->head, head + 1);
	return ent;
}

START_TEST(test_unavailable)
{
	struct ghost_enclave old;

	ck_assert_int_eq(ghost_enclave_init_mem(&old, r->txn, sizeof(r->txn),
						&r->sw, sizeof(r->sw)), 0);
	ck_assert_int_eq(ghost_dispatch_available(&old), 0);
	ck_assert_ptr_null(ghost_dispatch_list(&old, 0));
	ck_assert_int_eq(ghost_dispatch_push(&old, 0, 1, 1), -EOPNOTSUPP);
	ck_assert_int_eq(ghost_dispatch_outstanding(&old, 0), -EOPNOTSUPP);
	ck_assert_int_eq(ghost_dispatch_set_flags(&old, 0, 0), -EOPNOTSUPP);
	ck_assert_int_eq(ghost_dispatch_kick_one(&old, 0), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_layout)
{
	ck_assert_int_eq(ghost_dispatch_available(&e), 1);
	ck_assert_uint_eq(e.nr_dl, NR_CPUS);
	ck_assert_ptr_eq(ghost_dispatch_list(&e, 3), &r->dl[3]);
	ck_assert_ptr_null(ghost_dispatch_list(&e, NR_CPUS));
	ck_assert_ptr_null(ghost_dispatch_list(&e, -1));
	ck_assert_int_eq(ghost_dispatch_push(&e, NR_CPUS, 1, 1), -EINVAL);
	/* The uapi layout the module maps. */
	ck_assert_uint_eq(sizeof(struct ghost_dispatch_entry), 16);
	ck_assert_uint_eq(offsetof(struct ghost_dispatch_list, ent), 64);
}
END_TEST

START_TEST(test_push_publishes_in_order)
{
	struct ghost_dispatch_entry ent;
	int i;

	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(ghost_dispatch_push(&e, 1, 100 + i, i), 0);
	ck_assert_uint_eq(r->dl[1].tail, 3);
	ck_assert_int_eq(ghost_dispatch_outstanding(&e, 1), 3);
	ck_assert_int_eq(ghost_dispatch_outstanding(&e, 0), 0);
	for (i = 1; i <= 3; i++) {
		ent = consume(&r->dl[1]);
		ck_assert_uint_eq(ent.gtid, 100 + i);
		ck_assert_uint_eq(ent.barrier, i);
		ck_assert_uint_eq(ent.resv, 0);
	}
	ck_assert_int_eq(ghost_dispatch_outstanding(&e, 1), 0);
	ck_assert_int_eq(ghost_dispatch_push(&e, 1, 0, 1), -EINVAL);
}
END_TEST

START_TEST(test_full_list)
{
	int i;

	for (i = 0; i < GHOST_DISPATCH_SLOTS; i++)
		ck_assert_int_eq(ghost_dispatch_push(&e, 2, 10 + i, 1), 0);
	ck_assert_int_eq(ghost_dispatch_outstanding(&e, 2),
			 GHOST_DISPATCH_SLOTS);
	ck_assert_int_eq(ghost_dispatch_push(&e, 2, 99, 1), -ENOSPC);
	ck_assert_uint_eq(r->dl[2].tail, GHOST_DISPATCH_SLOTS);
	/* One consumed: one slot free again, the next goes to slot 0. */
	ck_assert_uint_eq(consume(&r->dl[2]).gtid, 10);
	ck_assert_int_eq(ghost_dispatch_push(&e, 2, 99, 1), 0);
	ck_assert_uint_eq(r->dl[2].ent[0].gtid, 99);
	ck_assert_int_eq(ghost_dispatch_push(&e, 2, 100, 1), -ENOSPC);
}
END_TEST

/* Free-running counts: nothing changes where __u32 wraps. */
START_TEST(test_wrap)
{
	struct ghost_dispatch_entry out[GHOST_DISPATCH_SLOTS];
	struct ghost_dispatch_list *dl = &r->dl[0];
	int i;

	dl->head = dl->tail = 0xfffffff0U;
	for (i = 0; i < GHOST_DISPATCH_SLOTS; i++)
		ck_assert_int_eq(ghost_dl_push(dl, 1 + i, i), 0);
	ck_assert_uint_eq(dl->tail, 0xfffffff0U + GHOST_DISPATCH_SLOTS);
	ck_assert_int_eq(ghost_dl_outstanding(dl), GHOST_DISPATCH_SLOTS);
	ck_assert_int_eq(ghost_dl_push(dl, 77, 0), -ENOSPC);
	ck_assert_int_eq(ghost_dl_entries(dl, out, GHOST_DISPATCH_SLOTS),
			 GHOST_DISPATCH_SLOTS);
	for (i = 0; i < GHOST_DISPATCH_SLOTS; i++)
		ck_assert_uint_eq(out[i].gtid, 1 + i);
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(consume(dl).gtid, 1 + i);
	ck_assert_int_eq(ghost_dl_outstanding(dl), GHOST_DISPATCH_SLOTS - 20);
	ck_assert_int_eq(ghost_dl_entries(dl, out, 2), 2);
	ck_assert_uint_eq(out[0].gtid, 21);
	ck_assert_uint_eq(out[1].gtid, 22);
}
END_TEST

/* The kernel drops a list with head = tail: everything is free again. */
START_TEST(test_dropped_list)
{
	struct ghost_dispatch_entry out[4];
	int i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(ghost_dispatch_push(&e, 3, 1 + i, 1), 0);
	ghost_store_release(&r->dl[3].head, r->dl[3].tail);
	ck_assert_int_eq(ghost_dispatch_outstanding(&e, 3), 0);
	ck_assert_int_eq(ghost_dl_entries(&r->dl[3], out, 4), 0);
	for (i = 0; i < GHOST_DISPATCH_SLOTS; i++)
		ck_assert_int_eq(ghost_dispatch_push(&e, 3, 1 + i, 1), 0);
}
END_TEST

START_TEST(test_flags)
{
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, 1, GHOST_DL_F_ALL), 0);
	ck_assert_uint_eq(r->dl[1].flags, GHOST_DL_F_ALL);
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, 1, 1U << 8), -EINVAL);
	ck_assert_uint_eq(r->dl[1].flags, GHOST_DL_F_ALL);
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, 1, 0), 0);
	ck_assert_uint_eq(r->dl[1].flags, 0);
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, NR_CPUS, 0), -EINVAL);
}
END_TEST

/*
 * Only an enabled, non-empty list of a CPU without a ghost thread needs
 * the kick: a CPU with a thread consumes at its next switch by itself.
 */
START_TEST(test_kick_decision)
{
	struct ghost_cpuset all, out;
	int cpu;

	ghost_cpuset_zero(&all);
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		ghost_cpuset_set(&all, cpu);
		ck_assert_int_eq(ghost_dispatch_set_flags(&e, cpu,
							  GHOST_DL_F_ENABLE), 0);
	}
	ck_assert_int_eq(libghost_dispatch_to_kick(&e, &all, &out), 0);

	/* 0: idle with an entry; 1: busy with an entry; 2: idle, empty. */
	ck_assert_int_eq(ghost_dispatch_push(&e, 0, 5, 1), 0);
	ck_assert_int_eq(ghost_dispatch_push(&e, 1, 6, 1), 0);
	cpu_word(1)->gtid = 42;
	/* 3: idle with an entry but not enabled. */
	ck_assert_int_eq(ghost_dispatch_push(&e, 3, 7, 1), 0);
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, 3, 0), 0);

	ck_assert_int_eq(libghost_dispatch_to_kick(&e, &all, &out), 1);
	ck_assert_int_eq(ghost_cpuset_test(&out, 0), 1);
	ck_assert_int_eq(ghost_cpuset_count(&out), 1);

	/* Only the CPUs asked about. */
	ghost_cpuset_zero(&all);
	ghost_cpuset_set(&all, 1);
	ck_assert_int_eq(libghost_dispatch_to_kick(&e, &all, &out), 0);

	/* The thread on CPU 1 left: now it needs the kick too. */
	cpu_word(1)->gtid = 0;
	ck_assert_int_eq(libghost_dispatch_to_kick(&e, &all, &out), 1);
	ck_assert_int_eq(ghost_cpuset_test(&out, 1), 1);

	/* Consumed meanwhile: nothing to kick. */
	consume(&r->dl[1]);
	ck_assert_int_eq(libghost_dispatch_to_kick(&e, &all, &out), 0);
}
END_TEST

/* Without a ctl file the kick that is needed fails; one not needed is 0. */
START_TEST(test_kick_issues_ioctl_only_when_needed)
{
	ck_assert_int_eq(ghost_dispatch_set_flags(&e, 0, GHOST_DL_F_ENABLE), 0);
	ck_assert_int_eq(ghost_dispatch_kick_one(&e, 0), 0);
	ck_assert_int_eq(ghost_dispatch_push(&e, 0, 5, 1), 0);
	cpu_word(0)->gtid = 9;
	ck_assert_int_eq(ghost_dispatch_kick_one(&e, 0), 0);
	cpu_word(0)->gtid = 0;
	ck_assert_int_eq(ghost_dispatch_kick_one(&e, 0), -EBADF);
	ck_assert_int_eq(ghost_dispatch_kick_one(&e, NR_CPUS), -EINVAL);
}
END_TEST

/* No ctl file: commit_wait reports the commit's error and does not wait. */
START_TEST(test_commit_wait_error)
{
	struct ghost_ioc_commit_wait cw;
	struct ghost_cpuset set;

	memset(&cw, 0, sizeof(cw));
	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, 1);
	ck_assert_int_eq(ghost_commit_wait(&e, &set, &cw), -EBADF);
	ck_assert_uint_eq(cw.commit.cpus_len, sizeof(unsigned long));
	ck_assert_uint_eq(cw.commit.cpus_ptr, (unsigned long)set.bits);
	ck_assert_int_eq(e.no_commit_wait, 0);
}
END_TEST

/* A regular file of @size bytes at @rel, starting with @head. */
static void put_region(const char *rel, const void *head, size_t len,
		       size_t size)
{
	int fd = open(fake_path(rel), O_CREAT | O_TRUNC | O_RDWR, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	if (len)
		ck_assert_int_eq(pwrite(fd, head, len, 0), (ssize_t)len);
	close(fd);
}

/* enclave_1/ as the module lays it out, with or without dispatch lists. */
static void fake_enclave(int with_dispatch)
{
	struct ghost_sw_region_header h;

	memset(&h, 0, sizeof(h));
	h.version = GHOST_VERSION;
	h.nr_cpus = NR_CPUS;
	h.nr_words = 1;
	h.cpu_words_offset = 64;
	h.words_offset = 64 + NR_CPUS * sizeof(struct ghost_cpu_word);
	fake_mkdir("enclave_1");
	fake_put("enclave_1/ctl", "1\n");
	fake_put("enclave_1/cpulist", "0-3\n");
	put_region("enclave_1/sw", &h, sizeof(h), 4096);
	put_region("enclave_1/txn", NULL, 0, 4096);
	if (with_dispatch)
		put_region("enclave_1/dispatch", NULL, 0, 4096);
}

START_TEST(test_open_maps_dispatch)
{
	struct ghost_enclave oe;

	fake_enclave(1);
	ck_assert_int_eq(ghost_enclave_open(1, &oe), 0);
	ck_assert_int_eq(ghost_dispatch_available(&oe), 1);
	ck_assert_uint_eq(oe.nr_dl, NR_CPUS);
	ck_assert_int_eq(oe.dl_err, 0);
	ck_assert_int_eq(ghost_dispatch_push(&oe, 3, 5, 1), 0);
	ck_assert_int_eq(ghost_dispatch_outstanding(&oe, 3), 1);
	ghost_enclave_close(&oe);
	ck_assert_ptr_null(oe.dl);
}
END_TEST

/* A module older than the fast path: opening works, lists do not. */
START_TEST(test_open_without_dispatch)
{
	struct ghost_enclave oe;

	fake_enclave(0);
	ck_assert_int_eq(ghost_enclave_open(1, &oe), 0);
	ck_assert_int_eq(ghost_dispatch_available(&oe), 0);
	ck_assert_int_eq(oe.dl_err, -ENOENT);
	ck_assert_int_eq(ghost_dispatch_push(&oe, 0, 5, 1), -EOPNOTSUPP);
	ghost_enclave_close(&oe);
}
END_TEST

/*
 * A ctl file that knows no ioctl (ENOTTY, as a module without
 * COMMIT_WAIT): the combined call is given up for good and the commit
 * is tried alone, whose error is returned without waiting.
 */
START_TEST(test_commit_wait_fallback)
{
	struct ghost_ioc_commit_wait cw;
	struct ghost_enclave oe;
	struct ghost_cpuset set;

	fake_enclave(1);
	ck_assert_int_eq(ghost_enclave_open(1, &oe), 0);
	memset(&cw, 0, sizeof(cw));
	ghost_cpuset_zero(&set);
	ghost_cpuset_set(&set, 2);
	ck_assert_int_eq(ghost_commit_wait(&oe, &set, &cw), -ENOTTY);
	ck_assert_int_eq(oe.no_commit_wait, 1);
	ck_assert_int_eq(ghost_commit_wait(&oe, &set, &cw), -ENOTTY);
	ghost_enclave_close(&oe);
}
END_TEST

static Suite *dispatch_suite(void)
{
	Suite *suite = suite_create("dispatch");
	TCase *tc;

	tc = tcase_create("lists");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unavailable);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_push_publishes_in_order);
	tcase_add_test(tc, test_full_list);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_dropped_list);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_kick_decision);
	tcase_add_test(tc, test_kick_issues_ioctl_only_when_needed);
	tcase_add_test(tc, test_commit_wait_error);
	suite_add_tcase(suite, tc);

	tc = tcase_create("open");
	fake_fixtures(tc);
	tcase_add_test(tc, test_open_maps_dispatch);
	tcase_add_test(tc, test_open_without_dispatch);
	tcase_add_test(tc, test_commit_wait_fallback);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(dispatch_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
