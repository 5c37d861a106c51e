// SPDX-License-Identifier: GPL-2.0
/*
 * ghostfs: the filesystem mounted at /sys/fs/ghost.  A single superblock,
 * built on libfs; enclave directories are added and removed as enclaves
 * come and go.  Enclaves outlive a mount: mounting again shows them.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/kobject.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "ghost.h"

/* The mounted superblock, or NULL; under ghost_lock. */
static struct super_block *ghost_sb;

/* Each write(2) is one whole command, as with sysfs. */
char *ghostfs_copy_write(const char __user *ubuf, size_t len)
{
	if (!len || len > GHOST_MAX_WRITE)
		return ERR_PTR(-EINVAL);
	return memdup_user_nul(ubuf, len);
}

static int ghostfs_enclave_show(struct seq_file *m, void *v)
{
	struct ghost_enclave_file *f = m->private;
	int err;

	mutex_lock(&ghost_lock);
	err = f->e->dead ? -ENODEV : f->attr->show(f->e, m);
	mutex_unlock(&ghost_lock);
	return err;
}

static int ghostfs_enclave_open(struct inode *inode, struct file *file)
{
	return single_open(file, ghostfs_enclave_show, inode->i_private);
}

/*
 * Has an administrator handed @inode to someone: an owner or group other
 * than root, or write for everyone?  Opening it for writing was then the
 * permission check, as for a delegated cgroup v2 file.
 */
static bool ghostfs_delegated(const struct inode *inode)
{
	return !uid_eq(inode->i_uid, GLOBAL_ROOT_UID) ||
	       !gid_eq(inode->i_gid, GLOBAL_ROOT_GID) ||
	       (inode->i_mode & 0002);
}

static ssize_t ghostfs_enclave_write(struct file *file, const char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	struct ghost_enclave_file *f = file_inode(file)->i_private;
	char *buf;
	int err;

	if (!f->attr->store)
		return -EINVAL;
	if (!f->attr->own_privileges && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (f->attr->delegable && !capable(CAP_SYS_NICE) &&
	    !ghostfs_delegated(file_inode(file)))
		return -EPERM;
	buf = ghostfs_copy_write(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	if (f->attr->unlocked) {
		err = READ_ONCE(f->e->dead) ? -ENODEV :
		      f->attr->store(f->e, buf);
	} else {
		mutex_lock(&ghost_lock);
		err = f->e->dead ? -ENODEV : f->attr->store(f->e, buf);
		mutex_unlock(&ghost_lock);
	}
	kfree(buf);
	return err ? err : len;
}

static long ghostfs_enclave_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct ghost_enclave_file *f = file_inode(file)->i_private;

	if (!f->attr->ioctl)
		return -ENOTTY;
	return f->attr->ioctl(f->e, file, cmd, arg);
}

static int ghostfs_enclave_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ghost_enclave_file *f = file_inode(file)->i_private;

	if (!f->attr->mmap)
		return -ENODEV;
	if (READ_ONCE(f->e->dead))
		return -ENODEV;
	return f->attr->mmap(f->e, vma);
}

static const struct file_operations ghostfs_enclave_fops = {
	.owner		= THIS_MODULE,
	.open		= ghostfs_enclave_open,
	.read		= seq_read,
	.write		= ghostfs_enclave_write,
	.unlocked_ioctl	= ghostfs_enclave_ioctl,
	.mmap		= ghostfs_enclave_mmap,
	.llseek		= seq_lseek,
	.release	= single_release,
};

/* Create @name under @parent: a directory, or an enclave file for @f. */
static struct dentry *ghostfs_create(struct dentry *parent, const char *name,
				     umode_t mode, struct ghost_enclave_file *f)
{
	struct inode *dir = d_inode(parent);
	struct inode *inode;
	struct dentry *d;

	inode_lock(dir);
	d = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(d))
		goto out;
	if (d_really_is_positive(d)) {
		dput(d);
		d = ERR_PTR(-EEXIST);
		goto out;
	}
	inode = new_inode(parent->d_sb);
	if (!inode) {
		dput(d);
		d = ERR_PTR(-ENOMEM);
		goto out;
	}
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	ghost_inode_init_ts(inode);
	if (S_ISDIR(mode)) {
		inode->i_op = &simple_dir_inode_operations;
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);
		inc_nlink(dir);
	} else {
		inode->i_fop = &ghostfs_enclave_fops;
		inode->i_private = f;
	}
	/* The lookup's reference pins the dentry until it is removed. */
	d_instantiate(d, inode);
out:
	inode_unlock(dir);
	return d;
}

int ghostfs_add_enclave(struct ghost_enclave *e)
{
	char name[sizeof("enclave_") + 10];
	struct dentry *d;
	unsigned int i;

	lockdep_assert_held(&ghost_lock);
	if (!ghost_sb)
		return 0;

	snprintf(name, sizeof(name), "enclave_%u", e->id);
	d = ghostfs_create(ghost_sb->s_root, name, S_IFDIR | 0755, NULL);
	if (IS_ERR(d))
		return PTR_ERR(d);
	e->dir = d;

	for (i = 0; i < ghost_nr_enclave_attrs; i++) {
		const struct ghost_enclave_attr *attr = &ghost_enclave_attrs[i];

		/* Dropped when the inode is evicted. */
		kref_get(&e->ref);
		d = ghostfs_create(e->dir, attr->name, S_IFREG | attr->mode,
				   &e->files[i]);
		if (IS_ERR(d)) {
			ghost_enclave_put(e);
			ghostfs_remove_enclave(e);
			return PTR_ERR(d);
		}
	}
	return 0;
}

void ghostfs_remove_enclave(struct ghost_enclave *e)
{
	lockdep_assert_held(&ghost_lock);
	if (e->dir) {
		simple_recursive_removal(e->dir, NULL);
		e->dir = NULL;
	}
}

static void ghostfs_evict_inode(struct inode *inode)
{
	struct ghost_enclave_file *f = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (f)
		ghost_enclave_put(f->e);
}

static const struct super_operations ghostfs_super_ops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= ghostfs_evict_inode,
};

static int ghostfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr files[] = {
		[2] = { "ctl", &ghost_top_ctl_fops, 0200 },
		[3] = { "version", &ghost_version_fops, 0444 },
		{ "" },
	};
	struct ghost_enclave *e;
	int err;

	err = simple_fill_super(sb, GHOST_FS_MAGIC, files);
	if (err)
		return err;
	sb->s_op = &ghostfs_super_ops;

	mutex_lock(&ghost_lock);
	ghost_sb = sb;
	list_for_each_entry(e, &ghost_enclaves, node) {
		err = ghostfs_add_enclave(e);
		if (err)
			break;
	}
	mutex_unlock(&ghost_lock);
	return err;
}

static int ghostfs_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, ghostfs_fill_super);
}

static const struct fs_context_operations ghostfs_context_ops = {
	.get_tree	= ghostfs_get_tree,
};

static int ghostfs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &ghostfs_context_ops;
	return 0;
}

static void ghostfs_kill_sb(struct super_block *sb)
{
	struct ghost_enclave *e;

	mutex_lock(&ghost_lock);
	if (ghost_sb == sb)
		ghost_sb = NULL;
	/* The directories go with the superblock. */
	list_for_each_entry(e, &ghost_enclaves, node)
		e->dir = NULL;
	mutex_unlock(&ghost_lock);
	kill_litter_super(sb);
}

static struct file_system_type ghostfs_type = {
	.owner			= THIS_MODULE,
	.name			= GHOST_FS_NAME,
	.init_fs_context	= ghostfs_init_fs_context,
	.kill_sb		= ghostfs_kill_sb,
};

int ghostfs_init(void)
{
	int err;

	err = register_filesystem(&ghostfs_type);
	if (err)
		return err;
	err = sysfs_create_mount_point(fs_kobj, GHOST_FS_NAME);
	if (err) {
		unregister_filesystem(&ghostfs_type);
		return err;
	}
	return 0;
}

void ghostfs_exit(void)
{
	sysfs_remove_mount_point(fs_kobj, GHOST_FS_NAME);
	unregister_filesystem(&ghostfs_type);
}
