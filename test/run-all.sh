#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every test of ghost: the Check unit tests (`make unit`) on this machine,
# the Debian packages built, installed into a clean root and removed
# (test/deb/run.sh), then the integration tests in QEMU on stock Debian
# kernels (test/vm/run.sh).  Ends with one line "N passed, N failed[, N
# skipped]" summed over all; exits 1 if anything failed.
#
# GHOST_SKIP_VM=1 leaves the VM lanes out, GHOST_SKIP_DEB=1 the deb lane,
# for a quick local loop.  CI sets neither.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log_dir=${O:-build}
[[ $log_dir == /* ]] || log_dir=$root/$log_dir

npass=0
nfail=0
nskip=0
summaries=()

# Add the last "N passed, N failed[, N skipped]" line of LOG to the totals;
# a run that printed none counts as one failure.
add_counts()
{
	local what=$1 log=$2 secs=$3 line

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" |
		tail -n 1 || true)
	if [[ -z $line ]]; then
		line="no summary line: counted as 1 failed"
		nfail=$((nfail + 1))
	elif [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		npass=$((npass + BASH_REMATCH[1]))
		nfail=$((nfail + BASH_REMATCH[2]))
		nskip=$((nskip + ${BASH_REMATCH[4]:-0}))
	fi
	summaries+=("$what: $line ($secs s)")
}

# run_suite NAME CMD...: run CMD, its output both shown and kept in a log;
# a failing status without failed tests still counts as a failure.
run_suite()
{
	local what=$1 log=$log_dir/$1.log start=$SECONDS rc=0 before=$nfail

	shift
	echo "==== $what: $*"
	"$@" 2>&1 | tee "$log" || rc=$?
	add_counts "$what" "$log" $((SECONDS - start))
	if [[ $rc -ne 0 && $nfail -eq $before ]]; then
		nfail=$((nfail + 1))
		summaries+=("$what: exit status $rc: counted as 1 failed")
	fi
}

main()
{
	local s line

	cd "$root"
	mkdir -p "$log_dir"
	run_suite unit make --no-print-directory unit
	if [[ ${GHOST_SKIP_DEB:-0} == 1 ]]; then
		summaries+=("deb: skipped (GHOST_SKIP_DEB=1)")
	else
		run_suite deb ./test/deb/run.sh
		# its "lane deb: <seconds> s" line
		while read -r line; do
			summaries+=("$line")
		done < <(grep -E '^lane deb: ' "$log_dir/deb.log" || true)
	fi
	if [[ ${GHOST_SKIP_VM:-0} == 1 ]]; then
		summaries+=("vm: skipped (GHOST_SKIP_VM=1)")
	else
		run_suite vm ./test/vm/run.sh
		# run.sh's "lane <lane>: <seconds> s" lines
		while read -r line; do
			summaries+=("vm $line")
		done < <(grep -E '^lane ' "$log_dir/vm.log" || true)
	fi

	echo "==== summary"
	for s in "${summaries[@]}"; do
		echo "$s"
	done
	line="$npass passed, $nfail failed"
	[[ $nskip -eq 0 ]] || line+=", $nskip skipped"
	echo "$line"
	[[ $nfail -eq 0 ]]
}

main "$@"
