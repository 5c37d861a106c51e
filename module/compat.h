/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels ghost supports (Debian 12's 6.1 and
 * 6.12).  Every version test of the module lives here.
 */
#ifndef _GHOST_COMPAT_H
#define _GHOST_COMPAT_H

#include <linux/fs.h>
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

#endif /* _GHOST_COMPAT_H */
