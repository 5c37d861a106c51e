#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, end to end (the "deb" lane of make check):
#
#   build      make deb (the unit tests are left to the unit lane)
#   lintian    no error or warning on the four packages
#   root       the clean root (below), mounted
#   install    apt-get install ./ghost-*.deb into a clean Debian root that
#              has DKMS, gcc, make and the headers of the VM lanes' kernels
#   files      dpkg -L of each package is what it should ship
#   dkms       DKMS built and installed ghost.ko for every lane's kernel,
#              not only the (pretended) running one
#   run        the installed programs find libghost and the policies, the
#              service's launcher reads a conf, the unit verifies, a
#              program and a policy build against libghost-dev
#   remove     apt-get remove takes the module out of DKMS and every
#              kernel; purge leaves no ghost file anywhere
#
# The clean root is made once with mmdebstrap from this machine's apt
# sources and package cache, and kept in $GHOST_CACHE/deb-root/<key> (the
# key covers the packages, the kernels among them, the apt sources and how
# the root is made): each run installs into a throw-away overlay of it.  Needs root.  Ends with the durations and a
# line "N passed, N failed, N skipped".

set -euo pipefail

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=test/vm/kernels.sh disable=SC1091
. "$root_dir/test/vm/kernels.sh"

o=${O:-build}
[[ $o == /* ]] || o=$root_dir/$o
out=$o/deb
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root_dir/dkms.conf")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
packages=(ghost-dkms ghost-tools libghost0 libghost-dev)
# What the clean root has besides apt: what DKMS needs to build, what the
# checks use, and the lanes' headers (added by base_path).
base_include=(dkms gcc make libc6-dev pkg-config systemd debian-archive-keyring)
apt_cache=/var/cache/apt/archives

npass=0
nfail=0
nskip=0
times=()
kvers=()
work=
chroot_dir=
base=
suite=
include=()
sources=()

msg()
{
	echo "deb: $*" >&2
}

# step NAME FUNCTION [needed]: one test.  FUNCTION runs in a subshell of
# its own, where set -e holds.  Once a step that the rest need fails, they
# are skipped.
broken=
step()
{
	local name=$1 start=$SECONDS rc=0 log

	if [[ -n $broken ]]; then
		echo "SKIP: $name (after $broken failed)"
		nskip=$((nskip + 1))
		return 0
	fi
	log=$(mktemp)
	echo "==== $name"
	# In the background: set -e would be off in a "|| rc=$?" context.
	"$2" >"$log" 2>&1 &
	wait $! || rc=$?
	times+=("$name: $((SECONDS - start)) s")
	if [[ $rc -eq 0 ]]; then
		echo "PASS: $name ($((SECONDS - start)) s)"
		npass=$((npass + 1))
	else
		tail -n 60 "$log"
		echo "FAIL: $name ($((SECONDS - start)) s)"
		nfail=$((nfail + 1))
		[[ ${3:-} != needed ]] || broken=$name
	fi
	rm -f "$log"
}

# Run a command in the root, with a clean environment.
in_root()
{
	chroot "$chroot_dir" env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
}

pkg_file()
{
	local f

	for f in "$out/$1_${version}_all.deb" "$out/$1_${version}_$arch.deb"; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	echo "no $1 package in $out" >&2
	return 1
}

# ------------------------------------------------------------------------
# build, lintian
# ------------------------------------------------------------------------

test_build()
{
	local p

	# The unit lane runs the unit tests.
	DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
		make --no-print-directory -C "$root_dir" deb O="$o"
	for p in "${packages[@]}"; do
		pkg_file "$p"
	done
}

test_lintian()
{
	local debs=() p

	for p in "${packages[@]}"; do
		debs+=("$(pkg_file "$p")")
	done
	# Errors and warnings fail; overrides carry their reason.
	lintian --fail-on error,warning --display-level '>=warning' "${debs[@]}"
}

# ------------------------------------------------------------------------
# The clean root
# ------------------------------------------------------------------------

# The kernels of the VM lanes that have headers packages.
lane_kernels()
{
	local lane kver

	for lane in $(kernels_lanes); do
		debug_kernel_is_lane "$lane" && continue
		kver=$(kernels_resolve "$lane") || return 1
		echo "$kver"
	done
}

# This machine's apt sources, for the root: same archive, same lists.
host_sources()
{
	local f

	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		 /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && grep -qvE '^[[:space:]]*(#|$)' "$f" && echo "$f"
	done
	return 0
}

# The packages of the clean root and its place in the cache, keyed by
# them, the apt sources and how it is made; sets include, sources and base.
base_path()
{
	local f key

	# shellcheck source=/dev/null
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	include=("${base_include[@]}")
	for f in "${kvers[@]}"; do
		include+=("linux-headers-$f")
	done
	mapfile -t sources < <(host_sources)
	[[ ${#sources[@]} -gt 0 ]] || { msg "no apt sources"; return 1; }
	key=$({ echo "$suite ${include[*]}"; cat "${sources[@]}"; declare -f make_base; } |
		sha256sum | cut -c1-16)
	base=$GHOST_CACHE/deb-root/$key
}

# Make the clean root unless the cache has it.
make_base()
{
	local tmp=$base.tmp

	mkdir -p "$GHOST_CACHE/deb-root"
	# One run at a time makes it.
	exec 8>"$GHOST_CACHE/deb-root.lock"
	flock -w 3600 8
	[[ -f $base/.complete ]] && return 0
	msg "making a clean $suite root with ${include[*]} in $base"
	# Roots for other kernels are stale.
	find "$GHOST_CACHE/deb-root" -mindepth 1 -maxdepth 1 -exec rm -rf \
		--one-file-system {} +
	# The packages come from this machine's cache when they are there,
	# as hard links (the cache and the root share a file system, or
	# they are downloaded); new downloads go back to the cache.  No
	# initramfs for the kernel that the 6.12 headers pull in, no manual
	# pages or translations of the packages of the root: they take
	# minutes; the packages under test still get all of theirs.
	# shellcheck disable=SC2016 # the hooks' $1 is theirs
	mmdebstrap --mode=root --variant=apt --format=directory \
		--include="$(IFS=,; echo "${include[*]}")" \
		--skip=download/empty --skip=essential/unlink \
		--essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
		--essential-hook='printf "path-exclude=%s\n" "/usr/share/man/*" "/usr/share/locale/*" "/usr/share/doc/*" >"$1/etc/dpkg/dpkg.cfg.d/ghost-test-nodoc"' \
		--customize-hook='rm "$1/etc/dpkg/dpkg.cfg.d/ghost-test-nodoc"' \
		--setup-hook="mkdir -p \"\$1$apt_cache\" && { cp -al $apt_cache/*.deb \"\$1$apt_cache/\" 2>/dev/null || true; }" \
		--customize-hook="for f in \"\$1\"$apt_cache/*.deb; do [ -e $apt_cache/\${f##*/} ] || cp \"\$f\" $apt_cache/ || true; done" \
		"$suite" "$tmp" "${sources[@]}"
	touch "$tmp/.complete"
	mv "$tmp" "$base"
}

# A throw-away overlay of the clean root, with /proc, /dev and this
# machine's package lists.
mount_root()
{
	mkdir "$work/upper" "$work/work" "$work/root"
	mount -t overlay overlay -o \
		"lowerdir=$base,upperdir=$work/upper,workdir=$work/work" "$chroot_dir"
	mount -t proc proc "$chroot_dir/proc"
	mount --bind /dev "$chroot_dir/dev"
	cp -a /var/lib/apt/lists/. "$chroot_dir/var/lib/apt/lists/"
	rm -f "$chroot_dir/var/lib/apt/lists/lock"
}

cleanup()
{
	local m

	[[ -n $work ]] || return 0
	for m in "$chroot_dir/dev" "$chroot_dir/proc" "$chroot_dir"; do
		mountpoint -q "$m" && umount "$m"
	done
	# Never through a mount that is still there.
	mountpoint -q "$chroot_dir" || rm -rf --one-file-system "$work"
}

test_root()
{
	make_base
	mount_root
}

test_install()
{
	local p f debs=()

	mkdir -p "$chroot_dir/tmp/debs"
	for p in "${packages[@]}"; do
		cp "$(pkg_file "$p")" "$chroot_dir/tmp/debs/"
		debs+=("/tmp/debs/$(basename "$(pkg_file "$p")")")
	done
	# What else they need, from this machine's cache when it is there
	# (copies: its lock is not the root's).
	mkdir -p "$chroot_dir$apt_cache"
	for f in $(in_root apt-get install -qq --print-uris --no-install-recommends \
			"${debs[@]}" | awk '{ print $2 }'); do
		[[ ! -f $apt_cache/$f ]] || cp "$apt_cache/$f" "$chroot_dir$apt_cache/"
	done
	# Boot the root's newest kernel, as it were: DKMS alone would then
	# build for that one only, ghost-dkms asks for every kernel.  (apt
	# runs dpkg with a PATH of its own.)
	cat >"$chroot_dir/usr/local/bin/uname" <<-EOF
	#!/bin/sh
	[ "\$1" = -r ] && { echo ${kvers[-1]}; exit 0; }
	exec /bin/uname "\$@"
	EOF
	chmod 0755 "$chroot_dir/usr/local/bin/uname"
	[[ $(in_root uname -r) == "${kvers[-1]}" ]]
	in_root apt-get install -y --no-install-recommends \
		-o DPkg::Path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"${debs[@]}"
	rm "$chroot_dir/usr/local/bin/uname"
	for p in "${packages[@]}"; do
		# shellcheck disable=SC2016 # dpkg-query's field
		[[ $(in_root dpkg-query -W -f='${db:Status-Abbrev}' "$p") == ii* ]] ||
			{ echo "$p is not installed"; return 1; }
	done
}

# ------------------------------------------------------------------------
# What is installed
# ------------------------------------------------------------------------

# The files and links of package $1 in the root, sorted.
pkg_files()
{
	local f

	in_root dpkg -L "$1" | while read -r f; do
		# not /lib, a link to a directory on a merged /usr
		[[ ! -d $chroot_dir$f ]] && [[ -f $chroot_dir$f || -L $chroot_dir$f ]] &&
			echo "$f"
	done | sort
}

expected_files()
{
	local doc=/usr/share/doc/$1 src

	case $1 in
	ghost-dkms)
		# What make dkms-install would stage.
		src=$(mktemp -d)
		"$root_dir/scripts/dkms.sh" stage "$src/ghost-$version" >/dev/null
		(cd "$src" && find . -type f -printf '/usr/src/%P\n')
		rm -rf "$src"
		;;
	ghost-tools)
		cat <<-EOF
		/etc/ghost/example.conf.sample
		/etc/modprobe.d/ghost.conf
		/lib/systemd/system/ghost-agent@.service
		/usr/bin/ghost-agent
		/usr/bin/ghost-sim
		/usr/bin/ghost-replay
		/usr/bin/ghostctl
		/usr/libexec/ghost/ghost-agent-service
		/usr/libexec/ghost/simple_exp
		/usr/share/bash-completion/completions/ghostctl
		/usr/share/lintian/overrides/ghost-tools
		/usr/share/man/man1/ghost-sim.1.gz
		/usr/share/man/man1/ghost-replay.1.gz
		/usr/share/man/man7/ghost.7.gz
		/usr/share/man/man8/ghost-agent.8.gz
		/usr/share/man/man8/ghostctl.8.gz
		EOF
		for p in $(sed -nE 's/^POLICY_NAMES := //p' \
			"$root_dir/policies/policies.mk"); do
			echo "/usr/lib/ghost/policies/$p.so"
		done
		;;
	libghost0)
		cat <<-EOF
		/usr/lib/$multiarch/libghost.so.0
		/usr/lib/$multiarch/libghost.so.0.1
		EOF
		;;
	libghost-dev)
		(cd "$root_dir/agent/include" && find ghost -name '*.h' -printf '/usr/include/%p\n')
		cat <<-EOF
		/usr/include/linux/ghost.h
		/usr/lib/$multiarch/libghost.so
		/usr/lib/$multiarch/pkgconfig/libghost.pc
		/usr/share/man/man3/ghost_policy.3.gz
		EOF
		;;
	esac
	printf '%s\n' "$doc/changelog.gz" "$doc/copyright"
}

test_files()
{
	local p want got rc=0

	for p in "${packages[@]}"; do
		want=$(expected_files "$p" | sort)
		got=$(pkg_files "$p")
		if [[ $got != "$want" ]]; then
			echo "$p ships (>) other files than it should (<):"
			diff <(echo "$want") <(echo "$got") || true
			rc=1
		fi
	done
	return $rc
}

# A regular expression matching the string $1.
re()
{
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|/]/\\&/g'
}

# DKMS built and installed the module for every lane's kernel, for that
# kernel.
test_dkms()
{
	local kver status ko magic rc=0

	status=$(in_root dkms status ghost)
	echo "$status"
	for kver in "${kvers[@]}"; do
		# "ghost/0.1.0, 6.1.0-57-amd64, x86_64: installed"
		if ! grep -qxE "ghost/$(re "$version"), $(re "$kver"), [^:]*: installed" \
				<<<"$status"; then
			echo "dkms status: ghost is not installed for $kver"
			rc=1
			continue
		fi
		ko=$(cd "$chroot_dir" && ls lib/modules/"$kver"/updates/dkms/ghost.ko* 2>/dev/null) ||
			{ echo "no ghost.ko in /lib/modules/$kver/updates/dkms"; rc=1; continue; }
		magic=$(in_root modinfo -F vermagic "/$ko")
		[[ $magic == "$kver "* ]] ||
			{ echo "/$ko: vermagic '$magic', not for $kver"; rc=1; }
	done
	return $rc
}

# ------------------------------------------------------------------------
# Using what is installed
# ------------------------------------------------------------------------

test_run()
{
	local got want

	# No RPATH: libghost is found in the multiarch directory.
	in_root ghost-agent --version | grep -qx "ghost-agent $version"
	in_root ghostctl --version
	in_root /usr/libexec/ghost/simple_exp -h >/dev/null
	# ghost-agent looks for policies in ../lib/ghost/policies.
	[[ -f $chroot_dir/usr/lib/ghost/policies/fifo_per_cpu.so ]]

	# The service: the shipped example as enclave 1, the unit verified.
	cp "$chroot_dir/etc/ghost/example.conf.sample" "$chroot_dir/etc/ghost/1.conf"
	got=$(in_root /usr/libexec/ghost/ghost-agent-service --dry-run start 1 | tr '\n' ' ')
	want="/usr/bin/ghost-agent --enclave 1 --cpus 2-3 --policy fifo_per_cpu "
	[[ $got == "$want" ]] || { echo "launcher: [$got], want [$want]"; return 1; }
	rm "$chroot_dir/etc/ghost/1.conf"
	got=$(in_root systemd-analyze verify --man=no ghost-agent@1.service 2>&1) ||
		{ echo "$got"; return 1; }
	[[ -z $got ]] || { echo "systemd-analyze verify: $got"; return 1; }

	# A program and a policy (ghost_policy(3)'s example) against
	# libghost-dev: its headers, pkg-config file and .so link (and
	# simple_exp's one header of its own, beside it).
	mkdir -p "$chroot_dir/tmp/dev"
	cp "$root_dir/test/simple_exp/simple_exp.c" \
		"$root_dir/test/include/still_look.h" "$chroot_dir/tmp/dev/"
	"$root_dir/test/unit/man-example.sh" "$root_dir/doc/man/ghost_policy.3" \
		>"$chroot_dir/tmp/dev/policy.c"
	# shellcheck disable=SC2016 # expanded in the root
	in_root sh -ec 'cd /tmp/dev
		gcc -Wall -Werror -D_GNU_SOURCE $(pkg-config --cflags libghost) -o simple_exp \
			simple_exp.c $(pkg-config --libs libghost) -lpthread
		./simple_exp -h >/dev/null
		gcc -Wall -Werror -fPIC -shared -Wl,--no-undefined \
			$(pkg-config --cflags libghost) -o policy.so policy.c'
}

# What of ghost is left: every path with "ghost" in it, but in the root's
# /tmp (the packages) and the apt cache.
ghost_leftovers()
{
	(cd "$chroot_dir" && find . -path ./tmp -prune -o -path ./proc -prune \
		-o -path ./dev -prune -o -path ./var/cache/apt -prune \
		-o \( -ipath '*ghost*' -print \)) | sort
}

test_remove()
{
	local left kver known

	in_root apt-get remove -y "${packages[@]}"
	[[ ! -e $chroot_dir/var/lib/dkms/ghost ]] ||
		{ echo "/var/lib/dkms/ghost is left"; ls -R "$chroot_dir/var/lib/dkms/ghost"; return 1; }
	[[ -z $(compgen -G "$chroot_dir/usr/src/ghost-*") ]] ||
		{ echo "left in /usr/src: $(ls -d "$chroot_dir"/usr/src/ghost-*)"; return 1; }
	for kver in "${kvers[@]}"; do
		[[ -z $(compgen -G "$chroot_dir/lib/modules/$kver/updates/dkms/ghost.ko*") ]] ||
			{ echo "ghost.ko is left for $kver"; return 1; }
	done
	# Only the conffiles stay until purge, and dpkg's record of them.
	left=$(ghost_leftovers | grep -vE '^\./var/lib/dpkg/info/ghost-tools\.' |
		tr '\n' ' ')
	[[ $left == "./etc/ghost ./etc/ghost/example.conf.sample ./etc/modprobe.d/ghost.conf " ]] ||
		{ echo "after remove: $left"; return 1; }
	# Only ghost-tools has conffiles, and is left to purge (status "rc";
	# the others are "rn", not installed).
	# shellcheck disable=SC2016 # dpkg-query's fields
	mapfile -t known < <(in_root dpkg-query -W \
		-f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
		awk 'substr($1, 2, 1) != "n" { print $2 }')
	[[ ${known[*]} == ghost-tools ]] || { echo "known to dpkg after remove: ${known[*]}"; return 1; }
	in_root apt-get purge -y "${known[@]}"
	left=$(ghost_leftovers)
	[[ -z $left ]] || { echo "after purge: $left"; return 1; }
	# shellcheck disable=SC2016 # dpkg-query's fields
	# (dpkg-query fails when it knows none of them)
	left=$({ in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
		"${packages[@]}" 2>/dev/null || true; } | awk 'substr($1, 2, 1) != "n"')
	[[ -z $left ]] || { echo "dpkg still knows: $left"; return 1; }
}

main()
{
	local start=$SECONDS t out_kvers

	[[ $EUID -eq 0 ]] || { msg "needs root (chroot, mounts)"; echo "0 passed, 1 failed"; return 1; }
	[[ -n $version ]] || { msg "no PACKAGE_VERSION in dkms.conf"; return 1; }
	out_kvers=$(lane_kernels | sort -V) || { echo "0 passed, 1 failed"; return 1; }
	mapfile -t kvers <<<"$out_kvers"
	msg "kernels: ${kvers[*]}"
	base_path || { echo "0 passed, 1 failed"; return 1; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/ghost-deb.XXXXXX")
	chroot_dir=$work/root
	trap cleanup EXIT

	step build test_build needed
	step lintian test_lintian
	step root test_root needed
	step install test_install needed
	step files test_files
	step dkms test_dkms
	step run test_run
	step remove test_remove

	for t in "${times[@]}"; do
		echo "$t"
	done
	echo "lane deb: $((SECONDS - start)) s"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[[ $nfail -eq 0 ]]
}

main "$@"
