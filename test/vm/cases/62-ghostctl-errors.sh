# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: every error path of ghostctl gives a message and a
# non-zero exit.  Each check runs one ghostctl command that must fail and
# asserts its exit status, the documented one (1 refused, 2 usage error,
# 3 missing privilege, 4 module missing or another ABI, 127 run: the
# program cannot be executed), a "ghostctl: " line on stderr naming the
# cause, and nothing on stdout (with --json, at most a JSON account of
# the failure).
#
# Left out, as only a broken system provokes them: libcap, libkmod,
# fork() or memory failing; an enclave destroyed between two steps of one
# command; an agent whose reply is not "key value" lines; ghostfs not
# mountable although the module is loaded; a module that refuses
# ghostctl's ABI at create (the version file already tells).

# expect_fail STATUS PATTERN CMD...: CMD exits with STATUS and says on
# stderr, in lines starting with "ghostctl: ", something matching the
# extended regexp PATTERN; stdout stays empty.
expect_fail()
{
	local want=$1 pat=$2

	shift 2
	"$@" >fail.out 2>fail.err </dev/null
	check_fail "$want" "$pat" $? "$*"
	[ ! -s fail.out ] || fail "'$*' printed on stdout: $(head -3 fail.out)"
}

# expect_fail_json STATUS PATTERN JSON CMD...: as expect_fail, but stdout
# must match the extended regexp JSON (the failure, as JSON).
expect_fail_json()
{
	local want=$1 pat=$2 json=$3

	shift 3
	"$@" >fail.out 2>fail.err </dev/null
	check_fail "$want" "$pat" $? "$*"
	grep -Eq -- "$json" fail.out ||
		fail "'$*': stdout lacks '$json': $(cat fail.out)"
}

check_fail()
{
	local want=$1 pat=$2 rc=$3 what=$4

	[ "$rc" -eq "$want" ] ||
		fail "'$what' exited $rc, want $want: $(cat fail.err)"
	grep -q '^ghostctl: ' fail.err ||
		fail "'$what': no 'ghostctl: ' line on stderr: $(cat fail.err)"
	grep -Eq -- "$pat" fail.err ||
		fail "'$what': stderr lacks '$pat': $(cat fail.err)"
}

# ere STRING: STRING as an extended regexp that matches only itself.
ere()
{
	printf '%s\n' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# No enclave exists: a refused command left nothing behind.
expect_no_enclave()
{
	local d

	for d in "$GHOST_FS"/enclave_*; do
		[ ! -d "$d" ] || fail "${d##*/} exists after a failed command"
	done
}

# wait_listed ID TID: TID shows in "ghostctl task list ID" (a thread
# joins at its next return to user mode).
wait_listed()
{
	for _ in $(seq 1 120); do
		ghostctl task list "$1" | grep -qx "$2" && return 0
		sleep 0.5
	done
	fail "thread $2 not in enclave $1 after 60 s"
}

# Usage errors, one a line: a pattern of the message, "|", then the
# arguments as shell words.
usage_errors()
{
	cat <<'EOF'
missing command|
missing command|--json
unknown command 'frob'|frob
unknown option '--frob'|--frob
unknown option '-x'|-x enclave list
option --cpus needs a value|enclave create --cpus
option --cpus given twice|enclave create --cpus 0 --cpus 1
option --id given twice|enclave create --cpus 0 --id 1 --id=2
option --version takes no command|-V enclave list
unexpected argument 'extra' for 'version'|version extra
no help on 'frob'|help frob
option --cpus is only valid with 'enclave create'|enclave list --cpus 0
option --id is only valid with 'enclave create'|enclave show 1 --id 2
option --all is only valid with 'enclave destroy'|enclave list --all
option --runnable-timeout is only valid with 'enclave set'|enclave show 1 --runnable-timeout 5
option --deliver-ticks is only valid with 'enclave set'|task list 1 --deliver-ticks 1
option --threads is only valid with 'status'|enclave list --threads
option --rediscover is only valid with 'policy swap'|status 1 --rediscover
option --opt is only valid with 'policy swap'|status 1 --opt a=b
option --opt needs a value|policy swap 1 fifo_per_cpu --opt
option --opt takes KEY=VALUE, not 'nokey'|policy swap 1 fifo_per_cpu --opt nokey
option --opt takes KEY=VALUE, not '=v'|policy swap 1 fifo_per_cpu --opt==v
missing enclave command|enclave
unknown enclave command 'frob'|enclave frob
'enclave create' needs --cpus|enclave create
'enclave create' needs --cpus|enclave create --id 3
unexpected argument '3' for 'enclave create'|enclave create 3 --cpus 0
invalid enclave ID '0'|enclave create --cpus 0 --id 0
invalid enclave ID 'x'|enclave create --cpus 0 --id x
invalid enclave ID '2147483648'|enclave create --cpus 0 --id 2147483648
unexpected argument 'extra' for 'enclave list'|enclave list extra
missing enclave ID for 'enclave show'|enclave show
unexpected argument '2' for 'enclave show'|enclave show 1 2
invalid enclave ID '-1'|enclave show -1
invalid enclave ID ''|enclave show ''
missing enclave ID for 'enclave set'|enclave set
'enclave set' needs --runnable-timeout|enclave set 1
invalid --runnable-timeout 'x'|enclave set 1 --runnable-timeout x
invalid --runnable-timeout '-1'|enclave set 1 --runnable-timeout -1
invalid --runnable-timeout '3600001'|enclave set 1 --runnable-timeout 3600001
invalid --deliver-ticks '2'|enclave set 1 --deliver-ticks 2
'enclave destroy' needs an enclave ID or --all|enclave destroy
'enclave destroy' takes an ID or --all, not both|enclave destroy 1 --all
unexpected argument '2' for 'enclave destroy'|enclave destroy 1 2
invalid enclave ID 'x'|enclave destroy x
missing task command|task
unknown task command 'frob'|task frob 1 1
missing enclave ID for 'task add'|task add
missing enclave ID for 'task remove'|task remove
'task add' needs at least one PID or TID|task add 1
'task remove' needs at least one PID or TID|task remove 1
invalid enclave ID 'x'|task add x 1
invalid PID/TID '0'|task add 1 0
invalid PID/TID 'abc'|task add 1 1 abc
invalid PID/TID '-5'|task remove 1 -5
invalid PID/TID '2147483648'|task add 1 2147483648
missing enclave ID for 'task list'|task list
unexpected argument '2' for 'task list'|task list 1 2
missing enclave ID for 'run'|run
missing enclave ID for 'run'|run -- true
'run' needs a command after '--'|run 1
'run' needs a command after '--'|run 1 --
unexpected argument 'true' for 'run': put the command after '--'|run 1 true
invalid enclave ID 'x'|run x -- true
missing policy command: swap|policy
unknown policy command 'frob'|policy frob 1 fifo_per_cpu
'policy swap' needs an enclave ID and a policy NAME or PATH|policy swap
'policy swap' needs an enclave ID and a policy NAME or PATH|policy swap 1
unexpected argument 'b' for 'policy swap'|policy swap 1 a b
invalid enclave ID 'x'|policy swap x fifo_per_cpu
empty policy name|policy swap 1 ''
missing enclave ID for 'status'|status
missing enclave ID for 'status'|status --threads
unexpected argument '2' for 'status'|status 1 2
invalid enclave ID 'x'|status x
EOF
}

# Every usage error of every command, plain and with --json: exit 2, the
# reason on stderr, nothing changed.
test_ghostctl_rejects_bad_arguments()
{
	local pat args i many

	clean_ghost
	usage_errors >usage.txt
	while IFS='|' read -r pat args; do
		eval "set -- $args"
		expect_fail 2 "$pat" ghostctl "$@"
		expect_fail 2 "$pat" ghostctl --json "$@"
	done <usage.txt

	# Limits of one command line: 256 PIDs/TIDs, 32 --opt.
	many=$(seq 1 257)
	# shellcheck disable=SC2086 # one PID a word
	expect_fail 2 "too many PIDs/TIDs \(at most 256" ghostctl task add 1 $many
	# shellcheck disable=SC2086
	expect_fail 2 "unexpected argument '258'" \
		ghostctl task add 1 $many 258 259 260
	set --
	for i in $(seq 1 33); do
		set -- "$@" --opt "k$i=1"
	done
	expect_fail 2 "too many --opt \(at most 32" \
		ghostctl policy swap 1 fifo_per_cpu "$@"
	expect_no_enclave
}

# CPU lists: malformed ones are usage errors; CPUs that are absent or
# belong to another enclave are refused by the kernel, and the message
# names them (and their owner).
test_ghostctl_rejects_bad_cpu_lists()
{
	local l d

	clean_ghost
	for l in x 0- -1 3-1 1,,2 0-3:0 0-3:2/0 '0 1' 0x1; do
		expect_fail 2 "invalid CPU list '$l': expected CPUs and ranges" \
			ghostctl enclave create --cpus "$l"
	done
	expect_fail 2 "invalid CPU list '1024': CPU numbers must be below 1024" \
		ghostctl enclave create --cpus 1024
	expect_fail 2 "empty CPU list" ghostctl enclave create --cpus ''
	expect_fail 2 "empty CPU list" ghostctl enclave create --cpus=
	expect_no_enclave

	# The guest has far fewer CPUs than 1000.
	expect_fail 1 "cannot set CPUs 1000 of enclave 1: No such device \(CPU absent or offline\)" \
		ghostctl enclave create --cpus 1000
	expect_fail 1 "cannot set CPUs 0,1000 of enclave 5: No such device" \
		ghostctl enclave create --cpus 0,1000 --id 5
	expect_no_enclave

	# Two enclaves on one CPU: the second is refused and removed again.
	expect_ok ghostctl enclave create --cpus 0-1 --id 1 >/dev/null
	expect_fail 1 "cannot set CPUs 1-2 of enclave 2: Device or resource busy \(CPU 1 belongs to enclave 1\)" \
		ghostctl enclave create --cpus 1-2
	expect_fail 1 "cannot set CPUs 1-2 of enclave 2: .*CPU 1 belongs to enclave 1" \
		ghostctl --json enclave create --cpus 1-2
	expect_ok ghostctl enclave create --cpus 3 --id 3 >/dev/null
	expect_fail 1 "cannot set CPUs 0-3 of enclave 7: .*\(CPUs 0-1 belong to enclave 1, CPU 3 belongs to enclave 3\)" \
		ghostctl enclave create --cpus 0-3 --id 7
	for d in 2 7; do
		[ ! -d "$GHOST_FS/enclave_$d" ] || fail "refused enclave $d left behind"
	done
	[ "$(cat "$GHOST_FS/enclave_1/cpulist")" = 0-1 ] ||
		fail "enclave 1 lost CPUs: $(cat "$GHOST_FS/enclave_1/cpulist")"
}

# Enclave IDs that do not exist, for every command that takes one; an ID
# taken already; no room for another enclave.
test_ghostctl_reports_missing_enclave()
{
	local i n args

	clean_ghost
	expect_fail 1 "cannot show enclave 4242: No such file or directory \(no such enclave\)" \
		ghostctl enclave show 4242
	expect_fail 1 "cannot show enclave 4242: .*no such enclave" \
		ghostctl --json enclave show 4242
	expect_fail 1 "cannot set runnable_timeout of enclave 4242 to 0: .*no such enclave" \
		ghostctl enclave set 4242 --runnable-timeout 0
	expect_fail 1 "cannot set deliver_ticks of enclave 4242 to 1: .*no such enclave" \
		ghostctl enclave set 4242 --deliver-ticks 1
	expect_fail 1 "cannot destroy enclave 4242: .*no such enclave" \
		ghostctl enclave destroy 4242
	expect_fail_json 1 "cannot destroy enclave 4242: .*no such enclave" \
		'^\{"destroyed":\[\]\}$' ghostctl --json enclave destroy 4242
	for args in "task add 4242 $$" "task remove 4242 $$" "task list 4242" \
		    "run 4242 -- true" "status 4242" "status --threads 4242" \
		    "policy swap 4242 fifo_per_cpu"; do
		# shellcheck disable=SC2086 # one argument a word
		expect_fail 1 "enclave 4242: No such file or directory \(no such enclave\)" \
			ghostctl $args
		# shellcheck disable=SC2086
		expect_fail 1 "enclave 4242: .*no such enclave" ghostctl --json $args
	done

	expect_ok ghostctl enclave create --cpus 0 --id 7 >/dev/null
	expect_fail 1 "cannot create enclave 7: File exists \(enclave id already exists\)" \
		ghostctl enclave create --cpus 1 --id 7
	[ "$(cat "$GHOST_FS/enclave_7/cpulist")" = 0 ] ||
		fail "enclave 7 changed: $(cat "$GHOST_FS/enclave_7/cpulist")"

	# 64 enclaves (without CPUs, through ctl) fill the module.
	n=1
	for i in $(seq 100 162); do
		echo "create $i" >"$GHOST_FS/ctl" || fail "create $i failed"
		n=$((n + 1))
	done
	[ "$n" -eq 64 ] || fail "made $n enclaves, want 64"
	expect_fail 1 "cannot create an enclave: No space left on device \(too many enclaves: at most 64\)" \
		ghostctl enclave create --cpus 1
	expect_fail 1 "cannot create enclave 5: .*too many enclaves" \
		ghostctl enclave create --cpus 1 --id 5
	clean_ghost
}

# Threads that do not exist, cannot be scheduled, are in another enclave
# or not in this one.
test_ghostctl_reports_bad_threads()
{
	local sp other

	clean_ghost
	expect_ok ghostctl enclave create --cpus 0 --id 1 >/dev/null
	expect_ok ghostctl enclave create --cpus 1 --id 2 >/dev/null
	# No agent: the threads wait, and must not be taken for stuck.
	no_watchdog 1
	no_watchdog 2

	# Above any pid_max, so never a thread.
	expect_fail 1 "cannot move thread 2147483647 into enclave 1: No such process \(no such thread\)" \
		ghostctl task add 1 2147483647
	expect_fail 1 "cannot move thread 2147483647 out of enclave 1: .*no such thread" \
		ghostctl task remove 1 2147483647
	# kthreadd.
	expect_fail 1 "cannot move thread 2 into enclave 1: Invalid argument \(kernel threads and io workers" \
		ghostctl task add 1 2

	sh -c 'while :; do :; done' &
	sp=$!
	expect_ok ghostctl task add 1 "$sp" >/dev/null
	wait_listed 1 "$sp"
	expect_fail 1 "cannot move thread $sp into enclave 2: Device or resource busy \(the thread is in an enclave already\)" \
		ghostctl task add 2 "$sp"
	expect_fail 1 "cannot move thread $sp out of enclave 2: .*no such thread" \
		ghostctl task remove 2 "$sp"
	# With --json the failure is in the JSON too.
	expect_fail_json 1 "cannot move thread $sp into enclave 2: .*in an enclave already" \
		"^\{\"enclave\":2,\"done\":\[\],\"failed\":\[\{\"tid\":$sp,\"error\":\"Device or resource busy: the thread is in an enclave already\"\}\]\}$" \
		ghostctl --json task add 2 "$sp"

	# One failure among successes still fails the command.
	sleep 1000 &
	other=$!
	ghostctl --json task add 2 2147483647 "$other" >fail.out 2>fail.err
	check_fail 1 "thread 2147483647 into enclave 2: .*no such thread" $? \
		"task add 2 2147483647 $other"
	grep -q "\"done\":\[$other\],\"failed\":\[{\"tid\":2147483647," fail.out ||
		fail "task add: $(cat fail.out)"
	kill -9 "$sp" "$other"
	clean_ghost
}

# Without CAP_SYS_ADMIN nothing about enclaves changes; without
# CAP_SYS_NICE no thread of another process moves; without root, no agent
# answers.  Exit 3 each time, naming what is missing.
test_ghostctl_reports_missing_privilege()
{
	local who sp why

	clean_ghost
	expect_ok ghostctl enclave create --cpus 0 --id 1 >/dev/null
	no_watchdog 1
	sleep 1000 &
	sp=$!
	for who in as_nobody as_root_nocaps; do
		# tasks is root's 0644: nobody cannot open it, capless root may
		# open it but not enter without CAP_SYS_NICE.
		if [ "$who" = as_nobody ]; then
			why="Permission denied \(this user may not write the enclave's tasks or ctl file\)"
			jwhy="Permission denied: this user may not write the enclave's tasks or ctl file"
		else
			why="Operation not permitted \(moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE\)"
			jwhy="Operation not permitted: moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE"
		fi
		expect_fail 3 "enclave create needs CAP_SYS_ADMIN" \
			"$who" ghostctl enclave create --cpus 1
		expect_fail 3 "enclave create needs CAP_SYS_ADMIN" \
			"$who" ghostctl --json enclave create --cpus 1 --id 9
		expect_fail 3 "enclave set needs CAP_SYS_ADMIN" \
			"$who" ghostctl enclave set 1 --runnable-timeout 5
		expect_fail 3 "enclave destroy needs CAP_SYS_ADMIN" \
			"$who" ghostctl enclave destroy 1
		expect_fail 3 "enclave destroy needs CAP_SYS_ADMIN" \
			"$who" ghostctl enclave destroy --all
		expect_fail 3 "cannot move thread $sp into enclave 1: $why" \
			"$who" ghostctl task add 1 "$sp"
		expect_fail_json 3 "thread $sp into enclave 1: " \
			"\"failed\":\[\{\"tid\":$sp,\"error\":\"$jwhy\"" \
			"$who" ghostctl --json task add 1 "$sp"
		why="Operation not permitted \(moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE\)"
		expect_fail 3 "cannot move thread $sp out of enclave 1: $why" \
			"$who" ghostctl task remove 1 "$sp"
	done
	[ -d "$GHOST_FS/enclave_1" ] || fail "enclave 1 destroyed without privilege"
	[ ! -d "$GHOST_FS/enclave_2" ] || fail "enclave 2 created without privilege"
	[ "$(cat "$GHOST_FS/enclave_1/runnable_timeout")" = 0 ] ||
		fail "runnable_timeout changed without privilege"
	ghostctl task list 1 | grep -qx "$sp" && fail "thread $sp moved without privilege"

	# The control socket of the agent is root's (its directory is 0700).
	start_agent a --enclave 1 --policy fifo_per_cpu
	expect_fail 3 "cannot reach the agent of enclave 1: Permission denied \(the agent's control socket is root-only\)" \
		as_nobody ghostctl status 1
	expect_fail 3 "cannot reach the agent of enclave 1: .*root-only" \
		as_nobody ghostctl policy swap 1 fifo_centralized
	# Root without capabilities may look, not load code into the agent.
	expect_ok as_root_nocaps ghostctl status 1 >/dev/null
	expect_fail 3 "refused: swap needs CAP_SYS_ADMIN" \
		as_root_nocaps ghostctl policy swap 1 fifo_centralized
	# Entering needs CAP_SYS_NICE (tasks is not delegated here).
	expect_fail 3 "cannot enter enclave 1: Permission denied" \
		as_nobody ghostctl run 1 -- true
	expect_fail 3 "cannot enter enclave 1: Operation not permitted" \
		as_root_nocaps ghostctl run 1 -- true
	ghostctl status 1 | grep -q 'policy fifo_per_cpu' ||
		fail "the policy changed without privilege"
	stop_agent "$AGENT_PID"
	kill "$sp"
}

# status and policy swap when no agent serves the enclave: none ever
# started, one that does not answer, one killed with -9 (its socket is
# left behind).
test_ghostctl_reports_absent_agent()
{
	local param=/sys/module/ghost/parameters/agent_grace_ms grace args

	clean_ghost
	expect_ok ghostctl enclave create --cpus 0-1 --id 1 >/dev/null
	for args in "status 1" "status --threads 1" "--json status 1" \
		    "policy swap 1 fifo_centralized"; do
		# shellcheck disable=SC2086 # one argument a word
		expect_fail 1 "cannot reach the agent of enclave 1: No such file or directory \(no agent serves this enclave: start one with ghost-agent\)" \
			ghostctl $args
	done

	start_agent a --enclave 1 --policy fifo_per_cpu
	kill -STOP "$AGENT_PID"
	expect_fail 1 "cannot reach the agent of enclave 1: Connection timed out \(the agent did not answer in time\)" \
		ghostctl status 1
	kill -CONT "$AGENT_PID"
	expect_ok ghostctl status 1 >/dev/null

	# The enclave must outlive the dead agent while we look.
	grace=$(cat "$param")
	# shellcheck disable=SC2064 # the value now
	trap "echo $grace >$param" EXIT
	echo 600000 >"$param"
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	[ -S "/run/ghost/agent-1.sock" ] || fail "no stale socket to test with"
	for args in "status 1" "policy swap 1 fifo_centralized"; do
		# shellcheck disable=SC2086
		expect_fail 1 "cannot reach the agent of enclave 1: Connection refused \(no agent serves this enclave: its control socket is stale\)" \
			ghostctl $args
	done
	echo destroy >"$GHOST_FS/enclave_1/ctl"
	# Gone with its enclave: the stale socket is no agent's.
	expect_fail 1 "enclave 1: No such file or directory \(no such enclave\)" \
		ghostctl status 1
}

# Policies the agent cannot load or start: it refuses, says why, and the
# old policy goes on.
test_ghostctl_reports_refused_policy()
{
	local long

	clean_ghost
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	expect_fail 1 "the agent of enclave 1 refused: no policy named no_such_policy" \
		ghostctl policy swap 1 no_such_policy
	expect_fail 1 "the agent of enclave 1 refused: no policy named no_such_policy" \
		ghostctl --json policy swap 1 no_such_policy
	# Resolved here (the agent has another working directory): no hint
	# about enclaves for a file that is not there.
	expect_fail 1 "^ghostctl: cannot read policy \./nope\.so: No such file or directory$" \
		ghostctl policy swap 1 ./nope.so
	echo "not a shared object" >bad.so
	expect_fail 1 "the agent of enclave 1 refused: cannot load policy $(ere "$PWD/bad.so")" \
		ghostctl policy swap 1 ./bad.so
	expect_fail 1 "refused: policy fifo_centralized refused to start" \
		ghostctl policy swap 1 fifo_centralized --opt nope=1
	expect_fail 1 "refused: policy fifo_centralized refused to start" \
		ghostctl policy swap 1 fifo_centralized --opt slice_us=x
	long=$(printf '%9000s' '' | tr ' ' x)
	expect_fail 1 "cannot swap to fifo_centralized: its name and options exceed 8192 bytes: Argument list too long" \
		ghostctl policy swap 1 fifo_centralized --opt "k=$long"
	ghostctl status 1 | grep -q 'policy fifo_per_cpu' ||
		fail "the old policy did not stay: $(ghostctl status 1)"
	stop_agent "$AGENT_PID"
}

# run with a program that cannot be executed: exit 127 at once, before
# its thread enters the enclave, with an agent or without one.  And a
# thread that the enclave refuses.
test_ghostctl_run_reports_unrunnable_program()
{
	local ghostctl

	clean_ghost
	ghostctl=$(command -v ghostctl)
	start_agent a --cpus 0-1 --policy fifo_per_cpu
	no_watchdog 1
	expect_fail 127 "cannot execute no-such-program: No such file or directory" \
		ghostctl run 1 -- no-such-program
	expect_fail 127 "cannot execute ./nope: No such file or directory" \
		ghostctl run 1 -- ./nope
	echo 'echo ran' >plain.sh
	chmod 644 plain.sh
	expect_fail 127 "cannot execute ./plain.sh: Permission denied" \
		ghostctl run 1 -- ./plain.sh
	expect_fail 127 "cannot execute /tmp: Permission denied" \
		ghostctl run 1 -- /tmp
	expect_fail 127 "cannot execute sleep: No such file or directory" \
		env PATH=/nonexistent "$ghostctl" run 1 -- sleep 1
	[ -z "$(ghostctl task list 1)" ] ||
		fail "threads entered: $(ghostctl task list 1)"

	# A ghost thread cannot enter a second enclave.
	expect_ok ghostctl enclave create --cpus 2 --id 2 >/dev/null
	expect_fail 1 "cannot enter enclave 2: Device or resource busy \(the thread is in an enclave already\)" \
		ghostctl run 1 -- ghostctl run 2 -- true
	stop_agent "$AGENT_PID"

	# No agent: still at once, not once an agent (or the watchdog) came.
	expect_ok ghostctl enclave create --cpus 0-1 --id 1 >/dev/null
	no_watchdog 1
	expect_fail 127 "cannot execute no-such-program: No such file or directory" \
		timeout 60 ghostctl run 1 -- no-such-program
	grep -q 'no agent serves' fail.err &&
		fail "warned about the agent first: $(cat fail.err)"
	[ -z "$(ghostctl task list 1)" ] ||
		fail "threads entered: $(ghostctl task list 1)"
	clean_ghost
}

# The module is not loaded: ghostctl loads it (root), or says why not
# (no privilege, blacklisted, not installed); loaded but ghostfs not
# mounted: it mounts it, or says that mounting needs CAP_SYS_ADMIN.
test_ghostctl_reports_module_problems()
{
	local conf=/etc/modprobe.d/ghost-test-blacklist.conf who kv

	kv=$(uname -r)

	clean_ghost
	ghost_unload
	# shellcheck disable=SC2064 # the values now
	trap "rm -f $conf; umount /lib/modules/$kv 2>/dev/null" EXIT

	for who in as_nobody as_root_nocaps; do
		# tasks is root's 0644: nobody cannot open it, capless root may
		# open it but not enter without CAP_SYS_NICE.
		if [ "$who" = as_nobody ]; then
			why="Permission denied \(this user may not write the enclave's tasks or ctl file\)"
			jwhy="Permission denied: this user may not write the enclave's tasks or ctl file"
		else
			why="Operation not permitted \(moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE\)"
			jwhy="Operation not permitted: moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE"
		fi
		expect_fail 3 "cannot load module ghost: Operation not permitted \(loading a module needs root, or CAP_SYS_MODULE\)" \
			"$who" ghostctl enclave list
		expect_fail 3 "cannot load module ghost: .*CAP_SYS_MODULE" \
			"$who" ghostctl task list 1
	done
	! module_loaded || fail "loaded without privilege"

	mkdir -p /etc/modprobe.d
	echo "blacklist ghost" >"$conf"
	expect_fail 4 "module ghost is blacklisted \(see /etc/modprobe.d\)" \
		ghostctl enclave list
	expect_fail 4 "module ghost is blacklisted" \
		ghostctl --json enclave create --cpus 0
	rm "$conf"

	# No modules for this kernel at all.
	mount -t tmpfs tmpfs "/lib/modules/$kv" || fail "cannot hide the modules"
	expect_fail 4 "module ghost not found for kernel $(ere "$kv"); install it with: dkms install ghost/" \
		ghostctl enclave show 1
	umount "/lib/modules/$kv"
	! module_loaded || fail "ghost loaded from nowhere"

	expect_ok ghostctl enclave list >/dev/null
	module_loaded || fail "ghostctl enclave list did not load ghost"
	ghostfs_mounted || fail "ghostctl enclave list did not mount ghostfs"

	expect_ok umount "$GHOST_FS"
	for who in as_nobody as_root_nocaps; do
		# tasks is root's 0644: nobody cannot open it, capless root may
		# open it but not enter without CAP_SYS_NICE.
		if [ "$who" = as_nobody ]; then
			why="Permission denied \(this user may not write the enclave's tasks or ctl file\)"
			jwhy="Permission denied: this user may not write the enclave's tasks or ctl file"
		else
			why="Operation not permitted \(moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE\)"
			jwhy="Operation not permitted: moving a thread in needs CAP_SYS_NICE or a delegated tasks file, another process's thread CAP_SYS_NICE"
		fi
		expect_fail 3 "cannot mount ghostfs on $GHOST_FS: Operation not permitted \(mounting needs CAP_SYS_ADMIN: run as root\)" \
			"$who" ghostctl enclave list
	done
	ghostfs_mounted && fail "mounted without privilege"
	expect_ok ghostctl enclave list >/dev/null
	ghostfs_mounted || fail "ghostctl enclave list did not mount ghostfs"
}

# A module that speaks another ABI than ghostctl: exit 4 before anything
# is done.  A bind mount over the version file stands in for it.
test_ghostctl_reports_abi_mismatch()
{
	local args

	clean_ghost
	echo 99 >version
	# shellcheck disable=SC2064 # the value now
	trap "umount $GHOST_FS/version 2>/dev/null" EXIT
	mount -o bind "$PWD/version" "$GHOST_FS/version" ||
		fail "cannot bind-mount over $GHOST_FS/version"
	for args in "enclave list" "enclave create --cpus 0" "enclave show 1" \
		    "task list 1" "run 1 -- true" "--json enclave list"; do
		# shellcheck disable=SC2086 # one argument a word
		expect_fail 4 "ghost ABI mismatch: this ghostctl speaks ABI [0-9]+, the loaded module speaks 99" \
			ghostctl $args
	done
	expect_no_enclave
	umount "$GHOST_FS/version"
	expect_ok ghostctl enclave list >/dev/null
}
