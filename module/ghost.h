/* SPDX-License-Identifier: GPL-2.0 */
/* Objects shared by the parts of ghost.ko. */
#ifndef _GHOST_GHOST_H
#define _GHOST_GHOST_H

#include <linux/cpumask.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <uapi/linux/ghost.h>

struct dentry;
struct ghost_enclave;

/* One file of an enclave directory: formats and parses its text. */
struct ghost_enclave_attr {
	const char *name;
	umode_t mode;
	int (*show)(struct ghost_enclave *e, struct seq_file *m);
	int (*store)(struct ghost_enclave *e, char *buf);
	long (*ioctl)(struct ghost_enclave *e, unsigned int cmd,
		      unsigned long arg);
};

/* What an enclave file's inode points at; holds a reference on @e. */
struct ghost_enclave_file {
	struct ghost_enclave *e;
	const struct ghost_enclave_attr *attr;
};

struct ghost_enclave {
	struct kref ref;
	struct list_head node;		/* in ghost_enclaves, under ghost_lock */
	u32 id;
	u32 abi;
	bool dead;			/* destroyed; files fail with ENODEV */
	cpumask_var_t cpus;		/* under ghost_lock */
	u32 runnable_timeout_ms;
	bool deliver_ticks;
	struct dentry *dir;		/* ghostfs directory while mounted */
	struct ghost_enclave_file files[];
};

/* Serialises enclave creation, destruction, CPU ownership and ghostfs. */
extern struct mutex ghost_lock;
extern struct list_head ghost_enclaves;

/* enclave.c */
struct ghost_enclave *ghost_enclave_find(u32 id);
int ghost_enclave_create(u32 id, u32 abi);
void ghost_enclave_destroy(struct ghost_enclave *e);
void ghost_enclave_destroy_all(void);
int ghost_enclave_set_cpus(struct ghost_enclave *e, const struct cpumask *cpus);
void ghost_enclave_put(struct ghost_enclave *e);
bool ghost_abi_supported(u32 abi);

/* enclave_files.c */
extern const struct ghost_enclave_attr ghost_enclave_attrs[];
extern const unsigned int ghost_nr_enclave_attrs;
long ghost_enclave_ioctl(struct ghost_enclave *e, unsigned int cmd,
			 unsigned long arg);

/* ctl.c: the top-level ctl and version files. */
extern const struct file_operations ghost_top_ctl_fops;
extern const struct file_operations ghost_version_fops;

/* ghostfs.c */
int ghostfs_init(void);
void ghostfs_exit(void);
int ghostfs_add_enclave(struct ghost_enclave *e);
void ghostfs_remove_enclave(struct ghost_enclave *e);
char *ghostfs_copy_write(const char __user *ubuf, size_t len);

#endif /* _GHOST_GHOST_H */
