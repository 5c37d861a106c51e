// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: CPU sets, and their list ("0-3,6") and hex mask ("4f") forms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define BITS_PER_WORD	(8 * sizeof(unsigned long))

void ghost_cpuset_zero(struct ghost_cpuset *set)
{
	memset(set, 0, sizeof(*set));
}

int ghost_cpuset_set(struct ghost_cpuset *set, unsigned int cpu)
{
	if (cpu >= GHOST_MAX_CPUS)
		return -EINVAL;
	set->bits[cpu / BITS_PER_WORD] |= 1UL << (cpu % BITS_PER_WORD);
	return 0;
}

int ghost_cpuset_clear(struct ghost_cpuset *set, unsigned int cpu)
{
	if (cpu >= GHOST_MAX_CPUS)
		return -EINVAL;
	set->bits[cpu / BITS_PER_WORD] &= ~(1UL << (cpu % BITS_PER_WORD));
	return 0;
}

int ghost_cpuset_test(const struct ghost_cpuset *set, unsigned int cpu)
{
	if (cpu >= GHOST_MAX_CPUS)
		return 0;
	return !!(set->bits[cpu / BITS_PER_WORD] & (1UL << (cpu % BITS_PER_WORD)));
}

int ghost_cpuset_count(const struct ghost_cpuset *set)
{
	int i, n = 0;

	for (i = 0; i < (int)GHOST_CPUSET_WORDS; i++)
		n += __builtin_popcountl(set->bits[i]);
	return n;
}

int ghost_cpuset_equal(const struct ghost_cpuset *a,
		       const struct ghost_cpuset *b)
{
	return !memcmp(a->bits, b->bits, sizeof(a->bits));
}

int ghost_cpuset_next(const struct ghost_cpuset *set, unsigned int cpu)
{
	for (; cpu < GHOST_MAX_CPUS; cpu++) {
		unsigned long w = set->bits[cpu / BITS_PER_WORD];

		w >>= cpu % BITS_PER_WORD;
		if (w)
			return cpu + __builtin_ctzl(w);
		/* Skip to the start of the next word. */
		cpu |= BITS_PER_WORD - 1;
	}
	return -ENOENT;
}

/* Trim whitespace around [*s, *e): a list may end in a newline. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && libghost_isspace(**s))
		(*s)++;
	while (*e > *s && libghost_isspace((*e)[-1]))
		(*e)--;
}

/* A CPU number: -ERANGE when past GHOST_MAX_CPUS rather than -EINVAL. */
static int parse_cpu(const char **p, unsigned long *cpu)
{
	return libghost_parse_uint(p, GHOST_MAX_CPUS - 1, cpu);
}

/*
 * One region: "a", "a-b", "a-b:s" or "a-b:u/g".  Sets its CPUs in @set
 * and leaves *@p after it.
 */
static int parse_region(const char **p, struct ghost_cpuset *set)
{
	unsigned long a, b, used = 1, group = 1, cpu;
	int ret;

	ret = parse_cpu(p, &a);
	if (ret)
		return ret;
	b = a;
	if (**p == '-') {
		(*p)++;
		ret = parse_cpu(p, &b);
		if (ret)
			return ret;
		if (**p == ':') {
			(*p)++;
			ret = libghost_parse_uint(p, GHOST_MAX_CPUS, &group);
			if (ret)
				return -EINVAL;
			if (**p == '/') {
				(*p)++;
				used = group;
				ret = libghost_parse_uint(p, GHOST_MAX_CPUS,
							  &group);
				if (ret)
					return -EINVAL;
			}
		}
	}
	if (a > b || !used || !group || used > group)
		return -EINVAL;
	for (cpu = a; cpu <= b; cpu++)
		if ((cpu - a) % group < used)
			ghost_cpuset_set(set, cpu);
	return 0;
}

int ghost_cpulist_parse(const char *s, struct ghost_cpuset *set)
{
	const char *p = s, *end = s + strlen(s);
	int ret = 0;

	ghost_cpuset_zero(set);
	trim(&p, &end);
	if (p == end)
		return 0;
	for (;;) {
		ret = parse_region(&p, set);
		if (ret)
			break;
		if (p == end)
			return 0;
		/* Regions are separated by exactly one comma. */
		if (*p != ',' || ++p == end) {
			ret = -EINVAL;
			break;
		}
	}
	ghost_cpuset_zero(set);
	return ret;
}

/* Append one region to @buf at *@off; -ENOSPC if it does not fit. */
static int put_region(char *buf, size_t len, size_t *off, int first, int a,
		      int b)
{
	int n;

	if (a == b)
		n = snprintf(buf + *off, len - *off, "%s%d", first ? "" : ",", a);
	else
		n = snprintf(buf + *off, len - *off, "%s%d-%d",
			     first ? "" : ",", a, b);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += n;
	return 0;
}

int ghost_cpulist_format(const struct ghost_cpuset *set, char *buf,
			 size_t len)
{
	size_t off = 0;
	int a, b, ret;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (a = ghost_cpuset_next(set, 0); a >= 0;
	     a = ghost_cpuset_next(set, b + 1)) {
		for (b = a; b + 1 < GHOST_MAX_CPUS && ghost_cpuset_test(set, b + 1);)
			b++;
		ret = put_region(buf, len, &off, off == 0, a, b);
		if (ret) {
			buf[0] = '\0';
			return ret;
		}
	}
	return off;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Set the bits of hex digits [s, e) in @set, the last digit standing for
 * CPUs @base .. @base + 3.
 */
static int parse_hex_group(const char *s, const char *e, unsigned int base,
			   struct ghost_cpuset *set)
{
	unsigned int bit = base;
	int v, i;

	if (s == e)
		return -EINVAL;
	for (; e > s; e--, bit += 4) {
		v = hexval(e[-1]);
		if (v < 0)
			return -EINVAL;
		for (i = 0; i < 4; i++) {
			if (!(v & (1 << i)))
				continue;
			if (bit + i >= GHOST_MAX_CPUS)
				return -ERANGE;
			ghost_cpuset_set(set, bit + i);
		}
	}
	return 0;
}

int ghost_cpumask_parse(const char *hex, struct ghost_cpuset *set)
{
	const char *s = hex, *end = hex + strlen(hex), *g;
	unsigned int base = 0;
	int ret;

	ghost_cpuset_zero(set);
	trim(&s, &end);
	if (s == end)
		return 0;
	if (!memchr(s, ',', end - s)) {
		ret = parse_hex_group(s, end, 0, set);
		goto out;
	}
	/* Comma-separated 32-bit groups, the last one holding CPUs 0-31. */
	for (;; base += 32) {
		for (g = end; g > s && g[-1] != ','; g--)
			;
		ret = -EINVAL;
		if (end - g > 8)
			break;
		ret = parse_hex_group(g, end, base, set);
		if (ret || g == s)
			break;
		end = g - 1;
		if (end == s) {
			ret = -EINVAL;
			break;
		}
	}
out:
	if (ret)
		ghost_cpuset_zero(set);
	return ret;
}
