# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # globals of bench.sh
#
# The report of `make bench`, sourced by test/vm/bench.sh: report.md's
# tables, the gnuplot plots and the summary line, from the files of one
# run in $dir: samples.txt (the guest's "info", "series", "wall", "test",
# "cost", "tcost", "naps", "swap" and "fail" lines) and samples/SERIES.txt
# (raw samples in ns).
# Nothing is judged: ratios are printed, never compared with a limit.
#
# Globals from bench.sh: dir, samples, lane, boots, retried, boot_s, start.

# The value of KEY in the samples' "info KEY VALUE..." line.
info()
{
	awk -v k="$1" '$1 == "info" && $2 == k {
		sub(/^info [^ ]+ /, ""); print; exit }' "$samples"
}

# What the guest said about SERIES (its "series SERIES KEY VALUE" line).
series_info()
{
	awk -v s="$1" -v k="$2" '$1 == "series" && $2 == s && $3 == k {
		sub(/^series [^ ]+ [^ ]+ /, ""); print; exit }' "$samples"
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

# series_stats SERIES -> "n median p99 max" in ns (nearest rank, lower
# median, as the programs print them), or nothing.
series_stats()
{
	local f=$dir/samples/$1.txt

	[[ -s $f ]] || return 0
	sort -n "$f" | awk '
		{ v[NR] = $1 }
		END {
			p = int((NR * 99 + 99) / 100)
			printf "%d %d %d %d\n", NR, v[int((NR + 1) / 2)], v[p], v[NR]
		}'
}

# ns -> microseconds, two decimals below 10 us.
us()
{
	awk -v v="$1" 'BEGIN {
		if (v == "" || v == "-") print "-"
		else printf(v < 10000 ? "%.2f" : "%.1f", v / 1000) }'
}

# ratio A B -> "A/B" as "1.23x", or "-".
ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || b == 0) print "-"
		else printf "%.2fx", a / b }'
}

# field STATS I: the I-th word of a stats line, or "-".
field()
{
	local s=$1 i=$2

	[[ -n $s ]] || { echo -; return; }
	awk -v i="$i" '{ print $i }' <<<"$s"
}

# Duration in seconds as "3m 12s".
duration()
{
	printf '%dm %02ds' $(($1 / 60)) $(($1 % 60))
}

# The microbenchmark comparisons: label, ghost series, CFS series.
comparisons()
{
	cat <<-'EOF'
	remote commit to run / futex wake to run|commit_to_run|futex_wake
	wakeup to message, agent in AGENT_WAIT on the thread's CPU / futex wake|wakeup_msg_wait|futex_wake
	wakeup to message, spinning agent / futex wake|wakeup_msg_spin|futex_wake
	pipe ping-pong round trip, fifo_per_cpu / CFS|pipe_rtt_fifo_per_cpu|pipe_rtt_cfs
	pipe ping-pong round trip, fifo_per_cpu --serial-rounds / CFS|pipe_rtt_fifo_per_cpu_serial|pipe_rtt_cfs
	pipe ping-pong round trip, fifo_centralized / CFS|pipe_rtt_fifo_centralized|pipe_rtt_cfs
	futex ping-pong round trip, fifo_per_cpu / CFS|futex_rtt_fifo_per_cpu|futex_rtt_cfs
	futex ping-pong round trip, fifo_per_cpu --serial-rounds / CFS|futex_rtt_fifo_per_cpu_serial|futex_rtt_cfs
	futex ping-pong round trip, fifo_centralized / CFS|futex_rtt_fifo_centralized|futex_rtt_cfs
	sched_yield per call, fifo_per_cpu / CFS|yield_fifo_per_cpu|yield_cfs
	sched_yield per call, fifo_per_cpu --serial-rounds / CFS|yield_fifo_per_cpu_serial|yield_cfs
	sched_yield per call, fifo_centralized / CFS|yield_fifo_centralized|yield_cfs
	GHOST_IOC_NULL / getppid, per call|null_ioctl|getppid
	clock_gettime(CLOCK_MONOTONIC) / getppid, per call|clock_read|getppid
	EOF
}

# cmp_ratio GHOST CFS FIELD: ratio of a stats field (2 median, 3 p99).
cmp_ratio()
{
	ratio "$(field "$(series_stats "$1")" "$3")" \
		"$(field "$(series_stats "$2")" "$3")"
}

report_micro()
{
	local label g c gs cs

	echo "## Microbenchmarks (us)"
	echo
	echo "Each sample runs from a timestamp taken before the action (commit" \
		"ioctl, futex wake, write) to the first user instruction of the" \
		"woken side; a ping-pong sample is one round trip; sched_yield and" \
		"the ioctl are means over batches of calls. Every busy-wait pauses."
	echo
	echo "| benchmark (ghost / CFS) | n | ghost median | ghost p99 | ghost max" \
		"| CFS median | CFS p99 | CFS max | ratio median | ratio p99 |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	while IFS='|' read -r label g c; do
		gs=$(series_stats "$g")
		cs=$(series_stats "$c")
		echo "| $label | $(field "$gs" 1) | $(us "$(field "$gs" 2)")" \
			"| $(us "$(field "$gs" 3)") | $(us "$(field "$gs" 4)")" \
			"| $(us "$(field "$cs" 2)") | $(us "$(field "$cs" 3)")" \
			"| $(us "$(field "$cs" 4)")" \
			"| $(ratio "$(field "$gs" 2)" "$(field "$cs" 2)")" \
			"| $(ratio "$(field "$gs" 3)" "$(field "$cs" 3)") |"
	done < <(comparisons)
	echo
	echo "Where they ran (CPU numbers):"
	echo
	awk '$1 == "series" && $3 == "cpus" {
		s = $2; sub(/^series [^ ]+ cpus /, ""); printf "- %s: %s\n", s, $0 }' \
		"$samples"
	echo
	echo "![commit to run](plots/commit_to_run.png)" \
		"![wakeup to message, agent waiting](plots/wakeup_msg_wait.png)" \
		"![wakeup to message, spinning agent](plots/wakeup_msg_spin.png)"
	echo "![pipe ping-pong](plots/pipe_rtt.png)" \
		"![futex ping-pong](plots/futex_rtt.png)" \
		"![sched_yield](plots/yield.png)" \
		"![null ioctl](plots/null_ioctl.png)"
}

# The largest N of the group commit series.
group_max()
{
	local m

	m=$(series_info group_commit max)
	echo "${m:-0}"
}

# group_per_cpu KIND N FIELD: a stats field of group_KIND_N, divided by N.
group_per_cpu()
{
	local v

	v=$(field "$(series_stats "group_$1_$2")" "$3")
	[[ $v == - ]] && { echo -; return; }
	awk -v v="$v" -v n="$2" 'BEGIN { printf "%d", v / n }'
}

report_group()
{
	local n max s r

	max=$(group_max)
	echo "## Group commit (us)"
	echo
	echo "One GHOST_IOC_COMMIT of N parked threads to N other CPUs: until" \
		"the ioctl returns, and until the last thread runs; per CPU is" \
		"divided by N."
	echo
	echo "| N | n | ioctl median | ioctl p99 | per CPU median | per CPU p99" \
		"| last runs median | last runs p99 | per CPU median |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for ((n = 1; n <= max; n++)); do
		s=$(series_stats "group_ioctl_$n")
		r=$(series_stats "group_run_$n")
		echo "| $n | $(field "$s" 1) | $(us "$(field "$s" 2)")" \
			"| $(us "$(field "$s" 3)")" \
			"| $(us "$(group_per_cpu ioctl "$n" 2)")" \
			"| $(us "$(group_per_cpu ioctl "$n" 3)")" \
			"| $(us "$(field "$r" 2)") | $(us "$(field "$r" 3)")" \
			"| $(us "$(group_per_cpu run "$n" 2)") |"
	done
	echo
	echo "![group commit scaling](plots/group_commit.png)"
}

# "CPU 2" or "CPUs 2,3": the fitted thread CPUs, named.
fit_cpus()
{
	local l

	l=$(info cpus_fit)
	if [[ $l == *[,-]* ]]; then
		echo "CPUs $l"
	else
		echo "CPU $l"
	fi
}

# The schedulers simple_exp runs under, as the guest names them.
configs=(cfs fifo_per_cpu fifo_per_cpu_serial fifo_centralized
	fifo_centralized_idle cfs_remaining cfs_remaining_busy)

config_name()
{
	case $1 in
	cfs) echo "CFS on CPUs $(info cpus)" ;;
	cfs_remaining) echo "CFS on CPUs $(info cpus_remaining)" ;;
	cfs_remaining_busy) echo "CFS on CPUs $(info cpus_remaining), CPU $(info global_cpu) busy" ;;
	fifo_per_cpu_serial) echo "ghost-agent fifo_per_cpu --serial-rounds" ;;
	fifo_centralized) echo "ghost-agent fifo_centralized (agent on CPU $(info global_cpu))" ;;
	fifo_centralized_idle) echo "ghost-agent fifo_centralized --idle-sleep $(info idle_sleep_us) (agent on CPU $(info global_cpu))" ;;
	fifo_centralized_fit) echo "ghost-agent fifo_centralized on CPUs $(info global_cpu),$(info cpus_fit) (agent on CPU $(info global_cpu))" ;;
	cfs_fit) echo "CFS on $(fit_cpus)" ;;
	cfs_fit_busy) echo "CFS on $(fit_cpus), CPU $(info global_cpu) busy" ;;
	*) echo "ghost-agent $1" ;;
	esac
}

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

# vs CONFIG BASE [TEST]: CONFIG's median over BASE's.
vs()
{
	ratio "$(wall_median "$1" "${3:-}")" "$(wall_median "$2" "${3:-}")"
}

report_wall()
{
	local config s

	echo "## simple_exp wall time (ms)"
	echo
	echo "All its tests, simple_exp -n $(info scale), $(info reps) runs each," \
		"in rounds of one run of every scheduler (so that the host's load" \
		"weighs on all alike); the same work everywhere (simple_exp -c" \
		"under CFS, -x in ghost: no in-enclave checks)."
	echo
	echo "| scheduler | runs | median | min | max | vs CFS | vs CFS on remaining CPUs | vs it with CPU $(info global_cpu) busy |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for config in "${configs[@]}"; do
		s=$(wall_ms "$config" | stats)
		echo "| $(config_name "$config") | $(field "$s" 1)" \
			"| $(field "$s" 2) | $(field "$s" 3) | $(field "$s" 4)" \
			"| $(vs "$config" cfs) | $(vs "$config" cfs_remaining)" \
			"| $(vs "$config" cfs_remaining_busy) |"
	done
	echo
	echo "CFS on the remaining CPUs with CPU $(info global_cpu) busy is what the"
	echo "emulator makes of fifo_centralized's spinning agent alone: a busy vCPU"
	echo "takes one of the host's $(nproc) CPUs from the others, which a real machine,"
	echo "with a CPU given to the agent, does not do."
	[[ -z $(info cpus_fit) ]] || {
		echo
		echo "So fifo_centralized also ran fitted to the host: its agent's CPU and"
		echo "$(fit_cpus) for threads, as many busy vCPUs as the host has"
		echo "CPUs: $(vs fifo_centralized_fit cfs_fit) of CFS on $(fit_cpus);"
		echo "$(vs fifo_centralized_fit cfs_fit_busy) of CFS on $(fit_cpus) with CPU"
		echo "$(info global_cpu) busy (CFS itself takes $(vs cfs_fit_busy cfs_fit) as long then)."
	}
	echo
	echo "Per test, median ms:"
	echo
	echo "| test | CFS | fifo_per_cpu | vs CFS | --serial-rounds | vs CFS" \
		"| fifo_centralized | vs CFS" \
		"| CFS on remaining CPUs | fifo_centralized vs it" \
		"| with --idle-sleep | vs it |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	while read -r t; do
		echo "| $t | $(wall_median cfs "$t") | $(wall_median fifo_per_cpu "$t")" \
			"| $(vs fifo_per_cpu cfs "$t")" \
			"| $(wall_median fifo_per_cpu_serial "$t")" \
			"| $(vs fifo_per_cpu_serial cfs "$t")" \
			"| $(wall_median fifo_centralized "$t")" \
			"| $(vs fifo_centralized cfs "$t")" \
			"| $(wall_median cfs_remaining "$t")" \
			"| $(vs fifo_centralized cfs_remaining "$t")" \
			"| $(wall_median fifo_centralized_idle "$t")" \
			"| $(vs fifo_centralized_idle cfs_remaining "$t") |"
	done < <(awk '$1 == "test" && !seen[$4]++ { print $4 }' "$samples")
}

# cost_median CONFIG N: the median of field N (1 context switches, 2
# IPIs, 3 irq_works) of CONFIG's simple_exp runs.
cost_median()
{
	awk -v c="$1" -v n="$2" '$1 == "cost" && $2 == c { print $(3 + n) }' \
		"$samples" | stats | awk '{ print $2 }'
}

# tcost_median CONFIG TEST N: the same for one of simple_exp's tests.
tcost_median()
{
	awk -v c="$1" -v t="$2" -v n="$3" \
		'$1 == "tcost" && $2 == c && $4 == t { print $(4 + n) }' \
		"$samples" | stats | awk '{ printf "%d", $2 }'
}

# What the machine did for one simple_exp run: where ghost's extra time
# goes, in events each costing a switch or an interrupt.
report_cost()
{
	local config what n

	grep -q '^cost ' "$samples" || return 0
	echo "## Where the time goes"
	echo
	echo "The whole VM's context switches, reschedule and function-call IPIs and"
	echo "irq_work interrupts during one simple_exp run (median of the runs), the"
	echo "agent's included."
	echo
	echo "| scheduler | context switches | vs CFS | IPIs | vs CFS | irq_works | vs CFS |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for config in "${configs[@]}"; do
		what="| $(config_name "$config")"
		for n in 1 2 3; do
			what+=" | $(cost_median "$config" "$n")"
			what+=" | $(ratio "$(cost_median "$config" "$n")" \
				"$(cost_median cfs "$n")")"
		done
		echo "$what |"
	done
	echo
	while read -r config; do
		echo "$(config_name "$config"): its agent slept $(awk -v c="$config" \
			'$1 == "naps" && $2 == c { print $4 }' "$samples" |
			stats | awk '{ printf "%d", $2 }') times a run (median;" \
			"each sleep ends in a wakeup of its CPU)."
		echo
	done < <(awk '$1 == "naps" && !seen[$2]++ { print $2 }' "$samples")
	grep -q '^tcost ' "$samples" || return 0
	echo "Per test, median of the runs (switches / IPIs / irq_works):"
	echo
	echo "| test | CFS | fifo_per_cpu | fifo_centralized | with --idle-sleep |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	while read -r t; do
		what="| $t"
		for config in cfs fifo_per_cpu fifo_centralized \
			      fifo_centralized_idle; do
			what+=" | $(tcost_median "$config" "$t" 1)"
			what+=" / $(tcost_median "$config" "$t" 2)"
			what+=" / $(tcost_median "$config" "$t" 3)"
		done
		echo "$what |"
	done < <(awk '$1 == "tcost" && !seen[$4]++ { print $4 }' "$samples")
	echo
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
		echo "| $name | 0 | - | - | - | - |"
		return
	fi
	read -r n med _ max p90 <<<"$s"
	t=$(swap_field 5 "$from" | stats)
	read -r _ tmed tmin tmax _ <<<"$t"
	echo "| $name | $n | $med | $p90 | $max" \
		"| $(printf '%.0f (%.0f-%.0f)' "$tmed" "$tmin" "$tmax") |"
}

report_swap()
{
	local runs

	runs=$(info swap_workload_runs)
	echo "## Policy hot-swap blackout (us)"
	echo
	echo "$(info swaps) swaps 0.2 s apart while simple_exp runs in the" \
		"enclave in a loop${runs:+ (it ran $runs times)}; threads: those in" \
		"the enclave at the swap, median (min-max)."
	echo
	echo "| swap | n | median | p90 | max | threads |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	swap_row "fifo_per_cpu -> fifo_centralized" fifo_per_cpu
	swap_row "fifo_centralized -> fifo_per_cpu" fifo_centralized
	swap_row "both directions"
}

# The acceptance ratios of the dispatch path, medians (p99).
summary_line()
{
	local line n max per=() v

	both()
	{
		echo "$(cmp_ratio "$1" "$2" 2) (p99 $(cmp_ratio "$1" "$2" 3))"
	}
	line="remote commit-to-run / futex wake $(both commit_to_run futex_wake)"
	line+="; wakeup-to-message (spinning agent) / futex wake"
	line+=" $(both wakeup_msg_spin futex_wake)"
	line+="; pipe ping-pong fifo_per_cpu / CFS"
	line+=" $(both pipe_rtt_fifo_per_cpu pipe_rtt_cfs)"
	line+="; sched_yield fifo_per_cpu / CFS $(both yield_fifo_per_cpu yield_cfs)"
	line+="; simple_exp fifo_per_cpu / CFS $(vs fifo_per_cpu cfs)"
	line+=" (with --serial-rounds: pipe"
	line+=" $(both pipe_rtt_fifo_per_cpu_serial pipe_rtt_cfs), sched_yield"
	line+=" $(both yield_fifo_per_cpu_serial yield_cfs), simple_exp"
	line+=" $(vs fifo_per_cpu_serial cfs))"
	line+="; simple_exp fifo_centralized / CFS on remaining CPUs"
	line+=" $(vs fifo_centralized cfs_remaining)"
	line+=" (/ CFS on all $(vs fifo_centralized cfs);"
	line+=" / CFS on remaining CPUs with the agent's CPU busy"
	line+=" $(vs fifo_centralized cfs_remaining_busy))"
	line+="; with --idle-sleep / CFS on remaining CPUs"
	line+=" $(vs fifo_centralized_idle cfs_remaining)"
	[[ -z $(info cpus_fit) ]] || {
		line+="; fitted to the host's CPUs (threads on $(fit_cpus))"
		line+=" / CFS on them $(vs fifo_centralized_fit cfs_fit)"
		line+=" (/ CFS on them with the agent's CPU busy"
		line+=" $(vs fifo_centralized_fit cfs_fit_busy))"
	}
	max=$(group_max)
	for ((n = 1; n <= max; n++)); do
		v=$(group_per_cpu ioctl "$n" 2)
		per+=("$(us "$v")")
	done
	line+="; group commit per-CPU cost N=1..$max: ${per[*]} us"
	line+=" (N=$max / N=1 $(ratio "$(group_per_cpu ioctl "$max" 2)" \
		"$(group_per_cpu ioctl 1 2)"))"
	echo "Summary (median, p99 in brackets): $line"
}

report_header()
{
	local load_before=$1 load_after=$2 rev version boots_note

	rev=$(git -C "$VM_ROOT" describe --always --dirty 2>/dev/null || true)
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$VM_ROOT/dkms.conf")
	boots_note="boot took $(duration "$boot_s")"
	if [[ ${#retried[@]} -gt 0 ]]; then
		boots_note+="; boot(s) ${retried[*]} died of the spurious int3 oops"
		boots_note+=" of QEMU 7.2 multi-threaded TCG and were retried"
		boots_note+=" (console.N.log)"
	else
		boots_note+=", no retry"
	fi
	echo "- guest: Linux $(info kernel) (lane $lane), $(info vcpus) vCPUs," \
		"${GHOST_VM_MEM:-2G} RAM, clocksource $(info clocksource)"
	echo "- ghost: $version${rev:+ (git $rev)}"
	echo "- QEMU: $(qemu-system-x86_64 --version | head -n 1 |
		sed 's/^QEMU emulator version //'), -accel $GHOST_VM_ACCEL," \
		"-smp $GHOST_VM_SMP; $boots_note"
	echo "- host: $(nproc) CPUs," \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
		"/proc/loadavg before: $load_before; after: $load_after"
	echo "- enclave of the scheduler runs: CPUs $(info cpus) (CFS runs" \
		"pinned to them); the microbenchmarks use an enclave of every CPU;" \
		"sched_rt_runtime_us $(info rt_runtime_us)"
	echo "- samples: $(info samples) per microbenchmark series, raw in" \
		"samples/*.txt (ns)"
	if [[ $GHOST_VM_ACCEL == tcg* ]]; then
		echo "- note: under TCG every guest instruction is emulated, on a" \
			"host shared with other work: compare ratios within one run," \
			"not absolute values."
	fi
}

report_md()
{
	# Fitted to the host's CPUs, when the guest ran them.
	[[ -z $(info cpus_fit) ]] ||
		configs+=(fifo_centralized_fit cfs_fit cfs_fit_busy)
	echo "# ghost bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	summary_line
	echo
	report_header "$@"
	echo
	report_micro
	echo
	report_group
	echo
	report_wall
	report_cost
	echo
	report_swap
}

# cdf SERIES: "us fraction" lines of its samples, for gnuplot.
cdf()
{
	local f=$dir/samples/$1.txt n

	[[ -s $f ]] || return 0
	n=$(wc -l <"$f")
	sort -n "$f" | awk -v n="$n" '{ printf "%.3f %.5f\n", $1 / 1000, NR / n }'
}

# plot_cdf OUT TITLE SERIES...: the CDFs of the series in plots/OUT.png.
plot_cdf()
{
	local out=$1 title=$2 s plot=() d=$dir/plots

	shift 2
	for s in "$@"; do
		[[ -s $dir/samples/$s.txt ]] || continue
		cdf "$s" >"$d/$s.cdf"
		plot+=("'$d/$s.cdf' using 1:2 with lines lw 2 title '$s'")
	done
	[[ ${#plot[@]} -gt 0 ]] || return 0
	local IFS=,
	cat <<-EOF
	set output '$d/$out.png'
	set title '$title'
	set xlabel 'latency (us, log scale)'
	set ylabel 'fraction of samples'
	set logscale x
	set yrange [0:1]
	set key bottom right
	set grid
	plot ${plot[*]}
	unset logscale x
	EOF
}

# The per-CPU cost of group commits, N on x.
plot_group()
{
	local d=$dir/plots n max

	max=$(group_max)
	[[ $max -gt 0 ]] || return 0
	for ((n = 1; n <= max; n++)); do
		echo "$n $(group_per_cpu ioctl "$n" 2) $(group_per_cpu ioctl "$n" 3)" \
			"$(group_per_cpu run "$n" 2) $(group_per_cpu run "$n" 3)"
	done | awk '{ for (i = 2; i <= NF; i++) if ($i == "-") $i = "NaN"
		print $1, $2 / 1000, $3 / 1000, $4 / 1000, $5 / 1000 }' >"$d/group.dat"
	cat <<-EOF
	set output '$d/group_commit.png'
	set title 'group commit: cost per CPU'
	set xlabel 'CPUs in one commit (N)'
	set ylabel 'us per CPU'
	set xtics 1
	set yrange [0:*]
	set key top right
	set grid
	plot '$d/group.dat' using 1:2 with linespoints lw 2 title 'ioctl, median', \\
	     '$d/group.dat' using 1:3 with linespoints title 'ioctl, p99', \\
	     '$d/group.dat' using 1:4 with linespoints lw 2 title 'until the last runs, median', \\
	     '$d/group.dat' using 1:5 with linespoints title 'until the last runs, p99'
	EOF
}

# Every plot of the report, with gnuplot.
plots()
{
	local d=$dir/plots term

	mkdir -p "$d"
	command -v gnuplot >/dev/null || {
		echo "gnuplot not installed" >"$d/gnuplot.log"
		return 1
	}
	term=png
	gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && term=pngcairo
	{
		echo "set terminal $term size 800,500 noenhanced"
		plot_cdf commit_to_run "remote commit to run vs futex wake to run" \
			commit_to_run futex_wake
		plot_cdf wakeup_msg_wait "wakeup to message, agent in AGENT_WAIT, vs futex wake" \
			wakeup_msg_wait futex_wake
		plot_cdf wakeup_msg_spin "wakeup to message, spinning agent, vs futex wake" \
			wakeup_msg_spin futex_wake
		plot_cdf pipe_rtt "pipe ping-pong round trip" pipe_rtt_cfs \
			pipe_rtt_fifo_per_cpu pipe_rtt_fifo_per_cpu_serial \
			pipe_rtt_fifo_centralized
		plot_cdf futex_rtt "futex ping-pong round trip" futex_rtt_cfs \
			futex_rtt_fifo_per_cpu futex_rtt_fifo_per_cpu_serial \
			futex_rtt_fifo_centralized
		plot_cdf yield "sched_yield per call" yield_cfs \
			yield_fifo_per_cpu yield_fifo_per_cpu_serial \
			yield_fifo_centralized
		plot_cdf null_ioctl "GHOST_IOC_NULL vs getppid, per call" \
			null_ioctl getppid
		plot_group
	} >"$d/plots.gp"
	gnuplot "$d/plots.gp" >"$d/gnuplot.log" 2>&1
}
