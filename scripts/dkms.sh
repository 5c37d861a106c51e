#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build and install ghost.ko with DKMS.
#
#   dkms.sh stage [DIR]    copy the module sources to /usr/src/ghost-<version>
#                          (or DIR, for a build without DKMS)
#   dkms.sh install KVER [DIR]
#                          stage, then dkms add/build/install for KVER; with
#                          DIR (the tests), copy the installed module there
#                          and drop the registration again
#   dkms.sh path KVER      print where DKMS installed ghost.ko for KVER
#
# DKMS compresses the module like the kernel's own ones when
# /lib/modules/KVER/modules.dep lists compressed modules, so the installed
# file may be ghost.ko, ghost.ko.xz, ghost.ko.zst or ghost.ko.gz.
#
# DKMS's state (/usr/src, /var/lib/dkms, /lib/modules) is the machine's:
# concurrent runs take turns on a lock, and `install KVER DIR` copies the
# module before the next run's `dkms remove` can delete it.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=ghost
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root/dkms.conf")
src=/usr/src/$name-$version
# What DKMS needs to build the module, and nothing else.
sources=(dkms.conf Kbuild module include)

lock_file=/run/lock/ghost-dkms.lock

die()
{
	echo "dkms.sh: $*" >&2
	exit 1
}

need_root()
{
	[[ $EUID -eq 0 ]] || die "$1 needs root"
}

# Hold the DKMS lock until the script exits.
take_lock()
{
	exec 9>"$lock_file"
	flock -n 9 && return 0
	echo "dkms.sh: waiting for another DKMS run ($lock_file)" >&2
	flock -w 3600 9 || die "gave up waiting for $lock_file"
}

# List the source files: those git tracks or would track, so that objects
# left by `make module` stay behind; every regular file outside git.
source_files()
{
	if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$root" ls-files -z --cached --others --exclude-standard \
			-- "${sources[@]}"
	else
		(cd "$root" && find "${sources[@]}" -type f \
			! -name '*.o' ! -name '*.ko' ! -name '*.mod' \
			! -name '*.mod.c' ! -name '.*' -print0)
	fi
}

stage()
{
	local dest=${1:-$src} f

	[[ $dest != "$src" ]] || need_root stage
	[[ -n $version ]] || die "no PACKAGE_VERSION in $root/dkms.conf"
	rm -rf "$dest"
	mkdir -p "$dest"
	while IFS= read -r -d '' f; do
		# git lists files deleted from the work tree until committed
		[[ -f $root/$f ]] || continue
		mkdir -p "$dest/$(dirname "$f")"
		cp "$root/$f" "$dest/$f"
	done < <(source_files)
	[[ -f $dest/dkms.conf && -f $dest/Kbuild ]] || die "staging to $dest failed"
	echo "dkms.sh: staged $name $version in $dest"
}

# The module DKMS installed for $1, compressed or not.
module_path()
{
	local kver=$1 f

	for f in /lib/modules/"$kver"/updates/dkms/$name.ko{,.xz,.zst,.gz}; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# Drop every earlier registration of this version, so that the build
# really uses the sources just staged.
unregister()
{
	local out

	if ! out=$(dkms remove "$name/$version" --all 2>&1); then
		case $out in
		*"not located in the DKMS tree"* | *"not added"* | \
		*"There is no instance"*)
			;;
		*)
			echo "$out" >&2
			die "dkms remove failed"
			;;
		esac
	fi
}

show_make_log()
{
	local log=/var/lib/dkms/$name/$version/build/make.log

	if [[ -f $log ]]; then
		echo "---- $log" >&2
		cat "$log" >&2
		echo "----" >&2
	fi
}

# dkms.conf's BUILD_EXCLUSIVE_KERNEL: the kernels ghost is tested on.
exclusive_kernel()
{
	# shellcheck source=dkms.conf disable=SC1091
	(. "$root/dkms.conf" && echo "${BUILD_EXCLUSIVE_KERNEL:-}")
}

install()
{
	local kver=$1 copy_to=$2 ko re

	need_root install
	re=$(exclusive_kernel)
	# DKMS would skip the build with status 77 and no reason given.
	[[ -z $re || $kver =~ $re ]] ||
		die "$kver is not a kernel ghost supports (BUILD_EXCLUSIVE_KERNEL=\"$re\" in dkms.conf)"
	[[ -d /lib/modules/$kver/build ]] ||
		die "no headers for $kver: apt-get install linux-headers-$kver"
	stage
	unregister
	dkms add "$name/$version"
	if ! dkms build "$name/$version" -k "$kver"; then
		show_make_log
		die "dkms build for $kver failed"
	fi
	if ! dkms install "$name/$version" -k "$kver" --force; then
		show_make_log
		die "dkms install for $kver failed"
	fi
	ko=$(module_path "$kver") ||
		die "dkms installed no $name.ko in /lib/modules/$kver/updates/dkms"
	echo "dkms.sh: installed $ko"
	if [[ -n $copy_to ]]; then
		mkdir -p "$copy_to"
		cp "$ko" "$copy_to/"
		echo "dkms.sh: copied to $copy_to/${ko##*/}"
		# The copy is what the tests load.  Left registered, ghost
		# would be built by the postinst of the next kernel package
		# apt installs (pulled in by its headers) before that
		# kernel's headers are unpacked, which fails the install.
		unregister
		echo "dkms.sh: unregistered $name $version"
	fi
}

main()
{
	# Run from make (make dkms-install, bench, demo, vm-check), the outer
	# make's command-line variables reach the kernel's make through
	# MAKEFLAGS: O=DIR there would build the module in the user-space
	# build directory, against no kernel configuration.
	unset MAKEFLAGS MFLAGS MAKELEVEL

	case ${1:-} in
	stage)
		[[ $# -le 2 ]] || die "usage: $0 stage [DIR]"
		[[ $# -eq 2 ]] || { need_root stage; take_lock; }
		stage "${2:-}"
		;;
	install)
		[[ $# -eq 2 || $# -eq 3 ]] || die "usage: $0 install KVER [DIR]"
		need_root install
		take_lock
		install "$2" "${3:-}"
		;;
	path)
		[[ $# -eq 2 ]] || die "usage: $0 path KVER"
		module_path "$2" || die "no $name.ko installed by DKMS for $2"
		;;
	*)
		die "usage: $0 stage [DIR] | install KVER [DIR] | path KVER"
		;;
	esac
}

main "$@"
