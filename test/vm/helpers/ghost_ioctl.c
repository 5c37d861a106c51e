// SPDX-License-Identifier: GPL-2.0
/*
 * Checks the enclave ctl ioctls from user space: ghost_ioctl CTL_PATH.
 * Exits 0 when every check holds, 1 with a message otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ghost.h>

_Static_assert(sizeof(struct ghost_enclave_info) == 64, "info size");
_Static_assert(__builtin_offsetof(struct ghost_enclave_info, resv) == 24,
	       "info layout");

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "ghost_ioctl: %s (errno %d: %s)\n", what, errno,
			strerror(errno));
		failures++;
	}
}

int main(int argc, char **argv)
{
	struct ghost_enclave_info info;
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: ghost_ioctl ENCLAVE_CTL\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}

	expect(ioctl(fd, GHOST_IOC_NULL) == 0, "GHOST_IOC_NULL failed");

	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, GHOST_IOC_ENCLAVE_INFO, &info);
	expect(ret == 0, "GHOST_IOC_ENCLAVE_INFO failed");
	expect(info.abi_version == GHOST_VERSION, "wrong abi_version");
	printf("id %u abi %u nr_cpus %u nr_tasks %u timeout %u flags %#x\n",
	       info.id, info.abi_version, info.nr_cpus, info.nr_tasks,
	       info.runnable_timeout_ms, info.flags);

	/* Reserved and output fields must be zero on input. */
	memset(&info, 0, sizeof(info));
	info.resv[4] = 1;
	errno = 0;
	expect(ioctl(fd, GHOST_IOC_ENCLAVE_INFO, &info) == -1 &&
	       errno == EINVAL, "non-zero resv accepted");
	memset(&info, 0, sizeof(info));
	info.id = 7;
	errno = 0;
	expect(ioctl(fd, GHOST_IOC_ENCLAVE_INFO, &info) == -1 &&
	       errno == EINVAL, "non-zero input field accepted");

	errno = 0;
	expect(ioctl(fd, GHOST_IOC_ENCLAVE_INFO, (void *)16) == -1 &&
	       errno == EFAULT, "bad pointer not refused with EFAULT");
	errno = 0;
	expect(ioctl(fd, _IO(GHOST_IOC_MAGIC, 0x7f)) == -1 && errno == ENOTTY,
	       "unknown ioctl not refused with ENOTTY");
	errno = 0;
	expect(ioctl(fd, _IOWR(GHOST_IOC_MAGIC, 1, char[16]), &info) == -1 &&
	       errno == ENOTTY, "wrong-size ioctl not refused with ENOTTY");

	close(fd);
	return failures ? 1 : 0;
}
