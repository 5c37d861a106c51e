/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One request of the RocksDB experiment: what to do and when it happened.
 * Times are nanoseconds from the start of its run, so that the latency of
 * a request is done_ns - sched_ns: from when it was due to arrive, not
 * from when it was queued (an open loop charges the generator's lateness
 * to the server too).
 */
#ifndef RDB_REQUEST_H
#define RDB_REQUEST_H

#include <stdint.h>

enum rdb_kind {
	RDB_GET,	/* point lookup of one key */
	RDB_SCAN,	/* range scan of scan_keys keys */
	RDB_NKINDS,
};

enum rdb_status {
	RDB_PENDING,	/* not served (yet) */
	RDB_OK,		/* served and verified */
	RDB_ERROR,	/* served, but the answer was wrong */
	RDB_DROPPED,	/* still queued when its run gave up waiting */
};

struct rdb_req {
	uint64_t sched_ns;	/* scheduled arrival */
	uint64_t release_ns;	/* handed to the workers by the generator */
	uint64_t start_ns;	/* taken by a worker */
	uint64_t done_ns;	/* answered */
	uint32_t key;		/* the key, or the first key of a scan */
	uint8_t kind;		/* enum rdb_kind */
	uint8_t status;		/* enum rdb_status */
	uint16_t worker;	/* who served it */
};

static inline const char *rdb_kind_name(unsigned int kind)
{
	return kind == RDB_GET ? "get" : "scan";
}

#endif /* RDB_REQUEST_H */
