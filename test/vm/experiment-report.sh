# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # globals of experiment.sh
#
# The report of `make experiment`, sourced by test/vm/experiment.sh:
# report.md's tables and the gnuplot plots, from each lane's samples.txt
# ("info", "calibrate", "run" and "fail" lines of the guest).  Nothing is
# judged: ratios are printed, never compared with a limit.
#
# Globals from experiment.sh: out, lanes, loads, duration, keys, slice_us,
# slo_scans, smp, GHOST_VM_ACCEL, failures, start.

EXP_SCHEDS="cfs cfs_pinned shinjuku fifo_centralized"

# exp_info LANE KEY: the value of the lane's "info KEY VALUE" line.
exp_info()
{
	awk -v k="$2" '$1 == "info" && $2 == k {
		sub(/^info [^ ]+ /, ""); print; exit }' "$out/$1/samples.txt"
}

# exp_cal LANE KEY: KEY of the lane's final calibration.
exp_cal()
{
	awk -v k="$2" '$1 == "calibrate" && $2 == "final" {
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == k) { print kv[2]; exit }
		} }' "$out/$1/samples.txt"
}

# exp_runs LANE CONFIG: "rate throughput p50 p99 p999 dropped arrivals
# antagonist_share" per run of CONFIG, in the order run.
exp_runs()
{
	awk -v c="$2" '$1 == "run" && $2 == c {
		delete f
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
		print f["rate"], f["throughput"], f["p50_us"], f["p99_us"],
			f["p999_us"], f["dropped"], f["arrivals"],
			("antagonist_share" in f) ? f["antagonist_share"] : "-"
	}' "$out/$1/samples.txt"
}

# The SLO of LANE in us: GHOST_EXP_SLO_SCANS mean scan times.
exp_slo()
{
	awk -v s="$(exp_cal "$1" scan_us)" -v m="$slo_scans" \
		'BEGIN { if (s != "") printf "%.0f", s * m }'
}

# exp_saturation LANE CONFIG: "offered achieved" of the highest offered
# load whose p99 is within the SLO with nothing dropped, or "- -".
exp_saturation()
{
	exp_runs "$1" "$2" | awk -v slo="$(exp_slo "$1")" '
		$4 != "inf" && $4 != "nan" && $4 + 0 <= slo + 0 && $6 == 0 &&
		$1 + 0 > best { best = $1 + 0; thr = $2 }
		END { if (best) print best, thr; else print "-", "-" }'
}

exp_ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"
		else printf "%.2fx", a / b }'
}

exp_lane_report()
{
	local lane=$1 s line sat base base_pin get scan

	get=$(exp_cal "$lane" get_us)
	scan=$(exp_cal "$lane" scan_us)
	echo "## Linux $(cat "$out/$lane/kver" 2>/dev/null || echo "$lane") (lane $lane)"
	echo
	echo "Host load average before and after the boot: $(cut -d' ' -f1-3 "$out/$lane/load_before" 2>/dev/null)," \
		"$(cut -d' ' -f1-3 "$out/$lane/load_after" 2>/dev/null)." \
		"Guest clocksource $(exp_info "$lane" clocksource)."
	echo
	echo "### Service times (one thread, nothing else running)"
	echo
	echo "| GET | scan | scan keys | scan / GET |"
	echo "| --- | --- | --- | --- |"
	echo "| ${get:--} us | ${scan:--} us | $(exp_cal "$lane" scan_keys) | $(exp_cal "$lane" ratio) |"
	echo
	echo "Estimated capacity of the $(exp_info "$lane" cpus) CPUs:" \
		"$(exp_info "$lane" capacity) requests/s; offered loads" \
		"$(exp_info "$lane" rates). SLO: p99 <= $(exp_slo "$lane") us."
	echo
	echo "### Latency against load"
	echo
	echo "| scheduler | offered/s | achieved/s | p50 us | p99 us | p99.9 us | dropped |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for s in $EXP_SCHEDS; do
		exp_runs "$lane" "$s" | while read -r -a line; do
			echo "| $s | ${line[0]} | ${line[1]} | ${line[2]} | ${line[3]} | ${line[4]} | ${line[5]} of ${line[6]} |"
		done
	done
	echo
	echo "### Saturation throughput (p99 within the SLO, nothing dropped)"
	echo
	base=$(exp_saturation "$lane" cfs | cut -d' ' -f2)
	base_pin=$(exp_saturation "$lane" cfs_pinned | cut -d' ' -f2)
	echo "| scheduler | highest offered/s within SLO | achieved/s | vs CFS | vs CFS pinned |"
	echo "| --- | --- | --- | --- | --- |"
	for s in $EXP_SCHEDS; do
		read -r -a sat <<<"$(exp_saturation "$lane" "$s")"
		echo "| $s | ${sat[0]} | ${sat[1]} | $(exp_ratio "${sat[1]}" "$base") | $(exp_ratio "${sat[1]}" "$base_pin") |"
	done
	echo
	echo "### Antagonist ($(exp_info "$lane" ant_rate) requests/s offered)"
	echo
	echo "| scheduler | server p99 alone | server p99 with antagonists | antagonists' CPU share |"
	echo "| --- | --- | --- | --- |"
	for s in cfs shinjuku; do
		read -r -a alone <<<"$(exp_runs "$lane" "ant_${s}_alone" | head -n 1)"
		read -r -a with <<<"$(exp_runs "$lane" "ant_$s" | head -n 1)"
		echo "| $s | ${alone[3]:--} us | ${with[3]:--} us | ${with[7]:--} |"
	done
	echo
	echo "![p99 against throughput, $lane](plots/p99_$lane.png)"
	echo
}

exp_report()
{
	local lane

	echo "# RocksDB experiment: CFS against ghost"
	echo
	echo "Written by \`make experiment\` on $(date -u '+%Y-%m-%d %H:%M UTC')," \
		"in $(((SECONDS - start) / 60)) min."
	echo
	echo "## Set-up"
	echo
	echo "- Host: $(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs."
	echo "- VM: QEMU -accel $GHOST_VM_ACCEL, $smp vCPUs, ${GHOST_VM_MEM:-2G}; stock Debian kernels, ghost.ko by DKMS."
	echo "- Load generator alone on CPU 0; workers ($(exp_info "${lanes%% *}" workers)) and the enclave on CPUs $(exp_info "${lanes%% *}" cpus)."
	echo "- $keys keys in memory; 99.5 % GETs, 0.5 % scans; open-loop Poisson arrivals, $duration s per load; latency from the scheduled arrival."
	echo "- Schedulers: cfs (no pinning), cfs_pinned (workers on the enclave's CPUs), shinjuku (slice $(exp_info "${lanes%% *}" slice_us) us$([[ -z $slice_us ]] && echo ", 10 calibrated GETs"), workers publish hints: class 1, idle while waiting), fifo_centralized. The centralized agents spin on one of the enclave's CPUs."
	echo "- Antagonists: one spinning thread per enclave CPU; under CFS at nice 19 on the same CPUs as the pinned workers, under shinjuku in the same enclave without hints (class 0, below the workers)."
	echo "- SLO: $slo_scans x the mean scan time. Scans are 0.5 % of requests, so the p99 is a GET's latency; a GET that waits as long as a whole scan was held up behind one (head-of-line blocking), which is what a preemptive scheduler should prevent."
	echo "- Saturation throughput: the achieved throughput at the highest offered load whose p99 stays within the SLO with no request dropped."
	echo
	if [[ ${#failures[@]} -gt 0 ]]; then
		echo "**Did not run:**"
		echo
		printf -- '- %s\n' "${failures[@]}"
		echo
	fi
	for lane in $lanes; do
		exp_lane_report "$lane"
	done
	echo "Raw data: LANE/samples/CONFIG.tsv.gz (every request, rocksdb_server --samples format), LANE/samples.txt (every result line)."
}

# p99 against achieved throughput per scheduler, one PNG per lane.
exp_plots()
{
	local lane s plot cmds

	command -v gnuplot >/dev/null || {
		exp_msg "note: no gnuplot, no plots"
		return 0
	}
	mkdir -p "$out/plots"
	for lane in $lanes; do
		plot=
		for s in $EXP_SCHEDS; do
			exp_runs "$lane" "$s" | awk '$4 != "inf" && $4 != "nan" { print $2, $4 }' \
				>"$out/plots/$lane.$s.dat"
			[[ -s $out/plots/$lane.$s.dat ]] || continue
			plot+="${plot:+, }'$out/plots/$lane.$s.dat' using 1:2 with linespoints title '$s'"
		done
		[[ -n $plot ]] || continue
		cmds="set terminal png noenhanced size 900,600; set output '$out/plots/p99_$lane.png';"
		cmds+=" set title 'RocksDB, lane $lane: p99 latency against throughput';"
		cmds+=" set xlabel 'achieved throughput (requests/s)'; set ylabel 'p99 latency (us)';"
		cmds+=" set logscale y; set key left top; set grid;"
		cmds+=" plot $plot"
		gnuplot -e "$cmds" >>"$out/plots/gnuplot.log" 2>&1 || return 1
	done
}
