# SPDX-License-Identifier: GPL-2.0
#
# The microbenchmarks of `make bench` (test/vm/guest/bench.sh runs them in
# the guest): one program per test/bench/*.c but samples.c, which they all
# link, built into $(O)/test/bench/.  Those that drive an enclave as an
# agent also link the test agent library (test/agent/ghost_test.c).
# Each prints raw samples for test/vm/bench.sh (see samples.h).

BENCH_NAMES := $(filter-out samples,$(sort $(basename $(notdir \
	$(wildcard test/bench/*.c)))))
BENCH_PROGS := $(BENCH_NAMES:%=$(O)/test/bench/%)
BENCH_AGENT_PROGS := $(addprefix $(O)/test/bench/,commit_to_run futex_wake \
	wakeup_to_msg group_commit null_ioctl)
BENCH_LIB := $(O)/test/bench/samples.o

USER_TARGETS += $(BENCH_PROGS)

$(filter-out $(BENCH_AGENT_PROGS),$(BENCH_PROGS)): $(O)/test/bench/%: \
		$(O)/test/bench/%.o $(BENCH_LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^

$(BENCH_AGENT_PROGS): $(O)/test/bench/%: $(O)/test/bench/%.o $(BENCH_LIB) \
		$(AGENT_TEST_LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^
