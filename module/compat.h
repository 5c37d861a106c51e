/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels ghost supports (Debian 12's 6.1 and
 * 6.12).  Every version test of the module lives here.
 */
#ifndef _GHOST_COMPAT_H
#define _GHOST_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "ghost needs Linux 6.1 or later"
#endif

/* 6.7 replaced direct i_atime/i_mtime access by accessors. */
static inline void ghost_inode_init_ts(struct inode *inode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	simple_inode_init_ts(inode);
#else
	inode->i_atime = inode->i_mtime = inode_set_ctime_current(inode);
#endif
}

/* A read-only shared mapping must not become writable by mprotect(). */
static inline void ghost_vma_deny_write(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

/* 6.12 made struct fd opaque. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/* 6.2 renamed del_timer_sync(). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete_sync del_timer_sync
#endif

/* Threads that never return to user mode cannot be parked. */
#ifdef PF_USER_WORKER
#define GHOST_PF_WORKER		(PF_IO_WORKER | PF_USER_WORKER)
#else
#define GHOST_PF_WORKER		PF_IO_WORKER
#endif

/*
 * Did the thread that is switching out block?  Under its runqueue lock.
 * 6.12 keeps sleepers queued (delayed dequeue): use task_is_runnable().
 */
static inline bool ghost_task_blocked(struct task_struct *p)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return !task_is_runnable(p);
#else
	return !READ_ONCE(p->on_rq);
#endif
}

/*
 * A fair task's own slice, which sched_setattr() would reset: 6.12 takes
 * it from sched_attr.sched_runtime (0: the default).
 */
static inline u64 ghost_task_fair_slice(struct task_struct *p)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return p->se.custom_slice ? p->se.slice : 0;
#else
	return 0;
#endif
}

#endif /* _GHOST_COMPAT_H */
