# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: policy hot swap under load.  While ghost-agent schedules
# mixed_load (threads that spin, sleep, yield, ping-pong on pipes and
# futexes, and create children, each counting its work), its policy is
# swapped again and again (also through every ordered pair of the seven
# shipped policies).  Every swap must succeed without losing a
# thread, every thread must finish with exactly the work it was given, and
# the module's audit must never catch a ghost thread running user code
# without a commit.  The blackouts are printed, never judged: the guest
# is emulated.
#
# The runnable watchdog is off: on a slow emulated CPU, a thread of a
# 200-thread load may well wait longer than its timeout.

# mixed_load of the test, started by start_load.
LOAD_PID=
# Worker threads of that load.
LOAD_THREADS=

# start_load ID THREADS ARGS...: mixed_load with THREADS workers and ARGS
# in enclave ID, in the background, its output in load.log; returns once
# all its workers run (they keep going until the file "stop" appears).
start_load()
{
	local id=$1

	LOAD_THREADS=$2
	shift 2
	rm -f stop tids.txt stuck.txt
	MIXED_LOAD_ON_TIMEOUT="$(stuck_dump "$id" "$PWD/stuck.txt")" \
		ghostctl run "$id" -- mixed_load -n "$LOAD_THREADS" -w "$PWD/stop" \
		-T "$PWD/tids.txt" "$@" >load.log 2>&1 &
	LOAD_PID=$!
	for _ in $(seq 1 120); do
		[ -s tids.txt ] && return 0
		kill -0 "$LOAD_PID" 2>/dev/null ||
			fail "mixed_load exited early: $(tail -n 3 load.log)"
		sleep 0.5
	done
	fail "mixed_load: workers not running after 60 s: $(tail -n 3 load.log)"
}

# finish_load: the load stops after its current round and must pass.
finish_load()
{
	local rc

	: >stop
	wait "$LOAD_PID"
	rc=$?
	grep -v ': pass$' load.log
	if [ "$rc" -ne 0 ]; then
		[ ! -e stuck.txt ] || cat stuck.txt
		dump_state 1
		fail "mixed_load exited $rc: $(tail -n 1 load.log)"
	fi
}

# dump_state ID: what the agent and the module knew, for a failure's cause.
dump_state()
{
	ghostctl status --threads "$1" 2>&1 | tail -n 40
	cat "$GHOST_FS/enclave_$1/status"
	tail -n 20 a.err 2>/dev/null
}

# check_threads ID WHEN: the load runs and every worker is still in
# enclave ID.
check_threads()
{
	local id=$1 when=$2 missing nr

	kill -0 "$LOAD_PID" 2>/dev/null ||
		fail "mixed_load ended $when: $(tail -n 3 load.log)"
	cat "$GHOST_FS/enclave_$id/tasks" >tasks.now
	missing=$(grep -v -x -F -f tasks.now tids.txt | head -n 5 | tr '\n' ' ')
	[ -z "$missing" ] ||
		fail "workers not in enclave $id $when: $missing"
	nr=$(status_key "$id" nr_tasks)
	[ "${nr:-0}" -ge "$LOAD_THREADS" ] ||
		fail "enclave $id has ${nr:-no} threads $when, want at least $LOAD_THREADS"
}

# swap_policy ID N POLICY [--rediscover | --discovers]: the Nth swap of
# the test, to POLICY; it must succeed, hand over the state as asked (by
# export, or rediscovered when asked to, or with --discovers when the two
# policies' states differ) and keep every thread.  Its blackout goes to
# blackouts.txt.
swap_policy()
{
	local id=$1 n=$2 policy=$3 how=export json threads

	shift 3
	case ${1:-} in
	--rediscover) how=discover ;;
	--discovers) how=discover; shift ;;
	esac
	if ! ghostctl --json policy swap "$id" "$policy" "$@" >swap.json 2>&1; then
		dump_state "$id"
		fail "swap $n to $policy $*: $(cat swap.json)"
	fi
	json=$(cat swap.json)
	case $json in
	*"\"policy\":\"$policy\""*"\"handover\":\"$how\""*) ;;
	*) fail "swap $n to $policy $*: $json" ;;
	esac
	threads=$(echo "$json" | sed -n 's/.*"threads":\([0-9]*\).*/\1/p')
	[ "${threads:-0}" -ge "$LOAD_THREADS" ] ||
		fail "swap $n: the agent knows ${threads:-no} threads, want at least $LOAD_THREADS: $json"
	echo "$json" | sed -n 's/.*"blackout_us":\([0-9.]*\).*/\1/p' \
		>>blackouts.txt
	check_threads "$id" "after swap $n to $policy"
}

# The blackouts of blackouts.txt, their median and maximum.
blackout_summary()
{
	echo "blackouts (us): $(tr '\n' ' ' <blackouts.txt)"
	sort -n blackouts.txt | awk '
		{ v[NR] = $1; if ($1 > max) max = $1 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "blackout over %d swaps: median %.1f us, max %.1f us\n", NR, m, max
		}'
}

# 50 swaps back and forth between the two models, every fifth one with the
# state rebuilt from the kernel, while 200 threads work.
test_fifty_swaps_under_200_thread_load()
{
	local n policy

	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	start_load 1 200
	check_threads 1 "before the swaps"
	for n in $(seq 1 50); do
		if [ $((n % 2)) -eq 1 ]; then
			policy=fifo_centralized
		else
			policy=fifo_per_cpu
		fi
		# Every fifth swap rebuilds the state from the kernel.
		if [ $((n % 5)) -eq 0 ]; then
			swap_policy 1 "$n" "$policy" --rediscover
		else
			swap_policy 1 "$n" "$policy"
		fi
	done
	finish_load
	check_audit 1
	blackout_summary
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# A swap to the policy already running (two instances of one .so live at
# once), by export and by rediscovery, for each model.
test_swap_to_same_policy_keeps_threads()
{
	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	start_load 1 40
	swap_policy 1 1 fifo_per_cpu
	swap_policy 1 2 fifo_per_cpu --rediscover
	swap_policy 1 3 fifo_centralized
	swap_policy 1 4 fifo_centralized
	swap_policy 1 5 fifo_centralized --rediscover
	swap_policy 1 6 fifo_per_cpu
	finish_load
	check_audit 1
	blackout_summary
	stop_agent "$AGENT_PID"
}

# cpu_online N 0|1: take CPU N offline or bring it back.
cpu_online()
{
	echo "$2" >"/sys/devices/system/cpu/cpu$1/online" ||
		fail "cannot set CPU $1 online=$2"
}

# An enclave CPU goes offline and comes back, again and again, while an
# agent schedules a load that creates threads all the time, under each
# model, with swaps in between: no thread is lost or runs user code
# without a commit, and the load finishes with its exact counts.
test_cpu_hotplug_under_load()
{
	local n policy

	[ -w /sys/devices/system/cpu/cpu3/online ] ||
		skip "CPU 3 cannot go offline"
	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	start_load 1 64
	for n in $(seq 1 6); do
		cpu_online 3 0
		sleep 1
		check_threads 1 "with CPU 3 offline (round $n)"
		if [ "$n" -eq 3 ]; then
			policy=fifo_centralized
			swap_policy 1 "$n" "$policy"
		fi
		cpu_online 3 1
		sleep 1
		check_threads 1 "with CPU 3 back (round $n)"
	done
	finish_load
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# victim N: a process of 32 threads that spin, sleep, yield, ping-pong
# and create children (mixed_load, until killed) enters enclave 1 in the
# background: its shell writes its PID to vN.pid and becomes mixed_load,
# ghostctl's PID goes to VICTIM_N.  It runs once an agent serves the
# enclave.
victim()
{
	rm -f "v$1.pid"
	# shellcheck disable=SC2016 # for the inner shell
	ghostctl run 1 -- sh -c 'echo $$ >"$0"; exec mixed_load -n 32 -w "$0.never"' \
		"v$1.pid" >"v$1.log" 2>&1 &
	eval "VICTIM_$1=\$!"
}

# victim_running N: wait until victim N runs.
victim_running()
{
	for _ in $(seq 1 60); do
		[ -s "v$1.pid" ] && return 0
		sleep 0.5
	done
	fail "victim $1 not running after 30 s: $(cat "v$1.log")"
}

# kill_victim N: SIGKILL to victim N once it runs; its ghostctl must
# report that death (exit 137), not a run that ended otherwise.
kill_victim()
{
	local pid rc

	victim_running "$1"
	kill -9 "$(cat "v$1.pid")"
	eval "pid=\$VICTIM_$1"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 137 ] || fail "victim $1 exited $rc: $(tail -n 2 "v$1.log")"
}

# A storm while mixed_load works: again and again, its agent is killed
# (SIGKILL) and a new one takes the enclave over within the grace period,
# under the other model; processes of 32 threads enter and are killed
# with the agent alive or dead (their threads parked, listed, on a CPU),
# and one enters while no agent serves the enclave; every third round
# also swaps the policy.  No load thread is lost or runs user code
# without a decision, every victim dies of its SIGKILL, and the load
# finishes with its exact counts.
# timeout-factor storm_of_agent_kills_takeovers_and_process_kills 4
test_storm_of_agent_kills_takeovers_and_process_kills()
{
	local param=/sys/module/ghost/parameters/agent_grace_ms grace n policy

	clean_ghost
	# Takeovers are under test, not the grace period: an agent of the
	# slow debug lane may take longer than the default to start.
	grace=$(cat "$param")
	# shellcheck disable=SC2064 # the value now
	trap "echo $grace >$param" EXIT
	echo 30000 >"$param"
	start_agent a --cpus 1-3 --policy fifo_centralized --global-cpu 1
	no_watchdog 1
	audit_on 1
	start_load 1 48
	policy=fifo_centralized
	for n in $(seq 1 9); do
		victim a
		victim b
		victim_running a
		victim_running b
		sleep "0.$((n % 3 * 3 + 1))"
		kill_victim a
		kill -9 "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null
		kill_victim b
		victim c
		if [ "$policy" = fifo_centralized ]; then
			policy=fifo_per_cpu
			start_agent a --enclave 1 --policy "$policy"
		else
			policy=fifo_centralized
			start_agent a --enclave 1 --policy "$policy" --global-cpu 1
		fi
		if [ $((n % 3)) -eq 0 ]; then
			if [ "$policy" = fifo_per_cpu ]; then
				policy=fifo_centralized
			else
				policy=fifo_per_cpu
			fi
			swap_policy 1 "$n" "$policy"
		fi
		sleep "0.$((n % 4 * 2 + 1))"
		kill_victim c
		check_threads 1 "after storm round $n"
	done
	finish_load
	check_audit 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# The load's threads change their affinity again and again while
# fifo_per_cpu decides in local rounds: each move takes every CPU's lock
# while the other agents go on under their own.  No thread is lost or
# runs user code without a decision, and the load finishes with its exact
# counts once every thread may run everywhere again.
test_affinity_churn_in_local_rounds()
{
	local n i tid masks="1 2 4 8 3 c e 5 a"

	clean_ghost
	start_agent a --cpus 0-3 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	start_load 1 48
	for n in $(seq 1 6); do
		i=$n
		for tid in $(cat tids.txt); do
			i=$(((i * 5 + 3) % 9))
			set -- $masks
			shift "$i"
			taskset -p "$1" "$tid" >/dev/null 2>&1 ||
				fail "taskset -p $1 $tid failed"
		done
		sleep 0.5
		check_threads 1 "after affinity round $n"
	done
	for tid in $(cat tids.txt); do
		taskset -p f "$tid" >/dev/null 2>&1 ||
			fail "taskset -p f $tid failed"
	done
	finish_load
	check_audit 1
	ghostctl --json status 1 >status.json || fail "ghostctl status failed"
	grep -q '"local_rounds":[1-9]' status.json ||
		fail "no local round: $(cat status.json)"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# The policies ghost ships, in the order of the swap circuit below.
ALL_POLICIES="fifo_per_cpu fifo_centralized sol shinjuku cfs edf biff"

# Under a mixed_load of 100 threads (40 on the slow debug lane), 42 swaps
# that take every ordered pair of the 7 shipped policies once: for each
# step d = 1..6, the walk 0, d, 2d, ... (mod 7) through the list visits
# every policy and comes back (7 is prime), using the pairs (i, i + d).
# cfs keeps a state of its own, so a swap to or from it rediscovers the
# threads from the kernel; every other pair hands its state over by
# export.  No pair is refused: every swap must succeed, keep every
# thread, and the load must finish with its exact counts.  The load
# publishes no hints.  The enclave is CPUs 0-1, which leaves CPUs 2-3 to
# the test itself, so that its 42 rounds of ghostctl do not queue
# behind the load.
# timeout-factor swap_through_every_ordered_pair_of_policies_under_load 2
test_swap_through_every_ordered_pair_of_policies_under_load()
{
	local nr=100 d k n=0 from=0 to p q

	debug_lane && nr=40
	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	audit_on 1
	start_load 1 "$nr"
	check_threads 1 "before the swaps"
	: >pairs.txt
	for d in 1 2 3 4 5 6; do
		for k in 1 2 3 4 5 6 7; do
			to=$((k * d % 7))
			# shellcheck disable=SC2086 # a word per policy
			p=$(echo $ALL_POLICIES | cut -d' ' -f$((from + 1)))
			# shellcheck disable=SC2086
			q=$(echo $ALL_POLICIES | cut -d' ' -f$((to + 1)))
			n=$((n + 1))
			if [ "$p" = cfs ] || [ "$q" = cfs ]; then
				swap_policy 1 "$n" "$q" --discovers
			else
				swap_policy 1 "$n" "$q"
			fi
			echo "$p $q" >>pairs.txt
			from=$to
		done
	done
	# The walk took each of the 42 ordered pairs, none twice.
	if [ "$(sort -u pairs.txt | awk '$1 != $2' | wc -l)" -ne 42 ] ||
	   [ "$(wc -l <pairs.txt)" -ne 42 ]; then
		fail "the swaps did not take every ordered pair once: $(sort pairs.txt | uniq -c | tr '\n' ';')"
	fi
	finish_load
	check_audit 1
	blackout_summary
	# The agent forgot every thread of the load as it exited.
	for _ in $(seq 1 50); do
		ghostctl --json status 1 | grep -q '"threads":0,' && break
		sleep 0.2
	done
	ghostctl --json status 1 | grep -q '"threads":0,' ||
		fail "the agent still tracks threads after the load: $(ghostctl status 1)"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}
