#!/usr/bin/env python3
"""Checks of a numabench.plan/1 document on a replayed topology (tests/host/plan.sh).

Usage: check_plan.py PLAN.json TOPO.json CORE LLC PACKAGE
CORE and LLC are Python expressions of the cpu id `c` giving its core and its LLC domain on
that topology, PACKAGE one of the node id `n` giving its package (what the replay's description
says), so the checks do not trust numabench's own reading of the topology for what they verify.
"""
import json
import sys

plan = json.load(open(sys.argv[1]))
topo = json.load(open(sys.argv[2]))["topology"]
core = eval("lambda c: " + sys.argv[3])
llc_of = eval("lambda c: " + sys.argv[4])
package_of = eval("lambda n: " + sys.argv[5])
fails = 0


def check(cond, what):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    fails += 0 if cond else 1


nodes = {n["id"]: n for n in topo["nodes"]}
node_of = {c: n["id"] for n in topo["nodes"] for c in n["cpus"]}
cpu_nodes = sorted(i for i, n in nodes.items() if n["cpus"])
check(plan.get("schema") == "numabench.plan/1", "schema numabench.plan/1")
benches = {b["bench"]: b for b in plan["benches"]}
check(abs(plan["estimate_s"] - sum(b.get("estimate_s") or 0 for b in plan["benches"])) < 1e-6,
      "total estimate_s is the sum of the benches'")
llc_size = {}
for c in topo["caches"]:
    if c["level"] == 3:
        llc_size = c["size_bytes"]


def node_llc(n):
    """LLC bytes over a node's cpus: distinct LLC domains x the L3 size."""
    return len({llc_of(c) for c in nodes[n]["cpus"]}) * llc_size


def pair_llc(cn, mn):
    return node_llc(cn) + (node_llc(mn) if cn != mn else 0)


def roles(cell, role):
    return [x["cpu"] for x in cell["cpus"] if x["role"] == role]


for name, b in benches.items():
    check(b["status"] == "planned", "%s: planned (%s)" % (name, b.get("reason", "")))
    for n, v in b.get("memory_per_node", {}).items():
        check(v <= nodes[int(n)]["memory_bytes"],
              "%s: memory on node %s (%d) within its size (%d)" % (name, n, v,
                                                                  nodes[int(n)]["memory_bytes"]))
    for c in b.get("cells", []):
        if "mem_node" in c and "bytes" in c and c.get("class", {}).get("role") != "covered":
            need = b["memory_per_node"].get(str(c["mem_node"]), 0)
            if c["bytes"] > need:
                check(False, "%s: a cell's bytes exceed memory_per_node" % name)

# latency: one chaser per cell, the same cpu for every cell of a cpu node, on that node.
lat = benches["latency"]["cells"]
chosen = {}
for c in lat:
    ch = roles(c, "chaser")
    chosen.setdefault(c["cpu_node"], set()).update(ch)
    if len(ch) != 1 or len(c["cpus"]) != 1 or node_of.get(ch[0]) != c["cpu_node"]:
        check(False, "latency %d->%d: one chaser cpu of the node (%s)" % (c["cpu_node"],
                                                                         c["mem_node"], c["cpus"]))
check(set(chosen) == set(cpu_nodes) and all(len(v) == 1 for v in chosen.values()),
      "latency: one cpu per node, the same for every cell (%s)" % sorted(
          (k, sorted(v)) for k, v in chosen.items()))
mem_nodes = sorted(i for i, n in nodes.items() if n["memory_bytes"] > 0)
check({(c["cpu_node"], c["mem_node"]) for c in lat} ==
      {(a, m) for a in cpu_nodes for m in mem_nodes}, "latency: every cpu node x memory node")
for c in lat:
    if c["size_rule"]["rule"] in ("4x_llc", "floor") and not c["size_rule"]["capped"]:
        foot = c["size_bytes"] // c["stride"] * 64
        if foot < 4 * pair_llc(c["cpu_node"], c["mem_node"]):
            check(False, "latency %d->%d: chain footprint %d < 4x LLC %d" % (
                c["cpu_node"], c["mem_node"], foot, pair_llc(c["cpu_node"], c["mem_node"])))
dram = [c for c in lat if c["size_rule"]["rule"] in ("4x_llc", "floor")]
check(len(dram) > 0 and all(c["size_rule"]["llc_bytes"] == pair_llc(c["cpu_node"], c["mem_node"])
                            for c in dram), "latency: DRAM point counts the cell's nodes' LLC")
check(all(c["size_rule"]["capped"] or
          c["size_bytes"] // c["stride"] * 64 >= 4 * c["size_rule"]["llc_bytes"] for c in dram),
      "latency: DRAM chain footprint >= 4x LLC (or capped and said so)")
check(all(
    roles(c, "chaser")[0] == min(nodes[c["cpu_node"]]["cpus"]) for c in lat),
      "latency: the chaser is the node's lowest cpu")

# latency's pair classes (README: pair classes), recomputed from the topology description:
# local or not, the distance (else within/across a package), each node's cpu count, LLC bytes and
# sorted distance row. (HMAT figures: none on these replays.)
dist = topo.get("distances") or []
ids = sorted(nodes)


def node_shape(n):
    row = tuple(sorted(dist[ids.index(n)])) if dist else ()
    return (len(nodes[n]["cpus"]), node_llc(n) if nodes[n]["cpus"] else 0, row)


def pair_key(a, m):
    d = dist[ids.index(a)][ids.index(m)] if dist else None
    across = None if dist else package_of(a) != package_of(m)
    return (a == m, d, across, node_shape(a), node_shape(m))


pairs = [(a, m) for a in cpu_nodes for m in mem_nodes]
reps = {}
for a, m in pairs:
    reps.setdefault(pair_key(a, m), (a, m))
class_mode = len(pairs) > 16


def check_classes(name, cells, at_check_point):
    """Every cell's class as recomputed; covered cells cost nothing."""
    for c in cells:
        k = (c["cpu_node"], c["mem_node"])
        rep = reps[pair_key(*k)]
        cl = c.get("class", {})
        want = ("full" if not class_mode else "representative" if rep == k else
                "check" if at_check_point(c) else "covered")
        if cl.get("representative") != "%d>%d" % rep or cl.get("role") != want or \
                cl.get("members") != sum(1 for p in pairs if reps[pair_key(*p)] == rep):
            check(False, "%s %d->%d: class %s, expected representative %d>%d role %s" % (
                name, k[0], k[1], cl, rep[0], rep[1], want))
        if want == "covered" and c["estimate_s"] != 0:
            check(False, "%s %d->%d: a covered cell has an estimate" % ((name,) + k))
    check(len({c["class"]["id"] for c in cells}) == len(reps),
          "%s: %d pair classes of %d pairs (%s mode)" % (name, len(reps), len(pairs),
                                                        "class" if class_mode else "all"))


check_classes("latency", lat, lambda c: c["size_bytes"] == lat[-1]["size_bytes"] and
              c["pages"] == lat[0]["pages"] and c["stride"] == lat[0]["stride"])
bw = [c for c in benches["bandwidth"]["cells"] if "skip" not in c]
top = {n: max(c["threads"] for c in bw if c["cpu_node"] == n) for n in cpu_nodes}
check_classes("bandwidth", bw, lambda c: c["kernel"] == bw[0]["kernel"] and
              c["threads"] == top[c["cpu_node"]])
ld = benches["loaded"]["cells"]
check_classes("loaded", ld, lambda c: c["mix"] == ld[0]["mix"])
fl = benches["fault"]["cells"]
check_classes("fault", fl, lambda c: c["pages"] == fl[0]["pages"])



def check_order(name, cells, point, pair=lambda c: (c["cpu_node"], c["mem_node"])):
    """Coarse to fine (README): one cell of every (point, pair class) is measured before the
    second of any; within a group the plan order is kept; the orders are a permutation. A pair
    whose cpu side has no cpus is a group of its own."""
    groups = {}
    for i, c in enumerate(cells):
        a, m = pair(c)
        cls = pair_key(a, m) if a in cpu_nodes else ("own", i)
        groups.setdefault((point(c), cls), []).append(i)
    order = [c.get("order") for c in cells]
    perm = sorted(o for o in order if o is not None) == list(range(len(cells)))
    firsts = max((order[g[0]] for g in groups.values()), default=-1)
    seconds = min((order[g[1]] for g in groups.values() if len(g) > 1), default=len(cells))
    kept = all(order[g[k]] < order[g[k + 1]] for g in groups.values() for k in range(len(g) - 1))
    check(perm and firsts < seconds and kept,
          "%s: coarse to fine, one of each of %d (point, class) groups first" % (name, len(groups)))


check_order("latency", lat, lambda c: (c["size_bytes"], c["pages"], c["stride"]))
check_order("bandwidth", benches["bandwidth"]["cells"],
            lambda c: (c["kernel"], c.get("mix"), c["threads"]))
check_order("loaded", ld, lambda c: c["mix"])
check_order("fault", fl, lambda c: c["pages"])

# migrate: every ordered pair of distinct memory nodes; one mover, the lowest cpu of the target
# node (else of the source); single-page cells sized by time.
if "migrate" in benches:
    mg = benches["migrate"]["cells"]
    check({(c["src_node"], c["dst_node"]) for c in mg} ==
          {(a, b2) for a in mem_nodes for b2 in mem_nodes if a != b2},
          "migrate: every ordered pair of distinct memory nodes")
    for c in mg:
        side = c["dst_node"] if nodes[c["dst_node"]]["cpus"] else c["src_node"]
        want = [min(nodes[side]["cpus"])] if nodes[side]["cpus"] else None
        if want is not None and roles(c, "mover") != want:
            check(False, "migrate %d->%d: mover %s, expected %s" % (c["src_node"], c["dst_node"],
                                                                   roles(c, "mover"), want))
        if (c["method"] == "move_pages_single") != (c.get("size_rule", {}).get("rule") == "time") \
                and c.get("class", {}).get("role") != "covered":
            check(False, "migrate %d->%d %s: size_rule %s" % (c["src_node"], c["dst_node"],
                                                              c["method"], c.get("size_rule")))
    check(True, "migrate: one mover on the target node, single-page cells sized by time")
    check_order("migrate", mg, lambda c: (c["pages"], c["method"]),
                lambda c: (c["src_node"], c["dst_node"]))

# fault: the same one cpu per node as latency.
for c in benches["fault"]["cells"]:
    t = roles(c, "toucher")
    if t != [min(nodes[c["cpu_node"]]["cpus"])]:
        check(False, "fault %d->%d: toucher %s" % (c["cpu_node"], c["mem_node"], t))
check(True, "fault: one toucher per node (checked per cell above)")

# bandwidth: "cores" = one worker per core; subsets spread over the LLC domains.
arrays = {"read": 1, "triad": 3}
for cn in cpu_nodes:
    cores = {core(c) for c in nodes[cn]["cpus"]}
    llcs = {llc_of(c) for c in nodes[cn]["cpus"]}
    cells = [c for c in benches["bandwidth"]["cells"] if c["cpu_node"] == cn and "skip" not in c]
    full = [c for c in cells if c["threads"] == len(cores)]
    check(len(full) > 0 and all(sorted(core(w) for w in roles(c, "worker")) == sorted(cores)
                                for c in full),
          "bandwidth node %d: %d threads = one per core" % (cn, len(cores)))
    for c in cells:
        w = roles(c, "worker")
        if len(w) != c["threads"] or any(node_of.get(x) != cn for x in w):
            check(False, "bandwidth node %d: %d workers on the node" % (cn, c["threads"]))
        if c["threads"] <= len(cores) and len({core(x) for x in w}) != len(w):
            check(False, "bandwidth node %d, %d threads: two workers on a core" % (cn, len(w)))
        if c["threads"] <= len(cores) and len(w) % len(llcs) == 0:
            per = [sum(1 for x in w if llc_of(x) == l) for l in llcs]
            if len(set(per)) != 1:
                check(False, "bandwidth node %d, %d threads: uneven over LLCs %s" % (cn, len(w), per))
        r = c["size_rule"]
        if r["rule"] != "set" and not r["capped"] and \
                c["bytes"] // arrays[c["kernel"]] < 4 * pair_llc(cn, c["mem_node"]) * 0.999:
            check(False, "bandwidth %d->%d %s: array %d < 4x LLC" % (cn, c["mem_node"], c["kernel"],
                                                                     c["bytes"]))
    check(True, "bandwidth node %d: workers on the node, distinct cores, even over %d LLC(s)" % (
        cn, len(llcs)))

# loaded: the chaser as latency's; no injector on the chaser's core; injectors one per core.
for c in benches["loaded"]["cells"]:
    ch = roles(c, "chaser")
    inj = roles(c, "injector")
    good = (ch == sorted(chosen[c["cpu_node"]]) and all(core(i) != core(ch[0]) for i in inj) and
            len({core(i) for i in inj}) == len(inj))
    if not good:
        check(False, "loaded %d->%d: chaser %s injectors %s" % (c["cpu_node"], c["mem_node"], ch, inj))
check(True, "loaded: chaser = latency's cpu, no injector on its core, one per core")
ncores = {cn: len({core(c) for c in nodes[cn]["cpus"]}) for cn in cpu_nodes}
check(all(len(roles(c, "injector")) == ncores[c["cpu_node"]] - 1 for c in benches["loaded"]["cells"]
          if ncores[c["cpu_node"]] > 1), "loaded: every other core of the node injects")

# c2c: every ordered node pair in both homings; relations present as the topology has them.
cc = benches["c2c"]["cells"]
for a in cpu_nodes:
    for b2 in cpu_nodes:
        if a == b2:
            continue
        homes = {c["home"] for c in cc if c["holder_node"] == a and c["reader_node"] == b2}
        if homes != {"holder", "reader"}:
            check(False, "c2c %d->%d: homings %s" % (a, b2, sorted(homes)))
check(len(cpu_nodes) < 2 or all(
    c["mem_node"] == (c["holder_node"] if c["home"] == "holder" else c["reader_node"]) for c in cc),
      "c2c: every node pair in both homings, mem_node the home")
rels = {c["relation"] for c in cc}
want = {"cross_node"} if len(cpu_nodes) > 1 else set()
if any(core(x) == core(y) for n in cpu_nodes for x in nodes[n]["cpus"] for y in nodes[n]["cpus"]
       if x != y):
    want.add("smt")
if any(len({llc_of(x) for x in nodes[n]["cpus"]}) > 1 for n in cpu_nodes):
    want.add("other_l3")
check(want <= rels, "c2c: relations %s cover %s" % (sorted(rels), sorted(want)))
for c in cc:
    h, r = roles(c, "holder"), roles(c, "reader")
    rel = ("cross_node" if node_of[h[0]] != node_of[r[0]] else "smt" if core(h[0]) == core(r[0])
           else "same_l3" if llc_of(h[0]) == llc_of(r[0]) else "other_l3")
    if rel != c["relation"]:
        check(False, "c2c %s->%s: relation %s, expected %s" % (h, r, c["relation"], rel))
check(True, "c2c: each pair's relation as the topology says")
sys.exit(1 if fails else 0)
