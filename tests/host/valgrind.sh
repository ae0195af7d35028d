#!/bin/bash
# valgrind memcheck on a numabench run (default: the quick suite, 2 samples per cell): no memory error in numabench
# or in any process it forks (gup targets, balance workers), no definitely lost block at exit,
# and the run itself still honest (check_run.py; no bench `failed`: timings under valgrind are
# expected to be `untrustworthy`). Usage: tests/host/valgrind.sh ./numabench [RUN ARGS...]
set -u
BIN=$(realpath "$1")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ARGS=("$@")
# Two samples per cell: under valgrind every timing spreads, and the statistics rule would
# otherwise extend each cell to its cap; memory errors do not need more repetitions.
[ ${#ARGS[@]} -eq 0 ] && ARGS=(quick --repeat 2)
T=$(mktemp -d /tmp/nbvg.XXXXXX)
trap 'rm -rf "$T"' EXIT
start=$(date +%s)
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-markers=NBVG-ERROR-BEGIN,NBVG-ERROR-END \
	--child-silent-after-fork=no --log-file="$T/vg.%p.log" \
	"$BIN" run "${ARGS[@]}" -o "$T/r.json" >/dev/null 2>"$T/err"
rc=$?
secs=$(($(date +%s) - start))
procs=$(ls "$T"/vg.*.log | wc -l)
errors=$(cat "$T"/vg.*.log | grep -c NBVG-ERROR-BEGIN)
lost=$(grep -h "definitely lost:" "$T"/vg.*.log | awk '{ gsub(",", "", $4); s += $4 } END { print s + 0 }')
summary="valgrind memcheck: numabench run ${ARGS[*]}: $procs processes, $errors errors, $lost bytes definitely lost, exit $rc, ${secs}s"
if [ "$errors" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$procs" -ge 1 ] &&
	python3 "$HERE/check_run.py" "$T/r.json" $rc >/dev/null &&
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); f=[r['bench'] for r in d['runs'] if r['status']=='failed']; sys.exit(f'failed under valgrind: {f}' if f else 0)" "$T/r.json"; then
	echo "ok   $summary"
	exit 0
fi
echo "FAIL $summary"
for f in "$T"/vg.*.log; do
	sed -n '/NBVG-ERROR-BEGIN/,/NBVG-ERROR-END/p' "$f" | head -60
done
tail -3 "$T/err"
exit 1
