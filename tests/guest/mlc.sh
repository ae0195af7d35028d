#!/bin/bash
# Guest test of the MLC-class benches (issue 14): loaded, c2c and migrate in a NUMA guest,
# checked through their JSON by tests/host/check_mlc.py (migrate moves exactly the pages asked,
# by the move_pages query and numa_maps; loaded and c2c cells with placement verified; timing
# checks skipped under TCG).
#   tests/guest/mlc.sh [NUMABENCH] [TOPOLOGY] [KERNEL]      (default ./numabench 2node 6.12)
# One guest: ~30 s under TCG on the development VM (2node, 6.12), ~3 min for 4node-asym on 6.1
# (kernel download included). Not part of make check.
set -u
NB=${1:-./numabench}
TOPO=${2:-2node}
KERNEL=${3:-6.12}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d /tmp/numabench-mlc.XXXXXX)
"$NB" guest --kernel "$KERNEL" --topology "$TOPO" -o "$OUT/mlc.json" -- run loaded c2c migrate \
	--quick --set migrate.size=4M --set loaded.size=8M --set loaded.inj_size=4M \
	--set loaded.loads=20000 --set loaded.mix=read,ntwrite --set loaded.delay=0,1000 \
	--set c2c.rounds=5 --set c2c.pingpong=50 >"$OUT/guest.out" 2>&1
rc=$?
if [ ! -s "$OUT/mlc.json" ]; then
	echo "FAIL mlc $TOPO $KERNEL: no results (exit $rc), see $OUT"
	exit 1
fi
if python3 "$HERE/../host/check_mlc.py" "$OUT/mlc.json" >"$OUT/check.txt"; then
	echo "PASS mlc $TOPO $KERNEL: $(grep -c '^ok' "$OUT/check.txt") checks (exit $rc)"
	rm -rf "$OUT"
	exit 0
fi
grep FAIL "$OUT/check.txt" | head -5
echo "FAIL mlc $TOPO $KERNEL: kept $OUT"
exit 1
