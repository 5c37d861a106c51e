// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: moving threads in and out of enclaves (against a scratch
 * directory laid out like ghostfs) and expanding a process into its
 * threads (against this process's /proc).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <check.h>

#include "fakefs.h"

static void fake_enclave(unsigned int id)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "enclave_%u", id);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "enclave_%u/ctl", id);
	fake_put(rel, "");
	snprintf(rel, sizeof(rel), "enclave_%u/tasks", id);
	fake_put(rel, "");
}

START_TEST(test_enter_writes_tid)
{
	fake_enclave(3);
	ck_assert_int_eq(ghost_task_enter(3, 0), 0);
	ck_assert_str_eq(fake_get("enclave_3/tasks"), "0");
	ck_assert_int_eq(ghost_task_enter(3, 4242), 0);
	ck_assert_str_eq(fake_get("enclave_3/tasks"), "4242");
	ck_assert_int_eq(ghost_task_enter(3, -1), -EINVAL);
	ck_assert_int_eq(ghost_task_enter(4, 1), -ENOENT);
}
END_TEST

START_TEST(test_leave_writes_ctl)
{
	fake_enclave(3);
	ck_assert_int_eq(ghost_task_leave(3, 77), 0);
	ck_assert_str_eq(fake_get("enclave_3/ctl"), "leave 77");
	ck_assert_int_eq(ghost_task_leave(3, -2), -EINVAL);
}
END_TEST

START_TEST(test_list_parses_tids)
{
	pid_t tids[2];

	fake_enclave(5);
	fake_put("enclave_5/tasks", "10\n11\n12\n");
	ck_assert_int_eq(ghost_task_list(5, tids, 2), 3);
	ck_assert_int_eq(tids[0], 10);
	ck_assert_int_eq(tids[1], 11);
	fake_put("enclave_5/tasks", "");
	ck_assert_int_eq(ghost_task_list(5, tids, 2), 0);
	fake_put("enclave_5/tasks", "10\nx\n");
	ck_assert_int_eq(ghost_task_list(5, tids, 2), -EPROTO);
	ck_assert_int_eq(ghost_task_list(6, tids, 2), -ENOENT);
}
END_TEST

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t other_tid;

static void *other(void *arg)
{
	other_tid = syscall(SYS_gettid);
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

START_TEST(test_process_threads)
{
	pid_t tids[16];
	pthread_t th;
	int n, i, self = 0, found = 0;

	pthread_mutex_lock(&lock);
	ck_assert_int_eq(pthread_create(&th, NULL, other, NULL), 0);
	while (!__atomic_load_n(&other_tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	n = ghost_process_threads(getpid(), tids, 16);
	ck_assert_int_ge(n, 2);
	for (i = 0; i < n && i < 16; i++) {
		self += tids[i] == getpid();
		found += tids[i] == other_tid;
	}
	ck_assert_int_eq(self, 1);
	ck_assert_int_eq(found, 1);
	/* A thread that is not a process stands for itself only. */
	ck_assert_int_eq(ghost_process_threads(other_tid, tids, 16), 1);
	ck_assert_int_eq(tids[0], other_tid);
	/* Room for one: the count is still all of them. */
	ck_assert_int_eq(ghost_process_threads(getpid(), tids, 1), n);
	pthread_mutex_unlock(&lock);
	pthread_join(th, NULL);
	ck_assert_int_eq(ghost_process_threads(0, tids, 16), -ESRCH);
	ck_assert_int_eq(ghost_process_threads(0x7ffffff0, tids, 16), -ESRCH);
}
END_TEST

START_TEST(test_sock_path)
{
	char buf[64];

	ck_assert_int_eq(ghost_agent_sock_path(7, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/ghost/agent-7.sock");
	ck_assert_int_eq(ghost_agent_sock_path(7, buf, 8), -ENAMETOOLONG);
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc;

	tc = tcase_create("files");
	fake_fixtures(tc);
	tcase_add_test(tc, test_enter_writes_tid);
	tcase_add_test(tc, test_leave_writes_ctl);
	tcase_add_test(tc, test_list_parses_tids);
	suite_add_tcase(s, tc);

	tc = tcase_create("proc");
	tcase_add_test(tc, test_process_threads);
	tcase_add_test(tc, test_sock_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(task_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
