// SPDX-License-Identifier: GPL-2.0
/* /sys/fs/ghost/ctl and /sys/fs/ghost/version. */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ghost.h"

/* "create <id> [<abi>]" */
static int ghost_top_ctl_create(char *args)
{
	char *id_str, *abi_str;
	u32 id, abi = GHOST_VERSION;
	int err;

	id_str = strsep(&args, " \t");
	abi_str = args ? strim(args) : NULL;
	if (!id_str || kstrtou32(id_str, 10, &id) || !id ||
	    id > GHOST_MAX_ENCLAVE_ID)
		return -EINVAL;
	if (abi_str && *abi_str && kstrtou32(abi_str, 10, &abi))
		return -EINVAL;

	mutex_lock(&ghost_lock);
	err = ghost_enclave_create(id, abi);
	mutex_unlock(&ghost_lock);
	return err;
}

static ssize_t ghost_top_ctl_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char *buf, *cmd, *args;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	buf = ghostfs_copy_write(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	args = strim(buf);
	cmd = strsep(&args, " \t");
	if (!strcmp(cmd, "create") && args)
		err = ghost_top_ctl_create(skip_spaces(args));
	else
		err = -EINVAL;
	kfree(buf);
	return err ? err : len;
}

const struct file_operations ghost_top_ctl_fops = {
	.owner		= THIS_MODULE,
	.write		= ghost_top_ctl_write,
	.llseek		= noop_llseek,
};

static int ghost_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", GHOST_VERSION);
	return 0;
}

static int ghost_version_open(struct inode *inode, struct file *file)
{
	return single_open(file, ghost_version_show, NULL);
}

const struct file_operations ghost_version_fops = {
	.owner		= THIS_MODULE,
	.open		= ghost_version_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};
