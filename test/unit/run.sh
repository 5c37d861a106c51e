#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run Check test binaries, and shell tests that report as they do
# (test/unit/shtest.sh), printing every test with its outcome, then one
# line "N passed, N failed" summed over all of them.
# Usage: test/unit/run.sh BINARY...

set -u

passed=0
failed=0

# Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0".
summary_re='Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+)'

for bin in "$@"; do
	echo "== ${bin##*/}"
	out=$(CK_VERBOSITY=verbose "$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [[ $out =~ $summary_re ]]; then
		checks=${BASH_REMATCH[1]}
		bad=$((BASH_REMATCH[2] + BASH_REMATCH[3]))
		passed=$((passed + checks - bad))
		failed=$((failed + bad))
		# A binary that fails without a failed test still fails.
		if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
			echo "${bin##*/}: exit status $rc"
			failed=$((failed + 1))
		fi
	else
		echo "${bin##*/}: no Check summary (exit status $rc)"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
