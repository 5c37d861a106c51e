/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ghOSt's application hints for rocksdb_server's workers (--hints): a hint
 * region registered with the agent of the workers' enclave, and hooks
 * that mark a worker runnable while it serves a request and idle when it
 * waits for one.
 */
#ifndef RDB_HINTS_H
#define RDB_HINTS_H

/*
 * Create the region for @workers workers, register it with the agent of
 * enclave @enclave and install the hooks (rdb_hooks_set()); a thread that
 * keeps idle-marked waiting workers runnable runs on @cpu (-1: anywhere).
 * Every worker's hint has class @qos.  0, or -1 after printing why.
 */
int rdb_hints_start(unsigned int enclave, unsigned int workers,
		    unsigned int qos, int cpu);

/* Stop that thread and free the region; the workers have exited. */
void rdb_hints_stop(void);

#endif /* RDB_HINTS_H */
