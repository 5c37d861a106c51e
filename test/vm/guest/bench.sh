#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# The measurements of `make bench` (busybox sh, run by init with
# ghostvm.mode=bench), in one boot, with ghost.ko loaded throughout:
#
#   1. the microbenchmarks of test/bench against an enclave of every CPU
#      (no ghost-agent): futex wake to run under CFS, remote commit to
#      run, wakeup to message seen (agent asleep, agent spinning), group
#      commit of 1..N CPUs, the null ioctl next to getppid();
#   2. pipe and futex ping-pong and a sched_yield() loop under CFS (pinned
#      to enclave CPUs), then under ghost-agent with fifo_per_cpu (its
#      local rounds, then with --serial-rounds) and with fifo_centralized,
#      on an enclave of the bench's CPUs;
#   3. simple_exp's wall time under CFS (simple_exp -c, pinned to those
#      CPUs), under each policy (simple_exp -x: the same work; once more
#      under fifo_centralized with ghost-agent --idle-sleep), and under
#      CFS on the CPUs fifo_centralized leaves to threads (also with its
#      agent's CPU busy; and fitted to the host's CPUs, see below), in
#      rounds of one run of each (an agent started for each run), so that
#      a change of the host's load weighs on all of them alike;
#   4. the blackout of policy swaps back and forth between the two while
#      simple_exp runs in the enclave in a loop.
#
# Progress goes to the console.  The raw results go to the results port,
# one "bench: " line each, which test/vm/bench.sh turns into tables:
#   bench: info KEY VALUE...
#   bench: sample SERIES NS...           raw samples of a microbenchmark
#   bench: series SERIES KEY VALUE...    what a series ran on
#   bench: wall CONFIG RUN MS            CONFIG: cfs, fifo_per_cpu, ...
#   bench: test CONFIG RUN TEST MS       one of simple_exp's tests
#   bench: cost CONFIG RUN CTXT IPIS IWI what the machine did for a run
#   bench: tcost CONFIG RUN TEST CTXT IPIS IWI  the same for one test
#   bench: swap N FROM TO THREADS US
#   bench: fail WHAT                     something did not run
# Nothing is judged here: only a step that could not run is reported.
#
# Kernel command line: ghostvm.bench_reps=N (runs per configuration, 7),
# ghostvm.bench_swaps=N (50), ghostvm.bench_scale=N (simple_exp -n, 1),
# ghostvm.bench_cpus=LIST (the enclave, default 1 to the last CPU),
# ghostvm.bench_samples=N (samples per microbenchmark series, 1000),
# ghostvm.bench_rt_runtime=US (kernel.sched_rt_runtime_us, default kept),
# ghostvm.bench_host_cpus=N (the host's CPUs: when fifo_centralized's agent
# and thread CPUs are more, it also runs on as many as the host has).

GHOST_DIR=${GHOST_DIR:-/ghost}
results=${GHOST_RESULTS:-/dev/stdout}
work=/tmp/bench
# Longest a single simple_exp, swap or microbenchmark may take: a hang is
# reported as such and the rest still runs.
step_timeout=300

reps=7
swaps=50
scale=1
samples=1000
rt_runtime=
host_cpus=
cpus=1-$(($(nproc) - 1))
nfail=0

out()
{
	echo "bench: $*" >>"$results"
}

say()
{
	echo "bench: $*"
}

failed()
{
	say "FAILED: $*"
	out "fail $*"
	nfail=$((nfail + 1))
}

# The last lines of FILE on one line, for a failure's reason.
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
		ghostvm.bench_reps=*) reps=${arg#*=} ;;
		ghostvm.bench_swaps=*) swaps=${arg#*=} ;;
		ghostvm.bench_scale=*) scale=${arg#*=} ;;
		ghostvm.bench_cpus=*) cpus=${arg#*=} ;;
		ghostvm.bench_samples=*) samples=${arg#*=} ;;
		ghostvm.bench_rt_runtime=*) rt_runtime=${arg#*=} ;;
		ghostvm.bench_host_cpus=*) host_cpus=${arg#*=} ;;
		esac
	done
}

# The milliseconds of simple_exp's summary line in FILE, if all passed.
simple_exp_ms()
{
	sed -n 's/^simple_exp: [0-9]* passed, 0 failed in \([0-9.]*\) ms$/\1/p' "$1"
}

# The whole machine's context switches, reschedule and function-call
# IPIs, and irq_work interrupts so far: "CTXT IPIS IRQ_WORKS".
kernel_counts()
{
	local ctxt

	ctxt=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
	awk -v ctxt="$ctxt" '
		function sum(   i, n) {
			for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++)
				n += $i
			return n
		}
		$1 == "RES:" || $1 == "CAL:" { ipis += sum() }
		$1 == "IWI:" { iwi += sum() }
		END { printf "%d %d %d\n", ctxt, ipis, iwi }' /proc/interrupts
}

# wall_run CONFIG I CMD...: run I of CMD (a simple_exp), with what the
# machine did for it ("cost" lines: the differences of kernel_counts).
wall_run()
{
	local config=$1 i=$2 ms log name before after

	shift 2
	log=$work/$config.$i.log
	before=$(kernel_counts)
	timeout "$step_timeout" "$@" >"$log" 2>&1
	after=$(kernel_counts)
	out "cost $config $i $(echo "$before $after" |
		awk '{ print $4 - $1, $5 - $2, $6 - $3 }')"
	ms=$(simple_exp_ms "$log")
	if [ -z "$ms" ]; then
		failed "simple_exp under $config, run $i: $(tail_of "$log")"
		return 1
	fi
	say "simple_exp under $config, run $i/$reps: $ms ms"
	out "wall $config $i $ms"
	sed -n 's/^simple_exp: \([a-z]*\): pass (\([0-9.]*\) ms.*/\1 \2/p' \
		"$log" | while read -r name ms; do
		out "test $config $i $name $ms"
	done
	sed -n 's/^simple_exp: \([a-z]*\): cost \([0-9]*\) switches, \([0-9]*\) ipis, \([0-9]*\) irq_works$/\1 \2 \3 \4/p' \
		"$log" | while read -r name ctxt ipis iwi; do
		out "tcost $config $i $name $ctxt $ipis $iwi"
	done
}

AGENT_PID=
ENCLAVE=
global_opt=
# fifo_centralized's second run: ghost-agent --idle-sleep.
idle_sleep_us=100

# start_agent POLICY WHAT: ghost-agent with POLICY on a new enclave of the
# bench's CPUs, the runnable watchdog off (an emulated CPU may leave a
# thread waiting for long, as in test/vm/cases/60-ghost-agent.sh).
start_agent()
{
	local policy=$1 what=$2 i ready

	# Emptied first: the redirection happens in the child, after the
	# loop below may have read an earlier agent's readiness line.
	: >"$work/agent.out"
	: >"$work/agent.err"
	# shellcheck disable=SC2086 # empty or two words
	ghost-agent --cpus "${agent_cpus:-$cpus}" --policy "$policy" $global_opt \
		>"$work/agent.out" 2>"$work/agent.err" &
	AGENT_PID=$!
	for i in $(seq 1 120); do
		ready=$(sed -n 's/^ghost-agent: ready: enclave \([0-9]*\),.*/\1/p' \
			"$work/agent.out")
		[ -z "$ready" ] || break
		if ! kill -0 "$AGENT_PID" 2>/dev/null; then
			wait "$AGENT_PID"
			failed "ghost-agent --policy $policy for $what exited $?:" \
				"$(tail_of "$work/agent.err")"
			AGENT_PID=
			return 1
		fi
		sleep 0.5
	done
	if [ -z "$ready" ]; then
		failed "ghost-agent --policy $policy for $what not ready" \
			"after 60 s: $(tail_of "$work/agent.err")"
		stop_agent
		return 1
	fi
	ENCLAVE=$ready
	if ! ghostctl enclave set "$ENCLAVE" --runnable-timeout 0 >/dev/null; then
		failed "ghostctl enclave set $ENCLAVE --runnable-timeout 0"
		stop_agent
		return 1
	fi
	say "ghost-agent: $(head -n 1 "$work/agent.out" | sed 's/^ghost-agent: //')"
}

# SIGINT; the agent destroys the enclave it created and exits 0.  One
# that hangs is killed after 30 s, and reported.
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
	if [ "$rc" -ne 0 ]; then
		failed "ghost-agent exited $rc after SIGINT:" \
			"$(tail_of "$work/agent.err")"
		return 1
	fi
	# Anything the agent left (it should not) would skew what follows.
	[ ! -d "/sys/fs/ghost/enclave_$ENCLAVE" ] ||
		echo destroy >"/sys/fs/ghost/enclave_$ENCLAVE/ctl"
}

# The CPUs of a list like 1-3,5, one a line.
cpu_list()
{
	echo "$1" | tr ',' '\n' | awk -F- '{
		for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }'
}

# bench_prog WHAT CMD...: a microbenchmark program; its samples and
# series information go to the results port, its summaries to the console.
bench_prog()
{
	local what=$1 log rc name

	shift
	log=$work/prog.log
	BENCH_SAMPLES=$samples GT_TEST_TIMEOUT=$step_timeout \
		timeout "$step_timeout" "$@" >"$log" 2>&1
	rc=$?
	sed -n 's/^sample /sample /p; s/^info /series /p' "$log" |
		while IFS= read -r line; do
			out "$line"
		done
	sed -n 's/^summary \([^ ]*\) \([^ ]*\) \([^ ]*\) \([^ ]*\) \(.*\)/\1: n \2, median \3 ns, p99 \4 ns, max \5 ns/p' \
		"$log" | while IFS= read -r line; do
			say "$line"
		done
	if [ "$rc" -ne 0 ]; then
		failed "$what exited $rc: $(tail_of "$log")"
		return 1
	fi
	# A program that printed nothing measured nothing.
	name=$(sed -n 's/^summary \([^ ]*\) 0 .*/\1/p' "$log" | head -n 1)
	if ! grep -q '^summary ' "$log" || [ -n "$name" ]; then
		failed "$what: no samples${name:+ for $name}"
		return 1
	fi
}

# Against an enclave of every CPU, driven by the programs themselves.
bench_micro()
{
	local b=$GHOST_DIR/build/test/bench

	bench_prog "futex wake to run" "$b/futex_wake" cfs
	bench_prog "remote commit to run" "$b/commit_to_run" remote
	bench_prog "wakeup to message, agent in AGENT_WAIT" \
		"$b/wakeup_to_msg" wait
	bench_prog "wakeup to message, spinning agent" "$b/wakeup_to_msg" spin
	bench_prog "group commit" "$b/group_commit" scaling
	bench_prog "null ioctl" "$b/null_ioctl" compare
}

# bench_loops CONFIG [CMD...]: ping-pong and yield loops under CONFIG, in
# CMD (ghostctl run ...) or, for CFS, pinned to the first enclave CPUs.
bench_loops()
{
	local config=$1 a='' b='' pin_yield='' m
	local b_dir=$GHOST_DIR/build/test/bench

	shift
	if [ "$config" = cfs ]; then
		a="-a $cpu_a"
		b="-b $cpu_b"
		pin_yield="-c $cpu_a"
	fi
	for m in pipe futex; do
		# shellcheck disable=SC2086 # empty or two words
		bench_prog "$m ping-pong under $config" "$@" "$b_dir/pingpong" -m "$m" \
			-s "${m}_rtt_$config" $a $b
	done
	# shellcheck disable=SC2086
	bench_prog "sched_yield loop under $config" "$@" "$b_dir/yield_loop" \
		-s "yield_$config" $pin_yield
}

# The agent options of a scheduler configuration (global_opt).
config_opt()
{
	case $1 in
	fifo_per_cpu_serial) echo --serial-rounds ;;
	fifo_centralized) echo "--global-cpu $cpu_global" ;;
	# Its agent sleeping when it has nothing to do: its vCPU then gives
	# the host CPU back to the others.
	fifo_centralized_idle)
		echo "--global-cpu $cpu_global --idle-sleep $idle_sleep_us" ;;
	fifo_centralized_fit) echo "--global-cpu $cpu_global" ;;
	esac
}

# bench_policy POLICY CONFIG: the loops under POLICY, reported as CONFIG.
bench_policy()
{
	local policy=$1 config=$2

	global_opt=$(config_opt "$config")
	start_agent "$policy" "the $config loops" || return 1
	bench_loops "$config" ghostctl run "$ENCLAVE" --
	stop_agent
}

# The naps the agent of $ENCLAVE took so far (ghost-agent --idle-sleep).
agent_naps()
{
	ghostctl --json status "$ENCLAVE" |
		sed -n 's/.*"idle_sleeps":\([0-9]*\).*/\1/p'
}

# wall_policy POLICY CONFIG I: run I of simple_exp under POLICY, its
# agent started for it; with --idle-sleep, how often the agent slept
# ("naps" lines: each nap ends in a wakeup of its CPU).
wall_policy()
{
	local policy=$1 config=$2 i=$3 n0 n1

	global_opt=$(config_opt "$config")
	start_agent "$policy" "the $config run $i" || return 1
	n0=$(agent_naps)
	wall_run "$config" "$i" ghostctl run "$ENCLAVE" -- \
		simple_exp -x -k -n "$scale"
	n1=$(agent_naps)
	case $global_opt in
	*--idle-sleep*)
		[ -z "$n0" ] || [ -z "$n1" ] ||
			out "naps $config $i $((n1 - n0))" ;;
	esac
	stop_agent
}

# wall_busy CONFIG I CPUS: run I of simple_exp under CFS on CPUS while
# the agent's CPU spins (with a pause, as the agent does).
wall_busy()
{
	local busy_pid

	taskset -c "$cpu_global" "$GHOST_DIR/build/test/bench/busy_cpu" &
	busy_pid=$!
	wall_run "$1" "$2" taskset -c "$3" simple_exp -c -k -n "$scale"
	kill "$busy_pid"
	wait "$busy_pid" 2>/dev/null
}

# Run I of simple_exp under every configuration, one after another, so
# that a change of the host's load in the boot weighs on all of them.
wall_round()
{
	local i=$1

	wall_run cfs "$i" taskset -c "$cpus" simple_exp -c -k -n "$scale"
	wall_policy fifo_per_cpu fifo_per_cpu "$i"
	# The same policy, its rounds one at a time under one lock.
	wall_policy fifo_per_cpu fifo_per_cpu_serial "$i"
	wall_policy fifo_centralized fifo_centralized "$i"
	wall_policy fifo_centralized fifo_centralized_idle "$i"
	# The CPUs fifo_centralized leaves to threads, under CFS.
	wall_run cfs_remaining "$i" taskset -c "$cpus_remaining" \
		simple_exp -c -k -n "$scale"
	# The same with the agent's CPU kept busy: under emulation a busy
	# vCPU takes a host CPU away from the others, which a real machine
	# does not do.
	wall_busy cfs_remaining_busy "$i" "$cpus_remaining"
	[ -n "$cpus_fit" ] || return 0
	# Fitted to the host: the agent's CPU and as many for threads as
	# leave every busy vCPU a host CPU, against CFS on those.
	agent_cpus="$cpu_global,$cpus_fit"
	wall_policy fifo_centralized fifo_centralized_fit "$i"
	agent_cpus=
	wall_run cfs_fit "$i" taskset -c "$cpus_fit" \
		simple_exp -c -k -n "$scale"
	# And with the agent's CPU busy: what is left of the emulator's cost.
	wall_busy cfs_fit_busy "$i" "$cpus_fit"
}

bench_sched()
{
	local i

	bench_loops cfs
	bench_policy fifo_per_cpu fifo_per_cpu
	bench_policy fifo_per_cpu fifo_per_cpu_serial
	bench_policy fifo_centralized fifo_centralized
	for i in $(seq 1 "$reps"); do
		wall_round "$i"
	done
	global_opt=
}

# simple_exp over and over in the enclave until $work/stop appears.
swap_workload()
{
	local n=0

	while [ ! -e "$work/stop" ]; do
		n=$((n + 1))
		if ! timeout "$step_timeout" ghostctl run "$ENCLAVE" -- \
				simple_exp -n "$scale" >"$work/loop.log" 2>&1; then
			cp "$work/loop.log" "$work/loop.failed"
			return 1
		fi
	done
	echo "$n" >"$work/loop.runs"
}

bench_swap()
{
	local i from=fifo_per_cpu to=fifo_centralized line v loop

	start_agent "$from" "the swaps" || return 1
	rm -f "$work/stop" "$work/loop.failed" "$work/loop.runs"
	swap_workload &
	loop=$!
	# Let the workload's threads settle in the enclave.
	sleep 1
	for i in $(seq 1 "$swaps"); do
		if ! line=$(timeout "$step_timeout" \
				ghostctl policy swap "$ENCLAVE" "$to" 2>&1); then
			failed "swap $i, $from -> $to: $line"
			break
		fi
		# "enclave 1: policy P (MODEL), hand-over by H, N threads,
		# blackout T us"
		v=$(echo "$line" |
			sed -n 's/.*, \([0-9]*\) threads, blackout \([0-9.]*\) us$/\1 \2/p')
		if [ -z "$v" ]; then
			failed "swap $i, $from -> $to: cannot parse '$line'"
			break
		fi
		out "swap $i $from $to $v"
		[ $((i % 10)) -ne 0 ] || say "swap $i/$swaps: $line"
		line=$from
		from=$to
		to=$line
		# Some work under each policy between two swaps.
		sleep 0.2
	done
	: >"$work/stop"
	wait "$loop"
	if [ -e "$work/loop.failed" ]; then
		failed "simple_exp during the swaps: $(tail_of "$work/loop.failed")"
	else
		say "simple_exp ran $(cat "$work/loop.runs") times during the swaps"
		out "info swap_workload_runs $(cat "$work/loop.runs")"
	fi
	stop_agent
}

main()
{
	parse_cmdline
	mkdir -p "$work"
	out "info kernel $(uname -r)"
	out "info vcpus $(nproc)"
	out "info cpus $cpus"
	out "info reps $reps"
	out "info swaps $swaps"
	out "info scale $scale"
	[ -z "$rt_runtime" ] ||
		echo "$rt_runtime" >/proc/sys/kernel/sched_rt_runtime_us
	out "info rt_runtime_us $(cat /proc/sys/kernel/sched_rt_runtime_us)"
	out "info samples $samples"
	# The TSC's rate as the kernel refined it against the HPET.
	out "info clocksource $(cat \
		/sys/devices/system/clocksource/clocksource0/current_clocksource)$(
		dmesg | sed -n 's/.*Refined TSC clocksource calibration: /, TSC at /p')"
	# shellcheck disable=SC2046 # one CPU a word
	set -- $(cpu_list "$cpus")
	if [ $# -lt 2 ]; then
		failed "the bench needs two enclave CPUs or more, not '$cpus'"
		return 1
	fi
	cpu_a=$1
	cpu_b=$2
	cpu_global=$1
	shift
	cpus_remaining=$(echo "$@" | tr ' ' ',')
	out "info global_cpu $cpu_global"
	out "info idle_sleep_us $idle_sleep_us"
	out "info cpus_remaining $cpus_remaining"
	# More busy vCPUs than host CPUs under fifo_centralized (its agent
	# spins): the host shares its CPUs among them, which a real machine
	# does not; so it runs on fewer too (at least one thread CPU).
	cpus_fit=
	if [ -n "$host_cpus" ] && [ $# -ge "$host_cpus" ]; then
		cpus_fit=$(echo "$@" | tr ' ' '\n' |
			head -n "$((host_cpus > 1 ? host_cpus - 1 : 1))" |
			tr '\n' ',' | sed 's/,$//')
		out "info cpus_fit $cpus_fit"
	fi
	out "info pinned_cpus $cpu_a $cpu_b"
	say "Linux $(uname -r), $(nproc) vCPUs, enclave CPUs $cpus," \
		"$reps runs each, $swaps swaps, $samples samples a series"

	if ! /usr/sbin/modprobe ghost || ! mount -t ghost ghost /sys/fs/ghost; then
		failed "loading ghost.ko"
		return 1
	fi
	bench_micro
	bench_sched
	bench_swap
	out "info end"
	[ "$nfail" -eq 0 ]
}

main "$@"
