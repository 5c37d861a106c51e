# SPDX-License-Identifier: GPL-2.0
#
# Scheduling policies: one plugin $(O)/policies/<name>.so per
# policies/<name>.c, loaded by ghost-agent.  A policy depends on libc and
# the headers <ghost/policy.h> (and the <ghost/app_hint.h> it includes),
# <ghost/policy_util.h> only, and exports
# the one symbol "ghost_policy".  Included by the top Makefile.

POLICY_NAMES := biff cfs edf fifo_centralized fifo_per_cpu sol shinjuku
POLICY_SOS := $(POLICY_NAMES:%=$(O)/policies/%.so)
POLICY_CFLAGS := -fPIC -fvisibility=hidden

USER_TARGETS += $(POLICY_SOS)

$(O)/policies/%.pic.o: policies/%.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(POLICY_CFLAGS) -MMD -MP -c -o $@ $<

$(POLICY_SOS): $(O)/policies/%.so: $(O)/policies/%.pic.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -o $@ $<
