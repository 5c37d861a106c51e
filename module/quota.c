// SPDX-License-Identifier: GPL-2.0
/*
 * Threads per user: an enclave has one status word per thread, and a
 * thread holds a record and a module reference from the moment it is
 * asked in.  No user but root may hold more than max_threads_per_user of
 * one enclave's threads (asked in, or children of its ghost threads),
 * so that nobody exhausts what the others need.
 */
#include <linux/cred.h>
#include <linux/moduleparam.h>
#include <linux/uidgid.h>

#include "ghost.h"

static unsigned int max_threads_per_user = 4096;
module_param(max_threads_per_user, uint, 0644);
MODULE_PARM_DESC(max_threads_per_user,
		 "threads one user other than root may have in one enclave (4096)");

/*
 * Count @gt against the real user of its task.  0, or -EUSERS when that
 * user is at its limit (or GHOST_QUOTA_USERS users hold threads already).
 */
int ghost_quota_charge(struct ghost_thread *gt)
{
	struct ghost_enclave *e = gt->e;
	kuid_t uid = task_uid(gt->task);
	unsigned long flags;
	int i, free = -1, err = -EUSERS;

	if (uid_eq(uid, GLOBAL_ROOT_UID))
		return 0;
	raw_spin_lock_irqsave(&e->lock, flags);
	for (i = 0; i < GHOST_QUOTA_USERS; i++) {
		if (!e->quota[i].nr) {
			if (free < 0)
				free = i;
		} else if (uid_eq(e->quota[i].uid, uid)) {
			break;
		}
	}
	if (i == GHOST_QUOTA_USERS)
		i = free;
	if (i >= 0 && (!e->quota[i].nr ||
		       e->quota[i].nr < READ_ONCE(max_threads_per_user))) {
		e->quota[i].uid = uid;
		e->quota[i].nr++;
		gt->quota = i + 1;
		err = 0;
	}
	raw_spin_unlock_irqrestore(&e->lock, flags);
	return err;
}

/* @gt is freed: its user may have another. */
void ghost_quota_uncharge(struct ghost_thread *gt)
{
	struct ghost_enclave *e = gt->e;
	unsigned long flags;

	if (!gt->quota)
		return;
	raw_spin_lock_irqsave(&e->lock, flags);
	e->quota[gt->quota - 1].nr--;
	raw_spin_unlock_irqrestore(&e->lock, flags);
	gt->quota = 0;
}
