# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: messages.  Every type comes from the event that produces
# it, with seqnum equal to the status word barrier; queues, status words
# and GHOST_IOC_AGENT_WAIT behave as the uapi header says.
# Each test runs the test of the same name in a program of test/agent/
# (`PROGRAM --list` lists them).

test_task_new_on_enter()
{
	agent_test t_messages task_new_on_enter
}

test_task_blocked_and_wakeup_on_pipe()
{
	agent_test t_messages task_blocked_and_wakeup_on_pipe
}

test_task_blocked_and_wakeup_on_futex()
{
	agent_test t_messages task_blocked_and_wakeup_on_futex
}

test_task_blocked_and_wakeup_on_nanosleep()
{
	agent_test t_messages task_blocked_and_wakeup_on_nanosleep
}

test_task_preempt_on_idle_commit()
{
	agent_test t_messages task_preempt_on_idle_commit
}

test_task_yield_on_sched_yield()
{
	agent_test t_messages task_yield_on_sched_yield
}

test_task_dead_on_exit()
{
	agent_test t_messages task_dead_on_exit
}

test_task_departed_on_leave()
{
	agent_test t_messages task_departed_on_leave
}

test_task_affinity_changed_on_setaffinity()
{
	agent_test t_messages task_affinity_changed_on_setaffinity
}

test_task_priority_changed_on_nice()
{
	agent_test t_messages task_priority_changed_on_nice
}

test_assoc_queue_routes_a_threads_messages()
{
	agent_test t_queues assoc_queue_routes_a_threads_messages
}

test_threads_fall_back_to_the_default_queue()
{
	agent_test t_queues threads_fall_back_to_the_default_queue
}

test_assoc_queue_errors()
{
	agent_test t_queues assoc_queue_errors
}

test_cpu_messages_go_to_the_agents_queue()
{
	agent_test t_queues cpu_messages_go_to_the_agents_queue
}

test_queue_wakeup_list_wakes_an_agent()
{
	agent_test t_queues queue_wakeup_list_wakes_an_agent
}

test_child_starts_on_its_parents_queue()
{
	agent_test t_queues child_starts_on_its_parents_queue
}

test_task_on_cpu_with_send_on_cpu_flag()
{
	agent_test t_messages task_on_cpu_with_send_on_cpu_flag
}

test_cpu_busy_and_available_for_cfs_threads()
{
	agent_test t_messages cpu_busy_and_available_for_cfs_threads
}

test_cpu_tick_when_deliver_ticks()
{
	agent_test t_messages cpu_tick_when_deliver_ticks
}

test_seqnum_increases_with_each_event()
{
	agent_test t_messages seqnum_increases_with_each_event
}

test_agent_wait_estale_etimedout_and_wakes()
{
	agent_test t_messages agent_wait_estale_etimedout_and_wakes
}

test_queue_fd_polls_readable()
{
	agent_test t_messages queue_fd_polls_readable
}

test_discover_resends_task_new()
{
	agent_test t_messages discover_resends_task_new
}

test_sw_get_and_free()
{
	agent_test t_messages sw_get_and_free
}

test_sw_region_is_read_only()
{
	agent_test t_messages sw_region_is_read_only
}

test_queue_overflow_is_counted()
{
	agent_test t_messages queue_overflow_is_counted
}
