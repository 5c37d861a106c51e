// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: parsing enclave_<id>/status, "key value" lines.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

static const struct status_key {
	const char *name;
	size_t off;
} status_keys[] = {
	{ "id",			offsetof(struct ghost_enclave_status, id) },
	{ "abi",		offsetof(struct ghost_enclave_status, abi) },
	{ "nr_tasks",		offsetof(struct ghost_enclave_status, nr_tasks) },
	{ "nr_cpus",		offsetof(struct ghost_enclave_status, nr_cpus) },
	{ "agent_online",	offsetof(struct ghost_enclave_status, agent_online) },
};

static const struct status_key *find_key(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(status_keys) / sizeof(status_keys[0]); i++)
		if (strlen(status_keys[i].name) == len &&
		    !strncmp(status_keys[i].name, key, len))
			return &status_keys[i];
	return NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Parse the value of @k at @p (after the key) up to the end of line. */
static int parse_value(const char *p, const struct status_key *k,
		       struct ghost_enclave_status *st)
{
	unsigned long v;

	while (is_blank(*p))
		p++;
	if (libghost_parse_uint(&p, 0xffffffffUL, &v))
		return -EINVAL;
	while (is_blank(*p))
		p++;
	if (*p && *p != '\n')
		return -EINVAL;
	*(unsigned int *)((char *)st + k->off) = v;
	return 0;
}

int ghost_status_parse(const char *text, struct ghost_enclave_status *st)
{
	const struct status_key *k;
	const char *line, *key;
	size_t len;
	int ret;

	for (line = text; *line; line = strchrnul(line, '\n')) {
		if (*line == '\n')
			line++;
		while (is_blank(*line))
			line++;
		key = line;
		len = strcspn(key, " \t\r\n:");
		if (!len)
			continue;
		k = find_key(key, len);
		if (!k)
			continue;
		/* Also take "key: value". */
		line = key + len;
		if (*line == ':')
			line++;
		ret = parse_value(line, k, st);
		if (ret)
			return ret;
	}
	return 0;
}
