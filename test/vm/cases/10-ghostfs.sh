# shellcheck shell=sh
# ghostfs: the file protocol at /sys/fs/ghost, driven without ghostctl.
# shellcheck disable=SC2012 # ghostfs names are plain words

G=/sys/fs/ghost

# Loaded, mounted, and no enclave left over from an earlier test.
ghost_reset() {
	[ -d /sys/module/ghost ] || modprobe ghost || fail "modprobe ghost"
	grep -q " $G ghost " /proc/mounts || mount -t ghost ghost $G ||
		fail "mount ghostfs"
	for d in "$G"/enclave_*; do
		[ -d "$d" ] && echo destroy > "$d/ctl"
	done
	return 0
}

test_ghostfs_mounts_at_sys_fs_ghost() {
	ghost_reset
	[ "$(stat -f -c %t $G)" = 67686f73 ] || fail "wrong fs magic on $G"
}

test_version_lists_the_abi() {
	ghost_reset
	[ "$(cat $G/version)" = 1 ] || fail "version is '$(cat $G/version)'"
}

test_ls_shows_ctl_enclave_1_version() {
	ghost_reset
	echo create 1 > $G/ctl || fail "create 1"
	[ "$(ls $G | tr '\n' ' ')" = "ctl enclave_1 version " ] ||
		fail "ls shows '$(ls $G | tr '\n' ' ')'"
	[ "$(cat $G/enclave_1/ctl)" = 1 ] || fail "enclave ctl does not read 1"
	for f in ctl cpulist cpumask status tasks agent_online \
		 runnable_timeout deliver_ticks; do
		[ -f $G/enclave_1/$f ] || fail "enclave_1/$f missing"
	done
}

test_echo_destroy_removes_the_enclave() {
	ghost_reset
	echo create 1 > $G/ctl
	echo destroy > $G/enclave_1/ctl || fail "destroy"
	[ ! -e $G/enclave_1 ] || fail "enclave_1 still exists"
	[ "$(ls $G | tr '\n' ' ')" = "ctl version " ] || fail "leftovers"
	# The id is free again.
	echo create 1 > $G/ctl || fail "re-create 1"
}

test_create_errors_match_ghost() {
	ghost_reset
	expect_errno OK $G/ctl "create 5"
	expect_errno EEXIST $G/ctl "create 5"
	expect_errno EINVAL $G/ctl "create"
	expect_errno EINVAL $G/ctl "create 0"
	expect_errno EINVAL $G/ctl "create -3"
	expect_errno EINVAL $G/ctl "create abc"
	expect_errno EINVAL $G/ctl "create 2147483648"
	expect_errno EINVAL $G/ctl "create 6 1 extra"
	expect_errno EINVAL $G/ctl "make 6"
	expect_errno EINVAL $G/ctl "destroy"
	expect_errno EPROTONOSUPPORT $G/ctl "create 6 999"
	expect_errno OK $G/ctl "create 6 1"
}

test_enclave_limit_gives_enospc() {
	ghost_reset
	i=1
	while [ $i -le 64 ]; do
		echo create $i > $G/ctl || fail "create $i"
		i=$((i + 1))
	done
	expect_errno ENOSPC $G/ctl "create 65"
	ghost_reset
	[ "$(ls $G | wc -l)" = 2 ] || fail "enclaves left after destroy"
}

test_two_enclaves_on_disjoint_cpus() {
	ghost_reset
	echo create 1 > $G/ctl
	echo create 2 > $G/ctl
	expect_errno OK $G/enclave_1/cpulist "0-1"
	expect_errno OK $G/enclave_2/cpumask "c"
	[ "$(cat $G/enclave_1/cpulist)" = 0-1 ] || fail "enclave_1 cpulist"
	[ "$(cat $G/enclave_1/cpumask)" = 3 ] || fail "enclave_1 cpumask"
	[ "$(cat $G/enclave_2/cpulist)" = 2-3 ] || fail "enclave_2 cpulist"
	grep -qx "nr_cpus 2" $G/enclave_2/status || fail "enclave_2 nr_cpus"
}

test_overlapping_cpus_refused_with_ebusy() {
	ghost_reset
	echo create 1 > $G/ctl
	echo create 2 > $G/ctl
	echo 0-1 > $G/enclave_1/cpulist
	expect_errno EBUSY $G/enclave_2/cpulist "1-2"
	expect_errno EBUSY $G/enclave_2/cpumask "1"
	[ -z "$(cat $G/enclave_2/cpulist)" ] || fail "partial update"
	# Giving CPUs back makes them available.
	echo 0 > $G/enclave_1/cpulist
	expect_errno OK $G/enclave_2/cpulist "1-2"
	# A destroyed enclave releases its CPUs.
	echo destroy > $G/enclave_2/ctl
	expect_errno OK $G/enclave_1/cpulist "0-3"
}

test_malformed_cpu_lists_refused() {
	ghost_reset
	echo create 1 > $G/ctl
	for s in abc 1- 3-1 "-1" "0-1-2" "1:2" "0-1:"; do
		expect_errno EINVAL $G/enclave_1/cpulist "$s"
	done
	for s in xyz "0x" g "1-2"; do
		expect_errno EINVAL $G/enclave_1/cpumask "$s"
	done
	expect_errno ENODEV $G/enclave_1/cpulist "9999"
	expect_errno ENODEV $G/enclave_1/cpulist "4"
	expect_errno ENODEV $G/enclave_1/cpumask "ff"
	[ -z "$(cat $G/enclave_1/cpulist)" ] || fail "malformed list applied"
	# The empty list is valid: the enclave gives up its CPUs.
	expect_errno OK $G/enclave_1/cpulist "1"
	echo > $G/enclave_1/cpulist || fail "empty list refused"
	[ -z "$(cat $G/enclave_1/cpulist)" ] || fail "CPUs kept"
}

test_offline_cpu_refused_with_enodev() {
	ghost_reset
	echo create 1 > $G/ctl
	echo 0 > /sys/devices/system/cpu/cpu3/online || fail "offline cpu3"
	expect_errno ENODEV $G/enclave_1/cpulist "2-3"
	echo 1 > /sys/devices/system/cpu/cpu3/online || fail "online cpu3"
	expect_errno OK $G/enclave_1/cpulist "2-3"
}

test_oversized_and_empty_writes_refused() {
	ghost_reset
	echo create 1 > $G/ctl
	big=$(head -c 5000 /dev/zero | tr '\0' '1')
	for f in $G/ctl $G/enclave_1/ctl $G/enclave_1/cpulist \
		 $G/enclave_1/cpumask $G/enclave_1/runnable_timeout \
		 $G/enclave_1/deliver_ticks $G/enclave_1/tasks; do
		expect_errno EINVAL "$f" "$big"
		expect_errno EINVAL "$f" ""
	done
	[ -d $G/enclave_1 ] || fail "enclave lost"
}

test_read_only_files_refuse_writes() {
	ghost_reset
	echo create 1 > $G/ctl
	expect_errno EINVAL $G/enclave_1/status "1"
	expect_errno EINVAL $G/enclave_1/agent_online "1"
	expect_errno EINVAL $G/enclave_1/ctl "destroy now"
	expect_errno EINVAL $G/enclave_1/ctl "create 2"
	[ -d $G/enclave_1 ] || fail "enclave lost"
}

test_tunables_validate_and_persist() {
	ghost_reset
	echo create 1 > $G/ctl
	[ "$(cat $G/enclave_1/runnable_timeout)" = 10000 ] ||
		fail "runnable_timeout default"
	[ "$(cat $G/enclave_1/deliver_ticks)" = 0 ] || fail "deliver_ticks"
	for s in abc -1 3600001 1.5 "1 2" 0x10; do
		expect_errno EINVAL $G/enclave_1/runnable_timeout "$s"
	done
	expect_errno OK $G/enclave_1/runnable_timeout "250"
	[ "$(cat $G/enclave_1/runnable_timeout)" = 250 ] || fail "timeout"
	expect_errno OK $G/enclave_1/runnable_timeout "0"
	for s in 2 -1 yes on; do
		expect_errno EINVAL $G/enclave_1/deliver_ticks "$s"
	done
	expect_errno OK $G/enclave_1/deliver_ticks "1"
	[ "$(cat $G/enclave_1/deliver_ticks)" = 1 ] || fail "deliver_ticks"
}

test_tasks_starts_empty_and_validates_tids() {
	ghost_reset
	echo create 1 > $G/ctl
	[ -z "$(cat $G/enclave_1/tasks)" ] || fail "tasks not empty"
	grep -qx "nr_tasks 0" $G/enclave_1/status || fail "nr_tasks"
	for s in abc -1 1.5 "1 2" 99999999999; do
		expect_errno EINVAL $G/enclave_1/tasks "$s"
	done
	expect_errno ESRCH $G/enclave_1/tasks "4000000"
	# Kernel threads never enter: they never return to user mode.
	expect_errno EINVAL $G/enclave_1/tasks "2"
	[ -z "$(cat $G/enclave_1/tasks)" ] || fail "a thread entered"
}

test_open_file_of_destroyed_enclave_gives_enodev() {
	ghost_reset
	echo create 1 > $G/ctl
	exec 3< $G/enclave_1/status
	exec 4> $G/enclave_1/cpulist
	echo destroy > $G/enclave_1/ctl
	if cat <&3 2>/dev/null; then fail "read of a destroyed enclave"; fi
	if echo 0 >&4 2>/dev/null; then fail "write to a destroyed enclave"; fi
	exec 3<&- 4>&-
	# A new enclave with the same id is a new object.
	echo create 1 > $G/ctl || fail "re-create"
	[ -z "$(cat $G/enclave_1/cpulist)" ] || fail "stale state"
}

test_enclaves_survive_umount_and_remount() {
	ghost_reset
	echo create 3 > $G/ctl
	echo 1 > $G/enclave_3/cpulist
	umount $G || fail "umount"
	[ ! -e $G/enclave_3 ] || fail "still visible after umount"
	mount -t ghost ghost $G || fail "remount"
	[ "$(cat $G/enclave_3/cpulist)" = 1 ] || fail "enclave_3 lost its CPUs"
	# A second mount shows the same tree.
	# shellcheck disable=SC2015 # fails if either step does
	mkdir -p /tmp/g2 && mount -t ghost ghost /tmp/g2 || fail "second mount"
	[ -d /tmp/g2/enclave_3 ] || fail "second mount differs"
	umount /tmp/g2
}

test_enclave_ioctls_validate_input() {
	ghost_reset
	echo create 4 > $G/ctl
	echo 2-3 > $G/enclave_4/cpulist
	out=$(ghost_ioctl $G/enclave_4/ctl) || fail "ghost_ioctl: $out"
	case "$out" in
	"id 4 abi 1 nr_cpus 2 "*) ;;
	*) fail "unexpected info: $out" ;;
	esac
	# Only the ctl file has ioctls.
	if ghost_ioctl $G/enclave_4/status 2>/dev/null; then
		fail "ioctl on status accepted"
	fi
}

test_random_writes_reads_and_ioctls_do_not_hurt() {
	ghost_reset
	echo create 1 > $G/ctl
	echo create 2 > $G/ctl
	ghostfs_fuzz 20000 1 || fail "fuzzer failed"
	ghostfs_fuzz 5000 2 || fail "fuzzer failed"
	ghost_reset
	# Everything still works afterwards.
	# shellcheck disable=SC2015 # fails if either step does
	echo create 1 > $G/ctl && echo 0-3 > $G/enclave_1/cpulist ||
		fail "ghostfs broken after fuzzing"
}
