# Threads pinned to some CPUs, and short requests with QoS hints.
cpus 4
seed 3
duration_ms 300
step_us 100
thread count=2 affinity=1 run_us=400 sleep_us=300
thread count=3 affinity=2-3 run_us=200 sleep_us=200
thread count=4 run_us=50 sleep_us=400 qos=2
thread count=1 qos=0 yield_pct=10
