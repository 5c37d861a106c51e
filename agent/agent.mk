# SPDX-License-Identifier: GPL-2.0
#
# libghost (shared library), ghostctl and ghost-agent; included by the top
# Makefile.

LIBGHOST_SONAME := libghost.so.0
LIBGHOST_SONAME_FILE := libghost.so.0.1

LIBGHOST_SRCS := $(addprefix agent/lib/,agent.c agent_sock.c caps.c cpulist.c \
		 app_hint.c dispatch.c enclave.c file.c hint.c latency.c module.c policy.c queue.c status.c sw.c \
		 task.c topology.c txn.c version.c)
LIBGHOST_MAP := agent/lib/libghost.map
LIBGHOST_LIBS := -lnuma -lkmod -lcap -ldl
LIBGHOST := $(O)/lib/$(LIBGHOST_SONAME_FILE)
LIBGHOST_LINKS := $(O)/lib/$(LIBGHOST_SONAME) $(O)/lib/libghost.so
# Position-independent objects for the shared library; the plain ones
# ($(LIBGHOST_OBJS)) are linked statically into the unit tests.
LIBGHOST_PIC_OBJS := $(LIBGHOST_SRCS:%.c=$(O)/pic/%.o)
LIBGHOST_OBJS := $(LIBGHOST_SRCS:%.c=$(O)/%.o)

# The side-effect free part of ghostctl, also unit-tested.
GHOSTCTL_CLI_SRCS := $(addprefix agent/ghostctl/,cli.c help.c output.c \
		     program.c view.c)
GHOSTCTL_CLI_OBJS := $(GHOSTCTL_CLI_SRCS:%.c=$(O)/%.o)
GHOSTCTL_SRCS := $(GHOSTCTL_CLI_SRCS) agent/ghostctl/agent_cmd.c \
		 agent/ghostctl/enclave_cmd.c agent/ghostctl/watch_cmd.c \
		 agent/ghostctl/main.c
GHOSTCTL_OBJS := $(GHOSTCTL_SRCS:%.c=$(O)/%.o)
GHOSTCTL := $(O)/bin/ghostctl

# The daemon that runs policies.
GHOST_AGENT_SRCS := $(addprefix agent/ghost-agent/,control.c hints.c instance.c main.c \
		    runtime.c swap.c) agent/record/recorder.c
GHOST_AGENT_OBJS := $(GHOST_AGENT_SRCS:%.c=$(O)/%.o)
GHOST_AGENT := $(O)/bin/ghost-agent

USER_TARGETS += $(LIBGHOST) $(LIBGHOST_LINKS) $(GHOSTCTL) $(GHOST_AGENT)

# --record (agent/record/recorder.h).
$(GHOST_AGENT_OBJS): CPPFLAGS += -Iagent/record

$(O)/pic/%.o: %.c
	$(quiet) CC $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC $(EXTRA_CFLAGS_$(notdir $*)) \
		-MMD -MP -c -o $@ $<

$(LIBGHOST): $(LIBGHOST_PIC_OBJS) $(LIBGHOST_MAP)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIBGHOST_SONAME) \
		-Wl,--version-script,$(LIBGHOST_MAP) -Wl,--no-undefined \
		-o $@ $(LIBGHOST_PIC_OBJS) $(LIBGHOST_LIBS)

$(O)/lib/$(LIBGHOST_SONAME): $(LIBGHOST)
	$(quiet) LN $@
	$(Q)ln -sfn $(LIBGHOST_SONAME_FILE) $@

$(O)/lib/libghost.so: $(O)/lib/$(LIBGHOST_SONAME)
	$(quiet) LN $@
	$(Q)ln -sfn $(LIBGHOST_SONAME) $@

# $ORIGIN/../lib finds libghost both in $(O) and after make install.
# RPATH= for none (libghost in a directory ld.so searches).
RPATH ?= -Wl,-rpath,'$$ORIGIN/../lib'

$(GHOSTCTL): $(GHOSTCTL_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(GHOSTCTL_OBJS) \
		-L$(O)/lib -lghost $(RPATH)

$(GHOST_AGENT): $(GHOST_AGENT_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(GHOST_AGENT_OBJS) \
		-L$(O)/lib -lghost -lpthread $(RPATH)
