# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Helpers for the VM test cases (busybox sh), sourced before each case file.
#
# A case file test/vm/cases/NN-topic.sh only defines functions.  Each one
# named test_NAME, defined as "test_NAME()" at the start of a line, is one
# test, reported as <lane>/NAME.  It runs in its own shell, in an empty
# temporary directory, as root with every capability.  It passes when it
# returns 0, fails when it exits or returns anything else (fail and the
# expect_* helpers exit 1; the last line it printed is the reason), and is
# skipped with exit 77 (skip).  It also fails when the kernel logged a
# line matching klog-bad.ere while it ran.
#
# Variables: lane (6.1, 6.12), kver (uname -r), GHOST_FS (/sys/fs/ghost).
# PATH has the user-space build (ghostctl) and the helpers of test/vm/helpers
# (gwrite); modprobe and friends are kmod's, setpriv is util-linux's.

GHOST_DIR=${GHOST_DIR:-/ghost}
GHOST_FS=/sys/fs/ghost
# shellcheck disable=SC2034 # for the runner and the case files
GHOST_BAD_KLOG=$GHOST_DIR/test/vm/guest/klog-bad.ere
GHOST_LANE=${GHOST_LANE:-unknown}
# shellcheck disable=SC2034
lane=$GHOST_LANE
# shellcheck disable=SC2034
kver=$(uname -r)

# Busybox runs its own applets before anything in PATH, in its shell and
# in applets that run commands (env, setsid, timeout, xargs).  These are
# the real tools, for the tests' shells; elsewhere give the full path.
modprobe() { /usr/sbin/modprobe "$@"; }
rmmod() { /usr/sbin/rmmod "$@"; }
insmod() { /usr/sbin/insmod "$@"; }
lsmod() { /usr/sbin/lsmod "$@"; }
modinfo() { /usr/sbin/modinfo "$@"; }
depmod() { /usr/sbin/depmod "$@"; }
setpriv() { /usr/bin/setpriv "$@"; }

# Drop every capability: the bounding and inheritable sets (so execve
# gives nothing back) and, with SECBIT_NOROOT, root's special treatment.
GHOST_NOCAPS="--inh-caps=-all --ambient-caps=-all --bounding-set=-all"
GHOST_NOROOT="--securebits=+noroot,+noroot_locked"
GHOST_NOBODY="--reuid=65534 --regid=65534 --clear-groups"

fail()
{
	echo "$*" >&2
	exit 1
}

skip()
{
	echo "$*" >&2
	exit 77
}

# expect_ok CMD...: CMD succeeds.
expect_ok()
{
	"$@" || fail "'$*' failed with status $?"
}

# expect_exit CODE CMD...: CMD exits with CODE.
expect_exit()
{
	local want=$1 rc

	shift
	"$@"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want"
}

# expect_usage MSG CMD...: CMD is a usage error (status 2) that says MSG
# on stderr.
expect_usage()
{
	local msg=$1 rc

	shift
	"$@" >usage.out 2>usage.err
	rc=$?
	[ "$rc" -eq 2 ] || fail "'$*' exited $rc, want 2: $(cat usage.err)"
	grep -qF -e "$msg" usage.err || fail "'$*': $(cat usage.err)"
}

# expect_errno ERRNAME FILE STRING: one write() of STRING to FILE fails
# with ERRNAME (EINVAL, EPERM, ...), or succeeds for ERRNAME "OK".
expect_errno()
{
	local want=$1 file=$2 str=$3 got

	got=$(gwrite -- "$file" "$str" 2>/dev/null)
	[ "$got" = "$want" ] ||
		fail "write \"$str\" to $file: got ${got:-nothing}, want $want"
}

is_function()
{
	case $(type "$1" 2>/dev/null) in
	*function*) return 0 ;;
	esac
	return 1
}

# Run "$@" through setpriv with the options in $1.  A shell function (such
# as expect_errno) runs in a new shell that knows the helpers and the case
# file, and its failure fails the test; a command just returns its status.
run_setpriv()
{
	local opts=$1

	shift
	if is_function "$1"; then
		# shellcheck disable=SC2086,SC2016 # one option a word; inner $
		setpriv $opts -- /bin/sh -c '
			. "$GHOST_DIR/test/vm/guest/lib.sh"
			[ -z "$GHOST_CASE" ] || . "$GHOST_CASE"
			"$@"' sh "$@" || exit $?
	else
		# shellcheck disable=SC2086
		setpriv $opts -- "$@"
	fi
}

# as_nobody CMD...: CMD as uid/gid 65534 with no capabilities.
as_nobody()
{
	run_setpriv "$GHOST_NOBODY $GHOST_NOCAPS" "$@"
}

# as_root_nocaps CMD...: CMD as uid 0 with no capabilities, not even
# after an execve.
as_root_nocaps()
{
	run_setpriv "$GHOST_NOCAPS $GHOST_NOROOT" "$@"
}

# CapEff of the calling process, in hex.
cap_eff()
{
	sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status
}

module_loaded()
{
	[ -d /sys/module/ghost ]
}

ghostfs_mounted()
{
	grep -q " $GHOST_FS ghost " /proc/mounts
}

# Load ghost.ko (once) and mount ghostfs.
ghost_load()
{
	module_loaded || expect_ok modprobe ghost
	ghostfs_mounted || expect_ok mount -t ghost ghost "$GHOST_FS"
}

# Unmount ghostfs and unload ghost.ko, if they are there.  Threads that
# left a destroyed enclave drop their module references as they finish
# exiting: give them a few seconds.
ghost_unload()
{
	local _

	! ghostfs_mounted || expect_ok umount "$GHOST_FS"
	for _ in $(seq 1 50); do
		module_loaded || return 0
		rmmod ghost 2>/dev/null && return 0
		sleep 0.1
	done
	# Still in use: say by what before failing.
	grep '^ghost ' /proc/modules >&2
	ls "$GHOST_FS" 2>&1 >&2
	for _ in /proc/[0-9]*/fd/*; do
		case $(readlink "$_" 2>/dev/null) in
		*ghost*) echo "$_ -> $(readlink "$_")" >&2 ;;
		esac
	done
	grep -l ghost /proc/[0-9]*/maps 2>/dev/null >&2
	ps -o pid,ppid,stat,comm >&2
	expect_ok rmmod ghost
}

# The agent of the test, started by start_agent.
AGENT_PID=

# start_agent OUT ARGS...: ghost-agent ARGS in the background, its output
# in OUT.out/OUT.err; returns once it printed its readiness line.
start_agent()
{
	local out=$1

	shift
	# Emptied here, not by the redirection below: that one happens in
	# the child, and the loop may read an earlier agent's readiness line
	# before it.
	: >"$out.out"
	: >"$out.err"
	ghost-agent "$@" >"$out.out" 2>"$out.err" &
	AGENT_PID=$!
	for _ in $(seq 1 60); do
		grep -q '^ghost-agent: ready: ' "$out.out" 2>/dev/null && return 0
		kill -0 "$AGENT_PID" 2>/dev/null ||
			fail "ghost-agent $* exited: $(cat "$out.err")"
		sleep 0.5
	done
	fail "ghost-agent $* not ready after 30 s: $(cat "$out.err")"
}

# stop_agent PID: SIGINT, and it must exit 0.
stop_agent()
{
	local rc

	kill -INT "$1"
	wait "$1"
	rc=$?
	[ "$rc" -eq 0 ] || fail "ghost-agent exited $rc after SIGINT"
}

# simple_exp_in ID ARGS...: simple_exp inside enclave ID; must pass.
simple_exp_in()
{
	local id=$1

	shift
	if ! SIMPLE_EXP_ON_TIMEOUT="$(stuck_dump "$id" "$PWD/stuck.txt")" \
		ghostctl run "$id" -- simple_exp "$@" >simple_exp.log 2>&1; then
		[ ! -e stuck.txt ] || cat stuck.txt
		fail "simple_exp failed: $(grep -v ': pass' simple_exp.log | tail -3)"
	fi
}

# stuck_dump ID FILE: a command that writes to FILE what enclave ID and
# its agent hold, for a workload that timed out to run while its threads
# are still stuck.
stuck_dump()
{
	echo "exec >$2 2>&1; echo '--- enclave $1 when it timed out'" \
		"; cat $GHOST_FS/enclave_$1/status; ghostctl status --threads $1" \
		"; ghostctl --json status $1" \
		"; for t in \$(cut -d' ' -f1 $GHOST_FS/enclave_$1/tasks); do" \
		"echo \$t \$(grep -h '^State\|^Cpus_allowed_list' /proc/*/task/\$t/status);" \
		"done; ghostctl --json top $1 --count 1 --interval 0.2" \
		"; echo '--- agent threads (kernel stacks)'" \
		"; for d in \$(pidof ghost-agent); do for t in /proc/\$d/task/*; do" \
		"echo \$t \$(cat \$t/comm) \$(grep -h '^State' \$t/status)" \
		"\$(cat \$t/wchan); cat \$t/stack; done; done" \
		"; echo '--- end'"
}

# A loaded ghost with no enclave left over, and every CPU online (a
# hotplug test that failed half-way may have left one offline).
clean_ghost()
{
	local d

	for d in /sys/devices/system/cpu/cpu[0-9]*/online; do
		[ "$(cat "$d")" = 1 ] || echo 1 >"$d"
	done
	ghost_load
	for d in "$GHOST_FS"/enclave_*; do
		[ ! -d "$d" ] || echo destroy >"$d/ctl"
	done
}

# A centralized agent that must never stop (deadlines): its CPU given to
# ghost as the README says, no real-time throttling (6.1 stops the agent
# for 50 ms of every second otherwise).  The runner restores the sysctl.
rt_unthrottled()
{
	echo -1 >/proc/sys/kernel/sched_rt_runtime_us ||
		fail "cannot turn real-time throttling off"
}

# no_watchdog ID: turn the runnable watchdog of enclave ID off.
no_watchdog()
{
	expect_ok ghostctl enclave set "$1" --runnable-timeout 0 >/dev/null
}

# The kernel log since this test started.
test_klog()
{
	dmesg | awk -v m="ghost-test: $GHOST_TEST_ID" '
		substr($0, length($0) - length(m) + 1) == m { n = 0; next }
		{ line[n++] = $0 }
		END { for (i = 0; i < n; i++) print line[i] }'
}

# Names of the bits set in /proc/sys/kernel/tainted (P, W, O, E, ...).
taint_flags()
{
	local t=$1 letters="P F S R M B U D A W C I O E L K X T N" bit=0 out="" l

	for l in $letters; do
		[ $((t >> bit & 1)) -eq 0 ] || out="$out$l"
		bit=$((bit + 1))
	done
	echo "$out"
}

# agent_test PROGRAM TEST: in a clean ghost (loaded, mounted, no enclave
# left over), run one test of a test/agent/ program; its exit status (0,
# 1 or 77) is the verdict, its last line the reason.
agent_test()
{
	PATH=$PATH:$GHOST_DIR/build/test/agent
	command -v "$1" >/dev/null ||
		fail "$1 is not in the guest (build/test/agent not staged)"
	clean_ghost
	"$@"
}

# audit_on ID: the module's audit of enclave ID samples from now on.
audit_on()
{
	gwrite "$GHOST_FS/enclave_$1/audit" 1 >/dev/null ||
		fail "cannot turn the audit of enclave $1 on"
}

# status_key ID KEY: a value of enclave ID's status file.
status_key()
{
	sed -n "s/^$2 //p" "$GHOST_FS/enclave_$1/status"
}

# check_audit ID: samples were taken, and none found a violation.
check_audit()
{
	local id=$1 samples bad

	samples=$(status_key "$id" audit_samples)
	bad=$(status_key "$id" audit_violations)
	echo "audit: $samples samples, ${bad:-?} violations"
	[ "${samples:-0}" -gt 0 ] || fail "the audit took no sample"
	[ "$bad" = 0 ] ||
		fail "$bad audit samples found user code without a commit, last in thread $(status_key "$id" audit_last_violator)"
}

# Is this the lockdep + KASAN lane?  Its guest is several times slower:
# heavy tests do less there.
debug_lane()
{
	case $lane in
	*-debug) return 0 ;;
	esac
	return 1
}
