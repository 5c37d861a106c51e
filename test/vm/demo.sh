#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a stock Debian kernel (lane GHOST_DEMO_LANE, default 6.1) under QEMU
# with ghost.ko built and installed by DKMS, and run test/vm/guest/demo.sh
# in it.  The guest's console is this terminal; the kernel keeps quiet.
# Logs: build/vm/demo/{console,dmesg,dkms,qemu}.log.

set -euo pipefail

# shellcheck source=test/vm/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main()
{
	local lane=${GHOST_DEMO_LANE:-6.1} dir=$VM_OUT/vm/demo rc=0

	vm_need_root
	[[ -x $VM_OUT/bin/ghostctl ]] || vm_die "no $VM_OUT/bin/ghostctl: run make user"
	rm -rf "$dir"
	mkdir -p "$dir"
	vm_lane_setup "$lane" "$dir"

	vm_qemu_cmd "$VM_KVER" "$dir/initramfs.img" \
		"$(vm_append "$lane") quiet loglevel=1 ghostvm.mode=demo"
	vm_msg "booting $VM_KVER under QEMU"
	timeout --foreground "${GHOST_VM_TIMEOUT:-900}" "${VM_QEMU[@]}" \
		-chardev "stdio,id=console,signal=on,logfile=$dir/console.log" \
		-serial chardev:console -serial "file:$dir/results.log" \
		2>"$dir/qemu.log" || rc=$?
	sed -n '/^ghost-vm: dmesg-begin/,/^ghost-vm: dmesg-end/p' \
		"$dir/results.log" | tr -d '\r' >"$dir/dmesg.log"
	if ! grep -q '^ghost-vm: done' "$dir/results.log"; then
		cat "$dir/qemu.log" >&2
		vm_die "the demo did not finish (status $rc); logs in $dir"
	fi
	vm_msg "logs in $dir"
}

main "$@"
