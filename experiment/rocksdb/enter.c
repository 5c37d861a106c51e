// SPDX-License-Identifier: GPL-2.0
/*
 * Entering an enclave through libghost.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ghost/libghost.h>

#include "enter.h"

int rdb_enter_enclave(unsigned int id, const char *who)
{
	const char *hint;
	int err;

	if (!id)
		return 0;
	err = ghost_task_enter(id, 0);
	/* EBUSY: in it already, inherited from a thread that was. */
	if (!err || err == -EBUSY)
		return 0;
	hint = ghost_strerror_hint(err, "task");
	fprintf(stderr, "rocksdb_server: %s cannot enter enclave %u: %s%s%s\n",
		who, id, strerror(-err), hint ? ": " : "", hint ? hint : "");
	return err;
}
