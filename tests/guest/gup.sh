#!/bin/bash
# The `gup` bench (issue 5): remote access paths and NUMA hinting faults.
#
#   tests/guest/gup.sh BIN
#
# 1. Host, unprivileged (when run as root with setpriv): `run gup` as nobody must degrade
#    cleanly: nothing fails, every cell that needs a balancing mode other than the current one
#    is skipped with a reason that says root is needed.
# 2. For each kernel in KERNELS (default "6.1 6.12") and each value in FORCES (default
#    "never always"): boots `BIN guest --kernel K --topology 2node --append
#    proc_mem.force_override=F -o OUT -- run gup GUP_ARGS` and checks, from the JSON only, the
#    protocol's invariants (never a kernel's behaviour for a path):
#    - every cell runs (status ok) with `repeat` passes, for both pairs, both balancing modes,
#      the two controls and all six paths;
#    - the buffer is on the target node before every pass;
#    - balancing 0: no PTE marked in any pass (numa_pte_updates delta 0);
#    - balancing 1: every pass marked (delta covers the buffer, and the mark check's evidence
#      is the target's own buffer: each canary page of its VMA took a hinting fault);
#    - the positive control (balancing 1, cross) takes hinting faults on most pages and
#      moves most pages to the reader's node;
#    - the force recorded for /proc/PID/mem (without a ptrace attach) matches the boot
#      parameter and the capability probe; the run records the parameter;
#    - one verdict per path, none "not measured" or "inconclusive";
#    - every tunable is back to its value before the run.
#    It prints the verdicts as a table.
# Exits 77 (skip) when the guest runner is not built or cannot run here.
# Environment: KERNELS, FORCES, GUP_ARGS (extra `run` arguments, e.g. "--repeat 3"),
# GUEST_ARGS (extra `guest` options, e.g. "--arch arm64"),
# TIMEOUT (guest timeout in seconds, default 3600), OUTDIR (kept results; default a
# temporary folder), HOST_ONLY=1 (stage 1 only).
set -u

BIN=${1:?usage: $0 BIN}
KERNELS=${KERNELS:-6.1 6.12}
FORCES=${FORCES:-never always}
GUP_ARGS=${GUP_ARGS:-}
GUEST_ARGS=${GUEST_ARGS:-}
TIMEOUT=${TIMEOUT:-3600}
OUTDIR=${OUTDIR:-$(mktemp -d /tmp/numabench-gup.XXXXXX)}
mkdir -p "$OUTDIR"
HERE=$(cd "$(dirname "$0")" && pwd)
fails=0

skip() {
	echo "gup: SKIP: $*"
	exit 77
}
command -v python3 >/dev/null || skip "needs python3 to check JSON"

# check FILE FORCE|--unprivileged: the protocol's invariants, from the JSON only.
check() {
	python3 - "$@" <<'EOF'
import json, sys

path, mode = sys.argv[1], sys.argv[2]
d = json.load(open(path))
errors = []
err = errors.append
PATHS = ["process_vm_readv", "process_vm_writev", "proc_mem_pread", "proc_mem_pwrite",
         "ptrace_peek", "ptrace_poke"]
runs = [r for r in d.get("runs", []) if r.get("bench") == "gup"]
if len(runs) != 1:
    print("gup: FAIL: %s: expected one gup run, found %d" % (path, len(runs)))
    sys.exit(1)
r = runs[0]
cells = r.get("cells", [])
kernel = d.get("host", {}).get("kernel", "?")
label = "%s %s" % (kernel, mode)

def name(c):
    return "%s %s balancing=%s force=%s%s" % (c["pair"], c["path"], c["balancing"], c["force"],
                                             " attached" if c.get("ptrace_attached") else "")

def unprivileged():
    # Degrade cleanly: nothing failed; a skipped cell says why (root, ptrace rights, nodes).
    if r.get("status") == "failed":
        err("run failed: %s" % r.get("reason"))
    for c in cells:
        st, why = c.get("status"), c.get("reason") or ""
        if st == "failed":
            err("%s: failed: %s" % (name(c), why))
        if st == "skipped" and not any(w in why for w in ("root", "EPERM", "EACCES", "nodes")):
            err("%s: skipped without a permission or topology reason: %s" % (name(c), why))
    now = d.get("capabilities", {}).get("numa_balancing")
    for c in cells:
        if c["balancing"] != now and c.get("status") != "skipped":
            err("%s: ran although numa_balancing is %s and we are not root" % (name(c), now))

def coverage():
    for pair in ("cross", "local"):
        for bal in (0, 1):
            have = {c["path"] for c in cells if c["pair"] == pair and c["balancing"] == bal}
            for p in ["null", "positive_control"] + PATHS:
                if p not in have:
                    err("no cell %s %s balancing=%d" % (pair, p, bal))

canary_pages = (r.get("mark_check") or {}).get("canary_pages") or 1

def per_cell(c, repeat):
    passes = c.get("passes", [])
    if c.get("status") != "ok":
        err("%s: status %s: %s" % (name(c), c.get("status"), c.get("reason")))
    if len(passes) != repeat:
        err("%s: %d passes, expected %d" % (name(c), len(passes), repeat))
    for i, p in enumerate(passes):
        before = p["placement_before"].get(str(c["target_node"]), 0)
        if before < 0.95 * c["pages"]:
            err("%s pass %d: only %d of %d pages on node %d before the pass"
                % (name(c), i, before, c["pages"], c["target_node"]))
        if c["balancing"] == 0 and p["pte_updates"] != 0:
            err("%s pass %d: balancing off, yet %d PTEs marked" % (name(c), i, p["pte_updates"]))
        if c["balancing"] == 1 and (not p["marked"] or p["pte_updates"] < c["pages"]):
            err("%s pass %d: not marked (%d PTE updates)" % (name(c), i, p["pte_updates"]))
        mark = p.get("mark") or {}
        if c["balancing"] == 1 and (mark.get("evidence") != "canary_faults"
                                    or (mark.get("canary_faults") or 0) < canary_pages):
            err("%s pass %d: marked without the buffer's canary pages faulting: %s"
                % (name(c), i, mark or None))

def positive_control():
    pos = [c for c in cells if c["path"] == "positive_control" and c["balancing"] == 1
           and c["pair"] == "cross"]
    for c in pos:
        pages, reader = c["pages"], str(c["reader_node"])
        if (c.get("hint_faults") or 0) < pages / 2:
            err("positive control: %s hinting faults for %d pages" % (c.get("hint_faults"), pages))
        if (c.get("pages_migrated") or 0) < pages / 2:
            err("positive control: %s pages migrated" % c.get("pages_migrated"))
        if c.get("placement_after", {}).get(reader, 0) < pages / 2:
            err("positive control: %s after the pass (reader node %s)"
                % (c.get("placement_after"), reader))
    if not pos:
        err("no cross positive control with balancing 1")

def force():
    if r.get("proc_mem_force_override") != mode:
        err("run records proc_mem_force_override=%s, booted with %s"
            % (r.get("proc_mem_force_override"), mode))
    if "proc_mem.force_override=" + mode not in d.get("host", {}).get("cmdline", ""):
        err("host.cmdline lacks proc_mem.force_override=%s" % mode)
    want = mode != "never" and mode != "ptrace"
    if d.get("capabilities", {}).get("proc_mem_force") != want:
        err("capabilities.proc_mem_force=%s with force_override=%s"
            % (d.get("capabilities", {}).get("proc_mem_force"), mode))
    for c in cells:
        if c["path"].startswith("proc_mem") and not c.get("ptrace_attached"):
            if c["force"] != want or not c.get("force_probed") or not c.get("force_consistent"):
                err("%s: force %s (probed %s, consistent %s), boot parameter %s"
                    % (name(c), c["force"], c.get("force_probed"), c.get("force_consistent"), mode))
        if c["path"].startswith("proc_mem") and c.get("ptrace_attached") and mode != "ptrace":
            err("%s: an attached /proc/PID/mem cell although the attach cannot change force" % name(c))
    attached = [c for c in cells if c["path"].startswith("proc_mem") and c.get("ptrace_attached")]
    if mode == "ptrace" and not all(c["force"] for c in attached) or (mode == "ptrace") != bool(attached):
        err("force_override=ptrace needs attached /proc/PID/mem cells with force (have %d)" % len(attached))

def verdicts():
    vs = r.get("verdicts", [])
    for pair in ("cross", "local"):
        for p in PATHS:
            if not [v for v in vs if v["path"] == p and v["pair"] == pair]:
                err("no verdict for %s %s" % (pair, p))
    for v in vs:
        if v["verdict"].startswith(("not measured", "inconclusive")):
            err("verdict %s %s: %s" % (v["pair"], v["path"], v["verdict"]))
        print("  %-8s %-7s %-6s %-18s force=%-5s %s%s" % (kernel.split("-")[0], mode, v["pair"],
              v["path"], str(v["force"]).lower(), v["verdict"],
              " (ptrace attached)" if v["ptrace_attached"] else ""))

def tunables():
    t = d.get("tunables", {})
    if t.get("after") != t.get("before"):
        err("tunables not restored: before %s after %s" % (t.get("before"), t.get("after")))

if mode == "--unprivileged":
    label = "host unprivileged"
    unprivileged()
else:
    if r.get("status") != "ok":
        err("status %s: %s" % (r.get("status"), r.get("reason")))
    coverage()
    for c in cells:
        per_cell(c, r.get("repeat"))
    positive_control()
    force()
    verdicts()
    tunables()
for e in errors:
    print("gup: FAIL: %s: %s" % (label, e))
print("gup: %s: %s (%d cells)" % ("FAIL" if errors else "ok", label, len(cells)))
sys.exit(1 if errors else 0)
EOF
}

host_unprivileged() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		echo "gup: host unprivileged stage skipped (needs root and setpriv to drop to nobody)"
		return 0
	fi
	local d out rc
	d=$(mktemp -d /tmp/numabench-gup-user.XXXXXX)
	chmod 0777 "$d"
	out="$d/gup-user.json"
	HOME="$d" setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" run gup --repeat 1 \
		-o "$out" $GUP_ARGS >"$d/log" 2>&1
	rc=$?
	if [ ! -s "$out" ]; then
		echo "gup: FAIL: unprivileged run wrote no results (exit $rc); log: $d/log"
		return 1
	fi
	cp "$out" "$OUTDIR/" && check "$out" --unprivileged
}

guest_run() {
	local k=$1 f=$2 out rc
	out="$OUTDIR/gup-$k-$f${GUEST_ARGS:+-${GUEST_ARGS##* }}.json"
	echo "gup: guest kernel $k, proc_mem.force_override=$f ..."
	# shellcheck disable=SC2086 # GUEST_ARGS: options, split on purpose
	"$BIN" guest $GUEST_ARGS --kernel "$k" --topology 2node --append "proc_mem.force_override=$f" \
		--timeout "$TIMEOUT" -o "$out" -- run gup $GUP_ARGS >"$out.log" 2>&1
	rc=$?
	if [ ! -s "$out" ]; then
		grep -q "no usable Debian kernel\|busybox not found" "$out.log" &&
			skip "guest cannot run here: $(tail -n 1 "$out.log")"
		echo "gup: FAIL: kernel $k force_override=$f: no results (exit $rc); log: $out.log"
		return 1
	fi
	check "$out" "$f"
}

"$BIN" list >/dev/null 2>&1 || skip "$BIN does not run"
host_unprivileged || fails=$((fails + 1))
[ "${HOST_ONLY:-0}" = 1 ] && exit $((fails > 0))
"$BIN" guest --help >/dev/null 2>&1 || skip "numabench guest is not available"
for k in $KERNELS; do
	for f in $FORCES; do
		guest_run "$k" "$f" || fails=$((fails + 1))
	done
done
echo "gup: results in $OUTDIR"
if [ $fails -gt 0 ]; then
	echo "gup: FAIL ($fails)"
	exit 1
fi
echo "gup: PASS"
