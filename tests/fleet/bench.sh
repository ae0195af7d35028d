#!/bin/bash
# make fleet-bench (part of make bench): `numabench fleet` over about 1000 results files of a
# made-up fleet (make-fleet.py), timed, with its peak memory. Goal: under 10 s on the 2-core
# development VM, memory bounded by the summaries (not the files). Prints, never fails on time.
# usage: bash tests/fleet/bench.sh ./numabench [HOSTS_PER_CLASS]  (default 385: ~1000 files)
set -euo pipefail
bin=$(realpath "${1:?usage: bench.sh NUMABENCH [HOSTS_PER_CLASS]}")
hosts=${2:-385}
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/nbfleetbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
python3 tests/fleet/make-fleet.py "$T/fleet/files" --hosts "$hosts"
n=$(ls "$T/fleet/files" | wc -l)
mb=$(du -sm "$T/fleet/files" | cut -f1)
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$T/rss" "$bin" fleet "$T/fleet/files" --format json -o "$T/fleet.json"
end=$(date +%s.%N)
python3 tests/fleet/check.py "$T/fleet.json" "$T/fleet/expected.json" && verdict="planted hosts found" ||
	verdict="CHECK FAILED"
printf 'fleet: %d files (%d MB) in %.2f s, peak RSS %d MiB (goal: < 10 s); %s\n' "$n" "$mb" \
	"$(echo "$end - $start" | bc -l)" $(($(cat "$T/rss") / 1024)) "$verdict"
