// SPDX-License-Identifier: GPL-2.0
/*
 * libghost: the wait histograms of enclave_<id>/latency, and what can be
 * said from log2 buckets (counts in a window, percentile bounds).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const hist_names[] = {
	"runnable_to_run",
	"placed_to_run",
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_u64(const char **p, __u64 *out)
{
	unsigned long v;

	while (is_blank(**p))
		(*p)++;
	if (libghost_parse_uint(p, ~0UL, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "<count> <sum_ns> <bucket>..." of one line, the name skipped. */
static int parse_hist(const char *p, struct ghost_latency_hist *h)
{
	__u64 total = 0;
	int b;

	if (parse_u64(&p, &h->count) || parse_u64(&p, &h->sum_ns))
		return -EINVAL;
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++) {
		if (parse_u64(&p, &h->buckets[b]))
			return -EINVAL;
		total += h->buckets[b];
	}
	while (is_blank(*p))
		p++;
	if ((*p && *p != '\n') || total != h->count)
		return -EINVAL;
	return 0;
}

int ghost_latency_parse(const char *text, struct ghost_latency *lat)
{
	struct ghost_latency_hist *hists[] = { &lat->runnable, &lat->placed };
	unsigned int seen = 0;
	const char *line;
	size_t i, len;

	memset(lat, 0, sizeof(*lat));
	for (line = text; *line; line = strchrnul(line, '\n')) {
		if (*line == '\n')
			line++;
		len = strcspn(line, " \t\n");
		for (i = 0; i < sizeof(hist_names) / sizeof(hist_names[0]); i++) {
			if (strlen(hist_names[i]) != len ||
			    strncmp(line, hist_names[i], len))
				continue;
			if (parse_hist(line + len, hists[i]))
				return -EINVAL;
			seen |= 1U << i;
		}
	}
	return seen == 3 ? 0 : -EINVAL;
}

int ghost_enclave_latency(unsigned int id, struct ghost_latency *lat)
{
	char path[PATH_LEN], buf[4096];
	int ret;

	ret = libghost_path(path, sizeof(path), "enclave_%u/latency", id);
	if (ret)
		return ret;
	ret = ghost_read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return ghost_latency_parse(buf, lat);
}

void ghost_latency_sub(struct ghost_latency_hist *d,
		       const struct ghost_latency_hist *now,
		       const struct ghost_latency_hist *before)
{
	int b;

	d->count = 0;
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++) {
		/* A new enclave with the same ID starts from zero. */
		d->buckets[b] = now->buckets[b] >= before->buckets[b] ?
				now->buckets[b] - before->buckets[b] :
				now->buckets[b];
		d->count += d->buckets[b];
	}
	d->sum_ns = now->sum_ns >= before->sum_ns ?
		    now->sum_ns - before->sum_ns : now->sum_ns;
}

__u64 ghost_latency_bucket_ceil(int b)
{
	return b >= GHOST_LATENCY_BUCKETS - 1 ? ~0ULL : 2ULL << b;
}

__u64 ghost_latency_percentile(const struct ghost_latency_hist *h, double p)
{
	__u64 seen = 0, want;
	int b;

	if (!h->count)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	/* The rank of the sample: at least the first one. */
	want = (__u64)(p / 100.0 * (double)h->count + 0.999999);
	if (!want)
		want = 1;
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= want)
			return ghost_latency_bucket_ceil(b);
	}
	return ghost_latency_bucket_ceil(GHOST_LATENCY_BUCKETS - 1);
}
