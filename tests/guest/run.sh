#!/bin/bash
# Guest integration tests (issue 3): `numabench guest` on Debian's 6.1 and 6.12 kernels.
#
#   tests/guest/run.sh [NUMABENCH]        (make guest-tests passes ./numabench)
#
#   args   bad arguments exit 2 with one line naming the bad value (no guest boots)
#   fail   a guest that hangs is killed at --timeout and one that panics is reported, both
#          exit 6 and leave no QEMU running
#   topo   `topo --json` in 2node, 4node-asym and 2node-hmat reports exactly the configured
#          topology: nodes, cpus, memory (within rounding), distances (asymmetric too), the
#          memory-only node, HMAT latency/bandwidth (tests/guest/check.py topo)
#   ci     `run ci` (configs/ci.json, sized for TCG) in 2node and 4node-asym must exit 0:
#          every bench ok, placement verified on every node, first-touch faults counted,
#          balancing migrated and converged, GUP hinting faults with balancing on and no PTE
#          marked with it off, tunables restored, host.timing_emulated set (detected from CPUID) under TCG, and
#          every timing metric `emulated: true` (tests/guest/check.py ci; that last part is
#          reported skipped while no metric carries `emulated` at all, see check.py); first,
#          check_test.py proves check.py ci fails broken results. ci replaces the quick suite
#          here: quick's timings are emulated under TCG and its checks are a subset of ci's.
#   quick  not run by default (ONLY=quick, e.g. for UPDATE_REFERENCE): `run --quick quick`
#          sized with QUICK_SETS, statuses, placement and tunables checked (check.py quick)
#   knob   booted with numa_balancing=disable, `run --set knob.numa_balancing=1 fault`:
#          numa_balancing is 0 before, 1 during, and 0 again after the run
# Guests run one at a time, under TCG unless KVM proves it works (numabench guest probes).
#
# Environment:
#   KERNELS            kernels to boot (default "6.1 6.12")
#   ONLY               comma-separated subset of args,fail,topo,ci,knob,quick (default all
#                      but quick)
#   QUICK_SETS         --set options sizing the quick suite's benches for TCG (applied to the
#                      benches configs/quick.json lists; default below)
#   OUTDIR             keep results, console logs and stderr here (default: a temporary
#                      folder, removed when everything passed)
#   UPDATE_REFERENCE=1 copy the quick results to results/reference/guest-TOPO-KERNEL-quick.json
# Exit status: 0 when nothing failed (skips are listed), 1 otherwise.
set -u

NB=${1:-./numabench}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KERNELS=${KERNELS:-6.1 6.12}
ONLY=${ONLY:-args,fail,topo,ci,knob}
QUICK_SETS=${QUICK_SETS:-latency.size=32K,1M bandwidth.size=24M fault.size=8M balance.size=8M balance.duration_s=3 gup.size=64K gup.repeat=1}
KEEP_OUT=${OUTDIR:+1}
OUTDIR=${OUTDIR:-$(mktemp -d /tmp/numabench-guest-tests.XXXXXX)}
CHECK="python3 $HERE/check.py"
CONFIGS=$ROOT/configs/guests

mkdir -p "$OUTDIR/tmp"
# Work folders of the guests go here, so "nothing left running" is checkable even when
# other guests run on this machine.
export TMPDIR=$OUTDIR/tmp
export NUMABENCH_DATA=${NUMABENCH_DATA:-$ROOT}

pass=0 fail=0 skips=() failures=()
t_start=$(date +%s)

say() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); say "PASS $1 (${2}s)"; }
ko() { fail=$((fail + 1)); failures+=("$1"); say "FAIL $1: $2"; }
skip() { skips+=("$1: $2"); say "SKIP $1: $2"; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }
now() { date +%s; }

# No QEMU of ours may outlive its numabench guest.
leftovers() {
	pgrep -f -- "$TMPDIR/numabench-guest-" >/dev/null
}

# guest NAME TIMEOUT ARGS...: one guest run; result NAME.json, stderr NAME.stderr; sets rc.
guest() {
	local name=$1 timeout=$2
	shift 2
	"$NB" guest --timeout "$timeout" -o "$OUTDIR/$name.json" "$@" 2>"$OUTDIR/$name.stderr" \
		>"$OUTDIR/$name.stdout"
	rc=$?
	if leftovers; then
		ko "$name" "a QEMU process of this run is still running"
		# shellcheck disable=SC2046 # the pids of this test's own guests, by id
		kill -KILL $(pgrep -f -- "$TMPDIR/numabench-guest-")
	fi
}

# check_result NAME SECONDS CHECK-ARGS...: run check.py; 77 = passed with a part skipped.
check_result() {
	local name=$1 secs=$2 out crc
	shift 2
	out=$($CHECK "$@" 2>&1)
	crc=$?
	if [ $crc -eq 0 ]; then
		ok "$name" "$secs"
	elif [ $crc -eq 77 ]; then
		ok "$name" "$secs"
		skip "$name (part)" "$out"
	else
		ko "$name (${secs}s)" "$(printf '%s\n' "$out" | head -12)"
	fi
}

# ---- what the binary has --------------------------------------------------------------

have_guest() {
	! "$NB" guest --timeout 0 2>&1 | grep -q "not built"
}

have_topo_json() {
	"$NB" topo --json 2>/dev/null | python3 -c \
		'import json,sys; d=json.load(sys.stdin); assert isinstance(d["topology"]["nodes"], list)' \
		2>/dev/null
}

have_suite() {
	"$NB" list --json 2>/dev/null | python3 -c \
		'import json,sys; sys.exit(0 if any(s.get("name") == sys.argv[1] for s in json.load(sys.stdin).get("suites", [])) else 1)' \
		"$1" 2>/dev/null
}

have_bench() {
	"$NB" list --json 2>/dev/null | python3 -c \
		'import json,sys; sys.exit(0 if any(b.get("name") == sys.argv[1] for b in json.load(sys.stdin).get("benches", [])) else 1)' \
		"$1" 2>/dev/null
}

have_knob() {
	"$NB" knobs --json 2>/dev/null | python3 -c \
		'import json,sys; sys.exit(0 if any(t.get("name") == sys.argv[1] and t.get("present") for t in json.load(sys.stdin).get("tunables", [])) else 1)' \
		"$1" 2>/dev/null
}

# --set options from QUICK_SETS for the benches that configs/quick.json runs.
quick_sets() {
	local benches s
	benches=$(python3 -c 'import json,sys; print(" ".join(b["bench"] for b in json.load(open(sys.argv[1]))["benches"]))' \
		"$ROOT/configs/quick.json" 2>/dev/null)
	for s in $QUICK_SETS; do
		[[ " $benches " == *" ${s%%.*} "* ]] && printf -- '--set %s ' "$s"
	done
}

# ---- args: no guest boots ----------------------------------------------------------------

# bad_arg NAME WANT-IN-MESSAGE ARGS...: exit 2 and one stderr line that names the value.
bad_arg() {
	local name=$1 needle=$2 err
	shift 2
	err=$("$NB" guest "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 2 ]; then
		ko "args: $name" "exit $rc, expected 2 ($err)"
	elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [[ "$err" != *"$needle"* ]]; then
		ko "args: $name" "expected one line naming \"$needle\", got: $err"
	else
		ok "args: $name" 0
	fi
}

test_args() {
	bad_arg "unknown topology" "nosuchtopo" --topology nosuchtopo -- topo
	bad_arg "unknown kernel" "5.10" --kernel 5.10 -- topo
	bad_arg "not a bzImage" "$ROOT/Makefile" --kernel "$ROOT/Makefile" -- topo
	bad_arg "timeout 0" "--timeout 0" --timeout 0 -- topo
	bad_arg "unknown option" "--bogus" --bogus -- topo
	bad_arg "newline in argument" "newline" -- run "$(printf 'a\nb')"
	printf '{"nodes": [{"id": 0, "cpus": [0], "memory": "1G"}, {"id": 1, "cpus": [0], "memory": "1G"}]}' \
		>"$OUTDIR/dupcpu.json"
	bad_arg "cpu on two nodes" "cpu" --topology "$OUTDIR/dupcpu.json" -- topo
	printf '{"nodes": [{"id": 0, "cpus": [0], "memory": "1G"}, {"id": 1, "cpus": [1], "memory": "1G"}], "distances": [[10, 5], [20, 10]]}' \
		>"$OUTDIR/baddist.json"
	bad_arg "distance below 11" "distances" --topology "$OUTDIR/baddist.json" -- topo
}

# ---- fail: hang and panic ----------------------------------------------------------------

test_fail() {
	local k=${KERNELS%% *} t0
	t0=$(now)
	# PID 1 that never exits: busybox sleep instead of /init.
	guest fail-hang 20 --kernel "$k" --append "rdinit=/bin/busybox -- sleep 100000" -- topo
	if [ $rc -eq 6 ] && grep -q "timed out after 20 s" "$OUTDIR/fail-hang.stderr"; then
		ok "fail: hung guest killed at --timeout" $(($(now) - t0))
	else
		ko "fail: hung guest killed at --timeout" "exit $rc: $(tail -1 "$OUTDIR/fail-hang.stderr")"
	fi
	t0=$(now)
	guest fail-panic 120 --kernel "$k" --append "rdinit=/nonexistent" -- topo
	if [ $rc -eq 6 ] && grep -q "panicked" "$OUTDIR/fail-panic.stderr" &&
		[ -s "$OUTDIR/fail-panic.json.console.log" ]; then
		ok "fail: kernel panic reported" $(($(now) - t0))
	else
		ko "fail: kernel panic reported" "exit $rc: $(tail -1 "$OUTDIR/fail-panic.stderr")"
	fi
}

# ---- topo, quick, knob -----------------------------------------------------------------

test_topo() {
	local k t name t0
	for k in $KERNELS; do
		for t in 2node 4node-asym 2node-hmat; do
			name=topo-$t-$k
			t0=$(now)
			guest "$name" 300 --kernel "$k" --topology "$t" -- topo --json
			if [ $rc -ne 0 ]; then
				ko "topo: $t on $k" "exit $rc: $(tail -1 "$OUTDIR/$name.stderr")"
				continue
			fi
			check_result "topo: $t on $k" $(($(now) - t0)) topo "$CONFIGS/$t.json" \
				"$OUTDIR/$name.json" "$k"
		done
	done
}

test_quick() {
	local k t name t0 sets
	sets=$(quick_sets)
	for k in $KERNELS; do
		for t in 2node 4node-asym; do
			name=quick-$t-$k
			t0=$(now)
			# shellcheck disable=SC2086 # sets is a list of options
			guest "$name" 1200 --kernel "$k" --topology "$t" -- run --quick $sets quick
			case $rc in
			0 | 1 | 3) ;; # the statuses are checked from the JSON
			*)
				ko "quick: $t on $k" "exit $rc: $(tail -1 "$OUTDIR/$name.stderr")"
				continue
				;;
			esac
			check_result "quick: $t on $k" $(($(now) - t0)) quick "$CONFIGS/$t.json" \
				"$OUTDIR/$name.json" "$k"
			if [ "${UPDATE_REFERENCE:-0}" = 1 ] && [ -s "$OUTDIR/$name.json" ]; then
				cp "$OUTDIR/$name.json" "$ROOT/results/reference/guest-$t-$k-quick.json"
			fi
		done
	done
}

test_ci() {
	local k t name t0
	for k in $KERNELS; do
		for t in 2node 4node-asym; do
			name=ci-$t-$k
			t0=$(now)
			guest "$name" 600 --kernel "$k" --topology "$t" -- run ci
			if [ ! -s "$OUTDIR/$name.json" ]; then
				ko "ci: $t on $k" "exit $rc, no results: $(tail -1 "$OUTDIR/$name.stderr")"
				continue
			fi
			# check.py requires guest.exit_code 0 from the JSON; the exit status must agree.
			if [ $rc -ne 0 ]; then
				ko "ci: $t on $k" "exit $rc, expected 0: $($CHECK ci "$CONFIGS/$t.json" \
					"$OUTDIR/$name.json" "$k" 2>&1 | head -8)"
				continue
			fi
			check_result "ci: $t on $k" $(($(now) - t0)) ci "$CONFIGS/$t.json" \
				"$OUTDIR/$name.json" "$k"
		done
	done
}

test_knob() {
	local k name t0
	for k in $KERNELS; do
		name=knob-$k
		t0=$(now)
		guest "$name" 600 --kernel "$k" --append numa_balancing=disable -- \
			run --quick --set knob.numa_balancing=1 --set fault.size=4M --set fault.pages=4k fault
		case $rc in
		0 | 1 | 3) check_result "knob: numa_balancing switched and restored on $k" \
			$(($(now) - t0)) knob "$OUTDIR/$name.json" ;;
		*) ko "knob: numa_balancing on $k" "exit $rc: $(tail -1 "$OUTDIR/$name.stderr")" ;;
		esac
	done
}

# ---- main ----------------------------------------------------------------------------

if [ ! -x "$NB" ]; then
	say "FAIL: $NB is not an executable (usage: tests/guest/run.sh [NUMABENCH])"
	exit 1
fi
command -v python3 >/dev/null || { say "SKIP all: python3 is needed to check JSON"; exit 0; }
say "guest tests: $NB, kernels: $KERNELS, results in $OUTDIR"

if ! have_guest; then
	skip "all" "this numabench has no guest command"
else
	want args && test_args
	want fail && test_fail
	if want topo; then
		if have_topo_json; then test_topo; else skip "topo" "numabench topo --json is not available"; fi
	fi
	if want ci; then
		if python3 "$HERE/check_test.py" >"$OUTDIR/check_test.out" 2>&1; then
			ok "ci: check.py ci fails each broken result (check_test.py)" 0
		else
			ko "ci: check.py ci self-test" "$(grep -v '^ok' "$OUTDIR/check_test.out" | head -8)"
		fi
		if have_suite ci; then test_ci; else ko "ci" "numabench list has no ci suite"; fi
	fi
	if want quick; then
		if have_suite quick; then test_quick; else skip "quick" "numabench list has no quick suite"; fi
	fi
	if want knob; then
		if ! have_knob numa_balancing; then
			skip "knob" "numabench knobs --json does not list numa_balancing"
		elif ! have_bench fault; then
			skip "knob" "numabench list has no fault bench to run"
		else
			test_knob
		fi
	fi
fi

elapsed=$(($(now) - t_start))
say ""
say "guest tests: $pass passed, $fail failed, ${#skips[@]} skipped in ${elapsed}s"
for s in "${skips[@]}"; do say "  skipped: $s"; done
for f in "${failures[@]}"; do say "  failed: $f"; done
if [ $fail -eq 0 ] && [ -z "$KEEP_OUT" ]; then
	rm -rf "$OUTDIR"
else
	say "results, console logs and stderr kept in $OUTDIR"
fi
[ $fail -eq 0 ]
