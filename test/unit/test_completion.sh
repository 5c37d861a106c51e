#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the bash completion of ghostctl, agent/ghostctl/ghostctl.bash:
# it parses, and sourced in bash (with set -u) and called with COMP_WORDS
# and COMP_CWORD as bash sets them, it completes the commands and
# subcommands that cli.c accepts, the options each command takes, values,
# enclave IDs and threads from a ghostfs of test files, and policy names
# and files.  What cli.c, policies.mk and the policies accept is read from
# them, so that something new the completion does not offer fails here.
# Reports as Check does (shtest.sh).
# Usage: test/unit/test_completion.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_completion.sh completion

script=$root/agent/ghostctl/ghostctl.bash
cli=agent/ghostctl/cli.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A ghostfs with enclaves 3 and 12, and threads 101 and 102 in 12.
mkdir -p "$tmp/fs/enclave_3" "$tmp/fs/enclave_12"
printf '101\n102\n' >"$tmp/fs/enclave_12/tasks"
# A directory with a policy file, another file and a subdirectory.
mkdir -p "$tmp/cwd/sub"
touch "$tmp/cwd/my_policy.so" "$tmp/cwd/notes.txt"

# The replies for a command line whose last word is being completed, one
# a line, sorted: the words as bash splits them (at '=' too).
complete_words()
{
	(
		set -u
		# shellcheck source=agent/ghostctl/ghostctl.bash disable=SC1091
		. "$script" || exit 1
		_ghostctl_fs=$tmp/fs
		cd "$tmp/cwd" || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_ghostctl ghostctl "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}" || exit 1
		((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
	) | sort -u
}

# expect WANT WORD...: the completion of WORD... is WANT (words, any
# order).
expect()
{
	local want got

	want=$(tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -u)
	shift
	got=$(complete_words "$@")
	[[ $got == "$want" ]] || {
		echo "'$*': got [$(tr "\n" " " <<<"$got")], want [$(tr "\n" " " <<<"$want")]"
		return 1
	}
}

# The commands of cli.c (strcmp(word, ...)), and the subcommands of
# command $1 (strcmp(sub, ...) in its parse_$1()).
cli_commands()
{
	grep -oE 'strcmp\(word, "[a-z]+"\)' "$cli" | grep -oE '"[a-z]+"' |
		tr -d '"' | sort -u
}

cli_subcommands()
{
	sed -n "/^static int parse_$1(/,/^}/p" "$cli" |
		grep -oE 'strcmp\(sub, "[a-z]+"\)' | grep -oE '"[a-z]+"' |
		tr -d '"' | sort -u
}

# The long options cli.c accepts.
cli_options()
{
	grep -oE '"--[a-z][a-z-]*"' "$cli" | tr -d '"' | sort -u
}

test_syntax()
{
	bash -n "$script"
}

test_registers()
{
	local out

	out=$(bash -uc '. "$1" && complete -p ghostctl' _ "$script" 2>&1)
	if [[ $out != "complete -F _ghostctl ghostctl" ]]; then
		echo "sourcing it gives: $out"
		return 1
	fi
}

test_command_prefix()
{
	expect "enclave" ghostctl en
}

test_commands()
{
	local want

	want=$(cli_commands)
	[[ $want == *enclave* ]] || { echo "no commands in $cli"; return 1; }
	expect "$want" ghostctl "" &&
		expect "$want" ghostctl --json "" &&
		expect "status" ghostctl st
}

test_subcommands()
{
	local cmd=$1 want

	want=$(cli_subcommands "$cmd")
	[[ -n $want ]] || { echo "no subcommands of $cmd in $cli"; return 1; }
	expect "$want" ghostctl "$cmd" "" &&
		expect "$want" ghostctl --json "$cmd" ""
}

test_help_topics()
{
	local want

	want=$(sed -n '/^static int parse_help(/,/^}/p' "$cli" |
	       grep -oE '\{ "[a-z]+",' | grep -oE '[a-z]+')
	[[ -n $want ]] || { echo "no help topics in $cli"; return 1; }
	expect "enclave $want" ghostctl help ""
}

test_enclave_ids()
{
	expect "3 12" ghostctl enclave show "" &&
		expect "3 12" ghostctl enclave set "" &&
		expect "3 12" ghostctl enclave destroy "" &&
		expect "3 12" ghostctl task add "" &&
		expect "3 12" ghostctl run "" &&
		expect "3 12" ghostctl policy swap "" &&
		expect "3 12" ghostctl --json status "" &&
		expect "12" ghostctl status 1 &&
		expect "" ghostctl enclave create "" &&
		expect "" ghostctl enclave list ""
}

test_threads()
{
	expect "101 102" ghostctl task remove 12 "" &&
		expect "" ghostctl task remove 3 ""
}

test_policies()
{
	local names fifos

	names=$(sed -nE 's/^POLICY_NAMES := //p' policies/policies.mk)
	[[ -n $names ]] || { echo "no policies in policies.mk"; return 1; }
	# The names a prefix selects: those it starts, no other.
	fifos=$(tr ' ' '\n' <<<"$names" | grep '^fifo')
	expect "$names ./my_policy.so sub" ghostctl policy swap 3 "" &&
		expect "$fifos" ghostctl policy swap 3 fifo &&
		expect "./my_policy.so ./sub" ghostctl policy swap 3 ./ &&
		expect "sub" ghostctl policy swap 3 sub
}

# Every option the completion offers for a command, cli.c lets that
# command take; every long option of cli.c is offered somewhere.
test_options()
{
	local all opt rc=0

	expect "--help --json --version" ghostctl - &&
		expect "--cpus --help --id --json" ghostctl enclave create -- &&
		expect "--deliver-ticks --help --json --runnable-timeout" \
			ghostctl enclave set 3 -- &&
		expect "--all --help --json" ghostctl enclave destroy -- &&
		expect "--help --json --opt --rediscover" \
			ghostctl policy swap 3 fifo_per_cpu -- &&
		expect "--help --json --threads" ghostctl status -- &&
		expect "--count --help --interval --json --total" \
			ghostctl latency 3 -- &&
		expect "--count --help --interval --json" ghostctl top 3 -- &&
		expect "--help --json" ghostctl task add 3 -- &&
		expect "" ghostctl status -1 || return 1
	all=$(for words in "" "enclave create" "enclave set 3" \
			   "enclave destroy" "policy swap 3 x" status \
			   "latency 3" "top 3"; do
		# shellcheck disable=SC2086 # one word each
		complete_words ghostctl $words --
	done | sort -u)
	while read -r opt; do
		grep -qxF -- "$opt" <<<"$all" || {
			echo "cli.c accepts $opt, the completion never offers it"
			rc=1
		}
	done < <(cli_options)
	return $rc
}

test_values()
{
	expect "0 1" ghostctl enclave set 3 --deliver-ticks "" &&
		expect "0 1" ghostctl enclave set 3 --deliver-ticks = "" &&
		expect "=0 =1" ghostctl enclave set 3 --deliver-ticks = &&
		expect "" ghostctl enclave create --cpus "" &&
		expect "" ghostctl enclave create --id ""
}

# The keys of --opt are those each shipped policy's init knows.
test_policy_options()
{
	local names name keys rc=0

	names=$(sed -nE 's/^POLICY_NAMES := //p' policies/policies.mk)
	[[ -n $names ]] || { echo "no policies in policies.mk"; return 1; }
	for name in $names; do
		keys=$(known_keys "policies/$name.c" |
		       grep -oE '"[a-z_]+"' | tr -d '"' | sed 's/$/=/')
		[[ -n $keys ]] || { echo "no options in policies/$name.c"; return 1; }
		expect "$keys" ghostctl policy swap 3 "$name" --opt "" || rc=1
	done
	expect "slice_us=" ghostctl policy swap 3 fifo_centralized --opt = sl ||
		rc=1
	return $rc
}

# Words after an option's value, and run's command after "--".
test_arguments()
{
	expect "--id" ghostctl enclave create --cpus 0-15 : 2 --i &&
		expect "show" ghostctl --json enclave --cpus=1 sh &&
		expect "--" ghostctl run 3 "" || return 1
	if ! complete_words ghostctl run 3 -- ba | grep -qx bash; then
		echo "'ghostctl run 3 -- ba' does not offer bash"
		return 1
	fi
}

st_run syntax test_syntax
st_run registers test_registers
st_run command_prefix test_command_prefix
st_run commands test_commands
for cmd in enclave task policy; do
	st_run "subcommands_$cmd" test_subcommands "$cmd"
done
st_run help_topics test_help_topics
st_run enclave_ids test_enclave_ids
st_run threads test_threads
st_run policies test_policies
st_run options test_options
st_run values test_values
st_run policy_options test_policy_options
st_run arguments test_arguments
st_report
