// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the uapi layouts as user space compiles them, the same
 * numbers module/abi.c pins on the kernel side; the hint region's
 * layout, which applications and the agent share; and the hint as the
 * policy plugin ABI passes it, pinned to that ABI's version.
 */
#include <stddef.h>

#include <check.h>
#include <linux/ghost.h>
#include <ghost/app_hint.h>
#include <ghost/policy.h>

struct layout {
	const char *name;
	size_t got, want;
};

#define SIZE(type, n)		{ "sizeof " #type, sizeof(struct type), n }
#define OFFSET(type, field, n) \
	{ #type "." #field, offsetof(struct type, field), n }

static const struct layout layouts[] = {
	SIZE(ghost_enclave_info, 64),
	SIZE(ghost_status_word, 32),
	SIZE(ghost_cpu_word, 32),
	OFFSET(ghost_cpu_word, agent_seq, 24),
	SIZE(ghost_sw_region_header, 64),
	SIZE(ghost_msg, 8),
	SIZE(ghost_msg_task, 24),
	SIZE(ghost_msg_task_new, 40),
	SIZE(ghost_msg_task_priority, 24),
	SIZE(ghost_msg_task_wakeup, 16),
	SIZE(ghost_msg_cpu, 8),
	SIZE(ghost_ring, 64),
	OFFSET(ghost_ring, msgs, 64),
	SIZE(ghost_txn, 64),
	OFFSET(ghost_txn, commit_time, 24),
	SIZE(ghost_ioc_create_queue, 32),
	SIZE(ghost_ioc_assoc_queue, 32),
	OFFSET(ghost_ioc_assoc_queue, status, 20),
	SIZE(ghost_ioc_queue_wakeup, 32),
	SIZE(ghost_ioc_commit, 32),
	SIZE(ghost_ioc_agent, 32),
	SIZE(ghost_ioc_wait, 24),
	OFFSET(ghost_ioc_wait, agent_seq, 8),
	SIZE(ghost_ioc_sw, 16),
	SIZE(ghost_dispatch_entry, 16),
	SIZE(ghost_dispatch_list, 576),
	OFFSET(ghost_dispatch_list, ent, 64),
	SIZE(ghost_ioc_dispatch, 32),
	SIZE(ghost_ioc_commit_wait, 56),
	OFFSET(ghost_ioc_commit_wait, wait, 32),
	SIZE(ghost_hint_header, 64),
	SIZE(ghost_hint_slot, 64),
	OFFSET(ghost_hint_slot, period_ns, 32),
	OFFSET(ghost_hint_slot, resv, 40),
	SIZE(ghost_app_hint, 32),
	OFFSET(ghost_app_hint, period_ns, 24),
};

START_TEST(test_layout)
{
	const struct layout *l = &layouts[_i];

	ck_assert_msg(l->got == l->want, "%s is %zu, the ABI says %zu",
		      l->name, l->got, l->want);
}
END_TEST

/*
 * Plugins get struct ghost_app_hint by pointer: a change of its layout
 * must come with a new GHOST_POLICY_ABI_VERSION, or a plugin built
 * against the old one reads past what it allocated.  Version 5 is the
 * one with period_ns.
 */
START_TEST(test_policy_abi_pins_hint)
{
	ck_assert_uint_eq(GHOST_POLICY_ABI_VERSION, 5);
	ck_assert_uint_eq(sizeof(struct ghost_app_hint), 32);
}
END_TEST

/* Message payloads fit the 8-byte slots of a ring. */
START_TEST(test_messages_fill_slots)
{
	ck_assert_uint_eq(sizeof(struct ghost_msg_task) % 8, 0);
	ck_assert_uint_eq(sizeof(struct ghost_msg_task_new) % 8, 0);
	ck_assert_uint_eq(sizeof(struct ghost_msg_task_priority) % 8, 0);
	ck_assert_uint_eq(sizeof(struct ghost_msg_task_wakeup) % 8, 0);
	ck_assert_uint_eq(sizeof(struct ghost_msg_cpu) % 8, 0);
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_loop_test(tc, test_layout, 0,
			    sizeof(layouts) / sizeof(layouts[0]));
	tcase_add_test(tc, test_messages_fill_slots);
	tcase_add_test(tc, test_policy_abi_pins_hint);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
