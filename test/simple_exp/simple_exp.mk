# SPDX-License-Identifier: GPL-2.0
#
# simple_exp, ghOSt's hello-world workload, built to $(O)/bin/simple_exp.
# Included by the top Makefile.

SIMPLE_EXP := $(O)/bin/simple_exp
SIMPLE_EXP_OBJS := $(O)/test/simple_exp/simple_exp.o

USER_TARGETS += $(SIMPLE_EXP)

$(SIMPLE_EXP): $(SIMPLE_EXP_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SIMPLE_EXP_OBJS) \
		-L$(O)/lib -lghost -lpthread $(RPATH)
