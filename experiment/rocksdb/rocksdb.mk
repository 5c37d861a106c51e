# SPDX-License-Identifier: GPL-2.0
#
# rocksdb_server, the server and load generator of the RocksDB experiment
# (experiment/rocksdb/README.md), built to $(O)/bin/rocksdb_server when
# RocksDB's C headers are installed (librocksdb-dev, which
# scripts/install-deps.sh installs).  Included by the top Makefile.

RDB_HAVE := $(shell echo '\#include <rocksdb/c.h>' | \
	      $(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo y)
RDB_CFLAGS := $(shell pkg-config --cflags rocksdb 2>/dev/null)
RDB_LIBS := $(shell pkg-config --libs rocksdb 2>/dev/null || echo -lrocksdb)

RDB_SRCS := $(wildcard experiment/rocksdb/*.c)
RDB_OBJS := $(RDB_SRCS:%.c=$(O)/%.o)
RDB_SERVER := $(O)/bin/rocksdb_server

ifeq ($(RDB_HAVE),y)
USER_TARGETS += $(RDB_SERVER)
UNIT_SCRIPT_DEPS += $(RDB_SERVER)
endif
# Without RocksDB the test fails, saying what to install.
UNIT_SCRIPTS += test/unit/test_rocksdb.sh

$(RDB_OBJS): CPPFLAGS += $(RDB_CFLAGS)

$(RDB_SERVER): $(RDB_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(RDB_OBJS) \
		-L$(O)/lib -lghost $(RDB_LIBS) -lm -lpthread \
		-Wl,-rpath,'$$ORIGIN/../lib'
