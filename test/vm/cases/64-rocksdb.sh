# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: the RocksDB experiment's server (experiment/rocksdb) under
# each scheduler it is compared with: CFS, CFS with the workers on the
# enclave's CPUs, ghost shinjuku with the workers' hints (alone, and
# beside an antagonist in the same enclave), ghost fifo_centralized.  A
# small database and a few seconds of light open-loop load; each run
# must serve and verify every request (no wrong answer, none dropped).
# Only correctness: the latencies are make experiment's business.
#
# CPU 0 runs the load generator; the enclaves have CPUs 1-3.  The
# runnable watchdog is off: a slow emulated CPU may leave a thread
# waiting for long.

# A small database, light load, and a long drain: on an emulated CPU the
# run may lag, but every request must still be answered.
RDB_ARGS="--keys 20000 --scan-keys 1000 --rate 200 --duration 3 --drain 60 --gen-cpu 0 --workers 3"

# rdb_smoke LOG ARGS...: rocksdb_server with RDB_ARGS and ARGS; it must exit
# 0 with one run that served every arrival, none wrong or dropped.
rdb_smoke()
{
	local log=$1 line arrivals served

	shift
	command -v rocksdb_server >/dev/null ||
		skip "rocksdb_server not built (librocksdb-dev missing)"
	# shellcheck disable=SC2086 # RDB_ARGS is split on purpose
	# Well within the test's timeout, so that a hang shows its output.
	timeout 90 rocksdb_server $RDB_ARGS "$@" >"$log" 2>"$log.err" ||
		fail "rocksdb_server $* exited $?: $(tail -3 "$log.err") $(tail -2 "$log")" \
			"$(ghostctl status 2>&1 | tail -5)"
	line=$(grep '^run ' "$log") || fail "no run line: $(cat "$log")"
	arrivals=$(echo "$line" | sed -n 's/.* arrivals=\([0-9]*\) .*/\1/p')
	served=$(echo "$line" | sed -n 's/.* served=\([0-9]*\) .*/\1/p')
	if [ -z "$arrivals" ] || [ "$arrivals" -eq 0 ] ||
	   [ "$served" != "$arrivals" ]; then
		fail "served $served of $arrivals: $line"
	fi
	echo "$line" | grep -q ' errors=0 dropped=0 ' || fail "$line"
	echo "$line"
}

test_rocksdb_cfs()
{
	rdb_smoke cfs.log
}

test_rocksdb_cfs_pinned()
{
	rdb_smoke pinned.log --worker-cpus 1-3
}

test_rocksdb_shinjuku_hints()
{
	clean_ghost
	start_agent a --cpus 1-3 --policy shinjuku
	no_watchdog 1
	rdb_smoke sjk.log --enclave 1 --hints
	grep -q ' hints=1 ' sjk.log || fail "no hints: $(head -1 sjk.log)"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

# Workers at hint class 1 and a spinning antagonist without hints (class
# 0) in one enclave: the workers still serve everything, and the
# antagonist still gets some CPU.
test_rocksdb_shinjuku_antagonist()
{
	local line

	clean_ghost
	start_agent a --cpus 1-3 --policy shinjuku
	no_watchdog 1
	line=$(rdb_smoke sjk_ant.log --enclave 1 --hints --antagonists 2 \
		--antagonist-enclave 1) || exit 1
	echo "$line" | grep -q ' antagonist_cpus=0\.000 ' &&
		fail "the antagonist got no CPU: $line"
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}

test_rocksdb_fifo_centralized()
{
	clean_ghost
	start_agent a --cpus 1-3 --policy fifo_centralized
	no_watchdog 1
	rdb_smoke fifo.log --enclave 1
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent died: $(cat a.err)"
	stop_agent "$AGENT_PID"
}
