# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: when agents fail or enclaves go.  Agent death, grace period
# and restart, the runnable watchdog, destroy and rmmod with threads
# running, parked and blocked.
# Each test runs the test of the same name in a program of test/agent/
# (`PROGRAM --list` lists them).

test_attach_makes_caller_fifo_99_pinned()
{
	agent_test t_agent_death attach_makes_caller_fifo_99_pinned
}

test_attach_busy_cpu_ebusy()
{
	agent_test t_agent_death attach_busy_cpu_ebusy
}

test_attach_errors()
{
	agent_test t_agent_death attach_errors
}

test_agent_kill_under_load_falls_back_to_cfs()
{
	agent_test t_agent_death agent_kill_under_load_falls_back_to_cfs
}

test_agent_restart_within_grace_reattaches()
{
	agent_test t_agent_death agent_restart_within_grace_reattaches
}

test_grace_keeps_parked_threads_then_returns_them()
{
	agent_test t_agent_death grace_keeps_parked_threads_then_returns_them
}

# A spinning agent steps aside for a thread outside ghost that wakes up on
# its CPU, with real-time throttling off (see t_agent_death.c).
test_agent_steps_aside_for_task_woken_on_its_cpu()
{
	agent_test t_agent_death agent_steps_aside_for_task_woken_on_its_cpu
}

test_watchdog_destroys_enclave_ignoring_runnable_thread()
{
	agent_test t_watchdog watchdog_destroys_enclave_ignoring_runnable_thread
}

test_watchdog_off_when_timeout_zero()
{
	agent_test t_watchdog watchdog_off_when_timeout_zero
}

test_watchdog_spares_served_and_blocked_threads()
{
	agent_test t_watchdog watchdog_spares_served_and_blocked_threads
}

test_watchdog_spares_thread_runnable_for_an_instant()
{
	agent_test t_watchdog watchdog_spares_thread_runnable_for_an_instant
}

test_runnable_timeout_bounds()
{
	agent_test t_watchdog runnable_timeout_bounds
}

test_destroy_with_running_parked_and_blocked_threads()
{
	agent_test t_destroy destroy_with_running_parked_and_blocked_threads
}

test_destroy_without_memory_releases_every_thread()
{
	agent_test t_destroy destroy_without_memory_releases_every_thread
}

test_destroy_without_agent_releases_parked_threads()
{
	agent_test t_destroy destroy_without_agent_releases_parked_threads
}

test_open_files_of_destroyed_enclave_enodev()
{
	agent_test t_destroy open_files_of_destroyed_enclave_enodev
}

test_rmmod_refused_while_enclave_alive()
{
	agent_test t_destroy rmmod_refused_while_enclave_alive
}

test_destroy_does_not_interrupt_epoll_wait()
{
	agent_test t_destroy destroy_does_not_interrupt_epoll_wait
}

test_leave_does_not_interrupt_epoll_wait()
{
	agent_test t_destroy leave_does_not_interrupt_epoll_wait
}
