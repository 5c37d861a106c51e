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

# The root of a user namespace that nobody made (what a container runtime
# without privileges does) holds every capability in that namespace and
# none in the initial one, where the module checks them: refused, also
# through files real root opened and handed to it, and it cannot mount
# ghostfs.  Each refusal must be the module's or the file modes', never a
# missing tool: the namespace's root must really hold capabilities.
test_user_namespace_root_is_refused() {
	local out

	privilege_setup
	setpriv $GHOST_NOBODY -- unshare -U -r true 2>/dev/null ||
		skip "no user namespaces for unprivileged users"
	mkdir -p /tmp/gm
	chmod 777 /tmp/gm
	# shellcheck disable=SC2086,SC2016 # one option a word; inner $
	out=$(setpriv $GHOST_NOBODY -- unshare -U -r -m /bin/sh -c '
		G=$1
		echo "caps=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)"
		echo "create=$(gwrite -- "$G/ctl" "create 2")"
		echo "cpulist=$(gwrite -- "$G/enclave_1/cpulist" 1)"
		if echo "create 2" >&3; then echo "fd_create=ok"; else echo "fd_create=refused"; fi
		if echo destroy >&4; then echo "fd_destroy=ok"; else echo "fd_destroy=refused"; fi
		if mount -t ghost ghost /tmp/gm; then echo "mount=ok"; else echo "mount=refused"; fi
		' sh "$G" 3>"$G/ctl" 4>"$G/enclave_1/ctl" 2>/dev/null)
	for want in 'caps=0*[1-9a-f][0-9a-f]*' 'create=(EACCES|EPERM)' \
		    'cpulist=(EACCES|EPERM)' fd_create=refused fd_destroy=refused \
		    mount=refused; do
		echo "$out" | grep -Eqx "$want" ||
			fail "user namespace root: want $want, got: $(echo "$out" | tr "\n" " ")"
	done
	[ ! -e $G/enclave_2 ] || fail "enclave created from a user namespace"
	[ -d $G/enclave_1 ] || fail "enclave destroyed from a user namespace"
	[ "$(cat $G/enclave_1/cpulist)" = 0 ] || fail "cpulist changed"
}
