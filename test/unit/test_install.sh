#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of make install and make uninstall, into a DESTDIR: install
# puts every file where the README says (with Debian's paths too: the
# multiarch LIBDIR, the policies where ghost-agent looks for them), the
# systemd unit and its launcher name the installed paths; uninstall with
# the same variables removes exactly what install put there and the
# directories of ghost's own, and leaves other files (an enclave's conf,
# another program) alone.  Reports as Check does (shtest.sh).
# Usage: O=BUILD_DIR test/unit/test_install.sh

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
o=${O:-build}
[[ $o == /* ]] || o=$root/$o

# shellcheck source=test/unit/shtest.sh disable=SC1091
. test/unit/shtest.sh
st_init test/unit/test_install.sh install

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What make install puts under PREFIX=/usr/local, and in /etc.
expected_local()
{
	cat <<-EOF
	etc/ghost/example.conf.sample
	etc/modprobe.d/ghost.conf
	usr/local/bin/ghost-agent
	usr/local/bin/ghost-sim
	usr/local/bin/ghost-replay
	usr/local/bin/ghostctl
	usr/local/include/linux/ghost.h
	usr/local/lib/libghost.so
	usr/local/lib/libghost.so.0
	usr/local/lib/libghost.so.0.1
	usr/local/lib/pkgconfig/libghost.pc
	usr/local/lib/systemd/system/ghost-agent@.service
	usr/local/libexec/ghost/ghost-agent-service
	usr/local/share/bash-completion/completions/ghostctl
	usr/local/share/man/man1/ghost-sim.1
	usr/local/share/man/man1/ghost-replay.1
	usr/local/share/man/man3/ghost_policy.3
	usr/local/share/man/man7/ghost.7
	usr/local/share/man/man8/ghost-agent.8
	usr/local/share/man/man8/ghostctl.8
	EOF
	# Every public header and every shipped policy.
	(cd agent/include && find ghost -name '*.h' -printf 'usr/local/include/%p\n')
	for p in $(sed -nE 's/^POLICY_NAMES := //p' policies/policies.mk); do
		echo "usr/local/lib/ghost/policies/$p.so"
	done
}

# The files and symbolic links under $1, relative, sorted.
files_in()
{
	(cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | sort)
}

# make_in DESTDIR TARGET VAR=VALUE...: with the Makefile's defaults, not
# the paths of an outer make (debian/rules runs these tests).
make_in()
{
	local dest=$1 target=$2 var unset=()

	shift 2
	for var in MAKEFLAGS MFLAGS MAKELEVEL PREFIX BINDIR LIBDIR INCLUDEDIR \
		   LIBEXECDIR SYSTEMDUNITDIR SYSCONFDIR MANDIR BASH_COMPLETION_DIR; do
		unset+=(-u "$var")
	done
	env "${unset[@]}" make --no-print-directory -C "$root" "$target" \
		O="$o" DESTDIR="$dest" "$@"
}

test_install_files()
{
	local dest=$tmp/local got

	make_in "$dest" install || return 1
	got=$(files_in "$dest")
	if [[ $got != "$(expected_local | sort)" ]]; then
		diff <(expected_local | sort) <(echo "$got")
		return 1
	fi
	[[ $(readlink "$dest/usr/local/lib/libghost.so") == libghost.so.0 &&
	   $(readlink "$dest/usr/local/lib/libghost.so.0") == libghost.so.0.1 ]] ||
		{ echo "bad libghost.so links"; return 1; }
	[[ -x $dest/usr/local/libexec/ghost/ghost-agent-service ]] ||
		{ echo "the launcher is not executable"; return 1; }
}

# The unit and the launcher name the installed paths, nothing is left to
# substitute.
test_install_paths()
{
	local dest=$tmp/local unit launcher

	[[ -d $dest ]] || make_in "$dest" install || return 1
	unit=$dest/usr/local/lib/systemd/system/ghost-agent@.service
	launcher=$dest/usr/local/libexec/ghost/ghost-agent-service
	if grep -n '@[A-Z]*@' "$unit" "$launcher" "$dest/usr/local/lib/pkgconfig/libghost.pc"; then
		echo "unsubstituted variables"
		return 1
	fi
	grep -qx 'ExecStart=/usr/local/libexec/ghost/ghost-agent-service start %i' "$unit" ||
		{ echo "ExecStart: $(grep ExecStart= "$unit")"; return 1; }
	# shellcheck disable=SC2016 # the launcher's text, not expanded
	if ! grep -qx 'conf_dir=${GHOST_CONF_DIR:-/etc/ghost}' "$launcher" ||
	   ! grep -qx 'bindir=${GHOST_BINDIR:-/usr/local/bin}' "$launcher"; then
		echo "launcher paths: $(grep -E '^(conf_dir|bindir)=' "$launcher")"
		return 1
	fi
}

# Debian's layout: libghost in the multiarch directory, the policies where
# ghost-agent (in /usr/bin) looks: ../lib/ghost/policies.
test_install_debian_paths()
{
	local dest=$tmp/deb pc

	make_in "$dest" install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu \
		SYSTEMDUNITDIR=/lib/systemd/system || return 1
	pc=$dest/usr/lib/x86_64-linux-gnu/pkgconfig/libghost.pc
	[[ -f $dest/usr/lib/x86_64-linux-gnu/libghost.so.0.1 &&
	   -f $dest/usr/lib/ghost/policies/fifo_per_cpu.so &&
	   -f $dest/lib/systemd/system/ghost-agent@.service ]] ||
		{ files_in "$dest"; return 1; }
	if ! grep -qx 'libdir=/usr/lib/x86_64-linux-gnu' "$pc" ||
	   ! grep -qx 'includedir=/usr/include' "$pc"; then
		cat "$pc"
		return 1
	fi
	make_in "$dest" uninstall PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu \
		SYSTEMDUNITDIR=/lib/systemd/system || return 1
	[[ -z $(files_in "$dest") ]] || { echo "left: $(files_in "$dest")"; return 1; }
}

test_uninstall()
{
	local dest=$tmp/un left d

	# What was there before, and an enclave's conf written after.
	mkdir -p "$dest/usr/local/bin" "$dest/etc/modprobe.d"
	touch "$dest/usr/local/bin/other" "$dest/etc/modprobe.d/other.conf"
	make_in "$dest" install || return 1
	echo "CPUS=1" >"$dest/etc/ghost/web.conf"
	make_in "$dest" uninstall || return 1
	left=$(files_in "$dest")
	if [[ $left != "$(printf '%s\n' etc/ghost/web.conf etc/modprobe.d/other.conf usr/local/bin/other)" ]]; then
		echo "left after uninstall: ${left//$'\n'/ }"
		return 1
	fi
	for d in usr/local/lib/ghost usr/local/include/ghost usr/local/libexec/ghost; do
		[[ ! -e $dest/$d ]] || { echo "$d is left"; return 1; }
	done
	rm "$dest/etc/ghost/web.conf"
	make_in "$dest" uninstall || return 1
	[[ ! -e $dest/etc/ghost ]] || { echo "an empty etc/ghost is left"; return 1; }
}

st_run install_files test_install_files
st_run install_paths test_install_paths
st_run install_debian_paths test_install_debian_paths
st_run uninstall test_uninstall
st_report
