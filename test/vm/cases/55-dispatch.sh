# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: the dispatch fast path.  A CPU's list of next threads runs
# without an agent round trip when the CPU's thread blocks or yields,
# in order, stale entries skipped, each on its entry's CPU only, with
# the audit on throughout.  Each test runs the test of the same name in
# test/agent/t_dispatch.

test_dispatch_list_runs_in_order_without_agent()
{
	agent_test t_dispatch list_runs_in_order_without_agent
}

test_dispatch_stale_entries_are_skipped()
{
	agent_test t_dispatch stale_entries_are_skipped
}

test_dispatch_entry_runs_only_on_its_cpu()
{
	agent_test t_dispatch entry_runs_only_on_its_cpu
}

test_dispatch_affine_runs_own_thread_first()
{
	agent_test t_dispatch affine_runs_own_thread_first
}

test_dispatch_affine_keeps_order_for_unplaced()
{
	agent_test t_dispatch affine_keeps_order_for_unplaced
}

test_dispatch_entry_parked_on_a_taken_cpu_runs()
{
	agent_test t_dispatch entry_parked_on_a_taken_cpu_runs
}

test_dispatch_entry_woken_on_a_taken_cpu_runs()
{
	agent_test t_dispatch entry_woken_on_a_taken_cpu_runs
}

test_dispatch_yield_hands_cpu_to_next_entry()
{
	agent_test t_dispatch yield_hands_cpu_to_next_entry
}

test_dispatch_run_on_wake_without_commit()
{
	agent_test t_dispatch run_on_wake_without_commit
}

test_dispatch_kick_runs_list_of_idle_cpu()
{
	agent_test t_dispatch kick_runs_list_of_idle_cpu
}

test_dispatch_malformed_list_is_dropped()
{
	agent_test t_dispatch malformed_list_is_dropped
}

test_dispatch_discover_drops_lists()
{
	agent_test t_dispatch discover_drops_lists
}

test_dispatch_quiet_list_wakes_no_agent()
{
	agent_test t_dispatch quiet_list_wakes_no_agent
}

test_dispatch_seq_only_wait_sleeps_through_quiet_messages()
{
	agent_test t_dispatch seq_only_wait_sleeps_through_quiet_messages
}

test_dispatch_idle_wake_wakes_agent_at_idle()
{
	agent_test t_dispatch idle_wake_wakes_agent_at_idle
}

test_dispatch_deferred_wakeup_wakes_no_agent()
{
	agent_test t_dispatch deferred_wakeup_wakes_no_agent
}

test_dispatch_deferred_wakeup_kicks_agent_at_idle()
{
	agent_test t_dispatch deferred_wakeup_kicks_agent_at_idle
}

test_dispatch_deferred_busy_waits_only_while_every_cpu_runs()
{
	agent_test t_dispatch deferred_busy_waits_only_while_every_cpu_runs
}

test_dispatch_run_woken_runs_wakeups_in_order()
{
	agent_test t_dispatch run_woken_runs_wakeups_in_order
}

test_dispatch_run_new_runs_thread_entering_free_cpu()
{
	agent_test t_dispatch run_new_runs_thread_entering_free_cpu
}

test_dispatch_join_runs_waiter_after_exiting_thread()
{
	agent_test t_dispatch join_runs_waiter_after_exiting_thread
}

test_dispatch_commit_wait_commits_then_waits()
{
	agent_test t_dispatch commit_wait_commits_then_waits
}

test_dispatch_agent_exit_drops_lists_and_loses_no_thread()
{
	agent_test t_dispatch agent_exit_drops_lists_and_loses_no_thread
}
