#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test of the agent-side programs (test/agent/t_*.c, their tests[]
# tables) is run by a VM case (test/vm/cases/*.sh, "agent_test PROG
# NAME"): a test added to a table and to no case would pass by never
# running.  Reports as Check does (shtest.sh).
# Usage: test/unit/test_vm_cases.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_vm_cases.sh vm_cases

# run_by_a_case PROG: each test of test/agent/PROG.c is named by a case.
run_by_a_case()
{
	local prog=$1 name n=0 missing=()

	while read -r name; do
		n=$((n + 1))
		grep -qE "agent_test $prog $name( |\$)" test/vm/cases/*.sh ||
			missing+=("$name")
	done < <(sed -n 's/^[[:space:]]*{ "\([a-z0-9_]*\)".*/\1/p' \
		"test/agent/$prog.c")
	if ((n == 0)); then
		echo "no tests[] entries found in test/agent/$prog.c"
		return 1
	fi
	if ((${#missing[@]})); then
		echo "not run by any VM case: ${missing[*]}"
		return 1
	fi
}

for f in test/agent/t_*.c; do
	prog=$(basename "$f" .c)
	st_run "$prog" run_by_a_case "$prog"
done
st_report
