#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian packages (make deb): ghost-dkms, ghost-tools, libghost0
# and libghost-dev.
#
#   deb.sh OUT
#
# Copies the sources (those git tracks or would track; in a tree without
# git, every file but build outputs) to OUT/ghost-<version>, writes
# debian/changelog there with dkms.conf's PACKAGE_VERSION, the one place
# the version is set, and runs dpkg-buildpackage in the copy: the .deb
# files land in OUT, the tree stays clean.  DEB_BUILD_OPTIONS passes
# through (nocheck skips the unit tests of the build).

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die()
{
	echo "deb.sh: $*" >&2
	exit 1
}

source_files()
{
	if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$root" ls-files -z --cached --others --exclude-standard
	else
		(cd "$root" && find . \( -name .git -o -path "./${out#"$root"/}" \
			-o -path ./build \) -prune -o -type f \
			! -name '*.o' ! -name '*.ko' ! -name '*.so' -printf '%P\0')
	fi
}

# The date of the last commit, so that the same tree builds the same
# packages; now, outside git.
changelog_date()
{
	git -C "$root" log -1 --format=%cD 2>/dev/null || date -R
}

write_changelog()
{
	local maint

	maint=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
	cat >"$src/debian/changelog" <<-EOF
	ghost ($version) unstable; urgency=medium

	  * Built from the ghost source tree ($version).

	 -- $maint  $(changelog_date)
	EOF
}

main()
{
	local f

	[[ $# -eq 1 ]] || die "usage: $0 OUT"
	out=$(mkdir -p "$1" && cd "$1" && pwd)
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$root/dkms.conf")
	[[ -n $version ]] || die "no PACKAGE_VERSION in $root/dkms.conf"
	if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
		die "needs dpkg-dev, debhelper and dh-dkms (scripts/install-deps.sh)"
	fi

	src=$out/ghost-$version
	rm -rf "$src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
	mkdir -p "$src"
	while IFS= read -r -d '' f; do
		# git lists files deleted from the work tree until committed
		[[ -f $root/$f ]] || continue
		mkdir -p "$src/$(dirname "$f")"
		cp -p "$root/$f" "$src/$f"
	done < <(source_files)
	[[ -x $src/debian/rules ]] || die "no debian/rules in the copy $src"
	write_changelog

	(cd "$src" && dpkg-buildpackage -us -uc -b) ||
		die "dpkg-buildpackage failed in $src"
	ls "$out"/*.deb
}

main "$@"
