#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of rocksdb_server (experiment/rocksdb) on this machine, with
# a small database and a few seconds of load: every request served and
# verified, latency percentiles in order, the Poisson generator's rate
# and spread, overload reported as dropped requests, the antagonist's
# accounting, calibration, --hints without an agent, and the command
# line's checks.
# Reports as Check does (shtest.sh).
# Usage: O=BUILD_DIR test/unit/test_rocksdb.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
o=${O:-build}
[[ $o == /* ]] || o=$root/$o
server=$o/bin/rocksdb_server
# A hung server fails its test instead of hanging make unit.
limit=60

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_rocksdb.sh rocksdb

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A small database: loads in well under a second.
small=(--keys 20000 --scan-keys 1000)

# field LINE NAME: the value of NAME=VALUE in LINE.
field()
{
	[[ " $1 " =~ \ $2=([^ ]+)\  ]] || { echo "no $2 in: $1" >&2; return 1; }
	echo "${BASH_REMATCH[1]}"
}

# check EXPR: an awk condition, with its variables given as NAME=VALUE
# arguments after it; prints the condition and the values if false.
check()
{
	local expr=$1

	shift
	awk "$@" "BEGIN { exit !($expr) }" || {
		echo "not true: $expr ($*)"
		return 1
	}
}

# rdb ARG...: the server, killed after $limit seconds (status 124).
rdb()
{
	timeout "$limit" "$server" "$@"
}

test_built()
{
	[[ -x $server ]] || {
		echo "$server not built: install librocksdb-dev (scripts/install-deps.sh)"
		return 1
	}
}

# Two loads in one process: each run serves and verifies every request,
# and its percentiles and samples make sense.
test_smoke()
{
	local out rc line rate n p50 p99 p999 lines=() rest

	out=$(rdb "${small[@]}" --workers 2 --rate 1000,2000 \
		--duration 1 --seed 7 --samples "$tmp/samples" 2>"$tmp/err")
	rc=$?
	[[ $rc -eq 0 ]] || { echo "exit status $rc: $out $(<"$tmp/err")"; return 1; }
	# A wrong answer is reported on standard error even if not counted.
	[[ ! -s $tmp/err ]] || { echo "complaints: $(<"$tmp/err")"; return 1; }
	mapfile -t lines < <(grep '^run ' <<<"$out")
	[[ ${#lines[@]} -eq 2 ]] || { echo "want 2 run lines: $out"; return 1; }
	for line in "${lines[@]}"; do
		rate=$(field "$line" rate) || return 1
		n=$(field "$line" arrivals) || return 1
		check "n > 0.8 * r && n < 1.2 * r" -v n="$n" -v r="$rate" ||
			return 1
		[[ $(field "$line" served) == "$n" ]] ||
			{ echo "not every request served: $line"; return 1; }
		[[ $(field "$line" errors) == 0 && $(field "$line" dropped) == 0 ]] ||
			{ echo "errors or dropped: $line"; return 1; }
		[[ $(field "$line" get_n) -gt 0 && $(field "$line" scan_n) -gt 0 ]] ||
			{ echo "want both kinds: $line"; return 1; }
		for pre in "" get_ scan_; do
			p50=$(field "$line" "${pre}p50_us") || return 1
			p99=$(field "$line" "${pre}p99_us") || return 1
			p999=$(field "$line" "${pre}p999_us") || return 1
			check "a > 0 && a <= b && b <= c && c < 1e7" \
				-v a="$p50" -v b="$p99" -v c="$p999" || return 1
		done
		check "t > 0.8 * r" -v t="$(field "$line" throughput)" -v r="$rate" ||
			return 1
	done
	# One line per request, its times in order, its latency from its
	# scheduled arrival.
	[[ $(head -n 1 "$tmp/samples") == "# rate"* ]] ||
		{ echo "samples have no header"; return 1; }
	rest=$(awk -F '\t' -v want="$(($(field "${lines[0]}" arrivals) +
					$(field "${lines[1]}" arrivals)))" '
		NR == 1 { next }
		{ n++ }
		NF != 9 || $8 != "ok" || $3 > $4 || $4 > $5 || $5 > $6 ||
		    $7 != $6 - $3 { print "bad sample: " $0; exit 1 }
		END { if (n != want) { print n " samples, want " want; exit 1 } }
	' "$tmp/samples") || { echo "$rest"; return 1; }
}

# The generator's arrivals, half a million of them: the requested rate
# within 0.5 % (3.5 standard deviations), exponential gaps (coefficient of variation 1) and the
# requested share of scans, all inside the database; reproducible from
# the seed.
test_poisson()
{
	local out again other

	out=$(rdb --schedule-only --rate 100000 --duration 5 \
		--scan-ratio 0.005 --keys 20000 --scan-keys 1000 --seed 3) ||
		{ echo "failed: $out"; return 1; }
	check "r > 99500 && r < 100500" \
		-v r="$(field "$out" arrival_rate)" || return 1
	check "cv > 0.99 && cv < 1.01" -v cv="$(field "$out" gap_cv)" ||
		return 1
	check "s > 0.0045 && s < 0.0055" -v s="$(field "$out" scan_ratio)" ||
		return 1
	check "k <= 20000 && k > 19000" -v k="$(field "$out" key_end)" ||
		return 1
	# Shorter schedules suffice to compare seeds.
	out=$(rdb --schedule-only --rate 100000 --duration 0.5 --seed 3)
	again=$(rdb --schedule-only --rate 100000 --duration 0.5 --seed 3)
	[[ $again == "$out" ]] || { echo "not reproducible: $again"; return 1; }
	other=$(rdb --schedule-only --rate 100000 --duration 0.5 --seed 4)
	[[ $other != "$out" ]] || { echo "the seed changes nothing"; return 1; }
}

# Far past saturation with no time to drain, requests are dropped, the
# run fails and its tail is infinite: overload is never hidden.
test_overload()
{
	local out rc line n

	out=$(rdb "${small[@]}" --workers 1 --scan-ratio 1 --rate 20000 \
		--duration 0.3 --drain 0 2>&1)
	rc=$?
	[[ $rc -eq 1 ]] || { echo "exit status $rc, want 1: $out"; return 1; }
	line=$(grep '^run ' <<<"$out") || { echo "no run line: $out"; return 1; }
	n=$(field "$line" arrivals) || return 1
	check "d > 0 && s + d == n" -v d="$(field "$line" dropped)" \
		-v s="$(field "$line" served)" -v n="$n" || return 1
	[[ $(field "$line" p999_us) == inf ]] ||
		{ echo "dropped requests not counted as late: $line"; return 1; }
}

# Spinning threads at nice 19 beside the server: their CPU time and
# iterations are counted, and the server still answers everything.
test_antagonist()
{
	local out line

	out=$(rdb "${small[@]}" --rate 500 --duration 1 --antagonists 1 \
		--antagonist-nice 19 2>&1) || { echo "failed: $out"; return 1; }
	line=$(grep '^run ' <<<"$out") || { echo "no run line: $out"; return 1; }
	check "c > 0.05 && c <= 1.05 && s > 0 && s <= 1 && i > 0" \
		-v c="$(field "$line" antagonist_cpus)" \
		-v s="$(field "$line" antagonist_share)" \
		-v i="$(field "$line" antagonist_iters_per_s)" || return 1
	[[ $(field "$line" errors) == 0 && $(field "$line" dropped) == 0 ]] ||
		{ echo "errors or dropped: $line"; return 1; }
}

# Workers that cannot enter their enclave (here one that does not exist)
# stop the server before it serves anything, saying why.
test_enclave_missing()
{
	local out rc

	out=$(rdb "${small[@]}" --rate 10 --duration 0.1 \
		--enclave 2147483647 2>&1)
	rc=$?
	[[ $rc -eq 1 && $out == *"worker 0 cannot enter enclave 2147483647"* &&
	   $out != *$'\n'run\ * ]] ||
		{ echo "exit status $rc, want 1 and a message: $out"; return 1; }
}

# --hints without an agent for the enclave (none runs on this machine)
# fails before serving anything, naming the enclave and the cause.
test_hints_no_agent()
{
	local out rc

	out=$(rdb "${small[@]}" --rate 10 --duration 0.1 --hints \
		--enclave 2147483647 2>&1)
	rc=$?
	[[ $rc -eq 1 &&
	   $out == *"registering hints with the agent of enclave 2147483647: "?* &&
	   $out != *$'\n'run\ * ]] ||
		{ echo "exit status $rc, want 1 and a message: $out"; return 1; }
}

# A scan of 1000 keys costs more than a GET, and the suggested scan
# size is positive.
test_calibrate()
{
	local out line

	out=$(rdb "${small[@]}" --calibrate 2>&1) ||
		{ echo "failed: $out"; return 1; }
	line=$(grep '^calibrate ' <<<"$out") || { echo "no result: $out"; return 1; }
	check "g > 0 && s > 10 * g && k > 0" -v g="$(field "$line" get_us)" \
		-v s="$(field "$line" scan_us)" \
		-v k="$(field "$line" scan_keys_1000x)" || return 1
	[[ $(field "$line" errors) == 0 ]] || { echo "errors: $line"; return 1; }
}

# Each bad command line: exit status 2, a message naming what is wrong,
# nothing on standard output.
test_options()
{
	local args want out err rc fail=0

	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086 # the arguments are split on purpose
		out=$(rdb $args 2>"$tmp/err")
		rc=$?
		err=$(<"$tmp/err")
		if [[ $rc -ne 2 || -n $out || $err != *"$want"* ]]; then
			echo "'$args': exit $rc, stderr '$err', want 2 and '$want'"
			fail=1
		fi
	done <<'EOT'
|--rate is required
--rate 0|--rate '0'
--rate -5|--rate '-5'
--rate 1e8|--rate '1e8'
--rate abc|--rate 'abc'
--rate 1,,2|single commas
--rate 1,|single commas
--rate nan|--rate 'nan'
--rate 1 --duration 0|--duration '0'
--rate 1 --duration 5000|--duration '5000'
--rate 1 --drain -1|--drain '-1'
--rate 1 --keys 0|--keys '0'
--rate 1 --keys 12x|--keys '12x'
--rate 1 --keys 10 --scan-keys 11|more than the 10 keys
--rate 1 --scan-ratio 1.5|--scan-ratio '1.5'
--rate 1 --workers 0|--workers '0'
--rate 1 --workers 2000|--workers '2000'
--rate 1 --seed -1|--seed '-1'
--rate 1 --gen-cpu 1023|CPU 1023 is not one
--rate 1 --gen-cpu x|--gen-cpu 'x'
--rate 1 --worker-cpus 0-|--worker-cpus '0-'
--rate 1 --worker-cpus 1000|CPU 1000 is not one
--rate 1 --antagonists 2 --antagonist-nice 20|--antagonist-nice '20'
--rate 1 --antagonist-nice 5|need --antagonists
--rate 1 --antagonists 5000|--antagonists '5000'
--rate 1 --antagonist-enclave 3|need --antagonists
--rate 1 --enclave 0|--enclave '0'
--rate 1 --enclave x|--enclave 'x'
--rate 1 --antagonists 1 --antagonist-enclave 2147483648|--antagonist-enclave '2147483648'
--rate 1 --samples /nonexistent/dir/file|--samples '/nonexistent/dir/file'
--rate 1 --calibrate --schedule-only|exclude each other
--rate 1 --hints|--hints needs --enclave
--rate 1 --enclave 1 --hint-qos 2|--hint-qos needs --hints
--rate 1 --enclave 1 --hints --hint-qos 0|--hint-qos '0'
--rate 1 --enclave 1 --hints --hint-qos 8|--hint-qos '8'
--enclave 1 --hints --calibrate|--hints only serves a load
--rate 1 --bogus|unknown option '--bogus'
--rate|--rate needs a value
--rate 1 stray|unexpected argument 'stray'
EOT
	return $fail
}

# --help exits 0 and documents every option of the source's table.
test_help()
{
	local help opt rc=0

	help=$(rdb --help) || { echo "--help failed"; return 1; }
	while read -r opt; do
		grep -qE -- "^ +(-h, )?--$opt( |$)" <<<"$help" ||
			{ echo "--help does not document --$opt"; rc=1; }
	done < <(grep -oE '^\s*\{ "[a-z-]+",' experiment/rocksdb/opts.c |
		 grep -oE '[a-z-]+')
	[[ $help == *--antagonist-cpus* ]] || { echo "no options read"; rc=1; }
	return $rc
}

st_run built test_built
st_run smoke test_smoke
st_run poisson test_poisson
st_run overload test_overload
st_run antagonist test_antagonist
st_run enclave_missing test_enclave_missing
st_run hints_no_agent test_hints_no_agent
st_run calibrate test_calibrate
st_run options test_options
st_run help test_help
st_report
