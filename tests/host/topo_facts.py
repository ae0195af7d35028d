#!/usr/bin/env python3
"""The NUMA facts of a captured machine, read independently of numabench and of hwloc's library:
an hwloc XML file (1.x or 2.x) with xml.etree, or a captured /sys tree directly.

Usage: topo_facts.py FILE.xml | SYS-TREE-DIR   -> JSON on stdout:
  {"nodes": [{"id", "cpus": [...], "memory_bytes"}], "distances": [[...]] | null,
   "inconsistent": [why, ...]}
What the kernel would say: a cpu belongs to one node, a memory-only node (MCDRAM, HBM, NVM,
SPM, GPU or CXL memory, or an empty cpuset) has none, distances are the kernel's node matrix
(SLIT: local distance 10), never a Package- or Core-level one.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

LOCAL_DISTANCE = 10


def parse_list(s):
    out = set()
    for part in s.strip().split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def parse_hwloc_mask(s):
    """hwloc's XML cpuset "0x000f000f,0x000f000f" (32-bit words, most significant first);
    "0xf...f," prefixes mean an infinite set, which no NUMA node has."""
    words = s.strip().split(",")  # an empty word is a zero one ("0xff,,,0xff")
    out = set()
    for i, w in enumerate(reversed(words)):
        v = int(w, 16) if w else 0
        out.update(i * 32 + b for b in range(32) if v >> b & 1)
    return out


def parse_sysfs_mask(s):  # "ffffffff,00000000": the same word order, without 0x
    return parse_hwloc_mask(",".join("0x" + w for w in s.strip().split(",")))


def memory_only_kind(kind):
    return bool(kind) and kind != "DRAM"


# ---- /sys trees --------------------------------------------------------------------------


def read(path):
    try:
        with open(path) as f:
            return f.read().strip("\n\x00 ")
    except OSError:
        return None


def sys_facts(root):
    ndir = os.path.join(root, "sys/devices/system/node")
    if not os.path.isdir(ndir):
        return {"skip": "no /sys/devices/system/node: not a NUMA capture"}
    ids = sorted(int(m.group(1)) for d in os.listdir(ndir) if (m := re.fullmatch(r"node(\d+)", d)))
    present_txt = read(os.path.join(root, "sys/devices/system/cpu/present"))
    present = parse_list(present_txt) if present_txt else None
    nodes, bad = [], []
    for i in ids:
        d = os.path.join(ndir, f"node{i}")
        txt = read(os.path.join(d, "cpulist"))
        if txt is not None:
            cpus = parse_list(txt)
        else:
            m = read(os.path.join(d, "cpumap"))
            cpus = parse_sysfs_mask(m) if m else set()
        if present is not None and cpus - present:
            bad.append(f"node {i} lists cpus that are not present")
            cpus &= present
        mem = 0
        for line in (read(os.path.join(d, "meminfo")) or "").splitlines():
            f = line.split()
            if len(f) >= 5 and f[2] == "MemTotal:":
                mem = int(f[3]) * 1024
        nodes.append({"id": i, "cpus": sorted(cpus), "memory_bytes": mem})
    dist = []
    for i in ids:
        row = read(os.path.join(ndir, f"node{i}", "distance"))
        dist.append([int(x) for x in row.split()] if row else None)
    # one positive value per node, or none published
    if any(r is None or len(r) != len(ids) or min(r) <= 0 for r in dist):
        dist = None
    facts = finish(nodes, dist, bad)
    # the kernel's memory tiers (6.1+): memory_tierN/nodelist
    tdir = os.path.join(root, "sys/devices/virtual/memory_tiering")
    tiers = []
    for d in sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []:
        m = re.fullmatch(r"memory_tier(\d+)", d)
        txt = read(os.path.join(tdir, d, "nodelist")) if m else None
        if txt is not None:
            tiers.append({"id": int(m.group(1)), "nodes": sorted(parse_list(txt))})
    facts["memory_tiers"] = sorted(tiers, key=lambda t: t["id"])
    possible = read(os.path.join(ndir, "possible"))
    facts["possible_nodes"] = possible.strip() if possible else None
    return facts


# ---- hwloc XML ---------------------------------------------------------------------------


def xml_facts(path):
    tree = ET.parse(path)
    top = tree.getroot()
    version = top.get("version", "1.0")
    if int(version.split(".")[0]) > 2:
        return {"refused": f"version {version}"}
    root = top.find("object")
    online = parse_hwloc_mask(root.get("cpuset", "0x0"))
    v1 = version.startswith("1")
    nodes, bad, groups = [], [], []  # groups: the NUMA nodes beside one parent's cpus

    def kind_of(o):
        if o.get("subtype"):
            return o.get("subtype")
        for i in o.findall("info"):  # hwloc 1.x: <info name="Type" value="MCDRAM"/>
            if i.get("name") == "Type":
                return i.get("value")
        return ""

    def walk(o, depth, numa_depths):
        kids = o.findall("object")
        here = []
        for k in kids:
            if k.get("type") == "NUMANode":
                numa_depths.add(depth + 1)
                here.append(k)
            if k.get("type") == "MemCache":  # memory-side cache: its nodes sit beside o
                here += [m for m in k.iter("object") if m.get("type") == "NUMANode"]
        if v1:
            for k in here:  # each 1.x node holds its own cpus
                groups.append([k])
        elif here:
            groups.append(here)
        for k in kids:
            if k.get("type") != "MemCache":
                walk(k, depth + 1, numa_depths)

    numa_depths = set()
    walk(root, 0, numa_depths)
    if root.get("type") == "NUMANode":  # a 1.x machine that is one node
        groups.append([root])
    for g in groups:
        owner = None
        for n in g:
            cpus = parse_hwloc_mask(n.get("cpuset", "0x0")) & online
            k = kind_of(n)
            if memory_only_kind(k) or not cpus:
                cpus = set()
            elif owner is None:
                owner = n
            else:
                bad.append(f"nodes {owner.get('os_index')} and {n.get('os_index')} share cpus")
                cpus = set()
            nodes.append(
                {"id": int(n.get("os_index")), "cpus": sorted(cpus),
                 "memory_bytes": int(n.get("local_memory", "0"))})
    if not nodes:
        return {"skip": "no NUMANode object: hwloc makes the machine one node"}
    # document order (a depth-first walk, NUMA nodes at any depth), what 1.x distances index
    logical = [int(o.get("os_index")) for o in root.iter("object") if o.get("type") == "NUMANode"]
    nodes.sort(key=lambda n: n["id"])
    ids = [n["id"] for n in nodes]
    if v1:
        m = xml_distances_v1(top, root, numa_depths, len(ids))
        pos = {v: i for i, v in enumerate(logical)}
        dist = [[m[pos[a]][pos[b]] for b in ids] for a in ids] if m else None
        if dist and any(dist[i][i] != LOCAL_DISTANCE for i in range(len(ids))):
            bad.append("the 1.x NUMA distance matrix's diagonal is not the local distance")
            dist = None
    else:
        dist = xml_distances_v2(top, ids)
    facts = finish(nodes, dist, bad)
    # hwloc 2.10+: <info name="MemoryTier" value="N"/> in each NUMANode (hwloc's tiers)
    tiers = {}
    for o in root.iter("object"):
        if o.get("type") != "NUMANode":
            continue
        for i in o.findall("info"):
            if i.get("name") == "MemoryTier":
                tiers.setdefault(int(i.get("value")), []).append(int(o.get("os_index")))
    facts["memory_tiers"] = [{"id": k, "nodes": sorted(v)} for k, v in sorted(tiers.items())]
    return facts


def xml_distances_v2(top, ids):
    best = None
    for d in top.iter("distances2"):
        kind = int(d.get("kind", "0"))
        if d.get("type") != "NUMANode" or not (kind & 1) or not (kind & 4):
            continue
        n = int(d.get("nbobjs"))
        idx = [int(x) for e in d.findall("indexes") for x in e.text.split()]
        vals = [int(x) for e in d.findall("u64values") for x in e.text.split()]
        m = [vals[i * n:(i + 1) * n] for i in range(n)]
        kernels = d.get("name") == "NUMALatency" or all(m[i][i] == LOCAL_DISTANCE for i in range(n))
        if kernels and (best is None or d.get("name") == "NUMALatency"):
            best = (idx, m)
    if best is None or sorted(best[0]) != ids:
        return None
    idx, m = best
    pos = {v: i for i, v in enumerate(idx)}
    return [[m[pos[a]][pos[b]] for b in ids] for a in ids]


def xml_distances_v1(top, root, numa_depths, count):
    """hwloc 1.x: <distances relative_depth=D latency_base=B> under the root; the NUMA one is
    the matrix at the depth of the NUMANode objects (its objects in logical = document order,
    which for NUMA nodes is os_index order in hwloc's files)."""
    for d in root.findall("distances"):
        if int(d.get("relative_depth")) in numa_depths and int(d.get("nbobjs")) == count:
            base = float(d.get("latency_base", "1"))
            vals = [round(float(e.get("value")) * base) for e in d.findall("latency")]
            return [vals[i * count:(i + 1) * count] for i in range(count)]
    return None


def finish(nodes, dist, bad):
    seen = {}
    for n in nodes:
        dup = [c for c in n["cpus"] if c in seen]
        if dup:
            bad.append(f"node {n['id']} lists cpus of node {seen[dup[0]]}")
            n["cpus"] = [c for c in n["cpus"] if c not in seen]
        for c in n["cpus"]:
            seen[c] = n["id"]
    return {"nodes": nodes, "distances": dist, "inconsistent": bad}


def main():
    src = sys.argv[1]
    facts = sys_facts(src) if os.path.isdir(src) else xml_facts(src)
    json.dump(facts, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
