#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# The walk-through `make demo` shows (busybox sh, run by init with
# ghostvm.mode=demo): load ghost.ko as DKMS installed it, then create,
# inspect and destroy an enclave.  Each command is printed before it runs.

# shellcheck source=test/vm/guest/lib.sh disable=SC1091
. "${GHOST_DIR:-/ghost}/test/vm/guest/lib.sh"

# Print a command like `sh -x` would, then run it.
run()
{
	echo "+ $*"
	"$@" || echo "(exit status $?)"
	echo
}

# Like run, for a command that needs a shell (redirections).
run_sh()
{
	echo "+ $1"
	sh -c "$1" || echo "(exit status $?)"
	echo
}

echo
echo "ghost demo on Linux $(uname -r), $(nproc) CPUs"
echo
run modprobe ghost
run modinfo -n ghost
run ls /sys/fs/ghost
run ghostctl enclave create --cpus 0-1
run ls /sys/fs/ghost
run ghostctl enclave show 1

echo "A per-CPU FIFO agent on enclave 1 (CPUs 0-1) schedules simple_exp's"
echo "threads; the policy is then swapped for a centralized FIFO while they"
echo "run, and SIGINT (Ctrl-C) stops the agent."
echo
run_sh "ghost-agent --enclave 1 --policy fifo_per_cpu >/tmp/agent.out 2>/tmp/agent.err &"
i=0
while ! grep -q ready /tmp/agent.out 2>/dev/null && [ $i -lt 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
run cat /tmp/agent.out
run ghostctl run 1 -- simple_exp
run_sh "ghostctl run 1 -- simple_exp -n 10 & sleep 1; ghostctl policy swap 1 fifo_centralized; wait"
run ghostctl status 1
run_sh "kill -INT \$(pidof ghost-agent); sleep 1; cat /tmp/agent.err"
run ghostctl enclave list
run_sh "echo destroy > /sys/fs/ghost/enclave_1/ctl"
run ls /sys/fs/ghost
