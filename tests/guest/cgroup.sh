#!/bin/bash
# cgroup v2 limits inside a 2-node guest (issue 8): with a cpuset of node 0 and its cpus and a
# 96M memory.max, numabench must refuse node 1 and node 1's cpu by name (exit 2, one line), refuse
# a buffer the memory cgroup cannot hold before allocating (v2 memory.max; the host here only has
# cgroup v1), and run inside the limits on node 0 only, with no OOM kill.
# Usage: tests/guest/cgroup.sh ./numabench   (KERNEL=6.1|6.12, default 6.12)
set -u
NB=$(realpath "${1:-./numabench}")
HERE=$(cd "$(dirname "$0")" && pwd)
KERNEL=${KERNEL:-6.12}
OUT=$(mktemp -d /tmp/nbcg.XXXXXX)
"$NB" guest --kernel "$KERNEL" --topology 2node --timeout 600 \
	--script "$HERE/cgroup-in-guest.sh" -o "$OUT/cg.out" 2>"$OUT/stderr"
rc=$?
if python3 - "$OUT/cg.out" <<'PY'; then
import json, sys
cases = {d["case"]: d for d in json.load(open(sys.argv[1]))}
def refused(name, text):
    c = cases[name]
    assert c["rc"] == 2 and c["err_lines"] == 1 and text in c["err"], c
    print(f"ok   {name}: exit 2: {c['err']}")
refused("node1", "node 1 is not allowed by the cgroup (valid nodes: 0)")
refused("cpu1", "is not allowed by this process's cpuset or affinity (allowed: 0)")
refused("memmax", "fault.size=96M does not fit in memory cgroup /sys/fs/cgroup/nb (limit 96.0M")
fit = cases["fit"]
doc = fit["result"]
assert fit["rc"] in (0, 3), fit["rc"]
assert doc["capabilities"]["allowed_nodes"] == "0", doc["capabilities"]["allowed_nodes"]
for r in doc["runs"]:
    assert r["status"] in ("ok", "untrustworthy"), (r["bench"], r["status"], r.get("reason"))
    for c in r.get("cells", []):
        if c["status"] == "skipped":
            continue
        assert c["cpu_node"] == 0 and c["mem_node"] == 0, (r["bench"], c["cpu_node"], c["mem_node"])
print(f"ok   fit: runs inside the cgroup on node 0 only (exit {fit['rc']})")
assert cases["cgroup"]["oom_kills"] == 0, cases["cgroup"]
print("ok   no OOM kill in the cgroup")
PY
	echo "PASS cgroup limits in a guest (guest exit $rc)"
	rm -rf "$OUT"
else
	echo "FAIL cgroup limits in a guest (guest exit $rc); kept $OUT"
	cat "$OUT/cg.out" | head -20
	tail -20 "$OUT/stderr"
	exit 1
fi
