#!/bin/bash
# numabench counters: cost of a counter read against clock_gettime (for `make bench`).
# Usage: bash tests/counters/bench.sh [--json] [ITERATIONS]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/counters/lib.sh
tool=$(counters_build bench_read) || { echo "counters bench: build failed" >&2; exit 1; }
exec "$tool" "$@"
