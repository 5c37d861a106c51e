#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boot one stock Debian kernel (lane GHOST_BENCH_LANE, 6.1)
# under QEMU with ghost.ko built and installed by DKMS, run
# test/vm/guest/bench.sh in it (ghostvm.mode=bench) and turn the samples it
# sends on the results port into tables: simple_exp's wall time under CFS
# and under ghost-agent with each shipped policy, the blackout of policy
# hot swaps, and t_latency's latency table.
#
# Timings are printed, never judged: it exits 1 only when something did
# not run (a simple_exp, an agent, a swap, t_latency, the VM itself), and
# says what.  The guest's progress is shown as it runs.  Output in
# $O/bench/: report.txt (the tables), samples.txt (every sample), and the
# VM's console.log, results.log, dmesg.log, dkms.log and qemu.log.
#
# Environment: GHOST_BENCH_LANE (6.1), GHOST_BENCH_REPS (simple_exp runs
# per scheduler, 5), GHOST_BENCH_SWAPS (50), GHOST_BENCH_SCALE (simple_exp
# -n, 1), GHOST_BENCH_CPUS (the enclave, default 1 to the last vCPU),
# GHOST_VM_SMP (4), GHOST_VM_MEM (2G), GHOST_VM_ACCEL (tcg,thread=single),
# GHOST_VM_TIMEOUT (seconds for the whole boot, 1800).

set -euo pipefail

# shellcheck source=test/vm/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

# The value of KEY in the samples' "info KEY VALUE..." line.
info()
{
	awk -v k="$1" '$1 == "info" && $2 == k {
		sub(/^info [^ ]+ /, ""); print; exit }' "$samples"
}

# Numbers on stdin -> "n median min max p90" (p90 by nearest rank), or
# nothing when there are none.
stats()
{
	sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (!NR)
				exit
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p = int(NR * 0.9)
			if (p < NR * 0.9)
				p++
			printf "%d %.1f %.1f %.1f %.1f\n", NR, med, v[1], v[NR], v[p]
		}'
}

# The schedulers simple_exp runs under, as the guest names them.
configs=(cfs fifo_per_cpu fifo_centralized)

# wall_ms CONFIG [TEST]: simple_exp's wall times under CONFIG, of all its
# tests or of one.
wall_ms()
{
	if [[ -z ${2:-} ]]; then
		awk -v c="$1" '$1 == "wall" && $2 == c { print $4 }' "$samples"
	else
		awk -v c="$1" -v t="$2" \
			'$1 == "test" && $2 == c && $4 == t { print $5 }' "$samples"
	fi
}

# wall_median CONFIG [TEST]
wall_median()
{
	wall_ms "$@" | stats | awk '{ print $2 }'
}

# vs_cfs MS [TEST]: MS as a multiple of CFS's median (of TEST), or "-".
vs_cfs()
{
	local cfs

	cfs=$(wall_median cfs "${2:-}")
	if [[ -z $1 || -z $cfs ]]; then
		echo -
	else
		awk -v a="$1" -v b="$cfs" 'BEGIN { printf "%.2fx", a / b }'
	fi
}

# Duration in seconds as "3m 12s".
duration()
{
	printf '%dm %02ds' $(($1 / 60)) $(($1 % 60))
}

report_header()
{
	local accel=${GHOST_VM_ACCEL:-tcg,thread=single}

	echo "ghost bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	local rev version

	rev=$(git -C "$VM_ROOT" describe --always --dirty 2>/dev/null || true)
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VM_ROOT/dkms.conf")
	echo "guest:   Linux $(info kernel) (lane $lane), $(info vcpus) vCPUs," \
		"${GHOST_VM_MEM:-2G} RAM"
	echo "ghost:   $version${rev:+ (git $rev)}"
	echo "QEMU:    $(qemu-system-x86_64 --version | head -n 1 |
		sed 's/^QEMU emulator version //'), -accel $accel"
	echo "host:    $(nproc) CPUs," \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "enclave: CPUs $(info cpus), the CFS runs pinned to them;" \
		"sched_rt_runtime_us $(info rt_runtime_us)"
	if [[ $accel == tcg* ]]; then
		echo "note:    under TCG every guest instruction is emulated, on a host"
		echo "         shared with other work: timings are indicative only;"
		echo "         compare ratios within one run, not absolute values."
	fi
}

report_wall()
{
	local config name s n med min max

	echo "simple_exp wall time (ms), all its tests, simple_exp -n $(info scale)"
	printf '%-28s %5s %10s %10s %10s %8s\n' scheduler runs median min max "vs CFS"
	for config in "${configs[@]}"; do
		case $config in
		cfs) name="CFS (no enclave)" ;;
		*) name="ghost-agent $config" ;;
		esac
		s=$(wall_ms "$config" | stats)
		if [[ -z $s ]]; then
			printf '%-28s %5s %10s %10s %10s %8s\n' "$name" 0 - - - -
			continue
		fi
		read -r n med min max _ <<<"$s"
		printf '%-28s %5d %10.1f %10.1f %10.1f %8s\n' "$name" "$n" \
			"$med" "$min" "$max" "$(vs_cfs "$med")"
	done
	echo "(the ghost runs include simple_exp's in-enclave checks;"
	echo " fifo_centralized keeps one enclave CPU for its spinning agent)"
}

# simple_exp's tests one by one: where the difference comes from.
report_tests()
{
	local t cfs pc ce

	echo "simple_exp per test, median ms"
	printf '%-8s %10s %13s %7s %17s %7s\n' test CFS fifo_per_cpu "vs CFS" \
		fifo_centralized "vs CFS"
	while read -r t; do
		cfs=$(wall_median cfs "$t")
		pc=$(wall_median fifo_per_cpu "$t")
		ce=$(wall_median fifo_centralized "$t")
		printf '%-8s %10s %13s %7s %17s %7s\n' "$t" "${cfs:--}" \
			"${pc:--}" "$(vs_cfs "$pc" "$t")" \
			"${ce:--}" "$(vs_cfs "$ce" "$t")"
	done < <(awk '$1 == "test" && !seen[$4]++ { print $4 }' "$samples")
}

# swap_field FIELD [FROM]: a field of the swap samples (5 threads, 6
# blackout), of the swaps from policy FROM or of all.
swap_field()
{
	awk -v f="$1" -v from="${2:-}" \
		'$1 == "swap" && (from == "" || $3 == from) { print $f }' "$samples"
}

# swap_row NAME [FROM]: one row of the blackout table.
swap_row()
{
	local name=$1 from=${2:-} s t n med max p90 tmed tmin tmax

	s=$(swap_field 6 "$from" | stats)
	if [[ -z $s ]]; then
		printf '%-32s %4s %9s %9s %9s %12s\n' "$name" 0 - - - -
		return
	fi
	read -r n med _ max p90 <<<"$s"
	t=$(swap_field 5 "$from" | stats)
	read -r _ tmed tmin tmax _ <<<"$t"
	printf '%-32s %4d %9.1f %9.1f %9.1f %12s\n' "$name" "$n" "$med" \
		"$p90" "$max" "$(printf '%.0f (%.0f-%.0f)' "$tmed" "$tmin" "$tmax")"
}

report_swap()
{
	local runs

	runs=$(info swap_workload_runs)
	echo "policy hot-swap blackout (us), $(info swaps) swaps 0.2 s apart"
	echo "while simple_exp runs in the enclave${runs:+ (it ran $runs times)}"
	printf '%-32s %4s %9s %9s %9s %12s\n' swap n median p90 max threads
	swap_row "fifo_per_cpu -> fifo_centralized" fifo_per_cpu
	swap_row "fifo_centralized -> fifo_per_cpu" fifo_centralized
	swap_row "both directions"
	echo "(threads: those in the enclave at the swap, median (min-max))"
}

report_latency()
{
	echo "latency (t_latency table): ghost commit to run and wakeup delivery,"
	echo "a CFS futex wake between two CPUs as the baseline"
	if grep -q '^latency ' "$samples"; then
		sed -n 's/^latency //p' "$samples"
	else
		echo "(no table)"
	fi
}

report()
{
	report_header
	echo
	report_wall
	echo
	report_tests
	echo
	report_swap
	echo
	report_latency
}

# The median of the latency table's row that starts with NAME.
latency_median()
{
	sed -n "s/^latency $1//p" "$samples" | awk '{ print $(NF - 1) }'
}

summary()
{
	local sw commit futex line

	sw=$(swap_field 6 | stats)
	commit=$(latency_median 'commit to run (txn commit_time)')
	futex=$(latency_median 'futex wake, CFS (baseline)')
	line="simple_exp vs CFS:"
	line+=" fifo_per_cpu $(vs_cfs "$(wall_median fifo_per_cpu)")"
	line+=", fifo_centralized $(vs_cfs "$(wall_median fifo_centralized)");"
	if [[ -n $sw ]]; then
		line+=" swap blackout median $(awk '{ print $2 }' <<<"$sw") us"
		line+=" (max $(awk '{ print $4 }' <<<"$sw"));"
	fi
	[[ -z $commit ]] ||
		line+=" commit to run $commit us vs futex wake ${futex:--} us;"
	echo "$line took $(duration $((SECONDS - start)))"
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

main()
{
	local rc=0 append smp failures=() f bad

	vm_need_root
	[[ -x $VM_OUT/bin/ghostctl ]] || vm_die "no $VM_OUT/bin/ghostctl: run make user"
	start=$SECONDS
	lane=${GHOST_BENCH_LANE:-6.1}
	reps=$(bench_uint GHOST_BENCH_REPS "${GHOST_BENCH_REPS:-5}" 1)
	swaps=$(bench_uint GHOST_BENCH_SWAPS "${GHOST_BENCH_SWAPS:-50}" 1)
	scale=$(bench_uint GHOST_BENCH_SCALE "${GHOST_BENCH_SCALE:-1}" 1)
	timeout_s=$(bench_uint GHOST_VM_TIMEOUT "${GHOST_VM_TIMEOUT:-1800}" 1)
	# The agent's CPU, and an enclave of at least two for a centralized
	# policy (t_latency wants three CPUs too).
	smp=$(bench_uint GHOST_VM_SMP "${GHOST_VM_SMP:-4}" 3)
	cpus=${GHOST_BENCH_CPUS:-1-$((smp - 1))}
	[[ $cpus =~ ^[0-9,-]+$ ]] ||
		vm_die "GHOST_BENCH_CPUS: a CPU list like 1-3, not '$cpus'"

	dir=$VM_OUT/bench
	samples=$dir/samples.txt
	rm -rf "$dir"
	mkdir -p "$dir"
	vm_lane_setup "$lane" "$dir"

	append="$(vm_append "$lane") quiet loglevel=1 ghostvm.mode=bench"
	append+=" ghostvm.bench_reps=$reps ghostvm.bench_swaps=$swaps"
	append+=" ghostvm.bench_scale=$scale ghostvm.bench_cpus=$cpus"
	vm_qemu_cmd "$VM_KVER" "$dir/initramfs.img" "$append"
	bench_msg "booting $VM_KVER under QEMU: $reps runs per scheduler," \
		"$swaps swaps, then t_latency"
	timeout --foreground "$timeout_s" "${VM_QEMU[@]}" \
		-chardev "stdio,id=console,signal=on,logfile=$dir/console.log" \
		-serial chardev:console -serial "file:$dir/results.log" \
		</dev/null 2>"$dir/qemu.log" || rc=$?
	tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
	sed -n '/^ghost-vm: dmesg-begin/,/^ghost-vm: dmesg-end/p' \
		"$dir/results.txt" >"$dir/dmesg.log"
	sed -n 's/^bench: //p' "$dir/results.txt" >"$samples"
	rm "$dir/results.txt"

	echo
	report | tee "$dir/report.txt"
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

	bench_msg "tables in $dir/report.txt, samples and VM logs in $dir"
	if [[ ${#failures[@]} -gt 0 ]]; then
		for f in "${failures[@]}"; do
			bench_msg "did not run: $f"
		done
		bench_msg "FAILED: ${#failures[@]} step(s) did not run; $(summary)"
		exit 1
	fi
	echo "bench: $(summary)" | tee -a "$dir/report.txt"
}

main "$@"
