# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: ghost.ko as DKMS installed it loads with modprobe, registers
# its mount point and unloads cleanly; the harness itself drops privileges
# as it says.  See test/vm/guest/lib.sh for how a case file works.

test_module_loads_with_modprobe()
{
	local path taint other

	expect_ok modprobe ghost
	path=$(modinfo -n ghost) || fail "modinfo -n ghost failed"
	case $path in
	*/updates/dkms/ghost.ko*) ;;
	*) fail "ghost.ko comes from $path, not from DKMS's updates/dkms" ;;
	esac
	lsmod | grep -q '^ghost ' || fail "lsmod does not list ghost"

	# O: out-of-tree (4096), E: unsigned (8192); anything else, such as
	# W (512) for a warning, is a bug.
	taint=$(cat /proc/sys/kernel/tainted)
	[ $((taint & 4096)) -ne 0 ] || fail "tainted $taint lacks O (out-of-tree)"
	[ $((taint & 8192)) -ne 0 ] || fail "tainted $taint lacks E (unsigned)"
	other=$((taint & ~(4096 | 8192)))
	[ "$other" -eq 0 ] ||
		fail "kernel tainted $(taint_flags "$other") ($taint) besides O and E"
}

test_module_unloads_cleanly()
{
	ghost_load
	ghost_unload
	! module_loaded || fail "ghost still loaded after rmmod"
	[ ! -e "$GHOST_FS" ] || fail "$GHOST_FS left behind by rmmod"
	expect_ok modprobe ghost
	module_loaded || fail "ghost did not load again"
}

test_ghostfs_mount_point_exists()
{
	module_loaded || expect_ok modprobe ghost
	[ -d "$GHOST_FS" ] || fail "no directory $GHOST_FS after modprobe ghost"
}

test_lockdown_none()
{
	local f=/sys/kernel/security/lockdown

	[ -r "$f" ] || skip "no $f"
	grep -q '\[none\]' "$f" || fail "lockdown is on: $(cat "$f")"
}

test_privilege_helpers_drop_caps()
{
	local caps

	caps=$(as_nobody cat /proc/self/status) || fail "as_nobody failed"
	echo "$caps" | grep -q '^Uid:[[:space:]]*65534[[:space:]]' ||
		fail "as_nobody does not run as uid 65534"
	echo "$caps" | grep -q '^CapEff:[[:space:]]*0*$' ||
		fail "as_nobody keeps capabilities: $(echo "$caps" | grep CapEff)"

	caps=$(as_root_nocaps cat /proc/self/status) || fail "as_root_nocaps failed"
	echo "$caps" | grep -q '^Uid:[[:space:]]*0[[:space:]]' ||
		fail "as_root_nocaps does not run as uid 0"
	echo "$caps" | grep -q '^CapEff:[[:space:]]*0*$' ||
		fail "as_root_nocaps keeps capabilities: $(echo "$caps" | grep CapEff)"
	# A shell (an execve by root) must not get them back either.
	[ "$(as_root_nocaps sh -c 'sh -c "grep CapEff /proc/self/status"' |
		tr -d '[:space:]')" = "CapEff:0000000000000000" ] ||
		fail "as_root_nocaps regains capabilities on execve"
	if as_root_nocaps mount -t tmpfs tmpfs /mnt 2>/dev/null; then
		umount /mnt
		fail "as_root_nocaps may mount (CAP_SYS_ADMIN)"
	fi
}
