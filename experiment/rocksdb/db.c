// SPDX-License-Identifier: GPL-2.0
/*
 * The experiment's RocksDB, through RocksDB's C API.  Loaded once, then
 * only read: GETs and scans from many worker threads at once, which
 * RocksDB allows on one handle.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "db.h"

#define LOAD_BATCH	1000
#define CACHE_BYTES	(256u << 20)
/* Wrong answers are counted by the caller; only the first few are shown. */
#define MAX_REPORTS	10

struct rdb_db {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_env_t *env;
	rocksdb_cache_t *cache;
	rocksdb_block_based_table_options_t *topts;
	rocksdb_readoptions_t *ropts;
	uint32_t nkeys;
};

static atomic_int reports;

static void report(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&reports, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	fputs("rocksdb_server: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* splitmix64: a cheap, well-mixed function of the key. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void rdb_key(uint32_t k, char *buf)
{
	int i;

	/* By hand: snprintf() would cost more than RocksDB's lookup. */
	buf[0] = 'k';
	for (i = RDB_KEY_LEN - 1; i > 0; i--, k /= 10)
		buf[i] = '0' + k % 10;
}

void rdb_value(uint32_t k, char *buf)
{
	uint64_t x = k;
	int i;

	/* Letters a..p, a nibble each of a per-key stream of 64-bit words. */
	for (i = 0; i < RDB_VALUE_LEN; i++) {
		if (i % 16 == 0)
			x = mix(x);
		buf[i] = 'a' + (x >> (4 * (i % 16)) & 0xf);
	}
}

/* Print RocksDB's error @err for @what and free it; -1 if there was one. */
static int failed(char *err, const char *what)
{
	if (!err)
		return 0;
	fprintf(stderr, "rocksdb_server: %s: %s\n", what, err);
	rocksdb_free(err);
	return -1;
}

static int load(struct rdb_db *d)
{
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	char key[RDB_KEY_LEN], val[RDB_VALUE_LEN];
	char *err = NULL;
	uint32_t k;

	/* A fresh load needs no log: a crash just means loading again. */
	rocksdb_writeoptions_disable_WAL(wo, 1);
	for (k = 0; k < d->nkeys && !err; k++) {
		rdb_key(k, key);
		rdb_value(k, val);
		rocksdb_writebatch_put(wb, key, sizeof(key), val, sizeof(val));
		if ((k + 1) % LOAD_BATCH == 0 || k + 1 == d->nkeys) {
			rocksdb_write(d->db, wo, wb, &err);
			rocksdb_writebatch_clear(wb);
		}
	}
	rocksdb_writebatch_destroy(wb);
	rocksdb_writeoptions_destroy(wo);
	if (failed(err, "loading keys"))
		return -1;

	/*
	 * Into table files, compacted to one sorted run: a GET is then a
	 * block cache lookup and a scan a walk of consecutive blocks, as in
	 * a server whose data is at rest, not a write buffer's skip list.
	 */
	{
		rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();

		rocksdb_flushoptions_set_wait(fo, 1);
		rocksdb_flush(d->db, fo, &err);
		rocksdb_flushoptions_destroy(fo);
		if (failed(err, "flushing"))
			return -1;
	}
	rocksdb_compact_range(d->db, NULL, 0, NULL, 0);

	for (k = 0; k < d->nkeys; k++)
		if (rdb_db_get(d, k))
			return -1;
	return 0;
}

struct rdb_db *rdb_db_open(const char *path, uint32_t nkeys)
{
	struct rdb_db *d = calloc(1, sizeof(*d));
	char *err = NULL;

	if (!d) {
		fprintf(stderr, "rocksdb_server: out of memory\n");
		return NULL;
	}
	d->nkeys = nkeys;
	d->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(d->opts, 1);
	rocksdb_options_set_compression(d->opts, rocksdb_no_compression);
	if (!path) {
		/* A private file system in this process's memory. */
		d->env = rocksdb_create_mem_env();
		rocksdb_options_set_env(d->opts, d->env);
		path = "/rocksdb_server";
	}
	/* A cache that holds the whole database: reads never wait for I/O. */
	d->cache = rocksdb_cache_create_lru(CACHE_BYTES);
	d->topts = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(d->topts, d->cache);
	rocksdb_options_set_block_based_table_factory(d->opts, d->topts);
	d->ropts = rocksdb_readoptions_create();

	d->db = rocksdb_open(d->opts, path, &err);
	if (failed(err, path) || load(d)) {
		rdb_db_close(d);
		return NULL;
	}
	return d;
}

void rdb_db_close(struct rdb_db *d)
{
	if (d->db)
		rocksdb_close(d->db);
	rocksdb_readoptions_destroy(d->ropts);
	rocksdb_options_destroy(d->opts);
	rocksdb_block_based_options_destroy(d->topts);
	rocksdb_cache_destroy(d->cache);
	if (d->env)
		rocksdb_env_destroy(d->env);
	free(d);
}

int rdb_db_get(struct rdb_db *d, uint32_t k)
{
	char key[RDB_KEY_LEN], want[RDB_VALUE_LEN];
	char *err = NULL, *val;
	size_t len;
	int rc = 0;

	rdb_key(k, key);
	val = rocksdb_get(d->db, d->ropts, key, sizeof(key), &len, &err);
	if (err) {
		report("get %u: %s", k, err);
		rocksdb_free(err);
		return -1;
	}
	rdb_value(k, want);
	if (!val) {
		report("get %u: not found", k);
		rc = -1;
	} else if (len != sizeof(want) || memcmp(val, want, len)) {
		report("get %u: wrong value", k);
		rc = -1;
	}
	rocksdb_free(val);
	return rc;
}

int rdb_db_scan(struct rdb_db *d, uint32_t first, uint32_t n)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(d->db, d->ropts);
	char key[RDB_KEY_LEN], want[RDB_VALUE_LEN];
	const char *p;
	char *err = NULL;
	uint32_t i;
	size_t len;
	int rc = 0;

	rdb_key(first, key);
	rocksdb_iter_seek(it, key, sizeof(key));
	for (i = 0; i < n && rc == 0; i++) {
		if (!rocksdb_iter_valid(it)) {
			report("scan %u+%u: ended after %u keys", first, n, i);
			rc = -1;
			break;
		}
		rdb_key(first + i, key);
		p = rocksdb_iter_key(it, &len);
		if (len != sizeof(key) || memcmp(p, key, len)) {
			report("scan %u+%u: key %u out of order", first, n, i);
			rc = -1;
		}
		rdb_value(first + i, want);
		p = rocksdb_iter_value(it, &len);
		if (rc == 0 && (len != sizeof(want) || memcmp(p, want, len))) {
			report("scan %u+%u: wrong value of key %u", first, n, i);
			rc = -1;
		}
		rocksdb_iter_next(it);
	}
	rocksdb_iter_get_error(it, &err);
	if (err) {
		report("scan %u+%u: %s", first, n, err);
		rocksdb_free(err);
		rc = -1;
	}
	rocksdb_iter_destroy(it);
	return rc;
}
