# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Host side of the VM tests, shared by run.sh, demo.sh and bench.sh:
# fetch a lane's kernel, install ghost.ko with DKMS, pack the guest into an
# initramfs and boot it under QEMU.  A debug lane's kernel
# (debug-kernel.sh) has no headers package: ghost.ko is built against its
# build tree instead.
#
# The guest is busybox plus real kmod, setpriv and capsh, the DKMS-built
# ghost.ko with a depmod'ed /lib/modules/<kver>, and the repository's
# layout under /ghost: build/{bin,lib,policies,test/*} and
# test/vm/{guest,cases}.
# /init is test/vm/guest/init.

VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/vm/kernels.sh disable=SC1091
. "$VM_ROOT/test/vm/kernels.sh"

# The build directory, as the Makefile's O (relative to the repository).
VM_OUT=${O:-build}
[[ $VM_OUT == /* ]] || VM_OUT=$VM_ROOT/$VM_OUT

# Where the guest finds the repository's files.
VM_GUEST_DIR=/ghost

# Tools that must be the real ones, not busybox applets.
VM_KMOD_LINKS=(modprobe rmmod insmod lsmod depmod modinfo)
VM_REAL_TOOLS=("${VM_KMOD_LINKS[@]}" kmod setpriv capsh)

vm_msg()
{
	echo "vm: $*" >&2
}

vm_die()
{
	vm_msg "$*"
	exit 1
}

vm_need_root()
{
	[[ $EUID -eq 0 ]] ||
		vm_die "needs root (DKMS, apt-get and /lib/modules); run as root"
}

# Print a tool's path, looking in sbin too.
vm_which()
{
	PATH=$PATH:/usr/sbin:/sbin command -v "$1" ||
		vm_die "$1 not found; run scripts/install-deps.sh"
}

# Copy FILE to the same path (or DEST) under the staging root STAGE.
vm_put()
{
	local stage=$1 file=$2 dest=${3:-$2}

	[[ -e $stage$dest ]] && return 0
	mkdir -p "$stage$(dirname "$dest")"
	cp -L "$file" "$stage$dest"
}

# The shared libraries an ELF file needs, the loader included, one path a
# line.  Libraries of the build tree are left out: they travel with it.
vm_libs()
{
	local file=$1 a b c rest

	while read -r a b c rest; do
		if [[ $b == "=>" && $c == "not" ]]; then
			vm_die "$file needs $a, which is nowhere to be found"
		elif [[ $b == "=>" && $c == /* ]]; then
			[[ $c == "$VM_OUT"/* ]] || echo "$c"
		elif [[ $a == /* ]]; then
			echo "$a"
		fi
	done < <(LD_LIBRARY_PATH=$VM_OUT/lib ldd "$file" 2>/dev/null)
}

vm_is_dynamic_elf()
{
	[[ $(file -b -L "$1") == ELF*dynamically\ linked* ]]
}

# Copy the libraries an ELF file needs into STAGE.
vm_put_libs()
{
	local stage=$1 file=$2 libs lib

	vm_is_dynamic_elf "$file" || return 0
	libs=$(vm_libs "$file")
	for lib in $libs; do
		vm_put "$stage" "$lib"
	done
}

# Copy a program and its libraries to the same path under STAGE.
vm_put_program()
{
	local stage=$1 prog

	prog=$(vm_which "$2")
	prog=$(readlink -f "$prog")
	vm_put "$stage" "$prog"
	vm_put_libs "$stage" "$prog"
	echo "$prog"
}

# A merged-/usr skeleton, like Debian 12's.
vm_stage_base()
{
	local stage=$1 d

	mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,root}
	mkdir -p "$stage"/{dev,proc,sys,tmp,run,mnt}
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$stage/$d"
	done
	chmod 1777 "$stage/tmp"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >"$stage/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$stage/etc/group"
	echo ghost-vm >"$stage/etc/hostname"
	# The kernel hands /dev/console to init before devtmpfs is mounted.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
}

# Busybox and its applets, except where a real tool takes their place.
vm_stage_busybox()
{
	local stage=$1 bb applet

	bb=$(vm_which busybox)
	cp "$bb" "$stage/usr/bin/busybox"
	vm_put_libs "$stage" "$bb"
	while read -r applet; do
		[[ $applet == */* ]] || continue
		[[ " ${VM_REAL_TOOLS[*]} " == *" ${applet##*/} "* ]] && continue
		[[ -e $stage/$applet || -L $stage/$applet ]] && continue
		mkdir -p "$stage/$(dirname "$applet")"
		ln -s /usr/bin/busybox "$stage/$applet"
	done < <("$bb" --list-full)
}

# kmod handles compressed modules and modules.dep like the host does.
vm_stage_tools()
{
	local stage=$1 kmod link

	kmod=$(vm_put_program "$stage" kmod)
	for link in "${VM_KMOD_LINKS[@]}"; do
		ln -sf "$kmod" "$stage/usr/sbin/$link"
	done
	vm_put_program "$stage" setpriv >/dev/null
	vm_put_program "$stage" capsh >/dev/null
	# The systemd unit's launcher is a bash script.
	vm_put_program "$stage" bash >/dev/null
	# ghostctl top is tried on a terminal: tmux's, with its terminfo.
	vm_put_program "$stage" tmux >/dev/null
	vm_put "$stage" /lib/terminfo/t/tmux
	vm_put "$stage" /lib/terminfo/s/screen
	# tmux wants a UTF-8 locale: glibc's C.UTF-8.
	mkdir -p "$stage/usr/lib/locale"
	cp -r /usr/lib/locale/C.utf8 "$stage/usr/lib/locale/"
}

# Copy module NAME of the unpacked image, and what it depends on, to STAGE.
vm_put_image_module()
{
	local stage=$1 kver=$2 name=$3 moddir ko rel

	moddir=$(kernels_moddir "$kver")
	ko=$(find "$moddir/kernel" \( -name "$name.ko*" -o \
		-name "${name//_/-}.ko*" \) -print -quit)
	[[ -n $ko ]] || vm_die "module $name (needed by ghost) not in the $kver image"
	rel=${ko#"$moddir"/}
	[[ -e $stage/lib/modules/$kver/$rel ]] && return 0
	vm_put "$stage" "$ko" "/lib/modules/$kver/$rel"
	vm_put_deps "$stage" "$kver" "$ko"
}

vm_put_deps()
{
	local stage=$1 kver=$2 ko=$3 dep

	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		vm_put_image_module "$stage" "$kver" "$dep"
	done
}

# ghost.ko where DKMS put it, its dependencies from the image, and the
# module index depmod builds from them.
vm_stage_modules()
{
	local stage=$1 kver=$2 ko=$3 moddir dst f

	moddir=$(kernels_moddir "$kver")
	dst=/lib/modules/$kver
	vm_put "$stage" "$ko" "$dst/updates/dkms/${ko##*/}"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[[ -f $moddir/$f ]] && vm_put "$stage" "$moddir/$f" "$dst/$f"
	done
	vm_put_deps "$stage" "$kver" "$ko"
	depmod -b "$stage" "$kver"
}

# Copy the files of DIR (relative to the repository or to the build
# directory) that match the find expression to the guest's /ghost.
vm_put_tree()
{
	local stage=$1 base=$2 dir=$3 dest=$4 f
	shift 4

	[[ -d $base/$dir ]] || return 0
	while IFS= read -r -d '' f; do
		mkdir -p "$stage$VM_GUEST_DIR/$dest/$(dirname "$f")"
		cp -P "$base/$dir/$f" "$stage$VM_GUEST_DIR/$dest/$f"
	done < <(cd "$base/$dir" && find . -maxdepth 1 \( -type f -o -type l \) \
			"$@" -printf '%P\0')
}

# The user-space build, with every library its programs need, and the
# guest side of the tests.
vm_stage_ghost()
{
	local stage=$1 d f

	[[ -x $VM_OUT/bin/ghostctl ]] ||
		vm_die "$VM_OUT/bin/ghostctl missing: run make user"
	# Programs, libghost, policy plugins and the test programs the guest
	# runs (build/test/<dir>, but for the host's unit tests): no objects.
	for d in "$VM_OUT"/{bin,lib,policies} "$VM_OUT"/test/*; do
		d=${d#"$VM_OUT"/}
		[[ $d != test/unit ]] || continue
		vm_put_tree "$stage" "$VM_OUT" "$d" "build/$d" \
			! -name '*.o' ! -name '*.d'
	done
	vm_put_tree "$stage" "$VM_ROOT" test/vm/guest test/vm/guest
	vm_put_tree "$stage" "$VM_ROOT" test/vm/cases test/vm/cases -name '*.sh'
	while IFS= read -r -d '' f; do
		vm_put_libs "$stage" "$f"
	done < <(find "$stage$VM_GUEST_DIR/build" -type f -print0)
	cp "$VM_ROOT/test/vm/guest/init" "$stage/init"
	chmod 755 "$stage/init"
}

# Pack STAGE as a zstd-compressed newc cpio (Debian sets CONFIG_RD_ZSTD).
vm_pack()
{
	local stage=$1 out=$2

	(cd "$stage" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | zstd -q -T0 -9 -f -o "$out"
}

# vm_initramfs OUT KVER KO: build the guest's initramfs at OUT.  The
# staging tree lives outside the build directory, whose *.d files the
# Makefile includes.  `zstdcat OUT | cpio -t` lists what went in.
vm_initramfs()
{
	local out=$1 kver=$2 ko=$3 stage

	stage=$(mktemp -d "${TMPDIR:-/tmp}/ghost-initramfs.XXXXXX")
	vm_stage_base "$stage"
	vm_stage_tools "$stage"
	vm_stage_busybox "$stage"
	vm_stage_modules "$stage" "$kver" "$ko"
	vm_stage_ghost "$stage"
	vm_pack "$stage" "$out"
	rm -rf "$stage"
}

# vm_build_ko KVER DIR: build ghost.ko against KVER's build tree, from the
# sources staged as for DKMS in a directory of their own (not in the
# repository, nor in the build directory), log in DIR/module.log.  Prints
# the path of the module, DIR/ghost.ko.  An outer make's variables (O=,
# V=) are kept from the kernel's make.
vm_build_ko()
{
	local kver=$1 dir=$2 kdir src rc=0

	kdir=$(kernels_moddir "$kver")/build
	src=$(mktemp -d "${TMPDIR:-/tmp}/ghost-module.XXXXXX")
	{
		"$VM_ROOT/scripts/dkms.sh" stage "$src" &&
			env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
				make -C "$kdir" M="$src" -j"$(nproc)" modules
	} >"$dir/module.log" 2>&1 || rc=$?
	[[ $rc -ne 0 ]] || cp "$src/ghost.ko" "$dir/ghost.ko" || rc=$?
	rm -rf "$src"
	if [[ $rc -ne 0 ]]; then
		tail -n 40 "$dir/module.log" >&2
		vm_die "building ghost.ko for $kver failed; full log: $dir/module.log"
	fi
	echo "$dir/ghost.ko"
}

# vm_lane_setup LANE DIR: fetch the lane's kernel and headers, install
# ghost.ko with DKMS (log in DIR/dkms.log; for a debug lane, build it with
# vm_build_ko) and pack DIR/initramfs.img.  Sets VM_KVER and VM_KO.  Run
# with `set -e`: any failure ends it, and DIR/step names the step that
# failed.
vm_lane_setup()
{
	local lane=$1 dir=$2

	echo "fetching the kernel of lane $lane" >"$dir/step"
	VM_KVER=$(kernels_ensure "$lane")

	if debug_kernel_is_lane "$lane"; then
		echo "building ghost.ko (see $dir/module.log)" >"$dir/step"
		vm_msg "$lane: building ghost.ko for $VM_KVER against its build tree"
		VM_KO=$(vm_build_ko "$VM_KVER" "$dir")
	else
		echo "building ghost.ko with DKMS (see $dir/dkms.log)" >"$dir/step"
		vm_msg "$lane: building ghost.ko for $VM_KVER with DKMS"
		# A copy, made under DKMS's lock: a concurrent run may
		# remove the installed module before the initramfs is packed.
		if ! "$VM_ROOT/scripts/dkms.sh" install "$VM_KVER" "$dir/dkms" \
				>"$dir/dkms.log" 2>&1; then
			tail -n 40 "$dir/dkms.log" >&2
			vm_die "$lane: DKMS failed; full log: $dir/dkms.log"
		fi
		VM_KO=$(echo "$dir"/dkms/ghost.ko*)
	fi

	echo "packing the initramfs" >"$dir/step"
	vm_msg "$lane: packing $dir/initramfs.img"
	vm_initramfs "$dir/initramfs.img" "$VM_KVER" "$VM_KO"
	rm -f "$dir/step"
}

# vm_qemu_cmd KVER INITRD APPEND: set VM_QEMU to the QEMU command line that
# boots them; the caller adds the serial ports.  TCG, since nested KVM is
# not to be relied on.  Single-threaded TCG (GHOST_VM_ACCEL to change it):
# QEMU 7.2's multi-threaded TCG now and then runs stale code while the
# kernel patches its text (static keys, kprobes), and the guest dies of a
# spurious "Oops: int3" (seen at boot in about 1 in 20 boots of 6.12); on
# two host cores it is hardly faster here.  SeaBIOS keeps off the serial
# port (it would reset the terminal).
vm_qemu_cmd()
{
	local kver=$1 initrd=$2 append=$3

	# shellcheck disable=SC2034 # used by the caller
	VM_QEMU=(qemu-system-x86_64 -accel "${GHOST_VM_ACCEL:-tcg,thread=single}"
		-smp "${GHOST_VM_SMP:-4}" -m "${GHOST_VM_MEM:-2G}"
		-nographic -no-reboot -nodefaults -monitor none
		-fw_cfg "name=etc/sercon-port,string=0"
		-kernel "$(kernels_vmlinuz "$kver")" -initrd "$initrd"
		-append "$append")
}

# Kernel command line common to every boot of LANE: serial console, a
# panic ends the VM at once (-no-reboot), a large log buffer so that
# nothing scrolls away before the runner reads it.  The TSC, calibrated
# under TCG on a busy host, can be far off: the guest clock then races
# ahead and fakes RCU stalls, so tests keep time with the HPET.  A boot
# that measures (CLOCK tsc) keeps it with the TSC: an HPET read is an
# emulated device access that takes the emulator's global lock, so every
# clock read of the kernel (ghost's hooks read it on each event) and of
# clock_gettime() (no vDSO with the HPET) would serialise the vCPUs.  The
# kernel refines the TSC's rate against the HPET, and the report shows it.
# ghostvm.* are read by the guest's init.  A debug kernel panics once it
# has reported a hung task, a soft lockup or an RCU stall (which a
# deadlock with interrupts off leads to): the VM ends then, not at the
# lane's timeout.
vm_append()
{
	local lane=$1 clock=${2:-hpet} append

	append="console=ttyS0,115200 panic=-1 log_buf_len=8M edd=off"
	if [[ $clock = tsc ]]; then
		append+=" tsc=reliable"
	else
		append+=" clocksource=hpet"
	fi
	append+=" ghostvm.lane=$lane"
	if debug_kernel_is_lane "$lane"; then
		append+=" hung_task_panic=1 softlockup_panic=1"
		append+=" sysctl.kernel.panic_on_rcu_stall=1"
	fi
	echo "$append"
}

# The pattern file of kernel log lines that fail a test.
vm_bad_klog()
{
	echo "$VM_ROOT/test/vm/guest/klog-bad.ere"
}
