#!/bin/bash
# Host integration tests: run numabench on this machine and check the JSON it writes.
# Usage: tests/host/run.sh ./numabench [fast]
# "fast" (the sanitizer build) uses a smaller quick suite so the instrumented binary stays quick.
set -u
BIN=$(realpath "$1")
MODE=${2:-full}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
t_init host nbhost
CLEAN_CG=
t_cleanup_extra() {
	pkill -KILL -f "$T/" 2>/dev/null
	if [ -n "$CLEAN_CG" ] && [ -d "$CLEAN_CG" ]; then
		kill -KILL $(cat "$CLEAN_CG/cgroup.procs") 2>/dev/null
		sleep 0.2
		rmdir "$CLEAN_CG"
	fi
}

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

# --- cells declare their identity (issue 19): a latency run with stride=64,256 and size=1M
# against one with stride=256,64 and size=1024K is the same run, and compare pairs each cell
# with the cell of the same stride (checked against both files' medians), not by position ---
ID=(run latency --set latency.pages=4k --repeat 2)
"$BIN" "${ID[@]}" --set latency.size=1M --set latency.stride=64,256 -o "$T/id-a.json" \
	>/dev/null 2>"$T/id.err" &&
	"$BIN" "${ID[@]}" --set latency.size=1024K --set latency.stride=256,64 -o "$T/id-b.json" \
		>/dev/null 2>>"$T/id.err" &&
	"$BIN" compare "$T/id-a.json" "$T/id-b.json" --format json >"$T/id.cmp.json" 2>>"$T/id.err"
rc=$?
if [ $rc -eq 0 ] && python3 - "$T/id-a.json" "$T/id-b.json" "$T/id.cmp.json" <<'PY'
import json, sys
a, b, cmp = (json.load(open(f)) for f in sys.argv[1:4])
ra, rb = a["runs"][0], b["runs"][0]
assert ra["identity"] == ["cpu_node", "mem_node", "size_bytes", "pages", "stride"], ra["identity"]
assert ra["params"]["size"] == "1M" and rb["params"]["size"] == "1024K"
assert ra["params_canonical"] == rb["params_canonical"], (ra["params_canonical"], rb["params_canonical"])
assert ra["params_canonical"]["size"] == [1048576] and ra["params_canonical"]["stride"] == [64, 256]
assert [c["stride"] for c in ra["cells"]] == [64, 256] and [c["stride"] for c in rb["cells"]] == [256, 64]
med = lambda r, s: next(c for c in r["cells"] if c["stride"] == s)["metrics"]["latency_ns"]["median"]
rows = [r for r in cmp["rows"] if r["metric"] == "latency_ns"]
assert len(rows) == 2, rows
for r in rows:
    assert "#" not in r["cell"], r["cell"]
    s = int(r["cell"].split("stride=")[1])
    assert abs(r["baseline_median"] - med(ra, s)) < 1e-6 * med(ra, s), (r, med(ra, s))
    assert abs(r["median"] - med(rb, s)) < 1e-6 * med(rb, s), (r, med(rb, s))
assert sorted(int(r["cell"].split("stride=")[1]) for r in rows) == [64, 256]
PY
then
	ok "identity: stride=64,256 vs 256,64 and size=1M vs 1024K pair the same cells in compare"
else
	bad "identity compare (exit $rc): $(cat "$T/id.err")"
fi

# --- --budget: the run ends within it (plus one sample's worth), unreached cells are skipped
# with reason budget and carry no figures. The latency cells' least work must exceed the budget
# on any machine: six DRAM cells (64M, 128M, 256M at stride 64, 4k and thp) of at least 8
# samples of 2 x size/stride loads each (1M to 8M: 2M, 4M, 8M) are 224M dependent loads, 22 s
# at 100 ns a load and still 6.7 s at 30 ns (a chain partly held by a very large L3);
# 32K,64M,128M at stride 256 (32M loads at the least) fitted in 4 s on a faster CI host. ---
B=(run latency fault migrate --budget 4s --set latency.size=32K,64M,128M,256M --set latency.stride=64 --set fault.size=8M)
"$BIN" "${B[@]}" -o "$T/budget.json" >/dev/null 2>"$T/budget.err"
rc=$?
if python3 "$HERE/check_run.py" "$T/budget.json" $rc >/dev/null && python3 - "$T/budget.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["budget"]
assert b["budget_s"] == 4 and b["from"] == "--budget", b
assert b["elapsed_s"] < 4 * 1.1 + 2, b  # one cell's setup and one sample past the share
cells = [c for r in d["runs"] for c in r.get("cells", [])]
cut = [c for c in cells if (c.get("reason") or "").startswith("budget:")]
assert cut, "4 s is too short for 8 latency cells (224M loads at the least) and 2 fault cells"
assert all(c["status"] == "skipped" and "metrics" not in c for c in cut), cut
# a bench that cannot run here says why, budget or not: migrate on one memory node
mem = [n for n in d["topology"]["nodes"] if n.get("memory_bytes")]
mig = [r for r in d["runs"] if r["bench"] == "migrate"][0]
if len(mem) < 2:
    assert mig["status"] == "skipped" and "2 NUMA nodes" in mig["reason"], mig
PY
then
	ok "--budget 4s: ended in $(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["budget"]["elapsed_s"], 1))' "$T/budget.json") s, unreached cells skipped: budget"
else
	bad "--budget 4s (exit $rc): $(cat "$T/budget.err")"
fi

# --- MLC-class benches (issue 14): loaded's idle point against latency in the same run, c2c
# pairs and relations, migrate skipped on one node, bandwidth mixes and the peak summary ---
MLC=(run latency loaded c2c migrate bandwidth --quick --set latency.size=64M --set latency.pages=4k
	--set latency.loads=500000 --set loaded.size=64M --set loaded.loads=500000
	--set loaded.inj_size=16M --set loaded.mix=read --set loaded.delay=0 --set c2c.rounds=20
	--set c2c.pingpong=200 --set migrate.size=4M --set bandwidth.size=48M
	--set bandwidth.kernel=read --set bandwidth.mix=r1w1,ntwrite --set bandwidth.threads=1)
"$BIN" "${MLC[@]}" -o "$T/mlc.json" >"$T/mlc.out" 2>"$T/mlc.err"
if python3 "$HERE/check_mlc.py" "$T/mlc.json" >"$T/mlc.check"; then
	ok "loaded/c2c/migrate/bandwidth mixes: $(grep -c '^ok' "$T/mlc.check") checks; $(grep -E '^(ok|noisy) loaded idle' "$T/mlc.check")"
else
	bad "loaded/c2c/migrate/bandwidth mixes: $(grep FAIL "$T/mlc.check" | head -3)"
fi

# --- fresh allocations (issue 22): bandwidth re-allocates its arrays before samples 8, 16, ...
# (first-touched again by their owners), and the placement counts every allocation's pages ---
"$BIN" run bandwidth --set bandwidth.size=48M --set bandwidth.kernel=read,copy \
	--set bandwidth.threads=1 --nodes 0 --repeat 9 -o "$T/fresh.json" >/dev/null 2>&1
python3 - "$T/fresh.json" <<'PY' && ok "bandwidth: 9 samples from 2 allocations, placement of both" || bad "bandwidth fresh allocations"
import json, sys
cells = json.load(open(sys.argv[1]))["runs"][0]["cells"]
assert len(cells) == 2, len(cells)
for c in cells:
    m = c["metrics"]["bandwidth_gbs"]
    arrays = {"read": 1, "copy": 2}[c["kernel"]]
    pages = 2 * arrays * c["bytes_per_array"] // 4096
    assert m["n"] == 9 and c["allocations"] == 2, (c["kernel"], m["n"], c.get("allocations"))
    assert c["placement"]["pages_total"] == pages, (c["placement"]["pages_total"], pages)
    assert c["placement"]["verified"] is True
PY
# latency: a new buffer and chain before samples 4 and 8 (NB_REFRESH_EVERY), so 9 samples come
# from 3 allocations, and the placement counts the pages of all three
"$BIN" run latency --set latency.size=4M --set latency.pages=4k,thp --nodes 0 --repeat 9 \
	-o "$T/fresh-lat.json" >/dev/null 2>&1
python3 - "$T/fresh-lat.json" <<'PY' && ok "latency: 9 samples from 3 allocations, placement of all three" || bad "latency fresh allocations"
import json, sys
cells = json.load(open(sys.argv[1]))["runs"][0]["cells"]
assert len(cells) == 2, len(cells)
for c in cells:
    assert c["metrics"]["latency_ns"]["n"] == 9 and c["allocations"] == 3, (c["pages"], c.get("allocations"))
    assert c["placement"]["pages_total"] == 3 * (4 << 20) // 4096, c["placement"]
    assert c["placement"]["verified"] is True
PY

# --- bad input: one line on stderr naming the value, documented exit code, nothing lost ---
echo '{"previous": true}' >"$T/prev.json"
expect_error() { # expect_error CODE PATTERN ARGS...
	local code=$1 pat=$2
	shift 2
	if [ "$1" = taskset_run ]; then # run under an affinity mask: taskset_run MASKARGS... ARGS
		shift
		taskset "$1" "$2" "$BIN" "${@:3}" >"$T/o" 2>"$T/e"
	else
		"$BIN" "$@" >"$T/o" 2>"$T/e"
	fi
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
expect_error 2 'run: name a suite or bench' run
expect_error 2 'unknown suite or bench "nosuch"' run nosuch -o "$T/prev.json"
expect_error 2 'unknown parameter latency.bogus' run latency --set latency.bogus=1 -o "$T/prev.json"
expect_error 2 'latency.size: "12Q" is not a size' run latency --set latency.size=12Q -o "$T/prev.json"
expect_error 2 'fault.pages: unknown value "2m"' run fault --set fault.pages=2m -o "$T/prev.json"
# typed parameters (issue 19): a thread count is not a size; the parameter layer's constraints
expect_error 2 'bandwidth.threads: "1K" is not a whole number' run bandwidth --set bandwidth.threads=1K -o "$T/prev.json"
expect_error 2 'loaded.injectors: "1K" is not a whole number' run loaded --set loaded.injectors=1K -o "$T/prev.json"
expect_error 2 'latency.stride=96: 96 is not a power of two' run latency --set latency.stride=96 -o "$T/prev.json"
expect_error 2 'loaded.stride=512K: 524288 is larger than loaded.tlb_group=256K' run loaded --set loaded.stride=512K -o "$T/prev.json"
expect_error 2 'node 7 does not exist' run latency --nodes 7 -o "$T/prev.json"
expect_error 2 'cpu 4095 does not exist' run latency --cpus 4095 -o "$T/prev.json"
expect_error 2 "larger than node 0's free memory" run fault --set fault.size=60G -o "$T/prev.json"
expect_error 2 '--repeat abc: expected a whole number' run latency --repeat abc -o "$T/prev.json"
expect_error 2 '--budget 0: expected a duration' run latency --budget 0 -o "$T/prev.json"
expect_error 2 '--budget 5x: expected a duration' run latency --budget 5x -o "$T/prev.json"
expect_error 2 'knob.scan_size_mb=0 is not valid' run fault --set knob.scan_size_mb=0 -o "$T/prev.json"
expect_error 2 'knob.numa_balancing=9 is not valid' run fault --set knob.numa_balancing=9 -o "$T/prev.json"
expect_error 2 'unknown tunable' run fault --set knob.nosuch=1 -o "$T/prev.json"
expect_error 2 'bench bandwidth is not part of this run' run fault --set bandwidth.size=1M -o "$T/prev.json"
ln -s "$T/prev.json" "$T/link.json"
expect_error 2 'is a symlink' run fault --set fault.size=2M -o "$T/link.json"
expect_error 2 'is not writable' run fault --set fault.size=2M -o "$T/nodir/x.json"
expect_error 2 'unknown command "nosuch"' help nosuch
expect_error 2 'is a folder, expected a file name' run fault --set fault.size=2M -o "$T"
# suite files: malformed, truncated, wrong shape, deeply nested, huge, not a regular file
printf '{"benches": [' >"$T/trunc.json"
printf '{"benches": [}' >"$T/malformed.json"
printf '[1, 2]' >"$T/array.json"
printf '{"benches": [{"params": {}}]}' >"$T/noname.json"
printf '{"benches": [{"bench": "latency", "params": {"size": [1]}}]}' >"$T/type.json"
printf '{"benches": [{"bench": "latency", "params": {"size": "99Q"}}]}' >"$T/value.json"
printf '{"benches": [{"bench": "latency"}], "benches": []}' >"$T/dup.json"
python3 -c "print('{\"benches\": ' + '[' * 100000 + ']' * 100000 + '}')" >"$T/deep.json"
truncate -s 3G "$T/huge.json"
expect_error 2 'trunc.json: invalid JSON at line 1 column 13' run "$T/trunc.json" -o "$T/prev.json"
expect_error 2 'malformed.json: invalid JSON at line 1' run "$T/malformed.json" -o "$T/prev.json"
expect_error 2 '"benches" must be an array' run "$T/array.json" -o "$T/prev.json"
expect_error 2 'benches\[0\] has no "bench" name' run "$T/noname.json" -o "$T/prev.json"
expect_error 2 'latency.size must be a string or an integer' run "$T/type.json" -o "$T/prev.json"
expect_error 2 'latency.size: "99Q" is not a size' run "$T/value.json" -o "$T/prev.json"
expect_error 2 'duplicate object key' run "$T/dup.json" -o "$T/prev.json"
expect_error 2 'maximum parsing depth reached' run "$T/deep.json" -o "$T/prev.json"
expect_error 2 'huge.json is 3G; numabench reads JSON files up to 1M' run "$T/huge.json" -o "$T/prev.json"
expect_error 2 'cannot read /dev/zero: not a regular file' run /dev/zero -o "$T/prev.json"
mkfifo "$T/fifo.json" # reading it would block forever
expect_error 2 "cannot read $T/fifo.json: not a regular file" run "$T/fifo.json" -o "$T/prev.json"
expect_error 2 'cannot read .*/nosuch.json: No such file' run "$T/nosuch.json" -o "$T/prev.json"
# list reads suites with the same bounded reader: a FIFO suite is listed invalid, never waited on
mkdir "$T/cfg"
cp "$HERE/../../configs/quick.json" "$T/cfg/"
mkfifo "$T/cfg/fifo.json"
printf '{"benches": [' >"$T/cfg/trunc.json"
NUMABENCH_CONFIGS=$T/cfg timeout 30 "$BIN" list --json >"$T/list.json" 2>"$T/e"
rc=$?
if [ $rc -eq 0 ] && python3 - "$T/list.json" "$T/cfg/fifo.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "numabench.list/1", d.get("schema")
s = {x["name"]: x for x in d["suites"]}
assert s["fifo"]["valid"] is False, s["fifo"]
assert s["fifo"]["reason"] == f"cannot read {sys.argv[2]}: not a regular file", s["fifo"]
assert s["trunc"]["valid"] is False and "invalid JSON" in s["trunc"]["reason"], s["trunc"]
assert s["quick"]["valid"] is True and "reason" not in s["quick"], s["quick"]
PY
	ok "list with a FIFO and a truncated suite: exit 0, both listed invalid with their reason"
else
	bad "list with a FIFO suite: rc $rc: $(cat "$T/e")"
fi
NUMABENCH_CONFIGS=$T/cfg timeout 30 "$BIN" list >"$T/o" 2>&1 &&
	grep -q "fifo .*\[invalid: cannot read .*not a regular file\]" "$T/o" &&
	ok "list text marks the FIFO suite [invalid: ...]" || bad "list text: $(grep fifo "$T/o")"
# results files given to report: the same shapes
expect_error 2 'deep.json: invalid JSON .*maximum parsing depth' report "$T/deep.json"
expect_error 2 'huge.json is 3G; numabench reads JSON files up to 256M' report "$T/huge.json"
expect_error 2 'cannot read /dev/zero: not a regular file' report /dev/zero
expect_error 2 "cannot read $T: it is a directory" report "$T"
# cpus outside this process's cpuset or affinity
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	expect_error 2 "cpu 1 is not allowed by this process's cpuset or affinity (allowed: 0)" \
		taskset_run -c 0 run latency --cpus 1 -o "$T/prev.json"
fi

# --- bare numabench: usage, exit 0, nothing changed (no journal, no results) ---
(cd "$T" && "$BIN" >"$T/o" 2>"$T/e")
rc=$?
if [ $rc -eq 0 ] && grep -q "^usage: numabench COMMAND" "$T/o" && [ ! -s "$T/e" ] &&
	[ ! -e "$NUMABENCH_JOURNAL" ] && [ ! -e "$T/results" ]; then
	ok "bare numabench: usage on stdout, exit 0, nothing written"
else
	bad "bare numabench: rc $rc: $(cat "$T/e")"
fi

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
	# SIGKILL: the journal survives; `restore` (or the next run) restores it and says so
	"$BIN" run latency --set latency.size=256M --repeat 30 --set knob.numa_balancing=$new \
		-o "$T/kill.json" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	kill -KILL $pid
	wait $pid 2>/dev/null
	left=$(cat /proc/sys/kernel/numa_balancing)
	"$BIN" restore >/dev/null 2>"$T/restore.err"
	if [ "$left" = "$new" ] && [ "$(cat /proc/sys/kernel/numa_balancing)" = "$orig" ] &&
		grep -q "restored numa_balancing=$orig" "$T/restore.err" && [ ! -e "$T/kill.json" ]; then
		ok "SIGKILL: left $left, next invocation restored $orig and said so; no torn results"
	else
		bad "SIGKILL: left $left, now $(cat /proc/sys/kernel/numa_balancing), orig $orig: $(cat "$T/restore.err")"
	fi
	echo "$orig" >/proc/sys/kernel/numa_balancing
	# A corrupted journal (a garbage line among valid ones): other commands only say it is
	# pending; restore puts the valid entry back, names the bad lines in one message, moves
	# the file aside beside the journal; later invocations are quiet.
	echo "$new" >/proc/sys/kernel/numa_balancing
	printf 'numa_balancing=%s\n\001garbage \377line\nzone_reclaim_mode=99\n' "$orig" \
		>"$NUMABENCH_JOURNAL"
	"$BIN" --version >/dev/null 2>"$T/pending.err"
	"$BIN" knobs >/dev/null 2>>"$T/pending.err"
	still=$(cat /proc/sys/kernel/numa_balancing)
	"$BIN" restore >/dev/null 2>"$T/corrupt.err"
	rc=$?
	aside=$(ls "$NUMABENCH_JOURNAL".corrupt.* 2>/dev/null)
	"$BIN" restore >/dev/null 2>"$T/after.err"
	"$BIN" list >/dev/null 2>>"$T/after.err"
	if [ "$still" = "$new" ] && [ "$(wc -l <"$T/pending.err")" -eq 2 ] &&
		grep -q "journal.*pending\|left tunables changed" "$T/pending.err" && [ $rc -eq 0 ] &&
		[ "$(cat /proc/sys/kernel/numa_balancing)" = "$orig" ] &&
		grep -q "restored numa_balancing=$orig" "$T/corrupt.err" &&
		[ "$(grep -c "bad line" "$T/corrupt.err")" -eq 1 ] &&
		grep -q 'line 2 "?garbage ?line", line 3 "zone_reclaim_mode=99"' "$T/corrupt.err" &&
		[ -n "$aside" ] && [ ! -e "$NUMABENCH_JOURNAL" ] &&
		grep -q "moved aside to $aside" "$T/corrupt.err" && [ ! -s "$T/after.err" ]; then
		ok "corrupted journal: valid entry restored, bad lines named, moved aside to $(basename "$aside"), then quiet"
	else
		bad "corrupted journal: still $still, rc $rc, aside '$aside': $(cat "$T/pending.err" "$T/corrupt.err" "$T/after.err")"
	fi
	rm -f "$NUMABENCH_JOURNAL".corrupt.*
	echo "$orig" >/proc/sys/kernel/numa_balancing
else
	echo "skip tunables tests: need root and a writable numa_balancing"
fi

# --- unprivileged: benches run or skip with the privilege named; success exit ---
# gup.mark_timeout_ms: unprivileged, the scan tunables stay at their defaults, and under ASan
# (make san-check) the scanner walks the sanitizer's terabytes of shadow mapping before it reaches
# the buffer, so with numa_balancing on a balancing-1 cell waited its whole 60 s default for
# marks that never came (8 cells x 3 passes: 24 min); 10 s still marks a plain build's buffer.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	chmod 777 "$T"
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$T" \
		NUMABENCH_JOURNAL="$T/nobody-journal" "$BIN" run latency bandwidth fault balance gup \
		--set latency.size=32K --set latency.pages=4k --set bandwidth.size=48M \
		--set bandwidth.kernel=read --set fault.size=4M --set gup.size=64K --repeat 3 \
		--set gup.mark_timeout_ms=10000 -o "$T/nobody.json" >/dev/null 2>"$T/nobody.err"
	rc=$?
	# every bench ran or was skipped naming what is missing; nothing failed; the exit code is
	# success unless a timing was too noisy (untrustworthy: exit 3, the reason says so)
	if python3 "$HERE/check_run.py" "$T/nobody.json" $rc >/dev/null &&
		out=$(python3 - "$T/nobody.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["capabilities"]["root"]
runs = {r["bench"]: r for r in d["runs"]}
assert set(runs) == {"latency", "bandwidth", "fault", "balance", "gup"}, set(runs)
skipped = []
for b, r in runs.items():
    assert r["status"] != "failed", (b, r.get("reason"))
    if r["status"] == "skipped":
        assert "root" in r["reason"] or "node" in r["reason"], (b, r["reason"])
        skipped.append(f"{b}: {r['reason']}")
    for c in r.get("cells", []):
        assert c["status"] != "failed", (b, c.get("reason"))
        if c["status"] == "untrustworthy":
            assert "not known to within" in c["reason"], (b, c["reason"])
        if c["status"] == "skipped":
            assert c.get("reason"), (b, c)
print("; ".join(skipped))
PY
		); then
		ok "unprivileged run of all five benches: exit $rc; skipped: $out"
	else
		bad "unprivileged run: exit $rc: $(cat "$T/nobody.err")"
	fi
fi

# --- as nobody, every write lands in the results folder; remote access only on own children ---
# (LeakSanitizer cannot run under ptrace: the sanitizer build's leak check is off for this run)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v strace >/dev/null &&
	id nobody >/dev/null 2>&1; then
	mkdir -m 777 "$T/res" "$T/home" # a writable HOME outside the results folder: the default
	# journal (~/.local/state/numabench) must not be written by a run that changes nothing
	(cd "$T/res" && strace -f -qq -o "$T/trace" \
		-e trace=%file,%desc,%process,process_vm_readv,process_vm_writev,ptrace \
		setpriv --reuid=nobody --regid=nogroup --clear-groups env -u NUMABENCH_JOURNAL \
		HOME="$T/home" ASAN_OPTIONS=detect_leaks=0 \
		"$BIN" run latency fault gup balance --set latency.size=32K --set fault.size=4M \
		--set gup.size=64K --repeat 3 -o "$T/res/r.json" >/dev/null 2>"$T/nobody2.err")
	rc=$?
	if out=$(python3 "$HERE/check_writes.py" "$T/trace" "$T/res") &&
		python3 "$HERE/check_run.py" "$T/res/r.json" $rc >/dev/null; then
		ok "unprivileged run under strace: $out"
	else
		bad "unprivileged run under strace (exit $rc): $out $(cat "$T/nobody2.err")"
	fi
	echo '{"secret": 1}' >"$T/rootonly.json"
	chmod 600 "$T/rootonly.json"
	NB_AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	expect_error_as() { # like expect_error, as nobody
		local code=$1 pat=$2
		shift 2
		"${NB_AS[@]}" "$BIN" "$@" >"$T/o" 2>"$T/e"
		local rc=$?
		if [ $rc -eq "$code" ] && [ "$(wc -l <"$T/e")" -eq 1 ] && grep -q -- "$pat" "$T/e"; then
			ok "bad input as nobody: $* -> $rc: $(cat "$T/e")"
		else
			bad "bad input as nobody: $* -> rc $rc (want $code): $(cat "$T/e")"
		fi
	}
	expect_error_as 2 "cannot read $T/rootonly.json: Permission denied" report "$T/rootonly.json"
	expect_error_as 2 "folder / is not writable: Permission denied" run fault -o /nb.json
fi

# --- near the memory limit: a memory cgroup; refuse before allocating, never OOM-killed ---
memcg_make() { # prints the new cgroup's directory (v2 or v1), or nothing
	local d
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
			echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		d=/sys/fs/cgroup/nbtest.$$
		mkdir "$d" 2>/dev/null && echo 192M >"$d/memory.max" &&
			{ echo 0 >"$d/memory.swap.max" 2>/dev/null || true; } && echo "$d"
	elif [ -d /sys/fs/cgroup/memory ]; then
		d=/sys/fs/cgroup/memory/nbtest.$$
		mkdir "$d" 2>/dev/null && echo 192M >"$d/memory.limit_in_bytes" && echo "$d"
	fi
}
memcg_ooms() { # OOM kills in the cgroup so far
	if [ -f "$1/memory.events" ]; then
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.events"
	else
		awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"
	fi
}
memcg_empty() { # kill every process of the cgroup; wait until it has none
	local p
	for _ in $(seq 50); do
		p=$(cat "$1/cgroup.procs" 2>/dev/null)
		[ -z "$p" ] && return 0
		kill -KILL $p 2>/dev/null
		sleep 0.1
	done
}
CG=$( [ "$(id -u)" = 0 ] && memcg_make)
CLEAN_CG=$CG
if [ -n "$CG" ]; then
	incg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
	incg "$BIN" run fault --set fault.size=256M -o "$T/prev.json" >/dev/null 2>"$T/e"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] &&
		grep -q "fault.size=256M does not fit in memory cgroup $CG (limit 192.0M" "$T/e" &&
		[ "$(cat "$T/prev.json")" = '{"previous": true}' ]; then
		ok "memory cgroup 192M, fault.size=256M: refused before allocating: $(cat "$T/e")"
	else
		bad "memory cgroup refusal: rc $rc: $(cat "$T/e")"
	fi
	# another process of the cgroup holds 128M: 64M no longer fits, though it is below the limit
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" python3 -c \
		'import sys, time; b = b"\1" * (128 << 20); print("held", flush=True); time.sleep(120)' \
		>"$T/hog.out" &
	disown $! # its SIGKILL below is expected: no job notice
	for _ in $(seq 100); do grep -q held "$T/hog.out" 2>/dev/null && break; sleep 0.1; done
	incg "$BIN" run fault --set fault.size=64M -o "$T/prev.json" >/dev/null 2>"$T/e"
	rc=$?
	memcg_empty "$CG"
	if [ $rc -eq 2 ] && grep -q "fault.size=64M does not fit in memory cgroup" "$T/e" &&
		[ "$(cat "$T/prev.json")" = '{"previous": true}' ]; then
		ok "memory cgroup with 128M in use by another process: 64M refused: $(cat "$T/e")"
	else
		bad "memory cgroup with a hog: rc $rc: $(cat "$T/e")"
	fi
	incg "$BIN" run fault --set fault.size=64M -o "$T/cg.json" >/dev/null 2>"$T/e"
	rc=$?
	ooms=$(memcg_ooms "$CG")
	if python3 "$HERE/check_run.py" "$T/cg.json" $rc --expect-bench fault >/dev/null &&
		[ "${ooms:-0}" = 0 ]; then
		ok "memory cgroup: fault.size=64M fits and runs (exit $rc), OOM kills: ${ooms:-0}"
	else
		bad "memory cgroup run: rc $rc, OOM kills ${ooms:-?}: $(cat "$T/e")"
	fi
	memcg_empty "$CG"
	rmdir "$CG" 2>/dev/null
else
	echo "skip memory cgroup tests: need root and a memory cgroup hierarchy"
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
"$BIN" list --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['schema'] == 'numabench.list/1'; assert {b['name'] for b in d['benches']} >= {'latency','bandwidth','fault'}; assert all(b['supported'] or b['reason'] for b in d['benches']); ps=[p for b in d['benches'] for p in b['params']]; assert all(isinstance(p.get('choices', []), list) for p in ps); assert all(isinstance(x, int) for p in ps if p['type'] in ('int','size','sizes','ints') for x in p['range'] if x is not None); assert all(set(p.get('choice_help', {})) <= set(p.get('choices', [])) for p in ps); assert any(p.get('choice_help') for p in ps)" && ok "list --json" || bad "list --json"
"$BIN" knobs --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['schema'] == 'numabench.knobs/1'; n={k['name'] for k in d['tunables']}; assert {'numa_balancing','scan_size_mb','thp_enabled','zone_reclaim_mode'} <= n; assert all(isinstance(k.get('choices', []), list) for k in d['tunables'])" && ok "knobs --json" || bad "knobs --json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['schema'] == 'numabench.topo/1'; assert all(isinstance(n['memory_bytes'], int) for n in d['topology']['nodes'])" "$T/topo.json" && ok "topo --json: schema id, integers" || bad "topo --json schema"
# text tables: every knobs row has its columns where the header has them
"$BIN" knobs | python3 -c "
import sys
rows = sys.stdin.read().splitlines()
starts = [rows[0].index(h) for h in ('value', 'valid', 'needs', 'path')]
for r in rows[1:]:
    for s in starts:
        assert r[s - 2:s] == '  ' and r[s] != ' ', (r, s)
" && ok "knobs text: aligned columns" || bad "knobs text: a column overflows"
"$BIN" topo >"$T/o" && grep -q "^node distances:" "$T/o" && grep -q "^node 0 cpus: " "$T/o" &&
	grep -q "^node 0 free: " "$T/o" && ! grep -q "{" "$T/o" && ok "topo text: numactl -H style, no raw JSON" || bad "topo text"

t_done
