# Two CPU-bound threads at nice 0 and 5 on one CPU: cfs splits the CPU
# by their weights (1024:335).
cpus 1
duration_ms 3000
thread nice=0
thread nice=5
