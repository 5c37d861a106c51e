#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the manual pages of doc/man.  Each page renders without a
# warning, passes a style lint and has the sections it needs.  What the
# pages must document is read from the sources and from the --help of the
# programs built in $O, so that something new without documentation fails
# here: every command, option and exit status of ghostctl and ghost-agent,
# every ghostfs file (with its mode), message type, transaction status,
# ioctl, module parameter and shipped policy option in ghost(7), and every
# field, callback and helper of <ghost/policy.h> in ghost_policy(3).
# Reports as Check does (shtest.sh).
# Usage: O=BUILD_DIR test/unit/test_man.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
o=${O:-build}
[[ $o == /* ]] || o=$root/$o

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_man.sh man

man=doc/man
pages=(ghostctl.8 ghost-agent.8 ghost.7 ghost_policy.3 ghost-sim.1 ghost-replay.1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ------------------------------------------------------------------------
# Reading pages and sources
# ------------------------------------------------------------------------

# The page as plain text, without hyphenation (the pages turn it off).
text()
{
	local out=$tmp/$1.txt

	[[ -s $out ]] ||
		groff -man -Tutf8 -P-cbou "$man/$1" >"$out" 2>/dev/null
	cat "$out"
}

# The text of section $2 of page $1, heading excluded.
section()
{
	text "$1" | awk -v want="$2" '
		/^[^ ]/ { on = ($0 == want); next }
		on { print }'
}

# A regular expression matching the string $1.
re()
{
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'
}

# Standard input has a line that starts with $1, as a .TP tag does,
# possibly after another name and a comma ("-h, --help").
has_tag()
{
	grep -qE "^ +([^ ]+, )?$(re "$1")([ ,=]|$)"
}

# Standard input has $1 as a whole word.
has_word()
{
	grep -qE "(^|[^A-Za-z0-9_-])$(re "$1")([^A-Za-z0-9_-]|$)"
}

# The options of an OPTIONS section of a --help text on standard input:
# its tags, indented by exactly seven spaces.
help_options()
{
	grep -oE '^ {7}-[^ ,]*(, --[a-z-]+)?' | tr ',' '\n' | tr -d ' '
}

# The options cli.c accepts: its string literals that are options.
ghostctl_cli_options()
{
	grep -oE '"(-[A-Za-z]|--[a-z][a-z-]*)"' agent/ghostctl/cli.c |
		tr -d '"' | sort -u
}

# The --help texts of ghostctl: the general one and every topic's.
ghostctl_help()
{
	local topic

	"$o/bin/ghostctl" --help || return 1
	for topic in enclave task run policy status; do
		"$o/bin/ghostctl" "$topic" --help || return 1
	done
}

# "CMD" and "CMD SUB" for every command and subcommand cli.c accepts:
# strcmp(word, ...) and strcmp(sub, ...) in its parse_CMD() functions.
ghostctl_cli_commands()
{
	awk '
		/^static int parse_[a-z]+\(/ {
			fn = $3
			sub(/\(.*/, "", fn)
			sub(/^parse_/, "", fn)
		}
		{
			line = $0
			while (match(line, /strcmp\((word|sub), "[a-z]+"\)/)) {
				m = substr(line, RSTART, RLENGTH)
				line = substr(line, RSTART + RLENGTH)
				split(m, part, "\"")
				if (m ~ /^strcmp\(word/)
					print part[2]
				else
					print fn " " part[2]
			}
		}' agent/ghostctl/cli.c | sort -u
}

# The same from the SYNOPSIS of ghostctl --help ("task add|remove ID").
ghostctl_help_commands()
{
	local help

	help=$("$o/bin/ghostctl" --help) || return 1
	awk '
		/^SYNOPSIS/ { on = 1; next }
		/^[A-Z]/ { on = 0 }
		on && $1 == "ghostctl" {
			i = 2
			if ($i == "[--json]")
				i++
			if ($i !~ /^[a-z]+$/)
				next
			print $i
			if ($(i + 1) ~ /^[a-z|]+$/) {
				n = split($(i + 1), subs, "|")
				for (k = 1; k <= n; k++)
					print $i " " subs[k]
			}
		}' <<<"$help" | sort -u
}

# The long options of ghost-agent's getopt_long() table, and its short
# options.
ghost_agent_src_options()
{
	local main=agent/ghost-agent/main.c

	grep -oE '\{ "[a-z-]+",[[:space:]]+(required|no|optional)_argument' "$main" |
		sed -E 's/^\{ "([a-z-]+)".*/--\1/'
	grep -oE 'getopt_long\(argc, argv, "[^"]*"' "$main" |
		sed -E 's/.*"([^"]*)"/\1/' | tr -d ':' | grep -o . | sed 's/^/-/'
}

# ------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------

test_render()
{
	local out

	out=$(groff -man -Tutf8 -ww -z "$man/$1" 2>&1) || {
		echo "groff failed on $1: $out"
		return 1
	}
	[[ -z $out ]] || {
		echo "groff warns about $1: $out"
		return 1
	}
}

test_lint()
{
	local page=$1 name=${1%.*} sect=${1##*.} out rc=0

	# .TH NAME SECTION DATE SOURCE MANUAL, NAME the file's in capitals.
	grep -qE "^\.TH ${name^^} $sect [0-9]{4}-[0-9]{2}-[0-9]{2} [^ ]+ \"[^\"]+\"$" "$man/$page" || {
		echo "$page: .TH is not \"${name^^} $sect YYYY-MM-DD SOURCE \\\"MANUAL\\\"\""
		rc=1
	}
	grep -qE "^$(re "$name") \\\\- " "$man/$page" || {
		echo "$page: the NAME line is not \"$name \\- ...\""
		rc=1
	}
	# Outside examples: no blank lines, no leading spaces; nowhere:
	# trailing white space.
	out=$(awk '
		/^\.(EX|nf)/ { raw = 1 }
		/^\.(EE|fi)/ { raw = 0 }
		/[ \t]$/ { print FILENAME ":" NR ": trailing white space" }
		!raw && /^$/ { print FILENAME ":" NR ": blank line" }
		!raw && /^[ \t]/ { print FILENAME ":" NR ": leading white space" }
	' "$man/$page")
	[[ -z $out ]] || { echo "$out"; rc=1; }
	# Every ghost page it refers to exists.
	while read -r ref; do
		[[ -z $ref || -f $man/$ref ]] ||
			{ echo "$page: refers to missing $ref"; rc=1; }
	done < <(grep -oE '^\.BR ghost[a-z_\\-]* \([0-9]\)' "$man/$page" |
		 sed -E 's/^\.BR ([^ ]*) \(([0-9])\)/\1.\2/; s/\\-/-/g')
	# mandoc's lint, where it is installed.
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -Wwarning "$man/$page" 2>&1)
		[[ -z $out ]] || { echo "mandoc: $out"; rc=1; }
	fi
	return $rc
}

test_sections()
{
	local page=$1 s rc=0
	local need=(NAME SYNOPSIS DESCRIPTION "EXIT STATUS" FILES EXAMPLES "SEE ALSO")

	case $page in
	ghostctl.8) need+=(COMMANDS OPTIONS) ;;
	ghost-agent.8) need+=(OPTIONS) ;;
	ghost-sim.1) need+=(OPTIONS) ;;
	ghost-replay.1) need+=(OPTIONS "FILE FORMAT") ;;
	ghost.7) need+=(ERRORS) ;;
	ghost_policy.3) need+=("RETURN VALUE") ;;
	esac
	for s in "${need[@]}"; do
		grep -qxF ".SH $s" "$man/$page" || {
			echo "$page: no section $s"
			rc=1
		}
	done
	return $rc
}

test_ghostctl_options()
{
	local opts help opt rc=0

	help=$(ghostctl_help) || {
		echo "cannot run $o/bin/ghostctl --help"
		return 1
	}
	opts=$(ghostctl_cli_options; help_options <<<"$help")
	[[ $opts == *--json* && $opts == *--cpus* ]] || {
		echo "found no ghostctl options: $opts"
		return 1
	}
	while read -r opt; do
		[[ -z $opt ]] || text ghostctl.8 | has_tag "$opt" || {
			echo "ghostctl.8 does not document option $opt"
			rc=1
		}
	done < <(sort -u <<<"$opts")
	return $rc
}

test_ghostctl_commands()
{
	local cmds synopsis cmd rc=0

	cmds=$(ghostctl_help_commands) || {
		echo "cannot run $o/bin/ghostctl --help"
		return 1
	}
	cmds+=$'\n'$(ghostctl_cli_commands)
	[[ $cmds == *"enclave create"* && $cmds == *version* ]] || {
		echo "found no ghostctl commands: $cmds"
		return 1
	}
	synopsis=$(section ghostctl.8 SYNOPSIS | tr -s ' ')
	while read -r cmd; do
		grep -qE "^ +ghostctl( \[--json\])? $(re "$cmd")( |$)" \
			<<<"$synopsis" || {
			echo "ghostctl.8 has no synopsis of '$cmd'"
			rc=1
		}
		text ghostctl.8 | has_tag "$cmd" || {
			echo "ghostctl.8 does not describe command '$cmd'"
			rc=1
		}
	done < <(sort -u <<<"$cmds")
	return $rc
}

test_ghost_agent_options()
{
	local opts help opt rc=0

	help=$("$o/bin/ghost-agent" --help) || {
		echo "cannot run $o/bin/ghost-agent --help"
		return 1
	}
	opts=$(ghost_agent_src_options; help_options <<<"$help")
	[[ $opts == *--policy* && $opts == *-V* ]] || {
		echo "found no ghost-agent options: $opts"
		return 1
	}
	while read -r opt; do
		[[ -z $opt ]] || text ghost-agent.8 | has_tag "$opt" || {
			echo "ghost-agent.8 does not document option $opt"
			rc=1
		}
	done < <(sort -u <<<"$opts")
	return $rc
}

# Every option of ghost-replay (its source and its --help) and every event
# type of the recording format is documented in ghost-replay.1.
test_ghost_replay_options()
{
	local main=agent/ghost-replay/main.c help opts opt rc=0

	help=$("$o/bin/ghost-replay" --help) || {
		echo "cannot run $o/bin/ghost-replay --help"
		return 1
	}
	opts=$(grep -oE '\{ "[a-z-]+",[[:space:]]+(required|no)_argument' "$main" |
	       sed -E 's/^\{ "([a-z-]+)".*/--\1/'
	       help_options <<<"$help"
	       grep -oE '\{ REC_[A-Z_]+,[[:space:]]+"[a-z_]+"' agent/record/recfile.c |
	       sed -E 's/.*"(.*)"/\1/')
	[[ $opts == *--opt* && $opts == *commit_done* ]] || {
		echo "found no ghost-replay options: $opts"
		return 1
	}
	while read -r opt; do
		[[ -z $opt ]] || text ghost-replay.1 | grep -qE "(^|[ ,])$(re "$opt")([ ,]|$)" || {
			echo "ghost-replay.1 does not document $opt"
			rc=1
		}
	done < <(sort -u <<<"$opts")
	return $rc
}

# Every option of ghost-sim --help, every --check and every word of its
# workload files (read from workload.c) is documented in ghost-sim.1.
test_ghost_sim_options()
{
	local help opts opt rc=0

	help=$("$o/bin/ghost-sim" --help) || {
		echo "cannot run $o/bin/ghost-sim --help"
		return 1
	}
	opts=$(grep -oE '^  --[a-z]+( [a-z]+)?' <<<"$help" |
	       sed -E 's/^  //; s/ [A-Z].*//')
	opts+=$'\n'$(grep -oE 'strcmp\((w|key), "[a-z_]+"\)' agent/ghost-sim/workload.c |
		     sed -E 's/.*"(.*)"\)/\1/')
	[[ $opts == *--check\ shares* && $opts == *run_us* ]] || {
		echo "found no ghost-sim options: $opts"
		return 1
	}
	while read -r opt; do
		[[ -z $opt ]] || text ghost-sim.1 | has_tag "$opt" || {
			echo "ghost-sim.1 does not document $opt"
			rc=1
		}
	done < <(sort -u <<<"$opts")
	return $rc
}

# Every value of the exit status enum of $2 ("PREFIX" in $3) is a word of
# the EXIT STATUS section of page $1.
test_exit_statuses()
{
	local page=$1 src=$2 prefix=$3 codes code exits rc=0

	codes=$(grep -oE "^[[:space:]]*${prefix}[A-Z]+[[:space:]]*=[[:space:]]*[0-9]+" "$src" |
		sed -E 's/.*=[[:space:]]*//')
	[[ -n $codes ]] || { echo "no exit statuses in $src"; return 1; }
	exits=$(section "$page" "EXIT STATUS")
	for code in $codes; do
		has_word "$code" <<<"$exits" || {
			echo "$page does not document exit status $code"
			rc=1
		}
	done
	return $rc
}

# The files of ghostfs, with the modes the module gives them.
test_ghostfs_files()
{
	local pairs name mode page rc=0

	page=$(text ghost.7)
	pairs=$(sed -nE 's/.*\.name = "([a-z_]+)", \.mode = (0[0-7]+).*/\1 \2/p' \
		module/enclave_files.c
		sed -nE 's/.*\{ "([a-z]+)", &ghost_[a-z_]+_fops, (0[0-7]+) \}.*/\1 \2/p' \
		module/ghostfs.c)
	[[ $pairs == *"tasks 0644"* && $pairs == *"version 0444"* ]] || {
		echo "found no ghostfs files: $pairs"
		return 1
	}
	while read -r name mode; do
		grep -qE "^ +$name \($mode\)" <<<"$page" || {
			echo "ghost.7 does not document $name ($mode)"
			rc=1
		}
	done <<<"$pairs"
	return $rc
}

# Every name of enum $2 in <linux/ghost.h> is a tag of page $1 (with $4
# = tag) or a word of it, with or without its prefix $3.
test_uapi_names()
{
	local page=$1 enum=$2 prefix=$3 how=$4 names name rc=0

	names=$(awk -v e="enum $enum {" '
		index($0, e) == 1 { on = 1; next }
		on && /^};/ { exit }
		on { print }' include/uapi/linux/ghost.h |
		grep -oE "^[[:space:]]*${prefix}[A-Z_]+" | sed "s/^[[:space:]]*$prefix//")
	[[ -n $names ]] || { echo "no names in enum $enum"; return 1; }
	for name in $names; do
		text "$page" | "has_$how" "$name" ||
			{ [[ $how == word ]] && text "$page" | has_word "$prefix$name"; } || {
			echo "$page does not document $prefix$name"
			rc=1
		}
	done
	return $rc
}

test_ioctls()
{
	local names name rc=0

	names=$(grep -oE '^#define GHOST_IOC_[A-Z_]+[[:space:]]+_IO' \
		include/uapi/linux/ghost.h | awk '{ print $2 }')
	[[ -n $names ]] || { echo "no ioctls in <linux/ghost.h>"; return 1; }
	# Tags of the Ioctls list, not mentions elsewhere (further indented).
	for name in $names; do
		text ghost.7 | grep -qE "^ {7}([^ ]+, )?$name( |,|$)" || {
			echo "ghost.7 does not document $name"
			rc=1
		}
	done
	return $rc
}

test_module_params()
{
	local params name rc=0

	params=$(grep -ohE 'module_param(_named)?\([a-z_]+' module/*.c |
		sed 's/.*(//')
	[[ -n $params ]] || { echo "no module parameters found"; return 1; }
	for name in $params; do
		section ghost.7 "MODULE PARAMETERS" | has_tag "$name" || {
			echo "ghost.7 does not document module parameter $name"
			rc=1
		}
	done
	return $rc
}

# Every tracepoint of the module, in ghost.7 and in the README.
test_tracepoints()
{
	local events name rc=0

	events=$(grep -ohE '^(TRACE_EVENT|DEFINE_EVENT)\(([a-z_]+, )?ghost_[a-z_]+' \
		module/ghost_trace.h | sed 's/.*[(, ]//')
	[[ -n $events ]] || { echo "no tracepoints found"; return 1; }
	for name in $events; do
		section ghost.7 TRACEPOINTS | grep -qE "^ +(ghost_[a-z_]+, )?$name(,|$)" || {
			echo "ghost.7 does not document tracepoint $name"
			rc=1
		}
		grep -q "\`$name\`" README.md || {
			echo "README.md does not list tracepoint $name"
			rc=1
		}
	done
	return $rc
}

# Every shipped policy, and every option its init knows.
test_policies()
{
	local names name opt policies rc=0

	names=$(sed -nE 's/^POLICY_NAMES := //p' policies/policies.mk)
	[[ -n $names ]] || { echo "no policies in policies.mk"; return 1; }
	policies=$(section ghost.7 POLICIES)
	for name in $names; do
		has_tag "$name" <<<"$policies" || {
			echo "ghost.7 does not describe policy $name"
			rc=1
		}
		for opt in $(known_keys "policies/$name.c" |
			     grep -oE '"[a-z_]+"' | tr -d '"'); do
			# The policy's tag (alone on its line, or before
			# its text when it is short), then the option's
			# before the next.
			awk -v p="$name" '
				$0 ~ "^ +" p "(  |$)" { on = 1; next }
				on && /^ {7}[a-z]/ { exit }
				on { print }' <<<"$policies" | has_tag "$opt" || {
				echo "ghost.7 does not document option $opt of $name"
				rc=1
			}
		done
	done
	return $rc
}

# The fields of struct $1 in <ghost/policy.h>, comments left out.
policy_struct_fields()
{
	perl -0pe 's{/\*.*?\*/}{}gs' agent/include/ghost/policy.h |
		awk -v s="struct $1 {" '
		index($0, s) == 1 { on = 1; next }
		on && /^};/ { exit }
		on { print }' | grep -oE '(\(\*[a-z_0-9]+\)|[a-z_0-9]+(\[[^]]*\])?;)' |
		tr -d '(*);' | sed 's/\[.*//'
}

# Every field of the ops table and of the context, but the reserved ones.
test_policy_abi()
{
	local page fields name rc=0

	page=$(text ghost_policy.3)
	fields=$(policy_struct_fields ghost_policy_ops
		 policy_struct_fields ghost_policy_ctx)
	[[ $fields == *task_new*enclave_id* ]] || {
		echo "read no fields: $fields"
		return 1
	}
	for name in $fields; do
		[[ $name == resv* ]] && continue
		has_word "$name" <<<"$page" || {
			echo "ghost_policy.3 does not document $name"
			rc=1
		}
	done
	return $rc
}

test_policy_helpers()
{
	local synopsis page name helpers rc=0

	synopsis=$(section ghost_policy.3 SYNOPSIS)
	page=$(text ghost_policy.3)
	helpers=$(grep -ohE '^static inline [a-z_ 0-9*]*[ *](ghost_policy_[a-z_]+)\(' \
		agent/include/ghost/policy.h | sed -E 's/.*[ *](ghost_policy_[a-z_]+)\(/\1/')
	[[ -n $helpers ]] || { echo "no helpers in policy.h"; return 1; }
	for name in $helpers GHOST_POLICY_DEFINE; do
		has_word "$name" <<<"$synopsis" || {
			echo "the synopsis of ghost_policy.3 lacks $name"
			rc=1
		}
	done
	helpers=$(grep -ohE '^(static inline [a-z_ 0-9*]*[ *]|#define )gp_[a-z_]+' \
		agent/include/ghost/policy_util.h | grep -oE 'gp_[a-z_]+$')
	[[ -n $helpers ]] || { echo "nothing in policy_util.h"; return 1; }
	for name in $helpers; do
		has_word "$name" <<<"$page" || {
			echo "ghost_policy.3 does not document $name"
			rc=1
		}
	done
	return $rc
}

# The callbacks the loader requires are the ones the page calls required.
test_required_callbacks()
{
	local want got

	want=$(grep -oE 'OP\([a-z_][a-z_]+\)' agent/lib/policy.c |
		sed -E 's/OP\((.*)\)/\1/' |
		sort -u)
	got=$(text ghost_policy.3 | tr -s '\n ' '  ' |
		grep -oE 'The callbacks [^.]* are required' |
		grep -oE '[a-z]+_[a-z_]+|init|schedule' | sort -u)
	[[ -n $want && $want == "$got" ]] || {
		echo "required: $(tr '\n' ' ' <<<"$want");" \
		     "ghost_policy.3 says: $(tr '\n' ' ' <<<"$got")"
		return 1
	}
}

test_abi_versions()
{
	local kabi pabi rc=0

	kabi=$(sed -nE 's/^#define GHOST_VERSION[[:space:]]+([0-9]+).*/\1/p' \
		include/uapi/linux/ghost.h)
	pabi=$(sed -nE 's/^#define GHOST_POLICY_ABI_VERSION[[:space:]]+([0-9]+).*/\1/p' \
		agent/include/ghost/policy.h)
	for page in ghostctl.8 ghost-agent.8; do
		text "$page" | tr '\n' ' ' | grep -qE "ABI +version +${kabi}[^0-9]" || {
			echo "$page does not say ABI version $kabi"
			rc=1
		}
	done
	text ghost_policy.3 | grep -qE "GHOST_POLICY_ABI_VERSION, +$pabi\)" || {
		echo "ghost_policy.3 does not say policy ABI version $pabi"
		rc=1
	}
	return $rc
}

for page in "${pages[@]}"; do
	st_run "render_$page" test_render "$page"
	st_run "lint_$page" test_lint "$page"
	st_run "sections_$page" test_sections "$page"
done
st_run ghostctl_options test_ghostctl_options
st_run ghostctl_commands test_ghostctl_commands
st_run ghostctl_exit_statuses test_exit_statuses ghostctl.8 \
	agent/ghostctl/cli.h GHOSTCTL_EXIT_
st_run ghost_agent_options test_ghost_agent_options
st_run ghost_sim_options test_ghost_sim_options
st_run ghost_replay_options test_ghost_replay_options
st_run ghost_replay_exit_statuses test_exit_statuses ghost-replay.1 \
	agent/ghost-replay/main.c EXIT_
st_run ghost_agent_exit_statuses test_exit_statuses ghost-agent.8 \
	agent/ghost-agent/main.c EXIT_
st_run ghostfs_files test_ghostfs_files
st_run message_types test_uapi_names ghost.7 ghost_msg_type GHOST_MSG_ tag
st_run txn_states test_uapi_names ghost.7 ghost_txn_state GHOST_TXN_ word
st_run ioctls test_ioctls
st_run module_params test_module_params
st_run tracepoints test_tracepoints
st_run policies test_policies
st_run policy_abi test_policy_abi
st_run policy_helpers test_policy_helpers
st_run required_callbacks test_required_callbacks
st_run abi_versions test_abi_versions
st_report
