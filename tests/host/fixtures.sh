#!/bin/bash
# Replays the captured guest trees (tests/fixtures/guests/*/root, captured by
# tests/fixtures/recapture.sh) through NUMABENCH_FSROOT (handed to hwloc as HWLOC_FSROOT) and
# checks that `numabench topo --json` derives what the guest itself printed (expected.json).
# Usage: tests/host/fixtures.sh ./numabench [FIXTURE-DIR...]
set -u
NB=$(realpath "${1:-./numabench}")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
t_init fixtures
[ $# -gt 0 ] || set -- "$HERE"/../fixtures/guests/*/
for d in "$@"; do
	d=${d%/}
	name=$(basename "$d")
	if ! NUMABENCH_FSROOT=$d/root "$NB" topo --json >"$T/$name.json" 2>"$T/$name.err"; then
		bad "$name: topo --json failed in the replay: $(head -1 "$T/$name.err")"
		continue
	fi
	if why=$(python3 "$HERE/check_fixture.py" "$d/expected.json" "$T/$name.json" 2>&1); then
		ok "$name: the replay derives what the guest printed ($why)"
	else
		bad "$name: the replay differs from the guest's own topo --json:"
		echo "$why" | sed 's/^/     /'
	fi
done
t_done
