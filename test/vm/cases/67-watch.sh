# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: watching an enclave.  The module's wait histograms
# (enclave_<id>/latency) count every run of a ghost thread, and "ghostctl
# latency" prints them; "ghostctl top" shows who runs where, threads by
# state and the agent's numbers, checked against the enclave's status
# file, the status words and the agent, as JSON and on a terminal (tmux).

LAT=$GHOST_FS/enclave_1/latency

# lat_field KIND N: field N of the KIND line of enclave 1's latency file
# (2: count, 3: sum of the waits in ns, 4...: the buckets).
lat_field()
{
	awk -v k="$1" -v n="$2" '$1 == k { print $n }' "$LAT"
}

# json_num FILE KEY: the first number after "KEY": in FILE's last line.
json_num()
{
	tail -n 1 "$1" | grep -o "\"$2\":[0-9.]*" | head -n 1 | cut -d: -f2
}

# spinners N: N processes spinning in enclave 1; those that got a CPU
# wrote their pid to spin.pids (FIFO with no slice: the others wait).
# Their ghostctl run jobs are in SPIN_JOBS.
spinners()
{
	: >spin.pids
	SPIN_JOBS=
	for _ in $(seq 1 "$1"); do
		# shellcheck disable=SC2016 # the inner shell expands it
		ghostctl run 1 -- sh -c 'echo $$ >>spin.pids; while :; do :; done' &
		SPIN_JOBS="$SPIN_JOBS $!"
	done
	for _ in $(seq 1 100); do
		[ "$(status_key 1 nr_tasks)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "only $(status_key 1 nr_tasks) of $1 spinners entered"
}

# Every thread of enclave 1 is killed (not only those that ran).
spinners_stop()
{
	local tid

	while read -r tid; do
		kill -9 "$tid" 2>/dev/null
	done <"$GHOST_FS/enclave_1/tasks"
	# shellcheck disable=SC2086 # one pid a word
	wait $SPIN_JOBS 2>/dev/null
}

test_latency_histograms_count_every_run()
{
	local kind n sum buckets placed runnable

	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_per_cpu
	# A new enclave: both lines, every bucket empty.
	for kind in runnable_to_run placed_to_run; do
		n=$(awk -v k=$kind '$1 == k { print NF }' "$LAT")
		[ "$n" = 35 ] ||
			fail "$kind: $n fields, want name, count, sum and 32 buckets: $(cat "$LAT")"
		[ "$(lat_field $kind 2)" = 0 ] || fail "$kind: waits before any run"
	done
	expect_errno EINVAL "$LAT" "0"

	simple_exp_in 1 -x -t pipe -t create -t yield
	for kind in runnable_to_run placed_to_run; do
		n=$(lat_field $kind 2)
		buckets=$(awk -v k=$kind '$1 == k { s = 0; for (i = 4; i <= NF; i++) s += $i; print s }' "$LAT")
		[ "$n" -gt 100 ] || fail "$kind: $n waits after simple_exp"
		[ "$n" = "$buckets" ] || fail "$kind: count $n, buckets hold $buckets"
	done
	# A placement comes after the thread became runnable.
	placed=$(lat_field placed_to_run 3)
	runnable=$(lat_field runnable_to_run 3)
	[ "$placed" -le "$runnable" ] ||
		fail "placed_to_run waited $placed ns in all, more than runnable_to_run's $runnable"

	# ghostctl prints the same counts (nothing runs now).
	n=$(lat_field runnable_to_run 2)
	sum=$(lat_field runnable_to_run 3)
	expect_ok ghostctl latency 1 --total >lat.txt
	grep -q "^runnable_to_run: $n waits, mean " lat.txt ||
		fail "ghostctl latency --total: $(head -3 lat.txt), want $n waits"
	grep -q '^ *[0-9]* [nmu]*s  *[0-9]* [nmu]*s  *[0-9]*  |\*' lat.txt ||
		fail "no histogram rows: $(cat lat.txt)"
	expect_ok ghostctl --json latency 1 --total >lat.json
	grep -q "\"runnable_to_run\":{\"count\":$n,\"sum_ns\":$sum," lat.json ||
		fail "--json: $(cat lat.json), want count $n and sum $sum"

	# A window sees only its own waits: none while nothing runs...
	expect_ok ghostctl --json latency 1 --interval 0.5 >lat.json
	[ "$(json_num lat.json count)" = 0 ] ||
		fail "waits in an idle window: $(cat lat.json)"
	# ...and those of a run during it.
	ghostctl --json latency 1 --interval 4 --count 1 >lat.json &
	sleep 0.5
	simple_exp_in 1 -x -t pipe
	wait $! || fail "ghostctl latency failed"
	[ "$(json_num lat.json count)" -gt 0 ] ||
		fail "no wait in a window with simple_exp: $(cat lat.json)"
	n=$(grep -c '"enclave":1' lat.json)
	[ "$n" = 1 ] || fail "--count 1 printed $n windows"
	stop_agent "$AGENT_PID"

	expect_exit 1 ghostctl latency 9 --total 2>/dev/null
	expect_exit 2 ghostctl latency 1 --interval 0 2>/dev/null
	expect_exit 2 ghostctl latency 1 --total --count 2 2>/dev/null
}

# top_json_check FILE: the last frame of FILE agrees with enclave 1
# (status file, the spinners of spin.pids, the agent).
top_json_check()
{
	local f=$1 tasks running runnable blocked tid

	tasks=$(status_key 1 nr_tasks)
	[ "$(json_num "$f" threads)" = "$tasks" ] ||
		fail "top: $(json_num "$f" threads) threads, status file: $tasks"
	running=$(json_num "$f" running)
	runnable=$(json_num "$f" runnable)
	blocked=$(json_num "$f" blocked)
	# Two CPUs, four spinners and no time slice: two run, two wait.
	[ "$running/$runnable/$blocked" = 2/2/0 ] ||
		fail "top: $running running, $runnable runnable, $blocked blocked; want 2, 2, 0"
	grep -q "\"agent\":{\"pid\":$AGENT_PID,\"policy\":\"fifo_per_cpu\"" "$f" ||
		fail "top: not the agent $AGENT_PID: $(tail -n 1 "$f")"
	for tid in $(tail -n 1 "$f" | grep -o '"tid":[0-9]*' | cut -d: -f2); do
		grep -qx "$tid" spin.pids || fail "top: CPU runs $tid, not a spinner"
	done
	[ "$(tail -n 1 "$f" | grep -o '"tid":[0-9]*' | wc -l)" = 2 ] ||
		fail "top: want a thread on each CPU: $(tail -n 1 "$f")"
}

test_top_shows_the_enclave()
{
	local n

	clean_ghost
	start_agent a --cpus 1-2 --policy fifo_per_cpu
	# Two of the spinners wait for good: no watchdog.
	no_watchdog 1
	spinners 4
	for _ in $(seq 1 50); do
		[ "$(wc -l <spin.pids)" = 2 ] && break
		sleep 0.1
	done
	expect_ok ghostctl --json top 1 --count 3 --interval 0.5 >top.json
	n=$(grep -c '^{"enclave":1,' top.json)
	[ "$n" = 3 ] || fail "top --count 3 printed $n frames: $(cat top.json)"
	top_json_check top.json

	# Without a terminal, frames follow each other as text.
	expect_ok ghostctl top 1 --count 2 --interval 0.3 >top.txt
	[ "$(grep -c '^ghost top: enclave 1, CPUs 1-2' top.txt)" = 2 ] ||
		fail "top: $(head -5 top.txt)"
	grep -q "^threads 4: 2 running, 2 runnable, 0 blocked" top.txt ||
		fail "top: $(cat top.txt)"

	# On a terminal: redrawn in place, and q quits.
	LC_ALL=C.UTF-8 TERM=screen tmux -f /dev/null new-session -d -s top -x 100 -y 30 \
		"ghostctl top 1 --interval 0.5" 2>tmux.err ||
		fail "cannot start tmux: $(cat tmux.err)"
	# A capture may fall between two frames: take a whole one.
	for _ in $(seq 1 20); do
		sleep 0.5
		tmux capture-pane -p -t top >screen.txt
		grep -q '^ *2  yes' screen.txt && break
	done
	grep -q '^ghost top: enclave 1, CPUs 1-2, last [0-9.]* s$' screen.txt ||
		fail "screen: $(cat screen.txt)"
	[ "$(grep -c '^ghost top' screen.txt)" = 1 ] ||
		fail "the screen is not redrawn in place: $(cat screen.txt)"
	grep -q "^agent $AGENT_PID: policy fifo_per_cpu, CPU " screen.txt ||
		fail "screen: no agent line: $(cat screen.txt)"
	grep -q "^threads 4: 2 running, 2 runnable, 0 blocked" screen.txt ||
		fail "screen: $(cat screen.txt)"
	[ "$(grep -Ec '^ +[12]  yes +[0-9]+  sh$' screen.txt)" = 2 ] ||
		fail "screen: want CPUs 1 and 2 running sh: $(cat screen.txt)"
	tmux send-keys -t top q
	for _ in $(seq 1 50); do
		tmux has-session -t top 2>/dev/null || break
		sleep 0.1
	done
	if tmux has-session -t top 2>/dev/null; then
		tmux kill-server
		fail "q did not quit ghostctl top"
	fi

	spinners_stop
	stop_agent "$AGENT_PID"
	expect_exit 1 ghostctl top 9 --count 1 2>/dev/null
	expect_exit 2 ghostctl top 1 --interval 5000 2>/dev/null
	expect_exit 2 ghostctl top 1 --total 2>/dev/null
}
