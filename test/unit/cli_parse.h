/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests: running ghostctl's command-line parser on a word list, and
 * expecting a usage error.
 */
#ifndef _GHOST_TEST_CLI_PARSE_H
#define _GHOST_TEST_CLI_PARSE_H

#include <errno.h>
#include <string.h>

#include <check.h>

#include "cli.h"

/* Parse "ghostctl ARGS..."; the list ends with NULL. */
#define PARSE(cmd, ...) \
	parse_argv(cmd, (char *[]){ "ghostctl", __VA_ARGS__, NULL })

static inline int parse_argv(struct ghostctl_cmd *cmd, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return ghostctl_parse(argc, argv, cmd);
}

/* Expect a usage error whose message contains @want. */
#define ck_usage(cmd, want, ...) do {					\
	ck_assert_int_eq(PARSE(cmd, __VA_ARGS__), -EINVAL);		\
	ck_assert_msg(strstr((cmd)->err, want),				\
		      "message \"%s\" lacks \"%s\"", (cmd)->err, want);	\
} while (0)

#endif /* _GHOST_TEST_CLI_PARSE_H */
