// SPDX-License-Identifier: GPL-2.0
/* ioctls on an enclave's ctl file. */
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ghost.h"

static long ghost_ioc_enclave_info(struct ghost_enclave *e, void __user *arg)
{
	struct ghost_enclave_info info;

	BUILD_BUG_ON(sizeof(info) != 64);
	if (copy_from_user(&info, arg, sizeof(info)))
		return -EFAULT;
	/* Nothing is an input yet: all of it must be zero. */
	if (memchr_inv(&info, 0, sizeof(info)))
		return -EINVAL;

	info.abi_version = e->abi;
	info.id = e->id;
	info.nr_cpus = cpumask_weight(e->cpus);
	info.nr_tasks = 0;
	info.runnable_timeout_ms = e->runnable_timeout_ms;
	if (e->deliver_ticks)
		info.flags |= GHOST_ENCLAVE_F_DELIVER_TICKS;

	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Called with ghost_lock held and @e alive. */
long ghost_enclave_ioctl(struct ghost_enclave *e, unsigned int cmd,
			 unsigned long arg)
{
	switch (cmd) {
	case GHOST_IOC_NULL:
		return 0;
	case GHOST_IOC_ENCLAVE_INFO:
		return ghost_ioc_enclave_info(e, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}
