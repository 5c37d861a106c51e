#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stock Debian kernels for the VM lanes.  A lane ("6.1", "6.12") stands for
# the newest amd64 build of that series that apt offers now with both an
# unsigned image and headers.  Images are unpacked into
# ${GHOST_CACHE:-/var/cache/ghost-vm}/<kver>/, headers installed with apt.
# The lane "6.1-debug" is a lockdep + KASAN build of Debian's 6.1 sources, built
# and cached by debug-kernel.sh; it has no headers package, its build tree
# serves instead.  GHOST_SKIP_DEBUG=1 leaves the debug lanes out.
#
# Sourced by the VM scripts, or run as:
#   kernels.sh lanes          print the lanes (GHOST_KERNELS, default
#                             "6.1 6.12 6.1-debug")
#   kernels.sh resolve LANE   print the kernel release of LANE
#   kernels.sh ensure LANE    fetch its image and headers, print the release
#   kernels.sh vmlinuz KVER   print the path of a fetched kernel image

GHOST_CACHE=${GHOST_CACHE:-/var/cache/ghost-vm}
GHOST_KERNELS=${GHOST_KERNELS:-6.1 6.12 6.1-debug}

# shellcheck source=test/vm/debug-kernel.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/debug-kernel.sh"

kernels_msg()
{
	echo "kernels: $*" >&2
}

kernels_lanes()
{
	local lane lanes=()

	for lane in $GHOST_KERNELS; do
		if [[ ${GHOST_SKIP_DEBUG:-0} == 1 ]] && debug_kernel_is_lane "$lane"; then
			continue
		fi
		lanes+=("$lane")
	done
	echo "${lanes[*]}"
}

# The release pattern (ERE) of the generic amd64 flavour of a lane: it
# matches 6.1.0-56-amd64 and 6.12.117+deb12-amd64, not -cloud-/-rt- ones.
kernels_regex()
{
	local lane=$1

	if [[ ! $lane =~ ^[0-9]+\.[0-9]+$ ]]; then
		kernels_msg "bad lane '$lane' (want e.g. 6.1)"
		return 1
	fi
	printf '%s\\.[0-9]+(-[0-9]+)?(\\+deb[0-9]+)?-amd64' "${lane//./\\.}"
}

# apt-cache knows nothing before the first `apt-get update`.
kernels_have_lists()
{
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

kernels_apt_update()
{
	if [[ $EUID -ne 0 ]]; then
		kernels_msg "apt package lists need refreshing; run as root"
		return 1
	fi
	kernels_msg "apt-get update"
	apt_locked -qq update >&2
}

# Releases for which apt offers package $1-<release>$2.
kernels_offered()
{
	local prefix=$1 suffix=$2 re=$3

	apt-cache search --names-only "^${prefix}${re}${suffix}\$" |
		awk '{ print $1 }' |
		sed -e "s/^${prefix}//" -e "s/${suffix}\$//" | sort -u
}

kernels_resolve()
{
	local lane=$1 re kver

	if debug_kernel_is_lane "$lane"; then
		debug_kernel_check_lane "$lane" && debug_kernel_release
		return
	fi
	re=$(kernels_regex "$lane") || return 1
	if ! kernels_have_lists; then
		kernels_apt_update || return 1
	fi
	kver=$(comm -12 <(kernels_offered linux-image- -unsigned "$re") \
			<(kernels_offered linux-headers- '' "$re") |
		sort -V | tail -n 1)
	if [[ -z $kver ]]; then
		kernels_msg "apt offers no linux-image-*-unsigned with headers for lane $lane"
		return 1
	fi
	echo "$kver"
}

kernels_dir()
{
	if debug_kernel_is_kver "$1"; then
		debug_kernel_dir
	else
		echo "$GHOST_CACHE/$1"
	fi
}

kernels_vmlinuz()
{
	echo "$(kernels_dir "$1")/boot/vmlinuz-$1"
}

# The unpacked image's /lib/modules/<kver>, whether or not the package
# ships its files under /usr.
kernels_moddir()
{
	local dir

	dir=$(kernels_dir "$1")
	if [[ -d $dir/usr/lib/modules/$1 ]]; then
		echo "$dir/usr/lib/modules/$1"
	else
		echo "$dir/lib/modules/$1"
	fi
}

# Download and unpack linux-image-<kver>-unsigned unless already cached.
# Unpacks next to the final directory and renames, so an interrupted run
# never leaves a half-filled cache entry behind.
kernels_fetch_image()
{
	local kver=$1 dir tmp deb

	dir=$(kernels_dir "$kver")
	[[ -f $(kernels_vmlinuz "$kver") ]] && return 0

	kernels_msg "downloading linux-image-$kver-unsigned"
	mkdir -p "$GHOST_CACHE"
	tmp=$(mktemp -d "$GHOST_CACHE/.fetch.XXXXXX")
	if ! (cd "$tmp" && apt_locked -q -o APT::Sandbox::User=root \
			download "linux-image-$kver-unsigned" >&2); then
		rm -rf "$tmp"
		return 1
	fi
	deb=$(echo "$tmp"/*.deb)
	mkdir "$tmp/root"
	dpkg -x "$deb" "$tmp/root"
	rm -f "$deb"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
	if [[ ! -f $(kernels_vmlinuz "$kver") ]]; then
		kernels_msg "linux-image-$kver-unsigned has no boot/vmlinuz-$kver"
		return 1
	fi
}

kernels_installed()
{
	[[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == ii* ]]
}

kernels_install_headers()
{
	local pkg=linux-headers-$1

	kernels_installed "$pkg" && return 0
	if [[ $EUID -ne 0 ]]; then
		kernels_msg "$pkg is missing; run as root (or scripts/install-deps.sh)"
		return 1
	fi
	kernels_msg "installing $pkg"
	apt_locked install -y -q --no-install-recommends "$pkg" >&2
}

kernels_ensure_kver()
{
	kernels_fetch_image "$1" && kernels_install_headers "$1"
}

# Make the lane's kernel bootable and buildable; print its release.  When
# the package lists are stale (the file is gone from the archive), refresh
# them once and pick the lane's kernel again.  A debug lane's kernel is
# built, or taken from the cache.
kernels_ensure()
{
	local lane=$1 kver

	if debug_kernel_is_lane "$lane"; then
		debug_kernel_check_lane "$lane" && debug_kernel_ensure
		return
	fi
	kver=$(kernels_resolve "$lane") || return 1
	if ! kernels_ensure_kver "$kver"; then
		kernels_apt_update || return 1
		kver=$(kernels_resolve "$lane") || return 1
		kernels_ensure_kver "$kver" || return 1
	fi
	echo "$kver"
}

kernels_main()
{
	local cmd=${1:-}

	case $cmd in
	lanes)
		kernels_lanes
		;;
	resolve | ensure)
		[[ $# -eq 2 ]] || { kernels_msg "usage: $0 $cmd LANE"; return 2; }
		"kernels_$cmd" "$2"
		;;
	vmlinuz)
		[[ $# -eq 2 ]] || { kernels_msg "usage: $0 vmlinuz KVER"; return 2; }
		kernels_vmlinuz "$2"
		;;
	*)
		kernels_msg "usage: $0 lanes | resolve LANE | ensure LANE | vmlinuz KVER"
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	kernels_main "$@"
fi
