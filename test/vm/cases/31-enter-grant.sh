# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: entering an enclave is a grant.  By default only
# CAP_SYS_NICE may write tasks; an administrator delegates an enclave by
# chown/chmod of its tasks file, which then lets its owner move threads of
# their own processes in, and nothing more.  Each test runs the test of
# the same name in test/agent/t_enter_grant.

test_entering_needs_cap_sys_nice_by_default()
{
	agent_test t_enter_grant entering_needs_cap_sys_nice_by_default
}

test_delegated_tasks_file_lets_its_owner_enter()
{
	agent_test t_enter_grant delegated_tasks_file_lets_its_owner_enter
}

test_world_writable_tasks_is_still_only_ones_own()
{
	agent_test t_enter_grant world_writable_tasks_is_still_only_ones_own
}

test_second_enter_of_pending_thread_is_ebusy()
{
	agent_test t_enter_grant second_enter_of_pending_thread_is_ebusy
}

test_thread_records_are_charged_to_the_writer()
{
	agent_test t_enter_grant thread_records_are_charged_to_the_writer
}

# No user but root may have more than max_threads_per_user threads in an
# enclave: another write of one of its tids (by anyone) is EUSERS until
# one of them is gone.
test_threads_per_user_are_limited()
{
	local g=$GHOST_FS/enclave_1 pids="" p n=0

	clean_ghost
	echo create 1 >"$GHOST_FS/ctl" || fail "create"
	echo 1-3 >"$g/cpulist" || fail "cpulist"
	echo 3 >/sys/module/ghost/parameters/max_threads_per_user ||
		fail "cannot set max_threads_per_user"
	for _ in 1 2 3 4 5; do
		# shellcheck disable=SC2086 # one option a word
		/usr/bin/setpriv $GHOST_NOBODY $GHOST_NOCAPS -- sleep 1000 &
		pids="$pids $!"
	done
	sleep 0.5
	for p in $pids; do
		n=$((n + 1))
		# Whoever asks: the threads are nobody's.
		if [ "$n" -le 3 ]; then
			expect_errno OK "$g/tasks" "$p"
		else
			expect_errno EUSERS "$g/tasks" "$p"
		fi
	done
	# Root is not limited.
	sleep 1000 &
	expect_errno OK "$g/tasks" "$!"
	root_pid=$!
	# One of nobody's threads goes: another may come in.
	# shellcheck disable=SC2086 # one pid a word
	set -- $pids
	kill "$1"
	wait "$1" 2>/dev/null
	got=EUSERS
	for _ in $(seq 1 50); do
		got=$(gwrite -- "$g/tasks" "$4" 2>/dev/null)
		[ "$got" = EUSERS ] || break
		sleep 0.1
	done
	[ "$got" = OK ] ||
		fail "thread $4 not let in after another of its user left: $got"
	echo 4096 >/sys/module/ghost/parameters/max_threads_per_user
	echo destroy >"$g/ctl"
	# shellcheck disable=SC2086 # one pid a word
	kill $pids "$root_pid" 2>/dev/null || true
}
