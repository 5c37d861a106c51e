/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread of the server entering a ghost enclave by itself, as ghOSt's
 * workloads do, so that the load generator can stay outside it.
 */
#ifndef RDB_ENTER_H
#define RDB_ENTER_H

/*
 * Move the calling thread into enclave @id (0: do nothing); @who names
 * the thread in the message printed on failure.  Returns 0 or -errno.
 */
int rdb_enter_enclave(unsigned int id, const char *who);

#endif /* RDB_ENTER_H */
