#!/bin/bash
# The `tier` bench in a QEMU guest with an HMAT slow memory-only node (issue 15).
#
#   tests/guest/tier.sh BIN
#
# For each kernel in KERNELS (default 6.12): boots `BIN guest --kernel K --topology TOPOLOGY --
# run tier ARGS` and checks, from the results JSON only:
#   - the topology's memory tiers are the ones the kernel shows for this topology (EXPECT_TIERS,
#     default "4:0,1 84:2": memory_tier4 holds nodes 0-1, memory_tier84 node 2) and the run's
#     `tiers` names a fast node of the top tier and a slow node of a lower one;
#   - promotion cells: pgpromote_success > 0 with numa_balancing 2 and 3; the controls (0 and
#     1) judged by the buffer's own pages (cell buffer_pages: the sampled pages' nodes against
#     the node each set was placed on): at 0 no page moves, at 1 only hot pages, to the fast
#     node; vmstat pgpromote_success is system-wide (every process, pages marked before the
#     trial) and only context there; accuracy and time_to_home_s are reported (a number, or
#     null with home false) in every promotion cell, and in `scores`;
#   - baselines: hot set bound fast has accuracy >= 0.95, bound slow <= 0.05;
#   - the demotion cell demotes (pgdemote_kswapd + pgdemote_direct > 0);
#   - every tunable is back to its original value (tunables.after == tunables.before), and the
#     bench put back what it changed (tunables_bench.*.restored and
#     balancing_tunables.*.restored are never false).
# The checks are `check.py tier` (tests/guest/check_test.py breaks them one way at a time).
# Exits 77 (skip) when the guest runner is not built or cannot run here. Prints the wall time.
# Node ids are the guest kernel's: it numbers nodes in SRAT order, CPU nodes first, so a QEMU
# memory-only node listed before a CPU node gets a higher id (4node-2slow:
# EXPECT_TIERS="4:0,1 28:2 281:3").
# Environment: KERNELS, TOPOLOGY (default 3node-tier), EXPECT_TIERS, TIER_ARGS (extra `run`
# arguments), OUTDIR (kept results; default a temporary folder).
set -u

BIN=${1:?usage: $0 BIN}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KERNELS=${KERNELS:-6.12}
TOPOLOGY=${TOPOLOGY:-3node-tier}
EXPECT_TIERS=${EXPECT_TIERS:-4:0,1 84:2}
TIER_ARGS=${TIER_ARGS:---set tier.hot_size=8M --set tier.cold_size=16M --set tier.duration_s=6 --set tier.interval_ms=250}
OUTDIR=${OUTDIR:-$(mktemp -d /tmp/numabench-tier.XXXXXX)}
mkdir -p "$OUTDIR"
export NUMABENCH_DATA=${NUMABENCH_DATA:-$ROOT}

skip() {
	echo "tier: SKIP: $*"
	exit 77
}
command -v python3 >/dev/null || skip "needs python3 to check JSON"
"$BIN" guest --help >/dev/null 2>&1 || skip "numabench guest is not available"

check() {
	local out rc
	out=$(python3 "$HERE/check.py" tier "$1" "$EXPECT_TIERS")
	rc=$?
	local pre="tier: "
	[ "$rc" = 0 ] || pre="tier: FAIL: $1: "
	printf '%s\n' "$out" | while IFS= read -r l; do printf '%s%s\n' "$pre" "$l"; done
	return "$rc"
}

rc=0
t_all=$(date +%s)
for k in $KERNELS; do
	out=$OUTDIR/tier-$TOPOLOGY-$k.json
	t0=$(date +%s)
	# shellcheck disable=SC2086 # TIER_ARGS is a list of arguments
	"$BIN" guest --kernel "$k" --topology "$TOPOLOGY" -o "$out" -- run tier $TIER_ARGS \
		>"$OUTDIR/tier-$k.log" 2>&1
	grc=$?
	t1=$(date +%s)
	if [ ! -s "$out" ]; then
		echo "tier: FAIL: $k: no results (guest exit $grc, log $OUTDIR/tier-$k.log)"
		rc=1
		continue
	fi
	check "$out" || rc=1
	echo "tier: $k: guest exit $grc, $((t1 - t0)) s"
done
echo "tier: wall time $(($(date +%s) - t_all)) s; results in $OUTDIR"
exit $rc
