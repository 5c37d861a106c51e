# shellcheck shell=sh
# Only privileged callers may change enclaves (CAP_SYS_ADMIN).

G=/sys/fs/ghost

privilege_setup() {
	[ -d /sys/module/ghost ] || modprobe ghost || fail "modprobe ghost"
	grep -q " $G ghost " /proc/mounts || mount -t ghost ghost $G
	for d in "$G"/enclave_*; do
		[ -d "$d" ] && echo destroy > "$d/ctl"
	done
	echo create 1 > $G/ctl
	echo 0 > $G/enclave_1/cpulist
}

# An ordinary user is refused by the file modes (EACCES) or the module.
expect_refused() {
	r=$("$@")
	case "$r" in
	EACCES|EPERM) ;;
	*) fail "$* gave $r, expected EACCES or EPERM" ;;
	esac
}

test_unprivileged_user_cannot_change_enclaves() {
	privilege_setup
	expect_refused as_nobody gwrite $G/ctl "create 2"
	expect_refused as_nobody gwrite $G/enclave_1/ctl destroy
	for f in cpulist cpumask runnable_timeout deliver_ticks audit; do
		expect_refused as_nobody gwrite $G/enclave_1/$f "1"
	done
	[ ! -e $G/enclave_2 ] || fail "enclave created by nobody"
	[ -d $G/enclave_1 ] || fail "enclave destroyed by nobody"
}

test_root_without_capabilities_gets_eperm() {
	privilege_setup
	[ "$(as_root_nocaps gwrite $G/ctl "create 2")" = EPERM ] ||
		fail "create by capless root not EPERM"
	[ "$(as_root_nocaps gwrite $G/enclave_1/ctl destroy)" = EPERM ] ||
		fail "destroy by capless root not EPERM"
	for f in cpulist cpumask runnable_timeout deliver_ticks audit; do
		[ "$(as_root_nocaps gwrite $G/enclave_1/$f 1)" = EPERM ] ||
			fail "write of $f by capless root not EPERM"
	done
	[ "$(cat $G/enclave_1/cpulist)" = 0 ] || fail "cpulist changed"
}

test_unprivileged_user_can_read_state() {
	privilege_setup
	as_nobody cat $G/version > /dev/null || fail "version unreadable"
	as_nobody cat $G/enclave_1/status | grep -q "^id 1$" ||
		fail "status unreadable"
	as_nobody ls $G > /dev/null || fail "ls refused"
}

test_unprivileged_user_cannot_mount_ghostfs() {
	privilege_setup
	mkdir -p /tmp/gm
	chmod 777 /tmp/gm
	if as_nobody mount -t ghost ghost /tmp/gm 2>/dev/null; then
		fail "nobody mounted ghostfs"
	fi
}
