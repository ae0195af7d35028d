#!/usr/bin/env python3
"""Write the hand-made tests/fixtures/result1/synthetic-*.json fixtures that the analysis tests use.

They are synthetic: made-up numbers in the numabench.result/1 shape, not measurements, and
they stay /1 on purpose: they are the readers' /1 inputs (numabench writes /2; report,
compare, summary and fleet must keep reading /1). The reference results of the current schema
are the real guest runs in results/reference (tests/analysis/run.sh fails on a stale one). They
cover what report and compare must render: latency and bandwidth matrices, a balance timeline
with two modes, a GUP cell table, skipped and untrustworthy runs, an unknown bench with
unknown fields, the newer benches (loaded curves, migrate beside balance, tier scores
and timelines), and the firmware comparison on real-machine shapes (synthetic-slit-*: AMD-like
SLIT 10/32 with a 1.8x remote, an order reversed against SLIT, two packages of four nodes,
a CXL memory-only node). Deterministic (fixed seeds), so running it again gives the same files.

usage: tests/analysis/make-synthetic.py [OUTDIR]   (default tests/fixtures/result1)
"""
import json
import math
import os
import random
import sys

T95 = [0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]


def quantile(v, q):
    pos = q * (len(v) - 1)
    i = int(math.floor(pos))
    if i >= len(v) - 1:
        return v[-1]
    return v[i] + (pos - i) * (v[i + 1] - v[i])


def metric(unit, direction, samples):
    s = sorted(samples)
    n = len(s)
    mean = sum(s) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in s) / (n - 1)) if n > 1 else 0.0
    half = T95[n - 1] * sd / math.sqrt(n) if n > 1 else 0.0
    r = lambda x: round(x, 6)
    return {"unit": unit, "direction": direction, "samples": samples, "min": s[0],
            "max": s[-1], "median": r(quantile(s, 0.5)), "mean": r(mean), "stddev": r(sd),
            "cv": r(sd / mean) if mean else 0.0, "p5": r(quantile(s, 0.05)),
            "p95": r(quantile(s, 0.95)), "ci95": [r(mean - half), r(mean + half)]}


def noisy(rng, centre, rel, n=7):
    return [round(centre * (1 + rng.gauss(0, rel)), 4) for _ in range(n)]


def header(host, kernel):
    return {
        "schema": "numabench.result/1",
        "started": "2024-06-11T12:00:00Z",
        "tool": {"version": "0.1.0", "git_commit": "synthetic", "compiler": "gcc 12.2.0",
                 "argv": ["numabench", "run", "full", "-o", "synthetic.json"]},
        "host": {"hostname": host, "kernel": kernel, "kernel_version": "#1 SMP Debian",
                 "cmdline": "console=ttyS0 numa_balancing=enable", "cpu_model":
                 "QEMU Virtual CPU version 2.5+", "virtualization": "kvm"},
        "capabilities": {"root": True, "perf_event_paranoid": 2, "pmu": False,
                         "debugfs": True, "tracefs": True, "thp": "madvise",
                         "numa_balancing": 1, "proc_mem_force": True, "ptrace_scope": 0,
                         "allowed_nodes": "0-1", "allowed_cpus": "0-3"},
        "topology": {"nodes": [{"id": 0, "cpus": [0, 1], "memory_bytes": 2147483648},
                               {"id": 1, "cpus": [2, 3], "memory_bytes": 2147483648}],
                     "distances": [[10, 21], [21, 10]], "cpus": 4, "smt": 1,
                     "caches": [{"level": 1, "size_bytes": 32768, "line_bytes": 64,
                                 "count": 4},
                                {"level": 2, "size_bytes": 524288, "line_bytes": 64,
                                 "count": 4}]},
        "tunables": {
            "before": {"numa_balancing": "1", "scan_delay_ms": "1000", "scan_size_mb": "256",
                       "thp_enabled": "madvise"},
            "during": {"numa_balancing": "0,1", "scan_delay_ms": "1000", "scan_size_mb": "64",
                       "thp_enabled": "madvise"},
            "after": {"numa_balancing": "1", "scan_delay_ms": "1000", "scan_size_mb": "256",
                      "thp_enabled": "madvise"}},
        "runs": []}


def placement(intended, pages, on):
    local = int(round(pages * on))
    per = {str(n): (local if n == intended else pages - local) for n in (0, 1)}
    return {"intended_node": intended, "pages_per_node": per, "pages_total": pages,
            "pages_counted": pages, "not_present": 0, "on_intended": round(on, 4),
            "method": "move_pages"}


def latency_run(rng, remote_1g):
    cells = []
    for size, local, remote in ((4096, 1.2, 1.2), (1073741824, 95.0, remote_1g)):
        for c in (0, 1):
            for m in (0, 1):
                centre = local if c == m else remote
                cells.append({"size": size, "pages": "4k", "cpu_node": c, "mem_node": m,
                              "metrics": {"latency_ns": metric("ns", "lower",
                                                               noisy(rng, centre, 0.01))}})
    return {"bench": "latency", "params": {"size": "4K,1G", "pages": "4k"}, "status": "ok",
            "cells": cells, "placement": placement(1, 262144, 0.9998),
            "counters": {"cycles": {"event": "cycles", "available": False,
                                    "reason": "no PMU in this virtual machine"},
                         "page-faults": {"event": "page-faults", "encoding": "type=1,config=2",
                                         "value": 262144, "time_enabled": 1000000,
                                         "time_running": 1000000, "multiplexed": False}}}


def bandwidth_run(rng, triad_remote):
    cells = []
    for kernel, local, remote in (("read", 9.5, 6.1), ("triad", 7.8, triad_remote)):
        for c in (0, 1):
            for m in (0, 1):
                centre = local if c == m else remote
                cells.append({"kernel": kernel, "threads": 2, "cpu_node": c, "mem_node": m,
                              "metrics": {"bandwidth_GBps": metric(
                                  "GB/s", "higher", noisy(rng, centre, 0.015))}})
    return {"bench": "bandwidth", "params": {"kernel": "read,triad", "threads": "2",
                                             "size": "256M"}, "status": "ok", "cells": cells}


def fault_run(rng, cost):
    return {"bench": "fault", "params": {"size": "64M", "pages": "4k"}, "status": "ok",
            "metrics": {"fault_ns_per_page": metric("ns", "lower", noisy(rng, cost, 0.01)),
                        "faults": metric("count", "lower", [16384.0] * 7)},
            "placement": {"node0": placement(0, 16384, 1.0),
                          "node1": placement(1, 16384, 0.999)}}


def timeline(rng, mode, converge_at, length=30):
    """Pages move from node 1 to node 0 in geometrically shrinking steps once balancing
    starts (t >= 1 s); about 96% of the buffer ends local."""
    samples, migrated, faults = [], 0, 0
    ratio = math.exp(-0.5 / (converge_at / 3))
    for i in range(length + 1):
        t = round(i * 0.5, 1)
        if mode and t >= 1.0:
            step = int(63000 * (1 - ratio) * ratio ** ((t - 1.0) / 0.5))
            migrated += step
            faults += step + 150 + rng.randint(0, 20)
        local = min(65536, 128 + migrated)
        samples.append({"t_s": t, "local_share": round(local / 65536, 4),
                        "pages_per_node": {"0": local, "1": 65536 - local},
                        "hint_faults": faults, "pages_migrated": migrated,
                        "throughput_GBps": round(5.9 + 3.4 * local / 65536 +
                                                 rng.gauss(0, 0.05), 3)})
    last = samples[-1]
    conv = next((s["t_s"] for s in samples if s["local_share"] >= 0.9), "never")
    return {"balancing": mode, "pages_migrated": last["pages_migrated"],
            "hint_faults": last["hint_faults"], "hint_faults_local": last["hint_faults"] // 3,
            "pte_updates": last["hint_faults"] * 2 if mode else 0, "convergence_s": conv,
            "samples": samples}


def balance_run(rng, converge_at, shape):
    """shape "timeline": runs[].timeline[] of modes with samples (the contract's words);
    shape "modes": runs[].modes[] each with its timeline[] (the balance bench's output)."""
    run = {"bench": "balance", "params": {"size": "256M", "threads": "1",
                                          "pattern": "sequential"}, "status": "ok",
           "metrics": {"convergence_s": metric("s", "lower",
                                               noisy(rng, converge_at, 0.04, 5)),
                       "scan_overhead_pct": metric("%", "lower", noisy(rng, 2.5, 0.1, 5))}}
    modes = [timeline(rng, 0, converge_at), timeline(rng, 1, converge_at)]
    if shape == "timeline":
        run["timeline"] = modes
        return run
    for m in modes:
        m.update({"variant": "pinned-private", "placement": "remote", "threads_pinned": True,
                  "cpu_node": 0, "mem_node": 1, "status": "ok",
                  "reps": [{"rep": r, "order": 2 * r + m["balancing"]} for r in range(3)],
                  "timeline": m.pop("samples")})
        if m["convergence_s"] == "never":
            m["convergence_s"] = None
        for s in m["timeline"]:
            s["placement"] = s.pop("pages_per_node")
            s["thread_node"] = [0]
    run["modes"] = modes
    run["headline"] = "remote, balancing=1: 90%% local after %.2f s" % converge_at
    return run


PATHS = (("process_vm_readv", "read"), ("process_vm_writev", "write"),
         ("proc_mem_pread", "read"), ("proc_mem_pwrite", "write"),
         ("ptrace_peekdata", "read"), ("ptrace_pokedata", "write"))


def gup_cell(rng, path, op, bal, force, migrates):
    pages = 512
    moved = pages if (bal and migrates) else 0
    faults = pages if (bal and migrates) else 0
    return {"path": path, "op": op, "kind": "path", "pair": "cross", "balancing": bal,
            "force": force, "reader_node": 1, "target_node": 0, "pages": pages,
            "status": "ok", "pte_updates": pages if bal else 0,
            "hint_faults": faults, "hint_faults_local": 0, "pages_migrated": moved,
            "placement_before": {"0": pages, "1": 0},
            "placement_after": {"0": pages - moved, "1": moved},
            "reader_minflt": 3, "errno": None,
            "latency_ns": metric("ns", "lower", noisy(rng, 900 if op == "read" else 1300,
                                                      0.02, 5)),
            "verdict": "faults and migrates toward reader" if faults else "no hinting fault"}


def gup_run(rng, migrating):
    """migrating: the path prefixes whose access takes hinting faults and migrates."""
    cells = []
    for path, op in PATHS:
        migrates = path.startswith(migrating)
        for bal in (0, 1):
            cells.append(gup_cell(rng, path, op, bal, not path.startswith("process_vm"),
                                  migrates))
    for kind in ("null", "positive_control"):
        c = gup_cell(rng, "none", "read", 1, False, kind == "positive_control")
        c["kind"] = kind
        cells.append(c)
    verdicts = [{"path": p, "op": op, "force": not p.startswith("process_vm"), "pair": "cross",
                 "reader_node": 1, "target_node": 0,
                 "verdict": ("faults and migrates toward reader" if p.startswith(migrating)
                             else "no hinting fault"),
                 "migrated_share": 1.0 if p.startswith(migrating) else 0.0} for p, op in PATHS]
    return {"bench": "gup", "params": {"pages": "512", "repeat": "5"}, "status": "ok",
            "cells": cells, "verdicts": verdicts}


def other_runs(rng, frobs):
    return [
        {"bench": "migrate", "params": {}, "status": "skipped",
         "reason": "needs root: run as root for move_pages across nodes"},
        {"bench": "fault", "params": {"size": "64M", "pages": "thp"}, "status": "untrustworthy",
         "reason": "placement: 81.0% of pages on node 1, below 95%",
         "metrics": {"fault_ns_per_page": metric("ns", "lower", noisy(rng, 41000, 0.02))},
         "placement": placement(1, 32, 0.81)},
        {"bench": "mystery", "params": {"knob": "7"}, "status": "ok",
         "metrics": {"frobs": metric("frob/s", "higher", noisy(rng, frobs, 0.02))},
         "cells": [{"widget": "a", "value": 3.5}, {"widget": "b", "value": 4.25}],
         "extra": {"note": "unknown fields render generically", "list": [1, 2, 3]}},
    ]


def document(seed, host, kernel, remote_1g, triad_remote, fault, converge, frobs,
             shape="timeline", migrating=("proc_mem", "ptrace")):
    rng = random.Random(seed)
    doc = header(host, kernel)
    doc["runs"] = [latency_run(rng, remote_1g), bandwidth_run(rng, triad_remote),
                   fault_run(rng, fault), balance_run(rng, converge, shape),
                   gup_run(rng, migrating)]
    doc["runs"] += other_runs(rng, frobs)
    return doc


def loaded_run(rng):
    """Loaded latency: per (cpu_node, mem_node, mix) the idle point, then one per delay."""
    delays = ["idle", 0, 50, 200, 1000]
    cells = []
    for c in (0, 1):
        for m in (0, 1):
            for mix in ("read", "r2w1"):
                idle = 95.0 if c == m else 150.0
                peak = (9.5 if c == m else 6.0) * (1.0 if mix == "read" else 0.8)
                points = []
                for i, dl in enumerate(delays):
                    bw = 0.0 if dl == "idle" else round(peak / (1 + i - 1) ** 1.2, 4)
                    lat = round(idle * (1 + 1.5 * (bw / peak) ** 3), 4)
                    points.append({"delay": dl, "bandwidth_gbs": bw, "latency_ns": lat,
                                   "metrics": {
                                       "bandwidth_gbs": metric("GB/s", "higher",
                                                               noisy(rng, bw, 0.02, 5)),
                                       "latency_ns": metric("ns", "lower",
                                                            noisy(rng, lat, 0.01, 5))}})
                st = "untrustworthy" if (c, m, mix) == (1, 0, "r2w1") else "ok"
                cell = {"cpu_node": c, "mem_node": m, "mix": mix, "pages": "4k",
                        "size": "8M", "size_bytes": 8388608, "stride": 256,
                        "chase_cpu": 2 * c, "injector_cpus": [2 * c + 1],
                        "injectors_from": "node", "traffic_per_line": 64.0 if mix == "read"
                        else 85.33333333, "status": st, "points": points,
                        "metrics": {
                            "latency_ns": points[0]["metrics"]["latency_ns"],
                            "loaded_latency_ns": points[1]["metrics"]["latency_ns"],
                            "injector_gbs": points[1]["metrics"]["bandwidth_gbs"]},
                        "vs_latency": {"status": "agree", "ratio": 1.01}}
                if st != "ok":
                    cell["reason"] = "samples spread too much: robust spread 12.0% > 10.0%"
                cells.append(cell)
    return {"bench": "loaded", "params": {"delay": "0,50,200,1000", "mix": "read,r2w1",
                                          "size": "8M", "stride": "256"},
            "status": "untrustworthy",
            "reason": "1 of 8 cells untrustworthy or failed (see cells[].reason)",
            "headline": "idle (zero injection): local 95 ns, remote 150 ns (1.58x)",
            "vs_latency": {"agree": 7, "cells": 8, "disagree": 1, "status": "disagree",
                           "tolerance": 0.03, "worst_ratio": 1.052}, "cells": cells}


def migrate_run(rng):
    cells = []
    for src, dst in ((0, 1), (1, 0)):
        for pages in ("4k", "thp"):
            for method, ns in (("move_pages_batch", 900.0), ("migrate_pages", 700.0),
                               ("mbind", 800.0)):
                per = ns * (0.35 if pages == "thp" else 1.0)
                s = noisy(rng, per, 0.02, 5)
                cell = {"src_node": src, "dst_node": dst, "cpu_node": dst, "pages": pages,
                        "method": method, "size_bytes": 67108864, "status": "ok",
                        "pages_asked": 16384, "pages_moved": 16384, "calls": 32,
                        "calls_failed": 0, "other_pages_moved": 0, "samples_taken": 5,
                        "on_target_min": 1.0,
                        "metrics": {"ns_per_page": metric("ns", "lower", s),
                                    "pages_per_s": metric("pages/s", "higher",
                                                          [round(1e9 / x, 2) for x in s]),
                                    "gbs": metric("GB/s", "higher",
                                                  [round(4096.0 / x, 4) for x in s])}}
                if method == "move_pages_batch":
                    cell["batch"] = 512
                cells.append(cell)
    return {"bench": "migrate", "params": {"size": "64M", "pages": "4k,thp"}, "status": "ok",
            "headline": "4k: migrate_pages 1.43M pages/s (0 -> 1)", "cells": cells}


def tier_run(rng):
    cells, scores = [], []
    trials = (("baseline", 0, "fast"), ("baseline", 0, "slow"), ("promotion", 0, None),
              ("promotion", 2, None), ("demotion", 2, None))
    for sc, bal, bound in trials:
        share_end = {"fast": 1.0, "slow": 0.0}.get(bound, 0.0 if bal == 0 else 0.97)
        if sc == "demotion":
            share_end = 0.88
        timeline, prom, dem = [], 0, 0
        home = None
        for i in range(9):
            t = i * 0.5
            if bound or bal == 0:
                share = share_end
            else:
                share = round(share_end * (1 - math.exp(-t / 1.2)), 4)
                prom += int(1800 * math.exp(-t / 1.2))
                dem += 40 if sc == "demotion" else 0
            if home is None and share >= 0.9:
                home = t
            hot = int(round(256 * share))
            timeline.append({"t_s": t, "hot": {"0": hot, "1": 256 - hot},
                             "cold": {"0": 10, "1": 246}, "hot_fast_share": share,
                             "cold_fast_share": round(10 / 256, 4), "pgpromote_success": prom,
                             "pgpromote_candidate": prom + 50 * i, "pgdemote": dem,
                             "numa_pages_migrated": prom})
        acc = share_end
        cell = {"scenario": sc, "balancing": bal, "status": "ok", "accuracy": acc,
                "time_to_home_s": home, "home": home is not None, "hot_node_start": 1,
                "cold_node_start": 0, "hot_pages": 16384, "cold_pages": 65536,
                "sampled_pages": {"hot": 256, "cold": 256}, "hot_promoted_pages": prom,
                "cold_promoted_pages": 30 if prom else 0, "promoted_then_demoted_pages":
                12 if prom else 0, "vmstat": {"pgpromote_success": prom, "pgdemote_kswapd": dem,
                                              "pgdemote_direct": 0},
                "timeline": timeline,
                "label": "%s balancing=%d%s" % (sc, bal, " bound=" + bound if bound else ""),
                "metrics": {"accuracy": metric("ratio", "higher", [acc]),
                            "hot_MBps": metric("MB/s", "higher",
                                               [{"fast": 9000.0, "slow": 5000.0}.get(
                                                   bound, 5000.0 + 4000.0 * acc)])}}
        if bound:
            cell["bound"] = bound
        cells.append(cell)
        if sc in ("promotion", "demotion"):
            wasted = round(42 / prom, 4) if prom else None
            scores.append({"scenario": sc, "balancing": bal, "accuracy": acc,
                           "time_to_home_s": home, "status": "ok",
                           "wasted_migrations": wasted, "pgpromote_success": prom,
                           "accuracy_vs_baselines": acc,
                           "throughput_vs_baselines": round(acc * 0.97, 4)})
    return {"bench": "tier", "params": {"hot_size": "64M", "cold_size": "256M"},
            "status": "ok", "tiers": {"fast_node": 0, "slow_node": 1, "fast_tier": 4,
                                      "slow_tier": 22},
            "headline": "hot set slow node 1 -> fast node 0: mode 0 0% (home never); "
                        "mode 2 97% (home 3.0 s);", "scores": scores, "cells": cells}


def newbenches(with_balance):
    """The newer benches (loaded, migrate, tier) with, or without, a balance run beside."""
    rng = random.Random(4)
    doc = header("synthetic-a", "6.12.9-amd64")
    doc["runs"] = [loaded_run(rng), migrate_run(rng)]
    if with_balance:
        doc["runs"].append(balance_run(rng, 4.0, "modes"))
    doc["runs"].append(tier_run(rng))
    return doc


def slit_doc(seed, host, nodes, dist, lat, threads, memattrs=None):
    """A latency (1G, 4k, stride 256) and bandwidth (read, per node its own thread count)
    matrix on a topology: nodes is [(id, cpus)], dist the SLIT matrix, lat(c, m) the centre
    of a pair's latency, threads(c) the bandwidth threads of cpu node c."""
    rng = random.Random(seed)
    doc = header(host, "6.12.9-amd64")
    doc["host"]["virtualization"] = "none"
    doc["host"]["cpu_model"] = "synthetic server"
    topo = doc["topology"]
    topo["nodes"] = [{"id": i, "cpus": cpus, "memory_bytes": 1 << 36} for i, cpus in nodes]
    topo["distances"] = dist
    topo["cpus"] = sum(len(c) for _, c in nodes)
    if memattrs:
        topo["memattrs"] = memattrs
    cpu_nodes = [i for i, cpus in nodes if cpus]
    lcells, bcells = [], []
    for c in cpu_nodes:
        for m, _ in nodes:
            lcells.append({"size": "1G", "size_bytes": 1 << 30, "stride": 256, "pages": "4k",
                           "cpu_node": c, "mem_node": m, "status": "ok",
                           "metrics": {"latency_ns": metric("ns", "lower",
                                                            noisy(rng, lat(c, m), 0.005))}})
            for t in sorted({1, threads(c)}):
                bw = 20.0 * t / (1 if c == m else 2) / (lat(c, m) / 100.0)
                bcells.append({"kernel": "read", "threads": t, "cpu_node": c, "mem_node": m,
                               "status": "ok", "metrics": {"bandwidth_gbs": metric(
                                   "GB/s", "higher", noisy(rng, bw, 0.01))}})
    doc["runs"] = [{"bench": "latency", "params": {"size": "1G", "pages": "4k"},
                    "status": "ok", "cells": lcells},
                   {"bench": "bandwidth", "params": {"kernel": "read"}, "status": "ok",
                    "cells": bcells}]
    return doc


def slit_docs():
    """The firmware comparison and the distance classes on machines this VM is not."""
    two = [(0, [0, 1]), (1, [2, 3])]
    amd = slit_doc(11, "synthetic-amd2", two, [[10, 32], [32, 10]],
                   lambda c, m: 100.0 if c == m else 180.0, lambda c: 2)
    quad = [(i, [2 * i, 2 * i + 1]) for i in range(4)]
    pkg4 = [[10 if a == b else 12 if a // 2 == b // 2 else 32 for b in range(4)]
            for a in range(4)]
    # 0>1 (SLIT 12) measures slower than 0>2 and 0>3 (SLIT 32), CIs apart: reversed; 1>0
    # (12) measures 1 ns over 1>2 and 1>3 (32), within their CIs: not reversed
    rev_lat = {(0, 1): 200.0, (1, 0): 181.0}
    rev = slit_doc(12, "synthetic-reversed", quad, pkg4,
                   lambda c, m: rev_lat.get((c, m), 100.0 if c == m else
                                            115.0 if c // 2 == m // 2 else 180.0),
                   lambda c: 2)
    eight = [(i, list(range(4 * i, 4 * i + (2 if i == 7 else 4)))) for i in range(8)]
    pkg8 = [[10 if a == b else 12 if a // 4 == b // 4 else 32 for b in range(8)]
            for a in range(8)]
    nps = slit_doc(13, "synthetic-nps4x2", eight, pkg8,
                   lambda c, m: 100.0 if c == m else 112.0 if c // 4 == m // 4 else 190.0,
                   lambda c: len(eight[c][1]))
    cxl_nodes = [(0, [0, 1]), (1, [2, 3]), (2, [])]
    cxl_lat = {(0, 0): 95.0, (0, 1): 140.0, (0, 2): 250.0, (1, 0): 140.0, (1, 1): 95.0,
               (1, 2): 330.0}
    hmat = {"latency": [{"target": t, "initiator_cpus": "0-1", "value": v}
                        for t, v in ((0, 90), (1, 135), (2, 240))]}
    cxl = slit_doc(14, "synthetic-cxl", cxl_nodes, [[10, 21, 24], [21, 10, 32], [24, 32, 10]],
                   lambda c, m: cxl_lat[(c, m)], lambda c: 2, hmat)
    return {"synthetic-slit-amd2.json": amd, "synthetic-slit-reversed.json": rev,
            "synthetic-slit-nps4x2.json": nps, "synthetic-slit-cxl.json": cxl}


def minimal():
    return {"schema": "numabench.result/1", "runs": [
        {"bench": "latency", "status": "failed", "reason": "cannot allocate 1G on node 1"}],
        "future_field": {"anything": True}}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/result1"
    base = document(1, "synthetic-a", "6.1.0-28-amd64", 150.0, 5.2, 1500.0, 6.0, 100.0)
    patched = document(2, "synthetic-a", "6.12.9-amd64", 162.0, 5.75, 1500.0, 4.0, 100.0,
                       "modes", ("ptrace",))
    del patched["runs"][5]  # the skipped migrate run is gone ...
    patched["runs"].append({"bench": "loaded", "params": {"threads": "2"}, "status": "ok",
                            "metrics": {"latency_ns": metric("ns", "lower",
                                                             [120.0, 121.5, 119.8])}})
    third = document(3, "synthetic-b", "6.1.0-28-amd64", 149.0, 5.1, 1620.0, 6.2, 100.0)
    third["tunables"]["after"]["scan_size_mb"] = "64"  # as if a killed run left it changed
    files = {"synthetic-base.json": base, "synthetic-patched.json": patched,
             "synthetic-otherhost.json": third, "synthetic-minimal.json": minimal(),
             "synthetic-newbenches.json": newbenches(True),
             "synthetic-newbenches-nobalance.json": newbenches(False)}
    files.update(slit_docs())
    for name, doc in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
