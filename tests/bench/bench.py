#!/usr/bin/env python3
"""Helper of tests/bench/run.sh (`make bench`): reads numabench's and the peers' outputs into a
sample store (one folder, one file of samples per figure and tool) and prints the tables.

The store: DIR/KEY.TOOL holds one sample a line; DIR/KEY.TOOL.why the reason a tool has no
figure; DIR/notes lines printed after the tables."""
import json
import os
import statistics
import sys


def parse_cpulist(s):
    out = []
    for part in s.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def node0_cpus():
    """CPUs of NUMA node 0 that this process may run on (all of them without sysfs nodes)."""
    allowed = os.sched_getaffinity(0)
    try:
        with open("/sys/devices/system/node/node0/cpulist") as f:
            cpus = parse_cpulist(f.read())
    except OSError:
        cpus = sorted(allowed)
    return [c for c in cpus if c in allowed] or sorted(allowed)


def has_param(list_json, bench, param):
    try:
        d = json.load(open(list_json))
        b = [b for b in d["benches"] if b["name"] == bench][0]
        return any(p["name"] == param for p in b["params"])
    except (OSError, ValueError, KeyError, IndexError):
        return False


def note(store, line):
    with open(os.path.join(store, "notes"), "a") as f:
        f.write(line + "\n")


def add(store, key, tool, samples):
    with open(os.path.join(store, f"{key}.{tool}"), "a") as f:
        for s in samples:
            f.write(f"{float(s)!r}\n")


def add_round(store, key, tool, rnd, samples):
    """The samples, and their median as this round's figure (KEY.TOOL.rounds: ROUND VALUE)."""
    samples = [float(x) for x in samples]
    add(store, key, tool, samples)
    if samples:
        with open(os.path.join(store, f"{key}.{tool}.rounds"), "a") as f:
            f.write(f"{rnd} {statistics.median(samples)!r}\n")


def rounds(store, key, tool):
    try:
        return {int(r): float(v) for r, v in
                (x.split() for x in open(os.path.join(store, f"{key}.{tool}.rounds")))}
    except OSError:
        return {}


def paired(store, key, tool):
    """numabench / TOOL per round, from the two medians of the same round (seconds apart): the
    ratios that a drift of a shared host, slower than a round, does not move."""
    a, b = rounds(store, key, "nb"), rounds(store, key, tool)
    return [a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0]


def why(store, key, tool, reason):
    p = os.path.join(store, f"{key}.{tool}.why")
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write(reason.strip() + "\n")


def cells_of(path, bench=None):
    """The cells of the first run (of `bench` when given) of a results file."""
    d = json.load(open(path))
    runs = [r for r in d["runs"] if bench is None or r.get("bench") == bench]
    return runs[0]["cells"]


def take_nb(store, path, key, match, metric, label, bench=None, tool="nb", rnd=None):
    """Samples of the numabench cell matching `match` (dict of field -> value; a field the cell
    lacks is not compared) into the store; a missing cell or metric becomes the reason."""
    try:
        cells = cells_of(path, bench)
    except (OSError, ValueError, KeyError, IndexError) as e:
        why(store, key, "nb", f"no results file ({type(e).__name__})")
        return
    found = [c for c in cells if all(c.get(k, v) == v for k, v in match.items())]
    if not found:
        why(store, key, tool, f"no cell with {match} in the results")
        return
    c = found[0]
    m = c.get("metrics", {}).get(metric)
    if not m or not m.get("samples"):
        why(store, key, tool, f"cell status {c.get('status')}: {c.get('reason', 'no metric')}")
        return
    if c.get("status") != "ok":
        note(store, f"numabench {label}: cell status {c.get('status')}: {c.get('reason', '')}")
    if rnd is None:
        add(store, key, tool, m["samples"])
    else:
        add_round(store, key, tool, rnd, m["samples"])
    return c


def take_loaded(store, path, size, stride, rnd):
    """One `numabench run latency loaded` (either order): the latency cell's samples (tool
    lat), the loaded idle point's (tool idle), and the run's own vs_latency ratio (tool inrun)."""
    match = {"size_bytes": int(size), "pages": "4k", "stride": int(stride), "cpu_node": 0,
             "mem_node": 0}
    take_nb(store, path, "loaded", match, "latency_ns", f"latency, loaded round {rnd}",
            bench="latency", tool="lat")
    c = take_nb(store, path, "loaded", dict(match, mix="read"), "latency_ns",
                f"loaded idle point, round {rnd}", bench="loaded", tool="idle")
    vs = (c or {}).get("vs_latency", {})
    if "ratio" in vs:
        add(store, "loaded", "inrun", [vs["ratio"]])
    if vs.get("status") not in (None, "agree"):
        note(store, f"loaded round {rnd}: in-run vs_latency {vs.get('status')}: "
                    f"{vs.get('reason', '')}")


def loaded_table(store):
    """loaded's idle (zero-injection) point against latency: pooled medians and their ratio,
    and the ratios each invocation recorded itself (vs_latency)."""
    a, b = stats(load(store, "loaded", "idle")), stats(load(store, "loaded", "lat"))
    print("median ns per load, then CV/robust CV of the pooled samples of all rounds")
    print(f"{'loaded idle':>22} | {'latency':>22} | idle/latency (goal 0.97..1.03)")
    r = f"{a['med'] / b['med']:5.3f} {goal(a['med'] / b['med'], 0.97, 1.03)}" if a and b \
        else "n/a"
    print(f"{fig(a):>22} | {fig(b):>22} | {r}")
    for x, tool, label in ((a, "idle", "loaded idle point"), (b, "lat", "latency")):
        if not x:
            print(f"  {label}: n/a: {reason(store, 'loaded', tool)}")
    inrun = load(store, "loaded", "inrun")
    if inrun:
        ok = sum(0.97 <= x <= 1.03 for x in inrun)
        print("each invocation's own vs_latency ratio: " +
              " ".join(f"{x:5.3f}" for x in inrun) + f" ({ok} of {len(inrun)} within 0.97..1.03)")
    else:
        print("each invocation's own vs_latency ratio: n/a (no results recorded one)")


def load(store, key, tool):
    p = os.path.join(store, f"{key}.{tool}")
    try:
        return [float(x) for x in open(p).read().split()]
    except OSError:
        return []


def reason(store, key, tool):
    try:
        return open(os.path.join(store, f"{key}.{tool}.why")).read().strip()
    except OSError:
        return "no samples"


def stats(v):
    """median, CV (stddev / mean), robust CV (1.4826 MAD / median), max, min, n."""
    if not v:
        return None
    med = statistics.median(v)
    mean = statistics.fmean(v)
    cv = statistics.stdev(v) / mean if len(v) > 1 and mean else 0.0
    mad = statistics.median([abs(x - med) for x in v])
    return {"med": med, "cv": cv, "rcv": 1.4826 * mad / med if med else 0.0, "max": max(v),
            "min": min(v), "n": len(v)}


def fig(s, unit_fmt="{:8.2f}"):
    if not s:
        return f"{'n/a':>8} {'':>13}"
    return unit_fmt.format(s["med"]) + f" {s['cv']:5.1%}/{s['rcv']:5.1%}".rjust(14)


def goal(r, lo, hi):
    return "met" if lo <= r <= hi else "NOT met"


def bw_table(store, threads, names):
    tools = [("nb", "numabench"), ("lk", names["lk"]), ("sr", "STREAM-ref")]
    print("median GB/s (STREAM byte counting), then CV/robust CV of the pooled samples of all rounds")
    print(f"{'kernel':<6} {'thr':>3} | " + " | ".join(f"{t[1]:>22}" for t in tools) +
          " | nb/likwid          nb/STREAM-ref      (goal 0.95..1.05: the median of the"
          " per-round ratios, [lowest, highest])")
    na = {}
    checks = []
    for k in ("read", "copy", "triad"):
        for th in threads:
            key = f"bw.{k}.{th}"
            st = {t: stats(load(store, key, t)) for t, _ in tools}
            cols = " | ".join(f"{fig(st[t]):>22}" for t, _ in tools)
            rat = []
            for t in ("lk", "sr"):
                pr = paired(store, key, t)
                if pr:
                    r = statistics.median(pr)
                    rat.append(f"{r:5.3f} [{min(pr):4.2f},{max(pr):4.2f}] {goal(r, 0.95, 1.05):<7}")
                else:
                    rat.append(f"{'n/a':<25}")
            print(f"{k:<6} {th:>3} | {cols} | " + "  ".join(rat))
            for t, label in tools:
                if not st[t]:
                    na.setdefault((label, reason(store, key, t)), []).append(f"{k} {th} thr")
            refs = [(st[t]["max"], label, st[t]) for t, label in tools[1:] if st[t]]
            if st["nb"] and refs:
                best, label, rs = max(refs)
                tol = max(0.02, 3 * rs["rcv"])
                r = st["nb"]["max"] / best
                checks.append(f"  {k:<6} {th:>3} thr: numabench max {st['nb']['max']:7.2f} / "
                              f"{label} max {best:7.2f} = {r:5.3f}  (tolerance {1 + tol:5.3f}: "
                              f"{'ok' if r <= 1 + tol else 'EXCEEDS the reference'})")
    for (label, why_), rows in na.items():
        print(f"  {label} n/a ({'all rows' if len(rows) == 3 * len(threads) else ', '.join(rows)}):"
              f" {why_}")
    print("no sample may exceed the best reference by more than noise (tolerance = 1 + max(2%, "
          "3 x robust CV of that reference)):")
    print("\n".join(checks) if checks else "  n/a: no reference figures")


def lat_table(store, strides):
    print("median ns per load, then CV/robust CV of the pooled samples of all rounds")
    print(f"{'stride':>6} | {'numabench':>22} | {'reference':>22} | nb/ref (goal 0.97..1.03) | "
          "CV goal <= 2% (nb, ref)")
    st = {}
    na = []
    for s in strides:
        key = f"lat.{s}"
        a, b = stats(load(store, key, "nb")), stats(load(store, key, "ref"))
        st[s] = (a, b)
        r = f"{a['med'] / b['med']:5.3f} {goal(a['med'] / b['med'], 0.97, 1.03):<7}" if a and b \
            else "n/a"
        cvs = ", ".join(("met" if x["cv"] <= 0.02 else "NOT met") if x else "n/a" for x in (a, b))
        print(f"{str(s) + ' B':>6} | {fig(a):>22} | {fig(b):>22} | {r:<24} | {cvs}")
        for x, tool, label in ((a, "nb", "numabench"), (b, "ref", "reference")):
            if not x:
                na.append(f"  {s} B, {label}: n/a: {reason(store, key, tool)}")
    if na:
        print("\n".join(na))
    for s in strides:
        m = stats(load(store, f"lat.{s}", "mc"))
        a = st[s][0]
        if m and a:
            print(f"multichase itself ({m['n']} rounds of its -a mean): {s} B {m['med']:7.2f} ns, "
                  f"numabench / multichase {a['med'] / m['med']:5.3f}")
    if 64 in st and 256 in st:
        out = []
        for i, label in ((0, "numabench"), (1, "reference")):
            x, y = st[64][i], st[256][i]
            out.append(f"{label} {x['med'] / y['med']:5.3f}" if x and y else f"{label} n/a")
        print("prefetcher effect, 64 B-stride figure / 256 B-stride figure (below 1: part of the "
              "64 B loads hit): " + ", ".join(out))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "node0-cpus":
        print(",".join(map(str, node0_cpus())))
    elif cmd == "has-param":
        sys.exit(0 if has_param(*a) else 1)
    elif cmd == "nb-bw":  # STORE FILE KERNEL THREADS ROUND
        take_nb(a[0], a[1], f"bw.{a[2]}.{a[3]}", {"kernel": a[2], "threads": int(a[3]),
                "cpu_node": 0, "mem_node": 0}, "bandwidth_gbs",
                f"bandwidth {a[2]} {a[3]} thr, round {a[4]}", rnd=int(a[4]))
    elif cmd == "nb-lat":  # STORE FILE SIZE_BYTES STRIDE ROUND
        take_nb(a[0], a[1], f"lat.{a[3]}", {"size_bytes": int(a[2]), "pages": "4k",
                "stride": int(a[3]), "cpu_node": 0, "mem_node": 0}, "latency_ns",
                f"latency {a[3]} B stride, round {a[4]}")
    elif cmd == "nb-loaded":  # STORE FILE SIZE_BYTES STRIDE ROUND
        take_loaded(a[0], a[1], a[2], a[3], a[4])
    elif cmd == "loaded-table":  # STORE
        loaded_table(a[0])
    elif cmd == "ref":  # STORE KEY TOOL JSON_TEXT
        try:
            add(a[0], a[1], a[2], json.loads(a[3])["samples"])
        except (ValueError, KeyError) as e:
            why(a[0], a[1], a[2], f"unreadable output ({type(e).__name__})")
    elif cmd == "ref-round":  # STORE KEY TOOL ROUND JSON_TEXT
        try:
            add_round(a[0], a[1], a[2], int(a[3]), json.loads(a[4])["samples"])
        except (ValueError, KeyError) as e:
            why(a[0], a[1], a[2], f"unreadable output ({type(e).__name__})")
    elif cmd == "add-round":  # STORE KEY TOOL ROUND VALUE...
        add_round(a[0], a[1], a[2], int(a[3]), a[4:])
    elif cmd == "add":  # STORE KEY TOOL VALUE...
        add(a[0], a[1], a[2], a[3:])
    elif cmd == "why":  # STORE KEY TOOL REASON
        why(a[0], a[1], a[2], a[3])
    elif cmd == "note":
        note(a[0], a[1])
    elif cmd == "bw-table":  # STORE THREADS(comma) LIKWID_NAME
        bw_table(a[0], [int(x) for x in a[1].split(",")], {"lk": a[2]})
    elif cmd == "lat-table":  # STORE STRIDES(comma)
        lat_table(a[0], [int(x) for x in a[1].split(",")])
    elif cmd == "notes":
        try:
            lines = open(os.path.join(a[0], "notes")).read().splitlines()
        except OSError:
            lines = []
        for line in dict.fromkeys(lines):
            print("note: " + line)
    else:
        sys.exit(f"bench.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
