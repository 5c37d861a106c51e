/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghost-replay's engine: a recorded policy run (recfile.h) fed again to a
 * policy plugin, with no kernel, and its decisions compared with the
 * recorded ones.
 *
 * The plugin gets the recorded calls in their order, each with the facts
 * the recorded policy read during it (the time, a thread's CPU, list
 * state, affinity, hints), answered from the recording in the order the
 * plugin asks for them; a question the recording cannot answer (another
 * policy asks other things) gets a neutral answer.  Its requests (commits,
 * list entries, list flags, errors, and what init and the state hand-over
 * return) must be the recorded ones, in the recorded order.
 */
#ifndef _GHOST_REPLAY_H
#define _GHOST_REPLAY_H

#include <stdio.h>

#include "recfile.h"

struct replay_opts {
	/* The plugin of the first policy instance: a name or a path. */
	const char *policy;
	const char *const *dirs;	/* where a name is looked up */
	/* Options for it instead of the recorded ones, if use_opts. */
	int use_opts;
	const char *const *opts;	/* NULL-terminated */
	FILE *verbose;			/* swaps, policy logs; or NULL */
};

struct replay_result {
	unsigned long decisions;	/* equal decisions before any difference */
	int differs;
	size_t event;			/* where it differs */
	__u64 time_ns;			/* the event's time in the recording */
	char what[1024];		/* the difference, several lines */
	int stopped_early;		/* the recording ended with REC_LIMIT */
	unsigned int swaps;		/* hot swaps replayed */
};

/*
 * Replay @f.  0: identical, 1: a difference (in @res), or -errno if a
 * plugin cannot be loaded or started (the reason in @msg).
 */
int replay_run(const struct recfile *f, const struct replay_opts *o,
	       struct replay_result *res, char *msg, size_t len);

#endif /* _GHOST_REPLAY_H */
