# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Description: scale, hostile callers and latency.  A thousand threads,
# random ioctls and writes, unprivileged callers, and commit and wakeup
# latencies (printed, never judged).
# Each test runs the test of the same name in a program of test/agent/
# (`PROGRAM --list` lists them).

test_thousand_threads_scheduled_and_exited()
{
	agent_test t_many_threads thousand_threads_scheduled_and_exited
}

test_spinners_outnumbering_cpus_all_progress()
{
	agent_test t_many_threads spinners_outnumbering_cpus_all_progress
}

test_random_ioctls_on_ghost_fds()
{
	agent_test t_fuzz_ioctl random_ioctls_on_ghost_fds
}

test_random_writes_to_enclave_files()
{
	agent_test t_fuzz_ioctl random_writes_to_enclave_files
}

test_without_cap_sys_nice_refused_eperm()
{
	agent_test t_fuzz_ioctl without_cap_sys_nice_refused_eperm
}

test_without_caps_refused_eperm()
{
	agent_test t_fuzz_ioctl without_caps_refused_eperm
}

test_nobody_refused_eperm()
{
	agent_test t_fuzz_ioctl nobody_refused_eperm
}

test_latency_commit_to_run()
{
	agent_test t_latency commit_to_run
}

test_latency_wakeup_delivery()
{
	agent_test t_latency wakeup_delivery
}

test_latency_futex_wake_baseline()
{
	agent_test t_latency futex_wake_baseline
}

test_latency_table()
{
	agent_test t_latency table
}

test_commit_racing_cpulist_never_lands_outside()
{
	agent_test t_cpulist_race commit_racing_cpulist_never_lands_outside
}

# Five processes race every operation on one enclave, 100,000 in all,
# while a CPU comes and goes; the module must still work and unload.  On
# the emulated lockdep + KASAN kernel that takes some five minutes.
# timeout-factor race_fuzz_100k_operations 3
test_race_fuzz_100k_operations()
{
	GT_RACE_OPS=100000
	export GT_RACE_OPS
	agent_test t_race race_fuzz_100k_operations
	local rc=$?
	clean_ghost
	ghost_unload
	return $rc
}
