# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: record and replay.  ghost-agent --record records a policy
# scheduling simple_exp on the real module; once the agent has stopped,
# ghost-replay of the same policy reports identical decisions (exit 0),
# another policy reports its first difference (exit 1), and a cut file
# is refused (exit 2).  A hot swap in the middle of a recording is
# recorded as an event and replayed with the policy swapped in.  A
# recording that cannot be created stops the agent at start, and a bad
# --record-max is a usage error.

# replay_rc EXPECTED OUT ARGS...: ghost-replay ARGS... exits EXPECTED,
# its output in OUT.
replay_rc()
{
	local want=$1 out=$2 rc

	shift 2
	ghost-replay "$@" >"$out" 2>&1
	rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "ghost-replay $* exited $rc, not $want: $(head -5 "$out")"
}

test_record_replays_identically()
{
	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu --record fifo.rec
	no_watchdog 1
	simple_exp_in 1
	stop_agent "$AGENT_PID"
	grep -q '^ghost-agent: recorded [0-9]* bytes into fifo.rec$' a.err ||
		fail "no recording summary: $(tail -3 a.err)"

	replay_rc 0 same.txt fifo_per_cpu fifo.rec
	grep -qE '^identical: [1-9][0-9]* decisions$' same.txt ||
		fail "same policy: $(cat same.txt)"
	replay_rc 1 other.txt cfs fifo.rec
	grep -q '^first difference at event [0-9]*, t=' other.txt ||
		fail "other policy: $(cat other.txt)"
	grep -q '^  recorded: ' other.txt ||
		fail "no recorded decision: $(cat other.txt)"
	grep -q '^  replayed: ' other.txt ||
		fail "no replayed decision: $(cat other.txt)"

	head -c "$(($(wc -c <fifo.rec) / 2))" fifo.rec >cut.rec
	replay_rc 2 cut.txt fifo_per_cpu cut.rec
	grep -q 'truncated' cut.txt || fail "cut file: $(cat cut.txt)"
}

test_record_follows_hot_swap()
{
	local sp

	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu --record swap.rec
	no_watchdog 1
	ghostctl run 1 -- simple_exp -n 2 >simple_exp.log 2>&1 &
	sp=$!
	sleep 2
	ghostctl policy swap 1 fifo_centralized >swap.txt ||
		fail "swap failed: $(cat swap.txt)"
	wait "$sp" || fail "simple_exp failed: $(grep -v ': pass' simple_exp.log)"
	stop_agent "$AGENT_PID"

	replay_rc 0 swap-replay.txt --verbose fifo_per_cpu swap.rec
	grep -q 'swap to policy fifo_centralized, hand-over by ' swap-replay.txt ||
		fail "no swap replayed: $(cat swap-replay.txt)"
	grep -qE '^identical: [1-9][0-9]* decisions$' swap-replay.txt ||
		fail "swap replay: $(tail -3 swap-replay.txt)"
}

test_record_bad_path_refused()
{
	local rc max

	clean_ghost
	ghost-agent --cpus 0-1 --policy fifo_per_cpu \
		--record /nonexistent/dir/x.rec >bad.out 2>bad.err
	rc=$?
	[ "$rc" -eq 1 ] || fail "ghost-agent exited $rc, not 1"
	grep -q 'cannot create the recording /nonexistent/dir/x.rec' bad.err ||
		fail "message: $(cat bad.err)"
	[ ! -d "$GHOST_FS/enclave_1" ] ||
		fail "an enclave was created before the recording was refused"

	# Bad sizes are usage errors (status 2), and so is a size alone.
	for max in 1K 12X -5 99999999999G; do
		expect_usage "invalid --record-max '$max'" ghost-agent --cpus 0-1 \
			--policy fifo_per_cpu --record x.rec --record-max "$max"
	done
	expect_usage '--record-max needs --record FILE' ghost-agent --cpus 0-1 \
		--policy fifo_per_cpu --record-max 1M
}
