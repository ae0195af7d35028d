#!/bin/bash
# Cpu and node sets end to end, checked through `numabench topo --json` and the one-line errors
# of `run --cpus/--nodes` (which stop before any bench runs: nothing is measured here).
# Usage: tests/host/sets.sh ./numabench
set -u
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
t_init sets nbsets

# --- 384 allowed cpus (an LD_PRELOAD shim fakes sched_getaffinity): kept whole, as ranges ---
if ${CC:-cc} -shared -fPIC -O2 -Wall -Werror -o "$T/affinity384.so" "$HERE/affinity384.c"; then
	LD_PRELOAD=$T/affinity384.so "$BIN" topo --json >"$T/aff.json" 2>"$T/aff.err"
	rc=$?
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capabilities"]["allowed_cpus"])' "$T/aff.json" 2>&1)
	if [ $rc -eq 0 ] && [ "$got" = "0-383" ] && [ ! -s "$T/aff.err" ]; then
		ok "384 allowed cpus (affinity shim): capabilities.allowed_cpus = $got"
	else
		bad "384 allowed cpus: rc $rc, allowed_cpus '$got' (want 0-383): $(cat "$T/aff.err")"
	fi
	"$BIN" topo --json >"$T/real.json"
	real=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capabilities"]["allowed_cpus"])' "$T/real.json")
	[ "$real" != "0-383" ] && ok "without the shim: allowed_cpus = $real (the shim was what changed it)" ||
		echo "note: this host itself allows 0-383: the shim test proves less here"
	LD_PRELOAD=$T/affinity384.so "$BIN" topo >"$T/aff.txt" 2>&1
	grep -q '^  allowed_cpus: *0-383$' "$T/aff.txt" && ok "topo text: allowed_cpus 0-383" ||
		bad "topo text: $(grep allowed_cpus "$T/aff.txt")"
else
	bad "cannot build the affinity shim with ${CC:-cc}"
fi

# --- a replayed 512-cpu, 8-node topology: every cpu and node in topology and capabilities ---
REPLAY="synthetic:package:2 numa:4 core:32 pu:2(indexes=2*256:1*2)"
NUMABENCH_TOPOLOGY=$REPLAY "$BIN" topo --json >"$T/replay.json" 2>"$T/replay.err"
rc=$?
if out=$(python3 - "$T/replay.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t, c = d["topology"], d["capabilities"]
ids = [n["id"] for n in t["nodes"]]
assert ids == list(range(8)), ids
cpus = [x for n in t["nodes"] for x in n["cpus"]]
assert sorted(cpus) == list(range(512)), (len(cpus), sorted(set(range(512)) - set(cpus))[:10])
assert t["nodes"][0]["cpus"] == list(range(32)) + list(range(256, 288)), t["nodes"][0]["cpus"]
assert t["cpus"] == 512, t["cpus"]
assert c["allowed_cpus"] == "0-511", c["allowed_cpus"]
assert c["allowed_nodes"] == "0-7", c["allowed_nodes"]
print(f"{len(ids)} nodes, {len(cpus)} cpus, allowed_cpus {c['allowed_cpus']}, allowed_nodes {c['allowed_nodes']}")
PY
) && [ $rc -eq 0 ]; then
	ok "replayed topology ($REPLAY): $out"
else
	bad "replayed topology: rc $rc: $out $(cat "$T/replay.err")"
fi
NUMABENCH_TOPOLOGY=$REPLAY "$BIN" topo | grep -q "^node 0 cpus: 0-31,256-287$" &&
	ok "topo text prints node cpus as ranges" || bad "topo text node cpus not ranges"
# cpus have no ceiling (issue 20): 1280 replayed cpus are all there, 640 a node
NUMABENCH_TOPOLOGY="synthetic:numa:2 core:640 pu:1" "$BIN" topo --json >"$T/t1280.json" 2>"$T/e"
rc=$?
[ $rc -eq 0 ] && python3 -c '
import json, sys
n = json.load(open(sys.argv[1]))["topology"]["nodes"]
assert [x["cpus"] for x in n] == [list(range(640)), list(range(640, 1280))], [len(x["cpus"]) for x in n]
' "$T/t1280.json" && ok "1280 replayed cpus: every one read, 640 a node" ||
	bad "1280 cpus: rc $rc: $(cat "$T/e")"

# --- --cpus/--nodes: numactl syntax by libnuma; one line naming the value and what is valid ---
echo '{"previous": true}' >"$T/prev.json"
allowed=$real
expect_error() { # expect_error PATTERN ARGS...
	local pat=$1
	shift
	"$BIN" "$@" -o "$T/prev.json" >"$T/o" 2>"$T/e"
	local rc=$? lines
	lines=$(wc -l <"$T/e")
	if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$pat" "$T/e" &&
		[ "$(cat "$T/prev.json")" = '{"previous": true}' ]; then
		ok "bad input: $* -> $rc: $(cat "$T/e")"
	else
		bad "bad input: $* -> rc $rc (want 2), $lines line(s) (want 1, with '$pat'): $(cat "$T/e")"
	fi
}
expect_error "--cpus abc: libnuma: unparseable cpu description \`abc'" run latency --cpus abc
expect_error "(allowed: $allowed)" run latency --cpus abc
expect_error "--cpus 0-4095: cpu 4095 does not exist (allowed: $allowed)" run latency --cpus 0-4095
expect_error "--cpus 1x: libnuma: cannot parse it" run latency --cpus 1x
expect_error "--cpus !all: selects no cpu this run may use" run latency --cpus '!all'
expect_error "--nodes 9: node 9 does not exist (valid nodes:" run latency --nodes 9
expect_error "--nodes x: libnuma: unparseable node description" run latency --nodes x
expect_error "--nodes 0,: libnuma:" run latency --nodes 0,

t_done
