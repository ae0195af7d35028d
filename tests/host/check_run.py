#!/usr/bin/env python3
"""Check a numabench results file against the contract: schema, honest statuses, verified
placement, sane units. Usage: check_run.py RESULT.json EXIT_CODE [--expect-bench NAME ...]"""
import json
import sys

STATUSES = {"ok", "skipped", "failed", "untrustworthy"}
METRIC_KEYS = {"unit", "direction", "samples", "min", "median", "mean", "stddev", "cv", "p5",
               "p95", "ci95", "ci_level", "mad", "spread", "outliers", "ci_looks"}
SCHEMA = "numabench.result/2"
# The shapes numabench.result/2 retired (written by /1 only): each a duplicate of another field.
RETIRED_RUN = {"scan_tunables": "balancing_tunables", "tunables_bench": "balancing_tunables"}
RETIRED_RUN_BENCHES = {"scan_tunables": {"gup"}, "tunables_bench": {"balance"}}
RETIRED_CELL = {"latency": {"size": "size_bytes"}}
# unit, direction, sane range of medians (wide: any machine, any VM)
KNOWN = {
    "latency_ns": ("ns", "lower", 0.05, 100000),
    "bandwidth_gbs": ("GB/s", "higher", 0.01, 100000),
    "traffic_gbs": ("GB/s", "higher", 0.01, 100000),
    "fault_ns_per_page": ("ns", "lower", 1, 10000000),
    "faults_per_page": ("faults", "lower", 0, 2),
}
errors = []


def err(msg):
    errors.append(msg)


def check_metric(where, key, m):
    missing = METRIC_KEYS - set(m)
    if missing:
        err(f"{where}: metric {key} lacks {sorted(missing)}")
        return
    if "p50" in m:
        err(f"{where}: metric {key} has p50, retired in {SCHEMA} (it repeats median)")
    if m["direction"] not in ("lower", "higher"):
        err(f"{where}: metric {key} direction {m['direction']}")
    if not m["samples"]:
        err(f"{where}: metric {key} has no samples")
        return
    if key in KNOWN:
        unit, direction, lo, hi = KNOWN[key]
        if m["unit"] != unit or m["direction"] != direction:
            err(f"{where}: {key} unit/direction {m['unit']}/{m['direction']}")
        if not (lo <= m["median"] <= hi):
            err(f"{where}: {key} median {m['median']} outside sane range {lo}..{hi}")
    if not (m["min"] <= m["median"] <= m["max"] if "max" in m else True):
        err(f"{where}: {key} median outside min..max")
    # The statistics rule: the CI is of the median, distribution-free, inside [min, max].
    lo, hi = m["ci95"]
    if not (m["min"] <= lo <= m["median"] <= hi <= m["max"]):
        err(f"{where}: {key} CI {lo}..{hi} not within min {m['min']} .. max {m['max']} "
            f"around the median {m['median']}")
    if m["unit"] in ("ns", "s", "ms", "us") and lo < 0:
        err(f"{where}: {key} CI below zero for a time")
    s = sorted(m["samples"])
    med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
    if abs(med - m["median"]) > 1e-9 * max(1.0, abs(med)):
        err(f"{where}: {key} median {m['median']} is not the median of its samples {med}")
    if not (0 <= m["outliers"] <= len(s)):
        err(f"{where}: {key} outliers {m['outliers']} of {len(s)} samples")
    if not (m["p5"] <= m["median"] <= m["p95"]):
        err(f"{where}: {key} p5/median/p95 {m['p5']}/{m['median']}/{m['p95']}")
    # The design: fixed n ([n]) or sequential looks (increasing, n one of them); a sequential
    # design's CI has its stated coverage, >= 95%.
    looks = m["ci_looks"]
    if not looks or looks != sorted(set(looks)) or not all(isinstance(x, int) for x in looks):
        err(f"{where}: {key} ci_looks {looks}")
    elif len(looks) > 1 and len(s) in looks and m["ci_level"] < 0.95:
        err(f"{where}: {key} sequential design with ci_level {m['ci_level']} < 0.95")
    b = m.get("bimodal")
    if b is not None:
        modes = b.get("modes", [])
        if (len(modes) != 2 or sum(x["n"] for x in modes) != len(s) or
                not modes[0]["median"] < modes[1]["median"] or
                not b.get("summary", "").startswith("bimodal: ")):
            err(f"{where}: {key} bimodal {b}")


def is_budget(item):
    return (item.get("reason") or "").startswith("budget:")


def check_budget(d):
    """The run records its budget (null: none) and its elapsed time; a cell or run skipped for
    the budget says so and has no figures."""
    b = d.get("budget")
    if not isinstance(b, dict) or "budget_s" not in b or "elapsed_s" not in b:
        err(f"budget: {b} (want budget_s and elapsed_s)")
        return
    if b["budget_s"] is not None and not b.get("from"):
        err(f"budget: {b} has no 'from'")
    for r in d.get("runs", []):
        cut = [c for c in r.get("cells", []) if is_budget(c)]
        if (cut or (is_budget(r) and r.get("status") == "skipped")) and b["budget_s"] is None:
            err(f"{r.get('bench')}: skipped for a budget the run does not have")
        for c in cut:
            if c.get("status") != "skipped" or "metrics" in c:
                err(f"{r.get('bench')}: a budget cell is {c.get('status')} with metrics")


def check_placement(where, item):
    pl = item.get("placement")
    if pl is None:
        return
    verified = pl["on_intended"] >= 0.95
    if pl.get("verified") != verified:
        err(f"{where}: placement.verified disagrees with on_intended {pl['on_intended']}")
    if not verified and item.get("status") == "ok":
        err(f"{where}: status ok but only {pl['on_intended']:.2%} on node {pl['intended_node']}")
    if sum(int(v) for v in pl["pages_per_node"].values()) != pl["pages_counted"]:
        err(f"{where}: pages_per_node does not sum to pages_counted")


def check_cell(where, bench, c):
    st = c.get("status")
    if st not in STATUSES:
        err(f"{where}: cell status {st}")
    if st != "ok" and not c.get("reason"):
        err(f"{where}: cell {st} without a reason")
    if st in ("ok", "untrustworthy"):
        for k, m in c.get("metrics", {}).items():
            check_metric(where, k, m)
        if bench in ("latency", "bandwidth", "fault") and "placement" not in c:
            err(f"{where}: placed memory but no placement record")
    check_placement(where, c)
    if bench == "fault" and st == "ok":
        fpp = c["metrics"]["faults_per_page"]["median"]
        if c["pages"] == "4k" and not (0.9 <= fpp <= 1.1):
            err(f"{where}: 4k first touch took {fpp} faults per page")
        if c["pages"] == "thp" and fpp > 0.05:
            err(f"{where}: THP (verified) first touch took {fpp} faults per page")


def main():
    path, code = sys.argv[1], int(sys.argv[2])
    expect = sys.argv[4:] if len(sys.argv) > 3 and sys.argv[3] == "--expect-bench" else []
    doc = json.load(open(path))
    if doc.get("schema") != SCHEMA:
        err(f"schema {doc.get('schema')}, expected {SCHEMA}")
    for k in ("tool", "host", "capabilities", "topology", "tunables", "runs"):
        if k not in doc:
            err(f"missing top-level {k}")
    for k in ("hostname", "kernel", "cmdline", "cpu_model", "virtualization"):
        if k not in doc.get("host", {}):
            err(f"host lacks {k}")
    topo = doc["topology"]
    for n in topo["nodes"]:
        if not {"id", "cpus", "memory_bytes"} <= set(n):
            err(f"topology node lacks fields: {n}")
    if topo["distances"] and len(topo["distances"]) != len(topo["nodes"]):
        err("distance matrix is not nodes x nodes")
    check_budget(doc)
    tun = doc["tunables"]
    if tun.get("before") != tun.get("after"):
        err(f"tunables not restored: before {tun.get('before')} after {tun.get('after')}")
    worst = "ok"
    order = ["ok", "untrustworthy", "failed"]
    benches = []
    start_mask = None
    for i, r in enumerate(doc["runs"]):
        where = f"runs[{i}] {r.get('bench')}"
        benches.append(r.get("bench"))
        st = r.get("status")
        if st not in STATUSES:
            err(f"{where}: status {st}")
            continue
        if st != "ok" and not r.get("reason"):
            err(f"{where}: {st} without a reason")
        if st != "skipped" and order.index(st) > order.index(worst):
            worst = st
        for k, m in r.get("metrics", {}).items():
            check_metric(where, k, m)
        for k, instead in RETIRED_RUN.items():
            if k in r and r.get("bench") in RETIRED_RUN_BENCHES[k]:
                err(f"{where}: {k} written, retired in {SCHEMA} (read {instead})")
        cells = r.get("cells", [])
        for j, c in enumerate(cells):
            for k, instead in RETIRED_CELL.get(r.get("bench"), {}).items():
                if k in c:
                    err(f"{where} cells[{j}]: {k} written, retired in {SCHEMA} (read {instead})")
        for j, c in enumerate(cells):
            check_cell(f"{where} cells[{j}]", r["bench"], c)
        cell_states = {c.get("status") for c in cells} - {"skipped"}
        if st == "ok" and cell_states - {"ok"}:
            err(f"{where}: run ok but cells are {cell_states}")
        # A bench skipped for the budget keeps its cells: the ones not reached (reason budget)
        # and any that cannot run here at all (skipped with their own reason).
        if st == "skipped" and cells and not (
                is_budget(r) and any(map(is_budget, cells)) and
                all(is_budget(c) or c.get("status") == "skipped" for c in cells)):
            err(f"{where}: skipped but has cells")
        # every bench starts on the same main-thread affinity: one that pinned it was undone
        aff = r.get("affinity")
        if aff is None and st != "skipped":
            err(f"{where}: no affinity record")
        elif aff is not None:
            if not aff.get("restored"):
                err(f"{where}: main thread left on {aff.get('bench_left')}, not restored")
            start_mask = start_mask or aff.get("main_thread")
            if aff.get("main_thread") != start_mask:
                err(f"{where}: started on cpus {aff.get('main_thread')}, the run on {start_mask}"
                    ": an earlier bench changed the main thread's affinity")
    want_code = {"ok": 0, "untrustworthy": 3, "failed": 1}[worst]
    if doc.get("interrupted"):
        want_code = 130
    if code != want_code:
        err(f"exit code {code}, expected {want_code} from the worst status {worst}")
    for b in expect:
        if b not in benches:
            err(f"bench {b} did not run")
    for e in errors:
        print("check_run: " + e, file=sys.stderr)
    print(f"check_run: {path}: {len(doc['runs'])} runs, worst {worst}, "
          f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
