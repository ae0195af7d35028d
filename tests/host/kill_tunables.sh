#!/bin/bash
# Crash-safe tunables, tested with real kills (issue 4).
#
#   tests/host/kill_tunables.sh BIN
#
# Runs `BIN run --set knob.numa_balancing=V ... fault` (V differs from the current value) and
# kills it at a random moment, KILLS (default 20) times per signal: SIGTERM, SIGINT, SIGKILL.
# After each kill:
#   - SIGTERM/SIGINT: numa_balancing is back to its original value and the journal is gone
#     as soon as the process has exited (its own exit path restored it);
#   - SIGKILL: `BIN restore` restores it and clears the journal;
#   - no process of the run's process group is left;
#   - the results file is either the previous one, byte for byte, or a complete new results
#     document (valid JSON, schema numabench.result/2, tunables.after == tunables.before).
# Needs root and a writable /proc/sys/kernel/numa_balancing; exits 77 (skip) otherwise.
# The journal is isolated with NUMABENCH_JOURNAL. Environment: KILLS, BENCH (default fault),
# RUN_ARGS (more `run` arguments, e.g. "--repeat 1"), SIGNALS (default "TERM INT KILL").
set -u

BIN=${1:?usage: $0 BIN}
BIN=$(readlink -f "$BIN")
KILLS=${KILLS:-20}
BENCH=${BENCH:-fault}
RUN_ARGS=${RUN_ARGS:-}
SIGNALS=${SIGNALS:-TERM INT KILL}
KNOB=/proc/sys/kernel/numa_balancing

skip() {
	echo "kill_tunables: SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root"
[ -w "$KNOB" ] || skip "$KNOB is not writable (no CONFIG_NUMA_BALANCING?)"
command -v python3 >/dev/null || skip "needs python3 to check JSON"

WORK=$(mktemp -d /tmp/numabench-kill.XXXXXX)
export NUMABENCH_JOURNAL=$WORK/journal
ORIG=$(cat "$KNOB")
TARGET=$([ "$ORIG" = 1 ] && echo 0 || echo 1)
OUT=$WORK/out.json
PREV=$WORK/prev.json
fails=0

cleanup() {
	echo "$ORIG" >"$KNOB" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "kill_tunables: FAIL: $*"
	fails=$((fails + 1))
}

# check_results FILE: prints "prev" or "new"; exit 1 with a message otherwise.
check_results() {
	cmp -s "$1" "$PREV" && {
		echo prev
		return 0
	}
	python3 - "$1" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("invalid JSON: %s" % e); sys.exit(1)
if d.get("schema") != "numabench.result/2" or not isinstance(d.get("runs"), list):
    print("not a complete results document"); sys.exit(1)
t = d.get("tunables", {})
if t.get("before") != t.get("after"):
    print("tunables.after differs from tunables.before"); sys.exit(1)
print("new")
EOF
}

# The processes left in a process group, after giving PDEATHSIG a moment.
leftovers() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pgrep -g "$1" >/dev/null || return 0
		sleep 0.2
	done
	pgrep -a -g "$1"
}

# Calibrate: one complete run gives the previous results file and the run length.
t0=$(date +%s%N)
# shellcheck disable=SC2086 # RUN_ARGS is a list of arguments
"$BIN" run $RUN_ARGS --set knob.numa_balancing="$TARGET" -o "$PREV" "$BENCH" >/dev/null 2>&1 ||
	skip "a calibration run of $BENCH failed"
t1=$(date +%s%N)
RUN_MS=$(((t1 - t0) / 1000000))
[ "$(cat "$KNOB")" = "$ORIG" ] || fail "numa_balancing not restored after a normal exit"
echo "kill_tunables: numa_balancing $ORIG -> $TARGET during runs; a run of $BENCH takes ${RUN_MS} ms"

declare -A n_self n_next n_noop n_prev n_new n_tmp n_rc
for sig in $SIGNALS; do
	n_self[$sig]=0 n_next[$sig]=0 n_noop[$sig]=0 n_prev[$sig]=0 n_new[$sig]=0 n_tmp[$sig]=0
	n_rc[$sig]=""
	for i in $(seq 1 "$KILLS"); do
		cp "$PREV" "$OUT"
		delay=$(awk -v s="$RANDOM$i" -v ms="$RUN_MS" \
			'BEGIN { srand(s); printf "%.3f", rand() * ms * 1.1 / 1000 }')
		# shellcheck disable=SC2086
		setsid "$BIN" run $RUN_ARGS --set knob.numa_balancing="$TARGET" -o "$OUT" "$BENCH" \
			>/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -"$sig" "$pid" 2>/dev/null
		{ wait "$pid"; } 2>/dev/null
		rc=$?
		n_rc[$sig]="${n_rc[$sig]} $rc"
		left=$(leftovers "$pid") || true
		[ -z "$left" ] || fail "$sig #$i: processes left: $left"
		now=$(cat "$KNOB")
		if [ "$sig" != KILL ]; then
			[ "$now" = "$ORIG" ] || fail "$sig #$i (after ${delay}s): numa_balancing=$now after exit, expected $ORIG"
			[ ! -e "$NUMABENCH_JOURNAL" ] || fail "$sig #$i: journal left after a clean exit path"
			n_self[$sig]=$((n_self[$sig] + 1))
		elif [ "$now" = "$ORIG" ] && [ ! -e "$NUMABENCH_JOURNAL" ]; then
			n_noop[$sig]=$((n_noop[$sig] + 1)) # killed before the write or after restore
		else
			"$BIN" restore >/dev/null 2>"$WORK/knobs.err"
			now=$(cat "$KNOB")
			[ "$now" = "$ORIG" ] || fail "KILL #$i: numa_balancing=$now after the next invocation"
			[ ! -e "$NUMABENCH_JOURNAL" ] || fail "KILL #$i: journal left after the next invocation"
			n_next[$sig]=$((n_next[$sig] + 1))
		fi
		if res=$(check_results "$OUT"); then
			[ "$res" = prev ] && n_prev[$sig]=$((n_prev[$sig] + 1))
			[ "$res" = new ] && n_new[$sig]=$((n_new[$sig] + 1))
		else
			fail "$sig #$i (after ${delay}s): results file: $res"
		fi
		# A SIGKILL between the temporary file and the rename leaves the temporary file
		# (the results file itself is intact): counted, then removed.
		tmp=$(find "$WORK" -maxdepth 1 -name '.out.json.*' | wc -l)
		n_tmp[$sig]=$((n_tmp[$sig] + tmp))
		find "$WORK" -maxdepth 1 -name '.out.json.*' -delete
		# Never leave the knob changed for the next iteration, whatever happened.
		echo "$ORIG" >"$KNOB"
	done
done

for sig in $SIGNALS; do
	echo "kill_tunables: SIG$sig x$KILLS: restored by the run itself ${n_self[$sig]}," \
		"by the next invocation ${n_next[$sig]}, nothing to restore ${n_noop[$sig]};" \
		"results previous ${n_prev[$sig]}, new ${n_new[$sig]}; temp files left ${n_tmp[$sig]};" \
		"exit codes:$(echo "${n_rc[$sig]}" | tr ' ' '\n' | grep . | sort -n | uniq -c |
			awk '{printf " %s (x%s)", $2, $1}')"
done
if [ "$fails" -gt 0 ]; then
	echo "kill_tunables: $fails failure(s)"
	exit 1
fi
echo "kill_tunables: PASS"
