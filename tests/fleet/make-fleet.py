#!/usr/bin/env python3
"""Write a made-up fleet of numabench results files with planted faults, and what a correct
`numabench fleet` must say about it.

Two hardware classes of "identical" hosts (random sizes), one host of a third class alone,
each host run once or twice (a planted trend: an older run slower). Planted, on distinct
random hosts: a node's bandwidth low, a node's memory smaller, numa_balancing off, other
distances. Every other host differs only by bounded noise (uniform +-3% per cell), so no
honest rule flags it. Also malformed, truncated and foreign files.

usage: make-fleet.py OUTDIR [--seed N] [--hosts N]   (--hosts: per class; default random 10..24)
Writes OUTDIR/*.json and OUTDIR/../expected.json:
  {"flagged": {HOST: [cause "what", ...]}, "skipped": [FILE, ...], "trend_hosts": [HOST],
   "single_host": HOST, "files": N}
"""
import argparse
import json
import os
import random

GIB = 1 << 30

CLASSES = [
    {"cpu": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "nodes": 2, "cpus": 32, "mem": 384,
     "dist": [[10, 20], [20, 10]], "alt": [[10, 32], [32, 10]]},
    {"cpu": "AMD EPYC 7763 64-Core Processor", "nodes": 4, "cpus": 16, "mem": 128,
     "dist": [[10, 12, 32, 32], [12, 10, 32, 32], [32, 32, 10, 12], [32, 32, 12, 10]],
     "alt": [[10, 11, 11, 11], [11, 10, 11, 11], [11, 11, 10, 11], [11, 11, 11, 10]]},
]
SINGLE = {"cpu": "Intel(R) Xeon(R) Platinum 8480+", "nodes": 2, "cpus": 56, "mem": 512,
          "dist": [[10, 21], [21, 10]], "alt": None}


def metric(unit, direction, med, rng):
    s = sorted(med * (1 + rng.uniform(-0.01, 0.01)) for _ in range(5))
    return {"unit": unit, "direction": direction, "samples": s, "min": s[0], "max": s[-1],
            "median": s[2], "mean": sum(s) / 5, "n": 5}


def doc(host, cls, stamp, rng, fault=None, slow=1.0, seed=0):
    # a host differs from its peers by up to 3% per cell, the same in each of its runs;
    # a run differs from the host's other runs by up to 0.5%
    hrng = random.Random(f"{seed}/{host}")
    n = cls["nodes"]
    mem = [cls["mem"] * GIB - hrng.randrange(0, 64) * (1 << 20) for _ in range(n)]
    dist = cls["alt"] if fault == "distances" else cls["dist"]
    bal = "0" if fault == "balancing" else "1"
    if fault == "memory":
        mem[1] = (cls["mem"] * 2 // 3) * GIB
    noise = lambda: (1 + hrng.uniform(-0.03, 0.03)) * (1 + rng.uniform(-0.005, 0.005))
    lat, bw = [], []
    for c in range(n):
        for m in range(n):
            d = cls["dist"][c][m] / 10
            for size, base in (("32K", 1.5), ("64M", 90.0)):
                v = base * (d if size == "64M" else 1) * noise() * slow
                lat.append({"cpu_node": c, "mem_node": m, "size": size, "pages": "4k",
                            "status": "ok",
                            "metrics": {"latency_ns": metric("ns", "lower", v, rng)}})
            for k, base in (("read", 20.0), ("triad", 16.0)):
                v = base / d * noise() / slow
                if fault == "bandwidth" and m == 1:
                    v *= 0.6
                bw.append({"cpu_node": c, "mem_node": m, "kernel": k, "threads": 4,
                           "status": "ok",
                           "metrics": {"bandwidth_GBps": metric("GB/s", "higher", v, rng)}})
    cpus = [list(range(i * cls["cpus"], (i + 1) * cls["cpus"])) for i in range(n)]
    tun = {"numa_balancing": bal, "thp_enabled": "madvise", "scan_delay_ms": "1000"}
    return {
        "schema": "numabench.result/1", "started": stamp,
        "tool": {"version": "0.1.0", "git_commit": "fleet", "compiler": "gcc 12.2.0"},
        "host": {"hostname": host, "kernel": "6.1.0-28-amd64", "cmdline": f"BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID="
                 f"{hrng.getrandbits(128):032x} ro quiet",
                 "cpu_model": cls["cpu"], "virtualization": "none"},
        "capabilities": {"root": True, "numa_balancing": int(bal), "thp": "madvise",
                         "pmu": True},
        "topology": {"nodes": [{"id": i, "cpus": cpus[i], "memory_bytes": mem[i]}
                               for i in range(n)],
                     "distances": dist, "cpus": n * cls["cpus"]},
        "tunables": {"before": tun, "during": tun, "after": tun},
        "runs": [
            {"bench": "latency", "params": {"size": "32K,64M", "pages": "4k"}, "status": "ok",
             "cells": lat},
            {"bench": "bandwidth", "params": {"kernel": "read,triad", "size": "1G"},
             "status": "ok", "cells": bw},
            {"bench": "fault", "params": {"size": "64M"}, "status": "ok",
             "metrics": {"fault_ns_per_page": metric("ns", "lower", 450 * noise(), rng)}},
        ]}


CAUSE = {"bandwidth": "node 1 bandwidth_GBps", "memory": "node 1 memory",
         "balancing": "tunable numa_balancing", "distances": "distances"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--hosts", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    os.makedirs(a.out, exist_ok=True)
    exp = {"seed": seed, "flagged": {}, "skipped": [], "trend_hosts": [], "files": 0}
    day = 0

    def write(name, d):
        with open(os.path.join(a.out, name), "w") as f:
            json.dump(d, f, sort_keys=True)
        exp["files"] += 1

    faults = ["bandwidth", "memory", "balancing", "distances"]
    rng.shuffle(faults)
    for ci, cls in enumerate(CLASSES):
        nh = a.hosts or rng.randint(10, 24)
        hosts = [f"r{ci + 1}{rng.randint(0, 9)}n{i:03d}" for i in range(nh)]
        # two faults per class, on distinct hosts; one more host gets a planted trend
        mine = faults[2 * ci:2 * ci + 2]
        picked = rng.sample(range(nh), 3)
        for hi, h in enumerate(hosts):
            fault = mine[picked.index(hi)] if hi in picked[:2] else None
            runs = 2 if hi == picked[2] or rng.random() < 0.3 else 1
            for r in range(runs):
                day += 1
                stamp = f"2026-{1 + r:02d}-{1 + day % 28:02d}T{day % 24:02d}:00:00Z"
                slow = 1.3 if hi == picked[2] and r == 0 else 1.0
                write(f"{h}-{r}.json", doc(h, cls, stamp, rng, fault, slow, seed))
            if fault:
                exp["flagged"][h] = [CAUSE[fault]]
            if hi == picked[2]:
                exp["trend_hosts"].append(h)
    write("solo-0.json", doc("solo01", SINGLE, "2026-03-01T00:00:00Z", rng))
    exp["single_host"] = "solo01"
    good = json.dumps(doc("broken", CLASSES[0], "2026-01-01T00:00:00Z", rng))
    bad = {"truncated.json": good[:len(good) // 2], "garbage.json": "not json at all\n",
           "foreign.json": json.dumps({"kind": "something else", "items": [1, 2]}),
           "future.json": good.replace("numabench.result/1", "numabench.result/9"),
           "empty.json": ""}
    for name, text in bad.items():
        with open(os.path.join(a.out, name), "w") as f:
            f.write(text)
        exp["skipped"].append(os.path.join(a.out, name))
    with open(os.path.join(os.path.dirname(os.path.abspath(a.out)), "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
