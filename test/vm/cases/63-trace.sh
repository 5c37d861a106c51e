# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: the module's tracepoints (trace system "ghost"), read
# through tracefs as perf and trace-cmd would: every event fires where it
# should, with the fields the documentation names.

T=/sys/kernel/tracing

trace_start()
{
	[ -d $T/events/ghost ] || fail "no events/ghost in tracefs"
	echo 0 >$T/tracing_on
	echo 8192 >$T/buffer_size_kb
	: >$T/trace
	echo 1 >$T/events/ghost/enable || fail "cannot enable events/ghost"
	echo 1 >$T/tracing_on
}

# Stop tracing and keep what was traced in trace.txt.
trace_stop()
{
	echo 0 >$T/tracing_on
	echo 0 >$T/events/ghost/enable
	grep -v '^#' $T/trace >trace.txt
}

# trace_has WHAT ERE: a line of trace.txt matches ERE.
trace_has()
{
	grep -Eq "$2" trace.txt ||
		fail "no $1 traced (want /$2/); $(wc -l <trace.txt) lines, first: $(head -3 trace.txt)"
}

test_tracepoints_follow_a_run()
{
	local pid

	clean_ghost
	for ev in ghost_msg ghost_agent_wake ghost_commit ghost_enter \
		ghost_leave ghost_park ghost_unpark ghost_run ghost_safety; do
		[ -d $T/events/ghost/$ev ] || fail "no tracepoint $ev"
	done
	trace_start
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	simple_exp_in 1 -x -t pipe -t create
	stop_agent "$AGENT_PID"
	trace_stop
	trace_has "thread entry" "ghost_enter: enclave=1 pid=[0-9]+ gtid=[0-9a-f]+ cpu=[0-9]+"
	trace_has "TASK_NEW" "ghost_msg: enclave=1 type=TASK_NEW gtid=[0-9a-f]+ seqnum=[0-9]+"
	trace_has "list run" "ghost_msg: enclave=1 type=TASK_LATCHED gtid=[0-9a-f]+ seqnum=[0-9]+ quiet"
	trace_has "park" "ghost_park: enclave=1 pid=[0-9]+ gtid=[0-9a-f]+"
	trace_has "unpark to a CPU" "ghost_unpark: enclave=1 pid=[0-9]+ gtid=[0-9a-f]+ cpu=[1-3]$"
	trace_has "agent wakeup" "ghost_agent_wake: enclave=1 agent_cpu=[1-3]"
	trace_has "run after a wait" "ghost_run: enclave=1 pid=[0-9]+ gtid=[0-9a-f]+ cpu=[1-3] runnable_ns=[0-9]+ placed_ns=[0-9]+$"
	trace_has "exit" "ghost_leave: enclave=1 pid=[0-9]+ gtid=[0-9a-f]+"
	trace_has "TASK_DEAD" "ghost_msg: enclave=1 type=TASK_DEAD"

	# Without lists the policy commits.
	trace_start
	start_agent a --cpus 1-3 --policy fifo_per_cpu --opt dispatch_depth=0
	simple_exp_in 1 -x -t pipe
	stop_agent "$AGENT_PID"
	trace_stop
	trace_has "commit" "ghost_commit: enclave=1 cpu=[1-3] gtid=[0-9a-f]+ status=COMPLETE"

	# The grace period starts when the agent dies, and runs out.
	expect_ok ghostctl enclave create --cpus 1-3 --id 2 >/dev/null
	start_agent a --enclave 2 --policy fifo_per_cpu
	rm -f sleep.pid
	# shellcheck disable=SC2016 # the inner shell expands it
	ghostctl run 2 -- sh -c 'echo $$ >sleep.pid; exec sleep 1000' &
	for _ in $(seq 1 50); do
		[ -s sleep.pid ] && break
		sleep 0.1
	done
	pid=$(cat sleep.pid 2>/dev/null) ||
		fail "sleep did not start in enclave 2"
	trace_start
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		[ -d "$GHOST_FS/enclave_2" ] || break
		sleep 0.1
	done
	# Asleep, it leaves when it next runs.
	kill "$pid"
	for _ in $(seq 1 100); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	trace_stop
	trace_has "grace start" "ghost_safety: enclave=2 grace_started pid=0 ms=[0-9]+"
	trace_has "grace expiry" "ghost_safety: enclave=2 grace_expired"
	trace_has "leave after destroy" "ghost_leave: enclave=2 pid=$pid "
}
