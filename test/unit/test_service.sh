#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the systemd unit ghost-agent@.service and of its launcher
# ghost-agent-service (systemd/): the unit passes systemd-analyze verify
# without a word, restarts a failed agent within the module's default
# agent_grace_ms, loads the module and reloads by hot swap; the launcher
# turns a good /etc/ghost/NAME.conf (the shipped example too) into the
# right ghost-agent, ghostctl policy swap and enclave destroy command
# lines, and refuses each kind of bad conf with a clear message and exit
# status 2.  Reports as Check does (shtest.sh).
# Usage: test/unit/test_service.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_service.sh service

unit_in=systemd/ghost-agent@.service.in
launcher_in=systemd/ghost-agent-service.in
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The launcher as make install writes it, in a libexec directory, and the
# unit pointing at it; conf directory, binaries and ghostfs of test files.
mkdir -p "$tmp/libexec/ghost" "$tmp/etc" "$tmp/bin" "$tmp/fs" \
	"$tmp/man/man7" "$tmp/man/man8" "$tmp/units"
subst=(-e "s|@BINDIR@|$tmp/bin|g" -e "s|@LIBEXECDIR@|$tmp/libexec|g"
       -e "s|@SYSCONFDIR@|$tmp/etc|g")
launcher=$tmp/libexec/ghost/ghost-agent-service
sed "${subst[@]}" "$launcher_in" >"$launcher"
chmod 0755 "$launcher"
unit=$tmp/units/ghost-agent@.service
sed "${subst[@]}" "$unit_in" >"$unit"
cp doc/man/ghost-agent.8 "$tmp/man/man8/"
cp doc/man/ghost.7 "$tmp/man/man7/"
export GHOST_CONF_DIR=$tmp/etc GHOST_BINDIR=$tmp/bin GHOST_FS=$tmp/fs
touch "$tmp/my_policy.so"

# The value of KEY in the [Service] section of the unit.
unit_value()
{
	sed -n "/^\[Service\]/,/^\[/s/^$1=//p" "$unit"
}

# conf NAME LINE...: write $GHOST_CONF_DIR/NAME.conf.
conf()
{
	local name=$1

	shift
	printf '%s\n' "$@" >"$tmp/etc/$name.conf"
}

# expect_cmd WANT ARG...: the launcher run with --dry-run ARG... prints
# the words of WANT (space-separated), one a line, and succeeds.
expect_cmd()
{
	local want=$1 got rc=0

	shift
	got=$("$launcher" --dry-run "$@" 2>&1) || rc=$?
	want=$(tr ' ' '\n' <<<"$want" | sed '/^$/d')
	if [[ $rc -ne 0 || $got != "$want" ]]; then
		echo "'$*': exit $rc, got [${got//$'\n'/ }], want [${want//$'\n'/ }]"
		return 1
	fi
}

# expect_error MESSAGE LINE...: a conf of these lines for instance 7 is
# refused by check, start and reload with exit status 2 and a message
# containing MESSAGE.
expect_error()
{
	local msg=$1 cmd out rc

	shift
	conf 7 "$@"
	for cmd in check start reload; do
		rc=0
		out=$("$launcher" --dry-run "$cmd" 7 2>&1) || rc=$?
		if [[ $rc -ne 2 || $out != *"$msg"* ]]; then
			echo "$cmd with conf [$*]: exit $rc, said [$out], want exit 2 and [$msg]"
			return 1
		fi
	done
}

test_verify()
{
	local out rc=0

	command -v systemd-analyze >/dev/null ||
		{ echo "no systemd-analyze (apt-get install systemd)"; return 1; }
	# An instance of the template, as systemd would load it.
	cp "$unit" "$tmp/units/ghost-agent@1.service"
	out=$(MANPATH=$tmp/man systemd-analyze verify \
		"$tmp/units/ghost-agent@1.service" 2>&1) || rc=$?
	if [[ $rc -ne 0 || -n $out ]]; then
		echo "systemd-analyze verify: exit $rc: $out"
		return 1
	fi
}

# A restarted agent must find the enclave's threads still there.
test_restart_within_grace()
{
	local grace sec ms

	grace=$(sed -n 's/^unsigned int ghost_agent_grace_ms = \([0-9]*\);/\1/p' \
		module/watchdog.c)
	[[ -n $grace ]] || { echo "no agent_grace_ms default in module/watchdog.c"; return 1; }
	[[ $(unit_value Restart) == on-failure ]] ||
		{ echo "Restart is '$(unit_value Restart)', not on-failure"; return 1; }
	sec=$(unit_value RestartSec)
	case $sec in
	*ms) ms=${sec%ms} ;;
	*s) ms=$((${sec%s} * 1000)) ;;
	*) ms=$((sec * 1000)) ;;
	esac
	# Leave the agent time to start: at most half the grace period.
	((ms > 0 && ms * 2 <= grace)) ||
		{ echo "RestartSec=$sec is not within half of agent_grace_ms=$grace"; return 1; }
}

test_unit_commands()
{
	[[ $(unit_value ExecStartPre) == "/sbin/modprobe ghost" ]] ||
		{ echo "ExecStartPre: $(unit_value ExecStartPre)"; return 1; }
	[[ $(unit_value ExecStart) == "$launcher start %i" ]] ||
		{ echo "ExecStart: $(unit_value ExecStart)"; return 1; }
	[[ $(unit_value ExecReload) == "$launcher reload %i" ]] ||
		{ echo "ExecReload: $(unit_value ExecReload)"; return 1; }
	[[ $(unit_value ExecStopPost) == "$launcher stop-post %i" ]] ||
		{ echo "ExecStopPost: $(unit_value ExecStopPost)"; return 1; }
	[[ $(unit_value StandardOutput) == journal ]] ||
		{ echo "StandardOutput: $(unit_value StandardOutput)"; return 1; }
	# A bad conf exits 2: no restart loop.
	[[ " $(unit_value RestartPreventExitStatus) " == *" 2 "* ]] ||
		{ echo "RestartPreventExitStatus: $(unit_value RestartPreventExitStatus)"; return 1; }
}

test_start()
{
	conf 3 "CPUS=2-3" "POLICY=fifo_per_cpu" &&
		expect_cmd "$tmp/bin/ghost-agent --enclave 3 --cpus 2-3 --policy fifo_per_cpu" \
			start 3 || return 1
	conf web "# the web servers" "" "  CPUS = 1,4-7  " "POLICY=$tmp/my_policy.so" \
		"ENCLAVE=12" "OPTIONS=slice_us=500  max_tasks=64" "GLOBAL_CPU=5" \
		"IDLE_SLEEP_US=0200" &&
		expect_cmd "$tmp/bin/ghost-agent --enclave 12 --cpus 1,4-7 --policy $tmp/my_policy.so --global-cpu 5 --idle-sleep 200 --opt slice_us=500 --opt max_tasks=64" \
			start web
}

test_reload()
{
	conf web "CPUS=4-7" "POLICY=fifo_centralized" "ENCLAVE=12" \
		"OPTIONS=slice_us=500" "GLOBAL_CPU=4" &&
		expect_cmd "$tmp/bin/ghostctl policy swap 12 fifo_centralized --opt slice_us=500" \
			reload web
}

test_stop_post()
{
	conf 5 "CPUS=1" "POLICY=fifo_per_cpu"
	rm -rf "$tmp/fs/enclave_5"
	SERVICE_RESULT=success expect_cmd "" stop-post 5 || return 1
	mkdir "$tmp/fs/enclave_5"
	SERVICE_RESULT=success expect_cmd "$tmp/bin/ghostctl enclave destroy 5" \
		stop-post 5 || return 1
	# After a crash the restarted agent takes the enclave over.
	SERVICE_RESULT=exit-code expect_cmd "" stop-post 5 &&
		expect_cmd "" stop-post 5
}

# Without --dry-run the launcher execs the command.
test_exec()
{
	local out

	printf '#!/bin/sh\necho "ghost-agent $*"\nexit 7\n' >"$tmp/bin/ghost-agent"
	chmod 0755 "$tmp/bin/ghost-agent"
	conf 4 "CPUS=0-1" "POLICY=fifo_per_cpu" "OPTIONS=max_tasks=8"
	out=$("$launcher" start 4 2>&1)
	[[ $? -eq 7 && $out == "ghost-agent --enclave 4 --cpus 0-1 --policy fifo_per_cpu --opt max_tasks=8" ]] ||
		{ echo "start ran [$out]"; return 1; }
}

# The shipped example is a good conf, as an instance with an ID.
test_example()
{
	local want

	cp systemd/example.conf "$tmp/etc/1.conf"
	want=$(sed -n 's/^\(CPUS\|POLICY\)=//p' systemd/example.conf | tr '\n' ' ')
	read -r cpus policy <<<"$want"
	[[ -n $cpus && -n $policy ]] || { echo "example.conf sets no CPUS or POLICY"; return 1; }
	expect_cmd "$tmp/bin/ghost-agent --enclave 1 --cpus $cpus --policy $policy" \
		start 1
}

test_bad_confs()
{
	local p="POLICY=fifo_per_cpu" c="CPUS=2-3"

	rm -f "$tmp/etc/7.conf"
	out=$("$launcher" check 7 2>&1)
	[[ $? -eq 2 && $out == *"no $tmp/etc/7.conf"* ]] ||
		{ echo "missing conf: [$out]"; return 1; }
	expect_error "CPUS is missing" "$p" &&
		expect_error "POLICY is missing" "$c" &&
		expect_error "unknown key 'CPU'" "CPU=2" "$p" &&
		expect_error "unknown key 'cpus'" "cpus=2" "$c" "$p" &&
		expect_error "7.conf:2: not KEY=VALUE: 'fifo_per_cpu'" "$c" "fifo_per_cpu" &&
		expect_error "CPUS is given twice" "$c" "$p" "CPUS=4" &&
		expect_error "written without quotes" "CPUS=\"2-3\"" "$p" &&
		expect_error "POLICY is empty" "$c" "POLICY=" &&
		expect_error "'2-' is not a CPU list" "CPUS=2-" "$p" &&
		expect_error "'two' is not a CPU list" "CPUS=two" "$p" &&
		expect_error "range '3-2' runs backwards" "CPUS=3-2" "$p" &&
		expect_error "CPU 4096 is above 1023" "CPUS=0-4096" "$p" &&
		expect_error "a path must be absolute" "$c" "POLICY=./my_policy.so" &&
		expect_error "no file /nonexistent/x.so" "$c" "POLICY=/nonexistent/x.so" &&
		expect_error "without .so" "$c" "POLICY=fifo_per_cpu.so" &&
		expect_error "neither a policy name" "$c" "POLICY=fifo per cpu" &&
		expect_error "'0' is not an enclave ID" "$c" "$p" "ENCLAVE=0" &&
		expect_error "'2147483648' is not an enclave ID" "$c" "$p" "ENCLAVE=2147483648" &&
		expect_error "ENCLAVE=8, but the instance is enclave 7" "$c" "$p" "ENCLAVE=8" &&
		expect_error "'slice_us' is not KEY=VALUE" "$c" "$p" "OPTIONS=slice_us" &&
		expect_error "'=5' is not KEY=VALUE" "$c" "$p" "OPTIONS=a=1 =5" &&
		expect_error "CPU 5 is not in CPUS=2-3" "$c" "$p" "GLOBAL_CPU=5" &&
		expect_error "'x' is not a CPU number" "$c" "$p" "GLOBAL_CPU=x" &&
		expect_error "'1000001' is not 0 to 1000000" "$c" "$p" "IDLE_SLEEP_US=1000001" &&
		expect_error "'-1' is not 0 to 1000000" "$c" "$p" "IDLE_SLEEP_US=-1" || return 1
	conf web "$c" "$p"
	out=$("$launcher" check web 2>&1)
	[[ $? -eq 2 && $out == *"ENCLAVE is missing: the instance 'web' is not an enclave ID"* ]] ||
		{ echo "named instance without ENCLAVE: [$out]"; return 1; }
}

test_bad_usage()
{
	local args out

	for args in "" "start" "start 1 2" "restart 1" "--dry-run" "start ../1" \
		"start .hidden" "start a/b"; do
		# shellcheck disable=SC2086 # the words of args
		out=$("$launcher" $args 2>&1)
		[[ $? -eq 2 && ( $out == *usage:* || $out == *"bad instance name"* ) ]] ||
			{ echo "'$args': [$out]"; return 1; }
	done
}

test_shellcheck()
{
	command -v shellcheck >/dev/null ||
		{ echo "no shellcheck (apt-get install shellcheck)"; return 1; }
	shellcheck "$launcher_in"
}

st_run verify test_verify
st_run restart_within_grace test_restart_within_grace
st_run unit_commands test_unit_commands
st_run start test_start
st_run reload test_reload
st_run stop_post test_stop_post
st_run exec test_exec
st_run example test_example
st_run bad_confs test_bad_confs
st_run bad_usage test_bad_usage
st_run shellcheck test_shellcheck
st_report
