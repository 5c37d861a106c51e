# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell unit tests that report as Check does with CK_VERBOSITY=verbose, so
# that test/unit/run.sh counts them with the C tests: "Running suite(s):
# SUITE", the summary "N%: Checks: N, Failures: N, Errors: 0", then one
# line per test.  Sourced by test/unit/test_*.sh.

st_checks=0
st_failures=0
st_lines=()

# st_init FILE SUITE: the script's path, as the report names it, and the
# name of its suite.
st_init()
{
	st_file=$1
	st_suite=$2
}

# st_run NAME COMMAND [ARG]...: one test, run in a subshell.  It passes
# if COMMAND succeeds; otherwise what it printed is the reason.
st_run()
{
	local name=$1 line=${BASH_LINENO[0]} out rc

	shift
	out=$("$@" 2>&1)
	rc=$?
	st_checks=$((st_checks + 1))
	if ((rc == 0)); then
		st_lines+=("$st_file:$line:P:$st_suite:$name:0: Passed")
		return 0
	fi
	st_failures=$((st_failures + 1))
	[[ -n $out ]] || out="exit status $rc"
	st_lines+=("$st_file:$line:F:$st_suite:$name:0: ${out//$'\n'/; }")
}

# Print the report; fails if a test did.
st_report()
{
	local pct=0

	((st_checks)) && pct=$(((st_checks - st_failures) * 100 / st_checks))
	echo "Running suite(s): $st_suite"
	echo "$pct%: Checks: $st_checks, Failures: $st_failures, Errors: 0"
	printf '%s\n' "${st_lines[@]}"
	((st_failures == 0))
}

# known_keys FILE: the lines of a policy's source that list the option
# keys it knows, from "known[] = {" to the NULL that ends the list, on
# one line or several.
known_keys()
{
	awk '/known\[\] = \{/ { on = 1 } on { print } on && /NULL/ { exit }' "$1"
}
