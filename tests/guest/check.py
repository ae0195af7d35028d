#!/usr/bin/env python3
"""Checks for the guest integration tests (tests/guest/run.sh), from the JSON only.

  check.py topo CONFIG.json RESULT.json KERNEL   topo --json reports the configured topology
  check.py quick CONFIG.json RESULT.json KERNEL  honest statuses, placement verified on every
                                                 node, tunables restored
  check.py knob RESULT.json                      numa_balancing switched 0 -> 1 and restored

Prints one line per problem and exits 1 when there is any; exit 77 means "skip" (the line
printed says why). Sizes in configs take K/M/G suffixes (powers of 1024), as in numabench.
"""
import json
import sys

STATUSES = {"ok", "skipped", "failed", "untrustworthy"}
PLACE_MIN = 0.95
# Reported node memory (MemTotal of the node) is the configured size minus what the kernel
# reserves (memmap, kernel image, ...): at most 15% less, never more.
MEM_SLACK = 0.15

problems = []


def bad(msg):
    problems.append(msg)


def size(v):
    if isinstance(v, int):
        return v
    s = str(v).strip().upper().rstrip("B").rstrip("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def load(path):
    with open(path) as f:
        return json.load(f)


def check_guest_meta(doc, cfg, kernel, want_exit=None):
    g = doc.get("guest")
    if not isinstance(g, dict):
        bad("no \"guest\" object in the result (numabench guest adds it)")
        return
    if g.get("topology") != cfg["name"]:
        bad(f"guest.topology is {g.get('topology')!r}, expected {cfg['name']!r}")
    if g.get("kernel") != kernel:
        bad(f"guest.kernel is {g.get('kernel')!r}, expected {kernel!r}")
    if want_exit is not None and g.get("exit_code") != want_exit:
        bad(f"guest.exit_code is {g.get('exit_code')!r}, expected {want_exit}")


def check_nodes(topo, cfg):
    nodes = sorted(topo.get("nodes", []), key=lambda n: n.get("id", -1))
    want = cfg["nodes"]
    if [n.get("id") for n in nodes] != [n["id"] for n in want]:
        bad(f"node ids {[n.get('id') for n in nodes]}, expected {[n['id'] for n in want]}")
        return
    for got, exp in zip(nodes, want):
        nid = exp["id"]
        if sorted(got.get("cpus", [])) != sorted(exp["cpus"]):
            what = "memory-only node" if not exp["cpus"] else "node"
            bad(f"{what} {nid}: cpus {got.get('cpus')}, expected {exp['cpus']}")
        mem, cfg_mem = got.get("memory_bytes", 0), size(exp["memory"])
        if not (cfg_mem * (1 - MEM_SLACK) <= mem <= cfg_mem):
            bad(f"node {nid}: memory_bytes {mem} not within {int(MEM_SLACK * 100)}% below "
                f"the configured {cfg_mem}")


def check_distances(topo, cfg):
    want = cfg.get("distances")
    if want is None:
        return
    got = topo.get("distances")
    if got != want:  # an asymmetric matrix must come through QEMU, Linux and hwloc as is
        bad(f"distances {got}, expected {want} (row = from node)")


def cpulist(cpus):
    """hwloc list syntax of a cpu set: [0,1,2,5] -> "0-2,5"."""
    out, cpus = [], sorted(cpus)
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def check_hmat(topo, cfg):
    """Linux publishes, per target node, the values of the target's own initiator (the SRAT
    memory proximity domain's processor domain): hmat[initiator(t)][t]."""
    h = cfg.get("hmat")
    if not h:
        return
    attrs = topo.get("memattrs")
    if not isinstance(attrs, dict):
        bad("topo reports no memattrs, but the guest publishes HMAT")
        return
    kinds = [("latency_ns", ["latency", "read_latency", "write_latency"]),
             ("bandwidth_MiBps", ["bandwidth", "read_bandwidth", "write_bandwidth"])]
    for key, names in kinds:
        matrix = h.get(key)
        if not matrix:
            continue
        for node in cfg["nodes"]:
            t = node["id"]
            ini = node.get("initiator", t)
            exp = matrix[ini][t]
            init_cpus = cpulist(cfg["nodes"][ini]["cpus"])
            for name in names:
                vals = [e.get("value") for e in attrs.get(name, [])
                        if e.get("target") == t and e.get("initiator_cpus") == init_cpus]
                if vals != [exp]:
                    bad(f"memattrs.{name} for target {t} from cpus {init_cpus}: {vals}, "
                        f"expected [{exp}]")


def cmd_topo(cfg_path, res_path, kernel):
    cfg, doc = load(cfg_path), load(res_path)
    topo = doc.get("topology")
    if not isinstance(topo, dict):
        bad("no \"topology\" object in topo --json output")
        return
    check_nodes(topo, cfg)
    check_distances(topo, cfg)
    check_hmat(topo, cfg)
    check_guest_meta(doc, cfg, kernel, want_exit=0)


def placements(run):
    """Placement records of a run: run.placement (object or list) and cells[].placement.
    Timelines are left out: there pages are meant to move."""
    out = []
    p = run.get("placement")
    for rec in p if isinstance(p, list) else [p]:
        if isinstance(rec, dict) and "on_intended" in rec:
            out.append(("run", rec))
    for i, cell in enumerate(run.get("cells") or []):
        rec = cell.get("placement") if isinstance(cell, dict) else None
        if isinstance(rec, dict) and "on_intended" in rec:
            out.append((f"cells[{i}]", rec))
    return out


def check_status(where, obj):
    st = obj.get("status")
    if st not in STATUSES:
        bad(f"{where}: status {st!r} is not one of {sorted(STATUSES)}")
    elif st != "ok" and not (isinstance(obj.get("reason"), str) and obj["reason"].strip()):
        bad(f"{where}: status {st} without a reason")


def expected_exit(runs):
    st = {r.get("status") for r in runs}
    return 1 if "failed" in st else 3 if "untrustworthy" in st else 0


def check_runs(doc, cfg):
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        bad("no runs in the result")
        return []
    cpu_less = {n["id"] for n in cfg["nodes"] if not n["cpus"]}
    for r in runs:
        name = r.get("bench", "?")
        check_status(f"run {name}", r)
        on_cpu_less = []
        for i, cell in enumerate(r.get("cells") or []):
            if isinstance(cell, dict) and "status" in cell:
                check_status(f"run {name} cells[{i}]", cell)
            if isinstance(cell, dict) and cell.get("cpu_node") in cpu_less:
                on_cpu_less.append(i)
        if on_cpu_less:
            bad(f"run {name}: {len(on_cpu_less)} cells (first cells[{on_cpu_less[0]}]) run "
                f"threads on cpu_node(s) {sorted(cpu_less)}, which have no cpus")
    return runs


def check_placement(runs, cfg):
    seen = set()
    count = 0
    for r in runs:
        if r.get("status") == "skipped":
            continue
        for where, rec in placements(r):
            count += 1
            share = rec.get("on_intended")
            node = rec.get("intended_node")
            if not isinstance(share, (int, float)) or share < PLACE_MIN:
                bad(f"run {r.get('bench')} {where}: on_intended {share} < {PLACE_MIN} "
                    f"(intended node {node}, pages {rec.get('pages_per_node')})")
            else:
                seen.add(node)
    if count == 0:
        return "no run records placement (runs[].placement / cells[].placement)"
    missing = sorted({n["id"] for n in cfg["nodes"]} - seen)
    if missing:
        bad(f"no verified placement on node(s) {missing}")
    return None


def check_tunables_restored(doc):
    t = doc.get("tunables") or {}
    if "before" not in t or "after" not in t:
        bad("tunables.before / tunables.after missing")
    elif t["before"] != t["after"]:
        diff = {k: (t["before"].get(k), t["after"].get(k))
                for k in set(t["before"]) | set(t["after"])
                if t["before"].get(k) != t["after"].get(k)}
        bad(f"tunables not restored (before, after): {diff}")


def cmd_quick(cfg_path, res_path, kernel):
    cfg, doc = load(cfg_path), load(res_path)
    if doc.get("schema") != "numabench.result/1":
        bad(f"schema {doc.get('schema')!r}, expected 'numabench.result/1'")
    runs = check_runs(doc, cfg)
    check_guest_meta(doc, cfg, kernel, want_exit=expected_exit(runs) if runs else None)
    skip = check_placement(runs, cfg) if runs else None
    check_tunables_restored(doc)
    return skip


def cmd_knob(res_path):
    doc = load(res_path)
    t = doc.get("tunables") or {}
    val = {k: str((t.get(k) or {}).get("numa_balancing")) for k in ("before", "during", "after")}
    if val["before"] != "0":
        bad(f"numa_balancing before the run is {val['before']}, expected 0 (booted with "
            f"numa_balancing=disable)")
    if val["during"] != "1":
        bad(f"numa_balancing during the run is {val['during']}, expected 1 (--set "
            f"knob.numa_balancing=1)")
    check_tunables_restored(doc)
    for r in doc.get("runs") or []:
        check_status(f"run {r.get('bench', '?')}", r)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("topo", "quick", "knob"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if argv[1] == "topo":
            skip = cmd_topo(*argv[2:5])
        elif argv[1] == "quick":
            skip = cmd_quick(*argv[2:5])
        else:
            skip = cmd_knob(argv[2])
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        bad(f"cannot check: {type(e).__name__}: {e}")
        skip = None
    for p in problems:
        print(p)
    if problems:
        return 1
    if skip:
        print(skip)
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
