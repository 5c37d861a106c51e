# SPDX-License-Identifier: GPL-2.0
#
# ghost: top-level build.  `make help` lists the targets.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
O ?= build
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
# libghost and its pkg-config file; Debian's package sets the multiarch
# directory.
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
LIBEXECDIR ?= $(PREFIX)/libexec
# ghost-agent looks for policies in ../lib/ghost/policies next to itself,
# so their place follows BINDIR's: not a variable.
GHOSTLIBDIR := $(dir $(BINDIR))lib/ghost
POLICYDIR := $(GHOSTLIBDIR)/policies
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
# Where bash-completion finds a command's completion the first time it is
# needed: share/bash-completion/completions of each of XDG_DATA_DIRS
# (/usr/local/share and /usr/share unless set).
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES := doc/man/ghost_policy.3 doc/man/ghost.7 doc/man/ghost-agent.8 \
	     doc/man/ghostctl.8 doc/man/ghost-sim.1 doc/man/ghost-replay.1

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
CPPFLAGS += -D_GNU_SOURCE -Iinclude/uapi -Iagent/include -Itest/include -DGHOST_PKG_VERSION='"$(VERSION)"'

# Quiet output unless V=1.
ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-8s %s\n'
endif

.PHONY: all help module user install uninstall clean deps check unit vm-check \
	demo dkms-install dkms-src bench experiment deb

all: module user

help:
	@echo 'ghost $(VERSION) targets:'
	@echo '  all           module and user space (default)'
	@echo '  module        ghost.ko for KVER=$(KVER) (KDIR=$(KDIR))'
	@echo '  user          libghost, ghostctl, ghost-agent, policies, simple_exp,'
	@echo '                hint_server, rocksdb_server and test programs into $(O)/'
	@echo '  install       user space, man pages, bash completion and the systemd unit'
	@echo '                ghost-agent@.service into DESTDIR/PREFIX ($(PREFIX))'
	@echo '  uninstall     remove what install put there (same variables)'
	@echo '  deb           Debian packages ghost-dkms, ghost-tools, libghost0,'
	@echo '                libghost-dev into $(O)/deb/'
	@echo '  dkms-install  register, build and install the module with DKMS for KVER'
	@echo '  deps          install build and test dependencies with apt-get'
	@echo '  unit          Check unit tests on this machine'
	@echo '  vm-check      integration tests in QEMU on stock Debian 6.1 and 6.12 kernels'
	@echo '                and on a lockdep + KASAN build of Debian 6.1 (lane 6.1-debug)'
	@echo '  check         deps + unit + deb lane + vm-check (what CI runs)'
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
	@echo '  BINDIR (PREFIX/bin), LIBDIR (PREFIX/lib), INCLUDEDIR, LIBEXECDIR,'
	@echo '  SYSTEMDUNITDIR (PREFIX/lib/systemd/system), SYSCONFDIR (/etc),'
	@echo '  RPATH (-Wl,-rpath,$$ORIGIN/../lib; empty for none),'
	@echo '  MANDIR (PREFIX/share/man), BASH_COMPLETION_DIR'
	@echo '  (PREFIX/share/bash-completion/completions),'
	@echo '  GHOST_CACHE (VM images, the deb lane'"'"'s root; default /var/cache/ghost-vm),'
	@echo '  GHOST_KERNELS (VM lanes, default "6.1 6.12 6.1-debug"),'
	@echo '  GHOST_SKIP_DEBUG=1 (leave out the 6.1-debug lane: quick local runs),'
	@echo '  GHOST_SKIP_VM=1, GHOST_SKIP_DEB=1 (leave out the VM lanes, the deb lane),'
	@echo '  GHOST_VM_PARALLEL=0 (run the debug lane after the others, not beside them),'
	@echo '  GHOST_BENCH_LANE (bench kernel, default 6.1), GHOST_BENCH_REPS (7),'
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
include agent/ghost-sim/ghost-sim.mk
include agent/ghost-replay/ghost-replay.mk
include test/unit/unit.mk
include test/vm/vm.mk
include test/agent/agent.mk
include policies/policies.mk
include test/simple_exp/simple_exp.mk
include test/hint_server/hint_server.mk
include test/service/service.mk
include test/bench/bench.mk
include experiment/rocksdb/rocksdb.mk

user: $(USER_TARGETS)

$(O)/%.o: %.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS_$(notdir $*)) -MMD -MP -c -o $@ $<

# Not those of make deb's own build in $(O)/deb (nor its modprobe.d).
-include $(shell find $(O) -path $(O)/deb -prune -o -name '*.d' -type f \
	-print 2>/dev/null)

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

# What make install puts where; uninstall removes exactly these, then the
# directories of ghost's own that are left empty (never an /etc/ghost that
# still holds an enclave's .conf).
INSTALL_HEADERS := $(wildcard agent/include/ghost/*.h)
INSTALLED_FILES := $(BINDIR)/ghostctl $(BINDIR)/ghost-agent $(BINDIR)/ghost-sim \
	$(BINDIR)/ghost-replay \
	$(addprefix $(POLICYDIR)/,$(notdir $(POLICY_SOS))) \
	$(addprefix $(LIBDIR)/,$(LIBGHOST_SONAME_FILE) $(LIBGHOST_SONAME) \
		libghost.so pkgconfig/libghost.pc) \
	$(addprefix $(INCLUDEDIR)/ghost/,$(notdir $(INSTALL_HEADERS))) \
	$(INCLUDEDIR)/linux/ghost.h \
	$(SYSCONFDIR)/modprobe.d/ghost.conf \
	$(SYSCONFDIR)/ghost/example.conf.sample \
	$(LIBEXECDIR)/ghost/ghost-agent-service \
	$(SYSTEMDUNITDIR)/ghost-agent@.service \
	$(foreach p,$(MAN_PAGES),$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))) \
	$(BASH_COMPLETION_DIR)/ghostctl
INSTALLED_DIRS := $(POLICYDIR) $(GHOSTLIBDIR) $(INCLUDEDIR)/ghost \
	$(LIBEXECDIR)/ghost $(SYSCONFDIR)/ghost

# The paths the systemd unit and its launcher use, as installed.
SUBST_PATHS := -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: user
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/ghost $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(LIBDIR)/pkgconfig
	$(Q)install -m 0755 $(O)/bin/ghostctl $(O)/bin/ghost-agent \
		$(O)/bin/ghost-sim $(O)/bin/ghost-replay $(DESTDIR)$(BINDIR)/
	$(Q)install -d $(DESTDIR)$(POLICYDIR)
	$(Q)install -m 0644 $(POLICY_SOS) $(DESTDIR)$(POLICYDIR)/
	$(Q)install -m 0755 $(O)/lib/$(LIBGHOST_SONAME_FILE) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sf $(LIBGHOST_SONAME_FILE) $(DESTDIR)$(LIBDIR)/$(LIBGHOST_SONAME)
	$(Q)ln -sf $(LIBGHOST_SONAME) $(DESTDIR)$(LIBDIR)/libghost.so
	$(Q)install -m 0644 $(INSTALL_HEADERS) $(DESTDIR)$(INCLUDEDIR)/ghost/
	$(Q)install -m 0644 include/uapi/linux/ghost.h $(DESTDIR)$(INCLUDEDIR)/linux/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		agent/lib/libghost.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libghost.pc
	$(Q)install -d $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	$(Q)install -m 0644 scripts/ghost-modprobe.conf \
		$(DESTDIR)$(SYSCONFDIR)/modprobe.d/ghost.conf
	$(Q)install -d $(DESTDIR)$(SYSCONFDIR)/ghost $(DESTDIR)$(LIBEXECDIR)/ghost \
		$(DESTDIR)$(SYSTEMDUNITDIR)
	$(Q)install -m 0644 systemd/example.conf \
		$(DESTDIR)$(SYSCONFDIR)/ghost/example.conf.sample
	$(Q)sed $(SUBST_PATHS) systemd/ghost-agent-service.in \
		> $(DESTDIR)$(LIBEXECDIR)/ghost/ghost-agent-service
	$(Q)chmod 0755 $(DESTDIR)$(LIBEXECDIR)/ghost/ghost-agent-service
	$(Q)sed $(SUBST_PATHS) systemd/ghost-agent@.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/ghost-agent@.service
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ghost-agent@.service
	$(Q)install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	$(Q)install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	$(Q)install -m 0644 $(filter %.3,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man3/
	$(Q)install -m 0644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man7/
	$(Q)install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -d $(DESTDIR)$(BASH_COMPLETION_DIR)
	$(Q)install -m 0644 agent/ghostctl/ghostctl.bash \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/ghostctl

# Run with the variables given to make install.
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	$(Q)for d in $(addprefix $(DESTDIR),$(INSTALLED_DIRS)); do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done

# Debian packages ghost-dkms, ghost-tools, libghost0, libghost-dev into
# $(O)/deb/, built by dpkg-buildpackage from a copy of the sources.
deb:
	$(Q)./scripts/deb.sh $(O)/deb

clean:
	$(Q)rm -rf $(O)
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null; fi
	$(Q)rm -f module/*.o module/.*.cmd
