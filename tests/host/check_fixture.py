"""Compares a replayed `numabench topo --json` with the captured guest's own (expected.json).

The fields that come from live syscalls, not from files, cannot be replayed and are left out:
capabilities.root (geteuid), .pmu (perf_event_open), .proc_mem_force (a forked probe of
/proc/PID/mem), .virtualization (cpuid), topology.nodes[].free_bytes (libnuma's live
numa_node_size64; a replay prints null). topology.source differs by design (the guest's
"live", the replay's "fsroot:DIR"). topology.warnings, .possible_nodes and nodes[].kind came after some
captures: absent from expected.json, the replay must show none ([] and null).
Everything else must be equal.
Usage: check_fixture.py EXPECTED.json REPLAYED.json; prints what it compared, or the diffs.
"""
import json
import sys

LIVE_CAPS = ("root", "pmu", "proc_mem_force", "virtualization")
# capabilities.replay: a replay's note of which fields are this host's (a live run has none).


def strip(doc):
    doc = json.loads(json.dumps(doc))
    doc.pop("captured", None)
    for k in LIVE_CAPS:
        doc.get("capabilities", {}).pop(k, None)
    doc.get("capabilities", {}).pop("replay", None)
    for n in doc.get("topology", {}).get("nodes", []):
        n.pop("free_bytes", None)
    return doc


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: {'missing in the replay' if k in a else 'only in the replay'}")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: guest {json.dumps(a)}, replay {json.dumps(b)}")


exp = strip(json.load(open(sys.argv[1])))
got = strip(json.load(open(sys.argv[2])))
out = []
et, gt = exp.get("topology", {}), got.get("topology", {})
if not str(gt.pop("source", "")).startswith("fsroot:"):
    out.append(".topology.source: the replay does not say fsroot:DIR")
et.pop("source", None)
if "warnings" not in et and gt.get("warnings") == []:
    gt.pop("warnings")
if "possible_nodes" not in et:
    gt.pop("possible_nodes", None)
for en, gn in zip(et.get("nodes", []), gt.get("nodes", [])):
    if "kind" not in en and gn.get("kind") is None:
        gn.pop("kind", None)
diff(exp, got, "", out)
if out:
    print("\n".join(out))
    sys.exit(1)
t = exp["topology"]
print(f"{len(t['nodes'])} nodes, {t['cpus']} cpus, {len(t['memory_tiers']['tiers'])} tiers, "
      f"caches, distances, {len(exp['capabilities'])} file-derived capabilities")
