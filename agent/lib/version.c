// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: the ABI versions listed in /sys/fs/ghost/version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Largest version file we accept: far more than any module lists. */
#define VERSION_FILE_LEN	1024

/*
 * Next version in the text at *@p: 1 and the value in @v, 0 at the end,
 * -EINVAL if a line holds anything but one decimal.
 */
static int next_version(const char **p, unsigned int *v)
{
	const char *s = *p;
	unsigned long val;

	while (libghost_isspace(*s))
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	if (libghost_parse_uint(&s, 0xffffffffUL, &val))
		return -EINVAL;
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s && *s != '\n')
		return -EINVAL;
	*p = s;
	*v = val;
	return 1;
}

int ghost_versions_parse(const char *text, unsigned int *out, int max)
{
	unsigned int v;
	int ret, n = 0;

	while ((ret = next_version(&text, &v)) > 0) {
		if (n < max)
			out[n] = v;
		n++;
	}
	return ret < 0 ? ret : n;
}

int ghost_version_supported(const char *text, unsigned int ver)
{
	unsigned int v;
	int ret, found = 0;

	/* Check the whole text so a malformed file is always reported. */
	while ((ret = next_version(&text, &v)) > 0)
		if (v == ver)
			found = 1;
	return ret < 0 ? ret : found;
}

/* "2", "2, 3": the versions of @text as one line. */
static void versions_line(const char *text, char *buf, size_t len)
{
	unsigned int v;
	size_t off = 0;
	int n;

	buf[0] = '\0';
	while (next_version(&text, &v) > 0 && off < len) {
		n = snprintf(buf + off, len - off, "%s%u", off ? ", " : "", v);
		if (n < 0)
			break;
		off += n;
	}
}

void libghost_version_msg(const char *prog, const char *text, char *msg,
			  size_t len)
{
	char have[128];

	versions_line(text, have, sizeof(have));
	if (ghost_versions_parse(text, NULL, 0) <= 0)
		snprintf(have, sizeof(have), "no readable version");
	libghost_msg(msg, len,
		     "ghost ABI mismatch: this %s speaks ABI %d, the loaded module speaks %s. Install matching versions: rebuild the module with 'dkms install ghost/%s' or upgrade %s.",
		     prog, GHOST_VERSION, have, GHOST_PKG_VERSION, prog);
}

int ghost_check_version(char *msg, size_t len)
{
	char path[256], text[VERSION_FILE_LEN];
	int ret;

	ret = libghost_path(path, sizeof(path), "version");
	if (ret)
		return ret;
	ret = ghost_read_file(path, text, sizeof(text));
	if (ret < 0) {
		libghost_msg(msg, len, "cannot read %s: %s", path,
			     strerror(-ret));
		return ret;
	}
	if (ghost_version_supported(text, GHOST_VERSION) == 1)
		return 0;
	libghost_version_msg(program_invocation_short_name, text, msg, len);
	return -EPROTONOSUPPORT;
}
