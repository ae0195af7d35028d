#!/bin/bash
# Host integration tests: run numabench on this machine and check the JSON it writes.
# Usage: tests/host/run.sh ./numabench [fast]
# "fast" (the sanitizer build) uses a smaller quick suite so the instrumented binary stays quick.
set -u
BIN=$(realpath "$1")
MODE=${2:-full}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nbhost.XXXXXX)
export NUMABENCH_JOURNAL=$T/journal
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
cleanup() { pkill -KILL -f "$T/" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# --- the quick suite, checked through the JSON ---
if [ "$MODE" = fast ]; then
	QUICK=(run latency bandwidth fault --set latency.size=32K,64M --set bandwidth.size=48M
		--set bandwidth.kernel=read,triad --set fault.size=8M --repeat 3)
else
	QUICK=(run quick)
fi
"$BIN" "${QUICK[@]}" -o "$T/quick.json" >"$T/quick.out" 2>"$T/quick.err"
rc=$?
if python3 "$HERE/check_run.py" "$T/quick.json" $rc --expect-bench latency bandwidth fault; then
	ok "quick suite: schema, statuses, placement, units (exit $rc)"
else
	bad "quick suite (exit $rc)"; cat "$T/quick.err"
fi
grep -q "^latency" "$T/quick.out" && ok "summary table printed" || bad "no summary table"

# --- bad input: one line on stderr naming the value, documented exit code, nothing lost ---
echo '{"previous": true}' >"$T/prev.json"
expect_error() { # expect_error CODE PATTERN ARGS...
	local code=$1 pat=$2
	shift 2
	"$BIN" "$@" >"$T/o" 2>"$T/e"
	local rc=$? lines
	lines=$(wc -l <"$T/e")
	if [ $rc -eq "$code" ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$T/e" &&
		[ "$(cat "$T/prev.json")" = '{"previous": true}' ]; then
		ok "bad input: $* -> $rc: $(cat "$T/e")"
	else
		bad "bad input: $* -> rc $rc (want $code), $lines line(s): $(cat "$T/e")"
	fi
}
expect_error 2 'unknown command "frobnicate"' frobnicate
expect_error 2 'unknown suite or bench "nosuch"' run nosuch -o "$T/prev.json"
expect_error 2 'unknown parameter latency.bogus' run latency --set latency.bogus=1 -o "$T/prev.json"
expect_error 2 'latency.size: "12Q" is not a size' run latency --set latency.size=12Q -o "$T/prev.json"
expect_error 2 'fault.pages: unknown value "2m"' run fault --set fault.pages=2m -o "$T/prev.json"
expect_error 2 'node 7 does not exist' run latency --nodes 7 -o "$T/prev.json"
expect_error 2 'cpu 4095 is not online' run latency --cpus 4095 -o "$T/prev.json"
expect_error 2 "larger than node 0's free memory" run fault --set fault.size=60G -o "$T/prev.json"
expect_error 2 '--repeat abc: expected a whole number' run latency --repeat abc -o "$T/prev.json"
expect_error 2 'knob.scan_size_mb=0 is not valid' run fault --set knob.scan_size_mb=0 -o "$T/prev.json"
expect_error 2 'knob.numa_balancing=9 is not valid' run fault --set knob.numa_balancing=9 -o "$T/prev.json"
expect_error 2 'unknown tunable' run fault --set knob.nosuch=1 -o "$T/prev.json"
expect_error 2 'bench bandwidth is not part of this run' run fault --set bandwidth.size=1M -o "$T/prev.json"
ln -s "$T/prev.json" "$T/link.json"
expect_error 2 'is a symlink' run fault --set fault.size=2M -o "$T/link.json"
expect_error 2 'is not writable' run fault --set fault.size=2M -o "$T/nodir/x.json"
expect_error 2 'unknown command "nosuch"' help nosuch

# --- tunables: set for a run, recorded before/during/after, put back ---
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/kernel/numa_balancing ]; then
	orig=$(cat /proc/sys/kernel/numa_balancing)
	new=$((orig == 1 ? 0 : 1))
	"$BIN" run fault --set fault.size=4M --set fault.pages=4k --set knob.numa_balancing=$new \
		-o "$T/knob.json" >/dev/null 2>&1
	rc=$?
	if python3 - "$T/knob.json" "$orig" "$new" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1])); t = d["tunables"]
assert t["before"]["numa_balancing"] == sys.argv[2], t
assert t["during"]["numa_balancing"] == sys.argv[3], t
assert t["after"]["numa_balancing"] == sys.argv[2], t
PY
		[ "$(cat /proc/sys/kernel/numa_balancing)" = "$orig" ] &&
			ok "knob.numa_balancing=$new recorded during, restored after (exit $rc)" ||
			bad "numa_balancing not restored on the host"
	else
		bad "tunables before/during/after wrong"
	fi
	# SIGTERM mid-run: exit 130, tunable restored, results complete and marked interrupted
	"$BIN" run latency --set latency.size=256M --repeat 30 --set knob.numa_balancing=$new \
		-o "$T/term.json" >/dev/null 2>"$T/term.err" &
	pid=$!
	sleep 2
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $rc -eq 130 ] && [ "$(cat /proc/sys/kernel/numa_balancing)" = "$orig" ] &&
		python3 -c "import json,sys; d=json.load(open('$T/term.json')); assert d['interrupted']"; then
		ok "SIGTERM: exit 130, numa_balancing restored, results complete and marked interrupted"
	else
		bad "SIGTERM: rc $rc, numa_balancing $(cat /proc/sys/kernel/numa_balancing) (orig $orig)"
	fi
	# SIGKILL: the journal survives; the next invocation (any subcommand) restores and says so
	"$BIN" run latency --set latency.size=256M --repeat 30 --set knob.numa_balancing=$new \
		-o "$T/kill.json" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	kill -KILL $pid
	wait $pid 2>/dev/null
	left=$(cat /proc/sys/kernel/numa_balancing)
	"$BIN" knobs --json >/dev/null 2>"$T/restore.err"
	if [ "$left" = "$new" ] && [ "$(cat /proc/sys/kernel/numa_balancing)" = "$orig" ] &&
		grep -q "restored numa_balancing=$orig" "$T/restore.err" && [ ! -e "$T/kill.json" ]; then
		ok "SIGKILL: left $left, next invocation restored $orig and said so; no torn results"
	else
		bad "SIGKILL: left $left, now $(cat /proc/sys/kernel/numa_balancing), orig $orig: $(cat "$T/restore.err")"
	fi
	echo "$orig" >/proc/sys/kernel/numa_balancing
else
	echo "skip tunables tests: need root and a writable numa_balancing"
fi

# --- unprivileged: benches run or skip with the privilege named; success exit ---
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 777 "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$T" \
		NUMABENCH_JOURNAL="$T/nobody-journal" "$BIN" run fault --set fault.size=4M \
		-o "$T/nobody.json" >/dev/null 2>"$T/nobody.err"
	rc=$?
	if python3 "$HERE/check_run.py" "$T/nobody.json" $rc >/dev/null &&
		python3 -c "import json; d=json.load(open('$T/nobody.json')); assert not d['capabilities']['root']"; then
		ok "unprivileged run: honest statuses, exit $rc"
	else
		bad "unprivileged run: exit $rc: $(cat "$T/nobody.err")"
	fi
fi

# --- under load: every cpu but the first saturated; statuses stay honest (ok or untrustworthy) ---
hogs=()
for c in $(seq 1 $(($(nproc) - 1))); do
	taskset -c "$c" sh -c 'while :; do :; done' &
	hogs+=($!)
done
"$BIN" run latency bandwidth --set latency.size=32K,64M --set latency.pages=4k \
	--set bandwidth.size=48M --set bandwidth.kernel=read -o "$T/load.json" >/dev/null 2>&1
rc=$?
kill "${hogs[@]}" 2>/dev/null
wait "${hogs[@]}" 2>/dev/null
python3 "$HERE/check_run.py" "$T/load.json" $rc >/dev/null &&
	ok "under load: completes with honest statuses (exit $rc)" || bad "under load (exit $rc)"

# --- list/topo/knobs JSON ---
"$BIN" topo --json >"$T/topo.json" && python3 - "$T/topo.json" <<'PY' && ok "topo --json matches sysfs" || bad "topo --json"
import json, os, sys
d = json.load(open(sys.argv[1]))["topology"]
sys_nodes = sorted(int(n[4:]) for n in os.listdir("/sys/devices/system/node") if n.startswith("node") and n[4:].isdigit())
assert [n["id"] for n in d["nodes"]] == sys_nodes, (d["nodes"], sys_nodes)
for n in d["nodes"]:
    dist = open(f"/sys/devices/system/node/node{n['id']}/distance").read().split()
    i = sys_nodes.index(n["id"])
    assert [str(x) for x in d["distances"][i]] == dist, (d["distances"], dist)
PY
"$BIN" list --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert {b['name'] for b in d['benches']} >= {'latency','bandwidth','fault'}; assert all(b['supported'] or b['reason'] for b in d['benches'])" && ok "list --json" || bad "list --json"
"$BIN" knobs --json | python3 -c "import json,sys; d=json.load(sys.stdin); n={k['name'] for k in d['tunables']}; assert {'numa_balancing','scan_size_mb','thp_enabled','zone_reclaim_mode'} <= n" && ok "knobs --json" || bad "knobs --json"

echo "host tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
