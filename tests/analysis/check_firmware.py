#!/usr/bin/env python3
"""Check the summary rows of `report --format json` on the synthetic-slit-* fixtures: SLIT is
read as an order (a 1.8x remote under SLIT 32 is not flagged, a reversed order is, CIs that
overlap are not), pairs are grouped by distance class (same package, other package, memory
only) and bandwidth is per pair at its own most threads.

usage: check_firmware.py NAME REPORT.json   (NAME: amd2, reversed, nps4x2, cxl or hmat)
"""
import json
import sys


def pairs(rows, metric="latency_ns"):
    return {(r["cpu_node"], r["mem_node"]): r for r in rows
            if r["cpu_node"] is not None and r["metric"] == metric and r["status"]}


def classes(rows, metric="latency_ns"):
    return {r["cell"].rsplit(" ", 1)[0]: r["n"] for r in rows
            if r["cpu_node"] is None and r["metric"] == metric}


def check(name, rows):
    lat = pairs(rows)
    rev = sorted(p for p, r in lat.items() if r["status"] == "reversed")
    cls = classes(rows)
    if name == "amd2":
        assert not rev, f"flagged {rev}"
        assert lat[(0, 1)]["status"] == "agrees", lat[(0, 1)]
        assert cls == {"class=local slit=10": 2, "class=other-package slit=32": 2}, cls
    elif name == "reversed":
        assert rev == [(0, 1), (0, 2), (0, 3)], f"reversed {rev}"
        assert "0>2" in lat[(0, 1)]["reason"] and "slower" in lat[(0, 1)]["reason"]
        assert lat[(1, 0)]["status"] == "agrees", "CIs that overlap are not reversed"
    elif name == "nps4x2":
        assert not rev, f"flagged {rev}"
        assert cls == {"class=local slit=10": 8, "class=same-package slit=12": 24,
                       "class=other-package slit=32": 32}, cls
        bw = [r for r in rows if r["bench"] == "summary" and r["metric"] == "bandwidth_gbs"
              and r["cpu_node"] is not None]
        threads = {(r["cpu_node"], r["mem_node"]): r["cell"].split("threads=")[1] for r in bw}
        assert threads[(7, 7)] == "2" and threads[(0, 0)] == "4", threads
        assert len(bw) == 64, "every pair keeps its bandwidth"
    elif name == "cxl":
        assert not rev, f"flagged {rev}"
        assert cls["class=memory-only slit=24"] == 1 and cls["class=memory-only slit=32"] == 1
        assert "memory-only" in lat[(0, 2)]["cell"] and "memory-only" in lat[(1, 2)]["cell"]
    elif name == "hmat":
        assert rev == [(0, 1), (0, 2)], f"reversed {rev}"
        assert "HMAT" in lat[(0, 2)]["reason"] and "0>1" in lat[(0, 2)]["reason"]
    else:
        sys.exit(f"check_firmware: unknown case {name!r}")


def main():
    name, path = sys.argv[1:3]
    rows = [r for r in json.load(open(path))["rows"] if r["bench"] == "summary"]
    try:
        check(name, rows)
    except (AssertionError, KeyError) as e:
        sys.exit(f"check_firmware: {name}: {e!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
