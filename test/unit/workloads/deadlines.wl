# Requests with hinted deadlines on two CPUs for threads: short ones due
# soon, long ones due late, arriving out of deadline order.
cpus 3
seed 11
duration_ms 200
step_us 50
thread count=3 run_us=2000 sleep_us=1000 deadline_us=20000
thread count=4 run_us=200 sleep_us=600 deadline_us=1000 start_us=500
