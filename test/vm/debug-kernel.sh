#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel of the 6.1-debug VM lane: Debian's own 6.1 sources
# (linux-source-6.1, the version apt offers) built with lockdep, KASAN and the
# other lock and hang checks that Debian's kernels lack, so that a locking
# mistake of ghost.ko shows up as a report rather than as a hang.
#
# Config: `make defconfig kvm_guest.config`, then the fragment
# test/vm/debug-kernel.config (every line of which must hold in the final
# .config).  Result, outside git, in
# ${GHOST_CACHE:-/var/cache/ghost-vm}/debug-6.1-<source version>/:
#   build/                       the kernel tree: KDIR for `make M=` builds
#   boot/vmlinuz-<kver>          the image; config and System.map beside it
#   lib/modules/<kver>/          modules.builtin & co, for depmod
#   build.log                    the build's output
#   stamp                        written last: source version, fragment hash
# A stamp whose fragment hash differs from the fragment's rebuilds.
#
# Sourced by kernels.sh, or run as:
#   debug-kernel.sh ensure       build unless cached; print the kernel release
#   debug-kernel.sh rebuild      build even if cached; print the kernel release
#   debug-kernel.sh kdir         print the build tree of the cached build
#   debug-kernel.sh srcversion   print the version of linux-source-6.1 in use
# Needs root to install linux-source-6.1 and to write GHOST_CACHE.

GHOST_CACHE=${GHOST_CACHE:-/var/cache/ghost-vm}
DEBUG_KERNEL_SERIES=6.1
DEBUG_KERNEL_PKG=linux-source-$DEBUG_KERNEL_SERIES
DEBUG_KERNEL_TARBALL=/usr/src/$DEBUG_KERNEL_PKG.tar.xz
DEBUG_KERNEL_SCRIPT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debug-kernel.sh
DEBUG_KERNEL_FRAGMENT=${DEBUG_KERNEL_SCRIPT%.sh}.config
# What building the kernel takes, besides the tool chain.
DEBUG_KERNEL_DEPS=(bc bison flex libssl-dev libelf-dev openssl python3 rsync
	xz-utils "$DEBUG_KERNEL_PKG")

# apt_locked ARGS...: apt-get ARGS under a lock of our own, so that lanes
# set up at the same time (run.sh runs the debug lanes beside the others)
# take turns instead of failing on apt's locks.  kernels.sh uses it too.
apt_locked()
{
	mkdir -p "$GHOST_CACHE"
	flock "$GHOST_CACHE/.apt.lock" env DEBIAN_FRONTEND=noninteractive \
		apt-get "$@"
}

debug_kernel_msg()
{
	echo "debug-kernel: $*" >&2
}

# Lanes and releases of the debug kernel: "6.1-debug", "6.1.192-debug".
debug_kernel_is_lane()
{
	[[ $1 == *-debug ]]
}

debug_kernel_is_kver()
{
	[[ $1 == "$DEBUG_KERNEL_SERIES".*-debug ]]
}

debug_kernel_check_lane()
{
	[[ $1 == "$DEBUG_KERNEL_SERIES-debug" ]] && return 0
	debug_kernel_msg "no debug kernel for lane '$1' (only $DEBUG_KERNEL_SERIES-debug)"
	return 1
}

# The packages the build needs, one a line.
debug_kernel_packages()
{
	printf '%s\n' "${DEBUG_KERNEL_DEPS[@]}"
}

debug_kernel_srcversion()
{
	dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$DEBUG_KERNEL_PKG" \
		2>/dev/null | awk '$1 ~ /^ii/ { print $2 }'
}

debug_kernel_candidate()
{
	apt-cache policy "$DEBUG_KERNEL_PKG" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

debug_kernel_apt_install()
{
	apt_locked install -y -q --no-install-recommends "$DEBUG_KERNEL_PKG" >&2
}

# Install the version of linux-source-6.1 apt offers, as the stock lanes
# take the newest kernel apt offers; refresh stale package lists once.
debug_kernel_install_source()
{
	local have want

	have=$(debug_kernel_srcversion)
	want=$(debug_kernel_candidate)
	[[ -n $have && ( -z $want || $have == "$want" ) ]] && return 0
	if [[ $EUID -ne 0 ]]; then
		debug_kernel_msg "$DEBUG_KERNEL_PKG ${want:-?} is not installed; run as root"
		return 1
	fi
	debug_kernel_msg "installing $DEBUG_KERNEL_PKG ${want:-}"
	if ! debug_kernel_apt_install; then
		apt_locked -qq update >&2
		debug_kernel_apt_install
	fi
	[[ -f $DEBUG_KERNEL_TARBALL ]] ||
		{ debug_kernel_msg "$DEBUG_KERNEL_PKG has no $DEBUG_KERNEL_TARBALL"; return 1; }
}

debug_kernel_dir()
{
	local srcversion

	srcversion=$(debug_kernel_srcversion)
	[[ -n $srcversion ]] ||
		{ debug_kernel_msg "$DEBUG_KERNEL_PKG is not installed"; return 1; }
	echo "$GHOST_CACHE/debug-$DEBUG_KERNEL_SERIES-$srcversion"
}

debug_kernel_hash()
{
	sha256sum "$DEBUG_KERNEL_FRAGMENT" | cut -d' ' -f1
}

# The release a build of the installed sources has (or will have): the
# upstream version, then the fragment's CONFIG_LOCALVERSION.
debug_kernel_release()
{
	local srcversion localversion

	srcversion=$(debug_kernel_srcversion)
	[[ -n $srcversion ]] ||
		{ debug_kernel_msg "$DEBUG_KERNEL_PKG is not installed"; return 1; }
	localversion=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' \
		"$DEBUG_KERNEL_FRAGMENT")
	echo "${srcversion%%-*}$localversion"
}

# True if DIR holds a complete build of the current fragment.
debug_kernel_fresh()
{
	local dir=$1

	[[ -f $dir/stamp ]] &&
		grep -qx "fragment=$(debug_kernel_hash)" "$dir/stamp" &&
		grep -q '^kver=' "$dir/stamp"
}

# The fragment's lines as NAME VALUE, VALUE being n for "is not set".
debug_kernel_wanted()
{
	sed -n -e 's/^CONFIG_\([A-Za-z0-9_]*\)=\(.*\)$/\1 \2/p' \
		-e 's/^# CONFIG_\([A-Za-z0-9_]*\) is not set$/\1 n/p' \
		"$DEBUG_KERNEL_FRAGMENT"
}

# Apply the fragment to TREE/.config with scripts/config.
debug_kernel_apply_fragment()
{
	local tree=$1 name value args=()

	while read -r name value; do
		case $value in
		y) args+=(--enable "$name") ;;
		m) args+=(--module "$name") ;;
		n) args+=(--disable "$name") ;;
		\"*\") value=${value#\"}; args+=(--set-str "$name" "${value%\"}") ;;
		*) args+=(--set-val "$name" "$value") ;;
		esac
	done < <(debug_kernel_wanted)
	"$tree/scripts/config" --file "$tree/.config" "${args[@]}"
}

# Fail unless every line of the fragment holds in TREE/.config.
debug_kernel_check_config()
{
	local tree=$1 name value have bad=0

	while read -r name value; do
		have=$(sed -n "s/^CONFIG_$name=//p" "$tree/.config")
		[[ ${have:-n} == "$value" ]] && continue
		debug_kernel_msg "CONFIG_$name is ${have:-not set}, the fragment wants $value"
		bad=1
	done < <(debug_kernel_wanted)
	[[ $bad -eq 0 ]] ||
		{ debug_kernel_msg "the .config lacks what ghost or the lane needs"; return 1; }
}

debug_kernel_configure()
{
	local tree=$1

	make -C "$tree" -s defconfig
	make -C "$tree" -s kvm_guest.config
	debug_kernel_apply_fragment "$tree"
	make -C "$tree" -s olddefconfig
	debug_kernel_check_config "$tree"
}

# Build the image and what external module builds need: `modules` writes
# Module.symvers (and builds the config's modules, if any).  Niced: other
# VMs may be running.
debug_kernel_compile()
{
	local tree=$1 targets=(bzImage modules_prepare modules)

	debug_kernel_msg "make -j$(nproc) ${targets[*]}"
	nice -n 19 make -C "$tree" -j"$(nproc)" "${targets[@]}"
	[[ -s $tree/Module.symvers ]] ||
		{ debug_kernel_msg "the build left no Module.symvers"; return 1; }
}

# Lay out DIR/boot and DIR/lib/modules/KVER like an unpacked image package.
debug_kernel_install()
{
	local dir=$1 tree=$1/build kver=$2 moddir f

	moddir=$dir/lib/modules/$kver
	mkdir -p "$dir/boot" "$moddir/kernel"
	cp "$tree/arch/x86/boot/bzImage" "$dir/boot/vmlinuz-$kver"
	cp "$tree/.config" "$dir/boot/config-$kver"
	cp "$tree/System.map" "$dir/boot/System.map-$kver"
	if grep -q '=m$' "$tree/.config"; then
		make -C "$tree" -s INSTALL_MOD_PATH="$dir" modules_install
	fi
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[[ -f $tree/$f ]] && cp "$tree/$f" "$moddir/$f"
	done
	ln -sfn ../../../build "$moddir/build"
	rm -f "$moddir/source"
}

# Object files are not needed by external module builds: drop them.
debug_kernel_trim()
{
	local tree=$1

	find "$tree" \( -name '*.o' -o -name '.tmp_vmlinux*' \) -type f -delete
	rm -f "$tree/vmlinux.a"
}

# The whole build, from the tarball into DIR; prints the release.
debug_kernel_build_in()
{
	local dir=$1 srcversion=$2 tree=$1/build start=$SECONDS kver secs

	# Variables of an outer make (O=, V=) are not for the kernel's.
	unset MAKEFLAGS MFLAGS MAKELEVEL
	rm -rf "$dir"
	mkdir -p "$tree"
	debug_kernel_msg "unpacking $DEBUG_KERNEL_TARBALL ($srcversion)"
	tar -xJf "$DEBUG_KERNEL_TARBALL" -C "$tree" --strip-components=1
	debug_kernel_configure "$tree"
	debug_kernel_compile "$tree"
	kver=$(cat "$tree/include/config/kernel.release")
	debug_kernel_install "$dir" "$kver"
	debug_kernel_trim "$tree"
	secs=$((SECONDS - start))
	printf '%s\n' "srcversion=$srcversion" "fragment=$(debug_kernel_hash)" \
		"kver=$kver" "seconds=$secs" "date=$(date -u +%FT%TZ)" >"$dir/stamp"
	debug_kernel_msg "built $kver in $secs s ($((secs / 60)) min $((secs % 60)) s)"
}

# Build into DIR with the output in DIR/build.log; show its end on failure.
# The build runs as a script of its own, where `set -e` holds whatever the
# caller does.
debug_kernel_build_logged()
{
	local dir=$1 srcversion=$2 log=$1.log

	debug_kernel_msg "building the $DEBUG_KERNEL_SERIES debug kernel in $dir (log: $dir/build.log)"
	if ! bash "$DEBUG_KERNEL_SCRIPT" build-in "$dir" "$srcversion" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		debug_kernel_msg "the build failed; full log: $log"
		return 1
	fi
	grep '^debug-kernel: built ' "$log" >&2 || true
	mv "$log" "$dir/build.log"
}

# debug_kernel_build [force]: build unless a fresh build is cached; one
# build at a time, runs that wait for it use its result.
debug_kernel_build()
{
	local force=${1:-} dir srcversion

	srcversion=$(debug_kernel_srcversion)
	dir=$(debug_kernel_dir) || return 1
	mkdir -p "$GHOST_CACHE"
	(
		flock 9
		if [[ -z $force ]] && debug_kernel_fresh "$dir"; then
			exit 0
		fi
		debug_kernel_build_logged "$dir" "$srcversion"
	) 9>"$GHOST_CACHE/.debug-$DEBUG_KERNEL_SERIES.lock"
}

debug_kernel_kver()
{
	local dir

	dir=$(debug_kernel_dir) || return 1
	sed -n 's/^kver=//p' "$dir/stamp" 2>/dev/null | grep . ||
		{ debug_kernel_msg "no complete build in $dir"; return 1; }
}

# The build tree of the cached build, for `make -C KDIR M=...`.
debug_kernel_kdir()
{
	local dir

	dir=$(debug_kernel_dir) || return 1
	debug_kernel_kver >/dev/null || return 1
	echo "$dir/build"
}

# debug_kernel_ensure [force]: install the sources, build unless cached,
# print the release.
debug_kernel_ensure()
{
	debug_kernel_install_source || return 1
	debug_kernel_build "${1:-}" || return 1
	debug_kernel_kver
}

debug_kernel_main()
{
	case ${1:-} in
	ensure) debug_kernel_ensure ;;
	rebuild) debug_kernel_ensure force ;;
	kdir) debug_kernel_kdir ;;
	srcversion) debug_kernel_srcversion | grep . ;;
	build-in) debug_kernel_build_in "$2" "$3" ;;	# internal
	*)
		debug_kernel_msg "usage: $0 ensure | rebuild | kdir | srcversion"
		return 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	debug_kernel_main "$@"
fi
