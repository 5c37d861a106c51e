#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Integration tests of ghost on stock Debian kernels under QEMU (TCG).
#
# For each lane of GHOST_KERNELS ("6.1 6.12 6.1-debug"): fetch the lane's
# kernel, build and install ghost.ko with DKMS, pack it with the user-space
# build and test/vm/ into an initramfs, boot it, and collect the verdicts of
# test/vm/cases/*.sh (see test/vm/guest/runner.sh).  Each lane adds tests
# of its own: setup (kernel fetched, DKMS build, initramfs), boot (the
# runner started), kernel-log-clean (no splat in the console log or the
# final dmesg) and vm-completed (the guest got to the end: no panic, no
# timeout).
#
# The lane 6.1-debug runs the same tests on a lockdep + KASAN build of Debian's 6.1
# sources (debug-kernel.sh builds and caches it), with ghost.ko built
# against its build tree instead of DKMS: a locking mistake that is a hang
# on the stock kernels is a report there, which fails kernel-log-clean.
#
# Prints every verdict, per-lane durations, and last the line
# "N passed, N failed[, N skipped]"; exits 1 if anything failed.  Logs stay
# in build/vm/<lane>/.
#
# Environment: GHOST_KERNELS, GHOST_CACHE, GHOST_SKIP_DEBUG=1 (no debug
# lanes; see kernels.sh), GHOST_VM_TIMEOUT (seconds per lane, 1200),
# GHOST_TEST_TIMEOUT (seconds per test, 120), GHOST_DEBUG_SLOWDOWN (a debug
# lane's timeouts are this many times those, 2; its lane timeout 1.5 times
# that again), GHOST_VM_FILTER (grep
# pattern of test names to run), GHOST_VM_SMP (4), GHOST_VM_MEM (2G),
# GHOST_VM_ACCEL (tcg,thread=single; see lib.sh), GHOST_VM_PARALLEL (1: the
# debug lanes run beside the others; default 1 with two host CPUs or more).

set -euo pipefail

# shellcheck source=test/vm/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

vm_timeout=${GHOST_VM_TIMEOUT:-1200}
test_timeout=${GHOST_TEST_TIMEOUT:-120}
npass=0
nfail=0
nskip=0
durations=()

verdict()
{
	local status=$1

	shift
	echo "$status $*"
	case $status in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
}

# lane_secs LANE SECONDS: a timeout for LANE.  Lockdep and the other checks
# of a debug lane's kernel slow its guest down: the whole run a little,
# some tests several times.
lane_secs()
{
	local lane=$1 secs=$2

	if debug_kernel_is_lane "$lane"; then
		echo $((secs * ${GHOST_DEBUG_SLOWDOWN:-2}))
	else
		echo "$secs"
	fi
}

# The timeout of LANE's whole guest.  A debug lane's is half as long again
# as its tests' slowdown: it runs beside the stock lanes, on a host that
# may be busy.
vm_lane_timeout()
{
	local lane=$1 secs

	secs=$(lane_secs "$lane" "$vm_timeout")
	debug_kernel_is_lane "$lane" && secs=$((secs * 3 / 2))
	echo "$secs"
}

# Kernel log lines in FILE that fail kernel-log-clean: the console's
# timestamped kernel lines, or everything between the dmesg markers.
bad_klog()
{
	local file=$1 what=$2

	[[ -f $file ]] || return 0
	tr -d '\r' <"$file" |
	if [[ $what == console ]]; then
		grep -E '^\[ *[0-9]+\.[0-9]+\] '
	else
		sed -n '/^ghost-vm: dmesg-begin$/,/^ghost-vm: dmesg-end$/p'
	fi | grep -E -f "$(vm_bad_klog)" || true
}

# Why the guest did not finish: the qemu status and the console tell.
unfinished_reason()
{
	local rc=$1 console=$2 secs=$3

	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		echo "timed out after $secs s"
	elif grep -q 'Kernel panic' "$console" 2>/dev/null; then
		grep -m 1 'Kernel panic' "$console" | tr -d '\r'
	elif [[ $rc -ne 0 ]]; then
		echo "qemu exited with status $rc"
	else
		echo "the guest stopped before the end of its run"
	fi
}

show_logs()
{
	local dir=$1

	echo "---- last 50 lines of $dir/console.log"
	tr -d '\r' <"$dir/console.log" | tail -n 50
	echo "---- logs: $(echo "$dir"/*.log)"
}

# Set up the lane and boot it; the guest's verdicts go to results.log.
boot_lane()
{
	local lane=$1 dir=$2 append rc=0 secs

	secs=$(vm_lane_timeout "$lane")
	append="$(vm_append "$lane") loglevel=7"
	[[ -z ${GHOST_VM_FILTER:-} ]] || append+=" ghostvm.filter=$GHOST_VM_FILTER"
	append+=" ghostvm.timeout=$(lane_secs "$lane" "$test_timeout")"
	vm_qemu_cmd "$(cat "$dir/kver")" "$dir/initramfs.img" "$append"
	vm_msg "$lane: booting $(cat "$dir/kver") (timeout $secs s)"
	timeout -k 10 "$secs" "${VM_QEMU[@]}" \
		-serial "file:$dir/console.log" -serial "file:$dir/results.log" \
		</dev/null >"$dir/qemu.log" 2>&1 || rc=$?
	echo "$rc"
}

# Report the verdicts of one lane from its logs.
report_lane()
{
	local lane=$1 dir=$2 rc=$3 results bad boot_s reason line running=

	results=$(tr -d '\r' <"$dir/results.log" 2>/dev/null || true)
	boot_s=$(sed -n 's/^ghost-vm: runner-start \([0-9.]*\)$/\1/p' <<<"$results")
	if [[ -n $boot_s ]]; then
		verdict PASS "$lane/boot"
		echo "$lane: booted to the runner in $boot_s s"
	else
		verdict FAIL "$lane/boot: the test runner never started"
	fi

	while read -r line; do
		if [[ $line =~ ^RUN\ (.*)$ ]]; then
			running=${BASH_REMATCH[1]}
		elif [[ $line =~ ^(PASS|FAIL|SKIP)\ ([^ :]+)(:\ .*)?$ ]]; then
			verdict "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
			running=
		fi
	done <<<"$results"
	# The guest died in the middle of this one.
	[[ -z $running ]] || verdict FAIL "$running: never finished"

	bad=$( (bad_klog "$dir/console.log" console
		bad_klog "$dir/results.log" dmesg) | sort -u | head -n 20)
	if [[ -z $bad ]]; then
		verdict PASS "$lane/kernel-log-clean"
	else
		verdict FAIL "$lane/kernel-log-clean: $(wc -l <<<"$bad") bad line(s):"
		while read -r line; do
			echo "    $line"
		done <<<"$bad"
	fi

	if grep -qx 'ghost-vm: done' <<<"$results" && [[ $rc -eq 0 ]]; then
		verdict PASS "$lane/vm-completed"
	else
		reason=$(unfinished_reason "$rc" "$dir/console.log" \
			"$(vm_lane_timeout "$lane")")
		verdict FAIL "$lane/vm-completed: $reason"
	fi
}

run_lane()
{
	local lane=$1 dir=$VM_OUT/vm/$1 start=$SECONDS failed_before=$nfail rc

	rm -rf "$dir"
	mkdir -p "$dir"
	# A subshell of its own keeps `set -e` in force in the setup.
	set +e
	(
		set -e
		vm_lane_setup "$lane" "$dir"
		echo "$VM_KVER" >"$dir/kver"
	)
	rc=$?
	set -e
	if [[ $rc -ne 0 ]]; then
		verdict FAIL "$lane/setup: $(cat "$dir/step" 2>/dev/null ||
			echo "setting up the lane") failed"
	else
		verdict PASS "$lane/setup"
		rc=$(boot_lane "$lane" "$dir")
		report_lane "$lane" "$dir" "$rc"
		[[ $nfail -eq $failed_before ]] || show_logs "$dir"
	fi
	durations+=("$lane: $((SECONDS - start)) s")
}

build_user()
{
	vm_msg "make user"
	if ! make -C "$VM_ROOT" --no-print-directory user; then
		verdict FAIL "user-build: make user failed"
		return 1
	fi
	if [[ ! -x $VM_OUT/bin/ghostctl ]]; then
		verdict FAIL "user-build: make user made no $VM_OUT/bin/ghostctl"
		return 1
	fi
}

summary()
{
	local d line

	for d in "${durations[@]}"; do
		echo "lane $d"
	done
	line="$npass passed, $nfail failed"
	[[ $nskip -eq 0 ]] || line+=", $nskip skipped"
	echo "$line"
}

# run_lanes LANE...: one lane after another.
run_lanes()
{
	local lane

	for lane in "$@"; do
		run_lane "$lane"
	done
}

# run_beside OUT LANE...: run the lanes in the background, their output in
# OUT, their counts and durations in OUT.counts when they are done.
run_beside()
{
	local out=$1

	shift
	# The subshell's counts are its own: join_beside adds them to ours.
	# shellcheck disable=SC2030
	(
		npass=0 nfail=0 nskip=0 durations=()
		run_lanes "$@"
		{
			echo "counts $npass $nfail $nskip"
			[[ ${#durations[@]} -eq 0 ]] ||
				printf 'duration %s\n' "${durations[@]}"
		} >"$out.counts"
	) >"$out" 2>&1 &
}

# Add what a lane run by run_beside printed, and counted, to ours.
join_beside()
{
	local out=$1 pid=$2 lanes=$3 key a b c

	wait "$pid" || true
	cat "$out"
	if [[ ! -s $out.counts ]]; then
		verdict FAIL "$lanes: the background run ended without its counts"
		return
	fi
	# shellcheck disable=SC2031
	while read -r key a b c; do
		case $key in
		counts)
			npass=$((npass + a))
			nfail=$((nfail + b))
			nskip=$((nskip + c))
			;;
		duration) durations+=("$a $b $c") ;;
		esac
	done <"$out.counts"
}

# GHOST_VM_PARALLEL=1 (the default with two host CPUs or more): a debug
# lane, whose guest is the slowest by far, runs beside the stock lanes.
# Each single-threaded TCG guest keeps one host CPU busy, so this takes
# the stock lanes' time off the run's.
parallel_lanes()
{
	local p=${GHOST_VM_PARALLEL:-}

	[[ -n $p ]] || { [[ $(nproc) -ge 2 ]] && p=1 || p=0; }
	[[ $p == 1 ]]
}

main()
{
	local lane stock=() debug=() out pid

	vm_need_root
	if build_user; then
		for lane in $(kernels_lanes); do
			if debug_kernel_is_lane "$lane"; then
				debug+=("$lane")
			else
				stock+=("$lane")
			fi
		done
		if [[ ${#debug[@]} -gt 0 && ${#stock[@]} -gt 0 ]] &&
				parallel_lanes; then
			mkdir -p "$VM_OUT/vm"
			out=$VM_OUT/vm/beside.out
			rm -f "$out" "$out.counts"
			vm_msg "${debug[*]} runs beside ${stock[*]}; its output follows theirs (GHOST_VM_PARALLEL=0: one lane at a time)"
			run_beside "$out" "${debug[@]}"
			pid=$!
			run_lanes "${stock[@]}"
			join_beside "$out" "$pid" "${debug[*]}"
		else
			run_lanes "${stock[@]}" "${debug[@]}"
		fi
	fi
	summary
	[[ $nfail -eq 0 ]]
}

main "$@"
