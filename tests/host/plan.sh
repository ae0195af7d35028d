#!/bin/bash
# `run --plan` on replayed topologies (issue 21): the placement and sizing decisions checked
# through the numabench.plan/1 JSON, without measuring anything. Seconds.
# Usage: tests/host/plan.sh ./numabench
set -u
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib.sh"
t_init plan nbplan

# name | how to replay it | python expressions: core of a cpu c | LLC domain of a cpu c | package
# of a node n
# 2-socket Intel-like with SMT (siblings are cpu N and N + 16, as Linux numbers them).
TWO="synthetic:package:2 [numa(memory=64GiB)] l3:1(size=32MiB) core:8 pu:2(indexes=2*16:1*2)"
# NPS4-like: 8 nodes, 2 CCDs of 32 MiB L3 per node.
NPS4="synthetic:package:2 group:4 [numa(memory=32GiB)] l3:2(size=32MiB) core:4 pu:2"
# A QEMU guest capture with a memory-only node (node 3, no cpus), replayed through its /sys.
CXL="$SRC/tests/fixtures/guests/4node-asym-6.12/root"

BENCHES=(latency bandwidth loaded c2c fault migrate --set latency.pages=4k --set latency.size=32K,dram
	--set bandwidth.kernel=read,triad --set bandwidth.threads=1,2,cores,pus
	--set loaded.mix=read --set loaded.delay=0 --set fault.pages=4k)

plan_case() { # plan_case NAME KIND(topology|fsroot) VALUE CORE LLC PACKAGE
	local name=$1 kind=$2 val=$3 env
	if [ "$kind" = fsroot ]; then env=(NUMABENCH_FSROOT="$val"); else env=(NUMABENCH_TOPOLOGY="$val"); fi
	mkdir -p "$T/$name" && cd "$T/$name" || return
	if ! env "${env[@]}" "$BIN" run "${BENCHES[@]}" --plan --json >plan.json 2>plan.err; then
		bad "$name: run --plan --json failed: $(head -3 plan.err)"
		cd "$T" && return
	fi
	env "${env[@]}" "$BIN" topo --json >topo.json 2>/dev/null
	if python3 "$HERE/check_plan.py" plan.json topo.json "$4" "$5" "$6" >check.out 2>&1; then
		ok "$name: $(grep -c '^ok' check.out) plan checks"
	else
		bad "$name: $(grep -m3 FAIL check.out | tr '\n' ' ')"
	fi
	[ -e results ] && bad "$name: --plan wrote a results folder" || ok "$name: --plan wrote no results file"
	if env "${env[@]}" "$BIN" run latency --plan >plan.txt 2>&1 && grep -q '^latency: planned' plan.txt; then
		ok "$name: text plan"
	else
		bad "$name: text plan: $(head -2 plan.txt)"
	fi
	cd "$T" || return
}

plan_case two-socket-smt topology "$TWO" "c % 16" "c % 16 // 8" "n"
plan_case nps4 topology "$NPS4" "c // 2" "c // 8" "n // 4"
plan_case cxl-memory-only fsroot "$CXL" "c" "c" "0"
# More cpus than a cpu_set_t holds (issue 20): 2 packages x 2 nodes x 4 L3 x 256 cores x 2 PUs,
# 8192 cpus (Linux's largest NR_CPUS), 2048 a node, every one placed as on the small replays.
HUGE="synthetic:package:2 numa:2(memory=256GiB) l3:4(size=32MB) core:256 pu:2"
plan_case 8192-cpus topology "$HUGE" "c // 2" "c // 512" "n // 2"
if python3 - "$T/8192-cpus/topo.json" "$T/8192-cpus/plan.json" <<'PY' >"$T/huge.out" 2>&1; then
import json, sys
t = json.load(open(sys.argv[1]))["topology"]
p = json.load(open(sys.argv[2]))
assert t["cpus"] == 8192, t["cpus"]
assert [n["id"] for n in t["nodes"]] == [0, 1, 2, 3], [n["id"] for n in t["nodes"]]
for n in t["nodes"]:
    assert n["cpus"] == list(range(2048 * n["id"], 2048 * (n["id"] + 1))), (n["id"], n["cpus"][:3])
assert len(p["cpus"]) == 8192 and p["cpus"][-1] == 8191, (len(p["cpus"]), p["cpus"][-3:])
bw = {b["bench"]: b for b in p["benches"]}["bandwidth"]["cells"]
pus = [c for c in bw if c["threads"] == 2048 and c["cpu_node"] == 3]
assert pus and all(sorted(x["cpu"] for x in c["cpus"]) == list(range(6144, 8192)) for c in pus)
print("8192 cpus in 4 nodes of 2048; bandwidth.threads=pus on node 3 uses cpus 6144-8191")
PY
	ok "8192-cpu replay: $(cat "$T/huge.out")"
else
	bad "8192-cpu replay: $(tail -3 "$T/huge.out")"
fi

# Pair classes and the estimates on an 8-node, 256-cpu replay (issue 22): quick within 5 min,
# loaded at its defaults within 10 min; pairs=reps plans no check, pairs=all every pair fully.
BIG="synthetic:package:2 numa:4(memory=32GiB) l3:2(size=32MB) core:8 pu:2"
est() { NUMABENCH_TOPOLOGY="$BIG" "$BIN" run "$@" --plan --json 2>"$T/est.err"; }
if est quick >"$T/quick.json" && est loaded >"$T/loaded.json" &&
	est latency --set latency.pairs=reps >"$T/reps.json" &&
	est latency --set latency.pairs=all >"$T/all.json" &&
	python3 - "$T" <<'PY' >"$T/est.out" 2>&1; then
import json, sys
d = sys.argv[1]
q, l = (json.load(open("%s/%s.json" % (d, n))) for n in ("quick", "loaded"))
roles = lambda n: [c["class"]["role"] for c in json.load(open("%s/%s.json" % (d, n)))["benches"][0]["cells"]]
assert len(q["nodes"]) == 8 and len(q["cpus"]) == 256, (len(q["nodes"]), len(q["cpus"]))
assert q["estimate_s"] <= 300, "quick estimate %.0f s > 300 s" % q["estimate_s"]
assert l["estimate_s"] <= 600, "loaded estimate %.0f s > 600 s" % l["estimate_s"]
assert "check" not in roles("reps") and "representative" in roles("reps"), set(roles("reps"))
assert set(roles("all")) == {"full"} and len(roles("all")) == 8 * 8 * 2 * 6, len(roles("all"))
print("quick %.0f s, loaded %.0f s" % (q["estimate_s"], l["estimate_s"]))
PY
	ok "8-node 256-cpu replay: $(cat "$T/est.out"); pairs=reps/all as documented"
else
	bad "8-node 256-cpu replay estimates: $(tail -2 "$T/est.out" 2>/dev/null) $(head -2 "$T/est.err")"
fi
out=$("$BIN" run latency --plan --set latency.pairs=some 2>&1)
[ $? -eq 2 ] && [[ $out == *"some"* ]] && ok "latency.pairs=some refused (exit 2)" ||
	bad "latency.pairs=some: $out"

# A knob is listed, never applied: no journal entry is written (a run journals before it sets).
rm -f "$NUMABENCH_JOURNAL"
if "$BIN" run fault --plan --json --set knob.numa_balancing=1 >"$T/knob.json" 2>"$T/knob.err" &&
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["knobs"] == {"numa_balancing": "1"}' "$T/knob.json" &&
	[ ! -s "$NUMABENCH_JOURNAL" ]; then
	ok "--plan lists knob.numa_balancing=1 and journals nothing"
else
	bad "--plan with a knob: $(head -2 "$T/knob.err") journal: $(cat "$NUMABENCH_JOURNAL" 2>/dev/null)"
fi

# Bad input: exit 2 with the bad value named.
out=$("$BIN" run latency --plan -o "$T/x.json" 2>&1)
[ $? -eq 2 ] && [[ $out == *"--plan writes no file"* ]] && ok "--plan -o refused (exit 2)" ||
	bad "--plan -o: $out"
out=$("$BIN" run latency --json 2>&1)
[ $? -eq 2 ] && [[ $out == *"--json goes with --plan"* ]] && ok "--json without --plan refused (exit 2)" ||
	bad "--json without --plan: $out"
out=$("$BIN" run bandwidth --plan --set bandwidth.threads=many 2>&1)
[ $? -eq 2 ] && [[ $out == *'"many"'* ]] && ok "bandwidth.threads=many refused (exit 2)" ||
	bad "bandwidth.threads=many: $out"
# Every suite shipped in configs/ is valid: its plan is written (exit 0, numabench.plan/1, one
# plan bench per bench the suite names); a suite with a parameter its bench does not have is
# refused (exit 2) naming it, so a renamed parameter cannot leave a shipped suite behind.
ROOT=$(cd "$HERE/../.." && pwd)
for f in "$ROOT"/configs/*.json; do
	s=$(basename "$f" .json)
	"$BIN" run "$f" --plan --json >"$T/suite.$s.json" 2>"$T/suite.$s.err"
	rc=$?
	if why=$(python3 - "$f" "$T/suite.$s.json" 2>&1 <<'PY'
import json, sys
suite, plan = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = [b["bench"] for b in suite["benches"]]
got = [b["bench"] for b in plan["benches"]]
assert plan["schema"] == "numabench.plan/1", plan["schema"]
assert got == want, f"plan benches {got}, suite {want}"
PY
	) && [ $rc -eq 0 ]; then
		ok "configs/$s.json: valid (its plan has its $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["benches"]))' "$f") benches)"
	else
		bad "configs/$s.json: rc $rc: $(head -1 "$T/suite.$s.err") $why"
	fi
done
python3 - "$ROOT/configs/quick.json" "$T/badsuite.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["benches"][0]["params"]["no_such_param"] = "1"
json.dump(d, open(sys.argv[2], "w"))
PY
out=$("$BIN" run "$T/badsuite.json" --plan 2>&1)
[ $? -eq 2 ] && [[ $out == *"no_such_param"* ]] && ok "a suite with an unknown parameter: exit 2, named" ||
	bad "a suite with an unknown parameter: $out"
t_done
