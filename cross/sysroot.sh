#!/bin/bash
# numabench: the arm64 sysroot for `make ARCH=arm64` and the arm64 guest packages, without
# touching the host's packages. A private apt state (its own lists, arm64 only, no dpkg status)
# under CACHE/apt-arm64 downloads Debian's arm64 .debs; dpkg -x unpacks the libraries into
# SYSROOT. Nothing is installed: the host's dpkg database and apt lists are never written.
#   cross/sysroot.sh CACHE SYSROOT
# CACHE/apt-arm64/apt.conf is also what `numabench guest --arch arm64` hands apt-get/apt-cache
# (-c) to find and fetch the arm64 kernels and busybox-static.
set -euo pipefail
cache=$(mkdir -p "$1" && cd "$1" && pwd)
sysroot=$2
apt=$cache/apt-arm64
pkgs="libnuma-dev libnuma1 libhwloc-dev libhwloc15 libpfm4 libpfm4-dev libjansson-dev libjansson4"
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/sources" "$apt/debs"
touch "$apt/state/status"
# The host's Debian sources (same mirror and suites), for arm64.
rm -f "$apt"/sources/*
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -qs debian "$f" && cp "$f" "$apt/sources/"
done
[ -s /etc/apt/sources.list ] && grep -qs debian /etc/apt/sources.list &&
	cp /etc/apt/sources.list "$apt/sources/host.list"
cat >"$apt/apt.conf" <<CONF
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$apt/sources";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
Debug::NoLocking "1";
APT::Sandbox::User "root";
CONF
if ! ls "$apt"/state/lists/*Packages* >/dev/null 2>&1 || [ -n "${NB_APT_UPDATE:-}" ]; then
	echo "cross/sysroot.sh: apt-get update of the arm64 package lists (private, in $apt)"
	apt-get -c "$apt/apt.conf" update -qq
fi
if [ ! -f "$sysroot/.complete" ]; then
	rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
	(cd "$apt/debs" && rm -f ./*.deb && apt-get -c "$apt/apt.conf" download -q $pkgs >/dev/null)
	for d in "$apt"/debs/*.deb; do dpkg -x "$d" "$sysroot.tmp"; done
	for l in numa hwloc pfm jansson; do
		[ -f "$sysroot.tmp/usr/lib/aarch64-linux-gnu/lib$l.a" ] ||
			{ echo "cross/sysroot.sh: lib$l.a missing from the arm64 packages" >&2; exit 1; }
	done
	(cd "$apt/debs" && ls ./*.deb | sed 's,^\./,,') >"$sysroot.tmp/.complete"
	rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
	echo "cross/sysroot.sh: arm64 sysroot in $sysroot"
fi
