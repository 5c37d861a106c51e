# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: thread lifecycle.  Fork, exit in every state, kill -9 and
# SIGSTOP/SIGCONT, and leaving with the original (or user-set) policy,
# nice and affinity.
# Each test runs the test of the same name in a program of test/agent/
# (`PROGRAM --list` lists them).

test_forked_child_enters_with_parent_gtid()
{
	agent_test t_fork_exit forked_child_enters_with_parent_gtid
}

test_child_killed_when_its_enrolment_fails()
{
	agent_test t_fork_exit child_killed_when_its_enrolment_fails
}

test_reset_on_fork_child_stays_out()
{
	agent_test t_fork_exit reset_on_fork_child_stays_out
}

test_thread_exit_while_parked()
{
	agent_test t_fork_exit thread_exit_while_parked
}

test_thread_exit_while_running()
{
	agent_test t_fork_exit thread_exit_while_running
}

test_thread_exit_while_being_committed()
{
	agent_test t_fork_exit thread_exit_while_being_committed
}

test_process_exit_with_100_threads()
{
	agent_test t_fork_exit process_exit_with_100_threads
}

test_sigkill_parked_thread()
{
	agent_test t_signals sigkill_parked_thread
}

test_sigkill_running_thread()
{
	agent_test t_signals sigkill_running_thread
}

test_sigkill_blocked_thread()
{
	agent_test t_signals sigkill_blocked_thread
}

test_sigstop_sigcont_running_thread()
{
	agent_test t_signals sigstop_sigcont_running_thread
}

test_sigstop_sigcont_parked_thread()
{
	agent_test t_signals sigstop_sigcont_parked_thread
}

test_signal_handler_waits_for_commit()
{
	agent_test t_signals signal_handler_waits_for_commit
}

test_signal_handler_runs_on_committed_cpu()
{
	agent_test t_signals signal_handler_runs_on_committed_cpu
}

test_leave_restores_affinity_and_policy()
{
	agent_test t_leave leave_restores_affinity_and_policy
}

test_leave_restores_fifo_policy()
{
	agent_test t_leave leave_restores_fifo_policy
}

test_leave_restores_nice()
{
	agent_test t_leave leave_restores_nice
}

test_leave_restores_reset_on_fork()
{
	agent_test t_leave leave_restores_reset_on_fork
}

test_leave_of_parked_thread_runs_it_under_cfs()
{
	agent_test t_leave leave_of_parked_thread_runs_it_under_cfs
}

test_user_setaffinity_on_ghost_thread_kept_after_leave()
{
	agent_test t_leave user_setaffinity_on_ghost_thread_kept_after_leave
}

test_user_setpriority_on_ghost_thread_kept_after_leave()
{
	agent_test t_leave user_setpriority_on_ghost_thread_kept_after_leave
}

test_leave_errors()
{
	agent_test t_leave leave_errors
}

test_unprivileged_thread_leaves_by_itself()
{
	agent_test t_leave unprivileged_thread_leaves_by_itself
}
