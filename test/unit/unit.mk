# SPDX-License-Identifier: GPL-2.0
#
# Check unit tests of libghost, ghostctl's command line, the policy loader,
# the policies and ghost-agent's control socket and swap; included by the
# top Makefile.  The tests link the
# library objects statically so they can reach internals that the shared
# library keeps local.  The policy tests load the policies of $(O)/policies
# and tiny test plugins (test/unit/plugins/*.c) built next to the tests.

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

UNIT_NAMES := test_abi test_cpulist test_version test_status test_enclave test_cli \
	      test_hint test_app_hint test_ring test_txn test_dispatch test_task test_policy_loader \
	      test_policy_util \
	      test_fifo_per_cpu test_fifo_centralized test_sol test_shinjuku test_cfs test_edf test_biff \
	      test_policy_swap test_watch \
	      test_agent test_man_example test_record
UNIT_TESTS := $(UNIT_NAMES:%=$(O)/test/unit/%)
UNIT_OBJS := $(UNIT_NAMES:%=$(O)/test/unit/%.o) $(O)/test/unit/sim.o
UNIT_LINK_OBJS := $(LIBGHOST_OBJS) $(GHOSTCTL_CLI_OBJS) $(O)/test/unit/sim.o

# Plugins that are good or broken in one way each, for the loader and the
# agent's swap.
UNIT_PLUGIN_NAMES := broken_lifo crash_init describe fail_init good import_fails missing_callback \
		     no_symbol old_abi short_table wrong_abi
UNIT_PLUGINS := $(UNIT_PLUGIN_NAMES:%=$(O)/test/unit/plugins/%.so)

# test_agent runs ghost-agent's parts but main(), and ghostctl's calls of
# the agent, in-process.
UNIT_AGENT_OBJS := $(filter-out %/main.o,$(GHOST_AGENT_OBJS)) \
		   $(O)/agent/ghostctl/agent_cmd.o $(O)/agent/ghostctl/enclave_cmd.o
$(O)/test/unit/test_agent: $(UNIT_AGENT_OBJS)
$(O)/test/unit/test_agent: UNIT_EXTRA_OBJS := $(UNIT_AGENT_OBJS)

# test_record records with ghost-agent's recorder and replays with
# ghost-replay's engine, in-process and with the tool.
UNIT_RECORD_OBJS := $(GHOST_RECORDER_OBJS) $(GHOST_REPLAY_LIB_OBJS)
$(O)/test/unit/test_record: $(UNIT_RECORD_OBJS) $(GHOST_REPLAY)
$(O)/test/unit/test_record: UNIT_EXTRA_OBJS := $(UNIT_RECORD_OBJS)
$(O)/test/unit/test_record.o: CPPFLAGS += -Iagent/record -Iagent/ghost-replay \
	-DGHOST_TEST_BIN_DIR='"$(abspath $(O))/bin"'

$(UNIT_OBJS): CPPFLAGS += -Iagent/lib -Iagent/ghostctl -Iagent/ghost-agent \
	$(CHECK_CFLAGS) \
	-DGHOST_TEST_POLICY_DIR='"$(abspath $(O))/policies"' \
	-DGHOST_TEST_PLUGIN_DIR='"$(abspath $(O))/test/unit/plugins"'

$(UNIT_TESTS): $(O)/test/unit/%: $(O)/test/unit/%.o $(UNIT_LINK_OBJS) \
		$(UNIT_PLUGINS) $(O)/policies/fifo_per_cpu.so \
		$(O)/policies/fifo_centralized.so $(O)/policies/sol.so \
		$(O)/policies/shinjuku.so $(O)/policies/cfs.so \
		$(O)/policies/edf.so $(O)/policies/biff.so
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_EXTRA_OBJS) $(UNIT_LINK_OBJS) \
		$(CHECK_LIBS) $(LIBGHOST_LIBS) -lpthread

$(UNIT_PLUGINS): $(O)/test/unit/plugins/%.so: test/unit/plugins/%.c \
		test/unit/plugins/plugin.h agent/include/ghost/policy.h
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -shared \
		-o $@ $<

# The example policy of ghost_policy(3), taken from the page as it is
# printed and built with the tests' warnings: test_man_example runs it.
MAN_EXAMPLE := $(O)/test/unit/plugins/man_example.so
$(O)/test/unit/test_man_example: $(MAN_EXAMPLE)

$(O)/test/unit/plugins/man_example.c: doc/man/ghost_policy.3 \
		test/unit/man-example.sh
	$(quiet) GEN $@
	@mkdir -p $(dir $@)
	$(Q)./test/unit/man-example.sh $< >$@.tmp && mv $@.tmp $@

$(MAN_EXAMPLE): $(O)/test/unit/plugins/man_example.c \
		agent/include/ghost/policy.h agent/include/ghost/policy_util.h
	$(quiet) CC $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -shared \
		-Wl,--no-undefined -o $@ $<

# Shell tests of the man pages, of ghostctl's bash completion, of the
# systemd unit and its launcher, and of make install and uninstall.  They
# report as Check does, so that run.sh counts them with the rest; the man
# page test reads the --help of the programs built here, the install test
# installs them.
UNIT_SCRIPTS := test/unit/test_man.sh test/unit/test_completion.sh \
		test/unit/test_service.sh test/unit/test_install.sh \
		test/unit/test_ghost_sim.sh test/unit/test_vm_cases.sh
UNIT_SCRIPT_DEPS := $(USER_TARGETS)
