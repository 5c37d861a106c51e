// SPDX-License-Identifier: GPL-2.0
/* ghost.ko: user-space delegation of thread scheduling. */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "ghost.h"

struct workqueue_struct *ghost_wq;

static int __init ghost_init(void)
{
	int err;

	ghost_wq = alloc_workqueue("ghost", WQ_UNBOUND, 0);
	if (!ghost_wq)
		return -ENOMEM;
	err = ghost_hooks_init();
	if (err)
		goto err_wq;
	err = ghost_enclave_init();
	if (err)
		goto err_hooks;
	err = ghostfs_init();
	if (err)
		goto err_enclave;
	pr_info("loaded, ABI %u\n", GHOST_VERSION);
	return 0;

err_enclave:
	ghost_enclave_exit();
err_hooks:
	ghost_hooks_exit();
err_wq:
	destroy_workqueue(ghost_wq);
	return err;
}

/*
 * Enclaves and threads hold module references, so none is left.  What may
 * still run module code: RCU callbacks, the free work and the tail of a
 * task_work callback that dropped the last reference.
 */
static void __exit ghost_exit(void)
{
	ghostfs_exit();
	ghost_enclave_destroy_all();
	ghost_enclave_exit();
	ghost_hooks_exit();
	rcu_barrier();
	destroy_workqueue(ghost_wq);
	synchronize_rcu_tasks();
	pr_info("unloaded\n");
}

module_init(ghost_init);
module_exit(ghost_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ghost: user-space delegation of thread scheduling");
MODULE_VERSION("0.1.0");
