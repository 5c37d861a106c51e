/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a policy recording (recfmt.h) back: the whole file is loaded
 * and every event checked before anything uses it, so that a damaged
 * file is refused with one clear message instead of half replayed.
 */
#ifndef _GHOST_RECFILE_H
#define _GHOST_RECFILE_H

#include <stddef.h>

#include <ghost/libghost.h>

#include "recfmt.h"

/* The most options a recorded instance may have. */
#define GHOST_REC_MAX_OPTS	64

struct recev {
	unsigned int type;		/* enum rec_type */
	unsigned int inst;
	__u32 len;
	__u64 time_ns;
	const void *p;			/* len bytes of payload */
};

/* A REC_INSTANCE, decoded. */
struct recinst {
	struct rec_instance ri;
	int cpus[GHOST_MAX_CPUS];	/* ri.nr_cpus */
	const char *name;
	const char *path;
	const char *opts[GHOST_REC_MAX_OPTS + 1];	/* NULL-terminated */
};

struct recfile {
	void *data;
	size_t size;
	const struct rec_file_hdr *hdr;
	int ecpus[GHOST_MAX_CPUS];
	int cpu_node[GHOST_MAX_CPUS];
	struct recev *ev;
	size_t nr_ev;
	int limited;			/* ends with REC_LIMIT, not REC_END */
};

/*
 * Load and check @path.  0, or -errno with the reason (naming the file)
 * in @msg: -ENOENT and friends for a file that cannot be read, -EINVAL
 * for one that is not a recording of this version or is damaged.
 */
int recfile_load(const char *path, struct recfile *f, char *msg,
		 size_t len);
void recfile_free(struct recfile *f);

/* Decode the REC_INSTANCE @e (checked by recfile_load()). */
void recfile_instance(const struct recev *e, struct recinst *out);

/* A short name of event type @type ("msg", "run", ...). */
const char *recfile_type_name(unsigned int type);

#endif /* _GHOST_RECFILE_H */
