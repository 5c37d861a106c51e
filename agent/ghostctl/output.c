// SPDX-License-Identifier: GPL-2.0
/*
 * ghostctl: printing results, as text for people or JSON for programs.
 * CPU lists hold only digits, '-' and ',' so need no JSON escaping.
 */
#include <string.h>

#include "cli.h"

#define LIST_FMT	"%-6s %-24s %5s %s\n"

static const char *cpus_str(const struct ghost_enclave_status *st, char *buf,
			    size_t len)
{
	if (ghost_cpulist_format(&st->cpus, buf, len) < 0)
		return "?";
	return buf;
}

void ghostctl_print_created(FILE *f, const struct ghost_enclave_status *st,
			    int json)
{
	char cpus[GHOST_CPULIST_LEN];

	cpus_str(st, cpus, sizeof(cpus));
	if (json)
		fprintf(f, "{\"id\":%u,\"cpus\":\"%s\"}\n", st->id, cpus);
	else
		fprintf(f, "enclave %u created on CPUs %s\n", st->id, cpus);
}

static void list_row(FILE *f, const struct ghost_enclave_status *st,
		     int json, int first)
{
	char cpus[GHOST_CPULIST_LEN], id[16], tasks[16];

	cpus_str(st, cpus, sizeof(cpus));
	if (json) {
		fprintf(f, "%s{\"id\":%u,\"cpus\":\"%s\",\"nr_cpus\":%u,\"tasks\":%u,\"agent_online\":%s}",
			first ? "" : ",", st->id, cpus, st->nr_cpus,
			st->nr_tasks, st->agent_online ? "true" : "false");
		return;
	}
	snprintf(id, sizeof(id), "%u", st->id);
	snprintf(tasks, sizeof(tasks), "%u", st->nr_tasks);
	fprintf(f, LIST_FMT, id, cpus, tasks, st->agent_online ? "yes" : "no");
}

void ghostctl_print_list(FILE *f, const struct ghost_enclave_status *st,
			 int n, int json)
{
	int i;

	if (json)
		fputc('[', f);
	else
		fprintf(f, LIST_FMT, "ID", "CPUS", "TASKS", "AGENT");
	for (i = 0; i < n; i++)
		list_row(f, &st[i], json, i == 0);
	if (json)
		fputs("]\n", f);
}

void ghostctl_print_show(FILE *f, const struct ghost_enclave_status *st,
			 int json)
{
	char cpus[GHOST_CPULIST_LEN];

	cpus_str(st, cpus, sizeof(cpus));
	if (json) {
		fprintf(f, "{\"id\":%u,\"abi\":%u,\"cpus\":\"%s\",\"nr_cpus\":%u,\"tasks\":%u,\"agent_online\":%s,\"runnable_timeout_ms\":%u,\"deliver_ticks\":%u}\n",
			st->id, st->abi, cpus, st->nr_cpus, st->nr_tasks,
			st->agent_online ? "true" : "false",
			st->runnable_timeout_ms, st->deliver_ticks);
		return;
	}
	fprintf(f, "id: %u\nabi: %u\ncpus: %s\nnr_cpus: %u\ntasks: %u\n"
		"agent_online: %u\nrunnable_timeout_ms: %u\ndeliver_ticks: %u\n",
		st->id, st->abi, cpus, st->nr_cpus, st->nr_tasks,
		st->agent_online, st->runnable_timeout_ms, st->deliver_ticks);
}

/* What "enclave set" changed: only the tunables it was given. */
void ghostctl_print_set(FILE *f, const struct ghostctl_cmd *cmd)
{
	int timeout = cmd->set & GHOSTCTL_SET_TIMEOUT;
	int ticks = cmd->set & GHOSTCTL_SET_TICKS;

	if (cmd->json) {
		fprintf(f, "{\"id\":%u", cmd->id);
		if (timeout)
			fprintf(f, ",\"runnable_timeout_ms\":%u",
				cmd->runnable_timeout_ms);
		if (ticks)
			fprintf(f, ",\"deliver_ticks\":%u", cmd->deliver_ticks);
		fputs("}\n", f);
		return;
	}
	fprintf(f, "enclave %u:", cmd->id);
	if (timeout)
		fprintf(f, " runnable_timeout_ms %u", cmd->runnable_timeout_ms);
	if (ticks)
		fprintf(f, "%s deliver_ticks %u", timeout ? "," : "",
			cmd->deliver_ticks);
	fputc('\n', f);
}

/* The ABIs in @text as "1, 2" (or a JSON array body "1,2"). */
static void abis(const char *text, char *buf, size_t len, const char *sep)
{
	unsigned int v[64];
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	n = ghost_versions_parse(text, v, 64);
	for (i = 0; i < n && i < 64 && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%u", i ? sep : "",
				v[i]);
}

void ghostctl_print_version(FILE *f, const char *module_versions, int loaded,
			    int json)
{
	char list[512];
	int ok = 0;

	if (module_versions) {
		abis(module_versions, list, sizeof(list), json ? "," : ", ");
		ok = ghost_version_supported(module_versions, GHOST_VERSION) == 1;
	}
	if (json) {
		fprintf(f, "{\"ghostctl\":\"%s\",\"abi\":%d,\"module_loaded\":%s,\"module_abis\":",
			GHOST_PKG_VERSION, GHOST_VERSION,
			loaded ? "true" : "false");
		if (module_versions)
			fprintf(f, "[%s],\"compatible\":%s}\n", list,
				ok ? "true" : "false");
		else
			fputs("null,\"compatible\":null}\n", f);
		return;
	}
	fprintf(f, "ghostctl %s\nABI: %d\n", GHOST_PKG_VERSION, GHOST_VERSION);
	if (module_versions && ok)
		fprintf(f, "module ABIs: %s\n", list);
	else if (module_versions)
		fprintf(f, "module ABIs: %s (mismatch: the module does not speak ABI %d)\n",
			list, GHOST_VERSION);
	else if (loaded)
		fputs("module: loaded, ghostfs not mounted at " GHOST_FS_PATH "\n",
		      f);
	else
		fputs("module: not loaded\n", f);
}

/* ------------------------------------------------------------------ */
/* Replies of an agent: "key value" lines                              */
/* ------------------------------------------------------------------ */

/* The next "key value" line of *@p: 1 and the pieces, 0 at the end. */
static int next_kv(const char **p, char *key, size_t klen, char *val,
		   size_t vlen)
{
	const char *s = *p, *end, *sp;
	size_t n;

	while (*s == '\n')
		s++;
	if (!*s)
		return 0;
	end = strchr(s, '\n');
	if (!end)
		end = s + strlen(s);
	sp = memchr(s, ' ', end - s);
	n = (sp ? sp : end) - s;
	snprintf(key, klen, "%.*s", (int)n, s);
	if (sp)
		snprintf(val, vlen, "%.*s", (int)(end - sp - 1), sp + 1);
	else
		val[0] = '\0';
	*p = end;
	return 1;
}

static const char *kv(const char *reply, const char *key, char *buf,
		      size_t len, const char *dflt)
{
	return ghost_kv_get(reply, key, buf, len) ? dflt : buf;
}

/* A JSON number as the agent wrote it: digits, one '.', a leading '-'. */
static int is_number(const char *v)
{
	int dot = 0, digits = 0;

	if (*v == '-')
		v++;
	for (; *v; v++) {
		if (*v == '.' && !dot++)
			continue;
		if (*v < '0' || *v > '9')
			return 0;
		digits++;
	}
	return digits > 0;
}

void ghostctl_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_value(FILE *f, const char *v)
{
	if (is_number(v))
		fputs(v, f);
	else
		ghostctl_json_string(f, v);
}

/*
 * Every line of @reply as one JSON object: "fail.<status>" keys gather
 * in "failures", repeated "opt" keys in "opts"; "status" is left out.
 */
static void print_kv_json(FILE *f, const char *lead, const char *reply)
{
	char key[64], val[4096];
	const char *p = reply;
	int first = !*lead, n;

	fprintf(f, "{%s", lead);
	while (next_kv(&p, key, sizeof(key), val, sizeof(val))) {
		if (!strcmp(key, "status") || !strncmp(key, "fail.", 5) ||
		    !strcmp(key, "opt"))
			continue;
		fprintf(f, "%s\"%s\":", first ? "" : ",", key);
		json_value(f, val);
		first = 0;
	}
	fprintf(f, "%s\"opts\":[", first ? "" : ",");
	for (p = reply, n = 0; next_kv(&p, key, sizeof(key), val, sizeof(val));) {
		if (strcmp(key, "opt"))
			continue;
		fputs(n++ ? "," : "", f);
		ghostctl_json_string(f, val);
	}
	fputs("],\"failures\":{", f);
	for (p = reply, n = 0; next_kv(&p, key, sizeof(key), val, sizeof(val));) {
		if (strncmp(key, "fail.", 5))
			continue;
		fprintf(f, "%s\"%s\":", n++ ? "," : "", key + 5);
		json_value(f, val);
	}
	fputs("}}\n", f);
}

/* "target_stale 12, cpu_unavail 1", or "none". */
static void print_failures(FILE *f, const char *reply)
{
	char key[64], val[64];
	const char *p = reply;
	int n = 0;

	while (next_kv(&p, key, sizeof(key), val, sizeof(val))) {
		if (strncmp(key, "fail.", 5) || !strcmp(val, "0"))
			continue;
		fprintf(f, "%s%s %s", n++ ? ", " : "", key + 5, val);
	}
	fputs(n ? "\n" : "none\n", f);
}

void ghostctl_print_status(FILE *f, const char *reply, int json)
{
	char a[64], b[64], c[64], d[GHOST_CPULIST_LEN], key[64], val[4096];
	const char *p = reply;
	int n = 0;

	if (json) {
		print_kv_json(f, "", reply);
		return;
	}
	fprintf(f, "enclave %s: agent pid %s, policy %s (%s)\n",
		kv(reply, "enclave", a, sizeof(a), "?"),
		kv(reply, "pid", b, sizeof(b), "?"),
		kv(reply, "policy", c, sizeof(c), "?"),
		kv(reply, "model", key, sizeof(key), "?"));
	kv(reply, "cpus", d, sizeof(d), "?");
	kv(reply, "global_cpu", a, sizeof(a), "-1");
	if (strcmp(a, "-1"))
		fprintf(f, "  cpus:      %s (global CPU %s)\n", d, a);
	else
		fprintf(f, "  cpus:      %s (%s agent threads)\n", d,
			kv(reply, "agents", b, sizeof(b), "?"));
	while (next_kv(&p, key, sizeof(key), val, sizeof(val))) {
		if (!strcmp(key, "opt"))
			fprintf(f, "%s%s", n++ ? " " : "  options:   ", val);
	}
	if (n)
		fputc('\n', f);
	fprintf(f, "  threads:   %s\n", kv(reply, "threads", a, sizeof(a), "?"));
	fprintf(f, "  messages:  %s/s, %s total\n",
		kv(reply, "msgs_per_s", a, sizeof(a), "?"),
		kv(reply, "msgs", b, sizeof(b), "?"));
	fprintf(f, "  commits:   %s/s, %s total\n",
		kv(reply, "commits_per_s", a, sizeof(a), "?"),
		kv(reply, "commits", b, sizeof(b), "?"));
	/* An older agent does not count them. */
	if (!ghost_kv_get(reply, "decisions_per_s", a, sizeof(a)))
		fprintf(f, "  decisions: %s/s, %s total\n", a,
			kv(reply, "decisions", b, sizeof(b), "?"));
	if (strcmp(kv(reply, "idle_sleep_us", a, sizeof(a), "0"), "0"))
		fprintf(f, "  idle:      sleeps after %s us with nothing to do, %s naps\n",
			a, kv(reply, "idle_sleeps", b, sizeof(b), "?"));
	if (strcmp(kv(reply, "stepped_aside", a, sizeof(a), "0"), "0"))
		fprintf(f, "  stepped aside: %s times, for tasks outside ghost on its CPU\n",
			a);
	fputs("  failures:  ", f);
	print_failures(f, reply);
	if (strcmp(kv(reply, "overflow", a, sizeof(a), "0"), "0"))
		fprintf(f, "  overflow:  %s messages lost, threads rediscovered %s times\n",
			a, kv(reply, "rediscoveries", b, sizeof(b), "?"));
	if (strcmp(kv(reply, "rediscover_failed", a, sizeof(a), "0"), "0"))
		fprintf(f, "  rediscovery failed %s times (retried every round)\n",
			a);
	if (strcmp(kv(reply, "swaps", a, sizeof(a), "0"), "0"))
		fprintf(f, "  swaps:     %s, last: blackout %s us, hand-over by %s\n",
			a, kv(reply, "last_swap_blackout_us", b, sizeof(b), "?"),
			kv(reply, "last_swap_handover", c, sizeof(c), "?"));
}

void ghostctl_print_swap(FILE *f, unsigned int id, const char *reply,
			 int json)
{
	char a[256], b[64], c[64], d[64], e[64];

	if (json) {
		snprintf(a, sizeof(a), "\"enclave\":%u", id);
		print_kv_json(f, a, reply);
		return;
	}
	fprintf(f, "enclave %u: policy %s (%s), hand-over by %s, %s threads, blackout %s us\n",
		id, kv(reply, "policy", a, sizeof(a), "?"),
		kv(reply, "model", b, sizeof(b), "?"),
		kv(reply, "handover", c, sizeof(c), "?"),
		kv(reply, "threads", d, sizeof(d), "?"),
		kv(reply, "blackout_us", e, sizeof(e), "?"));
}

void ghostctl_print_tasks(FILE *f, unsigned int id, const pid_t *tids, int n,
			  int json)
{
	int i;

	if (json)
		fprintf(f, "{\"enclave\":%u,\"tids\":[", id);
	for (i = 0; i < n; i++) {
		if (json)
			fprintf(f, "%s%d", i ? "," : "", (int)tids[i]);
		else
			fprintf(f, "%d\n", (int)tids[i]);
	}
	if (json)
		fputs("]}\n", f);
}

/* One "thread ..." line of the agent, split into its fields. */
struct thread_line {
	char tid[16], gtid[32], barrier[16], cpu[16], policy[16], pb[16];
	char state[32], detail[192];
};

static void copy_tok(char *dst, size_t len, char **save)
{
	char *tok = strtok_r(NULL, " ", save);

	snprintf(dst, len, "%s", tok ? tok : "");
}

static void copy_rest(char *dst, size_t len, char **save)
{
	char *rest = strtok_r(NULL, "", save);

	snprintf(dst, len, "%s", rest ? rest : "");
}

static void parse_thread(char *val, struct thread_line *t)
{
	char *tok, *save;

	memset(t, 0, sizeof(*t));
	tok = strtok_r(val, " ", &save);
	snprintf(t->tid, sizeof(t->tid), "%s", tok ? tok : "?");
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (!strcmp(tok, "gtid"))
			copy_tok(t->gtid, sizeof(t->gtid), &save);
		else if (!strcmp(tok, "barrier"))
			copy_tok(t->barrier, sizeof(t->barrier), &save);
		else if (!strcmp(tok, "cpu"))
			copy_tok(t->cpu, sizeof(t->cpu), &save);
		else if (!strcmp(tok, "policy"))
			copy_tok(t->policy, sizeof(t->policy), &save);
		else if (!strcmp(tok, "policy_barrier"))
			copy_tok(t->pb, sizeof(t->pb), &save);
		else if (!strcmp(tok, "detail"))
			/* The rest of the line: the policy's own words. */
			copy_rest(t->detail, sizeof(t->detail), &save);
		else if (!strcmp(tok, "runnable") || !strcmp(tok, "oncpu"))
			snprintf(t->state + strlen(t->state),
				 sizeof(t->state) - strlen(t->state), "%s%s",
				 t->state[0] ? "," : "", tok);
	}
	if (!t->state[0])
		snprintf(t->state, sizeof(t->state), "blocked");
}

#define THREADS_FMT	"%-8s %-18s %8s %-16s %4s %-10s %-14s %s\n"

/* @s as a JSON string's contents: the agent sends printable ASCII only. */
static void json_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/*
 * "thread TID gtid G barrier B [runnable] [oncpu] cpu C policy P
 * [policy_barrier B] [detail WORDS...]" lines: as a table, or a JSON
 * array.
 */
void ghostctl_print_threads(FILE *f, const char *reply, int json)
{
	char key[64], val[512];
	const char *p = reply;
	struct thread_line t;
	int n = 0;

	if (json)
		fputc('[', f);
	else
		fprintf(f, THREADS_FMT, "TID", "GTID", "BARRIER", "STATE", "CPU",
			"POLICY", "POLICY_BARRIER", "DETAIL");
	while (next_kv(&p, key, sizeof(key), val, sizeof(val))) {
		if (strcmp(key, "thread"))
			continue;
		parse_thread(val, &t);
		if (!json) {
			fprintf(f, THREADS_FMT, t.tid, t.gtid, t.barrier,
				t.state, t.cpu, t.policy, t.pb[0] ? t.pb : "-",
				t.detail[0] ? t.detail : "-");
			continue;
		}
		fprintf(f, "%s{\"tid\":%s,\"gtid\":\"%s\",\"barrier\":%s,",
			n++ ? "," : "", t.tid, t.gtid,
			t.barrier[0] ? t.barrier : "0");
		fprintf(f, "\"state\":\"%s\",\"cpu\":%s,\"policy\":\"%s\",",
			t.state, t.cpu[0] ? t.cpu : "-1", t.policy);
		fprintf(f, "\"policy_barrier\":%s,\"detail\":\"",
			t.pb[0] ? t.pb : "null");
		json_str(f, t.detail);
		fputs("\"}", f);
	}
	if (json)
		fputs("]\n", f);
}
