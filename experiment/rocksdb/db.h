/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RocksDB database of the experiment: keys 0 .. nkeys - 1, stored as
 * fixed-width decimal strings so that their byte order is their numeric
 * order, each with a value derived from the key alone, so that every
 * answer can be checked without keeping a copy of the data.
 */
#ifndef RDB_DB_H
#define RDB_DB_H

#include <stddef.h>
#include <stdint.h>

#define RDB_KEY_LEN	16	/* "k" and 15 digits */
#define RDB_VALUE_LEN	100

struct rdb_db;

/* The key string of key number @k into @buf (RDB_KEY_LEN bytes, no NUL). */
void rdb_key(uint32_t k, char *buf);
/* The value of key @k into @buf (RDB_VALUE_LEN bytes). */
void rdb_value(uint32_t k, char *buf);

/*
 * Open a database in memory (@path NULL: RocksDB's in-memory file system)
 * or in directory @path (created if missing; use a tmpfs), write keys
 * 0 .. @nkeys - 1, flush and compact them into one sorted run, then read
 * every key back once (warming the block cache and checking the load).
 * Returns NULL after printing why on failure.
 */
struct rdb_db *rdb_db_open(const char *path, uint32_t nkeys);
void rdb_db_close(struct rdb_db *db);

/* Look key @k up; 0 if its value is right, -1 (with a message) if not. */
int rdb_db_get(struct rdb_db *db, uint32_t k);

/*
 * Scan @n keys from key @first; 0 if exactly keys @first .. @first + @n - 1
 * came back, in order, with their values, -1 (with a message) if not.
 */
int rdb_db_scan(struct rdb_db *db, uint32_t first, uint32_t n);

#endif /* RDB_DB_H */
