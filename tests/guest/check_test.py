#!/usr/bin/env python3
"""Self-test of `check.py ci` and `check.py tier` (no guest boots): a real ci result from a 2node
TCG guest on 6.12 (tests/guest/fixtures/ci-2node-6.12-tcg.json, recorded before timing metrics
carried `emulated`) and a real tier result from a 3node-tier TCG guest on 6.12
(tests/guest/fixtures/tier-3node-6.12-tcg.json, tests/guest/tier.sh), made to pass, then broken
one way at a time; each break must fail the check, and each harmless change must pass it.

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
    d["schema"] = check.SCHEMA  # the fixture is a numabench.result/1 file
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
d["schema"] = "numabench.result/1"
expect("the older schema (the numabench under test writes /2)", 1, d)
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

# ---- check.py tier: the controls (numa_balancing 0 and 1) judged by the buffer's own pages ----
TIER = json.load(open(os.path.join(HERE, "fixtures", "tier-3node-6.12-tcg.json")))


def run_tier(doc):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
    p = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), "tier", f.name,
                        "4:0,1 84:2"], capture_output=True, text=True)
    os.unlink(f.name)
    return p.returncode, p.stdout.strip()


def expect_tier(name, want, doc):
    global fails
    rc, out = run_tier(doc)
    ok = rc == want
    fails += not ok
    print(f"{'ok  ' if ok else 'FAIL'} tier: {name}: exit {rc} (want {want}) "
          f"{out.splitlines()[:1]}")


def control(doc, mode):
    r = next(r for r in doc["runs"] if r["bench"] == "tier")
    return next(c for c in r["cells"] if c["scenario"] == "promotion" and c["balancing"] == mode)


def move(cell, which, n, to):
    """n sampled pages of a set seen on node `to` at the last sample (off the start node)."""
    b = cell["buffer_pages"][which]
    start, last = str(b["start_node"]), b["last"]
    last[start] -= n
    last[str(to)] = last.get(str(to), 0) + n
    b["moved"] += n
    if to != cell["buffer_pages"]["fast_node"]:
        b["moved_elsewhere"] += n


expect_tier("recorded result", 0, TIER)
d = copy.deepcopy(TIER)
for m in (0, 1):  # what the old check failed: system-wide counts of other tasks' pages
    c = control(d, m)
    c["vmstat"]["pgpromote_success"] = 5
    c["control"]["vmstat_pgpromote_success"] = 5
    c["vmstat"]["numa_pages_migrated"] += 6
expect_tier("controls: system-wide pgpromote_success 5, the buffer's pages as recorded", 0, d)
d = copy.deepcopy(TIER)
move(control(d, 0), "hot", 3, 0)
expect_tier("balancing 0 moved 3 hot pages to the fast node", 1, d)
d = copy.deepcopy(TIER)
move(control(d, 0), "cold", 1, 1)
expect_tier("balancing 0 moved a cold page", 1, d)
d = copy.deepcopy(TIER)
control(d, 0)["buffer_pages"]["hot"]["last"]["0"] += 2
expect_tier("balancing 0: moved 0, but 2 more hot pages on the fast node at the last sample", 1, d)
d = copy.deepcopy(TIER)
del control(d, 1)["buffer_pages"]
expect_tier("balancing 1 without buffer_pages", 1, d)
d = copy.deepcopy(TIER)
control(d, 0)["buffer_pages"]["cold"]["present"] = 0
expect_tier("balancing 0: no cold page present", 1, d)
d = copy.deepcopy(TIER)
c = control(d, 1)
h = c["buffer_pages"]["hot"]
if h["moved"] == 0:  # the recorded mode 1 left the hot set: let it move it all home
    move(c, "hot", h["last"][str(h["start_node"])], c["buffer_pages"]["fast_node"])
expect_tier("balancing 1 moved the whole hot set to the fast node", 0, d)
d = copy.deepcopy(TIER)
move(control(d, 1), "cold", 2, control(d, 1)["buffer_pages"]["fast_node"])
expect_tier("balancing 1 moved 2 cold pages", 1, d)
d = copy.deepcopy(TIER)
c = control(d, 1)
h, fast = c["buffer_pages"]["hot"], str(c["buffer_pages"]["fast_node"])
if h["last"].get(fast):  # one of the pages it moved home went on to node 1
    h["last"][fast] -= 1
    h["last"]["1"] += 1
    h["moved_elsewhere"] += 1
else:
    move(c, "hot", 1, 1)
expect_tier("balancing 1 moved a hot page to node 1, not the fast node", 1, d)
d = copy.deepcopy(TIER)
control(d, 0)["status"] = "untrustworthy"
expect_tier("a control untrustworthy although its buffer stayed", 1, d)
d = copy.deepcopy(TIER)
control(d, 2)["vmstat"]["pgpromote_success"] = 0
expect_tier("balancing 2 promoted nothing", 1, d)
sys.exit(1 if fails else 0)
