# SPDX-License-Identifier: GPL-2.0
#
# ghost: top-level build.  `make help` lists the targets.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
O ?= build
PREFIX ?= /usr/local
DESTDIR ?=
MANDIR ?= $(PREFIX)/share/man
# Where bash-completion finds a command's completion the first time it is
# needed: share/bash-completion/completions of each of XDG_DATA_DIRS
# (/usr/local/share and /usr/share unless set).
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES := doc/man/ghost_policy.3 doc/man/ghost.7 doc/man/ghost-agent.8 \
	     doc/man/ghostctl.8

# Warnings are errors in CI (CI=true) or with WERROR=1.
ifneq ($(CI)$(WERROR),)
WERROR_FLAG := -Werror
KBUILD_WERROR := GHOST_WERROR=y
endif

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	  -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
	  $(WERROR_FLAG)
CPPFLAGS += -D_GNU_SOURCE -Iinclude/uapi -Iagent/include -DGHOST_PKG_VERSION='"$(VERSION)"'

# Quiet output unless V=1.
ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-8s %s\n'
endif

.PHONY: all help module user install clean deps check unit vm-check demo \
	dkms-install dkms-src bench experiment

all: module user

help:
	@echo 'ghost $(VERSION) targets:'
	@echo '  all           module and user space (default)'
	@echo '  module        ghost.ko for KVER=$(KVER) (KDIR=$(KDIR))'
	@echo '  user          libghost, ghostctl, ghost-agent, policies, simple_exp, hint_server and test programs into $(O)/'
	@echo '  install       user space, man pages and bash completion into'
	@echo '                DESTDIR/PREFIX ($(PREFIX))'
	@echo '  dkms-install  register, build and install the module with DKMS for KVER'
	@echo '  deps          install build and test dependencies with apt-get'
	@echo '  unit          Check unit tests on this machine'
	@echo '  vm-check      integration tests in QEMU on stock Debian 6.1 and 6.12 kernels'
	@echo '                and on a lockdep + KASAN build of Debian 6.1 (lane 6.1-debug)'
	@echo '  check         deps + unit + vm-check (what CI runs)'
	@echo '  demo          boot a stock kernel in QEMU and walk through ghost'
	@echo '  bench         boot one stock kernel in QEMU (multi-threaded TCG) and'
	@echo '                measure ghost against CFS in the same boot: latency'
	@echo '                microbenchmarks, ping-pong, sched_yield, group commit,'
	@echo '                simple_exp, policy hot-swap blackout ($(O)/bench/report.md,'
	@echo '                plots and every sample; not part of check)'
	@echo '  experiment    the RocksDB experiment in QEMU on 6.1 and 6.12: CFS, CFS'
	@echo '                pinned, shinjuku with hints and fifo_centralized over a'
	@echo '                sweep of loads, and an antagonist; calibrated in the VM'
	@echo '                ($(O)/experiment/report.md, plots, every request; about'
	@echo '                40 min on 2 cores; not part of check)'
	@echo '  clean         remove build outputs'
	@echo 'Variables: KVER, KDIR, O, V=1 (verbose), WERROR=1, PREFIX, DESTDIR,'
	@echo '  MANDIR (PREFIX/share/man), BASH_COMPLETION_DIR'
	@echo '  (PREFIX/share/bash-completion/completions),'
	@echo '  GHOST_CACHE (VM image cache, default /var/cache/ghost-vm),'
	@echo '  GHOST_KERNELS (VM lanes, default "6.1 6.12 6.1-debug"),'
	@echo '  GHOST_SKIP_DEBUG=1 (leave out the 6.1-debug lane: quick local runs),'
	@echo '  GHOST_BENCH_LANE (bench kernel, default 6.1), GHOST_BENCH_REPS (5),'
	@echo '  GHOST_BENCH_SWAPS (50), GHOST_BENCH_SCALE (1), GHOST_BENCH_SAMPLES (1000),'
	@echo '  GHOST_BENCH_CPUS, GHOST_BENCH_RT_RUNTIME, GHOST_BENCH_BOOTS (README),'
	@echo '  GHOST_EXP_KERNELS ("6.1 6.12"), GHOST_EXP_LOADS, GHOST_EXP_DURATION (5),'
	@echo '  GHOST_EXP_KEYS, GHOST_EXP_SLICE_US, GHOST_EXP_WORKERS, GHOST_EXP_ANT_LOAD,'
	@echo '  GHOST_EXP_SLO_SCANS (test/vm/experiment.sh)'

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "module: no kernel headers at $(KDIR);" \
		     "install linux-headers-$(KVER) or set KDIR=" >&2; exit 1; fi
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_WERROR) \
		$(if $(filter 1,$(V)),V=1,) modules

include agent/agent.mk
include test/unit/unit.mk
include test/vm/vm.mk
include test/agent/agent.mk
include policies/policies.mk
include test/simple_exp/simple_exp.mk
include test/hint_server/hint_server.mk
include test/bench/bench.mk
include experiment/rocksdb/rocksdb.mk

user: $(USER_TARGETS)

$(O)/%.o: %.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS_$(notdir $*)) -MMD -MP -c -o $@ $<

-include $(shell find $(O) -name '*.d' 2>/dev/null)

deps:
	$(Q)./scripts/install-deps.sh

unit: $(UNIT_TESTS) $(UNIT_SCRIPT_DEPS)
	$(Q)O=$(O) ./test/unit/run.sh $(UNIT_TESTS) $(UNIT_SCRIPTS)

vm-check: user
	$(Q)./test/vm/run.sh

check: deps
	$(Q)./test/run-all.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory user
	$(Q)./test/vm/demo.sh

# Only the bench's lane: its headers, not those of every test lane.
bench:
	$(Q)GHOST_KERNELS="$${GHOST_BENCH_LANE:-6.1}" ./scripts/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory user
	$(Q)./test/vm/bench.sh

# The experiment's lanes only.
experiment:
	$(Q)GHOST_KERNELS="$${GHOST_EXP_KERNELS:-6.1 6.12}" ./scripts/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory user
	$(Q)./test/vm/experiment.sh

dkms-src:
	$(Q)./scripts/dkms.sh stage

dkms-install:
	$(Q)./scripts/dkms.sh install $(KVER)

install: user
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/ghost $(DESTDIR)$(PREFIX)/include/linux \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig
	$(Q)install -m 0755 $(O)/bin/ghostctl $(O)/bin/ghost-agent \
		$(DESTDIR)$(PREFIX)/bin/
	$(Q)install -d $(DESTDIR)$(PREFIX)/lib/ghost/policies
	$(Q)install -m 0644 $(POLICY_SOS) $(DESTDIR)$(PREFIX)/lib/ghost/policies/
	$(Q)install -m 0755 $(O)/lib/$(LIBGHOST_SONAME_FILE) $(DESTDIR)$(PREFIX)/lib/
	$(Q)ln -sf $(LIBGHOST_SONAME_FILE) $(DESTDIR)$(PREFIX)/lib/$(LIBGHOST_SONAME)
	$(Q)ln -sf $(LIBGHOST_SONAME) $(DESTDIR)$(PREFIX)/lib/libghost.so
	$(Q)install -m 0644 agent/include/ghost/*.h $(DESTDIR)$(PREFIX)/include/ghost/
	$(Q)install -m 0644 include/uapi/linux/ghost.h $(DESTDIR)$(PREFIX)/include/linux/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		agent/lib/libghost.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libghost.pc
	$(Q)install -d $(DESTDIR)/etc/modprobe.d
	$(Q)install -m 0644 scripts/ghost-modprobe.conf $(DESTDIR)/etc/modprobe.d/ghost.conf
	$(Q)install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8
	$(Q)install -m 0644 $(filter %.3,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man3/
	$(Q)install -m 0644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man7/
	$(Q)install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -d $(DESTDIR)$(BASH_COMPLETION_DIR)
	$(Q)install -m 0644 agent/ghostctl/ghostctl.bash \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/ghostctl

clean:
	$(Q)rm -rf $(O)
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null; fi
	$(Q)rm -f module/*.o module/.*.cmd
