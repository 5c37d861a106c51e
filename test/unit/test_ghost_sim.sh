#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of ghost-sim: every shipped policy runs the workloads of
# test/unit/workloads with no violation (work conservation checked for
# the policies that promise it, shares for cfs, a slice bound for
# shinjuku); a policy broken on purpose (plugins/broken_lifo.c) is caught
# starving threads and asking for one thread on two CPUs, fifo_per_cpu's
# queues are caught leaving a CPU idle, and runs are deterministic.  Bad
# workload files and options are refused with a message and status 2.
# Reports as Check does (shtest.sh).
# Usage: O=BUILD test/unit/test_ghost_sim.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
O=${O:-build}
sim=$O/bin/ghost-sim
pol=$O/policies
wl=test/unit/workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_ghost_sim.sh ghost_sim

# ghost-sim ARGS... must exit 0 and report no violation.
passes()
{
	local out

	out=$("$sim" "$@" 2>&1) || { echo "ghost-sim $*: $out"; return 1; }
	grep -q ', 0 violation(s)$' <<<"$out" || { echo "$out"; return 1; }
}

# ghost-sim ARGS... must exit 1 and print a line matching PATTERN (first).
catches()
{
	local pattern=$1 out rc

	shift
	out=$("$sim" "$@" 2>&1)
	rc=$?
	((rc == 1)) || { echo "exit $rc, not 1: $out"; return 1; }
	grep -qE "$pattern" <<<"$out" || { echo "no '$pattern' in: $out"; return 1; }
}

# ghost-sim ARGS... must refuse with status 2 and say MESSAGE.
refuses()
{
	local msg=$1 out rc

	shift
	out=$("$sim" "$@" 2>&1)
	rc=$?
	((rc == 2)) || { echo "exit $rc, not 2: $out"; return 1; }
	grep -qF -- "$msg" <<<"$out" || { echo "no '$msg' in: $out"; return 1; }
}

test_policy()
{
	local p=$1 idle=(--check idle) w

	# Its queues are per CPU and nothing is stolen: not work conserving.
	[[ $p == fifo_per_cpu ]] && idle=()
	for w in mixed affinity requests; do
		passes "${idle[@]}" "$pol/$p.so" "$wl/$w.wl" || return 1
	done
}

test_cfs_shares()
{
	passes --check shares=0.05 "$pol/cfs.so" "$wl/shares.wl"
}

test_shinjuku_slice()
{
	passes --check slice=100 --check idle "$pol/shinjuku.so" "$wl/requests.wl"
}

test_fifo_not_preemptive()
{
	catches 'ran [0-9]+ us past its slice' --check slice=100 \
		"$pol/fifo_centralized.so" "$wl/requests.wl"
}

test_fifo_shares_wrong()
{
	catches 'nice 5\) got 0\.0% of the CPU time, its weight says 24\.7%' \
		--check shares "$pol/fifo_per_cpu.so" "$wl/shares.wl"
}

# FIFO order is deadline order when every thread is due the same time after
# it arrives; not when short requests due soon arrive behind long ones.
test_deadline_order()
{
	passes --check deadline "$pol/fifo_centralized.so" "$wl/same_deadline.wl" ||
		return 1
	catches 'runs on CPU [12] while thread [0-9]+ with an earlier deadline' \
		--check deadline "$pol/fifo_centralized.so" "$wl/deadlines.wl"
}

test_per_cpu_idles()
{
	catches 'CPU 1 idle for 3 steps while thread [0-9]+ may run there' \
		--check idle "$pol/fifo_per_cpu.so" "$wl/requests.wl"
}

test_broken_starves()
{
	printf 'cpus 1\nduration_ms 1500\nthread count=3\n' >"$tmp/one.wl"
	catches 'thread 0 runnable for 1000 ms without running' \
		"$O/test/unit/plugins/broken_lifo.so" "$tmp/one.wl"
}

test_broken_two_cpus()
{
	catches 'asked to run on two CPUs in one round' \
		"$O/test/unit/plugins/broken_lifo.so" "$wl/mixed.wl"
}

test_deterministic()
{
	local a b

	a=$("$sim" --describe --seed 5 "$pol/cfs.so" "$wl/mixed.wl") || return 1
	b=$("$sim" --describe --seed 5 "$pol/cfs.so" "$wl/mixed.wl") || return 1
	[[ $a == "$b" ]] || { echo "two runs differ"; return 1; }
	grep -q '^thread 0 state=' <<<"$a" || { echo "no describe: $a"; return 1; }
	b=$("$sim" --describe --seed 6 "$pol/cfs.so" "$wl/mixed.wl") || return 1
	[[ $a != "$b" ]] || { echo "the seed changes nothing"; return 1; }
}

test_bad_input()
{
	local bad

	bad=(
		"thread count=0|bad thread word: 'count=0'"
		"thread nice=20|bad thread word: 'nice=20'"
		"thread nice=-21|bad thread word: 'nice=-21'"
		"thread affinity=16|bad thread word: 'affinity=16'"
		"thread affinity=3-1|bad thread word: 'affinity=3-1'"
		"thread run_us=99999999999999|bad thread word"
		"thread sleep_us=5|sleep_us needs run_us"
		"thread bogus=1|bad thread word: 'bogus=1'"
		"thread deadline_us=0|bad thread word: 'deadline_us=0'"
		"thread run_us|bad thread word: 'run_us'"
		"cpus 0|unknown directive or bad value: 'cpus'"
		"cpus 2 3|expected one value after: 'cpus'"
		"cpu 2|unknown directive or bad value: 'cpu'"
		"seed -1|unknown directive or bad value: 'seed'"
		"cpus 2|no thread line"
		"global_cpu 3\nthread|global_cpu is not below cpus"
		"thread count=200\nthread count=100|more threads than the model holds"
	)
	for b in "${bad[@]}"; do
		printf '%b\n' "${b%%|*}" >"$tmp/bad.wl"
		refuses "${b#*|}" "$pol/cfs.so" "$tmp/bad.wl" || return 1
	done
	printf 'thread\001\n' >"$tmp/bad.wl"
	refuses "not printable ASCII" "$pol/cfs.so" "$tmp/bad.wl" || return 1
	head -c 600 /dev/zero | tr '\0' 'x' >"$tmp/bad.wl"
	refuses "line longer than 512 bytes" "$pol/cfs.so" "$tmp/bad.wl" || return 1
	refuses "cannot open" "$pol/cfs.so" "$tmp/none.wl" || return 1
	refuses "must be a path" cfs.so "$wl/mixed.wl" || return 1
	refuses "cannot read policy" "$tmp/none.so" "$wl/mixed.wl" || return 1
	refuses "bad --check 'slice=0'" --check slice=0 "$pol/cfs.so" "$wl/mixed.wl" || return 1
	refuses "bad --check 'shares=1.5'" --check shares=1.5 "$pol/cfs.so" "$wl/mixed.wl" || return 1
	refuses "bad --seed" --seed x "$pol/cfs.so" "$wl/mixed.wl" || return 1
	refuses "the policy's init failed" --opt bogus=1 "$pol/cfs.so" "$wl/mixed.wl" || return 1
	refuses "usage:" "$pol/cfs.so" || return 1
}

test_help()
{
	"$sim" --help | grep -q '^usage: ghost-sim' || return 1
}

for p in fifo_per_cpu fifo_centralized sol shinjuku cfs; do
	st_run "policy_$p" test_policy "$p"
done
st_run cfs_shares test_cfs_shares
st_run shinjuku_slice test_shinjuku_slice
st_run fifo_not_preemptive test_fifo_not_preemptive
st_run fifo_shares_wrong test_fifo_shares_wrong
st_run deadline_order test_deadline_order
st_run per_cpu_idles test_per_cpu_idles
st_run broken_starves test_broken_starves
st_run broken_two_cpus test_broken_two_cpus
st_run deterministic test_deterministic
st_run bad_input test_bad_input
st_run help test_help
st_report
