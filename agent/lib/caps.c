// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: privilege checks with libcap.
 */
#include <errno.h>
#include <string.h>

#include <sys/capability.h>

#include "internal.h"

static const struct {
	cap_value_t value;
	const char *name;
} ghost_caps[] = {
	[GHOST_CAP_SYS_ADMIN]	= { CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	[GHOST_CAP_SYS_NICE]	= { CAP_SYS_NICE, "CAP_SYS_NICE" },
};

static int valid_cap(enum ghost_cap cap)
{
	return (unsigned int)cap < sizeof(ghost_caps) / sizeof(ghost_caps[0]);
}

const char *ghost_cap_name(enum ghost_cap cap)
{
	return valid_cap(cap) ? ghost_caps[cap].name : "(unknown capability)";
}

int ghost_has_cap(enum ghost_cap cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps;
	int ret = 0;

	if (!valid_cap(cap))
		return -EINVAL;
	caps = cap_get_proc();
	if (!caps)
		return -errno;
	if (cap_get_flag(caps, ghost_caps[cap].value, CAP_EFFECTIVE, &v))
		ret = -errno;
	cap_free(caps);
	return ret ? ret : v == CAP_SET;
}

int ghost_require_cap(enum ghost_cap cap, const char *action, char *msg,
		      size_t len)
{
	int ret = ghost_has_cap(cap);

	if (ret == 1)
		return 0;
	if (ret < 0) {
		libghost_msg(msg, len, "cannot read the capabilities of this process: %s",
			     strerror(-ret));
		return ret;
	}
	libghost_msg(msg, len,
		     "%s needs %s (run as root or grant the capability)",
		     action, ghost_cap_name(cap));
	return -EPERM;
}
