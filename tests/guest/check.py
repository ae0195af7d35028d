#!/usr/bin/env python3
"""Checks for the guest integration tests (tests/guest/run.sh), from the JSON only.

  check.py topo CONFIG.json RESULT.json KERNEL   topo --json reports the configured topology
  check.py quick CONFIG.json RESULT.json KERNEL  honest statuses, placement verified on every
                                                 node, tunables restored
  check.py ci CONFIG.json RESULT.json KERNEL     the ci suite: everything `quick` checks, plus
                                                 every bench ok, exit code 0, the emulation
                                                 flag set under TCG (host.timing_emulated),
                                                 first-touch faults counted, balancing migrated
                                                 and converged, GUP hinting faults (none marked
                                                 with balancing off), and every
                                                 timing metric marked `emulated: true`
  check.py knob RESULT.json                      numa_balancing switched 0 -> 1 and restored
  check.py tier RESULT.json [TIERS]              the tier bench (tests/guest/tier.sh): memory
                                                 tiers as TIERS says ("4:0,1 84:2"), promotion
                                                 in modes 2 and 3, the controls (0 and 1) judged
                                                 by the buffer's own pages, baselines, demotion,
                                                 tunables restored

Prints one line per problem and exits 1 when there is any; exit 77 means "skip" (the line
printed says why). Sizes in configs take K/M/G suffixes (powers of 1024), as in numabench.
"""
import json
import sys

SCHEMA = "numabench.result/2"  # what the numabench under test writes (harness/nb.h)
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
    if doc.get("schema") != SCHEMA:
        bad(f"schema {doc.get('schema')!r}, expected {SCHEMA!r}")
    runs = check_runs(doc, cfg)
    check_guest_meta(doc, cfg, kernel, want_exit=expected_exit(runs) if runs else None)
    skip = check_placement(runs, cfg) if runs else None
    check_tunables_restored(doc)
    return skip


# Metrics whose figure is a time or a rate per time: under TCG they are emulated.
TIME_UNITS = {"ns", "us", "ms", "s"}


def is_timing(metric):
    u = metric.get("unit")
    return isinstance(u, str) and (u in TIME_UNITS or u.endswith("/s"))


def metrics_in(obj, where="runs"):
    """Every metric object (a dict with "unit" and "samples") under obj, with its path."""
    if isinstance(obj, dict):
        if "unit" in obj and "samples" in obj:
            yield where, obj
            return
        for k, v in obj.items():
            yield from metrics_in(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from metrics_in(v, f"{where}[{i}]")


def check_emulation(doc):
    """host.timing_emulated follows the accelerator the guest ran on; under TCG the CPUID
    hypervisor leaf must have said so. Then the metrics: returns a skip message while this
    numabench's metrics carry no `emulated` field at all (the statistics change of issue 12
    has not landed); once any metric carries it, every timing metric must say true under TCG
    and no metric may say true under KVM. NB_REQUIRE_METRIC_EMULATED=1 enforces it always."""
    import os
    host, guest = doc.get("host") or {}, doc.get("guest") or {}
    accel = guest.get("accel")
    tcg = accel == "tcg"
    if host.get("timing_emulated") is not tcg:
        bad(f"host.timing_emulated is {host.get('timing_emulated')!r} on a guest with accel "
            f"{accel!r} (expected {tcg})")
    if host.get("accel") != accel:
        bad(f"host.accel {host.get('accel')!r} differs from guest.accel {accel!r}")
    # x86: CPUID's hypervisor leaf (TCGTCGTCGTCG); arm64: MIDR implementer 0x00 (QEMU's cpu)
    want_src = "midr" if guest.get("arch") == "arm64" else "cpuid"
    if tcg and host.get("timing_source") != want_src:
        bad(f"host.timing_source is {host.get('timing_source')!r}: under TCG on "
            f"{guest.get('arch', 'x86_64')} {want_src!r} should decide")
    if tcg and "emulated" not in str(host.get("timing_reason", "")):
        bad(f"host.timing_reason {host.get('timing_reason')!r} does not say timings are emulated")
    ms = list(metrics_in(doc.get("runs")))
    timing = [(w, m) for w, m in ms if is_timing(m)]
    if not timing:
        bad("no timing metric in the result (latency, bandwidth and fault should have some)")
        return None
    landed = any("emulated" in m for _, m in ms)
    if not landed and os.environ.get("NB_REQUIRE_METRIC_EMULATED") != "1":
        return (f"metrics carry no `emulated` field yet ({len(timing)} timing metrics "
                f"unchecked; set NB_REQUIRE_METRIC_EMULATED=1 to require it)")
    if tcg:
        wrong = [w for w, m in timing if m.get("emulated") is not True]
        if wrong:
            bad(f"{len(wrong)} of {len(timing)} timing metrics lack emulated: true under TCG, "
                f"e.g. {wrong[:3]}")
    else:
        wrong = [w for w, m in ms if m.get("emulated") is True]
        if wrong:
            bad(f"{len(wrong)} metrics say emulated: true on accel {accel!r}, e.g. {wrong[:3]}")
    return None


def check_ci_behaviour(runs):
    by = {r.get("bench"): r for r in runs}
    for name in ("latency", "bandwidth", "fault", "balance", "gup"):
        r = by.get(name)
        if r is None:
            bad(f"the ci suite ran no {name}")
        elif r.get("status") != "ok":
            bad(f"run {name}: status {r.get('status')} ({r.get('reason')}), expected ok")
    f = by.get("fault") or {}
    for i, c in enumerate(f.get("cells") or []):
        fpp = ((c.get("metrics") or {}).get("faults_per_page") or {}).get("median")
        if not isinstance(fpp, (int, float)):
            bad(f"fault cells[{i}]: no faults_per_page")
        elif c.get("pages") == "4k" and not 0.99 <= fpp <= 1.01:
            bad(f"fault cells[{i}] (4k): {fpp} faults per page, expected 1 (first touch)")
        elif not fpp > 0:
            bad(f"fault cells[{i}] ({c.get('pages')}): no fault counted")
    # balance's pages_migrated is /proc/vmstat numa_pages_migrated, system-wide: with balancing
    # 0 it also counts pages of other tasks (numabench's own, the guest's shell) whose PTEs the
    # scanner marked while balancing was on before the bench (KN-marked-ptes-persist; 1-6 pages
    # in the first cell of arm64 ci runs). What balancing 0 must not move is the buffer: the
    # pages numa_maps saw arrive on another node, in every repetition.
    for m in (by.get("balance") or {}).get("modes") or []:
        name = f"balance {m.get('variant')} balancing={m.get('balancing')}"
        reps = [x for x in m.get("reps") or [] if x.get("status") in ("ok", "untrustworthy")]
        moved = [(x.get("cross_check") or {}).get("numa_maps_pages_arrived") for x in reps]
        if m.get("variant") == "remote-pinned" and m.get("balancing") == 1:
            if not (m.get("pages_migrated") or 0) > 0 or not m.get("converged"):
                bad(f"{name}: pages_migrated {m.get('pages_migrated')}, converged "
                    f"{m.get('converged')}: balancing moved nothing to the threads' node")
            elif not moved or not all(isinstance(v, int) and v > 0 for v in moved):
                bad(f"{name}: buffer pages that arrived on another node per repetition "
                    f"{moved}: balancing did not move the buffer")
        if m.get("balancing") == 0:
            if not reps:
                bad(f"{name}: no measured repetition ({m.get('reason')})")
            elif any(v != 0 for v in moved):
                bad(f"{name}: buffer pages moved with balancing off (numa_maps arrivals per "
                    f"repetition {moved}; vmstat numa_pages_migrated, system-wide, "
                    f"{[(x.get('cross_check') or {}).get('vmstat_numa_pages_migrated') for x in reps]})")
    cells = (by.get("gup") or {}).get("cells") or []
    if not any(c.get("balancing") == 1 and (c.get("hint_faults") or 0) > 0 for c in cells):
        bad("gup: no cell took a NUMA hinting fault with balancing on")
    # A balancing-1 pass starts once the target's own buffer VMA was scanned: its canary pages
    # (run mark_check) each took a hinting fault. System-wide numa_pte_updates and one rise of
    # the target's mm->numa_scan_seq were not enough (6.4+ skips a VMA newer than the scan
    # delay: 533 PTE updates, 0 of 16 hinting faults in an arm64 4node-asym 6.12 run).
    g = by.get("gup") or {}
    want = (g.get("mark_check") or {}).get("canary_pages")
    if cells and not (isinstance(want, int) and want > 0):
        bad(f"gup: run mark_check.canary_pages {want!r}, expected a count of canary pages")
    for c in cells:
        if c.get("balancing") != 1 or c.get("status") != "ok":
            continue
        for i, p in enumerate(c.get("passes") or []):
            m = p.get("mark") or {}
            if m.get("evidence") != "canary_faults" or not (m.get("canary_faults") or 0) >= (want or 1):
                bad(f"gup {c.get('pair')} {c.get('path')} balancing=1 pass {i}: marked without "
                    f"its buffer's canary pages faulting (mark {m or None}, "
                    f"{p.get('pte_updates')} PTE updates system-wide)")
    # gup.sh's invariant: with balancing off no PTE is marked (vmstat numa_hint_faults is
    # system-wide, so a stray hinting fault counted in a balancing-0 cell is not an error).
    for c in cells:
        for i, p in enumerate(c.get("passes") or []):
            if c.get("balancing") == 0 and p.get("pte_updates") != 0:
                bad(f"gup {c.get('pair')} {c.get('path')} balancing=0 pass {i}: "
                    f"{p.get('pte_updates')} PTEs marked with balancing off")


def cmd_ci(cfg_path, res_path, kernel):
    cfg, doc = load(cfg_path), load(res_path)
    if doc.get("schema") != SCHEMA:
        bad(f"schema {doc.get('schema')!r}, expected {SCHEMA!r}")
    runs = check_runs(doc, cfg)
    check_guest_meta(doc, cfg, kernel, want_exit=0)
    skip = check_placement(runs, cfg) if runs else "no runs"
    check_tunables_restored(doc)
    check_ci_behaviour(runs)
    return check_emulation(doc) or skip


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


def tier_control(c, name):
    """A control cell (numa_balancing 0 or 1), judged by the buffer's own pages: cell
    buffer_pages, the move_pages placement of the sampled pages of each set against the node it
    was placed on. vmstat pgpromote_success is system-wide (every process, and pages the scanner
    marked before the trial: a page marked in an earlier mode-2 phase may fault and be promoted
    after the switch) and is context only. At 0 no page may move; at 1 normal balancing moves
    the hot set to the fast node (the node of the cpus that touch it), nothing else may move.
    The cell's status must follow that evidence."""
    mode = c.get("balancing")
    b = c.get("buffer_pages")
    sets = {k: (b or {}).get(k) for k in ("hot", "cold")}
    if not all(isinstance(v, dict) for v in sets.values()):
        bad(f"{name}: no buffer_pages (hot, cold): the control has nothing to be judged by")
        return
    clean = True
    for k, v in sets.items():
        present, moved, away = v.get("present"), v.get("moved"), v.get("moved_elsewhere")
        first, last = v.get("first") or {}, v.get("last") or {}
        start = str(v.get("start_node"))
        if not all(isinstance(x, int) for x in (present, moved, away)) or present <= 0:
            bad(f"{name}: {k} pages present {present}, moved {moved}, elsewhere {away}: no "
                f"placement evidence")
            clean = False
            continue
        # the per-node counts of the first and last sample against the counts of moves
        off = {s: sum(n for node, n in x.items() if node != start)
               for s, x in (("first", first), ("last", last))}
        if not first or not last:
            bad(f"{name}: {k} pages per node at the first/last sample missing")
            clean = False
        elif off["first"] > moved or off["last"] > moved:
            bad(f"{name}: {k} moved {moved} but {off['first']} pages off node {start} at the "
                f"first sample, {off['last']} at the last ({first} -> {last})")
            clean = False
        if mode == 0 and moved:
            bad(f"{name}: {moved} sampled {k} pages left node {start} with balancing off "
                f"(vmstat pgpromote_success, system-wide, "
                f"{(c.get('vmstat') or {}).get('pgpromote_success')})")
            clean = False
        if mode == 1 and (away or (k == "cold" and moved)):
            bad(f"{name}: {k} pages moved {moved}, {away} of them off the fast node "
                f"{b.get('fast_node')}: balancing 1 may move only the hot set, to the fast node")
            clean = False
    if clean and c.get("status") != "ok":
        bad(f"{name}: status {c.get('status')} ({c.get('reason')}) although the buffer's own "
            f"pages pass the control")


def cmd_tier(res_path, expect="4:0,1 84:2"):
    doc = load(res_path)
    want = sorted((int(t.split(":")[0]), sorted(int(n) for n in t.split(":")[1].split(",")))
                  for t in expect.split())
    mt = (doc.get("topology") or {}).get("memory_tiers") or {}
    got = sorted((t["id"], sorted(t["nodes"])) for t in mt.get("tiers") or [])
    if got != want:
        bad(f"topology.memory_tiers {got}, expected {want}")
    if mt.get("demotion_enabled") is None:
        bad("topology.memory_tiers.demotion_enabled not recorded")
    runs = [r for r in doc.get("runs") or [] if r.get("bench") == "tier"]
    if len(runs) != 1:
        bad(f"expected one tier run, found {len(runs)}")
        return None
    r = runs[0]
    if r.get("status") not in ("ok", "untrustworthy"):
        bad(f"status {r.get('status')}: {r.get('reason')}")
    tiers = r.get("tiers") or {}
    ids = [t[0] for t in want]
    if tiers.get("fast_tier") != ids[0] or tiers.get("slow_tier") not in ids[1:]:
        bad(f"run tiers {tiers}: fast tier must be {ids[0]}, slow one of {ids[1:]}")
    seen = set()
    for c in r.get("cells") or []:
        sc, mode, vm = c.get("scenario"), c.get("balancing"), c.get("vmstat") or {}
        name = f"{sc} balancing={mode}" + (f" bound {c['bound']}" if c.get("bound") else "")
        if c.get("status") in ("failed", "skipped") and sc != "sweep":
            bad(f"{name}: {c.get('status')}: {c.get('reason')}")
            continue
        if sc == "promotion":
            seen.add(mode)
            p = vm.get("pgpromote_success")
            if mode in (2, 3) and not (isinstance(p, int) and p > 0):
                bad(f"{name}: pgpromote_success {p}, expected > 0")
            if mode in (0, 1):
                tier_control(c, name)
            if not isinstance(c.get("accuracy"), (int, float)):
                bad(f"{name}: accuracy not reported")
            h = c.get("time_to_home_s")
            if not (isinstance(h, (int, float)) or (h is None and c.get("home") is False)):
                bad(f"{name}: time_to_home_s not reported ({h})")
            if not c.get("timeline"):
                bad(f"{name}: no placement timeline")
        elif sc == "baseline":
            a = c.get("accuracy")
            ok = isinstance(a, (int, float)) and (a >= 0.95 if c.get("bound") == "fast"
                                                   else a <= 0.05)
            if not ok:
                bad(f"{name}: accuracy {a}")
        elif sc == "demotion":
            seen.add("demotion")
            dem = (vm.get("pgdemote_kswapd") or 0) + (vm.get("pgdemote_direct") or 0)
            if dem <= 0:
                bad(f"{name}: no page demoted (vmstat {vm}, filler {c.get('filler')})")
    for m in (0, 1, 2, 3, "demotion"):
        if m not in seen:
            bad("no %s cell" % (f"promotion balancing={m}" if m != "demotion" else m))
    if not r.get("scores"):
        bad("no scores")
    for s in r.get("scores") or []:
        if "accuracy" not in s or "time_to_home_s" not in s:
            bad(f"scores entry without accuracy/time_to_home_s: {s}")
    t = doc.get("tunables") or {}
    if t.get("before") != t.get("after"):
        bad(f"tunables after the run {t.get('after')} differ from before {t.get('before')}")
    for k, v in list((r.get("tunables_bench") or {}).items()) + \
            list((r.get("balancing_tunables") or {}).items()):
        if isinstance(v, dict) and v.get("restored") is False:
            bad(f"the bench did not put back {k}")
    if not problems:
        prom = {c["balancing"]: (c.get("vmstat") or {}).get("pgpromote_success")
                for c in r.get("cells") or [] if c.get("scenario") == "promotion"}
        moved = {c["balancing"]: {k: (c.get("buffer_pages") or {}).get(k, {}).get("moved")
                                  for k in ("hot", "cold")}
                 for c in r.get("cells") or [] if c.get("scenario") == "promotion"}
        print(f"ok: {r.get('headline')}")
        print(f"  pgpromote_success by mode (system-wide) {prom}")
        print(f"  sampled buffer pages moved by mode {moved}")
    return None


def main(argv):
    if len(argv) < 2 or argv[1] not in ("topo", "quick", "ci", "knob", "tier"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if argv[1] == "topo":
            skip = cmd_topo(*argv[2:5])
        elif argv[1] == "quick":
            skip = cmd_quick(*argv[2:5])
        elif argv[1] == "ci":
            skip = cmd_ci(*argv[2:5])
        elif argv[1] == "tier":
            skip = cmd_tier(*argv[2:4])
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
