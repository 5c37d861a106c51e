#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what building and testing ghost needs on Debian 12: the tool
# chain, the libraries of the user-space tools, DKMS, the Debian packaging
# tools and mmdebstrap (the deb lane), QEMU and what the VM tests put in
# their initramfs, plus the headers of the kernels of the VM lanes
# (GHOST_KERNELS, see test/vm/kernels.sh), or for a debug lane the kernel
# sources and what building them takes (test/vm/debug-kernel.sh).
# With --bench, also what `make bench` alone needs (gnuplot for its plots):
# `make check` does not need it.
#
# Idempotent and silent when everything is there; `apt-get update` runs
# only when something is missing.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=test/vm/kernels.sh disable=SC1091
. "$root/test/vm/kernels.sh"

export DEBIAN_FRONTEND=noninteractive

packages=(
	build-essential gcc make pkg-config	# tool chain
	check libnuma-dev libcap-dev libkmod-dev	# user space, unit tests
	kmod dkms				# module install
	qemu-system-x86 busybox-static cpio zstd xz-utils	# VM tests
	util-linux libcap2-bin file		# setpriv, capsh, ELF checks
	groff-base				# man page tests
	librocksdb-dev				# experiment/rocksdb
	systemd shellcheck			# systemd unit and launcher tests
	tmux ncurses-base			# ghostctl top on a terminal (VM)
	dpkg-dev debhelper dh-dkms lintian mmdebstrap	# make deb, deb lane
)
bench_packages=(
	gnuplot-nox				# make bench's plots
)

msg()
{
	echo "install-deps: $*" >&2
}

installed()
{
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

# Print the header packages of the VM lanes, or a debug lane's packages.
lane_headers()
{
	local lane kver

	for lane in $(kernels_lanes); do
		if debug_kernel_is_lane "$lane"; then
			debug_kernel_packages
			continue
		fi
		kver=$(kernels_resolve "$lane") || return 1
		echo "linux-headers-$kver"
	done
}

# Set todo to the packages not installed yet.  Without package lists apt
# cannot tell the lanes' kernels: then todo says so, and an update is due.
find_missing()
{
	local pkg out headers=()

	todo=()
	if kernels_have_lists; then
		out=$(lane_headers)
		[[ -z $out ]] || mapfile -t headers <<<"$out"
	else
		todo+=("linux-headers-<lanes ${GHOST_KERNELS// /,}>")
	fi
	for pkg in "${packages[@]}" "${headers[@]}"; do
		installed "$pkg" || todo+=("$pkg")
	done
}

main()
{
	local todo

	case ${1:-} in
	--bench) packages+=("${bench_packages[@]}") ;;
	"") ;;
	*)
		msg "usage: $0 [--bench]"
		return 2
		;;
	esac
	find_missing
	[[ ${#todo[@]} -eq 0 ]] && return 0

	if [[ $EUID -ne 0 ]]; then
		msg "missing: ${todo[*]}"
		msg "run as root: $0"
		return 1
	fi

	# The lists may be stale or absent: refresh them, then look again,
	# since the newest kernel of a lane may have changed.
	apt-get -qq update
	find_missing
	[[ ${#todo[@]} -eq 0 ]] && return 0

	msg "installing: ${todo[*]}"
	apt-get install -y -q --no-install-recommends "${todo[@]}"
}

main "$@"
