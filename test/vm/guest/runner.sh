#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Run the VM test cases (busybox sh): every test_NAME function of
# test/vm/cases/*.sh, case files in sorted order, tests in file order.
# Each test runs in a shell of its own session, killed with all it started
# after GHOST_TEST_TIMEOUT seconds (120).  Before a test, "ghost-test:
# <lane>/<NAME>" goes to /dev/kmsg; after it, the kernel log since then
# must be free of klog-bad.ere, as liburing's runtests.sh checks dmesg.
#
# Verdicts go to GHOST_RESULTS (the results port), each after a line
# "RUN <lane>/<NAME>", as
#   PASS <lane>/<NAME>
#   FAIL <lane>/<NAME>: <reason>
#   SKIP <lane>/<NAME>: <reason>
# GHOST_FILTER, a grep pattern, limits the run to the matching NAMEs.

# shellcheck source=test/vm/guest/lib.sh disable=SC1091
. "${GHOST_DIR:-/ghost}/test/vm/guest/lib.sh"

results=${GHOST_RESULTS:-/dev/stdout}
# What a test may change of the machine, put back after each one.
rt_runtime=$(cat /proc/sys/kernel/sched_rt_runtime_us)
base_timeout_s=${GHOST_TEST_TIMEOUT:-120}
timeout_s=$base_timeout_s
npass=0
nfail=0
nskip=0

verdict()
{
	echo "$*" >>"$results"
	echo "=== $*"
	case $1 in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
}

# The test functions of a case file, in file order.
case_tests()
{
	sed -n 's/^\(test_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$1"
}

# Kill what is left of session $1 once $2 seconds have passed; flag it.
watchdog()
{
	local pid=$1 left=$2 flag=$3

	while kill -0 "$pid" 2>/dev/null; do
		if [ "$left" -le 0 ]; then
			: >"$flag"
			kill -KILL -- "-$pid" 2>/dev/null
			return
		fi
		sleep 1
		left=$((left - 1))
	done
}

# run_one CASE FUNC DIR: run FUNC of CASE in DIR, its output both on the
# console and in DIR.log; sets rc.
run_one()
{
	local case=$1 func=$2 dir=$3 pid tee_pid wd_pid

	mkfifo "$dir.out"
	tee "$dir.log" <"$dir.out" &
	tee_pid=$!
	# shellcheck disable=SC2016 # expanded by the inner shell
	GHOST_CASE=$case setsid sh -c '
		. "$GHOST_DIR/test/vm/guest/lib.sh"
		. "$GHOST_CASE"
		cd "$1" || exit 1
		"$2"' sh "$dir" "$func" >"$dir.out" 2>&1 </dev/null &
	pid=$!
	watchdog "$pid" "$timeout_s" "$dir.timeout" &
	wd_pid=$!
	wait "$pid"
	rc=$?
	# Anything the test left running goes with it.
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$wd_pid" "$tee_pid"
	rm -f "$dir.out"
}

# The first kernel log line of this test that fails it.
klog_splat()
{
	test_klog | grep -E -f "$GHOST_BAD_KLOG" | head -n 1
}

run_test()
{
	local case=$1 func=$2 name id dir reason splat factor

	name=${func#test_}
	id=$GHOST_LANE/$name
	if [ -n "${GHOST_FILTER:-}" ] && ! echo "$name" | grep -q -e "$GHOST_FILTER"; then
		return
	fi
	echo "=== RUN $id (${case##*/})"
	echo "RUN $id" >>"$results"
	export GHOST_TEST_ID="$id"
	echo "ghost-test: $id" >/dev/kmsg
	dir=$(mktemp -d /tmp/ghost-test.XXXXXX)
	# A long test says so in its case: "# timeout-factor NAME N".
	factor=$(sed -n "s/^# timeout-factor $name \([0-9][0-9]*\)\$/\1/p" "$case")
	timeout_s=$((base_timeout_s * ${factor:-1}))
	# test/agent programs give up on a test a little before this does.
	export GT_TEST_TIMEOUT=$((timeout_s > 40 ? timeout_s - 20 : timeout_s))
	run_one "$case" "$func" "$dir"
	echo "$rt_runtime" >/proc/sys/kernel/sched_rt_runtime_us

	reason=$(grep -v '^[[:space:]]*$' "$dir.log" | tail -n 1)
	splat=$(klog_splat)
	if [ -e "$dir.timeout" ]; then
		verdict FAIL "$id: timed out after $timeout_s s"
	elif [ -n "$splat" ]; then
		verdict FAIL "$id: kernel log: $splat"
	elif [ "$rc" -eq 0 ]; then
		verdict PASS "$id"
	elif [ "$rc" -eq 77 ]; then
		verdict SKIP "$id: ${reason:-skipped}"
	else
		verdict FAIL "$id: ${reason:-exit status $rc}"
	fi
	rm -rf "$dir" "$dir.log" "$dir.timeout"
}

# A name defined twice would be two tests under one name: refuse.
check_unique()
{
	local dups

	dups=$(for c in "$@"; do case_tests "$c"; done | sort | uniq -d)
	[ -z "$dups" ] && return 0
	for d in $dups; do
		verdict FAIL "$GHOST_LANE/${d#test_}: defined in more than one case file"
	done
	return 1
}

main()
{
	local cases case func

	cases=$(find "$GHOST_DIR/test/vm/cases" -name '*.sh' | sort)
	# shellcheck disable=SC2086 # no spaces in case file names
	check_unique $cases || return 1
	for case in $cases; do
		for func in $(case_tests "$case"); do
			run_test "$case" "$func"
		done
	done
	echo "=== $GHOST_LANE: $npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
}

main "$@"
