#!/usr/bin/env python3
"""Check `numabench fleet --format json` against what make-fleet.py planted.

usage: check.py FLEET.json EXPECTED.json
Prints one line per failed check and exits 1 on any; silent and 0 when all hold:
 - exactly the planted hosts are flagged, each with exactly its planted cause (by "what"),
   and a metric cause says "below" with a deviation near the planted -40%;
 - the planted trend hosts and no others have trends, each a change of the planted size;
 - the host alone in its class is said to be single and is not flagged;
 - every malformed file is listed as skipped with a reason; every good file was read;
 - no class lacks a majority (each host's root=UUID= differs: not configuration).
"""
import json
import sys


def main():
    got = json.load(open(sys.argv[1]))
    exp = json.load(open(sys.argv[2]))
    errs = []
    if got.get("schema") != "numabench.fleet/1":
        errs.append(f"schema {got.get('schema')!r}")
    flagged = {h["host"]: h for h in got["hosts"] if h["flagged"]}
    if sorted(flagged) != sorted(exp["flagged"]):
        errs.append(f"flagged {sorted(flagged)}, planted {sorted(exp['flagged'])}")
    for host, whats in exp["flagged"].items():
        h = flagged.get(host)
        if not h:
            continue
        if sorted(c["what"] for c in h["causes"]) != sorted(whats):
            errs.append(f"{host}: causes {[c['text'] for c in h['causes']]}, planted {whats}")
        for c in h["causes"]:
            if host not in c["text"] or c["what"] not in c["text"]:
                errs.append(f"{host}: cause text {c['text']!r} does not name host and what")
            if c["kind"] == "metric" and not (-0.45 < c["deviation"] < -0.35
                                              and "below" in c["text"]
                                              and c["cells"] == c["of"]):
                errs.append(f"{host}: metric cause {c['text']!r} is not the planted -40%")
            if c["what"] == "node 1 memory" and not (-0.40 < c["deviation"] < -0.30):
                errs.append(f"{host}: memory cause {c['text']!r} is not the planted 2/3")
    trend_hosts = sorted({t["host"] for t in got["trends"]})
    if trend_hosts != sorted(exp["trend_hosts"]):
        errs.append(f"trends on {trend_hosts}, planted on {sorted(exp['trend_hosts'])}")
    for t in got["trends"]:
        # the older run was 1.3x slower: latency falls to 1/1.3, bandwidth rises 1.3x
        if not (-0.30 < t["change"] < -0.18 or 0.22 < t["change"] < 0.38):
            errs.append(f"trend {t['host']} {t['cell']}: change {t['change']} not planted")
    single = [c for c in got["classes"] if exp["single_host"] in c["hosts"]]
    if len(single) != 1 or not single[0]["single_host"] or single[0]["hosts"] != [exp["single_host"]]:
        errs.append(f"{exp['single_host']}: not alone in a single-host class: {single}")
    skipped = {s["file"]: s["reason"] for s in got["skipped"]}
    if sorted(skipped) != sorted(exp["skipped"]) or not all(skipped.values()):
        errs.append(f"skipped {skipped}, planted {exp['skipped']}")
    if got["files_read"] != exp["files"]:
        errs.append(f"{got['files_read']} files read, {exp['files']} written")
    for c in got["classes"]:  # hosts' own root=UUID=... and BOOT_IMAGE= are not configuration
        if "no majority" in c["notes"]:
            errs.append(f"class {c['class']}: {c['notes']}")
    if len(got["classes"]) != 3:
        errs.append(f"{len(got['classes'])} classes, planted 3")
    for e in errs:
        print(f"seed {exp['seed']}: {e}")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
