// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: application hint regions (<ghost/app_hint.h>), both sides
 * in one process: the layout, the writer's API, the agent's validation
 * of a region it is handed, the seqcount against a concurrent writer,
 * and the next deadline of a periodic hint.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <check.h>

#include "internal.h"

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

START_TEST(test_layout)
{
	ck_assert_uint_eq(sizeof(struct ghost_hint_header), 64);
	ck_assert_uint_eq(sizeof(struct ghost_hint_slot), 64);
	ck_assert_uint_eq(offsetof(struct ghost_hint_header, nr_slots), 16);
	ck_assert_uint_eq(offsetof(struct ghost_hint_header, gen), 24);
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, seq), 0);
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, tid), 4);
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, deadline_ns), 16);
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, estimate_ns), 24);
	/* The first reserved word of version 1: the region kept its size. */
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, period_ns), 32);
	ck_assert_uint_eq(offsetof(struct ghost_hint_slot, resv), 40);
	ck_assert_int_eq(GHOST_HINT_VERSION, 1);
	ck_assert_uint_eq(GHOST_HINT_MAX_SIZE, 64 + 4096 * 64);
}
END_TEST

/* What the application writes, the agent's mapping reads. */
START_TEST(test_set_read_clear)
{
	struct ghost_app_hint h = {
		.qos = 3, .flags = GHOST_HINT_F_RUNNABLE,
		.deadline_ns = 1000, .estimate_ns = 50, .period_ns = 700,
	}, out;
	struct ghost_hint_region app, agent;
	char msg[256];
	int slot = -1, me = gettid_();
	__u64 gen;

	ck_assert_int_eq(ghost_hint_create(&app, 4), 0);
	ck_assert_int_eq(ghost_hint_map(app.fd, &agent, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(agent.nr_slots, 4);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), -ENOENT);

	gen = ((struct ghost_hint_header *)app.mem)->gen;
	ck_assert_int_eq(ghost_hint_set(&app, 0, &h), 0);
	ck_assert_uint_gt(((struct ghost_hint_header *)app.mem)->gen, gen);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), 0);
	ck_assert_int_eq(slot, 0);
	ck_assert_uint_eq(out.qos, 3);
	ck_assert_uint_eq(out.flags, GHOST_HINT_F_RUNNABLE);
	ck_assert_uint_eq(out.deadline_ns, 1000);
	ck_assert_uint_eq(out.estimate_ns, 50);
	ck_assert_uint_eq(out.period_ns, 700);
	ck_assert(!ghost_app_hint_idle(&out));

	/* Idle keeps the rest. */
	ck_assert_int_eq(ghost_hint_set_runnable(&app, me, 0), 0);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), 0);
	ck_assert(ghost_app_hint_idle(&out));
	ck_assert_uint_eq(out.qos, 3);
	ck_assert_uint_eq(out.deadline_ns, 1000);
	ck_assert_uint_eq(out.period_ns, 700);

	/* So does a new period; any number is one, 0 is none. */
	ck_assert_int_eq(ghost_hint_set_period(&app, 0, ~0ULL), 0);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), 0);
	ck_assert_uint_eq(out.period_ns, ~0ULL);
	ck_assert(ghost_app_hint_idle(&out));
	ck_assert_uint_eq(out.qos, 3);
	ck_assert_uint_eq(out.deadline_ns, 1000);
	ck_assert_uint_eq(out.estimate_ns, 50);
	ck_assert_int_eq(ghost_hint_set_period(&app, me, 0), 0);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), 0);
	ck_assert_uint_eq(out.period_ns, 0);
	ck_assert_int_eq(ghost_hint_set_period(&app, me, 700), 0);
	ck_assert_int_eq(ghost_hint_set_period(&app, -1, 700), -EINVAL);
	ck_assert_int_eq(ghost_hint_set_period(&agent, me, 700), -EINVAL);

	/* Other threads take other slots; the cache follows a move. */
	h.qos = 5;
	ck_assert_int_eq(ghost_hint_set(&app, 4242, &h), 0);
	slot = 0;
	ck_assert_int_eq(ghost_hint_read(&agent, 4242, &slot, &out), 0);
	ck_assert_int_eq(slot, 1);
	ck_assert_uint_eq(out.qos, 5);

	ck_assert_int_eq(ghost_hint_clear(&app, me), 0);
	slot = 0;
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), -ENOENT);
	ck_assert_int_eq(slot, -1);
	ck_assert_int_eq(ghost_hint_clear(&app, me), -ENOENT);
	/* A slot taken again starts without the old period. */
	ck_assert_int_eq(ghost_hint_set_runnable(&app, me, 1), 0);
	ck_assert_int_eq(ghost_hint_read(&agent, me, &slot, &out), 0);
	ck_assert_uint_eq(out.period_ns, 0);
	ck_assert_uint_eq(out.deadline_ns, 0);
	ck_assert_int_eq(ghost_hint_clear(&app, me), 0);

	/* Bad input; full region. */
	h.qos = GHOST_HINT_QOS_MAX + 1;
	ck_assert_int_eq(ghost_hint_set(&app, 0, &h), -EINVAL);
	h.qos = 0;
	h.flags = GHOST_HINT_F_ALL;
	ck_assert_int_eq(ghost_hint_set(&app, 0, &h), -EINVAL);
	h.flags = 1U << 7;
	ck_assert_int_eq(ghost_hint_set(&app, 0, &h), -EINVAL);
	h.flags = 0;
	ck_assert_int_eq(ghost_hint_set(&app, 1, &h), 0);
	ck_assert_int_eq(ghost_hint_set(&app, 2, &h), 0);
	ck_assert_int_eq(ghost_hint_set(&app, 3, &h), 0);
	ck_assert_int_eq(ghost_hint_set(&app, 4, &h), -ENOSPC);
	/* The agent's mapping is read-only: no writing through it. */
	ck_assert_int_eq(ghost_hint_set(&agent, 0, &h), -EINVAL);

	ghost_hint_destroy(&agent);
	ck_assert_int_eq(ghost_hint_create(&agent, 0), -EINVAL);
	ck_assert_int_eq(ghost_hint_create(&agent, GHOST_HINT_MAX_SLOTS + 1),
			 -EINVAL);
	ghost_hint_destroy(&app);
}
END_TEST

/*
 * The deadline in force for periodic work: the published one while it is
 * ahead, else the first one of its period after now; no period or no
 * deadline leaves it alone; what does not fit saturates, computed by one
 * division whatever the numbers.
 */
START_TEST(test_next_deadline)
{
	const __u64 max = ~0ULL;

	ck_assert_uint_eq(ghost_app_hint_next_deadline(150, 100, 100), 150);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(100, 100, 100), 200);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(100, 100, 199), 200);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(100, 100, 200), 300);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(100, 30, 1000), 1030);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(100, 0, 1000), 100);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(0, 30, 1000), 0);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(1, 1, max - 1), max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(1, 1, max), max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(1, max, 1000), max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(999, max - 2, 1000),
			  max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(max, max, 1000), max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(max - 10, 7, max - 1),
			  max);
	ck_assert_uint_eq(ghost_app_hint_next_deadline(max - 20, 7, max - 10),
			  max - 6);
}
END_TEST

/* Garbage in a slot: known flags only, qos clamped; a stuck writer. */
START_TEST(test_hostile_slot)
{
	struct ghost_hint_region app, agent;
	struct ghost_hint_slot *s;
	struct ghost_app_hint out;
	char msg[256];
	int slot = -1;

	ck_assert_int_eq(ghost_hint_create(&app, 2), 0);
	ck_assert_int_eq(ghost_hint_map(app.fd, &agent, msg, sizeof(msg)), 0);
	s = (struct ghost_hint_slot *)((char *)app.mem + 64) + 1;
	s->tid = 77;
	s->qos = 1000;
	s->flags = 0xffffffff;
	ck_assert_int_eq(ghost_hint_read(&agent, 77, &slot, &out), 0);
	ck_assert_uint_eq(out.qos, GHOST_HINT_QOS_MAX);
	ck_assert_uint_eq(out.flags, GHOST_HINT_F_ALL);
	ck_assert(!ghost_app_hint_idle(&out));

	/* Odd forever: given up on, not waited for. */
	s->seq = 1;
	ck_assert_int_eq(ghost_hint_read(&agent, 77, &slot, &out), -EAGAIN);
	ck_assert_int_eq(ghost_hint_read(&agent, 0, &slot, &out), -ENOENT);
	ghost_hint_destroy(&agent);
	ghost_hint_destroy(&app);
}
END_TEST

static int map_fd(int fd, char *msg, size_t len)
{
	struct ghost_hint_region r;
	int ret = ghost_hint_map(fd, &r, msg, len);

	if (!ret)
		ghost_hint_destroy(&r);
	return ret;
}

static int sealed_memfd(size_t size, unsigned int seals)
{
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	if (seals)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* Copy a good header into @fd. */
static void good_header(int fd, unsigned int nr_slots)
{
	struct ghost_hint_header h = {
		.magic = GHOST_HINT_MAGIC, .version = GHOST_HINT_VERSION,
		.hdr_size = sizeof(h), .slot_size = 64, .nr_slots = nr_slots,
	};

	ck_assert_int_eq(pwrite(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
}

START_TEST(test_map_refuses)
{
	struct ghost_hint_region app;
	char msg[256];
	int fd, p[2];

	/* Not a file at all. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(map_fd(p[0], msg, sizeof(msg)), -EBADFD);
	ck_assert_str_eq(msg, "not a memfd");
	close(p[0]);
	close(p[1]);

	/* A file, but not in shmem (the test's own binary). */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EBADFD);
	ck_assert_str_eq(msg, "not a memfd");
	close(fd);

	/* Hugetlb, if the machine lets us make one: SIGBUS when it runs dry. */
	fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (fd >= 0 && !ftruncate(fd, 2 << 20) &&
	    !fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EBADFD);
	if (fd >= 0)
		close(fd);

	/* Not sealed: it could be truncated under the agent. */
	fd = sealed_memfd(64 + 64, 0);
	good_header(fd, 1);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EBADFD);
	ck_assert_msg(strstr(msg, "F_SEAL_SHRINK"), "%s", msg);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), 0);
	close(fd);

	/* A memfd that cannot be sealed. */
	fd = memfd_create("t", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 128), 0);
	good_header(fd, 1);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EBADFD);
	close(fd);

	/* Too small for a header and a slot. */
	fd = sealed_memfd(100, F_SEAL_SHRINK);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "too small"), "%s", msg);
	close(fd);

	/* More slots than it has room for, or too many. */
	fd = sealed_memfd(64 + 2 * 64, 0);
	good_header(fd, 3);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "do not fit"), "%s", msg);
	close(fd);
	fd = sealed_memfd(GHOST_HINT_MAX_SIZE + 64, 0);
	good_header(fd, GHOST_HINT_MAX_SLOTS + 1);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	ck_assert_int_eq(map_fd(fd, msg, sizeof(msg)), -EINVAL);
	close(fd);

	/* Wrong magic, version, sizes. */
	ck_assert_int_eq(ghost_hint_create(&app, 1), 0);
	((struct ghost_hint_header *)app.mem)->magic ^= 1;
	ck_assert_int_eq(map_fd(app.fd, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "not a ghost hint region"), "%s", msg);
	((struct ghost_hint_header *)app.mem)->magic ^= 1;
	((struct ghost_hint_header *)app.mem)->version = 2;
	ck_assert_int_eq(map_fd(app.fd, msg, sizeof(msg)), -EINVAL);
	((struct ghost_hint_header *)app.mem)->version = GHOST_HINT_VERSION;
	((struct ghost_hint_header *)app.mem)->slot_size = 32;
	ck_assert_int_eq(map_fd(app.fd, msg, sizeof(msg)), -EINVAL);
	((struct ghost_hint_header *)app.mem)->slot_size = 64;
	ck_assert_int_eq(map_fd(app.fd, msg, sizeof(msg)), 0);
	/* Sealed by create: it cannot shrink under the agent. */
	ck_assert_int_ne(ftruncate(app.fd, 64), 0);
	ck_assert_int_eq(errno, EPERM);
	ghost_hint_destroy(&app);
}
END_TEST

/*
 * A writer rewrites its slot as fast as it can, fields that must agree
 * (estimate = 3 * deadline, qos = deadline % 8); the reader must never
 * see them disagree.
 */
static volatile int writer_stop;
static struct ghost_hint_region shared;

static void *writer(void *arg)
{
	struct ghost_app_hint h = { 0 };
	__u64 k;

	for (k = 1; !writer_stop; k++) {
		h.deadline_ns = k;
		h.estimate_ns = 3 * k;
		h.qos = k % 8;
		h.flags = k & 1 ? GHOST_HINT_F_RUNNABLE : GHOST_HINT_F_IDLE;
		ck_assert_int_eq(ghost_hint_set(&shared, 1000, &h), 0);
	}
	return NULL;
}

START_TEST(test_seqcount_consistent)
{
	struct ghost_hint_region agent;
	struct ghost_app_hint out;
	struct ghost_app_hint first = { .flags = GHOST_HINT_F_IDLE };
	pthread_t th;
	char msg[256];
	int slot = -1, i, ok = 0, changed = 0;
	__u64 last = 0;

	ck_assert_int_eq(ghost_hint_create(&shared, 8), 0);
	ck_assert_int_eq(ghost_hint_set(&shared, 1000, &first), 0);
	ck_assert_int_eq(ghost_hint_map(shared.fd, &agent, msg, sizeof(msg)),
			 0);
	writer_stop = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, writer, NULL), 0);
	for (i = 0; i < 2000000; i++) {
		if (ghost_hint_read(&agent, 1000, &slot, &out))
			continue;
		ok++;
		ck_assert_msg(out.estimate_ns == 3 * out.deadline_ns &&
			      out.qos == out.deadline_ns % 8 &&
			      out.flags == (out.deadline_ns & 1 ?
					    GHOST_HINT_F_RUNNABLE :
					    GHOST_HINT_F_IDLE),
			      "torn read: deadline %llu estimate %llu qos %u flags %u",
			      (unsigned long long)out.deadline_ns,
			      (unsigned long long)out.estimate_ns, out.qos,
			      out.flags);
		if (out.deadline_ns != last)
			changed++;
		last = out.deadline_ns;
	}
	writer_stop = 1;
	pthread_join(th, NULL);
	ck_assert_int_gt(ok, 0);
	/* The reads did race the writer. */
	ck_assert_int_gt(changed, 100);
	ghost_hint_destroy(&agent);
	ghost_hint_destroy(&shared);
}
END_TEST

static Suite *app_hint_suite(void)
{
	Suite *s = suite_create("app_hint");
	TCase *tc = tcase_create("region");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_set_read_clear);
	tcase_add_test(tc, test_next_deadline);
	tcase_add_test(tc, test_hostile_slot);
	tcase_add_test(tc, test_map_refuses);
	tcase_add_test(tc, test_seqcount_consistent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(app_hint_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
