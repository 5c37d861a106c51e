#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# The RocksDB experiment of `make experiment` (busybox sh, run by init
# with ghostvm.mode=experiment), in one boot with ghost.ko loaded:
#
#   1. calibrate: the service time of a GET and of a scan, alone on one
#      thread, and the scan size that makes a scan cost about 1000 GETs;
#   2. the capacity: what CFS with the workers on the enclave's CPUs
#      serves when offered more than it can;
#   3. a sweep of offered loads (fractions of that capacity) under CFS, CFS with the workers pinned to the
#      enclave's CPUs, ghost shinjuku with the workers' hints, and ghost
#      fifo_centralized; the load generator alone on CPU 0 throughout;
#   4. a profile of one run at the capacity under each scheduler: each
#      CPU's busy share, and for ghost the agent's CPU share, message and
#      decision rates and the threads' waits for a CPU;
#   5. at one fixed load, the server alone and beside spinning
#      antagonists: under CFS (pinned, the antagonists at nice 19 on the
#      same CPUs) and under shinjuku (the antagonists in the same enclave,
#      without hints: class 0 below the workers' class 1).
#
# Results go to the results port, one "experiment: " line each:
#   experiment: info KEY VALUE...
#   experiment: calibrate <rocksdb_server's calibrate line>
#   experiment: run CONFIG <rocksdb_server's run line>
#   experiment: prof CONFIG cpuN=BUSY% ... [agent_*=, *_to_run_*_ns=]
#   experiment: mark begin|end CONFIG   a profile's window, for the host
#   experiment: b64 NAME LINE      NAME.tsv.gz (every request's times), base64
#   experiment: fail WHAT          something did not run
# Nothing is judged here.
#
# Kernel command line: ghostvm.exp_keys=N (200000), ghostvm.exp_loads=F,F...
# (fractions of the capacity), ghostvm.exp_duration=S (seconds per load),
# ghostvm.exp_slice_us=US (shinjuku's slice; SLICE_GETS GETs by default),
# ghostvm.exp_workers=N,
# ghostvm.exp_ant_load=F (the antagonist runs' load, a fraction),
# ghostvm.exp_rt_runtime=US (kernel.sched_rt_runtime_us; default kept).

GHOST_DIR=${GHOST_DIR:-/ghost}
results=${GHOST_RESULTS:-/dev/stdout}
work=/tmp/experiment

keys=200000
loads=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.2
duration=5
slice_us=
# shinjuku's default slice in calibrated GETs.  The slice is there to stop
# a scan (1000 GETs) from holding a CPU while GETs wait; a GET should end
# within one, or every GET is preempted and pays a commit round trip of
# the centralized agent (tens of us under TCG, as long as a GET itself).
# GETs served beside others run longer than alone: 10 leaves room for it.
SLICE_GETS=10
# The *_idle runs: ghost-agent --idle-sleep, the agent sleeping once it
# has had nothing to do for this long (us).
IDLE_SLEEP_US=100
workers=
ant_load=0.2
rt_runtime=
nfail=0
AGENT_PID=
ENCLAVE=

out()
{
	echo "experiment: $*" >>"$results"
}

say()
{
	echo "experiment: $*"
}

failed()
{
	say "FAILED: $*"
	out "fail $*"
	nfail=$((nfail + 1))
}

tail_of()
{
	tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'
}

parse_cmdline()
{
	local arg

	# shellcheck disable=SC2013 # words, not lines
	for arg in $(cat /proc/cmdline); do
		case $arg in
		ghostvm.exp_keys=*) keys=${arg#*=} ;;
		ghostvm.exp_loads=*) loads=${arg#*=} ;;
		ghostvm.exp_duration=*) duration=${arg#*=} ;;
		ghostvm.exp_slice_us=*) slice_us=${arg#*=} ;;
		ghostvm.exp_workers=*) workers=${arg#*=} ;;
		ghostvm.exp_ant_load=*) ant_load=${arg#*=} ;;
		ghostvm.exp_rt_runtime=*) rt_runtime=${arg#*=} ;;
		esac
	done
}

# field LINE NAME: NAME's value in a KEY=VALUE line.
field()
{
	echo " $1 " | sed -n "s/.* $2=\([^ ]*\) .*/\1/p"
}

start_agent()
{
	local policy=$1 ready

	shift
	# Emptied first: the redirection happens in the child, after the
	# loop below may have read an earlier agent's readiness line.
	: >"$work/agent.out"
	: >"$work/agent.err"
	ghost-agent --cpus "$cpus" --policy "$policy" "$@" \
		>"$work/agent.out" 2>"$work/agent.err" &
	AGENT_PID=$!
	for _ in $(seq 1 120); do
		ready=$(sed -n 's/^ghost-agent: ready: enclave \([0-9]*\),.*/\1/p' \
			"$work/agent.out")
		[ -z "$ready" ] || break
		if ! kill -0 "$AGENT_PID" 2>/dev/null; then
			wait "$AGENT_PID"
			failed "ghost-agent --policy $policy exited $?:" \
				"$(tail_of "$work/agent.err")"
			AGENT_PID=
			return 1
		fi
		sleep 0.5
	done
	if [ -z "$ready" ]; then
		failed "ghost-agent --policy $policy not ready after 60 s"
		stop_agent
		return 1
	fi
	ENCLAVE=$ready
	# A slow emulated CPU may leave a thread waiting for long.
	ghostctl enclave set "$ENCLAVE" --runnable-timeout 0 >/dev/null ||
		failed "ghostctl enclave set $ENCLAVE --runnable-timeout 0"
}

stop_agent()
{
	local rc killer

	[ -n "$AGENT_PID" ] || return 0
	kill -INT "$AGENT_PID"
	(sleep 30 && kill -KILL "$AGENT_PID" 2>/dev/null) &
	killer=$!
	wait "$AGENT_PID"
	rc=$?
	kill "$killer" 2>/dev/null
	AGENT_PID=
	[ "$rc" -eq 0 ] ||
		failed "ghost-agent exited $rc after SIGINT: $(tail_of "$work/agent.err")"
	[ ! -d "/sys/fs/ghost/enclave_$ENCLAVE" ] ||
		echo destroy >"/sys/fs/ghost/enclave_$ENCLAVE/ctl"
}

# send NAME FILE: FILE, compressed, to the host as NAME.tsv.gz.
send()
{
	gzip -c "$2" | base64 | sed "s/^/experiment: b64 $1 /" >>"$results"
}

# server CONFIG RATES ARGS...: rocksdb_server at each of RATES (a comma
# list) with ARGS; its run lines and samples go to the host.  Runs past
# saturation drop requests (exit status 1): only a wrong answer, a
# missing run or a failure to start is a failure here.
server()
{
	local config=$1 rates=$2 log=$work/$1.log n want line

	shift 2
	say "$config: rates $rates"
	# The drain is short: past saturation the queue is dropped, not served.
	# shellcheck disable=SC2086 # common is split on purpose
	timeout 3600 rocksdb_server $common --rate "$rates" --drain 1 \
		--samples "$work/$config.tsv" "$@" >"$log" 2>"$log.err"
	grep '^run ' "$log" | while IFS= read -r line; do
		out "run $config $line"
		say "$config: rate $(field "$line" rate):" \
			"throughput $(field "$line" throughput)," \
			"p99 $(field "$line" p99_us) us, dropped $(field "$line" dropped)"
	done
	n=$(grep -c '^run ' "$log")
	want=$(echo "$rates" | tr ',' '\n' | grep -c .)
	if [ "$n" -ne "$want" ]; then
		failed "$config: $n of $want runs: $(tail_of "$log.err")"
	elif grep '^run ' "$log" | grep -qv ' errors=0 '; then
		failed "$config: wrong answers: $(tail_of "$log.err")"
	fi
	[ ! -s "$work/$config.tsv" ] || send "$config" "$work/$config.tsv"
	rm -f "$work/$config.tsv"
}

# agent_opts POLICY CONFIG: ghost-agent's options for CONFIG: shinjuku's
# slice, and for a CONFIG named *_idle an agent that sleeps when idle.
agent_opts()
{
	[ "$1" != shinjuku ] || printf ' --opt slice_us=%s' "$slice_us"
	case $2 in
	*_idle) printf ' --idle-sleep %s' "$IDLE_SLEEP_US" ;;
	esac
}

# under_agent POLICY CONFIG RATES ANTAGONISTS ARGS...: server in the
# agent's enclave, with ANTAGONISTS spinning threads in it too (0: none).
under_agent()
{
	local policy=$1 config=$2 rates=$3 ants=$4 ant=''

	shift 4
	# shellcheck disable=SC2046 # options split on purpose
	start_agent "$policy" $(agent_opts "$policy" "$config") || return 1
	[ "$ants" -eq 0 ] ||
		ant="--antagonists $ants --antagonist-enclave $ENCLAVE"
	# shellcheck disable=SC2086 # ant is split on purpose
	server "$config" "$rates" --enclave "$ENCLAVE" $ant "$@"
	stop_agent
}

# cpu_times: "busy total" jiffies of each CPU, one line per CPU.
cpu_times()
{
	awk '$1 ~ /^cpu[0-9]+$/ {
		t = 0
		for (i = 2; i <= NF; i++) t += $i
		print substr($1, 4), t - $5 - $6, t }' /proc/stat
}

# json_num JSON KEY: the number after "KEY": in JSON (the first one).
json_num()
{
	echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" | head -n 1
}

# json_obj JSON KEY: the {...} after "KEY": in JSON, up to its first "}".
json_obj()
{
	echo "$1" | sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" | head -n 1
}

# profile CONFIG ARGS...: one run at the capacity with ARGS, and where
# the time went in the middle of it (after the database is loaded and
# the workers started, until a second before the arrivals end): each
# CPU's busy share, and for an enclave (ARGS hold --enclave) its agent's
# CPU share, message and decision rates and the threads' waits for a CPU
# (ghostctl top).  "mark" lines bound the window for the host, which
# measures what each vCPU took of its cores meanwhile.
profile()
{
	local config=$1 log=$work/prof.log before after line f w pid win

	shift
	win=$((duration > 2 ? duration - 1 : 1))
	rm -f "$work/prof.top"
	# shellcheck disable=SC2086 # common is split on purpose
	timeout 600 rocksdb_server $common --rate "$capacity" --drain 1 \
		"$@" >"$log" 2>"$log.err" &
	pid=$!
	for _ in $(seq 1 600); do
		grep -q '^config ' "$log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null &&
			break
		sleep 0.1
	done
	sleep 0.5
	out "mark begin $config"
	before=$(cpu_times)
	if [ -n "$ENCLAVE" ] && echo " $* " | grep -q ' --enclave '; then
		ghostctl --json top "$ENCLAVE" --interval "$win" --count 1 \
			>"$work/prof.top" 2>&1
	else
		sleep "$win"
	fi
	after=$(cpu_times)
	out "mark end $config"
	wait "$pid"
	line=$(grep '^run ' "$log")
	if [ -z "$line" ]; then
		failed "profile $config: $(tail_of "$log.err")"
		return 1
	fi
	out "run prof_$config $line"
	line="prof $config"
	for f in $(printf '%s\n%s\n' "$before" "$after" | awk '
		{ if ($1 in b) printf "cpu%s=%.0f ", $1, \
			($3 > t[$1]) ? 100 * ($2 - b[$1]) / ($3 - t[$1]) : 0
		  else { b[$1] = $2; t[$1] = $3 } }'); do
		line="$line $f"
	done
	if [ -s "$work/prof.top" ]; then
		w=$(cat "$work/prof.top")
		for f in cpu_pct msgs_per_s commits_per_s decisions_per_s; do
			line="$line agent_$f=$(json_num "$w" "$f")"
		done
		for f in runnable_to_run placed_to_run; do
			line="$line ${f}_mean_ns=$(json_num "{$(json_obj "$w" "$f")}" mean_ns)"
			line="$line ${f}_p99_ns=$(json_num "{$(json_obj "$w" "$f")}" p99_ns)"
		done
	fi
	out "$line"
	say "$line"
}

# profile_agent POLICY CONFIG ARGS...: profile under POLICY's agent.
profile_agent()
{
	local policy=$1 config=$2

	shift 2
	# shellcheck disable=SC2046 # options split on purpose
	start_agent "$policy" $(agent_opts "$policy" "$config") || return 1
	profile "$config" --enclave "$ENCLAVE" "$@"
	stop_agent
	ENCLAVE=
}

calibrate()
{
	local line

	line=$(rocksdb_server --keys "$keys" --calibrate 2>"$work/cal.err" |
		grep '^calibrate ')
	scan_keys=$(field "$line" scan_keys_1000x)
	if [ -z "$scan_keys" ] || [ "$scan_keys" -lt 1 ]; then
		failed "calibration: $line $(tail_of "$work/cal.err")"
		return 1
	fi
	[ "$scan_keys" -le "$keys" ] || scan_keys=$keys
	out "calibrate first $line"
	line=$(rocksdb_server --keys "$keys" --scan-keys "$scan_keys" \
		--calibrate 2>"$work/cal.err" | grep '^calibrate ')
	get_us=$(field "$line" get_us)
	scan_us=$(field "$line" scan_us)
	if [ -z "$get_us" ] || [ -z "$scan_us" ]; then
		failed "calibration at $scan_keys keys: $(tail_of "$work/cal.err")"
		return 1
	fi
	out "calibrate final $line"
	say "GET $get_us us, scan of $scan_keys keys $scan_us us"
	if [ -z "$slice_us" ]; then
		slice_us=$(awk -v g="$get_us" -v n="$SLICE_GETS" 'BEGIN {
			s = int(n * g + 0.999); print s < 50 ? 50 : s }')
		out "info slice_from ${SLICE_GETS}_gets"
	fi
	out "info slice_us $slice_us"
}

# measure_capacity ESTIMATE: sets capacity to what CFS with the workers
# on the enclave's CPUs serves when offered more than it can (twice the
# estimate, or the estimate again while that is still all served), so
# that the sweep's fractions of it span the loads each scheduler meets
# its SLO at and the loads past saturation.
measure_capacity()
{
	local rate=$(($1 * 2)) line achieved

	for _ in 1 2 3; do
		# shellcheck disable=SC2086 # common is split on purpose
		line=$(timeout 600 rocksdb_server $common --rate "$rate" \
			--drain 1 --worker-cpus "$cpus" 2>"$work/cap.err" |
			grep '^run ')
		achieved=$(field "$line" throughput)
		if [ -z "$achieved" ]; then
			failed "capacity at $rate requests/s: $(tail_of "$work/cap.err")"
			return 1
		fi
		out "run capacity $line"
		capacity=${achieved%.*}
		# Served nearly all it was offered: not saturated yet.
		[ "$capacity" -lt $((rate * 9 / 10)) ] && return 0
		rate=$((rate * 4))
	done
	return 0
}

main()
{
	local ncpus capacity estimate rates ant_rate

	parse_cmdline
	mkdir -p "$work"
	ncpus=$(nproc)
	cpus=1-$((ncpus - 1))
	ncpus=$((ncpus - 1))
	workers=${workers:-$((4 * ncpus))}
	out "info kernel $(uname -r)"
	out "info vcpus $(nproc)"
	out "info cpus $cpus"
	out "info gen_cpu 0"
	out "info idle_sleep_us $IDLE_SLEEP_US"
	out "info workers $workers"
	out "info keys $keys"
	out "info duration $duration"
	# The TSC's rate as the kernel refined it against the HPET.
	out "info clocksource $(cat \
		/sys/devices/system/clocksource/clocksource0/current_clocksource)$(
		dmesg | sed -n 's/.*Refined TSC clocksource calibration: /, TSC at /p')"
	if [ -n "$rt_runtime" ] &&
	   ! echo "$rt_runtime" >/proc/sys/kernel/sched_rt_runtime_us; then
		failed "setting kernel.sched_rt_runtime_us to $rt_runtime"
		return 1
	fi
	out "info rt_runtime_us $(cat /proc/sys/kernel/sched_rt_runtime_us)"
	if [ "$ncpus" -lt 2 ]; then
		failed "the experiment needs 3 vCPUs or more"
		return 1
	fi
	if ! /usr/sbin/modprobe ghost || ! mount -t ghost ghost /sys/fs/ghost; then
		failed "loading ghost.ko"
		return 1
	fi
	calibrate || return 1

	# What the enclave's CPUs could serve if each ran as fast as one CPU
	# alone: far more than they do when vCPUs share host cores.
	estimate=$(awk -v g="$get_us" -v s="$scan_us" -v n="$ncpus" 'BEGIN {
		printf "%d", n * 1e6 / (0.995 * g + 0.005 * s) }')
	out "info capacity_estimate $estimate"
	common="--keys $keys --scan-keys $scan_keys --workers $workers --gen-cpu 0 --duration $duration"
	measure_capacity "$estimate" || return 1
	rates=$(echo "$loads" | tr ',' '\n' | awk -v c="$capacity" '
		{ r = int($1 * c + 0.5); if (r < 1) r = 1; printf "%s%d", (NR > 1 ? "," : ""), r }')
	ant_rate=$(awk -v c="$capacity" -v f="$ant_load" 'BEGIN {
		r = int(f * c + 0.5); print r < 1 ? 1 : r }')
	out "info capacity $capacity"
	out "info rates $rates"
	out "info ant_rate $ant_rate"
	say "capacity about $capacity requests/s; rates $rates"

	server cfs "$rates"
	server cfs_pinned "$rates" --worker-cpus "$cpus"
	under_agent shinjuku shinjuku "$rates" 0 --hints
	under_agent fifo_centralized fifo_centralized "$rates" 0
	under_agent shinjuku shinjuku_idle "$rates" 0 --hints
	under_agent fifo_centralized fifo_centralized_idle "$rates" 0

	ENCLAVE=
	profile cfs
	profile cfs_pinned --worker-cpus "$cpus"
	profile_agent shinjuku shinjuku --hints
	profile_agent fifo_centralized fifo_centralized
	profile_agent shinjuku shinjuku_idle --hints
	profile_agent fifo_centralized fifo_centralized_idle

	server ant_cfs_alone "$ant_rate" --worker-cpus "$cpus"
	server ant_cfs "$ant_rate" --worker-cpus "$cpus" \
		--antagonists "$ncpus" --antagonist-nice 19 --antagonist-cpus "$cpus"
	under_agent shinjuku ant_shinjuku_alone "$ant_rate" 0 --hints
	under_agent shinjuku ant_shinjuku "$ant_rate" "$ncpus" --hints
	out "info end"
	[ "$nfail" -eq 0 ]
}

main "$@"
