// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: loading the module with libkmod and mounting ghostfs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <libkmod.h>

#include "internal.h"

#define GHOST_MODULE		"ghost"
#define GHOST_SYSFS_MODULE	"/sys/module/" GHOST_MODULE

static void kernel_release(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		snprintf(buf, len, "(unknown)");
	else
		snprintf(buf, len, "%s", u.release);
}

/* Explain why inserting the module failed; returns @err. */
static int load_error(int err, char *msg, size_t len)
{
	char kver[65];

	kernel_release(kver, sizeof(kver));
	switch (err) {
	case -ENOENT:
		libghost_msg(msg, len,
			     "module ghost not found for kernel %s; install it with: dkms install ghost/%s -k %s (or make dkms-install)",
			     kver, GHOST_PKG_VERSION, kver);
		break;
	case -EPERM:
	case -EACCES:
		libghost_msg(msg, len,
			     "cannot load module ghost: %s (loading a module needs root, or CAP_SYS_MODULE)",
			     strerror(-err));
		break;
	case -ENOEXEC:
	case -EINVAL:
		libghost_msg(msg, len,
			     "cannot load module ghost: %s (built for another kernel? rebuild it with: dkms install ghost/%s -k %s)",
			     strerror(-err), GHOST_PKG_VERSION, kver);
		break;
	case -EKEYREJECTED:
		libghost_msg(msg, len,
			     "cannot load module ghost: %s (Secure Boot requires a signed module: enroll the DKMS signing key with mokutil)",
			     strerror(-err));
		break;
	default:
		libghost_msg(msg, len, "cannot load module ghost: %s",
			     strerror(-err));
		break;
	}
	return err;
}

/* Insert every module the name "ghost" resolves to, as modprobe does. */
static int insert_modules(struct kmod_ctx *ctx, char *msg, size_t len)
{
	struct kmod_list *list = NULL, *l;
	int ret;

	ret = kmod_module_new_from_lookup(ctx, GHOST_MODULE, &list);
	if (ret < 0) {
		libghost_msg(msg, len, "cannot look up module ghost: %s",
			     strerror(-ret));
		return ret;
	}
	if (!list)
		return load_error(-ENOENT, msg, len);
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		ret = kmod_module_probe_insert_module(mod,
				KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL,
				NULL);
		kmod_module_unref(mod);
		if (ret)
			break;
	}
	kmod_module_unref_list(list);
	if (ret > 0) {
		libghost_msg(msg, len,
			     "module ghost is blacklisted (see /etc/modprobe.d); remove the blacklist entry to use ghost");
		return -ENOENT;
	}
	return ret < 0 ? load_error(ret, msg, len) : 0;
}

int ghost_module_load(char *msg, size_t len)
{
	struct kmod_ctx *ctx;
	int ret;

	if (!access(GHOST_FS_PATH "/version", F_OK) ||
	    !access(GHOST_SYSFS_MODULE, F_OK))
		return 0;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		libghost_msg(msg, len, "cannot initialise libkmod");
		return -ENOMEM;
	}
	ret = insert_modules(ctx, msg, len);
	kmod_unref(ctx);
	return ret;
}

/* 1 if ghostfs is mounted on GHOST_FS_PATH, 0 if not, or -errno. */
static int ghost_mounted(void)
{
	struct statfs st;

	if (statfs(GHOST_FS_PATH, &st))
		return -errno;
	return (unsigned long)st.f_type == GHOST_FS_MAGIC;
}

int ghost_mount(void)
{
	int ret;

	ret = ghost_mounted();
	if (ret)
		return ret < 0 ? ret : 0;
	if (!mount(GHOST_FS_NAME, GHOST_FS_PATH, GHOST_FS_NAME, 0, NULL))
		return 0;
	ret = -errno;
	/* Someone else may have mounted it meanwhile. */
	if (ret == -EBUSY && ghost_mounted() == 1)
		return 0;
	return ret;
}

static int mount_error(int err, char *msg, size_t len)
{
	const char *hint = "";

	if (err == -ENOENT)
		hint = " (the module is loaded but " GHOST_FS_PATH " is missing: reload the module)";
	else if (err == -EPERM || err == -EACCES)
		hint = " (mounting needs CAP_SYS_ADMIN: run as root)";
	else if (err == -ENODEV)
		hint = " (filesystem type ghost unknown: is the module loaded?)";
	libghost_msg(msg, len, "cannot mount ghostfs on %s: %s%s",
		     GHOST_FS_PATH, strerror(-err), hint);
	return err;
}

int ghost_open(char *msg, size_t len)
{
	int ret;

	ret = ghost_module_load(msg, len);
	if (ret)
		return ret;
	ret = ghost_mount();
	if (ret)
		return mount_error(ret, msg, len);
	return ghost_check_version(msg, len);
}
