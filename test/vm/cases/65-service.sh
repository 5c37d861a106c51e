# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: the systemd unit ghost-agent@.service, run as systemd runs
# it (there is no systemd in the guest): its ExecStartPre, ExecStart,
# Restart=on-failure after RestartSec unless RestartPreventExitStatus
# names the status, and ExecStopPost, each read from the unit file built
# with the guest's paths.  The agent comes from /etc/ghost/NAME.conf
# through the unit's launcher.

UNIT=$GHOST_DIR/build/test/service/ghost-agent@.service

# unit_value KEY INSTANCE: the unit's KEY=, %i and %I replaced.
unit_value()
{
	sed -n "s/^$1=//p" "$UNIT" | head -n 1 | sed "s/%[iI]/$2/g"
}

# service_run INSTANCE: start it, and start it again after a failure,
# as systemd would (5 starts at most, then 99); "start" and "exit
# STATUS" lines go to service.log.
service_run()
{
	local pre start prevent delay rc n=0

	pre=$(unit_value ExecStartPre "$1")
	start=$(unit_value ExecStart "$1")
	prevent=$(unit_value RestartPreventExitStatus "$1")
	delay=$(unit_value RestartSec "$1")
	case $delay in
	*ms) delay=$(awk -v ms="${delay%ms}" 'BEGIN { print ms / 1000 }') ;;
	*s) delay=${delay%s} ;;
	esac
	while [ "$n" -lt 5 ]; do
		n=$((n + 1))
		$pre || return
		echo start >>service.log
		$start >>agent.out 2>>agent.err
		rc=$?
		echo "exit $rc" >>service.log
		[ "$rc" -ne 0 ] || return 0
		case " $prevent " in
		*" $rc "*) return "$rc" ;;
		esac
		sleep "$delay"
	done
	return 99
}

# wait_ready N: the agent said it was ready N times.
wait_ready()
{
	local n

	for _ in $(seq 1 100); do
		n=$(grep -c '^ghost-agent: ready: ' agent.out 2>/dev/null)
		[ "${n:-0}" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the agent was not ready $1 time(s): $(cat service.log agent.err)"
}

test_service_restarts_a_killed_agent_without_losing_threads()
{
	local param=/sys/module/ghost/parameters/agent_grace_ms grace
	local svc sp pid1 pid2 rc stop_post

	clean_ghost
	[ -f "$UNIT" ] || fail "no unit at $UNIT"
	grace=$(cat $param)
	# Emulated CPUs start an agent slowly: more grace than a real host
	# needs (the unit's RestartSec is checked against the default by
	# the unit tests), and more again on the debug lane, whose restarted
	# agent once took longer than 5 s to take over.
	if debug_lane; then
		echo 15000 >$param
	else
		echo 5000 >$param
	fi
	mkdir -p /etc/ghost
	printf '# a test enclave\nCPUS=1-3\nPOLICY=fifo_per_cpu\nENCLAVE=7\n' \
		>/etc/ghost/web.conf
	: >service.log
	: >agent.out
	: >agent.err
	service_run web &
	svc=$!
	wait_ready 1
	grep -q 'ready: enclave 7, policy fifo_per_cpu, CPUs 1-3' agent.out ||
		fail "ready line: $(cat agent.out)"
	no_watchdog 7
	ghostctl run 7 -- simple_exp -n 2 >simple_exp.log 2>&1 &
	sp=$!
	sleep 1
	pid1=$(pidof ghost-agent) || fail "no agent running"
	kill -9 "$pid1"
	wait_ready 2
	pid2=$(pidof ghost-agent) || fail "no agent after the restart"
	[ "$pid2" != "$pid1" ] || fail "the agent was not replaced"
	[ "$(grep -c '^start' service.log)" = 2 ] ||
		fail "starts: $(cat service.log)"
	wait "$sp" ||
		fail "simple_exp lost threads across the restart: $(grep -v ': pass' simple_exp.log | tail -3)"
	echo "$grace" >$param
	# A clean stop ends the service; ExecStopPost destroys the enclave
	# that the restarted agent took over but did not create.
	kill -TERM "$pid2"
	wait "$svc"
	rc=$?
	[ "$rc" -eq 0 ] || fail "the service ended with $rc: $(cat service.log)"
	stop_post=$(unit_value ExecStopPost web)
	# shellcheck disable=SC2086 # the unit's command line, a word an argument
	SERVICE_RESULT=success $stop_post || fail "ExecStopPost failed"
	[ ! -d "$GHOST_FS/enclave_7" ] || fail "enclave 7 left after the stop"
}

# A conf the launcher refuses ends the service at once: no restarts.
test_service_does_not_restart_on_a_bad_conf()
{
	local rc

	clean_ghost
	mkdir -p /etc/ghost
	printf 'CPUS=1-3\nPOLICY=fifo_per_cpu\nSPEED=11\n' >/etc/ghost/bad.conf
	: >service.log
	: >agent.out
	: >agent.err
	service_run bad
	rc=$?
	[ "$rc" -eq 2 ] || fail "status $rc, want 2: $(cat agent.err)"
	[ "$(grep -c '^start' service.log)" = 1 ] ||
		fail "restarted on a bad conf: $(cat service.log)"
	grep -q 'SPEED' agent.err || fail "the error does not name the key: $(cat agent.err)"
}
