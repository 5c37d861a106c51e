# SPDX-License-Identifier: GPL-2.0
# Programs the VM tests run inside the guest: one per test/vm/helpers/*.c,
# built into $(O)/test/vm/.  test/vm/run.sh copies them into the initramfs.

VM_HELPERS := $(sort $(basename $(notdir $(wildcard test/vm/helpers/*.c))))
VM_HELPER_BINS := $(addprefix $(O)/test/vm/,$(VM_HELPERS))

USER_TARGETS += $(VM_HELPER_BINS)

$(VM_HELPER_BINS): $(O)/test/vm/%: $(O)/test/vm/helpers/%.o
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^
