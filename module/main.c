// SPDX-License-Identifier: GPL-2.0
/* ghost.ko: user-space delegation of thread scheduling. */
#include <linux/module.h>

#include "ghost.h"

static int __init ghost_init(void)
{
	int err;

	err = ghostfs_init();
	if (err)
		return err;
	pr_info("loaded, ABI %u\n", GHOST_VERSION);
	return 0;
}

static void __exit ghost_exit(void)
{
	/* Live enclaves pin the module, so none should be left. */
	ghost_enclave_destroy_all();
	ghostfs_exit();
	pr_info("unloaded\n");
}

module_init(ghost_init);
module_exit(ghost_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ghost: user-space delegation of thread scheduling");
MODULE_VERSION("0.1.0");
