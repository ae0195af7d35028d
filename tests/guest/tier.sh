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
#   - promotion cells: pgpromote_success > 0 with numa_balancing 2 and 3, = 0 with 0 and 1;
#     accuracy and time_to_home_s are reported (a number, or null with home false) in every
#     promotion cell, and in `scores`;
#   - baselines: hot set bound fast has accuracy >= 0.95, bound slow <= 0.05;
#   - the demotion cell demotes (pgdemote_kswapd + pgdemote_direct > 0);
#   - every tunable is back to its original value (tunables.after == tunables.before), and the
#     bench put back what it changed (tunables_bench.*.restored and
#     balancing_tunables.*.restored are never false).
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
	python3 - "$1" "$EXPECT_TIERS" <<'EOF'
import json, sys

path, expect = sys.argv[1], sys.argv[2]
d = json.load(open(path))
errors = []
err = errors.append
want = sorted((int(t.split(":")[0]), sorted(int(n) for n in t.split(":")[1].split(",")))
              for t in expect.split())
mt = d.get("topology", {}).get("memory_tiers", {})
got = sorted((t["id"], sorted(t["nodes"])) for t in mt.get("tiers", []))
if got != want:
    err("topology.memory_tiers %s, expected %s" % (got, want))
if mt.get("demotion_enabled") is None:
    err("topology.memory_tiers.demotion_enabled not recorded")
runs = [r for r in d.get("runs", []) if r.get("bench") == "tier"]
if len(runs) != 1:
    print("tier: FAIL: %s: expected one tier run, found %d" % (path, len(runs)))
    sys.exit(1)
r = runs[0]
if r.get("status") not in ("ok", "untrustworthy"):
    err("status %s: %s" % (r.get("status"), r.get("reason")))
tiers = r.get("tiers", {})
ids = [t[0] for t in want]
if tiers.get("fast_tier") != ids[0] or tiers.get("slow_tier") not in ids[1:]:
    err("run tiers %s: fast tier must be %d, slow one of %s" % (tiers, ids[0], ids[1:]))
cells = r.get("cells", [])
seen = set()
for c in cells:
    sc, mode, vm = c.get("scenario"), c.get("balancing"), c.get("vmstat") or {}
    name = "%s balancing=%s%s" % (sc, mode, " bound " + c["bound"] if c.get("bound") else "")
    if c.get("status") in ("failed", "skipped") and sc != "sweep":
        err("%s: %s: %s" % (name, c.get("status"), c.get("reason")))
        continue
    if sc == "promotion":
        seen.add(mode)
        p = vm.get("pgpromote_success")
        if mode in (2, 3) and not (p and p > 0):
            err("%s: pgpromote_success %s, expected > 0" % (name, p))
        if mode in (0, 1) and p != 0:
            err("%s: pgpromote_success %s, expected 0" % (name, p))
        if not isinstance(c.get("accuracy"), (int, float)):
            err("%s: accuracy not reported" % name)
        h = c.get("time_to_home_s")
        if not (isinstance(h, (int, float)) or (h is None and c.get("home") is False)):
            err("%s: time_to_home_s not reported (%s)" % (name, h))
        if not c.get("timeline"):
            err("%s: no placement timeline" % name)
    elif sc == "baseline":
        a = c.get("accuracy")
        ok = a >= 0.95 if c.get("bound") == "fast" else a <= 0.05
        if not ok:
            err("%s: accuracy %s" % (name, a))
    elif sc == "demotion":
        seen.add("demotion")
        dem = (vm.get("pgdemote_kswapd") or 0) + (vm.get("pgdemote_direct") or 0)
        if dem <= 0:
            err("%s: no page demoted (vmstat %s, filler %s)" % (name, vm, c.get("filler")))
for m in (0, 1, 2, 3, "demotion"):
    if m not in seen:
        err("no %s cell" % (("promotion balancing=%d" % m) if m != "demotion" else m))
if not r.get("scores"):
    err("no scores")
for s in r.get("scores", []):
    if "accuracy" not in s or "time_to_home_s" not in s:
        err("scores entry without accuracy/time_to_home_s: %s" % s)
t = d.get("tunables", {})
if t.get("before") != t.get("after"):
    err("tunables after the run %s differ from before %s" % (t.get("after"), t.get("before")))
for k, v in list((r.get("tunables_bench") or {}).items()) + \
        list((r.get("balancing_tunables") or {}).items()):
    if v.get("restored") is False:
        err("the bench did not put back %s" % k)
for e in errors:
    print("tier: FAIL: %s: %s" % (path, e))
if not errors:
    prom = {c["balancing"]: c["vmstat"].get("pgpromote_success") for c in cells
            if c.get("scenario") == "promotion"}
    print("tier: ok: %s: %s" % (path, r.get("headline")))
    print("tier:   pgpromote_success by mode %s" % prom)
sys.exit(1 if errors else 0)
EOF
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
