// SPDX-License-Identifier: GPL-2.0
/*
 * Random writes, reads and ioctls on every file under /sys/fs/ghost:
 * ghostfs_fuzz ITERATIONS SEED.  Creates and destroys enclaves on the way;
 * the kernel must survive all of it without a splat.  Prints how many calls
 * were made and how many succeeded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ghost.h>

/*
 * Not "tasks": a random tid written there would move a real thread (init,
 * the shell running the tests) into an enclave without an agent.
 */
static const char *const enclave_files[] = {
	"ctl", "cpulist", "cpumask", "status", "agent_online",
	"runnable_timeout", "deliver_ticks", "deliver_cpu_availability",
	"sw", "txn",
};

#define NR_ENCLAVE_FILES (sizeof(enclave_files) / sizeof(enclave_files[0]))

static const char *const words[] = {
	"create", "destroy", "0", "1", "2", "3", "-1", "0-1", "1-3", "3-1",
	"0,2", "ff", "ffffffff", "4294967296", "99999999999999999999", ",",
	"-", " ", "\n", "\t", "create 1", "create 2 1", "create 3 9",
	"create 0", "create 2147483648", "0-", "-0", "0-3:2", "x", "\xff",
	"1,,2", "0x1", "3600001", "destroy\n", "create 1\n",
};

static void random_text(char *buf, size_t len)
{
	size_t off = 0;

	while (off + 1 < len) {
		const char *w;
		size_t n;

		if (rand() % 8 == 0) {
			buf[off++] = (char)(rand() % 256 ?: 1);
			continue;
		}
		w = words[rand() % (sizeof(words) / sizeof(words[0]))];
		n = strlen(w);
		if (off + n + 1 >= len)
			break;
		memcpy(buf + off, w, n);
		off += n;
		if (rand() % 2)
			buf[off++] = ' ';
	}
	buf[off] = '\0';
}

static void pick_path(char *path, size_t len)
{
	int id = 1 + rand() % 4;

	switch (rand() % 6) {
	case 0:
		snprintf(path, len, "%s/ctl", GHOST_FS_PATH);
		break;
	case 1:
		snprintf(path, len, "%s/version", GHOST_FS_PATH);
		break;
	default:
		snprintf(path, len, "%s/enclave_%d/%s", GHOST_FS_PATH, id,
			 enclave_files[rand() % NR_ENCLAVE_FILES]);
	}
}

int main(int argc, char **argv)
{
	static char buf[GHOST_MAX_WRITE * 2];
	unsigned long i, iters, calls = 0, ok = 0;
	char path[256];

	if (argc != 3) {
		fprintf(stderr, "usage: ghostfs_fuzz ITERATIONS SEED\n");
		return 2;
	}
	iters = strtoul(argv[1], NULL, 0);
	srand((unsigned int)strtoul(argv[2], NULL, 0));

	for (i = 0; i < iters; i++) {
		size_t len;
		int fd;

		pick_path(path, sizeof(path));
		fd = open(path, rand() % 3 ? O_RDWR : O_RDONLY);
		if (fd < 0)
			continue;
		switch (rand() % 4) {
		case 0:
		case 1:
			if (rand() % 10 == 0) {
				len = (size_t)rand() % sizeof(buf);
				memset(buf, 'A' + rand() % 26, len);
			} else {
				random_text(buf, 1 + rand() % 64);
				len = strlen(buf);
			}
			calls++;
			ok += write(fd, buf, len) >= 0;
			break;
		case 2:
			calls++;
			ok += read(fd, buf, (size_t)rand() % 512) >= 0;
			break;
		default: {
			unsigned long cmd = _IOC(rand() % 4, GHOST_IOC_MAGIC,
						 rand() % 4, rand() % 128);
			char arg[128];

			for (len = 0; len < sizeof(arg); len++)
				arg[len] = rand() % 3 ? 0 : (char)rand();
			calls++;
			ok += ioctl(fd, cmd, rand() % 8 ? arg : NULL) >= 0;
		}
		}
		close(fd);
	}
	printf("ghostfs_fuzz: %lu calls, %lu succeeded\n", calls, ok);
	return 0;
}
