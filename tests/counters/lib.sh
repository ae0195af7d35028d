# shellcheck shell=bash
# numabench counters tests: build a tool from tests/counters/NAME.c with harness/counters/*.c and
# harness/util.c (the only objects it needs), with the Makefile's warning flags.
# Usage: . tests/counters/lib.sh; tool=$(counters_build NAME) || exit 1

COUNTERS_OUT=${BUILD:-build}/tests/counters

counters_build() {
	local name=$1 out=$COUNTERS_OUT/$1 s stale=0
	local srcs=("tests/counters/$name.c" harness/counters/*.c harness/util.c)
	local cflags libs
	for s in "${srcs[@]}" harness/counters.h harness/counters/*.h harness/nb.h; do
		[ "$s" -nt "$out" ] && stale=1
	done
	[ $stale = 0 ] && [ -x "$out" ] && { echo "$out"; return 0; }
	mkdir -p "$COUNTERS_OUT" || return 1
	cflags=$(pkg-config --cflags jansson 2>/dev/null)
	libs=$(pkg-config --libs jansson 2>/dev/null || echo -ljansson)
	# shellcheck disable=SC2086 # pkg-config output is a list of flags
	${CC:-cc} -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wformat=2 \
		-Wno-format-nonliteral -D_GNU_SOURCE -Iharness $cflags -o "$out" "${srcs[@]}" \
		$libs -lpfm -lnuma -lpthread >&2 || return 1
	echo "$out"
}
