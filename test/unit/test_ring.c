// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: message iteration over a ring in memory, filled the way the
 * module fills it (messages never wrap; the end is padded with NOPs; a
 * full ring drops the message and counts it in overflow).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <ghost/libghost.h>

struct producer {
	struct ghost_ring *ring;
	size_t size;
	__u32 head;
};

static void producer_init(struct producer *p, unsigned int slots)
{
	p->size = sizeof(struct ghost_ring) + slots * sizeof(struct ghost_msg);
	p->ring = calloc(1, p->size);
	ck_assert_ptr_nonnull(p->ring);
	p->ring->nr_slots = slots;
	p->head = 0;
}

/* The module's ghost_queue_push(); 0 or -ENOSPC (counted in overflow). */
static int produce(struct producer *p, __u16 type, __u32 seq, __u16 len)
{
	struct ghost_ring *ring = p->ring;
	__u32 n = ring->nr_slots, slots = (len + 7) / 8;
	__u32 idx = p->head & (n - 1), pad = 0, used = p->head - ring->tail;
	unsigned char buf[256];
	struct ghost_msg *m = (struct ghost_msg *)buf;

	if (idx + slots > n)
		pad = n - idx;
	if (used + pad + slots > n) {
		ring->overflow++;
		return -ENOSPC;
	}
	if (pad) {
		struct ghost_msg nop = { GHOST_MSG_NOP, (__u16)(pad * 8), 0 };

		memcpy(&ring->msgs[idx], &nop, sizeof(nop));
		p->head += pad;
		idx = 0;
	}
	memset(buf, 0xab, sizeof(buf));
	m->type = type;
	m->length = len;
	m->seqnum = seq;
	memcpy(&ring->msgs[idx], buf, len);
	p->head += slots;
	__atomic_store_n(&ring->head, p->head, __ATOMIC_RELEASE);
	return 0;
}

START_TEST(test_init_checks_layout)
{
	struct ghost_queue q;
	struct producer p;

	producer_init(&p, 8);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), 0);
	ck_assert_uint_eq(q.nr_slots, 8);
	ck_assert_uint_eq(q.mask, 7);
	/* Too small for its slots, not a power of two, too small at all. */
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size - 8),
			 -EPROTO);
	p.ring->nr_slots = 6;
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), -EPROTO);
	p.ring->nr_slots = 0;
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), -EPROTO);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, 8), -EINVAL);
	free(p.ring);
}
END_TEST

START_TEST(test_empty)
{
	struct ghost_queue q;
	struct producer p;

	producer_init(&p, 16);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), 0);
	ck_assert_ptr_null(ghost_queue_peek(&q));
	ck_assert_uint_eq(ghost_queue_head(&q), 0);
	ck_assert_uint_eq(ghost_queue_overflow(&q), 0);
	free(p.ring);
}
END_TEST

START_TEST(test_peek_consume_in_order)
{
	const struct ghost_msg *m;
	struct ghost_queue q;
	struct producer p;

	producer_init(&p, 16);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), 0);
	ck_assert_int_eq(produce(&p, GHOST_MSG_TASK_NEW, 1, 48), 0);
	ck_assert_int_eq(produce(&p, GHOST_MSG_TASK_BLOCKED, 2, 32), 0);
	ck_assert_uint_eq(ghost_queue_head(&q), 10);

	m = ghost_queue_peek(&q);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->type, GHOST_MSG_TASK_NEW);
	ck_assert_uint_eq(m->seqnum, 1);
	/* Peeking again gives the same message until it is consumed. */
	ck_assert_ptr_eq(ghost_queue_peek(&q), m);
	ghost_queue_consume(&q, m);
	ck_assert_uint_eq(p.ring->tail, 6);
	m = ghost_queue_peek(&q);
	ck_assert_uint_eq(m->type, GHOST_MSG_TASK_BLOCKED);
	ck_assert_ptr_eq(ghost_msg_payload(m), (const void *)(m + 1));
	ghost_queue_consume(&q, m);
	ck_assert_uint_eq(p.ring->tail, 10);
	ck_assert_ptr_null(ghost_queue_peek(&q));
	free(p.ring);
}
END_TEST

/* Through many wraps, with NOP padding, for several ring sizes. */
START_TEST(test_wraps_and_padding)
{
	static const __u16 lens[] = { 16, 32, 48, 24, 40 };
	unsigned int slots = 8U << _i, produced = 0, consumed = 0, k, target;
	const struct ghost_msg *m;
	struct ghost_queue q;
	struct producer p;

	producer_init(&p, slots);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), 0);
	for (k = 0; k < 2000; k++) {
		/* Fill until full, then drain about half. */
		while (!produce(&p, GHOST_MSG_TASK_WAKEUP, produced,
				lens[produced % 5]))
			produced++;
		ck_assert_uint_eq(ghost_queue_overflow(&q), k + 1);
		target = consumed + (produced - consumed) / 2 + 1;
		while (consumed < target && (m = ghost_queue_peek(&q))) {
			ck_assert_uint_eq(m->type, GHOST_MSG_TASK_WAKEUP);
			ck_assert_uint_eq(m->seqnum, consumed);
			ck_assert_uint_eq(m->length, lens[consumed % 5]);
			ghost_queue_consume(&q, m);
			consumed++;
		}
	}
	while ((m = ghost_queue_peek(&q))) {
		ck_assert_uint_eq(m->seqnum, consumed++);
		ghost_queue_consume(&q, m);
	}
	ck_assert_uint_eq(consumed, produced);
	ck_assert_uint_eq(p.ring->tail, p.head);
	/* Free-running indices went around the ring many times. */
	ck_assert_uint_gt(p.head, 50 * slots);
	free(p.ring);
}
END_TEST

/* A malformed length never makes the consumer stall or run past the end. */
START_TEST(test_malformed_length)
{
	const struct ghost_msg *m;
	struct ghost_queue q;
	struct producer p;

	producer_init(&p, 8);
	ck_assert_int_eq(ghost_queue_init_mem(&q, p.ring, p.size), 0);
	p.ring->msgs[0] = (struct ghost_msg){ GHOST_MSG_TASK_DEAD, 0, 7 };
	p.ring->msgs[1] = (struct ghost_msg){ GHOST_MSG_TASK_DEAD, 4000, 8 };
	__atomic_store_n(&p.ring->head, 8, __ATOMIC_RELEASE);
	m = ghost_queue_peek(&q);
	ck_assert_uint_eq(m->seqnum, 7);
	ghost_queue_consume(&q, m);
	ck_assert_uint_eq(p.ring->tail, 1);
	m = ghost_queue_peek(&q);
	ck_assert_uint_eq(m->seqnum, 8);
	ghost_queue_consume(&q, m);
	ck_assert_uint_eq(p.ring->tail, 8);
	ck_assert_ptr_null(ghost_queue_peek(&q));
	free(p.ring);
}
END_TEST

START_TEST(test_msg_helpers)
{
	ck_assert_uint_eq(ghost_msg_slots(0), 1);
	ck_assert_uint_eq(ghost_msg_slots(8), 1);
	ck_assert_uint_eq(ghost_msg_slots(9), 2);
	ck_assert_uint_eq(ghost_msg_slots(48), 6);
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_NOP), "NOP");
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_TASK_NEW), "TASK_NEW");
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_TASK_PRIORITY_CHANGED),
			 "TASK_PRIORITY_CHANGED");
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_CPU_TICK), "CPU_TICK");
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_CPU_BUSY), "CPU_BUSY");
	ck_assert_str_eq(ghost_msg_type_name(GHOST_MSG_TASK_LATCHED),
			 "TASK_LATCHED");
	ck_assert_str_eq(ghost_msg_type_name(76), "UNKNOWN");
	ck_assert_str_eq(ghost_msg_type_name(130), "UNKNOWN");
}
END_TEST

START_TEST(test_wait_without_enclave)
{
	struct ghost_ioc_wait w = { 0 };
	struct ghost_enclave e;

	memset(&e, 0, sizeof(e));
	e.ctl_fd = -1;
	ck_assert_int_eq(ghost_queue_wait(&e, &w), -EBADF);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc;

	tc = tcase_create("iterate");
	tcase_add_test(tc, test_init_checks_layout);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_peek_consume_in_order);
	tcase_add_loop_test(tc, test_wraps_and_padding, 0, 4);
	tcase_add_test(tc, test_malformed_length);
	tcase_add_test(tc, test_msg_helpers);
	tcase_add_test(tc, test_wait_without_enclave);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
