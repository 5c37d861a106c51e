# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: the agent runtime end to end.  ghost-agent with each
# policy (fifo_per_cpu, fifo_centralized, sol, shinjuku, cfs, edf, biff)
# schedules simple_exp; a hot swap in the middle of a run keeps
# every thread (fifo_per_cpu to fifo_centralized and back, sol to
# fifo_centralized and back, edf to fifo_centralized and back, biff to
# fifo_per_cpu and back); biff runs everything from the dispatch lists,
# without a commit; a second agent process takes over; an
# agent killed with -9 is replaced within the grace period, or, once it
# has passed, leaves every thread as it was and a new agent starts
# afresh; SIGINT gives the threads back to the normal scheduler; ghostctl
# status and task commands; shinjuku and edf schedule simple_exp, and an
# example server whose workers publish hints (and deadlines, for edf)
# through a region registered with the agent.
#
# The runnable watchdog is turned off in these tests: they are about the
# agent, and a slow emulated CPU may leave a thread waiting for long.


# swap_there_and_back A B [ARGS...]: under policy A (ghost-agent ARGS),
# simple_exp runs while the agent swaps to B and back to A, each time
# handing the state over by export; simple_exp must pass (no thread lost).
swap_there_and_back()
{
	local sp a=$1 b=$2

	shift 2
	clean_ghost
	start_agent a --cpus 0-3 --policy "$a" "$@"
	no_watchdog 1
	ghostctl run 1 -- simple_exp -n 2 >simple_exp.log 2>&1 &
	sp=$!
	sleep 2
	ghostctl policy swap 1 "$b" >swap1.txt || fail "swap to $b failed"
	grep -q "policy $b (.*), hand-over by export" swap1.txt ||
		fail "swap: $(cat swap1.txt)"
	sleep 2
	ghostctl policy swap 1 "$a" >swap2.txt || fail "swap to $a failed"
	grep -q "policy $a (.*), hand-over by export" swap2.txt ||
		fail "swap: $(cat swap2.txt)"
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	stop_agent "$AGENT_PID"
}

test_fifo_per_cpu_runs_simple_exp()
{
	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	grep -q 'ready: enclave 1, policy fifo_per_cpu, CPUs 0-1' a.out ||
		fail "readiness line: $(cat a.out)"
	no_watchdog 1
	simple_exp_in 1
	stop_agent "$AGENT_PID"
	[ ! -d "$GHOST_FS/enclave_1" ] ||
		fail "the agent created enclave 1 but left it on exit"
}

# fifo_per_cpu allows concurrent callbacks: every round is a local one
# (each agent drains its own queue and decides for its own CPU, without
# the others' lock), by lists and by commits alike, and every thread still
# runs only where and when it was decided (the audit); none with
# --serial-rounds.
test_fifo_per_cpu_decides_in_local_rounds()
{
	local opt rounds local_rounds

	for opt in dispatch_depth=32 dispatch_depth=0; do
		clean_ghost
		start_agent a --cpus 0-3 --policy fifo_per_cpu --opt "$opt"
		no_watchdog 1
		audit_on 1
		simple_exp_in 1
		ghostctl --json status 1 >status.json ||
			fail "ghostctl status failed"
		rounds=$(sed -n 's/.*"rounds":\([0-9]*\).*/\1/p' status.json)
		local_rounds=$(sed -n 's/.*"local_rounds":\([0-9]*\).*/\1/p' \
			status.json)
		[ "${local_rounds:-0}" -gt 0 ] &&
			[ "$local_rounds" = "$rounds" ] ||
			fail "$opt: $local_rounds of $rounds rounds local: $(cat status.json)"
		echo "$opt: $rounds rounds, helped:" \
			"$(sed -n 's/.*"helped_rounds":\([0-9]*\).*/\1/p' status.json)"
		check_audit 1
		stop_agent "$AGENT_PID"
	done
	# And with --serial-rounds, none.
	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_per_cpu --serial-rounds
	[ -d "$GHOST_FS/enclave_1" ] || fail "--serial-rounds: no enclave 1" \
		"after: $(cat a.out); the agent said: $(cat a.err)" \
		"$(kill -0 "$AGENT_PID" 2>/dev/null || echo "(it exited)")"
	no_watchdog 1
	simple_exp_in 1
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	grep -q '"local_rounds":0[,}]' status.json &&
		grep -q '"serial_rounds":1[,}]' status.json ||
		fail "--serial-rounds: $(cat status.json)"
	stop_agent "$AGENT_PID"
}

# cfs preempts on the kernel's ticks: it turns deliver_ticks on, and every
# thread still runs only where and when it was committed (the audit).
test_cfs_runs_simple_exp()
{
	clean_ghost
	start_agent a --cpus 0-1 --policy cfs
	grep -q 'ready: enclave 1, policy cfs, CPUs 0-1' a.out ||
		fail "readiness line: $(cat a.out)"
	[ "$(cat "$GHOST_FS/enclave_1/deliver_ticks")" = 1 ] ||
		fail "cfs runs without the kernel's ticks"
	no_watchdog 1
	audit_on 1
	simple_exp_in 1
	check_audit 1
	stop_agent "$AGENT_PID"
	[ ! -d "$GHOST_FS/enclave_1" ] ||
		fail "the agent created enclave 1 but left it on exit"
}

test_simple_exp_threads_enter_by_themselves()
{
	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	no_watchdog 1
	simple_exp -e 1 -t spin -t pipe -t create -t fork >simple_exp.log 2>&1 ||
		fail "simple_exp -e failed: $(grep -v ': pass' simple_exp.log | tail -3)"
	grep -q 'main thread outside ghost' simple_exp.log ||
		fail "main thread: $(head -1 simple_exp.log)"
	stop_agent "$AGENT_PID"
}

# A load in a pid namespace of its own under an agent outside it: the
# agent finds its threads by gtid, which is the same whatever namespace
# the thread, the writer of tasks or the agent is in.
test_load_in_a_pid_namespace_under_an_agent_outside()
{
	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	timeout 120 unshare -p -f -m --mount-proc \
		simple_exp -e 1 -t spin -t pipe -t create -t fork \
		>simple_exp.log 2>&1 ||
		fail "simple_exp in a new pid namespace: $(grep -v ': pass' simple_exp.log | tail -3)"
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

test_fifo_centralized_runs_simple_exp()
{
	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_centralized --opt slice_us=2000
	no_watchdog 1
	simple_exp_in 1
	ghostctl status 1 >status.txt || fail "ghostctl status failed"
	grep -q 'global CPU 0' status.txt || fail "status: $(cat status.txt)"
	stop_agent "$AGENT_PID"
}

# Slices commit threads while the lists hold others: a thread being
# committed that blocks before it is placed used to leave its CPU idle
# with the list's entries never run (a kick had found the CPU taken), and
# a run of "many" hung in a few.  The module now runs the list of any CPU
# a blocking or leaving thread held, placed or not.
test_fifo_centralized_slices_beside_lists_lose_no_thread()
{
	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_centralized --opt slice_us=1000
	no_watchdog 1
	for _ in 1 2 3 4 5 6 7 8; do
		simple_exp_in 1 -t many -t create
	done
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# agent_naps ID: how often enclave ID's agent went to sleep idle.
agent_naps()
{
	ghostctl --json status "$1" |
		sed -n 's/.*"idle_sleeps":\([0-9]*\).*/\1/p'
}

# The centralized agent spins at SCHED_FIFO 99.  With real-time
# throttling off (which the README offers for a machine given to ghost),
# a task outside ghost that wakes up on its CPU would never run there:
# the kernel workers that a workqueue flush on another CPU waits for
# (vm.stat_refresh waits for one on every CPU), ksoftirqd and RCU, a
# user's task pinned there.  The module tells the agent, which steps
# aside for them, while it schedules a load.  Without that the flush
# hangs, and so does the test.
# timeout-factor spinning_agent_steps_aside_for_tasks_on_its_cpu 2
test_spinning_agent_steps_aside_for_tasks_on_its_cpu()
{
	local rt=/proc/sys/kernel/sched_rt_runtime_us old sp n

	clean_ghost
	old=$(cat "$rt")
	# shellcheck disable=SC2064 # the value now
	trap "echo $old >$rt" EXIT
	echo -1 >"$rt" || fail "cannot turn real-time throttling off"
	start_agent a --cpus 1-3 --policy fifo_centralized --global-cpu 1
	ghostctl run 1 -- simple_exp -x -n 2 >simple_exp.log 2>&1 &
	sp=$!
	for n in 1 2 3 4 5; do
		echo 1 >/proc/sys/vm/stat_refresh ||
			fail "vm.stat_refresh failed (round $n)"
	done
	taskset -c 1 sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done' ||
		fail "a task pinned to the agent's CPU failed"
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	n=$(sed -n 's/.*"stepped_aside":\([0-9]*\).*/\1/p' status.json)
	[ "${n:-0}" -gt 0 ] ||
		fail "the agent never stepped aside: $(cat status.json)"
	echo "stepped aside $n times"
	stop_agent "$AGENT_PID"
}

# --idle-sleep: the centralized agent sleeps when it has nothing to do
# and nothing to decide; a message that needs a decision wakes it (its
# lists are quiet).  Every thread
# still runs to completion, only where it was placed (the audit), and the
# agent took naps (it naps while the enclave is idle, after the run),
# longer and longer ones while nothing happens: a second of an idle
# enclave takes a few dozen (1 ms naps would take 250 or more).
test_fifo_centralized_sleeps_when_idle()
{
	local naps n1 v

	for v in -1 x 1000001 ''; do
		expect_usage "invalid --idle-sleep '$v'" ghost-agent --cpus 0-3 \
			--policy fifo_centralized --idle-sleep "$v"
	done
	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_centralized --opt slice_us=2000 \
		--idle-sleep 100
	no_watchdog 1
	audit_on 1
	simple_exp_in 1
	sleep 1
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	grep -q '"idle_sleep_us":100[,}]' status.json ||
		fail "status: $(cat status.json)"
	naps=$(sed -n 's/.*"idle_sleeps":\([0-9]*\).*/\1/p' status.json)
	[ "${naps:-0}" -gt 0 ] || fail "the agent never slept: $(cat status.json)"
	ghostctl status 1 | grep -q '^  idle:      sleeps after 100 us' ||
		fail "status: $(ghostctl status 1)"
	n1=$(agent_naps 1)
	sleep 1
	naps=$(($(agent_naps 1) - ${n1:-0}))
	echo "naps in an idle second: $naps"
	if [ "$naps" -lt 1 ] || [ "$naps" -ge 100 ]; then
		fail "$naps naps in an idle second, want 1 to 99"
	fi
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# --idle-sleep with threads waiting: while every CPU has a thread that
# does not block (no slice: they keep their CPUs), the agent has nothing
# to decide and naps; a CPU that its thread leaves wakes it (the lists
# say IDLE_WAKE while threads wait), and the threads that waited run.
test_fifo_centralized_sleeps_while_every_cpu_is_taken()
{
	local i n1 n2 seen pids=

	clean_ghost
	start_agent a --cpus 0-2 --policy fifo_centralized --idle-sleep 100
	no_watchdog 1
	audit_on 1
	rm -f stop
	for i in 1 2 3 4; do
		ghostctl run 1 -- sh -c 'while [ ! -e stop ]; do :; done' \
			</dev/null >/dev/null 2>&1 &
		pids="$pids $!"
	done
	# Two run (CPUs 1 and 2), two wait.
	for _ in $(seq 1 100); do
		seen=$(ghostctl --json top 1 --count 1 --interval 0.1 |
			sed -n 's/.*"running":\([0-9]*\),"runnable":\([0-9]*\).*/\1 \2/p')
		[ "$seen" = "2 2" ] && break
		sleep 0.2
	done
	echo "running, waiting: $seen"
	n1=$(agent_naps 1)
	sleep 1
	n2=$(agent_naps 1)
	echo "naps: $n1 then $n2"
	: >stop
	[ "$seen" = "2 2" ] ||
		fail "running and waiting threads: $seen, want 2 2"
	[ "${n2:-0}" -gt "${n1:-0}" ] ||
		fail "the agent did not sleep while every CPU was taken: $n1 then $n2 naps"
	for _ in $(seq 1 150); do
		[ "$(status_key 1 nr_tasks)" = 0 ] && break
		sleep 0.2
	done
	[ "$(status_key 1 nr_tasks)" = 0 ] ||
		fail "threads that waited did not run: $(ghostctl status --threads 1)"
	# shellcheck disable=SC2086 # a word per pid
	wait $pids
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# To a per-CPU policy and back under load: the CPU queues stop waking the
# global CPU's agent, then wake it again, and no thread is lost.
test_swap_with_a_sleeping_centralized_agent()
{
	swap_there_and_back fifo_centralized fifo_per_cpu --idle-sleep 50
}

test_sol_runs_simple_exp()
{
	local decisions dispatched

	clean_ghost
	start_agent a --cpus 0-3 --policy sol --opt lookahead=16
	no_watchdog 1
	simple_exp_in 1
	ghostctl status 1 >status.txt || fail "ghostctl status failed"
	grep -q 'policy sol (centralized)' status.txt ||
		fail "status: $(cat status.txt)"
	grep -q 'global CPU 0' status.txt || fail "status: $(cat status.txt)"
	# simple_exp's threads got their CPUs by sol's decisions.
	decisions=$(sed -n 's|^  decisions: [0-9]*/s, \([0-9]*\) total$|\1|p' \
		status.txt)
	[ "${decisions:-0}" -gt 0 ] || fail "no decisions: $(cat status.txt)"
	# They were list entries the module ran, idle CPUs by the kicks.
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	grep -q '"dispatch_lists":"yes"' status.json ||
		fail "no dispatch lists: $(cat status.json)"
	dispatched=$(sed -n 's/.*"dispatched":\([0-9]*\).*/\1/p' status.json)
	[ "${dispatched:-0}" -gt 0 ] ||
		fail "no idle CPU was kicked: $(cat status.json)"
	stop_agent "$AGENT_PID"
}

# sol and fifo_centralized hand the same FIFO state over, both ways.
test_swap_between_sol_and_fifo_centralized()
{
	swap_there_and_back sol fifo_centralized
}

test_shinjuku_runs_simple_exp()
{
	clean_ghost
	start_agent a --cpus 0-3 --policy shinjuku --opt slice_us=1000
	no_watchdog 1
	simple_exp_in 1
	ghostctl status 1 >status.txt || fail "ghostctl status failed"
	grep -q 'policy shinjuku (centralized)' status.txt ||
		fail "status: $(cat status.txt)"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# Workers marked runnable and idle around each request through a hint
# region the server registers with the agent; the region goes with the
# process.
test_hint_server_under_shinjuku()
{
	local n

	clean_ghost
	start_agent a --cpus 0-3 --policy shinjuku
	no_watchdog 1
	timeout 120 ghostctl run 1 -- hint_server -e 1 -w 4 -n 300 \
		>hint_server.log 2>&1 ||
		fail "hint_server failed: $(tail -3 hint_server.log)"
	grep -q 'hint_server: 300 requests .* hints registered with enclave 1' \
		hint_server.log || fail "hint_server: $(cat hint_server.log)"
	# Dropped within the agent's 200 ms loop once the process is gone.
	n=0
	until ghostctl --json status 1 | grep -q '"hint_regions":0'; do
		n=$((n + 1))
		[ "$n" -lt 20 ] || fail "the region outlived its process"
		sleep 0.2
	done
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# edf: simple_exp's threads publish no hints, so they are edf's FIFO;
# every thread still runs only where and when it was committed.
test_edf_runs_simple_exp()
{
	clean_ghost
	start_agent a --cpus 0-3 --policy edf
	grep -q 'ready: enclave 1, policy edf, CPUs 0-3' a.out ||
		fail "readiness line: $(cat a.out)"
	no_watchdog 1
	audit_on 1
	simple_exp_in 1
	check_audit 1
	ghostctl status 1 >status.txt || fail "ghostctl status failed"
	grep -q 'policy edf (centralized)' status.txt ||
		fail "status: $(cat status.txt)"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# Workers with a deadline per request (the estimate, their work) under
# edf: each request is served, earliest deadline first, and a worker
# marked idle is left off CPUs.  Misses are printed, not judged: 2 ms is
# within the emulated guest's own delays (an agent round trip across
# vCPUs, the audit's sampling), and fifo_centralized, which ignores
# deadlines, misses as many here.  66-policies checks deadlines with
# slack.
test_hint_server_under_edf()
{
	clean_ghost
	start_agent a --cpus 0-3 --policy edf
	no_watchdog 1
	audit_on 1
	timeout 120 ghostctl run 1 -- hint_server -e 1 -w 4 -n 300 -d 2000 \
		>hint_server.log 2>&1 ||
		fail "hint_server failed: $(tail -3 hint_server.log)"
	grep -q 'hint_server: 300 requests of 100 us by 4 workers (qos 1, deadline 2000 us, [0-9]* missed) .* hints registered with enclave 1' \
		hint_server.log || fail "hint_server: $(cat hint_server.log)"
	cat hint_server.log
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# edf and fifo_centralized hand the same FIFO state over, both ways.
test_swap_between_edf_and_fifo_centralized()
{
	swap_there_and_back edf fifo_centralized
}

# biff only feeds the dispatch lists: every thread runs from them (the
# module, the kicks of idle CPUs), never by a commit, and the audit holds.
test_biff_runs_simple_exp()
{
	local dispatched

	clean_ghost
	start_agent a --cpus 0-3 --policy biff
	grep -q 'ready: enclave 1, policy biff, CPUs 0-3' a.out ||
		fail "readiness line: $(cat a.out)"
	no_watchdog 1
	audit_on 1
	simple_exp_in 1
	check_audit 1
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	grep -q '"dispatch_lists":"yes"' status.json ||
		fail "no dispatch lists: $(cat status.json)"
	grep -q '"commits":0[,}]' status.json ||
		fail "biff committed: $(cat status.json)"
	dispatched=$(sed -n 's/.*"dispatched":\([0-9]*\).*/\1/p' status.json)
	[ "${dispatched:-0}" -gt 0 ] ||
		fail "no idle CPU was kicked: $(cat status.json)"
	echo "biff: 0 commits, $dispatched threads run by kicks of idle CPUs"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# biff and fifo_per_cpu hand the same FIFO state and lists over, both ways.
test_swap_between_biff_and_fifo_per_cpu()
{
	swap_there_and_back biff fifo_per_cpu
}

test_swap_mid_run_keeps_threads()
{
	local sp

	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_per_cpu
	no_watchdog 1
	ghostctl run 1 -- simple_exp -n 2 >simple_exp.log 2>&1 &
	sp=$!
	sleep 2
	ghostctl policy swap 1 fifo_centralized >swap1.txt ||
		fail "swap to fifo_centralized failed"
	grep -q 'policy fifo_centralized (centralized), hand-over by export' \
		swap1.txt || fail "swap: $(cat swap1.txt)"
	sleep 2
	ghostctl --json policy swap 1 fifo_per_cpu --rediscover >swap2.txt ||
		fail "swap back failed"
	grep -q '"handover":"discover"' swap2.txt || fail "swap: $(cat swap2.txt)"
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	stop_agent "$AGENT_PID"
}

test_swap_refuses_bad_policy()
{
	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	echo "not a shared object" >bad.so
	expect_exit 1 ghostctl policy swap 1 "$PWD/bad.so"
	expect_exit 1 ghostctl policy swap 1 fifo_centralized --opt nope=1
	expect_exit 1 ghostctl policy swap 1 no_such_policy
	ghostctl status 1 | grep -q 'policy fifo_per_cpu' ||
		fail "the old policy did not stay"
	stop_agent "$AGENT_PID"
}

test_second_agent_takes_over()
{
	local first sp

	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_per_cpu
	first=$AGENT_PID
	no_watchdog 1
	ghostctl run 1 -- simple_exp >simple_exp.log 2>&1 &
	sp=$!
	sleep 2
	start_agent b --enclave 1 --policy fifo_centralized
	wait "$first" || fail "the first agent exited $? on hand-over"
	grep -q 'taking over enclave 1' b.err || fail "b: $(cat b.err)"
	ghostctl status 1 | grep -q 'policy fifo_centralized' ||
		fail "the new agent does not answer on the control socket"
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	# It inherited the duty to destroy the enclave.
	stop_agent "$AGENT_PID"
	[ ! -d "$GHOST_FS/enclave_1" ] || fail "enclave 1 left behind"
}

test_agent_killed_and_restarted_within_grace()
{
	local sp

	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_per_cpu
	no_watchdog 1
	ghostctl run 1 -- simple_exp -n 2 >simple_exp.log 2>&1 &
	sp=$!
	sleep 2
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	start_agent b --enclave 1 --policy fifo_per_cpu
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	stop_agent "$AGENT_PID"
	# The new agent did not create enclave 1: it leaves it to the grace.
	[ -d "$GHOST_FS/enclave_1" ] || fail "enclave 1 destroyed too early"
	echo destroy >"$GHOST_FS/enclave_1/ctl"
}

# sched_of PID: for each thread of PID, "TID NICE RT_PRIORITY POLICY CPUS"
# (fields 19, 40 and 41 of its stat, whose comm has no space; its
# Cpus_allowed_list), in TID order.
sched_of()
{
	local t

	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(cut -d' ' -f19,40,41 "$t/stat")" \
			"$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status")"
	done
}

# agent_enclave OUT: the enclave of the agent whose output is OUT.out.
agent_enclave()
{
	sed -n 's/^ghost-agent: ready: enclave \([0-9]*\),.*/\1/p' "$1.out"
}

# An agent killed with -9 and not replaced within the grace period: the
# module destroys the enclave and every thread is back in CFS with the
# policy, nice value and CPU affinity it had when it entered.  A new
# agent then starts afresh, on a new enclave none of them is in.
test_agent_restart_after_grace_period()
{
	local param=/sys/module/ghost/parameters/agent_grace_ms grace
	local sp before now id t

	clean_ghost
	grace=$(cat "$param")
	# shellcheck disable=SC2064 # the value now
	trap "echo $grace >$param" EXIT
	echo 1000 >"$param"

	# SCHED_BATCH at nice 5 on CPUs 0-1 (two), SCHED_OTHER at nice 2 on
	# CPU 1, SCHED_IDLE on CPU 0; the main thread keeps the shell's.
	sched_spin batch/5/0-1 batch/5/0-1 other/2/1 idle/0/0 >spin.out &
	sp=$!
	for _ in $(seq 1 60); do
		grep -q '^ready' spin.out && break
		sleep 0.5
	done
	grep -q '^ready' spin.out || fail "sched_spin not ready: $(cat spin.out)"
	before=$(sched_of "$sp")
	for t in " 5 0 3 0-1" " 2 0 0 1" " 0 0 5 0"; do
		echo "$before" | grep -q "$t$" ||
			fail "no thread with \"$t\": $before"
	done

	start_agent a --cpus 0-1 --policy fifo_per_cpu
	id=$(agent_enclave a)
	no_watchdog "$id"
	expect_ok ghostctl task add "$id" "$sp" >/dev/null
	# All five in the agent's hands: it placed them on its CPUs.
	for _ in $(seq 1 120); do
		ghostctl --json status "$id" | grep -q '"threads":5,' &&
			[ "$(sched_of "$sp")" != "$before" ] && break
		sleep 0.5
	done
	ghostctl --json status "$id" | grep -q '"threads":5,' ||
		fail "the agent has not every thread: $(ghostctl status "$id")"
	[ "$(sched_of "$sp")" != "$before" ] ||
		fail "no thread was ever placed by the agent: $before"

	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	for _ in $(seq 1 120); do
		[ -d "$GHOST_FS/enclave_$id" ] || break
		sleep 0.5
	done
	[ ! -d "$GHOST_FS/enclave_$id" ] ||
		fail "enclave $id outlived the grace period by 60 s"
	test_klog | grep -q "enclave $id: no agent for 1000 ms; destroying it" ||
		fail "enclave $id not destroyed by the grace period: $(test_klog | tail -3)"
	now=$(sched_of "$sp")
	[ "$now" = "$before" ] ||
		fail "threads not restored: before: $(echo "$before" | tr '\n' ';') now: $(echo "$now" | tr '\n' ';')"

	# A new agent: a new enclave, the old control socket cleared, no
	# thread taken over.
	start_agent b --cpus 0-1 --policy fifo_per_cpu
	grep -q 'taking over' b.err && fail "the new agent took over: $(cat b.err)"
	id=$(agent_enclave b)
	[ -d "$GHOST_FS/enclave_$id" ] || fail "no enclave $id"
	ghostctl --json status "$id" | grep -q '"threads":0,' ||
		fail "the new agent has threads: $(ghostctl status "$id")"
	[ -z "$(ghostctl task list "$id")" ] ||
		fail "threads in the new enclave: $(ghostctl task list "$id")"
	kill -0 "$sp" || fail "sched_spin died"
	now=$(sched_of "$sp")
	[ "$now" = "$before" ] ||
		fail "threads changed under the new agent: $(echo "$now" | tr '\n' ';')"
	stop_agent "$AGENT_PID"
	kill "$sp"
}

test_sigint_returns_threads_to_cfs()
{
	local sp before

	clean_ghost
	start_agent a --cpus 1-2 --policy fifo_per_cpu
	no_watchdog 1
	before=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	sh -c 'while :; do :; done' &
	sp=$!
	expect_ok ghostctl task add 1 "$sp" >/dev/null
	sleep 1
	grep -Eq "^Cpus_allowed_list:[[:space:]]*[12]$" "/proc/$sp/status" ||
		fail "not committed to CPU 1 or 2: $(grep Cpus_allowed_list /proc/$sp/status)"
	stop_agent "$AGENT_PID"
	[ ! -d "$GHOST_FS/enclave_1" ] || fail "enclave 1 left behind"
	grep -q "^Cpus_allowed_list:[[:space:]]*$before$" "/proc/$sp/status" ||
		fail "affinity not restored to $before: $(grep Cpus_allowed_list /proc/$sp/status)"
	kill "$sp"
}

test_status_and_tasks_json()
{
	local sp

	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	sh -c 'while :; do :; done' &
	sp=$!
	ghostctl --json task add 1 "$sp" >add.json
	grep -q "\"done\":\[$sp\]" add.json || fail "task add: $(cat add.json)"
	sleep 1
	ghostctl --json task list 1 | grep -q "$sp" || fail "not listed"
	ghostctl --json status 1 >status.json
	for k in '"policy":"fifo_per_cpu"' '"model":"per_cpu"' '"threads":1' \
		 '"failures":{'; do
		grep -q "$k" status.json || fail "status lacks $k: $(cat status.json)"
	done
	ghostctl status --threads 1 | grep -q "^$sp " ||
		fail "status --threads lacks $sp"
	expect_ok ghostctl task remove 1 "$sp"
	kill "$sp"
	stop_agent "$AGENT_PID"
}

# A ghost thread's child over its user's max_threads_per_user never runs:
# it is killed before its first user instruction.
test_child_over_user_limit_is_killed()
{
	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	no_watchdog 1
	echo 2 >/sys/module/ghost/parameters/max_threads_per_user ||
		fail "cannot set max_threads_per_user"
	# Enters as root (not counted), then forks as nobody: the third of
	# three children alive at once is one too many.
	# shellcheck disable=SC2086,SC2016 # one option a word; sh expands
	ghostctl run 1 -- /usr/bin/setpriv $GHOST_NOBODY $GHOST_NOCAPS -- \
		/bin/sh -c 'sleep 3 & a=$!; sleep 3 & b=$!; sleep 3 & c=$!; n=0
			for p in $a $b $c; do wait $p && n=$((n + 1)); done
			echo "$n ran"' >fork.log 2>&1
	echo 4096 >/sys/module/ghost/parameters/max_threads_per_user
	grep -q '^2 ran$' fork.log ||
		fail "want 2 children to run, 1 killed: $(cat fork.log)"
	test_klog | grep -q 'at max_threads_per_user.*killing child' ||
		fail "no kernel message about the killed child"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}
