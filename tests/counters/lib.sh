# shellcheck shell=bash
# numabench counters tests: the tool tests/counters/NAME.c, built by the Makefile (one build:
# the same sources, flags and libraries as numabench).
# Usage: . tests/counters/lib.sh; tool=$(counters_build NAME) || exit 1

counters_build() {
	local out=${BUILD:-build}/tests/counters/$1
	make -s "$out" BUILD="${BUILD:-build}" >&2 || return 1
	echo "$out"
}
