# SPDX-License-Identifier: GPL-2.0
#
# The systemd unit and its launcher with the paths of the test VM (where
# the build directory is /ghost/build), so that a VM test can start the
# agent as the unit does.  Included by the top Makefile.

SERVICE_GUEST_BUILD := /ghost/build
# The guest copies one level of each $(O)/test/* directory: the launcher,
# at LIBEXECDIR/ghost/, is $(O)/test/ghost/ghost-agent-service.
SERVICE_TEST := $(O)/test/service/ghost-agent@.service \
	$(O)/test/ghost/ghost-agent-service
SERVICE_GUEST_PATHS := -e 's|@BINDIR@|$(SERVICE_GUEST_BUILD)/bin|g' \
	-e 's|@LIBEXECDIR@|$(SERVICE_GUEST_BUILD)/test|g' \
	-e 's|@SYSCONFDIR@|/etc|g'

USER_TARGETS += $(SERVICE_TEST)

$(O)/test/service/ghost-agent@.service: systemd/ghost-agent@.service.in \
		test/service/service.mk
	@mkdir -p $(dir $@)
	$(Q)sed $(SERVICE_GUEST_PATHS) $< >$@

$(O)/test/ghost/ghost-agent-service: \
		systemd/ghost-agent-service.in test/service/service.mk
	@mkdir -p $(dir $@)
	$(Q)sed $(SERVICE_GUEST_PATHS) $< >$@
	$(Q)chmod 0755 $@
