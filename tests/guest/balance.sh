#!/bin/bash
# The `balance` bench in 2-node QEMU guests (issue 4).
#
#   tests/guest/balance.sh BIN
#
# For each kernel in KERNELS (default "6.1 6.12"): boots `BIN guest --kernel K --topology
# TOPOLOGY -- run balance ARGS` and checks, from the results JSON only:
#   - the run is ok (not skipped, failed or untrustworthy);
#   - remote buffer, threads pinned, balancing=1 (and 3): every repetition reaches 90% local
#     (convergence_s is a number) and migrates pages (numa_pages_migrated > 0);
#   - balancing=0 and the hard-bound baselines: no buffer page arrived on another node
#     (numa_maps) in any repetition and the placement at the end equals the placement at the
#     start (numa_pages_migrated is system-wide: other tasks' pages marked earlier may move);
#   - numa_maps placement change and numa_pages_migrated agree (cross_check) in every repetition;
#   - every tunable is back to its original value (tunables.after == tunables.before) and the
#     bench put back what it lowered for its own runs.
# Exits 77 (skip) when the guest runner is not built or cannot run here.
# Environment: KERNELS, TOPOLOGY (default 2node), BALANCE_ARGS (extra `run` arguments, e.g.
# "--set balance.duration_s=4"), OUTDIR (kept results; default a temporary folder).
set -u

BIN=${1:?usage: $0 BIN}
KERNELS=${KERNELS:-6.1 6.12}
TOPOLOGY=${TOPOLOGY:-2node}
BALANCE_ARGS=${BALANCE_ARGS:-}
OUTDIR=${OUTDIR:-$(mktemp -d /tmp/numabench-balance.XXXXXX)}
mkdir -p "$OUTDIR"

skip() {
	echo "balance: SKIP: $*"
	exit 77
}
command -v python3 >/dev/null || skip "needs python3 to check JSON"
"$BIN" guest --help >/dev/null 2>&1 || skip "numabench guest is not available"

check() {
	python3 - "$1" <<'EOF'
import json, sys

path = sys.argv[1]
d = json.load(open(path))
errors = []
def err(msg):
    errors.append(msg)

runs = [r for r in d.get("runs", []) if r.get("bench") == "balance"]
if len(runs) != 1:
    print("balance: FAIL: %s: expected one balance run, found %d" % (path, len(runs)))
    sys.exit(1)
r = runs[0]
kernel = d.get("host", {}).get("kernel", "?")
if r.get("status") != "ok":
    err("status %s: %s" % (r.get("status"), r.get("reason")))

def placement(sample):
    return {k: v for k, v in sample["placement"].items()}

for m in r.get("modes", []):
    name = "%s balancing=%d" % (m["variant"], m["balancing"])
    reps = [x for x in m.get("reps", []) if x.get("status") in ("ok", "untrustworthy")]
    if not reps:
        err("%s: no measured repetition (%s)" % (name, m.get("reason")))
        continue
    for x in reps:
        cc = x.get("cross_check", {})
        if not cc.get("agree"):
            err("%s rep %d: numa_maps and vmstat disagree: %s" % (name, x["rep"], cc))
        # issue 6: the migrate:mm_migrate_pages tracepoint counts what vmstat counts
        # (one call per batch: calls > 0 exactly when pages were migrated)
        calls = x.get("mm_migrate_pages_calls")
        moved = x.get("vmstat", {}).get("pgmigrate_success")
        if calls is not None and moved is not None and (calls > 0) != (moved > 0):
            err("%s rep %d: tracepoint mm_migrate_pages %s calls vs vmstat pgmigrate_success %s"
                % (name, x["rep"], calls, moved))
        if calls is not None and moved is not None and calls > moved:
            err("%s rep %d: more mm_migrate_pages calls (%s) than pages migrated (%s)"
                % (name, x["rep"], calls, moved))
    remote_on = m["variant"] == "remote-pinned" and m["balancing"] in (1, 3)
    off = m["balancing"] == 0 or m["placement"].startswith("bound")
    if remote_on:
        if not m.get("converged"):
            err("%s: did not converge (local share at end %s)" % (name, m.get("local_share_end")))
        for x in reps:
            if not (x.get("pages_migrated") or 0) > 0:
                err("%s rep %d: no pages migrated" % (name, x["rep"]))
    if off:
        # pages_migrated is vmstat's, system-wide: it also counts other tasks' pages whose PTEs
        # were marked before balancing was switched off (KN-marked-ptes-persist). The buffer's
        # own moves are the numa_maps arrivals.
        for x in reps:
            a = x.get("cross_check", {}).get("numa_maps_pages_arrived")
            if a != 0:
                err("%s rep %d: %s buffer pages moved with balancing off (vmstat, system-wide: %s)"
                    % (name, x["rep"], a, x.get("pages_migrated")))
        tl = m.get("timeline", [])
        if len(tl) < 2:
            err("%s: timeline has %d samples" % (name, len(tl)))
        elif placement(tl[0]) != placement(tl[-1]):
            err("%s: placement changed with balancing off: %s -> %s" % (name, placement(tl[0]), placement(tl[-1])))

t = d.get("tunables", {})
if t.get("before") != t.get("after"):
    diff = {k: (t["before"].get(k), t["after"].get(k)) for k in t.get("before", {}) if t["before"].get(k) != t.get("after", {}).get(k)}
    err("tunables not restored: %s" % diff)
bt = r.get("balancing_tunables", {})
for k, v in bt.items():
    if v.get("lowered") and v.get("restored") is not True:
        err("bench did not put back %s" % k)
if bt.get("numa_balancing", {}).get("restored") is not True:
    err("bench did not put back numa_balancing")

# A short account of what was measured (for reports), then the verdict.
print("balance: kernel %s, %s" % (kernel, r.get("headline", "")))
for m in r.get("modes", []):
    c = m.get("convergence_s")
    print("  %-14s balancing=%d  convergence_s=%-6s pages_migrated=%-7s hint_faults=%-7s "
          "pte_updates=%-7s MB/s=%s" % (
              m["variant"], m["balancing"], "never" if c is None else "%.2f" % c,
              m.get("pages_migrated"), m.get("hint_faults"), m.get("pte_updates"),
              "%.0f" % m["throughput_MBps"] if m.get("throughput_MBps") is not None else "-"))
for e in errors:
    print("balance: FAIL: kernel %s: %s" % (kernel, e))
sys.exit(1 if errors else 0)
EOF
}

fails=0
for k in $KERNELS; do
	out=$OUTDIR/balance-$k.json
	# shellcheck disable=SC2086 # BALANCE_ARGS is a list of arguments
	"$BIN" guest --kernel "$k" --topology "$TOPOLOGY" -o "$out" -- run $BALANCE_ARGS balance
	rc=$?
	if [ ! -s "$out" ]; then
		echo "balance: FAIL: kernel $k: guest exited with $rc and wrote no results"
		fails=$((fails + 1))
		continue
	fi
	[ "$rc" = 0 ] || echo "balance: note: kernel $k: numabench exited with $rc in the guest"
	check "$out" || fails=$((fails + 1))
done
echo "balance: results in $OUTDIR"
[ "$fails" = 0 ] && echo "balance: PASS" && exit 0
echo "balance: $fails kernel(s) failed"
exit 1
