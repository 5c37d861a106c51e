# Threads that burst and sleep, CPU-bound ones that yield now and then,
# and a pair at nice 5 that exit part way.
cpus 3
seed 7
duration_ms 500
thread count=4 run_us=300 sleep_us=500
thread count=2 yield_pct=5
thread count=2 nice=5 run_us=2000 sleep_us=100 exit_us=300000
thread count=3 run_us=100 sleep_us=1000 start_us=100000
