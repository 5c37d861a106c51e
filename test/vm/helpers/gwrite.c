// SPDX-License-Identifier: GPL-2.0
/*
 * gwrite: write a string to a file in exactly one write() call and print
 * the outcome as "OK" or the errno name ("EINVAL", "EPERM", ...).
 *
 * Shell redirections may split a write or hide its errno; control files
 * of ghostfs act on each write() as a whole, so tests need this.
 *
 *   gwrite [-e WANT] FILE STRING
 *
 * Without -e, exits 0 when the write succeeded in full.  With -e, exits 0
 * when the outcome is WANT and reports a mismatch on stderr.  A failing
 * open() is an outcome too: writing to a file one may not open fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EUNKNOWN";
}

/* Returns "OK", "SHORT" or the name of the errno the write failed with. */
static const char *write_once(const char *path, const char *buf)
{
	size_t len = strlen(buf);
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_name(errno);

	ret = write(fd, buf, len);
	if (ret < 0) {
		const char *name = errno_name(errno);

		close(fd);
		return name;
	}
	if (close(fd) < 0)
		return errno_name(errno);
	return (size_t)ret == len ? "OK" : "SHORT";
}

static void usage(void)
{
	fprintf(stderr, "usage: gwrite [-e WANT] FILE STRING\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *want = NULL;
	const char *got;
	int opt;

	/* "+": options end at FILE, so STRING may start with '-'. */
	while ((opt = getopt(argc, argv, "+e:")) != -1) {
		if (opt != 'e')
			usage();
		want = optarg;
	}
	if (argc - optind != 2)
		usage();

	got = write_once(argv[optind], argv[optind + 1]);
	printf("%s\n", got);
	if (!want)
		return strcmp(got, "OK") ? 1 : 0;
	if (strcmp(got, want)) {
		fprintf(stderr, "gwrite: write \"%s\" to %s: got %s, want %s\n",
			argv[optind + 1], argv[optind], got, want);
		return 1;
	}
	return 0;
}
