// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and checking a policy recording (recfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <ghost/policy.h>

#include "recfile.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "recordings are little-endian: add byte swapping for this machine"
#endif

/* Recordings larger than this are refused rather than read. */
#define RECFILE_MAX	(1ULL << 34)

static const struct {
	unsigned int type;
	const char *name;
	size_t size;		/* the payload's, or its minimum if !exact */
	int exact;
} types[] = {
	{ REC_INSTANCE,		"instance",	sizeof(struct rec_instance), 0 },
	{ REC_SWAP,		"swap",		sizeof(struct rec_swap), 0 },
	{ REC_LIMIT,		"limit",	0, 1 },
	{ REC_END,		"end",		0, 1 },
	{ REC_INIT,		"init",		0, 1 },
	{ REC_FINI,		"fini",		0, 1 },
	{ REC_MSG,		"msg",		sizeof(struct ghost_msg), 0 },
	{ REC_SCHEDULE,		"schedule",	sizeof(struct rec_cpu), 1 },
	{ REC_TICK,		"tick",		sizeof(struct rec_u64), 1 },
	{ REC_COMMIT_DONE,	"commit_done",	sizeof(struct rec_commit_done), 1 },
	{ REC_EXPORT,		"export_state",	sizeof(struct rec_u64), 1 },
	{ REC_IMPORT,		"import_state",	0, 0 },
	{ REC_RET,		"return",	sizeof(struct rec_ret), 1 },
	{ REC_RUN,		"run",		sizeof(struct rec_run), 1 },
	{ REC_DL_PUSH,		"dl_push",	sizeof(struct rec_run), 1 },
	{ REC_DL_FLAGS,		"dl_set_flags",	sizeof(struct rec_dl_flags), 1 },
	{ REC_ERROR,		"error",	1, 0 },
	{ REC_NOW,		"now",		sizeof(struct rec_u64), 1 },
	{ REC_TASK_CPU,		"task_cpu",	sizeof(struct rec_task), 1 },
	{ REC_ALLOWED,		"task_allowed",	sizeof(struct rec_task), 1 },
	{ REC_DL_OUT,		"dl_outstanding", sizeof(struct rec_cpu), 1 },
	{ REC_DL_ENTRIES,	"dl_entries",	sizeof(struct rec_dl_entries), 0 },
	{ REC_HINT,		"hint",		sizeof(struct rec_hint), 1 },
};

static int type_index(unsigned int type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (types[i].type == type)
			return i;
	}
	return -1;
}

const char *recfile_type_name(unsigned int type)
{
	int i = type_index(type);

	return i < 0 ? "unknown" : types[i].name;
}

/* The NUL-terminated string at *@off of @p (@len bytes), or NULL. */
static const char *take_str(const char *p, size_t len, size_t *off)
{
	const char *s = p + *off, *nul;

	if (*off >= len)
		return NULL;
	nul = memchr(s, '\0', len - *off);
	if (!nul)
		return NULL;
	*off = nul - p + 1;
	return s;
}

/* Decode an instance; 0, or -1 if it does not hold together. */
static int decode_instance(const struct recev *e, struct recinst *out)
{
	size_t off = sizeof(struct rec_instance);
	const char *p = e->p;
	__u32 i;

	__s32 v;

	memset(out, 0, sizeof(*out));
	memcpy(&out->ri, e->p, sizeof(out->ri));
	if (out->ri.nr_cpus < 0 || out->ri.nr_cpus > GHOST_MAX_CPUS ||
	    out->ri.nr_opts > GHOST_REC_MAX_OPTS ||
	    off + out->ri.nr_cpus * sizeof(__s32) > e->len)
		return -1;
	for (i = 0; i < (__u32)out->ri.nr_cpus; i++, off += sizeof(v)) {
		memcpy(&v, p + off, sizeof(v));
		out->cpus[i] = v;
	}
	out->name = take_str(p, e->len, &off);
	out->path = take_str(p, e->len, &off);
	if (!out->name || !out->path || !*out->name)
		return -1;
	for (i = 0; i < out->ri.nr_opts; i++) {
		out->opts[i] = take_str(p, e->len, &off);
		if (!out->opts[i])
			return -1;
	}
	return off == e->len ? 0 : -1;
}

void recfile_instance(const struct recev *e, struct recinst *out)
{
	decode_instance(e, out);
}

/* The payload of event @e holds together; 0 or -1. */
static int check_payload(const struct recev *e)
{
	const char *p = e->p;
	struct recinst in;
	size_t off;

	switch (e->type) {
	case REC_INSTANCE:
		return decode_instance(e, &in);
	case REC_SWAP:
		off = sizeof(struct rec_swap);
		return take_str(p, e->len, &off) && take_str(p, e->len, &off) &&
		       off == e->len ? 0 : -1;
	case REC_MSG: {
		struct ghost_msg m;

		memcpy(&m, p, sizeof(m));
		return m.length == e->len ? 0 : -1;
	}
	case REC_ERROR:
		return p[e->len - 1] ? -1 : 0;
	case REC_DL_ENTRIES: {
		struct rec_dl_entries d;

		memcpy(&d, p, sizeof(d));
		off = d.ret > 0 ? (size_t)d.ret : 0;
		return sizeof(d) + off * sizeof(struct ghost_dispatch_entry) ==
		       e->len && d.ret <= d.max ? 0 : -1;
	}
	default:
		return 0;
	}
}

/* -1 or a CPU number of the recording. */
static int cpu_ok(const struct recfile *f, __s32 cpu, int none_ok)
{
	return (none_ok && cpu == -1) ||
	       (cpu >= 0 && cpu < f->hdr->nr_cpu_ids);
}

static int nice_ok(__s32 nice)
{
	return nice >= -20 && nice <= 19;
}

/*
 * The values a policy would trust from the kernel (CPU numbers it may
 * index arrays with, nice values) are in range: a damaged or forged file
 * must not crash the plugin replayed.  NULL, or what is wrong.
 */
static const char *check_values(const struct recfile *f, const struct recev *e)
{
	union {
		struct ghost_msg_task t;
		struct ghost_msg_task_new n;
		struct ghost_msg_task_wakeup w;
		struct ghost_msg_task_priority pr;
		struct ghost_msg_cpu c;
	} p;
	struct rec_commit_done cd;
	struct rec_task task;
	struct ghost_msg m;
	struct recinst in;
	struct rec_cpu c;
	int i;

	switch (e->type) {
	case REC_INSTANCE:
		decode_instance(e, &in);
		if (in.ri.model != GHOST_POLICY_PER_CPU &&
		    in.ri.model != GHOST_POLICY_CENTRALIZED)
			return "unknown policy model";
		if (!cpu_ok(f, in.ri.global_cpu, 1) ||
		    in.ri.nr_cpus > f->hdr->nr_cpu_ids)
			return "CPUs out of range";
		for (i = 0; i < in.ri.nr_cpus; i++) {
			if (!cpu_ok(f, in.cpus[i], 0) ||
			    (i && in.cpus[i] <= in.cpus[i - 1]))
				return "CPUs out of range or order";
		}
		return NULL;
	case REC_SCHEDULE:
		memcpy(&c, e->p, sizeof(c));
		return cpu_ok(f, c.cpu, 1) ? NULL : "CPU out of range";
	case REC_COMMIT_DONE:
		memcpy(&cd, e->p, sizeof(cd));
		return cpu_ok(f, cd.cpu, 0) ? NULL : "CPU out of range";
	case REC_TASK_CPU:
		memcpy(&task, e->p, sizeof(task));
		return task.ret < f->hdr->nr_cpu_ids ? NULL :
		       "CPU out of range";
	case REC_MSG:
		break;
	default:
		return NULL;
	}

	/* A message: its payload as the policy reads it. */
	memcpy(&m, e->p, sizeof(m));
	memset(&p, 0, sizeof(p));
	memcpy(&p, (const char *)e->p + sizeof(m),
	       e->len - sizeof(m) < sizeof(p) ? e->len - sizeof(m) : sizeof(p));
	switch (m.type) {
	case GHOST_MSG_TASK_NEW:
		return nice_ok(p.n.nice) ? NULL : "nice value out of range";
	case GHOST_MSG_TASK_WAKEUP:
		return cpu_ok(f, p.w.last_ran_cpu, 1) &&
		       cpu_ok(f, p.w.waker_cpu, 1) ? NULL : "CPU out of range";
	case GHOST_MSG_TASK_PRIORITY_CHANGED:
		return nice_ok(p.pr.nice) ? NULL : "nice value out of range";
	case GHOST_MSG_CPU_TICK:
	case GHOST_MSG_CPU_AVAILABLE:
	case GHOST_MSG_CPU_BUSY:
	case GHOST_MSG_CPU_OFFLINE:
	case GHOST_MSG_CPU_ONLINE:
		return cpu_ok(f, p.c.cpu, 0) ? NULL : "CPU out of range";
	default:
		/* The other task messages; unknown ones reach no callback. */
		return m.type >= GHOST_MSG_TASK_DEAD &&
		       m.type < GHOST_MSG_CPU_TICK &&
		       !cpu_ok(f, p.t.cpu, 1) ? "CPU out of range" : NULL;
	}
}

static int bad(char *msg, size_t len, const char *path, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

static int bad(char *msg, size_t len, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(msg, len, "%s: ", path);
	if (n < 0 || (size_t)n >= len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg + n, len - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_header(struct recfile *f, const char *path, char *msg,
			size_t len)
{
	struct rec_file_hdr h;
	const char *p = f->data;
	size_t need;
	int i;

	if (f->size < sizeof(REC_MAGIC) - 1 ||
	    memcmp(p, REC_MAGIC, sizeof(REC_MAGIC) - 1))
		return bad(msg, len, path, "not a ghost recording (no %s magic at its start)",
			   REC_MAGIC);
	if (f->size < sizeof(h))
		return bad(msg, len, path, "truncated: %zu bytes, shorter than the %zu-byte header",
			   f->size, sizeof(h));
	memcpy(&h, p, sizeof(h));
	if (h.version < REC_VERSION)
		return bad(msg, len, path, "recording format version %u; this ghost-replay reads version %u (an older ghost-agent recorded it: replay it with the ghost-replay of that release)",
			   h.version, REC_VERSION);
	if (h.version != REC_VERSION)
		return bad(msg, len, path, "recording format version %u; this ghost-replay reads version %u",
			   h.version, REC_VERSION);
	if (h.nr_cpu_ids < 1 || h.nr_cpu_ids > GHOST_MAX_CPUS ||
	    h.nr_ecpus < 0 || h.nr_ecpus > h.nr_cpu_ids)
		return bad(msg, len, path, "bad header: %d CPU numbers, %d enclave CPUs",
			   h.nr_cpu_ids, h.nr_ecpus);
	need = sizeof(h) + (size_t)(h.nr_cpu_ids + h.nr_ecpus) * sizeof(__s32);
	if (h.hdr_size != need)
		return bad(msg, len, path, "bad header: size %u, expected %zu",
			   h.hdr_size, need);
	if (f->size < need)
		return bad(msg, len, path, "truncated inside the header (%zu of %zu bytes)",
			   f->size, need);
	f->hdr = (const struct rec_file_hdr *)p;
	p += sizeof(h);
	for (i = 0; i < h.nr_ecpus; i++, p += sizeof(__s32)) {
		memcpy(&f->ecpus[i], p, sizeof(__s32));
		if (f->ecpus[i] < 0 || f->ecpus[i] >= h.nr_cpu_ids ||
		    (i && f->ecpus[i] <= f->ecpus[i - 1]))
			return bad(msg, len, path, "bad header: enclave CPU %d",
				   f->ecpus[i]);
	}
	for (i = 0; i < h.nr_cpu_ids; i++, p += sizeof(__s32)) {
		memcpy(&f->cpu_node[i], p, sizeof(__s32));
		if (f->cpu_node[i] < -1 || f->cpu_node[i] >= h.nr_cpu_ids)
			return bad(msg, len, path, "bad header: CPU %d on node %d",
				   i, f->cpu_node[i]);
	}
	return 0;
}

static int check_events(struct recfile *f, const char *path, char *msg,
			size_t len)
{
	unsigned char *known;
	size_t off = f->hdr->hdr_size, cap = 0;
	struct rec_ev ev;
	struct recev *e;
	const char *why;
	int t, ret = 0;

	known = calloc(REC_MAX_INST + 1, 1);
	if (!known)
		return -ENOMEM;
	for (;;) {
		if (off == f->size) {
			ret = bad(msg, len, path, "truncated: it ends after event %zu without an end marker (the agent did not stop cleanly, or the file was cut)",
				  f->nr_ev ? f->nr_ev - 1 : 0);
			break;
		}
		if (f->size - off < sizeof(ev)) {
			ret = bad(msg, len, path, "truncated inside event %zu (offset %zu)",
				  f->nr_ev, off);
			break;
		}
		memcpy(&ev, (char *)f->data + off, sizeof(ev));
		if (f->size - off - sizeof(ev) < ev.len) {
			ret = bad(msg, len, path, "truncated inside event %zu (offset %zu): %u bytes of payload, %zu left",
				  f->nr_ev, off, ev.len,
				  f->size - off - sizeof(ev));
			break;
		}
		t = type_index(ev.type);
		if (t < 0) {
			ret = bad(msg, len, path, "event %zu (offset %zu) has unknown type %u",
				  f->nr_ev, off, ev.type);
			break;
		}
		if (ev.len < types[t].size ||
		    (types[t].exact && ev.len != types[t].size)) {
			ret = bad(msg, len, path, "event %zu (%s, offset %zu) has %u bytes of payload, expected %s%zu",
				  f->nr_ev, types[t].name, off, ev.len,
				  types[t].exact ? "" : "at least ",
				  types[t].size);
			break;
		}
		if (f->nr_ev == cap) {
			cap = cap ? cap * 2 : 4096;
			e = realloc(f->ev, cap * sizeof(*e));
			if (!e) {
				ret = -ENOMEM;
				break;
			}
			f->ev = e;
		}
		e = &f->ev[f->nr_ev];
		e->type = ev.type;
		e->inst = ev.inst;
		e->len = ev.len;
		e->time_ns = ev.time_ns;
		e->p = (char *)f->data + off + sizeof(ev);
		off += sizeof(ev) + ev.len;
		if (check_payload(e)) {
			ret = bad(msg, len, path, "event %zu (%s, offset %zu) is malformed",
				  f->nr_ev, types[t].name,
				  off - sizeof(ev) - ev.len);
			break;
		}
		why = check_values(f, e);
		if (why) {
			ret = bad(msg, len, path, "event %zu (%s, offset %zu): %s",
				  f->nr_ev, types[t].name,
				  off - sizeof(ev) - ev.len, why);
			break;
		}
		f->nr_ev++;
		if (ev.type == REC_END || ev.type == REC_LIMIT) {
			f->limited = ev.type == REC_LIMIT;
			if (off != f->size)
				ret = bad(msg, len, path, "%zu bytes after the end marker (event %zu)",
					  f->size - off, f->nr_ev - 1);
			break;
		}
		if (ev.type == REC_INSTANCE) {
			if (!ev.inst || known[ev.inst]) {
				ret = bad(msg, len, path, "event %zu declares policy instance %u twice or as 0",
					  f->nr_ev - 1, ev.inst);
				break;
			}
			known[ev.inst] = 1;
		} else if (!known[ev.inst]) {
			ret = bad(msg, len, path, "event %zu (%s) belongs to policy instance %u, never declared",
				  f->nr_ev - 1, types[t].name, ev.inst);
			break;
		}
	}
	free(known);
	if (ret == -ENOMEM)
		snprintf(msg, len, "%s: out of memory", path);
	return ret;
}

int recfile_load(const char *path, struct recfile *f, char *msg, size_t len)
{
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd, ret;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(msg, len, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > RECFILE_MAX) {
		close(fd);
		return bad(msg, len, path, "not a regular file of at most %llu bytes",
			   RECFILE_MAX);
	}
	f->size = st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		close(fd);
		snprintf(msg, len, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (off < f->size) {
		n = read(fd, (char *)f->data + off, f->size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(msg, len, "cannot read %s: %s", path,
				 strerror(-ret));
			close(fd);
			recfile_free(f);
			return ret;
		}
		off += n;
	}
	close(fd);
	ret = check_header(f, path, msg, len);
	if (!ret)
		ret = check_events(f, path, msg, len);
	if (ret)
		recfile_free(f);
	return ret;
}

void recfile_free(struct recfile *f)
{
	free(f->ev);
	free(f->data);
	memset(f, 0, sizeof(*f));
}
