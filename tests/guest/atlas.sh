#!/bin/bash
# The kernel atlas (issue 24): a two-kernel atlas, its report checked against the kernels' own
# runs, through JSON only.
#
#   tests/guest/atlas.sh BIN
#
# 1. Bad input: `atlas --kernels bogus` and `--force sometimes` exit 2 with one error line.
# 2. `BIN atlas --kernels K1,K2,NOT_A_KERNEL --no-tier -o OUT` (2node guests; ATLAS_ARGS="" adds
#    the 3node-tier guests) with K1 the oldest plain 6.1 package
#    apt knows and K2 the newest 6.12 (override with KERNELS="A,B"); NOT_A_KERNEL is a file that
#    is not a bzImage: the atlas must complete and list it "unavailable" with a reason.
#    Checks: every kernel's entry has its provenance (package, version, image_sha256, config
#    facts with CONFIG_NUMA), a 2node-always run with results; the PROT_NONE check ran on every
#    forced path (proc_mem_pread, proc_mem_pwrite, ptrace_peek, ptrace_poke: prot_none_holds not
#    null), and the report's prot_none rows say "kept"/"LOST" as those cells do, LOST as a finding.
# 3. `atlas-report --format json`: kernels in version order; for every gup row the value is the
#    class of that kernel's own verdict (faulted/migrated share: >= 50% yes, < 5% no), and a row
#    is "changed" exactly when the two kernels' classes differ. text, md and html render (exit 0).
# 4. The same atlas again boots nothing (kernels_booted 0: entries cached by image hash).
# 5. A guest killed at --timeout 8 (--fresh): the atlas completes (exit 0), the kernel is
#    "failed" with a reason that says it timed out; the failure did not replace the cached entry
#    (the next atlas of that kernel is the cached ok one, booting nothing).
# 6. tests/guest/atlas-grow.sh, without a boot (two files that are not kernels): one step per
#    kernel, kernels_booted 0 each, the reports written, a restart runs no step again.
# Prints the wall times. Exits 77 (skip) when no guest can run here.
# Environment: KERNELS, OUTDIR (kept results; default a temporary folder), ATLAS_ARGS (e.g.
# ""). Measured, with tier: 4 min 33 s for 6.1.0-47 + 6.12.117 (94 s + 179 s), 5 min 38 s for
# the whole script while another atlas ran beside it; hence --no-tier by default: 3 min 41 s
# for the whole script (atlas 199 s: 96 s + 83 s of guests), beside another atlas.
set -u

BIN=${1:?usage: $0 BIN}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=${OUTDIR:-$(mktemp -d /tmp/numabench-atlas.XXXXXX)}
ATLAS_ARGS=${ATLAS_ARGS:---no-tier}
mkdir -p "$OUTDIR"
export NUMABENCH_DATA=${NUMABENCH_DATA:-$ROOT}
fails=0

skip() {
	echo "atlas: SKIP: $*"
	exit 77
}
fail() {
	echo "atlas: FAIL: $*"
	fails=$((fails + 1))
}
command -v python3 >/dev/null || skip "needs python3 to check JSON"
"$BIN" atlas --help >/dev/null 2>&1 || skip "this numabench has no atlas command"

# 1. bad input
for bad in "--kernels bogus" "--force sometimes" "--timeout 0"; do
	# shellcheck disable=SC2086
	"$BIN" atlas $bad -o "$OUTDIR/bad.json" 2>"$OUTDIR/bad.err"
	rc=$?
	[ $rc -eq 2 ] || fail "atlas $bad: exit $rc, expected 2"
	[ "$(grep -c "error: atlas: .*${bad#* }.* (valid" "$OUTDIR/bad.err")" -eq 1 ] ||
		fail "atlas $bad: not one error line naming ${bad#* } and what is valid: $(cat "$OUTDIR/bad.err")"
	[ -e "$OUTDIR/bad.json" ] && fail "atlas $bad wrote an atlas"
done

if [ -z "${KERNELS:-}" ]; then
	k1=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -V | head -n 1)
	[ -n "$k1" ] || skip "apt-cache knows no linux-image-6.1.0-N-amd64 (run apt-get update)"
	KERNELS="$k1,6.12"
fi
notk="$OUTDIR/not-a-kernel"
echo "this is not a bzImage" >"$notk"

atlas="$OUTDIR/atlas.json"
echo "atlas: numabench atlas --kernels $KERNELS,$notk $ATLAS_ARGS ..."
t0=$(date +%s)
# shellcheck disable=SC2086
"$BIN" atlas --kernels "$KERNELS,$notk" $ATLAS_ARGS -o "$atlas" 2>"$atlas.log"
rc=$?
t1=$(date +%s)
echo "atlas: exit $rc in $((t1 - t0)) s (log $atlas.log)"
if [ ! -s "$atlas" ]; then
	grep -q "no usable Debian kernel\|cannot fetch\|qemu-system" "$atlas.log" &&
		skip "guest cannot run here: $(tail -n 1 "$atlas.log")"
	fail "no atlas written (exit $rc)"
	exit 1
fi
[ $rc -eq 0 ] || fail "atlas exit $rc, expected 0"
for f in json text md html; do
	"$BIN" atlas-report "$atlas" --format "$f" -o "$OUTDIR/report.$f" ||
		fail "atlas-report --format $f failed"
done

python3 - "$atlas" "$OUTDIR/report.json" "$notk" <<'PY' || fails=$((fails + 1))
import json, sys
atlas, rows, notk = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
errors = []
err = errors.append
FORCED = ["proc_mem_pread", "proc_mem_pwrite", "ptrace_peek", "ptrace_poke"]
ks = atlas["kernels"]
real = [k for k in ks if k.get("spec") != notk]
bad = [k for k in ks if k.get("spec") == notk]
if len(bad) != 1 or bad[0].get("status") != "unavailable" or not bad[0].get("reason"):
    err("the non-kernel file is not an unavailable entry with a reason: %s" % bad)

def cls(s):
    return "?" if s is None else "yes" if s >= 0.5 else "no" if s < 0.05 else "partial"

own = {}  # label -> {row name: value}, from the kernel's own run
for k in real:
    lab = k.get("package") or k.get("label")
    for f in ("package", "version", "image_sha256"):
        if not k.get(f):
            err("%s: no %s" % (lab, f))
    if (k.get("config") or {}).get("CONFIG_NUMA") != "y":
        err("%s: config facts lack CONFIG_NUMA=y: %s" % (lab, k.get("config")))
    run = [r for r in k.get("runs", []) if r.get("name") == "2node-always"]
    if not run or "results" not in run[0]:
        err("%s: no 2node-always results (%s)" % (lab, run and run[0].get("reason")))
        continue
    gup = [b for b in run[0]["results"]["runs"] if b["bench"] == "gup"]
    if not gup:
        err("%s: no gup run" % lab)
        continue
    mine = own.setdefault(lab, {})
    for v in gup[0]["verdicts"]:
        if v["pair"] != "cross":
            continue
        name = "%s%s%s [override=always]" % (v["path"], " force" if v["force"] else "",
                                             " attached" if v["ptrace_attached"] else "")
        # the scanner marked PTEs during a pass: system-wide counters, never a change
        noisy = any(p.get("pte_updates_during", 0) > 0 for c in gup[0]["cells"]
                    if c["path"] == v["path"] and c["pair"] == "cross" and c["force"] == v["force"]
                    and bool(c.get("ptrace_attached")) == bool(v["ptrace_attached"])
                    for p in c.get("passes", []))
        mine[name] = "fault:%s migrate:%s%s" % (cls(v.get("faulted_share")), cls(v.get("migrated_share")),
                                              " (scan during pass)" if noisy else "")
    for p in FORCED:
        cs = [c for c in gup[0]["cells"] if c["path"] == p and c["force"]]
        if not cs or any(c.get("prot_none_holds") is None for c in cs):
            err("%s: the PROT_NONE check did not run on forced path %s" % (lab, p))
            continue
        for c in cs:
            name = "PROT_NONE kept: %s%s [override=always]" % (p, " attached" if c.get("ptrace_attached") else "")
            mine[name] = "kept" if c["prot_none_holds"] else "LOST"

# rows in version order, values as the kernels' own runs say, changed exactly when they differ
order = []
for r in rows["rows"]:
    if r["package"] not in order:
        order.append(r["package"])
vers = {k.get("package"): k.get("version") for k in real}
got = [o for o in order if o in vers]
import functools
def vkey(v):
    import re
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", v or "")]
if got != sorted(got, key=lambda o: vkey(vers[o])):
    err("report kernels not in version order: %s" % got)
byk = {}
for r in rows["rows"]:
    byk.setdefault(r["package"], {})[r["behaviour"]] = r
changes = 0
for lab, mine in own.items():
    for name, val in mine.items():
        r = byk.get(lab, {}).get(name)
        if not r:
            err("%s: report has no row %r" % (lab, name))
            continue
        if r["value"] != val:
            err("%s: row %r is %r, the kernel's own run says %r" % (lab, name, r["value"], val))
        if name.startswith("PROT_NONE") and r["finding"] != (val == "LOST"):
            err("%s: row %r finding %s for %s" % (lab, name, r["finding"], val))
i = [o for o in got]
for a, b in zip(i, i[1:]):
    for name, val in own.get(b, {}).items():
        prev = own.get(a, {}).get(name)
        r = byk.get(b, {}).get(name)
        if r is None or prev is None:
            continue
        want = prev != val and "(scan during pass)" not in prev + val
        if r["changed"] != want:
            err("%s: row %r changed=%s, but %r -> %r" % (b, name, r["changed"], prev, val))
        if r["changed"]:
            changes += 1
            print("atlas:   %s: %s: %s -> %s" % (b, name, prev, val))
for e in errors:
    print("atlas: FAIL: %s" % e)
for k in ks:
    print("atlas:   %s: %s, %s" % (k.get("label") or k.get("spec"), k.get("status"),
          ", ".join("%s %ss" % (r.get("name"), round(r["guest_s"])) for r in k.get("runs", []) if r.get("guest_s"))))
print("atlas: %d gup/PROT_NONE rows changed between consecutive kernels" % changes)
sys.exit(1 if errors else 0)
PY

# 4. again: everything cached
t0=$(date +%s)
# shellcheck disable=SC2086
"$BIN" atlas --kernels "$KERNELS" $ATLAS_ARGS -o "$OUTDIR/atlas-again.json" 2>"$OUTDIR/atlas-again.log"
t1=$(date +%s)
booted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernels_booted"])' "$OUTDIR/atlas-again.json" 2>/dev/null)
[ "$booted" = 0 ] || fail "the same atlas again booted ${booted:-?} kernels (expected 0: cached)"
echo "atlas: again, cached: $((t1 - t0)) s"

# 5. a hung (here: too slow) guest
# shellcheck disable=SC2086
k1=${KERNELS%%,*}
"$BIN" atlas --kernels "$k1" $ATLAS_ARGS --fresh --timeout 8 -o "$OUTDIR/atlas-timeout.json" 2>"$OUTDIR/atlas-timeout.log"
rc=$?
[ $rc -eq 0 ] || fail "atlas with --timeout 8: exit $rc, expected 0 (the atlas completes)"
python3 - "$OUTDIR/atlas-timeout.json" "$OUTDIR/atlas-timeout.log" <<'PY' || fails=$((fails + 1))
import json, sys
try:
    k = json.load(open(sys.argv[1]))["kernels"][0]
except Exception as e:
    print("atlas: FAIL: no atlas with --timeout 8: %s" % e)
    sys.exit(1)
bad = []
if k.get("status") != "failed" or "timed out" not in (k.get("reason") or ""):
    bad.append("status %s reason %r, expected failed / timed out" % (k.get("status"), k.get("reason")))
if k.get("cached"):
    bad.append("a timed-out entry came from the cache")
for b in bad:
    print("atlas: FAIL: --timeout 8: %s" % b)
print("atlas:   --timeout 8: %s: %s" % (k.get("status"), k.get("reason")))
sys.exit(1 if bad else 0)
PY
"$BIN" atlas --kernels "$k1" $ATLAS_ARGS -o "$OUTDIR/atlas-after.json" 2>>"$OUTDIR/atlas-timeout.log"
python3 - "$OUTDIR/atlas-after.json" <<'PY' || fails=$((fails + 1))
import json, sys
a = json.load(open(sys.argv[1]))
k = a["kernels"][0]
if a.get("kernels_booted") != 0 or k.get("status") != "ok" or not k.get("cached"):
    print("atlas: FAIL: after the timeout: booted %s, status %s, cached %s (expected 0, ok, true)"
          % (a.get("kernels_booted"), k.get("status"), k.get("cached")))
    sys.exit(1)
PY
# 6. tests/guest/atlas-grow.sh (the README's full atlas, one kernel per step), without a boot:
# two files that are not kernels are two steps of kernels_booted 0, each listed in steps.tsv;
# the last step's atlas and its md/csv reports are written; a second invocation runs no step;
# a KERNEL with a comma is bad input (exit 2).
g=$OUTDIR/grow
head -c 4096 /dev/zero >"$OUTDIR/not-a-kernel-2"
bash "$HERE/atlas-grow.sh" "$BIN" "$g" "$notk" "$OUTDIR/not-a-kernel-2" 2>"$OUTDIR/grow.log"
rc=$?
[ $rc -eq 0 ] || fail "atlas-grow.sh: exit $rc, expected 0 ($(tail -2 "$OUTDIR/grow.log"))"
[ "$(cut -f4 "$g/steps.tsv" 2>/dev/null | tr '\n' ' ')" = "booted 0 0 " ] ||
	fail "atlas-grow.sh: steps.tsv booted column $(cut -f4 "$g/steps.tsv" | tr '\n' ' '), expected two steps of 0"
for f in atlas-1.json atlas-2.json atlas-all.json atlas-all.md atlas-all-rows.csv bin/numabench; do
	[ -s "$g/$f" ] || fail "atlas-grow.sh wrote no $f"
done
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(len(a["kernels"]) != 2)' \
	"$g/atlas-all.json" || fail "atlas-grow.sh: atlas-all.json does not list the 2 kernels"
bash "$HERE/atlas-grow.sh" "$BIN" "$g" "$notk" "$OUTDIR/not-a-kernel-2" 2>>"$OUTDIR/grow.log"
[ "$(grep -c '^=== .* step ' "$OUTDIR/grow.log")" -eq 4 ] ||
	fail "atlas-grow.sh again ran a step it had done ($(grep -c '^=== .* step ' "$OUTDIR/grow.log") step lines, expected 4)"
bash "$HERE/atlas-grow.sh" "$BIN" "$g" "a,b" 2>/dev/null
rc=$?
[ $rc -eq 2 ] || fail "atlas-grow.sh KERNEL a,b: exit $rc, expected 2"

echo "atlas: results in $OUTDIR"
if [ $fails -gt 0 ]; then
	echo "atlas: FAIL ($fails)"
	exit 1
fi
echo "atlas: PASS"
