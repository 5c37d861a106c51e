/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
#ifndef _UAPI_LINUX_GHOST_H
#define _UAPI_LINUX_GHOST_H

/*
 * ghost: user-space delegation of thread scheduling, as a loadable module.
 *
 * Documentation
 * =============
 *
 * The module registers the filesystem type "ghost" and a mount point at
 * /sys/fs/ghost (GHOST_FS_PATH).  Everything is driven through files there:
 *
 *   version           read: every ABI version this module speaks, one per line
 *   ctl               write "create <id> [<abi>]": make enclave_<id>/
 *   enclave_<id>/     one directory per enclave:
 *     ctl             read: "<id>\n"; write "destroy"; ioctls below
 *     cpulist         read/write the enclave's CPUs as a list ("0-3,6")
 *     cpumask         read/write the same set as a hex mask ("4f")
 *     status          read: "key value" lines (see ghostctl enclave show)
 *     tasks           read: tids of the threads in the enclave
 *     agent_online    read: 1 while an agent serves the enclave
 *     runnable_timeout read/write: watchdog in ms (0 = off)
 *     deliver_ticks   read/write: 0 or 1
 *
 * Errors of ctl "create": EEXIST (id taken), EINVAL (malformed command or
 * id 0), EPROTONOSUPPORT (ABI not spoken by this module), ENOSPC (already
 * GHOST_MAX_ENCLAVES enclaves).  Errors of cpulist/cpumask: EINVAL
 * (malformed), ENODEV (CPU absent or offline), EBUSY (CPU owned by another
 * enclave).  Any write larger than GHOST_MAX_WRITE bytes fails with EINVAL.
 * Every write to enclave state needs CAP_SYS_ADMIN (EPERM otherwise); a file
 * of a destroyed enclave that is still open fails with ENODEV.
 */

#include <linux/ioctl.h>
#include <linux/types.h>

/* The ABI version of this header; /sys/fs/ghost/version lists it. */
#define GHOST_VERSION		1

#define GHOST_FS_NAME		"ghost"
#define GHOST_FS_PATH		"/sys/fs/ghost"
#define GHOST_FS_MAGIC		0x67686f73	/* "ghos" */

#define GHOST_MAX_ENCLAVES	64
#define GHOST_MAX_ENCLAVE_ID	0x7fffffffU
#define GHOST_MAX_WRITE		4096

/* Default and bounds of enclave_<id>/runnable_timeout, in ms. */
#define GHOST_RUNNABLE_TIMEOUT_DEFAULT_MS	10000
#define GHOST_RUNNABLE_TIMEOUT_MAX_MS		3600000

/* struct ghost_enclave_info->flags */
#define GHOST_ENCLAVE_F_AGENT_ONLINE	(1U << 0)
#define GHOST_ENCLAVE_F_DELIVER_TICKS	(1U << 1)

/*
 * GHOST_IOC_ENCLAVE_INFO: a snapshot of one enclave.  Every field of the
 * argument must be zero on input (EINVAL otherwise), so that later
 * versions can give meaning to them.
 */
struct ghost_enclave_info {
	__u32	abi_version;
	__u32	id;
	__u32	nr_cpus;
	__u32	nr_tasks;
	__u32	runnable_timeout_ms;
	__u32	flags;
	__u64	resv[5];
};

#define GHOST_IOC_MAGIC		'g'

/* No-op: measures the cost of the ioctl path. */
#define GHOST_IOC_NULL		_IO(GHOST_IOC_MAGIC, 0)
#define GHOST_IOC_ENCLAVE_INFO	_IOWR(GHOST_IOC_MAGIC, 1, struct ghost_enclave_info)

#endif /* _UAPI_LINUX_GHOST_H */
