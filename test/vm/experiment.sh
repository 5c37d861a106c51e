#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make experiment`: the RocksDB experiment (experiment/rocksdb) on stock
# Debian kernels.  For each lane of GHOST_EXP_KERNELS ("6.1 6.12"), boot
# it under QEMU with multi-threaded TCG (vCPUs in parallel) with ghost.ko
# built and installed by DKMS, run test/vm/guest/experiment.sh in it
# (ghostvm.mode=experiment) and keep what it sends on the results port;
# then write $O/experiment/report.md and the plots (experiment-report.sh).
# CFS is measured in the same boot as ghost every time: the report gives
# ratios.
#
# Output in $O/experiment/: report.md, plots/*.png, and per lane LANE/:
# results.txt (every line the guest sent), samples.txt (its
# "experiment:" lines), samples/CONFIG.tsv.gz (every request of every
# run: rocksdb_server --samples), console.log, dmesg.log, dkms.log,
# qemu.log.  Exit status 1 if something did not run (a lane's boot, an
# agent, a server run, a wrong answer); numbers are never judged.
#
# Environment: GHOST_EXP_KERNELS ("6.1 6.12"), GHOST_EXP_LOADS (offered
# loads as fractions of the measured capacity, "0.1,0.2,...,1.0,1.2"),
# GHOST_EXP_DURATION (seconds per load, 5), GHOST_EXP_KEYS (200000),
# GHOST_EXP_SLICE_US (shinjuku's slice; by default 10 GETs as the guest
# measures them, at least 50 us), GHOST_EXP_WORKERS (4 per enclave CPU),
# GHOST_EXP_ANT_LOAD (load of the antagonist runs, 0.2),
# GHOST_EXP_SLO_SCANS (the SLO in mean scan times, 1), GHOST_EXP_RT_RUNTIME
# (the guest's kernel.sched_rt_runtime_us, default the kernel's; -1 is the
# README's setting for a machine given to ghost), GHOST_VM_SMP (4),
# GHOST_VM_MEM (2G), GHOST_VM_ACCEL (tcg,thread=multi), GHOST_VM_TIMEOUT
# (seconds a boot may take, 1800).

set -euo pipefail

# shellcheck source=test/vm/lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/vm/experiment-report.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/experiment-report.sh"

exp_msg()
{
	echo "experiment: $*" >&2
}

# exp_uint NAME VALUE MIN: VALUE, a whole number of at least MIN.
exp_uint()
{
	local name=$1 val=$2 min=$3

	[[ $val =~ ^[0-9]+$ && $val -ge $min ]] ||
		vm_die "$name must be a whole number >= $min, not '$val'"
	echo "$val"
}

# exp_frac NAME VALUE: VALUE, a positive decimal number.
exp_frac()
{
	local name=$1 val=$2

	if ! [[ $val =~ ^[0-9]*\.?[0-9]+$ ]] ||
	   ! awk -v v="$val" 'BEGIN { exit !(v > 0 && v <= 10) }'; then
		vm_die "$name must be a number in (0, 10], not '$val'"
	fi
	echo "$val"
}

# exp_vcpu_times PID: "CPU:TICKS" of each vCPU thread of QEMU process PID
# (what it ran on the host's cores, user + system, in clock ticks).
exp_vcpu_times()
{
	local t comm stat

	for t in /proc/"$1"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		[[ $comm =~ ^CPU\ ([0-9]+)/ ]] || continue
		stat=$(cat "$t/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		read -r -a stat <<<"$stat"
		# Fields 14 and 15 of stat, counted after "(comm) ".
		echo -n " cpu${BASH_REMATCH[1]}=$((stat[11] + stat[12]))"
	done
}

# exp_vcpu_sampler LDIR: until LDIR/.stop exists, watch the results the
# guest sends for "mark begin|end CONFIG" and note, at each, the host's
# clock and each vCPU's CPU time in LDIR/vcpu.txt.  Reads only what is
# new, ten times a second, so as to take little from the guest.
exp_vcpu_sampler()
{
	local ldir=$1 off=0 size pid='' p line chunk LC_ALL=C

	while [[ ! -e $ldir/.stop ]]; do
		sleep 0.1
		if [[ -z $pid ]]; then
			for p in $(pgrep -f -- "$ldir/initramfs.img"); do
				[[ $(cat "/proc/$p/comm" 2>/dev/null) == qemu* ]] &&
					pid=$p
			done
			continue
		fi
		size=$(stat -c %s "$ldir/results.log" 2>/dev/null) || continue
		((size > off)) || continue
		# Whole lines only: the last one may still be on its way.
		chunk=$(tail -c +$((off + 1)) "$ldir/results.log" |
			head -c $((size - off)); echo x)
		chunk=${chunk%x}
		[[ $chunk == *$'\n'* ]] || continue
		chunk=${chunk%$'\n'*}
		off=$((off + ${#chunk} + 1))
		while IFS= read -r line; do
			[[ $line =~ ^experiment:\ mark\ (begin|end)\ ([^[:space:]]+) ]] ||
				continue
			echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} $(date +%s.%N)$(exp_vcpu_times "$pid")"
		done < <(printf '%s\n' "$chunk" | grep -a '^experiment: mark ') \
			>>"$ldir/vcpu.txt"
	done
}

# One lane: boot it and split what the guest sent into $ldir.
run_lane()
{
	local lane=$1 ldir=$out/$1 append rc=0 f sampler

	mkdir -p "$ldir"
	vm_lane_setup "$lane" "$ldir"
	append="$(vm_append "$lane" tsc) quiet loglevel=1 oops=panic"
	append+=" ghostvm.mode=experiment ghostvm.exp_keys=$keys"
	append+=" ghostvm.exp_loads=$loads ghostvm.exp_duration=$duration"
	append+=" ghostvm.exp_ant_load=$ant_load"
	[[ -z $rt_runtime ]] || append+=" ghostvm.exp_rt_runtime=$rt_runtime"
	[[ -z $slice_us ]] || append+=" ghostvm.exp_slice_us=$slice_us"
	[[ -z $workers ]] || append+=" ghostvm.exp_workers=$workers"
	vm_qemu_cmd "$VM_KVER" "$ldir/initramfs.img" "$append"
	cat /proc/loadavg >"$ldir/load_before"
	exp_msg "booting $VM_KVER under QEMU (-accel $GHOST_VM_ACCEL, $smp vCPUs)"
	rm -f "$ldir/.stop" "$ldir/vcpu.txt"
	exp_vcpu_sampler "$ldir" &
	sampler=$!
	timeout --foreground "$timeout_s" "${VM_QEMU[@]}" \
		-name "ghost-$lane,debug-threads=on" \
		-chardev "stdio,id=console,signal=on,logfile=$ldir/console.log" \
		-serial chardev:console -serial "file:$ldir/results.log" \
		</dev/null >/dev/null 2>"$ldir/qemu.log" || rc=$?
	touch "$ldir/.stop"
	wait "$sampler" || true
	rm -f "$ldir/.stop"
	cat /proc/loadavg >"$ldir/load_after"
	echo "$VM_KVER" >"$ldir/kver"

	[[ -e $ldir/results.log ]] || : >"$ldir/results.log"
	tr -d '\r' <"$ldir/results.log" >"$ldir/results.txt"
	rm -f "$ldir/results.log"
	sed -n '/^ghost-vm: dmesg-begin/,/^ghost-vm: dmesg-end/p' \
		"$ldir/results.txt" >"$ldir/dmesg.log"
	sed -n 's/^experiment: //p' "$ldir/results.txt" | grep -v '^b64 ' \
		>"$ldir/samples.txt" || true
	mkdir -p "$ldir/samples"
	sed -n 's/^experiment: b64 //p' "$ldir/results.txt" | awk -v d="$ldir/samples" '
		{ f = d "/" $1 ".b64"; print $2 > f }'
	for f in "$ldir"/samples/*.b64; do
		[[ -e $f ]] || continue
		base64 -d "$f" >"${f%.b64}.tsv.gz" ||
			failures+=("$lane: samples ${f##*/} damaged")
		rm -f "$f"
	done
	# The base64 copies are now in samples/: keep results.txt readable.
	sed -i '/^experiment: b64 /d' "$ldir/results.txt"

	while IFS= read -r f; do
		failures+=("$lane: $f")
	done < <(sed -n 's/^fail //p' "$ldir/samples.txt")
	if ! grep -q '^ghost-vm: done' "$ldir/results.txt"; then
		if [[ $rc -eq 124 || $rc -eq 137 ]]; then
			failures+=("$lane: the VM timed out after $timeout_s s")
		else
			failures+=("$lane: the guest stopped early (QEMU status $rc, see $ldir/console.log)")
		fi
	elif ! grep -q '^info end' "$ldir/samples.txt"; then
		failures+=("$lane: experiment.sh stopped early (see $ldir/console.log)")
	fi
}

main()
{
	local lane f

	vm_need_root
	[[ -x $VM_OUT/bin/rocksdb_server ]] ||
		vm_die "no $VM_OUT/bin/rocksdb_server: install librocksdb-dev (make deps) and run make user"
	start=$SECONDS
	lanes=${GHOST_EXP_KERNELS:-6.1 6.12}
	for lane in $lanes; do
		[[ $lane == 6.1 || $lane == 6.12 ]] ||
			vm_die "GHOST_EXP_KERNELS: lanes among 6.1 and 6.12, not '$lane'"
	done
	loads=${GHOST_EXP_LOADS:-0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.2}
	[[ $loads =~ ^[0-9.]+(,[0-9.]+)*$ ]] ||
		vm_die "GHOST_EXP_LOADS: fractions like 0.2,0.5,1.0, not '$loads'"
	for f in ${loads//,/ }; do
		exp_frac GHOST_EXP_LOADS "$f" >/dev/null
	done
	duration=$(exp_uint GHOST_EXP_DURATION "${GHOST_EXP_DURATION:-5}" 1)
	keys=$(exp_uint GHOST_EXP_KEYS "${GHOST_EXP_KEYS:-200000}" 1000)
	slice_us=${GHOST_EXP_SLICE_US:-}
	[[ -z $slice_us ]] ||
		slice_us=$(exp_uint GHOST_EXP_SLICE_US "$slice_us" 1)
	workers=${GHOST_EXP_WORKERS:-}
	[[ -z $workers ]] || workers=$(exp_uint GHOST_EXP_WORKERS "$workers" 1)
	ant_load=$(exp_frac GHOST_EXP_ANT_LOAD "${GHOST_EXP_ANT_LOAD:-0.2}")
	slo_scans=$(exp_frac GHOST_EXP_SLO_SCANS "${GHOST_EXP_SLO_SCANS:-1}")
	rt_runtime=${GHOST_EXP_RT_RUNTIME:-}
	[[ -z $rt_runtime || $rt_runtime =~ ^(-1|[0-9]+)$ ]] ||
		vm_die "GHOST_EXP_RT_RUNTIME: -1 or microseconds, not '$rt_runtime'"
	timeout_s=$(exp_uint GHOST_VM_TIMEOUT "${GHOST_VM_TIMEOUT:-1800}" 1)
	smp=$(exp_uint GHOST_VM_SMP "${GHOST_VM_SMP:-4}" 3)
	export GHOST_VM_ACCEL=${GHOST_VM_ACCEL:-tcg,thread=multi}
	export GHOST_VM_SMP=$smp

	out=$VM_OUT/experiment
	rm -rf "$out"
	mkdir -p "$out"
	failures=()
	for lane in $lanes; do
		run_lane "$lane"
	done
	exp_report >"$out/report.md"
	exp_plots || exp_msg "note: gnuplot failed, see $out/plots/gnuplot.log"
	echo
	cat "$out/report.md"
	echo
	exp_msg "report in $out/report.md, plots in $out/plots, samples in" \
		"$out/LANE/samples; took $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
	if [[ ${#failures[@]} -gt 0 ]]; then
		for f in "${failures[@]}"; do
			exp_msg "did not run: $f"
		done
		exit 1
	fi
}

main "$@"
