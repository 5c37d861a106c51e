# A long request among short ones on two CPUs (one runs the agent of a
# centralized policy): a preemptive policy bounds how long one runs.
cpus 2
duration_ms 200
step_us 25
thread count=1
thread count=6 run_us=40 sleep_us=300
