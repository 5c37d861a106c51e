# SPDX-License-Identifier: GPL-2.0
#
# hint_server, an example server whose workers publish application hints
# (runnable while they serve a request, idle while they wait), built to
# $(O)/bin/hint_server.  Included by the top Makefile.

HINT_SERVER := $(O)/bin/hint_server
HINT_SERVER_OBJS := $(O)/test/hint_server/hint_server.o

USER_TARGETS += $(HINT_SERVER)

$(HINT_SERVER): $(HINT_SERVER_OBJS) $(LIBGHOST_LINKS)
	$(quiet) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(HINT_SERVER_OBJS) \
		-L$(O)/lib -lghost -lpthread -Wl,-rpath,'$$ORIGIN/../lib'
