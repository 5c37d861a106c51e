/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests: a scratch directory standing in for /sys/fs/ghost.  Each
 * test runs in its own process (Check forks), so the fixtures below give
 * every test a fresh libghost_root of its own.
 */
#ifndef _GHOST_TEST_FAKEFS_H
#define _GHOST_TEST_FAKEFS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "internal.h"

static char fake_base[64], fake_root[96];

/*
 * Unchecked fixture (runs in the parent, once per test case): a base
 * directory, removed even when a test fails.
 */
static inline void fake_base_setup(void)
{
	strcpy(fake_base, "/tmp/ghost-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_base));
}

static inline void fake_base_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_base);
	ck_assert_int_eq(system(cmd), 0);
}

/* Checked fixture (runs in each test's process): a fresh root. */
static inline void fake_setup(void)
{
	snprintf(fake_root, sizeof(fake_root), "%s/root-XXXXXX", fake_base);
	ck_assert_ptr_nonnull(mkdtemp(fake_root));
	libghost_root = fake_root;
}

static inline void fake_teardown(void)
{
}

/* Both fixtures on test case @tc. */
static inline void fake_fixtures(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, fake_base_setup, fake_base_teardown);
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
}

/* Path of @rel under the fake root (in a rotating static buffer). */
static inline const char *fake_path(const char *rel)
{
	static char bufs[4][256];
	static int next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", fake_root, rel);
	return buf;
}

static inline void fake_mkdir(const char *rel)
{
	ck_assert_int_eq(mkdir(fake_path(rel), 0755), 0);
}

static inline void fake_put(const char *rel, const char *content)
{
	FILE *f = fopen(fake_path(rel), "w");

	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Content of @rel (in a static buffer). */
static inline const char *fake_get(const char *rel)
{
	static char buf[4096];
	int ret = ghost_read_file(fake_path(rel), buf, sizeof(buf));

	ck_assert_int_ge(ret, 0);
	return buf;
}

#endif /* _GHOST_TEST_FAKEFS_H */
