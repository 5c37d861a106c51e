# SPDX-License-Identifier: GPL-2.0
#
# ghost-sim: a policy plugin on the kernel model of the unit tests, with no
# kernel.  The model (test/unit/sim.c) is built a second time here, with
# its assertions turned into reports (agent/ghost-sim/sim_check.h), so that
# the tests and the tool share one source.  Linked with libghost's objects
# as the tests are: the model uses the queue and dispatch code the shared
# library keeps local.  Included by the top Makefile.

GHOST_SIM := $(O)/bin/ghost-sim
GHOST_SIM_OBJS := $(O)/agent/ghost-sim/main.o $(O)/agent/ghost-sim/workload.o \
		  $(O)/agent/ghost-sim/sim.o

USER_TARGETS += $(GHOST_SIM)

$(O)/agent/ghost-sim/sim.o: test/unit/sim.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -DGHOST_SIM_TOOL -Iagent/ghost-sim $(CFLAGS) \
		-MMD -MP -c -o $@ $<

$(GHOST_SIM): $(GHOST_SIM_OBJS) $(LIBGHOST_OBJS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(GHOST_SIM_OBJS) $(LIBGHOST_OBJS) \
		$(LIBGHOST_LIBS)
