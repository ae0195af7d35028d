#!/usr/bin/env python3
"""Compare `numabench topo --json` (ARG 2) with the facts topo_facts.py read from the capture
itself (ARG 1): node ids, cpus, memory, distances, memory-only nodes, and a warning exactly
when the capture is inconsistent. Prints a one-line summary; exit 1 with the differences."""
import json
import sys

facts = json.load(open(sys.argv[1]))
topo = json.load(open(sys.argv[2]))["topology"]
want_source = sys.argv[3] if len(sys.argv) > 3 else None
errs = []
if facts["inconsistent"] and any("left out nodes" in w for w in topo.get("warnings", [])):
    # The capture contradicts itself (firmware that puts every cpu in every node): numabench
    # must say so, and hwloc may have dropped what it could not place.
    print(f"inconsistent capture, warned: {topo['warnings'][0]}")
    sys.exit(0)
got = {n["id"]: n for n in topo["nodes"]}
want = {n["id"]: n for n in facts["nodes"]}
if sorted(got) != sorted(want):
    errs.append(f"node ids {sorted(got)}, want {sorted(want)}")
for i, w in want.items():
    g = got.get(i)
    if not g:
        continue
    if g["cpus"] != w["cpus"]:
        errs.append(f"node {i} cpus {g['cpus']}, want {w['cpus']}")
    if g["memory_bytes"] != w["memory_bytes"]:
        errs.append(f"node {i} memory {g['memory_bytes']}, want {w['memory_bytes']}")
wd = facts["distances"]
gd = topo["distances"] or None
if gd != wd:
    errs.append(f"distances {gd}, want {wd}")
if bool(topo.get("warnings")) != bool(facts["inconsistent"]):
    errs.append(f"warnings {topo.get('warnings')}, the capture's inconsistencies {facts['inconsistent']}")
if "possible_nodes" in facts and facts["possible_nodes"] != topo.get("possible_nodes"):
    errs.append(f"possible_nodes {topo.get('possible_nodes')!r}, want {facts['possible_nodes']!r}")
if "memory_tiers" in facts:
    gt = [{"id": x["id"], "nodes": x["nodes"]} for x in topo["memory_tiers"]["tiers"]]
    if gt != facts["memory_tiers"]:
        errs.append(f"memory tiers {gt}, want {facts['memory_tiers']}")
if want_source and topo.get("source") != want_source:
    errs.append(f"source {topo.get('source')!r}, want {want_source!r}")
if errs:
    print("\n".join(errs))
    sys.exit(1)
memonly = [i for i, w in sorted(want.items()) if not w["cpus"]]
print(f"{len(want)} nodes {sorted(want)}, {sum(len(w['cpus']) for w in want.values())} cpus, "
      f"memory-only {memonly or 'none'}, distances {'yes' if wd else 'none'}"
      f", tiers {len(facts.get('memory_tiers') or []) or 'none'}"
      f"{', warned: ' + '; '.join(facts['inconsistent']) if facts['inconsistent'] else ''}")
