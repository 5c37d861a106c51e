// SPDX-License-Identifier: GPL-2.0
/*
 * ghost-sim: the workload file.  One directive per line, '#' starts a
 * comment; every number is checked for range and every unknown word is
 * refused with the file and line, since a typo would otherwise silently
 * simulate something else.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../test/unit/sim.h"
#include "workload.h"

#define WL_MAX_LINE	512
#define WL_MAX_US	(3600ULL * 1000000)	/* an hour */

static int bad(const char *path, int line, const char *what, const char *w)
{
	fprintf(stderr, "ghost-sim: %s:%d: %s: '%s'\n", path, line, what, w);
	return -1;
}

/* @s as an unsigned number in [@min, @max]; 0 or -1. */
static int num(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

/* A CPU list "0-2,5" into a mask of CPUs below SIM_MAX_CPUS. */
static int cpu_mask(const char *s, unsigned int *mask)
{
	unsigned long long a, b;
	char buf[64], *tok, *save, *dash;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (num(tok, 0, SIM_MAX_CPUS - 1, &a))
			return -1;
		b = a;
		if (dash && (num(dash + 1, a, SIM_MAX_CPUS - 1, &b)))
			return -1;
		for (; a <= b; a++)
			*mask |= 1U << a;
	}
	return *mask ? 0 : -1;
}

/* One "key=value" word of a thread line. */
static int thread_word(struct wl_class *c, char *w)
{
	char *v = strchr(w, '=');
	unsigned long long n;

	if (!v)
		return -1;
	*v++ = '\0';
	if (!strcmp(w, "affinity"))
		return cpu_mask(v, &c->allowed);
	if (!strcmp(w, "nice")) {
		if (*v == '-')
			return num(v + 1, 0, 20, &n) ? -1 : (c->nice = -(int)n, 0);
		return num(v, 0, 19, &n) ? -1 : (c->nice = (int)n, 0);
	}
	if (!strcmp(w, "count"))
		return num(v, 1, SIM_MAX_THREADS, &n) ? -1 : (c->count = n, 0);
	if (!strcmp(w, "yield_pct"))
		return num(v, 0, 100, &n) ? -1 : (c->yield_pct = n, 0);
	if (!strcmp(w, "qos"))
		return num(v, 0, GHOST_HINT_QOS_MAX, &n) ? -1 : (c->qos = n, 0);
	if (num(v, 0, WL_MAX_US, &n))
		return -1;
	if (!strcmp(w, "run_us"))
		c->run_ns = n * 1000;
	else if (!strcmp(w, "sleep_us"))
		c->sleep_ns = n * 1000;
	else if (!strcmp(w, "exit_us"))
		c->exit_ns = n * 1000;
	else if (!strcmp(w, "start_us"))
		c->start_ns = n * 1000;
	else if (!strcmp(w, "deadline_us") && n)
		c->deadline_ns = n * 1000;
	else
		return -1;
	return 0;
}

static int directive(const char *path, int line, struct workload *wl,
		     char *buf)
{
	char *save, *key = strtok_r(buf, " \t", &save), *w, copy[WL_MAX_LINE];
	unsigned long long n;
	struct wl_class *c;

	if (!key)
		return 0;
	if (!strcmp(key, "thread")) {
		if (wl->nr_cls == WL_MAX_CLASSES)
			return bad(path, line, "too many thread lines", key);
		c = &wl->cls[wl->nr_cls++];
		memset(c, 0, sizeof(*c));
		c->count = 1;
		c->qos = -1;
		while ((w = strtok_r(NULL, " \t", &save))) {
			snprintf(copy, sizeof(copy), "%s", w);
			if (thread_word(c, w))
				return bad(path, line, "bad thread word", copy);
		}
		if (c->sleep_ns && !c->run_ns)
			return bad(path, line, "sleep_us needs run_us", "sleep_us");
		wl->nr_threads += c->count;
		if (wl->nr_threads > SIM_MAX_THREADS)
			return bad(path, line, "more threads than the model holds",
				   "count");
		return 0;
	}
	w = strtok_r(NULL, " \t", &save);
	if (!w || strtok_r(NULL, " \t", &save))
		return bad(path, line, "expected one value after", key);
	if (!strcmp(key, "cpus") && !num(w, 1, SIM_MAX_CPUS, &n))
		wl->cpus = n;
	else if (!strcmp(key, "global_cpu") && !num(w, 0, SIM_MAX_CPUS - 1, &n))
		wl->global_cpu = n;
	else if (!strcmp(key, "seed") && !num(w, 0, ULLONG_MAX, &n))
		wl->seed = n;
	else if (!strcmp(key, "duration_ms") && !num(w, 1, 3600000, &n))
		wl->duration_ns = n * 1000000;
	else if (!strcmp(key, "step_us") && !num(w, 1, 1000000, &n))
		wl->step_ns = n * 1000;
	else
		return bad(path, line, "unknown directive or bad value", key);
	return 0;
}

int workload_read(const char *path, struct workload *wl)
{
	char buf[WL_MAX_LINE + 2], *hash;
	int line = 0, ret = 0;
	FILE *f = fopen(path, "re");

	memset(wl, 0, sizeof(*wl));
	wl->cpus = 2;
	wl->seed = 1;
	wl->duration_ns = 1000000000ULL;
	wl->step_ns = 250000;
	if (!f) {
		fprintf(stderr, "ghost-sim: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (!ret && fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			ret = bad(path, line, "line longer than 512 bytes", "...");
			break;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		for (hash = buf; *hash; hash++) {
			if ((*hash < ' ' && *hash != '\t') || *hash > '~')
				break;
		}
		if (*hash) {
			ret = bad(path, line, "not printable ASCII", "...");
			break;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		ret = directive(path, line, wl, buf);
	}
	if (!ret && ferror(f))
		ret = bad(path, line, "read error", path);
	fclose(f);
	if (!ret && !wl->nr_threads)
		ret = bad(path, line, "no thread line", path);
	if (!ret && wl->global_cpu >= wl->cpus)
		ret = bad(path, line, "global_cpu is not below cpus", "global_cpu");
	return ret;
}
