# SPDX-License-Identifier: GPL-2.0
#
# ghost-replay: a recording of ghost-agent --record fed again to a policy
# plugin, with no kernel.  The recording code (agent/record) is shared
# with ghost-agent, which writes what ghost-replay reads.  Included by the
# top Makefile.

GHOST_RECORDER_OBJS := $(O)/agent/record/recorder.o
GHOST_RECFILE_OBJS := $(O)/agent/record/recfile.o
GHOST_REPLAY_LIB_OBJS := $(GHOST_RECFILE_OBJS) $(O)/agent/ghost-replay/replay.o
GHOST_REPLAY := $(O)/bin/ghost-replay
GHOST_REPLAY_OBJS := $(O)/agent/ghost-replay/main.o $(GHOST_REPLAY_LIB_OBJS)

USER_TARGETS += $(GHOST_REPLAY)

$(GHOST_REPLAY_OBJS) $(GHOST_RECORDER_OBJS): CPPFLAGS += -Iagent/record

$(GHOST_REPLAY): $(GHOST_REPLAY_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(GHOST_REPLAY_OBJS) \
		-L$(O)/lib -lghost $(RPATH)
