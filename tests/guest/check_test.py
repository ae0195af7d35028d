#!/usr/bin/env python3
"""Self-test of `check.py ci` (no guest boots): a real ci result from a 2node TCG guest on 6.12
(tests/guest/fixtures/ci-2node-6.12-tcg.json, recorded before timing metrics carried
`emulated`), made to pass, then broken one way at a time; each break must fail the check.

  python3 tests/guest/check_test.py
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CFG = os.path.join(ROOT, "configs", "guests", "2node.json")
BASE = json.load(open(os.path.join(HERE, "fixtures", "ci-2node-6.12-tcg.json")))
sys.path.insert(0, HERE)
import check  # noqa: E402


def good():
    d = copy.deepcopy(BASE)
    d["guest"]["exit_code"] = 0
    for r in d["runs"]:
        r["status"] = "ok"
        r.pop("reason", None)
        for c in r.get("cells") or []:
            if c.get("status") == "untrustworthy":
                c["status"] = "ok"
                c.pop("reason", None)
    for _, m in check.metrics_in(d["runs"]):
        if check.is_timing(m):
            m["emulated"] = True
    # the fixture predates gup's mark check: each balancing-1 pass gets what the bench writes
    g = next(r for r in d["runs"] if r["bench"] == "gup")
    g["mark_check"] = {"evidence": "canary_faults", "canary_pages": 2, "rule": "..."}
    for c in g["cells"]:
        for p in c.get("passes") or []:
            p["mark"] = ({"evidence": "canary_faults", "canary_faults": 2, "checks": 1,
                          "scan_seq_rise": 2} if c["balancing"] == 1 else
                         {"evidence": "not_checked", "canary_faults": None, "checks": 0,
                          "scan_seq_rise": None})
    return d


def gup_cell(doc, path, mode, pair="cross"):
    r = next(r for r in doc["runs"] if r["bench"] == "gup")
    return next(c for c in r["cells"]
                if c["path"] == path and c["balancing"] == mode and c["pair"] == pair)


def run(doc, env=None):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    e = {k: v for k, v in os.environ.items() if k != "NB_REQUIRE_METRIC_EMULATED"}
    e.update(env or {})
    p = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), "ci", CFG, f.name,
                        "6.12"], capture_output=True, text=True, env=e)
    os.unlink(f.name)
    return p.returncode, p.stdout.strip()


def first(doc, pred):
    return next(m for _, m in check.metrics_in(doc["runs"]) if pred(m))


fails = 0


def expect(name, want, doc, env=None):
    global fails
    rc, out = run(doc, env)
    ok = rc == want
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc} (want {want}) {out.splitlines()[:1]}")


expect("recorded result (exit 3, untrustworthy timings) fails", 1, BASE)
d = good()
for _, m in check.metrics_in(d["runs"]):
    m.pop("emulated", None)
expect("no metric carries `emulated` yet: skipped part", 77, d)
expect("... unless NB_REQUIRE_METRIC_EMULATED=1", 1, d, {"NB_REQUIRE_METRIC_EMULATED": "1"})
expect("passing result", 0, good())
d = good()
first(d, lambda m: m["unit"] == "ns").pop("emulated")
expect("one timing metric without emulated", 1, d)
d = good()
first(d, lambda m: m["unit"] == "GB/s")["emulated"] = False
expect("a bandwidth metric emulated: false", 1, d)
d = good()
d["host"]["timing_emulated"] = False
expect("host.timing_emulated false under TCG", 1, d)
d = good()
d["host"]["timing_source"] = "cmdline"
expect("detected from the command line, not CPUID", 1, d)
d = good()
d["guest"]["exit_code"] = 3
expect("exit code 3", 1, d)
d = good()
for r in d["runs"]:
    if r["bench"] == "balance":
        for m in r["modes"]:
            if m["variant"] == "remote-pinned" and m["balancing"] == 1:
                m["pages_migrated"] = 0
expect("balancing migrated nothing", 1, d)


def balance_mode(doc, variant, mode):
    r = next(r for r in doc["runs"] if r["bench"] == "balance")
    return next(m for m in r["modes"] if m["variant"] == variant and m["balancing"] == mode)


# balancing 0: system-wide vmstat counted other tasks' pages, the buffer stayed (arm64 ci)
d = good()
m = balance_mode(d, "bound-local", 0)
m["pages_migrated"] = 3
m["reps"][0]["cross_check"]["vmstat_numa_pages_migrated"] = 6
m["reps"][0]["vmstat"]["numa_pages_migrated"] = 6
expect("balancing 0, 6 pages of other tasks migrated, buffer unmoved", 0, d)
d = good()
balance_mode(d, "bound-local", 0)["reps"][1]["cross_check"]["numa_maps_pages_arrived"] = 2
expect("balancing 0 moved 2 buffer pages in one repetition", 1, d)
d = good()
balance_mode(d, "remote-pinned", 0)["reps"][0]["cross_check"].pop("numa_maps_pages_arrived")
expect("balancing 0 without a numa_maps reading", 1, d)
d = good()
balance_mode(d, "remote-pinned", 1)["reps"][1]["cross_check"]["numa_maps_pages_arrived"] = 0
expect("balancing 1: vmstat migrations but the buffer did not move in one repetition", 1, d)
d = good()
next(r for r in d["runs"] if r["bench"] == "fault")["cells"][0]["metrics"]["faults_per_page"]["median"] = 0.5
expect("half a fault per 4k page", 1, d)
d = good()
next(r for r in d["runs"] if r["bench"] == "gup")["status"] = "skipped"
expect("gup skipped", 1, d)
d = good()
next(r for r in d["runs"] if r["bench"] == "latency")["cells"][0]["placement"]["on_intended"] = 0.5
expect("latency placement off its node", 1, d)
d = good()
c = next(c for c in next(r for r in d["runs"] if r["bench"] == "gup")["cells"]
         if c["balancing"] == 0)
c["passes"][0]["pte_updates"] = 3
expect("gup marked PTEs with balancing off", 1, d)
# gup's mark check: marked from the target's own buffer (its canary pages), never from vmstat
d = good()
p = gup_cell(d, "positive_control", 1)["passes"][0]
p["mark"] = {"evidence": "not_confirmed", "canary_faults": 0, "checks": 3, "scan_seq_rise": 3}
expect("gup positive control marked without its canary pages faulting", 1, d)
d = good()
gup_cell(d, "process_vm_readv", 1, "local")["passes"][0]["mark"]["canary_faults"] = 1
expect("gup pass with 1 of 2 canary pages faulted", 1, d)
d = good()
gup_cell(d, "ptrace_peek", 1)["passes"][0].pop("mark")
expect("gup balancing-1 pass without a mark record", 1, d)
d = good()
next(r for r in d["runs"] if r["bench"] == "gup").pop("mark_check")
expect("gup run without mark_check", 1, d)
d = good()
for c in next(r for r in d["runs"] if r["bench"] == "gup")["cells"]:
    for p in c.get("passes") or []:
        p["pte_updates"] = 533 if c["balancing"] == 1 else 0
gup_cell(d, "process_vm_readv", 0)["passes"][0]["mark"]["canary_faults"] = None
expect("gup: canaries faulted, 533 system-wide PTE updates, balancing 0 not checked", 0, d)
sys.exit(1 if fails else 0)
