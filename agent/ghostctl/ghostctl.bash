# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# bash completion for ghostctl(8): its commands and their subcommands and
# options, as cli.c accepts them, enclave IDs from /sys/fs/ghost, policy
# names and .so files, and the threads of an enclave.
#
# Installed as share/bash-completion/completions/ghostctl and sourced
# into interactive shells: it sets no shell option, needs nothing from
# the bash-completion package and defines only _ghostctl* names.

# Where the enclaves are (tests point it elsewhere).
_ghostctl_fs=/sys/fs/ghost

# The policies ghost-agent ships, and the options each accepts.
_ghostctl_policies="fifo_per_cpu fifo_centralized sol shinjuku cfs edf biff"
_ghostctl_policy_opts_fifo_per_cpu="max_tasks= dispatch_depth="
_ghostctl_policy_opts_fifo_centralized="slice_us= max_tasks= dispatch_depth= affinity="
_ghostctl_policy_opts_sol="max_tasks= lookahead= dispatch_depth="
_ghostctl_policy_opts_shinjuku="slice_us= max_tasks="
_ghostctl_policy_opts_cfs="min_granularity_us= latency_us= max_tasks="
_ghostctl_policy_opts_edf="max_tasks= rescan_us="
_ghostctl_policy_opts_biff="max_tasks= dispatch_depth= defer_wakeup="

# Options that take a value in the next word (or after '=').
_ghostctl_value_opts="--cpus --id --runnable-timeout --deliver-ticks --opt --interval --count"

# Add to COMPREPLY the words of $1 that start with $cur.  What bash
# replaces is only the end of the word being typed, after its last '=' or
# ':' (COMP_WORDBREAKS): each reply is cut to that part.
_ghostctl_add()
{
	local w

	for w in $1; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("${_ghostctl_lead}${w}")
	done
	_ghostctl_cut
}

# The same for the lines of standard input.
_ghostctl_add_lines()
{
	local w

	while IFS= read -r w; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("${_ghostctl_lead}${w}")
	done
	_ghostctl_cut
}

# Cut what precedes bash's current word off the new replies.
_ghostctl_cut()
{
	local i

	for ((i = _ghostctl_done; i < ${#COMPREPLY[@]}; i++)); do
		COMPREPLY[i]=${COMPREPLY[i]#"$_ghostctl_pre"}
	done
	_ghostctl_done=${#COMPREPLY[@]}
}

_ghostctl_ids()
{
	local d

	for d in "$_ghostctl_fs"/enclave_*; do
		[[ -d $d ]] && printf '%s\n' "${d##*/enclave_}"
	done
}

# The threads of enclave $1, as its tasks file lists them.
_ghostctl_tids()
{
	local f=$_ghostctl_fs/enclave_$1/tasks

	[[ $1 =~ ^[0-9]+$ && -r $f ]] && cat -- "$f"
}

_ghostctl_pids()
{
	local d

	for d in /proc/[0-9]*; do
		printf '%s\n' "${d#/proc/}"
	done
}

# A policy: a shipped name, or a .so file (a path has a '/', so files of
# the current directory are offered as ./NAME.so), or a directory on the
# way to one.
_ghostctl_policy_arg()
{
	compopt -o filenames 2>/dev/null
	if [[ $cur != */* ]]; then
		_ghostctl_add "$_ghostctl_policies"
		[[ -z $cur || $cur == . ]] &&
			_ghostctl_add_lines < <(compgen -f -X '!*.so' -- ./)
	else
		_ghostctl_add_lines < <(compgen -f -X '!*.so' -- "$cur")
	fi
	_ghostctl_add_lines < <(compgen -d -- "$cur")
}

# The value of option $1, being typed in $cur.
_ghostctl_value()
{
	local policy=$2 keys

	case $1 in
	--deliver-ticks)
		_ghostctl_add "0 1"
		;;
	--opt)
		case $policy in
		fifo_per_cpu) keys=$_ghostctl_policy_opts_fifo_per_cpu ;;
		fifo_centralized) keys=$_ghostctl_policy_opts_fifo_centralized ;;
		sol) keys=$_ghostctl_policy_opts_sol ;;
		shinjuku) keys=$_ghostctl_policy_opts_shinjuku ;;
		cfs) keys=$_ghostctl_policy_opts_cfs ;;
		edf) keys=$_ghostctl_policy_opts_edf ;;
		biff) keys=$_ghostctl_policy_opts_biff ;;
		# Another policy: those of all (readline drops duplicates).
		*) keys="$_ghostctl_policy_opts_fifo_per_cpu $_ghostctl_policy_opts_fifo_centralized $_ghostctl_policy_opts_sol $_ghostctl_policy_opts_shinjuku $_ghostctl_policy_opts_cfs $_ghostctl_policy_opts_edf $_ghostctl_policy_opts_biff" ;;
		esac
		_ghostctl_add "$keys"
		compopt -o nospace 2>/dev/null
		;;
	esac
	# --cpus, --id, --runnable-timeout, --interval and --count: nothing
	# to offer.
	return 0
}

# The options the command in words[] takes, as cli.c's check_options()
# allows them.
_ghostctl_options()
{
	local opts="--json --help"

	case ${words[0]-}:${words[1]-} in
	:) opts+=" --version" ;;
	enclave:create) opts+=" --cpus --id" ;;
	enclave:set) opts+=" --runnable-timeout --deliver-ticks" ;;
	enclave:destroy) opts+=" --all" ;;
	policy:swap) opts+=" --opt --rediscover" ;;
	status:*) opts+=" --threads" ;;
	latency:*) opts+=" --interval --count --total" ;;
	top:*) opts+=" --interval --count" ;;
	run:*) opts="--help" ;;
	help:*) opts="" ;;
	esac
	_ghostctl_add "$opts"
}

# The next word of a command line whose words so far are words[].
_ghostctl_word()
{
	local n=${#words[@]}

	case ${words[0]-} in
	"")
		_ghostctl_add "enclave task run policy status latency top version help"
		;;
	enclave)
		if ((n == 1)); then
			_ghostctl_add "create list show set destroy"
		elif ((n == 2)) && [[ ${words[1]} =~ ^(show|set|destroy)$ ]]; then
			_ghostctl_add_lines < <(_ghostctl_ids)
		fi
		;;
	task)
		if ((n == 1)); then
			_ghostctl_add "add remove list"
		elif ((n == 2)); then
			_ghostctl_add_lines < <(_ghostctl_ids)
		elif [[ ${words[1]} == add ]]; then
			_ghostctl_add_lines < <(_ghostctl_pids)
		elif [[ ${words[1]} == remove ]]; then
			_ghostctl_add_lines < <(_ghostctl_tids "${words[2]}")
		fi
		;;
	run)
		if ((n == 1)); then
			_ghostctl_add_lines < <(_ghostctl_ids)
		else
			_ghostctl_add "--"
		fi
		;;
	policy)
		if ((n == 1)); then
			_ghostctl_add "swap"
		elif ((n == 2)); then
			_ghostctl_add_lines < <(_ghostctl_ids)
		elif ((n == 3)); then
			_ghostctl_policy_arg
		fi
		;;
	status | latency | top)
		((n == 1)) && _ghostctl_add_lines < <(_ghostctl_ids)
		;;
	help)
		((n == 1)) && _ghostctl_add "enclave task run policy status latency top"
		;;
	esac
	return 0
}

_ghostctl()
{
	local cur full bword a pending="" i n ddpos=-1
	local _ghostctl_lead="" _ghostctl_pre _ghostctl_done=0
	local line=() words=()

	COMPREPLY=()
	# bash splits "--opt=x" and "0-15:2" at '=' and ':': join them again.
	for ((i = 0; i <= COMP_CWORD; i++)); do
		a=${COMP_WORDS[i]-}
		n=${#line[@]}
		if ((n > 1)) && [[ $a == [=:] || ${COMP_WORDS[i - 1]} == [=:] ]]; then
			line[n - 1]+=$a
		else
			line+=("$a")
		fi
	done
	n=${#line[@]}
	full=${line[n - 1]}
	bword=${COMP_WORDS[COMP_CWORD]-}
	_ghostctl_pre=${full%"$bword"}
	cur=$full

	# Sort the words before the cursor into commands and arguments
	# (words[]) and options, as cli.c's split_args() does.
	for ((i = 1; i < n - 1; i++)); do
		a=${line[i]}
		if ((ddpos >= 0)); then
			words+=("$a")
		elif [[ -n $pending ]]; then
			pending=""
		elif [[ $a == -- ]]; then
			ddpos=${#words[@]}
		elif [[ " $_ghostctl_value_opts " == *" $a "* ]]; then
			pending=$a
		elif [[ $a != -[!0-9]* ]]; then
			words+=("$a")
		fi
	done

	if ((ddpos >= 0)); then
		# run ID -- COMMAND [ARG]...: a command, then its arguments.
		if [[ ${words[0]-} != run ]]; then
			_ghostctl_word
		elif ((${#words[@]} == ddpos)); then
			_ghostctl_add_lines < <(compgen -c -- "$cur")
		else
			compopt -o default 2>/dev/null
		fi
	elif [[ -n $pending ]]; then
		_ghostctl_value "$pending" "${words[3]-}"
	elif [[ $cur == --*=* ]]; then
		_ghostctl_lead=${cur%%=*}=
		cur=${cur#*=}
		_ghostctl_value "${_ghostctl_lead%=}" "${words[3]-}"
	elif [[ $cur == -* && $cur != -[0-9]* ]]; then
		_ghostctl_options
	else
		_ghostctl_word
	fi
	return 0
}

complete -F _ghostctl ghostctl
