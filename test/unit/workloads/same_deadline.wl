# Every request due the same time after it arrives: first come, first
# due, so FIFO order is deadline order.
cpus 3
seed 5
duration_ms 200
step_us 50
thread count=6 run_us=300 sleep_us=400 deadline_us=5000
