# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of the agent ABI: one program per test/agent/t_*.c,
# each linked with the small test agent library (ghost_test.c), built into
# $(O)/test/agent/.  `t_NAME --list` lists a program's tests, `t_NAME TEST`
# runs one (exit 0 pass, 1 fail, 77 skip), `t_NAME` runs them all.  The VM
# cases test/vm/cases/5*-*.sh run them in the guest.

AGENT_TEST_NAMES := $(sort $(basename $(notdir $(wildcard test/agent/t_*.c))))
AGENT_TESTS := $(AGENT_TEST_NAMES:%=$(O)/test/agent/%)
AGENT_TEST_LIB := $(O)/test/agent/ghost_test.o

USER_TARGETS += $(AGENT_TESTS)

$(AGENT_TESTS): $(O)/test/agent/%: $(O)/test/agent/%.o $(AGENT_TEST_LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^
