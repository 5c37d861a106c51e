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
