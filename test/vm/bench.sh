#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boot one stock Debian kernel (lane GHOST_BENCH_LANE, 6.1)
# under QEMU with multi-threaded TCG, so that the vCPUs run in parallel,
# with ghost.ko built and installed by DKMS; run test/vm/guest/bench.sh in
# it (ghostvm.mode=bench) and turn the samples it sends on the results
# port into $O/bench/report.md: the microbenchmarks of test/bench next to
# their CFS baselines (median, p99, max, ratios), group-commit scaling,
# simple_exp's wall time under CFS and under ghost-agent with each shipped
# policy, and the blackout of policy hot swaps, with gnuplot plots.
#
# Timings are printed, never judged: it exits 1 only when something did
# not run (a benchmark, an agent, a swap, the VM itself), and says what.
# QEMU 7.2's multi-threaded TCG now and then runs stale code while the
# guest patches its text, a spurious "int3" oops (about 1 boot in 20):
# such a boot is retried, up to GHOST_BENCH_BOOTS times, and the report
# says so.  Output in $O/bench/: report.md, plots/*.png, samples/*.txt
# (every sample, in ns, one a line), results.txt (every line the guest
# sent), and the VM's console.log, dmesg.log, dkms.log and qemu.log.
#
# Environment: GHOST_BENCH_LANE (6.1), GHOST_BENCH_REPS (simple_exp runs
# per scheduler, 7), GHOST_BENCH_SWAPS (50), GHOST_BENCH_SCALE (simple_exp
# -n, 1), GHOST_BENCH_SAMPLES (per microbenchmark series, 1000),
# GHOST_BENCH_CPUS (the enclave, default 1 to the last vCPU),
# GHOST_BENCH_RT_RUNTIME (the guest's sched_rt_runtime_us, default the
# kernel's), GHOST_BENCH_BOOTS (3), GHOST_VM_SMP (4), GHOST_VM_MEM (2G),
# GHOST_VM_ACCEL (tcg,thread=multi), GHOST_VM_TIMEOUT (seconds a boot may
# take, 1800).

set -euo pipefail

# shellcheck source=test/vm/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/vm/bench-report.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/bench-report.sh"

bench_msg()
{
	echo "bench: $*" >&2
}

# bench_uint NAME VALUE MIN: VALUE, a whole number of at least MIN.
bench_uint()
{
	local name=$1 val=$2 min=$3

	[[ $val =~ ^[0-9]+$ && $val -ge $min ]] ||
		vm_die "$name must be a whole number >= $min, not '$val'"
	echo "$val"
}

# Why the guest did not finish, as run.sh tells it.
unfinished()
{
	local rc=$1

	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		echo "the VM timed out after $timeout_s s (GHOST_VM_TIMEOUT)"
	elif grep -q 'Kernel panic' "$dir/console.log" 2>/dev/null; then
		echo "the guest kernel panicked:" \
			"$(grep -m 1 'Kernel panic' "$dir/console.log" | tr -d '\r')"
	elif [[ $rc -ne 0 ]]; then
		echo "QEMU exited with status $rc"
	else
		echo "the guest stopped before the end of its run"
	fi
}

# The spurious oops of QEMU's multi-threaded TCG (see the top).
int3_oops()
{
	grep -Eq '(Oops: )?int3: [0-9a-f]{4} \[#' "$dir/console.log" 2>/dev/null
}

# boot N: one boot of the bench VM; its status in rc.
boot()
{
	local n=$1

	rc=0
	bench_msg "booting $VM_KVER under QEMU (-accel $GHOST_VM_ACCEL," \
		"$smp vCPUs), boot $n of at most $boots"
	timeout --foreground "$timeout_s" "${VM_QEMU[@]}" \
		-chardev "stdio,id=console,signal=on,logfile=$dir/console.log" \
		-serial chardev:console -serial "file:$dir/results.log" \
		</dev/null 2>"$dir/qemu.log" || rc=$?
}

# Boot until a boot ends without the spurious int3 oops, at most $boots
# times; the console of each such boot is kept as console.N.log.
boot_retrying()
{
	local n

	retried=()
	for ((n = 1; n <= boots; n++)); do
		rm -f "$dir/results.log" "$dir/console.log"
		boot "$n"
		grep -q '^ghost-vm: done' "$dir/results.log" 2>/dev/null &&
			return 0
		int3_oops || return 0
		mv "$dir/console.log" "$dir/console.$n.log"
		retried+=("$n")
		bench_msg "boot $n died of the spurious int3 oops of" \
			"multi-threaded TCG (console.$n.log)"
	done
}

# Split the guest's results: samples/SERIES.txt, samples.txt (the other
# lines), dmesg.log.
split_results()
{
	[[ -e $dir/results.log ]] || : >"$dir/results.log"
	tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
	sed -n '/^ghost-vm: dmesg-begin/,/^ghost-vm: dmesg-end/p' \
		"$dir/results.txt" >"$dir/dmesg.log"
	sed -n 's/^bench: //p' "$dir/results.txt" | grep -v '^sample ' \
		>"$samples" || true
	mkdir -p "$dir/samples"
	sed -n 's/^bench: sample //p' "$dir/results.txt" | awk -v d="$dir/samples" '
		{ f = d "/" $1 ".txt"; for (i = 2; i <= NF; i++) print $i > f }'
}

main()
{
	local append failures=() f bad load_before load_after

	vm_need_root
	[[ -x $VM_OUT/bin/ghostctl ]] || vm_die "no $VM_OUT/bin/ghostctl: run make user"
	start=$SECONDS
	lane=${GHOST_BENCH_LANE:-6.1}
	reps=$(bench_uint GHOST_BENCH_REPS "${GHOST_BENCH_REPS:-7}" 1)
	swaps=$(bench_uint GHOST_BENCH_SWAPS "${GHOST_BENCH_SWAPS:-50}" 1)
	scale=$(bench_uint GHOST_BENCH_SCALE "${GHOST_BENCH_SCALE:-1}" 1)
	nsamples=$(bench_uint GHOST_BENCH_SAMPLES "${GHOST_BENCH_SAMPLES:-1000}" 1)
	boots=$(bench_uint GHOST_BENCH_BOOTS "${GHOST_BENCH_BOOTS:-3}" 1)
	timeout_s=$(bench_uint GHOST_VM_TIMEOUT "${GHOST_VM_TIMEOUT:-1800}" 1)
	# The agent's CPU, and an enclave of at least two for a centralized
	# policy and the microbenchmarks' agent, thread and waker.
	smp=$(bench_uint GHOST_VM_SMP "${GHOST_VM_SMP:-4}" 3)
	cpus=${GHOST_BENCH_CPUS:-1-$((smp - 1))}
	[[ $cpus =~ ^[0-9,-]+$ ]] ||
		vm_die "GHOST_BENCH_CPUS: a CPU list like 1-3, not '$cpus'"
	rt_runtime=${GHOST_BENCH_RT_RUNTIME:-}
	[[ -z $rt_runtime || $rt_runtime =~ ^(-1|[0-9]+)$ ]] ||
		vm_die "GHOST_BENCH_RT_RUNTIME: -1 or microseconds, not '$rt_runtime'"
	export GHOST_VM_ACCEL=${GHOST_VM_ACCEL:-tcg,thread=multi}
	export GHOST_VM_SMP=$smp

	dir=$VM_OUT/bench
	samples=$dir/samples.txt
	rm -rf "$dir"
	mkdir -p "$dir"
	vm_lane_setup "$lane" "$dir"

	# An oops ends the boot at once (it would leave the run invalid).
	append="$(vm_append "$lane" tsc) quiet loglevel=1 oops=panic"
	append+=" ghostvm.mode=bench ghostvm.bench_reps=$reps"
	append+=" ghostvm.bench_swaps=$swaps ghostvm.bench_scale=$scale"
	append+=" ghostvm.bench_cpus=$cpus ghostvm.bench_samples=$nsamples"
	[[ -z $rt_runtime ]] || append+=" ghostvm.bench_rt_runtime=$rt_runtime"
	append+=" ghostvm.bench_host_cpus=$(nproc)"
	vm_qemu_cmd "$VM_KVER" "$dir/initramfs.img" "$append"

	load_before=$(cat /proc/loadavg)
	boot_start=$SECONDS
	boot_retrying
	boot_s=$((SECONDS - boot_start))
	load_after=$(cat /proc/loadavg)
	split_results

	report_md "$load_before" "$load_after" >"$dir/report.md"
	plots || bench_msg "note: gnuplot failed, see $dir/plots/gnuplot.log"
	echo
	cat "$dir/report.md"
	echo

	while IFS= read -r f; do
		failures+=("$f")
	done < <(sed -n 's/^fail //p' "$samples")
	if ! grep -q '^ghost-vm: done' "$dir/results.log"; then
		failures+=("$(unfinished "$rc")")
		cat "$dir/qemu.log" >&2
	elif ! grep -q '^info end' "$samples"; then
		failures+=("the guest's bench.sh stopped early (see $dir/console.log)")
	fi
	bad=$(grep -E -c -f "$(vm_bad_klog)" "$dir/dmesg.log" || true)
	[[ $bad -eq 0 ]] ||
		bench_msg "note: the guest kernel logged $bad suspicious" \
			"line(s), see $dir/dmesg.log"

	bench_msg "report in $dir/report.md, plots in $dir/plots," \
		"samples in $dir/samples, VM logs in $dir"
	if [[ ${#failures[@]} -gt 0 ]]; then
		for f in "${failures[@]}"; do
			bench_msg "did not run: $f"
		done
		bench_msg "FAILED: ${#failures[@]} step(s) did not run;" \
			"took $(duration $((SECONDS - start)))"
		exit 1
	fi
	bench_msg "$(summary_line); took $(duration $((SECONDS - start)))"
}

main "$@"
