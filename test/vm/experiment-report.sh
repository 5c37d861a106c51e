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

EXP_SCHEDS="cfs cfs_pinned shinjuku fifo_centralized shinjuku_idle
	fifo_centralized_idle"

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

# exp_prof LANE CONFIG KEY: KEY of the lane's "prof CONFIG" line, or -.
exp_prof()
{
	awk -v c="$2" -v k="$3" '$1 == "prof" && $2 == c {
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == k && kv[2] != "") { print kv[2]; exit }
		}
		print "-"; exit }' "$out/$1/samples.txt"
}

# exp_us NS: NS in us with one decimal, or -.
exp_us()
{
	awk -v n="$1" 'BEGIN { if (n == "-" || n == "") print "-"
		else printf "%.1f", n / 1000 }'
}

# exp_vcpu LANE CONFIG: "cpuN=PCT ..." what each vCPU ran on the host's
# cores during CONFIG's profile window, in % of one core, or nothing.
exp_vcpu()
{
	[[ -e $out/$1/vcpu.txt ]] || return 0
	awk -v c="$2" -v hz="$(getconf CLK_TCK)" '
		$2 == c && $1 == "begin" {
			t0 = $3
			for (i = 4; i <= NF; i++) { split($i, kv, "="); b[kv[1]] = kv[2] }
		}
		$2 == c && $1 == "end" && t0 != "" && $3 > t0 {
			for (i = 4; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] in b)
					printf "%s=%.0f ", kv[1], 100 * (kv[2] - b[kv[1]]) / hz / ($3 - t0)
			}
			exit
		}' "$out/$1/vcpu.txt"
}

# exp_cpu_head "A | B" "C | D": a table's two head lines: columns A and B,
# one per CPU of the caller's $cpus, then C and D.
exp_cpu_head()
{
	local head="| $1 |" c

	for c in $cpus; do head+=" $c |"; done
	echo "$head $2 |"
	echo "$head $2 |" | sed 's/[^|]\+/ --- /g'
}

# The profile of one run at the capacity under each scheduler.
exp_lane_profile()
{
	local lane=$1 s cpus c r row v vc

	cpus=$(awk '$1 == "prof" { for (i = 3; i <= NF; i++)
		if ($i ~ /^cpu[0-9]+=/) { split($i, kv, "="); print kv[1] } }' \
		"$out/$lane/samples.txt" | sort -u -V | tr '\n' ' ')
	echo "### Where the time goes (one run at the capacity, $(exp_info "$lane" capacity) requests/s offered)"
	echo
	echo "Busy share of each CPU during the run (CPU 0: the load generator); for ghost, the agent's own CPU" \
		"share (it spins on one of the enclave's CPUs), the messages and decisions it handled per second," \
		"and how long the enclave's threads waited for a CPU: from runnable (woken, preempted) and from" \
		"placed (committed or taken from a dispatch list) until they ran, mean and p99 bucket bound."
	echo
	exp_cpu_head "scheduler | achieved/s | p99 us" \
		"agent CPU | msgs/s | decisions/s | runnable to run | placed to run"
	for s in $EXP_SCHEDS; do
		read -r -a r <<<"$(exp_runs "$lane" "prof_$s" | head -n 1)"
		row="| $s | ${r[1]:--} | ${r[3]:--} |"
		for c in $cpus; do row+=" $(exp_prof "$lane" "$s" "$c") % |"; done
		if [[ $(exp_prof "$lane" "$s" agent_msgs_per_s) == - ]]; then
			echo "$row - | - | - | - | - |"
			continue
		fi
		row+=" $(exp_prof "$lane" "$s" agent_cpu_pct) % |"
		row+=" $(exp_prof "$lane" "$s" agent_msgs_per_s) |"
		row+=" $(exp_prof "$lane" "$s" agent_decisions_per_s) |"
		row+=" $(exp_us "$(exp_prof "$lane" "$s" runnable_to_run_mean_ns)") / $(exp_us "$(exp_prof "$lane" "$s" runnable_to_run_p99_ns)") us |"
		row+=" $(exp_us "$(exp_prof "$lane" "$s" placed_to_run_mean_ns)") / $(exp_us "$(exp_prof "$lane" "$s" placed_to_run_p99_ns)") us |"
		echo "$row"
	done
	echo
	[[ -n $(exp_vcpu "$lane" cfs) ]] || return 0
	echo "What each vCPU took of the host's $(nproc) cores in the same windows (host clock; % of one core):" \
		"a vCPU that spins takes a core whether its guest CPU does useful work or not."
	echo
	exp_cpu_head scheduler all
	for s in $EXP_SCHEDS; do
		vc=$(exp_vcpu "$lane" "$s" | tr ' ' '\n')
		row="| $s |"
		for c in $cpus; do
			v=$(echo "$vc" | sed -n "s/^$c=//p" | head -n 1)
			row+=" ${v:--}${v:+ %} |"
		done
		v=$(echo "$vc" | awk -F= 'NF == 2 { n += $2; any = 1 }
			END { if (any) print n }')
		echo "$row ${v:--}${v:+ %} |"
	done
	echo
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
		"Guest clocksource $(exp_info "$lane" clocksource)," \
		"kernel.sched_rt_runtime_us $(exp_info "$lane" rt_runtime_us)."
	echo
	echo "### Service times (one thread, nothing else running)"
	echo
	echo "| GET | scan | scan keys | scan / GET |"
	echo "| --- | --- | --- | --- |"
	echo "| ${get:--} us | ${scan:--} us | $(exp_cal "$lane" scan_keys) | $(exp_cal "$lane" ratio) |"
	echo
	echo "Capacity of the $(exp_info "$lane" cpus) CPUs: $(exp_info "$lane" capacity)" \
		"requests/s, what CFS with the workers pinned there served when" \
		"offered $(exp_runs "$lane" capacity | tail -n 1 | cut -d' ' -f1)/s" \
		"(from the service times alone, as if every vCPU ran as fast as one" \
		"alone: $(exp_info "$lane" capacity_estimate)/s). Offered loads" \
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
	exp_lane_profile "$lane"
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
	echo "- Schedulers: cfs (no pinning), cfs_pinned (workers on the enclave's CPUs), shinjuku (slice $(exp_info "${lanes%% *}" slice_us) us$([[ -z $slice_us ]] && echo ", 10 calibrated GETs"), workers publish hints: class 1, idle while waiting), fifo_centralized; shinjuku_idle and fifo_centralized_idle are the same with ghost-agent --idle-sleep $(exp_info "${lanes%% *}" idle_sleep_us) (the agent sleeps once it has had nothing to do that long while every runnable thread has a CPU). The centralized agents spin on one of the enclave's CPUs."
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
