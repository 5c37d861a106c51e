# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: delegation.  A ghost thread runs user code only where and
# when an agent committed it; commits preempt remote spinners; every final
# state of a transaction comes from its situation.
# Each test runs the test of the same name in a program of test/agent/
# (`PROGRAM --list` lists them).

test_uncommitted_thread_makes_no_progress()
{
	agent_test t_park uncommitted_thread_makes_no_progress
}

test_committed_thread_runs_only_on_its_cpu()
{
	agent_test t_park committed_thread_runs_only_on_its_cpu
}

test_audit_finds_user_code_only_under_commit()
{
	agent_test t_park audit_finds_user_code_only_under_commit
}

test_enter_write_returns_only_after_commit()
{
	agent_test t_park enter_write_returns_only_after_commit
}

test_other_process_thread_parks_at_return_to_user()
{
	agent_test t_park other_process_thread_parks_at_return_to_user
}

test_tasks_and_status_follow_threads()
{
	agent_test t_park tasks_and_status_follow_threads
}

test_tasks_write_errors()
{
	agent_test t_park tasks_write_errors
}

test_commit_of_other_thread_preempts_remote_spinner()
{
	agent_test t_preempt commit_of_other_thread_preempts_remote_spinner
}

test_idle_commit_stops_remote_spinner()
{
	agent_test t_preempt idle_commit_stops_remote_spinner
}

test_preempted_thread_recommitted_elsewhere()
{
	agent_test t_preempt preempted_thread_recommitted_elsewhere
}

test_agent_cpu_thread_runs_only_while_agent_sleeps()
{
	agent_test t_preempt agent_cpu_thread_runs_only_while_agent_sleeps
}

test_cpu_offline_takes_cpu_from_its_thread()
{
	agent_test t_preempt cpu_offline_takes_cpu_from_its_thread
}

# With one instance per probe, concurrent sched_setaffinity() calls make
# the probes miss: the module must still catch each move.
test_missed_affinity_probe_preempts()
{
	ghost_unload
	expect_ok modprobe ghost probe_instances=1
	agent_test t_preempt missed_affinity_probe_preempts
	local rc=$?
	# Back to the default for the tests after this one.
	clean_ghost
	ghost_unload
	return $rc
}

test_cpuset_is_honoured()
{
	agent_test t_txn_status cpuset_is_honoured
}

test_commit_complete()
{
	agent_test t_txn_status commit_complete
}

test_stale_barrier_rejected()
{
	agent_test t_txn_status stale_barrier_rejected
}

test_unknown_gtid_not_found()
{
	agent_test t_txn_status unknown_gtid_not_found
}

test_blocked_thread_not_runnable()
{
	agent_test t_txn_status blocked_thread_not_runnable
}

test_dead_thread_not_found()
{
	agent_test t_txn_status dead_thread_not_found
}

test_running_thread_oncpu()
{
	agent_test t_txn_status running_thread_oncpu
}

test_offline_cpu_unavail()
{
	agent_test t_txn_status offline_cpu_unavail
}

test_cpu_outside_enclave_invalid_cpu()
{
	agent_test t_txn_status cpu_outside_enclave_invalid_cpu
}

test_agent_gtid_invalid_target()
{
	agent_test t_txn_status agent_gtid_invalid_target
}

test_nonzero_flags_invalid_flags()
{
	agent_test t_txn_status nonzero_flags_invalid_flags
}

test_commit_without_agent_no_agent()
{
	agent_test t_txn_status commit_without_agent_no_agent
}

test_group_commit_all_enclave_cpus()
{
	agent_test t_txn_status group_commit_all_enclave_cpus
}

test_slots_not_ready_left_alone()
{
	agent_test t_txn_status slots_not_ready_left_alone
}

test_commit_on_destroyed_enclave_enodev()
{
	agent_test t_txn_status commit_on_destroyed_enclave_enodev
}

test_refused_setaffinity_does_not_preempt()
{
	agent_test t_preempt refused_setaffinity_does_not_preempt
}
