// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: printing wait histograms ("latency") and the frames of "top",
 * as text or JSON.  Nothing here touches the system.
 */
#include <string.h>

#include "cli.h"
#include "view.h"

#define BAR_WIDTH	40

/* The percentiles every histogram reports, and their JSON keys. */
static const struct {
	double p;
	const char *label, *key;
} pcts[] = {
	{ 50,	"p50",		"p50_ns" },
	{ 90,	"p90",		"p90_ns" },
	{ 99,	"p99",		"p99_ns" },
	{ 99.9,	"p99.9",	"p999_ns" },
};

void ghostctl_format_ns(char *buf, size_t len, unsigned long long ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	unsigned int u = 0;

	if (ns == ~0ULL) {
		snprintf(buf, len, "inf");
		return;
	}
	while (ns >= 10000 && u < 3) {
		ns /= 1000;
		u++;
	}
	snprintf(buf, len, "%llu %s", ns, units[u]);
}

static unsigned long long mean_ns(const struct ghost_latency_hist *h)
{
	return h->count ? h->sum_ns / h->count : 0;
}

/* "p50 <= 16 us, p90 <= 32 us, ..." */
static void print_pcts(FILE *f, const struct ghost_latency_hist *h)
{
	char v[32];
	size_t i;

	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		ghostctl_format_ns(v, sizeof(v),
				   ghost_latency_percentile(h, pcts[i].p));
		fprintf(f, "%s%s <= %s", i ? ", " : "", pcts[i].label, v);
	}
}

static void print_hist_json(FILE *f, const struct ghost_latency_hist *h)
{
	int b, first = 1;
	size_t i;

	fprintf(f, "{\"count\":%llu,\"sum_ns\":%llu,\"mean_ns\":%llu",
		(unsigned long long)h->count, (unsigned long long)h->sum_ns,
		mean_ns(h));
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		__u64 v = ghost_latency_percentile(h, pcts[i].p);

		if (h->count && v == ~0ULL)
			fprintf(f, ",\"%s\":null", pcts[i].key);
		else
			fprintf(f, ",\"%s\":%llu", pcts[i].key,
				(unsigned long long)v);
	}
	fputs(",\"buckets\":[", f);
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++) {
		__u64 to = ghost_latency_bucket_ceil(b);

		if (!h->buckets[b])
			continue;
		fprintf(f, "%s{\"from_ns\":%llu,", first ? "" : ",",
			b ? 1ULL << b : 0ULL);
		if (to == ~0ULL)
			fputs("\"to_ns\":null", f);
		else
			fprintf(f, "\"to_ns\":%llu", (unsigned long long)to);
		fprintf(f, ",\"count\":%llu}", (unsigned long long)h->buckets[b]);
		first = 0;
	}
	fputs("]}", f);
}

void ghostctl_print_hist(FILE *f, const char *name,
			 const struct ghost_latency_hist *h, int json)
{
	char from[32], to[32], mean[32];
	__u64 max = 0;
	int b, lo = -1, hi = -1, n;

	if (json) {
		fprintf(f, "\"%s\":", name);
		print_hist_json(f, h);
		return;
	}
	ghostctl_format_ns(mean, sizeof(mean), mean_ns(h));
	fprintf(f, "%s: %llu waits", name, (unsigned long long)h->count);
	if (!h->count) {
		fputc('\n', f);
		return;
	}
	fprintf(f, ", mean %s, ", mean);
	print_pcts(f, h);
	fputc('\n', f);
	for (b = 0; b < GHOST_LATENCY_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
		if (h->buckets[b] > max)
			max = h->buckets[b];
	}
	fprintf(f, "  %10s  %10s  %10s  distribution\n", "from", "below",
		"count");
	for (b = lo; b <= hi; b++) {
		ghostctl_format_ns(from, sizeof(from), b ? 1ULL << b : 0);
		ghostctl_format_ns(to, sizeof(to), ghost_latency_bucket_ceil(b));
		/* A bucket with any sample shows at least one star. */
		n = (int)((h->buckets[b] * BAR_WIDTH + max - 1) / max);
		fprintf(f, "  %10s  %10s  %10llu  |%-*.*s|\n", from, to,
			(unsigned long long)h->buckets[b], BAR_WIDTH, n,
			"****************************************");
	}
}

void ghostctl_print_latency(FILE *f, unsigned int id, double seconds,
			    const struct ghost_latency *lat, int json)
{
	if (json) {
		fprintf(f, "{\"enclave\":%u,", id);
		if (seconds > 0)
			fprintf(f, "\"window_s\":%.3f,", seconds);
		else
			fputs("\"window_s\":null,", f);
		ghostctl_print_hist(f, "runnable_to_run", &lat->runnable, 1);
		fputc(',', f);
		ghostctl_print_hist(f, "placed_to_run", &lat->placed, 1);
		fputs("}\n", f);
		return;
	}
	if (seconds > 0)
		fprintf(f, "enclave %u, %.1f s:\n", id, seconds);
	else
		fprintf(f, "enclave %u, since it was created:\n", id);
	ghostctl_print_hist(f, "runnable_to_run", &lat->runnable, 0);
	ghostctl_print_hist(f, "placed_to_run", &lat->placed, 0);
}

static void print_top_json(FILE *f, const struct top_frame *t)
{
	int i;

	fprintf(f, "{\"enclave\":%u,\"interval_s\":%.3f,\"cpus\":\"%s\",",
		t->id, t->interval, t->cpus);
	fprintf(f, "\"threads\":%u,\"running\":%u,\"runnable\":%u,\"blocked\":%u,\"displaced\":%llu,",
		t->nr_tasks, t->running, t->runnable, t->blocked,
		t->displaced);
	if (t->agent) {
		fprintf(f, "\"agent\":{\"pid\":%d,\"policy\":", (int)t->agent_pid);
		ghostctl_json_string(f, t->policy);
		if (t->agent_cpu >= 0)
			fprintf(f, ",\"cpu_pct\":%.1f", t->agent_cpu);
		else
			fputs(",\"cpu_pct\":null", f);
		fprintf(f, ",\"msgs_per_s\":%.0f,\"commits_per_s\":%.0f,\"decisions_per_s\":%.0f,\"queue_depth\":%llu,\"overflow\":%llu},",
			t->msgs_per_s, t->commits_per_s, t->decisions_per_s,
			t->queue_depth, t->overflow);
	} else {
		fputs("\"agent\":null,", f);
	}
	ghostctl_print_hist(f, "runnable_to_run", &t->runnable_wait, 1);
	fputc(',', f);
	ghostctl_print_hist(f, "placed_to_run", &t->placed_wait, 1);
	fputs(",\"per_cpu\":[", f);
	for (i = 0; i < t->nr_cpus; i++) {
		const struct top_cpu *c = &t->cpu[i];

		fprintf(f, "%s{\"cpu\":%d,\"agent\":%s,\"tid\":", i ? "," : "",
			c->cpu, c->agent ? "true" : "false");
		if (c->tid) {
			fprintf(f, "%d,\"comm\":", (int)c->tid);
			ghostctl_json_string(f, c->comm);
		} else {
			fputs("null,\"comm\":null", f);
		}
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* "runnable->run p50 <= 16 us, ..." for one histogram of the window. */
static void top_waits(FILE *f, const char *label,
		      const struct ghost_latency_hist *h)
{
	fprintf(f, "  %-14s %8llu  ", label, (unsigned long long)h->count);
	if (h->count)
		print_pcts(f, h);
	else
		fputc('-', f);
	fputc('\n', f);
}

void ghostctl_print_top(FILE *f, const struct top_frame *t, int json)
{
	char cpu[16];
	int i;

	if (json) {
		print_top_json(f, t);
		return;
	}
	fprintf(f, "ghost top: enclave %u, CPUs %s, last %.1f s\n", t->id,
		t->cpus, t->interval);
	if (t->agent) {
		if (t->agent_cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%.1f%%", t->agent_cpu);
		else
			snprintf(cpu, sizeof(cpu), "?");
		fprintf(f, "agent %d: policy %s, CPU %s\n", (int)t->agent_pid,
			t->policy, cpu);
		fprintf(f, "  %.0f msgs/s, %.0f commits/s, %.0f decisions/s, queue %llu, overflow %llu\n",
			t->msgs_per_s, t->commits_per_s, t->decisions_per_s,
			t->queue_depth, t->overflow);
	} else {
		fputs("agent: none answers (no agent, or not root)\n", f);
	}
	fprintf(f, "threads %u: %u running, %u runnable, %u blocked; %llu displaced\n",
		t->nr_tasks, t->running, t->runnable, t->blocked, t->displaced);
	fprintf(f, "waits          %8s  upper bounds\n", "count");
	top_waits(f, "runnable->run", &t->runnable_wait);
	top_waits(f, "placed->run", &t->placed_wait);
	fprintf(f, "\n%5s  %-5s  %8s  %s\n", "CPU", "AGENT", "TID", "COMMAND");
	for (i = 0; i < t->nr_cpus; i++) {
		const struct top_cpu *c = &t->cpu[i];

		if (c->tid)
			fprintf(f, "%5d  %-5s  %8d  %s\n", c->cpu,
				c->agent ? "yes" : "-", (int)c->tid, c->comm);
		else
			fprintf(f, "%5d  %-5s  %8s  %s\n", c->cpu,
				c->agent ? "yes" : "-", "-", "-");
	}
}
